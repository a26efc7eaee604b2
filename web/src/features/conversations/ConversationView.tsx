import { useCallback, useEffect, useState } from 'react';
import type {
  Conversation,
  ConversationWithMembers,
} from '../../../../protocol/schemas/conversations.js';
import { errorMessage } from '../../lib/http.js';
import { Link, navigate } from '../../lib/router.js';
import { Avatar } from '../../ui/Avatar.js';
import { Spinner } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { DropOverlay } from '../attachments/DropOverlay.js';
import { uploadQueueFor } from '../attachments/upload-queue.js';
import { useFileDrop } from '../attachments/useFileDrop.js';
import { Composer } from '../messages/Composer.js';
import { ConversationUiProvider, useUiDispatch } from '../messages/conversation-ui.js';
import { IncomingAnnouncer } from '../messages/IncomingAnnouncer.js';
import { MessageList } from '../messages/MessageList.js';
import { MessageOverlays } from '../messages/MessageOverlays.js';
import { TypingIndicator } from '../messages/TypingIndicator.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe } from '../realtime/ChatContext.js';
import { conversationsApi } from './api.js';
import { ChatHeader } from './ChatHeader.js';
import { conversationTitle } from './conversations-state.js';
import { GroupSettings } from './GroupSettings.js';
import { PinsPanel } from './PinsPanel.js';

/** A conversation I am not in: a public group can be previewed and joined. */
function NotAMember({ id }: { id: number }) {
  const client = useClient();
  const [group, setGroup] = useState<ConversationWithMembers | null | 'missing'>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    conversationsApi.get(id).then(
      (c) => !cancelled && setGroup(c),
      () => !cancelled && setGroup('missing'),
    );
    return () => {
      cancelled = true;
    };
  }, [id]);
  if (group === null) {
    return (
      <div className="empty-state">
        <Spinner />
      </div>
    );
  }
  if (group === 'missing' || group.kind !== 'group' || group.myRole !== null) {
    return (
      <div className="empty-state">
        <Icon name="message" size={40} />
        <h2>Conversation not found</h2>
        <p>It may have been deleted, or you are not a member.</p>
        <Link to="/" className="button button--primary">
          Back to conversations
        </Link>
      </div>
    );
  }
  const join = async () => {
    try {
      client.adopt(await conversationsApi.join(id));
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <div className="empty-state">
      <Avatar name={group.name ?? '#'} seed={group.id + 7} size={64} square />
      <h2>{group.name}</h2>
      <p>
        {group.memberCount} members{group.topic ? ` · ${group.topic}` : ''}
      </p>
      {error && <p className="form-error">{error}</p>}
      <button type="button" className="button button--primary" onClick={() => void join()}>
        Join group
      </button>
    </div>
  );
}

const phone = () => window.matchMedia('(max-width: 760px)').matches;

/** The chat column and its side panel, inside the conversation's UI state. */
function ConversationBody({ c, settingsOpen }: { c: Conversation; settingsOpen: boolean }) {
  const ui = useUiDispatch();
  const me = useMe();
  // Files dropped anywhere on the conversation wait above its composer.
  const drop = useFileDrop((files) => uploadQueueFor(me.id, c.id).add(files));
  const [pinsOpen, setPinsOpen] = useState(false);
  const panel = settingsOpen ? 'settings' : pinsOpen ? 'pins' : null;
  const title = conversationTitle(c);
  const intro =
    c.kind === 'direct'
      ? `This is the beginning of your conversation with ${title}.`
      : `This is the beginning of “${title}”.`;
  useEffect(() => {
    if (settingsOpen) setPinsOpen(false);
  }, [settingsOpen]);
  const togglePins = () => {
    if (settingsOpen) navigate(`/c/${c.id}`);
    setPinsOpen((open) => !(open && !settingsOpen));
  };
  const closePins = useCallback(() => setPinsOpen(false), []);
  const jumpFromPins = (seq: number) => {
    if (phone()) setPinsOpen(false);
    ui({ type: 'jump', seq, highlight: true });
  };
  return (
    <div className={`conversation${panel ? ' conversation--with-panel' : ''}`}>
      <section className="chat att-drop-host" aria-label={title} {...drop.handlers}>
        <ChatHeader c={c} panel={panel} onTogglePins={togglePins} />
        <MessageList conversationId={c.id} isGroup={c.kind === 'group'} intro={intro} />
        <TypingIndicator conversationId={c.id} />
        <Composer conversationId={c.id} placeholder={`Message ${title}`} />
        <MessageOverlays conversationId={c.id} />
        <IncomingAnnouncer conversationId={c.id} />
        {drop.active && <DropOverlay title={title} />}
      </section>
      {panel === 'settings' && c.kind === 'group' && <GroupSettings c={c} />}
      {panel === 'pins' && <PinsPanel c={c} onJump={jumpFromPins} onClose={closePins} />}
    </div>
  );
}

/** One conversation: header, history, who is typing, and the composer. */
export function ConversationView({ id, settingsOpen }: { id: number; settingsOpen: boolean }) {
  const client = useClient();
  const c = useChat(useCallback((s: ChatState) => s.conversations[id], [id]));
  const listLoaded = useChat(useCallback((s: ChatState) => s.listLoaded, []));
  const held = useChat(useCallback((s: ChatState) => s.messages[id] !== undefined, [id]));
  const exists = c !== undefined;

  useEffect(() => {
    if (exists) client.open(id);
  }, [client, id, exists, held]);

  useEffect(() => {
    if (settingsOpen && c && c.kind !== 'group') navigate(`/c/${id}`, { replace: true });
  }, [settingsOpen, c, id]);

  if (!c) {
    return listLoaded ? (
      <NotAMember id={id} />
    ) : (
      <div className="empty-state">
        <Spinner />
      </div>
    );
  }
  // Keyed by conversation: replies, edits and jumps belong to the one they were started in.
  return (
    <ConversationUiProvider key={id}>
      <ConversationBody c={c} settingsOpen={settingsOpen} />
    </ConversationUiProvider>
  );
}
