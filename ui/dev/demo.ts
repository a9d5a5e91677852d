// Dev mode without Tauri: the MockBackend plays realistic verifications. Loaded by
// src/main.tsx only when import.meta.env.DEV, so it is never in a release bundle.
// URL parameters put the window in a given state, for screenshots and demos:
//   ?demo=waiting|verified|mismatch|not_comparable|denied|expired|failed|qr|qr-full|wordpair|multi|invalid|dkwarn|history
//        |history-broken (the audit log's hash chain does not verify)|audit-failed (a verification not recorded)
//        |quit (the window closed while a verification runs)|link (a screen-pop link, with parts it could not use)
//   &theme=light|dark   &lang=en|sv|nb|da   &view=history|settings
//   &policy=managed (a profile given by the administrator's policy)|locked (agents cannot change profiles)
//          |broken (the policy file is not valid: nothing can be verified)
//   &org=signed_out|signing_in|signed_in|expired|unreachable (server mode: the organisation's server at
//        MOCK_SERVER_URL, and where the agent stands with it; signing in takes a few seconds)

import type { AppApi, AppConfig, View } from '../src/app';
import type { Backend } from '../src/api/backend';
import type { HistoryEntry, Language, Theme } from '../src/api/types';
import type { Draft } from '../src/state/sessions';
import {
  backendError,
  defaultMockProfiles,
  DK_MOD11_FAILS,
  MOCK_AGENT_NAME,
  MOCK_SERVER_URL,
  NO_VALID,
  SE_BAD_CHECK,
  SE_OTHER,
  SE_VALID,
} from './fixtures';
import { MockBackend, mockHistoryEntry, type MockOptions, type MockOutcome } from './mock-backend';

export function startDemo(params: URLSearchParams): { backend: Backend; config: AppConfig } {
  const demo = params.get('demo');
  const outcome: MockOutcome =
    demo && ['verified', 'mismatch', 'not_comparable', 'denied', 'expired', 'failed'].includes(demo)
      ? (demo as MockOutcome)
      : 'verified';
  const options: MockOptions = {
    autoplay: true,
    outcome,
    latencyMs: demo ? 250 : 900,
    answerAfterMs: demo === 'waiting' || demo?.startsWith('qr') || demo === 'wordpair' || demo === 'quit' ? 3_600_000 : demo ? 600 : 7000,
    waitSeconds: demo === 'waiting' ? 60 : undefined,
    preferences: {
      theme: (params.get('theme') as Theme | null) ?? 'system',
      language: (params.get('lang') as Language | null) ?? null,
      last_profile: 'sandbox',
    },
  };
  if (demo === 'history' || demo === 'history-broken') {
    options.history = earlierRuns();
    options.audit = { retention_days: 90 };
  }
  if (demo === 'history-broken') {
    options.audit = {
      intact: false,
      problem: 'record 2 does not link to the record before it: a record was replaced or inserted',
      problem_code: 'link_broken',
      problem_seq: 2,
    };
  }
  if (demo === 'audit-failed') {
    options.auditFailure = backendError('audit_disk_full', 'the disk holding the audit log is full; free some space');
  }
  if (demo === 'link') {
    options.links = [
      {
        profile: 'bankid-se',
        identity: `se:${SE_VALID}`,
        binding_message: 'Kasse 3',
        reference: 'CASE-4711',
        problems: [
          { param: 'start', code: 'unknown' },
          { param: 'reference', code: 'repeated' },
        ],
      },
    ];
  }
  applyPolicy(options, params.get('policy'));
  applyOrganisation(options, params.get('org'));
  const backend = new MockBackend(options);
  if (params.get('org')) {
    // Signing in takes the agent a moment in the browser.
    const signIn = backend.signIn.bind(backend);
    backend.signIn = async () => {
      const signing = signIn();
      await sleep(2500);
      backend.finishSignIn();
      return signing;
    };
  }
  const config: AppConfig = {
    demo: true,
    onReady: (api) => {
      if (demo) void play(api, backend, demo);
      const view = params.get('view') as View | null;
      if (view) api.setView(view);
    },
  };
  return { backend, config };
}

/** The administrator's policy file, as the desk reports it, with the profiles it leaves. */
function applyPolicy(options: MockOptions, policy: string | null) {
  const path = '/etc/ciba-desk/policy.toml';
  const profiles = defaultMockProfiles();
  if (policy === 'managed' || policy === 'locked') {
    options.policy = { managed: true, path, profiles_locked: policy === 'locked' };
    options.profiles = profiles.map((p) => (p.name === 'bankid-se' ? { ...p, managed: true } : p));
  } else if (policy === 'broken') {
    options.policy = {
      managed: true,
      path,
      profiles_locked: true,
      sandbox_allowed: false,
      problem: backendError(
        'policy_malformed',
        `the administrator's policy file ${path} is not valid at line 3, column 9: expected a string. Until it is corrected, CIBA Desk runs locked down: no profile can be used, added or changed`,
        { line: 3, column: 9 },
      ),
    };
    options.profiles = [];
  }
}

