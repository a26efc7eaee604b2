import { describe, expect, it } from 'vitest';
import { msg } from '../../test/factories.js';
import { systemText } from './system-text.js';

const names: Record<number, string> = { 1: 'Alice', 2: 'Bob' };
const nameOf = (id: number) => names[id] ?? 'Someone';
const sys = (meta: Record<string, unknown>) =>
  msg(1, { kind: 'system', senderId: 1, meta: { actorId: 1, userId: 2, ...meta } });

describe('system messages', () => {
  it('read as sentences naming the people', () => {
    expect(systemText(sys({ event: 'member_added' }), nameOf)).toBe('Alice added Bob');
    expect(systemText(sys({ event: 'member_removed' }), nameOf)).toBe('Alice removed Bob');
    expect(systemText(sys({ event: 'member_joined', actorId: 2 }), nameOf)).toBe('Bob joined');
    expect(systemText(sys({ event: 'member_left', actorId: 2 }), nameOf)).toBe('Bob left');
    expect(systemText(sys({ event: 'role_changed', role: 'admin' }), nameOf)).toBe(
      'Alice made Bob an admin',
    );
    expect(systemText(sys({ event: 'room_renamed', userId: 1, name: 'Ops' }), nameOf)).toBe(
      'Alice renamed the group to “Ops”',
    );
    const mine = (id: number) => (id === 2 ? 'You' : nameOf(id));
    expect(systemText(sys({ event: 'role_changed', role: 'admin' }), mine)).toBe(
      'Alice made you an admin',
    );
    expect(systemText(sys({ event: 'member_joined', actorId: 2 }), mine)).toBe('You joined');
  });
});
