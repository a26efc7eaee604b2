/**
 * A load-generator process (forked by bench/lib/pool.ts). It holds a share of the sockets,
 * sends on a fixed open-loop schedule, timestamps acks and deliveries on the machine-wide
 * monotonic clock, and reports histograms, per-message records and its own CPU use.
 */
import { now, sleep } from './lib/clock.js';
import { Hist } from './lib/hist.js';
import { numberField, RawClient, stringField } from './lib/raw-client.js';

interface ClientSpec {
  userId: number;
  auth: Record<string, unknown>;
  /** Access token for REST catch-up (Parley only). */
  token?: string;
}

interface InitOp {
  op: 'init';
  workerId: number;
  url: string;
  localAddress?: string;
  clients: ClientSpec[];
}

interface ConnectOp {
  op: 'connect';
  concurrency: number;
  timeoutMs: number;
}

interface LoadOp {
  op: 'load';
  tag: string;
  /** Monotonic ms when the schedule starts. */
  startAt: number;
  /** Messages per second sent by this worker. */
  rate: number;
  warmMs: number;
  measureMs: number;
  drainMs: number;
  /** [client index, conversation id] pairs, used round-robin. */
  senders: Array<[number, number]>;
  bodyBytes: number;
}

interface StormOp {
  op: 'storm';
  tag: string;
  dropAt: number;
  /** Chatter: [sender index, recipient index, conversation id]. */
  pairs: Array<[number, number, number]>;
  rate: number;
  chatterStart: number;
  chatterStop: number;
  catchUp: boolean;
  apiUrl: string;
  maxWaitMs: number;
  bodyBytes: number;
}

interface ReactOp {
  op: 'react';
  /** Monotonic ms when the schedule starts. */
  startAt: number;
  /** Reaction changes per second sent by this worker. */
  rate: number;
  warmMs: number;
  measureMs: number;
  drainMs: number;
  /** Indexes of this worker's clients that react, in turn. */
  reactors: number[];
  messageId: number;
  emojis: string[];
}

type Op = InitOp | ConnectOp | LoadOp | StormOp | ReactOp | { op: 'cpu' } | { op: 'close' };

let workerId = 0;
let clients: RawClient[] = [];
let specs: ClientSpec[] = [];
let closing = false;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Reports progress to the coordinator between replies. */
function progress(data: Record<string, unknown>): void {
  process.send?.({ type: 'progress', workerId, ...data });
}

// ---- delivery bookkeeping shared by load and storm --------------------------------------

/** Per-frame delivery handler of the current operation. */
let onDelivery: ((client: RawClient, frame: string, at: number) => void) | null = null;
let onClosed: ((client: RawClient) => void) | null = null;

function init(op: InitOp) {
  workerId = op.workerId;
  specs = op.clients;
  clients = op.clients.map(
    (s) =>
      new RawClient(
        op.url,
        s.userId,
        s.auth,
        {
          onMessageNew: (c, f, at) => onDelivery?.(c, f, at),
          onClose: (c) => onClosed?.(c),
        },
        op.localAddress,
      ),
  );
  return { clients: clients.length };
}

