import { useCallback } from 'react';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe } from '../realtime/ChatContext.js';
import { useConversationUi, useUiDispatch, type ConversationUi } from './conversation-ui.js';
import { DeleteMessageDialog } from './DeleteMessageDialog.js';
import { copyText, setPinned, toggleReaction } from './message-actions.js';
import { MessageMenu, type MenuAction } from './MessageMenu.js';
import { messagePermissions } from './permissions.js';
import { ReactionPicker } from './ReactionPicker.js';

const selectOverlay = (s: ConversationUi) => s.overlay;

/**
 * What is open over one message of the conversation: its action menu, the emoji picker or the
 * delete confirmation. One at a time, outside the list, so a row re-rendering or scrolling
 * away does not lose it.
 */
export function MessageOverlays({ conversationId }: { conversationId: number }) {
  const client = useClient();
  const me = useMe();
  const ui = useUiDispatch();
  const overlay = useConversationUi(selectOverlay);
  const id = overlay?.messageId;
  const message = useChat(
    useCallback(
      (s: ChatState) =>
        id === undefined ? undefined : s.messages[conversationId]?.items.find((m) => m.id === id),
      [conversationId, id],
    ),
  );
  const conversation = useChat(
    useCallback((s: ChatState) => s.conversations[conversationId], [conversationId]),
  );
  if (!overlay || !message) return null;

  const close = (refocus = true) => {
    ui({ type: 'overlay', overlay: null });
    if (refocus && overlay.returnTo?.isConnected) overlay.returnTo.focus();
  };
  const perms = messagePermissions(message, conversation, me.id);

  const act = (a: MenuAction) => {
    switch (a.kind) {
      case 'react':
        close();
        return void toggleReaction(client, message, a.emoji);
      case 'moreReactions':
        return ui({ type: 'overlay', overlay: { ...overlay, kind: 'picker' } });
      case 'reply':
        close(false);
        return ui({ type: 'reply', message });
      case 'edit':
        close(false);
        return ui({ type: 'edit', id: message.id });
      case 'copy':
        close();
        return void copyText(message.body);
      case 'pin':
        close();
        return void setPinned(client, message, message.pinned === null);
      case 'delete':
        return ui({ type: 'overlay', overlay: { ...overlay, kind: 'delete' } });
    }
  };

  if (overlay.kind === 'delete')
    return (
      <DeleteMessageDialog
        message={message}
        onDone={() => {
          close(false);
          ui({ type: 'edit', id: null });
        }}
        onClose={() => close()}
      />
    );
  if (!overlay.anchor) return null;
  if (overlay.kind === 'picker')
    return (
      <ReactionPicker
        anchor={overlay.anchor}
        onPick={(emoji) => void toggleReaction(client, message, emoji, true)}
        onClose={() => close()}
      />
    );
  return (
    <MessageMenu
      message={message}
      perms={perms}
      anchor={overlay.anchor}
      onAction={act}
      onClose={() => close()}
    />
  );
}
