//! ID token verification (OpenID Connect Core §3.1.3.7, CIBA Core §10.1.1). Configured once
//! per provider, applied to every token. Each check that fails names itself.

use std::collections::BTreeSet;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::clock::Clock;
use crate::error::{CibaError, Result, ValidationFailure as F};
use crate::http::Http;
use crate::jwks::JwksCache;

/// The asymmetric algorithms this client can verify. `none` and HMAC are absent on purpose:
/// an unsigned token proves nothing, and an HMAC "signed" with a public key is the classic
/// algorithm-confusion forgery.
pub const SAFE_ALGORITHMS: [&str; 9] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

/// Clock skew tolerated on `exp`, `iat` and `nbf`; never more than this.
pub const MAX_LEEWAY_SECS: u64 = 60;

/// The standard claims, typed; provider-specific ones stay in [`VerifiedIdToken::claims`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StandardClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub exp: u64,
    pub iat: u64,
    pub auth_time: Option<u64>,
    pub acr: Option<String>,
    pub amr: Vec<String>,
    pub azp: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub birthdate: Option<String>,
}

/// A token that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedIdToken {
    pub algorithm: String,
    pub standard: StandardClaims,
    /// Every claim as the provider sent it.
    pub claims: Map<String, Value>,
}

/// What the token must be bound to, besides the provider and client.
#[derive(Default)]
pub struct Binding<'a> {
    pub access_token: Option<&'a str>,
    pub refresh_token: Option<&'a str>,
    pub auth_req_id: Option<&'a str>,
    /// When the request this token answers was sent (Unix seconds): a token issued, or an
    /// authentication made, before it (beyond the clock-skew leeway) is not its answer.
    pub requested_at: Option<u64>,
}

#[derive(Debug)]
pub struct IdTokenVerifier {
    issuer: String,
    client_id: String,
    allowed: Vec<Algorithm>,
    leeway: u64,
    jwks: Arc<JwksCache>,
    /// Accepted `typ` header values (compared without case and without `application/`); a
    /// token without `typ` is accepted.
    types: Vec<String>,
}

/// The `typ` values an ID token may carry (RFC 7519 §5.1: `JWT`).
pub const ID_TOKEN_TYPES: &[&str] = &["JWT"];

impl IdTokenVerifier {
    /// `advertised` is the provider's `id_token_signing_alg_values_supported`; the allow-list
    /// is its intersection with [`SAFE_ALGORITHMS`] (all of them when the provider says nothing).
    pub fn new(
        issuer: &str,
        client_id: &str,
        advertised: &[String],
        jwks: Arc<JwksCache>,
    ) -> Result<Self> {
        let allowed: Vec<Algorithm> = SAFE_ALGORITHMS
            .iter()
            .filter(|a| advertised.is_empty() || advertised.iter().any(|x| x == *a))
            .filter_map(|a| a.parse().ok())
            .collect();
        if allowed.is_empty() {
            return Err(CibaError::InvalidConfiguration(format!(
                "the provider signs ID tokens only with {advertised:?}; none of these is accepted (allowed: {})",
                SAFE_ALGORITHMS.join(", ")
            )));
        }
        Ok(Self {
            issuer: issuer.into(),
            client_id: client_id.into(),
            allowed,
            leeway: MAX_LEEWAY_SECS,
            jwks,
            types: ID_TOKEN_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        })
    }

    /// Accepts only the algorithms of `algs` from those allowed so far (a profile such as
    /// FAPI that narrows the list).
    pub(crate) fn restrict_to(mut self, algs: &[&str]) -> Result<Self> {
        self.allowed
            .retain(|a| algs.iter().any(|x| x.parse::<Algorithm>().ok() == Some(*a)));
        if self.allowed.is_empty() {
            return Err(CibaError::InvalidConfiguration(format!(
                "no ID token algorithm is left that both the provider and this client accept ({})",
                algs.join(", ")
            )));
        }
        Ok(self)
    }

