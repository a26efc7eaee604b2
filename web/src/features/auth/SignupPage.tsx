import { useState, type FormEvent } from 'react';
import { LIMITS } from '../../../../protocol/limits.js';
import { ApiError, errorMessage } from '../../lib/http.js';
import { Link, navigate, safeNext, useLocation } from '../../lib/router.js';
import { Field } from '../../ui/Field.js';
import { authApi } from './api.js';
import { AuthLayout } from './AuthLayout.js';
import { preloadChat, signedIn } from './session.js';

/** Create an account; the server's field errors show under each field. */
export function SignupPage() {
  const { search } = useLocation();
  const next = safeNext(search.get('next'));
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
      });
      await signedIn(result);
      navigate(next, { replace: true });
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) setFields(err.fields);
      else setError(errorMessage(err));
      setBusy(false);
    }
  };

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
