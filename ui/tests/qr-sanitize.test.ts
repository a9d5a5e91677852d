import { describe, expect, it } from 'vitest';
import { mockQrSvg } from '../dev/mock-backend';
import { isSafeSvg, svgDataUrl } from '../src/ui/qr-sanitize';

const PLAIN = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#fff"/><path d="M1 1h1v1h-1z"/></svg>';

describe('QR SVG sanitizer', () => {
  it('accepts a plain SVG, with or without an XML prolog', () => {
    expect(isSafeSvg(PLAIN)).toBe(true);
    expect(isSafeSvg(`<?xml version="1.0" encoding="UTF-8"?>\n${PLAIN}`)).toBe(true);
    expect(isSafeSvg(mockQrSvg('https://id.example.com/identity/ciba?requestId=1'))).toBe(true);
  });

  it.each([
    ['a script element', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    ['a script element with odd spacing and case', '<svg><  SCRIPT type="text/javascript">alert(1)</SCRIPT></svg>'],
    ['an onload attribute', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'],
    ['an event handler after a slash', '<svg/onload=alert(1)>'],
    ['an event handler on a child', '<svg><rect width="1" height="1" onclick = "x()"/></svg>'],
    ['a javascript: link', '<svg><a href="javascript:alert(1)"><rect/></a></svg>'],
    ['foreignObject', '<svg><foreignObject><div>x</div></foreignObject></svg>'],
    ['an external reference', '<svg><image href="https://example.com/x.png"/></svg>'],
    ['xlink:href', '<svg><use xlink:href="#a"/></svg>'],
    ['an entity declaration', '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg></svg>'],
    ['HTML', '<html><body><svg></svg></body></html>'],
    ['text before the svg', 'hello <svg></svg>'],
    ['an empty string', ''],
  ])('rejects %s', (_, svg) => {
    expect(isSafeSvg(svg)).toBe(false);
    expect(svgDataUrl(svg)).toBeNull();
  });

  it('rejects what is not a string, and oversized input', () => {
    expect(isSafeSvg(null)).toBe(false);
    expect(isSafeSvg(42)).toBe(false);
    expect(isSafeSvg(`<svg>${' '.repeat(300_000)}</svg>`)).toBe(false);
  });

  it('makes an image data URL that cannot break out of the attribute', () => {
    const url = svgDataUrl(PLAIN)!;
    expect(url.startsWith('data:image/svg+xml;charset=utf-8,')).toBe(true);
    expect(url).not.toMatch(/["<> ]/);
    expect(decodeURIComponent(url.slice(url.indexOf(',') + 1))).toBe(PLAIN);
  });
});
