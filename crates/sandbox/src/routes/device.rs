//! The customer's phone: `GET /device` lists waiting requests with Approve / Deny buttons,
//! `GET /identity/ciba?requestId=…` shows one (the pickup link, shaped like Authway's), and
//! `POST /device/{id}/approve|deny|mismatch` records the answer (`mismatch`: approve as
//! another test person, for the "do not proceed" drill). Plain HTML forms, no scripts.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{App, short_id, unix_now};
use crate::client_auth::{CLIENT_ID, CLIENT_SECRET};
use crate::config::Decision;
use crate::html::{escape, message_page, page, time_left};
use crate::persons::persons;
use crate::state::{DecideError, RequestView, Status};

const LIST_REFRESH_SECONDS: u32 = 5;
const WITHDRAWN: &str = "The agent withdrew this request. It can no longer be approved; nothing you do here changes anything.";
const PICKUP_REFRESH_SECONDS: u32 = 10;

/// `GET /`: what the sandbox is, its training credentials and test persons.
pub(crate) async fn index(State(app): State<Arc<App>>) -> Response {
    let mut body = String::from(
        "<h1>CIBA Desk sandbox</h1><div class=\"card\"><p>A CIBA provider for training, demos and tests. \
It asserts no real identity: whoever opens the <a href=\"/device\">customer phone page</a> answers for every test person.</p>",
    );
    let _ = write!(
        body,
        "<p class=\"label\">Issuer</p><p>{issuer}</p>\
<p class=\"label\">Client id / secret (public training credentials)</p><p>{CLIENT_ID} / {CLIENT_SECRET}</p>\
<p><a href=\"/.well-known/openid-configuration\">Discovery document</a></p></div>",
        issuer = escape(&app.issuer)
    );
    body.push_str("<div class=\"card\"><p class=\"label\">Test persons</p><table><tr><th>Name</th><th>Login hint</th></tr>");
    for p in persons() {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{} <small>({})</small></td></tr>",
            escape(p.name),
            escape(p.login_hint),
            p.country.code().to_ascii_uppercase()
        );
    }
    body.push_str("</table></div>");
    page(StatusCode::OK, "CIBA Desk sandbox", &body, None)
}

/// `GET /device`: every waiting request.
pub(crate) async fn list(State(app): State<Arc<App>>) -> Response {
    let pending = app.requests.pending(Instant::now());
    let mut body = String::from("<h1>Customer phone</h1>");
    if pending.is_empty() {
        let _ = write!(
            body,
            "<div class=\"card\"><p class=\"none\">No requests are waiting. This page looks again every {LIST_REFRESH_SECONDS} seconds.</p></div>"
        );
    }
    for view in &pending {
        body.push_str(&card(view, false));
    }
    page(
        StatusCode::OK,
        "Customer phone",
        &body,
        Some(LIST_REFRESH_SECONDS),
    )
}

/// `GET /identity/ciba?requestId=…`: one request, as a pickup customer sees it.
pub(crate) async fn pickup(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = query.get("requestId").filter(|id| !id.is_empty()) else {
        return message_page(
            StatusCode::BAD_REQUEST,
            "No request",
            "This link does not name a request (requestId is missing).",
        );
    };
    let Some(view) = app.requests.view(id, Instant::now()) else {
        return message_page(
            StatusCode::NOT_FOUND,
            "Request not found",
            "There is no such request. It may have been answered and forgotten, or the link is incomplete.",
        );
    };
    match view.status {
        Status::Pending => page(
            StatusCode::OK,
            "Confirm your identity",
            &format!("<h1>Confirm your identity</h1>{}", card(&view, true)),
            Some(PICKUP_REFRESH_SECONDS),
        ),
        Status::Approved { .. } | Status::Delivered => message_page(
            StatusCode::OK,
            "Approved",
            "You approved this request. You can close this page.",
        ),
        Status::Denied => message_page(
            StatusCode::OK,
            "Denied",
            "You denied this request. You can close this page.",
        ),
        Status::Expired => message_page(
            StatusCode::GONE,
            "Request expired",
            "This request has expired. Ask for a new one.",
        ),
        Status::Cancelled => message_page(StatusCode::GONE, "Request withdrawn", WITHDRAWN),
    }
}

/// `POST /device/{id}/approve|deny`, then back to the page the button was on.
pub(crate) async fn decide(
    State(app): State<Arc<App>>,
    Path((id, decision)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Ok(decision) = decision.parse::<Decision>() else {
        return message_page(StatusCode::NOT_FOUND, "Not found", "There is no such page.");
    };
    let back_to_pickup =
        url::form_urlencoded::parse(&body).any(|(k, v)| k == "return" && v == "pickup");
    match app
        .requests
        .decide(&id, decision, Instant::now(), unix_now())
    {
        Ok(person) => {
            tracing::info!(auth_req_id = %short_id(&id), person = person.sub, %decision, "decided on the phone page");
            let to = if back_to_pickup {
                format!("/identity/ciba?requestId={}", encode(&id))
            } else {
                "/device".to_owned()
            };
            Redirect::to(&to).into_response()
        }
        Err(DecideError::Unknown) => message_page(
            StatusCode::NOT_FOUND,
            "Request not found",
            "There is no such request.",
        ),
        Err(DecideError::Expired) => message_page(
            StatusCode::GONE,
            "Request expired",
            "This request expired before you answered.",
        ),
        Err(DecideError::AlreadyDecided(Status::Cancelled)) => {
            message_page(StatusCode::GONE, "Request withdrawn", WITHDRAWN)
        }
        Err(DecideError::AlreadyDecided(_)) => message_page(
            StatusCode::CONFLICT,
            "Already answered",
            "This request has already been answered.",
        ),
    }
}

/// One request with its binding message and the two buttons.
fn card(view: &RequestView, back_to_pickup: bool) -> String {
    let id = escape(&encode(&view.auth_req_id));
    let message = match &view.binding_message {
        Some(m) => format!("<p class=\"message\">{}</p>", escape(m)),
        None => "<p class=\"none\">No binding message was sent.</p>".to_owned(),
    };
    let back = if back_to_pickup {
        "<input type=\"hidden\" name=\"return\" value=\"pickup\">"
    } else {
        ""
    };
    format!(
        "<div class=\"card\">\
<p class=\"label\">Who is asked</p><p class=\"who\">{name}</p>\
<p class=\"label\">Check that this is what the agent tells you</p>{message}\
<p class=\"left\">{left} left to answer</p>\
<div class=\"actions\">\
<form method=\"post\" action=\"/device/{id}/approve\">{back}<button class=\"approve\" type=\"submit\">Approve</button></form>\
<form method=\"post\" action=\"/device/{id}/deny\">{back}<button class=\"deny\" type=\"submit\">Deny</button></form>\
</div>\
<form method=\"post\" action=\"/device/{id}/mismatch\" class=\"drill\">{back}<button class=\"mismatch\" type=\"submit\">Approve as someone else (training: the agent must see a mismatch)</button></form>\
</div>",
        name = escape(view.person.name),
        left = time_left(view.expires_in.as_secs()),
    )
}

/// Percent-encodes for a path segment or query value (our ids are base64url and pass
/// through unchanged; anything else is encoded rather than trusted).
fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
