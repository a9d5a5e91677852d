// Closing the window while verifications run: the Rust side keeps the window open and
// `wait_close_request` resolves; the page asks the agent whether to cancel them and quit.

import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Backend } from '../api/backend';
import { toBackendError, type BackendError } from '../api/types';
import { errorWords } from '../i18n/texts';
import { useUi } from './context';
import { AlertIcon } from './icons';
import { useLongPoll } from './long-poll';
import { CodeLine } from './message';

/**
 * Waits for the agent's attempts to close the window (`wait_close_request`), for as long as
 * the page lives, and calls `onRequest` for each one.
 */
export function useCloseRequests(backend: Backend, onRequest: () => void) {
  useLongPoll(
    (seen) => backend.waitCloseRequest(seen),
    (count, seen) => {
      // Answered without a new request only as the app ends.
      if (count <= seen) return null;
      onRequest();
      return count;
    },
  );
}

interface Props {
  /** Verifications running now (it changes while the dialog is open). */
  running: number;
  onStay: () => void;
  /** Cancels them and ends the app; rejects when that failed. */
  onQuit: () => Promise<void>;
}

/** Where focus goes when the dialog closes and what had it is gone. */
function fallbackFocus(): HTMLElement | null {
  return (
    document.querySelector<HTMLElement>('[data-testid="identity-input"]') ??
    document.querySelector<HTMLElement>('.nav-item[aria-current="page"]')
  );
}

export function QuitDialog({ running, onStay, onQuit }: Props) {
  const { t } = useUi();
  const stayRef = useRef<HTMLButtonElement>(null);
  const quitRef = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);

  useLayoutEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    // The safe choice first: Enter keeps the verifications running.
    stayRef.current?.focus();
    return () => {
      // Once the dialog is gone and the window behind it is no longer inert.
      setTimeout(() => {
        if (document.activeElement && document.activeElement !== document.body) return;
        const target = previous && previous !== document.body && previous.isConnected ? previous : fallbackFocus();
        target?.focus();
      }, 0);
    };
  }, []);

  const quit = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await onQuit();
    } catch (e) {
      setError(toBackendError(e));
      setBusy(false);
      setTimeout(() => stayRef.current?.focus(), 0);
    }
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      if (!busy) onStay();
      return;
    }
    if (event.key === 'Tab') {
      // Focus stays on the dialog's buttons.
      event.preventDefault();
      const buttons = [stayRef.current, quitRef.current].filter((b): b is HTMLButtonElement => b !== null);
      const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
      const next = event.shiftKey ? (index <= 0 ? buttons.length - 1 : index - 1) : (index + 1) % buttons.length;
      buttons[next]!.focus();
      return;
    }
    // The window's shortcuts (Alt+N, Ctrl+W) do not reach the screen behind the dialog.
    if (event.altKey || event.ctrlKey || event.metaKey) event.preventDefault();
  };

  const shownError = error ? errorWords(t, error) : null;
  const body =
    running === 0 ? t('quit.body.none') : running === 1 ? t('quit.body.one') : t('quit.body.other', { count: running });
  const confirm = running === 0 ? t('quit.confirm.none') : running === 1 ? t('quit.confirm.one') : t('quit.confirm.other');

  return (
    <div class="modal-backdrop" data-testid="quit-backdrop">
      <div
        class="modal"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="quit-title"
        aria-describedby="quit-body"
        data-testid="quit-dialog"
        onKeyDown={onKeyDown}
      >
        <h2 id="quit-title" class="modal-title">
          <AlertIcon size={22} />
          {t('quit.title')}
        </h2>
        <div id="quit-body" class="modal-body">
          <p data-testid="quit-running">{body}</p>
          {running > 0 && <p data-testid="quit-withdrawn">{t('quit.withdrawn')}</p>}
        </div>
        {shownError && (
          <p class="message message--error" role="alert" data-testid="quit-error">
            {t('quit.failed', { message: shownError.text })}
            <CodeLine code={shownError.code} />
          </p>
        )}
        <div class="button-row modal-actions">
          <button
            ref={stayRef}
            type="button"
            class="button button--primary"
            data-testid="quit-stay"
            // Not `disabled` while quitting: that would drop the focus to the page.
            aria-disabled={busy ? 'true' : undefined}
            onClick={() => {
              if (!busy) onStay();
            }}
          >
            {t('quit.stay')}
          </button>
          <button
            ref={quitRef}
            type="button"
            class="button button--danger"
            data-testid="quit-confirm"
            aria-disabled={busy ? 'true' : undefined}
            aria-busy={busy ? 'true' : undefined}
            onClick={() => void quit()}
          >
            {busy ? t('quit.quitting') : confirm}
          </button>
        </div>
      </div>
    </div>
  );
}
