/** Things that happened, recorded by use cases and published after their transaction commits. */
export type DomainEvent =
  | { type: 'sessions.revoked'; userId: number; sessionIds: number[] | 'all' }
  | { type: 'user.updated'; userId: number };

type Listener = (event: DomainEvent) => void;

/** In-process event bus; the realtime layer listens and turns events into socket emits. */
export class EventBus {
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: DomainEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A listener's failure must not undo a committed change or break the caller.
      }
    }
  }
}
