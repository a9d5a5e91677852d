//! OAuth on the wire: form-encoded request bodies and `{error, error_description}` answers.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The parameters of a form-encoded request body, each present at most once.
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// No form at all (a `DELETE`): only the `Authorization` header can authenticate.
    pub(crate) fn none() -> Self {
        Self(vec![])
    }

    /// Parses an `application/x-www-form-urlencoded` body.
    pub(crate) fn from_form(headers: &HeaderMap, body: &[u8]) -> Result<Self, OAuthError> {
        let form_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form_type {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
        let mut params: Vec<(String, String)> = Vec::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if params.iter().any(|(n, _)| *n == name) {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {name} appears more than once"
                )));
            }
            params.push((name.into_owned(), value.into_owned()));
        }
        Ok(Self(params))
    }

    /// A parameter's value; an empty value counts as absent (RFC 6749 §3.1).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }
}

/// An OAuth error response (RFC 6749 §5.2, CIBA Core §13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OAuthError {
    pub(crate) status: StatusCode,
    pub(crate) error: &'static str,
    pub(crate) description: String,
}

impl OAuthError {
    pub(crate) fn new(
        status: StatusCode,
        error: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }

    pub(crate) fn bad_request(error: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, description)
    }

    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::bad_request("invalid_request", description)
    }

    pub(crate) fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        let mut response = (self.status, no_store(), axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"ciba-desk-sandbox\""),
            );
        }
        response
    }
}

/// Token and error responses must not be cached (RFC 6749 §5.1).
pub(crate) fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
        );
        h
    }

    #[test]
    fn parses_forms_and_treats_empty_values_as_absent() {
        let p = Params::from_form(&form_headers(), b"scope=openid+profile&login_hint=&x=a%26b")
            .unwrap();
        assert_eq!(p.get("scope"), Some("openid profile"));
        assert_eq!(p.get("login_hint"), None);
        assert_eq!(p.get("x"), Some("a&b"));
    }

    #[test]
    fn repeated_parameters_and_other_content_types_are_refused() {
        let e = Params::from_form(&form_headers(), b"scope=openid&scope=openid").unwrap_err();
        assert_eq!(e.error, "invalid_request");
        assert!(e.description.contains("scope"));
        let e = Params::from_form(&HeaderMap::new(), b"scope=openid").unwrap_err();
        assert_eq!(e.error, "invalid_request");
    }
}
