//! The provider's signing keys (its JWKS), cached. Keys rotate: an ID token signed with a key
//! id the cache does not know triggers one refetch, at most once a minute, so a flood of
//! forged tokens with random key ids cannot turn the client into a load generator.

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

#[derive(Debug)]
pub struct JwksCache {
    uri: Url,
    state: Mutex<Option<Fetched>>,
}

#[derive(Debug, Clone)]
struct Fetched {
    keys: Arc<Vec<Jwk>>,
    at: Instant,
}

impl JwksCache {
    pub fn new(uri: Url) -> Self {
        Self {
            uri,
            state: Mutex::new(None),
        }
    }

    /// Keys matching `kid` (all keys when the token names none). Fetches on first use and
    /// refetches once when `kid` is unknown and the last fetch is old enough.
    pub(crate) async fn keys_for(
        &self,
        http: &Http,
        clock: &dyn Clock,
        kid: Option<&str>,
    ) -> Result<Vec<Jwk>> {
        let mut state = self.state.lock().await;
        let cached = match state.as_ref() {
            Some(f) => f.clone(),
            None => {
                let f = Fetched {
                    keys: Arc::new(self.fetch(http).await?),
                    at: clock.now(),
                };
                *state = Some(f.clone());
                f
            }
        };
        let found = select(&cached.keys, kid);
        if !found.is_empty() || clock.now().duration_since(cached.at) < MIN_REFETCH_INTERVAL {
            return Ok(found);
        }
        tracing::info!(
            kid,
            "unknown signing key id; refetching the provider's JWKS"
        );
        let fresh = Fetched {
            keys: Arc::new(self.fetch(http).await?),
            at: clock.now(),
        };
        let found = select(&fresh.keys, kid);
        *state = Some(fresh);
        Ok(found)
    }

    async fn fetch(&self, http: &Http) -> Result<Vec<Jwk>> {
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
        Ok(keys
            .iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .collect())
    }
}

fn select(keys: &[Jwk], kid: Option<&str>) -> Vec<Jwk> {
    keys.iter()
        .filter(|k| kid.is_none() || k.common.key_id.as_deref() == kid)
        .cloned()
        .collect()
}
