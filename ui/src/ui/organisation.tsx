// Server mode on screen: who is signed in (header), why nothing can start (banner on Verify and
// Settings), and the Organisation section of Settings (the server's address, signing in and out).

import { useEffect, useRef, useState } from 'preact/hooks';
import type { BackendError, OrganisationView } from '../api/types';
import type { Translate } from '../i18n';
import { messageText, sentence, showable, type UiMessage } from '../i18n/texts';
import { agentName, holdsSignIn, isSigningIn, startBlocked } from '../state/organisation';
import { useUi } from './context';
import { AlertIcon, InfoIcon, LockIcon } from './icons';
import { ErrorMessage, MessageText } from './message';

/**
 * The desk's error, with the details of a refused sign-in (what the provider said) on a muted
 * line of their own when they are fit to show.
 */
export function OrgProblem({ error }: { error: BackendError }) {
  const { t } = useUi();
  const details = error.code === 'sign_in_failed' && showable(error.message) ? sentence(error.message) : null;
  return (
    <>
      <ErrorMessage error={error} />
      {details && (
        <span class="code-line muted" data-testid="org-problem-details">
          {t('org.details', { details })}
        </span>
      )}
    </>
  );
}

/** What to show for a sign-in that went wrong: the page's own call's refusal, else what the desk recorded. */
function lastProblem(view: OrganisationView, error: BackendError | null): BackendError | null {
  return error ?? view.problem;
}

/**
 * One button that signs in or out, as the agent's state asks. It stays the same element when it
 * turns from one into the other, so the keyboard focus stays on it.
 */
function SignInOutButton({ prefix, compact = false }: { prefix: 'header' | 'org' | 'org-banner'; compact?: boolean }) {
  const { t, organisation } = useUi();
  const { view } = organisation;
  const signed = holdsSignIn(view);
  const waiting = !signed && isSigningIn(view, organisation.signingIn);
  const id = `${prefix}-${signed ? 'sign-out' : 'sign-in'}`;
  return (
    <button
      type="button"
      key="sign-in-out"
      id={id}
      data-testid={id}
      // In the header it stays quiet: the banner below has the call to action.
      class={`button ${signed || compact ? 'button--secondary' : 'button--primary'} ${compact ? 'button--compact' : ''}`}
      // Not `disabled`: that would drop the focus to the page while the agent is in the browser.
      aria-disabled={waiting ? 'true' : undefined}
      aria-busy={waiting ? 'true' : undefined}
      onClick={() => {
        if (signed) void organisation.signOut();
        else if (!waiting) void organisation.signIn();
      }}
    >
      {waiting && <span class="spinner spinner--small" aria-hidden="true" />}
      {signed ? t('org.signOut') : waiting ? (compact ? t('org.state.signing_in') : t('org.waiting')) : t('org.signIn')}
    </button>
  );
}

/** The header's corner in server mode: "Signed in as …" and Sign out, or "Not signed in" and Sign in. */
export function OrgHeader() {
  const { t, organisation } = useUi();
  const { view } = organisation;
  if (view.state === 'off') return null;
  const signed = holdsSignIn(view);
  const name = agentName(view);
  const who = signed ? (name ? t('org.signedInAs', { name }) : t('org.state.signed_in')) : t('org.state.signed_out');
  return (
    <div class="org-header" data-testid="org-header" data-state={view.state}>
      <span
        class={`org-who ${signed ? '' : 'org-who--out'}`}
        id={signed ? 'signed-in-as' : 'not-signed-in'}
        data-testid={signed ? 'signed-in-as' : 'not-signed-in'}
        title={who}
      >
        {who}
      </span>
      <SignInOutButton prefix="header" compact />
    </div>
  );
}

/**
 * Why no verification can start in server mode, and what to do: sign in, wait for the browser,
 * sign in again, or wait for the server to answer. Nothing while stand-alone or signed in.
 */
export function OrgBanner() {
  const { t, organisation } = useUi();
  const { view } = organisation;
  const waiting = isSigningIn(view, organisation.signingIn);
  const shown: OrganisationView = waiting && view.state === 'signed_out' ? { ...view, state: 'signing_in' } : view;
  const message = startBlocked(shown);
  if (!message) return null;
  const urgent = shown.state === 'expired' || shown.state === 'unreachable';
  // Expired and unreachable say it all in the banner's own words.
  const problem = shown.state === 'signed_out' ? lastProblem(view, organisation.error) : null;
  // While the server does not answer, a sign-in held goes on by itself; without one, the agent may try again.
  const canSignIn = !holdsSignIn(shown);
  return (
    <div
      id="org-banner"
      class={`org-banner ${urgent ? 'org-banner--warning' : 'org-banner--info'}`}
      role={urgent ? 'alert' : 'status'}
      data-testid="org-banner"
      data-state={shown.state}
    >
      {urgent ? <AlertIcon size={20} /> : <InfoIcon size={20} />}
      <div class="org-banner-text">
        <p data-testid="org-banner-message">{messageText(t, message)}</p>
        {problem && (
          <p class="org-banner-problem" data-testid="org-banner-problem">
            <OrgProblem error={problem} />
          </p>
        )}
      </div>
      {canSignIn && <SignInOutButton prefix="org-banner" />}
    </div>
  );
}

