import type { Message } from '../../../../protocol/schemas/conversations.js';
import { errorMessage } from '../../lib/http.js';
import { setNotice } from '../auth/session.js';
import type { ChatClient } from '../realtime/chat-client.js';
import { shownReactions } from './reactions.js';

let tokens = 0;

/**
 * Adds or removes my reaction. It shows at once; the server's answer replaces it, and an error
 * takes it back and says why.
 */
export async function toggleReaction(
  client: ChatClient,
  message: Message,
  emoji: string,
  on?: boolean,
): Promise<void> {
  const s = client.store.getState();
  const shown = shownReactions(message.reactions, s.reactionOverlay[message.id], s.myId);
  const want = on ?? !shown.some((r) => r.emoji === emoji && r.userIds.includes(s.myId));
  const token = ++tokens;
  const settle = () =>
    client.store.dispatch({ type: 'reaction/settled', messageId: message.id, emoji, token });
  client.store.dispatch({
    type: 'reaction/pending',
    messageId: message.id,
    emoji,
    on: want,
    token,
  });
  try {
    await client.change('reaction:set', { messageId: message.id, emoji, on: want });
  } catch (err) {
    setNotice(`Could not ${want ? 'add' : 'remove'} the reaction: ${errorMessage(err)}`);
  } finally {
    settle();
  }
}

/** Pins or unpins a message; an error is shown as a notice. */
export async function setPinned(client: ChatClient, message: Message, pinned: boolean) {
  try {
    await client.change('message:pin', { messageId: message.id, pinned });
  } catch (err) {
    setNotice(`Could not ${pinned ? 'pin' : 'unpin'} the message: ${errorMessage(err)}`);
  }
}

/** Copies a message's text to the clipboard. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    setNotice('Copied to the clipboard');
  } catch {
    setNotice('Could not copy: the browser did not allow it');
  }
}
