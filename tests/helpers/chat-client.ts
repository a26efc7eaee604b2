import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import type { FullMessage, HeldState, OracleLog, SeenMessage, Via } from './oracle.js';

/**
 * A Message as the wire carries it (only what the client uses). The v1.1 fields are optional
 * here so that older tests can build one by hand; the server always sends them.
 */
export interface WireMessage extends SeenMessage, Partial<Omit<FullMessage, keyof SeenMessage>> {
  createdAt: string;
}

interface ConversationView {
  id: number;
  lastSeq: number;
  /** v1.1: the conversation's change counter. */
  lastVersion?: number;
  unreadCount: number;
  myReadSeq: number;
  lastMessage?: WireMessage | null;
}

interface Pending {
  conversationId: number;
  clientId: string;
  body: string;
  /** v1.1: the message answered; dropped if the server refuses it (deleted meanwhile). */
  replyToId?: number;
  attempts: number;
  resolve: (m: WireMessage) => void;
  reject: (e: Error) => void;
}

/** A change of an existing message (v1.1), sent over the socket. */
export type ChangeOp = { conversationId: number; messageId: number } & (
  | { kind: 'edit'; body: string }
  | { kind: 'delete' }
  | { kind: 'react'; emoji: string; on: boolean }
  | { kind: 'pin'; pinned: boolean }
);

export type ChangeResult =
  | { ok: true; message: WireMessage; attempts: number }
  | { ok: false; code: string; attempts: number };

/** What the client holds of one conversation. */
interface Held {
  /** Highest seq applied: everything from `from + 1` to here is in the timeline, in order. */
  highest: number;
  from: number;
  /** Messages received ahead of a gap, waiting for the gap to fill. */
  ahead: Map<number, WireMessage>;
  /** The messages from `from + 1` to `highest`, each the copy with the highest version seen. */
  timeline: WireMessage[];
  /** The last seq the server said exists (from the conversation list or an update). */
  known: number;
  removed: boolean;
  /** When membership news about it last came (the client's own event counter). */
  stamp: number;
  gapTimer: NodeJS.Timeout | null;
  /**
   * v1.1 version cursor (sync 'changes'): every change up to `synced` is reflected in what the
   * client holds; `vahead` holds versions seen above it. The server raises a conversation's
   * version by one per change and sends one event per version, so a hole means a missed event.
   */
  synced: number;
  vahead: Set<number>;
  /** The highest version the client heard of (list, conversation:updated, any copy). */
  knownVersion: number;
  /** The first load of its history is done (sync 'changes'). */
  loaded: boolean;
}

export interface ChatClientOptions {
  name: string;
  userId: number;
  token: string;
  /** Where the socket connects (may be a fault proxy). */
  socketUrl: string;
  /** Where REST calls go; the socket URL when not given. */
  apiUrl?: string;
  log: OracleLog;
  ackTimeoutMs?: number;
  /** History page size for catch-up (the server allows at most 200). */
  pageSize?: number;
  reconnectionDelay?: number;
  reconnectionDelayMax?: number;
  randomizationFactor?: number;
  /**
   * 'attempt' behaves like a client relying on Socket.IO connection-state recovery: it offers
   * its previous session on reconnect and skips catch-up whenever the server says
   * `recovered`. 'off' always catches up.
   */
  recovery?: 'off' | 'attempt';
  /** How long a seq gap may stay open before the client fetches it. */
  gapGraceMs?: number;
  /** Records each history page fetched (for paging-boundary tests). */
  onPage?: (p: { conversationId: number; after: number; count: number; hasMore: boolean }) => void;
  /**
   * Awaited during each catch-up after the conversation list and after each history page (and
   * each changes page), so a test can change things while the client is half-way through
   * loading.
   */
  duringCatchUp?: (at: 'list' | 'page' | 'changes', conversationId: number | null) => Promise<void>;
  /**
   * How the client catches up. 'seq' (v1, the default): GET …/messages?after=<highest seq>.
   * 'changes' (v1.1): it keeps a version cursor per conversation and, when the conversation's
   * `lastVersion` moved past it (or live versions show a hole), pages
   * GET …/changes?since=<cursor>, which brings new and changed messages alike. Either way it
   * applies live `message:new` and `message:updated`, keeping per message the highest version.
   */
  sync?: 'seq' | 'changes';
  /**
   * With sync 'changes', how a conversation is loaded the first time: its history pages
   * (then the changes since the `lastVersion` the list showed), or the changes since 0.
   */
  initialLoad?: 'history' | 'changes';
  /** Page size of GET …/changes (the server allows at most 500). */
  changesPageSize?: number;
  /** Records each changes page fetched. */
  onChangesPage?: (p: {
    conversationId: number;
    since: number;
    count: number;
    hasMore: boolean;
    lastVersion: number;
  }) => void;
}

