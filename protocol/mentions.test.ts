import { describe, expect, it } from 'vitest';
import { findMentions, mentionedIds } from './mentions.js';

const members = new Map([
  ['alice', 1],
  ['bob', 2],
  ['a.b', 3],
  ['carol_', 4],
  ['dan-', 5],
]);
const ids = (body: string) => mentionedIds(body, members);

describe('mentions', () => {
  it('finds @name at the start or after a character that cannot be in a username', () => {
    expect(ids('@alice hi')).toEqual([1]);
    expect(ids('hi @bob')).toEqual([2]);
    expect(ids('(@alice), [@bob]!')).toEqual([1, 2]);
    expect(ids('mail alice@bob.org')).toEqual([]);
    expect(ids('x.@alice')).toEqual([]);
    expect(ids('é@alice')).toEqual([1]);
    expect(ids('@')).toEqual([]);
    expect(ids('@@alice')).toEqual([1]);
  });

  it('takes the longest run, dropping trailing . - _ only while it names no member', () => {
    expect(ids('thanks @alice.')).toEqual([1]);
    expect(ids('thanks @alice...')).toEqual([1]);
    expect(ids('@alice_-.')).toEqual([1]);
    expect(ids('@a.b')).toEqual([3]);
    expect(ids('@a.b.')).toEqual([3]);
    expect(ids('@carol_')).toEqual([4]);
    expect(ids('@carol__')).toEqual([4]);
    expect(ids('@dan-.')).toEqual([5]);
    // A longer run that names nobody is not cut in the middle.
    expect(ids('@alicex')).toEqual([]);
    expect(ids('@alice.x')).toEqual([]);
  });

  it('compares names ignoring case, lists distinct members in order of first appearance', () => {
    expect(ids('@BOB and @Alice and @bob again, @ALICE')).toEqual([2, 1]);
    expect(ids('@nobody @bob')).toEqual([2]);
  });

  it('keeps at most the first 50 distinct members', () => {
    const many = new Map(Array.from({ length: 60 }, (_, i) => [`u${i}`, i + 1] as const));
    const body = Array.from({ length: 60 }, (_, i) => `@u${i}`).join(' ');
    expect(mentionedIds(body, many)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('reports where each mention is, as written', () => {
    expect(findMentions('hi @Alice. and @bob', (k) => members.has(k))).toEqual([
      { start: 3, end: 9, name: 'Alice' },
      { start: 15, end: 19, name: 'bob' },
    ]);
  });
});
