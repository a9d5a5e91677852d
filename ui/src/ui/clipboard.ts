// Copying text. WebKitGTK (the Linux webview) may lack the Clipboard API or refuse it outside
// a secure context; the old select-and-copy still works there.

/** Puts `text` on the clipboard; false when neither way worked. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (typeof navigator.clipboard?.writeText === 'function') {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* refused: the fallback below */
  }
  return copyBySelection(text);
}

function copyBySelection(text: string): boolean {
  if (typeof document.execCommand !== 'function') return false;
  // Selecting the text takes the focus: it goes back to the button that asked.
  const previous = document.activeElement as HTMLElement | null;
  const buffer = document.createElement('textarea');
  buffer.value = text;
  buffer.readOnly = true;
  buffer.className = 'copy-buffer';
  buffer.setAttribute('aria-hidden', 'true');
  buffer.tabIndex = -1;
  document.body.appendChild(buffer);
  try {
    buffer.focus();
    buffer.select();
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    buffer.remove();
    previous?.focus?.();
  }
}
