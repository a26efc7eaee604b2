import { EV } from '../../../../protocol/events.js';
import { LIMITS } from '../../../../protocol/limits.js';
import type { Conversation, Message } from '../../../../protocol/schemas/conversations.js';
import { ApiError, currentToken, refreshAccessToken } from '../../lib/http.js';
import { newClientId } from '../../lib/ids.js';
import { createSocket, request, type ParleySocket } from '../../lib/socket.js';
import { createStore, type Store } from '../../lib/store.js';
import { conversationsApi } from '../conversations/api.js';
import { messagesApi } from '../messages/api.js';
import {
  contiguousSeq,
  hasGapBefore,
  newestSeq,
  type PendingMessage,
} from '../messages/messages-state.js';
import { usersApi } from '../users/api.js';
import { chatReducer, initialChatState, type ChatAction, type ChatState } from './chat-state.js';

export interface ChatClientHooks {
  /** The server ended the session (expired, revoked, signed out elsewhere). */
  onSessionEnded(reason: ApiError): void;
  /** A message from someone else arrived live (for notifications). */
  onIncoming(message: Message, conversation: Conversation | undefined): void;
  /** A conversation went away: deleted, left, or I was removed. */
  onRemoved(conversation: Conversation | undefined): void;
}

/** Errors after which sending the same message again cannot help. */
const FINAL = new Set([
  'validation_failed',
  'forbidden',
  'not_found',
  'payload_too_large',
  'conflict',
]);
const ACK_TIMEOUT_MS = 10_000;
const AUTO_ATTEMPTS = 3;
/** Beyond this many missed messages a conversation reloads its newest page instead of paging up to it. */
const CATCH_UP_MAX = 1000;
const TYPING_REPEAT_MS = 3000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The signed-in client: owns the socket, the state store and the outbox. Sends are retried
 * with the same clientId until acked (the server stores a clientId once); after every
 * (re)connect it re-reads the conversation list and fetches `after=` its cursor for every
 * conversation it holds, so nothing sent while it was away is missed.
 */
export class ChatClient {
  readonly store: Store<ChatState, ChatAction>;
  private readonly socket: ParleySocket;
  private stopped = false;
  private pumping = false;
  private everConnected = false;
  private readonly delivered = new Map<number, number>();
  private deliveredTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly readSent = new Map<number, number>();
  private readonly typingSentAt = new Map<number, number>();
  private readonly loading = new Set<string>();
  private readonly again = new Set<number>();
  private readonly detailsTimers = new Map<number, ReturnType<typeof setTimeout>>();
  private readonly wantedUsers = new Set<number>();
  private readonly expectedRemovals = new Set<number>();
  private readonly cleanups: Array<() => void> = [];

  constructor(
    myId: number,
    private readonly hooks: ChatClientHooks,
  ) {
    this.store = createStore(chatReducer, initialChatState(myId));
    this.socket = createSocket(currentToken);
  }

  private get state(): ChatState {
    return this.store.getState();
  }

  private dispatch(action: ChatAction): void {
    if (!this.stopped) this.store.dispatch(action);
  }

  /** Connects and loads the conversation list. */
  start(): void {
    const s = this.socket;
    s.on('connect', () => {
      this.everConnected = true;
      this.dispatch({ type: 'connection', state: 'online' });
      void this.catchUp();
      this.resumeOutbox();
    });
    s.on('disconnect', (reason) => {
      this.dispatch({ type: 'connection', state: 'reconnecting' });
      // A server-side disconnect is not retried by the client library; do it ourselves,
      // unless the session is over (session:expired came first and stopped us).
      if (reason === 'io server disconnect') setTimeout(() => this.reconnect(), 1000);
    });
    s.on('connect_error', (err) => {
      this.dispatch({
        type: 'connection',
        state: this.everConnected ? 'reconnecting' : 'connecting',
      });
      if (s.active) return; // a network error: the library retries with backoff
      if (err.message === 'session_expired') {
        this.hooks.onSessionEnded(new ApiError('session_expired', 'Your session has expired'));
        return;
      }
      if (err.message !== 'unauthorized') {
        setTimeout(() => this.reconnect(), 3000); // too many sockets, server busy
        return;
      }
      // The token was refused (it expired while the computer slept, say): refresh, then again.
      refreshAccessToken().then(
        () => this.reconnect(),
        (e: unknown) => {
          if (e instanceof ApiError && (e.code === 'session_expired' || e.code === 'unauthorized'))
            this.hooks.onSessionEnded(e);
          else setTimeout(() => this.reconnect(), 3000);
        },
      );
    });
    s.on(EV.sessionExpired, () => {
      this.hooks.onSessionEnded(new ApiError('session_expired', 'Your session has expired'));
    });
    s.on(EV.messageNew, (m) => this.onMessage(m));
    s.on(EV.receipt, (receipt) => this.dispatch({ type: 'receipt', receipt }));
    s.on(EV.typing, (event) => this.dispatch({ type: 'typing', event, now: Date.now() }));
    s.on(EV.presence, (presence) => this.dispatch({ type: 'presence', presence }));
    s.on(EV.conversationUpdated, (conversation) =>
      this.dispatch({ type: 'conversation/upsert', conversation }),
    );
    s.on(EV.conversationRemoved, ({ conversationId }) => {
      const held = this.state.conversations[conversationId];
      this.dispatch({ type: 'conversation/removed', conversationId });
      if (!this.expectedRemovals.delete(conversationId)) this.hooks.onRemoved(held);
    });
    s.on(EV.memberUpdated, ({ conversationId, member }) =>
      this.dispatch({ type: 'member/updated', conversationId, member }),
    );

    const onVisible = () => {
      if (document.visibilityState === 'visible') this.reconnect();
    };
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('online', onVisible);
    this.cleanups.push(() => {
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('online', onVisible);
    });

    s.connect();
    void this.loadList();
  }

