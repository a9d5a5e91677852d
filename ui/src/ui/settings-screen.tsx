import { useRef, useState } from 'preact/hooks';
import { toBackendError, type Language, type Preferences, type PresetSummary, type ProfileSummary, type Theme } from '../api/types';
import { LANGUAGES, type MessageKey } from '../i18n';
import { useUi } from './context';
import { sentence } from './format';
import { CheckIcon, FlaskIcon, KeyIcon, PlusIcon } from './icons';

interface Props {
  presets: PresetSummary[];
  prefs: Preferences;
  /** The language used when the preference is "automatic". */
  autoLanguage: Language;
  onPrefs: (patch: Partial<Preferences>) => void;
  reloadProfiles: () => Promise<void>;
}

type Status = { kind: 'ok' | 'error'; text: string } | null;

function StatusLine({ status, testId }: { status: Status; testId?: string }) {
  if (!status) return <p class="status-slot" role="status" data-testid={testId} />;
  return (
    <p
      class={`message ${status.kind === 'ok' ? 'message--ok' : 'message--error'}`}
      role={status.kind === 'error' ? 'alert' : 'status'}
      data-testid={testId}
    >
      {status.text}
    </p>
  );
}

export function SettingsScreen({ presets, prefs, autoLanguage, onPrefs, reloadProfiles }: Props) {
  const { t } = useUi();
  return (
    <section class="screen settings-screen" data-testid="settings" aria-labelledby="settings-title">
      <header class="screen-head">
        <div>
          <h1 id="settings-title">{t('settings.title')}</h1>
        </div>
      </header>
      <div class="settings-grid">
        <div class="settings-main">
          <ProfilesSection reloadProfiles={reloadProfiles} />
          <AddProfileSection presets={presets} reloadProfiles={reloadProfiles} />
        </div>
        <div class="settings-side">
          <PreferencesSection prefs={prefs} autoLanguage={autoLanguage} onPrefs={onPrefs} />
          <ImportExportSection reloadProfiles={reloadProfiles} />
        </div>
      </div>
    </section>
  );
}

function ProfilesSection({ reloadProfiles }: { reloadProfiles: () => Promise<void> }) {
  const { t, profiles } = useUi();
  const [status, setStatus] = useState<Status>(null);
  return (
    <section class="card" aria-labelledby="profiles-title">
      <h2 class="card-title" id="profiles-title">
        {t('settings.profiles')}
      </h2>
      <p class="hint">{t('settings.profilesHint')}</p>
      <ul class="profile-list" data-testid="profile-list">
        {profiles.map((p) => (
          <ProfileItem key={p.name} profile={p} reloadProfiles={reloadProfiles} setStatus={setStatus} />
        ))}
      </ul>
      <StatusLine status={status} testId="profiles-status" />
    </section>
  );
}

function ProfileItem({
  profile,
  reloadProfiles,
  setStatus,
}: {
  profile: ProfileSummary;
  reloadProfiles: () => Promise<void>;
  setStatus: (s: Status) => void;
}) {
  const { t, backend } = useUi();
  const [secret, setSecret] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const id = `secret-${profile.name}`;
  const providerKey = `provider.${profile.provider}` as MessageKey;
  const providerText = t(providerKey) === providerKey ? String(profile.provider) : t(providerKey);

  const saveSecret = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    try {
      await backend.setSecret(profile.name, secret);
      setSecret(''); // write-only: the field never shows a stored secret
      setStatus({ kind: 'ok', text: t('secret.saved', { name: profile.display_name }) });
      await reloadProfiles();
    } catch (error) {
      setStatus({ kind: 'error', text: sentence(toBackendError(error).message) });
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    try {
      await backend.removeProfile(profile.name);
      setStatus({ kind: 'ok', text: t('profile.removed', { name: profile.display_name }) });
      await reloadProfiles();
    } catch (error) {
      setStatus({ kind: 'error', text: sentence(toBackendError(error).message) });
      setConfirming(false);
    }
  };

  return (
    <li class="profile-item" data-testid={`profile-item-${profile.name}`}>
      <div class="profile-head">
        <div class="profile-names">
          <p class="profile-title">
            {profile.display_name}
            {profile.is_sandbox && (
              <span class="chip chip--sandbox">
                <FlaskIcon size={12} />
                {t('settings.sandbox')}
              </span>
            )}
          </p>
          <p class="profile-meta">
            <span class="mono">{profile.name}</span> · {providerText} · <span class="mono">{profile.issuer}</span>
          </p>
        </div>
        <div class="profile-side">
          <span class={`badge badge--secret-${profile.secret_status}`} data-testid={`secret-status-${profile.name}`}>
            {profile.secret_status === 'stored' ? <CheckIcon size={12} /> : profile.secret_status === 'missing' ? <KeyIcon size={12} /> : null}
            {t(`secret.${profile.secret_status}` as MessageKey)}
          </span>
          {!confirming && (
            <button
              type="button"
              class="button button--ghost button--danger-text"
              data-testid={`remove-${profile.name}`}
              aria-label={t('profile.removeLabel', { name: profile.display_name })}
              onClick={() => setConfirming(true)}
            >
              {t('profile.remove')}
            </button>
          )}
        </div>
      </div>
      {confirming && (
        <div class="confirm" role="group" aria-label={t('profile.removeConfirm', { name: profile.display_name })}>
          <span>{t('profile.removeConfirm', { name: profile.display_name })}</span>
          <button type="button" class="button button--danger" data-testid={`remove-yes-${profile.name}`} onClick={remove}>
            {t('profile.removeYes')}
          </button>
          <button type="button" class="button button--secondary" onClick={() => setConfirming(false)}>
            {t('profile.removeNo')}
          </button>
        </div>
      )}
      {profile.secret_status !== 'not_needed' && (
        <form class="secret-form" onSubmit={saveSecret} autoComplete="off">
          <label for={id} class="sr-only">
            {t('secret.label', { name: profile.display_name })}
          </label>
          <input
            id={id}
            type="password"
            data-testid={`secret-input-${profile.name}`}
            autoComplete="new-password"
            placeholder={t('secret.placeholder')}
            value={secret}
            onInput={(e) => setSecret((e.target as HTMLInputElement).value)}
          />
          <button
            type="submit"
            class="button button--secondary"
            data-testid={`secret-save-${profile.name}`}
            disabled={secret === '' || busy}
          >
            {t('secret.save')}
          </button>
        </form>
      )}
    </li>
  );
}