/** Server mode: the organisation's server, and where the agent stands with it. */
function applyOrganisation(options: MockOptions, org: string | null) {
  if (!org) return;
  const server = MOCK_SERVER_URL;
  options.signInWaits = true;
  options.serverHistory = earlierRuns();
  switch (org) {
    case 'signed_in':
      options.organisation = { state: 'signed_in', server_url: server, agent_name: MOCK_AGENT_NAME };
      return;
    case 'signing_in':
      options.organisation = { state: 'signing_in', server_url: server };
      return;
    case 'expired':
      options.organisation = {
        state: 'expired',
        server_url: server,
        problem: backendError('session_expired', 'your sign-in to the organisation has ended; sign in again'),
      };
      return;
    case 'unreachable':
      options.organisation = {
        state: 'unreachable',
        server_url: server,
        agent_name: MOCK_AGENT_NAME,
        problem: backendError('server_unreachable', `the organisation's server at ${server} cannot be reached: connection refused`, {
          server,
        }),
      };
      return;
    default:
      options.organisation = { state: 'signed_out', server_url: server };
  }
}

/** Audit records from yesterday's app run: the log keeps these, not the verified identities. */
function earlierRuns(): HistoryEntry[] {
  const day = new Date();
  day.setDate(day.getDate() - 1);
  const at = (hour: number, minute: number) => day.setHours(hour, minute, 12, 0);
  return [
    mockHistoryEntry({
      seq: 3,
      started_at_ms: at(16, 42),
      outcome: 'failed',
      profile: 'bankid-se',
      issuer: 'https://desk.idura.broker',
      masked_identity: '19850709-XXXX',
      binding_message: 'Kasse 3',
      reference: 'CASE-4702',
      error_code: 'timeout',
    }),
    mockHistoryEntry({
      seq: 2,
      started_at_ms: at(14, 5),
      outcome: 'verified',
      masked_identity: '19121212-XXXX',
      subject_name: 'Tolvan Tolvansson',
      binding_message: '7310',
      reference: 'CASE-4698',
      acr: 'urn:ciba-desk:sandbox',
      transaction_id: 'tx-5e0c2a91',
    }),
    mockHistoryEntry({ seq: 1, started_at_ms: at(9, 31), outcome: 'denied', binding_message: '2209', error_code: 'access_denied' }),
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fill(api: AppApi, key: number, draft: Partial<Draft>) {
  api.controller.edit(key, draft);
  await sleep(50);
}

async function play(api: AppApi, backend: MockBackend, demo: string) {
  const first = api.store.state.activeKey;
  const start = async (key: number, draft: Partial<Draft>) => {
    await fill(api, key, draft);
    await api.controller.start(key);
  };
  switch (demo) {
    case 'invalid':
      await fill(api, first, { profile: 'sandbox', country: 'se', identity: SE_BAD_CHECK });
      return;
    case 'dkwarn':
      await fill(api, first, { profile: 'sandbox', country: 'dk', identity: DK_MOD11_FAILS, bindingMessage: 'Kasse 3' });
      return;
    case 'qr':
    case 'qr-full':
      await start(first, { profile: 'pickup', identity: 'anna.lindqvist@example.com', bindingMessage: 'Order 48213' });
      if (demo === 'qr-full') {
        await sleep(600);
        api.showQr(first);
      }
      return;
    case 'wordpair':
      await start(first, { profile: 'bankid-no', country: 'no', identity: NO_VALID });
      return;
    case 'quit':
      await start(first, { profile: 'sandbox', country: 'se', identity: SE_VALID, bindingMessage: '4821', callInitiator: 'user' });
      await sleep(1200);
      backend.requestClose();
      return;
    case 'multi': {
      backend.options.answerAfterMs = 800;
      await start(first, { profile: 'sandbox', country: 'se', identity: SE_VALID, bindingMessage: '4821' });
      await sleep(1500);
      backend.options.answerAfterMs = 3_600_000;
      const second = api.controller.newTab();
      await start(second, { profile: 'bankid-no', country: 'no', identity: NO_VALID });
      const third = api.controller.newTab();
      await start(third, { profile: 'sandbox', country: 'dk', identity: DK_MOD11_FAILS, bindingMessage: '7310' });
      await sleep(400);
      api.controller.newTab();
      return;
    }
    case 'history': {
      const outcomes: MockOutcome[] = ['verified', 'denied', 'mismatch', 'expired', 'verified'];
      const people = [SE_VALID, SE_VALID, SE_OTHER, SE_VALID, SE_VALID];
      for (const [i, outcome] of outcomes.entries()) {
        backend.options.outcome = outcome;
        backend.options.answerAfterMs = 100;
        const key = i === 0 ? first : api.controller.newTab();
        const reference = i % 2 === 0 ? `CASE-${4711 + i}` : '';
        await start(key, { profile: 'sandbox', country: 'se', identity: people[i]!, bindingMessage: String(1000 + i * 1111), reference });
        await sleep(500);
      }
      api.setView('history');
      await sleep(200);
      api.selectHistory(backend.historyEntries[0]?.id ?? null);
      return;
    }
    case 'history-broken':
      api.setView('history');
      return;
    case 'link':
      // The mock holds the link from the start: the page opens it by itself.
      return;
    default:
      await start(first, { profile: 'sandbox', country: 'se', identity: SE_VALID, bindingMessage: '4821', callInitiator: 'user' });
  }
}
