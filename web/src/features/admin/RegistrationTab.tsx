import { useEffect, useId, useState, type FormEvent } from 'react';
import { ADMIN_LIMITS, type Invite } from '../../../../protocol/schemas/admin.js';
import type { RegistrationMode } from '../../../../protocol/schemas/server-info.js';
import { ApiError, errorMessage } from '../../lib/http.js';
import { formatFull, formatListTime } from '../../lib/time.js';
import { Field, Spinner } from '../../ui/Field.js';
import { Icon, type IconName } from '../../ui/Icon.js';
import { adminApi, inviteLink } from './api.js';

const MODES: Array<{ value: RegistrationMode; label: string; hint: string; icon: IconName }> = [
  {
    value: 'open',
    label: 'Open',
    hint: 'Anyone who can reach this server can create an account',
    icon: 'globe',
  },
  {
    value: 'invite-only',
    label: 'Invite only',
    hint: 'New accounts need an invite link from an admin',
    icon: 'at',
  },
  {
    value: 'closed',
    label: 'Closed',
    hint: 'Nobody can sign up; existing accounts keep working',
    icon: 'lock',
  },
];

const EXPIRIES: Array<{ hours: number; label: string }> = [
  { hours: 1, label: '1 hour' },
  { hours: 24, label: '1 day' },
  { hours: 24 * 7, label: '7 days' },
  { hours: 24 * 30, label: '30 days' },
];

const STATUS: Record<Invite['status'], { label: string; className: string }> = {
  active: { label: 'Active', className: 'pill--ok' },
  expired: { label: 'Expired', className: 'pill--off' },
  used_up: { label: 'Used up', className: 'pill--off' },
  revoked: { label: 'Revoked', className: 'pill--off' },
};

