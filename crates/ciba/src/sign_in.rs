//! Signing a person in from a native app (RFC 8252): the authorization-code flow with PKCE
//! (RFC 7636, S256 only) and a loopback redirect, then refresh tokens. The desktop uses it to
//! sign agents in with their organisation's provider; CIBA itself does not need it.
//!
//! The app opens the system browser at [`AuthorizationRequest::url`], receives the provider's
//! redirect on its own loopback port, hands the query to [`AuthorizationRequest::code_from`],
//! and redeems the code with [`redeem_code`]. The ID token is verified as fully as a CIBA one
//! (signature, algorithm allow-list, `iss`, `aud`, times) and, besides, must carry this
//! request's `nonce`.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

use crate::clock::Clock;
use crate::discovery::{doc_strings, doc_url, fetch_document_checked};
use crate::error::{CibaError, Result};
use crate::http::{Endpoint, Http, endpoint_name};
use crate::id_token::{Binding, IdTokenVerifier, VerifiedIdToken};
use crate::jwks::JwksCache;

/// What a provider publishes for signing people in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInMetadata {
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub jwks_uri: Url,
    pub id_token_signing_alg_values_supported: Vec<String>,
}

/// Discovers `issuer` for signing people in: it must offer PKCE with S256 (a provider that
/// says nothing about PKCE is taken at its word that it supports it, as many do).
pub async fn discover_sign_in(http: &Http, issuer: &str) -> Result<SignInMetadata> {
    let doc = fetch_document_checked(http, issuer).await?;
    let required = |field: &'static str| {
        doc_url(issuer, &doc, field)?.ok_or(CibaError::IncompleteDiscovery { field })
    };
    let methods = doc_strings(&doc, "code_challenge_methods_supported");
    if !methods.is_empty() && !methods.iter().any(|m| m == "S256") {
        return Err(CibaError::InvalidConfiguration(format!(
            "the sign-in provider {issuer} does not offer PKCE with S256 (it offers {}), which a desktop app needs to sign in safely",
            methods.join(", ")
        )));
    }
    Ok(SignInMetadata {
        issuer: issuer.to_owned(),
        authorization_endpoint: required("authorization_endpoint")?,
        token_endpoint: required("token_endpoint")?,
        jwks_uri: required("jwks_uri")?,
        id_token_signing_alg_values_supported: doc_strings(
            &doc,
            "id_token_signing_alg_values_supported",
        ),
    })
}

/// 32 random bytes, URL-safe base64: 43 characters, enough for a PKCE verifier, a state or a
/// nonce.
fn random_word() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// The S256 code challenge of a verifier (RFC 7636 §4.2).
pub fn code_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// One sign-in attempt: the URL the browser opens and what the answer must match.
pub struct AuthorizationRequest {
    url: Url,
    client_id: String,
    redirect_uri: String,
    state: String,
    nonce: String,
    verifier: SecretString,
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl AuthorizationRequest {
    /// A request for `scopes` (`openid` is always asked for) that comes back to
    /// `redirect_uri`, the app's own loopback listener.
    pub fn new(
        meta: &SignInMetadata,
        client_id: &str,
        redirect_uri: &str,
        scopes: &[String],
    ) -> Self {
        let verifier = random_word();
        let state = random_word();
        let nonce = random_word();
        let mut scope: Vec<&str> = vec!["openid"];
        scope.extend(scopes.iter().map(String::as_str).filter(|s| *s != "openid"));
        let mut url = meta.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &scope.join(" "))
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &code_challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        Self {
            url,
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            state,
            nonce,
            verifier: SecretString::from(verifier),
        }
    }

    /// Where the browser goes.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The code from the redirect's query, once it is this request's answer: the same `state`
    /// (else it answers another request, or none), and no `error`.
    pub fn code_from(&self, query: &str) -> Result<SecretString> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if get("state") != Some(self.state.as_str()) {
            return Err(CibaError::SignIn(
                "the answer that reached this app does not belong to its sign-in (its state differs); start signing in again".into(),
            ));
        }
        if let Some(error) = get("error") {
            let detail = get("error_description")
                .map(crate::http::provider_text)
                .unwrap_or_default();
            return Err(CibaError::SignIn(match error {
                "access_denied" => format!(
                    "sign-in was refused or cancelled at the provider{}",
                    colon(&detail)
                ),
                other => format!(
                    "the sign-in provider answered {}{}",
                    crate::http::provider_text(other),
                    colon(&detail)
                ),
            }));
        }
        match get("code") {
            Some(c) if !c.is_empty() => Ok(SecretString::from(c.to_owned())),
            _ => Err(CibaError::SignIn(
                "the sign-in provider sent no authorization code".into(),
            )),
        }
    }
}

