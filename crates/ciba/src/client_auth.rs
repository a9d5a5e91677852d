//! Client authentication at the backchannel and token endpoints: `client_secret_basic`,
//! `client_secret_post` and `private_key_jwt` (OpenID Connect Core §9, RFC 7523), and the two
//! mutual-TLS methods of RFC 8705 (`tls_client_auth`, `self_signed_tls_client_auth`), where
//! the certificate in the handshake is the proof. The same method is used at both endpoints.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use secrecy::zeroize::{Zeroize as _, Zeroizing};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{CibaError, Result};
use crate::mtls::ClientCertificate;

/// How the client proves who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    #[default]
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    /// A certificate from a certificate authority the provider trusts (RFC 8705 §2.1).
    TlsClientAuth,
    /// A self-signed certificate registered with the provider (RFC 8705 §2.2).
    SelfSignedTlsClientAuth,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::TlsClientAuth => "tls_client_auth",
            AuthMethod::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        }
    }

    /// Whether the client proves itself with a shared secret (no key or certificate of its own).
    pub fn uses_client_secret(self) -> bool {
        matches!(
            self,
            AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
        )
    }

    /// Whether the client proves itself with a certificate in the TLS handshake.
    pub fn is_mutual_tls(self) -> bool {
        matches!(
            self,
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth
        )
    }
}

/// Every method, for lists and messages.
pub const AUTH_METHODS: [AuthMethod; 5] = [
    AuthMethod::ClientSecretBasic,
    AuthMethod::ClientSecretPost,
    AuthMethod::PrivateKeyJwt,
    AuthMethod::TlsClientAuth,
    AuthMethod::SelfSignedTlsClientAuth,
];

impl std::str::FromStr for AuthMethod {
    type Err = CibaError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            "client_secret_post" => Ok(Self::ClientSecretPost),
            "private_key_jwt" => Ok(Self::PrivateKeyJwt),
            "tls_client_auth" => Ok(Self::TlsClientAuth),
            "self_signed_tls_client_auth" => Ok(Self::SelfSignedTlsClientAuth),
            other => Err(CibaError::InvalidConfiguration(format!(
                "unknown client authentication method {other:?} (use {})",
                AUTH_METHODS.map(AuthMethod::as_str).join(", ")
            ))),
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A private key for `private_key_jwt`. It can sign, and that is all: no `Debug` output, no
/// accessor for the key material.
#[derive(Clone)]
pub struct SigningKey {
    key: EncodingKey,
    alg: Algorithm,
    kid: Option<String>,
    rsa: bool,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// The algorithms a client assertion may use (FAPI allows PS256 and ES256; RS256 is what most
/// providers expect).
pub const ASSERTION_ALGORITHMS: [&str; 3] = ["RS256", "PS256", "ES256"];

impl SigningKey {
    /// Reads a PKCS#8 PEM key. `alg` defaults to RS256 for RSA keys and ES256 for P-256 keys;
    /// PS256 must be asked for.
    pub fn from_pem(pem: &SecretString, alg: Option<&str>, kid: Option<String>) -> Result<Self> {
        let bytes = pem.expose_secret().as_bytes();
        let rsa = EncodingKey::from_rsa_pem(bytes);
        let ec = EncodingKey::from_ec_pem(bytes);
        let is_rsa = rsa.is_ok();
        let (key, alg) = match (rsa, ec, alg) {
            (Ok(k), _, None | Some("RS256")) => (k, Algorithm::RS256),
            (Ok(k), _, Some("PS256")) => (k, Algorithm::PS256),
            (_, Ok(k), None | Some("ES256")) => (k, Algorithm::ES256),
            (Err(_), Err(_), _) => {
                return Err(CibaError::InvalidPrivateKey(
                    "not an RSA or P-256 private key in PKCS#8 PEM form (convert other formats with `openssl pkcs8 -topk8 -nocrypt`)"
                        .into(),
                ));
            }
            (_, _, Some(a)) => {
                return Err(CibaError::InvalidPrivateKey(format!(
                    "the key does not fit algorithm {a} (RSA keys sign RS256 or PS256, P-256 keys ES256)"
                )));
            }
        };
        // Sign once now, so a key that parses but cannot sign fails at configuration time.
        jsonwebtoken::encode(&Header::new(alg), &serde_json::json!({}), &key)
            .map_err(|e| CibaError::InvalidPrivateKey(format!("cannot sign with it: {e}")))?;
        Ok(Self {
            key,
            alg,
            kid,
            rsa: is_rsa,
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The algorithm's JOSE name.
    pub(crate) fn algorithm_name(&self) -> &'static str {
        algorithm_name(self.alg)
    }

    /// The same key signing with `alg`, when the key's type can (RSA: RS256 and PS256;
    /// P-256: ES256).
    pub(crate) fn with_algorithm(&self, alg: Algorithm) -> Option<Self> {
        let fits = match alg {
            Algorithm::RS256 | Algorithm::PS256 => self.rsa,
            Algorithm::ES256 => !self.rsa,
            _ => false,
        };
        fits.then(|| Self {
            alg,
            ..self.clone()
        })
    }

    /// A JWT of `claims` with this key's algorithm and `kid`; `what` names it in the error.
    pub(crate) fn sign(&self, claims: &serde_json::Value, what: &str) -> Result<String> {
        let mut header = Header::new(self.alg);
        header.kid = self.kid.clone();
        jsonwebtoken::encode(&header, claims, &self.key)
            .map_err(|e| CibaError::InvalidPrivateKey(format!("signing the {what} failed: {e}")))
    }
}

/// A client's credentials, bound to one authentication method so that a secret can never be
/// sent the wrong way.
#[derive(Clone)]
pub enum ClientAuth {
    SecretBasic {
        client_id: String,
        secret: SecretString,
    },
    SecretPost {
        client_id: String,
        secret: SecretString,
    },
    PrivateKeyJwt {
        client_id: String,
        key: SigningKey,
    },
    /// `tls_client_auth` or `self_signed_tls_client_auth`: the certificate authenticates the
    /// client; `request_key`, when there is one, signs its authentication requests.
    MutualTls {
        client_id: String,
        self_signed: bool,
        certificate: ClientCertificate,
        request_key: Option<SigningKey>,
    },
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ClientAuth({}, client_id={:?}, [redacted])",
            self.method(),
            self.client_id()
        )
    }
}

/// What a request carries to authenticate the client. Both parts hold the secret (or a
/// signed assertion) in plain text, so both are wiped from memory when dropped.
#[derive(Default)]
pub(crate) struct AuthParts {
    pub form: SecretForm,
    pub authorization: Option<Zeroizing<String>>,
}

impl AuthParts {
    pub fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref().map(String::as_str)
    }
}

/// Form fields that may carry a secret, wiped from memory when dropped.
#[derive(Default)]
pub(crate) struct SecretForm(pub Vec<(String, String)>);

impl SecretForm {
    /// Adds `other`'s fields; `other` is left empty (and wipes nothing twice).
    pub fn append(&mut self, other: &mut SecretForm) {
        self.0.append(&mut other.0);
    }

