import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Backend } from './api/backend';
import {
  STAND_ALONE,
  toBackendError,
  UNMANAGED,
  type BackendError,
  type Language,
  type OrganisationView,
  type PolicyView,
  type Preferences,
  type PresetSummary,
  type ProfileSummary,
} from './api/types';
import { detectLanguage, LOCALES, navigatorLanguages, translator, type Translate } from './i18n';
import { errorText, errorWords, messageText } from './i18n/texts';
import { Controller } from './state/controller';
import { profilesMayChange, startBlocked, useOrganisation } from './state/organisation';
import { emptyDraft, initialState, isActive } from './state/sessions';
import { SessionStore } from './state/store';
import { UiContext, type Politeness, type Ui } from './ui/context';
import { HistoryScreen } from './ui/history-screen';
import { ShieldIcon } from './ui/icons';
import { useLinks } from './ui/link-notice';
import { CodeLine } from './ui/message';
import { OrgHeader } from './ui/organisation';
import { QrOverlay } from './ui/qr';
import { noProfilesMessage } from './ui/policy';
import { QuitDialog, useCloseRequests } from './ui/quit-dialog';
import { SettingsScreen } from './ui/settings-screen';
import { VerifyScreen } from './ui/verify-screen';
import { applyTheme } from './theme';

export type View = 'verify' | 'history' | 'settings';

/** What dev-mode demos (and tests) can drive directly. */
export interface AppApi {
  controller: Controller;
  store: SessionStore;
  setView: (view: View) => void;
  /** Selects a History row by its entry id (the audit record's sequence number). */
  selectHistory: (id: string | null) => void;
  /** Opens "Show to customer" for a waiting pickup verification. */
  showQr: (key: number) => void;
}

export interface AppConfig {
  debounceMs?: number;
  errorDelayMs?: number;
  /** Show the "demo data" marker (MockBackend in a browser). */
  demo?: boolean;
  /** Overrides navigator.languages (tests). */
  languages?: readonly string[];
  onReady?: (api: AppApi) => void;
}

interface Loaded {
  profiles: ProfileSummary[];
  presets: PresetSummary[];
  prefs: Preferences;
  policy: PolicyView;
  /** The organisation's server as the desk reported it at start (then followed by a long poll). */
  organisation: OrganisationView;
}

export function App({ backend, config = {} }: { backend: Backend; config?: AppConfig }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<BackendError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const browserLanguage = useMemo(() => detectLanguage(config.languages ?? navigatorLanguages()), []);
  // Until the agent chooses one: the operating system's language, as the backend reports it.
  const autoLanguage: Language = loaded?.prefs.system_language ?? browserLanguage;

  useEffect(() => {
    let live = true;
    setLoadError(null);
    // Profiles are essential; presets, preferences and the policy have safe fallbacks.
    const defaults: Preferences = { last_profile: null, language: null, theme: 'system', system_language: null };
    Promise.all([
      backend.listProfiles(),
      backend.listPresets().catch((): PresetSummary[] => []),
      backend.getPreferences().catch(() => defaults),
      // Unreadable: shown as unmanaged. The desk still refuses what the policy forbids, so the
      // worst is a button that gets a refusal; recorded in the page's error log.
      backend.policy().catch((error): PolicyView => {
        console.error('the policy could not be read:', toBackendError(error).message);
        return UNMANAGED;
      }),
      // Unreadable: stand-alone until the long poll reads it. In server mode the desk refuses
      // what needs a sign-in, and its profiles are the server's either way.
      backend.organisation().catch((error): OrganisationView => {
        console.error('the organisation could not be read:', toBackendError(error).message);
        return STAND_ALONE;
      }),
    ])
      .then(
        ([profiles, presets, prefs, policy, organisation]) =>
          live && setLoaded({ profiles, presets, prefs, policy, organisation }),
      )
      .catch((error) => live && setLoadError(toBackendError(error)));
    return () => {
      live = false;
    };
  }, [attempt]);

  const language: Language = loaded?.prefs.language ?? autoLanguage;
  const t = useMemo(() => translator(language), [language]);

  useEffect(() => {
    document.documentElement.lang = language;
    document.title = t('app.name');
  }, [language]);
  useEffect(() => applyTheme(loaded?.prefs.theme ?? 'system'), [loaded?.prefs.theme]);

  if (!loaded) {
    return (
      <div class="boot" data-testid="boot">
        <div class="brand">
          <ShieldIcon size={28} />
          <span>{t('app.name')}</span>
        </div>
        {loadError ? (
          <div class="boot-error" role="alert">
            <LoadFailed t={t} error={loadError} />
            <button type="button" class="button button--primary" onClick={() => setAttempt((n) => n + 1)}>
              {t('app.retry')}
            </button>
          </div>
        ) : (
          <p class="muted" role="status">
            {t('app.loading')}
          </p>
        )}
      </div>
    );
  }
  return (
    <Desk
      backend={backend}
      config={config}
      loaded={loaded}
      setLoaded={setLoaded}
      t={t}
      language={language}
      autoLanguage={autoLanguage}
    />
  );
}

