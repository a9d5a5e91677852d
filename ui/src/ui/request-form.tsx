import { useEffect, useRef, useState } from 'preact/hooks';
import type { Country, ProfileSummary } from '../api/types';
import type { MessageKey } from '../i18n';
import {
  countryName,
  errorText,
  forbiddenReason,
  idKindText,
  profileDescription,
  profileTitle,
  warningText,
} from '../i18n/texts';
import type { Controller } from '../state/controller';
import { startBlocked } from '../state/organisation';
import { identityInput, looksLikeEmail, typedCountry, type Session } from '../state/sessions';
import { useUi } from './context';
import { AlertIcon, CheckIcon, DiceIcon, FlaskIcon, InfoIcon, KeyIcon, SendIcon } from './icons';
import { ErrorMessage, MessageText } from './message';

interface Props {
  session: Session;
  controller: Controller;
}

/** Label, placeholder and hint of the identity field, from the profile's identity kind and countries. */
export function identityTexts(profile: ProfileSummary | undefined, country: Country) {
  if (!profile) return { label: 'id.label.multi', placeholder: 'id.placeholder.se', hint: 'id.hint.multi' } as const;
  if (profile.identity_kind === 'national_id') {
    const multi = profile.countries.length > 1;
    const c = profile.countries.includes(country) ? country : (profile.countries[0] ?? 'se');
    return {
      label: (multi ? 'id.label.multi' : `id.label.${c}`) as MessageKey,
      placeholder: `id.placeholder.${c}` as MessageKey,
      hint: (multi ? 'id.hint.multi' : `id.hint.${c}`) as MessageKey,
      countryHint: `id.hint.${c}` as MessageKey,
    };
  }
  const kind = profile.identity_kind;
  return {
    label: `id.label.${kind}` as MessageKey,
    placeholder: `id.placeholder.${kind}` as MessageKey,
    hint: `id.hint.${kind}` as MessageKey,
  };
}

const charCount = (text: string) => [...text.trim()].length;

/** As the backend (MAX_REFERENCE): a CRM's case numbers are far shorter. */
const MAX_REFERENCE = 128;

