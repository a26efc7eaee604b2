import { expect } from 'vitest';
import type { Api, ApiResponse, TestUser } from './api.js';
import type { Received, TestSocket } from './socket.js';

/** ISO-8601 UTC with milliseconds, as the contract writes every time. */
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const keys = (o: object) => Object.keys(o).sort();

/** Asserts the exact PublicUser shape (no extra fields such as email or a hash). */
export function expectPublicUser(u: any, expected: Partial<Record<string, unknown>> = {}): void {
  expect(keys(u)).toEqual(
    ['avatarUrl', 'displayName', 'id', 'lastSeenAt', 'online', 'username'].sort(),
  );
  expect(Number.isSafeInteger(u.id) && u.id > 0).toBe(true);
  expect(typeof u.username).toBe('string');
  expect(typeof u.displayName).toBe('string');
  expect(u.avatarUrl === null || typeof u.avatarUrl === 'string').toBe(true);
  expect(typeof u.online).toBe('boolean');
  if (u.lastSeenAt !== null) expect(u.lastSeenAt).toMatch(ISO_MS);
  expect(u).toMatchObject(expected);
}

/** Asserts the exact Message shape. */
export function expectMessage(m: any, expected: Partial<Record<string, unknown>> = {}): void {
  expect(keys(m)).toEqual(
    [
      'attachments',
      'body',
      'clientId',
      'conversationId',
      'createdAt',
      'deletedAt',
      'editedAt',
      'id',
      'kind',
      'mentions',
      'meta',
      'pinned',
      'reactions',
      'replyTo',
      'senderId',
      'seq',
      'status',
      'version',
    ].sort(),
  );
  expect(Number.isSafeInteger(m.id) && m.id > 0).toBe(true);
  expect(Number.isSafeInteger(m.conversationId) && m.conversationId > 0).toBe(true);
  expect(Number.isSafeInteger(m.seq) && m.seq > 0).toBe(true);
  expect(Number.isSafeInteger(m.senderId) && m.senderId > 0).toBe(true);
  expect(m.clientId === null || typeof m.clientId === 'string').toBe(true);
  expect(['text', 'system']).toContain(m.kind);
  expect(typeof m.body).toBe('string');
  if (m.kind === 'system') {
    expect(m.meta).not.toBeNull();
    expect(typeof m.meta.event).toBe('string');
    expect(Number.isSafeInteger(m.meta.userId)).toBe(true);
    expect(m.meta.actorId).toBe(m.senderId);
    expect(m.clientId).toBeNull();
  } else {
    expect(m.meta).toBeNull();
  }
  expect(m.createdAt).toMatch(ISO_MS);
  expect(m.editedAt === null || ISO_MS.test(m.editedAt)).toBe(true);
  expect(['sent', 'delivered', 'read']).toContain(m.status);
  expect(Number.isSafeInteger(m.version) && m.version > 0).toBe(true);
  expect(m.deletedAt === null || ISO_MS.test(m.deletedAt)).toBe(true);
  if (m.replyTo !== null) {
    expect(keys(m.replyTo)).toEqual(['excerpt', 'id', 'senderId', 'seq']);
    expect(typeof m.replyTo.excerpt).toBe('string');
    expect([...m.replyTo.excerpt].length).toBeLessThanOrEqual(200);
    expect(m.replyTo.seq).toBeLessThan(m.seq);
  }
  expect(Array.isArray(m.reactions)).toBe(true);
  for (const r of m.reactions) {
    expect(keys(r)).toEqual(['count', 'emoji', 'userIds']);
    expect(r.count).toBe(r.userIds.length);
    expect(r.count).toBeGreaterThan(0);
    expect(new Set(r.userIds).size).toBe(r.userIds.length);
  }
  expect(new Set(m.reactions.map((r: any) => r.emoji)).size).toBe(m.reactions.length);
  expect(Array.isArray(m.mentions)).toBe(true);
  expect(m.mentions.length).toBeLessThanOrEqual(50);
  expect(new Set(m.mentions).size).toBe(m.mentions.length);
  expect(Array.isArray(m.attachments)).toBe(true);
  if (m.pinned !== null) {
    expect(keys(m.pinned)).toEqual(['at', 'by']);
    expect(m.pinned.at).toMatch(ISO_MS);
  }
  if (m.kind === 'system') {
    expect([m.reactions, m.pinned, m.replyTo, m.deletedAt, m.editedAt]).toEqual([
      [],
      null,
      null,
      null,
      null,
    ]);
  }
  // A tombstone keeps its place and sender, nothing of its content.
  if (m.deletedAt !== null) {
    expect([m.body, m.reactions, m.mentions, m.attachments, m.replyTo, m.pinned]).toEqual([
      '',
      [],
      [],
      [],
      null,
      null,
    ]);
  }
  expect(m).toMatchObject(expected);
}

