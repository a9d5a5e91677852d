// An in-memory backend that answers like the Rust side, for the unit tests and for
// `npm run dev` in a plain browser. Development only: never in a release bundle.
// Tests drive it by hand (`autoplay: false` + `emit`); the demo lets it play a
// realistic round-trip by itself.
//
// It answers with the same codes and parameters as the Rust side, but it does not
// re-implement the Rust rules: identity checks are canned (see fixtures.ts).

import type { Backend } from '../src/api/backend';
import { AUTH_METHODS, isMtls, STAND_ALONE, UNMANAGED, type AuthMethod, type SecretPart } from '../src/api/types';
import type {
  AuditStatus,
  BackendError,
  BindingMessageCheck,
  HistoryEntry,
  HistoryPage,
  HistoryQuery,
  IdentityCheck,
  ImportMode,
  ImportReport,
  LinkPrefill,
  MatchDetail,
  MatchResult,
  NewProfile,
  OrganisationView,
  Outcome,
  PolicyView,
  Preferences,
  PresetSummary,
  ProfileEdit,
  ProfileSummary,
  VerificationEvent,
  VerificationRequest,
  VerifiedIdentity,
} from '../src/api/types';
import {
  backendError,
  cannedNationalIdCheck,
  defaultMockProfiles,
  DEV_ONLY_MARKER,
  knownPerson,
  MOCK_AGENT_NAME,
  MOCK_AUDIT_PATH,
  MOCK_OS_USER,
  MOCK_PRESET_TITLES,
  MOCK_PRESETS,
  MOCK_WORKSTATION,
  mockRules,
  mockServerProfiles,
  PRESET_SHAPES,
  rejected,
  SANDBOX_ISSUER,
} from './fixtures';

export type MockOutcome = 'verified' | 'mismatch' | 'not_comparable' | 'denied' | 'expired' | 'failed';

export interface MockOptions {
  /** Play each verification by itself with timers (dev mode). Tests leave this off and call `emit`. */
  autoplay?: boolean;
  outcome?: MockOutcome;
  /** Delay before the provider acknowledges the request. */
  latencyMs?: number;
  /** How long the customer takes to answer. */
  answerAfterMs?: number;
  /** `expires_in` of the acknowledgement. */
  waitSeconds?: number;
  profiles?: ProfileSummary[];
  /** What `list_presets` returns (by default MOCK_PRESETS). */
  presets?: PresetSummary[];
  preferences?: Partial<Preferences>;
  /** Fixed latency for every command, to see loading states. */
  commandDelayMs?: number;
  /** Audit records from earlier app runs, newest first (see {@link mockHistoryEntry}). */
  history?: HistoryEntry[];
  /** Overrides what `audit_status` reports (by default: intact, one record per entry, keyed). */
  audit?: Partial<AuditStatus>;
  /** Makes `audit_status` reject with this error. */
  auditStatusError?: BackendError;
  /** Makes every verification's audit record fail to be written, with this error. */
  auditFailure?: BackendError;
  /** Whether the administrator has names recorded in the log (`subject_name`). */
  recordNames?: boolean;
  /** Whether a cancel reaches the provider (`provider_notified`); true unless set. */
  cancelNotifies?: boolean;
  /** Where the agent saves an export in the save dialog; `null`: the agent cancels it. */
  exportTo?: string | null;
  /** The administrator's policy (by default none: {@link UNMANAGED}); profile commands refuse as the desk does. */
  policy?: Partial<PolicyView>;
  /** Makes `policy` reject with this error. */
  policyError?: BackendError;
  /** Screen-pop links the desk already holds when the page loads (the app was started by one). */
  links?: Partial<LinkPrefill>[];
  /**
   * Server mode from the start: the organisation's server and where the agent stands with it
   * (by default stand-alone, or signed out at the server the policy names). Tests change it
   * later with {@link MockBackend.setOrganisation}.
   */
  organisation?: Partial<OrganisationView>;
  /** What the organisation's server gives this agent once signed in (by default {@link mockServerProfiles}). */
  serverProfiles?: ProfileSummary[];
  /** This agent's verifications kept by the organisation's server, newest first. */
  serverHistory?: HistoryEntry[];
  /** Makes `sign_in` fail with this error, as the desk does when the provider refuses or the agent cancels. */
  signInError?: BackendError;
  /** `sign_in` waits (the agent is in the browser) until {@link MockBackend.finishSignIn}. */
  signInWaits?: boolean;
  /** The name the organisation's provider gives the agent (by default {@link MOCK_AGENT_NAME}). */
  agentName?: string;
}

/** An audit record as `history` returns it for an earlier app run: nothing kept in memory. */
export function mockHistoryEntry(overrides: Partial<HistoryEntry> & { seq: number }): HistoryEntry {
  const startedAt = overrides.started_at_ms ?? Date.UTC(2025, 0, 2, 9, 15, 0);
  return {
    id: String(overrides.seq),
    started_at_ms: startedAt,
    recorded_at_ms: startedAt + 14_000,
    duration_ms: 14_000,
    profile: 'sandbox',
    issuer: SANDBOX_ISSUER,
    identifier_kind: 'national_id',
    masked_identity: '19121212-XXXX',
    subject_name: null,
    binding_message: '',
    reference: null,
    outcome: 'verified',
    acr: null,
    transaction_id: null,
    error_code: null,
    os_user: MOCK_OS_USER,
    workstation: MOCK_WORKSTATION,
    verification_id: null,
    result: null,
    match: null,
    error: null,
    ...overrides,
  };
}

export interface MockCall {
  command: string;
  args: Record<string, unknown>;
}

