import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { BENCH_DIR } from './servers.js';

/** The coordinator's handle on one generator process. */
export class GeneratorProc {
  private nextId = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (v: any) => void; reject: (e: Error) => void }
  >();
  onProgress: ((data: any) => void) | null = null;
  readonly pid: number;

  constructor(private readonly child: ChildProcess) {
    this.pid = child.pid!;
    child.on('message', (m: any) => {
      if (m?.type === 'progress') {
        this.onProgress?.(m);
        return;
      }
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error) w.reject(new Error(`generator ${this.pid}: ${m.error}`));
      else w.resolve(m.result);
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`generator exited (${code})`));
      this.waiting.clear();
    });
  }

  call<T = any>(op: Record<string, unknown>): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...op, id });
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.call({ op: 'close' }).catch(() => undefined);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}

/** Forks `n` generator processes. */
export function spawnGenerators(n: number): GeneratorProc[] {
  return Array.from({ length: n }, () => {
    const child = fork(path.join(BENCH_DIR, 'generator.ts'), [], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new GeneratorProc(child);
  });
}

/** Splits items into n contiguous, nearly equal slices. */
export function split<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  const size = Math.ceil(items.length / n);
  for (let i = 0; i < n; i++) out.push(items.slice(i * size, (i + 1) * size));
  return out;
}