fn colon(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

/// What a token endpoint gave a signed-in person.
pub struct SignInTokens {
    pub access_token: SecretString,
    /// Absent when the provider gives none, or (on a refresh) keeps the old one valid.
    pub refresh_token: Option<SecretString>,
    /// Seconds, as the provider said.
    pub expires_in: Option<u64>,
    /// Verified, when the answer had one (a refresh answer may not).
    pub id_token: Option<VerifiedIdToken>,
}

impl fmt::Debug for SignInTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInTokens")
            .field("tokens", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

impl SignInTokens {
    /// The person's name as the ID token gives it: `name`, else `preferred_username`, else
    /// `email`, else the subject.
    pub fn display_name(&self) -> Option<String> {
        let t = self.id_token.as_ref()?;
        let claim = |k: &str| {
            t.claims
                .get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        claim("name")
            .or_else(|| claim("preferred_username"))
            .or_else(|| claim("email"))
            .or_else(|| Some(t.standard.sub.clone()))
    }
}

/// Verifies the sign-in provider's ID tokens for one client.
pub struct SignInClient {
    http: Http,
    meta: SignInMetadata,
    client_id: String,
    scopes: Vec<String>,
    verifier: IdTokenVerifier,
}

impl fmt::Debug for SignInClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInClient")
            .field("issuer", &self.meta.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl SignInClient {
    /// Discovers the provider; `client_id` is the app's public client there.
    pub async fn discover(http: Http, issuer: &str, client_id: &str) -> Result<Self> {
        let meta = discover_sign_in(&http, issuer).await?;
        let jwks = Arc::new(JwksCache::new(meta.jwks_uri.clone()));
        let verifier = IdTokenVerifier::new(
            &meta.issuer,
            client_id,
            &meta.id_token_signing_alg_values_supported,
            jwks,
        )?;
        Ok(Self {
            http,
            meta,
            client_id: client_id.to_owned(),
            scopes: vec![],
            verifier,
        })
    }

    /// The scopes asked for besides `openid`.
    pub fn with_scopes(mut self, scopes: Vec<String>) -> Self {
        self.scopes = scopes;
        self
    }

    pub fn metadata(&self) -> &SignInMetadata {
        &self.meta
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// A new sign-in attempt that comes back to `redirect_uri`.
    pub fn authorization_request(&self, redirect_uri: &str) -> AuthorizationRequest {
        AuthorizationRequest::new(&self.meta, &self.client_id, redirect_uri, &self.scopes)
    }

    /// Redeems the code of `request` (with its PKCE verifier); the ID token must be there,
    /// valid, and carry the request's nonce.
    pub async fn redeem_code(
        &self,
        clock: &dyn Clock,
        request: &AuthorizationRequest,
        code: &SecretString,
    ) -> Result<SignInTokens> {
        let form = vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code.expose_secret().to_owned()),
            ("redirect_uri".to_owned(), request.redirect_uri.clone()),
            ("client_id".to_owned(), self.client_id.clone()),
            (
                "code_verifier".to_owned(),
                request.verifier.expose_secret().to_owned(),
            ),
        ];
        let tokens = self.token_request(clock, &form).await?;
        let Some(id) = &tokens.id_token else {
            return Err(CibaError::MalformedResponse {
                endpoint: endpoint_name(&self.meta.token_endpoint),
                reason: "the sign-in answer has no id_token (was scope openid granted?)".into(),
            });
        };
        if id.claims.get("nonce").and_then(Value::as_str) != Some(request.nonce.as_str()) {
            return Err(CibaError::SignIn(
                "the sign-in provider's ID token does not carry this sign-in's nonce; it may be replayed from another sign-in".into(),
            ));
        }
        Ok(tokens)
    }

    /// New tokens for a refresh token. `invalid_grant` means the session is over.
    pub async fn refresh(
        &self,
        clock: &dyn Clock,
        refresh_token: &SecretString,
    ) -> Result<SignInTokens> {
        let form = vec![
            ("grant_type".to_owned(), "refresh_token".to_owned()),
            (
                "refresh_token".to_owned(),
                refresh_token.expose_secret().to_owned(),
            ),
            ("client_id".to_owned(), self.client_id.clone()),
        ];
        self.token_request(clock, &form).await
    }

    async fn token_request(
        &self,
        clock: &dyn Clock,
        form: &[(String, String)],
    ) -> Result<SignInTokens> {
        let url = &self.meta.token_endpoint;
        let resp = self
            .http
            .post_form(Endpoint::Token, url, form, None)
            .await?;
        let body = resp.json(url)?;
        if let Some(err) = resp.oauth_error(&body) {
            return Err(match err.error.as_str() {
                "invalid_grant" => CibaError::InvalidGrant(err),
                "invalid_client" => CibaError::InvalidClient(err),
                "unauthorized_client" => CibaError::UnauthorizedClient(err),
                _ => CibaError::Provider(err),
            });
        }
        if !(200..300).contains(&resp.status) {
            return Err(CibaError::UnexpectedResponse {
                endpoint: endpoint_name(url),
                status: resp.status,
                what: "JSON without an error code".into(),
            });
        }
        self.tokens(clock, body).await
    }

    async fn tokens(
        &self,
        clock: &dyn Clock,
        mut body: Map<String, Value>,
    ) -> Result<SignInTokens> {
        let mut secret = |k: &str| match body.remove(k) {
            Some(Value::String(s)) if !s.is_empty() => Some(SecretString::from(s)),
            _ => None,
        };
        let access_token = secret("access_token").ok_or_else(|| CibaError::MalformedResponse {
            endpoint: endpoint_name(&self.meta.token_endpoint),
            reason: "the sign-in answer has no access_token".into(),
        })?;
        let refresh_token = secret("refresh_token");
        let id_token = secret("id_token");
        let expires_in = body.get("expires_in").and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        });
        let id_token = match id_token {
            Some(t) => Some(
                self.verifier
                    .verify(
                        &self.http,
                        clock,
                        t.expose_secret(),
                        &Binding {
                            access_token: Some(access_token.expose_secret()),
                            ..Binding::default()
                        },
                    )
                    .await?,
            ),
            None => None,
        };
        Ok(SignInTokens {
            access_token,
            refresh_token,
            expires_in,
            id_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> SignInMetadata {
        SignInMetadata {
            issuer: "https://login.example.com".into(),
            authorization_endpoint: Url::parse("https://login.example.com/authorize?tenant=a")
                .unwrap(),
            token_endpoint: Url::parse("https://login.example.com/token").unwrap(),
            jwks_uri: Url::parse("https://login.example.com/jwks").unwrap(),
            id_token_signing_alg_values_supported: vec!["RS256".into()],
        }
    }

    #[test]
    fn the_challenge_is_rfc_7636s_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn the_request_asks_for_a_code_with_pkce_and_keeps_the_providers_query() {
        let r = AuthorizationRequest::new(
            &meta(),
            "desk-app",
            "http://127.0.0.1:4711/callback",
            &["agent".into(), "openid".into(), "offline_access".into()],
        );
        let q: std::collections::HashMap<String, String> =
            r.url().query_pairs().into_owned().collect();
        assert_eq!(q["tenant"], "a");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "desk-app");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:4711/callback");
        assert_eq!(q["scope"], "openid agent offline_access");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(
            q["code_challenge"],
            code_challenge(r.verifier.expose_secret())
        );
        assert_eq!(q["state"].len(), 43);
        assert_ne!(q["state"], q["nonce"]);
        assert!(!r.url().as_str().contains(r.verifier.expose_secret()));
        // Two attempts share nothing.
        let other = AuthorizationRequest::new(&meta(), "desk-app", "x", &[]);
        assert_ne!(other.state, r.state);
        assert_ne!(other.verifier.expose_secret(), r.verifier.expose_secret());
    }

    #[test]
    fn only_this_requests_answer_gives_a_code() {
        let r = AuthorizationRequest::new(&meta(), "desk-app", "x", &[]);
        let state = r.state.clone();
        let code = r.code_from(&format!("code=abc&state={state}")).unwrap();
        assert_eq!(code.expose_secret(), "abc");
        let e = r.code_from("code=abc&state=other").unwrap_err().to_string();
        assert!(e.contains("does not belong"), "{e}");
        assert!(r.code_from("code=abc").is_err());
        let e = r
            .code_from(&format!(
                "error=access_denied&error_description=No+thanks&state={state}"
            ))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("refused or cancelled") && e.contains("No thanks"),
            "{e}"
        );
        let e = r
            .code_from(&format!("state={state}"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no authorization code"), "{e}");
    }
}
