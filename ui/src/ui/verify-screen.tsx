import { useEffect, useRef } from 'preact/hooks';
import type { ProfileSummary } from '../api/types';
import { errorWords, profileTitleOf } from '../i18n/texts';
import type { Controller } from '../state/controller';
import {
  displayState,
  finishedToClose,
  isActive,
  isFinished,
  tabTitle,
  type Phase,
  type Session,
  type SessionsState,
} from '../state/sessions';
import { AuditFailedAlert } from './audit';
import { useUi } from './context';
import { Countdown } from './countdown';
import { formatTime } from './format';
import {
  AlertIcon,
  CheckIcon,
  ClockIcon,
  InfoIcon,
  PhoneIcon,
  PlusIcon,
  SendIcon,
  ShieldIcon,
  SpeakIcon,
  XIcon,
} from './icons';
import { LinkNotice } from './link-notice';
import { MessageText } from './message';
import { OrgBanner } from './organisation';
import { PolicyProblem } from './policy';
import { QrPanel } from './qr';
import { RequestForm } from './request-form';
import { OutcomeCard, ResultCard, SandboxBanner } from './result-card';
import type { RequestFacts } from './summary';

interface Props {
  state: SessionsState;
  controller: Controller;
  onShowQr: (key: number) => void;
}

export function VerifyScreen({ state, controller, onShowQr }: Props) {
  const session = state.sessions.find((s) => s.key === state.activeKey) ?? state.sessions[0]!;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || !(event.ctrlKey || event.metaKey)) return;
      if (event.code !== 'KeyW' && event.key.toLowerCase() !== 'w') return;
      // Even when nothing can be closed: Ctrl+W must never close the window mid-shift.
      event.preventDefault();
      controller.closeActive();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div class="verify-screen">
      <PolicyProblem />
      <OrgBanner />
      <SessionTabs state={state} controller={controller} />
      <div
        class="session-panel"
        role="tabpanel"
        id={`panel-${session.key}`}
        aria-labelledby={`tab-${session.key}`}
        data-testid="session-panel"
        data-key={session.key}
      >
        <SessionView session={session} controller={controller} onShowQr={() => onShowQr(session.key)} />
      </div>
    </div>
  );
}

/** Scrolls a tab into the strip's view, where the browser can (jsdom and older engines cannot). */
function reveal(key: number) {
  const tab = document.getElementById(`tab-${key}`);
  if (typeof tab?.scrollIntoView === 'function') tab.scrollIntoView({ block: 'nearest', inline: 'nearest' });
}

