import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { SessionInfo } from '../../../../protocol/schemas/auth.js';
import { LIMITS } from '../../../../protocol/limits.js';
import { ApiError, errorMessage } from '../../lib/http.js';
import { Link } from '../../lib/router.js';
import { theme, useThemeChoice, type ThemeChoice } from '../../lib/theme.js';
import { formatFull, formatListTime } from '../../lib/time.js';
import { Avatar } from '../../ui/Avatar.js';
import { Field, Spinner } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { authApi } from '../auth/api.js';
import { signOut, updateMe } from '../auth/session.js';
import { useMe } from '../realtime/ChatContext.js';
import { usersApi } from '../users/api.js';
import { NotificationPreferences } from '../notifications/NotificationPreferences.js';

const ACCEPT = 'image/png,image/jpeg,image/gif,image/webp';

function AvatarSection() {
  const me = useMe();
  const input = useRef<HTMLInputElement>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);

  const choose = async (file: File) => {
    setError(null);
    const local = URL.createObjectURL(file);
    setPreview(local);
    setProgress(0);
    try {
      const user = await usersApi.uploadAvatar(file, setProgress);
      updateMe(user);
      setPreview(null);
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'unsupported_media_type'
          ? 'That file is not a PNG, JPEG, GIF or WebP image.'
          : errorMessage(err),
      );
      setPreview(null);
    } finally {
      setProgress(null);
      if (input.current) input.current.value = '';
    }
  };

  const remove = async () => {
    setError(null);
    try {
      updateMe(await usersApi.deleteAvatar());
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <div className="avatar-editor">
      <div className="avatar-editor__picture">
        {preview ? (
          <span className="avatar" style={{ width: 96, height: 96 }}>
            <img src={preview} alt="" data-testid="avatar-preview" />
          </span>
        ) : (
          <Avatar name={me.displayName} url={me.avatarUrl} seed={me.id} size={96} />
        )}
      </div>
      <div className="avatar-editor__controls">
        <input
          ref={input}
          type="file"
          accept={ACCEPT}
          hidden
          aria-label="Choose a profile photo"
          data-testid="avatar-input"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void choose(f);
          }}
        />
        <div className="avatar-editor__buttons">
          <button
            type="button"
            className="button button--ghost"
            onClick={() => input.current?.click()}
            disabled={progress !== null}
          >
            <Icon name="camera" size={18} /> {me.avatarUrl ? 'Change photo' : 'Upload photo'}
          </button>
          {me.avatarUrl && progress === null && (
            <button type="button" className="button button--ghost" onClick={() => void remove()}>
              Remove
            </button>
          )}
        </div>
        {progress !== null && (
          <div
            className="progress"
            role="progressbar"
            aria-label="Upload progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(progress * 100)}
          >
            <span style={{ width: `${Math.round(progress * 100)}%` }} />
          </div>
        )}
        <p className="field__hint">PNG, JPEG, GIF or WebP. It is cropped to a square.</p>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
      </div>
    </div>
  );
}

function ProfileForm() {
  const me = useMe();
  const [form, setForm] = useState({
    displayName: me.displayName,
    username: me.username,
    email: me.email,
    bio: me.bio,
  });
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (v: string) => {
    setSaved(false);
    setForm((f) => ({ ...f, [k]: v }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setFields({});
    setError(null);
    const change: Record<string, string> = {};
    if (form.displayName.trim() !== me.displayName) change.displayName = form.displayName.trim();
    if (form.username.trim() !== me.username) change.username = form.username.trim();
    if (form.email.trim() !== me.email) change.email = form.email.trim();
    if (form.bio !== me.bio) change.bio = form.bio;
    try {
      if (Object.keys(change).length) updateMe(await usersApi.updateMe(change));
      setSaved(true);
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) setFields(err.fields);
      else setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)}>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="form__row">
        <Field
          label="Display name"
          value={form.displayName}
          onChange={(e) => set('displayName')(e.target.value)}
          maxLength={LIMITS.displayNameMax}
          error={fields.displayName}
          required
        />
        <Field
          label="Username"
          value={form.username}
          onChange={(e) => set('username')(e.target.value)}
          maxLength={LIMITS.usernameMax}
          error={fields.username}
          autoComplete="username"
          required
        />
      </div>
      <Field
        label="Email"
        type="email"
        value={form.email}
        onChange={(e) => set('email')(e.target.value)}
        error={fields.email}
        autoComplete="email"
        required
      />
      <div className={`field${fields.bio ? ' field--invalid' : ''}`}>
        <label htmlFor="bio">Bio</label>
        <textarea
          id="bio"
          rows={3}
          value={form.bio}
          maxLength={LIMITS.bioMax}
          onChange={(e) => set('bio')(e.target.value)}
          placeholder="A few words about you"
        />
        {fields.bio && <p className="field__error">{fields.bio}</p>}
      </div>
      <div className="form__actions">
        {saved && <span className="form-ok">Saved</span>}
        <button type="submit" className="button button--primary" disabled={busy}>
          Save profile
        </button>
      </div>
    </form>
  );
}

