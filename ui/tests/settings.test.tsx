import { afterEach, describe, expect, it, vi } from 'vitest';
import { act } from 'preact/test-utils';
import { flush, mount, SE_VALID, startVerification, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => {
  m?.unmount();
  document.documentElement.removeAttribute('data-theme');
});

async function openSettings() {
  m = await mount();
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
    expect(m.get('secret-status-mitid').textContent).toBe('Secret stored');
    expect(m.get('profiles-status').textContent).toContain('Secret saved');
    expect(m.container.innerHTML).not.toContain('s3cr3t-value');
  });

  it('has no secret field for profiles that need none', async () => {
    await openSettings();
    expect(m.q('secret-input-sandbox')).toBeNull();
    expect(m.get('secret-status-sandbox').textContent).toBe('No secret needed');
  });

  it('adds a profile from a preset, asking only for what it needs', async () => {
    await openSettings();
    await m.select('add-preset', 'sandbox');
    expect(m.q('add-issuer')).toBeNull();
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
    });
    expect(m.get('add-status').textContent).toContain('Profile mitid-pp added');
    expect(m.q('profile-item-mitid-pp')).not.toBeNull();
  });

  it('shows the backend sentence when adding fails', async () => {
    await openSettings();
    await m.type('add-name', 'sandbox');
    await m.click('add-submit');
    expect(m.get('add-status').textContent).toContain('already exists');
  });

  it('removes a profile after confirmation', async () => {
    await openSettings();
    await m.click('remove-bankid-se');
    expect(m.backend.callsTo('remove_profile')).toHaveLength(0);
    await m.click('remove-yes-bankid-se');
    expect(m.backend.callsTo('remove_profile')[0]!.args).toEqual({ name: 'bankid-se' });
    expect(m.q('profile-item-bankid-se')).toBeNull();
  });

  it('exports profiles as a TOML file download', async () => {
    await openSettings();
    const created: Blob[] = [];
    const createObjectURL = vi.fn((blob: Blob) => {
      created.push(blob);
      return 'blob:test';
    });
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    const clicks: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    });
    await m.click('export');
    expect(clicks).toEqual(['ciba-desk-profiles.toml']);
    expect(await created[0]!.text()).toContain('[[profile]]');
    expect(m.get('io-status').textContent).toContain('ciba-desk-profiles.toml');
    click.mockRestore();
  });

  it('imports profiles from a chosen file', async () => {
    await openSettings();
    const input = m.get<HTMLInputElement>('import');
    const file = new File(['[[profile]]\nname = "branch-office"\n'], 'profiles.toml', { type: 'text/plain' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    await act(() => {
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await flush();
    expect(m.backend.callsTo('import_profiles')[0]!.args.toml).toContain('branch-office');
    expect(m.get('io-status').textContent).toBe('Imported: branch-office.');
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