    fn wipe(&mut self) {
        for (name, value) in &mut self.0 {
            name.zeroize();
            value.zeroize();
        }
        self.0.clear();
    }
}

impl Drop for SecretForm {
    fn drop(&mut self) {
        self.wipe();
    }
}

/// How long a client assertion lives: long enough for one request, short enough to be useless
/// if captured.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(60);

impl ClientAuth {
    pub fn client_id(&self) -> &str {
        match self {
            ClientAuth::SecretBasic { client_id, .. }
            | ClientAuth::SecretPost { client_id, .. }
            | ClientAuth::PrivateKeyJwt { client_id, .. }
            | ClientAuth::MutualTls { client_id, .. } => client_id,
        }
    }

    /// The client's private key for signing: its assertion key, or a mutual-TLS client's
    /// request-signing key.
    pub(crate) fn signing_key(&self) -> Option<&SigningKey> {
        match self {
            ClientAuth::PrivateKeyJwt { key, .. } => Some(key),
            ClientAuth::MutualTls { request_key, .. } => request_key.as_ref(),
            _ => None,
        }
    }

    /// The certificate a mutual-TLS client shows in the handshake.
    pub fn client_certificate(&self) -> Option<&ClientCertificate> {
        match self {
            ClientAuth::MutualTls { certificate, .. } => Some(certificate),
            _ => None,
        }
    }

    pub fn method(&self) -> AuthMethod {
        match self {
            ClientAuth::SecretBasic { .. } => AuthMethod::ClientSecretBasic,
            ClientAuth::SecretPost { .. } => AuthMethod::ClientSecretPost,
            ClientAuth::PrivateKeyJwt { .. } => AuthMethod::PrivateKeyJwt,
            ClientAuth::MutualTls {
                self_signed: false, ..
            } => AuthMethod::TlsClientAuth,
            ClientAuth::MutualTls {
                self_signed: true, ..
            } => AuthMethod::SelfSignedTlsClientAuth,
        }
    }

