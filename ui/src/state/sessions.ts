// Each verification tab is a Session. State only changes through `reduce`, so
// several verifications at once cannot step on each other: every event is
// addressed to the session (by its local key) whose Channel received it.

import type {
  BackendError,
  BindingMessageCheck,
  CallInitiator,
  Country,
  EventState,
  IdentityCheck,
  MatchDetail,
  MatchResult,
  ProfileSummary,
  VerificationEvent,
  VerifiedIdentity,
} from '../api/types';
import type { UiMessage } from '../i18n/texts';
import type { LinkLeftOut } from './links';

/** Where a tab is: being edited, or the state of its verification's last event. */
export type Phase = 'editing' | Exclude<EventState, 'audit_failed'>;

/** The phases a verification can end in without a verified identity. */
export type Unsuccessful = Exclude<Phase, 'editing' | 'requesting' | 'waiting' | 'verified'>;

export const ACTIVE_PHASES: readonly Phase[] = ['requesting', 'waiting'];
export const isActive = (phase: Phase) => ACTIVE_PHASES.includes(phase);
export const isFinished = (phase: Phase) => phase !== 'editing' && !isActive(phase);

/**
 * The most tabs open at once. Over a shift the strip would otherwise grow until tabs
 * scroll out of reach; past this the oldest finished tab makes room.
 */
export const MAX_TABS = 12;

/** What the agent typed; kept as is for "Try again". */
export interface Draft {
  profile: string;
  country: Country;
  identity: string;
  bindingMessage: string;
  callInitiator: CallInitiator;
  /** The case in the agent's CRM, as typed. */
  reference: string;
  /**
   * The binding message is a code the app generated, not text the agent typed: "Try again"
   * then asks for a fresh one, so the customer cannot mistake the old request for the new.
   */
  bindingGenerated?: boolean;
}

export interface Waiting {
  expiresAtMs: number;
  /** Local time the waiting event arrived: the countdown bar's 100 %. */
  sinceMs: number;
  intervalS: number;
  wordPair: string | null;
  customerLink: string | null;
  qrSvg: string | null;
}

/** What was actually sent, for the summary while it runs and afterwards. */
export interface Sent {
  profile: string;
  masked: string;
  bindingMessage: string | null;
  callInitiator: CallInitiator | null;
  /** The case reference, trimmed; null when none was given. */
  reference: string | null;
  atMs: number;
}

export interface Session {
  key: number;
  draft: Draft;
  phase: Phase;
  id: string | null;
  sent: Sent | null;
  attempts: number;
  identityCheck: { input: string; profile: string; result: IdentityCheck } | null;
  bindingCheck: { message: string; profile: string; result: BindingMessageCheck } | null;
  /** Shown under the form, e.g. "binding message required". */
  formError: UiMessage | null;
  waiting: Waiting | null;
  result: { identity: VerifiedIdentity; match: MatchResult; matchDetail: MatchDetail | null } | null;
  /** How an unsuccessful attempt ended: the backend's error (none when cancelled). */
  outcome: Ending | null;
  cancelling: boolean;
  /** Set when this attempt's audit record could not be written. */
  auditError: BackendError | null;
  /** What the screen-pop link that filled this tab in could not use; until the agent edits or starts. */
  leftOut: LinkLeftOut | null;
}

export interface Ending {
  error: BackendError | null;
  /** For a cancelled one: whether the provider was told (false: the request may still show in the customer's app). */
  providerNotified: boolean;
}

export interface SessionsState {
  sessions: Session[];
  activeKey: number;
  /** Shown over the tab strip, e.g. why no new tab could be opened. */
  notice?: UiMessage | null;
}

export type Action =
  | { type: 'create'; key: number; draft: Draft; leftOut?: LinkLeftOut | null }
  | { type: 'select'; key: number }
  | { type: 'close'; key: number }
  | { type: 'closeFinished' }
  | { type: 'notice'; message: UiMessage | null }
  | { type: 'edit'; key: number; patch: Partial<Draft> }
  | { type: 'identityChecked'; key: number; profile: string; input: string; result: IdentityCheck }
  | { type: 'bindingChecked'; key: number; profile: string; message: string; result: BindingMessageCheck }
  | { type: 'formError'; key: number; message: UiMessage | null }
  | { type: 'start'; key: number; sent: Sent }
  | { type: 'started'; key: number; id: string }
  | { type: 'startFailed'; key: number; error: BackendError }
  | { type: 'startRefused'; key: number }
  | { type: 'event'; key: number; event: VerificationEvent; nowMs: number }
  | { type: 'cancelling'; key: number }
  | { type: 'retry'; key: number };

