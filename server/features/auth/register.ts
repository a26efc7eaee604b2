import type { RegisterInput } from '../../../protocol/schemas/auth.js';
import type { User } from '../../../protocol/schemas/users.js';
import type { Deps, RequestMeta } from '../../context.js';
import { AppError, conflict, isUniqueViolation, validationFailed } from '../../errors.js';
import { toUser } from '../users/user.presenter.js';
import {
  emailKey,
  findUserById,
  insertUser,
  lowestUserId,
  takenFields,
  updateUser,
  usernameKey,
} from '../users/users.queries.js';
import { throttle } from '../../lib/throttle.js';
import { isCommonPassword } from './passwords.js';
import { startSession, type IssuedTokens } from './session-issue.js';

/** Creates an account and signs it in. The first account becomes a server admin. */
export async function register(
  deps: Deps,
  input: RegisterInput,
  meta: RequestMeta,
): Promise<{ user: User; tokens: IssuedTokens }> {
  await throttle(
    deps,
    `signup:${meta.ip ?? 'unknown'}`,
    deps.config.rateLimits.signupsPerHour,
    3_600_000,
    'sign-ups from this address',
  );
  if (isCommonPassword(input.password)) {
    throw validationFailed({ password: 'is too common; choose a less guessable password' });
  }
  const taken = await takenFields(deps.db, input);
  if (taken[0]) throw conflict(taken[0], `That ${taken[0]} is already taken`);

  const passwordHash = await deps.passwords.hash(input.password);
  const now = deps.now();
  let id: number;
  try {
    id = await insertUser(deps.db, {
      username: input.username,
      username_key: usernameKey(input.username),
      email: input.email,
      email_key: emailKey(input.email),
      password_hash: passwordHash,
      display_name: input.displayName ?? input.username,
      bio: '',
      is_active: 1,
      is_admin: 0,
      created_at: now,
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Lost a race with a concurrent sign-up: say which field, as the pre-check would have.
    const again = await takenFields(deps.db, input);
    throw conflict(again[0] ?? 'username', `That ${again[0] ?? 'username'} is already taken`);
  }
  // The lowest id is the first account: race-free even when two people sign up at once.
  if ((await lowestUserId(deps.db)) === id) await updateUser(deps.db, id, { is_admin: 1 });

  const tokens = await startSession(deps, id, false, meta);
  const row = await findUserById(deps.db, id);
  if (!row) throw new AppError('internal', 'The new account could not be read back');
  return { user: toUser(row, deps.presence), tokens };
}