  /** Disconnects for good (sign-out, expired session). */
  stop(): void {
    this.stopped = true;
    this.socket.removeAllListeners();
    this.socket.disconnect();
    if (this.deliveredTimer) clearTimeout(this.deliveredTimer);
    for (const t of this.detailsTimers.values()) clearTimeout(t);
    for (const c of this.cleanups) c();
  }

  private reconnect(): void {
    if (!this.stopped && !this.socket.connected && !this.socket.active) this.socket.connect();
  }

  private async loadList(): Promise<Conversation[] | null> {
    try {
      const list = await conversationsApi.list();
      this.dispatch({ type: 'conversations/list', list });
      return list;
    } catch {
      return null;
    }
  }

  /** After every connect: fresh list, then `after=` pages for each conversation held. */
  private async catchUp(): Promise<void> {
    const list = await this.loadList();
    if (!list) return;
    const byId = new Map(list.map((c) => [c.id, c]));
    for (const id of Object.keys(this.state.messages).map(Number)) {
      const c = byId.get(id);
      if (!c) {
        this.dispatch({ type: 'conversation/removed', conversationId: id });
        continue;
      }
      const items = this.state.messages[id]?.items ?? [];
      const cursor = contiguousSeq(items);
      if (c.lastSeq <= cursor) continue;
      if (items.length === 0 || c.lastSeq - cursor > CATCH_UP_MAX) {
        this.dispatch({ type: 'messages/reset', conversationId: id });
        void this.loadLatest(id);
      } else void this.fetchAfter(id);
      if (this.state.members[id]) void this.loadDetails(id);
    }
    // Tell senders their messages reached this device.
    for (const c of list) {
      const last = c.lastMessage;
      if (last && last.senderId !== this.state.myId && c.lastSeq > c.myReadSeq)
        this.queueDelivered(c.id, c.lastSeq);
    }
  }

  /** Fetches everything after the cursor, page by page; one run per conversation at a time. */
  private async fetchAfter(id: number): Promise<void> {
    const key = `after:${id}`;
    if (this.loading.has(key)) {
      this.again.add(id);
      return;
    }
    this.loading.add(key);
    try {
      for (;;) {
        const held = this.state.messages[id];
        if (!held || this.stopped) return;
        const page = await messagesApi.history(id, {
          after: contiguousSeq(held.items),
          limit: LIMITS.historyLimitMax,
        });
        this.dispatch({ type: 'messages/page', conversationId: id, ...page, direction: 'newer' });
        if (!page.hasMore || page.messages.length === 0) {
          if (!this.again.delete(id)) return;
        }
      }
    } catch {
      // Offline again: the next connect catches up.
    } finally {
      this.loading.delete(key);
    }
  }

  private onMessage(m: Message): void {
    const before = this.state;
    const held = before.messages[m.conversationId];
    const known = before.conversations[m.conversationId];
    this.dispatch({ type: 'message/new', message: m });
    if (!known) void this.refreshConversation(m.conversationId);
    if (held && hasGapBefore(held, m.seq)) void this.fetchAfter(m.conversationId);
    if (m.kind === 'system' && before.members[m.conversationId])
      this.scheduleDetails(m.conversationId);
    if (m.senderId !== before.myId) {
      this.queueDelivered(m.conversationId, m.seq);
      if (m.kind === 'text') this.hooks.onIncoming(m, this.state.conversations[m.conversationId]);
    }
  }

