//! The built-in sandbox provider runs inside the app, so a fresh install can verify someone in
//! its first minute. It is started when the sandbox profile's loopback address is free; when
//! something already listens there (another window, `ciba-desk sandbox`), that one is used.

use std::net::SocketAddr;

use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

pub async fn ensure_running<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let issuer = state.settings().sandbox_profile().issuer;
    let Some(addr) = loopback_addr(&issuer) else {
        tracing::info!(%issuer, "the sandbox profile points elsewhere; not starting the built-in sandbox");
        return;
    };
    if tokio::net::TcpStream::connect(addr).await.is_ok() {
        tracing::info!(%addr, "a sandbox already listens; using it");
        return;
    }
    let Some(dir) = desk::paths::data_dir() else {
        tracing::warn!("no data directory; the built-in sandbox is not started");
        return;
    };
    match sandbox::start(sandbox::SandboxConfig::new(dir).port(addr.port())).await {
        Ok(sb) => {
            tracing::info!(issuer = sb.issuer(), "built-in sandbox started");
            *state.sandbox.lock().await = Some(sb);
        }
        Err(e) => tracing::warn!(error = %e, "the built-in sandbox could not start"),
    }
}

/// Where the sandbox profile's issuer would be served on this computer: a loopback `http` URL
/// (the sandbox speaks plain HTTP only).
fn loopback_addr(issuer: &str) -> Option<SocketAddr> {
    let url = url::Url::parse(issuer).ok()?;
    if url.scheme() != "http" {
        return None;
    }
    ciba::loopback_addr(&url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_sandboxes_are_started() {
        assert_eq!(
            loopback_addr("http://127.0.0.1:7878"),
            Some("127.0.0.1:7878".parse().unwrap())
        );
        assert_eq!(
            loopback_addr("http://localhost:9000/"),
            Some("127.0.0.1:9000".parse().unwrap())
        );
        assert_eq!(loopback_addr("https://idp.example.com"), None);
        assert_eq!(loopback_addr("http://10.0.0.1:7878"), None);
        assert_eq!(
            loopback_addr("https://127.0.0.1:7878"),
            None,
            "the sandbox cannot serve https"
        );
    }
}
