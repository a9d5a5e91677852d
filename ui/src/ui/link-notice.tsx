// Screen-pop links: a phone system or CRM opens `ciba-desk://verify?…`, the Rust side reads it
// and `wait_link` hands it to the page, which opens a filled-in tab for the agent to start.

import type { Backend } from '../api/backend';
import type { LinkPrefill } from '../api/types';
import { linkLeftOutTexts } from '../i18n/texts';
import type { LinkLeftOut } from '../state/links';
import { useUi } from './context';
import { InfoIcon } from './icons';
import { useLongPoll } from './long-poll';

/**
 * Waits for screen-pop links (`wait_link`), for as long as the page lives, and calls `onLink`
 * for each one, in the order they arrived (those from before the page loaded first).
 */
export function useLinks(backend: Backend, onLink: (prefill: LinkPrefill) => void) {
  useLongPoll(
    (seen) => backend.waitLink(seen),
    (prefill, seen) => {
      // One link that cannot be shown must not stop the ones after it.
      try {
        onLink(prefill);
      } catch (error) {
        console.error('a screen-pop link could not be opened:', error);
      }
      return seen + 1;
    },
  );
}

/**
 * What the link that filled this tab in could not use. Informational, not an error: the form is
 * the agent's to check either way, and nothing has been sent.
 */
export function LinkNotice({ leftOut }: { leftOut: LinkLeftOut }) {
  const { t } = useUi();
  return (
    <div class="note note--info link-notice" role="status" data-testid="link-problems">
      <InfoIcon size={16} />
      <div>
        <p>{t('link.leftOut')}</p>
        <ul>
          {linkLeftOutTexts(t, leftOut).map((line, i) => (
            <li key={i} data-testid="link-problem">
              {line}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
