import { describe, expect, it } from 'vitest';
import { detectLanguage, LANGUAGES, MESSAGES, placeholders, translate } from '../src/i18n';
import { en } from '../src/i18n/en';

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
