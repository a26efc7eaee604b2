import type {
  Conversation,
  ConversationSettingsInput,
} from '../../../protocol/schemas/conversations.js';
import type { Actor, Deps } from '../../context.js';
import type { Outcome } from '../../events.js';
import { loadAsMember } from './conversation.policy.js';
import { presentForUser } from './conversation.presenter.js';
import { findMember, updateMemberSettings } from './conversations.queries.js';

/**
 * The caller's own preferences for a conversation (muted, notification level). They change no
 * count and no event of anyone else; every socket of the caller learns of them, so a mute set
 * in one browser holds in every other.
 */
export async function updateSettings(
  deps: Deps,
  actor: Actor,
  id: number,
  input: ConversationSettingsInput,
): Promise<Outcome<Conversation>> {
  const { conversation } = await loadAsMember(deps, actor, id);
  await updateMemberSettings(deps.db, id, actor.userId, {
    ...(input.muted !== undefined && { muted: input.muted ? 1 : 0 }),
    ...(input.notify !== undefined && { notify: input.notify }),
  });
  const member = (await findMember(deps.db, id, actor.userId)) ?? null;
  const [view] = await presentForUser(deps, actor.userId, [{ row: conversation, member }]);
  return {
    data: view!,
    events: [
      { type: 'conversation.updated', views: [{ userId: actor.userId, conversation: view! }] },
    ],
  };
}
