import type {
  ChangePasswordInput,
  PublicUser,
  SearchUsersQuery,
  UpdateProfileInput,
  User,
} from '../../../protocol/schemas/users.js';
import type { Actor, Deps } from '../../context.js';
import { AppError, conflict, isUniqueViolation, notFound, validationFailed } from '../../errors.js';
import {
  beginPasswordAttempt,
  passwordAttemptFailed,
  passwordAttemptSucceeded,
  passwordChangeAttempt,
} from '../auth/login-throttle.js';
import { isCommonPassword } from '../auth/passwords.js';
import { revokeSessions } from '../auth/sessions.queries.js';
import type { Outcome } from '../../events.js';
import { throttle } from '../../lib/throttle.js';
import { profileChangedEvents } from './user-events.js';
import { toPublicUser, toUser } from './user.presenter.js';
import type { UserRow } from './users.queries.js';
import {
  emailKey,
  findUserById,
  searchUsers as searchUserRows,
  takenFields,
  updateUser,
  usernameKey,
} from './users.queries.js';

/** Loads the caller's own row; a signed-in caller whose row is gone is a stale session. */
export async function loadSelf(deps: Deps, actor: Actor): Promise<UserRow> {
  const row = await findUserById(deps.db, actor.userId);
  if (!row) throw new AppError('session_expired', 'Your account no longer exists');
  return row;
}

/** The caller's own profile. */
export async function getMe(deps: Deps, actor: Actor): Promise<User> {
  return toUser(await loadSelf(deps, actor), deps.presence);
}

/** Changes username, email, display name or bio; a taken username or email is a conflict. */
export async function updateProfile(
  deps: Deps,
  actor: Actor,
  input: UpdateProfileInput,
): Promise<Outcome<User>> {
  const before = await loadSelf(deps, actor);
  const taken = await takenFields(deps.db, input, actor.userId);
  if (taken[0]) throw conflict(taken[0], `That ${taken[0]} is already taken`);
  try {
    await updateUser(deps.db, actor.userId, {
      ...(input.username !== undefined && {
        username: input.username,
        username_key: usernameKey(input.username),
      }),
      ...(input.email !== undefined && { email: input.email, email_key: emailKey(input.email) }),
      ...(input.displayName !== undefined && { display_name: input.displayName }),
      ...(input.bio !== undefined && { bio: input.bio }),
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const again = await takenFields(deps.db, input, actor.userId);
    throw conflict(again[0] ?? 'username', `That ${again[0] ?? 'username'} is already taken`);
  }
  const me = await getMe(deps, actor);
  // Others see the name and the picture; email and bio changes concern only the user.
  const seen = me.username !== before.username || me.displayName !== before.display_name;
  return { data: me, events: seen ? await profileChangedEvents(deps, actor.userId) : [] };
}

/** Changes the password after checking the current one; every other session is signed out. */
export async function changePassword(
  deps: Deps,
  actor: Actor,
  input: ChangePasswordInput,
  ip: string | null,
): Promise<Outcome<null>> {
  const row = await loadSelf(deps, actor);
  // Guessing the current password here spends the account's sign-in ceiling too.
  const attempt = passwordChangeAttempt(row.id, row.username, ip);
  await beginPasswordAttempt(deps, attempt);
  if (!(await deps.passwords.verify(row.password_hash, input.currentPassword))) {
    await passwordAttemptFailed(deps, attempt);
    throw validationFailed(
      { currentPassword: 'is incorrect' },
      'The current password is incorrect',
    );
  }
  await passwordAttemptSucceeded(deps, attempt);
  if (isCommonPassword(input.newPassword)) {
    throw validationFailed({ newPassword: 'is too common; choose a less guessable password' });
  }
  await updateUser(deps.db, actor.userId, {
    password_hash: await deps.passwords.hash(input.newPassword),
  });
  const ids = await revokeSessions(deps.db, actor.userId, deps.now(), { except: actor.sessionId });
  return {
    data: null,
    events: ids.length ? [{ type: 'sessions.revoked', userId: actor.userId, sessionIds: ids }] : [],
  };
}

/** Active users matching a query by username or display name. */
export async function searchUsers(
  deps: Deps,
  actor: Actor,
  query: SearchUsersQuery,
): Promise<PublicUser[]> {
  await throttle(
    deps,
    `search:${actor.userId}`,
    deps.config.rateLimits.searchesPerMinute,
    60_000,
    'searches',
  );
  const rows = await searchUserRows(deps.db, query.query, query.limit);
  return rows.map((r) => toPublicUser(r, deps.presence));
}

/** One user's public profile. */
export async function getUser(deps: Deps, id: number): Promise<PublicUser> {
  const row = await findUserById(deps.db, id);
  if (!row) throw notFound('No such user');
  return toPublicUser(row, deps.presence);
}
