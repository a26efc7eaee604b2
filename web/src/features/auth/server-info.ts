import { useEffect, useState } from 'react';
import type { ServerInfo } from '../../../../protocol/schemas/server-info.js';
import { api } from '../../lib/http.js';

let pending: Promise<ServerInfo> | null = null;

/**
 * What the signed-out pages need to know about this server (GET /api/server-info), asked once
 * per page load; a failed ask is tried again next time.
 */
export function loadServerInfo(): Promise<ServerInfo> {
  pending ??= api<ServerInfo>('GET', '/api/server-info', undefined, { anonymous: true }).catch(
    (err: unknown) => {
      pending = null;
      throw err;
    },
  );
  return pending;
}

/** Asks again next time (after an admin changed a setting in this tab). */
export function forgetServerInfo(): void {
  pending = null;
}

/** The server's public facts, or null until they arrive (or when they cannot be had). */
export function useServerInfo(): ServerInfo | null {
  const [info, setInfo] = useState<ServerInfo | null>(null);
  useEffect(() => {
    let live = true;
    loadServerInfo().then(
      (i) => live && setInfo(i),
      () => {
        // Unreachable: the forms work as if nothing were known; the server still decides.
      },
    );
    return () => {
      live = false;
    };
  }, []);
  return info;
}
