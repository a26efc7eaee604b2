import { EV } from '../../../../protocol/events.js';
import { LIMITS } from '../../../../protocol/limits.js';
import type {
  Attachment,
  Conversation,
  Message,
  ReplyTo,
} from '../../../../protocol/schemas/conversations.js';
import type { PublicUser } from '../../../../protocol/schemas/users.js';
import { ApiError, currentToken, refreshAccessToken } from '../../lib/http.js';
import { newClientId } from '../../lib/ids.js';
import { createSocket, request, type ParleySocket } from '../../lib/socket.js';
import { createStore, type Store } from '../../lib/store.js';
import { forgetUploadQueues } from '../attachments/upload-queue.js';
import { conversationsApi } from '../conversations/api.js';
import { messagesApi, type ChangePayload, type MessageChange } from '../messages/api.js';
import {
  newestSeq,
  type ConversationMessages,
  type PendingMessage,
} from '../messages/messages-state.js';
import { usersApi } from '../users/api.js';
import { chatReducer, initialChatState, type ChatAction, type ChatState } from './chat-state.js';
import { HistorySync } from './history-sync.js';
import { openOutbox, type Outbox } from './outbox.js';

export interface ChatClientHooks {
  /** The server ended the session (expired, revoked, signed out elsewhere). */
  onSessionEnded(reason: ApiError): void;
  /** A message from someone else arrived live (for notifications). */
  onIncoming(message: Message, conversation: Conversation | undefined): void;
  /** A conversation went away: deleted, left, or I was removed. */
  onRemoved(conversation: Conversation | undefined): void;
  /** My own name or picture changed (on another device, or here). */
  onMeUpdated?(user: PublicUser): void;
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
const TYPING_REPEAT_MS = 3000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether the window held reaches back to a seq (newer ones arrive live or with their page). */
function holds(held: ConversationMessages | undefined, seq: number): boolean {
  const first = held?.items[0];
  if (!held || !first) return false;
  return first.seq <= seq || !held.hasOlder;
}

/**
 * The signed-in client: owns the socket, the state store and the outbox. Sends are retried
 * with the same clientId until acked (the server stores a clientId once); after every
 * (re)connect it re-reads the conversation list and fetches the changes since the version it
 * holds of every conversation it holds (see HistorySync), so nothing sent, edited or deleted
 * while it was away is missed.
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
  private readonly history: HistorySync;
  private readonly detailsTimers = new Map<number, ReturnType<typeof setTimeout>>();
  private readonly wantedUsers = new Set<number>();
  private readonly expectedRemovals = new Set<number>();
  private readonly cleanups: Array<() => void> = [];
  /** The clientIds this client has on disk (see Outbox), to remove each once it is settled. */
  private readonly saved = new Set<string>();

  constructor(
    myId: number,
    private readonly hooks: ChatClientHooks,
    private readonly outbox: Outbox = openOutbox(),
  ) {
    this.store = createStore(chatReducer, initialChatState(myId));
    this.cleanups.push(this.store.subscribe(() => this.forgetSettled()));
    this.socket = createSocket(currentToken);
    this.history = new HistorySync({
      getState: () => this.state,
      dispatch: (a) => this.dispatch(a),
      stopped: () => this.stopped,
    });
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
    s.on(EV.messageUpdated, (message) => {
      this.dispatch({ type: 'message/updated', message });
      this.history.checkGap(message.conversationId);
    });
    s.on(EV.userUpdated, (user) => {
      this.dispatch({ type: 'user/updated', user });
      if (user.id === this.state.myId) this.hooks.onMeUpdated?.(user);
    });
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
    void this.restoreOutbox();
  }

  /** Forgets what this user left on this device: unsent messages (on signing out). */
  forgetLocal(): Promise<void> {
    this.saved.clear();
    return this.outbox.clear(this.state.myId);
  }

