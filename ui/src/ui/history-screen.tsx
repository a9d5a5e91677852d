import { useEffect, useState } from 'preact/hooks';
import { toBackendError, type AuditStatus, type BackendError, type HistoryEntry } from '../api/types';
import { codeText, errorText } from '../i18n/texts';
import { AuditBrokenAlert, AuditRecord, AuditStatusLine } from './audit';
import { useUi } from './context';
import { formatDayUnlessToday, formatTime } from './format';
import { AlertIcon, CheckCircleIcon, RefreshIcon } from './icons';
import { OutcomeCard, ResultCard, SandboxBanner } from './result-card';

export const HISTORY_LIMIT = 100;

interface Props {
  /** Changes whenever a verification finishes, to reload. */
  version: number;
  selected: string | null;
  onSelect: (id: string | null) => void;
}

export function HistoryScreen({ version, selected, onSelect: setSelected }: Props) {
  const { t, locale, backend } = useUi();
  const [entries, setEntries] = useState<HistoryEntry[] | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [status, setStatus] = useState<AuditStatus | null>(null);
  const [statusError, setStatusError] = useState<BackendError | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    // Separately: a status that cannot be read must not hide the list, nor the other way round.
    backend
      .history(HISTORY_LIMIT)
      .then((list) => {
        if (!live) return;
        setEntries(list);
        setError(null);
      })
      .catch((e) => live && setError(toBackendError(e)));
    backend
      .auditStatus()
      .then((next) => {
        if (!live) return;
        setStatus(next);
        setStatusError(null);
      })
      .catch((e) => {
        if (!live) return;
        setStatus(null);
        setStatusError(toBackendError(e));
      });
    return () => {
      live = false;
    };
  }, [version, reload]);

  const entry = entries?.find((e) => e.id === selected) ?? null;
  // Records from earlier days say which day; today's show the time only.
  const day = (ms: number) => formatDayUnlessToday(ms, locale);

  return (
    <section class="screen history-screen" data-testid="history" aria-labelledby="history-title">
      <header class="screen-head">
        <div>
          <h1 id="history-title">{t('history.title')}</h1>
          <p class="screen-sub">{t('history.subtitle')}</p>
          {status && <AuditStatusLine status={status} />}
        </div>
        <button type="button" class="button button--secondary" onClick={() => setReload((n) => n + 1)} data-testid="history-refresh">
          <RefreshIcon size={16} />
          {t('history.refresh')}
        </button>
      </header>
      {status && !status.intact && <AuditBrokenAlert status={status} />}
      {statusError && (
        <p class="message message--error screen-message" role="alert" data-testid="audit-status-error">
          {t('audit.statusFailed', { message: errorText(t, statusError) })}
        </p>
      )}
      {error && (
        <p class="message message--error screen-message" role="alert" data-testid="history-error">
          {t('history.loadFailed', { message: errorText(t, error) })}
        </p>
      )}
      <div class="history-layout">
        <div class="card history-list-card">
          {entries && entries.length === 0 ? (
            <p class="empty-note" data-testid="history-empty">
              {t('history.empty')}
            </p>
          ) : (
            <>
              <div class="history-row history-row--head" aria-hidden="true">
                <span>{t('history.time')}</span>
                <span>{t('history.customer')}</span>
                <span>{t('history.outcome')}</span>
                <span>{t('history.profile')}</span>
              </div>
              <ul class="history-list" aria-label={t('history.title')}>
                {(entries ?? []).map((e, i) => {
                  const name = e.subject_name ?? e.result?.display_name;
                  return (
                    <li key={e.id}>
                      <button
                        type="button"
                        class={`history-row ${selected === e.id ? 'is-selected' : ''}`}
                        aria-pressed={selected === e.id}
                        data-testid={`history-row-${i + 1}`}
                        data-id={e.id}
                        onClick={() => setSelected(e.id)}
                      >
                        <span class="history-time">
                          {formatTime(e.started_at_ms, locale)}
                          {day(e.started_at_ms) && <span class="history-date">{day(e.started_at_ms)}</span>}
                        </span>
                        <span class="history-customer">
                          <span class="mono">{e.masked_identity}</span>
                          {name && <span class="history-name">{name}</span>}
                        </span>
                        <span>
                          <span class={`badge badge--${e.outcome}`}>
                            <span class={`state-dot state-dot--${e.outcome}`} aria-hidden="true" />
                            {t(`state.${e.outcome}`)}
                          </span>
                        </span>
                        <span class="history-profile">{e.profile}</span>
                      </button>
                    </li>
                  );
                })}
              </ul>
            </>
          )}
        </div>
        <div class="history-detail" data-testid="history-detail">
          {entry ? (
            <>
              <EntryCard entry={entry} />
              <AuditRecord entry={entry} />
            </>
          ) : (
            <p class="card empty-note">{t('history.select')}</p>
          )}
        </div>
      </div>
    </section>
  );
}

/** The result as far as it is known: in full for this app run, from the audit record otherwise. */
function EntryCard({ entry }: { entry: HistoryEntry }) {
  const { t, profiles } = useUi();
  const sandbox = profiles.find((p) => p.name === entry.profile)?.is_sandbox ?? false;
  if (entry.result) {
    return (
      <ResultCard
        identity={entry.result}
        match={entry.outcome === 'mismatch' ? 'mismatch' : entry.match}
        matchDetail={null}
        providerName={entry.profile}
      />
    );
  }
  if (entry.outcome === 'verified' || entry.outcome === 'mismatch' || entry.outcome === 'not_comparable') {
    return <RecordedResultCard entry={entry} sandbox={sandbox} />;
  }
  // The log gives every ending a code (access_denied, expired, …); the card shows it for failures
  // only, as the live view does. The audit record below lists it in every case. An earlier run's
  // record has the code but not the error's details: its sentence is shown when it needs none.
  const code = entry.outcome === 'failed' ? entry.error_code : null;
  const message = entry.error ? errorText(t, entry.error) : entry.error_code ? codeText(t, entry.error_code) : null;
  return <OutcomeCard outcome={entry.outcome} message={message} code={code} sandbox={sandbox} />;
}

/** A verification from an earlier run: the log keeps who and what, not the verified identity's details. */
function RecordedResultCard({ entry, sandbox }: { entry: HistoryEntry; sandbox: boolean }) {
  const { t } = useUi();
  const mismatch = entry.outcome === 'mismatch';
  return (
    <article
      class={`result result--verified result--recorded ${mismatch ? 'result--mismatch' : ''}`}
      data-testid="result"
      data-outcome={entry.outcome}
      aria-labelledby="result-heading"
    >
      {sandbox && <SandboxBanner />}
      <header class="result-head">
        {mismatch ? <AlertIcon size={32} /> : <CheckCircleIcon size={32} />}
        <h2 id="result-heading" class="result-title" tabIndex={-1} data-testid="result-heading">
          {mismatch ? t('result.mismatchTitle') : t('result.verified')}
        </h2>
      </header>
      <div class="result-body">
        {entry.subject_name && (
          <p class="result-name" data-testid="result-name">
            {entry.subject_name}
          </p>
        )}
        <p class="result-message" data-testid="recorded-summary">
          {t(
            mismatch
              ? 'history.recordedMismatch'
              : entry.outcome === 'not_comparable'
                ? 'history.recordedNotComparable'
                : 'history.recordedVerified',
            { identity: entry.masked_identity },
          )}
        </p>
        <p class="result-advice">{t('history.recordedOnly')}</p>
      </div>
    </article>
  );
}
