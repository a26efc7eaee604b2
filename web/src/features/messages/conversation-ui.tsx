import { createContext, useContext, useState, type ReactNode } from 'react';
import type { Message, ReplyTo } from '../../../../protocol/schemas/conversations.js';
import { createStore, useStore, type Store } from '../../lib/store.js';
import { attachmentSummary } from '../attachments/format.js';

/** What one open conversation shows besides its messages: a reply, an edit, a jump. */
export interface ConversationUi {
  /** The message the composer answers. */
  replyTo: ReplyTo | null;
  /** The message being edited in place. */
  editingId: number | null;
  /** A message to bring into view (a new nonce each time, so the same seq can be asked again). */
  jump: { seq: number; nonce: number; highlight: boolean } | null;
  /** The message shown highlighted for a moment after a jump. */
  highlightSeq: number | null;
  /** What is open over a message: its action menu, the emoji picker, or the delete question. */
  overlay: Overlay | null;
}

export interface Overlay {
  kind: 'menu' | 'picker' | 'delete';
  messageId: number;
  /** What the menu or picker is placed beside. */
  anchor: HTMLElement | null;
  /** Where focus goes back when it closes. */
  returnTo: HTMLElement | null;
}

export type UiAction =
  | { type: 'reply'; message: Message | null }
  | { type: 'edit'; id: number | null }
  | { type: 'jump'; seq: number; highlight: boolean }
  | { type: 'highlight'; seq: number | null }
  | { type: 'overlay'; overlay: Overlay | null };

const initial: ConversationUi = {
  replyTo: null,
  editingId: null,
  jump: null,
  highlightSeq: null,
  overlay: null,
};

/** The first 200 code points of a body, as the server quotes it. */
export function excerptOf(body: string): string {
  return [...body].slice(0, 200).join('');
}

function reduce(s: ConversationUi, a: UiAction): ConversationUi {
  switch (a.type) {
    case 'reply':
      return {
        ...s,
        editingId: a.message ? null : s.editingId,
        replyTo: a.message && {
          id: a.message.id,
          seq: a.message.seq,
          senderId: a.message.senderId,
          // What the reply bar shows; a message of files alone is named by its files.
          excerpt: excerptOf(a.message.body) || attachmentSummary(a.message.attachments),
        },
      };
    case 'edit':
      return s.editingId === a.id ? s : { ...s, editingId: a.id };
    case 'jump':
      return {
        ...s,
        jump: { seq: a.seq, nonce: (s.jump?.nonce ?? 0) + 1, highlight: a.highlight },
      };
    case 'highlight':
      return s.highlightSeq === a.seq ? s : { ...s, highlightSeq: a.seq };
    case 'overlay':
      return { ...s, overlay: a.overlay };
  }
}

type UiStore = Store<ConversationUi, UiAction>;
const Ctx = createContext<UiStore | null>(null);

/** Holds the UI state of one open conversation (a new one for each conversation). */
export function ConversationUiProvider({ children }: { children: ReactNode }) {
  const [store] = useState(() => createStore(reduce, initial));
  return <Ctx.Provider value={store}>{children}</Ctx.Provider>;
}

function useUiStore(): UiStore {
  const store = useContext(Ctx);
  if (!store) throw new Error('ConversationUiProvider is missing');
  return store;
}

/** A slice of the conversation's UI state (the selector must return held values). */
export function useConversationUi<T>(select: (s: ConversationUi) => T): T {
  return useStore(useUiStore(), select);
}

/** Dispatches UI actions of the open conversation. */
export function useUiDispatch(): (a: UiAction) => void {
  return useUiStore().dispatch;
}
