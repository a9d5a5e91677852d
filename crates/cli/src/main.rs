//! `ciba-desk`: the same verification as the desktop app, headless, for scripts and smoke
//! tests. Exit codes and the `--json` output are a stable interface (see `exit.rs`).

mod args;
mod audit_log;
mod autostart;
mod cmd;
mod exit;
mod keyring;
mod output;
mod server_client;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::VERIFIED
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = runtime.block_on(async {
        match cli.command {
            args::Command::Discover { issuer } => cmd::discover::run(&issuer).await,
            args::Command::Verify(a) => cmd::verify::run(*a).await,
            args::Command::Profiles(a) => cmd::profiles::run(a).await,
            args::Command::Secret(a) => cmd::secret::run(a).await,
            args::Command::Audit(a) => cmd::audit::run(a).await,
            args::Command::Sandbox(a) => cmd::sandbox::run(a).await,
        }
    });
    ExitCode::from(code)
}

/// Diagnostics only when asked for (CIBA_DESK_LOG=debug …), on stderr; progress lines are
/// written separately and are always there.
fn init_tracing() {
    if let Ok(filter) = std::env::var("CIBA_DESK_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
}