  /** Disconnects for good (sign-out, expired session). */
  stop(): void {
    this.stopped = true;
    this.socket.removeAllListeners();
    this.socket.disconnect();
    if (this.deliveredTimer) clearTimeout(this.deliveredTimer);
    for (const t of this.detailsTimers.values()) clearTimeout(t);
    this.history.stop();
    for (const c of this.cleanups) c();
    // Files on their way belong to this session: they stop uploading when it ends.
    forgetUploadQueues();
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

  /** After every connect: the fresh list, then the changes missed in each conversation held. */
  private async catchUp(): Promise<void> {
    void this.refreshMe();
    let list = await this.loadList();
    // A server just restarted may refuse for a moment: try again while still connected.
    for (let wait = 1000; !list && wait <= 4000 && this.socket.connected; wait *= 2) {
      await sleep(wait);
      if (this.socket.connected) list = await this.loadList();
    }
    if (!list) return;
    this.history.catchUp(list);
    for (const c of list) if (this.state.members[c.id]) void this.loadDetails(c.id);
    // Tell senders their messages reached this device.
    for (const c of list) {
      const last = c.lastMessage;
      if (last && last.senderId !== this.state.myId && c.lastSeq > c.myReadSeq)
        this.queueDelivered(c.id, c.lastSeq);
    }
  }

  /** My own profile, in case it changed while no socket heard of it (another device). */
  private async refreshMe(): Promise<void> {
    try {
      const me = await usersApi.me();
      if (me.id !== this.state.myId) return;
      const { id, username, displayName, avatarUrl, lastSeenAt } = me;
      const user = { id, username, displayName, avatarUrl, online: true, lastSeenAt };
      this.dispatch({ type: 'user/updated', user });
      if (!this.stopped) this.hooks.onMeUpdated?.(user);
    } catch {
      /* offline again: the next connect asks again */
    }
  }

  private onMessage(m: Message): void {
    const before = this.state;
    const held = before.messages[m.conversationId];
    const known = before.conversations[m.conversationId];
    this.dispatch({ type: 'message/new', message: m });
    if (!known) void this.refreshConversation(m.conversationId);
    // A version skipped means events were missed; seqs need no check of their own, since every
    // new message raises the version too.
    if (held) this.history.checkGap(m.conversationId);
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

  /**
   * Loads what a conversation view needs: the members, and the page where it opens: around
   * the first unread message when there is one and it is not held (however far back it is),
   * else the newest page.
   */
  open(id: number): void {
    const c = this.state.conversations[id];
    const held = this.state.messages[id];
    const firstUnread = c && c.unreadCount > 0 ? c.myReadSeq + 1 : null;
    if (firstUnread !== null && !holds(held, firstUnread)) {
      if (!held && c!.lastSeq - firstUnread < LIMITS.historyLimitDefault - 5)
        void this.history.loadLatest(id);
      else void this.history.reveal(id, firstUnread).catch(() => this.history.loadLatest(id));
    } else if (!held || (held.items.length === 0 && held.hasOlder)) {
      void this.history.loadLatest(id);
    }
    if (!this.state.members[id]) void this.loadDetails(id);
  }

  /** Loads the page before the oldest message held (scrolling up). */
  loadOlder(id: number): Promise<void> {
    return this.history.loadOlder(id);
  }

  /** Loads the page after the newest message held, when the window is in the past. */
  loadNewer(id: number): Promise<void> {
    return this.history.loadNewer(id);
  }

  /** Makes sure a message is held (loading the page around it); resolves to whether it is. */
  reveal(id: number, seq: number): Promise<boolean> {
    return this.history.reveal(id, seq);
  }

  /** Goes back from an older window to the newest messages. */
  showLatest(id: number): Promise<void> {
    return this.history.loadLatest(id, true);
  }

  /** Loads the pinned messages of a conversation (the pins panel). */
  async loadPins(id: number): Promise<void> {
    const messages = await messagesApi.pins(id);
    this.dispatch({ type: 'pins/loaded', conversationId: id, messages });
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

  /**
   * Shows the message at once and sends it (retrying with the same clientId until acked), as a
   * reply when `replyTo` is given, carrying uploaded files when `attachments` are given (then
   * the text may be empty).
   */
  send(
    conversationId: number,
    body: string,
    replyTo: ReplyTo | null = null,
    attachments: Attachment[] = [],
  ): void {
    const text = body.trim();
    if (text === '' && attachments.length === 0) return;
    this.typingSentAt.delete(conversationId);
    const held = this.state.messages[conversationId];
    if (!held) void this.history.loadLatest(conversationId);
    else if (held.hasNewer) void this.history.loadLatest(conversationId, true);
    const pending = {
      clientId: newClientId(),
      conversationId,
      body: text,
      createdAt: new Date().toISOString(),
      replyTo,
      attachments,
    };
    this.dispatch({ type: 'message/queued', pending });
    // On disk too, so a reload, a crash or a browser restart does not lose it.
    this.saved.add(pending.clientId);
    void this.outbox.put({ ...pending, userId: this.state.myId, failed: null });
    void this.pump();
  }

  /**
   * Puts back the messages of this user that were on their way when the page went away (a
   * reload, a crash, a browser restart): shown with their clock, and sent in the order they
   * were written, each with its original clientId, so the server stores each exactly once
   * even if it had stored it before the page went away.
   */
  private async restoreOutbox(): Promise<void> {
    const entries = await this.outbox.load(this.state.myId);
    if (this.stopped || entries.length === 0) return;
    for (const e of entries) {
      this.saved.add(e.clientId);
      if (!this.state.messages[e.conversationId]?.items.length)
        void this.history.loadLatest(e.conversationId);
      const { clientId, conversationId, body, createdAt, replyTo } = e;
      const attachments = e.attachments ?? [];
      this.dispatch({
        type: 'message/queued',
        pending: { clientId, conversationId, body, createdAt, replyTo, attachments },
      });
      if (e.failed !== null) {
        this.dispatch({
          type: 'message/failed',
          conversationId: e.conversationId,
          clientId: e.clientId,
          error: e.failed,
          autoRetry: false,
        });
      }
    }
    void this.pump();
  }

  /** Removes from disk the messages that are no longer on their way (stored, or deleted). */
  private forgetSettled(): void {
    if (this.saved.size === 0) return;
    const waiting = new Set<string>();
    for (const held of Object.values(this.state.messages))
      for (const p of held.pending) waiting.add(p.clientId);
    for (const id of this.saved) {
      if (waiting.has(id)) continue;
      this.saved.delete(id);
      void this.outbox.remove(id);
    }
  }

  /**
   * Changes a stored message (edit, delete, reaction, pin) and applies the answer. Over the
   * socket when it is up, else through the REST twin; rejects with an ApiError.
   */
  async change<E extends MessageChange>(event: E, payload: ChangePayload<E>): Promise<Message> {
    let message: Message;
    if (this.socket.connected) {
      message = (await this.whileConnected(
        request(this.socket, event, payload, ACK_TIMEOUT_MS),
      )) as Message;
    } else {
      message = await messagesApi.change(event, payload);
    }
    this.dispatch({ type: 'message/updated', message });
    return message;
  }

  /** Sends a failed message again, with its original clientId. */
  retry(conversationId: number, clientId: string): void {
    this.dispatch({ type: 'message/retry', conversationId, clientId });
    const p = this.state.messages[conversationId]?.pending.find((x) => x.clientId === clientId);
    if (p && this.saved.has(clientId)) {
      const { body, createdAt, replyTo, attachments } = p;
      void this.outbox.put({
        ...{ clientId, conversationId, body, createdAt, replyTo, attachments },
        userId: this.state.myId,
        failed: null,
      });
    }
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
              {
                conversationId: p.conversationId,
                clientId: p.clientId,
                body: p.body,
                ...(p.replyTo ? { replyToId: p.replyTo.id } : {}),
                ...(p.attachments.length > 0
                  ? { attachmentIds: p.attachments.map((a) => a.id) }
                  : {}),
              },
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
            // Refused for good: kept (with Retry and Delete) but no longer sent by itself.
            if (FINAL.has(e.code) && this.saved.has(p.clientId)) {
              const { clientId, conversationId, body, createdAt, replyTo, attachments } = p;
              void this.outbox.put({
                ...{ clientId, conversationId, body, createdAt, replyTo, attachments },
                userId: this.state.myId,
                failed: e.message,
              });
            }
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

  /**
   * Marks a conversation read up to a message seen: the view calls this with the newest message
   * that has been on screen in a visible, focused tab (see useSeenMessages). Only forward.
   */
  markRead(conversationId: number, upTo: number): void {
    const c = this.state.conversations[conversationId];
    const items = this.state.messages[conversationId]?.items;
    if (!c || !items?.length || upTo <= 0) return;
    const seq = Math.min(upTo, newestSeq(items));
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
