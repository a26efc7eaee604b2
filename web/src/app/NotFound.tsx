import { Link } from '../lib/router.js';

/** Any path the app does not know. */
export function NotFound() {
  return (
    <main className="not-found">
      <p className="not-found__code">404</p>
      <h1>This page does not exist</h1>
      <p className="muted">The link may be broken, or the page may have moved.</p>
      <Link to="/" className="button button--primary">
        Go to Parley
      </Link>
    </main>
  );
}