function AddProfileSection({ presets, reloadProfiles }: { presets: PresetSummary[]; reloadProfiles: () => Promise<void> }) {
  const { t, backend } = useUi();
  const [presetId, setPresetId] = useState(presets[0]?.id ?? '');
  const [name, setName] = useState('');
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
      });
      const next = [t('add.added', { name: trimmed })];
      if (needs.has('secret')) next.push(t('add.needsSecret'));
      if (needs.has('private_key')) next.push(t('add.needsKey'));
      setStatus({ kind: 'ok', text: next.join(' ') });
      setName('');
      setIssuer('');
      setClientId('');
      await reloadProfiles();
    } catch (error) {
      setStatus({ kind: 'error', text: sentence(toBackendError(error).message) });
    }
  };

  return (
    <section class="card" aria-labelledby="add-title">
      <h2 class="card-title" id="add-title">
        {t('add.title')}
      </h2>
      <form class="add-form" onSubmit={submit} data-testid="add-profile" noValidate>
        <div class="field">
          <label for="add-preset">{t('add.preset')}</label>
          <select id="add-preset" data-testid="add-preset" value={presetId} onChange={(e) => setPresetId((e.target as HTMLSelectElement).value)}>
            {presets.map((p) => (
              <option key={p.id} value={p.id}>
                {p.display_name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="add-name">{t('add.name')}</label>
          <input
            id="add-name"
            data-testid="add-name"
            type="text"
            autoComplete="off"
            spellcheck={false}
            value={name}
            aria-describedby="add-name-hint"
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
          />
          <p class="hint" id="add-name-hint">
            {t('add.nameHint')}
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

function ImportExportSection({ reloadProfiles }: { reloadProfiles: () => Promise<void> }) {
  const { t, backend } = useUi();
  const [status, setStatus] = useState<Status>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  const exportProfiles = async () => {
    try {
      const toml = await backend.exportProfiles();
      const file = 'ciba-desk-profiles.toml';
      const url = URL.createObjectURL(new Blob([toml], { type: 'application/toml' }));
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = file;
      anchor.rel = 'noopener';
      document.body.appendChild(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      setStatus({ kind: 'ok', text: t('io.exported', { file }) });
    } catch (error) {
      setStatus({ kind: 'error', text: sentence(toBackendError(error).message) });
    }
  };

  const importFile = async (event: Event) => {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    try {
      const toml = await file.text();
      const names = await backend.importProfiles(toml);
      setStatus({ kind: 'ok', text: names.length ? t('io.imported', { names: names.join(', ') }) : t('io.importedNone') });
      await reloadProfiles();
    } catch (error) {
      setStatus({ kind: 'error', text: sentence(toBackendError(error).message) });
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
        <button type="button" class="button button--secondary" data-testid="export" onClick={exportProfiles}>
          {t('io.export')}
        </button>
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
      </div>
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
  const themes: Theme[] = ['system', 'light', 'dark'];
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
          <option value="">{t('prefs.languageAuto', { language: t(`lang.${autoLanguage}` as MessageKey) })}</option>
          {LANGUAGES.map((l) => (
            <option key={l} value={l} lang={l}>
              {t(`lang.${l}` as MessageKey)}
            </option>
          ))}
        </select>
      </div>
      <fieldset class="field segmented" data-testid="theme">
        <legend>{t('prefs.theme')}</legend>
        <div class="segmented-options">
          {themes.map((theme) => (
            <label class="segmented-option" key={theme}>
              <input
                type="radio"
                name="theme"
                value={theme}
                data-testid={`theme-${theme}`}
                checked={prefs.theme === theme}
                onChange={() => onPrefs({ theme })}
              />
              <span>{t(`theme.${theme}` as MessageKey)}</span>
            </label>
          ))}
        </div>
      </fieldset>
    </section>
  );
}
