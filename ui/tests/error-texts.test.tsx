// What the agent reads when something fails: never a preset's placeholder (`<your-client-id>`)
// nor a bare protocol code in a sentence; a code without words goes on a muted line of its own.

import { afterEach, describe, expect, it } from 'vitest';
import { mockHistoryEntry } from '../dev/mock-backend';
import { mount, SE_VALID, startVerification, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

const PLACEHOLDER = /<[^<>]*>/;

describe('error texts on screen', () => {
  it('a refusal with a code the page has no words for: a general sentence, the code on its own line', async () => {
    m = await mount({}, { languages: ['sv-SE'] });
    const id = await startVerification(m);
    await m.emit({
      state: 'denied',
      id,
      error: { code: 'consent_required', message: 'the provider answered consent_required' },
    });
    expect(m.get('result-message').textContent).toBe(
      'Något gick fel. Om det händer igen, kontakta din administratör och uppge felkoden.',
    );
    expect(m.get('result-message').textContent).not.toContain('consent_required');
    expect(m.get('error-code').textContent).toBe('Felkod: consent_required');
    expect(m.get('error-code').classList.contains('muted')).toBe(true);
  });

  it('a profile still holding a preset placeholder says which setting, without the placeholder', async () => {
    m = await mount();
    m.backend.startVerification = async () => {
      throw {
        code: 'profile_placeholder',
        message: 'profile "bankid-se": replace <your-client-id> in the client id with your own value',
        params: { profile: 'bankid-se', field: 'client id', placeholder: '<your-client-id>' },
      };
    };
    await m.select('profile', 'bankid-se');
    await m.type('identity-input', SE_VALID);
    await m.type('binding-message', '4821');
    await m.press('Enter', m.get('identity-input'));
    expect(m.get('result').dataset.outcome).toBe('failed');
    expect(m.get('result-message').textContent).toBe(
      'Profile bankid-se is not set up yet: “Client ID” still holds an example value from the preset. Enter the real value under Settings, or ask your administrator.',
    );
    expect(m.container.textContent).not.toMatch(PLACEHOLDER);
  });

  it('Settings shows an untranslated error with a placeholder as a general sentence and its code', async () => {
    m = await mount({}, { languages: ['nb-NO'] });
    m.backend.editProfile = async () => {
      throw { code: 'endpoint_placeholder', message: 'replace <your-tenant> in the token endpoint' };
    };
    await m.click('nav-settings');
    await m.click('edit-bankid-se');
    await m.type('edit-title-bankid-se', 'BankID');
    await m.click('edit-save-bankid-se');
    const error = m.get('edit-error-bankid-se');
    expect(error.textContent).not.toMatch(PLACEHOLDER);
    expect(error.textContent).toContain('Noe gikk galt. Hvis det skjer igjen, si fra til administratoren din og oppgi feilkoden.');
    expect(m.get('code-line').textContent).toBe('Feilkode: endpoint_placeholder');
  });

  it('History: an earlier run’s refusal with an unknown code shows the code apart, not as the message', async () => {
    m = await mount({ history: [mockHistoryEntry({ seq: 9, outcome: 'denied', error_code: 'login_required' })] });
    await m.click('nav-history');
    await m.click('history-row-1');
    expect(m.q('result-message')).toBeNull();
    expect(m.get('error-code').textContent).toBe('Error code: login_required');
  });

  it('a history that cannot be read, with an unknown code: the code apart', async () => {
    m = await mount();
    m.backend.history = async () => {
      throw { code: 'audit_schema', message: 'the audit_records table has no column request_seq' };
    };
    await m.click('nav-history');
    const error = m.get('history-error');
    expect(error.textContent).toContain(
      'The history could not be loaded: Something went wrong. If it happens again, tell your administrator and give them the error code.',
    );
    expect(error.textContent).not.toContain('audit_records');
    expect(m.get('code-line').textContent).toBe('Error code: audit_schema');
  });
});
