import { describe, expect, it } from 'vitest';
import { user } from '../../test/factories.js';
import { filterMembers, insertMention, mentionQueryAt } from './mention-query.js';

const alice = user(2, { username: 'alice', displayName: 'Alice Martin' });
const alfred = user(3, { username: 'alfred_w', displayName: 'Alfred Wong' });
const bob = user(4, { username: 'bob', displayName: 'Bob Chen' });
const malory = user(5, { username: 'mallory', displayName: 'Mal Alvarez' });
const members = [bob, malory, alfred, alice];

describe('the @ being typed', () => {
  it('opens at an @ at the start or after a character that cannot be in a username', () => {
    expect(mentionQueryAt('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQueryAt('hi @al', 6)).toEqual({ start: 3, query: 'al' });
    expect(mentionQueryAt('(@bo', 4)).toEqual({ start: 1, query: 'bo' });
    expect(mentionQueryAt('line\n@a.b', 9)).toEqual({ start: 5, query: 'a.b' });
  });

  it('does not open inside an address, after a space, or with a selection', () => {
    expect(mentionQueryAt('mail alice@example', 18)).toBeNull();
    expect(mentionQueryAt('hi @al ', 7)).toBeNull();
    expect(mentionQueryAt('hello', 5)).toBeNull();
    expect(mentionQueryAt('hi @al', 4, 6)).toBeNull();
  });

  it('reads only up to the caret', () => {
    expect(mentionQueryAt('hi @alice there', 6)).toEqual({ start: 3, query: 'al' });
  });
});

describe('filtering members', () => {
  it('ranks exact and username prefixes first, then name words, then anything containing it', () => {
    expect(filterMembers(members, 'al').map((u) => u.username)).toEqual([
      'alfred_w',
      'alice',
      'mallory',
    ]);
    expect(filterMembers(members, 'alice').map((u) => u.username)).toEqual(['alice']);
    // "Chen" is a word of Bob's display name.
    expect(filterMembers(members, 'chen').map((u) => u.username)).toEqual(['bob']);
    expect(filterMembers(members, 'ALI').map((u) => u.username)).toEqual(['alice']);
  });

  it('offers everyone by name for a bare @, and nobody for a stranger', () => {
    expect(filterMembers(members, '').map((u) => u.username)).toEqual([
      'alfred_w',
      'alice',
      'bob',
      'mallory',
    ]);
    expect(filterMembers(members, 'zed')).toEqual([]);
    expect(filterMembers(members, '', 2)).toHaveLength(2);
  });
});

describe('inserting a mention', () => {
  it('replaces the typed @word with @username and a space, caret after it', () => {
    const text = 'thanks @al';
    const r = insertMention(text, mentionQueryAt(text, 10)!, 10, 'alice');
    expect(r).toEqual({ text: 'thanks @alice ', caret: 14 });
  });

  it('keeps what follows, without doubling a space, and replaces the rest of the word', () => {
    const text = 'hey @a, look';
    expect(insertMention(text, { start: 4, query: 'a' }, 6, 'bob')).toEqual({
      text: 'hey @bob , look',
      caret: 9,
    });
    const mid = '@alx there';
    expect(insertMention(mid, { start: 0, query: 'a' }, 2, 'alice')).toEqual({
      text: '@alice there',
      caret: 7,
    });
  });
});
