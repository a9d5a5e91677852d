import { reduce, type Action, type SessionsState } from './sessions';

/** The sessions, outside Preact: the controller reads the new state right after dispatching. */
export class SessionStore {
  private listeners = new Set<() => void>();

  constructor(public state: SessionsState) {}

  dispatch = (action: Action) => {
    const next = reduce(this.state, action);
    if (next === this.state) return;
    this.state = next;
    this.listeners.forEach((listener) => listener());
  };

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
