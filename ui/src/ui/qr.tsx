import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Waiting } from '../state/sessions';
import { useUi } from './context';
import { Countdown } from './countdown';
import { AlertIcon, CopyIcon, ExpandIcon, XIcon } from './icons';
import { isSafeSvg, svgDataUrl } from './qr-sanitize';

/** The QR code as an image: an SVG in an <img> cannot run script. */
export function QrImage({ svg, class: cls, testId }: { svg: string | null; class?: string; testId?: string }) {
  const { t } = useUi();
  const url = svgDataUrl(svg);
  if (!url) {
    return (
      <p class="message message--error qr-invalid" data-testid="qr-invalid">
        <AlertIcon size={16} />
        <span>{t('qr.invalid')}</span>
      </p>
    );
  }
  return <img class={`qr-image ${cls ?? ''}`} src={url} alt={t('qr.alt')} data-testid={testId} draggable={false} />;
}

export function QrPanel({ waiting, onShow }: { waiting: Waiting; onShow: () => void }) {
  const { t, announce } = useUi();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    if (!waiting.customerLink) return;
    try {
      await navigator.clipboard.writeText(waiting.customerLink);
      setCopied(true);
      announce(t('qr.copied'));
    } catch {
      /* the link stays selectable */
    }
  };
  return (
    <section class="qr-panel" data-testid="qr" aria-labelledby="qr-title">
      <div class="qr-frame">{waiting.qrSvg ? <QrImage svg={waiting.qrSvg} testId="qr-image" /> : null}</div>
      <div class="qr-side">
        <h3 id="qr-title" class="qr-title">
          {t('qr.title')}
        </h3>
        {waiting.customerLink && (
          <>
            <p class="hint">{t('qr.link')}</p>
            <p class="qr-link" data-testid="qr-link">
              {waiting.customerLink}
            </p>
          </>
        )}
        <div class="button-row">
          {isSafeSvg(waiting.qrSvg) && (
            <button
              type="button"
              class="button button--primary"
              data-testid="qr-fullscreen"
              // Safari does not focus a clicked button; the full-screen view returns focus here.
              onClick={(event) => {
                event.currentTarget.focus();
                onShow();
              }}
            >
              <ExpandIcon size={16} />
              {t('qr.show')}
            </button>
          )}
          {waiting.customerLink && (
            <button type="button" class="button button--secondary" data-testid="qr-copy" onClick={copy}>
              <CopyIcon size={16} />
              {copied ? t('qr.copied') : t('qr.copy')}
            </button>
          )}
        </div>
      </div>
    </section>
  );
}

/**
 * "Show to customer": the code on the whole screen (the whole window where full screen is
 * refused), with its own countdown. Esc or the button closes it.
 */
export function QrOverlay({ waiting, onClose }: { waiting: Waiting; onClose: () => void }) {
  const { t } = useUi();
  const dialogRef = useRef<HTMLDivElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  // A layout effect: full screen is only granted close to the click that asked for it.
  useLayoutEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const dialog = dialogRef.current;
    closeRef.current?.focus();
    let entered = false;
    const onChange = () => {
      if (dialog && document.fullscreenElement === dialog) {
        entered = true;
      } else if (entered) {
        // The browser's own Esc leaves full screen without a keydown reaching the page:
        // the view closes with it rather than lingering over the window.
        entered = false;
        onCloseRef.current();
      }
    };
    document.addEventListener('fullscreenchange', onChange);
    if (dialog && typeof dialog.requestFullscreen === 'function') {
      try {
        // Refused (no user gesture, a webview without it): the full-window overlay stays.
        Promise.resolve(dialog.requestFullscreen({ navigationUI: 'hide' })).catch(() => undefined);
      } catch {
        /* same: the overlay covers the window */
      }
    }
    return () => {
      document.removeEventListener('fullscreenchange', onChange);
      // While the code is full screen the rest of the page is inert and refuses the focus:
      // it goes back to where it was once the window has left full screen.
      const restore = () => {
        const active = document.activeElement;
        if (!active || active === document.body || !active.isConnected) previous?.focus?.();
      };
      if (dialog && document.fullscreenElement === dialog && typeof document.exitFullscreen === 'function') {
        Promise.resolve(document.exitFullscreen())
          .catch(() => undefined)
          .then(restore);
      }
      previous?.focus?.();
    };
  }, []);
  const trap = (event: KeyboardEvent) => {
    // One focusable element: keep Tab inside the dialog.
    if (event.key === 'Tab') {
      event.preventDefault();
      closeRef.current?.focus();
    }
  };
  return (
    <div
      ref={dialogRef}
      class="qr-overlay"
      role="dialog"
      aria-modal="true"
      aria-labelledby="qr-overlay-title"
      data-testid="qr-overlay"
      onKeyDown={trap}
    >
      <div class="qr-overlay-inner">
        <h2 id="qr-overlay-title" class="qr-overlay-title">
          {t('qr.fullTitle')}
        </h2>
        <p class="qr-overlay-body">{t('qr.fullBody')}</p>
        <div class="qr-overlay-code">
          <QrImage svg={waiting.qrSvg} testId="qr-overlay-image" />
        </div>
        <div class="qr-overlay-countdown">
          <Countdown expiresAtMs={waiting.expiresAtMs} sinceMs={waiting.sinceMs} large testId="qr-countdown" />
        </div>
        <button ref={closeRef} type="button" class="button button--secondary" data-testid="qr-close" onClick={onClose}>
          <XIcon size={16} />
          {t('qr.close')}
          <kbd aria-hidden="true">Esc</kbd>
        </button>
      </div>
    </div>
  );
}
