//! `POST /token`: the CIBA grant (CIBA Core §10–11).

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::discovery::CIBA_GRANT;
use super::{App, short_id, unix_now};
use crate::client_auth;
use crate::id_token::{self, Grant, TOKEN_LIFETIME, random_token};
use crate::oauth::{OAuthError, Params, no_store};
use crate::state::PollOutcome;

pub(crate) async fn token(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match answer(&app, &headers, &body) {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

fn answer(app: &App, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    let params = Params::from_form(headers, body)?;
    client_auth::authenticate(headers, &params)?;
    match params.get("grant_type") {
        None => return Err(OAuthError::invalid_request("grant_type is required")),
        Some(CIBA_GRANT) => {}
        Some(_) => {
            return Err(OAuthError::bad_request(
                "unsupported_grant_type",
                format!("the sandbox only issues tokens for the CIBA grant, {CIBA_GRANT}"),
            ));
        }
    }
    let auth_req_id = params
        .get("auth_req_id")
        .ok_or_else(|| OAuthError::invalid_request("auth_req_id is required"))?;
    let outcome = app.requests.poll(auth_req_id, Instant::now());
    let refuse = |error, description: &str| Err(OAuthError::bad_request(error, description));
    let (person, auth_time) = match outcome {
        PollOutcome::Pending => {
            return refuse("authorization_pending", "the customer has not answered yet");
        }
        PollOutcome::SlowDown { interval } => {
            tracing::info!(auth_req_id = %short_id(auth_req_id), interval = interval.as_secs(), "slow_down");
            return refuse(
                "slow_down",
                &format!(
                    "polled too soon; wait at least {} s between polls",
                    interval.as_secs()
                ),
            );
        }
        PollOutcome::Expired => {
            return refuse(
                "expired_token",
                "the request expired before the customer answered; send a new one",
            );
        }
        PollOutcome::Denied => return refuse("access_denied", "the customer denied the request"),
        PollOutcome::InvalidGrant(why) => return refuse("invalid_grant", why),
        PollOutcome::Approved { person, auth_time } => (person, auth_time),
    };
    let access_token = random_token();
    let grant = Grant {
        issuer: &app.issuer,
        person,
        auth_time,
        auth_req_id,
        access_token: &access_token,
        now: unix_now(),
    };
    let id_token = id_token::sign(&app.key, &grant).map_err(|e| {
        tracing::error!(error = %e, "cannot sign the ID token");
        OAuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the sandbox could not sign the ID token",
        )
    })?;
    tracing::info!(auth_req_id = %short_id(auth_req_id), person = person.sub, "tokens issued");
    let body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME,
        "id_token": id_token,
    });
    Ok((StatusCode::OK, no_store(), Json(body)).into_response())
}
