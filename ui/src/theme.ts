import type { Theme } from './api/types';

/** Sets <html data-theme>; "system" leaves the choice to prefers-color-scheme (see styles/theme.css). */
export function applyTheme(theme: Theme) {
  document.documentElement.dataset.theme = theme;
}
