import type { Actor, Deps } from '../../context.js';
import { notFound } from '../../errors.js';
import type { Outcome } from '../../events.js';
import { deleteUnattached } from './attachments.queries.js';
import { discardObjects } from './discard.js';

/**
 * The uploader takes back an upload that no message carries yet (a file removed from the
 * composer), freeing its quota at once; anything else is `not_found`. Files of a sent message
 * go with the message (delete the message).
 */
export async function deleteUpload(deps: Deps, actor: Actor, id: number): Promise<Outcome<null>> {
  const keys = await deleteUnattached(deps.db, id, actor.userId);
  if (!keys) throw notFound('No such upload');
  await discardObjects(deps, keys);
  return { data: null, events: [] };
}
