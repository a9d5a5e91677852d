import { afterEach, describe, expect, it } from 'vitest';
import { mount, SE_VALID, startVerification, waitingEvent, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

describe('keyboard', () => {
  it('starts with focus in the identity field', async () => {
    m = await mount();
    expect(document.activeElement).toBe(m.get('identity-input'));
  });

  it('Enter in the identity field starts the verification with what was typed', async () => {
    m = await mount();
    await m.type('identity-input', SE_VALID);
    await m.type('binding-message', '4821');
    await m.press('Enter', m.get('identity-input'));
    const calls = m.backend.callsTo('start_verification');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args.request).toEqual({
      profile: 'sandbox',
      identity: `se:${SE_VALID}`,
      binding_message: '4821',
      call_initiator: 'user',
      reference: null,
    });
    expect(m.get('status').dataset.state).toBe('requesting');
  });

  it('Enter in the binding message field starts too; a double Enter starts once', async () => {
    m = await mount();
    await m.type('identity-input', SE_VALID);
    await m.type('binding-message', '1234');
    const field = m.get('binding-message');
    field.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    await m.press('Enter', field);
    expect(m.backend.callsTo('start_verification')).toHaveLength(1);
  });

  it('Enter on the Generate code button generates, it does not start', async () => {
    m = await mount();
    await m.type('identity-input', SE_VALID);
    await m.press('Enter', m.get('generate-code'));
    expect(m.backend.callsTo('start_verification')).toHaveLength(0);
  });

  it('Esc cancels the verification on screen', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit(waitingEvent(id));
    await m.press('Escape', document.body);
    expect(m.backend.callsTo('cancel_verification').map((c) => c.args)).toEqual([{ id }]);
    await new Promise((r) => setTimeout(r, 5));
    await m.press('Shift'); // let the mock's cancelled event render
    expect(m.get('status').dataset.state).toBe('cancelled');
    expect(m.get('result').dataset.outcome).toBe('cancelled');
  });

  it('Esc before the id is known cancels as soon as the backend returns it', async () => {
    m = await mount();
    let release!: () => void;
    const original = m.backend.startVerification.bind(m.backend);
    m.backend.startVerification = async (request, onEvent) => {
      await new Promise<void>((resolve) => (release = resolve));
      return original(request, onEvent);
    };
    await m.type('identity-input', SE_VALID);
    await m.press('Enter', m.get('identity-input'));
    await m.press('Escape', document.body);
    expect(m.backend.callsTo('cancel_verification')).toHaveLength(0);
    expect(m.get<HTMLButtonElement>('cancel').disabled).toBe(true);
    release();
    await m.press('Shift');
    expect(m.backend.callsTo('cancel_verification').map((c) => c.args.id)).toEqual([m.lastId()]);
  });

  it('Esc does nothing when no verification runs', async () => {
    m = await mount();
    await m.type('identity-input', SE_VALID);
    await m.press('Escape', m.get('identity-input'));
    expect(m.backend.callsTo('cancel_verification')).toHaveLength(0);
    expect(m.get<HTMLInputElement>('identity-input').value).toBe(SE_VALID);
  });

  it('Alt+N opens a new verification with focus in its identity field', async () => {
    m = await mount();
    await startVerification(m);
    await m.press('n', document.body, { altKey: true, code: 'KeyN' });
    expect(m.q('tab-2')).not.toBeNull();
    expect(m.get('tab-2').getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(m.get('identity-input'));
  });

  it('arrow keys move between verification tabs', async () => {
    m = await mount();
    await m.click('new-verification');
    expect(m.get('tab-2').getAttribute('aria-selected')).toBe('true');
    await m.press('ArrowLeft', m.get('tab-2'));
    expect(m.get('tab-1').getAttribute('aria-selected')).toBe('true');
    await m.press('End', m.get('tab-1'));
    expect(m.get('tab-2').getAttribute('aria-selected')).toBe('true');
  });

  it('every input and select has an accessible name', async () => {
    m = await mount();
    for (const element of m.container.querySelectorAll('input, select')) {
      const id = element.getAttribute('id');
      const labelled =
        element.getAttribute('aria-label') ||
        (id && m.container.querySelector(`label[for="${id}"]`)) ||
        element.closest('label');
      expect(labelled, element.outerHTML.slice(0, 80)).toBeTruthy();
    }
  });
});
