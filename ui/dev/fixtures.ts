// Canned data for the mock backend: profiles, presets, known identities and their
// check results. Development and tests only: nothing here is in a release bundle
// (scripts/check-dist.mjs fails the build if it is).
//
// The mock does not validate national identity numbers: the real checks (Luhn,
// modulus 11, dates) live in the Rust identity crate. A few known inputs have canned
// answers below; anything else that looks like a number of the right length is
// accepted with a generic mask.

import {
  COUNTRIES,
  type BackendError,
  type BindingMessageRules,
  type Country,
  type IdentityCheck,
  type IdKind,
  type Notice,
  type PresetSummary,
  type ProfileSummary,
} from '../src/api/types';

/** A string only the development code contains, for the release-bundle check. */
export const DEV_ONLY_MARKER = 'ciba-desk:dev-only';

/** Who and where, as the Rust side records it in every audit record. */
export const MOCK_OS_USER = 'agent';
export const MOCK_WORKSTATION = 'desk-01';
export const MOCK_AUDIT_PATH = '/home/agent/.local/share/ciba-desk/audit.sqlite3';
export const SANDBOX_ISSUER = 'http://127.0.0.1:7878';

export const SE_VALID = '19121212-1212';
export const SE_BAD_CHECK = '19121212-1213';
export const SE_OTHER = '19850709-9805';
export const NO_VALID = '15058512343';
export const DK_MOD11_FAILS = '010190-2000';

export interface Person {
  name: string;
  /** YYYY-MM-DD */
  dob: string;
}

export function backendError(
  code: string,
  message: string,
  params: Record<string, string | number> = {},
  field?: BackendError['field'],
): BackendError {
  return { code, message, ...(field ? { field } : {}), ...(Object.keys(params).length ? { params } : {}) };
}

const accepted = (kind: IdKind, masked: string, warnings: Notice[] = []): IdentityCheck => ({
  ok: true,
  kind,
  masked,
  warnings,
  error: null,
});

export const rejected = (error: BackendError): IdentityCheck => ({
  ok: false,
  kind: null,
  masked: null,
  warnings: [],
  error: { ...error, field: 'identity' },
});

/** Known national IDs (country and digits) with what the Rust side answers for them. */
export const KNOWN_NATIONAL_IDS: Record<string, { check: IdentityCheck; person?: Person }> = {
  'se:191212121212': {
    check: accepted('personnummer', '19121212-XXXX'),
    person: { name: 'Tolvan Tolvansson', dob: '1912-12-12' },
  },
  'se:191212121213': {
    check: rejected(
      backendError(
        'national_id_check_digit',
        'Swedish personnummer: the check digit does not match, so a digit is probably mistyped or two digits are swapped; read the number back to the caller',
        { country: 'se' },
      ),
    ),
  },
  'se:198507099805': {
    check: accepted('personnummer', '19850709-XXXX'),
    person: { name: 'Anna Lindqvist', dob: '1985-07-09' },
  },
  'se:191212721212': {
    check: accepted('samordningsnummer', '19121272-XXXX'),
    person: { name: 'Tolvan Tolvansson', dob: '1912-12-12' },
  },
  'se:191213321212': {
    check: rejected(
      backendError(
        'national_id_date',
        'Swedish personnummer: the birth date 1912-13-32 does not exist; check the date digits',
        { country: 'se', date: '1912-13-32' },
      ),
    ),
  },
  'no:15058512343': {
    check: accepted('fodselsnummer', '150585-XXXXX'),
    person: { name: 'Kari Nordmann', dob: '1985-05-15' },
  },
  'dk:0101902000': {
    check: accepted('cpr', '010190-XXXX', [
      {
        code: 'cpr_modulus11_failed',
        message:
          'this CPR number fails the old modulus-11 check; that is normal for numbers issued since 2007, but read the digits back to the caller',
      },
    ]),
    person: { name: 'Mette Sørensen', dob: '1990-01-01' },
  },
};

