//! The command line's grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "ciba-desk",
    version,
    about = "Verify a person's identity through OpenID Connect CIBA, from the command line."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch a provider's discovery document and print its CIBA capabilities as JSON.
    Discover {
        /// The provider's issuer identifier, e.g. https://idp.example.com
        #[arg(long)]
        issuer: String,
    },
    /// Run one verification: send the request, wait for the customer, verify the ID token.
    Verify(Box<VerifyArgs>),
    /// Run the built-in sandbox provider (a CIBA OpenID provider for training and tests).
    Sandbox(SandboxArgs),
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = sandbox::DEFAULT_PORT)]
    pub port: u16,
    /// Decide every request automatically: approve or deny.
    #[arg(long, requires = "after")]
    pub auto: Option<String>,
    /// Seconds to wait before the automatic decision.
    #[arg(long, requires = "auto")]
    pub after: Option<u64>,
    /// Where the sandbox keeps its signing key (default: the platform data directory).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("hint").required(true).multiple(false)
    .args(["login_hint", "login_hint_token", "id_token_hint"])))]
pub struct VerifyArgs {
    /// The provider's issuer identifier.
    #[arg(long)]
    pub issuer: String,
    #[arg(long)]
    pub client_id: String,
    /// client_secret_basic, client_secret_post or private_key_jwt. The secret is read from the
    /// environment variable CIBA_CLIENT_SECRET (never from the command line).
    #[arg(long, default_value = "client_secret_basic")]
    pub auth_method: String,
    /// PKCS#8 PEM private key for private_key_jwt.
    #[arg(long)]
    pub private_key: Option<PathBuf>,
    /// The key id (kid) to put in client assertions.
    #[arg(long)]
    pub key_id: Option<String>,
    /// RS256, PS256 or ES256; by default RS256 for RSA keys and ES256 for EC keys.
    #[arg(long)]
    pub assertion_alg: Option<String>,

    #[arg(long)]
    pub login_hint: Option<String>,
    #[arg(long)]
    pub login_hint_token: Option<String>,
    #[arg(long)]
    pub id_token_hint: Option<String>,

    /// The short text shown on the customer's device and read aloud by the agent.
    #[arg(long)]
    pub binding_message: Option<String>,
    #[arg(long, default_value = "openid")]
    pub scope: String,
    #[arg(long)]
    pub acr_values: Option<String>,
    #[arg(long)]
    pub requested_expiry: Option<u32>,
    #[arg(long)]
    pub user_code: Option<String>,
    /// Rich authorization details as JSON, e.g. '[{"type":"phoneAuth","callInitiator":"RP"}]'.
    #[arg(long)]
    pub authorization_details: Option<String>,
    /// Extra provider parameter NAME=VALUE; repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,

    /// Override the discovered backchannel authentication endpoint.
    #[arg(long)]
    pub backchannel_endpoint: Option<String>,
    /// Override the discovered token endpoint.
    #[arg(long)]
    pub token_endpoint: Option<String>,
    /// Override the discovered JWKS URI.
    #[arg(long)]
    pub jwks_uri: Option<String>,
    /// Seconds each HTTP call may take.
    #[arg(long, default_value_t = 15)]
    pub http_timeout: u64,

    /// Print the final result as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}
