import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { boot } from '../src/boot';
import { MockBackend } from '../dev/mock-backend';
import { DEV_ONLY_STRINGS, findDevCode } from '../scripts/check-dist.mjs';
import { DEV_ONLY_MARKER } from '../dev/fixtures';
import { flush } from './helpers';

describe('the demo and the mock backend stay out of production', () => {
  it('the production code imports ui/dev/ only in the development branch of boot.tsx', () => {
    const sources = import.meta.glob('../src/**/*.{ts,tsx}', { query: '?raw', import: 'default', eager: true }) as Record<
      string,
      string
    >;
    const importers = Object.entries(sources)
      .filter(([, text]) => /from\s+['"][./]*dev\/|import\(\s*['"][./]*dev\//.test(text))
      .map(([path]) => path);
    expect(importers).toEqual(['../src/boot.tsx']);
    const boot = sources['../src/boot.tsx']!;
    expect(boot).not.toMatch(/^import .*['"]\.\.\/dev\//m);
    expect(boot).toMatch(/if \(import\.meta\.env\.DEV\) \{\s*const \{ startDemo \} = await import\('\.\.\/dev\/demo'\);/);
  });

  it('the bundle check knows the mock by its marker', () => {
    expect(new MockBackend().origin).toBe(DEV_ONLY_MARKER);
    expect(DEV_ONLY_STRINGS).toContain(DEV_ONLY_MARKER);
  });

  describe('scripts/check-dist.mjs', () => {
    let dir: string;
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const bundle = (files: Record<string, string>) => {
      dir = mkdtempSync(join(tmpdir(), 'ciba-dist-'));
      mkdirSync(join(dir, 'assets'));
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      return dir;
    };

    it('passes a clean bundle', () => {
      expect(findDevCode(bundle({ 'index.html': '<script src="assets/index-1.js">', 'assets/index-1.js': 'console.log(1)' }))).toEqual(
        [],
      );
    });

    it('finds the mock by its marker and canned data, and a demo chunk by its name', () => {
      const found = findDevCode(
        bundle({
          'assets/index-1.js': `const a="${DEV_ONLY_MARKER}";`,
          'assets/demo-1a2b.js': 'export{x as startDemo}; const p="Tolvan Tolvansson";',
        }),
      );
      expect(found).toEqual(
        expect.arrayContaining([
          { file: join('assets', 'index-1.js'), found: DEV_ONLY_MARKER },
          { file: join('assets', 'demo-1a2b.js'), found: 'file name' },
          { file: join('assets', 'demo-1a2b.js'), found: 'startDemo' },
          { file: join('assets', 'demo-1a2b.js'), found: 'Tolvan Tolvansson' },
        ]),
      );
    });
  });
});

describe('boot', () => {
  let root: HTMLElement;
  afterEach(() => {
    render(null, root);
    root.remove();
  });
  const start = async (options: Parameters<typeof boot>[1]) => {
    root = document.createElement('div');
    document.body.appendChild(root);
    await act(() => boot(root, options));
    await flush();
  };

  it('a release build in a plain browser says to open it in the app, in the browser’s language', async () => {
    const languages = Object.getOwnPropertyDescriptor(Navigator.prototype, 'languages');
    Object.defineProperty(navigator, 'languages', { value: ['sv-SE'], configurable: true });
    try {
      await start({ tauri: false, dev: async () => null });
    } finally {
      if (languages) Object.defineProperty(navigator, 'languages', languages);
      else delete (navigator as { languages?: unknown }).languages;
    }
    const note = root.querySelector('[data-testid="open-in-app"]')!;
    expect(note.textContent).toContain('Öppna den här sidan i appen CIBA Desk.');
    expect(root.querySelector('[data-testid="nav-verify"]')).toBeNull();
  });

  it('in development, a plain browser runs the demo on the mock backend', async () => {
    await start({ tauri: false });
    expect(root.querySelector('[data-testid="open-in-app"]')).toBeNull();
    expect(root.querySelector('.chip--demo')).not.toBeNull();
    expect(root.querySelector('[data-testid="identity-input"]')).not.toBeNull();
  });
});
