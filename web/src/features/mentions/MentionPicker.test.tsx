import { act, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Member } from '../../../../protocol/schemas/conversations.js';
import type { PublicUser, User } from '../../../../protocol/schemas/users.js';
import { conversation, user } from '../../test/factories.js';
import { Composer } from '../messages/Composer.js';
import { ConversationUiProvider } from '../messages/conversation-ui.js';
import { ChatClient } from '../realtime/chat-client.js';
import { ChatProvider } from '../realtime/ChatContext.js';

const me: User = {
  ...user(1, { username: 'carol', displayName: 'Carol Diaz' }),
  email: 'carol@example.com',
  bio: '',
  isAdmin: false,
  createdAt: '2026-11-24T09:00:00.000Z',
};
const people = [
  me,
  user(2, { username: 'alice', displayName: 'Alice Martin' }),
  user(3, { username: 'alfred_w', displayName: 'Alfred Wong' }),
  user(4, { username: 'bob', displayName: 'Bob Chen' }),
];
const member = (u: PublicUser): Member => ({
  user: u,
  role: 'member',
  joinedAt: '2026-11-24T09:00:00.000Z',
  deliveredSeq: 0,
  readSeq: 0,
});

beforeAll(() => {
  // The popover follows its anchor's size; jsdom has no layout to observe.
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  } as unknown as typeof ResizeObserver;
});

let client: ChatClient | null = null;
afterEach(() => {
  client?.stop();
  client = null;
  document.body.innerHTML = '';
});

const type = (box: HTMLTextAreaElement, value: string) =>
  act(() => {
    // What typing fires (Preact listens to input events for onChange, as browsers send them).
    fireEvent.input(box, { target: { value } });
    box.setSelectionRange(value.length, value.length);
    fireEvent.select(box);
  });

const options = () => screen.queryAllByRole('option').map((o) => o.textContent);

describe('the mention picker', () => {
  it('lists the other members filtered as one types, and inserts @username at the caret', () => {
    const box = renderComposerIn(7);
    type(box, 'hi @al');
    const list = screen.getByRole('listbox', { name: 'Mention someone' });
    expect(list).toBeTruthy();
    expect(options()).toEqual(['AWAlfred Wong@alfred_w', 'AMAlice Martin@alice']);
    expect(box.getAttribute('aria-activedescendant')).toBe(screen.getAllByRole('option')[0]!.id);

    fireEvent.keyDown(box, { key: 'ArrowDown' });
    expect(screen.getAllByRole('option')[1]!.getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(box.value).toBe('hi @alice ');
    expect(box.selectionStart).toBe(10);
    expect(screen.queryByRole('listbox')).toBeNull();
  });

  it('Tab inserts too; I am never offered; Escape closes without changing the text', () => {
    const box = renderComposerIn(7);
    type(box, '@');
    expect(options().some((o) => o?.includes('@carol'))).toBe(false);
    expect(options()).toHaveLength(3);
    type(box, '@ch');
    fireEvent.keyDown(box, { key: 'Tab' });
    expect(box.value).toBe('@bob ');

    type(box, '@bob @a');
    expect(screen.getByRole('listbox')).toBeTruthy();
    fireEvent.keyDown(box, { key: 'Escape' });
    expect(screen.queryByRole('listbox')).toBeNull();
    expect(box.value).toBe('@bob @a');
    // Typing on in the same word keeps it closed; a new @ opens it again.
    type(box, '@bob @al');
    expect(screen.queryByRole('listbox')).toBeNull();
    type(box, '@bob @al @');
    expect(screen.getByRole('listbox')).toBeTruthy();
  });

  it('stays closed for an address or a name nobody has', () => {
    const box = renderComposerIn(7);
    type(box, 'write to bob@example');
    expect(screen.queryByRole('listbox')).toBeNull();
    type(box, 'hi @zed');
    expect(screen.queryByRole('listbox')).toBeNull();
    expect(box.getAttribute('aria-activedescendant')).toBeNull();
  });
});

/** The composer of conversation `id`, whose members are loaded. */
function renderComposerIn(id: number): HTMLTextAreaElement {
  client = new ChatClient(me.id, {
    onSessionEnded: () => {},
    onIncoming: () => {},
    onRemoved: () => {},
  });
  client.store.dispatch({
    type: 'conversation/details',
    conversation: {
      ...conversation(id, { kind: 'group', name: 'Team' }),
      members: people.map(member),
    },
  });
  render(
    <ChatProvider client={client} me={me}>
      <ConversationUiProvider>
        <Composer conversationId={id} placeholder="Message Team" />
      </ConversationUiProvider>
    </ChatProvider>,
  );
  return screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Message' });
}
