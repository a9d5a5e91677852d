// A faithful-enough stand-in for the Rust identity crate, so the mock backend
// gives the same kinds of answers (and sentences) as the real one. The real
// validation happens in Rust; nothing in the page relies on this file.

import type { Country, IdentityCheck } from './types';

const ID_NAME: Record<Country, string> = {
  se: 'Swedish personnummer',
  no: 'Norwegian fødselsnummer',
  dk: 'Danish CPR number',
};
const FORMAT: Record<Country, string> = {
  se: 'YYMMDD-NNNC, YYMMDD+NNNC (aged 100 or more) or YYYYMMDD-NNNC',
  no: 'DDMMYYIIIKK (11 digits, spaces allowed)',
  dk: 'DDMMYY-SSSS',
};

const fail = (error: string): IdentityCheck => ({ ok: false, kind: null, masked: null, warnings: [], error });

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= days;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return sum % 10 === 0;
}

export interface ParsedId {
  country: Country;
  kind: string;
  birth: { year: number; month: number; day: number };
  masked: string;
  warnings: string[];
}

function parseSweden(raw: string, today: Date): ParsedId | string {
  const input = raw.trim();
  const bad = /[^0-9+\- ]/.exec(input);
  if (bad) {
    return `${ID_NAME.se}: character "${bad[0]}" at position ${bad.index + 1} is not allowed; enter digits only, as ${FORMAT.se}`;
  }
  const digits = input.replace(/[^0-9]/g, '');
  const plus = input.includes('+');
  if (digits.length !== 10 && digits.length !== 12) {
    return `${ID_NAME.se} has ${digits.length} digits, expected 10 or 12`;
  }
  let year: number;
  const yy = Number(digits.slice(-10, -8));
  if (digits.length === 12) {
    year = Number(digits.slice(0, 4));
  } else {
    const thisYear = today.getUTCFullYear();
    year = Math.floor(thisYear / 100) * 100 + yy;
    if (year > thisYear) year -= 100;
    if (plus) year -= 100;
  }
  const month = Number(digits.slice(-8, -6));
  let day = Number(digits.slice(-6, -4));
  let kind = 'Personnummer';
  if (day > 60) {
    day -= 60;
    kind = 'Samordningsnummer';
  }
  if (!validDate(year, month, day)) {
    return `${ID_NAME.se}: the birth date ${year}-${pad(month)}-${pad(day)} does not exist; check the date digits`;
  }
  if (Date.UTC(year, month - 1, day) > today.getTime()) {
    return `${ID_NAME.se}: the birth date ${year}-${pad(month)}-${pad(day)} lies in the future; check the year digits`;
  }
  if (!luhn(digits.slice(-10))) {
    return `${ID_NAME.se}: the check digit does not match, so a digit is probably mistyped or two digits are swapped; read the number back to the caller`;
  }
  return {
    country: 'se',
    kind,
    birth: { year, month, day },
    masked: `${year}${pad(month)}${digits.slice(-6, -4)}-XXXX`,
    warnings: [],
  };
}

function mod11(digits: string, weights: number[]): number | null {
  let sum = 0;
  weights.forEach((w, i) => (sum += w * Number(digits[i])));
  const rest = 11 - (sum % 11);
  if (rest === 11) return 0;
  if (rest === 10) return null;
  return rest;
}

function parseNorway(raw: string, today: Date): ParsedId | string {
  const input = raw.trim();
  const bad = /[^0-9 ]/.exec(input);
  if (bad) {
    return `${ID_NAME.no}: character "${bad[0]}" at position ${bad.index + 1} is not allowed; enter digits only, as ${FORMAT.no}`;
  }
  const digits = input.replace(/ /g, '');
  if (digits.length !== 11) return `${ID_NAME.no} has ${digits.length} digits, expected 11`;
  let day = Number(digits.slice(0, 2));
  let month = Number(digits.slice(2, 4));
  const yy = Number(digits.slice(4, 6));
  const individual = Number(digits.slice(6, 9));
  let kind = 'Fødselsnummer';
  if (day > 40) {
    day -= 40;
    kind = 'D-number';
  } else if (month > 40) {
    month -= 40;
    kind = 'H-number';
  }
  let year: number;
  if (individual <= 499) year = 1900 + yy;
  else if (individual <= 749 && yy >= 54) year = 1800 + yy;
  else if (individual >= 900 && yy >= 40) year = 1900 + yy;
  else if (yy <= 39) year = 2000 + yy;
  else
    return `${ID_NAME.no}: the individual number (digits 7-9) is never issued for a birth year ending in ${pad(yy)}; verify the 5th to 9th digits with the caller`;
  if (!validDate(year, month, day)) {
    return `${ID_NAME.no}: the birth date ${year}-${pad(month)}-${pad(day)} does not exist; check the date digits`;
  }
  if (Date.UTC(year, month - 1, day) > today.getTime()) {
    return `${ID_NAME.no}: the birth date ${year}-${pad(month)}-${pad(day)} lies in the future; check the year digits`;
  }
  const k1 = mod11(digits, [3, 7, 6, 1, 8, 9, 4, 5, 2]);
  const k2 = mod11(digits, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]);
  if (k1 !== Number(digits[9]) || k2 !== Number(digits[10])) {
    return `${ID_NAME.no}: the check digit does not match, so a digit is probably mistyped or two digits are swapped; read the number back to the caller`;
  }
  return {
    country: 'no',
    kind,
    birth: { year, month, day },
    masked: `${digits.slice(0, 6)}-XXXXX`,
    warnings: [],
  };
}

