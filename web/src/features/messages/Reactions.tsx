import { useCallback, useMemo } from 'react';
import type { Message } from '../../../../protocol/schemas/conversations.js';
import { Icon } from '../../ui/Icon.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe } from '../realtime/ChatContext.js';
import { useUiDispatch } from './conversation-ui.js';
import { toggleReaction } from './message-actions.js';
import { reactedText, shownReactions } from './reactions.js';

/**
 * The reactions under a message: one chip per emoji with its count, mine highlighted, who
 * reacted in the tooltip; a press toggles my reaction. Ends with a button for another emoji.
 */
export function Reactions({ message, canReact }: { message: Message; canReact: boolean }) {
  const client = useClient();
  const me = useMe();
  const ui = useUiDispatch();
  const overlay = useChat(
    useCallback((s: ChatState) => s.reactionOverlay[message.id], [message.id]),
  );
  const shown = useMemo(
    () => shownReactions(message.reactions, overlay, me.id),
    [message.reactions, overlay, me.id],
  );
  // The names of who reacted, as one string: the row re-renders when one of them changes only.
  const ids = useMemo(() => [...new Set(shown.flatMap((r) => r.userIds))], [shown]);
  const names = useChat(
    useCallback(
      (s: ChatState) => ids.map((id) => s.users[id]?.displayName ?? '').join('\n'),
      [ids],
    ),
  );
  if (shown.length === 0) return null;
  const byId = new Map(names.split('\n').map((n, i) => [ids[i]!, n || undefined]));
  const nameOf = (id: number) => byId.get(id);
  return (
    <div className="reactions" role="group" aria-label="Reactions">
      {shown.map((r) => {
        const mine = r.userIds.includes(me.id);
        const who = reactedText(r, me.id, nameOf);
        return (
          <button
            key={r.emoji}
            type="button"
            className={`reaction${mine ? ' reaction--mine' : ''}`}
            data-testid="reaction"
            data-emoji={r.emoji}
            aria-pressed={mine}
            aria-label={`${r.emoji} ${r.count}. ${who}`}
            title={who}
            disabled={!canReact}
            onClick={() => void toggleReaction(client, message, r.emoji, !mine)}
          >
            <span className="reaction__emoji">{r.emoji}</span>
            <span className="reaction__count">{r.count}</span>
          </button>
        );
      })}
      {canReact && (
        <button
          type="button"
          className="reaction reaction--add"
          aria-label="Add reaction"
          title="Add reaction"
          onClick={(e) =>
            ui({
              type: 'overlay',
              overlay: {
                kind: 'picker',
                messageId: message.id,
                anchor: e.currentTarget,
                returnTo: e.currentTarget,
              },
            })
          }
        >
          <Icon name="smilePlus" size={16} />
        </button>
      )}
    </div>
  );
}
