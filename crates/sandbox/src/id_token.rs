//! The token response for an approved request: a random access token and an ES256 ID token
//! about the test person.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::client_auth::CLIENT_ID;
use crate::keys::SigningKey;
use crate::persons::Person;

/// Lifetime of the access token and the ID token, in seconds.
pub(crate) const TOKEN_LIFETIME: u64 = 300;
/// The `acr` of every sandbox ID token: nothing real was checked.
pub(crate) const ACR: &str = "urn:ciba-desk:sandbox";
const AUTH_REQ_ID_CLAIM: &str = "urn:openid:params:jwt:claim:auth_req_id";
/// Marks every sandbox ID token as one about a test person.
pub const SANDBOX_CLAIM: &str = "ciba_desk_sandbox";

/// What is signed into one ID token.
pub(crate) struct Grant<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) person: &'a Person,
    pub(crate) auth_time: u64,
    pub(crate) auth_req_id: &'a str,
    pub(crate) access_token: &'a str,
    pub(crate) now: u64,
}

/// The ID token's claims (OpenID Connect Core §2, CIBA Core §10.1.1).
pub(crate) fn claims(grant: &Grant<'_>) -> Value {
    let p = grant.person;
    let mut claims = json!({
        "iss": grant.issuer,
        "sub": p.sub,
        "aud": CLIENT_ID,
        "iat": grant.now,
        "exp": grant.now + TOKEN_LIFETIME,
        "auth_time": grant.auth_time,
        "acr": ACR,
        "amr": ["sandbox"],
        "at_hash": half_hash(grant.access_token),
        AUTH_REQ_ID_CLAIM: grant.auth_req_id,
        "name": p.name,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "birthdate": p.birthdate,
        "country": p.country.code().to_ascii_uppercase(),
        // Whatever profile a desk reads this with, the result is marked as training.
        SANDBOX_CLAIM: true,
    });
    if let Some(ssn) = p.ssn {
        claims["ssn"] = ssn.into();
    }
    if let Some(email) = p.email {
        claims["email"] = email.into();
        claims["email_verified"] = true.into();
    }
    claims
}

pub(crate) fn sign(
    key: &SigningKey,
    grant: &Grant<'_>,
) -> Result<String, jsonwebtoken::errors::Error> {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(key.kid().to_owned());
    jsonwebtoken::encode(&header, &claims(grant), key.encoding_key())
}

/// 32 random bytes, base64url: access tokens and `auth_req_id`s.
pub(crate) fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// OpenID Connect Core §3.3.2.11 for ES256: left half of SHA-256, base64url.
fn half_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persons::find_person;

    #[test]
    fn at_hash_follows_the_spec() {
        // OpenID Connect Core, Appendix A.3 (SHA-256 as for ES256).
        assert_eq!(
            half_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn claims_name_the_person_and_the_request() {
        let grant = Grant {
            issuer: "http://127.0.0.1:7878",
            person: find_person("19121212-1212").unwrap(),
            auth_time: 90,
            auth_req_id: "req",
            access_token: "at",
            now: 100,
        };
        let c = claims(&grant);
        assert_eq!(c["ssn"], "191212121212");
        assert_eq!(c["aud"], "ciba-desk");
        assert_eq!(c["exp"], 400);
        assert_eq!(c["auth_time"], 90);
        assert_eq!(c["country"], "SE");
        assert_eq!(c[AUTH_REQ_ID_CLAIM], "req");
        assert!(c.get("email").is_none());

        let anna = Grant {
            person: find_person("anna@example.com").unwrap(),
            ..grant
        };
        let c = claims(&anna);
        assert_eq!(c["email"], "anna@example.com");
        assert!(c.get("ssn").is_none());
    }

    #[test]
    fn random_tokens_differ() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
    }
}