export interface ClientStats {
  connects: number;
  disconnects: number;
  connectErrors: number;
  catchUps: number;
  pages: number;
  sendAttempts: number;
  ackTimeouts: number;
  gapFetches: number;
  recovered: number;
  /** v1.1: change requests sent (with retries), their ack timeouts, and changes pages read. */
  changeAttempts: number;
  changeAckTimeouts: number;
  changesPages: number;
  /** v1.1: live `message:updated` events received. */
  updates: number;
  /** Copies that replaced an older copy of a message (a higher version). */
  replaced: number;
  /** Copies ignored because a copy of at least that version was held. */
  stale: number;
  /** Two copies of the same message and version with different content (see `conflicts`). */
  conflicts: number;
  /** Replies sent again without their reply because the message answered was deleted. */
  replyDropped: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A test client that behaves like a careful real one: Socket.IO with reconnection and jittered
 * backoff; an outbox that sends one message at a time and retries with the same clientId after
 * an ack timeout or a reconnect; the highest seq per conversation; and on every (re)connect a
 * catch-up through GET /api/conversations and paged GET …/messages?after=. Every step is
 * written to the oracle log.
 */
export class ChatClient {
  readonly socket: Socket;
  readonly stats: ClientStats = {
    connects: 0,
    disconnects: 0,
    connectErrors: 0,
    catchUps: 0,
    pages: 0,
    sendAttempts: 0,
    ackTimeouts: 0,
    gapFetches: 0,
    recovered: 0,
    changeAttempts: 0,
    changeAckTimeouts: 0,
    changesPages: 0,
    updates: 0,
    replaced: 0,
    stale: 0,
    conflicts: 0,
    replyDropped: 0,
  };
  /** Messages shown as deleted and later shown as not deleted again (must stay empty). */
  readonly resurrected: Array<{ conversationId: number; id: number; version: number }> = [];
  /** Replies refused because of the message they answer (then sent plain). */
  readonly replyRefusals: Array<{ clientId: string; replyToId: number; message: string }> = [];
  /** Same message, same version, different content: the first few, for reports. */
  readonly conflicts: Array<{ id: number; version: number; held: string; incoming: string }> = [];
  private readonly held = new Map<number, Held>();
  private readonly outbox: Pending[] = [];
  private pumping = false;
  private catching = false;
  private catchAgain = false;
  private closed = false;
  private expired = false;
  private lastOffset: string | undefined;
  private readonly apiUrl: string;
  private readonly ackTimeoutMs: number;
  private readonly pageSize: number;
  private readonly gapGraceMs: number;
  private readonly sync: 'seq' | 'changes';
  private readonly changesPageSize: number;
  private connectWaiters: Array<() => void> = [];
  private clock = 0;
  /** When the socket last (re)connected (ms since the epoch; 0 before the first time). */
  lastConnectAt = 0;
  private lastSocketId = '';

  constructor(private readonly opts: ChatClientOptions) {
    this.apiUrl = opts.apiUrl ?? opts.socketUrl;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 2000;
    this.pageSize = opts.pageSize ?? 200;
    this.gapGraceMs = opts.gapGraceMs ?? 400;
    this.sync = opts.sync ?? 'seq';
    this.changesPageSize = opts.changesPageSize ?? 200;
    this.socket = io(opts.socketUrl, {
      path: '/socket.io',
      transports: ['websocket'],
      auth: { token: opts.token },
      reconnection: true,
      reconnectionDelay: opts.reconnectionDelay ?? 1000,
      reconnectionDelayMax: opts.reconnectionDelayMax ?? 5000,
      randomizationFactor: opts.randomizationFactor ?? 0.5,
      timeout: 5000,
      forceNew: true,
      autoConnect: false,
    });
    this.socket.on('connect', () => this.onConnect());
    this.socket.on('disconnect', (reason: string) => this.onDisconnect(reason));
    this.socket.on('connect_error', () => {
      this.stats.connectErrors++;
    });
    this.socket.on('message:new', (m: WireMessage) => {
      this.ingest(m, 'live');
    });
    this.socket.on('message:updated', (m: WireMessage) => {
      this.stats.updates++;
      this.ingest(m, 'update');
    });
    this.socket.on('conversation:updated', (c: ConversationView) => this.onUpdated(c));
    this.socket.on('conversation:removed', (r: { conversationId: number }) =>
      this.untrack(r.conversationId),
    );
    this.socket.on('session:expired', () => {
      this.expired = true;
    });
    if (opts.recovery === 'attempt') {
      // Keep the offset a recovering client would present (the last string argument).
      this.socket.onAny((...args: unknown[]) => {
        const last = args[args.length - 1];
        if (typeof last === 'string') this.lastOffset = last;
      });
    }
  }

