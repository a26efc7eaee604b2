import { LIMITS } from '../../protocol/limits.js';
import { openDatabase, type Db, type DatabaseHandle } from '../../server/db/database.js';
import type { TestDatabase } from './db.js';

/**
 * The reliability oracle. Clients record every send attempt, ack, message received (live, by
 * catch-up, or as their own ack) and message applied to their timeline; after the run
 * `checkOracle` compares that log with the database and throws, with the seed and an excerpt
 * of the log, on the first run that breaks a delivery promise.
 */

/** The fields of a wire Message the oracle compares with the stored row. */
export interface SeenMessage {
  id: number;
  conversationId: number;
  seq: number;
  senderId: number;
  clientId: string | null;
  kind: string;
  body: string;
  /**
   * The message's version when the copy was built (v1.1). A copy whose version is the stored
   * one must show the stored body; an older copy may show an earlier body.
   */
  version?: number;
  /** Whether the copy is a tombstone (v1.1). */
  deleted?: boolean;
}

/**
 * How a copy came: a live `message:new`, a live `message:updated` ('update'), a catch-up page
 * (history or changes), or the ack of the client's own send or change.
 */
export type Via = 'live' | 'update' | 'catchup' | 'ack';

/** A change a client asked for (v1.1 message:edit, message:delete, reaction:set, message:pin). */
export type ChangeKind = 'edit' | 'delete' | 'react' | 'pin';

interface Who {
  /** The client (one socket / device) that saw or did it. */
  client: string;
  userId: number;
}

export type OracleEvent = { at: number } & (
  | (Who & {
      k: 'send';
      conversationId: number;
      clientId: string;
      body: string;
      attempt: number;
    })
  | (Who & { k: 'ack'; conversationId: number; clientId: string; id: number; seq: number })
  | (Who & { k: 'nack'; conversationId: number; clientId: string; code: string })
  | (Who & { k: 'recv'; via: Via; m: SeenMessage })
  | (Who & { k: 'apply'; conversationId: number; id: number; seq: number })
  /**
   * The client holds this conversation from `fromSeq` on (it asks for everything after it);
   * logged again when it holds it again after an `untrack`.
   */
  | (Who & { k: 'track'; conversationId: number; fromSeq: number })
  | (Who & { k: 'untrack'; conversationId: number; atSeq: number })
  /** A read cursor move; `acked` false when no answer came (it may or may not have applied). */
  | (Who & { k: 'read'; conversationId: number; seq: number; acked: boolean })
  /** The server's unread count and read cursor for this user, as GET /api/conversations said. */
  | (Who & {
      k: 'unread';
      conversationId: number;
      unreadCount: number;
      myReadSeq: number;
      lastSeq: number;
      /** When the request was sent (ms since the epoch): deletions before it do not count. */
      wall?: number;
    })
  /**
   * A change request and its final answer (after any retries): `ok` with the message's version
   * in the answer, or the error code.
   */
  | (Who & {
      k: 'change';
      conversationId: number;
      messageId: number;
      op: ChangeKind;
      detail: string;
      attempts: number;
      /** 'ok', or the error code. */
      outcome: string;
      version: number | null;
    })
  | (Who & { k: 'close' })
  /** The socket connected (`up`) or dropped, at `wall` (ms since the epoch). */
  | (Who & { k: 'conn'; up: boolean; wall: number })
  | { k: 'note'; text: string }
);

type NewEvent = OracleEvent extends infer E
  ? E extends { at: number }
    ? Omit<E, 'at'>
    : never
  : never;

/** The shared event log of one run. */
export class OracleLog {
  readonly events: OracleEvent[] = [];
  private readonly t0 = Date.now();

  constructor(
    readonly name: string,
    readonly seed: number,
  ) {}

  add(e: NewEvent): void {
    this.events.push({ ...e, at: Date.now() - this.t0 });
  }

  note(text: string): void {
    this.add({ k: 'note', text });
  }

  /** The last `max` events that match, one per line. */
  excerpt(filter: (e: OracleEvent) => boolean = () => true, max = 40): string {
    const picked: OracleEvent[] = [];
    for (let i = this.events.length - 1; i >= 0 && picked.length < max; i--) {
      const e = this.events[i]!;
      if (filter(e)) picked.push(e);
    }
    return picked.reverse().map(formatEvent).join('\n');
  }
}

