// Closing the window with verifications running: the page asks first.

import { afterEach, describe, expect, it } from 'vitest';
import { act } from 'preact/test-utils';
import { flush, mount, NO_VALID, startVerification, waitingEvent, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

async function requestClose() {
  await act(() => m.backend.requestClose());
  await flush();
}

const dialog = () => m.q('quit-dialog');

describe('quit confirmation', () => {
  it('waits for close requests from the start, and shows nothing until one comes', async () => {
    m = await mount();
    expect(m.backend.callsTo('wait_close_request')).toEqual([{ command: 'wait_close_request', args: { seen: 0 } }]);
    await flush();
    expect(dialog()).toBeNull();
  });

  it('says how many are running; Keep working (the default) and Esc keep them, focus returns, and it asks again next time', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit(waitingEvent(id));
    const cancel = m.get('cancel');
    cancel.focus();

    await requestClose();
    const box = m.get('quit-dialog');
    expect(box.getAttribute('role')).toBe('alertdialog');
    expect(box.getAttribute('aria-modal')).toBe('true');
    expect(m.get('quit-running').textContent).toBe('One verification is still running. Quitting cancels it.');
    expect(m.get('quit-withdrawn').textContent).toBe(
      'The customer’s request is withdrawn where the provider allows it. Where it does not, the customer may still see the request, but approving it then changes nothing.',
    );
    expect(m.get('quit-confirm').textContent).toBe('Cancel it and quit');
    expect(document.activeElement).toBe(m.get('quit-stay'));
    // The window behind is out of reach.
    expect(m.container.querySelector('.app')!.getAttribute('aria-hidden')).toBe('true');

    // Focus stays on the dialog's two buttons.
    await m.press('Tab');
    expect(document.activeElement).toBe(m.get('quit-confirm'));
    await m.press('Tab');
    expect(document.activeElement).toBe(m.get('quit-stay'));
    await m.press('Tab', null, { shiftKey: true });
    expect(document.activeElement).toBe(m.get('quit-confirm'));

    // Esc stays, and does not cancel the verification on screen.
    await m.press('Escape');
    expect(dialog()).toBeNull();
    expect(m.backend.callsTo('cancel_verification')).toHaveLength(0);
    expect(m.backend.callsTo('quit')).toHaveLength(0);
    expect(m.get('status').dataset.state).toBe('waiting');
    expect(document.activeElement).toBe(cancel);

    // The next attempt asks again.
    expect(m.backend.callsTo('wait_close_request').at(-1)!.args).toEqual({ seen: 1 });
    await requestClose();
    expect(document.activeElement).toBe(m.get('quit-stay'));
    await m.click('quit-stay');
    expect(dialog()).toBeNull();
    expect(m.backend.callsTo('quit')).toHaveLength(0);
    expect(m.get('status').dataset.state).toBe('waiting');
  });

  it('Cancel them and quit cancels the running verifications through the backend', async () => {
    m = await mount({}, { languages: ['sv-SE'] });
    const first = await startVerification(m);
    await m.emit(waitingEvent(first));
    await m.click('new-verification');
    const second = await startVerification(m, { profile: 'bankid-no', identity: NO_VALID, binding: '' });
    await m.emit(waitingEvent(second));

    await requestClose();
    expect(m.get('quit-running').textContent).toBe('2 kontroller pågår fortfarande. Om du avslutar avbryts de.');
    expect(m.get('quit-stay').textContent).toBe('Fortsätt arbeta');
    expect(m.get('quit-confirm').textContent).toBe('Avbryt dem och avsluta');
    // Alt+N does not open a tab behind the dialog.
    await m.press('n', null, { altKey: true });
    expect(m.all('tab-3')).toHaveLength(0);

    await m.click('quit-confirm');
    expect(m.backend.callsTo('quit')).toHaveLength(1);
    expect(m.backend.quitCalled).toBe(true);
    expect(m.backend.historyEntries.map((e) => e.outcome)).toEqual(['cancelled', 'cancelled']);
  });

  it('says why quitting failed, in the agent’s language, and focus goes back to Keep working', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit(waitingEvent(id));
    m.backend.quit = async () => {
      throw { code: 'io_error', message: 'could not write /x: read-only file system' };
    };
    await requestClose();
    await m.click('quit-confirm');
    expect(m.get('quit-error').textContent).toBe(
      'CIBA Desk could not quit: A file could not be read or written. Check the disk and the folder’s permissions, then try again.',
    );
    expect(document.activeElement).toBe(m.get('quit-stay'));
  });
});
