//! Client authentication at the backchannel and token endpoints: `client_secret_basic` or
//! `client_secret_post`, with the sandbox's one public training client.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::oauth::{OAuthError, Params};

/// The sandbox's client id. Public: the sandbox is for training, demos and tests.
pub const CLIENT_ID: &str = "ciba-desk";

/// The sandbox's client secret. **Public and documented on purpose** — the sandbox asserts
/// no real identity, so there is nothing for the secret to protect; it exists so that client
/// authentication is exercised exactly as with a real provider.
pub const CLIENT_SECRET: &str = "sandbox-secret";

/// How the client authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    SecretBasic,
    SecretPost,
}

/// Checks the request's client authentication; `Ok` only for the sandbox client.
pub(crate) fn authenticate(headers: &HeaderMap, params: &Params) -> Result<Method, OAuthError> {
    if params.get("client_assertion").is_some() {
        return Err(OAuthError::invalid_client(
            "the sandbox accepts client_secret_basic and client_secret_post only",
        ));
    }
    let basic = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => Some(parse_basic(value.to_str().unwrap_or(""))?),
    };
    let (method, id, secret) = match (basic, params.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not both HTTP Basic and client_secret",
            ));
        }
        (Some((id, secret)), None) => {
            if params.get("client_id").is_some_and(|form_id| form_id != id) {
                return Err(OAuthError::invalid_client(
                    "client_id in the form differs from the one in the Authorization header",
                ));
            }
            (Method::SecretBasic, id, secret)
        }
        (None, Some(secret)) => {
            let id = params.get("client_id").ok_or_else(|| {
                OAuthError::invalid_client("client_secret was sent without client_id")
            })?;
            (Method::SecretPost, id.to_owned(), secret.to_owned())
        }
        (None, None) => {
            return Err(OAuthError::invalid_client(format!(
                "client authentication is required: client_id \"{CLIENT_ID}\" with the sandbox secret, by HTTP Basic or in the form"
            )));
        }
    };
    if id != CLIENT_ID {
        return Err(OAuthError::invalid_client(format!(
            "unknown client; the sandbox's client is \"{CLIENT_ID}\""
        )));
    }
    if !same_secret(&secret, CLIENT_SECRET) {
        return Err(OAuthError::invalid_client("wrong client secret"));
    }
    Ok(method)
}

/// RFC 6749 §2.3.1: `Basic base64(urlencode(id) ":" urlencode(secret))`.
fn parse_basic(value: &str) -> Result<(String, String), OAuthError> {
    let malformed =
        || OAuthError::invalid_client("the Authorization header is not valid HTTP Basic");
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(
            "the Authorization header must use the Basic scheme",
        ));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let text = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = text.split_once(':').ok_or_else(malformed)?;
    Ok((form_decode(id), form_decode(secret)))
}

fn form_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Compares digests so the time taken says nothing about the secret (a habit worth keeping,
/// even for a public one).
fn same_secret(given: &str, expected: &str) -> bool {
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn form(body: &str) -> Params {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        Params::from_form(&h, body.as_bytes()).unwrap()
    }

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
        h.insert(header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn accepts_basic_and_post() {
        assert_eq!(
            authenticate(&basic("ciba-desk", "sandbox-secret"), &form("")),
            Ok(Method::SecretBasic)
        );
        assert_eq!(
            authenticate(
                &HeaderMap::new(),
                &form("client_id=ciba-desk&client_secret=sandbox-secret")
            ),
            Ok(Method::SecretPost)
        );
        // Form-urlencoded before Base64, as RFC 6749 says.
        assert_eq!(
            authenticate(&basic("ciba%2Ddesk", "sandbox%2Dsecret"), &form("")),
            Ok(Method::SecretBasic)
        );
    }

    #[test]
    fn refuses_wrong_missing_or_double_credentials() {
        let err = |h: HeaderMap, f: &str| authenticate(&h, &form(f)).unwrap_err();
        assert_eq!(err(basic("ciba-desk", "wrong"), "").error, "invalid_client");
        assert_eq!(
            err(basic("other", "sandbox-secret"), "").error,
            "invalid_client"
        );
        assert_eq!(err(HeaderMap::new(), "").error, "invalid_client");
        assert_eq!(
            err(HeaderMap::new(), "client_id=ciba-desk").error,
            "invalid_client"
        );
        assert_eq!(
            err(HeaderMap::new(), "client_id=ciba-desk&client_secret=nope").status,
            axum::http::StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            err(
                basic("ciba-desk", "sandbox-secret"),
                "client_secret=sandbox-secret"
            )
            .error,
            "invalid_request"
        );
        let mut bearer = HeaderMap::new();
        bearer.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(err(bearer, "").error, "invalid_client");
    }
}
