import { useEffect, useState } from 'react';
import type { AdminUser } from '../../../../protocol/schemas/admin.js';
import { LIMITS } from '../../../../protocol/limits.js';
import { errorMessage } from '../../lib/http.js';
import { formatFull, formatListTime } from '../../lib/time.js';
import { Avatar } from '../../ui/Avatar.js';
import { ConfirmDialog } from '../../ui/Dialog.js';
import { Spinner } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { useMe } from '../realtime/ChatContext.js';
import { adminApi } from './api.js';

type Confirm = { kind: 'deactivate' | 'signout'; user: AdminUser };

function When({ iso, empty }: { iso: string | null; empty: string }) {
  if (!iso) return <span className="muted">{empty}</span>;
  return (
    <time dateTime={iso} title={formatFull(iso)}>
      {formatListTime(iso)}
    </time>
  );
}

/** Active or deactivated, admin, online: what a row's badges say. */
function Badges({ u }: { u: AdminUser }) {
  return (
    <span className="pills">
      {u.isActive ? (
        <span className="pill pill--ok">Active</span>
      ) : (
        <span className="pill pill--off">Deactivated</span>
      )}
      {u.isAdmin && <span className="pill pill--accent">Admin</span>}
      {u.online && <span className="pill">Online</span>}
    </span>
  );
}

function UserRow({
  u,
  self,
  busy,
  onAdmin,
  onActivate,
  onAsk,
}: {
  u: AdminUser;
  self: boolean;
  busy: boolean;
  onAdmin: (on: boolean) => void;
  onActivate: () => void;
  onAsk: (kind: Confirm['kind']) => void;
}) {
  return (
    <li className="admin-user" data-testid="admin-user" data-username={u.username}>
      <Avatar name={u.displayName} url={u.avatarUrl} seed={u.id} size={40} />
      <div className="admin-user__main">
        <div className="admin-user__name">
          <strong>{u.displayName}</strong>
          {self && <span className="tag">You</span>}
          <Badges u={u} />
        </div>
        <div className="admin-user__line">
          @{u.username} · {u.email}
        </div>
        <div className="admin-user__line">
          Joined <When iso={u.createdAt} empty="" /> · last seen{' '}
          {u.online ? 'now' : <When iso={u.lastSeenAt} empty="never" />} · {u.sessionCount}{' '}
          {u.sessionCount === 1 ? 'session' : 'sessions'}
        </div>
      </div>
      <div className="admin-user__actions">
        <label className="switch" title={self ? 'You cannot remove your own admin rights' : ''}>
          <input
            type="checkbox"
            role="switch"
            checked={u.isAdmin}
            disabled={self || busy}
            onChange={(e) => onAdmin(e.target.checked)}
            aria-label={`Admin rights for ${u.displayName}`}
          />
          <span className="switch__track" aria-hidden="true" />
          <span>Admin</span>
        </label>
        <button
          type="button"
          className="button button--small button--ghost"
          onClick={() => onAsk('signout')}
          disabled={busy}
          aria-label={`Sign out ${u.displayName} everywhere`}
        >
          <Icon name="logout" size={16} /> Sign out
        </button>
        {u.isActive ? (
          <button
            type="button"
            className="button button--small button--ghost admin-danger"
            onClick={() => onAsk('deactivate')}
            disabled={self || busy}
            aria-label={`Deactivate ${u.displayName}`}
          >
            Deactivate
          </button>
        ) : (
          <button
            type="button"
            className="button button--small button--ghost"
            onClick={onActivate}
            disabled={busy}
            aria-label={`Reactivate ${u.displayName}`}
          >
            Reactivate
          </button>
        )}
      </div>
    </li>
  );
}