export function formatEvent(e: OracleEvent): string {
  const t = `${(e.at / 1000).toFixed(3).padStart(8)}s`;
  switch (e.k) {
    case 'note':
      return `${t} note  ${e.text}`;
    case 'send':
      return `${t} send  ${e.client} c${e.conversationId} key=${e.clientId} try=${e.attempt}`;
    case 'ack':
      return `${t} ack   ${e.client} c${e.conversationId} key=${e.clientId} id=${e.id} seq=${e.seq}`;
    case 'nack':
      return `${t} nack  ${e.client} c${e.conversationId} key=${e.clientId} ${e.code}`;
    case 'recv':
      return `${t} recv  ${e.client} ${e.via} c${e.m.conversationId} seq=${e.m.seq} id=${e.m.id}${e.m.version === undefined ? '' : ` v=${e.m.version}`}${e.m.deleted ? ' deleted' : ''}`;
    case 'change':
      return `${t} chng  ${e.client} c${e.conversationId} ${e.op} id=${e.messageId} ${e.detail} try=${e.attempts} -> ${e.outcome}${e.version === null ? '' : ` v=${e.version}`}`;
    case 'apply':
      return `${t} apply ${e.client} c${e.conversationId} seq=${e.seq} id=${e.id}`;
    case 'track':
      return `${t} track ${e.client} c${e.conversationId} from=${e.fromSeq}`;
    case 'untrack':
      return `${t} untrk ${e.client} c${e.conversationId} at=${e.atSeq}`;
    case 'read':
      return `${t} read  ${e.client} c${e.conversationId} seq=${e.seq} acked=${e.acked}`;
    case 'unread':
      return `${t} unrd  ${e.client} c${e.conversationId} unread=${e.unreadCount} read=${e.myReadSeq} last=${e.lastSeq}`;
    case 'close':
      return `${t} close ${e.client}`;
    case 'conn':
      return `${t} ${e.up ? 'up   ' : 'down '} ${e.client}`;
  }
}

/** Opens the test database the way the server does, for the oracle's reads. */
export function openOracleDb(t: TestDatabase): DatabaseHandle {
  return openDatabase({ kind: t.kind, url: t.url, dataDir: t.dataDir, poolSize: 2 });
}

export interface CheckOptions {
  /** Every attempted send must have been acked in the end (clients retry until it is). */
  allAcked?: boolean;
  /** Every open client must hold every stored message of its conversations. */
  complete?: boolean;
  /** Error acks (`nack`) are expected by the test and not a violation. */
  allowNacks?: boolean;
}

export interface OracleSummary {
  messages: number;
  conversations: number;
  clients: number;
  sendAttempts: number;
  acks: number;
  received: number;
  applied: number;
  unreadChecked: number;
}

interface Row {
  id: number;
  conversation_id: number;
  seq: number;
  sender_id: number;
  client_id: string | null;
  kind: string;
  body: string;
  meta: string | null;
  created_at: number;
  version: number;
  deleted_at: number | null;
  edited_at: number | null;
}

interface Violation {
  text: string;
  client?: string;
  conversationId?: number;
}

/** Membership windows of one user in one conversation: seqs strictly between `after` and `before`. */
type Window = { after: number; before: number };

const JOIN = new Set(['member_joined', 'member_added']);
const LEAVE = new Set(['member_left', 'member_removed']);

/**
 * When each user was a member, from the system messages (every join, add, leave and removal
 * writes one) and the current member list. Founding members count from the room's first seq.
 */
function membershipWindows(
  rows: readonly Row[],
  kind: string,
  current: ReadonlySet<number>,
): Map<number, Window[]> {
  const changes = new Map<number, Array<{ seq: number; joined: boolean }>>();
  for (const r of rows) {
    if (r.kind !== 'system' || !r.meta) continue;
    const meta = JSON.parse(r.meta) as { event?: string; userId?: number };
    if (typeof meta.userId !== 'number' || !meta.event) continue;
    const joined = JOIN.has(meta.event) ? true : LEAVE.has(meta.event) ? false : null;
    if (joined === null) continue;
    const list = changes.get(meta.userId) ?? [];
    list.push({ seq: r.seq, joined });
    changes.set(meta.userId, list);
  }
  const start = kind === 'group' ? 1 : 0;
  const out = new Map<number, Window[]>();
  for (const u of new Set([...changes.keys(), ...current])) {
    const list = (changes.get(u) ?? []).sort((a, b) => a.seq - b.seq);
    const windows: Window[] = [];
    let from: number | null = (list.length ? !list[0]!.joined : current.has(u)) ? start : null;
    for (const c of list) {
      if (c.joined) from = c.seq;
      else if (from !== null) {
        windows.push({ after: from, before: c.seq });
        from = null;
      }
    }
    if (from !== null) windows.push({ after: from, before: Infinity });
    out.set(u, windows);
  }
  return out;
}

const inWindows = (ws: readonly Window[] | undefined, seq: number) =>
  !!ws?.some((w) => seq > w.after && seq < w.before);

