import { useStore } from '../../lib/store.js';
import { uploadQueueFor, type UploadQueue, type UploadQueueState } from './upload-queue.js';

const whole = (s: UploadQueueState) => s;

/** The upload queue of my composer in a conversation, and its state (re-rendering on changes). */
export function useUploadQueue(
  userId: number,
  conversationId: number,
): { queue: UploadQueue; state: UploadQueueState } {
  const queue = uploadQueueFor(userId, conversationId);
  const state = useStore(queue.store, whole);
  return { queue, state };
}
