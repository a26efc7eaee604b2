import { LIMITS } from '../../../../protocol/limits.js';
import type { Conversation } from '../../../../protocol/schemas/conversations.js';
import { ApiError } from '../../lib/http.js';
import { messagesApi } from '../messages/api.js';
import { hasVersionGap, newestSeq } from '../messages/messages-state.js';
import type { ChatAction, ChatState } from './chat-state.js';

/** Beyond this many missed changes a conversation reloads its newest page instead of paging. */
const CATCH_UP_MAX = 2000;
/** Live events may arrive out of order: wait this long before fetching a missing version. */
const GAP_WAIT_MS = 300;
/** Fetching the changes again after a transient error, at most this many times. */
const RETRIES = 3;

export interface HistoryHost {
  getState(): ChatState;
  dispatch(action: ChatAction): void;
  stopped(): boolean;
}

/**
 * Loads and keeps up to date the history the client holds. Pages (newest, older, newer, around
 * a message) fill the window shown; `GET …/changes?since=` brings every message created or
 * changed after the version the client is sure of: after each (re)connect, and whenever a live
 * event shows that one was missed.
 */
export class HistorySync {
  private readonly loading = new Set<string>();
  private readonly again = new Set<number>();
  private readonly gapTimers = new Map<number, ReturnType<typeof setTimeout>>();

  constructor(private readonly host: HistoryHost) {}

  private get state(): ChatState {
    return this.host.getState();
  }

  /** The conversation's version as known now (unknown before the list arrives). */
  private versionOf(id: number): number | undefined {
    return this.state.conversations[id]?.lastVersion;
  }

  stop(): void {
    for (const t of this.gapTimers.values()) clearTimeout(t);
    this.gapTimers.clear();
  }

  /** Runs a load once at a time per key. */
  private async once(key: string, run: () => Promise<void>): Promise<void> {
    if (this.loading.has(key)) return;
    this.loading.add(key);
    try {
      await run();
    } finally {
      this.loading.delete(key);
    }
  }

