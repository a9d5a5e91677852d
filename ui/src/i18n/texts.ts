// Everything the backend sends as a code, in words: errors and warnings with their
// parameters, identity kinds, the match sentence, preset titles and descriptions,
// the binding-message "forbidden" reason, the audit log's chain problem, what a screen-pop
// link left out.
// The backend's English sentence is used only where there is no translation, and never when
// it holds a preset's placeholder (`<your-client-id>`) or a bare protocol code (`access_denied`):
// then a general sentence in the agent's language, and the code on a line of its own.

import type {
  AuditStatus,
  BackendError,
  BindingMessageRules,
  IdKind,
  MatchDetail,
  MatchResult,
  Notice,
  PresetSummary,
  ProfileSummary,
  ProviderKind,
  VerifiedIdentity,
} from '../api/types';
import type { LinkLeftOut } from '../state/links';
import type { MessageKey, Params, Translate } from './index';

/** Text the page shows that is not known yet in which language: a key, or a backend error. */
export type UiMessage = { key: MessageKey; params?: Params } | { error: BackendError };

export function messageText(t: Translate, message: UiMessage): string {
  return messageWords(t, message).text;
}

/** {@link messageText}, with the code of an error there are no words for (see {@link errorWords}). */
export function messageWords(t: Translate, message: UiMessage): ErrorWords {
  return 'key' in message ? { text: t(message.key, message.params), code: null } : errorWords(t, message.error);
}

