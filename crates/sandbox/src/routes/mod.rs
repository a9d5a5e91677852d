//! The sandbox's HTTP endpoints, one file per audience: the client (`discovery`,
//! `backchannel`, `token`), the customer's phone (`device`), and scripts (`control`).

mod backchannel;
mod control;
mod device;
mod discovery;
mod guard;
mod token;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::routing::{delete, get, post};

use crate::keys::SigningKey;
use crate::state::Requests;

/// What every handler shares.
pub(crate) struct App {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub(crate) issuer: String,
    pub(crate) key: SigningKey,
    pub(crate) requests: Requests,
    /// This run's secret; its file in the data directory is the other half of the proof.
    pub(crate) proof_token: String,
}

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(device::index))
        .route(
            "/.well-known/openid-configuration",
            get(discovery::configuration),
        )
        .route("/jwks", get(discovery::jwks))
        .route("/ciba/auth", post(backchannel::authenticate))
        .route("/ciba/auth/{id}", delete(backchannel::cancel))
        .route("/token", post(token::token))
        .route("/device", get(device::list))
        .route("/device/{id}/{decision}", post(device::decide))
        .route("/identity/ciba", get(device::pickup))
        .route("/sandbox/requests", get(control::list))
        .route("/sandbox/requests/{id}/{decision}", post(control::decide))
        .route("/sandbox/proof", post(control::proof))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::same_machine_only,
        ))
        .with_state(app)
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The first characters of an `auth_req_id`, enough to follow it through a log.
pub(crate) fn short_id(id: &str) -> String {
    let head: String = id.chars().take(8).collect();
    format!("{head}…")
}
