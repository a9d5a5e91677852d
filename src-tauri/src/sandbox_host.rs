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

fn loopback_addr(issuer: &str) -> Option<SocketAddr> {
    let url = url::Url::parse(issuer).ok()?;
    let host = url.host_str()?;
    let ip = if host == "localhost" {
        "127.0.0.1".parse().ok()?
    } else {
        host.trim_matches(['[', ']']).parse().ok()?
    };
    let addr = SocketAddr::new(ip, url.port_or_known_default()?);
    addr.ip().is_loopback().then_some(addr)
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
    }
}