  private async refreshConversation(id: number): Promise<void> {
    try {
      const c = await conversationsApi.get(id);
      this.dispatch({ type: 'conversation/details', conversation: c });
    } catch {
      /* not mine after all, or offline */
    }
  }

  // ---- history --------------------------------------------------------------------------

  /** Loads what a conversation view needs: the newest page and the members. */
  open(id: number): void {
    if (!this.state.messages[id]) void this.loadLatest(id);
    if (!this.state.members[id]) void this.loadDetails(id);
  }

  private async loadLatest(id: number): Promise<void> {
    const key = `latest:${id}`;
    if (this.loading.has(key)) return;
    this.loading.add(key);
    try {
      const page = await messagesApi.history(id, { limit: LIMITS.historyLimitDefault });
      this.dispatch({ type: 'messages/page', conversationId: id, ...page, direction: 'latest' });
      // A message sent while this page was on its way is not in it: fetch past it.
      const items = this.state.messages[id]?.items ?? [];
      const c = this.state.conversations[id];
      if (c && c.lastSeq > newestSeq(items)) void this.fetchAfter(id);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'not_found') {
        this.dispatch({ type: 'conversation/removed', conversationId: id });
      }
    } finally {
      this.loading.delete(key);
    }
  }

  /** Loads the page before the oldest message held (scrolling up). */
  async loadOlder(id: number): Promise<void> {
    const held = this.state.messages[id];
    if (!held || held.loadingOlder || !held.hasOlder || held.items.length === 0) return;
    this.dispatch({ type: 'messages/loadingOlder', conversationId: id });
    try {
      const page = await messagesApi.history(id, {
        before: held.items[0]!.seq,
        limit: LIMITS.historyLimitDefault,
      });
      this.dispatch({ type: 'messages/page', conversationId: id, ...page, direction: 'older' });
    } catch {
      this.dispatch({
        type: 'messages/page',
        conversationId: id,
        messages: [],
        hasMore: true,
        direction: 'older',
      });
    }
  }

  async loadDetails(id: number): Promise<void> {
    const key = `details:${id}`;
    if (this.loading.has(key)) return;
    this.loading.add(key);
    try {
      const c = await conversationsApi.get(id);
      this.dispatch({ type: 'conversation/details', conversation: c });
    } catch {
      /* shown as missing by the view */
    } finally {
      this.loading.delete(key);
    }
  }

  private scheduleDetails(id: number): void {
    clearTimeout(this.detailsTimers.get(id));
    this.detailsTimers.set(
      id,
      setTimeout(() => {
        this.detailsTimers.delete(id);
        void this.loadDetails(id);
      }, 250),
    );
  }

  /** Asks for a user the client has not seen yet (named in a system message, say). */
  wantUser(id: number): void {
    if (this.state.users[id] || this.wantedUsers.has(id)) return;
    this.wantedUsers.add(id);
    usersApi.get(id).then(
      (u) => this.dispatch({ type: 'users', users: [u] }),
      () => this.wantedUsers.delete(id),
    );
  }

  /** Takes a conversation the app fetched or created itself (REST replies). */
  adopt(conversation: Conversation): void {
    this.dispatch({ type: 'conversation/upsert', conversation });
  }

  /** The user is leaving or deleting this conversation here: no "you were removed" notice. */
  expectRemoval(conversationId: number): void {
    this.expectedRemovals.add(conversationId);
  }

  /** Forgets a conversation the user left or deleted here. */
  forget(conversationId: number): void {
    this.dispatch({ type: 'conversation/removed', conversationId });
  }

  // ---- sending --------------------------------------------------------------------------

  /** Shows the message at once and sends it (retrying with the same clientId until acked). */
  send(conversationId: number, body: string): void {
    const text = body.trim();
    if (text === '') return;
    this.typingSentAt.delete(conversationId);
    if (!this.state.messages[conversationId]) void this.loadLatest(conversationId);
    this.dispatch({
      type: 'message/queued',
      pending: {
        clientId: newClientId(),
        conversationId,
        body: text,
        createdAt: new Date().toISOString(),
      },
    });
    void this.pump();
  }

  /** Sends a failed message again, with its original clientId. */
  retry(conversationId: number, clientId: string): void {
    this.dispatch({ type: 'message/retry', conversationId, clientId });
    void this.pump();
  }

  discard(conversationId: number, clientId: string): void {
    this.dispatch({ type: 'message/discard', conversationId, clientId });
  }

  private resumeOutbox(): void {
    for (const held of Object.values(this.state.messages)) {
      for (const p of held.pending) {
        if (p.state === 'failed' && p.autoRetry)
          this.dispatch({
            type: 'message/retry',
            conversationId: p.conversationId,
            clientId: p.clientId,
          });
      }
    }
    void this.pump();
  }

  /** The oldest message waiting to be sent. */
  private nextPending(): PendingMessage | null {
    let next: PendingMessage | null = null;
    for (const held of Object.values(this.state.messages)) {
      for (const p of held.pending) {
        if (p.state === 'sending' && (!next || p.createdAt < next.createdAt)) next = p;
      }
    }
    return next;
  }

  /** Sends queued messages one at a time, in the order they were written. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.stopped && this.socket.connected) {
        const p = this.nextPending();
        if (!p) return;
        this.dispatch({
          type: 'message/attempt',
          conversationId: p.conversationId,
          clientId: p.clientId,
        });
        try {
          const message = await this.whileConnected(
            request(
              this.socket,
              EV.messageSend,
              { conversationId: p.conversationId, clientId: p.clientId, body: p.body },
              ACK_TIMEOUT_MS,
            ),
          );
          this.dispatch({ type: 'message/acked', clientId: p.clientId, message });
        } catch (err) {
          const e = err instanceof ApiError ? err : new ApiError('network', 'Not sent');
          if (e.code === 'network' && !this.socket.connected) return; // resumes on connect
          if (e.code === 'rate_limited') {
            const wait = Number(e.details.retryAfterMs ?? 1000);
            await sleep(Math.min(Math.max(wait, 100), 10_000));
            continue;
          }
          const attempts = p.attempts + 1;
          if (FINAL.has(e.code) || attempts >= AUTO_ATTEMPTS) {
            this.dispatch({
              type: 'message/failed',
              conversationId: p.conversationId,
              clientId: p.clientId,
              error: FINAL.has(e.code) ? e.message : 'Not sent: the server did not answer',
              autoRetry: !FINAL.has(e.code),
            });
          } else await sleep(1000 * attempts);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Rejects as soon as the socket drops, so a lost ack is retried right after reconnecting. */
  private whileConnected<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onDrop = () => reject(new ApiError('network', 'Connection lost'));
      this.socket.once('disconnect', onDrop);
      p.then(resolve, reject).finally(() => this.socket.off('disconnect', onDrop));
    });
  }

  // ---- receipts and typing --------------------------------------------------------------

  private queueDelivered(conversationId: number, seq: number): void {
    if ((this.delivered.get(conversationId) ?? 0) >= seq) return;
    this.delivered.set(conversationId, seq);
    this.deliveredTimer ??= setTimeout(() => this.flushDelivered(), 400);
  }

  /** Coalesced delivery receipts, a few per flush so a big catch-up stays under the rate limit. */
  private flushDelivered(): void {
    this.deliveredTimer = null;
    if (!this.socket.connected) return;
    let sent = 0;
    for (const [conversationId, seq] of this.delivered) {
      if (sent++ >= 10) break;
      this.delivered.delete(conversationId);
      request(this.socket, EV.messageDelivered, { conversationId, seq }).catch(() => {});
    }
    if (this.delivered.size) this.deliveredTimer = setTimeout(() => this.flushDelivered(), 500);
  }

  /** Marks a conversation read up to the newest message shown (the view calls this when seen). */
  markRead(conversationId: number): void {
    const c = this.state.conversations[conversationId];
    const items = this.state.messages[conversationId]?.items;
    if (!c || !items?.length) return;
    const seq = newestSeq(items);
    if (seq <= Math.max(this.readSent.get(conversationId) ?? 0, c.myReadSeq)) {
      if (c.unreadCount > 0 && seq >= c.lastSeq)
        this.dispatch({ type: 'read/local', conversationId, seq });
      return;
    }
    this.readSent.set(conversationId, seq);
    this.dispatch({ type: 'read/local', conversationId, seq });
    const fail = () => this.readSent.delete(conversationId);
    if (this.socket.connected) {
      request(this.socket, EV.conversationRead, { conversationId, seq }).catch(fail);
    } else messagesApi.read(conversationId, seq).catch(fail);
  }

  /** Tells the others I am typing (repeated while I type) or that I stopped. */
  setTyping(conversationId: number, typing: boolean): void {
    if (!this.socket.connected) return;
    const now = Date.now();
    const last = this.typingSentAt.get(conversationId);
    if (typing) {
      if (last !== undefined && now - last < TYPING_REPEAT_MS) return;
      this.typingSentAt.set(conversationId, now);
    } else {
      if (last === undefined) return;
      this.typingSentAt.delete(conversationId);
    }
    request(this.socket, EV.typing, { conversationId, typing }).catch(() => {});
  }
}