function PasswordForm({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFields({});
    setError(null);
    setDone(false);
    if (next !== confirm) {
      setFields({ confirm: 'The two passwords do not match' });
      return;
    }
    setBusy(true);
    try {
      await usersApi.changePassword(current, next);
      setDone(true);
      onChanged();
      setCurrent('');
      setNext('');
      setConfirm('');
    } catch (err) {
      if (err instanceof ApiError && err.code === 'invalid_credentials') {
        setFields({ currentPassword: 'That is not your current password' });
      } else if (err instanceof ApiError && Object.keys(err.fields).length) setFields(err.fields);
      else setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)}>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {done && (
        <p className="form-ok" role="status">
          Password changed. Your other sessions were signed out.
        </p>
      )}
      <Field
        label="Current password"
        type="password"
        value={current}
        onChange={(e) => setCurrent(e.target.value)}
        autoComplete="current-password"
        error={fields.currentPassword}
        required
      />
      <div className="form__row">
        <Field
          label="New password"
          type="password"
          value={next}
          onChange={(e) => setNext(e.target.value)}
          autoComplete="new-password"
          error={fields.newPassword}
          hint={`At least ${LIMITS.passwordMin} characters`}
          required
        />
        <Field
          label="Confirm new password"
          type="password"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          autoComplete="new-password"
          error={fields.confirm}
          required
        />
      </div>
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={busy}>
          Change password
        </button>
      </div>
    </form>
  );
}

/** "Chrome on Linux" from a user agent, good enough for a sessions list. */
export function describeAgent(ua: string | null): string {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : /curl|node|undici/i.test(ua)
            ? 'API client'
            : 'Browser';
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /Android/.test(ua)
      ? 'Android'
      : /iPhone|iPad/.test(ua)
        ? 'iOS'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return os ? `${browser} on ${os}` : browser;
}

/** Where I am signed in; `version` changes when they may have changed (a password change). */
function Sessions({ version }: { version: number }) {
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () =>
    authApi.sessions().then(
      (s) => setSessions(s),
      (err: unknown) => setError(errorMessage(err)),
    );
  useEffect(() => {
    void load();
  }, [version]);
  const others = sessions?.filter((s) => !s.current) ?? [];
  // The server revokes sessions one at a time; a failure stops nothing else.
  const revokeOthers = async () => {
    setError(null);
    setBusy(true);
    const results = await Promise.allSettled(others.map((s) => authApi.revokeSession(s.id)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) setError(errorMessage(failed.reason));
    await load();
    setBusy(false);
  };
  const revoke = async (s: SessionInfo) => {
    setError(null);
    if (s.current) {
      await signOut();
      return;
    }
    try {
      await authApi.revokeSession(s.id);
      await load();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  if (!sessions) return error ? <p className="form-error">{error}</p> : <Spinner />;
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <ul className="sessions">
        {sessions.map((s) => (
          <li key={s.id} className="session" data-testid="session">
            <Icon name="monitor" />
            <span className="session__text">
              <strong>
                {describeAgent(s.userAgent)}
                {s.current && <span className="tag">This browser</span>}
              </strong>
              <span className="muted" title={formatFull(s.lastActiveAt)}>
                {s.ip ?? 'unknown address'} · active {formatListTime(s.lastActiveAt)} · signed in{' '}
                {formatListTime(s.createdAt)}
              </span>
            </span>
            <button
              type="button"
              className="button button--small button--ghost"
              onClick={() => void revoke(s)}
            >
              Sign out
            </button>
          </li>
        ))}
      </ul>
      {others.length > 0 && (
        <div className="form__actions">
          <button
            type="button"
            className="button button--ghost"
            onClick={() => void revokeOthers()}
            disabled={busy}
          >
            <Icon name="logout" size={18} /> Sign out all other sessions
          </button>
        </div>
      )}
    </>
  );
}

const THEMES: Array<{ value: ThemeChoice; label: string; hint: string }> = [
  { value: 'system', label: 'System', hint: 'Follows your device' },
  { value: 'light', label: 'Light', hint: 'Always light' },
  { value: 'dark', label: 'Dark', hint: 'Always dark' },
];

/** Light, dark, or as the device is: kept for this user on this browser. */
function Appearance() {
  const me = useMe();
  const choice = useThemeChoice();
  return (
    <fieldset className="choice choice--row">
      <legend className="sr-only">Theme</legend>
      {THEMES.map((t) => (
        <label
          key={t.value}
          className={`choice__option${choice === t.value ? ' choice__option--on' : ''}`}
        >
          <input
            type="radio"
            name="theme"
            value={t.value}
            checked={choice === t.value}
            onChange={() => theme.set(me.id, t.value)}
          />
          <Icon name={t.value === 'dark' ? 'moon' : t.value === 'light' ? 'sun' : 'monitor'} />
          <span>
            <strong>{t.label}</strong>
            <small>{t.hint}</small>
          </span>
        </label>
      ))}
    </fieldset>
  );
}

/** My profile, photo, password and sessions. */
export function ProfilePage() {
  const [sessionsVersion, setSessionsVersion] = useState(0);
  return (
    <section className="page" aria-labelledby="profile-title">
      <header className="page__header">
        <Link to="/" className="icon-button page__back" aria-label="Back to conversations">
          <Icon name="back" />
        </Link>
        <h1 id="profile-title">Profile and settings</h1>
      </header>
      <div className="page__body page__body--narrow">
        <section className="card">
          <h2>Profile</h2>
          <AvatarSection />
          <ProfileForm />
        </section>
        <section className="card">
          <h2>Password</h2>
          <PasswordForm onChanged={() => setSessionsVersion((v) => v + 1)} />
        </section>
        <section className="card">
          <h2>Appearance</h2>
          <Appearance />
        </section>
        <section className="card">
          <h2>Notifications</h2>
          <NotificationPreferences />
        </section>
        <section className="card">
          <h2>Where you are signed in</h2>
          <Sessions version={sessionsVersion} />
        </section>
        <section className="card card--row">
          <div>
            <h2>Sign out</h2>
            <p className="muted">Sign out of Parley in this browser.</p>
          </div>
          <button type="button" className="button button--danger" onClick={() => void signOut()}>
            <Icon name="logout" size={18} /> Log out
          </button>
        </section>
      </div>
    </section>
  );
}
