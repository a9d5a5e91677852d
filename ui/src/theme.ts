import type { Theme } from './api/types';

/** Sets <html data-theme>, which sets the color-scheme the colour tokens follow; "system" leaves it to the OS (see styles/theme.css). */
export function applyTheme(theme: Theme) {
  document.documentElement.dataset.theme = theme;
}
