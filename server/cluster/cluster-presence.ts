import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { LocalPresence } from '../features/presence/presence-store.js';

const keys = (prefix: string) => ({
  // hash: "<node>|<socket id>" → 1 for every socket of the user, on any node
  user: (id: number) => `${prefix}:presence:user:${id}`,
  userPrefix: `${prefix}:presence:user:`,
  nodeUsers: (node: string) => `${prefix}:presence:node-users:${node}`, // set of users with a socket on that node
  heartbeat: (node: string) => `${prefix}:presence:heartbeat:${node}`,
  nodes: `${prefix}:presence:nodes`,
  online: `${prefix}:presence:online`,
  reaper: `${prefix}:presence:reaper`,
  channel: `${prefix}:presence:changes`,
});

/** How often a node proves it is alive, and how long until a silent node counts as dead. */
export const HEARTBEAT_MS = 5000;
export const NODE_TTL_MS = 15_000;

// Counts a socket of the user on this node unless they have `cap` sockets on live nodes
// already (-1 then). Returns 1 when the user was offline everywhere before, else 0.
const CONNECT = `
local live, alive = 0, {}
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  local n = string.match(f, '^([^|]+)|')
  if n == ARGV[1] then live = live + 1
  elseif n then
    if alive[n] == nil then alive[n] = redis.call('EXISTS', ARGV[5] .. n) end
    if alive[n] == 1 then live = live + 1 end
  end
end
if live >= tonumber(ARGV[4]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[1] .. '|' .. ARGV[3], 1)
redis.call('SADD', KEYS[2], ARGV[2])
if redis.call('SADD', KEYS[3], ARGV[2]) == 1 then
  redis.call('PUBLISH', KEYS[4], '1:' .. ARGV[2])
  return 1
end
return 0
`;

// Uncounts one socket of the user on a node (ARGV[3]), or all of that node's ('' ), and the
// sockets of nodes that stopped beating. Returns 1 when no live node has a socket of theirs.
const DISCONNECT = `
local mine, others, alive = 0, false, {}
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  local n = string.match(f, '^([^|]+)|')
  if n == ARGV[1] then
    if ARGV[3] == '' or f == ARGV[1] .. '|' .. ARGV[3] then redis.call('HDEL', KEYS[1], f)
    else mine = mine + 1 end
  elseif n then
    if alive[n] == nil then alive[n] = redis.call('EXISTS', ARGV[4] .. n) end
    if alive[n] == 1 then others = true else redis.call('HDEL', KEYS[1], f) end
  end
end
if mine == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
if mine > 0 or others then return 0 end
if redis.call('SREM', KEYS[3], ARGV[2]) == 1 then
  redis.call('PUBLISH', KEYS[4], '0:' .. ARGV[2])
  return 1
end
return 0
`;

// Counts the online users and their sockets on live nodes: {users, sockets}.
const COUNT = `
local users, sockets, alive = 0, 0, {}
for _, u in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local mine = 0
  for _, f in ipairs(redis.call('HKEYS', ARGV[1] .. u)) do
    local n = string.match(f, '^([^|]+)|')
    if n then
      if alive[n] == nil then alive[n] = redis.call('EXISTS', ARGV[2] .. n) end
      if alive[n] == 1 then mine = mine + 1 end
    end
  end
  if mine > 0 then users = users + 1; sockets = sockets + mine end
end
return {users, sockets}
`;

/**
 * Presence across nodes, kept in Redis. Every socket is an entry of its user's hash, so the
 * per-user socket cap holds across nodes. Each node refreshes a heartbeat; when a node stops
 * beating for NODE_TTL_MS, another node reaps its users (offline within about NODE_TTL_MS +
 * HEARTBEAT_MS). Every node keeps a replica of the online set (updated through pub/sub,
 * reloaded every heartbeat) so that `isOnline` answers without a round trip.
 */
export class ClusterPresence extends LocalPresence {
  readonly nodeId = randomUUID();
  private readonly online = new Set<number>();
  private readonly sub: Redis;
  private readonly timer: NodeJS.Timeout;
  // Users reaped before the gateway listens (the first heartbeat runs at construction) wait
  // here, so their contacts still hear of it and their last-seen time is still written.
  private reapedEarly: number[] = [];
  private offlineHandler: (userIds: number[]) => void = (ids) => this.reapedEarly.push(...ids);
  private closed = false;
  private readonly K: ReturnType<typeof keys>;

  constructor(
    private readonly redis: Redis,
    private readonly log: FastifyBaseLogger,
    prefix: string,
  ) {
    super();
    this.K = keys(prefix);
    const K = this.K;
    this.sub = redis.duplicate();
    this.sub.on('error', () => {});
    void this.sub.subscribe(K.channel).catch(() => {});
    this.sub.on('message', (_channel: string, message: string) => {
      const [state, id] = message.split(':');
      if (state === '1') this.online.add(Number(id));
      else this.online.delete(Number(id));
    });
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
    void this.beat();
  }

  override isOnline(userId: number): boolean {
    return super.isOnline(userId) || this.online.has(userId);
  }

