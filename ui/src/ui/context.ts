import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Backend } from '../api/backend';
import { UNMANAGED, type Language, type PolicyView, type ProfileSummary } from '../api/types';
import { LOCALES, translator, type Translate } from '../i18n';
import { NO_ORGANISATION, type Organisation } from '../state/organisation';

export type Politeness = 'polite' | 'assertive';

export interface Ui {
  t: Translate;
  language: Language;
  /** BCP 47 tag for Intl. */
  locale: string;
  backend: Backend;
  profiles: ProfileSummary[];
  /** The administrator's policy, read once at start (it changes only when the app starts again). */
  policy: PolicyView;
  /** The organisation's server (server mode) as the desk reports it, and signing in and out. */
  organisation: Organisation;
  announce: (message: string, politeness?: Politeness) => void;
  /** Delay before the identity and binding message are checked while typing. */
  debounceMs: number;
  /** How long typing must pause before an invalid identity is shown as an error. */
  errorDelayMs: number;
  /** Opens the Settings screen (from the form's "secret missing" notice). */
  openSettings: () => void;
}

export const UiContext = createContext<Ui>({
  t: translator('en'),
  language: 'en',
  locale: LOCALES.en,
  backend: undefined as unknown as Backend,
  profiles: [],
  policy: UNMANAGED,
  organisation: NO_ORGANISATION,
  announce: () => {},
  debounceMs: 150,
  errorDelayMs: 700,
  openSettings: () => {},
});

export const useUi = () => useContext(UiContext);
