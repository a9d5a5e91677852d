//! A JSON control API for tests and automation: `GET /sandbox/requests` lists waiting
//! requests, `POST /sandbox/requests/{id}/approve|deny|mismatch` answers one.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{App, short_id, unix_now};
use crate::config::Decision;
use crate::state::{DecideError, Status};

pub(crate) async fn list(State(app): State<Arc<App>>) -> Json<Value> {
    let issuer = &app.issuer;
    let requests: Vec<Value> = app
        .requests
        .pending(Instant::now())
        .into_iter()
        .map(|v| {
            json!({
                "auth_req_id": v.auth_req_id,
                "login_hint": v.person.masked_hint(),
                "sub": v.person.sub,
                "name": v.person.name,
                "binding_message": v.binding_message,
                "expires_in_s": v.expires_in.as_secs(),
                "pickup_url": format!("{issuer}/identity/ciba?requestId={}", v.auth_req_id),
            })
        })
        .collect();
    Json(json!({ "requests": requests }))
}

pub(crate) async fn decide(
    State(app): State<Arc<App>>,
    Path((id, decision)): Path<(String, String)>,
) -> Response {
    let Ok(decision) = decision.parse::<Decision>() else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "use .../approve, .../deny or .../mismatch",
        );
    };
    match app
        .requests
        .decide(&id, decision, Instant::now(), unix_now())
    {
        Ok(person) => {
            tracing::info!(auth_req_id = %short_id(&id), person = person.sub, %decision, "decided through the control API");
            let status = match decision {
                Decision::Approve => "approved",
                Decision::Deny => "denied",
                Decision::Mismatch => "approved_as_someone_else",
            };
            Json(json!({"auth_req_id": id, "status": status, "sub": person.sub})).into_response()
        }
        Err(DecideError::Unknown) => error(StatusCode::NOT_FOUND, "not_found", "no such request"),
        Err(DecideError::Expired) => error(StatusCode::GONE, "expired", "the request has expired"),
        Err(DecideError::AlreadyDecided(Status::Cancelled)) => error(
            StatusCode::CONFLICT,
            "cancelled",
            "the client withdrew the request; it can no longer be answered",
        ),
        Err(DecideError::AlreadyDecided(_)) => error(
            StatusCode::CONFLICT,
            "already_decided",
            "the request has already been answered",
        ),
    }
}

/// `POST /sandbox/proof` with a form field `nonce`: proves that this listener is the sandbox
/// that wrote the run's proof file (a client reads the file and checks the answer), so a
/// desk never sends a national ID to some other program holding the port.
pub(crate) async fn proof(State(app): State<Arc<App>>, body: axum::body::Bytes) -> Response {
    let nonce = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "nonce")
        .map(|(_, v)| v.into_owned())
        .filter(|n| (16..=128).contains(&n.len()));
    match nonce {
        Some(nonce) => {
            Json(json!({"proof": crate::proof::answer(&app.proof_token, &nonce)})).into_response()
        }
        None => error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send a nonce of 16 to 128 characters",
        ),
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"error": code, "message": message}))).into_response()
}