const WORDS_A = ['rask', 'blå', 'stille', 'varm', 'modig', 'lett', 'grønn', 'klok'];
const WORDS_B = ['elg', 'fjord', 'bjørk', 'måke', 'bre', 'ørret', 'hytte', 'rein'];

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/**
 * A QR-looking SVG (finder patterns and pseudo-random modules). Not scannable:
 * the real one comes from the Rust side (`qrcode` crate).
 */
export function mockQrSvg(seed: string): string {
  const n = 29;
  const quiet = 4;
  const size = n + quiet * 2;
  let state = hash(seed) || 1;
  const rnd = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const finder = (x: number, y: number) => {
    const lx = x < 7 ? x : x >= n - 7 ? x - (n - 7) : -1;
    const ly = y < 7 ? y : y >= n - 7 ? y - (n - 7) : -1;
    if (lx < 0 || ly < 0 || (x >= n - 7 && y >= n - 7)) return null;
    const ring = Math.max(Math.abs(lx - 3), Math.abs(ly - 3));
    return ring !== 2;
  };
  const near = (x: number, y: number) =>
    (x <= 7 && y <= 7) || (x >= n - 8 && y <= 7) || (x <= 7 && y >= n - 8);
  let d = '';
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const f = finder(x, y);
      let on: boolean;
      if (f !== null) on = f;
      else if (near(x, y)) on = false;
      else if (y === 6) on = x % 2 === 0;
      else if (x === 6) on = y % 2 === 0;
      else on = rnd() < 0.48;
      if (on) d += `M${x + quiet} ${y + quiet}h1v1h-1z`;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges"><rect width="${size}" height="${size}" fill="#fff"/><path fill="#000" d="${d}"/></svg>`;
}

interface MockSession {
  id: string;
  request: VerificationRequest;
  onEvent: (event: VerificationEvent) => void;
  timers: ReturnType<typeof setTimeout>[];
  startedAt: number;
  masked: string;
  /** The case reference as the desk keeps it (trimmed; none when empty). */
  reference: string | null;
  done: boolean;
  /** Started at the organisation's server (server mode): recorded there, not in this computer's log. */
  server: boolean;
  /** Set by {@link MockBackend.failAudit}: the final event is preceded by `audit_failed`, and nothing is recorded. */
  auditFailure: BackendError | null;
}

