import type { VerifiedIdentity } from '../api/types';

/** Backend messages are sentences, sometimes starting in lower case; show them as sentences. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  const first = trimmed.charAt(0).toLocaleUpperCase();
  const body = first + trimmed.slice(1);
  return /[.!?…]$/.test(body) ? body : `${body}.`;
}

/** 65 000 ms → "1:05"; never negative. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}

export function formatTime(ms: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(ms);
}

/** The day of `ms` when it is not today's ("2 Jan", with the year when not this year); null for today. */
export function formatDayUnlessToday(ms: number, locale: string, now = Date.now()): string | null {
  const day = new Date(ms);
  const today = new Date(now);
  if (day.toDateString() === today.toDateString()) return null;
  const year = day.getFullYear() === today.getFullYear() ? undefined : 'numeric';
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year }).format(ms);
}

export function formatDateTime(ms: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }).format(ms);
}

/** 4 200 ms → "4.2 sec", 65 000 ms → "1 min 5 sec" (in the UI language); never negative. */
export function formatDuration(ms: number, locale: string): string {
  const unit = (value: number, name: 'minute' | 'second', digits = 0) =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'short', maximumFractionDigits: digits }).format(value);
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 9.95) return unit(seconds, 'second', 1);
  const total = Math.round(seconds);
  if (total < 60) return unit(total, 'second');
  const minutes = Math.floor(total / 60);
  const rest = total % 60;
  return rest ? `${unit(minutes, 'minute')} ${unit(rest, 'second')}` : unit(minutes, 'minute');
}

/** "1912-12-12" → "12 December 1912" in the UI language; the date is a calendar date, not an instant. */
export function formatBirthDate(iso: string, locale: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) return iso;
  const date = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(date);
}

const ACR_NAMES: Record<string, string> = {
  'urn:ciba-desk:sandbox': 'Sandbox approval',
  'urn:grn:authn:se:bankid': 'Swedish BankID',
  'urn:grn:authn:se:bankid:same-device': 'Swedish BankID',
  'urn:grn:authn:se:bankid:another-device': 'Swedish BankID',
  'urn:grn:authn:no:bankid': 'Norwegian BankID',
  'urn:grn:authn:se:frejaid': 'Freja eID',
  'urn:grn:authn:dk:mitid:substantial': 'MitID (substantial)',
  'urn:grn:authn:dk:mitid:high': 'MitID (high)',
  'https://data.gov.dk/concept/core/nsis/loa/Substantial': 'MitID (NSIS substantial)',
  'https://data.gov.dk/concept/core/nsis/loa/High': 'MitID (NSIS high)',
};

const IDP_NAMES: Record<string, string> = {
  mitid: 'MitID',
  bankid: 'BankID',
  sandbox: 'Sandbox',
  frejaid: 'Freja eID',
  mobileid: 'MobileID',
};

/** How the customer authenticated, for people: known ACRs by name, others as sent, plus the IdP and AMR. */
export function methodLabel(identity: VerifiedIdentity): string | null {
  const parts: string[] = [];
  if (identity.acr) parts.push(ACR_NAMES[identity.acr] ?? identity.acr);
  if (identity.idp) {
    const idp = IDP_NAMES[identity.idp.toLowerCase()] ?? identity.idp;
    if (!parts.some((p) => p.toLowerCase().includes(idp.toLowerCase()))) parts.push(idp);
  }
  const head = parts.join(' · ');
  const amr = identity.amr.length ? ` (${identity.amr.join(', ')})` : '';
  return head ? head + amr : amr.trim() || null;
}
