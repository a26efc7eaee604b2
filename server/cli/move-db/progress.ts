/** Thousands separators, the same on every locale. */
export const n = (x: number): string => Math.round(x).toLocaleString('en-US');

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Progress of one table on stderr: a line at most every `everyMs` while rows arrive, and one
 * when the table is done, with its rate.
 */
export class TableProgress {
  private readonly started = Date.now();
  private lastLine = Date.now();
  private copied = 0;

  constructor(
    private readonly say: (line: string) => void,
    private readonly table: string,
    private readonly total: number,
    private readonly already: number,
    private readonly everyMs = 500,
  ) {}

  /** Counts rows that were committed. */
  add(rows: number): void {
    this.copied += rows;
    const now = Date.now();
    if (now - this.lastLine < this.everyMs) return;
    this.lastLine = now;
    const done = this.already + this.copied;
    const pct = this.total > 0 ? ` (${Math.floor((100 * done) / this.total)}%)` : '';
    this.say(
      `  ${this.table}: ${n(done)} of ${n(this.total)} rows${pct}, ${n(this.rate(now))} rows/s`,
    );
  }

  done(): void {
    const now = Date.now();
    this.say(
      `  ${this.table}: ${n(this.already + this.copied)} rows${
        this.copied > 0
          ? ` (${n(this.copied)} in ${seconds(now - this.started)}, ${n(this.rate(now))} rows/s)`
          : ''
      }`,
    );
  }

  private rate(now: number): number {
    return (this.copied * 1000) / Math.max(1, now - this.started);
  }
}

/** A step's duration, as printed. */
export function took(startedMs: number): string {
  return seconds(Date.now() - startedMs);
}
