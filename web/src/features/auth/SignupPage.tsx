import { useState, type FormEvent } from 'react';
import { LIMITS } from '../../../../protocol/limits.js';
import { ApiError, errorMessage } from '../../lib/http.js';
import { Link, navigate, safeNext, useLocation } from '../../lib/router.js';
import { Field } from '../../ui/Field.js';
import { authApi } from './api.js';
import { AuthLayout } from './AuthLayout.js';
import { preloadChat, signedIn } from './session.js';
import { useServerInfo } from './server-info.js';

/** The token of an invite, pasted as a whole link (…/signup?invite=TOKEN) or as the token. */
export function inviteTokenOf(text: string): string {
  const raw = text.trim();
  try {
    const fromLink = new URL(raw).searchParams.get('invite');
    if (fromLink) return fromLink.trim();
  } catch {
    // not a link: the token itself
  }
  return raw;
}

/** What the page says while the server takes no sign-ups. */
function Closed({ next }: { next: string }) {
  return (
    <AuthLayout
      title="Registration is closed"
      subtitle="This server is not taking new sign-ups right now."
      footer={
        <>
          Already have an account?{' '}
          <Link to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`}>
            Sign in
          </Link>
        </>
      }
    >
      <p className="notice" data-testid="registration-closed">
        Ask an admin of this server for an account.
      </p>
    </AuthLayout>
  );
}

/** Create an account; the server's field errors show under each field. */
export function SignupPage() {
  const { search } = useLocation();
  const next = safeNext(search.get('next'));
  const info = useServerInfo();
  const invited = search.get('invite') ?? '';
  const [invite, setInvite] = useState(invited);
  const [form, setForm] = useState({
    username: '',
    displayName: '',
    email: '',
    password: '',
    confirm: '',
  });
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Unknown (still loading, or unreachable): as open; the server decides in the end.
  const mode = info?.registrationMode ?? 'open';
  const askInvite = mode === 'invite-only' || fields.inviteToken !== undefined;
  const set = (k: keyof typeof form) => (v: string) => {
    setForm((f) => ({ ...f, [k]: v }));
    if (fields[k]) setFields(({ [k]: _, ...rest }) => rest);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (form.password !== form.confirm) {
      setFields({ confirm: 'The two passwords do not match' });
      return;
    }
    setBusy(true);
    setFields({});
    try {
      const result = await authApi.register({
        username: form.username.trim(),
        email: form.email.trim(),
        password: form.password,
        ...(form.displayName.trim() ? { displayName: form.displayName.trim() } : {}),
        ...((mode !== 'open' || info === null) && inviteTokenOf(invite)
          ? { inviteToken: inviteTokenOf(invite) }
          : {}),
      });
      await signedIn(result);
      navigate(next, { replace: true });
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) setFields(err.fields);
      else setError(errorMessage(err));
      setBusy(false);
    }
  };

  if (mode === 'closed') return <Closed next={next} />;

  return (
    <AuthLayout
      title="Create your account"
      subtitle="Chat with your team and friends, on your own server."
      footer={
        <>
          Already have an account?{' '}
          <Link to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`}>
            Sign in
          </Link>
        </>
      }
    >
      <form
        className="form"
        onSubmit={(e) => void submit(e)}
        // The chat's code downloads once the form is being filled in (not on the autofocus, so a
        // first visit loads only the sign-in page).
        onInput={preloadChat}
        noValidate
      >
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {askInvite && (
          <>
            {invited ? (
              <p className="notice" data-testid="invited">
                You were invited to this server: choose your name and password.
              </p>
            ) : (
              <p className="notice">
                This server is invite-only: paste the invite link you were sent.
              </p>
            )}
            <Field
              label="Invite link"
              name="inviteToken"
              value={invite}
              onChange={(e) => {
                setInvite(e.target.value);
                if (fields.inviteToken) setFields(({ inviteToken: _, ...rest }) => rest);
              }}
              autoComplete="off"
              spellCheck={false}
              error={fields.inviteToken}
              required
            />
          </>
        )}
        <Field
          label="Username"
          name="username"
          value={form.username}
          onChange={(e) => set('username')(e.target.value)}
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={LIMITS.usernameMax}
          hint="Letters, digits, “_”, “.” and “-”"
          error={fields.username}
          autoFocus
          required
        />
        <Field
          label="Display name"
          name="displayName"
          value={form.displayName}
          onChange={(e) => set('displayName')(e.target.value)}
          autoComplete="name"
          maxLength={LIMITS.displayNameMax}
          hint="How others see you (optional)"
          error={fields.displayName}
        />
        <Field
          label="Email"
          name="email"
          type="email"
          value={form.email}
          onChange={(e) => set('email')(e.target.value)}
          autoComplete="email"
          error={fields.email}
          required
        />
        <Field
          label="Password"
          name="password"
          type="password"
          value={form.password}
          onChange={(e) => set('password')(e.target.value)}
          autoComplete="new-password"
          hint={`At least ${LIMITS.passwordMin} characters`}
          error={fields.password}
          required
        />
        <Field
          label="Confirm password"
          name="confirm"
          type="password"
          value={form.confirm}
          onChange={(e) => set('confirm')(e.target.value)}
          autoComplete="new-password"
          error={fields.confirm}
          required
        />
        <button
          type="submit"
          className="button button--primary button--block button--large"
          disabled={busy}
        >
          {busy ? 'Creating account…' : 'Create account'}
        </button>
      </form>
    </AuthLayout>
  );
}
