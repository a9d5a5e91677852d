import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { MatchDetail, MatchResult, VerifiedIdentity } from '../api/types';
import { matchText, matchTitle, methodLabel } from '../i18n/texts';
import type { Unsuccessful } from '../state/sessions';
import { copyText } from './clipboard';
import { useUi } from './context';
import { formatBirthDate, formatDateTime } from './format';
import { AlertIcon, CheckCircleIcon, ClockIcon, CopyIcon, FlaskIcon, HelpIcon, StopIcon, XIcon } from './icons';
import { summaryLine, type RequestFacts, type SummaryFacts } from './summary';

export function SandboxBanner() {
  const { t } = useUi();
  return (
    <div class="sandbox-banner" data-testid="sandbox-banner">
      <FlaskIcon size={16} />
      {t('sandbox.banner')}
    </div>
  );
}

/** Whether the verified identity is the one asked for; `detail` says what was compared (unknown for earlier runs). */
export function MatchBadge({ match, detail }: { match: MatchResult; detail: MatchDetail | null }) {
  const { t } = useUi();
  const Icon = match === 'match' ? CheckCircleIcon : match === 'mismatch' ? AlertIcon : HelpIcon;
  return (
    <div class={`match match--${match}`} data-testid="match" data-match={match}>
      <Icon size={match === 'mismatch' ? 28 : 22} />
      <div>
        <p class="match-title">{matchTitle(t, match)}</p>
        <p class="match-body" data-testid="match-body">
          {matchText(t, match, detail)}
        </p>
      </div>
    </div>
  );
}

interface FactProps {
  label: string;
  children: ComponentChildren;
  mono?: boolean;
  /** Spans the whole row of a two-column list. */
  wide?: boolean;
  /** A data-field attribute, to find one fact (tests). */
  field?: string;
}

export function Fact({ label, children, mono, wide, field }: FactProps) {
  return (
    <div class={wide ? 'fact fact--wide' : 'fact'} data-field={field}>
      <dt>{label}</dt>
      <dd class={mono ? 'mono' : undefined}>{children}</dd>
    </div>
  );
}

/** "Case CASE-4711" under a card's title: which case in the CRM the verification was for. */
export function ReferenceLine({ reference }: { reference: string | null | undefined }) {
  const { t } = useUi();
  if (!reference) return null;
  return (
    <p class="result-reference" data-testid="result-reference">
      {t('result.reference', { reference })}
    </p>
  );
}

type CopyState = 'idle' | 'copied' | 'failed';

/** "Copy summary": one line, masked, for the case in the CRM (see summaryLine). */
export function CopySummaryButton({ facts }: { facts: SummaryFacts }) {
  const { t, announce } = useUi();
  const line = summaryLine(t, facts);
  const [state, setState] = useState<CopyState>('idle');
  // Another verification (or language) on the same card: "copied" was about the old line.
  useEffect(() => setState('idle'), [line]);
  const copy = async () => {
    const copied = await copyText(line);
    setState(copied ? 'copied' : 'failed');
    announce(t(copied ? 'result.summaryCopied' : 'result.copyFailed'), copied ? 'polite' : 'assertive');
  };
  return (
    <>
      <button type="button" class="button button--ghost" data-testid="copy-summary" onClick={() => void copy()}>
        <CopyIcon size={16} />
        {state === 'copied' ? t('result.summaryCopied') : t('result.copySummary')}
      </button>
      {state === 'failed' && (
        <p class="message message--error copy-failed" data-testid="copy-summary-failed">
          <AlertIcon size={16} />
          <span>{t('result.copyFailed')}</span>
        </p>
      )}
    </>
  );
}

function Actions({ actions, summary }: { actions?: ComponentChildren; summary: SummaryFacts | null }) {
  if (!actions && !summary) return null;
  return (
    <div class="result-actions">
      {actions}
      {summary && <CopySummaryButton facts={summary} />}
    </div>
  );
}

interface ResultProps {
  identity: VerifiedIdentity;
  match: MatchResult | null;
  matchDetail: MatchDetail | null;
  /** The profile as agents know it: its title (see profileTitle), not translated. */
  providerName: string;
  /** Buttons under the card (none in History, where only "Copy summary" is). */
  actions?: ComponentChildren;
  /** The request this answers: its case reference is shown, and it can be copied as a summary. */
  request?: RequestFacts;
}