    /// The form fields and header that authenticate one request. `audience` is the
    /// provider's issuer identifier, which providers accept as the assertion's audience at
    /// every endpoint; `now` is Unix time in seconds.
    pub(crate) fn parts(&self, audience: &str, now: u64) -> Result<AuthParts> {
        Ok(match self {
            ClientAuth::SecretBasic { client_id, secret } => AuthParts {
                form: SecretForm::default(),
                authorization: Some(basic_header(client_id, secret.expose_secret())),
            },
            ClientAuth::SecretPost { client_id, secret } => AuthParts {
                form: SecretForm(vec![
                    ("client_id".into(), client_id.clone()),
                    ("client_secret".into(), secret.expose_secret().to_owned()),
                ]),
                authorization: None,
            },
            ClientAuth::PrivateKeyJwt { client_id, key } => AuthParts {
                form: SecretForm(vec![
                    ("client_id".into(), client_id.clone()),
                    (
                        "client_assertion_type".into(),
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                    ),
                    (
                        "client_assertion".into(),
                        assertion(client_id, key, audience, now)?,
                    ),
                ]),
                authorization: None,
            },
            // The handshake proved who the client is; the form only says which client it is.
            ClientAuth::MutualTls { client_id, .. } => AuthParts {
                form: SecretForm(vec![("client_id".into(), client_id.clone())]),
                authorization: None,
            },
        })
    }
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded *before* Base64, which matters for
/// secrets with `:`, `+`, `/` or `=` (Signaturgruppen's demo secret has all of them).
pub(crate) fn basic_header(client_id: &str, secret: &str) -> Zeroizing<String> {
    let enc = |s: &str| {
        Zeroizing::new(url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>())
    };
    let pair = Zeroizing::new(format!("{}:{}", *enc(client_id), *enc(secret)));
    Zeroizing::new(format!("Basic {}", STANDARD.encode(pair.as_bytes())))
}

fn assertion(client_id: &str, key: &SigningKey, audience: &str, now: u64) -> Result<String> {
    let claims = serde_json::json!({
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": fresh_jti(),
        "iat": now,
        "exp": now + ASSERTION_LIFETIME.as_secs(),
    });
    key.sign(&claims, "client assertion")
}

/// The JOSE name of an algorithm a [`SigningKey`] can have (RS256, PS256 or ES256).
pub(crate) fn algorithm_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::PS256 => "PS256",
        Algorithm::ES256 => "ES256",
        _ => "RS256",
    }
}

/// A JWT id no one can guess or repeat: 128 random bits.
pub(crate) fn fresh_jti() -> String {
    let mut jti = [0u8; 16];
    rand::rng().fill_bytes(&mut jti);
    URL_SAFE_NO_PAD.encode(jti)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_form_encodes_before_base64() {
        // RFC 6749 §2.3.1 example shape: "+" and "/" and "=" are percent-encoded first.
        let h = basic_header("62b8cc03-aa73", "a+b/c=d:e f");
        let decoded = STANDARD.decode(h.strip_prefix("Basic ").unwrap()).unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "62b8cc03-aa73:a%2Bb%2Fc%3Dd%3Ae+f"
        );
    }

    #[test]
    fn form_fields_with_the_secret_are_wiped_not_just_dropped() {
        let auth = ClientAuth::SecretPost {
            client_id: "client".into(),
            secret: SecretString::from("hunter2-very-secret"),
        };
        let mut parts = auth.parts("https://idp.example", 0).unwrap();
        let mut form = SecretForm(vec![("scope".into(), "openid".into())]);
        form.append(&mut parts.form);
        assert!(
            parts.form.0.is_empty(),
            "moved, so no second copy is left behind"
        );
        assert_eq!(form.0[2].1, "hunter2-very-secret");
        // Wiping overwrites the bytes in place before letting go of them.
        let value_ptr = form.0[2].1.as_ptr();
        let len = form.0[2].1.len();
        let (_, value) = &mut form.0[2];
        value.zeroize();
        // SAFETY: the String still owns its buffer (zeroize clears the length, not the
        // allocation), so these `len` bytes are valid to read.
        let bytes = unsafe { std::slice::from_raw_parts(value_ptr, len) };
        assert!(
            bytes.iter().all(|b| *b == 0),
            "the secret's bytes are zeroes"
        );
        form.wipe();
        assert!(form.0.is_empty());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let a = ClientAuth::SecretBasic {
            client_id: "client".into(),
            secret: SecretString::from("hunter2-very-secret"),
        };
        let s = format!("{a:?}");
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains("client_secret_basic"));
    }

    #[test]
    fn non_keys_are_refused_in_words() {
        let e = SigningKey::from_pem(&SecretString::from("not a key"), None, None).unwrap_err();
        assert!(e.to_string().contains("PKCS#8"), "{e}");
    }

    #[test]
    fn auth_method_names_round_trip() {
        for m in AUTH_METHODS {
            assert_eq!(m.as_str().parse::<AuthMethod>().unwrap(), m);
        }
        assert!("client_secret_jwt".parse::<AuthMethod>().is_err());
    }
}
