import { useEffect, useRef, useState } from 'preact/hooks';
import { toBackendError, type AuditStatus, type BackendError, type HistoryEntry } from '../api/types';
import { codeText, errorWords, profileTitleOf } from '../i18n/texts';
import { AuditBrokenAlert, AuditRecord, AuditStatusLine } from './audit';
import { useUi } from './context';
import { formatDayUnlessToday, formatTime } from './format';
import { AlertIcon, CheckCircleIcon, RefreshIcon, ShieldIcon } from './icons';
import { CodeLine } from './message';
import { CopySummaryButton, OutcomeCard, ReferenceLine, ResultCard, SandboxBanner } from './result-card';
import type { RequestFacts } from './summary';

/** Entries per page: the first one, and each "Show older". */
export const HISTORY_LIMIT = 100;

interface Props {
  /** Changes whenever a verification finishes, to reload. */
  version: number;
  selected: string | null;
  onSelect: (id: string | null) => void;
}

/** What the list shows: the pages loaded so far for one search. */
interface Loaded {
  search: string;
  entries: HistoryEntry[];
  /** Where the next (older) page starts; null when this was the last. */
  nextBefore: number | null;
}

export function HistoryScreen({ version, selected, onSelect: setSelected }: Props) {
  const { t, locale, backend, profiles, debounceMs, organisation } = useUi();
  // Signing in or out, or another server: other records.
  const org = organisation.view;
  const orgKey = `${org.state}|${org.server_url ?? ''}`;
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [status, setStatus] = useState<AuditStatus | null>(null);
  const [statusError, setStatusError] = useState<BackendError | null>(null);
  const [reload, setReload] = useState(0);
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState('');
  const [loadingMore, setLoadingMore] = useState(false);
  const listRef = useRef<HTMLUListElement>(null);
  const moreRef = useRef<HTMLButtonElement>(null);
  /** Bumped by every first-page load, so an older page that arrives late is dropped. */
  const generation = useRef(0);

  // The search is sent once typing pauses.
  useEffect(() => {
    const next = query.trim();
    if (next === search) return;
    const handle = setTimeout(() => setSearch(next), debounceMs);
    return () => clearTimeout(handle);
  }, [query]);

  useEffect(() => {
    let live = true;
    const current = ++generation.current;
    // Separately: a status that cannot be read must not hide the list, nor the other way round.
    backend
      .history({ limit: HISTORY_LIMIT, before: null, search })
      .then((page) => {
        if (!live || current !== generation.current) return;
        setLoaded({ search, entries: page.entries, nextBefore: page.next_before });
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
  }, [version, reload, search, orgKey]);

  const showOlder = async () => {
    if (!loaded || loaded.nextBefore === null || loadingMore) return;
    const current = generation.current;
    const shown = loaded.entries.length;
    setLoadingMore(true);
    try {
      const page = await backend.history({ limit: HISTORY_LIMIT, before: loaded.nextBefore, search: loaded.search });
      if (current !== generation.current) return;
      const known = new Set(loaded.entries.map((e) => e.id));
      const entries = [...loaded.entries, ...page.entries.filter((e) => !known.has(e.id))];
      setLoaded({ ...loaded, entries, nextBefore: page.next_before });
      setError(null);
      // The button may be gone: focus the first row that came in, else stay on the button.
      setTimeout(() => {
        const first = listRef.current?.querySelectorAll<HTMLElement>('.history-row')[shown];
        (first ?? moreRef.current)?.focus();
      }, 0);
    } catch (e) {
      if (current === generation.current) setError(toBackendError(e));
    } finally {
      setLoadingMore(false);
    }
  };

  const entries = loaded?.entries ?? null;
  const entry = entries?.find((e) => e.id === selected) ?? null;
  // Records from earlier days say which day; today's show the time only.
  const day = (ms: number) => formatDayUnlessToday(ms, locale);
  const errorShown = error ? errorWords(t, error) : null;
  const statusErrorShown = statusError ? errorWords(t, statusError) : null;
  // Server mode: the organisation's server keeps the records and its auditors check the chain.
  const server = status?.server ?? (org.state !== 'off' ? org.server_url : null);

  return (
    <section class="screen history-screen" data-testid="history" aria-labelledby="history-title">
      <header class="screen-head">
        <div>
          <h1 id="history-title">{t('history.title')}</h1>
          <p class="screen-sub">{t(server ? 'history.subtitleServer' : 'history.subtitle')}</p>
          {server ? (
            <div class="audit-status" data-testid="audit-server">
              <p class="audit-status-line">
                <ShieldIcon size={15} />
                <span>{t('history.keptByServer', { server })}</span>
              </p>
            </div>
          ) : (
            status && <AuditStatusLine status={status} />
          )}
        </div>
        <button type="button" class="button button--secondary" onClick={() => setReload((n) => n + 1)} data-testid="history-refresh">
          <RefreshIcon size={16} />
          {t('history.refresh')}
        </button>
      </header>
      {status && !status.server && !status.intact && <AuditBrokenAlert status={status} />}
      {statusErrorShown && (
        <p class="message message--error screen-message" role="alert" data-testid="audit-status-error">
          {t('audit.statusFailed', { message: statusErrorShown.text })}
          <CodeLine code={statusErrorShown.code} />
        </p>
      )}
      {errorShown && (
        <p class="message message--error screen-message" role="alert" data-testid="history-error">
          {t('history.loadFailed', { message: errorShown.text })}
          <CodeLine code={errorShown.code} />
        </p>
      )}
      <div class="history-layout">
        <div class="card history-list-card">
          <div class="field history-search" role="search">
            <label for="history-search">{t('history.search')}</label>
            <input
              id="history-search"
              type="search"
              data-testid="history-search"
              autoComplete="off"
              spellcheck={false}
              placeholder={t('history.searchPlaceholder')}
              value={query}
              onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
            />
          </div>
          {entries && entries.length === 0 ? (
            loaded!.search === '' ? (
              <p class="empty-note" data-testid="history-empty">
                {t('history.empty')}
              </p>
            ) : (
              <p class="empty-note" role="status" data-testid="history-no-match">
                {t('history.noMatch', { search: loaded!.search })}
              </p>
            )
          ) : (
            <>
              <div class="history-row history-row--head" aria-hidden="true">
                <span>{t('history.time')}</span>
                <span>{t('history.customer')}</span>
                <span>{t('history.outcome')}</span>
                <span>{t('history.profile')}</span>
              </div>
              <ul class="history-list" aria-label={t('history.title')} ref={listRef}>
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
                        <span class="history-last">
                          <span class="history-profile" data-testid="history-profile">
                            {profileTitleOf(e.profile, profiles)}
                          </span>
                          {e.reference && (
                            <span class="history-reference" title={e.reference}>
                              <span class="sr-only">{t('reference.label')}: </span>
                              <span class="mono" data-testid="history-reference">
                                {e.reference}
                              </span>
                            </span>
                          )}
                        </span>
                      </button>
                    </li>
                  );
                })}
              </ul>
              {loaded && loaded.nextBefore !== null && (
                <div class="history-more">
                  <button
                    type="button"
                    ref={moreRef}
                    class="button button--secondary"
                    data-testid="history-more"
                    // Not `disabled`: that would drop the focus to the page while it loads.
                    aria-disabled={loadingMore ? 'true' : undefined}
                    aria-busy={loadingMore ? 'true' : undefined}
                    onClick={() => void showOlder()}
                  >
                    {t('history.more')}
                  </button>
                </div>
              )}
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
  const request: RequestFacts = {
    masked: entry.masked_identity,
    provider: profileTitleOf(entry.profile, profiles),
    startedMs: entry.started_at_ms,
    reference: entry.reference,
  };
  if (entry.result) {
    return (
      <ResultCard
        identity={entry.result}
        match={entry.outcome === 'mismatch' ? 'mismatch' : entry.match}
        matchDetail={null}
        providerName={request.provider}
        request={request}
      />
    );
  }
  if (entry.outcome === 'verified' || entry.outcome === 'mismatch' || entry.outcome === 'not_comparable') {
    return <RecordedResultCard entry={entry} outcome={entry.outcome} sandbox={sandbox} request={request} />;
  }
  // The log gives every ending a code (access_denied, expired, …); the card shows it for failures
  // only, as the live view does. The audit record below lists it in every case. An earlier run's
  // record has the code but not the error's details: its sentence is shown when it needs none.
  // A code there are no words for is shown on its own line, never in the sentence.
  const words = entry.error ? errorWords(t, entry.error) : null;
  const message = words ? words.text : entry.error_code ? codeText(t, entry.error_code) : null;
  const untranslated = words ? words.code : message === null && entry.outcome !== 'failed' ? entry.error_code : null;
  const code = entry.outcome === 'failed' ? entry.error_code : untranslated;
  return <OutcomeCard outcome={entry.outcome} message={message} code={code} sandbox={sandbox} request={request} />;
}

interface RecordedProps {
  entry: HistoryEntry;
  outcome: 'verified' | 'mismatch' | 'not_comparable';
  sandbox: boolean;
  request: RequestFacts;
}

/** A verification from an earlier run: the log keeps who and what, not the verified identity's details. */
function RecordedResultCard({ entry, outcome, sandbox, request }: RecordedProps) {
  const { t } = useUi();
  const mismatch = outcome === 'mismatch';
  return (
    <article
      class={`result result--verified result--recorded ${mismatch ? 'result--mismatch' : ''}`}
      data-testid="result"
      data-outcome={outcome}
      aria-labelledby="result-heading"
    >
      {sandbox && <SandboxBanner />}
      <header class="result-head">
        {mismatch ? <AlertIcon size={32} /> : <CheckCircleIcon size={32} />}
        <div>
          <h2 id="result-heading" class="result-title" tabIndex={-1} data-testid="result-heading">
            {mismatch ? t('result.mismatchTitle') : t('result.verified')}
          </h2>
          <ReferenceLine reference={request.reference} />
        </div>
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
              : outcome === 'not_comparable'
                ? 'history.recordedNotComparable'
                : 'history.recordedVerified',
            { identity: entry.masked_identity },
          )}
        </p>
        <p class="result-advice">{t('history.recordedOnly')}</p>
      </div>
      <div class="result-actions">
        {/* The record keeps no method: the provider stands in for it. */}
        <CopySummaryButton facts={{ ...request, outcome, match: entry.match, method: null }} />
      </div>
    </article>
  );
}
