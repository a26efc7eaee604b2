import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../../lib/http.js';
import { Link, navigate, safeNext, useLocation } from '../../lib/router.js';
import { Field } from '../../ui/Field.js';
import { authApi } from './api.js';
import { AuthLayout } from './AuthLayout.js';
import { preloadChat, setNotice, signedIn, useAuth } from './session.js';

/** Sign in with username or email; back to where the user was afterwards. */
export function LoginPage() {
  const auth = useAuth();
  const { search } = useLocation();
  const next = safeNext(search.get('next'));
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const notice = auth.status === 'signedOut' ? auth.notice : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await authApi.login({ login: login.trim(), password, remember });
      await signedIn(result);
      navigate(next, { replace: true });
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'invalid_credentials'
          ? 'Wrong username, email or password.'
          : errorMessage(err),
      );
      setBusy(false);
    }
  };

  return (
    <AuthLayout
      title="Welcome back"
      subtitle="Sign in to continue your conversations."
      footer={
        <>
          New to Parley?{' '}
          <Link
            to={next === '/' ? '/signup' : `/signup?next=${encodeURIComponent(next)}`}
            onClick={() => setNotice(null)}
          >
            Create an account
          </Link>
        </>
      }
    >
      {notice && (
        <p className="notice" role="status" data-testid="auth-notice">
          {notice}
        </p>
      )}
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
          label="Username or email"
          name="login"
          value={login}
          onChange={(e) => setLogin(e.target.value)}
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          autoFocus
          required
        />
        <Field
          label="Password"
          name="password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="current-password"
          required
        >
          <Link
            to="/forgot-password"
            className="link-button"
            style={{ alignSelf: 'flex-end', fontSize: 13, textDecoration: 'none' }}
            onClick={() => setNotice(null)}
          >
            Forgot password?
          </Link>
        </Field>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={remember}
            onChange={(e) => setRemember(e.target.checked)}
          />
          <span>Remember me for 30 days</span>
        </label>
        <button
          type="submit"
          className="button button--primary button--block button--large"
          disabled={busy || !login || !password}
        >
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </AuthLayout>
  );
}
