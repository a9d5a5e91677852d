//! Provider URLs built from templates (`{issuer}`, `{auth_req_id}`): the cancel call and the
//! customer link, and the customer link as a QR code.

use qrcode::QrCode;
use qrcode::render::svg;

use crate::error::{DeskError, Result};

/// Fills `{issuer}` (without a trailing slash) and `{auth_req_id}`. The id is the provider's
/// and goes into a URL that carries the client's credentials (the cancel call) or is shown to
/// the customer (the link), so only ids made of RFC 3986 unreserved characters are accepted,
/// and never a dot-segment (`.`, `..`, which would climb the path even percent-encoded).
pub fn render_template(template: &str, issuer: &str, auth_req_id: &str) -> Result<String> {
    let safe = !auth_req_id.is_empty()
        && auth_req_id != "."
        && auth_req_id != ".."
        && auth_req_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !safe {
        return Err(DeskError::UnsafeRequestId);
    }
    Ok(template
        .replace("{issuer}", issuer.trim_end_matches('/'))
        .replace("{auth_req_id}", auth_req_id))
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
    fn only_url_safe_ids_go_into_urls() {
        assert_eq!(
            render_template(
                "{issuer}/api/v1/ciba/{auth_req_id}",
                "https://pp.netseidbroker.dk/op",
                "0A2179A15B686CB..3AC29A5A6A-1"
            )
            .unwrap(),
            "https://pp.netseidbroker.dk/op/api/v1/ciba/0A2179A15B686CB..3AC29A5A6A-1"
        );
        // A dot-segment climbs to the collection even percent-encoded (%2E%2E); an id with a
        // slash, a query or a fragment would reach another URL. None goes out.
        for id in [".", "..", "", "x&y=1", "a/b", "a?b", "a#b", "a%2E", "a b"] {
            let e = render_template("{issuer}/c/{auth_req_id}", "https://a", id).unwrap_err();
            assert_eq!(e.code(), "unsafe_request_id", "{id:?}");
        }
    }

    #[test]
    fn qr_is_svg() {
        let s = qr_svg("https://example.com/identity/ciba?requestId=abc").unwrap();
        assert!(s.contains("<svg"), "{s}");
        assert!(s.contains("#000000"));
    }
}
