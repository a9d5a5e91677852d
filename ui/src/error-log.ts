// Records what went wrong in the page (uncaught errors, rejected promises, console.error) on
// window.__cibaDeskErrors, so the window tests can assert a clean console. Messages only; the
// page never holds secrets or tokens to leak here.

declare global {
  interface Window {
    __cibaDeskErrors?: string[];
  }
}

export function recordPageErrors(target: Window = window): void {
  const errors: string[] = (target.__cibaDeskErrors = target.__cibaDeskErrors ?? []);
  target.addEventListener('error', (e) => errors.push(String(e.message)));
  target.addEventListener('unhandledrejection', (e) => errors.push(String(e.reason)));
  const original = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    errors.push(args.map(String).join(' '));
    original(...args);
  };
}
