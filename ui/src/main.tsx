import { render } from 'preact';
import { App, type AppConfig } from './app';
import { inTauri, TauriBackend, type Backend } from './api/backend';
import { recordPageErrors } from './error-log';
import './styles/theme.css';
import './styles/app.css';

recordPageErrors();

async function boot() {
  const root = document.getElementById('app');
  if (!root) return;
  let backend: Backend;
  let config: AppConfig = {};
  if (inTauri()) {
    backend = new TauriBackend();
  } else {
    // A plain browser (npm run dev / vite preview): the scripted mock, in its own chunk.
    const { startDemo } = await import('./demo');
    ({ backend, config } = startDemo(new URLSearchParams(location.search)));
  }
  render(<App backend={backend} config={config} />, root);
}

void boot();