  get name(): string {
    return this.opts.name;
  }
  get userId(): number {
    return this.opts.userId;
  }
  get connected(): boolean {
    return this.socket.connected;
  }
  get pendingSends(): number {
    return this.outbox.length;
  }

  /** Connects and resolves after the first catch-up has finished. */
  async connect(timeoutMs = 15_000): Promise<void> {
    const ready = new Promise<void>((resolve) => this.connectWaiters.push(resolve));
    this.socket.connect();
    await withTimeout(ready, timeoutMs, `${this.name}: no connection and catch-up`);
  }

  private onConnect(): void {
    this.stats.connects++;
    this.lastConnectAt = Date.now();
    this.lastSocketId = this.socket.id ?? '';
    this.opts.log.add({
      k: 'conn',
      client: this.name,
      userId: this.userId,
      up: true,
      wall: this.lastConnectAt,
    });
    const recovered = this.socket.recovered;
    this.opts.log.note(`${this.name} connected (#${this.stats.connects}, recovered=${recovered})`);
    if (this.opts.recovery === 'attempt' && recovered) {
      // A client relying on recovery would trust the replay and skip the catch-up.
      this.stats.recovered++;
    } else {
      void this.catchUp();
    }
    void this.pump();
  }

  private onDisconnect(reason: string): void {
    this.stats.disconnects++;
    this.opts.log.add({
      k: 'conn',
      client: this.name,
      userId: this.userId,
      up: false,
      wall: Date.now(),
    });
    this.opts.log.note(`${this.name} disconnected: ${reason}`);
    if (this.opts.recovery === 'attempt') {
      // Offer the previous session on reconnect, as a client does when the server enabled
      // connection-state recovery; with no event received yet the offset is undefined (the
      // zero-event case, socket.io#5538).
      const s = this.socket as unknown as { _pid?: string; _lastOffset?: string };
      s._pid = `${this.name}-${this.lastSocketId}`;
      s._lastOffset = this.lastOffset;
    }
    if (reason === 'io server disconnect' && !this.closed && !this.expired) {
      // A server shutting down disconnects us on purpose; Socket.IO will not retry that by
      // itself, a real client does (after a pause).
      setTimeout(
        () => {
          if (!this.closed && !this.socket.connected) this.socket.connect();
        },
        500 + Math.floor(Math.random() * 1000),
      );
    }
  }

  private held0(conversationId: number, from = 0): Held {
    let h = this.held.get(conversationId);
    if (!h) {
      h = {
        highest: from,
        from,
        ahead: new Map(),
        timeline: [],
        known: from,
        removed: false,
        stamp: ++this.clock,
        gapTimer: null,
        synced: 0,
        vahead: new Set(),
        knownVersion: 0,
        loaded: false,
      };
      this.held.set(conversationId, h);
      this.opts.log.add({
        k: 'track',
        client: this.name,
        userId: this.userId,
        conversationId,
        fromSeq: from,
      });
    }
    return h;
  }

  /** Starts holding a conversation from `fromSeq` (default: its whole history). */
  track(conversationId: number, fromSeq = 0): void {
    this.held0(conversationId, fromSeq);
  }

  private untrack(conversationId: number): void {
    // Removed from one not held yet (a list read just before may still show it): hold it as
    // removed, so that older list does not bring it back.
    const h = this.held.get(conversationId) ?? this.held0(conversationId);
    if (h.removed) return;
    h.removed = true;
    h.stamp = ++this.clock;
    if (h.gapTimer) clearTimeout(h.gapTimer);
    h.gapTimer = null;
    this.opts.log.add({
      k: 'untrack',
      client: this.name,
      userId: this.userId,
      conversationId,
      atSeq: h.highest,
    });
  }

