// Server mode: the organisation's CIBA Desk server holds the providers' secrets and the audit
// trail; the agent signs in with the organisation's provider in the browser. Everything here
// goes through the mock backend, as the desk answers.

import { afterEach, describe, expect, it } from 'vitest';
import { act } from 'preact/test-utils';
import { backendError, MOCK_AGENT_NAME, MOCK_SERVER_URL } from '../dev/fixtures';
import { mockHistoryEntry, type MockOptions } from '../dev/mock-backend';
import type { OrganisationView } from '../src/api/types';
import { flush, mount, SE_VALID, startVerification, waitingEvent, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

const PATH = '/etc/ciba-desk/policy.toml';
const SIGNED_IN: Partial<OrganisationView> = { state: 'signed_in', server_url: MOCK_SERVER_URL, agent_name: MOCK_AGENT_NAME };
const SIGNED_OUT: Partial<OrganisationView> = { state: 'signed_out', server_url: MOCK_SERVER_URL };
const UNREACHABLE = backendError(
  'server_unreachable',
  `the organisation's server at ${MOCK_SERVER_URL} cannot be reached: connection refused`,
  { server: MOCK_SERVER_URL },
);
const BANNER_UNREACHABLE =
  `Your organisation's server at ${MOCK_SERVER_URL} cannot be reached. New verifications wait until it answers; ` +
  'verifications already running go on at the server and are shown again when it answers.';

/** The element with this DOM id (the ids a window test will use). */
const byId = <T extends HTMLElement = HTMLElement>(id: string) => m.container.querySelector<T>(`#${id}`);
const text = (id: string) => byId(id)?.textContent ?? null;
const profileOptions = () => [...m.get<HTMLSelectElement>('profile').options].map((o) => o.value);
const start = () => m.get<HTMLButtonElement>('start');

/** The desk reports a change (the server stops answering, the sign-in ends, …). */
async function orgChanges(patch: Partial<Omit<OrganisationView, 'version'>>) {
  await act(() => m.backend.setOrganisation(patch));
  await flush();
}

async function mountOrg(options: MockOptions, languages = ['en-GB']) {
  m = await mount(options, { languages });
}

describe('stand-alone (no organisation server)', () => {
  it('says nothing about signing in, and Settings offers the server address', async () => {
    await mountOrg({});
    expect(m.backend.callsTo('organisation')).toHaveLength(1);
    expect(byId('header-sign-in')).toBeNull();
    expect(byId('signed-in-as')).toBeNull();
    expect(byId('org-banner')).toBeNull();
    expect(profileOptions()).toContain('sandbox');
    expect(start().disabled).toBe(false);

    await m.click('nav-settings');
    const field = byId<HTMLInputElement>('org-server')!;
    expect(field).not.toBeNull();
    expect(field.readOnly).toBe(false);
    expect(field.value).toBe('');
    expect(byId('org-save')).not.toBeNull();
    expect(text('org-state')).toBe('Not connected: CIBA Desk stands alone on this computer');
    expect(byId('org-sign-in')).toBeNull();
    // This computer's profiles are managed here as before.
    expect(m.q('add-profile')).not.toBeNull();
    expect(m.q('export')).not.toBeNull();
    expect(m.q('edit-bankid-se')).not.toBeNull();
  });
});

describe('setting a server and signing in', () => {
  it('the server’s profiles replace this computer’s, read-only, once signed in', async () => {
    await mountOrg({});
    await m.click('nav-settings');
    await m.type('org-server', `${MOCK_SERVER_URL}/`);
    await m.click(byId('org-save')!);
    expect(m.backend.callsTo('set_server').at(-1)!.args).toEqual({ url: `${MOCK_SERVER_URL}/` });
    expect(byId<HTMLInputElement>('org-server')!.value).toBe(MOCK_SERVER_URL);
    expect(m.get('org-status').textContent).toBe("Saved. Sign in to use your organisation's server.");

    // Signed out: nothing to verify with, and no local profile management.
    expect(text('not-signed-in')).toBe('Not signed in');
    expect(byId('header-sign-in')!.textContent).toBe('Sign in');
    expect(text('org-state')).toBe('Not signed in');
    expect(m.get('org-banner').textContent).toContain('Sign in to your organisation to verify customers.');
    expect(m.get('profile-list').children).toHaveLength(0);
    expect(m.get('org-profiles-note').textContent).toBe(
      `The identity providers come from your organisation's server at ${MOCK_SERVER_URL}. Sign in to see them.`,
    );
    expect(m.q('add-profile')).toBeNull();
    expect(m.q('import')).toBeNull();
    expect(m.q('export')).toBeNull();

    await m.click(byId('header-sign-in')!);
    expect(m.backend.callsTo('sign_in')).toHaveLength(1);
    expect(text('signed-in-as')).toBe(`Signed in as ${MOCK_AGENT_NAME}`);
    expect(byId('header-sign-in')).toBeNull();
    expect(byId('header-sign-out')!.textContent).toBe('Sign out');
    expect(text('org-state')).toBe(`Signed in as ${MOCK_AGENT_NAME}`);
    expect(byId('org-sign-out')).not.toBeNull();
    expect(byId('org-banner')).toBeNull();
    expect(m.get('announcer-polite').textContent).toBe(`Signed in as ${MOCK_AGENT_NAME}`);

    // Settings: the server's profiles, managed there, with nothing to edit, remove or store.
    expect(m.get('org-profiles-note').textContent).toBe(
      `These identity providers come from your organisation's server at ${MOCK_SERVER_URL} and are managed there.`,
    );
    for (const name of ['org-bankid-se', 'org-training']) {
      expect(m.get(`managed-${name}`).textContent).toBe('Managed');
      expect(m.q(`edit-${name}`), name).toBeNull();
      expect(m.q(`remove-${name}`), name).toBeNull();
      expect(m.q(`secret-input-${name}`), name).toBeNull();
      expect(m.q(`secret-status-${name}`), name).toBeNull();
    }
    expect(m.q('profile-item-sandbox')).toBeNull();
    expect(m.q('add-profile')).toBeNull();
    expect(m.q('import')).toBeNull();
    expect(m.q('export')).toBeNull();

    // Verify: the server's profiles, and nothing in the way of starting.
    await m.click('nav-verify');
    expect(profileOptions()).toEqual(['org-bankid-se', 'org-training']);
    expect(m.get<HTMLSelectElement>('profile').value).toBe('org-bankid-se');
    expect(start().disabled).toBe(false);
    expect(m.q('no-profiles')).toBeNull();
  });

  it('Settings shows the desk’s refusal of an address under the field, in words about the server', async () => {
    await mountOrg({});
    await m.click('nav-settings');
    await m.type('org-server', 'desk.example.org');
    await m.click(byId('org-save')!);
    expect(m.get('org-server-error').textContent).toBe(
      'This is not a web address. Write it in full, e.g. https://desk.example.com.',
    );
    expect(byId('org-server')!.getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(byId('org-server'));

    await m.type('org-server', 'http://desk.example.org');
    await m.click(byId('org-save')!);
    expect(m.get('org-server-error').textContent).toBe(
      "The server's address must start with https:// (plain http:// only on this computer's loopback address).",
    );
    expect(byId('header-sign-in')).toBeNull();
    expect(text('org-state')).toBe('Not connected: CIBA Desk stands alone on this computer');
  });

  it('while the agent is in the browser: waiting, Start disabled; then signed in', async () => {
    await mountOrg({ organisation: SIGNED_OUT, signInWaits: true });
    expect(start().disabled).toBe(true);
    await m.click('org-banner-sign-in');
    expect(m.get('org-banner').dataset.state).toBe('signing_in');
    expect(m.get('org-banner-message').textContent).toBe(
      'Waiting for the sign-in in your browser… Finish signing in there; this window updates by itself.',
    );
    expect(byId('header-sign-in')!.getAttribute('aria-disabled')).toBe('true');
    expect(start().disabled).toBe(true);

    await m.click('nav-settings');
    expect(byId('org-sign-in')!.textContent).toBe('Waiting for the sign-in in your browser…');
    expect(byId('org-sign-in')!.getAttribute('aria-disabled')).toBe('true');
    // Pressed again meanwhile: no second sign-in.
    await m.click(byId('org-sign-in')!);
    expect(m.backend.callsTo('sign_in')).toHaveLength(1);

    await act(() => m.backend.finishSignIn());
    await flush();
    expect(text('signed-in-as')).toBe(`Signed in as ${MOCK_AGENT_NAME}`);
    expect(byId('org-banner')).toBeNull();
    await m.click('nav-verify');
    expect(start().disabled).toBe(false);
    expect(profileOptions()).toEqual(['org-bankid-se', 'org-training']);
  });

  it('back to stand-alone: this computer’s profiles again', async () => {
    await mountOrg({ organisation: SIGNED_IN });
    await m.click('nav-settings');
    await m.click(byId('org-stand-alone')!);
    expect(m.backend.callsTo('set_server').at(-1)!.args).toEqual({ url: null });
    expect(byId<HTMLInputElement>('org-server')!.value).toBe('');
    expect(byId('signed-in-as')).toBeNull();
    expect(text('org-state')).toBe('Not connected: CIBA Desk stands alone on this computer');
    expect(m.q('add-profile')).not.toBeNull();
    expect(m.q('profile-item-sandbox')).not.toBeNull();
  });
});

describe('verifying in server mode', () => {
  it('goes through startVerification as before, with the server’s ids and the same events', async () => {
    await mountOrg({ organisation: SIGNED_IN });
    const id = await startVerification(m, { profile: 'org-training', identity: SE_VALID, binding: '4821' });
    expect(id).toMatch(/^srv-/);
    expect(m.backend.callsTo('start_verification')[0]!.args.request).toEqual({
      profile: 'org-training',
      identity: `se:${SE_VALID}`,
      binding_message: '4821',
      call_initiator: 'user',
      reference: null,
    });
    await m.emit(waitingEvent(id));
    expect(m.get('status').dataset.state).toBe('waiting');
    await act(() => m.backend.finish(id, 'verified'));
    await flush();
    expect(m.get('result').dataset.outcome).toBe('verified');
    expect(m.get('result-name').textContent).toBe('Tolvan Tolvansson');
    // Recorded by the server, not in this computer's log.
    expect(m.backend.serverHistoryEntries).toHaveLength(1);
    expect(m.backend.historyEntries).toHaveLength(0);
  });

  it('the server’s refusal is shown in words, as the desk’s own', async () => {
    await mountOrg({ organisation: SIGNED_IN });
    m.backend.startVerification = async () => {
      throw backendError('rate_limited', 'too many verifications started in the last minute; try again in 12 s');
    };
    await m.select('profile', 'org-training');
    await m.type('identity-input', SE_VALID);
    await m.press('Enter', m.get('identity-input'));
    expect(m.get('result').dataset.outcome).toBe('failed');
    expect(m.get('result-message').textContent).toBe(
      'Too many verifications were started in the last minute. Wait a moment, then try again.',
    );
  });
});

describe('when the server does not answer', () => {
  it('a banner names the server and Start is disabled, while a running verification still gets its result', async () => {
    await mountOrg({ organisation: SIGNED_IN });
    const id = await startVerification(m, { profile: 'org-training' });
    await m.emit(waitingEvent(id));
    await orgChanges({ state: 'unreachable', problem: UNREACHABLE });

    const banner = m.get('org-banner');
    expect(banner.id).toBe('org-banner');
    expect(banner.getAttribute('role')).toBe('alert');
    expect(m.get('org-banner-message').textContent).toBe(BANNER_UNREACHABLE);
    // Still signed in: the sign-in is kept until the server answers.
    expect(text('signed-in-as')).toBe(`Signed in as ${MOCK_AGENT_NAME}`);
    expect(m.get('tab-1').dataset.state).toBe('waiting');

    await m.click('new-verification');
    expect(profileOptions()).toEqual(['org-bankid-se', 'org-training']);
    expect(start().disabled).toBe(true);
    expect(start().getAttribute('aria-describedby')).toBe('org-banner');
    await m.select('profile', 'org-training');
    await m.type('identity-input', SE_VALID);
    await m.press('Enter', m.get('identity-input'));
    expect(m.backend.callsTo('start_verification')).toHaveLength(1);
    expect(m.get('form-error').textContent).toBe(BANNER_UNREACHABLE);

    // The running one goes on at the server, and its result arrives.
    await act(() => m.backend.finish(id, 'verified'));
    await flush();
    expect(m.get('tab-1').dataset.state).toBe('verified');
    await m.click('tab-1');
    expect(m.get('result').dataset.outcome).toBe('verified');

    // The server answers again: the banner goes, and new verifications can start.
    await orgChanges({ state: 'signed_in', problem: null });
    expect(byId('org-banner')).toBeNull();
    await m.click('tab-2');
    expect(start().disabled).toBe(false);
  });

  it('Settings says so too, with the desk’s problem', async () => {
    await mountOrg({ organisation: SIGNED_IN });
    await orgChanges({ state: 'unreachable', problem: UNREACHABLE });
    await m.click('nav-settings');
    expect(m.get('org-banner-message').textContent).toBe(BANNER_UNREACHABLE);
    expect(text('org-state')).toBe('The server is not answering');
    expect(m.get('org-problem').textContent).toBe(
      `Your organisation's server at ${MOCK_SERVER_URL} cannot be reached. Check the network connection; if it keeps happening, tell your administrator.`,
    );
  });
});

describe('when the sign-in ends', () => {
  it('the banner asks to sign in again, with a button that does', async () => {
    await mountOrg({ organisation: SIGNED_IN });
    expect(profileOptions()).toEqual(['org-bankid-se', 'org-training']);
    await orgChanges({
      state: 'expired',
      agent_name: null,
      problem: backendError('session_expired', 'your sign-in to the organisation has ended; sign in again'),
    });
    expect(m.get('org-banner-message').textContent).toBe('Your sign-in has ended. Sign in again.');
    expect(m.get('org-banner').getAttribute('role')).toBe('alert');
    expect(byId('org-banner-sign-in')!.textContent).toBe('Sign in');
    expect(text('not-signed-in')).toBe('Not signed in');
    expect(byId('header-sign-in')).not.toBeNull();
    expect(start().disabled).toBe(true);
    // No silent fall-back to this computer's profiles.
    expect(profileOptions()).toEqual([]);
    expect(m.q('no-profiles')).toBeNull();

    await m.click(byId('org-banner-sign-in')!);
    expect(text('signed-in-as')).toBe(`Signed in as ${MOCK_AGENT_NAME}`);
    expect(byId('org-banner')).toBeNull();
    expect(profileOptions()).toEqual(['org-bankid-se', 'org-training']);
    expect(start().disabled).toBe(false);
  });
});

describe('a sign-in that fails', () => {
  it('shows the desk’s error in words, with the provider’s details apart', async () => {
    await mountOrg({
      organisation: SIGNED_OUT,
      signInError: backendError('sign_in_failed', 'the sign-in was cancelled at the provider'),
    });
    await m.click(byId('header-sign-in')!);
    const sentence =
      "Signing in did not succeed: it was cancelled, or refused by your organisation's sign-in page. Try again; if it keeps failing, tell your administrator.";
    expect(m.get('org-banner-problem').textContent).toBe(`${sentence}Details: The sign-in was cancelled at the provider.`);
    expect(m.get('org-problem-details').classList.contains('muted')).toBe(true);
    expect(m.get('announcer-assertive').textContent).toBe(sentence);
    expect(text('not-signed-in')).toBe('Not signed in');
    expect(start().disabled).toBe(true);

    await m.click('nav-settings');
    expect(m.get('org-problem').textContent).toContain(sentence);
  });

  it('in the agent’s language', async () => {
    await mountOrg(
      { organisation: SIGNED_OUT, signInError: backendError('sign_in_timed_out', 'signing in did not finish within 5 minutes; start again', { minutes: 5 }) },
      ['sv-SE'],
    );
    expect(byId('header-sign-in')!.textContent).toBe('Logga in');
    expect(text('not-signed-in')).toBe('Inte inloggad');
    expect(m.get('org-banner-message').textContent).toBe('Logga in hos din organisation för att kontrollera kunder.');
    await m.click(byId('header-sign-in')!);
    expect(m.get('org-banner-problem').textContent).toBe('Inloggningen blev inte klar inom 5 minuter. Börja om.');
  });

  it('Norwegian and Danish: signed in as …', async () => {
    await mountOrg({ organisation: SIGNED_IN }, ['nb-NO']);
    expect(text('signed-in-as')).toBe(`Logget inn som ${MOCK_AGENT_NAME}`);
    expect(byId('header-sign-out')!.textContent).toBe('Logg ut');
    m.unmount();
    await mountOrg({ organisation: SIGNED_IN }, ['da-DK']);
    expect(text('signed-in-as')).toBe(`Logget ind som ${MOCK_AGENT_NAME}`);
    expect(byId('header-sign-out')!.textContent).toBe('Log ud');
  });
});

describe('a server the administrator’s policy names', () => {
  it('is shown read-only, with the note, and cannot be changed or cleared', async () => {
    await mountOrg({ policy: { managed: true, path: PATH, server_url: MOCK_SERVER_URL } });
    expect(text('not-signed-in')).toBe('Not signed in');
    await m.click('nav-settings');
    const field = byId<HTMLInputElement>('org-server')!;
    expect(field.readOnly).toBe(true);
    expect(field.value).toBe(MOCK_SERVER_URL);
    expect(m.get('org-server-managed').textContent).toBe('Managed by your organisation. Ask your administrator to change it.');
    expect(byId('org-save')).toBeNull();
    expect(byId('org-stand-alone')).toBeNull();
    expect(byId('org-sign-in')!.textContent).toBe('Sign in');
  });
});

describe('signing out', () => {
  it('the server’s profiles are gone, and the header says so', async () => {
    await mountOrg({ organisation: SIGNED_IN });
    expect(profileOptions()).toEqual(['org-bankid-se', 'org-training']);
    await m.click(byId('header-sign-out')!);
    expect(m.backend.callsTo('sign_out')).toHaveLength(1);
    expect(text('not-signed-in')).toBe('Not signed in');
    expect(byId('signed-in-as')).toBeNull();
    expect(byId('header-sign-in')).not.toBeNull();
    expect(profileOptions()).toEqual([]);
    expect(m.get('org-banner-message').textContent).toBe('Sign in to your organisation to verify customers.');
    expect(start().disabled).toBe(true);
    expect(m.get('announcer-polite').textContent).toBe('Signed out.');

    await m.click('nav-settings');
    expect(m.get('profile-list').children).toHaveLength(0);
    expect(text('org-state')).toBe('Not signed in');
    expect(byId('org-sign-in')).not.toBeNull();
  });

  it('keeps the focus on the header’s button as it turns from Sign out into Sign in', async () => {
    await mountOrg({ organisation: SIGNED_IN });
    const button = byId('header-sign-out')!;
    button.focus();
    await m.click(button);
    expect(byId('header-sign-in')).toBe(button);
    expect(document.activeElement).toBe(button);
  });
});

describe('History in server mode', () => {
  it('says the organisation’s server keeps the records, instead of the chain status', async () => {
    await mountOrg({
      organisation: SIGNED_IN,
      serverHistory: [
        mockHistoryEntry({ seq: 2, id: 'f3b1c0de', profile: 'org-training', reference: 'CASE-9', masked_identity: '19850709-XXXX' }),
        mockHistoryEntry({ seq: 1, id: 'a9d2e4f1', profile: 'org-training', outcome: 'denied', error_code: 'access_denied' }),
      ],
    });
    await m.click('nav-history');
    expect(m.get('history').querySelector('.screen-sub')!.textContent).toBe(
      "Your verifications, kept by your organisation's server, newest first. Identity numbers are masked.",
    );
    expect(m.get('audit-server').textContent).toBe(`Kept by your organisation's server at ${MOCK_SERVER_URL}`);
    expect(m.q('audit-status')).toBeNull();
    expect(m.q('audit-broken')).toBeNull();
    expect(m.get('history-row-1').dataset.id).toBe('f3b1c0de');
    expect(m.get('history-row-2').dataset.id).toBe('a9d2e4f1');

    // Search and the detail work as before.
    await m.type('history-search', 'CASE-9');
    expect(m.backend.callsTo('history').at(-1)!.args.query).toMatchObject({ search: 'CASE-9' });
    expect(m.all('history-profile')).toHaveLength(1);
    await m.click('history-row-1');
    expect(m.q('copy-summary')).not.toBeNull();
  });

  it('stand-alone: this computer’s audit log and its chain, as before', async () => {
    await mountOrg({ history: [mockHistoryEntry({ seq: 1 })] });
    await m.click('nav-history');
    expect(m.q('audit-server')).toBeNull();
    expect(m.get('audit-status').textContent).toContain('chain intact');
  });
});
