import { describe, expect, it } from 'vitest';
import { detectLanguage, LANGUAGES, MESSAGES, placeholders, translate, translator } from '../src/i18n';
import { en } from '../src/i18n/en';
import { CONTRACT_CODES, CONTRACT_ERROR_CODES, CONTRACT_PARAMS } from './contract';

const keys = Object.keys(en) as (keyof typeof en)[];

describe('translations', () => {
  it('has the four languages', () => {
    expect([...LANGUAGES].sort()).toEqual(['da', 'en', 'nb', 'sv']);
  });

  for (const language of LANGUAGES) {
    describe(language, () => {
      const messages = MESSAGES[language] as Record<string, unknown>;

      it('has every key, each a non-empty string', () => {
        for (const key of keys) {
          expect(typeof messages[key], `${language}: ${key}`).toBe('string');
          expect((messages[key] as string).trim(), `${language}: ${key}`).not.toBe('');
        }
      });

      it('has no keys that English lacks', () => {
        expect(Object.keys(messages).filter((key) => !(key in en))).toEqual([]);
      });

      it('uses the same {placeholders} as English', () => {
        for (const key of keys) {
          expect(placeholders(messages[key] as string), `${language}: ${key}`).toEqual(placeholders(en[key]));
        }
      });
    });
  }

  describe('has words for every code of the IPC contract', () => {
    for (const language of LANGUAGES) {
      const messages = MESSAGES[language] as Record<string, string | undefined>;

      it(`${language}: an error.<code> for every error code`, () => {
        const missing = CONTRACT_ERROR_CODES.filter((code) => !messages[`error.${code}`]);
        expect(missing).toEqual([]);
      });

      it(`${language}: each error sentence uses only parameters the code comes with`, () => {
        for (const code of CONTRACT_ERROR_CODES) {
          const used = placeholders(messages[`error.${code}`] ?? '');
          expect(used.filter((p) => !(CONTRACT_PARAMS[code] ?? []).includes(p)), code).toEqual([]);
        }
      });

      it(`${language}: warnings, kinds, countries, charsets, presets, match details, chain problems`, () => {
        const missing = Object.entries(CONTRACT_CODES).flatMap(([prefix, codes]) =>
          codes.map((code) => `${prefix}.${code}`).filter((key) => !messages[key]),
        );
        expect(missing).toEqual([]);
      });
    }
  });

  it('every text is used by the page (no dead keys)', () => {
    const sources = import.meta.glob(['../src/**/*.{ts,tsx}', '!../src/i18n/{en,sv,nb,da}.ts'], {
      query: '?raw',
      import: 'default',
      eager: true,
    }) as Record<string, string>;
    const code = Object.values(sources).join('\n');
    // Keys made from codes: `prefix.${…}` in the page, or a prefix handed to translated().
    const prefixes = [
      ...[...code.matchAll(/`([\w.]+)\.\$\{/g)].map((m) => m[1]!),
      ...[...code.matchAll(/translated\(t, '([\w.]+)'/g)].map((m) => m[1]!),
    ];
    const unused = keys.filter(
      (key) => !code.includes(`'${key}'`) && !prefixes.some((prefix) => key.startsWith(`${prefix}.`)),
    );
    expect(unused).toEqual([]);
  });

  it('is really translated: most texts differ from English', () => {
    for (const language of ['sv', 'nb', 'da'] as const) {
      const same = keys.filter((key) => MESSAGES[language][key] === en[key]);
      // Proper names, codes and shortcuts stay the same; everything else is translated.
      expect(same.length, `${language}: ${same.join(', ')}`).toBeLessThan(keys.length * 0.15);
    }
  });

  it('fills placeholders', () => {
    expect(translate('en', 'bm.counter', { count: 12, max: 64 })).toBe('12/64');
    expect(translate('sv', 'countdown.left', { time: '0:42' })).toBe('0:42 kvar');
    expect(translate('da', 'result.age', { age: 38 })).toBe('38 år');
  });

  it('looks up keys made from codes, and says when there is none or a parameter is missing', () => {
    const t = translator('sv');
    expect(t.optional('error.unknown_profile', { profile: 'bankid' })).toBe('Det finns ingen profil som heter bankid.');
    expect(t.optional('error.unknown_profile')).toBeNull();
    expect(t.optional('error.no_such_code')).toBeNull();
    expect(t.list(['Sverige', 'Norge', 'Danmark'])).toBe('Sverige, Norge och Danmark');
    expect(t.list(['10', '12'], 'disjunction')).toBe('10 eller 12');
    expect(t.language).toBe('sv');
  });

  it('follows navigator.language by default', () => {
    expect(detectLanguage(['sv-SE'])).toBe('sv');
    expect(detectLanguage(['nb-NO'])).toBe('nb');
    expect(detectLanguage(['no'])).toBe('nb');
    expect(detectLanguage(['nn-NO'])).toBe('nb');
    expect(detectLanguage(['da'])).toBe('da');
    expect(detectLanguage(['fi-FI', 'sv-FI'])).toBe('sv');
    expect(detectLanguage(['de-DE'])).toBe('en');
    expect(detectLanguage([])).toBe('en');
  });
});
