// The case reference (the case number in the agent's CRM) and "Copy summary".

import { afterEach, describe, expect, it, vi } from 'vitest';
import { translator } from '../src/i18n';
import { formatStamp } from '../src/ui/format';
import { summaryLine, type SummaryFacts } from '../src/ui/summary';
import { mockHistoryEntry } from '../dev/mock-backend';
import { flush, mount, SE_OTHER, SE_VALID, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

const JAN_2_0905 = new Date(2025, 0, 2, 9, 5, 40).getTime();
const STAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/;

type Request = { reference: string | null };
const sentRequests = (m: Mounted) => m.backend.callsTo('start_verification').map((c) => c.args.request as Request);

async function startWith(m: Mounted, reference: string, identity = SE_VALID) {
  await m.type('identity-input', identity);
  await m.type('reference', reference);
  await m.press('Enter', m.get('reference'));
}

describe('case reference: the form', () => {
  it('is an optional field after the binding message, with a hint, at most 128 characters, not autocompleted', async () => {
    m = await mount();
    const input = m.get<HTMLInputElement>('reference');
    expect(input.labels?.[0]?.textContent).toBe('Case reference');
    expect(input.maxLength).toBe(128);
    expect(input.getAttribute('autocomplete')).toBe('off');
    expect(document.getElementById(input.getAttribute('aria-describedby')!)!.textContent).toBe(
      'The case number in your CRM; kept with the audit record.',
    );
    const fields = [...m.container.querySelectorAll('input[data-testid]')].map((e) => e.getAttribute('data-testid'));
    expect(fields.indexOf('reference')).toBe(fields.indexOf('binding-message') + 1);
  });

  it('is sent trimmed, shown in the request and on the result card; none is sent as null', async () => {
    m = await mount();
    await startWith(m, '  CASE-4711 ');
    expect(sentRequests(m)[0]!.reference).toBe('CASE-4711');
    expect(m.get('summary-reference').textContent).toBe('CASE-4711');
    m.backend.finish(m.lastId(), 'verified');
    await flush();
    expect(m.get('result').dataset.outcome).toBe('verified');
    expect(m.get('result-reference').textContent).toBe('Case CASE-4711');

    await m.click('result-new');
    await startWith(m, '   ', SE_OTHER);
    expect(sentRequests(m)[1]!.reference).toBeNull();
    expect(m.q('summary-reference')).toBeNull();
    m.backend.finish(m.lastId(), 'denied');
    await flush();
    expect(m.get('result').dataset.outcome).toBe('denied');
    expect(m.q('result-reference')).toBeNull();
  });

  it('is shown on an unsuccessful card too, and kept for "Try again"', async () => {
    m = await mount();
    await startWith(m, 'CASE-1');
    m.backend.finish(m.lastId(), 'expired');
    await flush();
    expect(m.get('result').dataset.outcome).toBe('expired');
    expect(m.get('result-reference').textContent).toBe('Case CASE-1');
    await m.click('try-again');
    expect(m.get<HTMLInputElement>('reference').value).toBe('CASE-1');
  });

  it('belongs to its tab, like the binding message', async () => {
    m = await mount();
    await m.type('reference', 'CASE-A');
    await m.click('new-verification');
    expect(m.get<HTMLInputElement>('reference').value).toBe('');
    await m.type('reference', 'CASE-B');
    await m.click('tab-1');
    expect(m.get<HTMLInputElement>('reference').value).toBe('CASE-A');
    await m.click('tab-2');
    expect(m.get<HTMLInputElement>('reference').value).toBe('CASE-B');
  });

  it('a reference the backend refuses is shown at the field, which gets the focus; nothing was sent', async () => {
    m = await mount();
    await startWith(m, 'CASE\u00074711');
    expect(sentRequests(m)).toHaveLength(1);
    // Back to the form, not a failed verification.
    expect(m.q('result')).toBeNull();
    const error = m.get('reference-error');
    expect(error.dataset.code).toBe('invalid_reference');
    expect(error.textContent).toBe('The case reference can have at most 128 characters and no line breaks.');
    expect(m.q('form-error')).toBeNull();
    const input = m.get<HTMLInputElement>('reference');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe(error.parentElement!.id);
    expect(document.activeElement).toBe(input);
    expect(m.get('announcer-polite').textContent).toBe(
      'The case reference can have at most 128 characters and no line breaks.',
    );

    // Corrected: the error goes, and the next start is the first attempt.
    await m.type('reference', 'CASE-4711');
    expect(m.q('reference-error')).toBeNull();
    expect(input.getAttribute('aria-invalid')).toBe('false');
    await m.press('Enter', input);
    expect(sentRequests(m)[1]!.reference).toBe('CASE-4711');
    expect(m.get('summary').querySelector('.chip')).toBeNull();
  });

  it('in the agent’s language', async () => {
    m = await mount({}, { languages: ['sv-SE'] });
    expect(m.get<HTMLInputElement>('reference').labels?.[0]?.textContent).toBe('Ärendenummer');
    await startWith(m, 'x'.repeat(129));
    expect(m.get('reference-error').textContent).toBe('Ärendenumret får ha högst 128 tecken och inga radbrytningar.');
  });
});

describe('case reference: history', () => {
  const entries = () => [
    mockHistoryEntry({ seq: 2, started_at_ms: JAN_2_0905, reference: 'CASE-4711', masked_identity: '19850709-XXXX' }),
    mockHistoryEntry({ seq: 1, started_at_ms: JAN_2_0905 - 60_000, outcome: 'denied', error_code: 'access_denied' }),
  ];

  it('shows the reference in the rows that have one, on the card and in the audit record', async () => {
    m = await mount({ history: entries() });
    await m.click('nav-history');
    expect(m.get('history-row-1').querySelector('[data-testid="history-reference"]')!.textContent).toBe('CASE-4711');
    expect(m.get('history-row-1').textContent).toContain('Case reference: CASE-4711');
    expect(m.get('history-row-2').querySelector('[data-testid="history-reference"]')).toBeNull();
    // The provider stays on its own line.
    expect(m.get('history-row-1').querySelector('[data-testid="history-profile"]')!.textContent).toBe('Sandbox · training');

    await m.click('history-row-1');
    expect(m.get('result-reference').textContent).toBe('Case CASE-4711');
    expect(m.get('audit-record').querySelector('[data-field="reference"] dd')!.textContent).toBe('CASE-4711');
    await m.click('history-row-2');
    expect(m.q('result-reference')).toBeNull();
    expect(m.get('audit-record').querySelector('[data-field="reference"]')).toBeNull();
  });

  it('a verification of this run keeps its reference in the record, and can be found by it', async () => {
    m = await mount();
    await startWith(m, 'CASE-77');
    m.backend.finish(m.lastId(), 'verified');
    await flush();
    expect(m.backend.historyEntries[0]!.reference).toBe('CASE-77');
    await m.click('nav-history');
    expect(m.get('history-reference').textContent).toBe('CASE-77');
    await m.click('history-row-1');
    expect(m.get('result-reference').textContent).toBe('Case CASE-77');
  });
});

describe('summary line', () => {
  const en = translator('en');
  const facts = (overrides: Partial<SummaryFacts> = {}): SummaryFacts => ({
    outcome: 'verified',
    match: 'match',
    masked: '19121212-XXXX',
    method: 'Swedish BankID (bankid)',
    provider: 'Idura · Swedish BankID',
    startedMs: JAN_2_0905,
    reference: 'CASE-4711',
    ...overrides,
  });

  it('outcome, match, masked identifier, method, local time and case, joined by " · "', () => {
    expect(summaryLine(en, facts())).toBe(
      'Verified · Match · 19121212-XXXX · Swedish BankID (bankid) · 2025-01-02 09:05 · Case CASE-4711',
    );
  });

  it('leaves out what is not there; the provider stands in for an unknown method', () => {
    expect(summaryLine(en, facts({ reference: null, method: null, match: null }))).toBe(
      'Verified · 19121212-XXXX · Idura · Swedish BankID · 2025-01-02 09:05',
    );
    expect(summaryLine(en, facts({ outcome: 'denied', match: null, method: null }))).toBe(
      'Declined · 19121212-XXXX · Idura · Swedish BankID · 2025-01-02 09:05 · Case CASE-4711',
    );
    expect(summaryLine(en, facts({ outcome: 'cancelled', match: null, method: null, reference: null }))).toBe(
      'Cancelled · 19121212-XXXX · Idura · Swedish BankID · 2025-01-02 09:05',
    );
  });

  it('says a mismatch once, and never starts its note with "Verified"', () => {
    expect(summaryLine(en, facts({ match: 'mismatch' }))).toBe(
      'Mismatch · 19121212-XXXX · Swedish BankID (bankid) · 2025-01-02 09:05 · Case CASE-4711',
    );
    expect(summaryLine(en, facts({ outcome: 'mismatch', match: null, method: null, reference: null }))).toBe(
      'Mismatch · 19121212-XXXX · Idura · Swedish BankID · 2025-01-02 09:05',
    );
    expect(summaryLine(en, facts({ outcome: 'not_comparable', match: null, reference: null }))).toBe(
      'Verified · Not comparable · 19121212-XXXX · Swedish BankID (bankid) · 2025-01-02 09:05',
    );
  });

  it('is in the agent’s language', () => {
    expect(summaryLine(translator('sv'), facts())).toBe(
      'Bekräftad · Stämmer · 19121212-XXXX · Swedish BankID (bankid) · 2025-01-02 09:05 · Ärende CASE-4711',
    );
    expect(summaryLine(translator('nb'), facts({ outcome: 'expired', match: null, method: null }))).toBe(
      'Utløpt · 19121212-XXXX · Idura · Swedish BankID · 2025-01-02 09:05 · Sak CASE-4711',
    );
    expect(summaryLine(translator('da'), facts({ match: 'not_comparable' }))).toMatch(/^Bekræftet · Kan ikke sammenlignes · .* · Sag CASE-4711$/);
  });

  it('formats the time as YYYY-MM-DD HH:MM, local', () => {
    expect(formatStamp(new Date(2024, 11, 31, 23, 59, 59).getTime())).toBe('2024-12-31 23:59');
    expect(formatStamp(JAN_2_0905)).toBe('2025-01-02 09:05');
  });
});

describe('copy summary', () => {
  function stubClipboard(writeText: ((text: string) => Promise<void>) | undefined) {
    const clipboard = writeText ? { writeText: vi.fn(writeText) } : undefined;
    vi.spyOn(navigator, 'clipboard', 'get').mockReturnValue(clipboard as unknown as Clipboard);
    return clipboard?.writeText;
  }

  /** document.execCommand as WebKitGTK has it; happy-dom has none. */
  function stubExecCommand(works: boolean) {
    const copied: string[] = [];
    const execCommand = vi.fn((command: string) => {
      const active = document.activeElement as HTMLTextAreaElement | null;
      if (command === 'copy' && works && active?.tagName === 'TEXTAREA') {
        copied.push(active.value.slice(active.selectionStart, active.selectionEnd));
      }
      return works;
    });
    Object.defineProperty(document, 'execCommand', { value: execCommand, configurable: true, writable: true });
    return { execCommand, copied };
  }
  afterEach(() => {
    delete (document as { execCommand?: unknown }).execCommand;
  });

  async function verifiedWithReference(m: Mounted) {
    await startWith(m, 'CASE-4711');
    m.backend.finish(m.lastId(), 'verified');
    await flush();
  }

  it('puts one masked line on the clipboard and says so', async () => {
    const writeText = stubClipboard(async () => {});
    m = await mount();
    await verifiedWithReference(m);
    await m.click('copy-summary');
    expect(writeText).toHaveBeenCalledTimes(1);
    const line = writeText!.mock.calls[0]![0];
    const parts = line.split(' · ');
    expect(parts.slice(0, 3)).toEqual(['Verified', 'Match', '19121212-XXXX']);
    expect(parts.at(-1)).toBe('Case CASE-4711');
    expect(parts.at(-2)).toMatch(STAMP);
    expect(line).not.toContain('\n');
    expect(line).not.toContain(SE_VALID);
    expect(line).not.toMatch(/tx-/);
    expect(m.get('copy-summary').textContent).toBe('Summary copied');
    expect(m.get('announcer-polite').textContent).toBe('Summary copied');
  });

  it('is offered for every finished verification, in History too, but not for an interrupted one', async () => {
    stubClipboard(async () => {});
    m = await mount({
      history: [
        mockHistoryEntry({ seq: 3, started_at_ms: JAN_2_0905, outcome: 'interrupted', duration_ms: null }),
        mockHistoryEntry({ seq: 2, started_at_ms: JAN_2_0905, outcome: 'mismatch', reference: 'CASE-9' }),
        mockHistoryEntry({ seq: 1, started_at_ms: JAN_2_0905, outcome: 'failed', error_code: 'timeout' }),
      ],
    });
    await startWith(m, '');
    m.backend.finish(m.lastId(), 'denied');
    await flush();
    expect(m.q('copy-summary')).not.toBeNull();

    await m.click('nav-history');
    await m.click('history-row-1');
    expect(m.get('result').dataset.outcome).toBe('denied');
    expect(m.q('copy-summary')).not.toBeNull();
    await m.click('history-row-2');
    expect(m.get('result').dataset.outcome).toBe('interrupted');
    expect(m.q('copy-summary')).toBeNull();
    await m.click('history-row-3');
    await m.click('copy-summary');
    const writeText = navigator.clipboard.writeText as unknown as ReturnType<typeof vi.fn>;
    expect(writeText.mock.calls.at(-1)![0]).toBe('Mismatch · 19121212-XXXX · Sandbox · training · 2025-01-02 09:05 · Case CASE-9');
    await m.click('history-row-4');
    await m.click('copy-summary');
    expect(writeText.mock.calls.at(-1)![0]).toBe('Failed · 19121212-XXXX · Sandbox · training · 2025-01-02 09:05');
  });

  it('falls back to selecting the text when there is no Clipboard API, and keeps the focus on the button', async () => {
    stubClipboard(undefined);
    const { execCommand, copied } = stubExecCommand(true);
    m = await mount();
    await verifiedWithReference(m);
    const button = m.get('copy-summary');
    button.focus();
    await m.click(button);
    expect(execCommand).toHaveBeenCalledWith('copy');
    expect(copied).toHaveLength(1);
    expect(copied[0]).toMatch(/^Verified · Match · 19121212-XXXX · .* · Case CASE-4711$/);
    expect(document.querySelector('.copy-buffer')).toBeNull();
    expect(document.activeElement).toBe(button);
    expect(m.get('announcer-polite').textContent).toBe('Summary copied');
  });

  it('falls back when the Clipboard API refuses', async () => {
    const writeText = stubClipboard(async () => {
      throw new DOMException('not allowed', 'NotAllowedError');
    });
    const { copied } = stubExecCommand(true);
    m = await mount();
    await verifiedWithReference(m);
    await m.click('copy-summary');
    expect(writeText).toHaveBeenCalledTimes(1);
    expect(copied).toEqual([writeText!.mock.calls[0]![0]]);
    expect(m.get('copy-summary').textContent).toBe('Summary copied');
  });

  it('says so when neither way works', async () => {
    stubClipboard(async () => {
      throw new DOMException('not allowed', 'NotAllowedError');
    });
    stubExecCommand(false);
    m = await mount({}, { languages: ['da-DK'] });
    await verifiedWithReference(m);
    await m.click('copy-summary');
    expect(m.get('copy-summary-failed').textContent).toBe('Resuméet kunne ikke kopieres');
    expect(m.get('copy-summary').textContent).toBe('Kopiér resumé');
    expect(m.get('announcer-assertive').textContent).toBe('Resuméet kunne ikke kopieres');
  });
});