    /// Accepts tokens whose `typ` is one of `types` (or absent) instead of ID tokens' `JWT`:
    /// for verifying JWT access tokens (`at+jwt`, RFC 9068) with the same rules.
    pub fn with_types(mut self, types: &[&str]) -> Self {
        self.types = types.iter().map(|t| (*t).to_owned()).collect();
        self
    }

    /// Sets a smaller clock-skew tolerance; larger values are capped at 60 s.
    pub fn with_leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds.min(MAX_LEEWAY_SECS);
        self
    }

    pub async fn verify(
        &self,
        http: &Http,
        clock: &dyn Clock,
        token: &str,
        binding: &Binding<'_>,
    ) -> Result<VerifiedIdToken> {
        let parts: Vec<&str> = token.split('.').collect();
        let [h64, c64, sig] = parts[..] else {
            return Err(F::Malformed.into());
        };
        let header = decode_part(h64)?;
        // RFC 7515 §4.1.11: a token whose critical extensions are not understood is invalid,
        // and this verifier understands none.
        if let Some(crit) = header.get("crit") {
            return Err(F::CriticalHeader {
                names: crit.to_string(),
            }
            .into());
        }
        if let Some(typ) = header.get("typ") {
            let found = typ.as_str().unwrap_or_default();
            let bare = found
                .get(..12)
                .filter(|p| p.eq_ignore_ascii_case("application/"))
                .map_or(found, |_| &found[12..]);
            if !self.types.iter().any(|t| t.eq_ignore_ascii_case(bare)) {
                return Err(F::WrongType {
                    found: typ.to_string(),
                }
                .into());
            }
        }
        let alg_name = header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let alg = self.check_algorithm(&alg_name)?;
        let kid = header.get("kid").and_then(Value::as_str);

        let candidates = self.jwks.keys_for(http, clock, kid).await?;
        let usable: Vec<&Jwk> = candidates
            .iter()
            .filter(|k| key_fits(k, alg).is_ok())
            .collect();
        if usable.is_empty() {
            return Err(match candidates.first() {
                Some(k) => F::KeyMismatch {
                    kid: kid.map(str::to_owned),
                    alg: alg_name,
                    reason: key_fits(k, alg).unwrap_err(),
                },
                None => F::UnknownKey {
                    kid: kid.map(str::to_owned),
                },
            }
            .into());
        }
        let message = format!("{h64}.{c64}");
        let verified = usable.iter().any(|jwk| {
            DecodingKey::from_jwk(jwk)
                .and_then(|key| jsonwebtoken::crypto::verify(sig, message.as_bytes(), &key, alg))
                .unwrap_or(false)
        });
        if !verified {
            return Err(F::BadSignature.into());
        }

        let claims = decode_part(c64)?;
        let standard = self.check_claims(&claims, clock.unix_time())?;
        if let Some(requested) = binding.requested_at {
            let earliest = requested.saturating_sub(self.leeway);
            if standard.iat < earliest {
                return Err(F::IssuedBeforeRequest {
                    seconds_before: requested - standard.iat,
                }
                .into());
            }
            if let Some(auth_time) = standard.auth_time
                && auth_time < earliest
            {
                return Err(F::AuthenticatedBeforeRequest {
                    seconds_before: requested - auth_time,
                }
                .into());
            }
        }
        check_hash(
            &claims,
            "at_hash",
            binding.access_token,
            alg,
            F::AtHashMismatch,
        )?;
        check_hash(
            &claims,
            "urn:openid:params:jwt:claim:rt_hash",
            binding.refresh_token,
            alg,
            F::RtHashMismatch,
        )?;
        if let (Some(Value::String(c)), Some(expected)) = (
            claims.get("urn:openid:params:jwt:claim:auth_req_id"),
            binding.auth_req_id,
        ) && c != expected
        {
            return Err(F::AuthReqIdMismatch.into());
        }
        Ok(VerifiedIdToken {
            algorithm: alg_name,
            standard,
            claims,
        })
    }

    fn check_algorithm(&self, name: &str) -> Result<Algorithm, F> {
        if name.is_empty() || name.eq_ignore_ascii_case("none") {
            return Err(F::Unsigned);
        }
        if name.starts_with("HS") {
            return Err(F::SymmetricAlgorithm(name.into()));
        }
        name.parse::<Algorithm>()
            .ok()
            .filter(|a| self.allowed.contains(a))
            .ok_or_else(|| F::AlgorithmNotAllowed {
                alg: name.into(),
                allowed: self
                    .allowed
                    .iter()
                    .map(|a| format!("{a:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    fn check_claims(&self, c: &Map<String, Value>, now: u64) -> Result<StandardClaims, F> {
        let iss = string(c, "iss").ok_or(F::MissingClaim("iss"))?;
        if iss != self.issuer {
            return Err(F::WrongIssuer {
                expected: self.issuer.clone(),
                found: iss,
            });
        }
        let aud: Vec<String> = match c.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => return Err(F::MissingClaim("aud")),
        };
        if !aud.contains(&self.client_id) {
            return Err(F::WrongAudience {
                client_id: self.client_id.clone(),
                found: aud,
            });
        }
        let azp = string(c, "azp");
        match &azp {
            Some(a) if *a != self.client_id => {
                return Err(F::WrongAzp {
                    client_id: self.client_id.clone(),
                    found: a.clone(),
                });
            }
            None if aud.iter().collect::<BTreeSet<_>>().len() > 1 => return Err(F::MissingAzp),
            _ => {}
        }
        let iat = timestamp(c, "iat")?.ok_or(F::MissingClaim("iat"))?;
        let exp = expiry(c, iat)?.ok_or(F::MissingClaim("exp"))?;
        if now > exp.saturating_add(self.leeway) {
            return Err(F::Expired {
                seconds_ago: now - exp,
                leeway: self.leeway,
            });
        }
        if iat > now.saturating_add(self.leeway) {
            return Err(F::IssuedInFuture {
                seconds_ahead: iat - now,
            });
        }
        if let Some(nbf) = timestamp(c, "nbf")?
            && nbf > now.saturating_add(self.leeway)
        {
            return Err(F::NotYetValid {
                seconds_ahead: nbf - now,
            });
        }
        let sub = string(c, "sub")
            .filter(|s| !s.is_empty())
            .ok_or(F::MissingClaim("sub"))?;
        let amr = match c.get("amr") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => vec![],
        };
        Ok(StandardClaims {
            iss,
            sub,
            aud,
            exp,
            iat,
            auth_time: timestamp(c, "auth_time")?,
            acr: string(c, "acr"),
            amr,
            azp,
            name: string(c, "name"),
            given_name: string(c, "given_name"),
            family_name: string(c, "family_name"),
            email: string(c, "email"),
            birthdate: string(c, "birthdate"),
        })
    }
}

/// Does this JWK fit the token's algorithm? The key's own `kty`, `crv`, `alg` and `use` must
/// agree with the header, or an attacker could pick how a key is interpreted.
fn key_fits(k: &Jwk, alg: Algorithm) -> std::result::Result<(), String> {
    if let Some(ka) = k.common.key_algorithm
        && ka != KeyAlgorithm::UNKNOWN_ALGORITHM
        && format!("{ka:?}") != format!("{alg:?}")
    {
        return Err(format!("the key is published for {ka:?}"));
    }
    if matches!(&k.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
        return Err("the key is not published for signatures".into());
    }
    let fits = match (&k.algorithm, alg) {
        (AlgorithmParameters::RSA(_), a) => matches!(
            a,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ),
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES256) => p.curve == EllipticCurve::P256,
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES384) => p.curve == EllipticCurve::P384,
        (AlgorithmParameters::OctetKeyPair(p), Algorithm::EdDSA) => {
            p.curve == EllipticCurve::Ed25519
        }
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err("the key type does not match the algorithm".into())
    }
}

