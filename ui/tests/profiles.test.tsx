// Profiles as agents see them (their short title everywhere), and what Settings may change.

import { afterEach, describe, expect, it } from 'vitest';
import { act } from 'preact/test-utils';
import type { ProfileSummary } from '../src/api/types';
import { LANGUAGES, translator } from '../src/i18n';
import { defaultMockProfiles } from '../dev/fixtures';
import { mockHistoryEntry } from '../dev/mock-backend';
import { looksLikeCertificateBundle } from '../src/ui/settings-screen';
import { flush, mount, SE_VALID, startVerification, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

const PEM = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';

/** The mock's profiles, plus a second Swedish BankID profile with the same title as bankid-se. */
function withTwin(): ProfileSummary[] {
  const profiles = defaultMockProfiles();
  const bankid = profiles.find((p) => p.name === 'bankid-se')!;
  return [...profiles, { ...bankid, name: 'bankid-se-kasse', countries: [...bankid.countries] }];
}

async function openSettings(...args: Parameters<typeof mount>) {
  m = await mount(...args);
  await m.click('nav-settings');
  expect(m.q('settings')).not.toBeNull();
}

const text = (testId: string) => m.get(testId).textContent;

describe('profiles by their title', () => {
  it('the picker, the request pane, the result card and History show the title, never the description', async () => {
    m = await mount({
      history: [mockHistoryEntry({ seq: 4, profile: 'retired-profile', outcome: 'verified' })],
    });
    const id = await startVerification(m, { profile: 'bankid-se', identity: SE_VALID });
    expect(text('summary-profile')).toBe('Idura · Swedish BankID');
    expect(m.get('live').textContent).toContain('Sending the request to Idura · Swedish BankID…');
    m.backend.finish(id, 'verified');
    await flush();
    const provider = m.get('result').querySelector('[data-field="provider"] dd')!;
    expect(provider.textContent).toBe('Idura · Swedish BankID');
    expect(m.container.textContent).not.toContain('Swedish BankID phone authentication. Tell the system');

    await m.click('nav-history');
    const profiles = m.all('history-profile').map((e) => e.textContent);
    // A profile that is gone is shown by the name its record keeps.
    expect(profiles).toEqual(['Idura · Swedish BankID', 'retired-profile']);
    await m.click('history-row-1');
    expect(m.get('result').querySelector('[data-field="provider"] dd')!.textContent).toBe('Idura · Swedish BankID');
  });

  it('two profiles with the same title are told apart by their name', async () => {
    m = await mount({ profiles: withTwin(), history: [mockHistoryEntry({ seq: 1, profile: 'bankid-se-kasse' })] });
    const options = [...m.get<HTMLSelectElement>('profile').options].map((o) => o.textContent);
    expect(options).toContain('Idura · Swedish BankID (bankid-se)');
    expect(options).toContain('Idura · Swedish BankID (bankid-se-kasse)');
    // A title no other profile has stays as it is.
    expect(options).toContain('Idura · Norwegian BankID');

    await m.click('nav-history');
    expect(text('history-profile')).toBe('Idura · Swedish BankID (bankid-se-kasse)');

    await m.click('nav-settings');
    expect(text('profile-title-bankid-se-kasse')).toBe('Idura · Swedish BankID (bankid-se-kasse)');
    await m.click('remove-bankid-se-kasse');
    expect(m.get('profile-item-bankid-se-kasse').querySelector('.confirm')!.textContent).toContain(
      'Remove Idura · Swedish BankID (bankid-se-kasse)?',
    );
    await m.click('remove-yes-bankid-se-kasse');
    // Alone again: the title alone.
    expect(text('profile-title-bankid-se')).toBe('Idura · Swedish BankID');
  });
});

describe('settings: editing a profile', () => {
  it('saves only what changed, says so, and shows that the secret must be entered again', async () => {
    await openSettings();
    expect(text('secret-status-bankid-se')).toBe('Secret stored');
    await m.click('edit-bankid-se');
    expect(m.q('edit-form-bankid-se')).not.toBeNull();
    expect(document.activeElement).toBe(m.get('edit-title-bankid-se'));
    expect(m.get<HTMLInputElement>('edit-title-bankid-se').value).toBe('Idura · Swedish BankID');
    expect(m.get<HTMLInputElement>('edit-issuer-bankid-se').value).toBe('https://desk.idura.broker');

    await m.type('edit-title-bankid-se', 'Kundtjänst · BankID');
    await m.type('edit-issuer-bankid-se', 'https://kundtjanst.idura.broker');
    await m.click('edit-save-bankid-se');

    expect(m.backend.callsTo('edit_profile')[0]!.args).toEqual({
      name: 'bankid-se',
      edit: {
        title: 'Kundtjänst · BankID',
        issuer: 'https://kundtjanst.idura.broker',
        client_id: null,
        description: null,
        auth_method: null,
        key_id: null,
        requested_expiry: null,
        signed_requests: null,
        fapi: null,
        ca_certificates: null,
      },
    });
    expect(m.q('edit-form-bankid-se')).toBeNull();
    expect(text('profiles-status')).toBe(
      'Profile Kundtjänst · BankID saved. The provider address or client ID changed, so the stored secret is not used until it is entered again.',
    );
    expect(text('secret-status-bankid-se')).toBe('Enter secret again');
    expect(text('profile-title-bankid-se')).toBe('Kundtjänst · BankID');
    // Focus goes back to where the agent opened the form.
    expect(document.activeElement).toBe(m.get('edit-bankid-se'));

    await m.click('nav-verify');
    const options = [...m.get<HTMLSelectElement>('profile').options].map((o) => o.textContent);
    expect(options).toContain('Kundtjänst · BankID');
  });

  it('changes nothing when nothing was changed, and Cancel or Esc closes the form with focus on Edit', async () => {
    await openSettings();
    await m.click('edit-mitid');
    await m.click('edit-save-mitid');
    expect(m.backend.callsTo('edit_profile')).toHaveLength(0);
    expect(text('profiles-status')).toBe('Nothing was changed.');
    expect(document.activeElement).toBe(m.get('edit-mitid'));

    await m.click('edit-mitid');
    await m.click('edit-cancel-mitid');
    expect(m.q('edit-form-mitid')).toBeNull();
    expect(document.activeElement).toBe(m.get('edit-mitid'));

    await m.click('edit-mitid');
    await m.press('Escape', m.get('edit-title-mitid'));
    expect(m.q('edit-form-mitid')).toBeNull();
    expect(document.activeElement).toBe(m.get('edit-mitid'));
    expect(m.backend.callsTo('edit_profile')).toHaveLength(0);
  });

  it('shows why an edit was refused next to the form, translated, without placeholders', async () => {
    await openSettings({}, { languages: ['sv-SE'] });
    await m.click('edit-bankid-se');
    await m.type('edit-issuer-bankid-se', 'http://idp.example.com');
    await m.click('edit-save-bankid-se');
    const error = m.get('edit-error-bankid-se');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toBe(
      'Leverantörens adress är inte tillåten: leverantörer måste använda HTTPS (okrypterad HTTP bara på den här datorns loopback-adress).',
    );
    // The form stays open, with what was typed.
    expect(m.get<HTMLInputElement>('edit-issuer-bankid-se').value).toBe('http://idp.example.com');

    await m.type('edit-issuer-bankid-se', 'https://desk.idura.broker');
    await m.type('edit-client-id-bankid-se', '<your-client-id>');
    await m.click('edit-save-bankid-se');
    expect(text('edit-error-bankid-se')).toBe(
      'Profilen bankid-se är inte färdigkonfigurerad: ”Klient-id” innehåller fortfarande ett exempelvärde från mallen. Ange det riktiga värdet under Inställningar, eller fråga din administratör.',
    );
    expect(m.container.textContent).not.toContain('<your-client-id>');
    expect(text('secret-status-bankid-se')).toBe('Hemlighet sparad');
  });

  it('checks the title and the expiry before sending', async () => {
    await openSettings();
    await m.click('edit-mitid');
    await m.type('edit-title-mitid', 'M'.repeat(49));
    await m.click('edit-save-mitid');
    expect(text('edit-error-mitid')).toBe('The title is too long: 49 of at most 48 characters.');
    await m.type('edit-title-mitid', 'MitID');
    await m.type('edit-expiry-mitid', 'two minutes');
    await m.click('edit-save-mitid');
    expect(text('edit-error-mitid')).toBe('Enter the expiry as a whole number of seconds, or leave it empty.');
    expect(m.backend.callsTo('edit_profile')).toHaveLength(0);
  });

  it('sends the authentication method, a key ID only for private_key_jwt, and the expiry; the secret field follows', async () => {
    await openSettings();
    // The form starts from the profile's current settings.
    await m.click('edit-mitid');
    const auth = m.get<HTMLSelectElement>('edit-auth-mitid');
    expect(auth.value).toBe('client_secret_post');
    expect(m.get<HTMLInputElement>('edit-client-id-mitid').value).toBe('ciba-desk');
    expect([...auth.options].map((o) => o.textContent)).toEqual([
      'Client secret (HTTP Basic)',
      'Client secret (in the request body)',
      'Private key (signed JWT)',
      'Client certificate (mutual TLS)',
      'Self-signed client certificate (mutual TLS)',
    ]);
    expect(m.q('edit-key-id-mitid')).toBeNull();
    await m.select('edit-auth-mitid', 'private_key_jwt');
    expect(m.q('edit-key-id-mitid')).not.toBeNull();
    await m.type('edit-key-id-mitid', 'desk-2025');
    await m.type('edit-expiry-mitid', '120');
    await m.type('edit-client-id-mitid', 'desk-client');
    await m.click('edit-save-mitid');
    expect(m.backend.callsTo('edit_profile')[0]!.args.edit).toEqual({
      title: null,
      issuer: null,
      client_id: 'desk-client',
      description: null,
      auth_method: 'private_key_jwt',
      key_id: 'desk-2025',
      requested_expiry: 120,
      signed_requests: null,
      fapi: null,
      ca_certificates: null,
    });
    // Now a private key: the secret field takes a PEM text.
    expect(m.get('secret-input-mitid').tagName).toBe('TEXTAREA');

    // Back to a client secret: no key ID is sent, and the field is a password again.
    await m.click('edit-mitid');
    expect(m.get<HTMLSelectElement>('edit-auth-mitid').value).toBe('private_key_jwt');
    await m.select('edit-auth-mitid', 'client_secret_post');
    expect(m.q('edit-key-id-mitid')).toBeNull();
    await m.click('edit-save-mitid');
    expect(m.backend.callsTo('edit_profile')[1]!.args.edit).toMatchObject({ auth_method: 'client_secret_post', key_id: null });
    expect(m.get<HTMLInputElement>('secret-input-mitid').type).toBe('password');
  });

  it('signs requests, follows the FAPI-CIBA rules and trusts a provider\'s own authority, as asked', async () => {
    await openSettings();
    await m.click('edit-mitid');
    // Signing needs the private key: no such choice for a client secret.
    expect(m.q('edit-signed-mitid')).toBeNull();
    expect(m.q('edit-fapi-mitid')).toBeNull();
    await m.select('edit-auth-mitid', 'private_key_jwt');
    await m.click('edit-signed-mitid');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    await m.type('edit-ca-mitid', `  ${pem}\n`);
    await m.click('edit-save-mitid');
    expect(m.backend.callsTo('edit_profile')[0]!.args.edit).toMatchObject({
      signed_requests: true,
      fapi: null,
      ca_certificates: pem,
    });

    // FAPI includes signing: the box stays ticked and cannot be unticked on its own.
    await m.click('edit-mitid');
    expect(m.get<HTMLInputElement>('edit-signed-mitid').checked).toBe(true);
    expect(m.get<HTMLTextAreaElement>('edit-ca-mitid').value.trim()).toBe(pem);
    await m.click('edit-fapi-mitid');
    expect(m.get<HTMLInputElement>('edit-signed-mitid').disabled).toBe(true);
    await m.type('edit-ca-mitid', '');
    await m.click('edit-save-mitid');
    expect(m.backend.callsTo('edit_profile')[1]!.args.edit).toMatchObject({
      signed_requests: null,
      fapi: true,
      ca_certificates: '',
    });
  });
});

describe('settings: private keys', () => {
  const chooseKeyFile = async (name: string, content: string) => {
    const input = m.get<HTMLInputElement>(`secret-file-${name}`);
    const file = new File([content], 'desk.pem', { type: 'application/x-pem-file' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    await act(() => {
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await flush();
  };

  it('a profile that signs with a private key takes a PEM text or file instead of a client secret', async () => {
    await openSettings();
    const key = m.get<HTMLTextAreaElement>('secret-input-bankid-se');
    expect(key.tagName).toBe('TEXTAREA');
    expect(key.labels?.[0]?.textContent).toBe('Private key (PEM) for Idura · Swedish BankID');
    expect(m.get<HTMLInputElement>('secret-file-bankid-se').type).toBe('file');
    // A client-secret profile keeps its password field.
    expect(m.get<HTMLInputElement>('secret-input-mitid').type).toBe('password');
    expect(m.q('secret-file-mitid')).toBeNull();

    await chooseKeyFile('bankid-se', PEM);
    expect(m.get<HTMLTextAreaElement>('secret-input-bankid-se').value).toBe(PEM);
    expect(document.activeElement).toBe(m.get('secret-input-bankid-se'));
    await m.click('secret-save-bankid-se');
    expect(m.backend.callsTo('set_secret')).toEqual([{ command: 'set_secret', args: { profile: 'bankid-se', secret: '[redacted]', part: 'credential' } }]);
    expect(text('profiles-status')).toBe('Private key saved for Idura · Swedish BankID.');
    expect(m.get<HTMLTextAreaElement>('secret-input-bankid-se').value).toBe('');
    expect(m.container.innerHTML).not.toContain('MIGHAgEAMBMGByqGSM49');
  });

  it('refuses what is not a PEM private key, before sending it', async () => {
    await openSettings({}, { languages: ['da'] });
    await m.type('secret-input-bankid-se', 'just-a-client-secret');
    await m.click('secret-save-bankid-se');
    expect(m.backend.callsTo('set_secret')).toHaveLength(0);
    expect(text('profiles-status')).toContain('Dette er ikke en privat nøgle i PEM-format.');
    expect(m.get('profiles-status').getAttribute('role')).toBe('alert');
  });
});

describe('settings: client certificates (mutual TLS)', () => {
  const CERT = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGU\n-----END CERTIFICATE-----\n';
  const TITLE = 'MitID · pre-production';

  /** The mock's profiles, with mitid authenticating by a client certificate. */
  function withCertificate(patch: Partial<ProfileSummary> = {}): ProfileSummary[] {
    return defaultMockProfiles().map((p) => (p.name === 'mitid' ? { ...p, auth_method: 'tls_client_auth', ...patch } : p));
  }

  const choose = async (testId: string, ...files: File[]) => {
    const input = m.get<HTMLInputElement>(testId);
    Object.defineProperty(input, 'files', { value: files, configurable: true });
    await act(() => {
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await flush();
  };
  const hint = (testId: string) => document.getElementById(m.get(testId).getAttribute('aria-describedby') ?? '')?.textContent;

  it('knows a certificate bundle: a certificate and an unencrypted private key, in either order', () => {
    expect(looksLikeCertificateBundle(CERT + PEM)).toBe(true);
    expect(looksLikeCertificateBundle(`${PEM}\n${CERT}`)).toBe(true);
    expect(looksLikeCertificateBundle(CERT)).toBe(false);
    expect(looksLikeCertificateBundle(PEM)).toBe(false);
    expect(looksLikeCertificateBundle(CERT + PEM.replaceAll('PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'))).toBe(false);
  });

  it('takes the certificate and its key as one PEM bundle, from two files chosen together, and saves it as the credential', async () => {
    await openSettings({ profiles: withCertificate() });
    const field = m.get<HTMLTextAreaElement>('secret-input-mitid');
    expect(field.tagName).toBe('TEXTAREA');
    expect(field.labels?.[0]?.textContent).toBe(`Client certificate and its key (PEM) for ${TITLE}`);
    expect(hint('secret-input-mitid')).toBe(
      'Load the certificate file and the key file together, or paste both; the key never leaves this computer’s keyring.',
    );
    const files = m.get<HTMLInputElement>('secret-file-mitid');
    expect(files.multiple).toBe(true);
    // A private key profile loads one file.
    expect(m.get<HTMLInputElement>('secret-file-bankid-se').multiple).toBe(false);
    // No request-signing key: its requests are not signed.
    expect(m.q('request-key-status-mitid')).toBeNull();
    expect(m.q('request-key-mitid')).toBeNull();

    await choose('secret-file-mitid', new File([CERT], 'desk.crt'), new File([PEM], 'desk.key'));
    expect(m.get<HTMLTextAreaElement>('secret-input-mitid').value).toBe(`${CERT}\n${PEM}`);
    expect(document.activeElement).toBe(m.get('secret-input-mitid'));
    await m.click('secret-save-mitid');
    expect(m.backend.callsTo('set_secret')).toEqual([
      { command: 'set_secret', args: { profile: 'mitid', secret: '[redacted]', part: 'credential' } },
    ]);
    expect(text('profiles-status')).toBe(`Client certificate for ${TITLE} saved in the keyring.`);
    expect(m.get<HTMLTextAreaElement>('secret-input-mitid').value).toBe('');
    expect(document.activeElement).toBe(m.get('secret-input-mitid'));
    expect(text('secret-status-mitid')).toBe('Secret stored');
    expect(m.container.innerHTML).not.toContain('MIGHAgEAMBMGByqGSM49');
  });

  it('refuses a certificate without its private key, before sending it', async () => {
    await openSettings({ profiles: withCertificate({ auth_method: 'self_signed_tls_client_auth' }) }, { languages: ['sv'] });
    await m.type('secret-input-mitid', CERT);
    await m.click('secret-save-mitid');
    expect(m.backend.callsTo('set_secret')).toHaveLength(0);
    expect(text('profiles-status')).toBe(
      'Ange certifikatet tillsammans med dess privata nyckel, båda som PEM-text: läs in certifikatfilen och nyckelfilen tillsammans.',
    );
    expect(m.get('profiles-status').getAttribute('role')).toBe('alert');
  });

  it('a profile that signs its requests stores its request-signing key in a field of its own', async () => {
    await openSettings({
      profiles: withCertificate({ signed_requests: true, secret_status: 'stored', request_key_status: 'missing' }),
    });
    const badge = m.get('request-key-status-mitid');
    expect(badge.textContent).toBe('Signing key missing');
    expect(badge.className).toBe(m.get('secret-status-mitid').className.replace('stored', 'missing'));
    expect(text('secret-status-mitid')).toBe('Secret stored');
    const field = m.get<HTMLTextAreaElement>('request-key-mitid');
    expect(field.labels?.[0]?.textContent).toBe(`Request-signing key (PEM) for ${TITLE}`);
    expect(hint('request-key-mitid')).toContain('The private key that signs each request');
    // Only the profile that needs one has it.
    expect(m.all('request-key-status-bankid-se')).toEqual([]);

    await m.type('request-key-mitid', CERT);
    await m.click('save-request-key-mitid');
    expect(m.backend.callsTo('set_secret')).toHaveLength(0);
    expect(text('profiles-status')).toContain('This is not a private key in PEM form.');

    await choose('request-key-file-mitid', new File([PEM], 'sign.pem'));
    expect(m.get<HTMLTextAreaElement>('request-key-mitid').value).toBe(PEM);
    await m.click('save-request-key-mitid');
    expect(m.backend.callsTo('set_secret')).toEqual([
      { command: 'set_secret', args: { profile: 'mitid', secret: '[redacted]', part: 'request_signing_key' } },
    ]);
    expect(text('profiles-status')).toBe(`Request-signing key saved for ${TITLE}.`);
    expect(m.get<HTMLTextAreaElement>('request-key-mitid').value).toBe('');
    expect(document.activeElement).toBe(m.get('request-key-mitid'));
    expect(text('request-key-status-mitid')).toBe('Signing key stored');
    // The certificate's own field is untouched.
    expect(m.get<HTMLTextAreaElement>('secret-input-mitid').value).toBe('');
  });

  it('offers the key ID, signing and FAPI-CIBA for a client certificate, and sends them as for a private key', async () => {
    await openSettings();
    await m.click('edit-mitid');
    await m.select('edit-auth-mitid', 'tls_client_auth');
    expect(m.q('edit-key-id-mitid')).not.toBeNull();
    expect(m.q('edit-fapi-mitid')).not.toBeNull();
    expect(hint('edit-signed-mitid')).toBe(
      'Sends each request as a token signed with the request-signing key, a key of its own beside the certificate, for providers that require signed requests.',
    );
    expect(hint('edit-key-id-mitid')).toBe('The ID the provider knows the signing key by. Leave it empty to send none.');
    await m.type('edit-key-id-mitid', 'sign-2025');
    await m.click('edit-signed-mitid');
    await m.click('edit-save-mitid');
    expect(m.backend.callsTo('edit_profile')[0]!.args.edit).toEqual({
      title: null,
      issuer: null,
      client_id: null,
      description: null,
      auth_method: 'tls_client_auth',
      key_id: 'sign-2025',
      requested_expiry: null,
      signed_requests: true,
      fapi: null,
      ca_certificates: null,
    });
    // Signed now: the request-signing key is asked for.
    expect(text('profiles-status')).toBe(
      `Profile ${TITLE} saved. Now store the profile’s request-signing key in the list.`,
    );
    expect(text('request-key-status-mitid')).toBe('Signing key missing');
    expect(m.get<HTMLTextAreaElement>('secret-input-mitid').labels?.[0]?.textContent).toBe(`Client certificate and its key (PEM) for ${TITLE}`);

    // The other mutual-TLS method keeps the choices; FAPI-CIBA too.
    await m.click('edit-mitid');
    await m.select('edit-auth-mitid', 'self_signed_tls_client_auth');
    expect(m.get<HTMLInputElement>('edit-signed-mitid').checked).toBe(true);
    await m.click('edit-fapi-mitid');
    await m.click('edit-save-mitid');
    expect(m.backend.callsTo('edit_profile')[1]!.args.edit).toMatchObject({
      auth_method: 'self_signed_tls_client_auth',
      key_id: null,
      signed_requests: null,
      fapi: true,
    });

    // A client secret: no choices, signing and FAPI turned off, and no request-signing key.
    await m.click('edit-mitid');
    await m.select('edit-auth-mitid', 'client_secret_post');
    expect(m.q('edit-key-id-mitid')).toBeNull();
    expect(m.q('edit-signed-mitid')).toBeNull();
    await m.click('edit-save-mitid');
    expect(m.backend.callsTo('edit_profile')[2]!.args.edit).toMatchObject({
      auth_method: 'client_secret_post',
      key_id: null,
      signed_requests: false,
      fapi: false,
    });
    expect(m.q('request-key-status-mitid')).toBeNull();
  });
});

describe('settings: removing, adding, and where focus goes', () => {
  it('asks first with focus on Keep, returns to Remove, and after removing focuses the next profile', async () => {
    await openSettings();
    await m.click('remove-bankid-se');
    expect(document.activeElement).toBe(m.get('remove-no-bankid-se'));
    await m.click('remove-no-bankid-se');
    expect(m.q('remove-yes-bankid-se')).toBeNull();
    expect(document.activeElement).toBe(m.get('remove-bankid-se'));

    await m.click('remove-bankid-se');
    await m.click('remove-yes-bankid-se');
    expect(m.q('profile-item-bankid-se')).toBeNull();
    expect(document.activeElement).toBe(m.get('profile-title-bankid-no'));

    // The last one: the profile before it.
    await m.click('remove-pickup');
    await m.click('remove-yes-pickup');
    expect(document.activeElement).toBe(m.get('profile-title-mitid'));
    expect(document.activeElement).not.toBe(document.body);
  });

  it('adds a profile with a title and any name the real rule allows', async () => {
    await openSettings();
    expect(text('add-name-hint')).toBe(
      'Any text up to 128 characters, with no spaces at the start or end. It names the profile in the profile file and on the command line; agents see its title.',
    );
    await m.select('add-preset', 'idura_frejaid');
    await m.type('add-name', 'Kasse 3 Freja');
    await m.type('add-title', 'Freja · kassa 3');
    await m.type('add-issuer', 'https://kasse3.idura.broker');
    await m.type('add-client-id', 'kasse-3');
    await m.click('add-submit');
    expect(m.backend.callsTo('add_profile')[0]!.args).toMatchObject({ name: 'Kasse 3 Freja', title: 'Freja · kassa 3' });
    expect(text('add-status')).toBe('Profile Kasse 3 Freja added. Now paste its private key (PEM) in the list above.');
    expect(text('profile-title-Kasse 3 Freja')).toBe('Freja · kassa 3');
    expect(document.activeElement).toBe(m.get('profile-title-Kasse 3 Freja'));
    expect(m.get('secret-input-Kasse 3 Freja').tagName).toBe('TEXTAREA');

    // Without a title: the preset's.
    await m.select('add-preset', 'signaturgruppen_mitid_pp_demo');
    await m.type('add-name', 'mitid-demo');
    await m.click('add-submit');
    expect(text('profile-title-mitid-demo')).toBe('Signaturgruppen · MitID (demo)');
  });

  it('states the real naming rule in every language', () => {
    for (const language of LANGUAGES) {
      const hint = translator(language)('add.nameHint');
      expect(hint, language).toContain('128');
      expect(hint, language).not.toMatch(/[a-z]-z|_\./);
    }
  });
});
