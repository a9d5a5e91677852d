//! HTML for the customer's phone: escaping and the page frame. No scripts, no external
//! resources; plain forms that work in any browser and with any HTTP client.

use std::fmt::Write;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:#f2f3f5;color:#1b1d21}\
.banner{background:#8a1c1c;color:#fff;padding:.8rem 1rem;font-weight:700;text-align:center}\
main{max-width:32rem;margin:0 auto;padding:1rem}\
h1{font-size:1.4rem}\
.card{background:#fff;border-radius:12px;padding:1rem;margin:1rem 0;box-shadow:0 1px 3px rgba(0,0,0,.15)}\
.who{font-size:1.1rem;font-weight:600}\
.label{font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;color:#5b606a;margin-top:.8rem}\
.message{font-size:1.8rem;font-weight:700;margin:.3rem 0;overflow-wrap:anywhere}\
.none{color:#5b606a;font-style:italic}\
.left{color:#5b606a}\
.actions{display:flex;gap:.8rem;margin-top:1rem}\
.actions form{flex:1}\
button{width:100%;font-size:1.2rem;padding:1rem;border:0;border-radius:10px;color:#fff;cursor:pointer}\
.approve{background:#1d7a3a}.deny{background:#a12828}\
.drill{margin-top:.75rem}.mismatch{background:#5b4a8a;font-size:1rem;padding:.75rem}\
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem;border-bottom:1px solid #ddd}\
small{color:#5b606a}";

/// A complete page. `refresh_seconds` reloads it (a meta refresh, not a script) so new
/// requests and the time left stay current.
pub(crate) fn page(
    status: StatusCode,
    title: &str,
    body: &str,
    refresh_seconds: Option<u32>,
) -> Response {
    let mut html = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\">",
    );
    if let Some(seconds) = refresh_seconds {
        let _ = write!(html, "<meta http-equiv=\"refresh\" content=\"{seconds}\">");
    }
    let _ = writeln!(
        html,
        "<title>{} · CIBA Desk sandbox</title><style>{STYLE}</style></head><body>\
<div class=\"banner\">CIBA Desk sandbox — not a real identity</div><main>{body}</main></body></html>",
        escape(title)
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The pages hold no scripts and load nothing; say so, so an injected one would not run.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Pickup links carry the auth_req_id.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// A page that only says something (unknown request, expired, …).
pub(crate) fn message_page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><div class=\"card\"><p>{}</p><p><a href=\"/device\">All waiting requests</a></p></div>",
        escape(title),
        escape(text)
    );
    page(status, title, &body, None)
}

/// `95 s`, `2 min 5 s`.
pub(crate) fn time_left(seconds: u64) -> String {
    match (seconds / 60, seconds % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert('x')</script> & "q""#),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("Köp 3 st. — ok"), "Köp 3 st. — ok");
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn formats_time_left() {
        assert_eq!(time_left(5), "5 s");
        assert_eq!(time_left(120), "2 min");
        assert_eq!(time_left(125), "2 min 5 s");
    }

    #[tokio::test]
    async fn pages_are_marked_as_sandbox_and_forbid_scripts() {
        let response = page(StatusCode::OK, "<T>", "<p>x</p>", Some(5));
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"));
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("CIBA Desk sandbox — not a real identity"));
        assert!(body.contains("<title>&lt;T&gt;"));
        assert!(body.contains("name=\"viewport\""));
        assert!(body.contains("http-equiv=\"refresh\" content=\"5\""));
        assert!(!body.contains("<script"));
    }
}
