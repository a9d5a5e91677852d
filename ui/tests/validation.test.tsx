import { defaultMockProfiles } from '../dev/fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { DK_MOD11_FAILS, mount, NO_VALID, SE_BAD_CHECK, SE_VALID, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

describe('identity validation', () => {
  it('shows the reason for an invalid number from its code, in the agent’s language', async () => {
    m = await mount();
    await m.type('identity-input', SE_BAD_CHECK);
    const error = m.get('identity-error');
    expect(error.dataset.code).toBe('national_id_check_digit');
    expect(error.textContent).toContain(
      'The check digit does not match for an identity number from Sweden, so a digit is probably mistyped',
    );
    expect(m.get('identity-input').getAttribute('aria-invalid')).toBe('true');
    expect(m.q('identity-ok')).toBeNull();
  });

  it('in Swedish too, with the country as a Swedish word', async () => {
    m = await mount({}, { languages: ['sv-SE'] });
    await m.type('identity-input', SE_BAD_CHECK);
    expect(m.get('identity-error').textContent).toContain(
      'Kontrollsiffran stämmer inte för ett identitetsnummer från Sverige',
    );
  });

  it('fills the translated sentence from the parameters, not from the English message', async () => {
    m = await mount({}, { languages: ['nb-NO'] });
    m.backend.checkIdentity = async () => ({
      ok: false,
      kind: null,
      masked: null,
      warnings: [],
      error: {
        code: 'national_id_length',
        message: 'Swedish personnummer has 9 digits, expected 10 or 12',
        field: 'identity',
        params: { country: 'se', expected: '10 or 12', got: 9 },
      },
    });
    await m.type('identity-input', '191212121');
    expect(m.get('identity-error').textContent).toContain('Et identitetsnummer fra Sverige har 10 eller 12 sifre; dette har 9.');
    expect(m.get('identity-error').textContent).not.toContain('personnummer has');
  });

  it('shows the backend’s English sentence (as a sentence) only for a code it does not know', async () => {
    m = await mount({}, { languages: ['da-DK'] });
    m.backend.checkIdentity = async () => ({
      ok: false,
      kind: null,
      masked: null,
      warnings: [],
      error: { code: 'protected_identity', message: 'this number belongs to a protected identity; ask a supervisor' },
    });
    await m.type('identity-input', SE_VALID);
    expect(m.get('identity-error').textContent).toContain(
      'This number belongs to a protected identity; ask a supervisor.',
    );
  });

  it('names the countries a profile accepts, in words', async () => {
    m = await mount();
    await m.select('profile', 'bankid-se');
    await m.type('identity-input', `no:${NO_VALID}`);
    expect(m.get('identity-error').dataset.code).toBe('country_not_allowed');
    expect(m.get('identity-error').textContent).toContain(
      'This profile accepts identity numbers from Sweden only, not from Norway.',
    );
  });

  it('sends national IDs tagged with the chosen country', async () => {
    m = await mount();
    await m.select('country', 'dk');
    await m.type('identity-input', DK_MOD11_FAILS);
    const calls = m.backend.callsTo('check_identity');
    expect(calls.at(-1)!.args).toEqual({ profile: 'sandbox', input: `dk:${DK_MOD11_FAILS}` });
  });

  it('recognises an e-mail address whatever country is selected', async () => {
    m = await mount();
    expect(m.get<HTMLSelectElement>('country').value).toBe('se');
    await m.type('identity-input', 'anna@example.com');
    expect(m.backend.callsTo('check_identity').at(-1)!.args.input).toBe('anna@example.com');
    expect(m.get('identity-ok').textContent).toBe('Valid: a****@example.com');
  });

  it('says when a number is valid for another country, and switches on request', async () => {
    m = await mount();
    await m.type('identity-input', NO_VALID);
    expect(m.get('identity-error')).toBeTruthy();
    expect(m.get('country-suggestion').textContent).toContain('This is a valid number for Norway.');
    await m.click('country-switch');
    expect(m.get<HTMLSelectElement>('country').value).toBe('no');
    expect(m.get('identity-ok')).toBeTruthy();
    expect(m.q('country-suggestion')).toBeNull();
    expect(document.activeElement).toBe(m.get('identity-input'));
  });

  it('lets a typed se:/no:/dk: prefix choose the country', async () => {
    m = await mount();
    await m.type('identity-input', `no:${NO_VALID}`);
    expect(m.get<HTMLSelectElement>('country').value).toBe('no');
    expect(m.backend.callsTo('check_identity').at(-1)!.args.input).toBe(`no:${NO_VALID}`);
    expect(m.get('identity-ok').textContent).toBe('Valid fødselsnummer: 150585-XXXXX');
  });

  it('shows a valid number with its kind, translated from its code, and its masked form', async () => {
    m = await mount();
    await m.type('identity-input', SE_VALID);
    expect(m.get('identity-ok').textContent).toBe('Valid personnummer: 19121212-XXXX');
    expect(m.get('identity-input').getAttribute('aria-invalid')).toBe('false');
    await m.select('country', 'dk');
    await m.type('identity-input', DK_MOD11_FAILS);
    expect(m.get('identity-ok').textContent).toBe('Valid CPR number: 010190-XXXX');
  });

  it('names the kind in the agent’s language', async () => {
    m = await mount({}, { languages: ['sv-SE'] });
    await m.type('identity-input', '19121272-1212');
    expect(m.get('identity-ok').textContent).toBe('Giltigt samordningsnummer: 19121272-XXXX');
  });

  it('shows a valid identifier without a kind as plainly valid (the backend names kinds of numbers only)', async () => {
    m = await mount();
    m.backend.checkIdentity = async () => ({ ok: true, kind: null, masked: 'a***@example.com', warnings: [], error: null });
    await m.type('identity-input', 'anna@example.com');
    expect(m.get('identity-ok').textContent).toBe('Valid: a***@example.com');
  });

  it('renders the Danish modulus-11 warning as a warning, not an error, from its code', async () => {
    m = await mount();
    await m.select('country', 'dk');
    await m.type('identity-input', DK_MOD11_FAILS);
    const warning = m.get('identity-warning');
    expect(warning.classList.contains('message--warning')).toBe(true);
    expect(warning.dataset.code).toBe('cpr_modulus11_failed');
    expect(warning.textContent).toContain('This CPR number fails the old modulus-11 check.');
    expect(m.q('identity-error')).toBeNull();
    expect(m.q('identity-ok')).not.toBeNull();
    expect(m.get('identity-input').getAttribute('aria-invalid')).toBe('false');
  });

  it('translates the warning, and falls back to its English sentence for an unknown code', async () => {
    m = await mount({}, { languages: ['da'] });
    await m.select('country', 'dk');
    await m.type('identity-input', DK_MOD11_FAILS);
    expect(m.get('identity-warning').textContent).toContain('CPR-nummeret består ikke det gamle modulus 11-tjek.');

    m.backend.checkIdentity = async () => ({
      ok: true,
      kind: 'cpr',
      masked: '010190-XXXX',
      warnings: [{ code: 'cpr_series_new', message: 'this number is from a series issued this year' }],
      error: null,
    });
    await m.type('identity-input', '010190-2001');
    expect(m.get('identity-warning').textContent).toContain('This number is from a series issued this year.');
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
    expect(m.get('form-error').textContent).toContain('The check digit does not match');
    expect(document.activeElement).toBe(m.get('identity-input'));
  });

  it('does not start without a number: the backend’s reason names the country', async () => {
    m = await mount();
    await m.press('Enter', m.get('identity-input'));
    expect(m.backend.callsTo('start_verification')).toHaveLength(0);
    expect(m.get('form-error').textContent).toBe("Enter the customer's identity number for Sweden.");
    expect(m.get('announcer-polite').textContent).toBe("Enter the customer's identity number for Sweden.");
  });

  it('re-translates a shown error when the language changes', async () => {
    m = await mount();
    await m.type('identity-input', SE_BAD_CHECK);
    await m.press('Enter', m.get('identity-input'));
    expect(m.get('form-error').textContent).toContain('The check digit does not match');
    await m.click('nav-settings');
    await m.select('language', 'nb');
    await m.click('nav-verify');
    expect(m.get('form-error').textContent).toContain('Kontrollsifferet stemmer ikke for et identitetsnummer fra Sverige');
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

describe('profiles in the form', () => {
  it('lists profiles by their short title, never translated, with the description of the chosen one', async () => {
    m = await mount({}, { languages: ['sv-SE'] });
    const select = m.get<HTMLSelectElement>('profile');
    expect([...select.options].map((o) => o.textContent)).toEqual([
      'Sandbox · training',
      'Idura · Swedish BankID',
      'Idura · Norwegian BankID',
      'MitID · pre-production',
      'Authway · in-store pickup',
    ]);
    // Chosen by name: the title is what agents read, the name what is sent.
    expect([...select.options].map((o) => o.value)).toEqual(['sandbox', 'bankid-se', 'bankid-no', 'mitid', 'pickup']);
    // The long description is never the profile's name.
    expect(select.textContent).not.toContain('Swedish BankID phone authentication');
    // The sandbox gets a translated note instead of a description.
    expect(m.get('sandbox-note').textContent).toContain('Sandlåda: endast för övning');
    expect(m.q('profile-description')).toBeNull();

    await m.select('profile', 'bankid-se');
    expect(m.get('profile-description').textContent).toBe(
      'Telefonidentifiering med svenskt BankID. Ange vem som ringde: kundens app ställer frågor utifrån det.',
    );
    // A description the administrator wrote has no preset: it is shown as written.
    await m.select('profile', 'mitid');
    expect(m.get('profile-description').textContent).toBe('MitID (Signaturgruppen, pre-production)');
  });
});

describe('binding message', () => {
  it('counts characters live against the profile maximum', async () => {
    m = await mount();
    expect(m.get('binding-counter').textContent).toBe('0/64');
    await m.type('binding-message', 'Kasse 3, Åsa');
    expect(m.get('binding-counter').textContent).toBe('12/64');
  });

  it('marks a message that is too long and says by how much', async () => {
    m = await mount();
    await m.type('binding-message', 'x'.repeat(70));
    expect(m.get('binding-counter').classList.contains('counter--over')).toBe(true);
    expect(m.get('binding-error').dataset.code).toBe('binding_message_too_long');
    expect(m.get('binding-error').textContent).toBe('The binding message is too long: 70 of at most 64 characters. Shorten it.');
  });

  it('names an invisible character by its code point, and what is allowed', async () => {
    m = await mount({}, { languages: ['sv-SE'] });
    await m.type('binding-message', 'Kasse\u200b3');
    expect(m.get('binding-error').textContent).toBe(
      'Tecknet ”U+200B” är inte tillåtet i det bindande meddelandet. Tillåtet är bara synliga tecken (inga styrtecken eller osynliga formateringstecken).',
    );
  });

  it('is disabled with the explanation where the provider forbids it, by the reason’s code', async () => {
    m = await mount();
    await m.select('profile', 'bankid-no');
    expect(m.get<HTMLInputElement>('binding-message').disabled).toBe(true);
    expect(m.get('binding-forbidden').textContent).toBe(
      'This provider shows its own word pair instead. Leave the message empty and read the word pair on screen to the caller.',
    );
    expect(m.q('generate-code')).toBeNull();
  });

  it('says at once when the sandbox port is held by another program', async () => {
    const [sandbox, ...rest] = defaultMockProfiles();
    m = await mount(
      {
        profiles: [
          {
            ...sandbox!,
            problem: { code: 'not_the_sandbox', message: 'port 7878 is not the sandbox', params: { port: '7878' } },
          },
          ...rest,
        ],
      },
      { languages: ['sv-SE'] },
    );
    expect(m.get('profile-problem').textContent).toBe(
      'Port 7878 på den här datorn används av ett annat program, inte CIBA Desks sandlåda, så ingenting skickas dit. Stäng det programmet eller flytta sandlådan till en ledig port och börja om.',
    );
    await m.select('profile', rest[0]!.name);
    expect(m.q('profile-problem')).toBeNull();
  });

  it('translates the forbidden reason, and falls back to the English one for an unknown code', async () => {
    const forbidden = (code: string | null) =>
      mount(
        {
          profiles: [
            {
              name: 'bankid-no',
              provider: 'idura_verify',
              title: 'Idura · Norwegian BankID',
              display_name: 'Norwegian BankID',
              preset: null,
              issuer: 'https://desk.idura.broker',
              is_sandbox: false,
              identity_kind: 'national_id',
              countries: ['no'],
              binding_message: {
                max_chars: 0,
                requirement: 'forbidden',
                forbidden_reason: 'this provider shows a word pair instead',
                forbidden_code: code,
                generate_when_empty: false,
              },
              call_initiator: false,
              pickup: false,
              secret_status: 'stored',
              request_key_status: 'not_needed',
              managed: false,
              problem: null,
              client_id: 'desk',
              auth_method: 'private_key_jwt',
              key_id: null,
              requested_expiry: null,
              signed_requests: false,
              fapi: false,
              ca_certificates: null,
            },
          ],
        },
        { languages: ['nb-NO'] },
      );
    m = await forbidden('word_pair');
    expect(m.get('binding-forbidden').textContent).toBe(
      'Denne leverandøren viser sitt eget ordpar i stedet. La meldingen stå tom, og les opp ordparet på skjermen for den som ringer.',
    );
    m.unmount();
    m = await forbidden('something_new');
    expect(m.get('binding-forbidden').textContent).toBe('This provider shows a word pair instead.');
    m.unmount();
    m = await forbidden(null);
    expect(m.get('binding-forbidden').textContent).toBe('This provider shows a word pair instead.');
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
    expect(m.get('form-error').textContent).toBe('This provider requires a binding message. Type a short text or generate a code.');
    expect(document.activeElement).toBe(m.get('binding-message'));
  });

  it('a check that rejects is shown under the form, with focus on the field it names', async () => {
    m = await mount();
    m.backend.checkBindingMessage = async () => {
      throw {
        code: 'binding_message_character',
        message: "character '\\u{202e}' is not allowed in the binding message",
        field: 'binding_message',
        params: { character: '\\u{202e}', charset: 'ascii_alnum_space' },
      };
    };
    await m.type('identity-input', SE_VALID);
    await m.type('binding-message', 'Kasse 3');
    await m.press('Enter', m.get('identity-input'));
    expect(m.backend.callsTo('start_verification')).toHaveLength(0);
    expect(m.get('form-error').textContent).toBe(
      'The character “U+202E” is not allowed in the binding message. Allowed are A–Z, a–z, 0–9 and spaces.',
    );
    expect(document.activeElement).toBe(m.get('binding-message'));
  });

  it('a start the backend rejects is a failed card with the translated reason', async () => {
    m = await mount();
    m.backend.startVerification = async () => {
      throw { code: 'invalid_binding_message', message: 'the provider refused the binding message', field: 'binding_message' };
    };
    await m.type('identity-input', SE_VALID);
    await m.type('binding-message', '4821');
    await m.press('Enter', m.get('identity-input'));
    expect(m.get('result').dataset.outcome).toBe('failed');
    expect(m.get('result-message').textContent).toBe(
      'The provider refused the binding message. Shorten it or remove special characters.',
    );
    expect(m.get('error-code').textContent).toBe('Error code: invalid_binding_message');
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
    await m.type('identity-input', NO_VALID);
    await m.press('Enter', m.get('identity-input'));
    const request = m.backend.callsTo('start_verification')[0]!.args.request as { call_initiator: unknown };
    expect(request.call_initiator).toBeNull();
  });
});
