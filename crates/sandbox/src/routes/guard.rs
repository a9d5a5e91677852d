//! Only this computer's own pages and programs may talk to the sandbox. A web page elsewhere
//! could otherwise reach it through the browser: by DNS rebinding (its own name resolving to
//! 127.0.0.1, to read pending requests and the phone page) or by a cross-site form post (to
//! approve a request). Every request must name the sandbox itself in `Host`; a state-changing
//! one that comes from a browser must come from the sandbox's own pages.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::App;

pub(crate) async fn same_machine_only(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    let port = app.issuer.rsplit(':').next().unwrap_or_default();
    let hosts = [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !hosts.contains(&host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this is the CIBA Desk sandbox on this computer; it answers only to 127.0.0.1, localhost or [::1] with its own port",
        );
    }
    if request.method() != Method::GET
        && request.method() != Method::HEAD
        && from_elsewhere(headers, &hosts)
    {
        return refuse(
            StatusCode::FORBIDDEN,
            "a page from another site cannot change the sandbox's requests",
        );
    }
    next.run(request).await
}

/// A browser says where a request comes from (`Origin`, `Sec-Fetch-Site`); programs such as
/// the desk say nothing, and are on this computer by the `Host` check.
fn from_elsewhere(headers: &HeaderMap, hosts: &[String]) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    if let Some(origin) = text(header::ORIGIN.as_str()) {
        let own = hosts
            .iter()
            .any(|h| origin.eq_ignore_ascii_case(&format!("http://{h}")));
        if !own {
            return true;
        }
    }
    matches!(text("sec-fetch-site"), Some("cross-site" | "same-site"))
}

fn refuse(status: StatusCode, message: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}
