import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import {
  AUTH_METHODS,
  THEMES,
  isMtls,
  toBackendError,
  type AuthMethod,
  type ImportMode,
  type ImportReport,
  type Language,
  type Preferences,
  type PresetSummary,
  type ProfileEdit,
  type ProfileSummary,
  type SecretStatus,
} from '../api/types';
import { LANGUAGES } from '../i18n';
import {
  presetDescription,
  presetTitle,
  profileDescription,
  profileTitle,
  providerText,
  type UiMessage,
} from '../i18n/texts';
import { holdsSignIn, isServerMode } from '../state/organisation';
import { useUi } from './context';
import { CheckIcon, FlaskIcon, InfoIcon, KeyIcon, LockIcon, PlusIcon } from './icons';
import { MessageText } from './message';
import { OrganisationSection, OrgBanner } from './organisation';
import { PolicyNotice, PolicyProblem } from './policy';

interface Props {
  presets: PresetSummary[];
  prefs: Preferences;
  /** The language used when the preference is "automatic". */
  autoLanguage: Language;
  onPrefs: (patch: Partial<Preferences>) => void;
  reloadProfiles: () => Promise<void>;
  /** Puts a profile as a command returned it into the list. */
  updateProfile: (profile: ProfileSummary) => void;
}

/** The outcome of an action, kept as keys and errors so that it follows a change of language. */
type Status = { kind: 'ok' | 'error'; parts: UiMessage[] } | null;

const failed = (error: unknown): Status => ({ kind: 'error', parts: [{ error: toBackendError(error) }] });

/** Titles are shown in tabs, pickers and result cards: at most this many characters (profile/mod.rs). */
export const MAX_TITLE_CHARS = 48;

/** The built-in training profile (settings/mod.rs `reserved`): it cannot be changed or removed. */
export const isBuiltinSandbox = (profile: ProfileSummary) => profile.is_sandbox && profile.name.trim().toLowerCase() === 'sandbox';

/** How a profile authenticates, as its summary says. */
export function authMethodOf(profile: ProfileSummary): AuthMethod | null {
  return (AUTH_METHODS as readonly string[]).includes(profile.auth_method) ? (profile.auth_method as AuthMethod) : null;
}

/** A PEM private key (PKCS#8, or PKCS#1/SEC1 as the signing library also reads them), not encrypted. */
export function looksLikePrivateKeyPem(text: string): boolean {
  const match = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]+-----END \1PRIVATE KEY-----/.exec(text);
  return match !== null && !match[1]!.includes('ENCRYPTED');
}

/**
 * A client certificate (and any intermediates) with its private key, as PEM blocks in any order:
 * what a mutual-TLS profile keeps as its one credential.
 */
export function looksLikeCertificateBundle(text: string): boolean {
  return /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text) && looksLikePrivateKeyPem(text);
}

/**
 * Puts the texts of the files chosen in a file input into a PEM field, in the order chosen (a
 * certificate file and its key file make one bundle), then focuses the field; the input is
 * emptied so the same files can be chosen again.
 */
async function loadPemFiles(
  event: Event,
  field: { current: HTMLTextAreaElement | null },
  setText: (text: string) => void,
  setStatus: (s: Status) => void,
) {
  const input = event.target as HTMLInputElement;
  const files = [...(input.files ?? [])];
  if (files.length === 0) return;
  try {
    setText((await Promise.all(files.map((file) => file.text()))).join('\n'));
    setStatus(null);
    field.current?.focus();
  } catch {
    setStatus({ kind: 'error', parts: [{ key: 'secret.fileFailed' }] });
  } finally {
    input.value = '';
  }
}

/**
 * A ref to set to where focus should go once the next render is done (a button that replaces
 * the one just pressed, a field just emptied), or to a function that finds it then.
 */
function useFocusAfterRender() {
  const next = useRef<HTMLElement | (() => HTMLElement | null) | null>(null);
  useLayoutEffect(() => {
    const target = next.current;
    if (!target) return;
    next.current = null;
    (typeof target === 'function' ? target() : target)?.focus();
  });
  return next;
}

/** Where a secret is, as a coloured badge. */
function SecretBadge({ status, text, testId }: { status: SecretStatus; text: string; testId: string }) {
  return (
    <span class={`badge badge--secret-${status}`} data-testid={testId}>
      {status === 'stored' ? (
        <CheckIcon size={12} />
      ) : status === 'missing' || status === 'outdated' ? (
        <KeyIcon size={12} />
      ) : null}
      {text}
    </span>
  );
}

/** Secrets that can be stored: there is a keyring, and the profile needs the secret. */
const storable = (status: SecretStatus) => status === 'stored' || status === 'missing' || status === 'outdated';

function StatusLine({ status, testId }: { status: Status; testId?: string }) {
  if (!status) return <p class="status-slot" role="status" data-testid={testId} />;
  return (
    <p
      class={`message ${status.kind === 'ok' ? 'message--ok' : 'message--error'}`}
      role={status.kind === 'error' ? 'alert' : 'status'}
      data-testid={testId}
    >
      <MessageText parts={status.parts} />
    </p>
  );
}