/** Asserts the exact Conversation shape (with `members` when `withMembers`). */
export function expectConversation(
  c: any,
  expected: Partial<Record<string, unknown>> = {},
  withMembers = false,
): void {
  const want = [
    'createdAt',
    'createdBy',
    'id',
    'isPrivate',
    'kind',
    'lastMessage',
    'lastSeq',
    'lastVersion',
    'memberCount',
    'mentionCount',
    'muted',
    'myReadSeq',
    'myRole',
    'name',
    'notify',
    'otherUser',
    'topic',
    'unreadCount',
  ];
  expect(keys(c)).toEqual((withMembers ? [...want, 'members'] : want).sort());
  expect(Number.isSafeInteger(c.id) && c.id > 0).toBe(true);
  expect(['direct', 'group']).toContain(c.kind);
  expect(typeof c.isPrivate).toBe('boolean');
  expect(c.createdAt).toMatch(ISO_MS);
  expect(c.createdBy === null || Number.isSafeInteger(c.createdBy)).toBe(true);
  if (c.kind === 'direct') {
    expect(c.name).toBeNull();
    expect(c.isPrivate).toBe(true);
    expectPublicUser(c.otherUser);
  } else {
    expect(typeof c.name).toBe('string');
    expect(typeof c.topic).toBe('string');
    expect(c.otherUser).toBeNull();
  }
  expect(Number.isSafeInteger(c.memberCount) && c.memberCount >= 0).toBe(true);
  expect([null, 'owner', 'admin', 'member']).toContain(c.myRole);
  expect(Number.isSafeInteger(c.lastSeq) && c.lastSeq >= 0).toBe(true);
  // Every creation raised the counter, and changes raise it further.
  expect(Number.isSafeInteger(c.lastVersion) && c.lastVersion >= c.lastSeq).toBe(true);
  if (c.lastMessage === null) expect(c.lastSeq).toBe(0);
  else {
    expectMessage(c.lastMessage, { conversationId: c.id, seq: c.lastSeq });
  }
  expect(Number.isSafeInteger(c.unreadCount) && c.unreadCount >= 0).toBe(true);
  expect(Number.isSafeInteger(c.mentionCount) && c.mentionCount >= 0).toBe(true);
  expect(c.mentionCount).toBeLessThanOrEqual(c.unreadCount);
  expect(['all', 'mentions', 'none']).toContain(c.notify);
  expect(Number.isSafeInteger(c.myReadSeq) && c.myReadSeq >= 0).toBe(true);
  expect(c.myReadSeq).toBeLessThanOrEqual(c.lastSeq);
  expect(typeof c.muted).toBe('boolean');
  if (withMembers) {
    expect(Array.isArray(c.members)).toBe(true);
    for (const m of c.members) expectMember(m);
  }
  expect(c).toMatchObject(expected);
}

/** Asserts the exact Member shape. */
export function expectMember(m: any, expected: Partial<Record<string, unknown>> = {}): void {
  expect(keys(m)).toEqual(['deliveredSeq', 'joinedAt', 'readSeq', 'role', 'user']);
  expectPublicUser(m.user);
  expect(['owner', 'admin', 'member']).toContain(m.role);
  expect(m.joinedAt).toMatch(ISO_MS);
  expect(Number.isSafeInteger(m.deliveredSeq) && m.deliveredSeq >= 0).toBe(true);
  expect(Number.isSafeInteger(m.readSeq) && m.readSeq >= 0).toBe(true);
  expect(m.deliveredSeq).toBeGreaterThanOrEqual(m.readSeq);
  expect(m).toMatchObject(expected);
}

/** Asserts the contract's error shape and code. */
export function expectError(res: ApiResponse, status: number, code: string): void {
  expect({ status: res.status, body: res.body }).toMatchObject({
    status,
    body: { error: { code } },
  });
  expect(typeof res.body.error.message).toBe('string');
}

