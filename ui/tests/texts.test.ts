import { describe, expect, it } from 'vitest';
import type { AuditStatus, BackendError, ProfileSummary, VerifiedIdentity } from '../src/api/types';
import { LANGUAGES, translator } from '../src/i18n';
import {
  auditProblem,
  codeText,
  errorText,
  errorWords,
  kindText,
  methodLabel,
  presetTitle,
  profileDescription,
  warningText,
} from '../src/i18n/texts';
import { defaultMockProfiles } from '../dev/fixtures';
import { CONTRACT_ERROR_CODES, CONTRACT_PARAMS } from './contract';

const en = translator('en');
const sv = translator('sv');
const nb = translator('nb');
const da = translator('da');
const error = (code: string, params?: BackendError['params'], message = 'the English fallback'): BackendError => ({
  code,
  message,
  params,
});

/** A value of the kind the backend sends for each parameter name. */
const SAMPLE: Record<string, string | number> = {
  country: 'dk',
  expected: '10 or 12',
  got: 9,
  character: 'x',
  position: 3,
  date: '1912-13-32',
  year_digits: '54',
  chars: 70,
  max: 64,
  charset: 'latin',
  what: 'email',
  given: 'email',
  accepted: 'national_id,user_id',
  problem: 'spaces',
  allowed: 'se,no',
  candidates: 'se,dk',
  example: 'se:NUMBER / dk:NUMBER',
  profile: 'bankid-se',
  field: 'issuer',
  placeholder: '<your-domain>',
  key: 'profile.client_secret',
  preset: 'foo',
  path: '/etc/ciba-desk/policy.toml',
  server: 'https://desk.example.org',
  minutes: 5,
};

describe('errors in the agent’s language', () => {
  for (const language of LANGUAGES) {
    it(`${language}: every error code of the contract becomes a full sentence from its parameters`, () => {
      const t = translator(language);
      for (const code of CONTRACT_ERROR_CODES) {
        const params = Object.fromEntries((CONTRACT_PARAMS[code] ?? []).map((p) => [p, SAMPLE[p]!]));
        const text = errorText(t, error(code, params));
        expect(text, code).not.toBe('The English fallback.');
        expect(text, code).not.toMatch(/[{}]/);
        expect(text, code).toMatch(/[.!?]$/);
      }
    });
  }

  it('names countries, lists of countries and input kinds in words', () => {
    expect(errorText(sv, error('country_not_allowed', { country: 'dk', allowed: 'se,no' }))).toBe(
      'Den här profilen tar bara emot identitetsnummer från Sverige och Norge, inte från Danmark.',
    );
    expect(errorText(en, error('input_kind_not_accepted', { given: 'email', accepted: 'national_id,user_id' }))).toBe(
      'This profile identifies customers by national identity number or user ID, not by e-mail address.',
    );
    expect(errorText(da, error('empty_input', { what: 'email' }))).toBe('Indtast kundens e-mailadresse.');
  });

  it('writes the example of an ambiguous number in the agent’s language', () => {
    expect(errorText(sv, error('ambiguous_country', { candidates: 'se,dk', example: 'se:NUMBER / dk:NUMBER' }))).toBe(
      'Numret är giltigt i mer än ett land (Sverige eller Danmark). Skriv det som se:NUMMER eller dk:NUMMER för att ange vilket.',
    );
  });

  it('translates "10 or 12" digits', () => {
    expect(errorText(da, error('national_id_length', { country: 'se', expected: '10 or 12', got: 9 }))).toBe(
      'Et identitetsnummer fra Sverige har 10 eller 12 cifre; dette har 9.',
    );
  });

  it('shows invisible characters by code point, visible ones as they are', () => {
    const text = (character: string) =>
      errorText(en, error('binding_message_character', { character, charset: 'printable' }));
    expect(text('\\u{202e}')).toContain('“U+202E”');
    expect(text('\u200b')).toContain('“U+200B”');
    expect(text('\\t')).toContain('“U+0009”');
    expect(text('€')).toContain('“€”');
    expect(text("\\'")).toContain("“'”");
  });

  it('adds the line and column of a file error', () => {
    expect(errorText(nb, error('import_malformed', { line: 3, column: 7 }))).toBe(
      'Profilfilen er ikke gyldig. Ingenting ble importert. Linje 3, kolonne 7.',
    );
    expect(errorText(nb, error('settings_malformed'))).toBe(
      'Innstillingsfilen er ikke gyldig. Den ble latt være nøyaktig som den er; rett den i et tekstredigeringsprogram eller flytt den bort.',
    );
  });

  it('falls back to the English sentence for an unknown code, an unknown parameter value or a missing parameter', () => {
    expect(errorText(sv, error('audit_weak_key', {}, 'the audit log key is 8 bytes'))).toBe('The audit log key is 8 bytes.');
    expect(errorText(sv, error('invalid_user_id', { problem: 'emoji' }, 'the user name has an emoji'))).toBe(
      'The user name has an emoji.',
    );
    expect(errorText(sv, error('not_uuid', { what: 'MobileID device id' }, 'the MobileID device id is not a valid UUID'))).toBe(
      'The MobileID device id is not a valid UUID.',
    );
    expect(errorText(sv, error('unknown_profile', {}, 'there is no profile named "x"'))).toBe('There is no profile named "x".');
    expect(errorText(sv, error('mystery', {}, ''))).toBe(
      'Något gick fel. Om det händer igen, kontakta din administratör och uppge felkoden.',
    );
    // The code itself goes on a line of its own, never into the sentence.
    expect(errorWords(sv, error('mystery', {}, ''))).toEqual({
      text: 'Något gick fel. Om det händer igen, kontakta din administratör och uppge felkoden.',
      code: 'mystery',
    });
  });

  it('gives the sentence of a code alone only when it needs no parameters', () => {
    expect(codeText(da, 'expired')).toBe('Anmodningen udløb, før kunden svarede.');
    expect(codeText(da, 'missing_secret')).toBeNull();
    expect(codeText(da, 'no_such_code')).toBeNull();
  });

  it('warnings by code, else their English sentence', () => {
    expect(warningText(nb, { code: 'birth_year_uncertain', message: 'x' })).toContain('Bekreft fødselsåret');
    expect(warningText(nb, { code: 'new_warning', message: 'check this' })).toBe('Check this.');
  });
});

