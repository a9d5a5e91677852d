// The codes of the IPC contract (/tmp/contract/ipc.md, issue 10) the page must have words for.
// When Rust generates them (ts-rs), these lists can come from there.

export const CONTRACT_ERROR_CODES = [
  // identity and binding message
  'missing_country', 'unknown_country', 'empty_national_id', 'national_id_length', 'national_id_characters',
  'national_id_separator', 'national_id_date', 'national_id_future_date', 'national_id_individual_number',
  'national_id_check_digit', 'binding_message_required', 'binding_message_forbidden', 'binding_message_too_long',
  'binding_message_character', 'empty_input', 'input_kind_not_accepted', 'not_uuid', 'mobileid_input', 'invalid_email',
  'invalid_user_id', 'country_not_allowed', 'ambiguous_country', 'call_initiator_required', 'invalid_reference',
  // profiles, secrets, settings, audit
  'profile_placeholder', 'invalid_profile', 'unknown_profile', 'builtin_profile', 'duplicate_profile', 'missing_secret',
  'secret_unavailable', 'settings_malformed', 'settings_too_new', 'io_error', 'no_config_dir', 'import_malformed',
  'secret_in_import', 'unknown_verification', 'unknown_preset', 'no_keyring', 'empty_secret', 'no_secret_needed',
  'no_data_dir', 'audit_unavailable', 'audit_locked',
  // the administrator's policy file
  'policy_malformed', 'managed_by_policy',
  // provider and protocol
  'insecure_url', 'invalid_configuration', 'invalid_private_key', 'invalid_client_certificate', 'issuer_mismatch',
  'ciba_not_supported', 'incomplete_discovery', 'unreachable', 'timeout', 'response_too_large', 'unexpected_response', 'malformed_response',
  'invalid_request', 'invalid_scope', 'expired_login_hint_token', 'unknown_user_id', 'unauthorized_client',
  'missing_user_code', 'invalid_user_code', 'invalid_binding_message', 'invalid_client', 'access_denied', 'expired',
  'invalid_grant', 'provider_error', 'id_token_rejected', 'cancelled', 'ping_refused', 'internal',
  // server mode: the organisation's server and signing in (desk), and what the server answers with
  'no_server', 'not_signed_in', 'session_expired', 'server_unreachable', 'server_refused', 'sign_in_timed_out',
  'no_browser', 'sign_in_failed', 'sign_in_not_offered', 'bad_token', 'forbidden', 'rate_limited',
  'already_in_progress', 'already_finished', 'not_yours',
];

// The parameters each error code comes with (contract), so every translation can be filled.
export const CONTRACT_PARAMS: Record<string, string[]> = {
  empty_national_id: ['country'],
  national_id_length: ['country', 'expected', 'got'],
  national_id_characters: ['country', 'character', 'position'],
  national_id_separator: ['country', 'character', 'position'],
  national_id_date: ['country', 'date'],
  national_id_future_date: ['country', 'date'],
  national_id_individual_number: ['country', 'year_digits'],
  national_id_check_digit: ['country'],
  binding_message_too_long: ['chars', 'max'],
  binding_message_character: ['character', 'charset'],
  empty_input: ['what'],
  input_kind_not_accepted: ['given', 'accepted'],
  not_uuid: ['what'],
  invalid_user_id: ['problem'],
  country_not_allowed: ['country', 'allowed'],
  ambiguous_country: ['candidates', 'example'],
  profile_placeholder: ['profile', 'field', 'placeholder'],
  invalid_profile: ['profile'],
  unknown_profile: ['profile'],
  duplicate_profile: ['profile'],
  missing_secret: ['profile'],
  secret_unavailable: ['profile'],
  secret_in_import: ['key'],
  unknown_preset: ['preset'],
  managed_by_policy: ['path'],
  server_unreachable: ['server'],
  sign_in_timed_out: ['minutes'],
};

/** Other codes of the contract the page has words for. */
export const CONTRACT_CODES: Record<string, readonly string[]> = {
  warning: ['cpr_modulus11_failed', 'birth_year_uncertain'],
  idkind: ['personnummer', 'samordningsnummer', 'fodselsnummer', 'd_number', 'h_number', 'cpr'],
  kind: ['national_id', 'user_id', 'email', 'mobileid'],
  country: ['se', 'no', 'dk'],
  charset: ['printable', 'latin', 'ascii_alnum_space'],
  'userid.problem': ['too_long', 'spaces', 'control'],
  // The contract's example was 'no_bankid_word_pair'; Rust sends 'word_pair' (bindings.ts).
  'bm.forbiddenReason': ['word_pair'],
  'preset.title': [
    'signicat_mobileid', 'signaturgruppen_mitid_pp_demo', 'signaturgruppen_mitid', 'idura_se_bankid', 'idura_no_bankid',
    'idura_frejaid', 'authway_call_centre', 'authway_pickup', 'generic',
  ],
  'preset.desc': [
    'sandbox', 'signicat_mobileid', 'signaturgruppen_mitid_pp_demo', 'signaturgruppen_mitid', 'idura_se_bankid',
    'idura_no_bankid', 'idura_frejaid', 'authway_call_centre', 'authway_pickup', 'generic',
  ],
  'match.match': ['national_id', 'email'],
  'match.mismatch': ['national_id', 'email'],
  'match.not_comparable': ['no_national_id_returned', 'no_email_returned', 'nothing_to_compare'],
  'audit.problem': ['content_altered', 'link_broken', 'record_missing', 'head_mismatch'],
  provider: ['sandbox', 'signicat_mobileid', 'signaturgruppen_mitid', 'idura_verify', 'authway', 'generic'],
};

