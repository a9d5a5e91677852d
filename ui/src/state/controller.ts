// Turns the agent's actions into backend calls and backend events into state.
// Kept out of the components so that every path (start, events arriving before
// the id, cancel before the id, try again, several at once) is one place.

import type { Backend } from '../api/backend';
import {
  toBackendError,
  type BackendError,
  type ErrorField,
  type LinkPrefill,
  type ProfileSummary,
  type VerificationEvent,
} from '../api/types';
import type { Translate } from '../i18n';
import { errorText, linkLeftOutTexts, matchTitle, messageText, type UiMessage } from '../i18n/texts';
import type { Politeness } from '../ui/context';
import { linkDraft, type LinkLeftOut } from './links';
import {
  emptyDraft,
  finishedToClose,
  identityInput,
  isActive,
  MAX_TABS,
  typedCountry,
  type Action,
  type Draft,
  type Session,
  type SessionsState,
  type Unsuccessful,
} from './sessions';

/** The form field (its data-testid) to focus for an error about it. */
const FIELD_TEST_IDS: Record<ErrorField, string> = {
  identity: 'identity-input',
  binding_message: 'binding-message',
  call_initiator: 'call-initiator-user',
  reference: 'reference',
};

/**
 * Fields nothing checks while the agent types: the backend refuses them when the verification
 * starts, before anything reaches the provider, so the form comes back with the error at the
 * field instead of a failed verification.
 */
const CHECKED_AT_START: readonly ErrorField[] = ['reference'];

export interface ControllerDeps {
  backend: Backend;
  getState: () => SessionsState;
  dispatch: (action: Action) => void;
  getProfiles: () => ProfileSummary[];
  t: () => Translate;
  announce: (message: string, politeness?: Politeness) => void;
  /** Moves focus to the element with this data-testid once it is rendered. */
  focus: (testId: string) => void;
  /** Called whenever a verification reaches a final state (to refresh history). */
  onFinished?: () => void;
  /** Remembers the last profile used. */
  onProfileUsed?: (profile: string) => void;
  /** Why there is no profile to start with (by default: none is set up yet; add one). */
  noProfiles?: () => UiMessage;
  /**
   * Why no verification can start now (server mode: not signed in, or the server does not
   * answer), or null when one can. Running ones are not affected.
   */
  blocked?: () => UiMessage | null;
  now?: () => number;
}

export class Controller {
  private nextKey: number;
  private readonly starting = new Set<number>();
  private readonly cancelWhenStarted = new Set<number>();

  constructor(
    private readonly deps: ControllerDeps,
    firstKey = 1,
  ) {
    this.nextKey = firstKey + 1;
  }

  /** For checks that the form runs while the agent types. */
  dispatch(action: Action) {
    this.deps.dispatch(action);
  }