function parseDenmark(raw: string, today: Date): ParsedId | string {
  const input = raw.trim();
  const bad = /[^0-9\- ]/.exec(input);
  if (bad) {
    return `${ID_NAME.dk}: character "${bad[0]}" at position ${bad.index + 1} is not allowed; enter digits only, as ${FORMAT.dk}`;
  }
  const digits = input.replace(/[^0-9]/g, '');
  if (digits.length !== 10) return `${ID_NAME.dk} has ${digits.length} digits, expected 10`;
  const day = Number(digits.slice(0, 2));
  const month = Number(digits.slice(2, 4));
  const yy = Number(digits.slice(4, 6));
  const seventh = Number(digits[6]);
  let century = 1900;
  if (seventh === 4 || seventh === 9) century = yy <= 36 ? 2000 : 1900;
  else if (seventh >= 5 && seventh <= 8) century = yy <= 57 ? 2000 : 1800;
  const year = century + yy;
  if (!validDate(year, month, day)) {
    return `${ID_NAME.dk}: the birth date ${year}-${pad(month)}-${pad(day)} does not exist; check the date digits`;
  }
  if (Date.UTC(year, month - 1, day) > today.getTime()) {
    return `${ID_NAME.dk}: the birth date ${year}-${pad(month)}-${pad(day)} lies in the future; check the year digits`;
  }
  const weights = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
  let sum = 0;
  weights.forEach((w, i) => (sum += w * Number(digits[i])));
  const warnings =
    sum % 11 === 0
      ? []
      : [
          'this CPR number fails the old modulus-11 check; that is normal for numbers issued since 2007, but read the digits back to the caller',
        ];
  return {
    country: 'dk',
    kind: 'CPR number',
    birth: { year, month, day },
    masked: `${digits.slice(0, 6)}-XXXX`,
    warnings,
  };
}

export function parseNationalId(country: Country, input: string, today = new Date()): ParsedId | string {
  if (input.trim() === '') return `no ${ID_NAME[country]} entered`;
  switch (country) {
    case 'se':
      return parseSweden(input, today);
    case 'no':
      return parseNorway(input, today);
    case 'dk':
      return parseDenmark(input, today);
  }
}

/** Splits "se:…" into its country and number. */
export function splitTagged(input: string): { code: string; number: string } | null {
  const index = input.indexOf(':');
  if (index < 0) return null;
  return { code: input.slice(0, index).trim().toLowerCase(), number: input.slice(index + 1) };
}

export function checkNationalId(allowed: Country[], input: string, today = new Date()): IdentityCheck {
  const tagged = splitTagged(input);
  if (!tagged) return fail('no country given; write the number as se:NUMBER, no:NUMBER or dk:NUMBER');
  const code = tagged.code as Country;
  if (!(['se', 'no', 'dk'] as string[]).includes(code)) {
    return fail(`unknown country "${tagged.code.replace(/[0-9]/g, 'X')}"; use se (Sweden), no (Norway) or dk (Denmark)`);
  }
  if (!allowed.includes(code)) {
    return fail(`this profile does not accept a ${ID_NAME[code]}`);
  }
  const parsed = parseNationalId(code, tagged.number, today);
  if (typeof parsed === 'string') return fail(parsed);
  return { ok: true, kind: parsed.kind, masked: parsed.masked, warnings: parsed.warnings, error: null };
}

export function maskEmail(email: string): string {
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  if (at > 0 && at < trimmed.length - 1) return `${trimmed[0]}****${trimmed.slice(at)}`;
  return maskGeneric(trimmed, 1);
}

export function maskGeneric(value: string, keepStart: number): string {
  const chars = [...value];
  const keep = Math.min(keepStart, Math.floor(chars.length / 3));
  return chars.map((c, i) => (i < keep ? c : '*')).join('');
}
