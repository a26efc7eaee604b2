import { hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id (a const enum, which isolated modules cannot import).
const ARGON2ID = 2;
import { dictionary } from '@zxcvbn-ts/language-common';
import { Password } from '../../../protocol/schemas/users.js';
import { validationFailed } from '../../errors.js';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** How many of the most common leaked passwords are refused. */
const BLOCKLIST_SIZE = 10_000;
let blocklist: Set<string> | null = null;

/** True when the password is among the most common leaked ones (case-insensitive). */
export function isCommonPassword(password: string): boolean {
  blocklist ??= new Set(
    dictionary['passwords-common'].slice(0, BLOCKLIST_SIZE).map((p) => p.toLowerCase()),
  );
  return blocklist.has(password.toLowerCase());
}

/**
 * The rules every new password meets, whoever sets it (sign-up, an operator's `parley`
 * command): the protocol's length limits and not among the most common. Throws
 * `validation_failed` naming `field`.
 */
export function checkNewPassword(password: string, field = 'password'): void {
  const parsed = Password.safeParse(password);
  if (!parsed.success) {
    throw validationFailed({ [field]: parsed.error.issues[0]?.message ?? 'is not valid' });
  }
  if (isCommonPassword(password)) {
    throw validationFailed({ [field]: 'is too common; choose a less guessable password' });
  }
}

/** Unicode passwords are compared in NFC, so the same text typed on two keyboards matches. */
const normalize = (password: string) => password.normalize('NFC');

/** argon2id hashing with rehash-on-login when the parameters are raised. */
export class PasswordHasher {
  private dummyHash: Promise<string> | null = null;

  constructor(private readonly params: Argon2Params) {}

  hash(password: string): Promise<string> {
    return hash(normalize(password), { algorithm: ARGON2ID, ...this.params });
  }

  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await verify(stored, normalize(password));
    } catch {
      return false;
    }
  }

  /** Spends the same work as a real check, so an unknown user is not faster than a wrong password. */
  async verifyDummy(password: string): Promise<false> {
    this.dummyHash ??= this.hash('parley-dummy-password-for-timing');
    await this.verify(await this.dummyHash, password);
    return false;
  }

  /** True when a stored hash was made with weaker parameters than the current ones. */
  needsRehash(stored: string): boolean {
    const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(stored);
    if (!m) return true;
    return (
      Number(m[1]) < this.params.memoryCost ||
      Number(m[2]) < this.params.timeCost ||
      Number(m[3]) !== this.params.parallelism
    );
  }
}
