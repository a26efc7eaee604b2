import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { now } from './clock.js';
import { spawnGenerators, type GeneratorProc } from './pool.js';
import {
  accessTokens,
  BENCH_PASSWORD,
  createSchema,
  dbFile,
  passwordHash,
  Seeder,
} from './seed.js';
import { startBaseline, startParley, type ServerProc } from './servers.js';

export type System = 'parley' | 'baseline';

/** Who exists and who talks to whom, by user index (0-based). */
export interface PopulationSpec {
  users: number;
  directs: Array<[number, number]>;
  groups: number[][];
}

export interface Prepared {
  system: System;
  server: ServerProc;
  userIds: number[];
  directIds: number[];
  groupIds: number[];
  /** Handshake auth per user index. */
  auth: Array<Record<string, unknown>>;
  tokens: Array<string | undefined>;
  dataDir: string;
  cleanup(): Promise<void>;
}

export interface PrepareOptions {
  log: (s: string) => void;
  sync?: 'FULL' | 'NORMAL';
  nodeArgs?: string[];
  straceFile?: string;
  /** A prepared database holding exactly this population (users, then directs, then groups). */
  template?: string;
  keep?: boolean;
  /** Extra environment for the Parley server. */
  env?: Record<string, string>;
  /** Listen on every address, so generators can connect to 127.0.0.1, .2, .3… (separate port spaces). */
  allLoopback?: boolean;
}

/** Writes the population into a migrated database with consecutive ids; answers the ids. */
export async function seedPopulation(dataDir: string, spec: PopulationSpec) {
  await createSchema(dataDir);
  const hash = await passwordHash();
  const seeder = new Seeder(dataDir);
  const userIds = seeder.users(spec.users, hash);
  const directIds = seeder.directs(
    spec.directs.map(([a, b]) => [userIds[a]!, userIds[b]!] as const),
  );
  const groupIds = spec.groups.map((members, i) =>
    seeder.group(
      `group-${i}`,
      members.map((m) => userIds[m]!),
    ),
  );
  return { seeder, userIds, directIds, groupIds };
}

/** Starts Parley on a fresh, seeded data directory, or the baseline relay; with auth per user. */
export async function prepare(
  system: System,
  spec: PopulationSpec,
  o: PrepareOptions,
): Promise<Prepared> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `parley-bench-${system}-`));
  const t0 = now();
  if (system === 'baseline') {
    const userIds = Array.from({ length: spec.users }, (_, i) => i + 1);
    const directIds = spec.directs.map((_, i) => i + 1);
    const groupIds = spec.groups.map((_, i) => spec.directs.length + i + 1);
    const rooms: number[][] = userIds.map(() => []);
    spec.directs.forEach(([a, b], i) => {
      rooms[a]!.push(directIds[i]!);
      rooms[b]!.push(directIds[i]!);
    });
    spec.groups.forEach((members, i) => members.forEach((m) => rooms[m]!.push(groupIds[i]!)));
    const server = await startBaseline({
      dir: dataDir,
      nodeArgs: o.nodeArgs,
      host: o.allLoopback ? '0.0.0.0' : undefined,
    });
    return {
      system,
      server,
      userIds,
      directIds,
      groupIds,
      auth: userIds.map((id, i) => ({ userId: id, rooms: rooms[i] })),
      tokens: userIds.map(() => undefined),
      dataDir,
      async cleanup() {
        await server.stop();
        if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }

  let userIds: number[];
  let directIds: number[];
  let groupIds: number[];
  let seeder: Seeder;
  if (o.template) {
    copyFileSync(o.template, dbFile(dataDir));
    seeder = new Seeder(dataDir);
    userIds = Array.from({ length: spec.users }, (_, i) => i + 1);
    directIds = spec.directs.map((_, i) => i + 1);
    groupIds = spec.groups.map((_, i) => spec.directs.length + i + 1);
  } else {
    ({ seeder, userIds, directIds, groupIds } = await seedPopulation(dataDir, spec));
  }
  const sessionIds = seeder.sessions(userIds);
  seeder.close();
  const tokens = await accessTokens(userIds, sessionIds);
  o.log(
    `seeded ${spec.users} users, ${directIds.length + groupIds.length} conversations in ${Math.round(now() - t0)} ms`,
  );
  const server = await startParley({
    dataDir,
    sync: o.sync,
    nodeArgs: o.nodeArgs,
    straceFile: o.straceFile,
    host: o.allLoopback ? '0.0.0.0' : undefined,
    env: o.env,
    log: o.log,
  });
  // The seeded rows must be what the server itself would have written: sign in as one user.
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'u0', password: BENCH_PASSWORD }),
  });
  if (!login.ok)
    throw new Error(`sign-in as a seeded user failed: ${login.status} ${await login.text()}`);
  return {
    system,
    server,
    userIds,
    directIds,
    groupIds,
    auth: tokens.map((token) => ({ token })),
    tokens,
    dataDir,
    async cleanup() {
      await server.stop();
      if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Forks one generator per slice of user indexes, hands each its sockets and connects them. */
export async function startGenerators(
  p: Prepared,
  slices: number[][],
  o: {
    concurrency?: number;
    localAddresses?: boolean;
    /** Generator w connects to 127.0.0.(1+w) (the server must listen on 0.0.0.0). */
    destinations?: boolean;
    log: (s: string) => void;
    onProgress?: (w: number, d: any) => void;
  },
): Promise<{ gens: GeneratorProc[]; connect: any[] }> {
  const gens = spawnGenerators(slices.length);
  await Promise.all(
    gens.map((g, w) => {
      if (o.onProgress) g.onProgress = (d) => o.onProgress!(w, d);
      return g.call({
        op: 'init',
        workerId: w,
        url: o.destinations
          ? `ws://127.0.0.${1 + w}:${p.server.port}`
          : p.server.url.replace(/^http/, 'ws'),
        ...(o.localAddresses && { localAddress: `127.0.0.${2 + w}` }),
        clients: slices[w]!.map((u) => ({
          userId: p.userIds[u],
          auth: p.auth[u],
          token: p.tokens[u],
        })),
      });
    }),
  );
  const connect = await Promise.all(
    gens.map((g) => g.call({ op: 'connect', concurrency: o.concurrency ?? 50, timeoutMs: 30_000 })),
  );
  const failed = connect.reduce((a, c) => a + c.failed, 0);
  if (failed)
    o.log(
      `warning: ${failed} sockets failed to connect: ${JSON.stringify(connect.flatMap((c) => c.errors).slice(0, 3))}`,
    );
  return { gens, connect };
}
