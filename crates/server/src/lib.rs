//! `ciba-desk-server`: the organisation's CIBA Desk. Agents sign in with the organisation's
//! OpenID provider and run verifications through the HTTP API; the provider credentials, the
//! profiles and the audit trail stay on the server, in PostgreSQL (SQLite for one small server).

pub mod api;
pub mod auth;
pub mod config;
pub mod error;
mod http_error;
pub mod metrics;
mod runner;
pub mod seal;
pub mod service;
pub mod store;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

pub use error::{Result, ServerError};

use crate::auth::AgentAuth;
use crate::config::Config;
use crate::service::Service;
use crate::store::Store;

/// Connects to the database with the audit key, checks the schema and the audit table's
/// privileges, and discovers the organisation's sign-in provider: everything `serve` needs
/// before it listens.
pub async fn prepare(config: Config) -> Result<Arc<Service>> {
    let store = Store::connect(&config.database.url)
        .await?
        .with_audit_key(config.audit_key()?);
    store.check_schema().await?;
    store.serve_alone()?;
    if store.audit_is_mutable().await? {
        if !config.audit.allow_mutable {
            return Err(ServerError::AuditMutable);
        }
        tracing::warn!(
            "the database role can rewrite audit records ([audit] allow_mutable = true)"
        );
    }
    let auth = AgentAuth::discover(&config.agents, ciba::HttpOptions::default()).await?;
    let service = Arc::new(Service::new(
        config,
        store,
        auth,
        desk::DeskOptions::default(),
    )?);
    // Verifications a previous run left are taken over once their leases run out.
    service.start_background().await;
    Ok(service)
}

/// Serves until SIGTERM or Ctrl-C, then finishes open responses (at most 10 s).
pub async fn serve(service: Arc<Service>) -> Result<()> {
    serve_with(service, axum_server::Handle::new()).await
}

/// As [`serve`]; `handle` tells where it listens (`listening()`) and can stop it.
pub async fn serve_with(
    service: Arc<Service>,
    handle: axum_server::Handle<std::net::SocketAddr>,
) -> Result<()> {
    let addr = service.config.server.listen;
    let tls = service
        .config
        .server
        .tls
        .as_ref()
        .map(|t| (t.cert.clone(), t.key.clone()));
    let app = api::router(service.clone());
    let shutdown = handle.clone();
    let stopping = service.clone();
    tokio::spawn(async move {
        stop_signal().await;
        tracing::info!(
            "stopping: handing verifications to other instances, finishing open responses"
        );
        stopping.shut_down().await;
        shutdown.graceful_shutdown(Some(Duration::from_secs(8)));
    });
    tracing::info!(%addr, tls = tls.is_some(), "serving");
    let served = match tls {
        Some((cert, key)) => {
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .map_err(|e| {
                    ServerError::Startup(format!(
                        "the TLS certificate {} or key {} could not be loaded: {e}",
                        cert.display(),
                        key.display()
                    ))
                })?;
            axum_server::bind_rustls(addr, config)
                .handle(handle)
                .serve(app.into_make_service())
                .await
        }
        None => {
            axum_server::bind(addr)
                .handle(handle)
                .serve(app.into_make_service())
                .await
        }
    };
    served.map_err(|e| ServerError::Startup(format!("could not serve on {addr}: {e}")))
}

async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler can be installed");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
