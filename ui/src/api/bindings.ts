// Generated from the Rust types of the desk's application layer (crates/desk/src/api/views.rs
// and the types they use) by crates/desk/tests/bindings.rs. Do not edit: change the Rust
// types and run `UPDATE_BINDINGS=1 cargo test -p desk --test bindings`.

export type Param = number | string;

export type ErrorField = "identity" | "binding_message" | "call_initiator" | "reference";

export type ErrorReport = { code: string, message: string, field?: ErrorField, params?: { [key in string]: Param }, };

export type Country = "se" | "no" | "dk";

export type IdKind = "personnummer" | "samordningsnummer" | "fodselsnummer" | "d_number" | "h_number" | "cpr";

export type ProviderKind = "signicat_mobileid" | "signaturgruppen_mitid" | "idura_verify" | "authway" | "generic" | "sandbox";

export type CallInitiator = "rp" | "user";

export type SecretStatus = "stored" | "missing" | "outdated" | "not_needed" | "no_keyring";

export type SecretPart = "credential" | "request_signing_key";

export type Requirement = "required" | "optional" | "forbidden";

export type BindingMessageSummary = { max_chars: number, requirement: Requirement, 
/**
 * What to do instead, when forbidden (English; see `forbidden_code`).
 */
forbidden_reason: string | null, 
/**
 * The reason's code, when it is one CIBA Desk knows (`word_pair`: the provider shows a
 * word pair to read aloud instead).
 */
forbidden_code: string | null, generate_when_empty: boolean, };

export type IdentityKind = "national_id" | "user_id" | "email" | "mobileid";

export type ProfileSummary = { 
/**
 * An identifier (the command line names profiles by it): never translated.
 */
name: string, provider: ProviderKind, 
/**
 * What agents see everywhere: the administrator's short title, by default the preset's
 * provider and method.
 */
title: string, 
/**
 * The profile's description, or its name.
 */
display_name: string, 
/**
 * The preset whose description the profile still carries, so a screen can show that
 * description in the agent's language.
 */
preset: string | null, issuer: string, is_sandbox: boolean, identity_kind: IdentityKind, countries: Array<Country>, binding_message: BindingMessageSummary, call_initiator: boolean, pickup: boolean, secret_status: SecretStatus, 
/**
 * A mutual-TLS profile that signs its requests: whether its request-signing key is stored
 * (`not_needed` for every other profile).
 */
request_key_status: SecretStatus, 
/**
 * Given by the administrator's policy file: agents cannot edit or remove it.
 */
managed: boolean, 
/**
 * What Settings shows for editing (never a secret).
 */
client_id: string, 
/**
 * `client_secret_basic`, `client_secret_post`, `private_key_jwt`, `tls_client_auth` or
 * `self_signed_tls_client_auth`.
 */
auth_method: string, key_id: string | null, requested_expiry: number | null, signed_requests: boolean, fapi: boolean, 
/**
 * The provider's own certificate authorities (PEM certificates: public, not secret).
 */
ca_certificates: string | null, 
/**
 * Why a verification with this profile cannot start now (the sandbox's port held by
 * another program), for a notice before the agent types anything.
 */
problem: ErrorReport | null, };

export type PresetNeed = "issuer" | "client_id" | "secret" | "private_key";

export type PresetSummary = { id: string, 
/**
 * English; screens translate by `id`.
 */
display_name: string, provider: ProviderKind, needs: Array<PresetNeed>, };

export type IdentityCheck = { ok: boolean, 
/**
 * Which kind of national ID number, when it is one.
 */
kind: IdKind | null, masked: string | null, warnings: Array<ErrorReport>, error: ErrorReport | null, };

export type BindingMessageCheck = { ok: boolean, error: ErrorReport | null, chars: number, };

export type VerificationRequest = { profile: string, 
/**
 * For national ID profiles tagged: `se:…`, `no:…` or `dk:…`.
 */
identity: string, binding_message: string | null, call_initiator: CallInitiator | null, 
/**
 * The case in the caller's own system (a CRM case number), kept with the audit record.
 */
reference: string | null, };

export type IdentityView = { display_name: string | null, national_id_masked: string | null, 
/**
 * `YYYY-MM-DD`
 */
date_of_birth: string | null, age: number | null, provider: ProviderKind, profile: string, acr: string | null, amr: Array<string>, idp: string | null, auth_time_ms: number | null, transaction_id: string | null, is_sandbox: boolean, };

export type MatchBasis = "national_id" | "email" | "user_id" | "device_id" | "birth_date" | "binding_message";

export type NotComparableReason = "no_national_id_returned" | "no_email_returned" | "no_user_id_returned" | "birth_date_only" | "nothing_to_compare";

export type IdentityMatch = { "result": "match", on: MatchBasis, } | { "result": "mismatch", on: MatchBasis, } | { "result": "not_comparable", reason: NotComparableReason, };

export type MatchWord = "match" | "mismatch" | "not_comparable";

export type VerificationUpdate = { "state": "requesting", id: string, } | { "state": "waiting", id: string, expires_at_ms: number, interval_s: number, word_pair: string | null, customer_link: string | null, qr_svg: string | null, } | { "state": "verified", id: string, identity: IdentityView, match: MatchWord, match_detail: IdentityMatch, } | { "state": "denied", id: string, error: ErrorReport, } | { "state": "expired", id: string, error: ErrorReport, } | { "state": "failed", id: string, error: ErrorReport, } | { "state": "cancelled", id: string, provider_notified: boolean, } | { "state": "audit_failed", id: string, error: ErrorReport, };

