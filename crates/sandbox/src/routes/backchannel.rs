//! `POST /ciba/auth`: the backchannel authentication request (CIBA Core §7).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{App, short_id, unix_now};
use crate::client_auth;
use crate::id_token::random_token;
use crate::oauth::{OAuthError, Params, no_store};
use crate::persons::{Person, find_person};
use crate::state::{DecideError, NewRequest, POLL_INTERVAL, granted_expiry};

/// The longest binding message, in characters.
pub(crate) const MAX_BINDING_MESSAGE: usize = 64;

pub(crate) async fn authenticate(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match accept(&app, &headers, &body) {
        Ok(response) => response,
        Err(e) => {
            tracing::info!(
                error = e.error,
                "backchannel authentication request refused"
            );
            e.into_response()
        }
    }
}

fn accept(app: &App, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    let params = Params::from_form(headers, body)?;
    client_auth::authenticate(headers, &params)?;
    let request = validate(&params)?;
    let expires_in = request.expires_in;
    let auth_req_id = random_token();
    let person_sub = request.person.sub;
    app.requests
        .insert(
            NewRequest {
                auth_req_id: auth_req_id.clone(),
                ..request
            },
            Instant::now(),
            unix_now(),
        )
        .map_err(|_| {
            OAuthError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the sandbox holds too many requests; wait for some to expire",
            )
        })?;
    tracing::info!(
        auth_req_id = %short_id(&auth_req_id),
        person = person_sub,
        expires_in = expires_in.as_secs(),
        "authentication request accepted"
    );
    let body = json!({
        "auth_req_id": auth_req_id,
        "expires_in": expires_in.as_secs(),
        "interval": POLL_INTERVAL.as_secs(),
    });
    Ok((StatusCode::OK, no_store(), Json(body)).into_response())
}

/// `DELETE /ciba/auth/{auth_req_id}`: the client withdraws its request (as Signaturgruppen's
/// broker allows), with HTTP Basic client authentication. The customer's phone then shows
/// it as withdrawn and it can no longer be approved.
pub(crate) async fn cancel(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = client_auth::authenticate(&headers, &Params::none()) {
        return e.into_response();
    }
    match app.requests.cancel(&id, Instant::now()) {
        Ok(()) => {
            tracing::info!(auth_req_id = %short_id(&id), "withdrawn by the client");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(DecideError::Unknown) => {
            OAuthError::bad_request("invalid_request", "unknown auth_req_id").into_response()
        }
        Err(_) => OAuthError::new(
            StatusCode::CONFLICT,
            "invalid_request",
            "the tokens for this request were already issued; it cannot be withdrawn",
        )
        .into_response(),
    }
}

/// Checks the parameters in the order CIBA Core §7.1 and §13 list them. The returned
/// request's `auth_req_id` is still empty.
fn validate(params: &Params) -> Result<NewRequest, OAuthError> {
    if params.get("request").is_some() {
        return Err(OAuthError::invalid_request(
            "signed authentication requests (request) are not supported by the sandbox; send the parameters as form fields",
        ));
    }
    let scope = params
        .get("scope")
        .ok_or_else(|| OAuthError::invalid_request("scope is required and must contain openid"))?;
    if !scope.split_ascii_whitespace().any(|s| s == "openid") {
        return Err(OAuthError::bad_request(
            "invalid_scope",
            "scope must contain openid",
        ));
    }
    if params.get("client_notification_token").is_some() {
        return Err(OAuthError::invalid_request(
            "the sandbox supports poll mode only; leave out client_notification_token",
        ));
    }
    let person = person_from_hints(params)?;
    let binding_message = binding_message(params.get("binding_message"))?;
    let expires_in: Duration =
        granted_expiry(params.get("requested_expiry")).map_err(OAuthError::invalid_request)?;
    Ok(NewRequest {
        auth_req_id: String::new(),
        person,
        binding_message,
        expires_in,
    })
}

fn person_from_hints(params: &Params) -> Result<&'static Person, OAuthError> {
    let login_hint = params.get("login_hint");
    let login_hint_token = params.get("login_hint_token");
    let id_token_hint = params.get("id_token_hint");
    let count = [login_hint, login_hint_token, id_token_hint]
        .iter()
        .filter(|h| h.is_some())
        .count();
    if count != 1 {
        return Err(OAuthError::invalid_request(
            "send exactly one of login_hint, login_hint_token and id_token_hint",
        ));
    }
    if login_hint_token.is_some() {
        return Err(OAuthError::invalid_request(
            "the sandbox does not support login_hint_token; send a login_hint (a test person's national ID or e-mail)",
        ));
    }
    if id_token_hint.is_some() {
        return Err(OAuthError::invalid_request(
            "the sandbox does not support id_token_hint; send a login_hint (a test person's national ID or e-mail)",
        ));
    }
    let hint = login_hint.unwrap_or_default();
    find_person(hint).ok_or_else(|| {
        OAuthError::bad_request(
            "unknown_user_id",
            "no sandbox test person has this login hint; use one of the test persons (for example 19121212-1212 or anna@example.com)",
        )
    })
}