  /** The newest page: when a conversation opens, or (`replace`) back from an older window. */
  loadLatest(id: number, replace = false): Promise<void> {
    return this.once(`latest:${id}`, async () => {
      const base = this.versionOf(id);
      try {
        const page = await messagesApi.history(id, { limit: LIMITS.historyLimitDefault });
        this.host.dispatch({
          type: 'messages/page',
          conversationId: id,
          messages: page.messages,
          hasMore: page.hasMore,
          direction: replace ? 'window' : 'latest',
          baseVersion: base,
        });
        this.syncIfBehind(id);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'not_found')
          this.host.dispatch({ type: 'conversation/removed', conversationId: id });
      }
    });
  }

  /** The page before the oldest message held (scrolling up). */
  async loadOlder(id: number): Promise<void> {
    const held = this.state.messages[id];
    if (!held || held.loadingOlder || !held.hasOlder || held.items.length === 0) return;
    this.host.dispatch({ type: 'messages/loadingOlder', conversationId: id });
    const base = this.versionOf(id);
    try {
      const page = await messagesApi.history(id, {
        before: held.items[0]!.seq,
        limit: LIMITS.historyLimitDefault,
      });
      this.host.dispatch({
        type: 'messages/page',
        conversationId: id,
        ...page,
        direction: 'older',
      });
      void this.patchSince(id, base);
    } catch {
      this.host.dispatch({
        type: 'messages/page',
        conversationId: id,
        messages: [],
        hasMore: true,
        direction: 'older',
      });
    }
  }

  /** The page after the newest message held, while the window is in the past (scrolling down). */
  async loadNewer(id: number): Promise<void> {
    const held = this.state.messages[id];
    if (!held || held.loadingNewer || !held.hasNewer || held.items.length === 0) return;
    this.host.dispatch({ type: 'messages/loadingNewer', conversationId: id, loading: true });
    const base = this.versionOf(id);
    try {
      const page = await messagesApi.history(id, {
        after: newestSeq(held.items),
        limit: LIMITS.historyLimitDefault,
      });
      this.host.dispatch({
        type: 'messages/page',
        conversationId: id,
        ...page,
        direction: 'newer',
      });
      await this.patchSince(id, base);
      // Messages that arrived live while the window ended above them were not kept.
      const c = this.state.conversations[id];
      const now = this.state.messages[id];
      if (!page.hasMore && c && now && !now.hasNewer && c.lastSeq > newestSeq(now.items)) {
        const rest = await messagesApi.history(id, {
          after: newestSeq(now.items),
          limit: LIMITS.historyLimitMax,
        });
        this.host.dispatch({
          type: 'messages/page',
          conversationId: id,
          ...rest,
          direction: 'newer',
        });
      }
    } catch {
      this.host.dispatch({ type: 'messages/loadingNewer', conversationId: id, loading: false });
    }
  }

  /**
   * Makes sure the message at a seq is held, loading the page around it in place of the window
   * when it is not. Resolves to whether it is held now.
   */
  async reveal(id: number, seq: number): Promise<boolean> {
    const held = () => this.state.messages[id]?.items.some((m) => m.seq === seq) ?? false;
    if (held()) return true;
    const base = this.versionOf(id);
    const page = await messagesApi.history(id, { around: seq, limit: LIMITS.historyLimitDefault });
    // Asked twice at once (a view opening twice), the window is replaced once.
    if (held()) return true;
    this.host.dispatch({
      type: 'messages/page',
      conversationId: id,
      ...page,
      direction: 'window',
      baseVersion: base,
    });
    this.syncIfBehind(id);
    return held();
  }

  /** After a (re)connect, with the fresh conversation list: fetch what changed meanwhile. */
  catchUp(list: readonly Conversation[]): void {
    const byId = new Map(list.map((c) => [c.id, c]));
    for (const id of Object.keys(this.state.messages).map(Number)) {
      const c = byId.get(id);
      const held = this.state.messages[id]!;
      if (!c) {
        this.host.dispatch({ type: 'conversation/removed', conversationId: id });
      } else if (held.items.length === 0 && held.hasOlder) {
        void this.loadLatest(id);
      } else if (c.lastVersion - held.version > CATCH_UP_MAX && !held.hasNewer) {
        void this.loadLatest(id, true);
      } else if (c.lastVersion > held.version || hasVersionGap(held)) {
        void this.fetchChanges(id);
      }
    }
  }

  /** A live event came in: when it shows a missed version, fetch the changes (soon). */
  checkGap(id: number): void {
    const held = this.state.messages[id];
    if (!held || !hasVersionGap(held) || this.gapTimers.has(id)) return;
    this.gapTimers.set(
      id,
      setTimeout(() => {
        this.gapTimers.delete(id);
        const now = this.state.messages[id];
        if (now && hasVersionGap(now)) void this.fetchChanges(id);
      }, GAP_WAIT_MS),
    );
  }

  /** Fetches the changes when the conversation's version is past the cursor. */
  private syncIfBehind(id: number): void {
    const held = this.state.messages[id];
    const c = this.state.conversations[id];
    if (held && c && (c.lastVersion > held.version || hasVersionGap(held)))
      void this.fetchChanges(id);
  }

  /** Pages `changes?since=` the cursor until nothing is left; one run per conversation. */
  private async fetchChanges(id: number, attempt = 0): Promise<void> {
    const key = `changes:${id}`;
    if (this.loading.has(key)) {
      this.again.add(id);
      return;
    }
    this.loading.add(key);
    try {
      for (;;) {
        const held = this.state.messages[id];
        if (!held || this.host.stopped()) return;
        const since = held.version;
        const page = await messagesApi.changes(id, since);
        this.host.dispatch({ type: 'messages/changes', conversationId: id, since, ...page });
        if (!page.hasMore || page.messages.length === 0) {
          if (!this.again.delete(id)) return;
        }
      }
    } catch (err) {
      // A server just restarted may refuse for a moment: try again a few times. Offline
      // again, the next connect catches up.
      if (err instanceof ApiError && err.transient && attempt < RETRIES && !this.host.stopped())
        setTimeout(() => void this.fetchChanges(id, attempt + 1), 1000 * 2 ** attempt);
    } finally {
      this.loading.delete(key);
    }
  }

  /**
   * After a page: a change made while it was on its way may be missing from it (its event came
   * before the page, when the message was not held yet). Fetch the changes since the page was
   * asked for, when there are any.
   */
  private async patchSince(id: number, base: number | undefined): Promise<void> {
    if (base === undefined) return;
    let since = base;
    try {
      while ((this.versionOf(id) ?? 0) > since && !this.host.stopped()) {
        const page = await messagesApi.changes(id, since);
        this.host.dispatch({ type: 'messages/changes', conversationId: id, since, ...page });
        const last = page.messages[page.messages.length - 1];
        if (!page.hasMore || !last) return;
        since = last.version;
      }
    } catch {
      /* the next connect catches up */
    }
  }
}