function SessionTabs({ state, controller }: { state: SessionsState; controller: Controller }) {
  const { t } = useUi();
  const keys = state.sessions.map((s) => s.key);
  const phases = useRef(new Map<number, Phase>());
  useEffect(() => {
    const before = phases.current;
    const finished = state.sessions.filter((s) => {
      const was = before.get(s.key);
      return isFinished(s.phase) && was !== undefined && !isFinished(was);
    });
    phases.current = new Map(state.sessions.map((s) => [s.key, s.phase]));
    // The tab on screen last, so that it wins when both do not fit.
    finished.forEach((s) => reveal(s.key));
    reveal(state.activeKey);
  }, [state.sessions, state.activeKey]);
  const closingCount = finishedToClose(state).length;
  const onKeyDown = (event: KeyboardEvent) => {
    const index = keys.indexOf(state.activeKey);
    let next = -1;
    if (event.key === 'ArrowRight') next = (index + 1) % keys.length;
    else if (event.key === 'ArrowLeft') next = (index - 1 + keys.length) % keys.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = keys.length - 1;
    if (next < 0) return;
    event.preventDefault();
    const key = keys[next]!;
    controller.dispatch({ type: 'select', key });
    requestAnimationFrame(() => document.getElementById(`tab-${key}`)?.focus());
  };
  return (
    <>
      <div class="tabs-bar">
        <div class="tabs" role="tablist" aria-label={t('tabs.label')} onKeyDown={onKeyDown}>
          {state.sessions.map((s) => {
            const selected = s.key === state.activeKey;
            const shown = displayState(s);
            const title = tabTitle(s) ?? t('tabs.untitled');
            const named = Boolean(s.result?.identity.display_name);
            const closable = state.sessions.length > 1 && !isActive(s.phase);
            return (
              <div class={`tab-wrap ${selected ? 'is-selected' : ''}`} role="presentation" key={s.key}>
                <button
                  type="button"
                  role="tab"
                  id={`tab-${s.key}`}
                  class={`tab tab--${shown}`}
                  aria-selected={selected}
                  aria-controls={`panel-${s.key}`}
                  tabIndex={selected ? 0 : -1}
                  data-testid={`tab-${s.key}`}
                  data-state={shown}
                  // The strip cuts long titles short; the identifier stays at hand under a name.
                  title={named ? s.sent?.masked : (tabTitle(s) ?? undefined)}
                  onClick={() => controller.dispatch({ type: 'select', key: s.key })}
                >
                  <span class={`state-dot state-dot--${shown}`} aria-hidden="true" />
                  <span class="tab-text">
                    <span class={`tab-title ${named ? 'tab-title--name' : ''}`} data-testid={`tab-title-${s.key}`}>
                      {title}
                    </span>
                    <span class="tab-state">{t(`state.${shown}`)}</span>
                  </span>
                </button>
                {closable && (
                  <button
                    type="button"
                    class="tab-close"
                    tabIndex={selected ? 0 : -1}
                    aria-label={t('tabs.close', { name: title })}
                    aria-keyshortcuts={selected ? 'Control+W Meta+W' : undefined}
                    data-testid={`tab-close-${s.key}`}
                    onClick={() => controller.close(s.key)}
                  >
                    <XIcon size={14} />
                  </button>
                )}
              </div>
            );
          })}
        </div>
        <button
          type="button"
          class="button button--secondary new-verification"
          data-testid="new-verification"
          onClick={() => controller.newTab()}
          aria-keyshortcuts="Alt+N"
        >
          <PlusIcon size={16} />
          {t('tabs.new')}
          <kbd aria-hidden="true">{t('tabs.newShortcut')}</kbd>
        </button>
        {closingCount > 0 && state.sessions.length > 1 && (
          <button
            type="button"
            class="button button--ghost close-finished"
            data-testid="close-finished"
            onClick={() => controller.closeFinished()}
          >
            <XIcon size={16} />
            {t('tabs.closeFinished', { count: closingCount })}
          </button>
        )}
      </div>
      {state.notice && (
        <p class="message message--error tabs-notice" data-testid="tabs-notice">
          <AlertIcon size={16} />
          <span>
            <MessageText parts={[state.notice]} />
          </span>
        </p>
      )}
    </>
  );
}

function SessionView({ session, controller, onShowQr }: { session: Session; controller: Controller; onShowQr: () => void }) {
  const { profiles } = useUi();
  const profile = profiles.find((p) => p.name === (session.sent?.profile ?? session.draft.profile));
  if (session.phase === 'editing') {
    return (
      <>
        {session.leftOut && <LinkNotice leftOut={session.leftOut} />}
        <div class="workspace">
          <RequestForm session={session} controller={controller} />
          <EmptyState profile={profile} />
        </div>
      </>
    );
  }
  return (
    <div class="workspace">
      <RequestSummary session={session} />
      <div class="progress-column">
        <Progress session={session} profile={profile} controller={controller} onShowQr={onShowQr} />
      </div>
    </div>
  );
}

function EmptyState({ profile }: { profile: ProfileSummary | undefined }) {
  const { t } = useUi();
  return (
    <section class="card empty-state" aria-labelledby="empty-title">
      <div class="empty-icon">
        <ShieldIcon size={36} />
      </div>
      <h2 id="empty-title" class="empty-title">
        {t('empty.title')}
      </h2>
      <ol class="empty-steps">
        <li>
          <span class="empty-step-icon">
            <SendIcon size={18} />
          </span>
          {t('empty.step1')}
        </li>
        <li>
          <span class="empty-step-icon">
            <PhoneIcon size={18} />
          </span>
          {t('empty.step2')}
        </li>
        <li>
          <span class="empty-step-icon">
            <CheckIcon size={18} />
          </span>
          {t('empty.step3')}
        </li>
      </ol>
      {profile?.pickup && (
        <p class="note note--info">
          <InfoIcon size={16} />
          {t('empty.pickup')}
        </p>
      )}
    </section>
  );
}