  /** Holds a conversation again after it was removed (back in the group). */
  private rehold(conversationId: number, h: Held): void {
    h.removed = false;
    h.stamp = ++this.clock;
    this.opts.log.add({
      k: 'track',
      client: this.name,
      userId: this.userId,
      conversationId,
      fromSeq: h.from,
    });
  }

  private onUpdated(c: ConversationView): void {
    const h = this.held.get(c.id);
    if (!h || h.removed) {
      // Added to a conversation (or back in one): learn it through a catch-up.
      if (h) this.rehold(c.id, h);
      void this.catchUp();
      return;
    }
    h.known = Math.max(h.known, c.lastSeq);
    if (typeof c.lastVersion === 'number') h.knownVersion = Math.max(h.knownVersion, c.lastVersion);
    if (this.behind(h)) this.armGap(c.id, h);
  }

  /** Whether the client knows it misses something of a conversation (seqs or versions). */
  private behind(h: Held): boolean {
    if (h.known > h.highest) return true;
    return this.sync === 'changes' && h.loaded && h.knownVersion > h.synced;
  }

  /** Records a version as reflected; moves the cursor over the versions that now follow it. */
  private seeVersion(h: Held, v: number): void {
    if (v > h.knownVersion) h.knownVersion = v;
    if (v <= h.synced) return;
    h.vahead.add(v);
    while (h.vahead.delete(h.synced + 1)) h.synced++;
  }

  /** Moves the version cursor to `v` (a catch-up showed every change up to it). */
  private syncTo(h: Held, v: number): void {
    if (v <= h.synced) return;
    h.synced = v;
    for (const x of h.vahead) if (x <= v) h.vahead.delete(x);
    while (h.vahead.delete(h.synced + 1)) h.synced++;
  }

  /**
   * Keeps the copy with the higher version of a message already held or waiting; at the same
   * version the held copy stays (and a different content is counted as a conflict). Returns
   * true when the message was held or waiting already.
   */
  private merge(h: Held, m: WireMessage): boolean {
    let held: WireMessage | undefined;
    let put: ((x: WireMessage) => void) | null = null;
    if (m.seq > h.from && m.seq <= h.highest) {
      const i = m.seq - h.from - 1;
      held = h.timeline[i];
      put = (x) => {
        h.timeline[i] = x;
      };
    } else if (h.ahead.has(m.seq)) {
      held = h.ahead.get(m.seq);
      put = (x) => h.ahead.set(m.seq, x);
    }
    if (!held || !put) return false;
    if (held.id !== m.id) return true; // the oracle reports a seq held by two ids
    const hv = held.version ?? 0;
    const mv = m.version ?? 0;
    if (mv > hv) {
      if (held.deletedAt && !m.deletedAt) {
        this.resurrected.push({ conversationId: m.conversationId, id: m.id, version: mv });
        this.opts.log.note(`${this.name} got id ${m.id} back from deletion at version ${mv}`);
      }
      put(m);
      this.stats.replaced++;
    } else {
      this.stats.stale++;
      if (mv === hv && m.version !== undefined && contentOf(held) !== contentOf(m)) {
        this.stats.conflicts++;
        if (this.conflicts.length < 20)
          this.conflicts.push({
            id: m.id,
            version: mv,
            held: contentOf(held),
            incoming: contentOf(m),
          });
      }
    }
    return true;
  }

  /**
   * Takes a message from any source: applies it in seq order, holds it if a gap is open, and
   * keeps per message the copy with the highest version.
   */
  private ingest(m: WireMessage, via: Via): void {
    const seen: SeenMessage = {
      id: m.id,
      conversationId: m.conversationId,
      seq: m.seq,
      senderId: m.senderId,
      clientId: m.clientId,
      kind: m.kind,
      body: m.body,
      ...(m.version === undefined ? {} : { version: m.version, deleted: !!m.deletedAt }),
    };
    this.opts.log.add({ k: 'recv', client: this.name, userId: this.userId, via, m: seen });
    const h = this.held0(m.conversationId);
    if (h.removed && (via === 'live' || via === 'update')) this.rehold(m.conversationId, h);
    h.known = Math.max(h.known, m.seq);
    if (this.sync === 'changes' && typeof m.version === 'number') this.seeVersion(h, m.version);
    if (m.seq <= h.from) return;
    if (this.merge(h, m)) {
      if (this.behind(h)) this.armGap(m.conversationId, h);
      return;
    }
    if (m.seq <= h.highest) return;
    h.ahead.set(m.seq, m);
    for (let next = h.ahead.get(h.highest + 1); next; next = h.ahead.get(h.highest + 1)) {
      h.ahead.delete(next.seq);
      h.highest = next.seq;
      h.timeline.push(next);
      this.opts.log.add({
        k: 'apply',
        client: this.name,
        userId: this.userId,
        conversationId: next.conversationId,
        id: next.id,
        seq: next.seq,
      });
    }
    if (this.behind(h)) this.armGap(m.conversationId, h);
    else if (h.gapTimer) {
      clearTimeout(h.gapTimer);
      h.gapTimer = null;
    }
  }

