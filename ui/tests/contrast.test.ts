import { describe, expect, it } from 'vitest';
import themeCss from '../src/styles/theme.css?raw';

/** The custom properties of one theme block. */
function tokens(selector: string): Record<string, string> {
  const start = themeCss.indexOf(selector);
  const block = themeCss.slice(themeCss.indexOf('{', start) + 1, themeCss.indexOf('}', start));
  return Object.fromEntries([...block.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})/g)].map((m) => [m[1]!, m[2]!]));
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

describe.each([
  ['light', ":root[data-theme='light']"],
  ['dark', ":root[data-theme='dark']"],
])('%s theme contrast (WCAG AA)', (_, selector) => {
  const t = tokens(selector);
  it.each(PAIRS)('%s on %s is at least 4.5:1', (fg, bg) => {
    expect(t[fg], fg).toBeDefined();
    expect(t[bg], bg).toBeDefined();
    expect(contrast(t[fg]!, t[bg]!)).toBeGreaterThanOrEqual(4.5);
  });
});

it('the system-dark block repeats the dark theme exactly', () => {
  const dark = tokens(":root[data-theme='dark']");
  const system = tokens(":root[data-theme='system']");
  expect(system).toEqual(dark);
});