function RequestSummary({ session }: { session: Session }) {
  const { t, locale, profiles } = useUi();
  const sent = session.sent!;
  return (
    <section class="card summary" aria-labelledby={`summary-${session.key}`} data-testid="summary">
      <h2 class="card-title" id={`summary-${session.key}`}>
        {t('summary.title')}
        {session.attempts > 1 && <span class="chip">{t('summary.attempt', { count: session.attempts })}</span>}
      </h2>
      <dl class="facts facts--stacked">
        <div class="fact">
          <dt>{t('summary.identity')}</dt>
          <dd class="mono summary-identity" data-testid="summary-identity">
            {sent.masked}
          </dd>
        </div>
        <div class="fact">
          <dt>{t('summary.profile')}</dt>
          <dd data-testid="summary-profile">{profileTitleOf(sent.profile, profiles)}</dd>
        </div>
        <div class="fact">
          <dt>{t('summary.binding')}</dt>
          <dd class={sent.bindingMessage ? 'summary-binding' : 'muted'} data-testid="summary-binding">
            {sent.bindingMessage ?? t('summary.none')}
          </dd>
        </div>
        {sent.reference && (
          <div class="fact">
            <dt>{t('reference.label')}</dt>
            <dd class="mono summary-reference" data-testid="summary-reference">
              {sent.reference}
            </dd>
          </div>
        )}
        {sent.callInitiator && (
          <div class="fact">
            <dt>{t('summary.initiator')}</dt>
            <dd>{t(sent.callInitiator === 'user' ? 'ci.user' : 'ci.rp')}</dd>
          </div>
        )}
        <div class="fact">
          <dt>{t('summary.started')}</dt>
          <dd>{formatTime(sent.atMs, locale)}</dd>
        </div>
      </dl>
    </section>
  );
}

type StepState = 'todo' | 'current' | 'done' | 'good' | 'bad' | 'neutral';

function Steps({ session }: { session: Session }) {
  const { t } = useUi();
  const shown = displayState(session);
  const phase = session.phase;
  const sending: StepState = phase === 'requesting' ? 'current' : 'done';
  const waitingReached = session.waiting !== null || phase === 'waiting';
  const waiting: StepState =
    phase === 'waiting' ? 'current' : phase === 'requesting' ? 'todo' : waitingReached ? 'done' : 'neutral';
  const final: StepState =
    shown === 'verified'
      ? 'good'
      : shown === 'mismatch' || shown === 'denied' || shown === 'failed' || shown === 'expired'
        ? 'bad'
        : shown === 'cancelled'
          ? 'neutral'
          : 'todo';
  const finalLabel = isFinished(phase) ? t(`state.${shown}`) : t('step.result');
  const items: [string, StepState][] = [
    [t('step.sending'), sending],
    [t('step.waiting'), waiting],
    [finalLabel, final],
  ];
  return (
    <ol class="steps" data-testid="status" data-state={shown} aria-label={t('progress.title')}>
      {items.map(([label, state], i) => (
        <li class={`step step--${state}`} key={i} aria-current={state === 'current' ? 'step' : undefined}>
          <span class="step-marker" aria-hidden="true">
            {state === 'done' || state === 'good' ? <CheckIcon size={14} /> : state === 'bad' ? <XIcon size={14} /> : i + 1}
          </span>
          <span class="step-label">{label}</span>
        </li>
      ))}
    </ol>
  );
}

interface ProgressProps {
  session: Session;
  profile: ProfileSummary | undefined;
  controller: Controller;
  onShowQr: () => void;
}