const FINAL_STATES: readonly string[] = ['verified', 'denied', 'expired', 'failed', 'cancelled'];

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email[0]}****${email.slice(at)}`;
}

const ok = (masked: string): IdentityCheck => ({ ok: true, kind: null, masked, warnings: [], error: null });

/** As the desk (input::check_reference): trimmed, none when empty; at most 128 characters, no control characters. */
export function checkReference(reference: string | null): string | null {
  const trimmed = (reference ?? '').trim();
  if (trimmed === '') return null;
  if ([...trimmed].length > 128 || /\p{Cc}/u.test(trimmed)) {
    throw backendError(
      'invalid_reference',
      'the case reference must be at most 128 characters, without line breaks or other control characters',
      {},
      'reference',
    );
  }
  return trimmed;
}

export class MockBackend implements Backend {
  /** Marks the mock in a bundle (see scripts/check-dist.mjs). */
  readonly origin = DEV_ONLY_MARKER;
  readonly calls: MockCall[] = [];
  readonly sessions = new Map<string, MockSession>();
  private profiles: ProfileSummary[];
  private prefs: Preferences;
  private entries: HistoryEntry[];
  private counter = 0;
  private seq: number;
  private closeRequests = 0;
  private closeWaiters: { seen: number; resolve: (count: number) => void }[] = [];
  private links: LinkPrefill[] = [];
  private linkWaiters: { seen: number; resolve: (link: LinkPrefill) => void }[] = [];
  private org: OrganisationView;
  private orgWaiters: { seen: number; resolve: (view: OrganisationView) => void }[] = [];
  private serverEntries: HistoryEntry[];
  private signInWaiters: ((error: BackendError | null) => void)[] = [];
  /** Set by `quit`: the app would have ended. */
  quitCalled = false;
  /** What the last export wrote to the file the agent chose. */
  exported: string | null = null;
  options: MockOptions;

  constructor(options: MockOptions = {}) {
    this.options = options;
    this.entries = (options.history ?? []).map((e) => ({ ...e }));
    this.seq = Math.max(0, ...this.entries.map((e) => e.seq));
    this.profiles = options.profiles ?? defaultMockProfiles();
    this.prefs = { last_profile: null, language: null, theme: 'system', system_language: null, ...options.preferences };
    options.links?.forEach((link) => this.pushLink(link));
    this.serverEntries = (options.serverHistory ?? []).map((e) => ({ ...e }));
    const policyServer = options.policy?.server_url ?? null;
    const base: OrganisationView = policyServer
      ? { ...STAND_ALONE, state: 'signed_out', server_url: policyServer, server_from_policy: true, version: 1 }
      : { ...STAND_ALONE };
    this.org = options.organisation ? { ...base, version: 1, ...options.organisation } : base;
  }

  /** The ids of all verifications started so far, oldest first. */
  get startedIds(): string[] {
    return [...this.sessions.keys()];
  }

  /** The audit records so far, newest first. */
  get historyEntries(): readonly HistoryEntry[] {
    return this.entries;
  }

  /** The records the organisation's server keeps of this agent's verifications, newest first. */
  get serverHistoryEntries(): readonly HistoryEntry[] {
    return this.serverEntries;
  }

  /** Whether a server is set: profiles, verifications and History then come from it. */
  get serverMode(): boolean {
    return this.org.state !== 'off';
  }

  /** As the desk: the server's profiles are there while a sign-in is held (kept while the server does not answer). */
  private get signedIn(): boolean {
    return this.org.state === 'signed_in' || (this.org.state === 'unreachable' && this.org.agent_name !== null);
  }

  /** The profiles verifications use: the server's in server mode (none while signed out), else this computer's. */
  private get activeProfiles(): ProfileSummary[] {
    if (!this.serverMode) return this.profiles;
    if (!this.signedIn) return [];
    return this.options.serverProfiles ?? (this.options.serverProfiles = mockServerProfiles());
  }

  callsTo(command: string): MockCall[] {
    return this.calls.filter((c) => c.command === command);
  }

  private async record(command: string, args: Record<string, unknown> = {}) {
    this.calls.push({ command, args });
    const delay = this.options.commandDelayMs ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  }

  private profile(name: string): ProfileSummary {
    const profile = this.activeProfiles.find((p) => p.name === name);
    if (!profile) throw backendError('unknown_profile', `there is no profile named "${name}"`, { profile: name });
    return profile;
  }

  async listProfiles() {
    await this.record('list_profiles');
    return this.activeProfiles.map((p) => ({ ...p, countries: [...p.countries], binding_message: { ...p.binding_message } }));
  }

  async listPresets() {
    await this.record('list_presets');
    return (this.options.presets ?? MOCK_PRESETS).map((p) => ({ ...p, needs: [...p.needs] }));
  }

  checkIdentitySync(profileName: string, input: string): IdentityCheck {
    const profile = this.profile(profileName);
    const value = input.trim();
    const kind = profile.identity_kind;
    // As the desk does for profiles that also take e-mail addresses (the sandbox's e-mail persons).
    if (kind === 'national_id' && value.includes('@') && !value.includes(':')) {
      return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)
        ? ok(maskEmail(value))
        : rejected(backendError('invalid_email', 'that is not an e-mail address; write it as name@example.com'));
    }
    if (kind === 'national_id') return cannedNationalIdCheck(profile.countries, value);
    if (value === '') return rejected(backendError('empty_input', `enter the customer's ${kind}`, { what: kind }));
    switch (kind) {
      case 'email':
        return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)
          ? ok(maskEmail(value))
          : rejected(backendError('invalid_email', 'that is not an e-mail address; write it as name@example.com'));
      case 'user_id':
        return /\s/.test(value)
          ? rejected(backendError('invalid_user_id', 'the user name contains spaces; check what was typed', { problem: 'spaces' }))
          : ok(`${value.slice(0, 2)}${'*'.repeat(Math.max(0, value.length - 2))}`);
      case 'mobileid':
        return new RegExp(`^userId:${UUID}\\s+deviceId:${UUID}$`).test(value)
          ? ok(`userId:${value.slice(7, 11)}…`)
          : rejected(backendError('mobileid_input', 'enter the MobileID user id and device id, e.g. "userId:<uuid> deviceId:<uuid>"'));
    }
  }

  async checkIdentity(profile: string, input: string) {
    await this.record('check_identity', { profile, input });
    return this.checkIdentitySync(profile, input);
  }

  checkBindingSync(profileName: string, message: string): BindingMessageCheck {
    const { binding_message: r } = this.profile(profileName);
    const trimmed = message.trim();
    const chars = [...trimmed].length;
    const failed = (code: string, text: string, params: Record<string, string | number> = {}): BindingMessageCheck => ({
      ok: false,
      error: backendError(code, text, params, 'binding_message'),
      chars,
    });
    if (r.requirement === 'forbidden') {
      return chars === 0
        ? { ok: true, error: null, chars }
        : failed('binding_message_forbidden', `this provider does not allow a binding message: ${r.forbidden_reason ?? ''}`);
    }
    if (chars === 0 && r.requirement === 'required' && !r.generate_when_empty) {
      return failed('binding_message_required', 'this provider requires a binding message');
    }
    if (chars > r.max_chars) {
      return failed('binding_message_too_long', `the binding message is too long: ${chars} of max ${r.max_chars} characters`, {
        chars,
        max: r.max_chars,
      });
    }
    // eslint-disable-next-line no-control-regex
    const bad = /[\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/u.exec(trimmed);
    if (bad) {
      // As Rust's char::escape_debug writes it.
      const character = `\\u{${bad[0].codePointAt(0)!.toString(16)}}`;
      return failed('binding_message_character', `character '${character}' is not allowed in the binding message`, {
        character,
        charset: 'printable',
      });
    }
    return { ok: true, error: null, chars };
  }

  async checkBindingMessage(profile: string, message: string) {
    await this.record('check_binding_message', { profile, message });
    return this.checkBindingSync(profile, message);
  }

  async generateCode() {
    await this.record('generate_code');
    return String(Math.floor(Math.random() * 10000)).padStart(4, '0');
  }

  async startVerification(request: VerificationRequest, onEvent: (event: VerificationEvent) => void) {
    await this.record('start_verification', { request });
    const server = this.serverMode;
    if (server) this.refuseWithoutServer();
    const profile = this.profile(request.profile);
    const check = this.checkIdentitySync(request.profile, request.identity);
    if (!check.ok) throw check.error;
    const binding = this.checkBindingSync(request.profile, request.binding_message ?? '');
    if (!binding.ok) throw binding.error;
    const reference = checkReference(request.reference);
    if (profile.secret_status === 'missing') {
      throw backendError(
        'missing_secret',
        `no client secret is stored for profile "${profile.name}": an administrator can save it under Settings`,
        { profile: profile.name },
      );
    }
    this.counter += 1;
    // The server's ids are not numbers; the desk passes them on as they are.
    const id = server ? `srv-${hash(`${request.identity}${this.counter}`).toString(16)}-${this.counter}` : `v-${Date.now().toString(36)}-${this.counter}`;
    const session: MockSession = {
      id,
      request,
      onEvent,
      timers: [],
      startedAt: Date.now(),
      masked: check.masked ?? '',
      reference,
      done: false,
      server,
      auditFailure: this.options.auditFailure ?? null,
    };
    this.sessions.set(id, session);
    // As in Tauri, events may arrive before the command returns its id.
    this.emit(id, { state: 'requesting', id });
    if (this.options.autoplay) this.play(session, profile);
    return { id };
  }

  private play(session: MockSession, profile: ProfileSummary) {
    const latency = this.options.latencyMs ?? 900;
    const answer = this.options.answerAfterMs ?? 7000;
    const wait = this.options.waitSeconds ?? (profile.pickup ? 200 : 60);
    const outcome = this.options.outcome ?? 'verified';
    const { id } = session;
    session.timers.push(
      setTimeout(() => {
        this.emit(id, this.waitingEvent(session, profile, Date.now() + wait * 1000));
      }, latency),
    );
    session.timers.push(
      setTimeout(() => {
        if (outcome === 'expired') return; // the expiry timer below answers
        this.emit(id, this.outcomeEvent(session, outcome));
      }, latency + answer),
    );
    session.timers.push(
      setTimeout(() => {
        this.emit(id, this.outcomeEvent(session, 'expired'));
      }, latency + (outcome === 'expired' ? answer : wait * 1000)),
    );
  }

  waitingEvent(session: { id: string }, profile: ProfileSummary, expiresAt: number): VerificationEvent {
    const h = hash(session.id);
    const link = profile.pickup ? `${profile.issuer}/identity/ciba?requestId=${session.id}` : null;
    return {
      state: 'waiting',
      id: session.id,
      expires_at_ms: expiresAt,
      interval_s: profile.name === 'bankid-no' ? 3 : 5,
      word_pair: profile.binding_message.requirement === 'forbidden' ? `${WORDS_A[h % 8]} ${WORDS_B[(h >>> 3) % 8]}` : null,
      customer_link: link,
      qr_svg: link ? mockQrSvg(link) : null,
    };
  }

  /** The identity the sandbox "customer" approves with, and what it was compared on. */
  identityFor(request: VerificationRequest, outcome: 'match' | 'mismatch' | 'not_comparable'): {
    identity: VerifiedIdentity;
    match: MatchResult;
    detail: MatchDetail;
  } {
    const profile = this.profile(request.profile);
    const national = profile.identity_kind === 'national_id';
    const email = profile.identity_kind === 'email';
    const person = national ? knownPerson(request.identity) : email ? { name: 'Anna Lindqvist', dob: '1988-04-17' } : null;
    let name = person?.name ?? 'Erik Johansson';
    let dob = person?.dob ?? null;
    let masked = national ? (this.checkIdentitySync(profile.name, request.identity).masked ?? null) : email ? '19880417-XXXX' : null;
    // Only national IDs and e-mail addresses can be compared.
    let match: MatchResult = national || email ? outcome : 'not_comparable';
    if (match === 'mismatch') {
      name = 'Sven Svensson';
      dob = '1971-03-09';
      const country = request.identity.slice(0, 2);
      masked = country === 'no' ? '090371-XXXXX' : country === 'dk' ? '090371-XXXX' : '19710309-XXXX';
    }
    if (match === 'not_comparable' && national) masked = null;
    const on = national ? 'national_id' : 'email';
    const detail: MatchDetail =
      match === 'not_comparable'
        ? { result: 'not_comparable', reason: national ? 'no_national_id_returned' : email ? 'no_email_returned' : 'nothing_to_compare' }
        : { result: match, on };
    const acr: Partial<Record<ProfileSummary['provider'], string>> = {
      sandbox: 'urn:ciba-desk:sandbox',
      idura_verify: request.identity.startsWith('no:') ? 'urn:grn:authn:no:bankid' : 'urn:grn:authn:se:bankid',
      signaturgruppen_mitid: 'https://data.gov.dk/concept/core/nsis/loa/Substantial',
      authway: 'urn:authway:bankid',
    };
    const identity: VerifiedIdentity = {
      display_name: name,
      national_id_masked: masked,
      date_of_birth: dob,
      age: dob ? ageOn(dob, new Date()) : null,
      provider: profile.provider,
      profile: profile.name,
      acr: acr[profile.provider] ?? null,
      amr: profile.provider === 'sandbox' ? ['sandbox', 'pin'] : ['mfa'],
      idp: profile.provider === 'signaturgruppen_mitid' ? 'mitid' : profile.provider === 'sandbox' ? 'sandbox' : 'bankid',
      auth_time_ms: Date.now(),
      transaction_id: `tx-${hash(request.identity + Date.now()).toString(16).padStart(8, '0')}`,
      is_sandbox: profile.is_sandbox,
    };
    return { identity, match, detail };
  }

  outcomeEvent(session: MockSession, outcome: MockOutcome): VerificationEvent {
    const { id } = session;
    switch (outcome) {
      case 'verified':
      case 'mismatch':
      case 'not_comparable': {
        const { identity, match, detail } = this.identityFor(session.request, outcome === 'verified' ? 'match' : outcome);
        return { state: 'verified', id, identity, match, match_detail: detail };
      }
      case 'denied':
        return {
          state: 'denied',
          id,
          error: backendError('access_denied', 'the customer declined the request, or the provider refused it: access_denied'),
        };
      case 'expired':
        return { state: 'expired', id, error: backendError('expired', 'the request expired before the customer answered') };
      case 'failed':
        return {
          state: 'failed',
          id,
          error: backendError('timeout', 'the provider at https://desk.idura.broker/oauth2/token did not answer within 10 s'),
        };
    }
  }

  /**
   * Sends an event to a verification's page-side listener, as the Rust side would: the final
   * event writes the audit record first, and when that fails, `audit_failed` goes just before it.
   */
  emit(id: string, event: VerificationEvent) {
    const session = this.sessions.get(id);
    if (!session || session.done) return;
    if (FINAL_STATES.includes(event.state)) {
      session.done = true;
      session.timers.forEach(clearTimeout);
      if (session.auditFailure !== null) {
        session.onEvent({ state: 'audit_failed', id, error: session.auditFailure });
      } else {
        (session.server ? this.serverEntries : this.entries).unshift(this.historyEntry(session, event));
      }
    }
    session.onEvent(event);
  }

  /** The audit record of this verification will not be written; its final event says so first. */
  failAudit(
    id: string,
    error: BackendError = backendError('audit_disk_full', 'the disk holding the audit log is full; free some space'),
  ) {
    const session = this.sessions.get(id);
    if (!session) throw new Error(`no verification ${id}`);
    session.auditFailure = error;
  }

  private historyEntry(session: MockSession, event: VerificationEvent): HistoryEntry {
    const profile = [...this.profiles, ...(this.options.serverProfiles ?? [])].find((p) => p.name === session.request.profile);
    let outcome: Outcome = event.state as Outcome;
    let result: VerifiedIdentity | null = null;
    let match: MatchResult | null = null;
    let error: BackendError | null = null;
    if (event.state === 'verified') {
      outcome = event.match === 'mismatch' ? 'mismatch' : 'verified';
      result = event.identity;
      match = event.match;
    } else if (event.state === 'denied' || event.state === 'expired' || event.state === 'failed') {
      error = event.error;
    }
    const now = Date.now();
    this.seq += 1;
    return {
      id: String(this.seq),
      seq: this.seq,
      started_at_ms: session.startedAt,
      recorded_at_ms: now,
      duration_ms: now - session.startedAt,
      profile: session.request.profile,
      issuer: profile?.issuer ?? '',
      identifier_kind: profile?.identity_kind === 'mobileid' ? 'mobile_id' : (profile?.identity_kind ?? 'unknown'),
      masked_identity: session.masked,
      subject_name: this.options.recordNames ? (result?.display_name ?? null) : null,
      binding_message: session.request.binding_message ?? '',
      reference: session.reference,
      outcome,
      acr: result?.acr ?? null,
      transaction_id: result?.transaction_id ?? null,
      error_code: error?.code ?? (event.state === 'cancelled' ? 'cancelled' : null),
      os_user: MOCK_OS_USER,
      workstation: MOCK_WORKSTATION,
      verification_id: session.id,
      result,
      match,
      error,
    };
  }

  /** Plays the rest of a started verification in tests: waiting, then an outcome. */
  wait(id: string, overrides: Partial<Extract<VerificationEvent, { state: 'waiting' }>> = {}) {
    const session = this.sessions.get(id)!;
    const base = this.waitingEvent(session, this.profile(session.request.profile), Date.now() + 60_000);
    this.emit(id, { ...(base as Extract<VerificationEvent, { state: 'waiting' }>), ...overrides });
  }

  finish(id: string, outcome: MockOutcome) {
    const session = this.sessions.get(id)!;
    this.emit(id, this.outcomeEvent(session, outcome));
  }

  async cancelVerification(id: string) {
    await this.record('cancel_verification', { id });
    const session = this.sessions.get(id);
    if (!session) throw backendError('unknown_verification', 'there is no running verification');
    if (session.done) return;
    const notified = this.options.cancelNotifies ?? true;
    setTimeout(() => this.emit(id, { state: 'cancelled', id, provider_notified: notified }), 0);
  }

  /**
   * As the desk: entries older than the record `before`, matching the search (masked
   * identifier, name, binding message, case reference, profile, outcome word), `limit` of them; the page
   * newest first by start time, its cursor the oldest record on it.
   */
  async history(query: HistoryQuery): Promise<HistoryPage> {
    await this.record('history', { query: { ...query } });
    if (this.serverMode) this.refuseWithoutServer();
    const needle = query.search.trim().toLowerCase();
    const matching = (this.serverMode ? this.serverEntries : this.entries).filter(
      (e) =>
        (query.before === null || e.seq < query.before) &&
        (needle === '' ||
          [
            e.masked_identity,
            e.binding_message,
            e.reference ?? '',
            e.profile,
            e.outcome,
            e.subject_name ?? '',
            e.result?.display_name ?? '',
          ].some((field) => field.toLowerCase().includes(needle))),
    );
    const page = matching.slice(0, query.limit).map((e) => ({ ...e }));
    const more = matching.length > query.limit;
    page.sort((a, b) => b.started_at_ms - a.started_at_ms || b.seq - a.seq);
    return { entries: page, next_before: more && page.length > 0 ? Math.min(...page.map((e) => e.seq)) : null };
  }

  async auditStatus(): Promise<AuditStatus> {
    await this.record('audit_status');
    if (this.options.auditStatusError) throw { ...this.options.auditStatusError };
    if (this.serverMode) {
      // The server's auditors check its chain: here only where it is kept.
      return {
        path: '',
        records: 0,
        intact: true,
        problem: null,
        problem_code: null,
        problem_seq: null,
        keyed: true,
        retention_days: null,
        server: this.org.server_url,
      };
    }
    return {
      path: MOCK_AUDIT_PATH,
      records: this.entries.length,
      intact: true,
      problem: null,
      problem_code: null,
      problem_seq: null,
      keyed: true,
      retention_days: null,
      server: null,
      ...this.options.audit,
    };
  }

  private get currentPolicy(): PolicyView {
    return { ...UNMANAGED, ...this.options.policy };
  }

  /** As the desk refuses: every change while the policy locks profiles, and any to a profile it gives. */
  private refuseManaged(what: string, profile?: ProfileSummary) {
    const policy = this.currentPolicy;
    if (policy.profiles_locked || profile?.managed) {
      const path = policy.path ?? '';
      throw backendError(
        'managed_by_policy',
        `${what} is managed by your organisation (policy file ${path}); ask your administrator to change it`,
        { path },
      );
    }
  }

  async policy() {
    await this.record('policy');
    if (this.options.policyError) throw this.options.policyError;
    return this.currentPolicy;
  }

  async addProfile(profile: NewProfile) {
    await this.record('add_profile', { ...profile });
    this.refuseManaged('the list of profiles');
    const name = profile.name;
    // eslint-disable-next-line no-control-regex
    if (name.trim() === '' || name.trim() !== name || /[\u0000-\u001f\u007f]/.test(name) || [...name].length > 128) {
      throw backendError(
        'invalid_profile',
        `profile ${JSON.stringify(name)} cannot be used: the name must be at most 128 visible characters, without spaces at either end`,
        { profile: name },
      );
    }
    this.checkTitle(name, profile.title ?? '');
    if (profile.name === 'sandbox') throw backendError('builtin_profile', 'the built-in sandbox profile cannot be replaced');
    if (this.profiles.some((p) => p.name === profile.name)) {
      throw backendError('duplicate_profile', `a profile named "${profile.name}" already exists; choose another name`, {
        profile: profile.name,
      });
    }
    const preset = MOCK_PRESETS.find((p) => p.id === profile.preset);
    const shape = PRESET_SHAPES[profile.preset];
    if (!preset || !shape) {
      throw backendError('unknown_preset', `there is no preset named "${profile.preset}"`, { preset: profile.preset });
    }
    if (preset.needs.includes('issuer') && !/^https:\/\/|^http:\/\/127\.0\.0\.1/.test(profile.issuer)) {
      throw backendError('insecure_url', `${profile.issuer} is not allowed: providers must use HTTPS`);
    }
    this.profiles.push({
      name: profile.name,
      provider: preset.provider,
      title: profile.title?.trim() || (MOCK_PRESET_TITLES[preset.id] ?? profile.name),
      display_name: preset.display_name,
      preset: preset.id,
      issuer: profile.issuer || 'https://pp.netseidbroker.dk/op',
      is_sandbox: false,
      ...shape,
      countries: [...shape.countries],
      binding_message: mockRules(64),
      secret_status: preset.needs.includes('secret') || preset.needs.includes('private_key') ? 'missing' : 'not_needed',
      request_key_status: 'not_needed',
      managed: false,
      problem: null,
      client_id: profile.client_id || 'ciba-desk',
      auth_method: preset.needs.includes('private_key') ? 'private_key_jwt' : 'client_secret_basic',
      key_id: null,
      requested_expiry: null,
      signed_requests: false,
      fapi: false,
      ca_certificates: null,
    });
  }

  /** Titles are short: at most 48 visible characters (profile/mod.rs). */
  private checkTitle(name: string, title: string) {
    // eslint-disable-next-line no-control-regex
    if ([...title.trim()].length > 48 || /[\u0000-\u001f\u007f]/.test(title)) {
      throw backendError('invalid_profile', `profile ${JSON.stringify(name)} cannot be used: the title must be at most 48 visible characters`, {
        profile: name,
      });
    }
  }

  /** As `App::edit_profile`: the changes applied and checked as before a verification, then saved. */
  async editProfile(name: string, edit: ProfileEdit): Promise<ProfileSummary> {
    await this.record('edit_profile', { name, edit: { ...edit } });
    const current = this.profile(name);
    this.refuseManaged(`profile "${name}"`, current);
    if (name === 'sandbox') throw backendError('builtin_profile', 'the built-in sandbox profile cannot be replaced');
    const next: ProfileSummary = { ...current, countries: [...current.countries], binding_message: { ...current.binding_message } };
    let destinationChanged = false;
    if (edit.title !== null) {
      this.checkTitle(name, edit.title);
      const title = edit.title.trim();
      next.title = title || (next.preset ? MOCK_PRESET_TITLES[next.preset] : undefined) || name;
    }
    if (edit.issuer !== null) {
      const issuer = edit.issuer.trim().replace(/\/+$/, '');
      if (issuer === '') throw backendError('invalid_profile', `profile "${name}" cannot be used: the issuer is empty`, { profile: name });
      destinationChanged ||= issuer !== next.issuer;
      next.issuer = issuer;
    }
    const placeholder = (field: string, value: string) => {
      const found = /<[^>]*>/.exec(value);
      if (found) {
        throw backendError(
          'profile_placeholder',
          `profile "${name}": replace ${found[0]} in the ${field} with your own value (the identifier your provider gave you); ask your administrator if you do not know it`,
          { profile: name, field, placeholder: found[0] },
        );
      }
    };
    if (edit.client_id !== null) {
      if (edit.client_id.trim() === '') {
        throw backendError('invalid_profile', `profile "${name}" cannot be used: the client id is empty`, { profile: name });
      }
      placeholder('client id', edit.client_id);
      destinationChanged ||= edit.client_id.trim() !== next.client_id;
      next.client_id = edit.client_id.trim();
    }
    placeholder('issuer', next.issuer);
    if (!/^https:\/\/|^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(next.issuer)) {
      throw backendError('insecure_url', `${next.issuer} is not allowed: providers must use HTTPS (plain HTTP only on this computer's loopback address)`);
    }
    if (edit.description !== null) {
      const description = edit.description.trim();
      if (description !== next.display_name) {
        next.display_name = description || name;
        // The preset's description is no longer the profile's: shown as written.
        next.preset = null;
      }
    }
    let auth = next.auth_method as AuthMethod;
    if (edit.auth_method !== null) {
      const method = edit.auth_method.trim();
      if (!(AUTH_METHODS as readonly string[]).includes(method)) {
        throw backendError(
          'invalid_configuration',
          `unknown client authentication method ${JSON.stringify(method)} (use client_secret_basic, client_secret_post, private_key_jwt, tls_client_auth or self_signed_tls_client_auth)`,
        );
      }
      auth = method as AuthMethod;
    }
    next.auth_method = auth;
    if (edit.key_id !== null) next.key_id = edit.key_id.trim() || null;
    if (edit.requested_expiry !== null) next.requested_expiry = edit.requested_expiry > 0 ? edit.requested_expiry : null;
    if (edit.signed_requests !== null) next.signed_requests = edit.signed_requests;
    if (edit.fapi !== null) next.fapi = edit.fapi;
    if (edit.ca_certificates !== null) next.ca_certificates = edit.ca_certificates.trim() === '' ? null : edit.ca_certificates;
    if (destinationChanged && next.secret_status === 'stored') next.secret_status = 'outdated';
    // A client certificate that signs its requests needs a request-signing key too.
    if (!(isMtls(auth) && (next.signed_requests || next.fapi))) next.request_key_status = 'not_needed';
    else if (next.request_key_status === 'not_needed') next.request_key_status = next.secret_status === 'no_keyring' ? 'no_keyring' : 'missing';
    else if (destinationChanged && next.request_key_status === 'stored') next.request_key_status = 'outdated';
    this.profiles = this.profiles.map((p) => (p.name === name ? next : p));
    return { ...next, countries: [...next.countries], binding_message: { ...next.binding_message } };
  }

  async removeProfile(name: string) {
    await this.record('remove_profile', { name });
    this.refuseManaged(`profile "${name}"`, this.profile(name));
    if (name === 'sandbox') {
      throw backendError('builtin_profile', 'the built-in sandbox profile cannot be removed; it is always there for training');
    }
    this.profiles = this.profiles.filter((p) => p.name !== name);
  }

  /** The save dialog is the desktop's: here the agent's choice comes from the options. */
  async exportProfiles(title: string) {
    await this.record('export_profiles', { title });
    const path = this.options.exportTo === undefined ? '/home/agent/ciba-desk-profiles.toml' : this.options.exportTo;
    if (path !== null) {
      this.exported = this.profiles
        .filter((p) => p.name !== 'sandbox')
        .map((p) => `[[profile]]\nname = "${p.name}"\nprovider = "${p.provider}"\nissuer = "${p.issuer}"\n`)
        .join('\n');
    }
    return path;
  }

  /** Reads each `name = "…"` and the `issuer = "…"` after it; a same-named profile with
   * another issuer is a change of destination, as in the desk. */
  async importProfiles(toml: string, mode: ImportMode): Promise<ImportReport> {
    await this.record('import_profiles', { toml, mode });
    this.refuseManaged('the list of profiles');
    const entries = toml
      .split(/^\s*\[\[profiles?\]\]\s*$/m)
      .map((block) => ({
        name: /^\s*name\s*=\s*"([^"]+)"/m.exec(block)?.[1],
        issuer: /^\s*issuer\s*=\s*"([^"]+)"/m.exec(block)?.[1],
      }))
      .filter((e): e is { name: string; issuer: string | undefined } => e.name !== undefined);
    if (entries.length === 0) throw backendError('import_malformed', 'the profiles file is not valid: no [[profile]] entries');
    const report: ImportReport = { added: [], replaced: [], skipped: [], unchanged: [], changes: [] };
    for (const { name, issuer } of entries) {
      const existing = this.profiles.find((p) => p.name === name);
      if (!existing) {
        report.added.push(name);
        if (mode !== 'preview') {
          this.profiles.push({
            ...defaultMockProfiles()[0]!,
            name,
            title: name,
            display_name: name,
            preset: null,
            is_sandbox: false,
            provider: 'generic',
            issuer: issuer ?? 'https://idp.example.com',
          });
        }
      } else if (issuer === undefined || issuer === existing.issuer) {
        report.unchanged.push(name);
      } else {
        report.changes.push({
          name,
          fields: [{ field: 'issuer', before: existing.issuer, after: issuer }],
          destination_changed: true,
        });
        if (mode === 'keep_existing') {
          report.skipped.push(name);
        } else {
          report.replaced.push(name);
          if (mode === 'replace') {
            existing.issuer = issuer;
            if (existing.secret_status === 'stored') existing.secret_status = 'outdated';
          }
        }
      }
    }
    return report;
  }

  async setSecret(profile: string, secret: string, part: SecretPart = 'credential') {
    await this.record('set_secret', { profile, secret: secret ? '[redacted]' : '', part });
    const p = this.profile(profile);
    const status = part === 'credential' ? p.secret_status : p.request_key_status;
    if (status === 'no_keyring') throw backendError('no_keyring', 'no system keyring is available');
    if (status === 'not_needed') throw backendError('no_secret_needed', `profile "${profile}" needs no secret`);
    if (secret.trim() === '') throw backendError('empty_secret', 'the secret is empty; paste the client secret from the provider');
    if (part === 'credential') p.secret_status = 'stored';
    else p.request_key_status = 'stored';
  }

  async getPreferences() {
    await this.record('get_preferences');
    return { ...this.prefs };
  }

  async setPreferences(prefs: Preferences) {
    await this.record('set_preferences', { prefs: { ...prefs } });
    this.prefs = { ...prefs };
  }

  /** Never resolves by itself: tests (and the demo) call {@link requestClose}. */
  async waitCloseRequest(seen: number): Promise<number> {
    await this.record('wait_close_request', { seen });
    if (this.closeRequests > seen) return this.closeRequests;
    return new Promise((resolve) => this.closeWaiters.push({ seen, resolve }));
  }

  /** The agent closed the window while verifications were running: the Rust side held it open. */
  requestClose() {
    this.closeRequests += 1;
    const ready = this.closeWaiters.filter((w) => this.closeRequests > w.seen);
    this.closeWaiters = this.closeWaiters.filter((w) => this.closeRequests <= w.seen);
    ready.forEach((w) => w.resolve(this.closeRequests));
  }

  /** Never resolves by itself: tests (and the demo) call {@link pushLink}. */
  async waitLink(seen: number): Promise<LinkPrefill> {
    await this.record('wait_link', { seen });
    const link = this.links[seen];
    if (link) return link;
    return new Promise((resolve) => this.linkWaiters.push({ seen, resolve }));
  }

  /** A phone system or CRM opened a screen-pop link; the desk has read it into `prefill`. */
  pushLink(prefill: Partial<LinkPrefill>) {
    this.links.push({ profile: null, identity: null, binding_message: null, reference: null, problems: [], ...prefill });
    const ready = this.linkWaiters.filter((w) => w.seen < this.links.length);
    this.linkWaiters = this.linkWaiters.filter((w) => w.seen >= this.links.length);
    ready.forEach((w) => w.resolve(this.links[w.seen]!));
  }

  private orgView(): OrganisationView {
    return { ...this.org, problem: this.org.problem && { ...this.org.problem } };
  }

  /** As the desk refuses work at the server while the agent is not signed in there, or it does not answer. */
  private refuseWithoutServer() {
    switch (this.org.state) {
      case 'expired':
        throw backendError('session_expired', 'your sign-in to the organisation has ended; sign in again (Settings → Organisation)');
      case 'unreachable': {
        const server = this.org.server_url ?? '';
        throw backendError('server_unreachable', `the organisation's server at ${server} cannot be reached: connection refused`, { server });
      }
      case 'signed_in':
        return;
      default:
        throw backendError('not_signed_in', 'sign in to your organisation first (Settings → Organisation → Sign in)');
    }
  }

  /**
   * Changes the organisation's view as the desk would (the server stops answering, the sign-in
   * ends, …): the version grows and waiting long polls answer.
   */
  setOrganisation(patch: Partial<Omit<OrganisationView, 'version'>>) {
    this.org = { ...this.org, ...patch, version: this.org.version + 1 };
    const ready = this.orgWaiters.filter((w) => w.seen !== this.org.version);
    this.orgWaiters = this.orgWaiters.filter((w) => w.seen === this.org.version);
    ready.forEach((w) => w.resolve(this.orgView()));
  }

  async organisation() {
    await this.record('organisation');
    return this.orgView();
  }

  /** Answers once the view changes from version `seen` (never by itself: see {@link setOrganisation}). */
  async waitOrganisation(seen: number): Promise<OrganisationView> {
    await this.record('wait_organisation', { seen });
    if (this.org.version !== seen) return this.orgView();
    return new Promise((resolve) => this.orgWaiters.push({ seen, resolve }));
  }

  async setServer(url: string | null) {
    await this.record('set_server', { url });
    if (this.org.server_from_policy || this.currentPolicy.server_url) {
      const path = this.currentPolicy.path ?? '';
      throw backendError(
        'managed_by_policy',
        `the organisation's server is managed by your organisation (policy file ${path}); ask your administrator to change it`,
        { path },
      );
    }
    const address = (url ?? '').trim().replace(/\/+$/, '');
    if (address === '') {
      this.setOrganisation({ ...STAND_ALONE });
      return this.orgView();
    }
    let parsed: URL;
    try {
      parsed = new URL(address);
    } catch {
      throw backendError('invalid_configuration', `${JSON.stringify(address)} is not a URL`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw backendError('invalid_configuration', `${JSON.stringify(address)} is not an http(s) URL`);
    }
    if (parsed.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) {
      throw backendError(
        'insecure_url',
        `${address} is not allowed: the organisation's server must use HTTPS (plain HTTP only on this computer's loopback address)`,
      );
    }
    if (address !== this.org.server_url) {
      // Another server: the sign-in was for the one before.
      this.setOrganisation({ state: 'signed_out', server_url: address, agent_name: null, problem: null });
    }
    return this.orgView();
  }

  async signIn() {
    await this.record('sign_in');
    if (!this.serverMode) {
      throw backendError('no_server', 'no organisation server is set; enter its address under Settings → Organisation, or ask your administrator for it');
    }
    this.setOrganisation({ state: 'signing_in', problem: null });
    const outcome = this.options.signInWaits
      ? await new Promise<BackendError | null>((resolve) => this.signInWaiters.push(resolve))
      : null;
    const error = outcome ?? this.options.signInError ?? null;
    if (error) {
      this.setOrganisation({ state: error.code === 'server_unreachable' ? 'unreachable' : 'signed_out', agent_name: null, problem: error });
      throw { ...error };
    }
    this.setOrganisation({ state: 'signed_in', agent_name: this.options.agentName ?? MOCK_AGENT_NAME, problem: null });
    return this.orgView();
  }

  /** The agent finished in the browser (for `signInWaits`): signed in, or refused with `error`. */
  finishSignIn(error: BackendError | null = null) {
    const waiters = this.signInWaiters;
    this.signInWaiters = [];
    waiters.forEach((resolve) => resolve(error));
  }

  async signOut() {
    await this.record('sign_out');
    if (this.serverMode) this.setOrganisation({ state: 'signed_out', agent_name: null, problem: null });
    return this.orgView();
  }

  /** Cancels every running verification (recorded as cancelled), then the app would end. */
  async quit() {
    await this.record('quit');
    const notified = this.options.cancelNotifies ?? true;
    for (const session of this.sessions.values()) {
      if (!session.done) this.emit(session.id, { state: 'cancelled', id: session.id, provider_notified: notified });
    }
    this.quitCalled = true;
  }
}

export function ageOn(dob: string, today: Date): number {
  const [y, m, d] = dob.split('-').map(Number) as [number, number, number];
  let age = today.getFullYear() - y;
  if (today.getMonth() + 1 < m || (today.getMonth() + 1 === m && today.getDate() < d)) age -= 1;
  return age;
}
