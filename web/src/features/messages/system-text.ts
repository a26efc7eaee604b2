import type { Message } from '../../../../protocol/schemas/conversations.js';

/** The user ids a system message names (to fetch their names). */
export function systemUserIds(m: Message): number[] {
  const meta = m.meta ?? {};
  return [meta.actorId, meta.userId].filter((x): x is number => typeof x === 'number');
}

const ROLE_TEXT: Record<string, string> = {
  owner: 'the owner',
  admin: 'an admin',
  member: 'a member',
};

/** A system message as a sentence: "Alice added Bob", "Bob left", "Alice made Bob an admin". */
export function systemText(m: Message, nameOf: (id: number) => string): string {
  const meta = m.meta ?? {};
  const actorId = typeof meta.actorId === 'number' ? meta.actorId : m.senderId;
  const userId = typeof meta.userId === 'number' ? meta.userId : actorId;
  const actor = nameOf(actorId);
  const named = nameOf(userId);
  // "You" starts a sentence; after a verb it reads "you" ("Alice made you an admin").
  const user = named === 'You' && actorId !== userId ? 'you' : named;
  switch (meta.event) {
    case 'room_created':
      return typeof meta.name === 'string'
        ? `${actor} created the group “${meta.name}”`
        : `${actor} created the group`;
    case 'member_joined':
      return `${user} joined`;
    case 'member_left':
      return `${user} left`;
    case 'member_added':
      return `${actor} added ${user}`;
    case 'member_removed':
      return `${actor} removed ${user}`;
    case 'role_changed': {
      const role = typeof meta.role === 'string' ? ROLE_TEXT[meta.role] : undefined;
      if (meta.role === 'owner' && actorId === userId) return `${user} is now the owner`;
      if (meta.role === 'owner') return `${actor} made ${user} the owner`;
      return role ? `${actor} made ${user} ${role}` : `${actor} changed ${user}’s role`;
    }
    case 'room_renamed':
      return typeof meta.name === 'string'
        ? `${actor} renamed the group to “${meta.name}”`
        : `${actor} renamed the group`;
    default:
      return `${actor} ${m.body}`;
  }
}