export function RequestForm({ session, controller }: Props) {
  const { t, profiles, backend, debounceMs, errorDelayMs, openSettings, organisation } = useUi();
  const { key, draft } = session;
  // Server mode, not signed in or the server not answering: the banner above says why and what to do.
  const blocked = startBlocked(organisation.view) !== null;
  const profile = profiles.find((p) => p.name === draft.profile);
  const input = identityInput(draft, profile);
  const hasIdentity = draft.identity.trim() !== '';
  const ids = {
    identity: `identity-${key}`,
    status: `identity-status-${key}`,
    bm: `bm-${key}`,
    bmHelp: `bm-help-${key}`,
    reference: `reference-${key}`,
    referenceHelp: `reference-help-${key}`,
  };

  // A profile that no longer exists (removed in Settings): fall back to the first one.
  useEffect(() => {
    if (!profile && profiles[0]) controller.edit(key, { profile: profiles[0].name });
  }, [profile, profiles]);

  // Live identity check, debounced.
  useEffect(() => {
    if (!profile || !hasIdentity) return;
    const current = session.identityCheck;
    if (current && current.input === input && current.profile === profile.name) return;
    let live = true;
    const handle = setTimeout(() => {
      backend
        .checkIdentity(profile.name, input)
        .then((result) => {
          if (live) controller.dispatch({ type: 'identityChecked', key, profile: profile.name, input, result });
        })
        .catch(() => {
          /* shown when starting */
        });
    }, debounceMs);
    return () => {
      live = false;
      clearTimeout(handle);
    };
  }, [profile?.name, input, hasIdentity]);

  // A number that fails for the selected country but is valid for another one the profile
  // takes: say so, and offer the switch, instead of a bare check-digit error.
  const [otherCountry, setOtherCountry] = useState<Country | null>(null);
  const failedHere = session.identityCheck?.input === input && session.identityCheck.result.ok === false;
  useEffect(() => {
    setOtherCountry(null);
    if (!profile || !failedHere || profile.identity_kind !== 'national_id') return;
    if (typedCountry(draft.identity) || looksLikeEmail(draft.identity)) return;
    let live = true;
    const others = profile.countries.filter((c) => c !== draft.country);
    void (async () => {
      for (const c of others) {
        const result = await backend.checkIdentity(profile.name, `${c}:${draft.identity.trim()}`).catch(() => null);
        if (!live) return;
        if (result?.ok) {
          setOtherCountry(c);
          return;
        }
      }
    })();
    return () => {
      live = false;
    };
  }, [profile?.name, input, failedHere]);

  // Errors wait until the agent pauses typing (or leaves the field), so a half-typed number is not red.
  const [showErrors, setShowErrors] = useState(false);
  useEffect(() => {
    setShowErrors(errorDelayMs <= 0);
    if (errorDelayMs <= 0) return;
    const handle = setTimeout(() => setShowErrors(true), errorDelayMs);
    return () => clearTimeout(handle);
  }, [draft.identity, draft.country, draft.profile]);

  const rules = profile?.binding_message;
  const forbidden = rules?.requirement === 'forbidden';
  const message = draft.bindingMessage;
  useEffect(() => {
    if (!profile || forbidden || message.trim() === '') return;
    const handle = setTimeout(() => {
      backend
        .checkBindingMessage(profile.name, message)
        .then((result) => controller.dispatch({ type: 'bindingChecked', key, profile: profile.name, message, result }))
        .catch(() => {});
    }, debounceMs);
    return () => clearTimeout(handle);
  }, [profile?.name, message, forbidden]);

  const check =
    session.identityCheck && session.identityCheck.input === input && session.identityCheck.profile === profile?.name
      ? session.identityCheck.result
      : null;
  const identityError =
    hasIdentity && check && !check.ok && check.error && (showErrors || session.formError) ? errorText(t, check.error) : null;
  const texts = identityTexts(profile, draft.country);
  const multiCountry = profile?.identity_kind === 'national_id' && profile.countries.length > 1;

  const chars = charCount(message);
  const max = rules?.max_chars ?? 0;
  const bindingCheck =
    session.bindingCheck && session.bindingCheck.message === message && session.bindingCheck.profile === profile?.name
      ? session.bindingCheck.result
      : null;
  const bindingError =
    !forbidden && message.trim() !== '' && bindingCheck?.error && !bindingCheck.ok ? errorText(t, bindingCheck.error) : null;

  // Nothing checks the reference while typing: the backend's refusal at start is shown at the field.
  const formError = session.formError;
  const referenceError = formError && 'error' in formError && formError.error.field === 'reference' ? formError.error : null;

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Enter' || event.isComposing) return;
    const target = event.target as HTMLElement;
    const tag = target.tagName;
    if (tag === 'BUTTON' || tag === 'TEXTAREA' || tag === 'A') return;
    event.preventDefault();
    void controller.start(key);
  };

  const changeCountry = (country: Country) => {
    const typed = typedCountry(draft.identity);
    const identity = typed ? draft.identity.replace(/^\s*[a-zA-Z]{2}\s*:/, `${country}:`) : draft.identity;
    controller.edit(key, { country, identity });
  };

  const identityRef = useRef<HTMLInputElement>(null);

  return (
    <form
      class="card request-form"
      aria-labelledby={`form-title-${key}`}
      onSubmit={(event) => {
        event.preventDefault();
        void controller.start(key);
      }}
      onKeyDown={onKeyDown}
      noValidate
    >
      <h2 class="card-title" id={`form-title-${key}`}>
        {t('form.title')}
      </h2>

      <div class="field">
        <label for={`profile-${key}`}>{t('form.profile')}</label>
        <select
          id={`profile-${key}`}
          data-testid="profile"
          value={draft.profile}
          onChange={(e) => controller.edit(key, { profile: (e.target as HTMLSelectElement).value })}
        >
          {profiles.map((p) => (
            <option value={p.name} key={p.name}>
              {profileTitle(p, profiles)}
            </option>
          ))}
        </select>
        {profile?.is_sandbox ? (
          <p class="note note--sandbox" data-testid="sandbox-note">
            <FlaskIcon size={16} />
            <span>{t('form.sandboxNote')}</span>
          </p>
        ) : (
          profile && (
            <p class="hint" data-testid="profile-description">
              {profileDescription(t, profile)}
            </p>
          )
        )}
        {profile?.secret_status === 'no_keyring' && (
          <p class="note note--warning" data-testid="no-keyring">
            <KeyIcon size={16} />
            <span>{t('error.no_keyring')}</span>
          </p>
        )}
        {profile?.problem && (
          <p class="note note--warning" role="alert" data-testid="profile-problem">
            <AlertIcon size={16} />
            <span>
              <ErrorMessage error={profile.problem} />
            </span>
          </p>
        )}
        {(profile?.secret_status === 'missing' || profile?.secret_status === 'outdated') && (
          <div class="note note--warning" data-testid={`secret-${profile.secret_status}`}>
            <KeyIcon size={16} />
            <span>{t(profile.secret_status === 'missing' ? 'form.secretMissing' : 'form.secretOutdated')}</span>
            <button type="button" class="link-button" onClick={openSettings}>
              {t('form.openSettings')}
            </button>
          </div>
        )}
      </div>

      <div class="field">
        <label for={ids.identity}>{t(texts.label)}</label>
        <div class={`input-group ${identityError ? 'is-invalid' : ''} ${check?.ok && hasIdentity ? 'is-valid' : ''}`}>
          {multiCountry && profile && (
            <select
              class="country-select"
              data-testid="country"
              aria-label={t('form.country')}
              value={draft.country}
              onChange={(e) => changeCountry((e.target as HTMLSelectElement).value as Country)}
            >
              {profile.countries.map((c) => (
                <option value={c} key={c} title={countryName(t, c)}>
                  {c.toUpperCase()} · {countryName(t, c)}
                </option>
              ))}
            </select>
          )}
          <input
            ref={identityRef}
            id={ids.identity}
            data-testid="identity-input"
            class="identity-input"
            type="text"
            inputMode={profile?.identity_kind === 'email' ? 'email' : 'text'}
            autoComplete="off"
            autoCorrect="off"
            autoCapitalize="off"
            spellcheck={false}
            placeholder={t(texts.placeholder)}
            value={draft.identity}
            aria-invalid={identityError ? 'true' : 'false'}
            aria-describedby={ids.status}
            onInput={(e) => controller.edit(key, { identity: (e.target as HTMLInputElement).value })}
            onBlur={() => setShowErrors(true)}
          />
          {check?.ok && hasIdentity && <CheckIcon size={18} class="input-valid-icon" />}
        </div>
        <div id={ids.status} class="field-status" aria-live="polite">
          {!hasIdentity || !check ? (
            <p class="hint">
              {multiCountry && texts.countryHint ? t(texts.countryHint) : t(texts.hint)}
            </p>
          ) : identityError ? (
            <p class="message message--error" data-testid="identity-error" data-code={check.error?.code}>
              <AlertIcon size={16} />
              <span>
                <span class="sr-only">{t('id.errorTitle')} </span>
                <ErrorMessage error={check.error!} />
              </span>
            </p>
          ) : check.ok ? (
            <p class="message message--ok" data-testid="identity-ok">
              <CheckIcon size={16} />
              <span>
                {check.kind
                  ? t('id.valid', { kind: idKindText(t, check.kind), masked: check.masked ?? '' })
                  : t('id.validPlain', { masked: check.masked ?? '' })}
              </span>
            </p>
          ) : (
            <p class="hint">{t(texts.hint)}</p>
          )}
          {otherCountry && identityError && (
            <p class="message message--info" data-testid="country-suggestion">
              <InfoIcon size={16} />
              <span>
                {t('id.otherCountry', { country: countryName(t, otherCountry) })}{' '}
                <button
                  type="button"
                  class="link-button"
                  data-testid="country-switch"
                  onClick={() => {
                    changeCountry(otherCountry);
                    identityRef.current?.focus();
                  }}
                >
                  {t('id.switchCountry', { code: otherCountry.toUpperCase() })}
                </button>
              </span>
            </p>
          )}
          {check?.ok &&
            hasIdentity &&
            check.warnings.map((warning, i) => (
              <p class="message message--warning" data-testid="identity-warning" data-code={warning.code} key={i}>
                <AlertIcon size={16} />
                <span>
                  <strong>{t('id.warningTitle')}</strong> {warningText(t, warning)}
                </span>
              </p>
            ))}
        </div>
      </div>

      {rules && (
        <div class={`field ${forbidden ? 'is-disabled' : ''}`}>
          <div class="label-row">
            <label for={ids.bm}>{rules.requirement === 'required' ? t('bm.labelRequired') : t('bm.label')}</label>
            {!forbidden && (
              <span
                class={`counter ${chars > max ? 'counter--over' : ''}`}
                data-testid="binding-counter"
                aria-hidden="true"
              >
                {t('bm.counter', { count: chars, max })}
              </span>
            )}
          </div>
          <div class={`input-group ${bindingError ? 'is-invalid' : ''}`}>
            <input
              id={ids.bm}
              data-testid="binding-message"
              type="text"
              autoComplete="off"
              spellcheck={false}
              disabled={forbidden}
              placeholder={forbidden ? t('bm.forbidden') : t('bm.placeholder')}
              value={forbidden ? '' : message}
              aria-invalid={bindingError ? 'true' : 'false'}
              aria-describedby={ids.bmHelp}
              onInput={(e) => controller.edit(key, { bindingMessage: (e.target as HTMLInputElement).value })}
            />
            {!forbidden && (
              <button
                type="button"
                class="button button--ghost input-addon"
                data-testid="generate-code"
                onClick={() => void controller.generateCode(key)}
              >
                <DiceIcon size={16} />
                {t('bm.generate')}
              </button>
            )}
          </div>
          <div id={ids.bmHelp} class="field-status">
            {forbidden ? (
              <p class="message message--info" data-testid="binding-forbidden">
                <InfoIcon size={16} />
                <span>{forbiddenReason(t, rules)}</span>
              </p>
            ) : bindingError ? (
              <p class="message message--error" data-testid="binding-error" data-code={bindingCheck?.error?.code}>
                <AlertIcon size={16} />
                <span>
                  <ErrorMessage error={bindingCheck!.error!} />
                </span>
              </p>
            ) : (
              <p class="hint">
                {rules.generate_when_empty ? t('bm.hintGenerate') : t('bm.hint')}
                <span class="sr-only"> {t('bm.counterLabel', { count: chars, max })}</span>
              </p>
            )}
          </div>
        </div>
      )}

      <div class="field">
        <label for={ids.reference}>{t('reference.label')}</label>
        <div class={`input-group ${referenceError ? 'is-invalid' : ''}`}>
          <input
            id={ids.reference}
            data-testid="reference"
            type="text"
            maxLength={MAX_REFERENCE}
            autoComplete="off"
            autoCorrect="off"
            autoCapitalize="off"
            spellcheck={false}
            placeholder={t('reference.placeholder')}
            value={draft.reference}
            aria-invalid={referenceError ? 'true' : 'false'}
            aria-describedby={ids.referenceHelp}
            onInput={(e) => controller.edit(key, { reference: (e.target as HTMLInputElement).value })}
          />
        </div>
        <div id={ids.referenceHelp} class="field-status">
          {referenceError ? (
            <p class="message message--error" data-testid="reference-error" data-code={referenceError.code} role="alert">
              <AlertIcon size={16} />
              <span>
                <ErrorMessage error={referenceError} />
              </span>
            </p>
          ) : (
            <p class="hint">{t('reference.hint')}</p>
          )}
        </div>
      </div>

      {profile?.call_initiator && (
        <fieldset class="field segmented" data-testid="call-initiator">
          <legend>{t('ci.legend')}</legend>
          <div class="segmented-options">
            {(['user', 'rp'] as const).map((value) => (
              <label class="segmented-option" key={value}>
                <input
                  type="radio"
                  name={`ci-${key}`}
                  value={value}
                  data-testid={`call-initiator-${value}`}
                  checked={draft.callInitiator === value}
                  onChange={() => controller.edit(key, { callInitiator: value })}
                />
                <span>{t(value === 'user' ? 'ci.user' : 'ci.rp')}</span>
              </label>
            ))}
          </div>
        </fieldset>
      )}

      {formError && !referenceError && (
        <p class="message message--error form-error" data-testid="form-error" role="alert">
          <AlertIcon size={16} />
          <span>
            <MessageText parts={[formError]} />
          </span>
        </p>
      )}

      <div class="form-actions">
        <button
          type="submit"
          class="button button--primary button--large"
          data-testid="start"
          disabled={blocked}
          aria-describedby={blocked ? 'org-banner' : undefined}
        >
          <SendIcon size={18} />
          {t('form.start')}
          <kbd aria-hidden="true">Enter</kbd>
        </button>
        <p class="keys-hint">{t('form.keys')}</p>
      </div>
    </form>
  );
}
