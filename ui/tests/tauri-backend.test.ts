import { beforeEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.fn();
class FakeChannel<T> {
  constructor(public onmessage?: (message: T) => void) {}
}
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args), Channel: FakeChannel }));

const { TauriBackend } = await import('../src/api/backend');

describe('TauriBackend: the command contract', () => {
  beforeEach(() => invoke.mockReset());

  it('names commands in snake_case and passes camelCase arguments', async () => {
    invoke.mockResolvedValue(undefined);
    const backend = new TauriBackend();
    await backend.listProfiles();
    await backend.checkIdentity('sandbox', 'se:19121212-1212');
    await backend.checkBindingMessage('sandbox', 'hi');
    await backend.addProfile({ preset: 'generic', name: 'x', issuer: 'https://i', client_id: 'c' });
    await backend.addProfile({ preset: 'generic', name: 'y', issuer: '', client_id: '', title: 'Kasse · BankID' });
    await backend.editProfile('x', {
      title: '',
      issuer: 'https://j',
      client_id: null,
      description: null,
      auth_method: 'private_key_jwt',
      key_id: 'k1',
      requested_expiry: 0,
      signed_requests: true,
      fapi: null,
      ca_certificates: '',
    });
    await backend.setSecret('x', 'pw');
    await backend.setSecret('x', 'pem', 'request_signing_key');
    await backend.cancelVerification('v1');
    await backend.history({ limit: 50, before: 120, search: 'anna' });
    await backend.auditStatus();
    await backend.importProfiles('toml', 'preview');
    await backend.setPreferences({ last_profile: null, language: 'sv', theme: 'dark', system_language: 'da' });
    await backend.policy();
    await backend.waitCloseRequest(2);
    await backend.waitLink(3);
    await backend.organisation();
    await backend.waitOrganisation(7);
    await backend.setServer('https://desk.example.org');
    await backend.setServer(null);
    await backend.signIn();
    await backend.signOut();
    await backend.quit();
    expect(invoke.mock.calls).toEqual([
      ['list_profiles', undefined],
      ['check_identity', { profile: 'sandbox', input: 'se:19121212-1212' }],
      ['check_binding_message', { profile: 'sandbox', message: 'hi' }],
      ['add_profile', { preset: 'generic', name: 'x', issuer: 'https://i', clientId: 'c', title: null }],
      ['add_profile', { preset: 'generic', name: 'y', issuer: '', clientId: '', title: 'Kasse · BankID' }],
      [
        'edit_profile',
        {
          name: 'x',
          edit: {
            title: '',
            issuer: 'https://j',
            client_id: null,
            description: null,
            auth_method: 'private_key_jwt',
            key_id: 'k1',
            requested_expiry: 0,
            signed_requests: true,
            fapi: null,
            ca_certificates: '',
          },
        },
      ],
      // Without a part: the credential (client secret, private key or certificate bundle).
      ['set_secret', { profile: 'x', secret: 'pw', part: 'credential' }],
      ['set_secret', { profile: 'x', secret: 'pem', part: 'request_signing_key' }],
      ['cancel_verification', { id: 'v1' }],
      ['history', { query: { limit: 50, before: 120, search: 'anna' } }],
      ['audit_status', undefined],
      ['import_profiles', { toml: 'toml', mode: 'preview' }],
      ['set_preferences', { prefs: { last_profile: null, language: 'sv', theme: 'dark', system_language: 'da' } }],
      ['policy', undefined],
      ['wait_close_request', { seen: 2 }],
      ['wait_link', { seen: 3 }],
      ['organisation', undefined],
      ['wait_organisation', { seen: 7 }],
      ['set_server', { url: 'https://desk.example.org' }],
      ['set_server', { url: null }],
      ['sign_in', undefined],
      ['sign_out', undefined],
      ['quit', { confirmed: true }],
    ]);
  });

  it('streams verification events through a Channel passed as onEvent', async () => {
    invoke.mockResolvedValue({ id: 'v7' });
    const events: unknown[] = [];
    const request = { profile: 'sandbox', identity: 'se:1', binding_message: null, call_initiator: null, reference: 'CASE-4711' };
    const result = await new TauriBackend().startVerification(request, (e) => events.push(e));
    expect(result).toEqual({ id: 'v7' });
    const [command, args] = invoke.mock.calls[0]!;
    expect(command).toBe('start_verification');
    expect(args.request).toEqual(request);
    expect(args.onEvent).toBeInstanceOf(FakeChannel);
    args.onEvent.onmessage({ state: 'requesting', id: 'v7' });
    expect(events).toEqual([{ state: 'requesting', id: 'v7' }]);
  });

  it('turns every rejection into {code, message}, keeping field and params', async () => {
    const backend = new TauriBackend();
    invoke.mockRejectedValueOnce({ code: 'expired', message: 'The request expired.' });
    await expect(backend.generateCode()).rejects.toEqual({ code: 'expired', message: 'The request expired.' });
    const detailed = {
      code: 'national_id_check_digit',
      message: 'Swedish personnummer: the check digit does not match',
      field: 'identity',
      params: { country: 'se' },
    };
    invoke.mockRejectedValueOnce(detailed);
    await expect(backend.checkIdentity('sandbox', 'se:1')).rejects.toEqual(detailed);
    invoke.mockRejectedValueOnce('plain text error');
    await expect(backend.generateCode()).rejects.toEqual({ code: 'error', message: 'plain text error' });
  });
});
