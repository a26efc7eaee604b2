import { describe, expect, it } from 'vitest';
import { PasswordHasher, isCommonPassword } from './passwords.js';

const params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(params);

  it('hashes to argon2id with the configured cost and verifies', async () => {
    const hash = await hasher.hash('a fine passphrase');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(hash, 'a fine passphrase')).toBe(true);
    expect(await hasher.verify(hash, 'a fine passphrase ')).toBe(false);
  });

  it('answers false, never throws, for stored values that are not hashes', async () => {
    for (const stored of ['', 'plain', '$argon2id$v=19$m=1,t=1,p=1$bad$bad', '$2b$10$abc']) {
      expect(await hasher.verify(stored, 'anything')).toBe(false);
    }
  });

  it('asks for a rehash only when a stored hash is weaker than the current cost', () => {
    const salted = '$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
    expect(hasher.needsRehash(`$argon2id$v=19$m=19456,t=2,p=1${salted}`)).toBe(false);
    expect(hasher.needsRehash(`$argon2id$v=19$m=65536,t=3,p=1${salted}`)).toBe(false);
    expect(hasher.needsRehash(`$argon2id$v=19$m=19456,t=1,p=1${salted}`)).toBe(true);
    expect(hasher.needsRehash(`$argon2id$v=19$m=4096,t=2,p=1${salted}`)).toBe(true);
    expect(hasher.needsRehash(`$argon2id$v=19$m=19456,t=2,p=4${salted}`)).toBe(true);
    expect(hasher.needsRehash(`$argon2i$v=19$m=19456,t=2,p=1${salted}`)).toBe(true);
    expect(hasher.needsRehash(`$argon2id$v=16$m=19456,t=2,p=1${salted}`)).toBe(true);
    expect(hasher.needsRehash('$2b$10$abcdefghijklmnopqrstuv')).toBe(true);
  });

  it('spends a real check on unknown users and always says no', async () => {
    expect(await hasher.verifyDummy('parley-dummy-password-for-timing')).toBe(false);
  });
});

describe('isCommonPassword', () => {
  it('knows the top leaked passwords in any case, and not good ones', () => {
    for (const p of ['password', 'password123', 'QWERTYUIOP', '12345678', 'iloveyou']) {
      expect(isCommonPassword(p), p).toBe(true);
    }
    for (const p of ['correct horse battery staple', 'Grüße aus Köln 🔑']) {
      expect(isCommonPassword(p), p).toBe(false);
    }
  });
});
