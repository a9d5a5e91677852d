// History: searching the audit log (on the Rust side) and paging back through it.

import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../src/api/types';
import { HISTORY_LIMIT } from '../src/ui/history-screen';
import { mockHistoryEntry } from '../dev/mock-backend';
import { flush, mount, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

const T0 = Date.UTC(2025, 0, 2, 9, 0, 0);

/** `count` records, newest first, a minute apart. */
function records(count: number, at = (seq: number) => T0 + seq * 60_000): HistoryEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const seq = count - i;
    return mockHistoryEntry({ seq, started_at_ms: at(seq), masked_identity: `1912${String(seq).padStart(4, '0')}-XXXX` });
  });
}

const rows = () => m.container.querySelectorAll('.history-list li').length;
const ids = () => [...m.container.querySelectorAll<HTMLElement>('.history-list .history-row')].map((r) => r.dataset.id);

describe('history: search', () => {
  it('searches on the backend once typing pauses, and says when nothing matches', async () => {
    m = await mount(
      {
        history: [
          mockHistoryEntry({ seq: 3, masked_identity: '19850709-XXXX', subject_name: 'Anna Lindqvist', binding_message: 'Kasse 3' }),
          mockHistoryEntry({ seq: 2, masked_identity: '19121212-XXXX', subject_name: 'Tolvan Tolvansson', outcome: 'denied' }),
          mockHistoryEntry({ seq: 1, masked_identity: '150585-XXXXX', profile: 'bankid-no', outcome: 'expired' }),
        ],
      },
      { debounceMs: 20 },
    );
    await m.click('nav-history');
    expect(ids()).toEqual(['3', '2', '1']);
    const search = m.get<HTMLInputElement>('history-search');
    expect(search.labels?.[0]?.textContent).toBe('Search');
    expect(search.placeholder).toBe('Masked number, name, case, message or outcome');

    const before = m.backend.callsTo('history').length;
    await m.type('history-search', 'ann');
    await m.type('history-search', 'anna');
    await new Promise((resolve) => setTimeout(resolve, 40));
    await flush();
    // One query for what was typed once the agent paused, not one per keystroke.
    const sent = m.backend.callsTo('history').slice(before);
    expect(sent.map((c) => (c.args.query as { search: string }).search)).toEqual(['anna']);
    expect(sent[0]!.args.query).toEqual({ limit: HISTORY_LIMIT, before: null, search: 'anna' });
    expect(ids()).toEqual(['3']);

    // By outcome word, and by profile.
    await m.type('history-search', 'denied');
    await new Promise((resolve) => setTimeout(resolve, 40));
    await flush();
    expect(ids()).toEqual(['2']);
    await m.type('history-search', 'bankid-no');
    await new Promise((resolve) => setTimeout(resolve, 40));
    await flush();
    expect(ids()).toEqual(['1']);

    await m.type('history-search', 'nobody');
    await new Promise((resolve) => setTimeout(resolve, 40));
    await flush();
    expect(m.get('history-no-match').textContent).toBe('No verifications match “nobody”.');
    expect(m.q('history-empty')).toBeNull();

    await m.type('history-search', '');
    await new Promise((resolve) => setTimeout(resolve, 40));
    await flush();
    expect(ids()).toEqual(['3', '2', '1']);
  });
});

describe('history: paging', () => {
  it('shows 100 at a time; "Show older" appends the next page until there is none', async () => {
    m = await mount({ history: records(250) });
    await m.click('nav-history');
    expect(ids()).toHaveLength(100);
    expect(ids()[0]).toBe('250');
    expect(ids()[99]).toBe('151');
    const more = m.get('history-more');
    expect(more.textContent).toBe('Show older');

    await m.click(more);
    expect(m.backend.callsTo('history').at(-1)!.args.query).toEqual({ limit: 100, before: 151, search: '' });
    expect(ids()).toHaveLength(200);
    expect(ids()[100]).toBe('150');
    // Focus goes to the first row that came in.
    expect((document.activeElement as HTMLElement).dataset.id).toBe('150');

    await m.click('history-more');
    expect(ids()).toHaveLength(250);
    expect(ids().at(-1)).toBe('1');
    expect(m.q('history-more')).toBeNull();
    expect(document.activeElement).not.toBe(document.body);
    expect(rows()).toBe(250);
  });

  it('a page keeps the order it came in (by start time), and older pages keep the search', async () => {
    // Record 205 started before 204 (it waited longer for the customer, so it was recorded
    // later): the backend sorts a page by start time, and the list keeps that order.
    const history = records(205, (seq) => (seq === 205 ? T0 + 203.5 * 60_000 : T0 + seq * 60_000)).map((e) =>
      e.seq % 2 === 0 ? { ...e, binding_message: 'Kasse 7' } : e,
    );
    m = await mount({ history });
    await m.click('nav-history');
    expect(ids().slice(0, 3)).toEqual(['204', '205', '203']);

    await m.type('history-search', 'kasse 7');
    await flush();
    expect(ids()).toHaveLength(100);
    expect(ids().every((id) => Number(id) % 2 === 0)).toBe(true);
    await m.click('history-more');
    expect(m.backend.callsTo('history').at(-1)!.args.query).toMatchObject({ search: 'kasse 7', limit: 100 });
    expect(ids()).toHaveLength(102);
    expect(m.q('history-more')).toBeNull();
  });
});