describe('other codes in words', () => {
  it('identifier kinds, including the audit log’s mobile_id', () => {
    expect(kindText(sv, 'mobile_id')).toBe('MobileID-användare och enhet');
    expect(kindText(sv, 'national_id')).toBe('identitetsnummer');
    expect(kindText(sv, 'passport')).toBe('passport');
  });

  it('the chain problem by its code and record, else the English sentence', () => {
    const status = (problem_code: string | null, problem_seq: number | null): AuditStatus => ({
      path: '/x',
      records: 5,
      intact: false,
      problem: 'records 3 to 4 are missing',
      problem_code,
      problem_seq,
      keyed: true,
      retention_days: null,
      server: null,
    });
    expect(auditProblem(da, status('record_missing', 3))).toBe('Post 3 mangler, og måske også posterne lige efter den.');
    expect(auditProblem(da, status('unknown_problem', 3))).toBe('Records 3 to 4 are missing.');
    expect(auditProblem(da, status(null, null))).toBe('Records 3 to 4 are missing.');
    expect(auditProblem(da, { ...status(null, null), problem: null })).toBeNull();
  });

  it('preset titles and profile descriptions, with the English from Rust as fallback', () => {
    expect(presetTitle(nb, { id: 'authway_call_centre', display_name: 'Authway: call centre', provider: 'authway', needs: [] })).toBe(
      'Authway: kundesenter',
    );
    expect(presetTitle(nb, { id: 'new_one', display_name: 'New provider', provider: 'generic', needs: [] })).toBe('New provider');
    const [sandbox] = defaultMockProfiles() as [ProfileSummary];
    expect(profileDescription(nb, sandbox)).toBe('Opplæringsleverandør på denne datamaskinen. Resultatene er ikke ekte identiteter.');
    expect(profileDescription(nb, { ...sandbox, preset: 'gone' })).toBe(sandbox.display_name);
    expect(profileDescription(nb, { ...sandbox, preset: null, display_name: 'Kasse 3' })).toBe('Kasse 3');
  });

  it('how the customer authenticated: a known ACR by its name in the agent’s language', () => {
    const identity = (acr: string | null, idp: string | null, amr: string[] = []) =>
      ({ acr, idp, amr }) as unknown as VerifiedIdentity;
    expect(methodLabel(sv, identity('urn:grn:authn:se:bankid', 'bankid', ['pin']))).toBe('Svenskt BankID (pin)');
    expect(methodLabel(en, identity('urn:ciba-desk:sandbox', 'sandbox', ['sandbox', 'pin']))).toBe('Sandbox approval (sandbox, pin)');
    expect(methodLabel(en, identity('urn:example:loa3', 'mitid'))).toBe('urn:example:loa3 · MitID');
    expect(methodLabel(da, identity(null, 'sandbox'))).toBe('Sandkasse');
    expect(methodLabel(en, identity(null, null, ['mfa']))).toBe('(mfa)');
    expect(methodLabel(en, identity(null, null))).toBeNull();
  });
});

