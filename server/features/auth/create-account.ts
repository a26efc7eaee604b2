import type { RegisterInput } from '../../../protocol/schemas/auth.js';
import type { Deps } from '../../context.js';
import { conflict, isUniqueViolation } from '../../errors.js';
import { emailKey, insertUser, takenFields, usernameKey } from '../users/users.queries.js';
import { checkNewPassword } from './passwords.js';

/**
 * Inserts an active account after the rules every new account meets, whoever creates it (a
 * sign-up, or an operator's `parley admin create`): a password that passes `checkNewPassword`,
 * a username and an email nobody has (ignoring case). Returns the new id.
 */
export async function createAccount(
  deps: Deps,
  input: RegisterInput,
  opts: { isAdmin?: boolean } = {},
): Promise<number> {
  checkNewPassword(input.password);
  const taken = await takenFields(deps.db, input);
  if (taken[0]) throw conflict(taken[0], `That ${taken[0]} is already taken`);

  const passwordHash = await deps.passwords.hash(input.password);
  try {
    return await insertUser(deps.db, {
      username: input.username,
      username_key: usernameKey(input.username),
      email: input.email,
      email_key: emailKey(input.email),
      password_hash: passwordHash,
      display_name: input.displayName ?? input.username,
      bio: '',
      is_active: 1,
      is_admin: opts.isAdmin ? 1 : 0,
      created_at: deps.now(),
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Lost a race with a concurrent sign-up: say which field, as the pre-check would have.
    const again = await takenFields(deps.db, input);
    throw conflict(again[0] ?? 'username', `That ${again[0] ?? 'username'} is already taken`);
  }
}
