import { describe, expect, it } from 'vitest';
import { recordPageErrors } from '../src/error-log';

describe('page error log', () => {
  it('records console errors and uncaught errors', () => {
    recordPageErrors(window);
    const before = window.__cibaDeskErrors?.length ?? 0;
    const quiet = console.error;
    console.error('boom', 42);
    window.dispatchEvent(new ErrorEvent('error', { message: 'kaput' }));
    expect(window.__cibaDeskErrors?.slice(before)).toEqual(['boom 42', 'kaput']);
    console.error = quiet;
  });
});
