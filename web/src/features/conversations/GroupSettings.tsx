import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { LIMITS } from '../../../../protocol/limits.js';
import type { Conversation, Member, Role } from '../../../../protocol/schemas/conversations.js';
import { ApiError, errorMessage } from '../../lib/http.js';
import { navigate } from '../../lib/router.js';
import { Avatar } from '../../ui/Avatar.js';
import { ConfirmDialog } from '../../ui/Dialog.js';
import { Field, Spinner } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe, usePresenceLive } from '../realtime/ChatContext.js';
import { ProfileTrigger } from '../users/ProfileCard.js';
import { UserSearch } from '../users/UserSearch.js';
import { conversationsApi } from './api.js';

const ROLE_ORDER: Record<Role, number> = { owner: 0, admin: 1, member: 2 };
const ROLE_LABEL: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

type Pending =
  | { kind: 'remove'; member: Member }
  | { kind: 'transfer'; member: Member }
  | { kind: 'leave' }
  | { kind: 'delete' };

/** What I may do in a group, by my role (the server checks again). */
export function groupPermissions(myRole: Role | null) {
  const owner = myRole === 'owner';
  const admin = myRole === 'admin';
  return {
    edit: owner || admin,
    addMembers: owner || admin,
    changeRoles: owner,
    transfer: owner,
    delete: owner,
    /** Owners remove anyone but themselves; admins remove plain members. */
    remove: (target: Member, myId: number) =>
      target.user.id !== myId && (owner || (admin && target.role === 'member')),
  };
}

