//! The built-in sandbox provider runs inside the app, so a fresh install can verify someone in
//! its first minute. It is started when the sandbox profile's loopback address is free; when
//! something already listens there (another window, `ciba-desk sandbox`), that one is used.

use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

pub async fn ensure_running<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    if !state.settings().policy().sandbox_allowed() {
        tracing::info!("the administrator's policy leaves the sandbox out; not starting it");
        return;
    }
    let issuer = state.settings().sandbox_profile().issuer;
    let Some(addr) = desk::sandbox_proof::local_addr(&issuer) else {
        tracing::info!(%issuer, "the sandbox profile points elsewhere; not starting the built-in sandbox");
        return;
    };
    if desk::sandbox_proof::listening(&issuer).await {
        // Another window's sandbox, or another program: the form says which when it is not
        // the sandbox (see `App::sandbox_problem`).
        tracing::info!(%addr, "something already listens on the sandbox's port");
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
