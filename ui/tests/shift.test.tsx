// A full shift: many verifications one after another in the same window.

import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { VerifiedIdentity } from '../src/api/types';
import { mockQrSvg } from '../dev/mock-backend';
import { MAX_TABS } from '../src/state/sessions';
import { mount, SE_VALID, startVerification, waitingEvent, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

const DENIED = { code: 'access_denied', message: 'declined in the app' };

const tolvan: VerifiedIdentity = {
  display_name: 'Tolvan Tolvansson',
  national_id_masked: '19121212-XXXX',
  date_of_birth: '1912-12-12',
  age: 113,
  provider: 'sandbox',
  profile: 'sandbox',
  acr: null,
  amr: [],
  idp: null,
  auth_time_ms: null,
  transaction_id: null,
  is_sandbox: true,
};

const verify = (m: Mounted, id: string) =>
  m.emit({ state: 'verified', id, identity: tolvan, match: 'match', match_detail: { result: 'match', on: 'national_id' } });

const tabKeys = (m: Mounted) => [...m.container.querySelectorAll<HTMLElement>('[role="tab"]')].map((tab) => tab.id);

/** Presses a key on the focused element and returns the event, to see whether it was prevented. */
async function keydown(key: string, init: KeyboardEventInit) {
  const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init });
  await act(() => {
    (document.activeElement ?? document.body).dispatchEvent(event);
  });
  await m.press('Shift'); // let the focus and renders settle
  return event;
}

describe('tab titles', () => {
  it('shows "untitled", then the masked identifier, then the verified name', async () => {
    m = await mount();
    expect(m.get('tab-title-1').textContent).toBe('New customer');
    const id = await startVerification(m);
    expect(m.get('tab-title-1').textContent).toBe('19121212-XXXX');
    await verify(m, id);
    expect(m.get('tab-title-1').textContent).toBe('Tolvan Tolvansson');
    expect(m.get('tab-1').title).toBe('19121212-XXXX');
  });

  it('keeps the active tab and a tab that just finished scrolled into view', async () => {
    m = await mount();
    const scrolled: string[] = [];
    const scroll = vi.fn(function (this: Element) {
      scrolled.push(this.id);
    });
    Object.defineProperty(Element.prototype, 'scrollIntoView', { value: scroll, configurable: true, writable: true });
    try {
      const first = await startVerification(m);
      await m.click('new-verification');
      expect(scrolled.at(-1)).toBe('tab-2');
      expect(scroll).toHaveBeenLastCalledWith({ block: 'nearest', inline: 'nearest' });
      scrolled.length = 0;
      await m.emit({ state: 'denied', id: first, error: DENIED });
      // The finished one first, then the one on screen, which wins if both do not fit.
      expect(scrolled).toEqual(['tab-1', 'tab-2']);
    } finally {
      delete (Element.prototype as { scrollIntoView?: unknown }).scrollIntoView;
    }
  });
});

