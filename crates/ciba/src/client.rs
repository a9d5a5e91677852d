//! One provider, configured once: discovery done, client authentication chosen, ID token
//! verifier and JWKS cache ready. Each verification is `request` then `wait`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Notify;
use tracing::Instrument;
use url::Url;

use crate::backchannel::{Acknowledgement, AuthRequest};
use crate::client_auth::{ClientAuth, SecretForm, SigningKey};
use crate::clock::{Clock, SystemClock};
use crate::discovery::{self, EndpointOverrides, ProviderMetadata};
use crate::error::{CibaError, Result};
use crate::fapi;
use crate::http::{Endpoint, Http, HttpOptions, endpoint_name};
use crate::id_token::{Binding, IdTokenVerifier, VerifiedIdToken};
use crate::jwks::JwksCache;
use crate::poll::{CancelHandle, PingGate, Progress, Schedule};
use crate::request_object;
use crate::token::{PollAnswer, TokenResponse, request_token};

/// Everything needed to talk to one provider.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub issuer: String,
    pub auth: ClientAuth,
    pub overrides: EndpointOverrides,
    pub http: HttpOptions,
    /// Every authentication request as a JWT signed with the client's private key (CIBA Core
    /// §7.1.1); needs `private_key_jwt`.
    pub signed_requests: bool,
    /// The FAPI-CIBA profile's rules (see [`crate::fapi`]); implies signed requests.
    pub fapi: bool,
}

impl ClientConfig {
    pub fn new(issuer: impl Into<String>, auth: ClientAuth) -> Self {
        Self {
            issuer: issuer.into(),
            auth,
            overrides: EndpointOverrides::default(),
            http: HttpOptions::default(),
            signed_requests: false,
            fapi: false,
        }
    }
}

pub struct CibaClient {
    http: Http,
    metadata: ProviderMetadata,
    auth: ClientAuth,
    verifier: IdTokenVerifier,
    /// Signs each authentication request, with the algorithm the provider takes.
    request_key: Option<SigningKey>,
    fapi: bool,
    clock: Arc<dyn Clock>,
    /// The most a poll is put off past its interval, so many verifications started together
    /// do not reach the provider in the same instant (never earlier than the interval).
    poll_jitter: Duration,
}

/// A request the provider acknowledged. `wait` consumes it, so an `auth_req_id` cannot be
/// polled again after its final answer.
#[derive(Debug)]
pub struct PendingAuth {
    pub acknowledgement: Acknowledgement,
    started: Instant,
    /// When the request was sent (Unix seconds): its answer cannot be older.
    requested_at: u64,
    ping: Option<PingGate>,
}

impl PendingAuth {
    /// For ping mode: the gate that accepts this request's notification.
    pub fn ping_gate(&self) -> Option<PingGate> {
        self.ping.clone()
    }

    /// When the provider stops waiting for the customer.
    pub fn deadline(&self) -> Instant {
        self.started + self.acknowledgement.expires_in
    }
}

/// A completed and verified authentication.
#[derive(Debug)]
pub struct Verified {
    pub id_token: VerifiedIdToken,
    pub tokens: TokenResponse,
    pub elapsed: Duration,
}

impl CibaClient {
    /// Discovers the provider and prepares the client.
    pub async fn discover(config: ClientConfig) -> Result<Self> {
        // A provider that asks every caller for a certificate gets it at discovery too.
        let mut options = config.http.clone();
        options.client_certificate = config.auth.client_certificate().cloned();
        let http = Http::new(options)?;
        let metadata = discovery::discover(&http, &config.issuer, &config.overrides).await?;
        if config.fapi {
            fapi::check(&metadata, &config.auth)?;
        }
        let mut client = Self::with_metadata(metadata, config.auth, http)?;
        if config.fapi {
            client.fapi = true;
            client.verifier = client.verifier.restrict_to(&fapi::FAPI_ALGORITHMS)?;
        }
        if config.signed_requests || config.fapi {
            client = client.with_signed_requests()?;
        }
        Ok(client)
    }

    /// A client for a provider whose metadata is already known.
    pub fn with_metadata(metadata: ProviderMetadata, auth: ClientAuth, http: Http) -> Result<Self> {
        // The client's own certificate, whatever the HTTP client was given.
        let (metadata, http) = match auth.client_certificate() {
            Some(certificate) => {
                let mut options = http.options().clone();
                options.client_certificate = Some(certificate.clone());
                (metadata.with_mtls_aliases(), Http::new(options)?)
            }
            None => (metadata, http),
        };
        let jwks = Arc::new(JwksCache::new(metadata.jwks_uri.clone()));
        let verifier = IdTokenVerifier::new(
            &metadata.issuer,
            auth.client_id(),
            &metadata.id_token_signing_alg_values_supported,
            jwks,
        )?;
        Ok(Self {
            http,
            metadata,
            auth,
            verifier,
            request_key: None,
            fapi: false,
            clock: Arc::new(SystemClock),
            poll_jitter: Duration::ZERO,
        })
    }

