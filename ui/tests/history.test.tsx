import { afterEach, describe, expect, it } from 'vitest';
import { formatDateTime } from '../src/ui/format';
import { MOCK_AUDIT_PATH, SANDBOX_ISSUER } from '../dev/fixtures';
import { mockHistoryEntry } from '../dev/mock-backend';
import { flush, mount, SE_OTHER, startVerification, type Mounted } from './helpers';

let m: Mounted;
afterEach(() => m?.unmount());

/** The text of one field of the audit record on screen, or null when it is left out. */
const field = (m: Mounted, name: string) =>
  m.get('audit-record').querySelector(`[data-field="${name}"] dd`)?.textContent ?? null;

const JAN_2 = Date.UTC(2025, 0, 2, 9, 15, 0);

describe('history: the audit log', () => {
  it('lists the records newest first, masked, and reopens a result card with its audit record', async () => {
    m = await mount();
    const first = await startVerification(m);
    m.backend.finish(first, 'verified');
    await m.click('new-verification');
    const second = await startVerification(m, { identity: SE_OTHER });
    m.backend.finish(second, 'denied');
    await m.click('nav-history');

    expect(m.get('history').querySelector('.screen-sub')!.textContent).toBe(
      "Verifications recorded in this computer's audit log, newest first. Identity numbers are masked.",
    );
    const rows = [m.get('history-row-1'), m.get('history-row-2')];
    // Rows are keyed by the record's sequence number, not by the verification id.
    expect(rows.map((r) => r.dataset.id)).toEqual(['2', '1']);
    expect(m.backend.historyEntries.map((e) => e.verification_id)).toEqual([second, first]);
    expect(rows[0]!.textContent).toContain('19850709-XXXX');
    expect(rows[0]!.textContent).toContain('Declined');
    expect(rows[1]!.textContent).toContain('Tolvan Tolvansson');
    expect(m.get('history').textContent).not.toMatch(/\d{8}-\d{4}/);

    await m.click(rows[1]!);
    expect(rows[1]!.getAttribute('aria-pressed')).toBe('true');
    expect(m.get('result').dataset.outcome).toBe('verified');
    expect(m.get('result-name').textContent).toBe('Tolvan Tolvansson');
    expect(m.get('match').dataset.match).toBe('match');
    expect(field(m, 'seq')).toBe('#1');
    expect(field(m, 'agent')).toBe('agent on desk-01');
    // The profile by its title, never translated; the record's name and issuer under it.
    expect(field(m, 'provider')).toBe(`Sandbox · trainingsandbox · ${SANDBOX_ISSUER}`);
    expect(field(m, 'identifier-kind')).toBe('National identity number');
    expect(field(m, 'binding')).toBe('4821');
    expect(field(m, 'acr')).toBe('urn:ciba-desk:sandbox');
    expect(field(m, 'transaction')).toMatch(/^tx-[0-9a-f]{8}$/);
    expect(field(m, 'error-code')).toBeNull();

    await m.click('history-row-1');
    expect(m.get('result').dataset.outcome).toBe('denied');
    expect(m.get('result-message').textContent).toBe('The customer declined the request, or the provider refused it.');
    expect(m.q('error-code')).toBeNull();
    expect(m.q('try-again')).toBeNull();
    expect(field(m, 'seq')).toBe('#2');
    expect(field(m, 'acr')).toBeNull();
    expect(field(m, 'transaction')).toBeNull();
  });

  it('says so when empty', async () => {
    m = await mount();
    await m.click('nav-history');
    expect(m.get('history-empty').textContent).toBe('No verifications have been recorded yet.');
    expect(m.get('audit-status').textContent).toBe('Audit log: 0 records · chain intact');
  });

  it('shows an earlier run’s verification from its record alone: a compact card and the audit fields', async () => {
    m = await mount({
      history: [
        mockHistoryEntry({
          seq: 41,
          started_at_ms: JAN_2,
          recorded_at_ms: JAN_2 + 65_000,
          duration_ms: 65_000,
          subject_name: 'Tolvan Tolvansson',
          binding_message: '7310',
          acr: 'urn:grn:authn:se:bankid',
          transaction_id: 'tx-5e0c2a91',
          os_user: 'anna.k',
          workstation: 'KUNDTJ-07',
        }),
        mockHistoryEntry({ seq: 40, outcome: 'mismatch', masked_identity: '19850709-XXXX', duration_ms: null }),
      ],
    });
    await m.click('nav-history');
    const row = m.get('history-row-1');
    expect(row.dataset.id).toBe('41');
    expect(row.textContent).toContain('Tolvan Tolvansson');
    // Not today: the row says which day.
    expect(row.querySelector('.history-date')!.textContent).toBe('2 Jan 2025');

    await m.click(row);
    const card = m.get('result');
    expect(card.dataset.outcome).toBe('verified');
    expect(m.get('result-heading').textContent).toBe('Identity verified');
    expect(m.get('result-name').textContent).toBe('Tolvan Tolvansson');
    expect(m.get('recorded-summary').textContent).toBe('The customer was verified as 19121212-XXXX.');
    expect(card.textContent).toContain('before CIBA Desk was last started');
    expect(m.q('match')).toBeNull();
    expect(m.get('sandbox-banner')).not.toBeNull();

    expect(m.get('audit-record').querySelector('h2')!.textContent).toBe('Audit record');
    expect(field(m, 'seq')).toBe('#41');
    expect(field(m, 'started')).toBe(formatDateTime(JAN_2, 'en-GB'));
    expect(field(m, 'recorded')).toBe(formatDateTime(JAN_2 + 65_000, 'en-GB'));
    expect(field(m, 'duration')).toBe('1 min 5 secs');
    expect(field(m, 'agent')).toBe('anna.k on KUNDTJ-07');
    expect(field(m, 'binding')).toBe('7310');
    expect(field(m, 'acr')).toBe('urn:grn:authn:se:bankid');
    expect(field(m, 'transaction')).toBe('tx-5e0c2a91');
    expect(field(m, 'error-code')).toBeNull();
    const labels = [...m.get('audit-record').querySelectorAll('dt')].map((dt) => dt.textContent);
    expect(labels).toEqual([
      'Record',
      'Duration',
      'Started',
      'Recorded',
      'Agent',
      'Provider',
      'Identified by',
      'Binding message',
      'Assurance level (ACR)',
      'Transaction ID',
    ]);

    await m.click('history-row-2');
    expect(m.get('result').dataset.outcome).toBe('mismatch');
    expect(m.get('result-heading').textContent).toBe('A different person approved');
    expect(m.get('recorded-summary').textContent).toBe('Someone other than 19850709-XXXX approved the request.');
    expect(m.q('result-name')).toBeNull();
    expect(field(m, 'duration')).toBeNull();
    expect(field(m, 'binding')).toBeNull();
  });

  it('a failed verification shows its error code, from this run and from the record alone', async () => {
    m = await mount({
      history: [
        mockHistoryEntry({
          seq: 7,
          outcome: 'failed',
          error_code: 'invalid_client',
          profile: 'bankid-se',
          issuer: 'https://desk.idura.broker',
        }),
        // Its sentence needs the profile's name, which the record does not keep.
        mockHistoryEntry({ seq: 6, outcome: 'failed', error_code: 'missing_secret', profile: 'mitid' }),
      ],
    });
    const id = await startVerification(m);
    m.backend.finish(id, 'failed');
    await m.click('nav-history');

    await m.click('history-row-1');
    expect(m.get('history-row-1').dataset.id).toBe('8');
    expect(m.get('result').dataset.outcome).toBe('failed');
    expect(m.get('result-message').textContent).toBe(
      'The provider did not answer in time. Try again in a minute, or use another provider.',
    );
    expect(m.get('error-code').textContent).toBe('Error code: timeout');
    expect(field(m, 'error-code')).toBe('timeout');

    // An earlier run's record: the sentence for its code, when the code needs nothing more.
    await m.click('history-row-2');
    expect(m.get('result').dataset.outcome).toBe('failed');
    expect(m.get('result-message').textContent).toBe(
      "The provider did not accept this client's credentials. Ask your administrator to check the client ID and the secret or key.",
    );
    expect(m.get('error-code').textContent).toBe('Error code: invalid_client');
    expect(field(m, 'error-code')).toBe('invalid_client');
    expect(field(m, 'provider')).toBe('Idura · Swedish BankIDbankid-se · https://desk.idura.broker');

    await m.click('history-row-3');
    expect(m.q('result-message')).toBeNull();
    expect(m.get('error-code').textContent).toBe('Error code: missing_secret');
  });

  it('an earlier run’s declined record says so in the agent’s language', async () => {
    m = await mount(
      { history: [mockHistoryEntry({ seq: 3, outcome: 'denied', error_code: 'access_denied', identifier_kind: 'mobile_id' })] },
      { languages: ['nb-NO'] },
    );
    await m.click('nav-history');
    await m.click('history-row-1');
    expect(m.get('result-message').textContent).toBe('Kunden avviste forespørselen, eller leverandøren avslo den.');
    expect(field(m, 'identifier-kind')).toBe('MobileID-bruker og -enhet');
  });

  it('a verification the app never finished shows as interrupted, with what to do', async () => {
    m = await mount(
      { history: [mockHistoryEntry({ seq: 7, outcome: 'interrupted', duration_ms: null })] },
      { languages: ['sv-SE'] },
    );
    await m.click('nav-history');
    expect(m.get('history-row-1').textContent).toContain('Ej avslutad');
    await m.click('history-row-1');
    expect(m.get('result').dataset.outcome).toBe('interrupted');
    expect(m.get('result-heading').textContent).toBe('Inget resultat registrerades');
  });

  it('a history that cannot be read is shown as a translated error', async () => {
    m = await mount();
    m.backend.history = async () => {
      throw { code: 'audit_locked', message: 'the audit log /x is locked by another process' };
    };
    await m.click('nav-history');
    expect(m.get('history-error').textContent).toBe(
      'The history could not be loaded: The audit log is locked by another program. Close other CIBA Desk windows or tools reading the log, then try again.',
    );
  });
});