/** English from the backend, sometimes starting in lower case: shown as a sentence. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  const body = trimmed.charAt(0).toLocaleUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(body) ? body : `${body}.`;
}

type Localize = (t: Translate, value: string) => string | null;

const codes = (value: string) =>
  value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');

const country: Localize = (t, value) => t.optional(`country.${value}`);
const kind: Localize = (t, value) => t.optional(`kind.${value === 'mobile_id' ? 'mobileid' : value}`);

function listOf(each: Localize, type: 'conjunction' | 'disjunction'): Localize {
  return (t, value) => {
    const words = codes(value).map((c) => each(t, c));
    return words.length > 0 && words.every((w) => w !== null) ? t.list(words as string[], type) : null;
  };
}

/** A character as the agent can read it: invisible and control characters as U+XXXX. */
function character(_t: Translate, value: string): string {
  const escaped = /^\\u\{([0-9a-fA-F]{1,6})\}$/.exec(value);
  const simple: Record<string, string> = { '\\t': '\t', '\\n': '\n', '\\r': '\r', '\\0': '\0', "\\'": "'", '\\"': '"', '\\\\': '\\' };
  const char = escaped ? String.fromCodePoint(parseInt(escaped[1]!, 16)) : (simple[value] ?? value);
  if ([...char].length === 1 && /[\p{C}\p{Z}]/u.test(char) && char !== ' ') {
    return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return char;
}

/** The profile settings `profile_placeholder` names (profile/mod.rs), by their labels. */
const FIELD_LABELS: Record<string, MessageKey> = {
  issuer: 'add.issuer',
  'client id': 'add.clientId',
  'keyring entry name': 'field.keyringEntry',
  'cancel URL': 'field.cancelUrl',
  'customer link': 'field.customerLink',
  'backchannel endpoint': 'field.backchannelEndpoint',
  'token endpoint': 'field.tokenEndpoint',
  'JWKS URI': 'field.jwksUri',
};

/** How the backend's parameters become words in the agent's language (others are shown as they are). */
const PARAMS: Record<string, Localize> = {
  country,
  countries: listOf(country, 'conjunction'),
  allowed: listOf(country, 'conjunction'),
  candidates: listOf(country, 'disjunction'),
  kind,
  given: kind,
  what: kind,
  accepted: listOf(kind, 'disjunction'),
  charset: (t, value) => t.optional(`charset.${value}`),
  problem: (t, value) => t.optional(`userid.problem.${value}`),
  character,
  // "10 or 12" → "10 eller 12"
  expected: (t, value) => {
    const parts = value.split(/\s*(?:,|\bor\b)\s*/).filter((p) => p !== '');
    return parts.length > 0 && parts.every((p) => /^\d+$/.test(p)) ? t.list(parts, 'disjunction') : null;
  },
  // A profile setting the backend names in English ("client id") → its label on screen.
  field: (t, value) => {
    const key = FIELD_LABELS[value];
    return key ? t(key) : value;
  },
  // "se:NUMBER / dk:NUMBER" → "se:NUMMER eller dk:NUMMER"
  example: (t, value) => {
    const tags = [...value.matchAll(/\b(se|no|dk):/g)].map((m) => `${m[1]}:${t('id.numberWord')}`);
    return tags.length > 0 ? t.list(tags, 'disjunction') : null;
  },
};

/** The parameters in words, or null when one of them is a code this page does not know. */
function localizeParams(t: Translate, params: BackendError['params']): Params | null {
  const out: Params = {};
  for (const [name, value] of Object.entries(params ?? {})) {
    const localize = PARAMS[name];
    if (!localize || typeof value === 'number') {
      out[name] = value;
      continue;
    }
    const word = localize(t, value);
    if (word === null) return null;
    out[name] = word;
  }
  return out;
}

/** `<prefix>.<code>` with its parameters filled in, or null when that cannot be done fully. */
function translated(t: Translate, prefix: string, item: { code: string; params?: BackendError['params'] }): string | null {
  const params = localizeParams(t, item.params);
  return params && t.optional(`${prefix}.${item.code}`, params);
}

/** A preset's placeholder left in a value, as the desk finds them: `<your-client-id>`. */
const PLACEHOLDER = /<[^<>]*>/;
/** A protocol or error code on its own (`access_denied`, `slow_down`): words for machines. */
const BARE_CODE = /(?:^|[^\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])/;

/** Whether the backend's English sentence can be shown to an agent as it is. */
export function showable(message: string): boolean {
  return message.trim() !== '' && !PLACEHOLDER.test(message) && !BARE_CODE.test(message);
}

/**
 * An error in words: `text` in the agent's language, and `code` when there was no
 * translation, for a muted line of its own (the backend's English sentence, or a general
 * one where that sentence holds a placeholder or a bare code).
 */
export interface ErrorWords {
  text: string;
  code: string | null;
}

export function errorWords(t: Translate, error: BackendError): ErrorWords {
  const text = translated(t, 'error', error);
  if (text === null) {
    return { text: showable(error.message) ? sentence(error.message) : t('error.unknown'), code: error.code };
  }
  const { line, column } = error.params ?? {};
  return {
    text: line !== undefined && column !== undefined ? `${text} ${t('error.location', { line, column })}` : text,
    code: null,
  };
}

/** An error in the agent's language: `error.<code>`, else the backend's English sentence where it is fit to show, else a general one. */
export function errorText(t: Translate, error: BackendError): string {
  return errorWords(t, error).text;
}

/** An identity-check warning in the agent's language: `warning.<code>`, else the English. */
export function warningText(t: Translate, warning: Notice): string {
  return translated(t, 'warning', warning) ?? sentence(warning.message);
}

/** The translated sentence for an error code alone (a record from the audit log), when it needs no parameters. */
export function codeText(t: Translate, code: string): string | null {
  return t.optional(`error.${code}`);
}

export function countryName(t: Translate, code: string): string {
  return country(t, code) ?? code.toUpperCase();
}

/** An input kind ('national_id', 'email', …; the audit log's 'mobile_id' too) as a noun. */
export function kindText(t: Translate, code: string): string {
  return kind(t, code) ?? code;
}

export function idKindText(t: Translate, code: IdKind): string {
  return t.optional(`idkind.${code}`) ?? code;
}

export function providerText(t: Translate, provider: ProviderKind): string {
  return t.optional(`provider.${provider}`) ?? provider;
}

/** "Match", "Mismatch", "Not comparable": the badge and the announcement. */
export function matchTitle(t: Translate, match: MatchResult): string {
  return t(`match.${match}`);
}

/** Why it is (not) a match: `match.<result>.<on|reason>`, or the general sentence for the result. */
export function matchText(t: Translate, match: MatchResult, detail: MatchDetail | null): string {
  const specific = detail && t.optional(`match.${detail.result}.${'on' in detail ? detail.on : detail.reason}`);
  return specific ?? t(`match.${match}Body`);
}

/** What to do instead of a binding message, where the provider forbids one. */
export function forbiddenReason(t: Translate, rules: BindingMessageRules): string {
  const translatedReason = rules.forbidden_code && t.optional(`bm.forbiddenReason.${rules.forbidden_code}`);
  if (translatedReason) return translatedReason;
  return rules.forbidden_reason ? sentence(rules.forbidden_reason) : t('bm.forbidden');
}

/** The first broken record of the audit log, or null when the backend names none. */
export function auditProblem(t: Translate, status: AuditStatus): string | null {
  const text =
    status.problem_code && status.problem_seq !== null
      ? t.optional(`audit.problem.${status.problem_code}`, { seq: status.problem_seq })
      : null;
  return text ?? (status.problem ? sentence(status.problem) : null);
}

/**
 * What agents call a profile: its short title, with its name after it when another profile
 * has the same title ("Idura · Swedish BankID (bankid-se)"). Never its description.
 */
export function profileTitle(profile: ProfileSummary, profiles: readonly ProfileSummary[]): string {
  const title = shownTitle(profile);
  const shared = profiles.some((p) => p.name !== profile.name && shownTitle(p) === title);
  return shared ? `${title} (${profile.name})` : title;
}

/** {@link profileTitle} for a profile known by name only (History, a sent request); its name when it is gone. */
export function profileTitleOf(name: string, profiles: readonly ProfileSummary[]): string {
  const profile = profiles.find((p) => p.name === name);
  return profile ? profileTitle(profile, profiles) : name;
}

const shownTitle = (profile: ProfileSummary) => profile.title.trim() || profile.name;

export function presetTitle(t: Translate, preset: PresetSummary): string {
  return t.optional(`preset.title.${preset.id}`) ?? preset.display_name;
}

export function presetDescription(t: Translate, id: string): string | null {
  return t.optional(`preset.desc.${id}`);
}

/** A profile's description: its preset's, translated, or what the administrator wrote. Its name is shown as it is. */
export function profileDescription(t: Translate, profile: ProfileSummary): string {
  return (profile.preset && presetDescription(t, profile.preset)) || profile.display_name;
}

const ACRS: Record<string, string> = {
  'urn:ciba-desk:sandbox': 'acr.sandbox',
  'urn:grn:authn:se:bankid': 'acr.se_bankid',
  'urn:grn:authn:se:bankid:same-device': 'acr.se_bankid',
  'urn:grn:authn:se:bankid:another-device': 'acr.se_bankid',
  'urn:grn:authn:no:bankid': 'acr.no_bankid',
  'urn:grn:authn:se:frejaid': 'acr.frejaid',
  'urn:grn:authn:dk:mitid:substantial': 'acr.mitid_substantial',
  'urn:grn:authn:dk:mitid:high': 'acr.mitid_high',
  'https://data.gov.dk/concept/core/nsis/loa/Substantial': 'acr.nsis_substantial',
  'https://data.gov.dk/concept/core/nsis/loa/High': 'acr.nsis_high',
};

/** Identity providers by the names they go by (not translated). */
const IDPS: Record<string, string> = { mitid: 'MitID', bankid: 'BankID', frejaid: 'Freja eID', mobileid: 'MobileID' };

/** How the customer authenticated, for people: a known ACR by name, else the ACR as sent and the IdP; plus the AMR. */
export function methodLabel(t: Translate, identity: VerifiedIdentity): string | null {
  const known = identity.acr ? ACRS[identity.acr] : undefined;
  const parts: string[] = [];
  if (known) {
    parts.push(t(known as MessageKey));
  } else {
    if (identity.acr) parts.push(identity.acr);
    const idp = identity.idp?.toLowerCase();
    if (idp) parts.push(idp === 'sandbox' ? providerText(t, 'sandbox') : (IDPS[idp] ?? identity.idp!));
  }
  const head = parts.join(' · ');
  const amr = identity.amr.length ? ` (${identity.amr.join(', ')})` : '';
  return head ? head + amr : amr.trim() || null;
}

/** The parameters that name the customer, in the order a conflict between them is told (the desk reports the later one first). */
const IDENTITY_PARAMS = ['national_id', 'email', 'user_id'];

/**
 * What a link left out, one sentence each, in the link's order (after a profile it names that is
 * not here). Parameters are named as the link spells them: that is what whoever set up the phone
 * system can fix. Several customers in one link are one sentence, however many parameters named them.
 */
export function linkLeftOutTexts(t: Translate, leftOut: LinkLeftOut): string[] {
  const conflicts = leftOut.problems.filter((p) => p.code === 'conflict').map((p) => p.param);
  const rank = (param: string) => {
    const index = IDENTITY_PARAMS.indexOf(param);
    return index < 0 ? IDENTITY_PARAMS.length : index;
  };
  // The profile first, as on the form: what the agent must choose before anything else.
  const lines = leftOut.missingProfile === null ? [] : [t('link.missingProfile', { profile: leftOut.missingProfile })];
  let conflictSaid = false;
  for (const { param, code } of leftOut.problems) {
    if (param === '') {
      lines.push(t.optional(`link.whole.${code}`) ?? t('link.whole.other'));
    } else if (code === 'conflict' && conflicts.length > 1) {
      if (conflictSaid) continue;
      conflictSaid = true;
      const names = [...conflicts].sort((a, b) => rank(a) - rank(b)).map((name) => t('link.quoted', { name }));
      lines.push(t('link.conflict', { params: t.list(names) }));
    } else {
      lines.push(t.optional(`link.problem.${code}`, { param }) ?? t('link.problem.other', { param }));
    }
  }
  if (leftOut.bindingDropped) lines.push(t('link.bindingDropped'));
  return lines;
}