  /** A gap that does not close by itself soon (a reordered emit) is fetched. */
  private armGap(conversationId: number, h: Held): void {
    if (h.gapTimer || this.closed) return;
    h.gapTimer = setTimeout(() => {
      h.gapTimer = null;
      if (this.behind(h) && !h.removed && !this.closed) {
        this.stats.gapFetches++;
        this.opts.log.note(
          `${this.name} gap in c${conversationId} after seq ${h.highest}` +
            (this.sync === 'changes' ? ` / version ${h.synced} (knows ${h.knownVersion})` : ''),
        );
        void this.catchUp();
      }
    }, this.gapGraceMs);
  }

  private async rest<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.apiUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${this.opts.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    if (!res.ok) throw new HttpError(res.status, text);
    return (text === '' ? null : JSON.parse(text)) as T;
  }

  /** Runs the catch-up, once at a time; a request during a run makes it run again. */
  catchUp(): Promise<void> {
    if (this.catching) {
      this.catchAgain = true;
      return this.catchDone ?? Promise.resolve();
    }
    this.catching = true;
    this.catchDone = (async () => {
      let backoff = 200;
      try {
        do {
          this.catchAgain = false;
          if (this.closed) break;
          try {
            await this.catchUpOnce();
            backoff = 200;
          } catch (err) {
            // Server down or restarting: try again shortly while connected; a reconnect
            // starts a fresh catch-up anyway.
            this.opts.log.note(`${this.name} catch-up failed: ${(err as Error).message}`);
            if (!this.socket.connected && !this.socket.active) break;
            await sleep(backoff);
            backoff = Math.min(backoff * 2, 2000);
            this.catchAgain = true;
          }
        } while (this.catchAgain && !this.closed);
      } finally {
        this.catching = false;
        this.catchDone = null;
        const waiters = this.connectWaiters;
        this.connectWaiters = [];
        if (this.socket.connected) for (const w of waiters) w();
        else this.connectWaiters.push(...waiters);
      }
    })();
    return this.catchDone;
  }
  private catchDone: Promise<void> | null = null;

  private async catchUpOnce(): Promise<void> {
    this.stats.catchUps++;
    // Membership news that comes while the list is on its way is newer than the list.
    const asOf = ++this.clock;
    const list = await this.rest<ConversationView[]>('GET', '/api/conversations');
    await this.opts.duringCatchUp?.('list', null);
    const present = new Set<number>();
    for (const c of list) {
      present.add(c.id);
      const h = this.held0(c.id);
      if (h.removed && h.stamp > asOf) continue; // removed since the list was read
      if (h.removed) this.rehold(c.id, h);
      h.known = Math.max(h.known, c.lastSeq);
      if (this.sync === 'changes') {
        await this.catchUpChanges(c, h);
        continue;
      }
      await this.pageHistory(c.id, h);
    }
    for (const [id, h] of this.held) {
      if (!present.has(id) && !h.removed && h.stamp < asOf) this.untrack(id);
    }
  }

