//! One CIBA token request (CIBA Core §10.1) and what it can answer (§11).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use url::Url;

use crate::client_auth::{ClientAuth, SecretForm};
use crate::discovery::CIBA_GRANT_TYPE;
use crate::error::{CibaError, ProviderError, Result};
use crate::http::{Endpoint, Http, endpoint_name};

/// The tokens, as secrets. Only the verified identity ever leaves the backend.
pub struct TokenResponse {
    pub id_token: SecretString,
    pub access_token: Option<SecretString>,
    pub refresh_token: Option<SecretString>,
    pub token_type: Option<String>,
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("tokens", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}

/// What one poll learned.
#[derive(Debug)]
pub(crate) enum PollAnswer {
    Tokens(TokenResponse),
    Pending,
    SlowDown,
}

pub(crate) async fn request_token(
    http: &Http,
    endpoint: &Url,
    auth: &ClientAuth,
    issuer: &str,
    now: u64,
    auth_req_id: &SecretString,
) -> Result<PollAnswer> {
    let mut parts = auth.parts(issuer, now)?;
    let mut form = SecretForm(vec![
        ("grant_type".to_owned(), CIBA_GRANT_TYPE.to_owned()),
        (
            "auth_req_id".to_owned(),
            auth_req_id.expose_secret().to_owned(),
        ),
    ]);
    form.append(&mut parts.form);
    let resp = http
        .post_form(Endpoint::Token, endpoint, &form.0, parts.authorization())
        .await?;
    let body = resp.json(endpoint)?;
    if let Some(err) = resp.oauth_error(&body) {
        return classify(err);
    }
    if !(200..300).contains(&resp.status) {
        return Err(CibaError::UnexpectedResponse {
            endpoint: endpoint_name(endpoint),
            status: resp.status,
            what: "JSON without an error code".into(),
        });
    }
    parse_tokens(&endpoint_name(endpoint), body).map(PollAnswer::Tokens)
}

fn classify(err: ProviderError) -> Result<PollAnswer> {
    match err.error.as_str() {
        "authorization_pending" => Ok(PollAnswer::Pending),
        "slow_down" => Ok(PollAnswer::SlowDown),
        "expired_token" => Err(CibaError::Expired),
        "access_denied" => Err(CibaError::AuthorizationDenied(err)),
        "invalid_grant" => Err(CibaError::InvalidGrant(err)),
        "invalid_client" => Err(CibaError::InvalidClient(err)),
        "unauthorized_client" => Err(CibaError::UnauthorizedClient(err)),
        _ => Err(CibaError::Provider(err)),
    }
}

fn parse_tokens(endpoint: &str, mut body: Map<String, Value>) -> Result<TokenResponse> {
    let mut secret = |k: &str| match body.remove(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(SecretString::from(s)),
        _ => None,
    };
    let id_token = secret("id_token").ok_or_else(|| CibaError::MalformedResponse {
        endpoint: endpoint.into(),
        reason: "the token response has no id_token (was scope openid granted?)".into(),
    })?;
    let access_token = secret("access_token");
    let refresh_token = secret("refresh_token");
    let expires_in = body.get("expires_in").and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    });
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(TokenResponse {
        id_token,
        access_token,
        refresh_token,
        token_type: text("token_type"),
        expires_in,
        scope: text("scope"),
    })
}
