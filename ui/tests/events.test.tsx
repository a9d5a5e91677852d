import { afterEach, describe, expect, it } from 'vitest';
import { mockQrSvg } from '../src/api/mock';
import type { VerifiedIdentity } from '../src/api/types';
import { mount, NO_VALID, SE_VALID, startVerification, waitingEvent, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

const identity = (overrides: Partial<VerifiedIdentity> = {}): VerifiedIdentity => ({
  display_name: 'Tolvan Tolvansson',
  national_id_masked: '19121212-XXXX',
  date_of_birth: '1912-12-12',
  age: 112,
  provider: 'sandbox',
  profile: 'sandbox',
  acr: 'urn:grn:authn:se:bankid',
  amr: ['pin'],
  idp: 'bankid',
  auth_time_ms: Date.UTC(2025, 0, 2, 10, 30),
  transaction_id: 'tx-1',
  is_sandbox: true,
  ...overrides,
});

describe('verification events', () => {
  it('requesting: the first step is current, the identity is shown masked', async () => {
    m = await mount();
    await startVerification(m);
    expect(m.get('status').dataset.state).toBe('requesting');
    expect(m.get('summary-identity').textContent).toBe('19121212-XXXX');
    expect(m.container.textContent).not.toContain(SE_VALID);
    expect(m.q('countdown-pending')).not.toBeNull();
    expect(m.q('cancel')).not.toBeNull();
    expect(m.get('tab-1').dataset.state).toBe('requesting');
  });

  it('waiting: countdown to expires_at_ms and the binding message to read', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit(waitingEvent(id, { expires_at_ms: Date.now() + 90_000 }));
    expect(m.get('status').dataset.state).toBe('waiting');
    const countdown = m.get('countdown');
    expect(countdown.textContent).toMatch(/1:(30|29) left/);
    expect(Number(countdown.dataset.secondsLeft)).toBeGreaterThan(85);
    expect(countdown.querySelector('[role="progressbar"]')!.getAttribute('aria-valuemax')).toBe('90');
    expect(m.get('binding-shown').textContent).toContain('4821');
    expect(m.q('word-pair')).toBeNull();
    expect(m.get('announcer-polite').textContent).toContain('Waiting for the customer');
  });

  it('waiting with a word pair shows it big, to read aloud', async () => {
    m = await mount();
    const id = await startVerification(m, { profile: 'bankid-no', identity: NO_VALID });
    await m.emit(waitingEvent(id, { word_pair: 'rask elg' }));
    const pair = m.get('word-pair');
    expect(pair.textContent).toContain('Read aloud to the customer');
    expect(pair.querySelector('.word-pair')!.textContent).toBe('rask elg');
    expect(m.get('announcer-polite').textContent).toContain('rask elg');
  });

  it('verified + match: green card with the identity and a Match badge', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit(waitingEvent(id));
    await m.emit({ state: 'verified', id, identity: identity(), match: 'match' });
    const result = m.get('result');
    expect(result.dataset.outcome).toBe('verified');
    expect(result.classList.contains('result--verified')).toBe(true);
    expect(m.get('result-name').textContent).toBe('Tolvan Tolvansson');
    expect(result.textContent).toContain('19121212-XXXX');
    expect(result.textContent).toContain('12 December 1912');
    expect(result.textContent).toContain('age 112');
    expect(result.textContent).toContain('Swedish BankID');
    const match = m.get('match');
    expect(match.dataset.match).toBe('match');
    expect(match.textContent).toContain('Match');
    expect(m.get('sandbox-banner').textContent).toBe('Sandbox: not a real identity');
    expect(m.get('status').dataset.state).toBe('verified');
    expect(m.get('tab-1').dataset.state).toBe('verified');
    expect(m.get('announcer-polite').textContent).toContain('Identity verified: Tolvan Tolvansson');
    expect(m.q('countdown')).toBeNull();
    expect(m.q('cancel')).toBeNull();
    expect(document.activeElement).toBe(m.get('result-heading'));
  });

  it('mismatch: red, loud, assertive, and says not to proceed', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit({ state: 'verified', id, identity: identity({ display_name: 'Sven Svensson' }), match: 'mismatch' });
    const match = m.get('match');
    expect(match.dataset.match).toBe('mismatch');
    expect(match.classList.contains('match--mismatch')).toBe(true);
    expect(match.textContent).toContain('The person who approved is not the one you asked for. Do not proceed.');
    expect(m.get('result').classList.contains('result--mismatch')).toBe(true);
    expect(m.get('result').dataset.outcome).toBe('mismatch');
    expect(m.get('announcer-assertive').textContent).toContain('Do not proceed');
    expect(m.get('announcer-polite').textContent).not.toContain('Identity verified');
    expect(m.get('tab-1').dataset.state).toBe('mismatch');
  });

  it('not comparable: neutral badge that explains', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit({ state: 'verified', id, identity: identity({ national_id_masked: null }), match: 'not_comparable' });
    const match = m.get('match');
    expect(match.dataset.match).toBe('not_comparable');
    expect(match.textContent).toContain('Confirm the identity another way');
    expect(m.get('result').textContent).toContain('Not provided');
  });

  it('no sandbox banner on a real identity', async () => {
    m = await mount();
    const id = await startVerification(m, { profile: 'bankid-se' });
    await m.emit({ state: 'verified', id, identity: identity({ is_sandbox: false }), match: 'match' });
    expect(m.q('sandbox-banner')).toBeNull();
  });

  it('denied: a sentence to act on, and Try again keeps the inputs', async () => {
    m = await mount();
    await m.click('call-initiator-rp');
    const id = await startVerification(m, { binding: 'Kasse 3' });
    await m.emit({ state: 'denied', id, message: 'the customer declined the request in their app' });
    const result = m.get('result');
    expect(result.dataset.outcome).toBe('denied');
    expect(m.get('result-message').textContent).toBe('The customer declined the request in their app.');
    expect(result.textContent).toContain('Ask the customer whether they meant to decline');
    expect(document.activeElement).toBe(m.get('try-again'));

    await m.click('try-again');
    expect(m.get<HTMLInputElement>('identity-input').value).toBe(SE_VALID);
    expect(m.get<HTMLInputElement>('binding-message').value).toBe('Kasse 3');
    expect(m.get<HTMLSelectElement>('profile').value).toBe('sandbox');
    expect(m.get<HTMLInputElement>('call-initiator-rp').checked).toBe(true);
    expect(document.activeElement).toBe(m.get('identity-input'));

    await m.press('Enter', m.get('identity-input'));
    expect(m.backend.callsTo('start_verification')).toHaveLength(2);
    expect(m.get('summary').textContent).toContain('Attempt 2');
  });

  it('expired, failed and cancelled each get their own card', async () => {
    m = await mount();
    let id = await startVerification(m);
    await m.emit({ state: 'expired', id, message: 'The request has expired.' });
    expect(m.get('result').dataset.outcome).toBe('expired');
    expect(m.get('result').textContent).toContain('phone at hand');

    await m.click('try-again');
    id = await startVerification(m);
    await m.emit({ state: 'failed', id, code: 'provider_unavailable', message: 'The identity provider did not answer.' });
    expect(m.get('result').dataset.outcome).toBe('failed');
    expect(m.get('error-code').textContent).toBe('Error code: provider_unavailable');
    expect(m.get('announcer-polite').textContent).toContain('The identity provider did not answer.');

    await m.click('try-again');
    id = await startVerification(m);
    await m.emit({ state: 'cancelled', id });
    expect(m.get('result').dataset.outcome).toBe('cancelled');
    expect(m.get('status').dataset.state).toBe('cancelled');
  });

  it('a start the backend rejects becomes a failed card with its message', async () => {
    m = await mount();
    await m.select('profile', 'mitid');
    expect(m.q('secret-missing')).not.toBeNull();
    await m.type('identity-input', '010190-2000');
    await m.press('Enter', m.get('identity-input'));
    expect(m.get('result').dataset.outcome).toBe('failed');
    expect(m.get('result-message').textContent).toContain('client secret');
    expect(m.get('error-code').textContent).toContain('secret_missing');
  });

  it('ignores events after the final state', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit({ state: 'denied', id, message: 'Declined.' });
    await m.emit({ state: 'verified', id, identity: identity(), match: 'match' });
    expect(m.get('result').dataset.outcome).toBe('denied');
  });

  it('pickup: the QR code as an image, the link, and a full-window view', async () => {
    m = await mount();
    const id = await startVerification(m, { profile: 'pickup', identity: 'anna@example.com', binding: '' });
    const link = 'https://id.example-shop.se/identity/ciba?requestId=abc';
    await m.emit(waitingEvent(id, { customer_link: link, qr_svg: mockQrSvg(link), expires_at_ms: Date.now() + 200_000 }));
    const qr = m.get('qr');
    const img = qr.querySelector('img')!;
    expect(img.getAttribute('src')!.startsWith('data:image/svg+xml')).toBe(true);
    expect(qr.querySelector('svg script, script')).toBeNull();
    expect(m.get('qr-link').textContent).toBe(link);

    await m.click('qr-fullscreen');
    const overlay = m.get('qr-overlay');
    expect(overlay.getAttribute('role')).toBe('dialog');
    expect(m.get('qr-overlay-image').getAttribute('src')).toBe(img.getAttribute('src'));
    expect(m.get('qr-countdown').textContent).toMatch(/3:(20|19) left/);
    expect(document.activeElement).toBe(m.get('qr-close'));

    // Esc closes the overlay first; it does not cancel the verification.
    await m.press('Escape');
    expect(m.q('qr-overlay')).toBeNull();
    expect(m.backend.callsTo('cancel_verification')).toHaveLength(0);
    expect(m.get('status').dataset.state).toBe('waiting');
  });

  it('refuses a script-bearing QR SVG and offers the link instead', async () => {
    m = await mount();
    const id = await startVerification(m, { profile: 'pickup', identity: 'anna@example.com', binding: '' });
    await m.emit(
      waitingEvent(id, {
        customer_link: 'https://id.example-shop.se/x',
        qr_svg: '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
      }),
    );
    expect(m.q('qr-image')).toBeNull();
    expect(m.get('qr-invalid').textContent).toContain('link instead');
    expect(m.container.innerHTML).not.toContain('onload');
    expect(m.get('qr-link').textContent).toBe('https://id.example-shop.se/x');
  });
});