async function loadRows(db: Db, ids: number[]) {
  const rows: Row[] = [];
  const convs: Array<{ id: number; kind: string; last_seq: number }> = [];
  const members: Array<{ conversation_id: number; user_id: number }> = [];
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    const r = await db
      .selectFrom('messages')
      .select([
        'id',
        'conversation_id',
        'seq',
        'sender_id',
        'client_id',
        'kind',
        'body',
        'meta',
        'created_at',
        'version',
        'deleted_at',
        'edited_at',
      ])
      .where('conversation_id', 'in', chunk)
      .orderBy('conversation_id')
      .orderBy('seq')
      .execute();
    rows.push(
      ...r.map((x) => ({
        ...x,
        id: Number(x.id),
        conversation_id: Number(x.conversation_id),
        seq: Number(x.seq),
        sender_id: Number(x.sender_id),
        created_at: Number(x.created_at),
        version: Number(x.version),
        deleted_at: x.deleted_at === null ? null : Number(x.deleted_at),
        edited_at: x.edited_at === null ? null : Number(x.edited_at),
      })),
    );
    const c = await db
      .selectFrom('conversations')
      .select(['id', 'kind', 'last_seq'])
      .where('id', 'in', chunk)
      .execute();
    convs.push(...c.map((x) => ({ id: Number(x.id), kind: x.kind, last_seq: Number(x.last_seq) })));
    const m = await db
      .selectFrom('members')
      .select(['conversation_id', 'user_id'])
      .where('conversation_id', 'in', chunk)
      .execute();
    members.push(
      ...m.map((x) => ({ conversation_id: Number(x.conversation_id), user_id: Number(x.user_id) })),
    );
  }
  return { rows, convs, members };
}

/** A message stored this close to a disconnect may have been on its way when the socket went. */
const LIVE_MARGIN_MS = 1000;

const keyOf = (userId: number, conversationId: number, clientId: string) =>
  `${userId}:${conversationId}:${clientId}`;

/**
 * Unread text messages from others after `readSeq`, up to `lastSeq`. Deleted messages never
 * count (v1.1): those deleted before `deletedBefore` are left out; with `countLaterDeletions`
 * those deleted since still count (the snapshot may have been read before their deletion).
 * Mentions are not implemented by the server yet, so there is no mention count to model.
 */
function unreadAfter(
  rows: readonly Row[],
  userId: number,
  readSeq: number,
  lastSeq: number,
  deletedBefore = Infinity,
  countLaterDeletions = false,
) {
  let n = 0;
  for (const r of rows) {
    if (r.seq <= readSeq || r.seq > lastSeq || r.kind !== 'text' || r.sender_id === userId)
      continue;
    if (r.deleted_at !== null && (r.deleted_at < deletedBefore || !countLaterDeletions)) continue;
    n++;
  }
  return n;
}