const LENGTHS: Record<Country, { digits: number[]; expected: string; kind: IdKind; keep: (digits: string) => number }> = {
  se: { digits: [10, 12], expected: '10 or 12', kind: 'personnummer', keep: (d) => d.length - 4 },
  no: { digits: [11], expected: '11', kind: 'fodselsnummer', keep: () => 6 },
  dk: { digits: [10], expected: '10', kind: 'cpr', keep: () => 6 },
};

/** The mock's answer for a tagged national ID ("se:…"): canned when known, else by its shape only. */
export function cannedNationalIdCheck(allowed: Country[], input: string): IdentityCheck {
  const colon = input.indexOf(':');
  if (colon < 0) {
    return rejected(backendError('missing_country', 'no country given; write the number as se:NUMBER, no:NUMBER or dk:NUMBER'));
  }
  const code = input.slice(0, colon).trim().toLowerCase();
  const number = input.slice(colon + 1).trim();
  if (!(COUNTRIES as readonly string[]).includes(code)) {
    return rejected(backendError('unknown_country', 'unknown country; use se (Sweden), no (Norway) or dk (Denmark)'));
  }
  const country = code as Country;
  if (!allowed.includes(country)) {
    return rejected(
      backendError('country_not_allowed', `this profile accepts national identity numbers from ${allowed.join(', ')} only`, {
        country,
        allowed: allowed.join(','),
      }),
    );
  }
  const digits = number.replace(/[^0-9]/g, '');
  const known = KNOWN_NATIONAL_IDS[`${country}:${digits}`];
  if (known) return known.check;
  if (number === '') return rejected(backendError('empty_national_id', 'no national identity number entered', { country }));
  const bad = /[^0-9 +-]/.exec(number);
  if (bad) {
    return rejected(
      backendError('national_id_characters', `character "${bad[0]}" at position ${bad.index + 1} is not allowed; enter digits only`, {
        country,
        character: bad[0],
        position: bad.index + 1,
      }),
    );
  }
  const shape = LENGTHS[country];
  if (!shape.digits.includes(digits.length)) {
    return rejected(
      backendError('national_id_length', `the number has ${digits.length} digits, expected ${shape.expected}`, {
        country,
        expected: shape.expected,
        got: digits.length,
      }),
    );
  }
  const keep = shape.keep(digits);
  return accepted(shape.kind, `${digits.slice(0, keep)}-${'X'.repeat(digits.length - keep)}`);
}

/** The person who approves a known national ID in the sandbox. */
export function knownPerson(input: string): Person | null {
  const colon = input.indexOf(':');
  if (colon < 0) return null;
  const digits = input.slice(colon + 1).replace(/[^0-9]/g, '');
  return KNOWN_NATIONAL_IDS[`${input.slice(0, colon).toLowerCase()}:${digits}`]?.person ?? null;
}

const rules = (
  max_chars: number,
  requirement: BindingMessageRules['requirement'] = 'optional',
  generate_when_empty = false,
): BindingMessageRules => ({ max_chars, requirement, forbidden_reason: null, forbidden_code: null, generate_when_empty });

/** The organisation's server, as the mock plays it in server mode. */
export const MOCK_SERVER_URL = 'https://desk.example.org';
/** Who signs in at the organisation's provider in the mock. */
export const MOCK_AGENT_NAME = 'Anna Agent';

/**
 * The profiles the organisation's server gives this agent (server mode): managed there, with
 * their secrets at the server (the desk marks them all `managed`).
 */
export function mockServerProfiles(): ProfileSummary[] {
  const [, bankid] = defaultMockProfiles() as [ProfileSummary, ProfileSummary];
  return [
    {
      ...bankid,
      name: 'org-bankid-se',
      title: 'Head office · Swedish BankID',
      issuer: 'https://idura.example.org',
      secret_status: 'stored',
      managed: true,
    },
    {
      ...bankid,
      name: 'org-training',
      provider: 'generic',
      title: 'Head office · training',
      display_name: 'Training provider run by the organisation.',
      preset: null,
      issuer: 'https://training.example.org',
      countries: ['se', 'no', 'dk'],
      binding_message: rules(64, 'optional', true),
      auth_method: 'client_secret_basic',
      secret_status: 'stored',
      managed: true,
    },
  ];
}