async function connectAll(op: ConnectOp) {
  const hist = new Hist();
  const errors = new Map<string, number>();
  let next = 0;
  let connected = 0;
  let failed = 0;
  const cpu0 = cpuMs();
  const t0 = now();
  let last = t0;
  const timer = setInterval(() => progress({ connected, failed }), 500);
  const lane = async () => {
    while (next < clients.length) {
      const c = clients[next++]!;
      const t = now();
      try {
        await c.connect(op.timeoutMs);
        last = now();
        hist.record(last - t);
        connected++;
      } catch (err) {
        failed++;
        const m = (err as Error).message.slice(0, 120);
        errors.set(m, (errors.get(m) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, op.concurrency) }, lane));
  clearInterval(timer);
  return {
    connected,
    failed,
    errors: [...errors.entries()],
    startedAt: t0,
    lastAt: last,
    handshake: hist.toJSON(),
    cpuMs: cpuMs() - cpu0,
    wallMs: now() - t0,
  };
}

// ---- open-loop load ---------------------------------------------------------------------

async function load(op: LoadOp) {
  const interval = 1000 / op.rate;
  const total = Math.floor(((op.warmMs + op.measureMs) * op.rate) / 1000);
  const winStart = op.startAt + op.warmMs;
  const winEnd = winStart + op.measureMs;
  const body = 'x'.repeat(Math.max(1, op.bodyBytes));
  const sent = new Map<string, { sched: number; ack: number; ok: number }>();
  const recv = new Map<string, [number, number]>();
  const delivery = new Hist();
  const ackHist = new Hist();
  const lag = new Hist();
  let echoes = 0;
  let pending = 0;
  let notConnected = 0;
  let lastRecvAt = now();
  const other0 = clients.reduce((a, c) => a + c.otherEvents, 0);

  onDelivery = (client, f, at) => {
    const cid = stringField(f, 'clientId');
    if (cid === null || !cid.startsWith(op.tag)) return;
    lastRecvAt = at;
    if (numberField(f, 'senderId') === client.userId) {
      echoes++;
      return;
    }
    const sched = Number(cid.slice(cid.indexOf('@') + 1));
    const latency = at - sched;
    if (sched >= winStart && sched < winEnd) delivery.record(latency);
    const agg = recv.get(cid);
    if (agg) {
      agg[0]++;
      if (latency > agg[1]) agg[1] = latency;
    } else recv.set(cid, [1, latency]);
  };

  const sendOne = (k: number) => {
    const sched = op.startAt + k * interval;
    const [ci, conversationId] = op.senders[k % op.senders.length]!;
    const client = clients[ci]!;
    const cid = `${op.tag}.${workerId}.${k}@${sched.toFixed(3)}`;
    const entry = { sched, ack: -1, ok: 0 };
    sent.set(cid, entry);
    lag.record(now() - sched);
    pending++;
    const ok = client.emit(
      'message:send',
      `{"conversationId":${conversationId},"clientId":"${cid}","body":"${body}"}`,
      (f, off, at) => {
        pending--;
        entry.ack = at - sched;
        entry.ok = f.startsWith('{"ok":true', off) ? 1 : 0;
        if (sched >= winStart && sched < winEnd && entry.ok) ackHist.record(entry.ack);
      },
    );
    if (!ok) {
      pending--;
      notConnected++;
    }
  };

  let cpuStart = 0;
  let cpuEnd = 0;
  let wallStart = 0;
  let wallEnd = 0;
  await new Promise<void>((resolve) => {
    let k = 0;
    const tick = () => {
      const t = now();
      if (k === 0) {
        cpuStart = cpuMs();
        wallStart = t;
      }
      while (k < total && op.startAt + k * interval <= t) sendOne(k++);
      if (k < total) setTimeout(tick, Math.max(0, op.startAt + k * interval - now() - 1));
      else resolve();
    };
    setTimeout(tick, Math.max(0, op.startAt - now() - 1));
  });
  // Own CPU over the whole schedule (receiving-only generators work too).
  const scheduleEnd = op.startAt + op.warmMs + op.measureMs;
  await sleep(scheduleEnd - now());
  cpuEnd = cpuMs();
  wallEnd = now();
  // Drain: until every ack is in and deliveries have stopped for a second, or the drain limit.
  while (now() < scheduleEnd + op.drainMs) {
    if (pending === 0 && now() - lastRecvAt > 1000 && now() > scheduleEnd + 1000) break;
    await sleep(50);
  }
  onDelivery = null;
  return {
    sent: [...sent.entries()].map(([cid, e]) => [cid, e.sched, e.ack, e.ok]),
    recv: [...recv.entries()].map(([cid, [n, max]]) => [cid, n, max]),
    echoes,
    notConnected,
    delivery: delivery.toJSON(),
    ack: ackHist.toJSON(),
    lag: lag.toJSON(),
    cpuMs: cpuEnd - cpuStart,
    wallMs: wallEnd - wallStart,
    otherEvents: clients.reduce((a, c) => a + c.otherEvents, 0) - other0,
  };
}

// ---- reactions on one message -------------------------------------------------------------

/** The reactions this worker's clients have set ("client index:emoji"), across steps. */
const reactionsOn = new Set<string>();

/**
 * Reaction changes on one message on a fixed open-loop schedule: each reactor in turn toggles
 * one of the emoji (on, then off the next time). Records the ack latency in the measured window
 * and counts the `message:updated` frames every client of this worker received in it.
 */
async function react(op: ReactOp) {
  const interval = 1000 / op.rate;
  const total = Math.floor(((op.warmMs + op.measureMs) * op.rate) / 1000);
  const winStart = op.startAt + op.warmMs;
  const winEnd = winStart + op.measureMs;
  const acks = new Hist();
  // What is set stays set between steps: each toggle is a real change.
  const on = reactionsOn;
  let ok = 0;
  let refused = 0;
  let pending = 0;
  let notConnected = 0;
  const updated = () => clients.reduce((a, c) => a + c.updatedFrames, 0);
  let updatedAtStart = 0;
  let updatedAtEnd = 0;
  setTimeout(() => (updatedAtStart = updated()), Math.max(0, winStart - now()));
  setTimeout(() => (updatedAtEnd = updated()), Math.max(0, winEnd - now()));
  const cpu0 = cpuMs();
  const sendOne = (k: number) => {
    const sched = op.startAt + k * interval;
    const ci = op.reactors[k % op.reactors.length]!;
    const emoji = op.emojis[Math.floor(k / op.reactors.length) % op.emojis.length]!;
    const key = `${ci}:${emoji}`;
    const turnOn = !on.has(key);
    if (turnOn) on.add(key);
    else on.delete(key);
    pending++;
    const sent = clients[ci]!.emit(
      'reaction:set',
      JSON.stringify({ messageId: op.messageId, emoji, on: turnOn }),
      (f, off, at) => {
        pending--;
        if (f.startsWith('{"ok":true', off)) {
          ok++;
          if (sched >= winStart && sched < winEnd) acks.record(at - sched);
        } else refused++;
      },
    );
    if (!sent) {
      pending--;
      notConnected++;
    }
  };
  await new Promise<void>((resolve) => {
    let k = 0;
    const tick = () => {
      const t = now();
      while (k < total && op.startAt + k * interval <= t) sendOne(k++);
      if (k < total) setTimeout(tick, Math.max(0, op.startAt + k * interval - now() - 1));
      else resolve();
    };
    setTimeout(tick, Math.max(0, op.startAt - now() - 1));
  });
  await sleep(winEnd - now());
  const drainUntil = now() + op.drainMs;
  while (pending > 0 && now() < drainUntil) await sleep(50);
  return {
    sent: total,
    ok,
    refused,
    unanswered: pending,
    notConnected,
    ack: acks.toJSON(),
    updatedInWindow: (updatedAtEnd || updated()) - updatedAtStart,
    updatedTotal: updated(),
    cpuMs: cpuMs() - cpu0,
  };
}

// ---- reconnect storm --------------------------------------------------------------------

async function storm(op: StormOp) {
  const body = 'x'.repeat(Math.max(1, op.bodyBytes));
  const reconnectAt = new Map<RawClient, number>();
  const reconnectHist = new Hist();
  let retries = 0;
  const reconnectErrors = new Map<string, number>();
  let catchUps = 0;
  let catchUpFailures = 0;
  let lastCatchUpAt = 0;
  let catchUpsRunning = 0;
  const recipients = new Map<number, { conv: number; cids: Set<string>; maxSeq: number }>();
  const senders = new Map<number, number>();
  for (const [s, r, conv] of op.pairs) {
    recipients.set(r, { conv, cids: new Set(), maxSeq: 0 });
    senders.set(s, conv);
  }
  type Entry = {
    cid: string;
    sched: number;
    state: 0 | 1 | 2;
    seq: number;
    timer?: NodeJS.Timeout;
  };
  const queues = new Map<number, Entry[]>();
  for (const s of senders.keys()) queues.set(s, []);
  const live = new Hist();
  let seqConflicts = 0;
  let failedAcks = 0;

  onDelivery = (client, f, at) => {
    const idx = (client as RawClient & { idx?: number }).idx ?? -1;
    const r = recipients.get(idx);
    if (!r) return;
    const cid = stringField(f, 'clientId');
    if (cid === null || !cid.startsWith(op.tag)) return;
    if (!r.cids.has(cid)) {
      r.cids.add(cid);
      live.record(at - Number(cid.slice(cid.indexOf('@') + 1)));
    }
    const seq = numberField(f, 'seq');
    if (seq > r.maxSeq) r.maxSeq = seq;
  };

  const pump = (si: number) => {
    const client = clients[si]!;
    if (!client.connected) return;
    for (const e of queues.get(si)!) {
      if (e.state !== 0) continue;
      e.state = 1;
      const sent = client.emit(
        'message:send',
        `{"conversationId":${senders.get(si)},"clientId":"${e.cid}","body":"${body}"}`,
        (f, off) => {
          if (e.state === 2) {
            const seq = numberField(f, 'seq', off);
            if (seq !== e.seq) seqConflicts++;
            return;
          }
          clearTimeout(e.timer);
          if (f.startsWith('{"ok":true', off)) {
            e.state = 2;
            e.seq = numberField(f, 'seq', off);
          } else {
            failedAcks++;
            e.state = 0;
            setTimeout(() => pump(si), 200);
          }
        },
      );
      if (!sent) {
        e.state = 0;
        return;
      }
      e.timer = setTimeout(() => {
        if (e.state === 1) {
          e.state = 0;
          pump(si);
        }
      }, 10_000);
    }
  };

  const catchUp = async (ri: number) => {
    const r = recipients.get(ri);
    const token = specs[ri]?.token;
    if (!r || !token || !op.catchUp) return;
    catchUpsRunning++;
    try {
      for (;;) {
        const res = await fetch(
          `${op.apiUrl}/api/conversations/${r.conv}/messages?after=${r.maxSeq}&limit=200`,
          { headers: { authorization: `Bearer ${token}` } },
        );
        catchUps++;
        if (!res.ok) throw new Error(`catch-up answered ${res.status}`);
        const page = (await res.json()) as {
          messages: Array<{ seq: number; clientId: string | null }>;
          hasMore: boolean;
        };
        for (const m of page.messages) {
          if (m.clientId?.startsWith(op.tag)) r.cids.add(m.clientId);
          if (m.seq > r.maxSeq) r.maxSeq = m.seq;
        }
        if (!page.hasMore) break;
      }
      lastCatchUpAt = now();
    } catch {
      catchUpFailures++;
    } finally {
      catchUpsRunning--;
    }
  };

  const reconnect = (ci: number, attempt: number) => {
    if (closing) return;
    const base = Math.min(1000 * 2 ** attempt, 5000);
    const delay = base * (0.5 + Math.random());
    setTimeout(() => {
      const c = clients[ci]!;
      c.connect(20_000).then(
        () => {
          const at = now();
          reconnectAt.set(c, at);
          reconnectHist.record(at - op.dropAt);
          if (senders.has(ci)) pump(ci);
          if (recipients.has(ci)) void catchUp(ci);
        },
        (err: unknown) => {
          retries++;
          const m = String((err as Error)?.message ?? err).slice(0, 120);
          reconnectErrors.set(m, (reconnectErrors.get(m) ?? 0) + 1);
          reconnect(ci, attempt + 1);
        },
      );
    }, delay);
  };

  clients.forEach((c, i) => ((c as RawClient & { idx?: number }).idx = i));
  onClosed = (c) => {
    const idx = (c as RawClient & { idx?: number }).idx ?? 0;
    if (senders.has(idx)) {
      for (const e of queues.get(idx)!) if (e.state === 1) e.state = 0;
    }
    reconnect(idx, 0);
  };

  const cpu0 = cpuMs();
  const wall0 = now();
  // Chatter on a fixed schedule, round-robin over the senders, before, during and after the drop.
  const senderList = [...senders.keys()];
  const interval = 1000 / Math.max(op.rate, 0.001);
  const total = senderList.length
    ? Math.floor(((op.chatterStop - op.chatterStart) * op.rate) / 1000)
    : 0;
  let k = 0;
  const chatter = new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      while (k < total && op.chatterStart + k * interval <= t) {
        const si = senderList[k % senderList.length]!;
        const sched = op.chatterStart + k * interval;
        queues
          .get(si)!
          .push({ cid: `${op.tag}.${workerId}.${k}@${sched.toFixed(3)}`, sched, state: 0, seq: 0 });
        pump(si);
        k++;
      }
      if (k < total) setTimeout(tick, Math.max(0, op.chatterStart + k * interval - now() - 1));
      else resolve();
    };
    setTimeout(tick, Math.max(0, op.chatterStart - now()));
  });
  await sleep(Math.max(0, op.dropAt - now()));
  const dropped = clients.filter((c) => c.connected).length;
  for (const c of clients) c.drop();
  const timer = setInterval(() => progress({ reconnected: reconnectAt.size, dropped }), 500);
  await chatter;
  const until = op.dropAt + op.maxWaitMs;
  const allAcked = () => [...queues.values()].every((q) => q.every((e) => e.state === 2));
  while (now() < until) {
    if (reconnectAt.size >= dropped && allAcked() && catchUpsRunning === 0) break;
    await sleep(100);
  }
  await sleep(1000); // late live deliveries
  clearInterval(timer);
  onClosed = (c) => reconnect((c as RawClient & { idx?: number }).idx ?? 0, 0);
  onDelivery = null;

  let scheduled = 0;
  let acked = 0;
  let lost = 0;
  const byConv = new Map<number, Set<string>>();
  for (const r of recipients.values()) byConv.set(r.conv, r.cids);
  for (const [si, q] of queues) {
    const got = byConv.get(senders.get(si)!)!;
    for (const e of q) {
      scheduled++;
      if (e.state === 2) acked++;
      if (!got.has(e.cid)) lost++;
    }
  }
  const lastReconnect = Math.max(0, ...[...reconnectAt.values()].map((t) => t - op.dropAt));
  return {
    dropped,
    reconnected: reconnectAt.size,
    lastReconnectMs: lastReconnect,
    lastCatchUpMs: lastCatchUpAt ? lastCatchUpAt - op.dropAt : 0,
    reconnect: reconnectHist.toJSON(),
    retries,
    reconnectErrors: [...reconnectErrors.entries()],
    catchUps,
    catchUpFailures,
    chatter: { scheduled, acked, lost, failedAcks, seqConflicts },
    live: live.toJSON(),
    cpuMs: cpuMs() - cpu0,
    wallMs: now() - wall0,
  };
}

process.on('message', (msg: Op & { id: number }) => {
  const run = async (): Promise<unknown> => {
    switch (msg.op) {
      case 'init':
        return init(msg);
      case 'connect':
        return connectAll(msg);
      case 'load':
        return load(msg);
      case 'storm':
        return storm(msg);
      case 'react':
        return react(msg);
      case 'cpu':
        return { cpuMs: cpuMs(), at: now() };
      case 'close':
        closing = true;
        for (const c of clients) c.close();
        setTimeout(() => process.exit(0), 500);
        return {};
    }
  };
  run().then(
    (r) => process.send?.({ id: msg.id, result: r }),
    (err: unknown) => process.send?.({ id: msg.id, error: String((err as Error)?.stack ?? err) }),
  );
});
