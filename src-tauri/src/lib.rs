//! The Tauri shell: thin commands and events over the core crates. Everything the page can do
//! is a command in [`commands`]; verification progress reaches it as events on a channel.

mod commands;
mod sandbox_host;
mod state;

use std::time::Duration;

use tauri::{Manager, RunEvent};

pub use state::AppState;

/// Adds the app's state and commands to `builder`; the test suite passes a mock builder.
pub fn with_commands<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    state: AppState,
) -> tauri::Builder<R> {
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::list_profiles,
            commands::list_presets,
            commands::check_identity,
            commands::check_binding_message,
            commands::generate_code,
            commands::start_verification,
            commands::cancel_verification,
            commands::history,
            commands::audit_status,
            commands::add_profile,
            commands::edit_profile,
            commands::remove_profile,
            commands::export_profiles,
            commands::import_profiles,
            commands::set_secret,
            commands::policy,
            commands::organisation,
            commands::wait_organisation,
            commands::set_server,
            commands::sign_in,
            commands::sign_out,
            commands::get_preferences,
            commands::set_preferences,
            commands::wait_close_request,
            commands::wait_link,
            commands::quit,
        ])
}

pub fn run() {
    init_logging();
    let runtime = tauri::async_runtime::handle();
    let state = runtime.block_on(state::open());
    // A link the app was started with (the desktop opens `ciba-desk://…` links this way).
    // Arguments that are not text cannot be links (and must not stop the app).
    state.receive_links(
        std::env::args_os()
            .skip(1)
            .filter_map(|a| a.into_string().ok()),
    );
    let app = with_commands(tauri::Builder::default(), state)
        // First, so a second start hands its link over and ends before anything else runs.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(state::instance_id())
                .callback(|app, argv, _cwd| {
                    app.state::<AppState>()
                        .receive_links(argv.into_iter().skip(1));
                    if let Some(window) = app.get_webview_window("main") {
                        let _ = window.unminimize();
                        let _ = window.set_focus();
                    }
                })
                .build(),
        )
        .plugin(tauri_plugin_dialog::init())
        .on_window_event(|window, event| {
            // Closing with verifications running asks the agent first (the page shows the
            // question; `quit` ends the app after cancelling them).
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let state = window.state::<AppState>();
                let quitting = state.quitting.load(std::sync::atomic::Ordering::SeqCst);
                if !quitting && !state.desk.running().is_empty() {
                    api.prevent_close();
                    state.close_requests.send_modify(|n| *n += 1);
                }
            }
        })
        .setup(|app| {
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move { sandbox_host::ensure_running(&handle).await });
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("CIBA Desk could not start its window");
    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            // Closing mid-verification cancels it, including the provider's cancel call.
            let state = handle.state::<AppState>();
            tauri::async_runtime::block_on(state.desk.shutdown(Duration::from_secs(3)));
        }
    });
}

fn init_logging() {
    if let Ok(filter) = std::env::var("CIBA_DESK_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
}