export function ResultCard({ identity, match, matchDetail, providerName, actions, request }: ResultProps) {
  const { t, locale } = useUi();
  const mismatch = match === 'mismatch';
  const unknown = <span class="muted">{t('result.unknown')}</span>;
  const method = methodLabel(t, identity);
  const summary: SummaryFacts | null = request ? { ...request, outcome: 'verified', match, method } : null;
  return (
    <article
      class={`result result--verified ${mismatch ? 'result--mismatch' : ''}`}
      data-testid="result"
      data-outcome={mismatch ? 'mismatch' : 'verified'}
      aria-labelledby="result-heading"
    >
      {identity.is_sandbox && <SandboxBanner />}
      <header class="result-head">
        {mismatch ? <AlertIcon size={36} /> : <CheckCircleIcon size={36} />}
        <div>
          <h2 id="result-heading" class="result-title" tabIndex={-1} data-testid="result-heading">
            {mismatch ? t('result.mismatchTitle') : t('result.verified')}
          </h2>
          {identity.auth_time_ms !== null && (
            <p class="result-sub">
              {t('result.time')} {formatDateTime(identity.auth_time_ms, locale)}
            </p>
          )}
          <ReferenceLine reference={request?.reference} />
        </div>
      </header>
      {match && <MatchBadge match={match} detail={matchDetail} />}
      <div class="result-body">
        <p class="result-name" data-testid="result-name">
          {identity.display_name ?? t('result.unknown')}
        </p>
        <dl class="facts">
          <Fact label={t('result.nationalId')} mono>
            {identity.national_id_masked ?? unknown}
          </Fact>
          <Fact label={t('result.dob')}>
            {identity.date_of_birth ? (
              <>
                {formatBirthDate(identity.date_of_birth, locale)}
                {identity.age !== null && <span class="muted"> · {t('result.age', { age: identity.age })}</span>}
              </>
            ) : (
              unknown
            )}
          </Fact>
          <Fact label={t('result.method')}>{method ?? unknown}</Fact>
          <Fact label={t('result.provider')} field="provider">
            {providerName}
          </Fact>
          <Fact label={t('result.transaction')} mono>
            {identity.transaction_id ?? unknown}
          </Fact>
        </dl>
      </div>
      <Actions actions={actions} summary={summary} />
    </article>
  );
}

interface OutcomeProps {
  /** `interrupted` only in History: a verification whose app stopped before it ended. */
  outcome: Unsuccessful | 'interrupted';
  /** What the backend said, in the agent's language. */
  message: string | null;
  code: string | null;
  /** A cancelled request the provider was not told about: it may still show in the customer's app. */
  notNotified?: boolean;
  sandbox: boolean;
  actions?: ComponentChildren;
  /** The request this answers: its case reference is shown, and it can be copied as a summary. */
  request?: RequestFacts;
}

export function OutcomeCard({ outcome, message, code, notNotified = false, sandbox, actions, request }: OutcomeProps) {
  const { t } = useUi();
  const Icon = outcome === 'expired' ? ClockIcon : outcome === 'cancelled' ? XIcon : outcome === 'denied' ? StopIcon : AlertIcon;
  // An interrupted verification has no outcome worth a note in the case.
  const summary: SummaryFacts | null =
    request && outcome !== 'interrupted' ? { ...request, outcome, match: null, method: null } : null;
  return (
    <article class={`result result--${outcome}`} data-testid="result" data-outcome={outcome} aria-labelledby="result-heading">
      {sandbox && <SandboxBanner />}
      <header class="result-head">
        <Icon size={32} />
        <div>
          <h2 id="result-heading" class="result-title" tabIndex={-1} data-testid="result-heading">
            {t(`outcome.${outcome}.title`)}
          </h2>
          <ReferenceLine reference={request?.reference} />
        </div>
      </header>
      <div class="result-body">
        {message && outcome !== 'cancelled' && (
          <p class="result-message" data-testid="result-message">
            {message}
          </p>
        )}
        <p class="result-advice">{t(`outcome.${outcome}.advice`)}</p>
        {notNotified && (
          <p class="result-advice" data-testid="not-notified">
            {t('outcome.cancelled.notNotified')}
          </p>
        )}
        {code && (
          <p class="result-code muted" data-testid="error-code">
            {t('result.errorCode', { code })}
          </p>
        )}
      </div>
      <Actions actions={actions} summary={summary} />
    </article>
  );
}
