//! Starting and stopping the sandbox inside the caller's tokio runtime.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SandboxConfig;
use crate::error::SandboxError;
use crate::keys::SigningKey;
use crate::routes::{self, App};
use crate::state::Requests;

/// How long `shutdown` lets open connections finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running sandbox. Stop it with [`shutdown`](Self::shutdown); dropping it stops it too.
#[derive(Debug)]
pub struct Sandbox {
    issuer: String,
    local_addr: SocketAddr,
    proof_file: std::path::PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

/// Loads (or makes) the signing key, binds the port and serves until shut down.
pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
    let addr = config.bind;
    if !addr.ip().is_loopback() {
        return Err(SandboxError::NotLoopback { addr });
    }
    let key = SigningKey::load_or_create(&config.data_dir)?;
    let listener = TcpListener::bind(addr).await.map_err(|source| {
        if source.kind() == io::ErrorKind::AddrInUse {
            SandboxError::PortInUse { port: addr.port() }
        } else {
            SandboxError::BindFailed { addr, source }
        }
    })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| SandboxError::BindFailed { addr, source })?;
    let issuer = format!("http://{local_addr}");
    let proof_dir = config.proof_dir.as_ref().unwrap_or(&config.data_dir);
    let proof_file = crate::proof::proof_file(proof_dir, local_addr.port());
    let proof_token =
        crate::proof::write_token(&proof_file).map_err(|source| SandboxError::DataDir {
            path: proof_file.clone(),
            source,
        })?;
    let app = Arc::new(App {
        issuer: issuer.clone(),
        key,
        requests: Requests::new(config.auto),
        proof_token,
    });
    let kid = app.key.kid().to_owned();
    let router = routes::router(app);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                // A dropped Sandbox stops the server as well.
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "the sandbox server stopped");
        }
    });
    tracing::info!(%issuer, kid, auto = ?config.auto, "sandbox CIBA provider listening");
    Ok(Sandbox {
        issuer,
        local_addr,
        proof_file,
        stop: Some(stop),
        task,
    })
}

impl Sandbox {
    /// `http://127.0.0.1:PORT`: the issuer, and the base of every endpoint.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The customer's phone page, `{issuer}/device`.
    pub fn device_url(&self) -> String {
        format!("{}/device", self.issuer)
    }

    /// The Authway-style pickup link for one request, `{issuer}/identity/ciba?requestId=…`.
    pub fn pickup_url(&self, auth_req_id: &str) -> String {
        let id: String = url::form_urlencoded::byte_serialize(auth_req_id.as_bytes()).collect();
        format!("{}/identity/ciba?requestId={id}", self.issuer)
    }

    /// Stops accepting connections and waits (a few seconds at most) for open ones to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let task = &mut self.task;
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut *task)
            .await
            .is_err()
        {
            task.abort();
        }
        // A later listener on the port must not be able to pass for this one.
        let _ = std::fs::remove_file(&self.proof_file);
        tracing::info!(issuer = %self.issuer, "sandbox stopped");
    }
}
