import { afterEach, describe, expect, it } from 'vitest';
import { DK_MOD11_FAILS, mount, SE_BAD_CHECK, SE_VALID, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

describe('identity validation', () => {
  it('shows the reason the backend gives for an invalid number', async () => {
    m = await mount();
    await m.type('identity-input', SE_BAD_CHECK);
    const error = m.get('identity-error');
    expect(error.textContent).toContain('the check digit does not match');
    expect(m.get('identity-input').getAttribute('aria-invalid')).toBe('true');
    expect(m.q('identity-ok')).toBeNull();
  });

  it('shows the backend sentence verbatim (as a sentence), whatever it says', async () => {
    m = await mount();
    m.backend.checkIdentity = async () => ({
      ok: false,
      kind: null,
      masked: null,
      warnings: [],
      error: 'this number belongs to a protected identity; ask a supervisor',
    });
    await m.type('identity-input', '19121212-1212');
    expect(m.get('identity-error').textContent).toContain(
      'This number belongs to a protected identity; ask a supervisor.',
    );
  });

  it('sends national IDs tagged with the chosen country', async () => {
    m = await mount();
    await m.select('country', 'dk');
    await m.type('identity-input', '010190-2000');
    const calls = m.backend.callsTo('check_identity');
    expect(calls.at(-1)!.args).toEqual({ profile: 'sandbox', input: 'dk:010190-2000' });
  });

  it('lets a typed se:/no:/dk: prefix choose the country', async () => {
    m = await mount();
    await m.type('identity-input', 'no:01010100050');
    expect(m.get<HTMLSelectElement>('country').value).toBe('no');
    expect(m.backend.callsTo('check_identity').at(-1)!.args.input).toBe('no:01010100050');
    expect(m.q('identity-ok')).not.toBeNull();
  });

  it('shows a valid number with its kind and masked form', async () => {
    m = await mount();
    await m.type('identity-input', SE_VALID);
    expect(m.get('identity-ok').textContent).toBe('Valid Personnummer: 19121212-XXXX');
    expect(m.get('identity-input').getAttribute('aria-invalid')).toBe('false');
  });

  it('shows a valid identifier without a kind as plainly valid (the backend names kinds of numbers only)', async () => {
    m = await mount();
    m.backend.checkIdentity = async () => ({ ok: true, kind: null, masked: 'a***@example.com', warnings: [], error: null });
    await m.type('identity-input', 'anna@example.com');
    expect(m.get('identity-ok').textContent).toBe('Valid: a***@example.com');
  });

  it('renders the Danish modulus-11 warning as a warning, not an error', async () => {
    m = await mount();
    await m.select('country', 'dk');
    await m.type('identity-input', DK_MOD11_FAILS);
    const warning = m.get('identity-warning');
    expect(warning.classList.contains('message--warning')).toBe(true);
    expect(warning.textContent).toContain('modulus-11');
    expect(m.q('identity-error')).toBeNull();
    expect(m.q('identity-ok')).not.toBeNull();
    expect(m.get('identity-input').getAttribute('aria-invalid')).toBe('false');
  });

  it('can still start with a warning', async () => {
    m = await mount();
    await m.select('country', 'dk');
    await m.type('identity-input', DK_MOD11_FAILS);
    await m.press('Enter', m.get('identity-input'));
    expect(m.backend.callsTo('start_verification')).toHaveLength(1);
  });

  it('does not start with an invalid number, and says why', async () => {
    m = await mount();
    await m.type('identity-input', SE_BAD_CHECK);
    await m.press('Enter', m.get('identity-input'));
    expect(m.backend.callsTo('start_verification')).toHaveLength(0);
    expect(m.get('form-error').textContent).toContain('check digit');
    expect(document.activeElement).toBe(m.get('identity-input'));
  });

  it('adapts the identity field to the profile', async () => {
    m = await mount();
    const label = () => m.container.querySelector(`label[for="${m.get('identity-input').id}"]`)!.textContent;
    expect(label()).toBe('National identity number');
    await m.select('profile', 'bankid-no');
    expect(label()).toBe('Norwegian national identity number');
    expect(m.q('country')).toBeNull();
    expect(m.get<HTMLInputElement>('identity-input').placeholder).toBe('DDMMYY NNNNN');
    await m.select('profile', 'pickup');
    expect(label()).toBe('E-mail address');
  });
});

describe('binding message', () => {
  it('counts characters live against the profile maximum', async () => {
    m = await mount();
    expect(m.get('binding-counter').textContent).toBe('0/64');
    await m.type('binding-message', 'Kasse 3, Åsa');
    expect(m.get('binding-counter').textContent).toBe('12/64');
  });

  it('marks a message that is too long and shows the backend reason', async () => {
    m = await mount();
    await m.type('binding-message', 'x'.repeat(70));
    expect(m.get('binding-counter').classList.contains('counter--over')).toBe(true);
    expect(m.get('binding-error').textContent).toContain('70 of max 64');
  });

  it('is disabled with the explanation where the provider forbids it', async () => {
    m = await mount();
    await m.select('profile', 'bankid-no');
    expect(m.get<HTMLInputElement>('binding-message').disabled).toBe(true);
    expect(m.get('binding-forbidden').textContent).toContain('read the word pair');
    expect(m.q('generate-code')).toBeNull();
  });

  it('generates a 4-digit code on request', async () => {
    m = await mount();
    await m.click('generate-code');
    expect(m.get<HTMLInputElement>('binding-message').value).toMatch(/^\d{4}$/);
  });

  it('generates a code when left empty on a profile that wants one, so the agent sees it', async () => {
    m = await mount();
    await m.type('identity-input', SE_VALID);
    await m.press('Enter', m.get('identity-input'));
    const request = m.backend.callsTo('start_verification')[0]!.args.request as { binding_message: string };
    expect(request.binding_message).toMatch(/^\d{4}$/);
    expect(m.get('summary-binding').textContent).toBe(request.binding_message);
  });

  it('refuses to start without a message where one is required', async () => {
    m = await mount();
    await m.select('profile', 'bankid-se');
    await m.type('identity-input', SE_VALID);
    await m.press('Enter', m.get('identity-input'));
    expect(m.backend.callsTo('start_verification')).toHaveLength(0);
    expect(m.get('form-error').textContent).toContain('requires a binding message');
    expect(document.activeElement).toBe(m.get('binding-message'));
  });
});

describe('call initiator', () => {
  it('is offered only where the profile has it, and is sent', async () => {
    m = await mount();
    expect(m.q('call-initiator')).not.toBeNull();
    await m.click('call-initiator-rp');
    await m.type('identity-input', SE_VALID);
    await m.press('Enter', m.get('identity-input'));
    const request = m.backend.callsTo('start_verification')[0]!.args.request as { call_initiator: string };
    expect(request.call_initiator).toBe('rp');
  });

  it('is absent (and sent as null) for profiles without it', async () => {
    m = await mount();
    await m.select('profile', 'bankid-no');
    expect(m.q('call-initiator')).toBeNull();
    await m.type('identity-input', '01010100050');
    await m.press('Enter', m.get('identity-input'));
    const request = m.backend.callsTo('start_verification')[0]!.args.request as { call_initiator: unknown };
    expect(request.call_initiator).toBeNull();
  });
});