/** An empty form for the named profile, or the first one when there is no such profile. */
export function emptyDraft(profiles: readonly ProfileSummary[], profileName?: string | null): Draft {
  const profile = profiles.find((p) => p.name === profileName) ?? profiles[0];
  return {
    profile: profile?.name ?? '',
    country: profile?.countries[0] ?? 'se',
    identity: '',
    bindingMessage: '',
    callInitiator: 'user',
    reference: '',
  };
}

export function newSession(key: number, draft: Draft, leftOut: LinkLeftOut | null = null): Session {
  return {
    key,
    draft,
    phase: 'editing',
    id: null,
    sent: null,
    attempts: 0,
    identityCheck: null,
    bindingCheck: null,
    formError: null,
    waiting: null,
    result: null,
    outcome: null,
    cancelling: false,
    auditError: null,
    leftOut,
  };
}

export function initialState(key: number, draft: Draft): SessionsState {
  return { sessions: [newSession(key, draft)], activeKey: key };
}

function update(state: SessionsState, key: number, change: (s: Session) => Session): SessionsState {
  let changed = false;
  const sessions = state.sessions.map((s) => {
    if (s.key !== key) return s;
    const next = change(s);
    if (next !== s) changed = true;
    return next;
  });
  return changed ? { ...state, sessions } : state;
}

export function applyEvent(session: Session, event: VerificationEvent, nowMs: number): Session {
  if (event.state === 'audit_failed') {
    // Not a state change: the verification keeps its phase and result. It comes just
    // before the final event, but is kept even if it arrives after it.
    if (session.phase === 'editing' || (session.id !== null && event.id !== session.id)) return session;
    return { ...session, id: event.id, auditError: event.error };
  }
  // Events are only meaningful while the verification runs; a late event after
  // a final state (or after "Try again") is ignored.
  if (!isActive(session.phase)) return session;
  if (session.id !== null && event.id !== session.id) return session;
  const base = { ...session, id: event.id };
  switch (event.state) {
    case 'requesting':
      return { ...base, phase: 'requesting' };
    case 'waiting':
      return {
        ...base,
        phase: 'waiting',
        waiting: {
          expiresAtMs: event.expires_at_ms,
          sinceMs: Math.min(nowMs, event.expires_at_ms),
          intervalS: event.interval_s,
          wordPair: event.word_pair,
          customerLink: event.customer_link,
          qrSvg: event.qr_svg,
        },
      };
    case 'verified':
      return {
        ...base,
        phase: 'verified',
        cancelling: false,
        result: { identity: event.identity, match: event.match, matchDetail: event.match_detail },
      };
    case 'denied':
    case 'expired':
    case 'failed':
      return { ...base, phase: event.state, cancelling: false, outcome: { error: event.error, providerNotified: true } };
    case 'cancelled':
      return {
        ...base,
        phase: 'cancelled',
        cancelling: false,
        outcome: { error: null, providerNotified: event.provider_notified },
      };
  }
}