  /**
   * Sync 'changes': the first time, the history pages (then the changes since the version the
   * list showed, which the pages reflect at least) or the changes since 0; afterwards the
   * changes since the version cursor whenever the conversation's version moved past it.
   */
  private async catchUpChanges(c: ConversationView, h: Held): Promise<void> {
    const listed = c.lastVersion ?? 0;
    h.knownVersion = Math.max(h.knownVersion, listed);
    if (!h.loaded && (this.opts.initialLoad ?? 'history') === 'history') {
      if (!(await this.pageHistory(c.id, h))) return;
      h.loaded = true;
      this.syncTo(h, listed);
    }
    h.loaded = true;
    if (h.knownVersion <= h.synced && h.known <= h.highest) return;
    let since = h.synced;
    while (!h.removed && !this.closed) {
      let page: { messages: WireMessage[]; hasMore: boolean; lastVersion: number };
      try {
        page = await this.rest(
          'GET',
          `/api/conversations/${c.id}/changes?since=${since}&limit=${this.changesPageSize}`,
        );
      } catch (err) {
        if (err instanceof HttpError && (err.status === 404 || err.status === 403)) return;
        throw err;
      }
      this.stats.changesPages++;
      this.opts.onChangesPage?.({
        conversationId: c.id,
        since,
        count: page.messages.length,
        hasMore: page.hasMore,
        lastVersion: page.lastVersion,
      });
      for (const m of page.messages) this.ingest(m, 'catchup');
      h.knownVersion = Math.max(h.knownVersion, page.lastVersion);
      await this.opts.duringCatchUp?.('changes', c.id);
      if (!page.hasMore || page.messages.length === 0) {
        // Every change up to the version the last page was read at is in what came.
        this.syncTo(h, page.lastVersion);
        return;
      }
      since = page.messages[page.messages.length - 1]!.version ?? since;
    }
  }

  /**
   * Pages GET …/messages?after= until the held history reaches the last seq known. False when
   * the conversation became unreadable on the way (removed, or deleted).
   */
  private async pageHistory(conversationId: number, h: Held): Promise<boolean> {
    let after = h.highest;
    while (h.known > h.highest && !h.removed && !this.closed) {
      let page: { messages: WireMessage[]; hasMore: boolean };
      try {
        page = await this.rest(
          'GET',
          `/api/conversations/${conversationId}/messages?after=${after}&limit=${this.pageSize}`,
        );
      } catch (err) {
        // Removed (or the group deleted) since the list was read: nothing more to fetch.
        if (err instanceof HttpError && (err.status === 404 || err.status === 403)) return false;
        throw err;
      }
      this.stats.pages++;
      this.opts.onPage?.({
        conversationId,
        after,
        count: page.messages.length,
        hasMore: page.hasMore,
      });
      for (const m of page.messages) this.ingest(m, 'catchup');
      await this.opts.duringCatchUp?.('page', conversationId);
      if (page.messages.length === 0 || !page.hasMore) break;
      after = page.messages[page.messages.length - 1]!.seq;
    }
    return !h.removed;
  }

  /**
   * Queues a message; resolves with the stored message once acked (retrying until then). With
   * `replyToId` (v1.1) it answers that message; if the server refuses the reply because that
   * message was deleted meanwhile, it is sent again, same clientId, as a plain message.
   */
  send(
    conversationId: number,
    body: string,
    clientId: string = randomUUID(),
    opts: { replyToId?: number } = {},
  ): Promise<WireMessage> {
    return new Promise<WireMessage>((resolve, reject) => {
      this.outbox.push({
        conversationId,
        clientId,
        body,
        ...(opts.replyToId === undefined ? {} : { replyToId: opts.replyToId }),
        attempts: 0,
        resolve,
        reject,
      });
      void this.pump();
    });
  }

