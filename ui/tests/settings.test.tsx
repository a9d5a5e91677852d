import { afterEach, describe, expect, it } from 'vitest';
import { act } from 'preact/test-utils';
import { defaultMockProfiles } from '../dev/fixtures';
import { flush, mount, SE_VALID, startVerification, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => {
  m?.unmount();
  document.documentElement.removeAttribute('data-theme');
});

async function openSettings(...args: Parameters<typeof mount>) {
  m = await mount(...args);
  await m.click('nav-settings');
  expect(m.q('settings')).not.toBeNull();
}

describe('settings', () => {
  it('saves a secret write-only: the field clears and the status says stored', async () => {
    await openSettings();
    expect(m.get('secret-status-mitid').textContent).toBe('Secret missing');
    const input = m.get<HTMLInputElement>('secret-input-mitid');
    expect(input.type).toBe('password');
    await m.type('secret-input-mitid', 's3cr3t-value');
    await m.click('secret-save-mitid');
    expect(m.backend.callsTo('set_secret')).toHaveLength(1);
    expect(m.get<HTMLInputElement>('secret-input-mitid').value).toBe('');
    expect(document.activeElement).toBe(m.get('secret-input-mitid'));
    expect(m.get('secret-status-mitid').textContent).toBe('Secret stored');
    expect(m.get('profiles-status').textContent).toBe('Secret saved for MitID · pre-production.');
    expect(m.container.innerHTML).not.toContain('s3cr3t-value');
  });

  it('shows why a secret was not saved, in the agent’s language', async () => {
    await openSettings({}, { languages: ['da'] });
    await m.type('secret-input-mitid', '   ');
    await m.click('secret-save-mitid');
    expect(m.get('profiles-status').textContent).toBe('Hemmeligheden er tom. Indsæt klienthemmeligheden fra udbyderen.');
    expect(m.get('profiles-status').getAttribute('role')).toBe('alert');
  });

  it('lists each profile by its title, with its name (never translated) and its description in the agent’s language', async () => {
    await openSettings({}, { languages: ['sv-SE'] });
    const sandbox = m.get('profile-item-sandbox');
    expect(sandbox.querySelector('.profile-meta')!.textContent).toBe('sandbox · Sandlåda · http://127.0.0.1:7878');
    expect(m.get('profile-description-sandbox').textContent).toContain(
      'Övningsleverantör på den här datorn. Resultaten är inga verkliga identiteter.',
    );
    expect(m.get('profile-item-bankid-se').querySelector('.profile-meta')!.textContent).toBe(
      'bankid-se · Idura Verify · https://desk.idura.broker',
    );
    // Written by the administrator (no preset): as it is.
    expect(m.get('profile-description-mitid').textContent).toBe('MitID (Signaturgruppen, pre-production)');
    expect(m.get('profile-title-sandbox').textContent).toBe('Sandbox · trainingSandlåda');
    expect(m.get('profile-title-bankid-se').textContent).toBe('Idura · Swedish BankID');
    expect(m.get('remove-mitid').getAttribute('aria-label')).toBe('Ta bort MitID · pre-production');
    expect(m.get('edit-mitid').getAttribute('aria-label')).toBe('Redigera MitID · pre-production');
    expect(m.get<HTMLInputElement>('secret-input-mitid').labels?.[0]?.textContent).toBe('Klienthemlighet för MitID · pre-production');
  });

  it('without a keyring, says so and offers no secret field', async () => {
    const profiles = defaultMockProfiles().map((p) => (p.name === 'mitid' ? { ...p, secret_status: 'no_keyring' as const } : p));
    await openSettings({ profiles });
    expect(m.get('secret-status-mitid').textContent).toBe('No keyring');
    expect(m.get('no-keyring-mitid').textContent).toBe(
      'No system keyring is available, so secrets cannot be stored on this computer.',
    );
    expect(m.q('secret-input-mitid')).toBeNull();
    await m.click('nav-verify');
    await m.select('profile', 'mitid');
    expect(m.get('no-keyring').textContent).toBe('No system keyring is available, so secrets cannot be stored on this computer.');
    expect(m.q('secret-missing')).toBeNull();
  });

  it('has no secret field for profiles that need none', async () => {
    await openSettings();
    expect(m.q('secret-input-sandbox')).toBeNull();
    expect(m.get('secret-status-sandbox').textContent).toBe('No secret needed');
  });

  it('lists presets by their translated title, with a description', async () => {
    await openSettings({}, { languages: ['sv-SE'] });
    const titles = [...m.get<HTMLSelectElement>('add-preset').options].map((o) => o.textContent);
    expect(titles).toContain('Idura Verify: svenskt BankID');
    expect(titles).toContain('Authway: upphämtning i butik');
    expect(titles).toContain('Signicat MobileID');
    await m.select('add-preset', 'authway_pickup');
    expect(m.get('add-preset-description').textContent).toBe(
      'Visa QR-koden för kunden (eller skicka länken); kunden godkänner eller nekar i telefonen. Stäm av resultatet mot ordern.',
    );
  });

  it('shows a preset the page does not know by the English title from the backend', async () => {
    await openSettings(
      { presets: [{ id: 'freja_org', display_name: 'Freja eID Org', provider: 'generic', needs: ['issuer'] }] },
      { languages: ['nb-NO'] },
    );
    expect([...m.get<HTMLSelectElement>('add-preset').options].map((o) => o.textContent)).toEqual(['Freja eID Org']);
    expect(m.q('add-preset-description')).toBeNull();
  });

  it('adds a profile from a preset, asking only for what it needs', async () => {
    await openSettings();
    await m.select('add-preset', 'signaturgruppen_mitid_pp_demo');
    expect(m.q('add-issuer')).toBeNull();
    expect(m.q('add-client-id')).toBeNull();
    await m.select('add-preset', 'signaturgruppen_mitid');
    await m.type('add-name', 'mitid-pp');
    await m.type('add-issuer', 'https://pp.netseidbroker.dk/op');
    await m.type('add-client-id', 'client-1');
    await m.click('add-submit');
    expect(m.backend.callsTo('add_profile')[0]!.args).toEqual({
      preset: 'signaturgruppen_mitid',
      name: 'mitid-pp',
      issuer: 'https://pp.netseidbroker.dk/op',
      client_id: 'client-1',
      title: '',
    });
    expect(m.get('add-status').textContent).toContain('Profile mitid-pp added');
    expect(m.q('profile-item-mitid-pp')).not.toBeNull();
  });

  it('says why adding failed, from the error code', async () => {
    await openSettings();
    await m.type('add-name', 'bankid-se');
    await m.click('add-submit');
    expect(m.get('add-status').textContent).toBe('A profile named bankid-se already exists. Choose another name.');
    await m.type('add-name', 'sandbox');
    await m.click('add-submit');
    expect(m.get('add-status').textContent).toContain('The built-in profile “sandbox” cannot be changed or removed');
  });

  it('the reason follows a change of language', async () => {
    await openSettings();
    await m.type('add-name', 'bankid-se');
    await m.click('add-submit');
    await m.select('language', 'sv');
    expect(m.get('add-status').textContent).toBe('Det finns redan en profil som heter bankid-se. Välj ett annat namn.');
  });

  it('the built-in sandbox has no Remove and no Edit button', async () => {
    await openSettings();
    expect(m.q('profile-item-sandbox')).not.toBeNull();
    expect(m.q('remove-sandbox')).toBeNull();
    expect(m.q('edit-sandbox')).toBeNull();
    // A profile of the administrator's that is a sandbox too (a provider's test system) has both.
    expect(m.q('remove-pickup')).not.toBeNull();
    expect(m.q('edit-pickup')).not.toBeNull();
  });

  it('removes a profile after confirmation', async () => {
    await openSettings();
    await m.click('remove-bankid-se');
    expect(m.backend.callsTo('remove_profile')).toHaveLength(0);
    await m.click('remove-yes-bankid-se');
    expect(m.backend.callsTo('remove_profile')[0]!.args).toEqual({ name: 'bankid-se' });
    expect(m.q('profile-item-bankid-se')).toBeNull();
    expect(m.get('profiles-status').textContent).toBe('Profile Idura · Swedish BankID removed.');
  });

  it('exports profiles where the agent chooses in the save dialog and says where', async () => {
    await openSettings();
    await m.click('export');
    expect(m.backend.callsTo('export_profiles')[0]!.args).toEqual({ title: 'Export profiles' });
    expect(m.backend.exported).toContain('[[profile]]');
    expect(m.get('io-status').textContent).toBe('Profiles saved to /home/agent/ciba-desk-profiles.toml.');
    expect(document.activeElement).toBe(m.get('export'));
  });

  it('says nothing and writes nothing when the agent cancels the save dialog', async () => {
    await openSettings({ exportTo: null });
    await m.click('export');
    expect(m.backend.callsTo('export_profiles')).toHaveLength(1);
    expect(m.backend.exported).toBeNull();
    expect(m.get('io-status').textContent).toBe('');
    expect(document.activeElement).toBe(m.get('export'));
  });

  const chooseFile = async (text: string) => {
    const input = m.get<HTMLInputElement>('import');
    const file = new File([text], 'profiles.toml', { type: 'text/plain' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    await act(() => {
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await flush();
  };

  it('imports new profiles from a chosen file without asking', async () => {
    await openSettings();
    await chooseFile('[[profile]]\nname = "branch-office"\n');
    const modes = m.backend.callsTo('import_profiles').map((c) => c.args.mode);
    expect(modes).toEqual(['preview', 'replace']);
    expect(m.backend.callsTo('import_profiles')[0]!.args.toml).toContain('branch-office');
    expect(m.get('io-status').textContent).toBe('Imported: branch-office.');
    expect(m.q('import-review')).toBeNull();
  });

  it('shows what an import would change and asks before replacing', async () => {
    await openSettings();
    const file = '[[profiles]]\nname = "bankid-se"\nissuer = "https://elsewhere.example"\n[[profiles]]\nname = "new-one"\n';
    await chooseFile(file);
    expect(m.backend.callsTo('import_profiles').map((c) => c.args.mode)).toEqual(['preview']);
    const change = m.get('import-change-bankid-se').textContent!;
    expect(change).toContain('https://desk.idura.broker');
    expect(change).toContain('https://elsewhere.example');
    expect(m.get('import-secret-bankid-se').textContent).toContain('not sent there until it is entered again');
    expect(m.get('import-review-added').textContent).toBe('New profiles: new-one.');
    expect(document.activeElement).toBe(m.get('import-replace'));

    // Cancel: nothing changes, focus stays in the section.
    await m.click('import-cancel');
    expect(m.q('import-review')).toBeNull();
    expect(m.get('io-status').textContent).toBe('Nothing was imported.');
    expect(document.activeElement).toBe(m.get('import'));
    expect(m.backend.callsTo('import_profiles')).toHaveLength(1);

    // Only the new ones: the existing profile stays.
    await chooseFile(file);
    await m.click('import-keep');
    await flush();
    expect(m.backend.callsTo('import_profiles').at(-1)!.args.mode).toBe('keep_existing');
    expect(m.get('io-status').textContent).toBe('Imported: new-one. Kept yours as they are: bankid-se.');

    // Replace: the secret must be entered again.
    await chooseFile(file);
    await m.click('import-replace');
    await flush();
    expect(m.backend.callsTo('import_profiles').at(-1)!.args.mode).toBe('replace');
    expect(m.get('io-status').textContent).toContain('Enter the secret again for bankid-se');
    expect(m.get('secret-status-bankid-se').textContent).toBe('Enter secret again');
    expect(document.activeElement).toBe(m.get('import'));
  });

  it('says when an imported file is not valid', async () => {
    await openSettings({}, { languages: ['nb'] });
    await chooseFile('just text');
    expect(m.get('io-status').textContent).toBe('Profilfilen er ikke gyldig. Ingenting ble importert.');
  });

  it('switches language and theme, and remembers them', async () => {
    await openSettings();
    await m.select('language', 'sv');
    expect(m.get('nav-settings').textContent).toBe('Inställningar');
    expect(document.documentElement.lang).toBe('sv');
    await m.click('theme-dark');
    expect(document.documentElement.dataset.theme).toBe('dark');
    const saved = m.backend.callsTo('set_preferences').at(-1)!.args.prefs;
    expect(saved).toMatchObject({ language: 'sv', theme: 'dark' });
  });
});

describe('preferences at start-up', () => {
  it('uses the saved language and the last profile', async () => {
    m = await mount({ preferences: { language: 'da', last_profile: 'bankid-no', theme: 'light' } });
    expect(m.get('nav-verify').textContent).toBe('Kontrollér');
    expect(m.get<HTMLSelectElement>('profile').value).toBe('bankid-no');
    expect(document.documentElement.dataset.theme).toBe('light');
  });

  it('follows the operating system’s language, as the backend reports it, when none is chosen', async () => {
    m = await mount({ preferences: { system_language: 'da' } }, { languages: ['en-GB'] });
    expect(m.get('nav-verify').textContent).toBe('Kontrollér');
    await m.click('nav-settings');
    expect(m.get<HTMLSelectElement>('language').options[0]!.textContent).toBe('Automatisk (Dansk)');
    await m.select('language', 'sv');
    expect(m.get('nav-settings').textContent).toBe('Inställningar');
    expect(m.backend.callsTo('set_preferences').at(-1)!.args.prefs).toMatchObject({ language: 'sv', system_language: 'da' });
  });

  it('follows the browser language when none is saved', async () => {
    m = await mount({}, { languages: ['nb-NO'] });
    expect(m.get('start').textContent).toContain('Start kontrollen');
  });

  it('remembers the profile used', async () => {
    m = await mount();
    await startVerification(m, { profile: 'bankid-se', identity: SE_VALID });
    expect(m.backend.callsTo('set_preferences').at(-1)!.args.prefs).toMatchObject({ last_profile: 'bankid-se' });
  });
});
