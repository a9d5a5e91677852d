//! The provider's signing keys (its JWKS), cached. Keys rotate: an ID token signed with a key
//! id the cache does not know triggers one refetch, at most once a minute, so a flood of
//! forged tokens with random key ids cannot turn the client into a load generator. Keys are
//! also withdrawn: the cache expires (the answer's `Cache-Control: max-age`, else
//! [`DEFAULT_MAX_AGE`]), so a key the provider stops publishing stops being trusted without
//! a restart. When a refetch after expiry fails, the keys in hand serve a while longer and
//! the refetch is tried again at most once a minute: a provider's brief outage does not fail
//! every verification, and does not bring a storm of requests either.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use crate::clock::Clock;
use crate::error::{CibaError, Result};
use crate::http::{Endpoint, Http, endpoint_name};

pub const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// How long keys are trusted when the provider says nothing.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3 * 60 * 60);
/// The longest a provider's `max-age` is honoured.
pub const MAX_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// How long expired keys may still serve while the provider's JWKS cannot be fetched.
pub const STALE_GRACE: Duration = Duration::from_secs(60 * 60);

#[derive(Debug)]
pub struct JwksCache {
    uri: Url,
    state: Mutex<Option<Fetched>>,
}

#[derive(Debug, Clone)]
struct Fetched {
    keys: Arc<Vec<Jwk>>,
    /// The last fetch, or the last attempt at one.
    at: Instant,
    expires: Instant,
}

impl JwksCache {
    pub fn new(uri: Url) -> Self {
        Self {
            uri,
            state: Mutex::new(None),
        }
    }

    /// Keys matching `kid` (all keys when the token names none). Fetches on first use and
    /// after expiry, and refetches once when `kid` is unknown and the last fetch is old
    /// enough.
    pub(crate) async fn keys_for(
        &self,
        http: &Http,
        clock: &dyn Clock,
        kid: Option<&str>,
    ) -> Result<Vec<Jwk>> {
        let mut state = self.state.lock().await;
        let now = clock.now();
        let cached = match state.as_ref() {
            None => {
                let f = self.fetch(http, clock).await?;
                *state = Some(f.clone());
                f
            }
            Some(f) if now >= f.expires => {
                if now.duration_since(f.at) < MIN_REFETCH_INTERVAL {
                    if now >= f.expires + STALE_GRACE {
                        return Err(CibaError::Unreachable {
                            endpoint: endpoint_name(&self.uri),
                            reason: "its signing keys expired and could not be fetched again"
                                .into(),
                        });
                    }
                    f.clone()
                } else {
                    match self.fetch(http, clock).await {
                        Ok(fresh) => {
                            *state = Some(fresh.clone());
                            fresh
                        }
                        Err(e) if now < f.expires + STALE_GRACE => {
                            tracing::warn!(
                                code = e.code(),
                                "the provider's JWKS could not be fetched again; the keys in hand serve a while longer"
                            );
                            let mut stale = f.clone();
                            stale.at = now;
                            *state = Some(stale.clone());
                            stale
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Some(f) => f.clone(),
        };
        let found = select(&cached.keys, kid);
        if !found.is_empty() || now.duration_since(cached.at) < MIN_REFETCH_INTERVAL {
            return Ok(found);
        }
        tracing::info!(
            kid,
            "unknown signing key id; refetching the provider's JWKS"
        );
        let fresh = self.fetch(http, clock).await?;
        let found = select(&fresh.keys, kid);
        *state = Some(fresh);
        Ok(found)
    }

    async fn fetch(&self, http: &Http, clock: &dyn Clock) -> Result<Fetched> {
        let resp = http.get(Endpoint::Jwks, &self.uri).await?;
        let body = resp.json(&self.uri)?;
        if !(200..300).contains(&resp.status) {
            return Err(CibaError::UnexpectedResponse {
                endpoint: endpoint_name(&self.uri),
                status: resp.status,
                what: "an error".into(),
            });
        }
        let Some(Value::Array(keys)) = body.get("keys") else {
            return Err(CibaError::MalformedResponse {
                endpoint: endpoint_name(&self.uri),
                reason: "the JWKS has no \"keys\" array".into(),
            });
        };
        // One key of a type we cannot read must not make the others unusable.
        let keys = keys
            .iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .collect();
        let max_age = resp
            .max_age
            .map_or(DEFAULT_MAX_AGE, |s| Duration::from_secs(s).min(MAX_MAX_AGE))
            // Fetched at most once a minute whatever the provider says.
            .max(MIN_REFETCH_INTERVAL);
        let at = clock.now();
        Ok(Fetched {
            keys: Arc::new(keys),
            at,
            expires: at + max_age,
        })
    }
}

fn select(keys: &[Jwk], kid: Option<&str>) -> Vec<Jwk> {
    keys.iter()
        .filter(|k| kid.is_none() || k.common.key_id.as_deref() == kid)
        .cloned()
        .collect()
}