describe('error texts never show a placeholder or a bare protocol code', () => {
  const PLACEHOLDER = /<[^<>]*>/;

  for (const language of LANGUAGES) {
    it(`${language}: no translated error sentence holds a placeholder, even with one in its parameters`, () => {
      const t = translator(language);
      for (const code of CONTRACT_ERROR_CODES) {
        const params = Object.fromEntries(
          (CONTRACT_PARAMS[code] ?? []).map((p) => [p, p === 'placeholder' ? '<your-client-id>' : SAMPLE[p]!]),
        );
        const words = errorWords(t, error(code, params, 'replace <your-client-id> in the client id'));
        expect(words.text, code).not.toMatch(PLACEHOLDER);
        expect(words.code, code).toBeNull();
      }
    });
  }

  it('a preset placeholder left in a profile names the setting by its label, not the placeholder', () => {
    const placeholder = (field: string) => ({ profile: 'bankid-se', field, placeholder: '<your-client-id>' });
    expect(errorText(en, error('profile_placeholder', placeholder('client id')))).toBe(
      'Profile bankid-se is not set up yet: “Client ID” still holds an example value from the preset. Enter the real value under Settings, or ask your administrator.',
    );
    expect(errorText(nb, error('profile_placeholder', placeholder('issuer')))).toBe(
      'Profilen bankid-se er ikke ferdig satt opp: «Utstederens URL» inneholder fortsatt en eksempelverdi fra malen. Skriv inn den riktige verdien under Innstillinger, eller spør administratoren din.',
    );
    expect(errorText(da, error('profile_placeholder', placeholder('JWKS URI')))).toContain('»JWKS-URI«');
    // A setting the page has no label for is named as the backend names it.
    expect(errorText(sv, error('profile_placeholder', placeholder('pickup URL')))).toContain('”pickup URL”');
  });

  it('an unknown code whose English holds a placeholder or a bare code: a general sentence, and the code apart', () => {
    for (const message of [
      'replace <your-domain> in the issuer before use',
      'the provider answered access_denied',
      'the provider said "slow_down"',
    ]) {
      const words = errorWords(da, error('provider_said_no', {}, message));
      expect(words.text, message).toBe('Noget gik galt. Hvis det sker igen, så kontakt din administrator og oplys fejlkoden.');
      expect(words.code, message).toBe('provider_said_no');
    }
    // Clean English is still shown, and its code is kept apart too.
    expect(errorWords(da, error('audit_weak_key', {}, 'the audit log key is 8 bytes'))).toEqual({
      text: 'The audit log key is 8 bytes.',
      code: 'audit_weak_key',
    });
    // File paths and dotted keys are not codes.
    expect(errorText(en, error('new_io', {}, 'could not read /home/agent/ciba_desk/profiles.toml'))).toBe(
      'Could not read /home/agent/ciba_desk/profiles.toml.',
    );
  });

  it('no translation writes a placeholder of its own (MobileID ids are shown as UUID)', () => {
    for (const language of LANGUAGES) {
      const t = translator(language);
      expect(errorText(t, error('mobileid_input')), language).not.toMatch(PLACEHOLDER);
      expect(errorText(t, error('mobileid_input')), language).toContain('userId:UUID deviceId:UUID');
    }
  });
});