  private async waitConnected(): Promise<void> {
    while (!this.socket.connected && !this.closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.socket.off('connect', done);
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(done, 250);
        this.socket.on('connect', done);
      });
    }
  }

  /** Sends the outbox one message at a time, in order; a message leaves only when acked. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.outbox.length && !this.closed) {
        const p = this.outbox[0]!;
        await this.waitConnected();
        if (this.closed) break;
        p.attempts++;
        this.stats.sendAttempts++;
        this.opts.log.add({
          k: 'send',
          client: this.name,
          userId: this.userId,
          conversationId: p.conversationId,
          clientId: p.clientId,
          body: p.body,
          attempt: p.attempts,
        });
        let ack: { ok: boolean; data?: WireMessage; error?: { code: string; details?: any } };
        try {
          ack = await this.socket.timeout(this.ackTimeoutMs).emitWithAck('message:send', {
            conversationId: p.conversationId,
            clientId: p.clientId,
            body: p.body,
            ...(p.replyToId === undefined ? {} : { replyToId: p.replyToId }),
          });
        } catch {
          // No ack in time, or the socket dropped: send again with the same clientId.
          this.stats.ackTimeouts++;
          continue;
        }
        if (ack.ok && ack.data) {
          this.opts.log.add({
            k: 'ack',
            client: this.name,
            userId: this.userId,
            conversationId: p.conversationId,
            clientId: p.clientId,
            id: ack.data.id,
            seq: ack.data.seq,
          });
          this.outbox.shift();
          this.ingest(ack.data, 'ack');
          p.resolve(ack.data);
          continue;
        }
        const code = ack.error?.code ?? 'unknown';
        if (code === 'rate_limited' || code === 'unavailable' || code === 'internal') {
          const wait = Number(ack.error?.details?.retryAfterMs ?? 250);
          await sleep(Math.min(Math.max(wait, 50), 2000));
          continue;
        }
        if (
          code === 'validation_failed' &&
          p.replyToId !== undefined &&
          ack.error?.details?.fields?.replyToId
        ) {
          // The message answered was deleted meanwhile: send it as a plain message.
          this.stats.replyDropped++;
          this.replyRefusals.push({
            clientId: p.clientId,
            replyToId: p.replyToId,
            message: String((ack.error as { message?: string } | undefined)?.message ?? ''),
          });
          this.opts.log.note(
            `${this.name} reply ${p.clientId} to id ${p.replyToId} refused: sent plain`,
          );
          delete p.replyToId;
          continue;
        }
        this.opts.log.add({
          k: 'nack',
          client: this.name,
          userId: this.userId,
          conversationId: p.conversationId,
          clientId: p.clientId,
          code,
        });
        this.outbox.shift();
        p.reject(new Error(`message:send refused: ${code}`));
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Moves the read cursor; records whether the server acked it. */
  async read(conversationId: number, seq?: number): Promise<boolean> {
    const h = this.held.get(conversationId);
    const to = seq ?? h?.highest ?? 0;
    let acked = false;
    if (this.socket.connected) {
      try {
        const res = await this.socket
          .timeout(this.ackTimeoutMs)
          .emitWithAck('conversation:read', { conversationId, seq: to });
        acked = res?.ok === true;
      } catch {
        acked = false;
      }
    }
    this.opts.log.add({
      k: 'read',
      client: this.name,
      userId: this.userId,
      conversationId,
      seq: to,
      acked,
    });
    return acked;
  }

  /**
   * Changes a message (v1.1) over the socket: retried with the same request after an ack
   * timeout, a reconnect or a retryable error (every change is idempotent: asking again for a
   * state already reached changes nothing and answers the message); resolves with the answer,
   * ok or refused. The ack's copy is applied like any other. Logged as a `change` event.
   */
  async change(op: ChangeOp): Promise<ChangeResult> {
    const [event, payload, detail] =
      op.kind === 'edit'
        ? [
            'message:edit',
            { messageId: op.messageId, body: op.body },
            `body=${op.body.slice(0, 24)}`,
          ]
        : op.kind === 'delete'
          ? ['message:delete', { messageId: op.messageId }, '']
          : op.kind === 'react'
            ? [
                'reaction:set',
                { messageId: op.messageId, emoji: op.emoji, on: op.on },
                `${op.emoji} ${op.on ? 'on' : 'off'}`,
              ]
            : [
                'message:pin',
                { messageId: op.messageId, pinned: op.pinned },
                op.pinned ? 'pin' : 'unpin',
              ];
    let attempts = 0;
    const done = (r: ChangeResult): ChangeResult => {
      this.opts.log.add({
        k: 'change',
        client: this.name,
        userId: this.userId,
        conversationId: op.conversationId,
        messageId: op.messageId,
        op: op.kind,
        detail,
        attempts,
        outcome: r.ok ? 'ok' : r.code,
        version: r.ok ? (r.message.version ?? null) : null,
      });
      return r;
    };
    for (;;) {
      await this.waitConnected();
      if (this.closed) return done({ ok: false, code: 'closed', attempts });
      attempts++;
      this.stats.changeAttempts++;
      let ack: { ok: boolean; data?: WireMessage; error?: { code: string; details?: any } };
      try {
        ack = await this.socket.timeout(this.ackTimeoutMs).emitWithAck(event, payload);
      } catch {
        this.stats.changeAckTimeouts++;
        continue;
      }
      if (ack.ok && ack.data) {
        this.ingest(ack.data, 'ack');
        return done({ ok: true, message: ack.data, attempts });
      }
      const code = ack.error?.code ?? 'unknown';
      if (code === 'rate_limited' || code === 'unavailable' || code === 'internal') {
        const wait = Number(ack.error?.details?.retryAfterMs ?? 250);
        await sleep(Math.min(Math.max(wait, 50), 2000));
        continue;
      }
      return done({ ok: false, code, attempts });
    }
  }

  /** Records the server's unread counts and read cursors for this user into the log. */
  async snapshotUnread(): Promise<ConversationView[]> {
    const wall = Date.now();
    const list = await this.rest<ConversationView[]>('GET', '/api/conversations');
    for (const c of list) {
      this.opts.log.add({
        k: 'unread',
        client: this.name,
        userId: this.userId,
        conversationId: c.id,
        unreadCount: c.unreadCount,
        myReadSeq: c.myReadSeq,
        lastSeq: c.lastSeq,
        wall,
      });
    }
    return list;
  }

  /** The highest seq applied in a conversation (0 when not held). */
  highest(conversationId: number): number {
    return this.held.get(conversationId)?.highest ?? 0;
  }

  timeline(conversationId: number): WireMessage[] {
    return this.held.get(conversationId)?.timeline ?? [];
  }

  /** The version cursor of a conversation (sync 'changes'): every change up to it is held. */
  syncedVersion(conversationId: number): number {
    return this.held.get(conversationId)?.synced ?? 0;
  }

  /**
   * What the client holds, for the state oracle (checkMessageStates): per conversation it
   * believes it belongs to, its latest copy of each message in seq order.
   */
  heldState(): HeldState {
    return {
      client: this.name,
      userId: this.userId,
      conversations: [...this.held.entries()]
        .filter(([, h]) => !h.removed)
        .map(([conversationId, h]) => ({
          conversationId,
          fromSeq: h.from,
          messages: [...h.timeline, ...[...h.ahead.values()].sort((a, b) => a.seq - b.seq)],
        })),
      resurrected: this.resurrected,
    };
  }

  /** The conversations the client holds and believes it belongs to. */
  conversationIds(): number[] {
    return [...this.held.entries()].filter(([, h]) => !h.removed).map(([id]) => id);
  }

  /** What the client holds, one conversation a line (for failure messages). */
  describe(): string {
    return [...this.held.entries()]
      .map(
        ([id, h]) =>
          `${this.name} c${id}: highest ${h.highest}, known ${h.known}, ahead [${[...h.ahead.keys()].join(',')}]${h.removed ? ', removed' : ''}` +
          (this.sync === 'changes'
            ? `; version ${h.synced}, knows ${h.knownVersion}, ahead [${[...h.vahead].sort((a, b) => a - b).join(',')}]`
            : ''),
      )
      .join('\n');
  }

  /**
   * True when the outbox is empty and every target seq is applied; with `versions` (sync
   * 'changes') also every target version reached by the version cursor.
   */
  isSettled(targets: ReadonlyMap<number, number>, versions?: ReadonlyMap<number, number>): boolean {
    if (this.outbox.length) return false;
    for (const [id, seq] of targets) {
      const h = this.held.get(id);
      if (!h || h.removed || h.highest < seq) return false;
    }
    for (const [id, v] of versions ?? []) {
      const h = this.held.get(id);
      if (!h || h.removed || h.synced < v) return false;
    }
    return true;
  }

  /** Waits until settled (see isSettled); false on timeout. */
  async settle(
    targets: ReadonlyMap<number, number>,
    timeoutMs = 20_000,
    versions?: ReadonlyMap<number, number>,
  ): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isSettled(targets, versions)) {
      if (Date.now() > deadline) return false;
      await sleep(50);
    }
    return true;
  }

  /** Drops the connection without closing the client: it reconnects by itself. */
  dropConnection(): void {
    this.socket.io.engine?.close();
  }

  /**
   * Stops the client. With `leftRun` the oracle no longer expects it to hold every message
   * (it went away mid-run); without it, close after checking the oracle.
   */
  close(opts: { leftRun?: boolean } = {}): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.held.values()) if (h.gapTimer) clearTimeout(h.gapTimer);
    if (opts.leftRun) this.opts.log.add({ k: 'close', client: this.name, userId: this.userId });
    this.socket.close();
    for (const p of this.outbox.splice(0)) p.reject(new Error('client closed'));
  }
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body.slice(0, 200)}`);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** The versioned content of a copy (what two copies of one version must share). */
function contentOf(m: WireMessage): string {
  return JSON.stringify([
    m.body,
    m.deletedAt ?? null,
    m.editedAt ?? null,
    m.reactions ?? [],
    m.pinned ?? null,
    m.replyTo ?? null,
  ]);
}
