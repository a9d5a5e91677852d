// The contract between this page and the Rust side. Field names are exactly
// what the commands send and receive (serde's snake_case); command arguments
// are passed in camelCase, as Tauri v2 converts them (see backend.ts).
//
// The shapes themselves are generated from the Rust types of desk::api (bindings.ts, by
// crates/desk/tests/bindings.rs; CI fails when it is stale). Below are the names the page
// uses for them, and hand-written helpers.
export * from './bindings';
import type { BindingMessageSummary, Country, ErrorReport, HistoryOutcome, IdentityMatch, IdentityView, Language, MatchWord, OrganisationView, PolicyView, Theme, VerificationUpdate } from './bindings';

// The page's names for the shapes above, as the IPC contract calls them.
/** What every command rejects with, and what events and checks carry. */
export type BackendError = ErrorReport;
/** A warning about accepted input. */
export type Notice = ErrorReport;
export type BindingMessageRules = BindingMessageSummary;
export type VerifiedIdentity = IdentityView;
export type MatchResult = MatchWord;
export type MatchDetail = IdentityMatch;
export type VerificationEvent = VerificationUpdate;
export type EventState = VerificationEvent['state'];
export type Outcome = HistoryOutcome;

/** The arguments of `add_profile` (sent as preset, name, issuer, clientId, title). */
export interface NewProfile {
  preset: string;
  name: string;
  issuer: string;
  client_id: string;
  /** The short title agents see; empty or left out: the preset's. */
  title?: string;
}

/** The values of `ProfileEdit.auth_method`. */
export const AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** The mutual-TLS methods (RFC 8705): the credential is a client certificate with its key. */
export const MTLS_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth'] as const satisfies readonly AuthMethod[];
export const isMtls = (method: AuthMethod | '' | null): boolean => (MTLS_METHODS as readonly string[]).includes(method ?? '');

/** No administrator's policy applies: agents manage their own profiles (and the sandbox is there). */
export const UNMANAGED: PolicyView = {
  managed: false,
  path: null,
  profiles_locked: false,
  sandbox_allowed: true,
  server_url: null,
  problem: null,
};

/** No organisation's server is set: the desk stands alone with this computer's profiles and audit log. */
export const STAND_ALONE: OrganisationView = {
  state: 'off',
  server_url: null,
  server_from_policy: false,
  agent_name: null,
  problem: null,
  version: 0,
};

export const COUNTRIES = ['se', 'no', 'dk'] as const satisfies readonly Country[];
export const LANGUAGES = ['en', 'sv', 'nb', 'da'] as const satisfies readonly Language[];
export const THEMES = ['system', 'light', 'dark'] as const satisfies readonly Theme[];

export function isBackendError(value: unknown): value is BackendError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as BackendError).code === 'string' &&
    typeof (value as BackendError).message === 'string'
  );
}

/** Turns whatever a command rejected with into a {@link BackendError}. */
export function toBackendError(value: unknown): BackendError {
  if (isBackendError(value)) return value;
  if (typeof value === 'string') return { code: 'error', message: value };
  if (value instanceof Error) return { code: 'error', message: value.message };
  return { code: 'error', message: String(value) };
}
