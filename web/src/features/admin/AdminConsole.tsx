import { useRef, type KeyboardEvent } from 'react';
import { Link, navigate } from '../../lib/router.js';
import { Icon, type IconName } from '../../ui/Icon.js';
import { useMe } from '../realtime/ChatContext.js';
import { OverviewTab } from './OverviewTab.js';
import { RegistrationTab } from './RegistrationTab.js';
import { UsersTab } from './UsersTab.js';
import './admin.css';

export type AdminTab = 'users' | 'overview' | 'registration';

const TABS: Array<{ id: AdminTab; label: string; path: string; icon: IconName }> = [
  { id: 'users', label: 'Users', path: '/admin', icon: 'users' },
  { id: 'overview', label: 'Overview', path: '/admin/overview', icon: 'monitor' },
  { id: 'registration', label: 'Registration', path: '/admin/registration', icon: 'lock' },
];

/** What someone who is not a server admin sees at /admin: nothing to find here. */
function NotForYou() {
  return (
    <div className="empty-state">
      <div className="empty-state__art" aria-hidden="true">
        <Icon name="shield" size={44} />
      </div>
      <h1 className="admin-denied">This page is for server admins</h1>
      <p>You do not have access to server administration.</p>
      <Link to="/" className="button button--primary">
        Back to conversations
      </Link>
    </div>
  );
}

/**
 * The server admin's console: users, the server's figures, and who may sign up. Tabs follow the
 * ARIA tabs pattern (arrow keys, Home and End move between them) and each has its own address.
 */
export function AdminConsole({ tab }: { tab: AdminTab }) {
  const me = useMe();
  const tabs = useRef<Array<HTMLButtonElement | null>>([]);
  if (!me.isAdmin) return <NotForYou />;

  const go = (index: number) => {
    const next = TABS[(index + TABS.length) % TABS.length]!;
    navigate(next.path, { replace: true });
    tabs.current[TABS.indexOf(next)]?.focus();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = TABS.findIndex((t) => t.id === tab);
    const to =
      e.key === 'ArrowRight'
        ? at + 1
        : e.key === 'ArrowLeft'
          ? at - 1
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? TABS.length - 1
              : null;
    if (to === null) return;
    e.preventDefault();
    go(to);
  };

  return (
    <section className="page admin" aria-labelledby="admin-title">
      <header className="page__header">
        <Link to="/" className="icon-button page__back" aria-label="Back to conversations">
          <Icon name="back" />
        </Link>
        <h1 id="admin-title">Server administration</h1>
      </header>
      <div className="page__body">
        <div className="admin__inner">
          <div
            className="admin-tabs"
            role="tablist"
            aria-label="Server administration"
            onKeyDown={onKeyDown}
          >
            {TABS.map((t, i) => (
              <button
                key={t.id}
                ref={(el) => {
                  tabs.current[i] = el;
                }}
                type="button"
                role="tab"
                id={`admin-tab-${t.id}`}
                aria-selected={t.id === tab}
                aria-controls={`admin-panel-${t.id}`}
                tabIndex={t.id === tab ? 0 : -1}
                className={`admin-tabs__tab${t.id === tab ? ' admin-tabs__tab--on' : ''}`}
                onClick={() => navigate(t.path)}
              >
                <Icon name={t.icon} size={18} />
                {t.label}
              </button>
            ))}
          </div>
          {TABS.map((t) => (
            <div
              key={t.id}
              role="tabpanel"
              id={`admin-panel-${t.id}`}
              aria-labelledby={`admin-tab-${t.id}`}
              hidden={t.id !== tab}
              className="admin-panel"
            >
              {t.id === tab && t.id === 'users' && <UsersTab />}
              {t.id === tab && t.id === 'overview' && <OverviewTab />}
              {t.id === tab && t.id === 'registration' && <RegistrationTab />}
            </div>
          ))}
        </div>
      </div>
    </section>
  );
}