    /// Sends every authentication request signed (see [`ClientConfig::signed_requests`]).
    pub fn with_signed_requests(mut self) -> Result<Self> {
        let key = self.auth.signing_key().ok_or_else(|| {
            CibaError::InvalidConfiguration(format!(
                "signed requests are signed with the client's private key, and this client {}: use private_key_jwt, or give the mutual-TLS client a request-signing key",
                if self.auth.method().is_mutual_tls() {
                    "has none"
                } else {
                    "authenticates with a client secret"
                }
            ))
        })?;
        self.request_key = Some(request_object::key_for_provider(
            key,
            &self
                .metadata
                .backchannel_authentication_request_signing_alg_values_supported,
            self.fapi,
        )?);
        Ok(self)
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Puts each poll off by a random wait of at most `max` or a tenth of the interval,
    /// whichever is less.
    pub fn with_poll_jitter(mut self, max: Duration) -> Self {
        self.poll_jitter = max;
        self
    }

    pub fn with_leeway(mut self, seconds: u64) -> Self {
        self.verifier = self.verifier.with_leeway(seconds);
        self
    }

    pub fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    pub fn client_id(&self) -> &str {
        self.auth.client_id()
    }

    /// Sends the backchannel authentication request (CIBA Core §7.1). Not retried: a
    /// second request would put a second prompt on the customer's phone.
    pub async fn request(&self, req: &AuthRequest) -> Result<PendingAuth> {
        req.validate()?;
        if self.fapi {
            fapi::require_binding_message(req.has_binding_message())?;
        }
        if req.has_notification_token() && !self.metadata.supports_mode("ping") {
            return Err(CibaError::InvalidConfiguration(
                "ping mode was asked for, but the provider does not offer it".into(),
            ));
        }
        let endpoint = &self.metadata.backchannel_authentication_endpoint;
        let span = tracing::info_span!("ciba_request", issuer = %self.metadata.issuer);
        async {
            let mut parts = self.auth.parts(&self.metadata.issuer, self.clock.unix_time())?;
            // A signed request carries every parameter inside; beside it only the client's
            // authentication.
            let mut form = SecretForm(match &self.request_key {
                Some(key) => vec![(
                    "request".into(),
                    request_object::sign(
                        req,
                        key,
                        self.auth.client_id(),
                        &self.metadata.issuer,
                        self.clock.unix_time(),
                    )?,
                )],
                None => req.form(),
            });
            form.append(&mut parts.form);
            let started = self.clock.now();
            let requested_at = self.clock.unix_time();
            let resp = self.http.post_form(Endpoint::Backchannel, endpoint, &form.0, parts.authorization()).await?;
            let body = resp.json(endpoint)?;
            if let Some(err) = resp.oauth_error(&body) {
                tracing::info!(error = %err.error, "the provider refused the authentication request");
                return Err(CibaError::from_backchannel(err));
            }
            if !(200..300).contains(&resp.status) {
                return Err(CibaError::UnexpectedResponse {
                    endpoint: endpoint_name(endpoint),
                    status: resp.status,
                    what: "JSON without an error code".into(),
                });
            }
            let acknowledgement = Acknowledgement::parse(&endpoint_name(endpoint), body)?;
            tracing::info!(
                expires_in = acknowledgement.expires_in.as_secs(),
                interval = acknowledgement.interval.map(|i| i.as_secs()),
                "acknowledged"
            );
            let ping = req.notification_token().map(|t| PingGate {
                token: t.clone(),
                auth_req_id: acknowledgement.auth_req_id.clone(),
                notify: Arc::new(Notify::new()),
            });
            Ok(PendingAuth { acknowledgement, started, requested_at, ping })
        }
        .instrument(span)
        .await
    }

    /// A request acknowledged earlier, perhaps by another process: polling it goes on at
    /// `interval` until `remaining` has passed. (Ping mode is not resumed: the notification
    /// goes to the process that asked.)
    /// `requested_at` (Unix seconds) is when the request was sent, or earlier.
    pub fn resume(
        &self,
        auth_req_id: SecretString,
        requested_at: u64,
        remaining: Duration,
        interval: Option<Duration>,
    ) -> PendingAuth {
        PendingAuth {
            acknowledgement: Acknowledgement {
                auth_req_id,
                expires_in: remaining,
                interval,
                extra: Default::default(),
            },
            started: self.clock.now(),
            requested_at,
            ping: None,
        }
    }

    /// Waits for the customer's answer and verifies the ID token. Returns on the first final
    /// answer, at the deadline, or when `cancel` fires.
    pub async fn wait(
        &self,
        pending: PendingAuth,
        cancel: &CancelHandle,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<Verified> {
        let span = tracing::info_span!("ciba_wait", issuer = %self.metadata.issuer);
        self.wait_inner(pending, cancel, progress)
            .instrument(span)
            .await
    }

    async fn wait_inner(
        &self,
        pending: PendingAuth,
        cancel: &CancelHandle,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<Verified> {
        let ack = &pending.acknowledgement;
        let mut schedule = Schedule::new(pending.started, ack.expires_in, ack.interval);
        let ping = pending.ping.as_ref();
        let mut last_transient: Option<CibaError> = None;
        loop {
            let now = self.clock.now();
            let Some(wait) = schedule.wait_from(now, ping.is_some()) else {
                tracing::info!("deadline reached without a final answer");
                return Err(last_transient.unwrap_or(CibaError::Expired));
            };
            let wait = (wait + jitter(self.poll_jitter.min(schedule.interval / 10)))
                .min(schedule.deadline.saturating_duration_since(now));
            progress(Progress::Waiting {
                remaining: schedule.deadline - now,
                next_poll_in: wait,
            });
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(CibaError::Cancelled),
                _ = cancel.handed_over() => return Err(CibaError::HandedOver),
                _ = async { match ping { Some(p) => p.notify.notified().await, None => std::future::pending().await } } => {
                    progress(Progress::Pinged);
                }
                _ = self.clock.sleep(wait) => {}
            }
            let answer = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(CibaError::Cancelled),
                a = request_token(&self.http, &self.metadata.token_endpoint, &self.auth,
                    &self.metadata.issuer, self.clock.unix_time(), &ack.auth_req_id) => a,
            };
            match answer {
                Ok(PollAnswer::Pending) => schedule.failures = 0,
                Ok(PollAnswer::SlowDown) => {
                    schedule.slow_down();
                    tracing::info!(interval = schedule.interval.as_secs(), "slow_down");
                    progress(Progress::SlowDown {
                        interval: schedule.interval,
                    });
                }
                Ok(PollAnswer::Tokens(tokens)) => {
                    progress(Progress::Verifying);
                    let id_token = self
                        .verify_tokens(&tokens, &ack.auth_req_id, pending.requested_at)
                        .await?;
                    let elapsed = self.clock.now().saturating_duration_since(pending.started);
                    tracing::info!(alg = %id_token.algorithm, elapsed_ms = elapsed.as_millis() as u64, "verified");
                    return Ok(Verified {
                        id_token,
                        tokens,
                        elapsed,
                    });
                }
                Err(e) if e.is_transient() => {
                    schedule.failures += 1;
                    let next = schedule
                        .wait_from(self.clock.now(), ping.is_some())
                        .unwrap_or_default();
                    tracing::warn!(
                        code = e.code(),
                        failures = schedule.failures,
                        "transient failure while polling"
                    );
                    progress(Progress::Retrying {
                        code: e.code(),
                        message: e.to_string(),
                        next_poll_in: next,
                    });
                    last_transient = Some(e);
                }
                Err(e) => {
                    tracing::info!(code = e.code(), "final answer");
                    return Err(e);
                }
            }
        }
    }

    /// Verifies the ID token of a token response, bound to its access and refresh tokens and
    /// to the request it answers (sent at `requested_at`, Unix seconds).
    pub async fn verify_tokens(
        &self,
        tokens: &TokenResponse,
        auth_req_id: &SecretString,
        requested_at: u64,
    ) -> Result<VerifiedIdToken> {
        let binding = Binding {
            access_token: tokens.access_token.as_ref().map(|t| t.expose_secret()),
            refresh_token: tokens.refresh_token.as_ref().map(|t| t.expose_secret()),
            auth_req_id: Some(auth_req_id.expose_secret()),
            requested_at: Some(requested_at),
        };
        self.verifier
            .verify(
                &self.http,
                self.clock.as_ref(),
                tokens.id_token.expose_secret(),
                &binding,
            )
            .await
    }

    /// A provider-specific call (e.g. Signaturgruppen's `DELETE …/api/v1/ciba/{auth_req_id}`
    /// cancel) with the client's `Authorization` header when its method has one (Basic, and
    /// none for methods that authenticate in the form body: the provider documents no body
    /// for this call). Returns the HTTP status.
    pub async fn delete_with_client_auth(&self, url: &Url) -> Result<u16> {
        let parts = self
            .auth
            .parts(&self.metadata.issuer, self.clock.unix_time())?;
        let resp = self.http.delete(url, parts.authorization()).await?;
        Ok(resp.status)
    }
}

/// A random wait in `[0, max]`.
fn jitter(max: Duration) -> Duration {
    use rand::Rng as _;
    if max.is_zero() {
        return Duration::ZERO;
    }
    Duration::from_micros(rand::rng().random_range(0..=max.as_micros() as u64))
}
