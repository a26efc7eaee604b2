import { useCallback, useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type { VirtuosoHandle } from 'react-virtuoso';
import { errorMessage } from '../../lib/http.js';
import { setNotice } from '../auth/session.js';
import { useClient } from '../realtime/ChatContext.js';
import { useConversationUi, useUiDispatch, type ConversationUi } from './conversation-ui.js';
import { peekJump, useJumpRequests } from './jump-requests.js';
import type { Row } from './rows.js';

const selectJump = (s: ConversationUi) => s.jump;
const HIGHLIGHT_MS = 2000;
/** Closer than this to the bottom counts as at the bottom. */
const NEAR_BOTTOM_PX = 120;

/**
 * Watches the list's scroller: whether it follows the newest message (it was at the bottom
 * of the newest window when last scrolled; read from the scroller, since the list's own state
 * can lag a prepend), and keeps that bottom in view when the scroller gets shorter (a reply
 * bar, a taller composer). A scroll upwards (wheel, keys, scrollbar, touch) ends `settle`.
 * `opensAtBottom` is false when the list opens elsewhere (at the first unread message).
 */
export function useFollowingScroller(
  newestWindow: boolean,
  settleUntil: RefObject<number>,
  opensAtBottom = true,
) {
  // A list that opens at "New messages" is not following the newest until scrolled there.
  const nearBottom = useRef(opensAtBottom);
  const newest = useRef(newestWindow);
  newest.current = newestWindow;
  const following = useCallback(() => nearBottom.current && newest.current, []);
  const cleanup = useRef<(() => void) | null>(null);
  const scrollerRef = useCallback(
    (el: HTMLElement | Window | null) => {
      cleanup.current?.();
      cleanup.current = null;
      if (!(el instanceof HTMLElement)) return;
      let last = el.scrollTop;
      const onScroll = () => {
        if (el.scrollTop < last - 2) settleUntil.current = 0;
        last = el.scrollTop;
        nearBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
      };
      let height = el.clientHeight;
      const resized = new ResizeObserver(() => {
        if (el.clientHeight < height && following()) el.scrollTop = el.scrollHeight;
        height = el.clientHeight;
      });
      resized.observe(el);
      el.addEventListener('scroll', onScroll, { passive: true });
      cleanup.current = () => {
        el.removeEventListener('scroll', onScroll);
        resized.disconnect();
      };
    },
    [following, settleUntil],
  );
  return { scrollerRef, following };
}

/**
 * Jumps (a reply's quote, a pin, Up arrow, a search result): scrolls to a held message, or has
 * the page around it loaded first (the window is replaced and the list starts again there);
 * then highlights it for a moment. Returns where a new window should open, if it was loaded
 * for a jump. A jump asked for before the list existed (a search result opening its
 * conversation) opens the list there at once when the message is held.
 */
export function useJumps(
  conversationId: number,
  rows: readonly Row[],
  windowId: number,
  virtuoso: RefObject<VirtuosoHandle | null>,
  onJump: () => void,
): { index: number; seq: number; highlight: boolean } | null {
  const client = useClient();
  const ui = useUiDispatch();
  const jump = useConversationUi(selectJump);
  const [initial] = useState(() => peekJump(conversationId));
  const target = useRef(initial === null ? null : { seq: initial, highlight: true });
  const rowsNow = useRef(rows);
  rowsNow.current = rows;
  const started = useRef(onJump);
  started.current = onJump;
  const flash = useCallback(
    (seq: number) => {
      ui({ type: 'highlight', seq });
      setTimeout(() => ui({ type: 'highlight', seq: null }), HIGHLIGHT_MS);
    },
    [ui],
  );

  useEffect(() => {
    if (!jump) return;
    started.current();
    const index = rowsNow.current.findIndex(
      (r) => r.kind === 'message' && r.message.seq === jump.seq,
    );
    if (index >= 0) {
      virtuoso.current?.scrollToIndex({ index, align: 'center', behavior: 'auto' });
      if (jump.highlight) flash(jump.seq);
      return;
    }
    target.current = { seq: jump.seq, highlight: jump.highlight };
    client.reveal(conversationId, jump.seq).then(
      (found) => {
        if (!found) setNotice('That message is no longer available');
      },
      (err: unknown) => setNotice(`Could not show that message: ${errorMessage(err)}`),
    );
  }, [jump, client, conversationId, flash, virtuoso]);

  // Decided when a window arrives (the rows are read then); later rows do not move it.
  const landing = useMemo(() => {
    const t = target.current;
    const index = t
      ? rowsNow.current.findIndex((r) => r.kind === 'message' && r.message.seq === t.seq)
      : -1;
    return t && index >= 0 ? { index, seq: t.seq, highlight: t.highlight } : null;
  }, [windowId]);

  useEffect(() => {
    if (!landing) return;
    target.current = null;
    if (landing.highlight) flash(landing.seq);
  }, [landing, flash]);

  // Jumps asked for from outside the conversation; the first may have landed already.
  const landedInitial = useRef(landing !== null && landing.seq === initial);
  useJumpRequests(
    conversationId,
    useCallback(
      (seq: number) => {
        if (landedInitial.current && seq === initial) landedInitial.current = false;
        else ui({ type: 'jump', seq, highlight: true });
      },
      [ui, initial],
    ),
  );
  return landing;
}