/** The group's settings: about, members and roles, leave and delete. */
export function GroupSettings({ c }: { c: Conversation }) {
  const client = useClient();
  const me = useMe();
  const membersMap = useChat(useCallback((s: ChatState) => s.members[c.id], [c.id]));
  const can = groupPermissions(c.myRole);
  const live = usePresenceLive();
  const [name, setName] = useState(c.name ?? '');
  const [topic, setTopic] = useState(c.topic ?? '');
  const [isPrivate, setPrivate] = useState(c.isPrivate);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState<Pending | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);

  useEffect(() => {
    void client.loadDetails(c.id);
  }, [client, c.id]);

  useEffect(() => {
    setName(c.name ?? '');
    setTopic(c.topic ?? '');
    setPrivate(c.isPrivate);
  }, [c.name, c.topic, c.isPrivate]);

  const close = useCallback(() => navigate(`/c/${c.id}`), [c.id]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !document.querySelector('dialog[open]')) close();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [close]);

  const members = useMemo(
    () =>
      Object.values(membersMap ?? {}).sort(
        (a, b) =>
          ROLE_ORDER[a.role] - ROLE_ORDER[b.role] ||
          a.user.displayName.localeCompare(b.user.displayName),
      ),
    [membersMap],
  );

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const save = (e: FormEvent) => {
    e.preventDefault();
    setFields({});
    setSaved(false);
    void run(async () => {
      try {
        const updated = await conversationsApi.update(c.id, {
          name: name.trim(),
          topic: topic.trim(),
          isPrivate,
        });
        client.adopt(updated);
        setSaved(true);
      } catch (err) {
        if (err instanceof ApiError) setFields(err.fields);
        throw err;
      }
    });
  };

  const changeRole = (m: Member, role: Role) =>
    void run(async () => {
      await conversationsApi.changeRole(c.id, m.user.id, role);
      await client.loadDetails(c.id);
    });

  const confirmed = async () => {
    if (!confirm) return;
    setBusy(true);
    setConfirmError(null);
    try {
      switch (confirm.kind) {
        case 'remove':
          await conversationsApi.removeMember(c.id, confirm.member.user.id);
          await client.loadDetails(c.id);
          break;
        case 'transfer':
          await conversationsApi.changeRole(c.id, confirm.member.user.id, 'owner');
          await client.loadDetails(c.id);
          break;
        case 'leave':
          client.expectRemoval(c.id);
          await conversationsApi.leave(c.id);
          client.forget(c.id);
          navigate('/');
          break;
        case 'delete':
          client.expectRemoval(c.id);
          await conversationsApi.remove(c.id);
          client.forget(c.id);
          navigate('/');
          break;
      }
      setConfirm(null);
    } catch (err) {
      setConfirmError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const dirty =
    name.trim() !== (c.name ?? '') || topic.trim() !== (c.topic ?? '') || isPrivate !== c.isPrivate;

  return (
    <aside className="panel" aria-labelledby="settings-title" data-testid="group-settings">
      <header className="panel__header">
        <h2 id="settings-title">Group settings</h2>
        <button type="button" className="icon-button" onClick={close} aria-label="Close settings">
          <Icon name="close" />
        </button>
      </header>
      <div className="panel__body">
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}

        <section className="panel__section">
          <h3>About</h3>
          {can.edit ? (
            <form className="form" onSubmit={save}>
              <Field
                label="Name"
                value={name}
                onChange={(e) => setName(e.target.value)}
                maxLength={LIMITS.groupNameMax}
                required
                error={fields.name}
              />
              <Field
                label="Topic"
                value={topic}
                onChange={(e) => setTopic(e.target.value)}
                maxLength={LIMITS.topicMax}
                placeholder="Add a topic"
                error={fields.topic}
              />
              <label className="switch">
                <input
                  type="checkbox"
                  checked={isPrivate}
                  onChange={(e) => setPrivate(e.target.checked)}
                />
                <span className="switch__track" aria-hidden="true" />
                <span>Private group (only added people can join)</span>
              </label>
              <div className="form__actions">
                {saved && !dirty && <span className="form-ok">Saved</span>}
                <button type="submit" className="button button--primary" disabled={busy || !dirty}>
                  Save changes
                </button>
              </div>
            </form>
          ) : (
            <dl className="about">
              <dt>Name</dt>
              <dd>{c.name}</dd>
              <dt>Topic</dt>
              <dd>{c.topic || <span className="muted">No topic</span>}</dd>
              <dt>Visibility</dt>
              <dd>{c.isPrivate ? 'Private' : 'Public'}</dd>
            </dl>
          )}
        </section>

        <section className="panel__section">
          <div className="panel__section-head">
            <h3>
              Members <span className="muted">{c.memberCount}</span>
            </h3>
            {can.addMembers && (
              <button
                type="button"
                className="button button--small button--ghost"
                onClick={() => setAdding((a) => !a)}
                aria-expanded={adding}
              >
                <Icon name="plus" size={16} /> Add people
              </button>
            )}
          </div>
          {adding && can.addMembers && (
            <UserSearch
              placeholder="Search people to add"
              exclude={new Set(members.map((m) => m.user.id))}
              actionLabel="Add"
              autoFocus
              onPick={(u) =>
                void run(async () => {
                  await conversationsApi.addMembers(c.id, [u.id]);
                  await client.loadDetails(c.id);
                })
              }
            />
          )}
          {!membersMap ? (
            <Spinner />
          ) : (
            <ul className="members">
              {members.map((m) => {
                const self = m.user.id === me.id;
                return (
                  <li key={m.user.id} className="member" data-testid="member">
                    <ProfileTrigger userId={m.user.id} name={m.user.displayName}>
                      <Avatar
                        name={m.user.displayName}
                        url={m.user.avatarUrl}
                        seed={m.user.id}
                        size={36}
                        online={live && m.user.online}
                      />
                    </ProfileTrigger>
                    <span className="member__text">
                      <span className="member__name">
                        {m.user.displayName}
                        {self && <span className="muted"> (you)</span>}
                      </span>
                      <span className="member__sub">@{m.user.username}</span>
                    </span>
                    {can.changeRoles && !self && m.role !== 'owner' ? (
                      <select
                        className="member__role-select"
                        value={m.role}
                        aria-label={`Role of ${m.user.displayName}`}
                        disabled={busy}
                        onChange={(e) => changeRole(m, e.target.value as Role)}
                      >
                        <option value="admin">Admin</option>
                        <option value="member">Member</option>
                      </select>
                    ) : (
                      <span className={`role role--${m.role}`}>{ROLE_LABEL[m.role]}</span>
                    )}
                    {(can.transfer && !self) || can.remove(m, me.id) ? (
                      <span className="member__actions">
                        {can.transfer && !self && (
                          <button
                            type="button"
                            className="icon-button icon-button--small"
                            title={`Make ${m.user.displayName} the owner`}
                            aria-label={`Make ${m.user.displayName} the owner`}
                            onClick={() => setConfirm({ kind: 'transfer', member: m })}
                          >
                            <Icon name="shield" size={18} />
                          </button>
                        )}
                        {can.remove(m, me.id) && (
                          <button
                            type="button"
                            className="icon-button icon-button--small icon-button--danger"
                            title={`Remove ${m.user.displayName}`}
                            aria-label={`Remove ${m.user.displayName}`}
                            onClick={() => setConfirm({ kind: 'remove', member: m })}
                          >
                            <Icon name="close" size={18} />
                          </button>
                        )}
                      </span>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          )}
        </section>

        <section className="panel__section panel__section--danger">
          <button
            type="button"
            className="button button--ghost button--block"
            onClick={() => setConfirm({ kind: 'leave' })}
          >
            <Icon name="logout" size={18} /> Leave group
          </button>
          {can.delete && (
            <button
              type="button"
              className="button button--danger button--block"
              onClick={() => setConfirm({ kind: 'delete' })}
            >
              <Icon name="trash" size={18} /> Delete group
            </button>
          )}
        </section>
      </div>

      {confirm && (
        <ConfirmDialog
          title={
            confirm.kind === 'remove'
              ? 'Remove member?'
              : confirm.kind === 'transfer'
                ? 'Transfer ownership?'
                : confirm.kind === 'leave'
                  ? 'Leave group?'
                  : 'Delete group?'
          }
          message={
            confirm.kind === 'remove'
              ? `${confirm.member.user.displayName} will no longer see new messages in “${c.name}”.`
              : confirm.kind === 'transfer'
                ? `${confirm.member.user.displayName} becomes the owner of “${c.name}”; you stay an admin.`
                : confirm.kind === 'leave'
                  ? c.myRole === 'owner'
                    ? `You are the owner: ownership passes to the longest-standing admin or member.`
                    : `You can join again later if the group is public.`
                  : `“${c.name}” and all its messages are deleted for everyone. This cannot be undone.`
          }
          confirmLabel={
            confirm.kind === 'remove'
              ? 'Remove'
              : confirm.kind === 'transfer'
                ? 'Transfer'
                : confirm.kind === 'leave'
                  ? 'Leave'
                  : 'Delete'
          }
          danger={confirm.kind !== 'transfer'}
          busy={busy}
          error={confirmError}
          onConfirm={() => void confirmed()}
          onClose={() => {
            setConfirm(null);
            setConfirmError(null);
          }}
        />
      )}
    </aside>
  );
}