export function SettingsScreen({
  presets,
  prefs,
  autoLanguage,
  onPrefs,
  reloadProfiles,
  updateProfile,
}: Props) {
  const { t, policy, organisation } = useUi();
  // The desk would refuse every change to the list: the page does not offer them. In server
  // mode the list is the organisation's server's: this computer's profiles are not used.
  const serverMode = isServerMode(organisation.view);
  const locked = policy.profiles_locked || serverMode;
  return (
    <section class="screen settings-screen" data-testid="settings" aria-labelledby="settings-title">
      <header class="screen-head">
        <div>
          <h1 id="settings-title">{t('settings.title')}</h1>
        </div>
      </header>
      <PolicyProblem />
      <OrgBanner />
      <div class="settings-grid">
        <div class="settings-main">
          <ProfilesSection
            presets={presets}
            reloadProfiles={reloadProfiles}
            updateProfile={updateProfile}
          />
          {!locked && <AddProfileSection presets={presets} reloadProfiles={reloadProfiles} />}
        </div>
        <div class="settings-side">
          <OrganisationSection />
          <PreferencesSection prefs={prefs} autoLanguage={autoLanguage} onPrefs={onPrefs} />
          {!serverMode && <ImportExportSection reloadProfiles={reloadProfiles} canImport={!locked} />}
        </div>
      </div>
    </section>
  );
}

interface SectionProps {
  presets: PresetSummary[];
  reloadProfiles: () => Promise<void>;
  updateProfile: (profile: ProfileSummary) => void;
}

function ProfilesSection({ reloadProfiles, updateProfile }: SectionProps) {
  const { t, profiles, organisation } = useUi();
  const org = organisation.view;
  const [status, setStatus] = useState<Status>(null);
  /** Where the removed profile was in the list: focus goes to the one now in its place. */
  const removedAt = useRef<number | null>(null);

  useLayoutEffect(() => {
    const index = removedAt.current;
    if (index === null) return;
    removedAt.current = null;
    // The next profile's heading, else the one before it, else the form that adds one.
    const next = profiles[Math.min(index, profiles.length - 1)];
    const target = next ? document.getElementById(headingId(next.name)) : document.getElementById('add-preset');
    target?.focus();
  }, [profiles]);

  return (
    <section class="card" aria-labelledby="profiles-title">
      <h2 class="card-title" id="profiles-title">
        {t('settings.profiles')}
      </h2>
      <PolicyNotice />
      {isServerMode(org) ? (
        <p class="note note--info org-profiles-note" data-testid="org-profiles-note">
          <InfoIcon size={16} />
          <span>
            {t(holdsSignIn(org) ? 'org.profilesFromServer' : 'org.profilesAfterSignIn', { server: org.server_url ?? '' })}
          </span>
        </p>
      ) : (
        <p class="hint">{t('settings.profilesHint')}</p>
      )}
      <ul class="profile-list" data-testid="profile-list">
        {profiles.map((p, index) => (
          <ProfileItem
            key={p.name}
            profile={p}
            authMethod={authMethodOf(p)}
            reloadProfiles={reloadProfiles}
            updateProfile={updateProfile}
            setStatus={setStatus}
            onRemoved={() => {
              removedAt.current = index;
            }}
          />
        ))}
      </ul>
      <StatusLine status={status} testId="profiles-status" />
    </section>
  );
}

