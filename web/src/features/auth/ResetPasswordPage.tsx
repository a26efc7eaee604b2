import { useEffect, useRef, useState, type FormEvent } from 'react';
import { LIMITS } from '../../../../protocol/limits.js';
import type { PasswordResetConfirmInput } from '../../../../protocol/schemas/auth.js';
import { api, ApiError, errorMessage } from '../../lib/http.js';
import { Link, useLocation } from '../../lib/router.js';
import { Field } from '../../ui/Field.js';
import { AuthLayout } from './AuthLayout.js';

const signInLink = <Link to="/login">Back to sign in</Link>;

/** A link that is unknown, used or expired: the way to a new one. */
function DeadLink() {
  return (
    <AuthLayout
      title="This link does not work"
      subtitle="Password reset links work once, for a short time."
      footer={signInLink}
    >
      <p className="form-error" role="alert" data-testid="reset-link-invalid">
        This password reset link is invalid, already used or expired.
      </p>
      <p className="auth__footer">
        <Link to="/forgot-password">Ask for a new link</Link>
      </p>
    </AuthLayout>
  );
}

/** The page an emailed link opens: choose a new password, then sign in with it. */
export function ResetPasswordPage() {
  const { search } = useLocation();
  const token = search.get('token') ?? '';
  const [form, setForm] = useState({ password: '', confirm: '' });
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [deadLink, setDeadLink] = useState(token === '');
  const [done, setDone] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const doneRef = useRef<HTMLParagraphElement>(null);
  const set = (k: keyof typeof form) => (v: string) => {
    setForm((f) => ({ ...f, [k]: v }));
    if (fields[k]) setFields(({ [k]: _, ...rest }) => rest);
  };

  // Focus goes to what changed, so a screen reader reads it: the first field with an error
  // (read with its label), or the confirmation.
  useEffect(() => {
    const first = Object.keys(fields)[0];
    if (first) formRef.current?.querySelector<HTMLInputElement>(`input[name="${first}"]`)?.focus();
  }, [fields]);
  useEffect(() => {
    if (done) doneRef.current?.focus();
  }, [done]);

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
      const input: PasswordResetConfirmInput = { token, password: form.password };
      await api<void>('POST', '/api/auth/password-reset/confirm', input, { anonymous: true });
      setDone(true);
    } catch (err) {
      const bad: Record<string, string> = err instanceof ApiError ? err.fields : {};
      if (bad.token) setDeadLink(true);
      else if (bad.password) setFields({ password: bad.password });
      else setError(errorMessage(err));
      setBusy(false);
    }
  };

  if (deadLink) return <DeadLink />;
  if (done) {
    return (
      <AuthLayout title="Password changed" subtitle="You were signed out everywhere." footer={null}>
        <p className="notice" role="status" tabIndex={-1} ref={doneRef} data-testid="reset-done">
          Your new password is set. Sign in with it on each of your devices.
        </p>
        <Link to="/login" className="button button--primary button--block button--large">
          Sign in
        </Link>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout
      title="Choose a new password"
      subtitle="Using this link signs you out on every device."
      footer={signInLink}
    >
      <form ref={formRef} className="form" onSubmit={(e) => void submit(e)} noValidate>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <Field
          label="New password"
          name="password"
          type="password"
          value={form.password}
          onChange={(e) => set('password')(e.target.value)}
          autoComplete="new-password"
          hint={`At least ${LIMITS.passwordMin} characters`}
          error={fields.password}
          autoFocus
          required
        />
        <Field
          label="Confirm new password"
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
          disabled={busy || form.password === '' || form.confirm === ''}
        >
          {busy ? 'Saving…' : 'Set new password'}
        </button>
      </form>
    </AuthLayout>
  );
}