export type HistoryOutcome = "verified" | "mismatch" | "not_comparable" | "interrupted" | "denied" | "expired" | "failed" | "cancelled";

export type HistoryEntry = { id: string, seq: number, started_at_ms: number, recorded_at_ms: number, duration_ms: number | null, profile: string, issuer: string, identifier_kind: string, masked_identity: string, subject_name: string | null, binding_message: string, 
/**
 * The caller's case reference, when one was given.
 */
reference: string | null, outcome: HistoryOutcome, acr: string | null, transaction_id: string | null, error_code: string | null, os_user: string, workstation: string, verification_id: string | null, result: IdentityView | null, match: MatchWord | null, error: ErrorReport | null, };

export type HistoryQuery = { limit: number, before: number | null, search: string, };

export type HistoryPage = { entries: Array<HistoryEntry>, next_before: number | null, };

export type ProfileEdit = { 
/**
 * Empty: back to the preset's title.
 */
title: string | null, issuer: string | null, client_id: string | null, description: string | null, 
/**
 * `client_secret_basic`, `client_secret_post`, `private_key_jwt`, `tls_client_auth` or
 * `self_signed_tls_client_auth`.
 */
auth_method: string | null, 
/**
 * For `private_key_jwt`: the `kid` in client assertions (for mutual TLS: in signed
 * requests); empty removes it.
 */
key_id: string | null, 
/**
 * Seconds the provider should wait for the customer; 0 removes it.
 */
requested_expiry: number | null, 
/**
 * For `private_key_jwt` and mutual TLS: every request signed (CIBA's signed
 * authentication request).
 */
signed_requests: boolean | null, 
/**
 * For `private_key_jwt` and mutual TLS: the FAPI-CIBA rules.
 */
fapi: boolean | null, 
/**
 * PEM certificates of the provider's own certificate authority; empty removes them.
 */
ca_certificates: string | null, };

export type AuditStatus = { path: string, records: number, intact: boolean, 
/**
 * English; `problem_code` and `problem_seq` let a screen say it in the agent's language.
 */
problem: string | null, 
/**
 * `content_altered`, `link_broken`, `record_missing` or `head_mismatch`.
 */
problem_code: string | null, problem_seq: number | null, keyed: boolean, retention_days: number | null, 
/**
 * In server mode, the server that keeps the audit trail (and checks its chain):
 * History then lists this agent's verifications there.
 */
server: string | null, };

export type Language = "en" | "sv" | "nb" | "da";

export type Theme = "light" | "dark" | "system";

export type Preferences = { last_profile: string | null, 
/**
 * The agent's choice; `None` follows the system.
 */
language: Language | null, theme: Theme, 
/**
 * The operating system's language, when it is one of CIBA Desk's: what the page
 * speaks while the agent has chosen none. Read-only.
 */
system_language: Language | null, };

export type PolicyView = { 
/**
 * Whether a policy file applies (a broken one included).
 */
managed: boolean, 
/**
 * Where the policy file is.
 */
path: string | null, 
/**
 * Agents cannot add, edit, import or remove profiles.
 */
profiles_locked: boolean, sandbox_allowed: boolean, 
/**
 * The organisation's CIBA Desk server, when the policy names one.
 */
server_url: string | null, 
/**
 * Why the policy file cannot be applied: until it is fixed, nothing can be verified or
 * changed.
 */
problem: ErrorReport | null, };

export type OrganisationState = "off" | "signed_out" | "signing_in" | "signed_in" | "expired" | "unreachable";

export type OrganisationView = { state: OrganisationState, 
/**
 * The server's address, when one is set.
 */
server_url: string | null, 
/**
 * Set by the administrator's policy: agents cannot change it.
 */
server_from_policy: boolean, 
/**
 * "Signed in as …".
 */
agent_name: string | null, 
/**
 * What went wrong last (sign-in refused, server unreachable), for a banner.
 */
problem: ErrorReport | null, 
/**
 * Grows with every change, for `wait_organisation`.
 */
version: number, };

export type ImportMode = "keep_existing" | "replace" | "preview";

export type FieldChange = { field: string, before: string | null, after: string | null, };

export type ProfileChange = { name: string, fields: Array<FieldChange>, 
/**
 * The issuer, client id or an origin the profile may contact changed: a stored secret is
 * not sent there until someone enters it again.
 */
destination_changed: boolean, };

export type ImportReport = { added: Array<string>, replaced: Array<string>, 
/**
 * Kept as they were because a profile of that name exists.
 */
skipped: Array<string>, 
/**
 * The same as the profile of that name already here.
 */
unchanged: Array<string>, 
/**
 * What differs, for every replaced or skipped profile.
 */
changes: Array<ProfileChange>, };

export type LinkProblem = { 
/**
 * The parameter, or empty for the link as a whole.
 */
param: string, 
/**
 * `unknown`, `repeated`, `too_long`, `invalid`, `conflict` or `not_a_link`.
 */
code: string, };

export type LinkPrefill = { profile: string | null, 
/**
 * The customer as typed into the form: a national ID with its country (`se:…`), an
 * e-mail address or a user id.
 */
identity: string | null, binding_message: string | null, 
/**
 * The CRM's case number.
 */
reference: string | null, 
/**
 * Each part of the link that was left out: which parameter, and a code for why.
 */
problems: Array<LinkProblem>, };
