// The one line "Copy summary" puts on the clipboard, for the agent to paste into the case in
// their CRM. It holds only what the card shows masked: never a full identity number, never a
// token, so a pasted note cannot leak more than the screen did.

import type { HistoryOutcome, MatchResult } from '../api/types';
import type { Translate } from '../i18n';
import { matchTitle } from '../i18n/texts';
import { formatStamp } from './format';

/** What a finished verification's card knows of the request it answers. */
export interface RequestFacts {
  /** The identifier asked for, masked as the desk shows it. */
  masked: string;
  /** The profile as agents know it (profileTitle). */
  provider: string;
  startedMs: number;
  /** The case reference; null when none was given. */
  reference: string | null;
}

/** The endings a summary is offered for: an interrupted one has no outcome to note. */
export type SummaryOutcome = Exclude<HistoryOutcome, 'interrupted'>;

export interface SummaryFacts extends RequestFacts {
  outcome: SummaryOutcome;
  match: MatchResult | null;
  /** How the customer authenticated, in words (methodLabel); the provider stands in when unknown. */
  method: string | null;
}

/**
 * "Verified · Match · 19121212-XXXX · Swedish BankID · 2025-01-02 09:05 · Case CASE-4711", in the
 * agent's language. A mismatch is said once, as the outcome, so no note of one starts with "Verified".
 */
export function summaryLine(t: Translate, facts: SummaryFacts): string {
  const mismatch = facts.outcome === 'mismatch' || facts.match === 'mismatch';
  const verified = facts.outcome === 'verified' || facts.outcome === 'not_comparable';
  const outcome = mismatch ? t('state.mismatch') : verified ? t('state.verified') : t(`state.${facts.outcome}`);
  const match = mismatch || !verified ? null : (facts.match ?? (facts.outcome === 'not_comparable' ? 'not_comparable' : null));
  return [
    outcome,
    match && matchTitle(t, match),
    facts.masked,
    facts.method || facts.provider,
    formatStamp(facts.startedMs),
    facts.reference && t('result.reference', { reference: facts.reference }),
  ]
    .filter(Boolean)
    .join(' · ');
}
