import { useEffect } from 'react';
import { conversationsApi } from '../conversations/api.js';
import type { ChatState } from '../realtime/chat-state.js';
import { useChat, useClient, useMe } from '../realtime/ChatContext.js';
import { clearLegacyMuted, legacyMutedIds } from './preferences.js';

const selectListLoaded = (s: ChatState) => s.listLoaded;

/**
 * Conversations muted in this browser by an earlier version (before mute was saved on the
 * server) are muted on the server once, then forgotten here.
 */
export function useLegacyMutes(): void {
  const client = useClient();
  const me = useMe();
  const loaded = useChat(selectListLoaded);
  useEffect(() => {
    if (!loaded) return;
    const ids = legacyMutedIds(me.id);
    if (ids.length === 0) return;
    const held = client.store.getState().conversations;
    const todo = ids.filter((id) => held[id] && !held[id].muted);
    void Promise.allSettled(
      todo.map((id) => conversationsApi.settings(id, { muted: true }).then((c) => client.adopt(c))),
    ).then((done) => {
      if (done.every((r) => r.status === 'fulfilled')) clearLegacyMuted(me.id);
    });
  }, [client, me.id, loaded]);
}
