import { useCallback, useSyncExternalStore } from 'react';

/** A minimal external store: one immutable state, replaced by reducers, observed by React. */
export interface Store<S, A> {
  getState: () => S;
  dispatch: (action: A) => void;
  subscribe: (listener: () => void) => () => void;
}

/** Creates a store around a pure reducer. */
export function createStore<S, A>(reducer: (state: S, action: A) => S, initial: S): Store<S, A> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    dispatch(action) {
      const next = reducer(state, action);
      if (next === state) return;
      state = next;
      for (const l of [...listeners]) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * Reads a slice of a store; re-renders only when the selected value changes (by identity), so
 * selectors must return existing objects or primitives, never fresh ones.
 */
export function useStore<S, A, T>(store: Store<S, A>, select: (state: S) => T): T {
  const get = useCallback(() => select(store.getState()), [store, select]);
  return useSyncExternalStore(store.subscribe, get, get);
}