/** Checks the log against the database; throws an OracleError listing what broke. */
export async function checkOracle(
  db: Db,
  log: OracleLog,
  opts: CheckOptions = {},
): Promise<OracleSummary> {
  const allAcked = opts.allAcked ?? true;
  const complete = opts.complete ?? true;
  const violations: Violation[] = [];
  const fail = (v: Violation) => violations.push(v);

  const convIds = new Set<number>();
  for (const e of log.events) {
    if (e.k === 'recv') convIds.add(e.m.conversationId);
    else if ('conversationId' in e) convIds.add(e.conversationId);
  }
  const { rows, convs, members } = await loadRows(db, [...convIds]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const byConv = new Map<number, Row[]>();
  for (const r of rows) {
    const list = byConv.get(r.conversation_id) ?? [];
    list.push(r);
    byConv.set(r.conversation_id, list);
  }
  const live = new Map(convs.map((c) => [c.id, c]));
  const currentMembers = new Map<number, Set<number>>();
  for (const m of members) {
    const s = currentMembers.get(m.conversation_id) ?? new Set<number>();
    s.add(m.user_id);
    currentMembers.set(m.conversation_id, s);
  }
  const windows = new Map<number, Map<number, Window[]>>();
  for (const c of convs) {
    windows.set(
      c.id,
      membershipWindows(
        byConv.get(c.id) ?? [],
        c.kind,
        currentMembers.get(c.id) ?? new Set<number>(),
      ),
    );
  }

  // Seq is dense 1..N per conversation, and N is the conversation's last_seq.
  for (const c of convs) {
    const list = byConv.get(c.id) ?? [];
    for (let i = 0; i < list.length; i++) {
      if (list[i]!.seq !== i + 1) {
        fail({
          conversationId: c.id,
          text: `conversation ${c.id}: seq not dense: position ${i + 1} holds seq ${list[i]!.seq}`,
        });
        break;
      }
    }
    if (list.length !== c.last_seq) {
      fail({
        conversationId: c.id,
        text: `conversation ${c.id}: ${list.length} messages but last_seq ${c.last_seq}`,
      });
    }
  }

  // Each (sender, conversation, clientId) is stored at most once.
  const byKey = new Map<string, Row[]>();
  for (const r of rows) {
    if (r.client_id === null) continue;
    const k = keyOf(r.sender_id, r.conversation_id, r.client_id);
    const list = byKey.get(k) ?? [];
    list.push(r);
    byKey.set(k, list);
  }
  for (const [k, list] of byKey) {
    if (list.length > 1) {
      fail({
        conversationId: list[0]!.conversation_id,
        text: `key ${k} stored ${list.length} times (ids ${list.map((r) => r.id).join(', ')})`,
      });
    }
  }

  // Every attempted send is stored exactly once with one of the bodies sent under its key;
  // every ack names that row.
  const sends = new Map<string, { bodies: Set<string>; client: string; conv: number }>();
  const acked = new Map<string, { id: number; seq: number }>();
  let sendAttempts = 0;
  let ackCount = 0;
  for (const e of log.events) {
    if (e.k === 'send') {
      sendAttempts++;
      const k = keyOf(e.userId, e.conversationId, e.clientId);
      const s = sends.get(k) ?? { bodies: new Set(), client: e.client, conv: e.conversationId };
      s.bodies.add(e.body.trim());
      sends.set(k, s);
    } else if (e.k === 'ack') {
      ackCount++;
      const k = keyOf(e.userId, e.conversationId, e.clientId);
      const stored = byKey.get(k)?.[0];
      if (!stored) {
        fail({
          client: e.client,
          conversationId: e.conversationId,
          text: `acked ${k} as id ${e.id} seq ${e.seq}, but no such row is stored`,
        });
      } else if (stored.id !== e.id || stored.seq !== e.seq) {
        fail({
          client: e.client,
          conversationId: e.conversationId,
          text: `acked ${k} as id ${e.id} seq ${e.seq}, stored as id ${stored.id} seq ${stored.seq}`,
        });
      }
      const first = acked.get(k);
      if (first && (first.id !== e.id || first.seq !== e.seq)) {
        fail({
          client: e.client,
          conversationId: e.conversationId,
          text: `acks for ${k} differ: id ${first.id}/seq ${first.seq} then id ${e.id}/seq ${e.seq}`,
        });
      }
      acked.set(k, { id: e.id, seq: e.seq });
    } else if (e.k === 'nack' && !opts.allowNacks) {
      fail({
        client: e.client,
        conversationId: e.conversationId,
        text: `send ${e.clientId} was refused: ${e.code}`,
      });
    }
  }
  for (const [k, s] of sends) {
    if (!live.has(s.conv)) continue;
    const stored = byKey.get(k) ?? [];
    if (stored.length === 0) {
      if (acked.has(k) || allAcked) {
        fail({
          client: s.client,
          conversationId: s.conv,
          text: `send ${k} ${acked.has(k) ? 'was acked' : 'was attempted'} but is not stored`,
        });
      }
    } else if (
      stored[0]!.edited_at === null &&
      stored[0]!.deleted_at === null &&
      !s.bodies.has(stored[0]!.body)
    ) {
      // (An edited or deleted message no longer has the body it was sent with.)
      fail({
        client: s.client,
        conversationId: s.conv,
        text: `send ${k} stored with a body that was never sent under that key`,
      });
    }
    if (allAcked && !acked.has(k)) {
      fail({ client: s.client, conversationId: s.conv, text: `send ${k} was never acked` });
    }
  }

  // Everything a client received is a stored message, exactly as stored.
  let received = 0;
  for (const e of log.events) {
    if (e.k !== 'recv') continue;
    received++;
    const m = e.m;
    if (!live.has(m.conversationId)) continue;
    const r = byId.get(m.id);
    if (!r) {
      fail({
        client: e.client,
        conversationId: m.conversationId,
        text: `${e.client} received id ${m.id} (seq ${m.seq}) by ${e.via}, which is not stored`,
      });
      continue;
    }
    // A copy of the stored version shows the stored body (a tombstone's is ""); an older
    // copy may show an earlier one; no copy is newer than what is stored.
    const sameVersion = m.version === undefined || m.version === r.version;
    if (m.version !== undefined && m.version > r.version) {
      fail({
        client: e.client,
        conversationId: m.conversationId,
        text: `${e.client} received id ${m.id} at version ${m.version} by ${e.via}; stored at version ${r.version}`,
      });
    }
    if (
      r.conversation_id !== m.conversationId ||
      r.seq !== m.seq ||
      r.sender_id !== m.senderId ||
      r.client_id !== m.clientId ||
      (sameVersion && r.body !== m.body) ||
      (sameVersion && m.deleted !== undefined && m.deleted !== (r.deleted_at !== null)) ||
      r.kind !== m.kind
    ) {
      fail({
        client: e.client,
        conversationId: m.conversationId,
        text: `${e.client} received id ${m.id} as c${m.conversationId}/seq ${m.seq} by ${e.via}; stored as c${r.conversation_id}/seq ${r.seq} (or other fields differ: ${[
          r.sender_id !== m.senderId ? `sender ${m.senderId} (stored ${r.sender_id})` : '',
          r.client_id !== m.clientId ? `clientId ${m.clientId} (stored ${r.client_id})` : '',
          r.kind !== m.kind ? `kind ${m.kind} (stored ${r.kind})` : '',
          sameVersion && r.body !== m.body
            ? `body ${JSON.stringify(m.body.slice(0, 40))} (stored ${JSON.stringify(r.body.slice(0, 40))})`
            : '',
          sameVersion && m.deleted !== undefined && m.deleted !== (r.deleted_at !== null)
            ? `deleted ${m.deleted} (stored ${r.deleted_at !== null})`
            : '',
          m.version === undefined ? '' : `at version ${m.version}, stored ${r.version}`,
        ]
          .filter((x) => x !== '')
          .join(', ')})`,
      });
    }
  }

  // Each client's timeline: increasing seq, each message once, and complete for open clients.
  const closed = new Set<string>();
  const tracked = new Map<string, { client: string; userId: number; conv: number; from: number }>();
  const applied = new Map<string, { last: number; seqs: Set<number>; ids: Set<number> }>();
  let appliedCount = 0;
  const heldAtEnd = new Map<string, boolean>();
  /** When each client's socket was up (wall-clock intervals). */
  const online = new Map<string, Array<{ from: number; to: number }>>();
  const got = new Map<string, Set<number>>();
  for (const e of log.events) {
    if (e.k === 'close') closed.add(e.client);
    if (e.k === 'conn') {
      const list = online.get(e.client) ?? [];
      if (e.up) list.push({ from: e.wall, to: Infinity });
      else if (list.length && list[list.length - 1]!.to === Infinity)
        list[list.length - 1]!.to = e.wall;
      online.set(e.client, list);
    }
    if (e.k === 'recv') {
      const k = `${e.client}|${e.m.conversationId}`;
      const s = got.get(k) ?? new Set<number>();
      s.add(e.m.seq);
      got.set(k, s);
    }
    if (e.k === 'untrack') heldAtEnd.set(`${e.client}|${e.conversationId}`, false);
    if (e.k === 'track') {
      heldAtEnd.set(`${e.client}|${e.conversationId}`, true);
      const k = `${e.client}|${e.conversationId}`;
      if (!tracked.has(k))
        tracked.set(k, {
          client: e.client,
          userId: e.userId,
          conv: e.conversationId,
          from: e.fromSeq,
        });
    }
    if (e.k !== 'apply') continue;
    appliedCount++;
    const k = `${e.client}|${e.conversationId}`;
    const a = applied.get(k) ?? { last: 0, seqs: new Set<number>(), ids: new Set<number>() };
    if (a.ids.has(e.id) || a.seqs.has(e.seq)) {
      fail({
        client: e.client,
        conversationId: e.conversationId,
        text: `${e.client} applied c${e.conversationId} seq ${e.seq} (id ${e.id}) twice`,
      });
    } else if (e.seq <= a.last) {
      fail({
        client: e.client,
        conversationId: e.conversationId,
        text: `${e.client} applied c${e.conversationId} seq ${e.seq} after seq ${a.last}`,
      });
    }
    const r = byId.get(e.id);
    if (live.has(e.conversationId) && r && r.seq !== e.seq) {
      fail({
        client: e.client,
        conversationId: e.conversationId,
        text: `${e.client} applied id ${e.id} at seq ${e.seq}; stored at seq ${r.seq}`,
      });
    }
    a.last = Math.max(a.last, e.seq);
    a.seqs.add(e.seq);
    a.ids.add(e.id);
    applied.set(k, a);
  }
  if (complete) {
    for (const [k, t] of tracked) {
      if (closed.has(t.client) || !live.has(t.conv)) continue;
      const ws = windows.get(t.conv)?.get(t.userId);
      // A conversation it still holds: every message of its membership is in its timeline
      // (catch-up reads the history). One it was removed from (its history may be closed to
      // it by then): every message sent there while it was a member and its socket was up
      // was received, since the server tells every member's sockets.
      const held = heldAtEnd.get(k) ?? false;
      const have = (held ? applied.get(k)?.seqs : got.get(k)) ?? new Set<number>();
      const up = online.get(t.client) ?? [];
      const whileUp = (r: Row) =>
        up.some((i) => r.created_at > i.from && r.created_at < i.to - LIVE_MARGIN_MS);
      const missing: number[] = [];
      for (const r of byConv.get(t.conv) ?? []) {
        if (r.seq <= t.from || !inWindows(ws, r.seq) || have.has(r.seq)) continue;
        if (held || whileUp(r)) missing.push(r.seq);
      }
      if (missing.length) {
        fail({
          client: t.client,
          conversationId: t.conv,
          text: `${t.client} ${held ? 'holds' : 'received'} ${missing.length} message(s) of c${t.conv} too few: seq ${missing.slice(0, 12).join(', ')}${missing.length > 12 ? ', …' : ''}`,
        });
      }
    }
  }

  // Unread counts: the server's answer equals the model, from the log's reads and sends.
  const reads = new Map<string, { acked: number; any: number }>();
  let unreadChecked = 0;
  for (const e of log.events) {
    if (e.k === 'read') {
      const k = `${e.userId}|${e.conversationId}`;
      const r = reads.get(k) ?? { acked: 0, any: 0 };
      r.any = Math.max(r.any, e.seq);
      if (e.acked) r.acked = Math.max(r.acked, e.seq);
      reads.set(k, r);
      continue;
    }
    if (e.k !== 'unread') continue;
    unreadChecked++;
    const list = byConv.get(e.conversationId);
    const ws = windows.get(e.conversationId)?.get(e.userId);
    if (!list || !ws?.length) continue;
    // The membership the snapshot saw: the last one begun by then.
    const current = ws.filter((x) => x.after <= e.lastSeq);
    if (!current.length) continue;
    const joinedAt = current[current.length - 1]!.after;
    let own = 0;
    for (const r of list) {
      if (r.seq <= e.lastSeq && r.kind === 'text' && r.sender_id === e.userId)
        own = Math.max(own, r.seq);
    }
    const r = reads.get(`${e.userId}|${e.conversationId}`) ?? { acked: 0, any: 0 };
    const low = Math.min(e.lastSeq, Math.max(joinedAt, own, r.acked));
    const high = Math.min(e.lastSeq, Math.max(low, r.any));
    const most = unreadAfter(list, e.userId, low, e.lastSeq, e.wall, true);
    const least = unreadAfter(list, e.userId, high, e.lastSeq, e.wall, false);
    if (e.unreadCount < 0 || e.unreadCount < least || e.unreadCount > most) {
      fail({
        client: e.client,
        conversationId: e.conversationId,
        text: `user ${e.userId} c${e.conversationId}: server says unread ${e.unreadCount}, model says ${least === most ? most : `${least}..${most}`}`,
      });
    }
    if (e.myReadSeq < low || e.myReadSeq > high) {
      fail({
        client: e.client,
        conversationId: e.conversationId,
        text: `user ${e.userId} c${e.conversationId}: server says read seq ${e.myReadSeq}, model says ${low === high ? low : `${low}..${high}`}`,
      });
    }
  }

  if (violations.length) throw new OracleError(log, violations);
  return {
    messages: rows.length,
    conversations: convs.length,
    clients: new Set(
      log.events.flatMap((e) => ('client' in e ? [(e as { client: string }).client] : [])),
    ).size,
    sendAttempts,
    acks: ackCount,
    received,
    applied: appliedCount,
    unreadChecked,
  };
}

/** A wire Message of v1.1, as far as the state oracle compares it. */
export interface FullMessage extends SeenMessage {
  version: number;
  deletedAt: string | null;
  editedAt: string | null;
  reactions: ReadonlyArray<{ emoji: string; count: number; userIds: readonly number[] }>;
  pinned: { by: number; at: string } | null;
  replyTo: { id: number; seq: number; senderId: number; excerpt: string } | null;
}

/**
 * What the state oracle compares of one message (v1.1): its place, its version and its content
 * as of that version. Times are ms since the epoch. Receipt `status` is left out: it is not
 * versioned (clients follow `receipt` events for it). So are `mentions` (the server does not
 * compute them yet: always []) and `attachments` (no uploads in these tests).
 */
export interface MessageState {
  id: number;
  seq: number;
  kind: string;
  senderId: number;
  version: number;
  body: string;
  deletedAt: number | null;
  editedAt: number | null;
  reactions: Array<{ emoji: string; userIds: number[] }>;
  pinned: { by: number; at: number } | null;
  replyTo: { id: number; excerpt: string } | null;
}

const msOf = (t: string | null | undefined): number | null =>
  t === null || t === undefined ? null : Date.parse(t);

/** A wire copy as a MessageState (missing v1.1 fields read as their v1 meaning). */
export function stateOfWire(m: SeenMessage & Partial<FullMessage>): MessageState {
  return {
    id: m.id,
    seq: m.seq,
    kind: m.kind,
    senderId: m.senderId,
    version: m.version ?? 0,
    body: m.body,
    deletedAt: msOf(m.deletedAt),
    editedAt: msOf(m.editedAt),
    reactions: (m.reactions ?? []).map((r) => ({ emoji: r.emoji, userIds: [...r.userIds] })),
    pinned: m.pinned ? { by: m.pinned.by, at: Date.parse(m.pinned.at) } : null,
    replyTo: m.replyTo ? { id: m.replyTo.id, excerpt: m.replyTo.excerpt } : null,
  };
}

/**
 * The stored state of every message of these conversations, each list in seq order, built
 * from the rows alone: a tombstone has body "" and no reactions, reply or pin; reactions are
 * grouped by emoji in the order each emoji was first used (reaction row order), users in
 * reaction order; a reply quotes the first code points of its target's current body ("" once
 * the target is deleted).
 */
export async function storedStates(
  db: Db,
  conversationIds: readonly number[],
): Promise<Map<number, MessageState[]>> {
  const out = new Map<number, MessageState[]>(conversationIds.map((id) => [id, []]));
  for (let i = 0; i < conversationIds.length; i += 200) {
    const chunk = conversationIds.slice(i, i + 200);
    const rows = await db
      .selectFrom('messages')
      .select([
        'id',
        'conversation_id',
        'seq',
        'sender_id',
        'kind',
        'body',
        'version',
        'deleted_at',
        'edited_at',
        'reply_to_id',
        'pinned_by',
        'pinned_at',
      ])
      .where('conversation_id', 'in', chunk)
      .orderBy('conversation_id')
      .orderBy('seq')
      .execute();
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    const reactions = new Map<number, Array<{ emoji: string; userIds: number[] }>>();
    const ids = rows.map((r) => Number(r.id));
    for (let j = 0; j < ids.length; j += 500) {
      const some = await db
        .selectFrom('reactions')
        .select(['message_id', 'user_id', 'emoji'])
        .where('message_id', 'in', ids.slice(j, j + 500))
        .orderBy('id')
        .execute();
      for (const x of some) {
        const list = reactions.get(Number(x.message_id)) ?? [];
        let one = list.find((y) => y.emoji === x.emoji);
        if (!one) list.push((one = { emoji: x.emoji, userIds: [] }));
        one.userIds.push(Number(x.user_id));
        reactions.set(Number(x.message_id), list);
      }
    }
    for (const r of rows) {
      const deleted = r.deleted_at !== null;
      const target = r.reply_to_id === null ? undefined : byId.get(Number(r.reply_to_id));
      const excerpt = !target
        ? ''
        : target.deleted_at !== null
          ? ''
          : Array.from(target.body).slice(0, LIMITS.replyExcerptMax).join('');
      out.get(Number(r.conversation_id))!.push({
        id: Number(r.id),
        seq: Number(r.seq),
        kind: r.kind,
        senderId: Number(r.sender_id),
        version: Number(r.version),
        body: deleted ? '' : r.body,
        deletedAt: r.deleted_at === null ? null : Number(r.deleted_at),
        editedAt: r.edited_at === null ? null : Number(r.edited_at),
        reactions: deleted ? [] : (reactions.get(Number(r.id)) ?? []),
        pinned:
          deleted || r.pinned_by === null || r.pinned_at === null
            ? null
            : { by: Number(r.pinned_by), at: Number(r.pinned_at) },
        replyTo:
          deleted || r.reply_to_id === null || !target
            ? null
            : { id: Number(r.reply_to_id), excerpt },
      });
    }
  }
  return out;
}

/** The fields in which two states of one message differ, in words ("" when they do not). */
export function stateDiff(got: MessageState, want: MessageState): string {
  const keys = Object.keys(want) as Array<keyof MessageState>;
  return keys
    .filter((k) => JSON.stringify(got[k]) !== JSON.stringify(want[k]))
    .map(
      (k) =>
        `${k} ${JSON.stringify(got[k])?.slice(0, 80)} (stored ${JSON.stringify(want[k])?.slice(0, 80)})`,
    )
    .join(', ');
}

/** What one client holds, for the state oracle. */
export interface HeldState {
  client: string;
  userId: number;
  conversations: ReadonlyArray<{
    conversationId: number;
    /** It holds the messages after this seq. */
    fromSeq: number;
    /** Its latest copy of each message it holds, in seq order. */
    messages: ReadonlyArray<SeenMessage & Partial<FullMessage>>;
  }>;
  /** Messages it showed as deleted and later as not deleted (must never happen). */
  resurrected?: ReadonlyArray<{ conversationId: number; id: number; version: number }>;
}

export interface StateSummary {
  clients: number;
  conversations: number;
  messages: number;
  deleted: number;
  edited: number;
  withReactions: number;
  pinned: number;
  replies: number;
}

/**
 * The v1.1 state oracle: each client's latest copy of every message it holds equals the
 * database message by message (place, version, body, deletedAt, editedAt, reactions, pin,
 * reply excerpt), it holds every stored message after its starting seq and nothing else, and
 * no message it showed as deleted came back. Throws an OracleError listing what differs.
 */
export async function checkMessageStates(
  db: Db,
  log: OracleLog,
  holders: readonly HeldState[],
): Promise<StateSummary> {
  const violations: Violation[] = [];
  const convIds = [
    ...new Set(holders.flatMap((h) => h.conversations.map((c) => c.conversationId))),
  ];
  const stored = await storedStates(db, convIds);
  let compared = 0;
  for (const h of holders) {
    for (const r of h.resurrected ?? []) {
      violations.push({
        client: h.client,
        conversationId: r.conversationId,
        text: `${h.client} showed id ${r.id} of c${r.conversationId} again after its deletion (version ${r.version})`,
      });
    }
    for (const c of h.conversations) {
      const want = (stored.get(c.conversationId) ?? []).filter((m) => m.seq > c.fromSeq);
      const got = new Map(c.messages.map((m) => [m.id, stateOfWire(m)]));
      const problems: string[] = [];
      for (const m of want) {
        const g = got.get(m.id);
        got.delete(m.id);
        compared++;
        if (!g) {
          problems.push(`seq ${m.seq} (id ${m.id}) missing`);
          continue;
        }
        const d = stateDiff(g, m);
        if (d) problems.push(`seq ${m.seq} (id ${m.id}): ${d}`);
      }
      for (const g of got.values()) problems.push(`id ${g.id} (seq ${g.seq}) held, not stored`);
      if (problems.length) {
        violations.push({
          client: h.client,
          conversationId: c.conversationId,
          text: `${h.client} c${c.conversationId}: ${problems.length} message(s) differ from the database: ${problems.slice(0, 6).join('; ')}${problems.length > 6 ? '; …' : ''}`,
        });
      }
    }
  }
  if (violations.length) throw new OracleError(log, violations);
  const all = [...stored.values()].flat();
  return {
    clients: holders.length,
    conversations: convIds.length,
    messages: compared,
    deleted: all.filter((m) => m.deletedAt !== null).length,
    edited: all.filter((m) => m.editedAt !== null && m.deletedAt === null).length,
    withReactions: all.filter((m) => m.reactions.length > 0).length,
    pinned: all.filter((m) => m.pinned !== null).length,
    replies: all.filter((m) => m.replyTo !== null).length,
  };
}

/** A broken delivery promise: names the seed, the violations and what the log says around them. */
export class OracleError extends Error {
  constructor(log: OracleLog, violations: Violation[]) {
    const first = violations[0]!;
    const related = (e: OracleEvent) => {
      if (e.k === 'note') return true;
      if (first.client && 'client' in e && (e as { client: string }).client !== first.client)
        return false;
      if (first.conversationId !== undefined) {
        const conv =
          e.k === 'recv'
            ? e.m.conversationId
            : 'conversationId' in e
              ? e.conversationId
              : undefined;
        if (conv !== undefined && conv !== first.conversationId) return false;
      }
      return true;
    };
    super(
      [
        `Oracle "${log.name}" failed (seed ${log.seed}): ${violations.length} violation(s)`,
        ...violations.slice(0, 25).map((v) => `  - ${v.text}`),
        violations.length > 25 ? `  … and ${violations.length - 25} more` : '',
        `Event log around the first violation (rerun with PARLEY_SEED=${log.seed}):`,
        log.excerpt(related, 60),
      ]
        .filter((l) => l !== '')
        .join('\n'),
    );
    this.name = 'OracleError';
  }
}

/** A small seeded PRNG (mulberry32): every random choice of a run follows from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The run's seed: PARLEY_SEED when set (to replay a failure), else a fresh one. Printed. */
export function runSeed(label: string): number {
  const env = process.env.PARLEY_SEED;
  const seed =
    env !== undefined && env !== '' ? Number(env) >>> 0 : Math.floor(Math.random() * 2 ** 32);
  console.log(`[${label}] seed ${seed} (replay with PARLEY_SEED=${seed})`);
  return seed;
}

/** A UUIDv4-shaped string drawn from a seeded PRNG. */
export function uuidFrom(rand: () => number): string {
  const hex = (n: number) =>
    Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  const variant = (8 + Math.floor(rand() * 4)).toString(16);
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
}