describe('history: the audit log status', () => {
  it('counts the records, says the chain is intact and how long records are kept; refresh reloads it', async () => {
    m = await mount({ audit: { retention_days: 90 } });
    for (const outcome of ['verified', 'expired'] as const) {
      const id = await startVerification(m);
      m.backend.finish(id, outcome);
      await m.click('new-verification');
    }
    await m.click('nav-history');
    const status = m.get('audit-status');
    expect(status.dataset.intact).toBe('true');
    expect(status.textContent).toBe('Audit log: 2 records · chain intact · records older than 90 days are deleted');
    expect(status.querySelector('[title]')!.getAttribute('title')).toBe(MOCK_AUDIT_PATH);
    expect(m.q('audit-unkeyed')).toBeNull();
    expect(m.q('audit-broken')).toBeNull();
    expect(m.get('history').querySelector('[role="alert"]')).toBeNull();

    m.backend.options.audit = { retention_days: 1, records: 1 };
    const calls = m.backend.callsTo('audit_status').length;
    await m.click('history-refresh');
    expect(m.backend.callsTo('audit_status')).toHaveLength(calls + 1);
    expect(m.get('audit-status').textContent).toBe(
      'Audit log: 1 record · chain intact · records older than 1 day are deleted',
    );
  });

  it('reloads the status when a verification finishes', async () => {
    m = await mount();
    const id = await startVerification(m);
    await m.click('nav-history');
    expect(m.get('audit-status').textContent).toBe('Audit log: 0 records · chain intact');
    m.backend.finish(id, 'verified');
    await flush();
    expect(m.get('history-row-1').dataset.id).toBe('1');
    expect(m.get('audit-status').textContent).toBe('Audit log: 1 record · chain intact');
  });

  it('a broken chain is a clear alert naming the first broken record', async () => {
    m = await mount({
      history: [mockHistoryEntry({ seq: 3 }), mockHistoryEntry({ seq: 2 })],
      audit: {
        intact: false,
        records: 9,
        problem: 'record 7 does not link to the record before it: a record was replaced or inserted',
        problem_code: 'link_broken',
        problem_seq: 7,
      },
    });
    await m.click('nav-history');
    const status = m.get('audit-status');
    expect(status.dataset.intact).toBe('false');
    expect(status.textContent).toBe('Audit log: 9 records · chain broken');
    const alert = m.get('audit-broken');
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.textContent).toContain('The audit log has been changed or damaged');
    expect(m.get('audit-problem').textContent).toBe(
      'Record 7 does not link to the record before it: a record was replaced or inserted.',
    );
    expect(alert.textContent).toContain(`Keep the file exactly as it is (${MOCK_AUDIT_PATH})`);
    expect(alert.textContent).toContain('Call your administrator.');
    // The records are still listed.
    expect(m.all('history-row-1').concat(m.all('history-row-2'))).toHaveLength(2);
  });

  it('names the broken record in the agent’s language, or in English for a problem the page does not know', async () => {
    const broken = (problem_code: string) =>
      mount(
        { audit: { intact: false, records: 4, problem: 'record 3 was altered in a new way', problem_code, problem_seq: 3 } },
        { languages: ['sv-SE'] },
      );
    m = await broken('content_altered');
    await m.click('nav-history');
    expect(m.get('audit-problem').textContent).toBe('Post 3 har ändrats: dess fält stämmer inte med dess hash.');
    m.unmount();
    m = await broken('something_new');
    await m.click('nav-history');
    expect(m.get('audit-problem').textContent).toBe('Record 3 was altered in a new way.');
  });

  it('says when records cannot be looked up by identity number (no keyring)', async () => {
    m = await mount({ audit: { keyed: false } });
    await m.click('nav-history');
    expect(m.get('audit-status').dataset.intact).toBe('true');
    expect(m.get('audit-unkeyed').textContent).toBe(
      'Records cannot be looked up by identity number, because no system keyring was available.',
    );
  });

  it('a status that cannot be read is shown as an error, and the list stays', async () => {
    m = await mount({
      history: [mockHistoryEntry({ seq: 12, masked_identity: '19121212-XXXX' })],
      auditStatusError: { code: 'audit_locked', message: 'the audit log /x is locked by another process' },
    });
    await m.click('nav-history');
    expect(m.q('audit-status')).toBeNull();
    const error = m.get('audit-status-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toBe(
      'The audit log could not be checked: The audit log is locked by another program. Close other CIBA Desk windows or tools reading the log, then try again.',
    );
    expect(m.get('history-row-1').dataset.id).toBe('12');
    expect(m.q('history-error')).toBeNull();

    m.backend.options.auditStatusError = undefined;
    await m.click('history-refresh');
    expect(m.q('audit-status-error')).toBeNull();
    expect(m.get('audit-status').textContent).toBe('Audit log: 1 record · chain intact');
  });

  it('in Swedish too', async () => {
    m = await mount({ audit: { retention_days: 30, keyed: false } }, { languages: ['sv-SE'] });
    await m.click('nav-history');
    expect(m.get('audit-status').querySelector('.audit-status-line')!.textContent).toBe(
      'Granskningslogg: 0 poster · kedjan är obruten · poster äldre än 30 dagar raderas',
    );
    expect(m.get('audit-unkeyed').textContent).toContain('ingen nyckelring');
  });
});
