// Errors on screen: the sentence in the agent's language and, when the page has no words
// for the error's code, the code on a muted line of its own (for support), never inside
// the sentence.

import type { BackendError } from '../api/types';
import type { Translate } from '../i18n';
import { errorWords, messageWords, type UiMessage } from '../i18n/texts';
import { useUi } from './context';

/** "Error code: slow_down", muted, on its own line; nothing when there is no code. */
export function CodeLine({ code, t: own }: { code: string | null; /** Before the page's context exists (loading). */ t?: Translate }) {
  const ui = useUi();
  const t = own ?? ui.t;
  if (!code) return null;
  return (
    <span class="code-line muted" data-testid="code-line" data-code={code}>
      {t('result.errorCode', { code })}
    </span>
  );
}

export function ErrorMessage({ error }: { error: BackendError }) {
  const { t } = useUi();
  const words = errorWords(t, error);
  return (
    <>
      {words.text}
      <CodeLine code={words.code} />
    </>
  );
}

/** Several parts of one message (a key or an error each) as one sentence, then their codes. */
export function MessageText({ parts }: { parts: readonly UiMessage[] }) {
  const { t } = useUi();
  const words = parts.map((part) => messageWords(t, part));
  return (
    <>
      {words.map((w) => w.text).join(' ')}
      {words.map((w, i) => (
        <CodeLine key={i} code={w.code} />
      ))}
    </>
  );
}