describe('Close finished', () => {
  it('closes only the finished tabs and puts focus on a tab', async () => {
    m = await mount();
    const denied = await startVerification(m);
    await m.emit({ state: 'denied', id: denied, error: DENIED });
    await m.click('new-verification');
    await startVerification(m); // tab 2: still running
    await m.click('new-verification');
    const verified = await startVerification(m);
    await verify(m, verified); // tab 3
    await m.click('new-verification'); // tab 4: not started
    await m.click('tab-3');

    expect(m.get('close-finished').textContent).toBe('Close finished (2)');
    await m.click('close-finished');
    expect(tabKeys(m)).toEqual(['tab-2', 'tab-4']);
    // Tab 3 was on screen: its neighbour takes over, with the focus.
    expect(m.get('tab-4').getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(m.get('tab-4'));
    expect(m.get('announcer-polite').textContent).toBe('Finished tabs closed: 2.');
    expect(m.q('close-finished')).toBeNull();
  });

  it('keeps one tab open when every tab has finished', async () => {
    m = await mount();
    const first = await startVerification(m);
    await m.emit({ state: 'denied', id: first, error: DENIED });
    await m.click('new-verification');
    const second = await startVerification(m);
    await m.emit({ state: 'expired', id: second, error: { code: 'expired', message: '' } });
    await m.click('tab-1');

    expect(m.get('close-finished').textContent).toBe('Close finished (1)');
    await m.click('close-finished');
    expect(tabKeys(m)).toEqual(['tab-1']);
    expect(document.activeElement).toBe(m.get('tab-1'));
    expect(m.q('close-finished')).toBeNull();
  });
});

describe('Ctrl+W', () => {
  it('closes the tab on screen and moves focus to its neighbour, keeping the window open', async () => {
    m = await mount();
    const first = await startVerification(m);
    await m.emit({ state: 'denied', id: first, error: DENIED });
    await m.click('new-verification');
    await m.click('new-verification');
    await m.click('tab-2');

    const event = await keydown('w', { ctrlKey: true, code: 'KeyW' });
    expect(event.defaultPrevented).toBe(true);
    expect(tabKeys(m)).toEqual(['tab-1', 'tab-3']);
    expect(m.get('tab-3').getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(m.get('tab-3'));

    // Cmd+W on macOS does the same.
    await keydown('w', { metaKey: true, code: 'KeyW' });
    expect(tabKeys(m)).toEqual(['tab-1']);
    expect(document.activeElement).toBe(m.get('tab-1'));
  });

  it('leaves a running verification open, like its tab that has no close button', async () => {
    m = await mount();
    await m.click('new-verification');
    const id = await startVerification(m);
    await m.emit(waitingEvent(id));
    expect(m.q('tab-close-2')).toBeNull();

    const event = await keydown('w', { ctrlKey: true, code: 'KeyW' });
    expect(event.defaultPrevented).toBe(true);
    expect(tabKeys(m)).toEqual(['tab-1', 'tab-2']);
    expect(m.backend.callsTo('cancel_verification')).toHaveLength(0);
    expect(m.get('announcer-assertive').textContent).toContain('still running');
  });
});

describe('at most MAX_TABS tabs', () => {
  /** Fills the strip: tab 1 declined, tab 2 verified, the rest waiting. */
  async function fill() {
    const first = await startVerification(m);
    await m.emit({ state: 'denied', id: first, error: DENIED });
    for (let key = 2; key <= MAX_TABS; key++) {
      await m.click('new-verification');
      const id = await startVerification(m);
      if (key === 2) await verify(m, id);
      else await m.emit(waitingEvent(id));
    }
    expect(tabKeys(m)).toHaveLength(MAX_TABS);
  }

  it('closes the oldest finished tab to make room', async () => {
    m = await mount();
    await fill();
    await m.click('new-verification');
    expect(tabKeys(m)).toHaveLength(MAX_TABS);
    expect(m.q('tab-1')).toBeNull();
    expect(m.get(`tab-${MAX_TABS + 1}`).getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(m.get('identity-input'));

    await m.click('new-verification');
    expect(m.q('tab-2')).toBeNull();
    expect(m.q(`tab-${MAX_TABS + 2}`)).not.toBeNull();
  });

  it('refuses a new tab, saying why, when every tab is still running', async () => {
    m = await mount();
    await fill();
    for (let i = 0; i < 2; i++) {
      await m.click('new-verification');
      await startVerification(m);
    }
    const before = tabKeys(m);
    expect(before).toHaveLength(MAX_TABS);

    await m.click('new-verification');
    expect(tabKeys(m)).toEqual(before);
    expect(m.get('tabs-notice').textContent).toBe(
      `All ${MAX_TABS} tabs are in use. Wait for a verification to finish, or close a tab you no longer need, then open a new one.`,
    );
    expect(m.get('announcer-assertive').textContent).toBe(m.get('tabs-notice').textContent);

    // Alt+N is refused the same way.
    await m.press('n', document.body, { altKey: true, code: 'KeyN' });
    expect(tabKeys(m)).toEqual(before);
  });
});

describe('Try again', () => {
  function codes(m: Mounted, ...values: string[]) {
    const generate = vi.fn(async () => values.shift() ?? '9999');
    m.backend.generateCode = generate;
    return generate;
  }

  it('sends a fresh code when the last one was generated (left empty)', async () => {
    m = await mount();
    codes(m, '1111', '2222');
    const id = await startVerification(m, { binding: '' });
    expect(m.get('summary-binding').textContent).toBe('1111');
    await m.emit({ state: 'denied', id, error: DENIED });

    await m.click('try-again');
    expect(m.get<HTMLInputElement>('binding-message').value).toBe('2222');
    await m.press('Enter', m.get('identity-input'));
    const sent = m.backend.callsTo('start_verification').map((c) => (c.args.request as { binding_message: string }).binding_message);
    expect(sent).toEqual(['1111', '2222']);
  });

  it('sends a fresh code when the last one came from "Generate code"', async () => {
    m = await mount();
    codes(m, '1111', '2222');
    await m.select('profile', 'bankid-se');
    await m.type('identity-input', SE_VALID);
    await m.click('generate-code');
    await m.press('Enter', m.get('identity-input'));
    await m.emit({ state: 'expired', id: m.lastId(), error: { code: 'expired', message: '' } });

    await m.click('try-again');
    expect(m.get<HTMLInputElement>('binding-message').value).toBe('2222');
  });

  it('keeps a message the agent typed, also over a generated one', async () => {
    m = await mount();
    const generate = codes(m, '1111');
    await m.click('generate-code');
    await m.type('binding-message', 'Kasse 3');
    const id = await startVerification(m, { binding: 'Kasse 3' });
    await m.emit({ state: 'denied', id, error: DENIED });

    await m.click('try-again');
    expect(m.get<HTMLInputElement>('binding-message').value).toBe('Kasse 3');
    expect(generate).toHaveBeenCalledTimes(1);
  });
});

describe('pickup QR code on the whole screen', () => {
  let fullscreenElement: Element | null = null;
  let request: ReturnType<typeof vi.fn>;
  let exit: ReturnType<typeof vi.fn>;

  /** The Fullscreen API, which happy-dom lacks; `refuse` makes the request fail as a webview may. */
  function fakeFullscreen(refuse = false) {
    fullscreenElement = null;
    const change = () => document.dispatchEvent(new Event('fullscreenchange'));
    request = vi.fn(function (this: Element) {
      if (refuse) return Promise.reject(new TypeError('not allowed'));
      fullscreenElement = this;
      change();
      return Promise.resolve();
    });
    exit = vi.fn(() => {
      fullscreenElement = null;
      change();
      return Promise.resolve();
    });
    Object.defineProperty(Element.prototype, 'requestFullscreen', { value: request, configurable: true, writable: true });
    Object.defineProperty(document, 'exitFullscreen', { value: exit, configurable: true, writable: true });
    Object.defineProperty(document, 'fullscreenElement', { get: () => fullscreenElement, configurable: true });
  }

  afterEach(() => {
    delete (Element.prototype as { requestFullscreen?: unknown }).requestFullscreen;
    delete (document as { exitFullscreen?: unknown }).exitFullscreen;
    delete (document as { fullscreenElement?: unknown }).fullscreenElement;
  });

  async function showQr() {
    m = await mount();
    const id = await startVerification(m, { profile: 'pickup', identity: 'anna@example.com', binding: '' });
    const link = 'https://id.example-shop.se/identity/ciba?requestId=abc';
    await m.emit(waitingEvent(id, { customer_link: link, qr_svg: mockQrSvg(link), expires_at_ms: Date.now() + 200_000 }));
    await m.click('qr-fullscreen');
  }

  it('asks for full screen on the dialog and leaves it with the close button', async () => {
    fakeFullscreen();
    await showQr();
    const overlay = m.get('qr-overlay');
    expect(request).toHaveBeenCalledTimes(1);
    expect(request.mock.contexts[0]).toBe(overlay);
    expect(fullscreenElement).toBe(overlay);

    await m.click('qr-close');
    expect(exit).toHaveBeenCalledTimes(1);
    expect(fullscreenElement).toBeNull();
    expect(m.q('qr-overlay')).toBeNull();
    expect(document.activeElement).toBe(m.get('qr-fullscreen'));
  });

  it('leaves full screen on Esc, without cancelling the verification', async () => {
    fakeFullscreen();
    await showQr();
    await m.press('Escape');
    expect(exit).toHaveBeenCalledTimes(1);
    expect(m.q('qr-overlay')).toBeNull();
    expect(m.backend.callsTo('cancel_verification')).toHaveLength(0);
    expect(document.activeElement).toBe(m.get('qr-fullscreen'));
  });

  it('closes when the browser itself leaves full screen', async () => {
    fakeFullscreen();
    await showQr();
    await act(() => {
      fullscreenElement = null;
      document.dispatchEvent(new Event('fullscreenchange'));
    });
    await m.press('Shift');
    expect(m.q('qr-overlay')).toBeNull();
    expect(m.get('status').dataset.state).toBe('waiting');
  });

  it('stays a full-window view when full screen is refused', async () => {
    fakeFullscreen(true);
    await showQr();
    expect(request).toHaveBeenCalledTimes(1);
    expect(m.get('qr-overlay').getAttribute('role')).toBe('dialog');
    expect(document.activeElement).toBe(m.get('qr-close'));
    await m.click('qr-close');
    expect(exit).not.toHaveBeenCalled();
    expect(m.q('qr-overlay')).toBeNull();
  });
});
