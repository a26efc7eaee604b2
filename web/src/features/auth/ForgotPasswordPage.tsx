import { useEffect, useRef, useState, type FormEvent } from 'react';
import type {
  PasswordResetAccepted,
  PasswordResetInfo,
  PasswordResetRequestInput,
} from '../../../../protocol/schemas/auth.js';
import { api, ApiError, errorMessage } from '../../lib/http.js';
import { Link } from '../../lib/router.js';
import { Field, Spinner } from '../../ui/Field.js';
import { AuthLayout } from './AuthLayout.js';
import { loadServerInfo } from './server-info.js';

const RESET_COMMAND = 'parley user reset-password <username|email>';

const backToSignIn = <Link to="/login">Back to sign in</Link>;

/** Without mail, the server's operator resets a forgotten password. */
function OperatorReset() {
  return (
    <AuthLayout
      title="Forgot your password?"
      subtitle="This server does not send email, so its operator resets passwords."
      footer={backToSignIn}
    >
      <div className="form" data-testid="reset-by-operator">
        <p>
          Ask the person who runs this Parley server to set a new password for you. On the server,
          they run:
        </p>
        <pre className="md-pre">
          <code>{RESET_COMMAND}</code>
        </pre>
        <p>
          with your username or email. It prints a new password for them to give you; sign in with
          it, then choose your own under Profile.
        </p>
      </div>
    </AuthLayout>
  );
}

/** "Forgot password?": ask for a reset link by email, or learn who can reset it instead. */
export function ForgotPasswordPage() {
  const [info, setInfo] = useState<PasswordResetInfo | null>(null);
  const [email, setEmail] = useState('');
  const [fieldError, setFieldError] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<PasswordResetAccepted | null>(null);
  const confirmation = useRef<HTMLParagraphElement>(null);
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    let live = true;
    loadServerInfo().then(
      (server) => live && setInfo(server.passwordReset),
      () => {
        // Unknown (the server did not answer): offer the form, whose answer tells.
        if (live) setInfo({ byEmail: true, linkMinutes: 30 });
      },
    );
    return () => {
      live = false;
    };
  }, []);

  // Focus moves to what changed, so a screen reader reads it: the confirmation, or the field
  // with its error (read with the field's label).
  useEffect(() => {
    if (sent) confirmation.current?.focus();
  }, [sent]);
  useEffect(() => {
    if (fieldError) form.current?.querySelector<HTMLInputElement>('input[name="email"]')?.focus();
  }, [fieldError]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFieldError(undefined);
    try {
      const input: PasswordResetRequestInput = { email: email.trim() };
      setSent(
        await api<PasswordResetAccepted>('POST', '/api/auth/password-reset', input, {
          anonymous: true,
        }),
      );
    } catch (err) {
      if (err instanceof ApiError && err.details.passwordResetByEmail === false) {
        setInfo({ byEmail: false, linkMinutes: 0 });
      } else if (err instanceof ApiError && err.fields.email) {
        setFieldError(err.fields.email);
      } else {
        setError(errorMessage(err));
      }
    } finally {
      setBusy(false);
    }
  };

  if (!info) {
    return (
      <AuthLayout title="Forgot your password?" subtitle="One moment…" footer={backToSignIn}>
        <Spinner />
      </AuthLayout>
    );
  }
  if (!info.byEmail) return <OperatorReset />;
  if (sent) {
    return (
      <AuthLayout
        title="Check your email"
        subtitle="Follow the link in it to choose a new password."
        footer={backToSignIn}
      >
        <p
          className="notice"
          role="status"
          tabIndex={-1}
          ref={confirmation}
          data-testid="reset-requested"
        >
          If an account uses {email.trim()}, we sent it a link to choose a new password. The link
          works once, within {sent.linkMinutes} minutes. Nothing arrived? Check your spam folder, or
          ask again in a few minutes.
        </p>
        <button type="button" className="link-button" onClick={() => setSent(null)}>
          Use another address
        </button>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout
      title="Forgot your password?"
      subtitle="Enter the email address of your account and we will send you a link to choose a new password."
      footer={backToSignIn}
    >
      <form ref={form} className="form" onSubmit={(e) => void submit(e)} noValidate>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <Field
          label="Email"
          name="email"
          type="email"
          value={email}
          onChange={(e) => {
            setEmail(e.target.value);
            setFieldError(undefined);
          }}
          autoComplete="email"
          autoCapitalize="none"
          spellCheck={false}
          error={fieldError}
          autoFocus
          required
        />
        <button
          type="submit"
          className="button button--primary button--block button--large"
          disabled={busy || email.trim() === ''}
        >
          {busy ? 'Sending…' : 'Send reset link'}
        </button>
      </form>
    </AuthLayout>
  );
}