  private now() {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  private session(key: number): Session | undefined {
    return this.deps.getState().sessions.find((s) => s.key === key);
  }

  private profile(name: string): ProfileSummary | undefined {
    return this.deps.getProfiles().find((p) => p.name === name);
  }

  /**
   * Opens a tab and returns its key. When the strip is full and no tab has finished,
   * none is opened: the agent is told why, and the key of the tab on screen is returned.
   */
  newTab(profileName?: string): number {
    const draft = emptyDraft(this.deps.getProfiles(), profileName ?? this.shownDraft()?.profile);
    const key = this.openTab(draft, null, { key: 'tabs.full', params: { count: MAX_TABS } });
    if (key === null) return this.deps.getState().activeKey;
    this.deps.focus('identity-input');
    return key;
  }

  /**
   * Opens a tab filled in from a screen-pop link, with focus on Start (unless `focus` is
   * false: something covers the window). Nothing is sent: the agent checks the form and
   * starts. Null when the strip is full and no tab has finished (the agent is told).
   */
  openLink(prefill: LinkPrefill, { focus = true }: { focus?: boolean } = {}): number | null {
    const { draft, leftOut } = linkDraft(prefill, this.deps.getProfiles(), this.shownDraft()?.profile);
    const key = this.openTab(draft, leftOut, { key: 'link.noRoom', params: { count: MAX_TABS } });
    if (key === null) return null;
    const t = this.deps.t();
    this.deps.announce([t('link.opened'), ...(leftOut ? linkLeftOutTexts(t, leftOut) : [])].join(' '));
    if (focus) this.deps.focus('start');
    return key;
  }

  private shownDraft(): Draft | undefined {
    const state = this.deps.getState();
    return state.sessions.find((s) => s.key === state.activeKey)?.draft;
  }

  /** The key of the new tab, or null when there was no room (`full` says so). */
  private openTab(draft: Draft, leftOut: LinkLeftOut | null, full: UiMessage): number | null {
    const key = this.nextKey;
    this.deps.dispatch({ type: 'create', key, draft, leftOut });
    if (!this.session(key)) {
      this.deps.dispatch({ type: 'notice', message: full });
      this.deps.announce(messageText(this.deps.t(), full), 'assertive');
      return null;
    }
    this.nextKey++;
    return key;
  }

  edit(key: number, patch: Partial<Draft>) {
    const session = this.session(key);
    if (!session) return;
    const next = { ...patch };
    if (patch.profile && patch.profile !== session.draft.profile) {
      const profile = this.profile(patch.profile);
      if (profile && !profile.countries.includes(session.draft.country) && profile.countries[0]) {
        next.country = profile.countries[0];
      }
      this.deps.onProfileUsed?.(patch.profile);
    }
    if (patch.identity !== undefined) {
      // "no:…" typed or pasted: the selector follows.
      const typed = typedCountry(patch.identity);
      const profile = this.profile(patch.profile ?? session.draft.profile);
      if (typed && profile?.countries.includes(typed)) next.country = typed;
    }
    this.deps.dispatch({ type: 'edit', key, patch: next });
  }

  async generateCode(key: number) {
    try {
      const code = await this.deps.backend.generateCode();
      this.deps.dispatch({ type: 'edit', key, patch: { bindingMessage: code, bindingGenerated: true } });
    } catch (error) {
      this.deps.dispatch({ type: 'formError', key, message: { error: toBackendError(error) } });
    }
  }

  private formError(key: number, message: UiMessage, focus: string) {
    this.deps.dispatch({ type: 'formError', key, message });
    this.deps.announce(messageText(this.deps.t(), message));
    this.deps.focus(focus);
  }

  /** Validates and starts the verification of tab `key`. */
  async start(key: number): Promise<void> {
    const session = this.session(key);
    if (!session || session.phase !== 'editing' || this.starting.has(key)) return;
    const blocked = this.deps.blocked?.() ?? null;
    if (blocked) return this.formError(key, blocked, 'identity-input');
    const profile = this.profile(session.draft.profile);
    if (!profile) return this.formError(key, this.deps.noProfiles?.() ?? { key: 'app.noProfiles' }, 'profile');
    this.starting.add(key);
    let requested = false;
    try {
      const { backend } = this.deps;
      const draft = session.draft;
      const input = identityInput(draft, profile);
      const cached = session.identityCheck;
      let check =
        cached && cached.input === input && cached.profile === profile.name ? cached.result : null;
      if (!check) {
        check = await backend.checkIdentity(profile.name, input);
        this.deps.dispatch({ type: 'identityChecked', key, profile: profile.name, input, result: check });
      }
      if (!check.ok) {
        return this.formError(key, check.error ? { error: check.error } : { key: 'form.fixIdentity' }, 'identity-input');
      }

      const rules = profile.binding_message;
      let binding: string | null = null;
      if (rules.requirement !== 'forbidden') {
        let message = draft.bindingMessage.trim();
        if (message === '' && rules.generate_when_empty) {
          // Generated here rather than by the backend, so the agent sees the code.
          message = await backend.generateCode();
          this.deps.dispatch({ type: 'edit', key, patch: { bindingMessage: message, bindingGenerated: true } });
        }
        if (message === '' && rules.requirement === 'required') {
          return this.formError(key, { key: 'error.binding_message_required' }, 'binding-message');
        }
        if (message !== '') {
          const result = await backend.checkBindingMessage(profile.name, message);
          if (!result.ok) {
            const problem: UiMessage = result.error ? { error: result.error } : { key: 'error.binding_message_required' };
            return this.formError(key, problem, 'binding-message');
          }
          binding = message;
        }
      }

      const callInitiator = profile.call_initiator ? draft.callInitiator : null;
      const reference = draft.reference.trim() || null;
      this.deps.dispatch({
        type: 'start',
        key,
        sent: {
          profile: profile.name,
          masked: check.masked ?? '•••',
          bindingMessage: binding,
          callInitiator,
          reference,
          atMs: this.now(),
        },
      });
      this.deps.onProfileUsed?.(profile.name);
      const attempt = this.session(key)?.attempts ?? 0;
      this.deps.focus('progress-heading');
      requested = true;
      const { id } = await backend.startVerification(
        { profile: profile.name, identity: input, binding_message: binding, call_initiator: callInitiator, reference },
        (event) => this.onEvent(key, attempt, event),
      );
      this.deps.dispatch({ type: 'started', key, id });
      if (this.cancelWhenStarted.delete(key)) await this.sendCancel(key, id);
    } catch (thrown) {
      const error = toBackendError(thrown);
      const field = error.field;
      if (requested && field && CHECKED_AT_START.includes(field) && this.session(key)?.id === null) {
        this.cancelWhenStarted.delete(key);
        this.deps.dispatch({ type: 'startRefused', key });
        this.formError(key, { error }, FIELD_TEST_IDS[field]);
      } else if (requested) {
        this.deps.dispatch({ type: 'startFailed', key, error });
        this.afterFinal(key, 'failed', error);
      } else {
        this.formError(key, { error }, FIELD_TEST_IDS[error.field ?? 'identity']);
      }
    } finally {
      this.starting.delete(key);
    }
  }

  onEvent(key: number, attempt: number, event: VerificationEvent) {
    const before = this.session(key);
    if (!before || before.attempts !== attempt) return;
    // Only `audit_failed` still matters once the attempt has finished (it is not a state change).
    if (!isActive(before.phase) && (event.state !== 'audit_failed' || before.phase === 'editing')) return;
    this.deps.dispatch({ type: 'event', key, event, nowMs: this.now() });
    const after = this.session(key);
    if (!after || after === before) return;
    const t = this.deps.t();
    switch (event.state) {
      case 'requesting':
        break;
      case 'waiting':
        this.say(key, event.word_pair ? t('announce.wordPair', { words: event.word_pair }) : t('announce.waiting'));
        break;
      case 'verified': {
        if (event.match === 'mismatch') {
          this.say(key, t('announce.mismatch'), 'assertive');
        } else {
          const name = event.identity.display_name ?? event.identity.national_id_masked ?? '';
          this.say(key, t('announce.verified', { name, match: matchTitle(t, event.match) }));
        }
        if (this.isShown(key)) this.deps.focus('result-heading');
        this.deps.onFinished?.();
        break;
      }
      case 'denied':
      case 'expired':
      case 'failed':
        this.afterFinal(key, event.state, event.error);
        break;
      case 'cancelled':
        this.afterFinal(key, 'cancelled', null, event.provider_notified ? null : t('outcome.cancelled.notNotified'));
        break;
      case 'audit_failed':
        // Not final: the final event follows and does the focus and the history refresh.
        this.say(key, t('audit.failedAnnounce'), 'assertive');
        break;
    }
  }

  private afterFinal(key: number, outcome: Unsuccessful, error: BackendError | null, note: string | null = null) {
    const t = this.deps.t();
    const message = [error ? errorText(t, error) : t(`outcome.${outcome}.advice`), note].filter(Boolean).join(' ');
    this.say(key, t('announce.outcome', { title: t(`outcome.${outcome}.title`), message }));
    if (this.isShown(key)) this.deps.focus('try-again');
    this.deps.onFinished?.();
  }

  private isShown(key: number) {
    return this.deps.getState().activeKey === key;
  }

  /** Announces, naming the customer when the tab is not the one on screen. */
  private say(key: number, message: string, politeness?: Politeness) {
    const session = this.session(key);
    const prefix = !this.isShown(key) && session?.sent ? `${session.sent.masked}: ` : '';
    this.deps.announce(prefix + message, politeness);
  }

  async cancel(key: number) {
    const session = this.session(key);
    if (!session || !isActive(session.phase) || session.cancelling) return;
    this.deps.dispatch({ type: 'cancelling', key });
    if (session.id === null) {
      this.cancelWhenStarted.add(key);
      return;
    }
    await this.sendCancel(key, session.id);
  }

  private async sendCancel(key: number, id: string) {
    try {
      await this.deps.backend.cancelVerification(id);
    } catch (error) {
      // Most likely it finished meanwhile; its final event says how.
      this.deps.announce(errorText(this.deps.t(), toBackendError(error)));
    }
    void key;
  }

  async retry(key: number) {
    const before = this.session(key);
    this.deps.dispatch({ type: 'retry', key });
    this.deps.focus('identity-input');
    if (!before?.draft.bindingGenerated || this.session(key)?.phase !== 'editing') return;
    // A generated code is never sent twice: with the old one on the phone, the customer
    // could not tell the new request from the one that failed. Cleared at once, so the
    // old code cannot be sent while the new one is on its way.
    this.deps.dispatch({ type: 'edit', key, patch: { bindingMessage: '', bindingGenerated: false } });
    try {
      const code = await this.deps.backend.generateCode();
      const now = this.session(key);
      // The agent may have typed a message meanwhile: that one stays.
      if (now?.phase !== 'editing' || now.draft.bindingMessage !== '') return;
      this.deps.dispatch({ type: 'edit', key, patch: { bindingMessage: code, bindingGenerated: true } });
    } catch (error) {
      this.deps.dispatch({ type: 'formError', key, message: { error: toBackendError(error) } });
    }
  }

  /** Closes a tab that is not running; focus goes to the tab left on screen. */
  close(key: number) {
    const session = this.session(key);
    if (!session || isActive(session.phase)) return;
    this.deps.dispatch({ type: 'close', key });
    if (!this.session(key)) this.focusActiveTab();
  }

  /** Ctrl+W: the tab on screen, as its close button would; a running one is not closed. */
  closeActive() {
    const state = this.deps.getState();
    const session = state.sessions.find((s) => s.key === state.activeKey);
    if (!session) return;
    if (isActive(session.phase)) {
      this.deps.announce(this.deps.t()('tabs.closeRunning'), 'assertive');
      return;
    }
    this.close(session.key);
  }

  /** Closes every finished tab but keeps at least one open. */
  closeFinished() {
    const count = finishedToClose(this.deps.getState()).length;
    if (count === 0) return;
    this.deps.dispatch({ type: 'closeFinished' });
    this.deps.announce(this.deps.t()('tabs.closedFinished', { count }));
    this.focusActiveTab();
  }

  private focusActiveTab() {
    this.deps.focus(`tab-${this.deps.getState().activeKey}`);
  }
}