function Progress({ session, profile, controller, onShowQr }: ProgressProps) {
  const { t, profiles } = useUi();
  const { phase, waiting, outcome } = session;
  const sandbox = profile?.is_sandbox ?? false;
  const words = outcome?.error ? errorWords(t, outcome.error) : null;
  const sent = session.sent;
  const providerName = profileTitleOf(session.result?.identity.profile || sent?.profile || '', profiles);
  const request: RequestFacts | undefined = sent
    ? { masked: sent.masked, provider: providerName, startedMs: sent.atMs, reference: sent.reference }
    : undefined;
  const tryAgain = (primary: boolean) => (
    <button
      type="button"
      class={`button ${primary ? 'button--primary' : 'button--secondary'}`}
      data-testid="try-again"
      onClick={() => void controller.retry(session.key)}
    >
      {t('result.tryAgain')}
    </button>
  );
  const newVerification = (primary: boolean) => (
    <button
      type="button"
      class={`button ${primary ? 'button--primary' : 'button--secondary'}`}
      data-testid={primary ? 'result-new' : undefined}
      onClick={() => controller.newTab()}
    >
      <PlusIcon size={16} />
      {t('result.newVerification')}
    </button>
  );

  return (
    <section class="card progress" aria-labelledby={`progress-${session.key}`}>
      <h2 class="sr-only" id={`progress-${session.key}`} tabIndex={-1} data-testid="progress-heading">
        {t('progress.title')}
      </h2>
      <Steps session={session} />
      {session.auditError !== null && <AuditFailedAlert error={session.auditError} />}

      {isActive(phase) && (
        <div class="live" data-testid="live">
          {sandbox && <SandboxBanner />}
          <p class="status-line">
            <span class="spinner" aria-hidden="true" />
            {phase === 'requesting'
              ? t('status.requesting', { provider: profileTitleOf(session.sent?.profile ?? '', profiles) })
              : profile?.pickup
                ? t('status.waitingPickup')
                : t('status.waiting')}
          </p>

          {waiting?.wordPair && (
            <div class="callout callout--words" data-testid="word-pair">
              <p class="callout-label">
                <SpeakIcon size={18} />
                {t('wordpair.label')}
              </p>
              <p class="word-pair" lang={profile?.countries[0] === 'no' ? 'nb' : undefined}>
                {waiting.wordPair}
              </p>
              <p class="hint">{t('wordpair.hint')}</p>
            </div>
          )}

          {phase === 'waiting' && session.sent?.bindingMessage && (
            <div class={`callout callout--binding ${waiting?.qrSvg ? 'callout--compact' : ''}`} data-testid="binding-shown">
              <p class="callout-label">
                <PhoneIcon size={18} />
                {t('binding.shown')}
              </p>
              <p class="binding-shown">{session.sent.bindingMessage}</p>
              <p class="hint">{t('binding.shownHint')}</p>
            </div>
          )}

          {waiting && (waiting.qrSvg || waiting.customerLink) && <QrPanel waiting={waiting} onShow={onShowQr} />}

          {waiting ? (
            <Countdown expiresAtMs={waiting.expiresAtMs} sinceMs={waiting.sinceMs} announce />
          ) : (
            <div class="countdown countdown--pending" data-testid="countdown-pending">
              <div class="countdown-text">
                <span class="countdown-label">
                  <ClockIcon size={14} /> {t('countdown.label')}
                </span>
                <span class="countdown-value">–:––</span>
              </div>
              <div class="countdown-track countdown-track--indeterminate" aria-hidden="true">
                <div class="countdown-bar" />
              </div>
            </div>
          )}

          <div class="button-row">
            <button
              type="button"
              class="button button--danger-outline"
              data-testid="cancel"
              aria-keyshortcuts="Escape"
              disabled={session.cancelling}
              onClick={() => void controller.cancel(session.key)}
            >
              <XIcon size={16} />
              {session.cancelling ? t('cancel.pending') : t('cancel.button')}
              <kbd aria-hidden="true">{t('cancel.hint')}</kbd>
            </button>
          </div>
        </div>
      )}

      {phase === 'verified' && session.result && (
        <ResultCard
          identity={session.result.identity}
          match={session.result.match}
          matchDetail={session.result.matchDetail}
          providerName={providerName}
          request={request}
          actions={
            <>
              {newVerification(true)}
              {session.result.match !== 'match' && tryAgain(false)}
            </>
          }
        />
      )}

      {(phase === 'denied' || phase === 'expired' || phase === 'failed' || phase === 'cancelled') && (
        <OutcomeCard
          outcome={phase}
          message={words?.text ?? null}
          code={phase === 'failed' ? (outcome?.error?.code ?? null) : (words?.code ?? null)}
          notNotified={phase === 'cancelled' && outcome?.providerNotified === false}
          sandbox={sandbox}
          request={request}
          actions={
            <>
              {tryAgain(true)}
              {newVerification(false)}
            </>
          }
        />
      )}
    </section>
  );
}
