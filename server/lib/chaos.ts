/**
 * Crash points for the failure tests. The process kills itself at the named point only when
 * both PARLEY_CHAOS_POINT names it and PARLEY_CHAOS=enable-crash-points is set, and only for a
 * message whose body starts with "chaos!": nothing a deployment sets by accident can trigger it.
 */
export type ChaosPoint = 'before_commit' | 'after_commit_before_ack' | 'after_ack_before_fanout';

const armed =
  process.env.PARLEY_CHAOS === 'enable-crash-points'
    ? (process.env.PARLEY_CHAOS_POINT ?? null)
    : null;

export function chaos(point: ChaosPoint, body: string): void {
  if (armed === point && body.startsWith('chaos!')) process.kill(process.pid, 'SIGKILL');
}