  /** Counts the socket in Redis, where the per-user cap holds across every node. */
  override async connect(userId: number, socketId: string, cap: number): Promise<boolean | null> {
    if (this.socketCount(userId) >= cap) return null;
    let r: unknown;
    try {
      r = await this.redis.eval(
        CONNECT,
        4,
        this.K.user(userId),
        this.K.nodeUsers(this.nodeId),
        this.K.online,
        this.K.channel,
        this.nodeId,
        userId,
        socketId,
        cap,
        this.K.heartbeat(''),
      );
    } catch (err) {
      // Redis is away: the cap holds on this node alone; the heartbeat writes it back later.
      this.warn(err);
      if (this.socketCount(userId) >= cap) return null;
      this.online.add(userId);
      return this.addLocal(userId, socketId);
    }
    if (r === -1) return null;
    this.addLocal(userId, socketId);
    this.online.add(userId);
    return r === 1;
  }

  override async disconnect(userId: number, socketId: string): Promise<boolean> {
    if (!this.sockets.get(userId)?.has(socketId)) return false;
    this.removeLocal(userId, socketId);
    try {
      const r = await this.markGone(this.nodeId, userId, socketId);
      if (r === 1) this.online.delete(userId);
      return r === 1;
    } catch (err) {
      this.warn(err);
      if (super.isOnline(userId)) return false;
      this.online.delete(userId);
      return true;
    }
  }

  /**
   * Takes a socket of a user off a node ('' for all of that node's); resolves 1 when no live
   * node has a socket of theirs any more.
   */
  private markGone(node: string, userId: number, socketId: string): Promise<unknown> {
    return this.redis.eval(
      DISCONNECT,
      4,
      this.K.user(userId),
      this.K.nodeUsers(node),
      this.K.online,
      this.K.channel,
      node,
      userId,
      socketId,
      this.K.heartbeat(''),
    );
  }

  override onOffline(handler: (userIds: number[]) => void): void {
    this.offlineHandler = handler;
    const early = this.reapedEarly.splice(0);
    if (early.length) handler(early);
  }

  /** Refreshes this node's heartbeat, re-asserts its users if Redis lost them, reaps dead nodes. */
  private async beat(): Promise<void> {
    if (this.closed) return;
    try {
      const previous = await this.redis.set(
        this.K.heartbeat(this.nodeId),
        '1',
        'PX',
        NODE_TTL_MS,
        'GET',
      );
      await this.redis.sadd(this.K.nodes, this.nodeId);
      // No previous heartbeat: Redis restarted (or this node is new); write our users back.
      if (previous === null && this.sockets.size > 0) await this.reassert();
      const members = await this.redis.smembers(this.K.online);
      this.online.clear();
      for (const id of members) this.online.add(Number(id));
      await this.reap();
    } catch (err) {
      this.warn(err);
    }
  }

  private async reassert(): Promise<void> {
    const p = this.redis.pipeline();
    for (const [userId, ids] of this.sockets) {
      for (const id of ids) p.hset(this.K.user(userId), `${this.nodeId}|${id}`, 1);
      p.sadd(this.K.nodeUsers(this.nodeId), userId);
      p.sadd(this.K.online, userId);
    }
    await p.exec();
  }

  /** One node at a time takes the reaper lock and clears the users of nodes that stopped beating. */
  private async reap(): Promise<void> {
    const lock = await this.redis.set(this.K.reaper, this.nodeId, 'PX', HEARTBEAT_MS, 'NX');
    if (lock !== 'OK') return;
    const nodes = await this.redis.smembers(this.K.nodes);
    for (const node of nodes) {
      if (node === this.nodeId || (await this.redis.exists(this.K.heartbeat(node))) === 1) continue;
      const users = (await this.redis.smembers(this.K.nodeUsers(node))).map(Number);
      const offline: number[] = [];
      for (const userId of users) {
        const r = await this.markGone(node, userId, '');
        if (r === 1 && !super.isOnline(userId)) {
          this.online.delete(userId);
          offline.push(userId);
        }
      }
      await this.redis.del(this.K.nodeUsers(node));
      await this.redis.srem(this.K.nodes, node);
      if (offline.length) {
        this.log.info({ node, users: offline.length }, 'reaped the users of a node that stopped');
        this.offlineHandler(offline);
      }
    }
  }

  /** Counted in Redis over every live node; this node's own count while Redis is away. */
  override async onlineCounts(): Promise<{ users: number; sockets: number }> {
    try {
      const r = (await this.redis.eval(
        COUNT,
        1,
        this.K.online,
        this.K.userPrefix,
        this.K.heartbeat(''),
      )) as [number, number];
      return { users: Number(r[0]), sockets: Number(r[1]) };
    } catch (err) {
      this.warn(err);
      return this.localCounts();
    }
  }

  private warn(err: unknown): void {
    this.log.warn({ err: { message: (err as Error).message } }, 'presence store unavailable');
  }

  override async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    // A clean stop takes this node's users out at once instead of waiting for the reaper.
    try {
      const users = [...this.sockets.keys()];
      this.sockets.clear();
      for (const userId of users) {
        await this.markGone(this.nodeId, userId, '');
      }
      await this.redis.del(this.K.heartbeat(this.nodeId), this.K.nodeUsers(this.nodeId));
      await this.redis.srem(this.K.nodes, this.nodeId);
    } catch (err) {
      this.warn(err);
    }
    this.sub.disconnect();
  }
}
