import { useEffect, useState } from 'preact/hooks';
import { toBackendError, type HistoryEntry, type MatchResult } from '../api/types';
import type { MessageKey } from '../i18n';
import { profileLabel, useUi } from './context';
import { formatTime, sentence } from './format';
import { RefreshIcon } from './icons';
import { OutcomeCard, ResultCard } from './result-card';

export const HISTORY_LIMIT = 100;

interface Props {
  /** Changes whenever a verification finishes, to reload. */
  version: number;
  /** The match of verifications still open in tabs, by backend id. */
  knownMatches: Map<string, MatchResult>;
  selected: string | null;
  onSelect: (id: string | null) => void;
}

/** What the history can tell about the identity match, when the entry does not carry it. */
export function entryMatch(entry: HistoryEntry & { match?: MatchResult }, known?: MatchResult): MatchResult | null {
  if (entry.outcome === 'mismatch') return 'mismatch';
  if (entry.outcome !== 'verified') return null;
  if (entry.match) return entry.match;
  if (known) return known;
  return entry.result?.national_id_masked && entry.result.national_id_masked === entry.masked_identity
    ? 'match'
    : null;
}

export function HistoryScreen({ version, knownMatches, selected, onSelect: setSelected }: Props) {
  const { t, locale, backend, profiles } = useUi();
  const [entries, setEntries] = useState<HistoryEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    backend
      .history(HISTORY_LIMIT)
      .then((list) => {
        if (!live) return;
        setEntries(list);
        setError(null);
      })
      .catch((e) => live && setError(sentence(toBackendError(e).message)));
    return () => {
      live = false;
    };
  }, [version, reload]);

  const providerName = (name: string) => {
    const p = profiles.find((x) => x.name === name);
    return p ? profileLabel(t, p) : name;
  };
  const entry = entries?.find((e) => e.id === selected) ?? null;

  return (
    <section class="screen history-screen" data-testid="history" aria-labelledby="history-title">
      <header class="screen-head">
        <div>
          <h1 id="history-title">{t('history.title')}</h1>
          <p class="screen-sub">{t('history.subtitle')}</p>
        </div>
        <button type="button" class="button button--secondary" onClick={() => setReload((n) => n + 1)} data-testid="history-refresh">
          <RefreshIcon size={16} />
          {t('history.refresh')}
        </button>
      </header>
      {error && (
        <p class="message message--error" role="alert">
          {t('history.loadFailed', { message: error })}
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
                  const outcomeKey = `state.${e.outcome}` as MessageKey;
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
                        <span class="history-time">{formatTime(e.started_at_ms, locale)}</span>
                        <span class="history-customer">
                          <span class="mono">{e.masked_identity}</span>
                          {e.result?.display_name && <span class="history-name">{e.result.display_name}</span>}
                        </span>
                        <span>
                          <span class={`badge badge--${e.outcome}`}>
                            <span class={`state-dot state-dot--${e.outcome}`} aria-hidden="true" />
                            {t(outcomeKey)}
                          </span>
                        </span>
                        <span class="history-profile">{providerName(e.profile)}</span>
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
            entry.result ? (
              <ResultCard
                identity={entry.result}
                match={entryMatch(entry, knownMatches.get(entry.id))}
                providerName={providerName(entry.profile)}
              />
            ) : (
              <OutcomeCard
                outcome={entry.outcome === 'verified' || entry.outcome === 'mismatch' ? 'failed' : entry.outcome}
                message={entry.error}
                code={null}
                sandbox={profiles.find((p) => p.name === entry.profile)?.is_sandbox ?? false}
              />
            )
          ) : (
            <p class="card empty-note">{t('history.select')}</p>
          )}
        </div>
      </div>
    </section>
  );
}
