import { describe, expect, it } from 'vitest';
import themeCss from '../src/styles/theme.css?raw';

const css = themeCss.replace(/\/\*[\s\S]*?\*\//g, '');

/** Every custom property definition in theme.css, in order: [name, value]. */
const definitions = [...css.matchAll(/--([\w-]+):\s*([^;]+);/g)].map((m) => [m[1]!, m[2]!.trim()] as const);

/** The colour of each token in one theme: `light-dark(light, dark)` gives both, a plain colour is the same in both. */
function tokens(theme: 'light' | 'dark'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of definitions) {
    const pair = /^light-dark\(\s*(#[0-9a-fA-F]{6})\s*,\s*(#[0-9a-fA-F]{6})\s*\)$/.exec(value);
    if (pair) out[name] = theme === 'light' ? pair[1]! : pair[2]!;
    else if (/^#[0-9a-fA-F]{6}$/.test(value)) out[name] = value;
  }
  return out;
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

// [text, background] pairs the UI uses for text.
const PAIRS: [string, string][] = [
  ['text', 'bg'],
  ['text', 'surface'],
  ['text', 'surface-2'],
  ['text', 'primary-soft'],
  ['text-muted', 'surface'],
  ['text-muted', 'bg'],
  ['text-muted', 'surface-2'],
  ['text-muted', 'neutral-soft'],
  ['text-subtle', 'surface'],
  ['primary', 'surface'],
  ['primary', 'primary-soft'],
  ['on-primary', 'primary'],
  ['success', 'surface'],
  ['success', 'success-soft'],
  ['on-success', 'success-strong'],
  ['danger', 'surface'],
  ['danger', 'bg'],
  ['danger', 'danger-soft'],
  ['on-danger', 'danger-strong'],
  ['warning', 'warning-soft'],
  ['warning', 'surface'],
  ['sandbox-text', 'sandbox-a'],
  ['sandbox-text', 'sandbox-b'],
];

describe.each(['light', 'dark'] as const)('%s theme contrast (WCAG AA)', (theme) => {
  const t = tokens(theme);
  it.each(PAIRS)('%s on %s is at least 4.5:1', (fg, bg) => {
    expect(t[fg], fg).toBeDefined();
    expect(t[bg], bg).toBeDefined();
    expect(contrast(t[fg]!, t[bg]!)).toBeGreaterThanOrEqual(4.5);
  });
});

describe('the colour tokens', () => {
  it('are each defined once, for both themes', () => {
    const names = definitions.map(([name]) => name);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    expect(css).not.toMatch(/prefers-color-scheme/);
  });

  it('really differ between the themes (the dark theme is not the light one)', () => {
    const light = tokens('light');
    const dark = tokens('dark');
    expect(light.bg).not.toBe(dark.bg);
    expect(luminance(light.bg!)).toBeGreaterThan(luminance(dark.bg!));
    expect(luminance(light.text!)).toBeLessThan(luminance(dark.text!));
  });

  it('follow <html data-theme>: light, dark, or the system’s preference', () => {
    const scheme = (selector: string) =>
      new RegExp(`${selector.replace(/[[\]()]/g, '\\$&')}\\s*\\{[^}]*color-scheme:\\s*([a-z ]+);`).exec(css)?.[1];
    expect(scheme(':root')).toBe('light dark');
    expect(scheme(":root[data-theme='light']")).toBe('light');
    expect(scheme(":root[data-theme='dark']")).toBe('dark');
  });
});