/** Asserts a failed socket ack with the contract's error shape. */
export function expectAckError(ack: any, code: string): void {
  expect(ack).toMatchObject({ ok: false, error: { code } });
  expect(typeof ack.error.message).toBe('string');
  expect(keys(ack)).toEqual(['error', 'ok']);
}

/** True when a received event concerns the given conversation. */
export function concerns(r: Received, conversationId: number): boolean {
  const p = r.payload;
  if (p === null || typeof p !== 'object') return false;
  if (p.conversationId === conversationId) return true;
  if (r.event === 'conversation:updated' && p.id === conversationId) return true;
  return JSON.stringify(p).includes(`"conversationId":${conversationId},`);
}

/** Every event a socket received about a conversation. */
export function eventsAbout(s: TestSocket, conversationId: number): Received[] {
  return s.received.filter((r) => concerns(r, conversationId));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** REST calls of the messaging API for tests; each asserts the status it expects. */
export class Chat {
  constructor(readonly api: Api) {}

  private async ok(res: Promise<ApiResponse>, ...statuses: number[]): Promise<any> {
    const r = await res;
    if (!statuses.includes(r.status))
      throw new Error(`expected ${statuses.join('/')}, got ${r.status}: ${r.text}`);
    return r.body;
  }

  group(
    owner: TestUser,
    body: { name?: string; topic?: string; isPrivate?: boolean; memberIds?: number[] } = {},
  ): Promise<any> {
    return this.ok(
      this.api.post(
        '/api/conversations',
        { name: 'Group', isPrivate: true, ...body },
        { token: owner.token },
      ),
      201,
    );
  }

  direct(a: TestUser, b: TestUser): Promise<any> {
    return this.ok(
      this.api.post('/api/conversations/direct', { userId: b.id }, { token: a.token }),
      200,
      201,
    );
  }

  send(user: TestUser, conversationId: number, body: string, clientId?: string): Promise<any> {
    return this.ok(
      this.api.post(
        `/api/conversations/${conversationId}/messages`,
        clientId === undefined ? { body } : { body, clientId },
        { token: user.token },
      ),
      201,
    );
  }

  history(user: TestUser, conversationId: number, query = ''): Promise<any> {
    return this.ok(
      this.api.get(`/api/conversations/${conversationId}/messages${query}`, { token: user.token }),
      200,
    );
  }

  list(user: TestUser): Promise<any[]> {
    return this.ok(this.api.get('/api/conversations', { token: user.token }), 200);
  }

  get(user: TestUser, conversationId: number): Promise<any> {
    return this.ok(
      this.api.get(`/api/conversations/${conversationId}`, { token: user.token }),
      200,
    );
  }

  /** The caller's view of one conversation, from the list. */
  async view(user: TestUser, conversationId: number): Promise<any> {
    const c = (await this.list(user)).find((x) => x.id === conversationId);
    if (!c) throw new Error(`conversation ${conversationId} not in the list of ${user.id}`);
    return c;
  }

  read(user: TestUser, conversationId: number, seq: number): Promise<any> {
    return this.ok(
      this.api.post(`/api/conversations/${conversationId}/read`, { seq }, { token: user.token }),
      204,
    );
  }

  join(user: TestUser, conversationId: number): Promise<any> {
    return this.ok(
      this.api.post(`/api/conversations/${conversationId}/join`, undefined, { token: user.token }),
      200,
    );
  }

  leave(user: TestUser, conversationId: number): Promise<any> {
    return this.ok(
      this.api.post(`/api/conversations/${conversationId}/leave`, undefined, { token: user.token }),
      204,
    );
  }

  add(user: TestUser, conversationId: number, userIds: number[]): Promise<any[]> {
    return this.ok(
      this.api.post(
        `/api/conversations/${conversationId}/members`,
        { userIds },
        { token: user.token },
      ),
      200,
    );
  }

  remove(user: TestUser, conversationId: number, userId: number): Promise<any> {
    return this.ok(
      this.api.delete(`/api/conversations/${conversationId}/members/${userId}`, {
        token: user.token,
      }),
      204,
    );
  }

  role(user: TestUser, conversationId: number, userId: number, role: string): Promise<any> {
    return this.ok(
      this.api.patch(
        `/api/conversations/${conversationId}/members/${userId}`,
        { role },
        { token: user.token },
      ),
      200,
    );
  }
}