/** Ids derived from a profile name, which may hold any character but control characters. */
const domId = (prefix: string, name: string) =>
  `${prefix}-${name.replace(/[^A-Za-z0-9-]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`)}`;
const headingId = (name: string) => domId('profile-heading', name);

interface ItemProps {
  profile: ProfileSummary;
  authMethod: AuthMethod | null;
  reloadProfiles: () => Promise<void>;
  updateProfile: (profile: ProfileSummary) => void;
  setStatus: (s: Status) => void;
  onRemoved: () => void;
}

function ProfileItem({ profile, authMethod, reloadProfiles, updateProfile, setStatus, onRemoved }: ItemProps) {
  const { t, backend, profiles, policy, organisation } = useUi();
  // The organisation's server's profile: its secrets are kept there, and it is changed there.
  const fromServer = isServerMode(organisation.view);
  const [secret, setSecret] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const name = profile.name;
  const label = profileTitle(profile, profiles);
  // Neither edited nor removed here: the built-in sandbox, and what the administrator's policy
  // manages. Its secret is still the agent's to store.
  const fixed = isBuiltinSandbox(profile) || profile.managed || policy.profiles_locked || fromServer;
  const usesKey = authMethod === 'private_key_jwt';
  const usesCertificate = isMtls(authMethod);
  // Both are PEM text, pasted or loaded from files, rather than a typed secret.
  const usesPem = usesKey || usesCertificate;
  const id = domId('secret', name);
  const editRef = useRef<HTMLButtonElement>(null);
  const removeRef = useRef<HTMLButtonElement>(null);
  const keepRef = useRef<HTMLButtonElement>(null);
  const secretRef = useRef<HTMLTextAreaElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  /** Where focus goes once the confirmation or the form is gone (after the next render). */
  const focusNext = useFocusAfterRender();

  const saveSecret = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (usesKey && !looksLikePrivateKeyPem(secret)) {
      setStatus({ kind: 'error', parts: [{ key: 'secret.notPem' }] });
      return;
    }
    if (usesCertificate && !looksLikeCertificateBundle(secret)) {
      setStatus({ kind: 'error', parts: [{ key: 'secret.notCertificateBundle' }] });
      return;
    }
    setBusy(true);
    try {
      await backend.setSecret(name, secret, 'credential');
      setSecret(''); // write-only: the field never shows a stored secret
      const saved = usesCertificate ? 'secret.certificateSaved' : usesKey ? 'secret.keySaved' : 'secret.saved';
      setStatus({ kind: 'ok', parts: [{ key: saved, params: { name: label } }] });
      // The save button is disabled now (empty field): focus goes back to the field.
      focusNext.current = () => (usesPem ? secretRef.current : passwordRef.current);
      await reloadProfiles();
    } catch (error) {
      setStatus(failed(error));
    } finally {
      setBusy(false);
    }
  };

  const loadKeyFile = (event: Event) => loadPemFiles(event, secretRef, setSecret, setStatus);

  const askRemove = () => {
    focusNext.current = () => keepRef.current;
    setConfirming(true);
  };
  const keep = () => {
    focusNext.current = () => removeRef.current;
    setConfirming(false);
  };
  const remove = async () => {
    try {
      await backend.removeProfile(name);
      setStatus({ kind: 'ok', parts: [{ key: 'profile.removed', params: { name: label } }] });
      onRemoved();
      await reloadProfiles();
    } catch (error) {
      setStatus(failed(error));
      keep();
    }
  };

  const openEdit = () => {
    setConfirming(false);
    setEditing(true);
  };
  const closeEdit = (saved: Status | null) => {
    if (saved) setStatus(saved);
    focusNext.current = () => editRef.current;
    setEditing(false);
  };

  const canStoreSecret = !fromServer && storable(profile.secret_status);

  return (
    <li class="profile-item" data-testid={`profile-item-${name}`}>
      <div class="profile-head">
        <div class="profile-names">
          <h3 class="profile-title" id={headingId(name)} tabIndex={-1} data-testid={`profile-title-${name}`}>
            {label}
            {profile.is_sandbox && (
              <span class="chip chip--sandbox">
                <FlaskIcon size={12} />
                {t('settings.sandbox')}
              </span>
            )}
            {profile.managed && (
              <span class="chip chip--managed" title={t('policy.managedHint')} data-testid={`managed-${name}`}>
                <LockIcon size={12} />
                {t('policy.managedChip')}
              </span>
            )}
          </h3>
          <p class="profile-description" data-testid={`profile-description-${name}`}>
            {profileDescription(t, profile)}
          </p>
          <p class="profile-meta">
            <span class="mono">{name}</span> · {providerText(t, profile.provider)} · <span class="mono">{profile.issuer}</span>
          </p>
        </div>
        <div class="profile-side">
          {!fromServer && (
            <SecretBadge status={profile.secret_status} text={t(`secret.${profile.secret_status}`)} testId={`secret-status-${name}`} />
          )}
          {!fixed && !editing && (
            <button
              type="button"
              ref={editRef}
              class="button button--ghost"
              data-testid={`edit-${name}`}
              aria-label={t('profile.editLabel', { name: label })}
              onClick={openEdit}
            >
              {t('profile.edit')}
            </button>
          )}
          {!fixed && !confirming && !editing && (
            <button
              type="button"
              ref={removeRef}
              class="button button--ghost button--danger-text"
              data-testid={`remove-${name}`}
              aria-label={t('profile.removeLabel', { name: label })}
              onClick={askRemove}
            >
              {t('profile.remove')}
            </button>
          )}
        </div>
      </div>
      {confirming && (
        <div class="confirm" role="group" aria-label={t('profile.removeConfirm', { name: label })}>
          <span>{t('profile.removeConfirm', { name: label })}</span>
          <button type="button" class="button button--danger" data-testid={`remove-yes-${name}`} onClick={remove}>
            {t('profile.removeYes')}
          </button>
          <button type="button" ref={keepRef} class="button button--secondary" data-testid={`remove-no-${name}`} onClick={keep}>
            {t('profile.removeNo')}
          </button>
        </div>
      )}
      {editing && (
        <EditProfileForm
          profile={profile}
          label={label}
          authMethod={authMethod}
          reloadProfiles={reloadProfiles}
          updateProfile={updateProfile}
          onClose={closeEdit}
        />
      )}
      {!fromServer && profile.secret_status === 'no_keyring' && (
        <p class="hint" data-testid={`no-keyring-${name}`}>
          {t('error.no_keyring')}
        </p>
      )}
      {canStoreSecret && !usesPem && (
        <form class="secret-form" onSubmit={saveSecret} autoComplete="off">
          <label for={id} class="sr-only">
            {t('secret.label', { name: label })}
          </label>
          <input
            id={id}
            ref={passwordRef}
            type="password"
            data-testid={`secret-input-${name}`}
            autoComplete="new-password"
            placeholder={t('secret.placeholder')}
            value={secret}
            onInput={(e) => setSecret((e.target as HTMLInputElement).value)}
          />
          <button type="submit" class="button button--secondary" data-testid={`secret-save-${name}`} disabled={secret === '' || busy}>
            {t('secret.save')}
          </button>
        </form>
      )}
      {canStoreSecret && usesPem && (
        <form class="secret-form secret-form--key" onSubmit={saveSecret} autoComplete="off">
          <label for={id}>{t(usesCertificate ? 'secret.certificateLabel' : 'secret.keyLabel', { name: label })}</label>
          <textarea
            id={id}
            ref={secretRef}
            class="key-input mono"
            data-testid={`secret-input-${name}`}
            rows={4}
            spellcheck={false}
            autoComplete="off"
            placeholder={t(usesCertificate ? 'secret.certificatePlaceholder' : 'secret.keyPlaceholder')}
            value={secret}
            aria-describedby={usesCertificate ? `${id}-hint` : undefined}
            onInput={(e) => setSecret((e.target as HTMLTextAreaElement).value)}
          />
          {usesCertificate && (
            <p class="hint" id={`${id}-hint`}>
              {t('secret.certificateHint')}
            </p>
          )}
          <div class="button-row">
            <label class="button button--secondary file-button">
              {t(usesCertificate ? 'secret.certificateFiles' : 'secret.keyFile')}
              <input
                type="file"
                accept={usesCertificate ? CERTIFICATE_FILES : KEY_FILES}
                // The certificate and its key often come as two files: both are chosen at once.
                multiple={usesCertificate}
                class="file-input"
                data-testid={`secret-file-${name}`}
                onChange={loadKeyFile}
              />
            </label>
            <button type="submit" class="button button--secondary" data-testid={`secret-save-${name}`} disabled={secret.trim() === '' || busy}>
              {t(usesCertificate ? 'secret.certificateSave' : 'secret.keySave')}
            </button>
          </div>
        </form>
      )}
      {!fromServer && profile.request_key_status !== 'not_needed' && (
        <RequestKeyForm profile={profile} label={label} reloadProfiles={reloadProfiles} setStatus={setStatus} />
      )}
    </li>
  );
}

const KEY_FILES = '.pem,.key,.p8,application/x-pem-file,application/pkcs8,text/plain';
const CERTIFICATE_FILES = '.pem,.crt,.cer,.key,.p8,application/x-pem-file,application/x-x509-ca-cert,application/pkcs8,text/plain';

/**
 * A mutual-TLS profile that signs its requests keeps a second secret: the key its requests are
 * signed with, apart from the certificate's key. Write-only, like the credential.
 */
function RequestKeyForm({
  profile,
  label,
  reloadProfiles,
  setStatus,
}: {
  profile: ProfileSummary;
  label: string;
  reloadProfiles: () => Promise<void>;
  setStatus: (s: Status) => void;
}) {
  const { t, backend } = useUi();
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const name = profile.name;
  const status = profile.request_key_status;
  const id = domId('request-key', name);
  const keyRef = useRef<HTMLTextAreaElement>(null);
  const focusNext = useFocusAfterRender();

  const save = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (!looksLikePrivateKeyPem(key)) {
      setStatus({ kind: 'error', parts: [{ key: 'secret.notPem' }] });
      return;
    }
    setBusy(true);
    try {
      await backend.setSecret(name, key, 'request_signing_key');
      setKey(''); // write-only: the field never shows a stored key
      setStatus({ kind: 'ok', parts: [{ key: 'requestKey.saved', params: { name: label } }] });
      // The save button is disabled now (empty field): focus goes back to the field.
      focusNext.current = () => keyRef.current;
      await reloadProfiles();
    } catch (error) {
      setStatus(failed(error));
    } finally {
      setBusy(false);
    }
  };

  const loadFile = (event: Event) => loadPemFiles(event, keyRef, setKey, setStatus);

  return (
    <div class="request-key">
      <SecretBadge status={status} text={t(`requestKey.${status as Exclude<SecretStatus, 'not_needed'>}`)} testId={`request-key-status-${name}`} />
      {storable(status) && (
        <form class="secret-form secret-form--key" onSubmit={save} autoComplete="off">
          <label for={id}>{t('requestKey.label', { name: label })}</label>
          <textarea
            id={id}
            ref={keyRef}
            class="key-input mono"
            data-testid={`request-key-${name}`}
            rows={4}
            spellcheck={false}
            autoComplete="off"
            placeholder={t('secret.keyPlaceholder')}
            value={key}
            aria-describedby={`${id}-hint`}
            onInput={(e) => setKey((e.target as HTMLTextAreaElement).value)}
          />
          <p class="hint" id={`${id}-hint`}>
            {t('requestKey.hint')}
          </p>
          <div class="button-row">
            <label class="button button--secondary file-button">
              {t('secret.keyFile')}
              <input type="file" accept={KEY_FILES} class="file-input" data-testid={`request-key-file-${name}`} onChange={loadFile} />
            </label>
            <button type="submit" class="button button--secondary" data-testid={`save-request-key-${name}`} disabled={key.trim() === '' || busy}>
              {t('requestKey.save')}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

interface EditProps {
  profile: ProfileSummary;
  label: string;
  authMethod: AuthMethod | null;
  reloadProfiles: () => Promise<void>;
  updateProfile: (profile: ProfileSummary) => void;
  /** Closes the form, with the status to show in the list when it saved (or changed nothing). */
  onClose: (status: Status | null) => void;
}

/** A checkbox before its label, with a hint below. */
function CheckField(props: {
  id: string;
  testId: string;
  label: string;
  hint: string;
  checked: boolean;
  disabled?: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <div class="field field--check">
      <label for={props.id}>
        <input
          id={props.id}
          type="checkbox"
          data-testid={props.testId}
          checked={props.checked}
          disabled={props.disabled}
          aria-describedby={`${props.id}-hint`}
          onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)}
        />
        {props.label}
      </label>
      <p class="hint" id={`${props.id}-hint`}>
        {props.hint}
      </p>
    </div>
  );
}

/** Settings a profile's administrator may change (ProfileEdit); what is left as it was is sent as null. */
function EditProfileForm({ profile, label, authMethod, reloadProfiles, updateProfile, onClose }: EditProps) {
  const { t, backend } = useUi();
  const name = profile.name;
  const initialDescription = profile.display_name === name ? '' : profile.display_name;
  const [title, setTitle] = useState(profile.title);
  const [issuer, setIssuer] = useState(profile.issuer);
  const initialExpiry = profile.requested_expiry === null ? '' : String(profile.requested_expiry);
  const [clientId, setClientId] = useState(profile.client_id);
  const [description, setDescription] = useState(initialDescription);
  const [auth, setAuth] = useState<AuthMethod | ''>(authMethod ?? '');
  // A method with a private key to sign with: the client's own key (private_key_jwt), or with a
  // client certificate a request-signing key beside it. The key ID is that key's `kid`.
  const signs = auth === 'private_key_jwt' || isMtls(auth);
  const [keyId, setKeyId] = useState(profile.key_id ?? '');
  const [expiry, setExpiry] = useState(initialExpiry);
  const [signed, setSigned] = useState(profile.signed_requests);
  const [fapi, setFapi] = useState(profile.fapi);
  const initialCa = profile.ca_certificates ?? '';
  const [ca, setCa] = useState(initialCa);
  const [error, setError] = useState<UiMessage | null>(null);
  const [busy, setBusy] = useState(false);
  const firstRef = useRef<HTMLInputElement>(null);
  const ids = {
    title: domId('edit-title', name),
    issuer: domId('edit-issuer', name),
    client: domId('edit-client', name),
    description: domId('edit-description', name),
    auth: domId('edit-auth', name),
    keyId: domId('edit-key-id', name),
    expiry: domId('edit-expiry', name),
    signed: domId('edit-signed', name),
    fapi: domId('edit-fapi', name),
    ca: domId('edit-ca', name),
    legend: domId('edit-legend', name),
  };

  useLayoutEffect(() => {
    firstRef.current?.focus();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const titleChars = [...title.trim()].length;
    if (titleChars > MAX_TITLE_CHARS) {
      setError({ key: 'edit.titleTooLong', params: { count: titleChars, max: MAX_TITLE_CHARS } });
      return;
    }
    const seconds = expiry.trim();
    if (seconds !== '' && (!/^\d+$/.test(seconds) || Number(seconds) > 4_294_967_295)) {
      setError({ key: 'edit.expiryInvalid' });
      return;
    }
    const edit: ProfileEdit = {
      title: title.trim() !== profile.title ? title.trim() : null,
      issuer: issuer.trim() !== profile.issuer ? issuer.trim() : null,
      client_id: clientId.trim() !== profile.client_id ? clientId.trim() : null,
      description: description.trim() !== initialDescription ? description.trim() : null,
      auth_method: auth !== '' && auth !== authMethod ? auth : null,
      key_id: signs && keyId.trim() !== (profile.key_id ?? '') ? keyId.trim() : null,
      // Emptied: no requested expiry any more (0 removes it).
      requested_expiry: seconds !== initialExpiry ? (seconds === '' ? 0 : Number(seconds)) : null,
      // Signing needs a private key: a client secret turns both off.
      signed_requests: (signs && signed) !== profile.signed_requests ? signs && signed : null,
      fapi: (signs && fapi) !== profile.fapi ? signs && fapi : null,
      // Emptied: the provider's own authority is no longer trusted.
      ca_certificates: ca.trim() !== initialCa.trim() ? ca.trim() : null,
    };
    if (Object.values(edit).every((v) => v === null)) {
      onClose({ kind: 'ok', parts: [{ key: 'edit.unchanged' }] });
      return;
    }
    setBusy(true);
    setError(null);
    let saved: ProfileSummary;
    try {
      saved = await backend.editProfile(name, edit);
    } catch (e) {
      setError({ error: toBackendError(e) });
      setBusy(false);
      return;
    }
    // As returned: a changed issuer or client ID shows that the secret must be entered again.
    updateProfile(saved);
    const parts: UiMessage[] = [{ key: 'edit.saved', params: { name: saved.title || name } }];
    if (saved.secret_status === 'outdated') parts.push({ key: 'edit.secretAgain' });
    // Signing with a client certificate needs a key of its own, entered in the list.
    if (saved.request_key_status === 'missing' && profile.request_key_status !== 'missing') parts.push({ key: 'edit.requestKeyNeeded' });
    onClose({ kind: 'ok', parts });
    await reloadProfiles().catch(() => undefined);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && !busy) {
      event.preventDefault();
      onClose(null);
    }
  };

  return (
    <form class="edit-form" data-testid={`edit-form-${name}`} aria-labelledby={ids.legend} onSubmit={submit} onKeyDown={onKeyDown} noValidate>
      <p class="edit-form-title" id={ids.legend}>
        {t('edit.legend', { name: label })}
      </p>
      <div class="field">
        <label for={ids.title}>{t('edit.title')}</label>
        <input
          id={ids.title}
          ref={firstRef}
          type="text"
          data-testid={`edit-title-${name}`}
          autoComplete="off"
          value={title}
          aria-describedby={`${ids.title}-hint`}
          onInput={(e) => setTitle((e.target as HTMLInputElement).value)}
        />
        <p class="hint" id={`${ids.title}-hint`}>
          {t('edit.titleHint')}
        </p>
      </div>
      <div class="field">
        <label for={ids.issuer}>{t('add.issuer')}</label>
        <input
          id={ids.issuer}
          type="url"
          data-testid={`edit-issuer-${name}`}
          autoComplete="off"
          spellcheck={false}
          value={issuer}
          onInput={(e) => setIssuer((e.target as HTMLInputElement).value)}
        />
      </div>
      <div class="field">
        <label for={ids.client}>{t('add.clientId')}</label>
        <input
          id={ids.client}
          type="text"
          data-testid={`edit-client-id-${name}`}
          autoComplete="off"
          spellcheck={false}
          value={clientId}
          onInput={(e) => setClientId((e.target as HTMLInputElement).value)}
        />
      </div>
      <div class="field">
        <label for={ids.description}>{t('edit.description')}</label>
        <textarea
          id={ids.description}
          data-testid={`edit-description-${name}`}
          rows={2}
          value={description}
          aria-describedby={`${ids.description}-hint`}
          onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)}
        />
        <p class="hint" id={`${ids.description}-hint`}>
          {t('edit.descriptionHint')}
        </p>
      </div>
      <div class="field">
        <label for={ids.auth}>{t('edit.authMethod')}</label>
        <select
          id={ids.auth}
          data-testid={`edit-auth-${name}`}
          value={auth}
          onChange={(e) => setAuth((e.target as HTMLSelectElement).value as AuthMethod | '')}
        >
          {authMethod === null && <option value="">{t('edit.authKeep')}</option>}
          {AUTH_METHODS.map((m) => (
            <option key={m} value={m}>
              {t(`auth.${m}`)}
            </option>
          ))}
        </select>
      </div>
      {signs && (
        <div class="field">
          <label for={ids.keyId}>{t('edit.keyId')}</label>
          <input
            id={ids.keyId}
            type="text"
            data-testid={`edit-key-id-${name}`}
            autoComplete="off"
            spellcheck={false}
            value={keyId}
            aria-describedby={`${ids.keyId}-hint`}
            onInput={(e) => setKeyId((e.target as HTMLInputElement).value)}
          />
          <p class="hint" id={`${ids.keyId}-hint`}>
            {t('edit.keyIdHint')}
          </p>
        </div>
      )}
      {signs && (
        <>
          <CheckField
            id={ids.signed}
            testId={`edit-signed-${name}`}
            label={t('edit.signedRequests')}
            hint={t(isMtls(auth) ? 'edit.signedRequestsHintMtls' : 'edit.signedRequestsHint')}
            checked={signed || fapi}
            disabled={fapi}
            onChange={setSigned}
          />
          <CheckField
            id={ids.fapi}
            testId={`edit-fapi-${name}`}
            label={t('edit.fapi')}
            hint={t('edit.fapiHint')}
            checked={fapi}
            onChange={setFapi}
          />
        </>
      )}
      <div class="field">
        <label for={ids.ca}>{t('edit.caCertificates')}</label>
        <textarea
          id={ids.ca}
          class="ca-input mono"
          rows={4}
          data-testid={`edit-ca-${name}`}
          spellcheck={false}
          value={ca}
          aria-describedby={`${ids.ca}-hint`}
          onInput={(e) => setCa((e.target as HTMLTextAreaElement).value)}
        />
        <p class="hint" id={`${ids.ca}-hint`}>
          {t('edit.caCertificatesHint')}
        </p>
      </div>
      <div class="field">
        <label for={ids.expiry}>{t('edit.expiry')}</label>
        <input
          id={ids.expiry}
          type="text"
          inputMode="numeric"
          data-testid={`edit-expiry-${name}`}
          autoComplete="off"
          value={expiry}
          aria-describedby={`${ids.expiry}-hint`}
          onInput={(e) => setExpiry((e.target as HTMLInputElement).value)}
        />
        <p class="hint" id={`${ids.expiry}-hint`}>
          {t('edit.expiryHint')}
        </p>
      </div>
      {error && (
        <p class="message message--error" role="alert" data-testid={`edit-error-${name}`}>
          <MessageText parts={[error]} />
        </p>
      )}
      <div class="button-row">
        <button type="submit" class="button button--primary" data-testid={`edit-save-${name}`} aria-disabled={busy ? 'true' : undefined}>
          {t('edit.save')}
        </button>
        <button type="button" class="button button--secondary" data-testid={`edit-cancel-${name}`} disabled={busy} onClick={() => onClose(null)}>
          {t('edit.cancel')}
        </button>
      </div>
    </form>
  );
}

function AddProfileSection({ presets, reloadProfiles }: { presets: PresetSummary[]; reloadProfiles: () => Promise<void> }) {
  const { t, backend } = useUi();
  const [presetId, setPresetId] = useState(presets[0]?.id ?? '');
  const [name, setName] = useState('');
  const [title, setTitle] = useState('');
  const [issuer, setIssuer] = useState('');
  const [clientId, setClientId] = useState('');
  const [status, setStatus] = useState<Status>(null);
  const preset = presets.find((p) => p.id === presetId);
  const needs = new Set(preset?.needs ?? []);

  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      const trimmed = name.trim();
      await backend.addProfile({
        preset: presetId,
        name: trimmed,
        issuer: needs.has('issuer') ? issuer.trim() : '',
        client_id: needs.has('client_id') ? clientId.trim() : '',
        title: title.trim(),
      });
      const parts: UiMessage[] = [{ key: 'add.added', params: { name: trimmed } }];
      if (needs.has('secret')) parts.push({ key: 'add.needsSecret' });
      if (needs.has('private_key')) parts.push({ key: 'add.needsKey' });
      setStatus({ kind: 'ok', parts });
      setName('');
      setTitle('');
      setIssuer('');
      setClientId('');
      await reloadProfiles();
      // The button is disabled now (no name): focus goes to the new profile, where its secret goes.
      setTimeout(() => document.getElementById(headingId(trimmed))?.focus(), 0);
    } catch (error) {
      setStatus(failed(error));
    }
  };
  const description = preset ? presetDescription(t, preset.id) : null;

  return (
    <section class="card" aria-labelledby="add-title">
      <h2 class="card-title" id="add-title">
        {t('add.title')}
      </h2>
      <form class="add-form" onSubmit={submit} data-testid="add-profile" noValidate>
        <div class="field">
          <label for="add-preset">{t('add.preset')}</label>
          <select
            id="add-preset"
            data-testid="add-preset"
            value={presetId}
            aria-describedby={description ? 'add-preset-hint' : undefined}
            onChange={(e) => setPresetId((e.target as HTMLSelectElement).value)}
          >
            {presets.map((p) => (
              <option key={p.id} value={p.id}>
                {presetTitle(t, p)}
              </option>
            ))}
          </select>
          {description && (
            <p class="hint" id="add-preset-hint" data-testid="add-preset-description">
              {description}
            </p>
          )}
        </div>
        <div class="field">
          <label for="add-name">{t('add.name')}</label>
          <input
            id="add-name"
            data-testid="add-name"
            type="text"
            autoComplete="off"
            spellcheck={false}
            maxLength={128}
            value={name}
            aria-describedby="add-name-hint"
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
          />
          <p class="hint" id="add-name-hint" data-testid="add-name-hint">
            {t('add.nameHint')}
          </p>
        </div>
        <div class="field">
          <label for="add-title-field">{t('add.titleLabel')}</label>
          <input
            id="add-title-field"
            data-testid="add-title"
            type="text"
            autoComplete="off"
            value={title}
            aria-describedby="add-title-hint"
            onInput={(e) => setTitle((e.target as HTMLInputElement).value)}
          />
          <p class="hint" id="add-title-hint">
            {t('add.titleHint')}
          </p>
        </div>
        {needs.has('issuer') && (
          <div class="field">
            <label for="add-issuer">{t('add.issuer')}</label>
            <input
              id="add-issuer"
              data-testid="add-issuer"
              type="url"
              autoComplete="off"
              spellcheck={false}
              placeholder="https://"
              value={issuer}
              onInput={(e) => setIssuer((e.target as HTMLInputElement).value)}
            />
          </div>
        )}
        {needs.has('client_id') && (
          <div class="field">
            <label for="add-client">{t('add.clientId')}</label>
            <input
              id="add-client"
              data-testid="add-client-id"
              type="text"
              autoComplete="off"
              spellcheck={false}
              value={clientId}
              onInput={(e) => setClientId((e.target as HTMLInputElement).value)}
            />
          </div>
        )}
        <div class="button-row">
          <button type="submit" class="button button--primary" data-testid="add-submit" disabled={name.trim() === ''}>
            <PlusIcon size={16} />
            {t('add.submit')}
          </button>
        </div>
        <StatusLine status={status} testId="add-status" />
      </form>
    </section>
  );
}

/** `canImport`: false while the policy locks the profiles (exporting them is still allowed). */
function ImportExportSection({ reloadProfiles, canImport }: { reloadProfiles: () => Promise<void>; canImport: boolean }) {
  const { t, backend } = useUi();
  const [status, setStatus] = useState<Status>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  const exportButton = useRef<HTMLButtonElement>(null);
  const exportProfiles = async () => {
    try {
      const file = await backend.exportProfiles(t('io.export'));
      setStatus(file === null ? null : { kind: 'ok', parts: [{ key: 'io.exported', params: { file } }] });
    } catch (error) {
      setStatus(failed(error));
    } finally {
      // Back from the desktop's save dialog: the focus returns to the button, not the page.
      exportButton.current?.focus();
    }
  };

  const [review, setReview] = useState<{ toml: string; report: ImportReport } | null>(null);
  const firstChoice = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (review) firstChoice.current?.focus();
  }, [review]);

  const done = (report: ImportReport): Status => {
    const names = [...report.added, ...report.replaced];
    const parts: UiMessage[] = [names.length ? { key: 'io.imported', params: { names: names.join(', ') } } : { key: 'io.importedNone' }];
    if (report.skipped.length) parts.push({ key: 'io.kept', params: { names: report.skipped.join(', ') } });
    const moved = report.changes.filter((c) => c.destination_changed && report.replaced.includes(c.name));
    if (moved.length) parts.push({ key: 'io.secretAgain', params: { names: moved.map((c) => c.name).join(', ') } });
    return { kind: 'ok', parts };
  };

  const apply = async (toml: string, mode: ImportMode) => {
    setReview(null);
    try {
      setStatus(done(await backend.importProfiles(toml, mode)));
      await reloadProfiles();
    } catch (error) {
      setStatus(failed(error));
    } finally {
      // The review's buttons are gone: focus goes back where the agent started, not to the page.
      fileRef.current?.focus();
    }
  };

  const importFile = async (event: Event) => {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    try {
      const toml = await file.text();
      const report = await backend.importProfiles(toml, 'preview');
      if (report.changes.length === 0) {
        await apply(toml, 'replace');
      } else {
        setStatus(null);
        setReview({ toml, report });
      }
    } catch (error) {
      setStatus(failed(error));
    } finally {
      input.value = '';
    }
  };

  return (
    <section class="card" aria-labelledby="io-title">
      <h2 class="card-title" id="io-title">
        {t('io.title')}
      </h2>
      <p class="hint">{t('io.hint')}</p>
      <div class="button-row">
        <button
          ref={exportButton}
          type="button"
          class="button button--secondary"
          data-testid="export"
          onClick={exportProfiles}
        >
          {t('io.export')}
        </button>
        {canImport && (
          <label class="button button--secondary file-button">
            {t('io.import')}
            <input
              ref={fileRef}
              type="file"
              accept=".toml,text/plain,application/toml"
              class="file-input"
              data-testid="import"
              onChange={importFile}
            />
          </label>
        )}
      </div>
      {review && (
        <div class="confirm import-review" role="group" aria-labelledby="import-review-title" data-testid="import-review">
          <p class="import-review-title" id="import-review-title">
            {t('io.reviewTitle')}
          </p>
          {review.report.added.length > 0 && (
            <p class="hint" data-testid="import-review-added">
              {t('io.reviewAdded', { names: review.report.added.join(', ') })}
            </p>
          )}
          {review.report.changes.map((change) => (
            <div class="import-change" key={change.name} data-testid={`import-change-${change.name}`}>
              <p class="import-change-name">{change.name}</p>
              <ul class="import-fields">
                {change.fields.map((f) => (
                  <li key={f.field}>
                    <span class="mono">{f.field}</span>: <span class="mono import-before">{f.before ?? t('io.none')}</span> →{' '}
                    <span class="mono import-after">{f.after ?? t('io.none')}</span>
                  </li>
                ))}
              </ul>
              {change.destination_changed && (
                <p class="note note--warning" data-testid={`import-secret-${change.name}`}>
                  <KeyIcon size={16} />
                  <span>{t('io.reviewSecret')}</span>
                </p>
              )}
            </div>
          ))}
          <div class="button-row">
            <button
              type="button"
              ref={firstChoice}
              class="button button--danger"
              data-testid="import-replace"
              onClick={() => apply(review.toml, 'replace')}
            >
              {t('io.reviewReplace')}
            </button>
            <button type="button" class="button button--secondary" data-testid="import-keep" onClick={() => apply(review.toml, 'keep_existing')}>
              {t('io.reviewKeep')}
            </button>
            <button
              type="button"
              class="button button--ghost"
              data-testid="import-cancel"
              onClick={() => {
                setReview(null);
                setStatus({ kind: 'ok', parts: [{ key: 'io.reviewCancelled' }] });
                fileRef.current?.focus();
              }}
            >
              {t('io.reviewCancel')}
            </button>
          </div>
        </div>
      )}
      <StatusLine status={status} testId="io-status" />
    </section>
  );
}

function PreferencesSection({
  prefs,
  autoLanguage,
  onPrefs,
}: {
  prefs: Preferences;
  autoLanguage: Language;
  onPrefs: (patch: Partial<Preferences>) => void;
}) {
  const { t } = useUi();
  return (
    <section class="card" aria-labelledby="prefs-title">
      <h2 class="card-title" id="prefs-title">
        {t('prefs.title')}
      </h2>
      <div class="field">
        <label for="pref-language">{t('prefs.language')}</label>
        <select
          id="pref-language"
          data-testid="language"
          value={prefs.language ?? ''}
          onChange={(e) => {
            const value = (e.target as HTMLSelectElement).value;
            onPrefs({ language: value === '' ? null : (value as Language) });
          }}
        >
          <option value="">{t('prefs.languageAuto', { language: t(`lang.${autoLanguage}`) })}</option>
          {LANGUAGES.map((l) => (
            <option key={l} value={l} lang={l}>
              {t(`lang.${l}`)}
            </option>
          ))}
        </select>
      </div>
      <fieldset class="field segmented" data-testid="theme">
        <legend>{t('prefs.theme')}</legend>
        <div class="segmented-options">
          {THEMES.map((theme) => (
            <label class="segmented-option" key={theme}>
              <input
                type="radio"
                name="theme"
                value={theme}
                data-testid={`theme-${theme}`}
                checked={prefs.theme === theme}
                onChange={() => onPrefs({ theme })}
              />
              <span>{t(`theme.${theme}`)}</span>
            </label>
          ))}
        </div>
      </fieldset>
    </section>
  );
}