export function defaultMockProfiles(): ProfileSummary[] {
  return [
    {
      name: 'sandbox',
      provider: 'sandbox',
      title: 'Sandbox · training',
      display_name: 'Training provider on this computer. Results are not real identities.',
      preset: 'sandbox',
      issuer: SANDBOX_ISSUER,
      is_sandbox: true,
      identity_kind: 'national_id',
      countries: ['se', 'no', 'dk'],
      binding_message: rules(64, 'optional', true),
      call_initiator: true,
      pickup: false,
      secret_status: 'not_needed',
      request_key_status: 'not_needed',
      managed: false,
      problem: null,
      client_id: 'ciba-desk',
      auth_method: 'client_secret_basic',
      key_id: null,
      requested_expiry: null,
      signed_requests: false,
      fapi: false,
      ca_certificates: null,
    },
    {
      name: 'bankid-se',
      provider: 'idura_verify',
      title: 'Idura · Swedish BankID',
      display_name:
        "Swedish BankID phone authentication. Tell the system who placed the call: the customer's app asks accordingly.",
      preset: 'idura_se_bankid',
      issuer: 'https://desk.idura.broker',
      is_sandbox: false,
      identity_kind: 'national_id',
      countries: ['se'],
      binding_message: rules(40, 'required'),
      call_initiator: true,
      pickup: false,
      secret_status: 'stored',
      request_key_status: 'not_needed',
      managed: false,
      problem: null,
      client_id: 'ciba-desk',
      auth_method: 'private_key_jwt',
      key_id: null,
      requested_expiry: null,
      signed_requests: false,
      fapi: false,
      ca_certificates: null,
    },
    {
      name: 'bankid-no',
      provider: 'idura_verify',
      title: 'Idura · Norwegian BankID',
      display_name: 'Norwegian BankID caller authentication: inbound calls only.',
      preset: 'idura_no_bankid',
      issuer: 'https://desk.idura.broker',
      is_sandbox: false,
      identity_kind: 'national_id',
      countries: ['no'],
      binding_message: {
        ...rules(0, 'forbidden'),
        forbidden_reason:
          'Norwegian BankID shows its own word pair instead; leave the message empty and read the word pair on screen to the caller',
        forbidden_code: 'word_pair',
      },
      call_initiator: false,
      pickup: false,
      secret_status: 'stored',
      request_key_status: 'not_needed',
      managed: false,
      problem: null,
      client_id: 'ciba-desk',
      auth_method: 'private_key_jwt',
      key_id: null,
      requested_expiry: null,
      signed_requests: false,
      fapi: false,
      ca_certificates: null,
    },
    {
      // Its description was changed, so it has no preset: the page shows it as written. Its
      // title is the administrator's.
      name: 'mitid',
      provider: 'signaturgruppen_mitid',
      title: 'MitID · pre-production',
      display_name: 'MitID (Signaturgruppen, pre-production)',
      preset: null,
      issuer: 'https://pp.netseidbroker.dk/op',
      is_sandbox: false,
      identity_kind: 'national_id',
      countries: ['dk'],
      binding_message: rules(130),
      call_initiator: false,
      pickup: false,
      secret_status: 'missing',
      request_key_status: 'not_needed',
      managed: false,
      problem: null,
      client_id: 'ciba-desk',
      auth_method: 'client_secret_post',
      key_id: null,
      requested_expiry: null,
      signed_requests: false,
      fapi: false,
      ca_certificates: null,
    },
    {
      name: 'pickup',
      provider: 'authway',
      title: 'Authway · in-store pickup',
      display_name:
        'Show the QR code to the customer (or send them the link); they accept or deny on their phone. Check the result against the order.',
      preset: 'authway_pickup',
      issuer: 'https://id.example-shop.se',
      is_sandbox: true,
      identity_kind: 'email',
      countries: [],
      binding_message: rules(64),
      call_initiator: false,
      pickup: true,
      secret_status: 'stored',
      request_key_status: 'not_needed',
      managed: false,
      problem: null,
      client_id: 'ciba-desk',
      auth_method: 'client_secret_basic',
      key_id: null,
      requested_expiry: null,
      signed_requests: false,
      fapi: false,
      ca_certificates: null,
    },
  ];
}