/** A refusal of the server's address, in words about the server (the desk's own codes speak of providers). */
function ServerAddressError({ error }: { error: BackendError }) {
  const { t } = useUi();
  const own = t.optional(`org.error.${error.code}`);
  return own ?? <ErrorMessage error={error} />;
}

/** The state in Settings: "Signed in as …", "Not signed in", … */
function stateText(t: Translate, view: OrganisationView, waiting: boolean): string {
  if (waiting) return t('org.state.signing_in');
  const name = agentName(view);
  if (view.state === 'signed_in' && name) return t('org.signedInAs', { name });
  return t(`org.state.${view.state}`);
}

/** Settings → Organisation: the server's address (or the administrator's), the state, signing in and out. */
export function OrganisationSection() {
  const { t, organisation } = useUi();
  const { view } = organisation;
  const fromPolicy = view.server_from_policy;
  const [address, setAddress] = useState(view.server_url ?? '');
  const [fieldError, setFieldError] = useState<BackendError | null>(null);
  const [status, setStatus] = useState<UiMessage | null>(null);
  const [saving, setSaving] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  // The field follows the desk (the address as it keeps it, or none after "Stand alone").
  const kept = useRef(view.server_url);
  useEffect(() => {
    if (view.server_url === kept.current) return;
    kept.current = view.server_url;
    setAddress(view.server_url ?? '');
  }, [view.server_url]);

  const save = async (url: string | null) => {
    if (saving || fromPolicy) return;
    setSaving(true);
    setFieldError(null);
    setStatus(null);
    const refused = await organisation.setServer(url);
    setSaving(false);
    if (refused) {
      setFieldError(refused);
      inputRef.current?.focus();
      return;
    }
    const standAlone = (url ?? '').trim() === '';
    setStatus({ key: standAlone ? 'org.standAloneDone' : 'org.saved' });
    // "Stand alone" is gone with the address: the focus goes back to the field.
    if (standAlone) {
      setAddress('');
      inputRef.current?.focus();
    }
  };

  const waiting = isSigningIn(view, organisation.signingIn);
  const problem = lastProblem(view, organisation.error);
  const hintId = 'org-server-hint';

  return (
    <section class="card org-section" aria-labelledby="org-title" data-testid="org-section">
      <h2 class="card-title" id="org-title">
        {t('org.title')}
      </h2>
      <p class="hint org-intro">{t('org.hint')}</p>
      <form
        class="org-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void save(address);
        }}
      >
        <div class="field">
          <label for="org-server">{t('org.server')}</label>
          <input
            ref={inputRef}
            id="org-server"
            data-testid="org-server"
            type="url"
            inputMode="url"
            autoComplete="off"
            autoCorrect="off"
            autoCapitalize="off"
            spellcheck={false}
            placeholder="https://"
            readOnly={fromPolicy}
            value={address}
            aria-invalid={fieldError ? 'true' : 'false'}
            aria-describedby={hintId}
            onInput={(e) => {
              setAddress((e.target as HTMLInputElement).value);
              setStatus(null);
            }}
          />
          {fieldError ? (
            <p class="message message--error" id={hintId} role="alert" data-testid="org-server-error" data-code={fieldError.code}>
              <AlertIcon size={16} />
              <span>
                <ServerAddressError error={fieldError} />
              </span>
            </p>
          ) : fromPolicy ? (
            <p class="hint org-managed" id={hintId} data-testid="org-server-managed">
              <LockIcon size={12} />
              {t('org.serverManaged')}
            </p>
          ) : (
            <p class="hint" id={hintId}>
              {t('org.serverHint')}
            </p>
          )}
        </div>
        {!fromPolicy && (
          <div class="button-row">
            <button
              type="submit"
              id="org-save"
              data-testid="org-save"
              class="button button--secondary"
              aria-disabled={saving ? 'true' : undefined}
            >
              {t('org.save')}
            </button>
            {view.server_url !== null && (
              <button
                type="button"
                id="org-stand-alone"
                data-testid="org-stand-alone"
                class="button button--ghost"
                aria-disabled={saving ? 'true' : undefined}
                onClick={() => void save(null)}
              >
                {t('org.standAlone')}
              </button>
            )}
          </div>
        )}
        {status && (
          <p class="message message--ok org-status-line" role="status" data-testid="org-status">
            <MessageText parts={[status]} />
          </p>
        )}
      </form>
      <div class="org-account">
        <p id="org-state" class={`org-state org-state--${view.state}`} data-testid="org-state" data-state={view.state}>
          {stateText(t, view, waiting)}
        </p>
        {problem && (
          <p class="message message--error" data-testid="org-problem" data-code={problem.code}>
            <AlertIcon size={16} />
            <span>
              <OrgProblem error={problem} />
            </span>
          </p>
        )}
        {view.state !== 'off' && (
          <div class="button-row">
            <SignInOutButton prefix="org" />
          </div>
        )}
      </div>
    </section>
  );
}
