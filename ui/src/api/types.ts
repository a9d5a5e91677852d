// The contract between this page and the Rust side. Field names are exactly
// what the commands send and receive (serde's snake_case); command arguments
// are passed in camelCase, as Tauri v2 converts them (see backend.ts).

export type ProviderKind =
  | 'sandbox'
  | 'signicat_mobileid'
  | 'signaturgruppen_mitid'
  | 'idura_verify'
  | 'authway'
  | 'generic';

export type IdentityKind = 'national_id' | 'user_id' | 'email' | 'mobileid';
export type Country = 'se' | 'no' | 'dk';
export const COUNTRIES: readonly Country[] = ['se', 'no', 'dk'];

export interface BindingMessageRules {
  max_chars: number;
  requirement: 'required' | 'optional' | 'forbidden';
  /** A sentence saying what to do instead; set when requirement is "forbidden". */
  forbidden_reason: string | null;
  /** The backend fills an empty message with a code; the page generates it up front so the agent sees it. */
  generate_when_empty: boolean;
}

export type SecretStatus = 'stored' | 'missing' | 'not_needed';

export interface ProfileSummary {
  name: string;
  provider: ProviderKind | string;
  display_name: string;
  issuer: string;
  is_sandbox: boolean;
  identity_kind: IdentityKind;
  countries: Country[];
  binding_message: BindingMessageRules;
  call_initiator: boolean;
  pickup: boolean;
  secret_status: SecretStatus;
}

export type PresetNeed = 'issuer' | 'client_id' | 'secret' | 'private_key';

export interface PresetSummary {
  id: string;
  display_name: string;
  provider: ProviderKind | string;
  needs: PresetNeed[];
}

export interface IdentityCheck {
  ok: boolean;
  /** e.g. "Personnummer". */
  kind: string | null;
  masked: string | null;
  warnings: string[];
  /** A sentence for the agent when ok is false. */
  error: string | null;
}

export interface BindingMessageCheck {
  ok: boolean;
  error: string | null;
  chars: number;
}

export type CallInitiator = 'rp' | 'user';

export interface VerificationRequest {
  profile: string;
  /** For national_id profiles always tagged: "se:…", "no:…" or "dk:…". */
  identity: string;
  binding_message: string | null;
  call_initiator: CallInitiator | null;
}

export interface VerifiedIdentity {
  display_name: string | null;
  national_id_masked: string | null;
  /** YYYY-MM-DD */
  date_of_birth: string | null;
  age: number | null;
  provider: string;
  profile: string;
  acr: string | null;
  amr: string[];
  idp: string | null;
  auth_time_ms: number | null;
  transaction_id: string | null;
  is_sandbox: boolean;
}

export type MatchResult = 'match' | 'mismatch' | 'not_comparable';

export type VerificationEvent =
  | { state: 'requesting'; id: string }
  | {
      state: 'waiting';
      id: string;
      expires_at_ms: number;
      interval_s: number;
      word_pair: string | null;
      customer_link: string | null;
      qr_svg: string | null;
    }
  | { state: 'verified'; id: string; identity: VerifiedIdentity; match: MatchResult }
  | { state: 'denied'; id: string; message: string }
  | { state: 'expired'; id: string; message: string }
  | { state: 'failed'; id: string; code: string; message: string }
  | { state: 'cancelled'; id: string }
  /**
   * Not a state change: sent just before the final event of a verification whose
   * audit record could not be written. The verification keeps its state and result.
   */
  | { state: 'audit_failed'; id: string; message: string };

export type EventState = VerificationEvent['state'];

export type Outcome = 'verified' | 'denied' | 'expired' | 'failed' | 'cancelled' | 'mismatch';

export interface HistoryEntry {
  /** The audit record's sequence number as a string: the stable key of a row. */
  id: string;
  seq: number;
  /** When the verification started and when it was recorded (Unix ms). */
  started_at_ms: number;
  recorded_at_ms: number;
  duration_ms: number | null;
  profile: string;
  issuer: string;
  /** 'national_id' | 'user_id' | 'email' | 'mobile_id' | 'unknown' */
  identifier_kind: string;
  masked_identity: string;
  /** The verified person's name, only when the administrator has names recorded in the log. */
  subject_name: string | null;
  binding_message: string;
  outcome: Outcome;
  acr: string | null;
  transaction_id: string | null;
  error_code: string | null;
  /** The agent's OS account and computer that ran it. */
  os_user: string;
  workstation: string;
  /** Known only for verifications that finished in this app run (kept in memory, never in the log): */
  verification_id: string | null;
  result: VerifiedIdentity | null;
  match: MatchResult | null;
  error: string | null;
}

/** The state of the tamper-evident audit log (command `audit_status`). */
export interface AuditStatus {
  /** Where the log file is. */
  path: string;
  /** Records in the chain (including retention records). */
  records: number;
  /** Whether the whole hash chain verified. */
  intact: boolean;
  /** A plain sentence naming the first broken record, when not intact. */
  problem: string | null;
  /** Whether identifiers get a keyed hash (false when no OS keyring was available). */
  keyed: boolean;
  /** Records older than this many days are deleted at start-up; null = kept forever. */
  retention_days: number | null;
}

export type Language = 'en' | 'sv' | 'nb' | 'da';
export type Theme = 'light' | 'dark' | 'system';

export interface Preferences {
  last_profile: string | null;
  language: Language | null;
  theme: Theme;
}

export interface NewProfile {
  preset: string;
  name: string;
  issuer: string;
  client_id: string;
}

/** What every command rejects with. */
export interface BackendError {
  code: string;
  message: string;
}

export function isBackendError(value: unknown): value is BackendError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as BackendError).code === 'string' &&
    typeof (value as BackendError).message === 'string'
  );
}

/** Turns whatever a command rejected with into {code, message}. */
export function toBackendError(value: unknown): BackendError {
  if (isBackendError(value)) return value;
  if (typeof value === 'string') return { code: 'error', message: value };
  if (value instanceof Error) return { code: 'error', message: value.message };
  return { code: 'error', message: String(value) };
}