/** As `list_presets` returns them (the sandbox is built in, not listed). */
export const MOCK_PRESETS: PresetSummary[] = [
  { id: 'signicat_mobileid', display_name: 'Signicat MobileID', provider: 'signicat_mobileid', needs: ['issuer', 'client_id', 'secret'] },
  {
    id: 'signaturgruppen_mitid_pp_demo',
    display_name: 'Signaturgruppen MitID Flex (pre-production demo)',
    provider: 'signaturgruppen_mitid',
    needs: [],
  },
  { id: 'signaturgruppen_mitid', display_name: 'Signaturgruppen MitID Flex', provider: 'signaturgruppen_mitid', needs: ['issuer', 'client_id', 'secret'] },
  { id: 'idura_se_bankid', display_name: 'Idura Verify: Swedish BankID', provider: 'idura_verify', needs: ['issuer', 'client_id', 'private_key'] },
  { id: 'idura_no_bankid', display_name: 'Idura Verify: Norwegian BankID', provider: 'idura_verify', needs: ['issuer', 'client_id', 'private_key'] },
  { id: 'idura_frejaid', display_name: 'Idura Verify: FrejaID', provider: 'idura_verify', needs: ['issuer', 'client_id', 'private_key'] },
  { id: 'authway_call_centre', display_name: 'Authway: call centre', provider: 'authway', needs: ['issuer', 'client_id', 'secret'] },
  { id: 'authway_pickup', display_name: 'Authway: in-store pickup', provider: 'authway', needs: ['issuer', 'client_id', 'secret'] },
  { id: 'generic', display_name: 'Generic OpenID provider', provider: 'generic', needs: ['issuer', 'client_id', 'secret'] },
];

/** The title a profile made from each preset has until the administrator gives it another (as in presets.rs). */
export const MOCK_PRESET_TITLES: Record<string, string> = {
  sandbox: 'Sandbox · training',
  signicat_mobileid: 'Signicat · MobileID',
  signaturgruppen_mitid_pp_demo: 'Signaturgruppen · MitID (demo)',
  signaturgruppen_mitid: 'Signaturgruppen · MitID',
  idura_se_bankid: 'Idura · Swedish BankID',
  idura_no_bankid: 'Idura · Norwegian BankID',
  idura_frejaid: 'Idura · FrejaID',
  authway_call_centre: 'Authway · call centre',
  authway_pickup: 'Authway · in-store pickup',
  generic: 'OpenID provider · CIBA',
};

/** What a profile made from each preset identifies customers by (the rest comes from MOCK_PRESETS). */
export const PRESET_SHAPES: Record<string, Pick<ProfileSummary, 'identity_kind' | 'countries' | 'call_initiator' | 'pickup'>> = {
  signicat_mobileid: { identity_kind: 'mobileid', countries: [], call_initiator: false, pickup: false },
  signaturgruppen_mitid_pp_demo: { identity_kind: 'national_id', countries: ['dk'], call_initiator: false, pickup: false },
  signaturgruppen_mitid: { identity_kind: 'national_id', countries: ['dk'], call_initiator: false, pickup: false },
  idura_se_bankid: { identity_kind: 'national_id', countries: ['se'], call_initiator: true, pickup: false },
  idura_no_bankid: { identity_kind: 'national_id', countries: ['no'], call_initiator: false, pickup: false },
  idura_frejaid: { identity_kind: 'national_id', countries: ['se'], call_initiator: false, pickup: false },
  authway_call_centre: { identity_kind: 'national_id', countries: ['se'], call_initiator: false, pickup: false },
  authway_pickup: { identity_kind: 'email', countries: [], call_initiator: false, pickup: true },
  generic: { identity_kind: 'national_id', countries: ['se', 'no', 'dk'], call_initiator: false, pickup: false },
};

export const mockRules = rules;
