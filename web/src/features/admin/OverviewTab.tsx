import { useCallback, useEffect, useState } from 'react';
import type { ServerStats } from '../../../../protocol/schemas/admin.js';
import { errorMessage } from '../../lib/http.js';
import { Spinner } from '../../ui/Field.js';
import { Icon, type IconName } from '../../ui/Icon.js';
import { formatBytes } from '../attachments/format.js';
import { adminApi } from './api.js';

const ENGINES: Record<ServerStats['database']['kind'], string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  mysql: 'MySQL / MariaDB',
};

const num = (n: number) => n.toLocaleString();

/** One figure with its breakdown. */
function Stat({
  title,
  value,
  icon,
  details = [],
}: {
  title: string;
  value: string;
  icon: IconName;
  details?: Array<[string, string]>;
}) {
  const id = `stat-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section className="card stat" aria-labelledby={id} data-testid="stat">
      <h2 id={id} className="stat__title">
        <Icon name={icon} size={18} /> {title}
      </h2>
      <p className="stat__value">{value}</p>
      {details.length > 0 && (
        <dl className="stat__details">
          {details.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

/** The server's figures: accounts, conversations, messages, who is online, storage. */
export function OverviewTab() {
  const [stats, setStats] = useState<ServerStats | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = useCallback(async () => {
    setBusy(true);
    try {
      setStats(await adminApi.stats());
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <div className="admin-toolbar">
        <p className="muted">Figures as of now, across every node of the server.</p>
        <button
          type="button"
          className="button button--ghost button--small"
          onClick={() => void load()}
          disabled={busy}
        >
          <Icon name="refresh" size={16} /> Refresh
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {!stats ? (
        !error && <Spinner label="Loading figures" />
      ) : (
        <div className="stat-grid">
          <Stat
            title="Users"
            icon="users"
            value={num(stats.users.total)}
            details={[
              ['Active', num(stats.users.active)],
              ['Deactivated', num(stats.users.inactive)],
              ['Admins', num(stats.users.admins)],
            ]}
          />
          <Stat
            title="Conversations"
            icon="message"
            value={num(stats.conversations.total)}
            details={[
              ['Direct', num(stats.conversations.direct)],
              ['Groups', num(stats.conversations.groups)],
            ]}
          />
          <Stat title="Messages" icon="hash" value={num(stats.messages)} />
          <Stat
            title="Online now"
            icon="globe"
            value={num(stats.online.users)}
            details={[['Connections', num(stats.online.sockets)]]}
          />
          <Stat
            title="Database"
            icon="monitor"
            value={formatBytes(stats.database.sizeBytes)}
            details={[['Engine', ENGINES[stats.database.kind]]]}
          />
          <Stat
            title="Files"
            icon="copy"
            value={formatBytes(stats.files.sizeBytes)}
            details={[['Stored files', num(stats.files.count)]]}
          />
        </div>
      )}
    </>
  );
}
