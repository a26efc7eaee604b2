import type { Reaction } from '../../../../protocol/schemas/conversations.js';

/** My reaction changes sent and not yet answered, by message id then emoji. */
export type ReactionOverlay = Readonly<Record<string, { on: boolean; token: number }>>;

export type OverlayChange =
  | { type: 'reaction/pending'; messageId: number; emoji: string; on: boolean; token: number }
  | { type: 'reaction/settled'; messageId: number; emoji: string; token: number };

/**
 * My reaction changes on their way, by message id: a change is shown until its answer comes
 * (then the message's own reactions tell the truth) or its error (then it is taken back).
 */
export function applyOverlay(
  overlays: Readonly<Record<number, ReactionOverlay>>,
  a: OverlayChange,
): Readonly<Record<number, ReactionOverlay>> {
  const here = overlays[a.messageId] ?? {};
  if (a.type === 'reaction/pending')
    return { ...overlays, [a.messageId]: { ...here, [a.emoji]: { on: a.on, token: a.token } } };
  // A later change of the same emoji is still on its way: it decides.
  if (here[a.emoji]?.token !== a.token) return overlays;
  const rest = { ...here };
  delete rest[a.emoji];
  const next = { ...overlays };
  if (Object.keys(rest).length === 0) delete next[a.messageId];
  else next[a.messageId] = rest;
  return next;
}

/** Reactions after adding or removing one user's emoji (as the server would). */
export function toggleReaction(
  reactions: readonly Reaction[],
  emoji: string,
  userId: number,
  on: boolean,
): Reaction[] {
  const i = reactions.findIndex((r) => r.emoji === emoji);
  const held = reactions[i];
  if (on) {
    if (held?.userIds.includes(userId)) return [...reactions];
    if (!held) return [...reactions, { emoji, count: 1, userIds: [userId] }];
    const next = [...reactions];
    next[i] = { emoji, count: held.count + 1, userIds: [...held.userIds, userId] };
    return next;
  }
  if (!held?.userIds.includes(userId)) return [...reactions];
  const userIds = held.userIds.filter((id) => id !== userId);
  if (userIds.length === 0) return reactions.filter((_, j) => j !== i);
  const next = [...reactions];
  next[i] = { emoji, count: held.count - 1, userIds };
  return next;
}

/** The reactions to show: the server's, with my unanswered changes applied on top. */
export function shownReactions(
  reactions: readonly Reaction[],
  overlay: ReactionOverlay | undefined,
  myId: number,
): readonly Reaction[] {
  if (!overlay) return reactions;
  let out: readonly Reaction[] = reactions;
  for (const [emoji, { on }] of Object.entries(overlay)) out = toggleReaction(out, emoji, myId, on);
  return out;
}

/** "Alice, Bob and you reacted with 👍" for the chip's tooltip. */
export function reactedText(
  r: Reaction,
  myId: number,
  nameOf: (id: number) => string | undefined,
): string {
  const names = r.userIds.filter((id) => id !== myId).map((id) => nameOf(id) ?? 'Someone');
  if (r.userIds.includes(myId)) names.push('you');
  // Someone may be counted whose id is not listed (should not happen, but count wins).
  const extra = r.count - r.userIds.length;
  if (extra > 0) names.push(extra === 1 ? '1 other' : `${extra} others`);
  const list =
    names.length <= 1
      ? (names[0] ?? 'Nobody')
      : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${list.startsWith('you') ? 'You' + list.slice(3) : list} reacted with ${r.emoji}`;
}