export function reduce(state: SessionsState, action: Action): SessionsState {
  switch (action.type) {
    case 'create': {
      // Full: the oldest finished tab makes room. When none has finished, nothing is
      // opened (the controller tells the agent why).
      let kept = state.sessions;
      if (kept.length >= MAX_TABS) {
        const oldest = kept.find((s) => isFinished(s.phase));
        if (!oldest) return state;
        kept = kept.filter((s) => s !== oldest);
      }
      const session = newSession(action.key, action.draft, action.leftOut);
      return { sessions: [...kept, session], activeKey: action.key, notice: null };
    }
    case 'select':
      return state.sessions.some((s) => s.key === action.key) ? { ...state, activeKey: action.key, notice: null } : state;
    case 'close': {
      const index = state.sessions.findIndex((s) => s.key === action.key);
      if (index < 0 || state.sessions.length === 1) return state;
      const sessions = state.sessions.filter((s) => s.key !== action.key);
      const activeKey =
        state.activeKey === action.key ? sessions[Math.min(index, sessions.length - 1)]!.key : state.activeKey;
      return { sessions, activeKey, notice: null };
    }
    case 'closeFinished': {
      const closing = finishedToClose(state);
      if (closing.length === 0) return state;
      const sessions = state.sessions.filter((s) => !closing.includes(s));
      return { sessions, activeKey: survivorOf(state, sessions), notice: null };
    }
    case 'notice':
      return (state.notice ?? null) === action.message ? state : { ...state, notice: action.message };
    case 'edit':
      return update(state, action.key, (s) => {
        if (s.phase !== 'editing') return s;
        const draft = { ...s.draft, ...action.patch };
        // Any change to the message that does not say it was generated was typed.
        if (action.patch.bindingMessage !== undefined && action.patch.bindingGenerated === undefined) {
          draft.bindingGenerated = false;
        }
        // What the agent changes is theirs now: the link's notes no longer describe the form.
        return { ...s, draft, formError: null, leftOut: null };
      });
    case 'identityChecked':
      return update(state, action.key, (s) => ({
        ...s,
        identityCheck: { input: action.input, profile: action.profile, result: action.result },
      }));
    case 'bindingChecked':
      return update(state, action.key, (s) => ({
        ...s,
        bindingCheck: { message: action.message, profile: action.profile, result: action.result },
      }));
    case 'formError':
      return update(state, action.key, (s) => ({ ...s, formError: action.message }));
    case 'start':
      return update(state, action.key, (s) =>
        s.phase !== 'editing'
          ? s
          : {
              ...s,
              phase: 'requesting',
              id: null,
              sent: action.sent,
              attempts: s.attempts + 1,
              formError: null,
              waiting: null,
              result: null,
              outcome: null,
              cancelling: false,
              auditError: null,
              leftOut: null,
            },
      );
    case 'started':
      return update(state, action.key, (s) => (s.id === null && isActive(s.phase) ? { ...s, id: action.id } : s));
    case 'startFailed':
      return update(state, action.key, (s) =>
        isActive(s.phase)
          ? { ...s, phase: 'failed', cancelling: false, outcome: { error: action.error, providerNotified: true } }
          : s,
      );
    case 'startRefused':
      // Refused before anything reached the provider: not an attempt, and the form comes back
      // as it was (`sent` stays, so the tab keeps the customer's masked identifier as its title).
      return update(state, action.key, (s) =>
        isActive(s.phase) && s.id === null
          ? { ...s, phase: 'editing', attempts: s.attempts - 1, cancelling: false }
          : s,
      );
    case 'event':
      return update(state, action.key, (s) => applyEvent(s, action.event, action.nowMs));
    case 'cancelling':
      return update(state, action.key, (s) => (isActive(s.phase) ? { ...s, cancelling: true } : s));
    case 'retry':
      return update(state, action.key, (s) =>
        isFinished(s.phase)
          ? { ...s, phase: 'editing', id: null, waiting: null, result: null, outcome: null, cancelling: false, auditError: null }
          : s,
      );
  }
}

/** What "Close finished" closes: every finished tab, but one tab always stays open (the one on screen if it can). */
export function finishedToClose(state: SessionsState): Session[] {
  const finished = state.sessions.filter((s) => isFinished(s.phase));
  if (finished.length < state.sessions.length) return finished;
  return finished.filter((s) => s.key !== state.activeKey);
}

/** The tab on screen once others are gone: the same one, else its nearest neighbour (right first). */
function survivorOf(state: SessionsState, sessions: Session[]): number {
  if (sessions.some((s) => s.key === state.activeKey)) return state.activeKey;
  const index = state.sessions.findIndex((s) => s.key === state.activeKey);
  const after = state.sessions.slice(index + 1).find((s) => sessions.includes(s));
  const before = state.sessions
    .slice(0, Math.max(index, 0))
    .reverse()
    .find((s) => sessions.includes(s));
  return (after ?? before ?? sessions[0]!).key;
}

/** The tab's title: the verified person's name once known, the identifier sent before that. */
export function tabTitle(session: Session): string | null {
  return session.result?.identity.display_name ?? session.sent?.masked ?? null;
}

/** The state shown on a tab: a verified result whose identity does not match is a mismatch. */
export function displayState(session: Session): Phase | 'mismatch' {
  if (session.phase === 'verified' && session.result?.match === 'mismatch') return 'mismatch';
  return session.phase;
}

/** An e-mail address, whatever country is selected: it is never a national ID. */
export function looksLikeEmail(text: string): boolean {
  return /^[^\s@:]+@[^\s@]+$/.test(text.trim());
}

/** The string sent to the backend for this draft. National IDs are always tagged "cc:number". */
export function identityInput(draft: Draft, profile: ProfileSummary | undefined): string {
  const raw = draft.identity.trim();
  if (!profile || profile.identity_kind !== 'national_id' || looksLikeEmail(raw)) return raw;
  const tagged = /^\s*([a-zA-Z]{2})\s*:(.*)$/.exec(raw);
  if (tagged) return `${tagged[1]!.toLowerCase()}:${tagged[2]!.trim()}`;
  const country = profile.countries.includes(draft.country) ? draft.country : (profile.countries[0] ?? draft.country);
  return `${country}:${raw}`;
}

/** The country the agent typed as a prefix ("no:…"), if any. */
export function typedCountry(identity: string): Country | null {
  const match = /^\s*(se|no|dk)\s*:/i.exec(identity);
  return match ? (match[1]!.toLowerCase() as Country) : null;
}
