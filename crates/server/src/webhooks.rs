//! Webhook deliveries from the outbox: at least once, signed, retried with exponential
//! back-off for a day. Any instance delivers any queued delivery; a claimed one is held for
//! [`HOLD`] so that only one instance tries it at a time (and another picks it up if that
//! instance dies).
//!
//! The receiver checks `CIBA-Desk-Signature: t=<unix seconds>,v1=<hex>`, where the hex is
//! HMAC-SHA256 under the shared secret of `t`, a dot and the body exactly as received, and
//! refuses a `t` too far from its clock (five minutes, say). `Idempotency-Key` is the
//! verification id and its final state: the same key twice is the same delivery again.

use std::time::Duration;

use hmac::{Hmac, Mac as _};
use secrecy::{ExposeSecret, SecretString};

use crate::config::{Config, read_secret};
use crate::error::Result;
use crate::store::{Delivery, DeliveryResult};

/// How long a claimed delivery is held by the instance trying it.
pub const HOLD: Duration = Duration::from_secs(30);
/// The wait before the first retry; it doubles each time, up to [`MAX_BACKOFF`].
pub const FIRST_RETRY: Duration = Duration::from_secs(5);
pub const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);
/// After this long, a delivery that never succeeded is given up.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// A receiver has this long to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The signature header.
pub const SIGNATURE_HEADER: &str = "CIBA-Desk-Signature";

/// One receiver, its secret read.
pub struct Receiver {
    pub url: String,
    pub events: Vec<String>,
    secret: SecretString,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("url", &self.url)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// Every receiver of the configuration, secrets read now: a server that cannot read one
/// does not start.
pub fn receivers(config: &Config) -> Result<Vec<Receiver>> {
    config
        .webhooks
        .iter()
        .map(|w| {
            Ok(Receiver {
                url: w.url.clone(),
                events: w.events.clone(),
                secret: read_secret(&w.secret, &format!("the secret of webhook {}", w.url))?,
            })
        })
        .collect()
}

/// The header value for `body` sent at `t` (Unix seconds).
pub fn signature(secret: &[u8], t: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256>>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", audit::hex(&mac.finalize().into_bytes()))
}

/// The wait after the `attempts`-th failed attempt.
pub fn backoff(attempts: i32) -> Duration {
    let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
    FIRST_RETRY
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_BACKOFF)
}

/// Sends one delivery; the result to record.
pub async fn deliver(
    http: &reqwest::Client,
    receivers: &[Receiver],
    d: &Delivery,
    now_ms: i64,
) -> DeliveryResult {
    let failed = |error: String| {
        let attempts = d.attempts + 1;
        if now_ms.saturating_sub(d.created_at_ms) >= GIVE_UP_AFTER.as_millis() as i64 {
            DeliveryResult::GaveUp { error }
        } else {
            DeliveryResult::Retry {
                next_attempt_ms: now_ms + backoff(attempts).as_millis() as i64,
                error,
            }
        }
    };
    let Some(r) = receivers.iter().find(|r| r.url == d.url) else {
        return DeliveryResult::GaveUp {
            error: "this receiver is no longer configured".into(),
        };
    };
    let t = now_ms / 1000;
    let sent = http
        .post(&d.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            SIGNATURE_HEADER,
            signature(r.secret.expose_secret().as_bytes(), t, d.body.as_bytes()),
        )
        .header(
            "Idempotency-Key",
            format!("{}.{}", d.verification_id, d.event),
        )
        .body(d.body.clone())
        .send()
        .await;
    match sent {
        Ok(resp) if resp.status().is_success() => DeliveryResult::Delivered,
        Ok(resp) => failed(format!(
            "the receiver answered HTTP {}",
            resp.status().as_u16()
        )),
        Err(e) if e.is_timeout() => failed(format!(
            "the receiver did not answer within {} s",
            TIMEOUT.as_secs()
        )),
        Err(e) if e.is_connect() => failed("the receiver could not be reached".into()),
        Err(_) => failed("the delivery failed on its way to the receiver".into()),
    }
}

/// The client deliveries go out with: no redirects (a body must not follow one elsewhere),
/// a timeout, HTTPS except loopback (checked when the configuration is read).
pub fn client() -> reqwest::Client {
    ciba::pin_localhost(reqwest::Client::builder())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("ciba-desk-server/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a default HTTP client builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_within_ten_seconds_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(3), Duration::from_secs(20));
        assert_eq!(backoff(30), MAX_BACKOFF);
    }

    #[tokio::test]
    async fn a_failed_delivery_is_retried_until_a_day_has_passed() {
        // Nothing listens on port 1.
        let url = "http://127.0.0.1:1/hook".to_owned();
        let receivers = [Receiver {
            url: url.clone(),
            events: vec!["verified".into()],
            secret: SecretString::from("s"),
        }];
        let now = 1_800_000_000_000;
        let mut d = Delivery {
            verification_id: "v".into(),
            url,
            event: "verified".into(),
            body: "{}".into(),
            status: "pending".into(),
            attempts: 0,
            created_at_ms: now,
            next_attempt_ms: now,
            last_error: None,
        };
        let http = client();
        match deliver(&http, &receivers, &d, now).await {
            DeliveryResult::Retry {
                next_attempt_ms,
                error,
            } => {
                assert_eq!(next_attempt_ms, now + 5_000);
                assert_eq!(error, "the receiver could not be reached");
            }
            other => panic!("{other:?}"),
        }
        d.attempts = 12;
        d.created_at_ms = now - GIVE_UP_AFTER.as_millis() as i64;
        assert!(matches!(
            deliver(&http, &receivers, &d, now).await,
            DeliveryResult::GaveUp { .. }
        ));
        // A receiver taken out of the configuration is given up at once.
        assert!(matches!(
            deliver(&http, &[], &d, now).await,
            DeliveryResult::GaveUp { .. }
        ));
    }

    #[test]
    fn the_signature_covers_time_and_body() {
        let s = signature(b"secret", 1_700_000_000, b"{}");
        assert!(s.starts_with("t=1700000000,v1="));
        assert_eq!(s.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(s, signature(b"secret", 1_700_000_001, b"{}"));
        assert_ne!(s, signature(b"secret", 1_700_000_000, b"{ }"));
        assert_ne!(s, signature(b"other", 1_700_000_000, b"{}"));
    }
}