/** Users: search, status at a glance, and the actions an admin takes on an account. */
export function UsersTab() {
  const me = useMe();
  const [query, setQuery] = useState('');
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const [busyId, setBusyId] = useState<number | null>(null);
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);
  const [said, setSaid] = useState('');

  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      adminApi.users(query.trim(), null).then(
        (page) => {
          if (!live) return;
          setUsers(page.users);
          setCursor(page.nextCursor);
          setError(null);
        },
        (err: unknown) => live && setError(errorMessage(err)),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [query]);

  const loadMore = async () => {
    if (!cursor) return;
    setMore(true);
    try {
      const page = await adminApi.users(query.trim(), cursor);
      setUsers((list) => [...(list ?? []), ...page.users]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setMore(false);
    }
  };

  const patch = (id: number, change: Partial<AdminUser>) =>
    setUsers((list) => list?.map((u) => (u.id === id ? { ...u, ...change } : u)) ?? list);

  const setAdmin = async (u: AdminUser, on: boolean) => {
    setBusyId(u.id);
    setError(null);
    try {
      const user = await adminApi.updateUser(u.id, { isAdmin: on });
      patch(u.id, { isAdmin: user.isAdmin });
      setSaid(`${u.displayName} ${user.isAdmin ? 'is now' : 'is no longer'} a server admin.`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusyId(null);
    }
  };

  const reactivate = async (u: AdminUser) => {
    setBusyId(u.id);
    setError(null);
    try {
      await adminApi.updateUser(u.id, { isActive: true });
      patch(u.id, { isActive: true });
      setSaid(`${u.displayName} was reactivated.`);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusyId(null);
    }
  };

  const confirmed = async () => {
    if (!confirm) return;
    const { kind, user: u } = confirm;
    setBusyId(u.id);
    setConfirmError(null);
    try {
      if (kind === 'deactivate') {
        await adminApi.updateUser(u.id, { isActive: false });
        patch(u.id, { isActive: false, sessionCount: 0, online: false });
        setSaid(`${u.displayName} was deactivated and signed out everywhere.`);
      } else {
        const r = await adminApi.signOutEverywhere(u.id);
        patch(u.id, { sessionCount: 0, online: false });
        setSaid(
          `${u.displayName} was signed out of ${r.revoked} session${r.revoked === 1 ? '' : 's'}.`,
        );
      }
      setConfirm(null);
    } catch (err) {
      setConfirmError(errorMessage(err));
    } finally {
      setBusyId(null);
    }
  };

  return (
    <>
      <div className="search-box search-box--large admin-search">
        <Icon name="search" size={18} />
        <input
          type="search"
          placeholder="Search by username, name or email"
          aria-label="Search users"
          value={query}
          maxLength={LIMITS.searchQueryMax}
          onChange={(e) => setQuery(e.target.value)}
        />
      </div>
      <p className="sr-only" role="status">
        {said}
      </p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {users === null ? (
        !error && <Spinner label="Loading users" />
      ) : users.length === 0 ? (
        <p className="muted admin-empty">No user matches “{query.trim()}”.</p>
      ) : (
        <ul className="card admin-users" aria-label="Users">
          {users.map((u) => (
            <UserRow
              key={u.id}
              u={u}
              self={u.id === me.id}
              busy={busyId === u.id}
              onAdmin={(on) => void setAdmin(u, on)}
              onActivate={() => void reactivate(u)}
              onAsk={(kind) => {
                setConfirmError(null);
                setConfirm({ kind, user: u });
              }}
            />
          ))}
        </ul>
      )}
      {cursor && (
        <div className="admin-more">
          <button
            type="button"
            className="button button--ghost"
            onClick={() => void loadMore()}
            disabled={more}
          >
            Show more users
          </button>
        </div>
      )}
      {confirm && (
        <ConfirmDialog
          title={
            confirm.kind === 'deactivate'
              ? `Deactivate ${confirm.user.displayName}?`
              : `Sign out ${confirm.user.displayName} everywhere?`
          }
          message={
            confirm.kind === 'deactivate'
              ? 'They are signed out everywhere at once and cannot sign in again until an admin reactivates the account. Their messages stay.'
              : 'Every session of theirs ends at once, in every browser and app. They can sign in again with their password.'
          }
          confirmLabel={confirm.kind === 'deactivate' ? 'Deactivate' : 'Sign out everywhere'}
          danger
          busy={busyId === confirm.user.id}
          error={confirmError}
          onConfirm={() => void confirmed()}
          onClose={() => setConfirm(null)}
        />
      )}
    </>
  );
}
