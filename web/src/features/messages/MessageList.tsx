import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Virtuoso, type VirtuosoHandle } from 'react-virtuoso';
import { Spinner } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe } from '../realtime/ChatContext.js';
import { onListKeyDown } from './list-keys.js';
import { useFollowingScroller, useJumps } from './list-scrolling.js';
import { MessageItem } from './MessageItem.js';
import { buildRows, type Row } from './rows.js';
import { useSeenMessages } from './useSeenMessages.js';

/** Virtuoso needs a positive first index that decreases as older rows are prepended. */
const START_INDEX = 1_000_000_000;

interface ListContext {
  loadingOlder: boolean;
  hasOlder: boolean;
  hasNewer: boolean;
  intro: string;
}

function Header({ context }: { context?: ListContext }) {
  if (!context) return null;
  if (context.loadingOlder || context.hasOlder) {
    return (
      <div className="list-header">
        <Spinner label="Loading older messages" />
      </div>
    );
  }
  return (
    <div className="list-header list-header--start">
      <Icon name="message" size={28} />
      <p>{context.intro}</p>
    </div>
  );
}

function Footer({ context }: { context?: ListContext }) {
  if (context?.hasNewer) {
    return (
      <div className="list-header">
        <Spinner label="Loading newer messages" />
      </div>
    );
  }
  return <div className="list-footer" />;
}

const components = { Header, Footer };

/**
 * The history of one conversation, virtualized: only the rows on screen are in the DOM, so
 * tens of thousands of loaded messages scroll smoothly. Older pages load at the top without
 * moving what is on screen; new messages keep the view pinned when it is at the bottom.
 */
