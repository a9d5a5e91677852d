//! The authentication request (CIBA Core §7.1) and its acknowledgement (§7.3).

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::error::{CibaError, Result};

/// Who is to be authenticated. CIBA requires exactly one hint; an enum makes "none" and "two"
/// unrepresentable.
#[derive(Clone)]
pub enum Hint {
    /// `login_hint`: an identifier the provider understands (user name, e-mail, national ID, …).
    LoginHint(String),
    /// `login_hint_token`: a token (JWT or provider JSON) that names the user.
    LoginHintToken(String),
    /// `id_token_hint`: a previously issued ID token for the user. It is a token, so it is
    /// treated as a secret.
    IdTokenHint(SecretString),
}

impl fmt::Debug for Hint {
    // Hints are personal data (national ID numbers travel in them): never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Hint::LoginHint(_) => "LoginHint([redacted])",
            Hint::LoginHintToken(_) => "LoginHintToken([redacted])",
            Hint::IdTokenHint(_) => "IdTokenHint([redacted])",
        })
    }
}

/// Parameters the protocol defines itself and that extras must not smuggle in twice, and
/// those that would change what the request means (a request object by reference, claims
/// requested beside the profile's, a nonce CIBA does not use).
const RESERVED: [&str; 18] = [
    "scope",
    "login_hint",
    "login_hint_token",
    "id_token_hint",
    "binding_message",
    "acr_values",
    "requested_expiry",
    "user_code",
    "authorization_details",
    "client_notification_token",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "request",
    "request_uri",
    "claims",
    "nonce",
];

/// A backchannel authentication request, before client authentication is added.
#[derive(Clone, Debug)]
pub struct AuthRequest {
    hint: Hint,
    scopes: Vec<String>,
    binding_message: Option<String>,
    acr_values: Option<String>,
    requested_expiry: Option<u32>,
    user_code: Option<SecretString>,
    authorization_details: Option<Value>,
    client_notification_token: Option<SecretString>,
    extra: Vec<(String, String)>,
}

/// The longest `client_notification_token` CIBA allows (§7.1).
const MAX_NOTIFICATION_TOKEN: usize = 1024;

impl AuthRequest {
    /// A request with scope `openid` for the given user.
    pub fn new(hint: Hint) -> Self {
        Self {
            hint,
            scopes: vec!["openid".into()],
            binding_message: None,
            acr_values: None,
            requested_expiry: None,
            user_code: None,
            authorization_details: None,
            client_notification_token: None,
            extra: vec![],
        }
    }