/// At most 64 characters, no control characters; empty counts as absent.
pub(crate) fn binding_message(message: Option<&str>) -> Result<Option<String>, OAuthError> {
    let Some(message) = message else {
        return Ok(None);
    };
    let invalid = |reason: String| OAuthError::bad_request("invalid_binding_message", reason);
    let length = message.chars().count();
    if length > MAX_BINDING_MESSAGE {
        return Err(invalid(format!(
            "binding_message is {length} characters; the sandbox shows at most {MAX_BINDING_MESSAGE}"
        )));
    }
    if message.chars().any(char::is_control) {
        return Err(invalid(
            "binding_message must not contain control characters such as line breaks".into(),
        ));
    }
    Ok(Some(message.to_owned()))
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, header};

    use super::*;

    fn params(body: &str) -> Params {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        Params::from_form(&h, body.as_bytes()).unwrap()
    }

    fn error(body: &str) -> &'static str {
        validate(&params(body)).err().expect(body).error
    }

    #[test]
    fn a_valid_request() {
        let r = validate(&params(
            "scope=openid&login_hint=19121212-1212&binding_message=Order+42&requested_expiry=60",
        ))
        .unwrap();
        assert_eq!(r.person.sub, "sandbox-1");
        assert_eq!(r.binding_message.as_deref(), Some("Order 42"));
        assert_eq!(r.expires_in, Duration::from_secs(60));
    }

    #[test]
    fn refusals() {
        assert_eq!(error("login_hint=19121212-1212"), "invalid_request");
        assert_eq!(
            error("scope=profile&login_hint=19121212-1212"),
            "invalid_scope"
        );
        assert_eq!(error("scope=openid"), "invalid_request");
        assert_eq!(
            error("scope=openid&login_hint=19121212-1212&id_token_hint=x"),
            "invalid_request"
        );
        assert_eq!(error("scope=openid&login_hint_token=x"), "invalid_request");
        assert_eq!(
            error("scope=openid&login_hint=19121212-1213"),
            "unknown_user_id"
        );
        assert_eq!(
            error("scope=openid&login_hint=19121212-1212&requested_expiry=0"),
            "invalid_request"
        );
        assert_eq!(
            error("scope=openid&login_hint=19121212-1212&client_notification_token=abc"),
            "invalid_request"
        );
    }

    #[test]
    fn binding_messages_are_limited_to_64_characters() {
        let ok = "å".repeat(64);
        assert_eq!(binding_message(Some(&ok)).unwrap(), Some(ok.clone()));
        let long = format!("{ok}x");
        assert_eq!(
            binding_message(Some(&long)).unwrap_err().error,
            "invalid_binding_message"
        );
        assert_eq!(
            binding_message(Some("two\nlines")).unwrap_err().error,
            "invalid_binding_message"
        );
        assert_eq!(binding_message(None).unwrap(), None);
    }
}