export function MessageList({
  conversationId,
  isGroup,
  intro,
}: {
  conversationId: number;
  isGroup: boolean;
  intro: string;
}) {
  const client = useClient();
  const me = useMe();
  const held = useChat(useCallback((s: ChatState) => s.messages[conversationId], [conversationId]));
  // Where "New messages" goes is decided once, when the view opens.
  const [firstUnread] = useState(() => {
    const c = client.store.getState().conversations[conversationId];
    return c && c.unreadCount > 0 ? c.myReadSeq + 1 : null;
  });

  const items = held?.items;
  // Messages on their way belong after the newest ones, not after an older window.
  const pending = held?.hasNewer ? undefined : held?.pending;
  const hasOlder = held?.hasOlder ?? false;
  const rows = useMemo(
    () => (items ? buildRows(items, pending ?? [], me.id, firstUnread, hasOlder) : []),
    [items, pending, me.id, firstUnread, hasOlder],
  );

  // Keep the first index in step with prepends, so the rows on screen do not jump.
  const first = useRef({ key: '', index: START_INDEX });
  const firstKey = rows[0]?.key ?? '';
  if (firstKey !== first.current.key) {
    const shift = rows.findIndex((r) => r.key === first.current.key);
    first.current = { key: firstKey, index: first.current.index - Math.max(0, shift) };
  }

  const virtuoso = useRef<VirtuosoHandle>(null);
  const settleUntil = useRef(0);
  const ready = held !== undefined;
  useEffect(() => {
    if (ready) settleUntil.current = Date.now() + 1200;
  }, [ready]);
  const [atBottom, setAtBottom] = useState(true);
  const { scrollerRef: followRef, following } = useFollowingScroller(
    !held?.hasNewer,
    settleUntil,
    firstUnread === null,
  );
  const seenRef = useSeenMessages(conversationId);
  const scrollerRef = useCallback(
    (el: HTMLElement | Window | null) => {
      followRef(el);
      seenRef(el instanceof HTMLElement ? el : null);
    },
    [followRef, seenRef],
  );
  const [unseen, setUnseen] = useState(0);
  const lastKey = useRef(rows[rows.length - 1]?.key);
  const pendingCount = held?.pending.length ?? 0;
  const lastPending = useRef(pendingCount);

  // My own new message always brings the view down to it.
  useEffect(() => {
    if (pendingCount > lastPending.current) {
      virtuoso.current?.scrollToIndex({ index: 'LAST', align: 'end', behavior: 'auto' });
    }
    lastPending.current = pendingCount;
  }, [pendingCount]);

  // Count what arrives below while scrolled up, for the "jump to latest" badge.
  useEffect(() => {
    const key = rows[rows.length - 1]?.key;
    if (atBottom) setUnseen(0);
    else if (key !== lastKey.current) {
      const i = rows.findIndex((r) => r.key === lastKey.current);
      if (i >= 0) setUnseen((n) => n + rows.length - 1 - i);
    }
    lastKey.current = key;
  }, [rows, atBottom]);

  const windowId = held?.window ?? 0;
  const openingWindow = useRef<number | null>(null);
  const landing = useJumps(conversationId, rows, windowId, virtuoso, () => {
    settleUntil.current = 0;
  });

  const itemContent = useCallback(
    (_: number, row: Row) => (
      <MessageItem row={row} isGroup={isGroup} conversationId={conversationId} />
    ),
    [isGroup, conversationId],
  );
  const computeItemKey = useCallback((_: number, row: Row) => row.key, []);
  const context = useMemo<ListContext>(
    () => ({
      loadingOlder: held?.loadingOlder ?? false,
      hasOlder: held?.hasOlder ?? false,
      hasNewer: held?.hasNewer ?? false,
      intro,
    }),
    [held?.loadingOlder, held?.hasOlder, held?.hasNewer, intro],
  );

  if (!held || (held.items.length === 0 && held.hasOlder && held.pending.length === 0)) {
    return (
      <div className="message-list message-list--loading">
        <Spinner label="Loading messages" />
      </div>
    );
  }

  // The list opens at "New messages" in the first window it shows (the newest page, or the
  // page around the first unread message); a later jump lands on its own target.
  openingWindow.current ??= windowId;
  const markerIndex =
    windowId === openingWindow.current
      ? rows.findIndex((r) => r.kind === 'message' && r.newMarker)
      : -1;
  const stopSettling = () => {
    settleUntil.current = 0;
  };
  const hasNewer = held.hasNewer;
  return (
    <div
      className="message-list"
      data-testid="message-list"
      onWheel={stopSettling}
      onTouchStart={stopSettling}
      onKeyDown={(e) => {
        stopSettling();
        onListKeyDown(e);
      }}
    >
      <Virtuoso
        key={`window-${windowId}`}
        ref={virtuoso}
        scrollerRef={scrollerRef}
        className="message-list__scroller"
        data={rows}
        context={context}
        components={components}
        firstItemIndex={first.current.index}
        initialTopMostItemIndex={
          landing
            ? { index: landing.index, align: 'center' }
            : markerIndex >= 0
              ? { index: markerIndex, align: 'start', offset: -40 }
              : { index: Math.max(0, rows.length - 1), align: 'end' }
        }
        computeItemKey={computeItemKey}
        itemContent={itemContent}
        startReached={() => void client.loadOlder(conversationId)}
        endReached={() => void client.loadNewer(conversationId)}
        // Virtuoso's own "at bottom" can be stale right after the list opens at "New
        // messages"; the scroller's position decides too.
        followOutput={(bottom) => (bottom && !hasNewer && following() ? 'smooth' : false)}
        atBottomStateChange={setAtBottom}
        totalListHeightChanged={() => {
          // Rows are measured after they render: keep the opening view at the newest message
          // while they settle, until the user scrolls. Later, a row growing (reactions, an
          // edit, a quote) keeps a view that was at the bottom there.
          const settling = markerIndex < 0 && !landing && Date.now() < settleUntil.current;
          if (settling || following())
            virtuoso.current?.scrollToIndex({ index: 'LAST', align: 'end' });
        }}
        atBottomThreshold={120}
        alignToBottom
        increaseViewportBy={{ top: 800, bottom: 400 }}
        tabIndex={0}
        aria-label="Messages"
      />
      {(!atBottom || hasNewer) && (
        <button
          type="button"
          className="jump-latest"
          onClick={() => {
            if (hasNewer) void client.showLatest(conversationId);
            else
              virtuoso.current?.scrollToIndex({ index: 'LAST', align: 'end', behavior: 'smooth' });
          }}
          aria-label="Jump to the latest message"
        >
          <Icon name="arrowDown" size={18} />
          {unseen > 0 && <span className="jump-latest__count">{unseen}</span>}
        </button>
      )}
    </div>
  );
}
