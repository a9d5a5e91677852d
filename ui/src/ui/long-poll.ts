// Long polls to the Rust side: a command that answers once there is something new (a close
// request, a screen-pop link), asked again and again for as long as the page lives.

import { useEffect, useRef } from 'preact/hooks';

/** How long to wait before asking again when the backend could not answer. */
const RETRY_MS = 5000;

/**
 * Calls `ask(seen)` in a loop and hands each answer to `onAnswer`, which returns the new `seen`,
 * or null when the answer brought nothing new (then the loop waits before asking again, rather
 * than spinning).
 */
export function useLongPoll<T>(ask: (seen: number) => Promise<T>, onAnswer: (answer: T, seen: number) => number | null) {
  const latest = useRef({ ask, onAnswer });
  latest.current = { ask, onAnswer };
  useEffect(() => {
    let live = true;
    let seen = 0;
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    void (async () => {
      while (live) {
        let answer: T;
        try {
          answer = await latest.current.ask(seen);
        } catch {
          // A backend without the command, or one that is ending: ask again later, not in a tight loop.
          await pause(RETRY_MS);
          continue;
        }
        if (!live) return;
        const next = latest.current.onAnswer(answer, seen);
        if (next === null) await pause(RETRY_MS);
        else seen = next;
      }
    })();
    return () => {
      live = false;
    };
  }, []);
}
