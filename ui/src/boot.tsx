import { render } from 'preact';
import { App, type AppConfig } from './app';
import { inTauri, TauriBackend, type Backend } from './api/backend';
import { detectLanguage, navigatorLanguages, translator } from './i18n';
import { ShieldIcon } from './ui/icons';

export type DevStart = () => Promise<{ backend: Backend; config: AppConfig } | null>;

/**
 * The in-browser demo (ui/dev/), in development only. `import.meta.env.DEV` is false in a
 * release build, so Vite drops this branch and the demo with the mock backend is never
 * bundled; `npm run build` checks that (scripts/check-dist.mjs).
 */
export async function startDevDemo(): ReturnType<DevStart> {
  if (import.meta.env.DEV) {
    const { startDemo } = await import('../dev/demo');
    return startDemo(new URLSearchParams(location.search));
  }
  return null;
}

/** Renders the app on the Rust side in the Tauri window; in a plain browser, the demo (development) or a note. */
export async function boot(
  root: HTMLElement,
  { tauri = inTauri(), dev = startDevDemo }: { tauri?: boolean; dev?: DevStart } = {},
): Promise<void> {
  if (tauri) {
    render(<App backend={new TauriBackend()} />, root);
    return;
  }
  const demo = await dev();
  if (demo) {
    render(<App backend={demo.backend} config={demo.config} />, root);
    return;
  }
  render(<OpenInApp />, root);
}

/** A release build opened in a plain browser: there is no backend to talk to. */
function OpenInApp() {
  const language = detectLanguage(navigatorLanguages());
  const t = translator(language);
  document.documentElement.lang = language;
  return (
    <div class="boot" data-testid="open-in-app">
      <div class="brand">
        <ShieldIcon size={28} />
        <span>{t('app.name')}</span>
      </div>
      <p class="muted">{t('app.openInApp')}</p>
    </div>
  );
}