    /// Replaces the scopes; `openid` is added when missing, because without it this is not
    /// an OpenID request and no ID token comes back.
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        let mut s: Vec<String> = scopes
            .into_iter()
            .map(Into::into)
            .filter(|s| !s.is_empty())
            .collect();
        if !s.iter().any(|x| x == "openid") {
            s.insert(0, "openid".into());
        }
        s.dedup();
        self.scopes = s;
        self
    }

    pub fn binding_message(mut self, m: impl Into<String>) -> Self {
        self.binding_message = Some(m.into());
        self
    }

    pub fn acr_values(mut self, v: impl Into<String>) -> Self {
        self.acr_values = Some(v.into());
        self
    }

    pub fn requested_expiry(mut self, seconds: u32) -> Self {
        self.requested_expiry = Some(seconds);
        self
    }

    pub fn user_code(mut self, code: SecretString) -> Self {
        self.user_code = Some(code);
        self
    }

    /// Rich authorization request details (RFC 9396), e.g. Idura's `phoneAuth`.
    pub fn authorization_details(mut self, details: Value) -> Self {
        self.authorization_details = Some(details);
        self
    }

    /// Ping mode: the bearer token the provider will present when it notifies the client.
    pub fn client_notification_token(mut self, token: SecretString) -> Self {
        self.client_notification_token = Some(token);
        self
    }

    /// A provider-specific parameter. Parameters the protocol defines are refused here, so
    /// an extra cannot override a validated field.
    pub fn extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Result<Self> {
        let name = name.into();
        if RESERVED.contains(&name.as_str()) || name.is_empty() {
            return Err(CibaError::InvalidConfiguration(format!(
                "parameter {name:?} cannot be given as an extra; use its own option"
            )));
        }
        self.extra.push((name, value.into()));
        Ok(self)
    }

    pub fn hint(&self) -> &Hint {
        &self.hint
    }

    pub fn has_binding_message(&self) -> bool {
        self.binding_message
            .as_deref()
            .is_some_and(|m| !m.trim().is_empty())
    }

    pub fn has_notification_token(&self) -> bool {
        self.client_notification_token.is_some()
    }

    pub(crate) fn notification_token(&self) -> Option<&SecretString> {
        self.client_notification_token.as_ref()
    }

    /// Checks what CIBA itself requires of the values, before anything is sent.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(CibaError::InvalidConfiguration(m));
        if self.requested_expiry == Some(0) {
            return bad("requested_expiry must be a positive number of seconds".into());
        }
        if let Some(t) = &self.client_notification_token {
            let t = t.expose_secret();
            // RFC 6750 b64token syntax, which is what travels in "Authorization: Bearer".
            let ok = !t.is_empty()
                && t.len() <= MAX_NOTIFICATION_TOKEN
                && t.trim_end_matches('=')
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
            if !ok {
                return bad(format!(
                    "client_notification_token must be 1 to {MAX_NOTIFICATION_TOKEN} characters of bearer-token syntax"
                ));
            }
        }
        match &self.hint {
            Hint::LoginHint(h) | Hint::LoginHintToken(h) if h.trim().is_empty() => {
                bad("the login hint is empty".into())
            }
            _ => Ok(()),
        }
    }

    /// The request's parameters with their JSON types, as a signed request carries them
    /// (CIBA Core §7.1.1: `requested_expiry` a number, `authorization_details` an array).
    pub(crate) fn parameters(&self) -> Vec<(String, Value)> {
        let mut p: Vec<(String, Value)> = vec![("scope".into(), self.scopes.join(" ").into())];
        match &self.hint {
            Hint::LoginHint(h) => p.push(("login_hint".into(), h.clone().into())),
            Hint::LoginHintToken(h) => p.push(("login_hint_token".into(), h.clone().into())),
            Hint::IdTokenHint(h) => {
                p.push(("id_token_hint".into(), h.expose_secret().to_owned().into()))
            }
        }
        let mut opt = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                p.push((k.into(), v));
            }
        };
        opt(
            "binding_message",
            self.binding_message.clone().map(Value::from),
        );
        opt("acr_values", self.acr_values.clone().map(Value::from));
        opt("requested_expiry", self.requested_expiry.map(Value::from));
        opt(
            "user_code",
            self.user_code
                .as_ref()
                .map(|c| c.expose_secret().to_owned().into()),
        );
        opt("authorization_details", self.authorization_details.clone());
        opt(
            "client_notification_token",
            self.client_notification_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned().into()),
        );
        p.extend(
            self.extra
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into())),
        );
        p
    }

    /// The form fields of the request, without client authentication.
    pub(crate) fn form(&self) -> Vec<(String, String)> {
        self.parameters()
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect()
    }
}

/// The provider's acknowledgement (§7.3).
#[derive(Clone)]
pub struct Acknowledgement {
    pub(crate) auth_req_id: SecretString,
    pub expires_in: Duration,
    /// `None` when the provider sent no `interval`; polling then waits the default 5 s.
    pub interval: Option<Duration>,
    /// Every other field, kept because some carry meaning (Idura's Norwegian BankID returns
    /// `bindingMessage`, the word pair the agent reads aloud).
    pub extra: Map<String, Value>,
}

impl fmt::Debug for Acknowledgement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acknowledgement")
            .field("auth_req_id", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .field("extra", &self.extra)
            .finish()
    }
}

