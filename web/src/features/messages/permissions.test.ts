import { describe, expect, it } from 'vitest';
import { msg } from '../../test/factories.js';
import { messagePermissions } from './permissions.js';

const ME = 1;
const direct = { kind: 'direct' as const, myRole: 'member' as const };
const group = (myRole: 'owner' | 'admin' | 'member') => ({ kind: 'group' as const, myRole });

describe('message permissions', () => {
  it('the sender edits and deletes their text message; anyone in a direct chat pins', () => {
    expect(messagePermissions(msg(1, { senderId: ME }), direct, ME)).toEqual({
      reply: true,
      react: true,
      edit: true,
      delete: true,
      pin: true,
      copy: true,
    });
    expect(messagePermissions(msg(1, { senderId: 2 }), direct, ME)).toMatchObject({
      edit: false,
      delete: false,
      pin: true,
    });
  });

  it('in a group, owners and admins delete anyone’s message and pin; members do neither', () => {
    const theirs = msg(1, { senderId: 2 });
    for (const role of ['owner', 'admin'] as const)
      expect(messagePermissions(theirs, group(role), ME)).toMatchObject({
        edit: false,
        delete: true,
        pin: true,
      });
    expect(messagePermissions(theirs, group('member'), ME)).toMatchObject({
      delete: false,
      pin: false,
      react: true,
    });
  });

  it('system and deleted messages allow nothing', () => {
    const none = {
      reply: false,
      react: false,
      edit: false,
      delete: false,
      pin: false,
      copy: false,
    };
    expect(messagePermissions(msg(1, { kind: 'system' }), group('owner'), ME)).toEqual(none);
    const tomb = msg(1, { senderId: ME, body: '', deletedAt: msg(1).createdAt });
    expect(messagePermissions(tomb, group('owner'), ME)).toEqual(none);
    expect(messagePermissions(msg(1), { kind: 'group', myRole: null }, ME)).toEqual(none);
  });
});
