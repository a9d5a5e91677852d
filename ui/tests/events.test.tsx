import { afterEach, describe, expect, it } from 'vitest';
import { act } from 'preact/test-utils';
import type { BackendError, MatchDetail, VerifiedIdentity } from '../src/api/types';
import { mockQrSvg } from '../dev/mock-backend';
import { applyEvent, newSession } from '../src/state/sessions';
import { DK_MOD11_FAILS, flush, mount, NO_VALID, SE_VALID, startVerification, waitingEvent, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

const ON_NATIONAL_ID: MatchDetail = { result: 'match', on: 'national_id' };
const err = (code: string, message: string, params?: BackendError['params']): BackendError => ({ code, message, params });
const DENIED = err('access_denied', 'the customer declined the request, or the provider refused it: access_denied');
const EXPIRED = err('expired', 'the request expired before the customer answered');

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
    await m.emit({ state: 'verified', id, identity: identity(), match: 'match', match_detail: ON_NATIONAL_ID });
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
    expect(m.get('match-body').textContent).toBe('The identity number the provider returned is the one you entered.');
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
    await m.emit({
      state: 'verified',
      id,
      identity: identity({ display_name: 'Sven Svensson' }),
      match: 'mismatch',
      match_detail: { result: 'mismatch', on: 'national_id' },
    });
    const match = m.get('match');
    expect(match.dataset.match).toBe('mismatch');
    expect(match.classList.contains('match--mismatch')).toBe(true);
    expect(m.get('match-body').textContent).toBe(
      'The provider returned a different identity number from the one you entered. Do not proceed.',
    );
    expect(m.get('result').classList.contains('result--mismatch')).toBe(true);
    expect(m.get('result').dataset.outcome).toBe('mismatch');
    expect(m.get('announcer-assertive').textContent).toContain('Do not proceed');
    expect(m.get('announcer-polite').textContent).not.toContain('Identity verified');
    expect(m.get('tab-1').dataset.state).toBe('mismatch');
  });

  it('not comparable: neutral badge that explains', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit({
      state: 'verified',
      id,
      identity: identity({ national_id_masked: null }),
      match: 'not_comparable',
      match_detail: { result: 'not_comparable', reason: 'no_national_id_returned' },
    });
    const match = m.get('match');
    expect(match.dataset.match).toBe('not_comparable');
    expect(m.get('match-body').textContent).toBe(
      'The provider returned no identity number to compare with what you entered. Confirm the identity another way before you proceed.',
    );
    expect(m.get('result').textContent).toContain('Not provided');
  });

  it('the match sentence follows what was compared, in the agent’s language', async () => {
    m = await mount({}, { languages: ['da-DK'] });
    const id = await startVerification(m, { profile: 'pickup', identity: 'anna@example.com', binding: '' });
    await m.emit({ state: 'verified', id, identity: identity(), match: 'match', match_detail: { result: 'match', on: 'email' } });
    expect(m.get('match').querySelector('.match-title')!.textContent).toBe('Passer');
    expect(m.get('match-body').textContent).toBe('Den e-mailadresse, udbyderen returnerede, er den, du indtastede.');
    expect(m.get('announcer-polite').textContent).toContain('Identiteten er bekræftet: Tolvan Tolvansson. Passer.');
  });

  it('a match detail the page does not know gets the general sentence for its result', async () => {
    m = await mount();
    const id = await startVerification(m);
    const detail = { result: 'not_comparable', reason: 'provider_said_nothing' } as unknown as MatchDetail;
    await m.emit({ state: 'verified', id, identity: identity(), match: 'not_comparable', match_detail: detail });
    expect(m.get('match-body').textContent).toBe(
      'The provider returned nothing to compare with what you entered. Confirm the identity another way before you proceed.',
    );
  });

  it('no sandbox banner on a real identity', async () => {
    m = await mount();
    const id = await startVerification(m, { profile: 'bankid-se' });
    await m.emit({ state: 'verified', id, identity: identity({ is_sandbox: false }), match: 'match', match_detail: ON_NATIONAL_ID });
    expect(m.q('sandbox-banner')).toBeNull();
  });

  it('denied: a sentence to act on, from the error code, and Try again keeps the inputs', async () => {
    m = await mount();
    await m.click('call-initiator-rp');
    const id = await startVerification(m, { binding: 'Kasse 3' });
    await m.emit({ state: 'denied', id, error: DENIED });
    const result = m.get('result');
    expect(result.dataset.outcome).toBe('denied');
    expect(m.get('result-message').textContent).toBe('The customer declined the request, or the provider refused it.');
    expect(m.q('error-code')).toBeNull();
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

  it('in Swedish, the denial is Swedish too', async () => {
    m = await mount({}, { languages: ['sv-SE'] });
    const id = await startVerification(m);
    await m.emit({ state: 'denied', id, error: DENIED });
    expect(m.get('result-message').textContent).toBe('Kunden nekade begäran, eller så avvisade leverantören den.');
    expect(m.get('announcer-polite').textContent).toBe(
      'Kunden nekade. Kunden nekade begäran, eller så avvisade leverantören den.',
    );
  });

  it('expired, failed and cancelled each get their own card', async () => {
    m = await mount();
    let id = await startVerification(m);
    await m.emit({ state: 'expired', id, error: EXPIRED });
    expect(m.get('result').dataset.outcome).toBe('expired');
    expect(m.get('result-message').textContent).toBe('The request expired before the customer answered.');
    expect(m.get('result').textContent).toContain('phone at hand');

    await m.click('try-again');
    id = await startVerification(m);
    await m.emit({ state: 'failed', id, error: err('timeout', 'the provider at https://x/token did not answer within 10 s') });
    expect(m.get('result').dataset.outcome).toBe('failed');
    expect(m.get('result-message').textContent).toBe('The provider did not answer in time. Try again in a minute, or use another provider.');
    expect(m.get('error-code').textContent).toBe('Error code: timeout');
    expect(m.get('announcer-polite').textContent).toContain('The provider did not answer in time.');
    expect(m.container.textContent).not.toContain('https://x/token');

    await m.click('try-again');
    id = await startVerification(m);
    await m.emit({ state: 'cancelled', id, provider_notified: true });
    expect(m.get('result').dataset.outcome).toBe('cancelled');
    expect(m.get('status').dataset.state).toBe('cancelled');
    expect(m.q('not-notified')).toBeNull();
  });

  it('a failure with an unknown code shows the backend’s English sentence and the code', async () => {
    m = await mount({}, { languages: ['nb-NO'] });
    const id = await startVerification(m);
    await m.emit({ state: 'failed', id, error: err('provider_unavailable', 'the identity provider did not answer') });
    expect(m.get('result-message').textContent).toBe('The identity provider did not answer.');
    expect(m.get('error-code').textContent).toBe('Feilkode: provider_unavailable');
  });

  it('a cancel the provider was not told about says the request may still show in the customer’s app', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit({ state: 'cancelled', id, provider_notified: false });
    expect(m.get('result').dataset.outcome).toBe('cancelled');
    expect(m.get('not-notified').textContent).toBe(
      'The provider could not be told, so the customer may still see the request in their app. Approving it now changes nothing; ask the customer to ignore it.',
    );
    expect(m.get('announcer-polite').textContent).toContain('Approving it now changes nothing; ask the customer to ignore it.');
  });

  it('a start the backend rejects becomes a failed card with its message', async () => {
    m = await mount();
    await m.select('profile', 'mitid');
    expect(m.q('secret-missing')).not.toBeNull();
    await m.type('identity-input', DK_MOD11_FAILS);
    await m.press('Enter', m.get('identity-input'));
    expect(m.get('result').dataset.outcome).toBe('failed');
    expect(m.get('result-message').textContent).toBe(
      'No client secret or key is stored for profile mitid. An administrator can save it under Settings.',
    );
    expect(m.get('error-code').textContent).toBe('Error code: missing_secret');
  });

  it('ignores events after the final state', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit({ state: 'denied', id, error: DENIED });
    await m.emit({ state: 'verified', id, identity: identity(), match: 'match', match_detail: ON_NATIONAL_ID });
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

describe('audit_failed: a verification not recorded in the audit log', () => {
  it('shows a persistent alert in its view; the result card, state and focus stay as for any result', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit(waitingEvent(id));
    m.backend.failAudit(id, err('audit_disk_full', 'the disk holding the audit log is full'));
    await m.emit({ state: 'verified', id, identity: identity(), match: 'match', match_detail: ON_NATIONAL_ID });

    const alert = m.get('audit-error');
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain('This verification was not recorded in the audit log');
    expect(m.get('audit-error-message').textContent).toBe(
      'The disk holding the audit log is full. Verifications cannot be recorded until some space is freed.',
    );
    expect(alert.textContent).toContain('tell your administrator');
    expect(m.get('announcer-assertive').textContent).toContain('not recorded in the audit log');

    // Still a verified result, reached through the usual final-event path.
    expect(m.get('result').dataset.outcome).toBe('verified');
    expect(m.get('result-name').textContent).toBe('Tolvan Tolvansson');
    expect(m.get('match').dataset.match).toBe('match');
    expect(m.get('status').dataset.state).toBe('verified');
    expect(m.get('tab-1').dataset.state).toBe('verified');
    expect(m.get('announcer-polite').textContent).toContain('Identity verified: Tolvan Tolvansson');
    expect(document.activeElement).toBe(m.get('result-heading'));

    // Persistent: still there after a look at another tab and History (where it is not listed).
    await m.click('nav-history');
    expect(m.q('history-row-1')).toBeNull();
    await m.click('nav-verify');
    expect(m.get('audit-error').textContent).toContain('The disk holding the audit log is full.');
  });

  it('is not a state change: the verification keeps running and ends with its own final event', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit(waitingEvent(id));
    await m.emit({ state: 'audit_failed', id, error: err('audit_read_only', 'the audit log is read-only') });
    expect(m.get('status').dataset.state).toBe('waiting');
    expect(m.get('tab-1').dataset.state).toBe('waiting');
    expect(m.get('active-count').textContent).toBe('1 active');
    expect(m.q('cancel')).not.toBeNull();
    expect(m.q('result')).toBeNull();
    expect(m.get('audit-error').textContent).toContain('The audit log is read-only.');

    await m.emit({ state: 'denied', id, error: DENIED });
    expect(m.get('result').dataset.outcome).toBe('denied');
    expect(m.q('active-count')).toBeNull();
    expect(document.activeElement).toBe(m.get('try-again'));
    expect(m.get('audit-error').textContent).toContain('The audit log is read-only.');

    // A new attempt starts without it.
    await m.click('try-again');
    await m.press('Enter', m.get('identity-input'));
    expect(m.get('status').dataset.state).toBe('requesting');
    expect(m.q('audit-error')).toBeNull();
  });

  it('is kept even when it arrives after the final event, but not after Try again', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.emit({ state: 'verified', id, identity: identity(), match: 'match', match_detail: ON_NATIONAL_ID });
    const send = m.backend.sessions.get(id)!.onEvent;
    await act(() => send({ state: 'audit_failed', id, error: err('audit_late', 'late') }));
    await flush();
    expect(m.get('audit-error').textContent).toContain('Late.');
    expect(m.get('result').dataset.outcome).toBe('verified');

    await m.click('new-verification');
    const second = await startVerification(m);
    await m.emit({ state: 'denied', id: second, error: DENIED });
    await m.click('try-again');
    const late = m.backend.sessions.get(second)!.onEvent;
    await act(() => late({ state: 'audit_failed', id: second, error: err('audit_late', 'too late') }));
    await flush();
    expect(m.get('session-panel').querySelector('[data-testid="identity-input"]')).not.toBeNull();
    expect(m.q('audit-error')).toBeNull();
  });

  it('the reducer: no phase change, and only for its own verification', () => {
    const draft = { profile: 'sandbox', country: 'se' as const, identity: '', bindingMessage: '', callInitiator: 'user' as const, reference: '' };
    const waiting = { ...newSession(1, draft), phase: 'waiting' as const, id: 'v1', attempts: 1 };
    const full = err('audit_disk_full', 'disk full');
    const failed = applyEvent(waiting, { state: 'audit_failed', id: 'v1', error: full }, 0);
    expect(failed.phase).toBe('waiting');
    expect(failed.auditError).toEqual(full);
    expect(applyEvent(waiting, { state: 'audit_failed', id: 'v2', error: full }, 0)).toBe(waiting);
    const editing = newSession(2, draft);
    expect(applyEvent(editing, { state: 'audit_failed', id: 'v1', error: full }, 0)).toBe(editing);
    const done = applyEvent(failed, { state: 'cancelled', id: 'v1', provider_notified: true }, 0);
    expect(done.phase).toBe('cancelled');
    expect(done.auditError).toEqual(full);
  });

  it('stays in its own tab', async () => {
    m = await mount();
    const first = await startVerification(m);
    await m.click('new-verification');
    const second = await startVerification(m, { profile: 'bankid-no', identity: NO_VALID });
    m.backend.failAudit(first);
    await m.emit({ state: 'expired', id: first, error: EXPIRED });
    expect(m.get('session-panel').dataset.key).toBe('2');
    expect(m.q('audit-error')).toBeNull();
    expect(m.get('announcer-assertive').textContent).toBe('19121212-XXXX: Warning: this verification was not recorded in the audit log. Tell your administrator.');
    await m.emit({
      state: 'verified',
      id: second,
      identity: identity({ display_name: 'Kari Nordmann' }),
      match: 'match',
      match_detail: ON_NATIONAL_ID,
    });
    expect(m.q('audit-error')).toBeNull();

    await m.click('tab-1');
    expect(m.get('result').dataset.outcome).toBe('expired');
    expect(m.get('audit-error').textContent).toContain('The disk holding the audit log is full.');
  });
});
