//! Provider URLs built from templates (`{issuer}`, `{auth_req_id}`): the cancel call and the
//! customer link, and the customer link as a QR code.

use qrcode::QrCode;
use qrcode::render::svg;

use crate::error::{DeskError, Result};

/// Fills `{issuer}` (without a trailing slash) and `{auth_req_id}` (percent-encoded, so an id
/// can never add a path segment or a query parameter).
pub fn render_template(template: &str, issuer: &str, auth_req_id: &str) -> String {
    template
        .replace("{issuer}", issuer.trim_end_matches('/'))
        .replace("{auth_req_id}", &percent_encode(auth_req_id))
}

/// RFC 3986 unreserved characters stay, everything else is percent-encoded; so do the dots
/// of an id that is a dot-segment (`.` or `..`), which would otherwise climb the path.
pub fn percent_encode(s: &str) -> String {
    let dot_segment = s == "." || s == "..";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_~".contains(&b) || (b == b'.' && !dot_segment) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The link as an SVG QR code (dark on light, with a quiet zone) for the customer's phone.
pub fn qr_svg(data: &str) -> Result<String> {
    let code = QrCode::new(data.as_bytes()).map_err(|e| DeskError::QrCode(e.to_string()))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_encode_the_id() {
        assert_eq!(
            render_template(
                "{issuer}/identity/ciba?requestId={auth_req_id}",
                "https://a.example/",
                "x&y=1/2"
            ),
            "https://a.example/identity/ciba?requestId=x%26y%3D1%2F2"
        );
        assert_eq!(
            render_template(
                "{issuer}/api/v1/ciba/{auth_req_id}",
                "https://pp.netseidbroker.dk/op",
                "0A2179A15B686CB..3AC29A5A6A-1"
            ),
            "https://pp.netseidbroker.dk/op/api/v1/ciba/0A2179A15B686CB..3AC29A5A6A-1"
        );
        assert_eq!(
            render_template("{issuer}/c/{auth_req_id}", "https://a", ".."),
            "https://a/c/%2E%2E"
        );
    }

    #[test]
    fn qr_is_svg() {
        let s = qr_svg("https://example.com/identity/ciba?requestId=abc").unwrap();
        assert!(s.contains("<svg"), "{s}");
        assert!(s.contains("#000000"));
    }
}
