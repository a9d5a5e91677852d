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

/** "2025-01-02 09:05" in local time: the same in every language, for notes pasted elsewhere. */
export function formatStamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}
