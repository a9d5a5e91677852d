import { afterEach, describe, expect, it } from 'vitest';
import { mount, startVerification, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

describe('history', () => {
  it('lists this session newest first, masked, and reopens a result card', async () => {
    m = await mount();
    const first = await startVerification(m);
    m.backend.finish(first, 'verified');
    await m.click('new-verification');
    const second = await startVerification(m, { identity: '19850709-9805' });
    m.backend.finish(second, 'denied');
    await m.click('nav-history');

    const rows = [m.get('history-row-1'), m.get('history-row-2')];
    expect(rows[0]!.dataset.id).toBe(second);
    expect(rows[1]!.dataset.id).toBe(first);
    expect(rows[0]!.textContent).toContain('19850709-XXXX');
    expect(rows[0]!.textContent).toContain('Declined');
    expect(m.get('history').textContent).not.toMatch(/\d{8}-\d{4}/);

    await m.click(rows[1]!);
    const card = m.get('result');
    expect(card.dataset.outcome).toBe('verified');
    expect(m.get('result-name').textContent).toBe('Tolvan Tolvansson');
    expect(m.get('match').dataset.match).toBe('match');

    await m.click('history-row-1');
    expect(m.get('result').dataset.outcome).toBe('denied');
    expect(m.q('try-again')).toBeNull();
  });

  it('says so when empty', async () => {
    m = await mount();
    await m.click('nav-history');
    expect(m.get('history-empty').textContent).toContain('No verifications');
  });
});