fn decode_part(part: &str) -> Result<Map<String, Value>, F> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| F::BadEncoding("not base64url".into()))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(F::BadEncoding("not a JSON object".into())),
        Err(e) => Err(F::BadEncoding(e.to_string())),
    }
}

fn string(c: &Map<String, Value>, name: &str) -> Option<String> {
    c.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// Dates, leniently: JWT says seconds since the epoch, but Signicat's documented example sends
/// numeric strings and RFC 3339 strings ("2022-08-19T06:01:37.123Z").
fn timestamp(c: &Map<String, Value>, name: &'static str) -> Result<Option<u64>, F> {
    let invalid = F::InvalidClaim { claim: name };
    match c.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .map(Some)
            .ok_or(invalid),
        Some(Value::String(s)) => {
            let s = s.trim();
            s.parse::<u64>()
                .ok()
                .or_else(|| rfc3339_to_unix(s))
                .map(Some)
                .ok_or(invalid)
        }
        Some(_) => Err(invalid),
    }
}

/// The same example gives `"exp":"300"` beside an ISO `iat`: a lifetime, not a date. A value
/// that small cannot be an absolute time (it is in January 1970), so it counts from `iat`.
fn expiry(c: &Map<String, Value>, iat: u64) -> Result<Option<u64>, F> {
    const SMALLEST_DATE: u64 = 1_000_000_000; // 2001-09-09
    Ok(timestamp(c, "exp")?.map(|exp| {
        if exp < SMALLEST_DATE {
            iat.saturating_add(exp)
        } else {
            exp
        }
    }))
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` to Unix seconds.
fn rfc3339_to_unix(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = s.get(19..)?;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && rest.get(3..4) == Some(":") =>
        {
            let (oh, om) = (
                rest.get(1..3)?.parse::<i64>().ok()?,
                rest.get(4..6)?.parse::<i64>().ok()?,
            );
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let (yy, m) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + sec - offset).ok()
}

/// OpenID Connect Core §3.3.2.11: base64url of the left half of the hash of the token's
/// ASCII bytes, with the hash of the ID token's own algorithm.
pub(crate) fn half_hash(alg: Algorithm, value: &str) -> String {
    let digest: Vec<u8> = match alg {
        Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384 => Sha384::digest(value).to_vec(),
        // EdDSA with Ed25519 hashes with SHA-512 (OpenID Connect Core errata, §3.3.2.11).
        Algorithm::RS512 | Algorithm::PS512 | Algorithm::EdDSA => Sha512::digest(value).to_vec(),
        _ => Sha256::digest(value).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// Verified when present, never required: poll-mode tokens of several providers lack them.
fn check_hash(
    c: &Map<String, Value>,
    claim: &str,
    token: Option<&str>,
    alg: Algorithm,
    failure: F,
) -> Result<(), F> {
    match (c.get(claim), token) {
        (Some(Value::String(h)), Some(t)) if *h != half_hash(alg, t) => Err(failure),
        (Some(v), _) if !v.is_string() => Err(failure),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_spec_example() {
        // OpenID Connect Core, Appendix A.3 (RS256): access token and its at_hash.
        assert_eq!(
            half_hash(
                Algorithm::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn lenient_timestamps() {
        let c = serde_json::json!({"a": 5, "b": "17", "c": "x", "d": 1.5})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(timestamp(&c, "a").unwrap(), Some(5));
        assert_eq!(timestamp(&c, "b").unwrap(), Some(17));
        assert!(timestamp(&c, "c").is_err());
        assert_eq!(timestamp(&c, "d").unwrap(), Some(1));
        assert_eq!(timestamp(&c, "zz").unwrap(), None);
    }

    #[test]
    fn signicat_style_dates() {
        let c = serde_json::json!({"iat": "2022-08-19T06:01:37.123Z", "exp": "300",
            "auth_time": "2022-06-19T08:12:37+02:00", "nbf": "2022-13-01T00:00:00Z"});
        let c = c.as_object().unwrap();
        assert_eq!(timestamp(c, "iat").unwrap(), Some(1_660_888_897));
        assert_eq!(expiry(c, 1_660_888_897).unwrap(), Some(1_660_889_197));
        assert_eq!(timestamp(c, "auth_time").unwrap(), Some(1_655_619_157));
        assert!(timestamp(c, "nbf").is_err());
        assert_eq!(rfc3339_to_unix("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            rfc3339_to_unix("2000-02-29T12:00:00-01:30"),
            Some(951_831_000)
        );
        assert_eq!(rfc3339_to_unix("2022-08-19"), None);
    }
}
