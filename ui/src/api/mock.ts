// An in-memory backend with the same behaviour as the Rust side, for the
// unit tests and for `npm run dev` in a plain browser. Tests drive it by hand
// (`autoplay: false` + `emit`); in dev mode it plays a realistic round-trip.

import type { Backend } from './backend';
import { checkNationalId, maskEmail, maskGeneric, parseNationalId, splitTagged } from './mock-identity';
import type {
  AuditStatus,
  BackendError,
  BindingMessageCheck,
  HistoryEntry,
  IdentityCheck,
  MatchResult,
  NewProfile,
  Outcome,
  Preferences,
  PresetSummary,
  ProfileSummary,
  VerificationEvent,
  VerificationRequest,
  VerifiedIdentity,
} from './types';

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
  preferences?: Partial<Preferences>;
  /** Fixed latency for every command, to see loading states. */
  commandDelayMs?: number;
  /** Audit records from earlier app runs, newest first (see {@link mockHistoryEntry}). */
  history?: HistoryEntry[];
  /** Overrides what `audit_status` reports (by default: intact, one record per entry, keyed). */
  audit?: Partial<AuditStatus>;
  /** Makes `audit_status` reject with this error. */
  auditStatusError?: BackendError;
  /** Makes every verification's audit record fail to be written, with this message. */
  auditFailure?: string;
  /** Whether the administrator has names recorded in the log (`subject_name`). */
  recordNames?: boolean;
}

/** Who and where, as the Rust side records it in every audit record. */
export const MOCK_OS_USER = 'agent';
export const MOCK_WORKSTATION = 'desk-01';
export const MOCK_AUDIT_PATH = '/home/agent/.local/share/ciba-desk/audit.sqlite3';

