/** Answers whether a user has a live socket anywhere. */
export interface PresenceView {
  isOnline(userId: number): boolean;
}

/**
 * Where users are online. Sockets are counted per node; a user is online while any node
 * counts a socket of theirs. `connect`/`disconnect` resolve true when the user's state changed.
 */
export interface Presence extends PresenceView {
  /** Sockets of the user on this node. */
  socketCount(userId: number): number;
  /**
   * Counts a new socket of the user, unless they already have `cap` sockets (on every node):
   * null then, and nothing is counted. Otherwise true when the user was offline before.
   */
  connect(userId: number, socketId: string, cap: number): Promise<boolean | null>;
  /** Uncounts a socket; true when the user has none left anywhere. */
  disconnect(userId: number, socketId: string): Promise<boolean>;
  /** Called with users another node lost (it died); they are offline now. */
  onOffline(handler: (userIds: number[]) => void): void;
  /** Users online and sockets connected, on every node (for the admin's figures). */
  onlineCounts(): Promise<{ users: number; sockets: number }>;
  close(): Promise<void>;
}

/** Presence of a single node: online while any socket of the user is connected here. */
export class LocalPresence implements Presence {
  /** The user's sockets on this node. */
  protected readonly sockets = new Map<number, Set<string>>();

  isOnline(userId: number): boolean {
    return this.sockets.has(userId);
  }

  socketCount(userId: number): number {
    return this.sockets.get(userId)?.size ?? 0;
  }

  /** Counts a socket here; true when it is the user's first on this node. */
  protected addLocal(userId: number, socketId: string): boolean {
    const mine = this.sockets.get(userId);
    if (mine) {
      mine.add(socketId);
      return false;
    }
    this.sockets.set(userId, new Set([socketId]));
    return true;
  }

  /** Uncounts a socket here; true when it was the user's last on this node. */
  protected removeLocal(userId: number, socketId: string): boolean {
    const mine = this.sockets.get(userId);
    if (!mine?.delete(socketId)) return false;
    if (mine.size > 0) return false;
    this.sockets.delete(userId);
    return true;
  }

  connect(userId: number, socketId: string, cap: number): Promise<boolean | null> {
    if (this.socketCount(userId) >= cap) return Promise.resolve(null);
    return Promise.resolve(this.addLocal(userId, socketId));
  }

  disconnect(userId: number, socketId: string): Promise<boolean> {
    return Promise.resolve(this.removeLocal(userId, socketId));
  }

  onOffline(_handler: (userIds: number[]) => void): void {
    // A single node never loses another node's sockets.
  }

  onlineCounts(): Promise<{ users: number; sockets: number }> {
    return Promise.resolve(this.localCounts());
  }

  /** Users and sockets on this node. */
  protected localCounts(): { users: number; sockets: number } {
    let sockets = 0;
    for (const ids of this.sockets.values()) sockets += ids.size;
    return { users: this.sockets.size, sockets };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