/** Copies text; false where the browser does not allow it (the text stays on screen). */
async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function ModeChoice() {
  const [mode, setMode] = useState<RegistrationMode | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState('');
  useEffect(() => {
    adminApi.settings().then(
      (s) => setMode(s.registrationMode),
      (err: unknown) => setError(errorMessage(err)),
    );
  }, []);
  const choose = async (next: RegistrationMode) => {
    const before = mode;
    setMode(next);
    setError(null);
    setSaved('');
    try {
      const s = await adminApi.setRegistrationMode(next);
      setMode(s.registrationMode);
      setSaved(
        `Saved: registration is ${MODES.find((m) => m.value === next)!.label.toLowerCase()}.`,
      );
    } catch (err) {
      setMode(before);
      setError(errorMessage(err));
    }
  };
  if (mode === null) return error ? <p className="form-error">{error}</p> : <Spinner />;
  return (
    <>
      <fieldset className="choice admin-modes">
        <legend className="sr-only">Registration mode</legend>
        {MODES.map((m) => (
          <label
            key={m.value}
            className={`choice__option${mode === m.value ? ' choice__option--on' : ''}`}
          >
            <input
              type="radio"
              name="registration-mode"
              value={m.value}
              checked={mode === m.value}
              onChange={() => void choose(m.value)}
            />
            <Icon name={m.icon} />
            <span>
              <strong>{m.label}</strong>
              <small>{m.hint}</small>
            </span>
          </label>
        ))}
      </fieldset>
      <p className="form-ok admin-saved" role="status">
        {saved}
      </p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

function InviteItem({ invite, onRevoke }: { invite: Invite; onRevoke: () => void }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const status = STATUS[invite.status];
  const link = inviteLink(invite.token);
  const created = formatListTime(invite.createdAt);
  return (
    <li className="invite" data-testid="invite">
      <span className="invite__text">
        <strong>
          Invite #{invite.id}
          <span className={`pill ${status.className}`}>{status.label}</span>
        </strong>
        <span className="muted">
          created {created} · {invite.uses} of {invite.maxUses}{' '}
          {invite.maxUses === 1 ? 'use' : 'uses'} ·{' '}
          {invite.status === 'expired' ? 'expired' : 'expires'}{' '}
          <time dateTime={invite.expiresAt} title={formatFull(invite.expiresAt)}>
            {formatFull(invite.expiresAt)}
          </time>
        </span>
        <code className="invite__link">{link}</code>
      </span>
      <span className="invite__actions">
        {invite.status === 'active' && (
          <>
            <button
              type="button"
              className="button button--small button--ghost"
              onClick={() => void copy(link).then(setCopied)}
              aria-label={`Copy the link of invite #${invite.id}`}
            >
              <Icon name="copy" size={16} /> {copied ? 'Copied' : 'Copy link'}
            </button>
            <button
              type="button"
              className="button button--small button--ghost admin-danger"
              onClick={onRevoke}
              aria-label={`Revoke invite #${invite.id}`}
            >
              Revoke
            </button>
          </>
        )}
      </span>
      {copied === false && (
        <span className="field__hint invite__hint" role="status">
          Copying is not allowed here: select the link and copy it.
        </span>
      )}
    </li>
  );
}

function Invites() {
  const expiresId = useId();
  const [invites, setInvites] = useState<Invite[] | null>(null);
  const [hours, setHours] = useState(24 * 7);
  const [uses, setUses] = useState('1');
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Invite | null>(null);
  const [copied, setCopied] = useState<boolean | null>(null);

  const load = () =>
    adminApi.invites().then(setInvites, (err: unknown) => setError(errorMessage(err)));
  useEffect(() => {
    void load();
  }, []);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setFields({});
    setError(null);
    const maxUses = Number(uses);
    if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > ADMIN_LIMITS.inviteUsesMax) {
      setFields({ maxUses: `Enter a whole number from 1 to ${ADMIN_LIMITS.inviteUsesMax}` });
      return;
    }
    setBusy(true);
    try {
      const invite = await adminApi.createInvite({ expiresInHours: hours, maxUses });
      setCreated(invite);
      setCopied(null);
      setInvites((list) => [invite, ...(list ?? [])]);
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) setFields(err.fields);
      else setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (invite: Invite) => {
    setError(null);
    try {
      await adminApi.revokeInvite(invite.id);
      if (created?.id === invite.id) setCreated(null);
      await load();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <>
      <form className="invite-form" onSubmit={(e) => void create(e)} noValidate>
        <div className="field">
          <label htmlFor={expiresId}>Expires after</label>
          <select id={expiresId} value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {EXPIRIES.map((x) => (
              <option key={x.hours} value={x.hours}>
                {x.label}
              </option>
            ))}
          </select>
        </div>
        <Field
          label="Number of uses"
          type="number"
          inputMode="numeric"
          min={1}
          max={ADMIN_LIMITS.inviteUsesMax}
          value={uses}
          onChange={(e) => setUses(e.target.value)}
          error={fields.maxUses}
        />
        <button type="submit" className="button button--primary" disabled={busy}>
          <Icon name="plus" size={18} /> Create invite
        </button>
      </form>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {created && (
        <div className="invite-created" role="status">
          <p>
            <strong>Invite link created.</strong> Send it to the people you invite; anyone with it
            can sign up {created.maxUses === 1 ? 'once' : `${created.maxUses} times`}.
          </p>
          <div className="invite-created__row">
            <input
              readOnly
              value={inviteLink(created.token)}
              aria-label="New invite link"
              data-testid="new-invite-link"
              onFocus={(e) => e.currentTarget.select()}
            />
            <button
              type="button"
              className="button button--ghost"
              onClick={() => void copy(inviteLink(created.token)).then(setCopied)}
            >
              <Icon name="copy" size={16} /> {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
          {copied === false && (
            <p className="field__hint">Copying is not allowed here: select the link and copy it.</p>
          )}
        </div>
      )}
      {invites === null ? (
        !error && <Spinner label="Loading invites" />
      ) : invites.length === 0 ? (
        <p className="muted admin-empty">No invite links yet.</p>
      ) : (
        <ul className="invites" aria-label="Invite links">
          {invites.map((i) => (
            <InviteItem key={i.id} invite={i} onRevoke={() => void revoke(i)} />
          ))}
        </ul>
      )}
    </>
  );
}

/** Who may sign up, and the invite links that let people in while it is invite-only. */
export function RegistrationTab() {
  return (
    <>
      <section className="card" aria-labelledby="admin-mode-title">
        <h2 id="admin-mode-title">Who can sign up</h2>
        <ModeChoice />
      </section>
      <section className="card" aria-labelledby="admin-invites-title">
        <h2 id="admin-invites-title">Invite links</h2>
        <p className="muted admin-lead">
          While registration is invite-only, only people with one of these links can create an
          account. The first account of a new server never needs one.
        </p>
        <Invites />
      </section>
    </>
  );
}