function LoadFailed({ t, error }: { t: Translate; error: BackendError }) {
  const words = errorWords(t, error);
  return (
    <p>
      {t('app.loadFailed', { message: words.text })}
      <CodeLine code={words.code} t={t} />
    </p>
  );
}

interface DeskProps {
  backend: Backend;
  config: AppConfig;
  loaded: Loaded;
  setLoaded: (update: (l: Loaded | null) => Loaded | null) => void;
  t: Translate;
  language: Language;
  autoLanguage: Language;
}

function Desk({ backend, config, loaded, setLoaded, t, language, autoLanguage }: DeskProps) {
  const [view, setView] = useState<View>('verify');
  const [qrKey, setQrKey] = useState<number | null>(null);
  const [historyVersion, setHistoryVersion] = useState(0);
  const [historySelected, setHistorySelected] = useState<string | null>(null);
  /** The agent tried to close the window while verifications were running. */
  const [quitAsked, setQuitAsked] = useState(false);
  const politeRef = useRef<HTMLDivElement>(null);
  const assertiveRef = useRef<HTMLDivElement>(null);

  /** Profiles are being read again after the organisation changed (no "none set up" meanwhile). */
  const [profilesPending, setProfilesPending] = useState(false);

  // Latest values for the controller's callbacks, which outlive renders.
  const live = useRef({ t, profiles: loaded.profiles, prefs: loaded.prefs, organisation: loaded.organisation });
  live.current = { ...live.current, t, profiles: loaded.profiles, prefs: loaded.prefs };

  const announce = useCallback((message: string, politeness: Politeness = 'polite') => {
    const region = politeness === 'assertive' ? assertiveRef.current : politeRef.current;
    if (!region) return;
    // Re-announce an identical message by changing the text node.
    region.textContent = region.textContent === message ? `${message}\u00a0` : message;
  }, []);

  const pendingFocus = useRef<string | null>(null);
  const applyFocus = useCallback(() => {
    const id = pendingFocus.current;
    if (!id) return;
    const element = document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
    if (element) {
      pendingFocus.current = null;
      element.focus();
    }
  }, []);
  const focus = useCallback((testId: string) => {
    pendingFocus.current = testId;
    setTimeout(applyFocus, 0);
  }, []);

  const savePrefs = useCallback((patch: Partial<Preferences>) => {
    const next = { ...live.current.prefs, ...patch };
    if (JSON.stringify(next) === JSON.stringify(live.current.prefs)) return;
    live.current.prefs = next;
    setLoaded((l) => (l ? { ...l, prefs: next } : l));
    backend.setPreferences(next).catch((error) => announce(errorText(live.current.t, toBackendError(error))));
  }, []);

  const [store] = useState(() => new SessionStore(initialState(1, emptyDraft(loaded.profiles, loaded.prefs.last_profile))));
  const [controller] = useState(
    () =>
      new Controller({
        backend,
        getState: () => store.state,
        dispatch: store.dispatch,
        getProfiles: () => live.current.profiles,
        t: () => live.current.t,
        announce,
        focus,
        onFinished: () => setHistoryVersion((n) => n + 1),
        onProfileUsed: (profile) => savePrefs({ last_profile: profile }),
        noProfiles: () => noProfilesMessage(loaded.policy, live.current.organisation),
        blocked: () => startBlocked(live.current.organisation),
      }),
  );

  const [, rerender] = useState(0);
  useEffect(() => store.subscribe(() => rerender((n) => n + 1)), []);
  const state = store.state;
  useLayoutEffect(applyFocus);

  const reloadProfiles = useCallback(async () => {
    const profiles = await backend.listProfiles();
    live.current.profiles = profiles;
    setLoaded((l) => (l ? { ...l, profiles } : l));
  }, []);

  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  /** Bumped by every read of the profiles after an organisation change: only the latest counts. */
  const profileRead = useRef(0);
  /**
   * The profiles again, after the organisation changed: the server's appear once signed in and
   * vanish after signing out. Running verifications keep their tabs. A read that fails keeps
   * the list as it was (never this computer's profiles instead).
   */
  const refreshProfiles = useCallback(async (attempt = 0) => {
    const read = ++profileRead.current;
    setProfilesPending(true);
    let profiles: ProfileSummary[];
    try {
      profiles = await backend.listProfiles();
    } catch (error) {
      console.error('the profiles could not be read again:', toBackendError(error).message);
      if (read === profileRead.current) setProfilesPending(false);
      return;
    }
    if (!mounted.current || read !== profileRead.current) return;
    live.current.profiles = profiles;
    setLoaded((l) => (l ? { ...l, profiles } : l));
    // A sign-in kept from the last run: the desk may say "signed in" a moment before it has read
    // the server's profiles. An empty list then is asked for again a few times.
    if (profiles.length === 0 && live.current.organisation.state === 'signed_in' && attempt < 3) {
      setTimeout(() => {
        if (mounted.current && read === profileRead.current) void refreshProfiles(attempt + 1);
      }, 1000 * 2 ** attempt);
      return;
    }
    setProfilesPending(false);
  }, []);

  const organisation = useOrganisation(backend, loaded.organisation, {
    onChange: (before, after) => {
      live.current.organisation = after;
      setLoaded((l) => (l ? { ...l, organisation: after } : l));
      if (profilesMayChange(before, after)) void refreshProfiles();
    },
    announce: (message, politeness) => announce(messageText(live.current.t, message), politeness),
  });

  /** A profile as a command returned it (edit_profile), before the list is read again. */
  const updateProfile = useCallback((summary: ProfileSummary) => {
    const profiles = live.current.profiles.map((p) => (p.name === summary.name ? summary : p));
    live.current.profiles = profiles;
    setLoaded((l) => (l ? { ...l, profiles } : l));
  }, []);

  useCloseRequests(backend, () => {
    setQrKey(null);
    setQuitAsked(true);
  });

  // A screen-pop link: a new tab, filled in, on screen, with focus on Start. Behind the quit
  // question the tab still opens (the link is not lost), but focus stays with the question.
  useLinks(backend, (prefill) => {
    setView('verify');
    controller.openLink(prefill, { focus: !quitAsked });
  });

  const qrSession = state.sessions.find((s) => s.key === qrKey);
  const qrWaiting = qrSession?.phase === 'waiting' ? qrSession.waiting : null;
  useEffect(() => {
    if (qrKey !== null && !qrWaiting) setQrKey(null);
  }, [qrKey, qrWaiting]);

  const openView = (next: View) => {
    setView(next);
    if (next === 'verify') focus('identity-input');
  };

  // Keyboard: Esc cancels the verification on screen (or closes the QR overlay), Alt+N opens a new one.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || quitAsked) return;
      if (event.key === 'Escape') {
        if (qrKey !== null) {
          event.preventDefault();
          setQrKey(null);
          return;
        }
        const current = store.state.sessions.find((s) => s.key === store.state.activeKey);
        if (view === 'verify' && current && isActive(current.phase)) {
          event.preventDefault();
          void controller.cancel(current.key);
        }
      } else if (event.altKey && !event.ctrlKey && !event.metaKey && (event.code === 'KeyN' || event.key.toLowerCase() === 'n')) {
        event.preventDefault();
        setView('verify');
        controller.newTab();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [qrKey, view, quitAsked]);

  useEffect(() => {
    focus('identity-input');
    config.onReady?.({ controller, store, setView, selectHistory: setHistorySelected, showQr: setQrKey });
  }, []);

  const ui: Ui = {
    t,
    language,
    locale: LOCALES[language],
    backend,
    profiles: loaded.profiles,
    policy: loaded.policy,
    organisation,
    announce,
    debounceMs: config.debounceMs ?? 150,
    errorDelayMs: config.errorDelayMs ?? 700,
    openSettings: () => setView('settings'),
  };

  const activeCount = state.sessions.filter((s) => isActive(s.phase)).length;
  const covered = Boolean(qrWaiting) || quitAsked;
  const navItems: [View, string][] = [
    ['verify', t('nav.verify')],
    ['history', t('nav.history')],
    ['settings', t('nav.settings')],
  ];

  return (
    <UiContext.Provider value={ui}>
      <div class={`app ${covered ? 'has-overlay' : ''}`} aria-hidden={covered ? 'true' : undefined} inert={quitAsked || undefined}>
        <header class="topbar">
          <div class="brand">
            <ShieldIcon size={22} />
            <span class="brand-name">{t('app.name')}</span>
            <span class="brand-tagline">{t('app.tagline')}</span>
          </div>
          <nav class="nav" aria-label={t('nav.label')}>
            {navItems.map(([id, label]) => (
              <button
                type="button"
                key={id}
                class={`nav-item ${view === id ? 'is-current' : ''}`}
                aria-current={view === id ? 'page' : undefined}
                data-testid={`nav-${id}`}
                onClick={() => openView(id)}
              >
                {label}
                {id === 'verify' && activeCount > 0 && (
                  <span class="nav-badge" data-testid="active-count">
                    {t('nav.active', { count: activeCount })}
                  </span>
                )}
              </button>
            ))}
          </nav>
          <div class="topbar-end">
            <OrgHeader />
            {config.demo && (
              <span class="chip chip--demo" title={t('app.demoHint')}>
                {t('app.demo')}
              </span>
            )}
          </div>
        </header>
        <main class="main" id="main">
          {/* A broken policy, and signing in to the organisation, are explained by the Verify screen's own banners instead. */}
          {loaded.profiles.length === 0 &&
            view === 'verify' &&
            !loaded.policy.problem &&
            !profilesPending &&
            (organisation.view.state === 'off' || organisation.view.state === 'signed_in') && (
              <p class="note note--warning banner-note" data-testid="no-profiles">
                {messageText(t, noProfilesMessage(loaded.policy, organisation.view))}
              </p>
            )}
          {view === 'verify' && <VerifyScreen state={state} controller={controller} onShowQr={setQrKey} />}
          {view === 'history' && (
            <HistoryScreen version={historyVersion} selected={historySelected} onSelect={setHistorySelected} />
          )}
          {view === 'settings' && (
            <SettingsScreen
              presets={loaded.presets}
              prefs={loaded.prefs}
              autoLanguage={autoLanguage}
              onPrefs={savePrefs}
              reloadProfiles={reloadProfiles}
              updateProfile={updateProfile}
            />
          )}
        </main>
      </div>
      {qrWaiting && !quitAsked && <QrOverlay waiting={qrWaiting} onClose={() => setQrKey(null)} />}
      {quitAsked && <QuitDialog running={activeCount} onStay={() => setQuitAsked(false)} onQuit={() => backend.quit()} />}
      <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer-polite" ref={politeRef} />
      <div class="sr-only" aria-live="assertive" aria-atomic="true" data-testid="announcer-assertive" ref={assertiveRef} />
    </UiContext.Provider>
  );
}
