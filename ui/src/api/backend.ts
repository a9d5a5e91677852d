import { Channel, invoke } from '@tauri-apps/api/core';
import type {
  AuditStatus,
  BindingMessageCheck,
  HistoryPage,
  HistoryQuery,
  IdentityCheck,
  ImportMode,
  ImportReport,
  LinkPrefill,
  NewProfile,
  OrganisationView,
  PolicyView,
  Preferences,
  PresetSummary,
  ProfileEdit,
  ProfileSummary,
  SecretPart,
  VerificationEvent,
  VerificationRequest,
} from './types';
import { toBackendError } from './types';

/**
 * Everything the page asks of the Rust side. Two implementations:
 * {@link TauriBackend} (the real window) and `MockBackend` in `ui/dev/mock-backend.ts`
 * (tests, and `npm run dev` in a plain browser; never in a release bundle).
 *
 * Every method rejects with a {@link import('./types').BackendError}: a code the page
 * translates, its parameters, and an English sentence as the fallback.
 */
export interface Backend {
  listProfiles(): Promise<ProfileSummary[]>;
  listPresets(): Promise<PresetSummary[]>;
  checkIdentity(profile: string, input: string): Promise<IdentityCheck>;
  checkBindingMessage(profile: string, message: string): Promise<BindingMessageCheck>;
  generateCode(): Promise<string>;
  /**
   * `onEvent` receives every state change of this verification, possibly before the promise resolves,
   * and `audit_failed` (not a state change) just before the final event when its record could not be written.
   */
  startVerification(
    request: VerificationRequest,
    onEvent: (event: VerificationEvent) => void,
  ): Promise<{ id: string }>;
  cancelVerification(id: string): Promise<void>;
  /**
   * One page of the audit log's verifications on this computer, newest first by start time
   * (retention records left out), only those matching `query.search`. A non-null
   * `next_before` means there are older ones: ask again with it as `before`.
   */
  history(query: HistoryQuery): Promise<HistoryPage>;
  /** Verifies the audit log's hash chain and says where it is and how it is kept. */
  auditStatus(): Promise<AuditStatus>;
  addProfile(profile: NewProfile): Promise<void>;
  /** Changes what `edit` sets (null: unchanged) and returns the profile as it is now. */
  editProfile(name: string, edit: ProfileEdit): Promise<ProfileSummary>;
  removeProfile(name: string): Promise<void>;
  /**
   * Asks where to save (the desktop's save dialog, titled `title`) and writes the profiles there
   * without secrets; the path written, or null when the agent cancelled.
   */
  exportProfiles(title: string): Promise<string | null>;
  /** `preview` changes nothing and says what `replace` would add and change. */
  importProfiles(toml: string, mode: ImportMode): Promise<ImportReport>;
  /**
   * Write-only: no command ever returns a secret. A private key is sent as its whole PEM text, a
   * client certificate as one PEM bundle with its key. `part` (by default the credential) says
   * which secret: a mutual-TLS profile that signs its requests has a request-signing key too.
   */
  setSecret(profile: string, secret: string, part?: SecretPart): Promise<void>;
  getPreferences(): Promise<Preferences>;
  setPreferences(prefs: Preferences): Promise<void>;
  /**
   * The administrator's policy file (machine-wide; agents cannot change it): whether one applies,
   * whether agents may manage profiles, and why it cannot be applied when it is broken.
   */
  policy(): Promise<PolicyView>;
  /**
   * Resolves, with the new count, once closing the window was held back more than `seen`
   * times because verifications were running (the window stays open until {@link quit}).
   */
  waitCloseRequest(seen: number): Promise<number>;
  /**
   * Resolves with screen-pop link number `seen` (0-based, in the order they arrived) once it
   * has arrived: what it fills in and what it said that could not be used. Links that came
   * before the page loaded are kept, so asking from 0 gets them all.
   */
  waitLink(seen: number): Promise<LinkPrefill>;
  /**
   * The organisation's CIBA Desk server (server mode) and where the agent stands with it:
   * `off` when the desk stands alone with this computer's profiles and audit log.
   */
  organisation(): Promise<OrganisationView>;
  /**
   * Resolves once the view's `version` differs from `seen`, or after a while (about 30 s) with
   * the view as it is.
   */
  waitOrganisation(seen: number): Promise<OrganisationView>;
  /**
   * Sets the organisation's server (null or empty: stand alone again). Refused with
   * `insecure_url`, `invalid_configuration` (not a URL) or `managed_by_policy`.
   */
  setServer(url: string | null): Promise<OrganisationView>;
  /**
   * Opens the system browser at the organisation's sign-in page and resolves once the agent has
   * finished there (up to 5 minutes).
   */
  signIn(): Promise<OrganisationView>;
  signOut(): Promise<OrganisationView>;
  /** Cancels the running verifications (withdrawn at the provider where it can) and ends the app. */
  quit(): Promise<void>;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toBackendError(error);
  }
}

