//! `ciba-desk-server serve | migrate | check-config --config FILE`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use server::config::Config;
use server::store::Store;

#[derive(Parser)]
#[command(
    name = "ciba-desk-server",
    version,
    about = "CIBA Desk for an organisation: verifications through an HTTP API, provider secrets and the audit trail on the server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (as the database's runtime role).
    Serve {
        #[arg(long, default_value = "/etc/ciba-desk/server.toml")]
        config: PathBuf,
    },
    /// Create or update the database schema and grant the runtime role what it needs (as the
    /// database's owner: DATABASE_URL or the configured URL must name the owner role).
    Migrate {
        #[arg(long, default_value = "/etc/ciba-desk/server.toml")]
        config: PathBuf,
    },
    /// Check the configuration file and the secrets it names, without serving.
    CheckConfig {
        #[arg(long, default_value = "/etc/ciba-desk/server.toml")]
        config: PathBuf,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CIBA_DESK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { config } => match Config::load(&config) {
            Ok(c) => match server::prepare(c).await {
                Ok(service) => server::serve(service).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        },
        Command::Migrate { config } => migrate(&config).await,
        Command::CheckConfig { config } => check(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(code = e.code(), "{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(path: &std::path::Path) -> server::Result<()> {
    let config = Config::load(path)?;
    let store = Store::connect(&config.database.url).await?;
    store
        .migrate(config.database.runtime_role.as_deref())
        .await?;
    println!("the database schema is up to date");
    Ok(())
}

fn check(path: &std::path::Path) -> server::Result<()> {
    let config = Config::load(path)?;
    config.audit_key()?;
    config.profile_secrets()?;
    println!(
        "{}: valid; {} profile(s), every secret readable",
        path.display(),
        config.profiles.len()
    );
    Ok(())
}
