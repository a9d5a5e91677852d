// Server mode: the organisation's CIBA Desk server holds the providers' secrets and the audit
// trail, and the agent signs in with the organisation's provider in the system browser. The page
// keeps the desk's view of it (a long poll, like screen-pop links) and says, in plain words, why
// a verification cannot start while the agent is not signed in or the server does not answer.
// Never a silent fall-back to this computer's profiles: the desk gives none in server mode.

import { useCallback, useRef, useState } from 'preact/hooks';
import type { Backend } from '../api/backend';
import { STAND_ALONE, toBackendError, type BackendError, type OrganisationView } from '../api/types';
import type { UiMessage } from '../i18n/texts';
import type { Politeness } from '../ui/context';
import { useLongPoll } from '../ui/long-poll';

/** A server is set: profiles, verifications and History come from it. */
export const isServerMode = (view: OrganisationView) => view.state !== 'off';

/**
 * The agent holds a sign-in: signed in, or signed in while the server does not answer (the
 * desk keeps the sign-in and the server's profiles until it answers again).
 */
export const holdsSignIn = (view: OrganisationView) =>
  view.state === 'signed_in' || (view.state === 'unreachable' && view.agent_name !== null);

/** The agent's name as the organisation's provider gave it, or null when it gave none. */
export const agentName = (view: OrganisationView) => view.agent_name?.trim() || null;

/** Signing in is under way: the desk says so, or the page's own call is still running. */
export const isSigningIn = (view: OrganisationView, calling: boolean) =>
  view.state === 'signing_in' || (calling && !holdsSignIn(view) && view.state !== 'off');

/**
 * Why no verification can start now, in words for the banner and the form, or null when one
 * can (stand-alone, or signed in).
 */
export function startBlocked(view: OrganisationView): UiMessage | null {
  switch (view.state) {
    case 'signed_out':
      return { key: 'org.banner.signed_out' };
    case 'signing_in':
      return { key: 'org.banner.signing_in' };
    case 'expired':
      return { key: 'org.banner.expired' };
    case 'unreachable':
      return { key: 'org.banner.unreachable', params: { server: view.server_url ?? '' } };
    case 'off':
    case 'signed_in':
      return null;
  }
}

/**
 * Whether what `list_profiles` returns may have changed between two views: the server's profiles
 * appear after signing in and vanish after signing out; another server (or none) brings others.
 * While signed in, every change is taken as one (a renewed sign-in can bring the list).
 */
export function profilesMayChange(before: OrganisationView, after: OrganisationView): boolean {
  if (before.state === 'off' && after.state === 'off') return false;
  return (
    before.state !== after.state ||
    before.server_url !== after.server_url ||
    before.agent_name !== after.agent_name ||
    after.state === 'signed_in'
  );
}

/** The organisation as the page's screens use it (through the Ui context). */
export interface Organisation {
  view: OrganisationView;
  /** The page's `sign_in` call is running (the agent is in the browser). */
  signingIn: boolean;
  /** What the last sign-in or sign-out was refused with; cleared by the next attempt, a sign-in or another server. */
  error: BackendError | null;
  signIn: () => Promise<void>;
  signOut: () => Promise<void>;
  /** Sets the server (null or empty: stand alone); resolves with the refusal, if any, for the address field. */
  setServer: (url: string | null) => Promise<BackendError | null>;
}

/** Stand-alone, with nothing to do: the context's default (tests of single components). */
export const NO_ORGANISATION: Organisation = {
  view: STAND_ALONE,
  signingIn: false,
  error: null,
  signIn: async () => {},
  signOut: async () => {},
  setServer: async () => null,
};

export interface OrganisationDeps {
  /** Every new view, with the one before it (profiles to read again, words to announce). */
  onChange: (before: OrganisationView, after: OrganisationView) => void;
  announce: (message: UiMessage, politeness?: Politeness) => void;
}

/** The same view: a long poll's timeout answers with the view as it was. */
const sameView = (a: OrganisationView, b: OrganisationView) => JSON.stringify(a) === JSON.stringify(b);

/** A long poll that came back this fast with nothing new is not waiting: ask again after a pause. */
const QUICK_MS = 1000;

/**
 * The desk's view of the organisation, kept current by `wait_organisation`, and the agent's
 * actions on it. `initial` is the view read at start.
 */
export function useOrganisation(backend: Backend, initial: OrganisationView, deps: OrganisationDeps): Organisation {
  const [view, setView] = useState(initial);
  const [signingIn, setSigningIn] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const current = useRef(initial);
  const calling = useRef(false);
  const latest = useRef(deps);
  latest.current = deps;

  /** Takes a view from any source (the long poll, a command's answer), never an older one. */
  const apply = useCallback((next: OrganisationView) => {
    const before = current.current;
    if (next.version < before.version || (next.version === before.version && sameView(next, before))) return;
    current.current = next;
    setView(next);
    if (next.state === 'signed_in' || next.server_url !== before.server_url) setError(null);
    latest.current.onChange(before, next);
  }, []);

  useLongPoll(
    async (seen) => {
      const asked = Date.now();
      const answer = await backend.waitOrganisation(seen);
      return { answer, quick: Date.now() - asked < QUICK_MS };
    },
    ({ answer, quick }, seen) => {
      apply(answer);
      return answer.version === seen && quick ? null : answer.version;
    },
  );

  const signIn = useCallback(async () => {
    if (calling.current) return;
    calling.current = true;
    setSigningIn(true);
    setError(null);
    try {
      apply(await backend.signIn());
      const name = agentName(current.current);
      latest.current.announce(name ? { key: 'org.signedInAs', params: { name } } : { key: 'org.state.signed_in' });
    } catch (thrown) {
      const refused = toBackendError(thrown);
      setError(refused);
      latest.current.announce({ error: refused }, 'assertive');
      // The desk has recorded what went wrong: the banner and Settings follow it.
      backend.organisation().then(apply, () => {});
    } finally {
      calling.current = false;
      setSigningIn(false);
    }
  }, []);

  const signOut = useCallback(async () => {
    setError(null);
    try {
      apply(await backend.signOut());
      latest.current.announce({ key: 'org.signedOut' });
    } catch (thrown) {
      const refused = toBackendError(thrown);
      setError(refused);
      latest.current.announce({ error: refused }, 'assertive');
    }
  }, []);

  const setServer = useCallback(async (url: string | null) => {
    try {
      apply(await backend.setServer(url));
      return null;
    } catch (thrown) {
      return toBackendError(thrown);
    }
  }, []);

  return { view, signingIn, error, signIn, signOut, setServer };
}