/** The real backend: Tauri commands, with a `Channel` streaming each verification's events. */
export class TauriBackend implements Backend {
  listProfiles() {
    return call<ProfileSummary[]>('list_profiles');
  }
  listPresets() {
    return call<PresetSummary[]>('list_presets');
  }
  checkIdentity(profile: string, input: string) {
    return call<IdentityCheck>('check_identity', { profile, input });
  }
  checkBindingMessage(profile: string, message: string) {
    return call<BindingMessageCheck>('check_binding_message', { profile, message });
  }
  generateCode() {
    return call<string>('generate_code');
  }
  startVerification(request: VerificationRequest, onEvent: (event: VerificationEvent) => void) {
    const channel = new Channel<VerificationEvent>(onEvent);
    return call<{ id: string }>('start_verification', { request, onEvent: channel });
  }
  cancelVerification(id: string) {
    return call<void>('cancel_verification', { id });
  }
  history(query: HistoryQuery) {
    return call<HistoryPage>('history', { query });
  }
  auditStatus() {
    return call<AuditStatus>('audit_status');
  }
  addProfile(profile: NewProfile) {
    // Top-level command arguments are camelCase on this side (Tauri v2 converts).
    return call<void>('add_profile', {
      preset: profile.preset,
      name: profile.name,
      issuer: profile.issuer,
      clientId: profile.client_id,
      title: profile.title ?? null,
    });
  }
  editProfile(name: string, edit: ProfileEdit) {
    return call<ProfileSummary>('edit_profile', { name, edit });
  }
  removeProfile(name: string) {
    return call<void>('remove_profile', { name });
  }
  exportProfiles(title: string) {
    return call<string | null>('export_profiles', { title });
  }
  importProfiles(toml: string, mode: ImportMode) {
    return call<ImportReport>('import_profiles', { toml, mode });
  }
  setSecret(profile: string, secret: string, part?: SecretPart) {
    return call<void>('set_secret', { profile, secret, part: part ?? 'credential' });
  }
  getPreferences() {
    return call<Preferences>('get_preferences');
  }
  setPreferences(prefs: Preferences) {
    return call<void>('set_preferences', { prefs });
  }
  policy() {
    return call<PolicyView>('policy');
  }
  waitCloseRequest(seen: number) {
    return call<number>('wait_close_request', { seen });
  }
  waitLink(seen: number) {
    return call<LinkPrefill>('wait_link', { seen });
  }
  organisation() {
    return call<OrganisationView>('organisation');
  }
  waitOrganisation(seen: number) {
    return call<OrganisationView>('wait_organisation', { seen });
  }
  setServer(url: string | null) {
    return call<OrganisationView>('set_server', { url });
  }
  signIn() {
    return call<OrganisationView>('sign_in');
  }
  signOut() {
    return call<OrganisationView>('sign_out');
  }
  quit() {
    // Sent only from the agent's answer to the question; a bare call quits nothing.
    return call<void>('quit', { confirmed: true });
  }
}

/** True inside the Tauri window. */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}
