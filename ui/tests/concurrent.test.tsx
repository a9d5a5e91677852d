import { afterEach, describe, expect, it } from 'vitest';
import type { VerifiedIdentity } from '../src/api/types';
import { reduce, initialState, type Draft } from '../src/state/sessions';
import { mount, NO_VALID, startVerification, waitingEvent, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

const verified: VerifiedIdentity = {
  display_name: 'Kari Nordmann',
  national_id_masked: '150585-XXXXX',
  date_of_birth: '1985-05-15',
  age: 40,
  provider: 'idura_verify',
  profile: 'bankid-no',
  acr: 'urn:grn:authn:no:bankid',
  amr: [],
  idp: null,
  auth_time_ms: null,
  transaction_id: null,
  is_sandbox: false,
};

describe('several verifications at once', () => {
  it('keeps separate state per tab', async () => {
    m = await mount();
    const first = await startVerification(m);
    await m.click('new-verification');
    expect(m.get<HTMLInputElement>('identity-input').value).toBe('');
    const second = await startVerification(m, { profile: 'bankid-no', identity: NO_VALID });
    expect(first).not.toBe(second);

    await m.emit(waitingEvent(first, { expires_at_ms: Date.now() + 45_000 }));
    await m.emit(waitingEvent(second, { word_pair: 'blå fjord' }));
    await m.emit({ state: 'verified', id: second, identity: verified, match: 'match', match_detail: { result: 'match', on: 'national_id' } });

    expect(m.get('tab-1').dataset.state).toBe('waiting');
    expect(m.get('tab-2').dataset.state).toBe('verified');
    expect(m.get('tab-1').textContent).toContain('19121212-XXXX');
    // Once verified, the tab is named after the person; the identifier stays in its tooltip.
    expect(m.get('tab-title-2').textContent).toBe('Kari Nordmann');
    expect(m.get('tab-2').title).toBe('150585-XXXXX');
    expect(m.get('active-count').textContent).toBe('1 active');

    // Tab 2 is on screen: its result.
    expect(m.get('result-name').textContent).toBe('Kari Nordmann');
    expect(m.q('countdown')).toBeNull();

    // Tab 1: still waiting, with its own countdown and binding message.
    await m.click('tab-1');
    expect(m.q('result')).toBeNull();
    expect(m.get('countdown').textContent).toMatch(/0:(45|44) left/);
    expect(m.get('binding-shown').textContent).toContain('4821');
    expect(m.q('word-pair')).toBeNull();

    // Esc cancels only the one on screen.
    await m.press('Escape', document.body);
    expect(m.backend.callsTo('cancel_verification').map((c) => c.args.id)).toEqual([first]);
  });

  it('announces a background result with its masked identity', async () => {
    m = await mount();
    const first = await startVerification(m);
    await m.click('new-verification');
    await m.emit({ state: 'denied', id: first, error: { code: 'access_denied', message: 'declined in the app' } });
    expect(m.get('announcer-polite').textContent).toBe(
      '19121212-XXXX: The customer declined. The customer declined the request, or the provider refused it.',
    );
    // The new tab keeps the focus.
    expect(document.activeElement).toBe(m.get('identity-input'));
  });

  it('closes finished tabs but not running ones', async () => {
    m = await mount();
    await startVerification(m);
    await m.click('new-verification');
    expect(m.q('tab-close-1')).toBeNull();
    expect(m.q('tab-close-2')).not.toBeNull();
    await m.click('tab-close-2');
    expect(m.q('tab-2')).toBeNull();
    expect(m.get('tab-1').getAttribute('aria-selected')).toBe('true');
  });

  it('reducer: an event for one session never touches another', () => {
    const draft: Draft = { profile: 'sandbox', country: 'se', identity: 'x', bindingMessage: '', callInitiator: 'user', reference: '' };
    const sent = { profile: 'sandbox', masked: 'm', bindingMessage: null, callInitiator: null, reference: null, atMs: 0 };
    let state = initialState(1, draft);
    state = reduce(state, { type: 'create', key: 2, draft });
    state = reduce(state, { type: 'start', key: 1, sent });
    state = reduce(state, { type: 'start', key: 2, sent });
    state = reduce(state, { type: 'started', key: 1, id: 'a' });
    state = reduce(state, { type: 'started', key: 2, id: 'b' });
    state = reduce(state, { type: 'event', key: 1, event: { state: 'cancelled', id: 'a', provider_notified: true }, nowMs: 0 });
    // An event carrying another id is ignored even if misaddressed.
    const denied = { code: 'access_denied', message: '' };
    state = reduce(state, { type: 'event', key: 2, event: { state: 'denied', id: 'a', error: denied }, nowMs: 0 });
    expect(state.sessions.map((s) => s.phase)).toEqual(['cancelled', 'requesting']);
  });
});
