import { describe, expect, it } from 'vitest';
import { initialsOf } from './Avatar.js';

describe('initials', () => {
  it('takes the first letter of the first two words', () => {
    expect(initialsOf('Alice Martin')).toBe('AM');
    expect(initialsOf('bob')).toBe('B');
    expect(initialsOf('jean-luc picard')).toBe('JL');
  });

  it('skips symbols and words without letters', () => {
    expect(initialsOf('Design & UX')).toBe('DU');
    expect(initialsOf('#general chat')).toBe('GC');
    expect(initialsOf('🎉 Party time')).toBe('PT');
    expect(initialsOf('R&D')).toBe('R');
    expect(initialsOf('***')).toBe('?');
    expect(initialsOf('Élodie 2nd')).toBe('É2');
  });
});
