import type { Language } from '../api/types';
import { da } from './da';
import { en } from './en';
import { nb } from './nb';
import { sv } from './sv';

export type MessageKey = keyof typeof en;
/** Every translation must define every key (the compiler checks this). */
export type Messages = Record<MessageKey, string>;
export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

export const LANGUAGES: readonly Language[] = ['en', 'sv', 'nb', 'da'];

export const MESSAGES: Record<Language, Messages> = { en, sv, nb, da };

/** BCP 47 tags for Intl formatting. */
export const LOCALES: Record<Language, string> = { en: 'en-GB', sv: 'sv-SE', nb: 'nb-NO', da: 'da-DK' };

export function translate(language: Language, key: MessageKey, params?: Params): string {
  const template: string = MESSAGES[language]?.[key] || en[key] || key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function translator(language: Language): Translate {
  return (key, params) => translate(language, key, params);
}

/** The `{names}` a template uses, sorted, without duplicates. */
export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!))].sort();
}

/** Picks the UI language from the browser's preferences (navigator.languages). */
export function detectLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const primary = tag.toLowerCase().split(/[-_]/)[0] ?? '';
    if (primary === 'en') return 'en';
    if (primary === 'sv') return 'sv';
    if (primary === 'nb' || primary === 'no' || primary === 'nn') return 'nb';
    if (primary === 'da') return 'da';
  }
  return 'en';
}

export function navigatorLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return [];
  return navigator.languages?.length ? navigator.languages : [navigator.language];
}
