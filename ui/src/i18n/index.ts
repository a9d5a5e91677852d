import { LANGUAGES, type Language } from '../api/types';
import { da } from './da';
import { en } from './en';
import { nb } from './nb';
import { sv } from './sv';

export { LANGUAGES };

export type MessageKey = keyof typeof en;
/** Every translation must define every key (the compiler checks this). */
export type Messages = Record<MessageKey, string>;
export type Params = Record<string, string | number>;

export interface Translate {
  (key: MessageKey, params?: Params): string;
  /**
   * For keys made from codes the backend sends (`error.<code>`, `preset.title.<id>`, …):
   * the text, or null when there is none, or when a `{placeholder}` it needs is not in params.
   */
  optional(key: string, params?: Params): string | null;
  /** "a, b and c" / "a, b or c" in this language. */
  list(items: readonly string[], type?: 'conjunction' | 'disjunction'): string;
  readonly language: Language;
}

export const MESSAGES: Record<Language, Messages> = { en, sv, nb, da };

/** BCP 47 tags for Intl formatting. */
export const LOCALES: Record<Language, string> = { en: 'en-GB', sv: 'sv-SE', nb: 'nb-NO', da: 'da-DK' };

function template(language: Language, key: string): string | undefined {
  const messages = MESSAGES[language] as Record<string, string | undefined>;
  return messages[key] || (en as Record<string, string | undefined>)[key];
}

function fill(text: string, params: Params | undefined, strict: boolean): string | null {
  let missing = false;
  const filled = text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (params && name in params) return String(params[name]);
    missing = true;
    return whole;
  });
  return strict && missing ? null : filled;
}

export function translate(language: Language, key: MessageKey, params?: Params): string {
  return fill(template(language, key) ?? key, params, false)!;
}

export function translator(language: Language): Translate {
  const t = ((key: MessageKey, params?: Params) => translate(language, key, params)) as Translate;
  t.optional = (key, params) => {
    const text = template(language, key);
    return text === undefined ? null : fill(text, params, true);
  };
  t.list = (items, type = 'conjunction') => new Intl.ListFormat(LOCALES[language], { type }).format(items);
  (t as { language: Language }).language = language;
  return t;
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