/** An audit record as `history` returns it for an earlier app run: nothing kept in memory. */
export function mockHistoryEntry(overrides: Partial<HistoryEntry> & { seq: number }): HistoryEntry {
  const startedAt = overrides.started_at_ms ?? Date.UTC(2025, 0, 2, 9, 15, 0);
  return {
    id: String(overrides.seq),
    started_at_ms: startedAt,
    recorded_at_ms: startedAt + 14_000,
    duration_ms: 14_000,
    profile: 'sandbox',
    issuer: 'http://127.0.0.1:8787',
    identifier_kind: 'national_id',
    masked_identity: '19121212-XXXX',
    subject_name: null,
    binding_message: '',
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

const rules = (
  max_chars: number,
  requirement: 'required' | 'optional' | 'forbidden' = 'optional',
  forbidden_reason: string | null = null,
  generate_when_empty = false,
) => ({ max_chars, requirement, forbidden_reason, generate_when_empty });

export function defaultMockProfiles(): ProfileSummary[] {
  return [
    {
      name: 'sandbox',
      provider: 'sandbox',
      display_name: 'Sandbox (training)',
      issuer: 'http://127.0.0.1:8787',
      is_sandbox: true,
      identity_kind: 'national_id',
      countries: ['se', 'no', 'dk'],
      binding_message: rules(64, 'optional', null, true),
      call_initiator: true,
      pickup: false,
      secret_status: 'not_needed',
    },
    {
      name: 'bankid-se',
      provider: 'idura_verify',
      display_name: 'Swedish BankID (Idura)',
      issuer: 'https://desk.idura.broker',
      is_sandbox: false,
      identity_kind: 'national_id',
      countries: ['se'],
      binding_message: rules(40, 'required'),
      call_initiator: true,
      pickup: false,
      secret_status: 'stored',
    },
    {
      name: 'bankid-no',
      provider: 'idura_verify',
      display_name: 'Norwegian BankID (Idura)',
      issuer: 'https://desk.idura.broker',
      is_sandbox: false,
      identity_kind: 'national_id',
      countries: ['no'],
      binding_message: rules(
        0,
        'forbidden',
        'Norwegian BankID does not allow a binding message; read the word pair the app shows instead.',
      ),
      call_initiator: false,
      pickup: false,
      secret_status: 'stored',
    },
    {
      name: 'mitid',
      provider: 'signaturgruppen_mitid',
      display_name: 'MitID (Signaturgruppen, pre-production)',
      issuer: 'https://pp.netseidbroker.dk/op',
      is_sandbox: false,
      identity_kind: 'national_id',
      countries: ['dk'],
      binding_message: rules(130, 'optional'),
      call_initiator: false,
      pickup: false,
      secret_status: 'missing',
    },
    {
      name: 'pickup',
      provider: 'authway',
      display_name: 'In-store pickup (Authway)',
      issuer: 'https://id.example-shop.se',
      is_sandbox: true,
      identity_kind: 'email',
      countries: [],
      binding_message: rules(64, 'optional'),
      call_initiator: false,
      pickup: true,
      secret_status: 'stored',
    },
  ];
}

export const MOCK_PRESETS: PresetSummary[] = [
  { id: 'sandbox', display_name: 'Sandbox (built-in, for training)', provider: 'sandbox', needs: [] },
  { id: 'idura_bankid_se', display_name: 'Idura Verify: Swedish BankID', provider: 'idura_verify', needs: ['issuer', 'client_id', 'private_key'] },
  { id: 'idura_bankid_no', display_name: 'Idura Verify: Norwegian BankID', provider: 'idura_verify', needs: ['issuer', 'client_id', 'private_key'] },
  { id: 'signaturgruppen_mitid', display_name: 'Signaturgruppen: MitID', provider: 'signaturgruppen_mitid', needs: ['issuer', 'client_id', 'secret'] },
  { id: 'signicat_mobileid', display_name: 'Signicat MobileID', provider: 'signicat_mobileid', needs: ['issuer', 'client_id', 'secret'] },
  { id: 'authway_callcentre', display_name: 'Authway: call centre', provider: 'authway', needs: ['issuer', 'client_id', 'secret'] },
  { id: 'authway_pickup', display_name: 'Authway: in-store pickup', provider: 'authway', needs: ['issuer', 'client_id', 'secret'] },
  { id: 'generic', display_name: 'Other CIBA provider', provider: 'generic', needs: ['issuer', 'client_id', 'secret'] },
];

const WORDS_A = ['rask', 'blå', 'stille', 'varm', 'modig', 'lett', 'grønn', 'klok'];
const WORDS_B = ['elg', 'fjord', 'bjørk', 'måke', 'bre', 'ørret', 'hytte', 'rein'];

const PEOPLE: Record<string, string> = {
  se: 'Tolvan Tolvansson',
  no: 'Kari Nordmann',
  dk: 'Mette Sørensen',
  email: 'Anna Lindqvist',
  other: 'Erik Johansson',
};

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
  done: boolean;
  /** Set by {@link MockBackend.failAudit}: the final event is preceded by `audit_failed`, and nothing is recorded. */
  auditFailure: string | null;
}

const FINAL_STATES: readonly string[] = ['verified', 'denied', 'expired', 'failed', 'cancelled'];

function reject(code: string, message: string): BackendError {
  return { code, message };
}

export class MockBackend implements Backend {
  readonly calls: MockCall[] = [];
  readonly sessions = new Map<string, MockSession>();
  private profiles: ProfileSummary[];
  private prefs: Preferences;
  private entries: HistoryEntry[];
  private counter = 0;
  private seq: number;
  options: MockOptions;

  constructor(options: MockOptions = {}) {
    this.options = options;
    this.entries = (options.history ?? []).map((e) => ({ ...e }));
    this.seq = Math.max(0, ...this.entries.map((e) => e.seq));
    this.profiles = options.profiles ?? defaultMockProfiles();
    this.prefs = { last_profile: null, language: null, theme: 'system', ...options.preferences };
  }

  /** The ids of all verifications started so far, oldest first. */
  get startedIds(): string[] {
    return [...this.sessions.keys()];
  }

  /** The audit records so far, newest first. */
  get historyEntries(): readonly HistoryEntry[] {
    return this.entries;
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
    const profile = this.profiles.find((p) => p.name === name);
    if (!profile) throw reject('unknown_profile', `There is no profile called "${name}"; pick one from the list.`);
    return profile;
  }

  async listProfiles() {
    await this.record('list_profiles');
    return this.profiles.map((p) => ({ ...p, countries: [...p.countries], binding_message: { ...p.binding_message } }));
  }

  async listPresets() {
    await this.record('list_presets');
    return MOCK_PRESETS.map((p) => ({ ...p, needs: [...p.needs] }));
  }

  checkIdentitySync(profileName: string, input: string): IdentityCheck {
    const profile = this.profile(profileName);
    const value = input.trim();
    const failed = (error: string): IdentityCheck => ({ ok: false, kind: null, masked: null, warnings: [], error });
    switch (profile.identity_kind) {
      case 'national_id':
        return checkNationalId(profile.countries, value);
      case 'email':
        if (value === '') return failed('no e-mail address entered');
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
          return failed('this is not an e-mail address; write it as name@example.com');
        }
        return { ok: true, kind: null, masked: maskEmail(value), warnings: [], error: null };
      case 'user_id':
        if (value === '') return failed('no user ID entered');
        return { ok: true, kind: null, masked: maskGeneric(value, 2), warnings: [], error: null };
      case 'mobileid': {
        const uuid = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
        if (!new RegExp(`^userId:${uuid}\\s+deviceId:${uuid}$`).test(value)) {
          return failed('write the MobileID user as userId:<uuid> deviceId:<uuid>, both from the enrolment');
        }
        return { ok: true, kind: null, masked: `userId:${value.slice(7, 11)}…`, warnings: [], error: null };
      }
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
    if (r.requirement === 'forbidden') {
      return chars === 0
        ? { ok: true, error: null, chars }
        : { ok: false, error: `this provider does not allow a binding message: ${r.forbidden_reason ?? ''}`, chars };
    }
    if (chars === 0 && r.requirement === 'required' && !r.generate_when_empty) {
      return {
        ok: false,
        error: 'this provider requires a binding message; type a short text or code that the caller will also see in their app',
        chars,
      };
    }
    if (chars > r.max_chars) {
      return { ok: false, error: `the binding message is too long: ${chars} of max ${r.max_chars} characters; shorten it`, chars };
    }
    // eslint-disable-next-line no-control-regex
    const bad = /[\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/u.exec(trimmed);
    if (bad) {
      return {
        ok: false,
        error: `character "U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}" is not allowed in the binding message; allowed are visible characters only (no control or invisible formatting characters)`,
        chars,
      };
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
    const profile = this.profile(request.profile);
    const check = this.checkIdentitySync(request.profile, request.identity);
    if (!check.ok) throw reject('invalid_identity', check.error ?? 'The identity is not valid.');
    const binding = this.checkBindingSync(request.profile, request.binding_message ?? '');
    if (!binding.ok) throw reject('invalid_binding_message', binding.error ?? 'The binding message is not valid.');
    if (profile.secret_status === 'missing') {
      throw reject(
        'secret_missing',
        `The client secret for "${profile.display_name}" is not stored yet; an administrator can save it under Settings.`,
      );
    }
    this.counter += 1;
    const id = `v-${Date.now().toString(36)}-${this.counter}`;
    const session: MockSession = {
      id,
      request,
      onEvent,
      timers: [],
      startedAt: Date.now(),
      masked: check.masked ?? '',
      done: false,
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
        this.emit(id, { state: 'expired', id, message: 'The customer did not answer in time; the request has expired.' });
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

  /** The identity the sandbox "customer" approves with. */
  identityFor(request: VerificationRequest, match: MatchResult): VerifiedIdentity {
    const profile = this.profile(request.profile);
    const tagged = splitTagged(request.identity);
    let name = PEOPLE.other!;
    let masked: string | null = null;
    let dob: string | null = null;
    if (profile.identity_kind === 'national_id' && tagged) {
      const parsed = parseNationalId(tagged.code as 'se', tagged.number);
      name = PEOPLE[tagged.code] ?? name;
      if (typeof parsed !== 'string') {
        const { year, month, day } = parsed.birth;
        dob = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
        masked = parsed.masked;
      }
    } else if (profile.identity_kind === 'email') {
      name = PEOPLE.email!;
      dob = '1988-04-17';
      masked = '19880417-XXXX';
    }
    if (match === 'mismatch') {
      name = 'Sven Svensson';
      dob = '1971-03-09';
      masked = tagged?.code === 'no' ? '090371-XXXXX' : tagged?.code === 'dk' ? '090371-XXXX' : '19710309-XXXX';
    }
    if (match === 'not_comparable') masked = null;
    const age = dob ? ageOn(dob, new Date()) : null;
    const acr: Record<string, string> = {
      sandbox: 'urn:ciba-desk:sandbox',
      idura_verify: tagged?.code === 'no' ? 'urn:grn:authn:no:bankid' : 'urn:grn:authn:se:bankid',
      signaturgruppen_mitid: 'https://data.gov.dk/concept/core/nsis/loa/Substantial',
      authway: 'urn:authway:bankid',
    };
    return {
      display_name: name,
      national_id_masked: masked,
      date_of_birth: dob,
      age,
      provider: String(profile.provider),
      profile: profile.name,
      acr: acr[String(profile.provider)] ?? null,
      amr: profile.provider === 'sandbox' ? ['sandbox', 'pin'] : ['mfa'],
      idp: profile.provider === 'signaturgruppen_mitid' ? 'mitid' : profile.provider === 'sandbox' ? 'sandbox' : 'bankid',
      auth_time_ms: Date.now(),
      transaction_id: `tx-${hash(request.identity + Date.now()).toString(16).padStart(8, '0')}`,
      is_sandbox: profile.is_sandbox,
    };
  }

  outcomeEvent(session: MockSession, outcome: MockOutcome): VerificationEvent {
    const { id } = session;
    switch (outcome) {
      case 'verified':
      case 'mismatch':
      case 'not_comparable': {
        const match: MatchResult = outcome === 'verified' ? 'match' : outcome;
        return { state: 'verified', id, identity: this.identityFor(session.request, match), match };
      }
      case 'denied':
        return { state: 'denied', id, message: 'The customer declined the request in their app.' };
      case 'expired':
        return { state: 'expired', id, message: 'The customer did not answer in time; the request has expired.' };
      case 'failed':
        return {
          state: 'failed',
          id,
          code: 'provider_unavailable',
          message: 'The identity provider did not answer (timeout after 10 seconds); try again in a minute or use another profile.',
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
        session.onEvent({ state: 'audit_failed', id, message: session.auditFailure });
      } else {
        this.entries.unshift(this.historyEntry(session, event));
      }
    }
    session.onEvent(event);
  }

  /** The audit record of this verification will not be written; its final event says so first. */
  failAudit(id: string, message = 'the audit log could not be written: disk full') {
    const session = this.sessions.get(id);
    if (!session) throw new Error(`no verification ${id}`);
    session.auditFailure = message;
  }

  private historyEntry(session: MockSession, event: VerificationEvent): HistoryEntry {
    const profile = this.profiles.find((p) => p.name === session.request.profile);
    let outcome: Outcome = event.state as Outcome;
    let result: VerifiedIdentity | null = null;
    let match: MatchResult | null = null;
    let error: string | null = null;
    let errorCode: string | null = null;
    if (event.state === 'verified') {
      outcome = event.match === 'mismatch' ? 'mismatch' : 'verified';
      result = event.identity;
      match = event.match;
    } else if (event.state === 'denied' || event.state === 'expired' || event.state === 'failed') {
      error = event.message;
      if (event.state === 'failed') errorCode = event.code;
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
      outcome,
      acr: result?.acr ?? null,
      transaction_id: result?.transaction_id ?? null,
      error_code: errorCode,
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
    if (!session) throw reject('unknown_verification', 'This verification is no longer running.');
    if (session.done) return;
    setTimeout(() => this.emit(id, { state: 'cancelled', id }), 0);
  }

  async history(limit: number) {
    await this.record('history', { limit });
    return this.entries.slice(0, limit).map((e) => ({ ...e }));
  }

  async auditStatus(): Promise<AuditStatus> {
    await this.record('audit_status');
    if (this.options.auditStatusError) throw { ...this.options.auditStatusError };
    return {
      path: MOCK_AUDIT_PATH,
      records: this.entries.length,
      intact: true,
      problem: null,
      keyed: true,
      retention_days: null,
      ...this.options.audit,
    };
  }

  async addProfile(profile: NewProfile) {
    await this.record('add_profile', { ...profile });
    if (!/^[a-z0-9][a-z0-9_-]{0,39}$/.test(profile.name)) {
      throw reject('invalid_name', 'Use 1 to 40 lowercase letters, digits, "-" or "_" for the profile name.');
    }
    if (this.profiles.some((p) => p.name === profile.name)) {
      throw reject('duplicate_profile', `A profile called "${profile.name}" already exists; choose another name.`);
    }
    const preset = MOCK_PRESETS.find((p) => p.id === profile.preset);
    if (!preset) throw reject('unknown_preset', 'Pick a provider from the list.');
    if (preset.needs.includes('issuer') && !/^https:\/\/|^http:\/\/127\.0\.0\.1/.test(profile.issuer)) {
      throw reject('invalid_issuer', 'The issuer must be an https:// address (http:// only on 127.0.0.1).');
    }
    const se = profile.preset.includes('_se') || profile.preset.startsWith('authway');
    this.profiles.push({
      name: profile.name,
      provider: preset.provider,
      display_name: preset.display_name,
      issuer: profile.issuer || 'http://127.0.0.1:8787',
      is_sandbox: preset.provider === 'sandbox',
      identity_kind: profile.preset === 'authway_pickup' ? 'email' : preset.provider === 'signicat_mobileid' ? 'mobileid' : preset.provider === 'generic' ? 'user_id' : 'national_id',
      countries: preset.provider === 'signaturgruppen_mitid' ? ['dk'] : profile.preset.includes('_no') ? ['no'] : se ? ['se'] : preset.provider === 'sandbox' ? ['se', 'no', 'dk'] : [],
      binding_message: rules(64),
      call_initiator: preset.provider === 'idura_verify' && !profile.preset.includes('_no'),
      pickup: profile.preset === 'authway_pickup',
      secret_status: preset.needs.includes('secret') ? 'missing' : 'not_needed',
    });
  }

  async removeProfile(name: string) {
    await this.record('remove_profile', { name });
    this.profile(name);
    this.profiles = this.profiles.filter((p) => p.name !== name);
  }

  async exportProfiles() {
    await this.record('export_profiles');
    return this.profiles
      .map(
        (p) =>
          `[[profile]]\nname = "${p.name}"\nprovider = "${p.provider}"\ndisplay_name = "${p.display_name}"\nissuer = "${p.issuer}"\n`,
      )
      .join('\n');
  }

  async importProfiles(toml: string) {
    await this.record('import_profiles', { toml });
    const names = [...toml.matchAll(/^\s*name\s*=\s*"([^"]+)"/gm)].map((m) => m[1]!);
    if (names.length === 0) throw reject('invalid_toml', 'The file contains no [[profile]] entries.');
    const imported: string[] = [];
    for (const name of names) {
      if (this.profiles.some((p) => p.name === name)) continue;
      this.profiles.push({ ...defaultMockProfiles()[0]!, name, display_name: name, is_sandbox: false, provider: 'generic' });
      imported.push(name);
    }
    return imported;
  }

  async setSecret(profile: string, secret: string) {
    await this.record('set_secret', { profile, secret: secret ? '[redacted]' : '' });
    const p = this.profile(profile);
    if (secret.trim() === '') throw reject('empty_secret', 'The secret is empty; paste the client secret from the provider.');
    p.secret_status = 'stored';
  }

  async getPreferences() {
    await this.record('get_preferences');
    return { ...this.prefs };
  }

  async setPreferences(prefs: Preferences) {
    await this.record('set_preferences', { prefs: { ...prefs } });
    this.prefs = { ...prefs };
  }
}

export function ageOn(dob: string, today: Date): number {
  const [y, m, d] = dob.split('-').map(Number) as [number, number, number];
  let age = today.getFullYear() - y;
  if (today.getMonth() + 1 < m || (today.getMonth() + 1 === m && today.getDate() < d)) age -= 1;
  return age;
}
