import { useEffect, useRef, useState } from 'preact/hooks';
import {
  THEMES,
  toBackendError,
  type ImportMode,
  type ImportReport,
  type Language,
  type Preferences,
  type PresetSummary,
  type ProfileSummary,
} from '../api/types';
import { LANGUAGES } from '../i18n';
import { messageText, presetDescription, presetTitle, profileDescription, providerText, type UiMessage } from '../i18n/texts';
import { useUi } from './context';
import { CheckIcon, FlaskIcon, KeyIcon, PlusIcon } from './icons';

interface Props {
  presets: PresetSummary[];
  prefs: Preferences;
  /** The language used when the preference is "automatic". */
  autoLanguage: Language;
  onPrefs: (patch: Partial<Preferences>) => void;
  reloadProfiles: () => Promise<void>;
}

/** The outcome of an action, kept as keys and errors so that it follows a change of language. */
type Status = { kind: 'ok' | 'error'; parts: UiMessage[] } | null;

const failed = (error: unknown): Status => ({ kind: 'error', parts: [{ error: toBackendError(error) }] });

function StatusLine({ status, testId }: { status: Status; testId?: string }) {
  const { t } = useUi();
  if (!status) return <p class="status-slot" role="status" data-testid={testId} />;
  return (
    <p
      class={`message ${status.kind === 'ok' ? 'message--ok' : 'message--error'}`}
      role={status.kind === 'error' ? 'alert' : 'status'}
      data-testid={testId}
    >
      {status.parts.map((part) => messageText(t, part)).join(' ')}
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
  const name = profile.name;

  const saveSecret = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    try {
      await backend.setSecret(name, secret);
      setSecret(''); // write-only: the field never shows a stored secret
      setStatus({ kind: 'ok', parts: [{ key: 'secret.saved', params: { name } }] });
      await reloadProfiles();
    } catch (error) {
      setStatus(failed(error));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    try {
      await backend.removeProfile(name);
      setStatus({ kind: 'ok', parts: [{ key: 'profile.removed', params: { name } }] });
      await reloadProfiles();
    } catch (error) {
      setStatus(failed(error));
      setConfirming(false);
    }
  };

  return (
    <li class="profile-item" data-testid={`profile-item-${profile.name}`}>
      <div class="profile-head">
        <div class="profile-names">
          <p class="profile-title" data-testid={`profile-description-${name}`}>
            {profileDescription(t, profile)}
            {profile.is_sandbox && (
              <span class="chip chip--sandbox">
                <FlaskIcon size={12} />
                {t('settings.sandbox')}
              </span>
            )}
          </p>
          <p class="profile-meta">
            <span class="mono">{name}</span> · {providerText(t, profile.provider)} · <span class="mono">{profile.issuer}</span>
          </p>
        </div>
        <div class="profile-side">
          <span class={`badge badge--secret-${profile.secret_status}`} data-testid={`secret-status-${profile.name}`}>
            {profile.secret_status === 'stored' ? <CheckIcon size={12} /> : profile.secret_status === 'missing' || profile.secret_status === 'outdated' ? <KeyIcon size={12} /> : null}
            {t(`secret.${profile.secret_status}`)}
          </span>
          {!confirming && (
            <button
              type="button"
              class="button button--ghost button--danger-text"
              data-testid={`remove-${profile.name}`}
              aria-label={t('profile.removeLabel', { name })}
              onClick={() => setConfirming(true)}
            >
              {t('profile.remove')}
            </button>
          )}
        </div>
      </div>
      {confirming && (
        <div class="confirm" role="group" aria-label={t('profile.removeConfirm', { name })}>
          <span>{t('profile.removeConfirm', { name })}</span>
          <button type="button" class="button button--danger" data-testid={`remove-yes-${profile.name}`} onClick={remove}>
            {t('profile.removeYes')}
          </button>
          <button type="button" class="button button--secondary" onClick={() => setConfirming(false)}>
            {t('profile.removeNo')}
          </button>
        </div>
      )}
      {profile.secret_status === 'no_keyring' && (
        <p class="hint" data-testid={`no-keyring-${name}`}>
          {t('error.no_keyring')}
        </p>
      )}
      {(profile.secret_status === 'stored' || profile.secret_status === 'missing' || profile.secret_status === 'outdated') && (
        <form class="secret-form" onSubmit={saveSecret} autoComplete="off">
          <label for={id} class="sr-only">
            {t('secret.label', { name })}
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
      const parts: UiMessage[] = [{ key: 'add.added', params: { name: trimmed } }];
      if (needs.has('secret')) parts.push({ key: 'add.needsSecret' });
      if (needs.has('private_key')) parts.push({ key: 'add.needsKey' });
      setStatus({ kind: 'ok', parts });
      setName('');
      setIssuer('');
      setClientId('');
      await reloadProfiles();
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
      setStatus({ kind: 'ok', parts: [{ key: 'io.exported', params: { file } }] });
    } catch (error) {
      setStatus(failed(error));
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
