//! Signed authentication requests (CIBA Core §7.1.1): every parameter travels as a claim of a
//! JWT the client signs with its private key, so the provider can tell who asked and that no
//! one changed the request on the way (FAPI-CIBA requires it).

use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use crate::backchannel::AuthRequest;
use crate::client_auth::{SigningKey, algorithm_name, fresh_jti};
use crate::error::{CibaError, Result};

/// The algorithms a request may be signed with, best first. RS256 only when the provider
/// advertises neither of the others.
pub const REQUEST_ALGORITHMS: [&str; 3] = ["PS256", "ES256", "RS256"];

/// How long a signed request is valid. CIBA allows up to 60 minutes; the request is sent the
/// moment it is signed, so five cover any clock difference without making a captured request
/// worth much.
pub(crate) const LIFETIME_SECS: u64 = 300;

/// `key` set to the algorithm this provider takes for signed requests: PS256 or ES256 when it
/// advertises them (or advertises nothing), RS256 only when it advertises RS256 and nothing
/// better. Anything else is refused with the algorithms the provider named. Under FAPI
/// (`fapi`) RS256 is never chosen.
pub(crate) fn key_for_provider(
    key: &SigningKey,
    advertised: &[String],
    fapi: bool,
) -> Result<SigningKey> {
    let offered = |alg: &str| advertised.is_empty() || advertised.iter().any(|a| a == alg);
    let candidates: &[Algorithm] =
        if fapi || advertised.iter().any(|a| a == "PS256" || a == "ES256") || advertised.is_empty()
        {
            &[Algorithm::PS256, Algorithm::ES256]
        } else {
            &[Algorithm::RS256]
        };
    candidates
        .iter()
        .filter(|alg| offered(algorithm_name(**alg)))
        .find_map(|alg| key.with_algorithm(*alg))
        .ok_or_else(|| {
            let theirs = if advertised.is_empty() {
                "nothing".to_owned()
            } else {
                advertised.join(", ")
            };
            CibaError::InvalidConfiguration(format!(
                "the provider takes signed requests with {theirs}, and this client's key cannot sign any of them the way CIBA Desk allows (PS256 or RS256 with an RSA key, ES256 with a P-256 key; RS256 only when the provider offers neither PS256 nor ES256)"
            ))
        })
}

/// The `request` JWT for `req`: the parameters as claims, with `iss` the client, `aud` the
/// provider's issuer, and `iat`, `nbf`, `exp` and a fresh `jti` (`now` in Unix seconds).
pub(crate) fn sign(
    req: &AuthRequest,
    key: &SigningKey,
    client_id: &str,
    issuer: &str,
    now: u64,
) -> Result<String> {
    let mut claims: Map<String, Value> = req.parameters().into_iter().collect();
    for (name, value) in [
        ("iss", Value::from(client_id)),
        ("aud", Value::from(issuer)),
        ("iat", Value::from(now)),
        ("nbf", Value::from(now)),
        ("exp", Value::from(now + LIFETIME_SECS)),
        ("jti", Value::from(fresh_jti())),
    ] {
        claims.insert(name.into(), value);
    }
    key.sign(&Value::Object(claims), "authentication request")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backchannel::Hint;
    use jsonwebtoken::{DecodingKey, Validation};
    use secrecy::SecretString;

    const RSA: &str = include_str!("../../testkit/fixtures/rsa1.pem");
    const EC: &str = include_str!("../../testkit/fixtures/ec1.pem");

    fn key(pem: &str) -> SigningKey {
        SigningKey::from_pem(&SecretString::from(pem), None, Some("k1".into())).unwrap()
    }

    fn algs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rsa_keys_sign_ps256_unless_the_provider_offers_only_rs256() {
        let rsa = key(RSA);
        let pick = |a: &[&str]| key_for_provider(&rsa, &algs(a), false).map(|k| k.algorithm());
        assert_eq!(pick(&[]).unwrap(), Algorithm::PS256);
        assert_eq!(pick(&["RS256", "PS256"]).unwrap(), Algorithm::PS256);
        assert_eq!(pick(&["RS256"]).unwrap(), Algorithm::RS256);
        // The provider wants ES256 only: an RSA key cannot, and RS256 is not offered.
        assert!(pick(&["ES256"]).is_err());
        // RS256 is never the choice when something better is offered, even if the key
        // cannot do the better one.
        assert!(pick(&["RS256", "ES256"]).is_err());
    }

    #[test]
    fn under_fapi_rs256_is_never_chosen() {
        let e = key_for_provider(&key(RSA), &algs(&["RS256"]), true).unwrap_err();
        assert!(e.to_string().contains("RS256"), "{e}");
        let k = key_for_provider(&key(RSA), &algs(&["RS256", "PS256"]), true).unwrap();
        assert_eq!(k.algorithm(), Algorithm::PS256);
    }

    #[test]
    fn ec_keys_sign_es256() {
        let ec = key(EC);
        let pick = |a: &[&str]| key_for_provider(&ec, &algs(a), false).map(|k| k.algorithm());
        assert_eq!(pick(&[]).unwrap(), Algorithm::ES256);
        assert_eq!(pick(&["PS256", "ES256"]).unwrap(), Algorithm::ES256);
        assert!(pick(&["PS256"]).is_err());
    }

    #[test]
    fn algorithms_outside_the_allow_list_are_refused_by_name() {
        for offered in [&["HS256"][..], &["none"], &["EdDSA", "ES512"]] {
            let e = key_for_provider(&key(RSA), &algs(offered), false).unwrap_err();
            let text = e.to_string();
            assert!(text.contains(&offered.join(", ")), "{text}");
        }
    }

    #[test]
    fn every_parameter_is_a_claim_beside_the_jwt_claims() {
        let req = AuthRequest::new(Hint::LoginHint("alice".into()))
            .binding_message("Counter 3")
            .acr_values("urn:x")
            .requested_expiry(120)
            .authorization_details(serde_json::json!([{"type": "phoneAuth"}]))
            .extra("ui_locales", "sv")
            .unwrap();
        let k = key_for_provider(&key(RSA), &[], false).unwrap();
        let jwt = sign(&req, &k, "client-1", "https://op.example", 1_000).unwrap();
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_str(include_str!("../../testkit/fixtures/rsa1.jwk.json")).unwrap();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.alg, Algorithm::PS256);
        assert_eq!(header.kid.as_deref(), Some("k1"));
        let mut v = Validation::new(Algorithm::PS256);
        v.validate_exp = false;
        v.set_audience(&["https://op.example"]);
        let claims: Value = jsonwebtoken::decode(&jwt, &DecodingKey::from_jwk(&jwk).unwrap(), &v)
            .expect("signed with the client's key")
            .claims;
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["aud"], "https://op.example");
        assert_eq!(claims["iat"], 1_000);
        assert_eq!(claims["nbf"], 1_000);
        assert_eq!(claims["exp"], 1_000 + LIFETIME_SECS);
        assert_eq!(claims["scope"], "openid");
        assert_eq!(claims["login_hint"], "alice");
        assert_eq!(claims["binding_message"], "Counter 3");
        assert_eq!(claims["requested_expiry"], 120);
        assert_eq!(claims["authorization_details"][0]["type"], "phoneAuth");
        assert_eq!(claims["ui_locales"], "sv");
        let again = sign(&req, &k, "client-1", "https://op.example", 1_000).unwrap();
        assert_ne!(jwt, again, "each request gets its own jti");
    }
}