impl Acknowledgement {
    pub(crate) fn parse(endpoint: &str, mut body: Map<String, Value>) -> Result<Self> {
        let malformed = |reason: &str| CibaError::MalformedResponse {
            endpoint: endpoint.into(),
            reason: reason.into(),
        };
        let auth_req_id = match body.remove("auth_req_id") {
            Some(Value::String(s)) if !s.is_empty() => s,
            _ => return Err(malformed("the acknowledgement has no auth_req_id")),
        };
        let expires_in = body
            .remove("expires_in")
            .as_ref()
            .and_then(positive_seconds)
            .ok_or_else(|| malformed("the acknowledgement has no valid expires_in"))?;
        let interval = match body.remove("interval") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                positive_seconds(&v)
                    .ok_or_else(|| malformed("interval is not a positive number"))?,
            ),
        };
        Ok(Self {
            auth_req_id: SecretString::from(auth_req_id),
            expires_in,
            interval,
            extra: body,
        })
    }

    /// The request's identifier at the provider. Opaque, and with the client's credentials it
    /// fetches the customer's tokens, so it is only handed out on request.
    pub fn auth_req_id(&self) -> &SecretString {
        &self.auth_req_id
    }
}

/// Accepts integers and numeric strings (some providers quote numbers).
fn positive_seconds(v: &Value) -> Option<Duration> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (n.is_finite() && n > 0.0 && n < 1e9).then(|| Duration::from_secs(n.ceil() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn form_has_exactly_one_hint_and_openid_scope() {
        let r = AuthRequest::new(Hint::LoginHint("alice".into()))
            .scopes(["profile", "email"])
            .binding_message("Hi 42")
            .acr_values("urn:grn:authn:se:bankid")
            .requested_expiry(120)
            .authorization_details(json!([{"type": "phoneAuth", "callInitiator": "RP"}]))
            .extra("ui_locales", "sv")
            .unwrap();
        let f = r.form();
        let get = |k: &str| {
            f.iter()
                .filter(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("scope"), ["openid profile email"]);
        assert_eq!(get("login_hint"), ["alice"]);
        assert!(get("login_hint_token").is_empty() && get("id_token_hint").is_empty());
        assert_eq!(get("binding_message"), ["Hi 42"]);
        assert_eq!(get("requested_expiry"), ["120"]);
        assert_eq!(
            get("authorization_details"),
            [r#"[{"callInitiator":"RP","type":"phoneAuth"}]"#]
        );
        assert_eq!(get("ui_locales"), ["sv"]);
    }

    #[test]
    fn extras_cannot_override_protocol_fields() {
        let r = AuthRequest::new(Hint::LoginHint("a".into()));
        assert!(r.clone().extra("login_hint", "b").is_err());
        assert!(r.clone().extra("scope", "x").is_err());
        for name in ["request_uri", "claims", "nonce"] {
            assert!(r.clone().extra(name, "x").is_err(), "{name}");
        }
    }

    #[test]
    fn request_values_are_checked() {
        let base = AuthRequest::new(Hint::LoginHint("a".into()));
        assert!(base.clone().requested_expiry(0).validate().is_err());
        assert!(
            base.clone()
                .client_notification_token(SecretString::from("bad token"))
                .validate()
                .is_err()
        );
        assert!(
            base.clone()
                .client_notification_token(SecretString::from("x".repeat(1025)))
                .validate()
                .is_err()
        );
        assert!(
            base.clone()
                .client_notification_token(SecretString::from("abc-DEF_123.~+/=="))
                .validate()
                .is_ok()
        );
        assert!(
            AuthRequest::new(Hint::LoginHint("  ".into()))
                .validate()
                .is_err()
        );
    }

    #[test]
    fn acknowledgement_keeps_unknown_fields_and_defaults_interval() {
        let a = Acknowledgement::parse(
            "e",
            json!({"auth_req_id": "abc", "expires_in": 900, "bindingMessage": "blue house"})
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap();
        assert_eq!(a.expires_in, Duration::from_secs(900));
        assert_eq!(a.interval, None);
        assert_eq!(a.extra["bindingMessage"], "blue house");
        assert!(!format!("{a:?}").contains("abc"));
        let e = Acknowledgement::parse("e", json!({"expires_in": 5}).as_object().unwrap().clone());
        assert!(e.is_err());
        let s = Acknowledgement::parse(
            "e",
            json!({"auth_req_id": "x", "expires_in": "120", "interval": "3"})
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap();
        assert_eq!(s.interval, Some(Duration::from_secs(3)));
    }

    #[test]
    fn hints_are_never_printed() {
        let h = Hint::LoginHint("191212121212".into());
        assert!(!format!("{h:?}").contains("1212"));
    }
}
