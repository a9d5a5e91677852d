// The QR code arrives from the Rust side as SVG text. It is never inserted as
// markup: it becomes the source of an <img> (a data: URL), and an SVG loaded
// as an image cannot run script or load anything. On top of that, anything
// that does not look like a plain SVG document is refused.

const MAX_SVG_CHARS = 200_000;

/** True for a plain SVG document: starts with `<svg` or `<?xml`, no script, no event handlers, no external references. */
export function isSafeSvg(svg: unknown): svg is string {
  if (typeof svg !== 'string') return false;
  const text = svg.trim();
  if (text.length === 0 || text.length > MAX_SVG_CHARS) return false;
  const head = text.slice(0, 5).toLowerCase();
  if (!head.startsWith('<svg') && !head.startsWith('<?xml')) return false;
  if (head.startsWith('<?xml') && !/^<\?xml[^>]*\?>\s*(<!--[\s\S]*?-->\s*)*<svg[\s>]/i.test(text)) return false;
  const lower = text.toLowerCase();
  if (/<\s*script/.test(lower)) return false;
  // onload=, onclick = …, also after a slash or newline (<svg/onload=…>).
  if (/[\s/"']on[a-z]+\s*=/.test(lower)) return false;
  if (/javascript:|vbscript:|data:text\/html/.test(lower.replace(/\s+/g, ''))) return false;
  if (/<\s*(foreignobject|iframe|embed|object|use|image|a|animate|set|handler|listener)[\s/>]/.test(lower)) return false;
  if (/<!doctype|<!entity/.test(lower)) return false;
  if (/(xlink:)?href\s*=/.test(lower)) return false;
  return true;
}

/** A data: URL for an <img>, or null when the SVG is refused. */
export function svgDataUrl(svg: unknown): string | null {
  if (!isSafeSvg(svg)) return null;
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg.trim())}`;
}
