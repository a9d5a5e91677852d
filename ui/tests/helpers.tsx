import { render } from 'preact';
import { act } from 'preact/test-utils';
import { App, type AppApi, type AppConfig } from '../src/app';
import type { VerificationEvent } from '../src/api/types';
import { SE_VALID } from '../dev/fixtures';
import { MockBackend, type MockOptions } from '../dev/mock-backend';

export { DK_MOD11_FAILS, NO_VALID, SE_BAD_CHECK, SE_OTHER, SE_VALID } from '../dev/fixtures';

/** Lets pending timers (debounce 0), promises and Preact renders run. */
export async function flush(rounds = 6) {
  for (let i = 0; i < rounds; i++) {
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
  }
}

export interface Mounted {
  backend: MockBackend;
  container: HTMLElement;
  api: AppApi;
  q: <T extends Element = HTMLElement>(testId: string) => T | null;
  get: <T extends Element = HTMLElement>(testId: string) => T;
  all: (testId: string) => HTMLElement[];
  type: (testId: string, value: string) => Promise<void>;
  press: (key: string, target?: Element | null, init?: KeyboardEventInit) => Promise<void>;
  click: (testId: string | Element) => Promise<void>;
  select: (testId: string, value: string) => Promise<void>;
  emit: (event: VerificationEvent) => Promise<void>;
  lastId: () => string;
  unmount: () => void;
}

export async function mount(options: MockOptions = {}, config: AppConfig = {}): Promise<Mounted> {
  const backend = new MockBackend({ autoplay: false, ...options });
  const container = document.createElement('div');
  document.body.appendChild(container);
  let api: AppApi | undefined;
  await act(async () => {
    render(
      <App
        backend={backend}
        config={{
          debounceMs: 0,
          errorDelayMs: 0,
          languages: ['en-GB'],
          ...config,
          onReady: (a) => {
            api = a;
            config.onReady?.(a);
          },
        }}
      />,
      container,
    );
  });
  await flush();
  if (!api) throw new Error('the app did not become ready');

  const q = <T extends Element = HTMLElement>(testId: string) =>
    container.querySelector<T>(`[data-testid="${testId}"]`) as T | null;
  const get = <T extends Element = HTMLElement>(testId: string) => {
    const element = q<T>(testId);
    if (!element) throw new Error(`no element with data-testid="${testId}"`);
    return element;
  };
  const m: Mounted = {
    backend,
    container,
    api,
    q,
    get,
    all: (testId) => [...container.querySelectorAll<HTMLElement>(`[data-testid="${testId}"]`)],
    async type(testId, value) {
      const input = get<HTMLInputElement>(testId);
      await act(() => {
        input.value = value;
        input.dispatchEvent(new Event('input', { bubbles: true }));
      });
      await flush();
    },
    async press(key, target, init = {}) {
      const element = target ?? document.activeElement ?? document.body;
      await act(() => {
        element.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init }));
      });
      await flush();
    },
    async click(target) {
      const element = typeof target === 'string' ? get(target) : target;
      await act(() => {
        (element as HTMLElement).click();
      });
      await flush();
    },
    async select(testId, value) {
      const element = get<HTMLSelectElement>(testId);
      await act(() => {
        element.value = value;
        element.dispatchEvent(new Event('change', { bubbles: true }));
      });
      await flush();
    },
    async emit(event) {
      await act(() => backend.emit(event.id, event));
      await flush();
    },
    lastId: () => {
      const id = backend.startedIds.at(-1);
      if (!id) throw new Error('nothing started');
      return id;
    },
    unmount() {
      render(null, container);
      container.remove();
    },
  };
  return m;
}

/** Fills the form of the tab on screen and presses Enter in the identity field. */
export async function startVerification(
  m: Mounted,
  { profile = 'sandbox', identity = SE_VALID, binding = '4821' }: { profile?: string; identity?: string; binding?: string } = {},
) {
  await m.select('profile', profile);
  await m.type('identity-input', identity);
  if (!m.get<HTMLInputElement>('binding-message').disabled) await m.type('binding-message', binding);
  await m.press('Enter', m.get('identity-input'));
  return m.lastId();
}

export function waitingEvent(id: string, overrides: Partial<Extract<VerificationEvent, { state: 'waiting' }>> = {}): VerificationEvent {
  return {
    state: 'waiting',
    id,
    expires_at_ms: Date.now() + 60_000,
    interval_s: 5,
    word_pair: null,
    customer_link: null,
    qr_svg: null,
    ...overrides,
  };
}
