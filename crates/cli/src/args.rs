//! The command line's grammar.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// Shown under every `--help`: the exit codes are a stable interface for scripts.
pub const EXIT_CODES: &str = "\
Exit codes:
  0    verified (or the command succeeded)
  1    usage or configuration error: nothing was sent (bad input, unknown profile,
       missing secret, no keyring for a command that needs it, unreadable file)
  2    the customer denied
  3    the request expired before the customer answered
  4    provider or transport failure
  5    the ID token was rejected (signature, issuer, audience, times)
  6    verified, but not the person you asked for (identity mismatch: do not proceed)
  7    `audit verify` / `audit purge`: the audit log's hash chain is broken
  8    `verify --server`: the server refused (not signed in, not allowed, busy with this
       customer, or rate limited)
  130  cancelled with Ctrl-C";

#[derive(Debug, Parser)]
#[command(
    name = "ciba-desk",
    version,
    about = "Verify a person's identity through OpenID Connect CIBA, from the command line.",
    after_help = EXIT_CODES
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
    #[command(after_help = VERIFY_AFTER_HELP)]
    Verify(Box<VerifyArgs>),
    /// List, add, remove, export and import provider profiles (the settings file).
    #[command(after_help = EXIT_CODES)]
    Profiles(ProfilesArgs),
    /// Store, check or delete a profile's client secret or private key in the OS keyring.
    #[command(after_help = EXIT_CODES)]
    Secret(SecretArgs),
    /// Check, export or purge the tamper-evident audit log of verifications.
    #[command(after_help = EXIT_CODES)]
    Audit(AuditArgs),
    /// Run the built-in sandbox provider (a CIBA OpenID provider for training and tests).
    Sandbox(SandboxArgs),
}

// ---------- sandbox ----------

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = sandbox::DEFAULT_PORT)]
    pub port: u16,
    /// Decide every request automatically: approve, deny, or mismatch (approve as another
    /// test person, to rehearse the "do not proceed" case).
    #[arg(long, requires = "after")]
    pub auto: Option<String>,
    /// Seconds to wait before the automatic decision.
    #[arg(long, requires = "auto")]
    pub after: Option<u64>,
    /// Where the sandbox keeps its signing key (default: the platform data directory).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Stop when standard input closes (used when `verify` starts the sandbox itself, so it
    /// never outlives the verification).
    #[arg(long, hide = true)]
    pub exit_with_stdin: bool,
}

// ---------- verify ----------

const VERIFY_AFTER_HELP: &str = "\
Two forms:
  ciba-desk verify --profile NAME (--national-id CC:NUMBER | --user-id ID | --email ADDR
                   | --login-hint H) [--message M] [--call-initiator rp|user] [--qr] [--json]
  ciba-desk verify --issuer URL --client-id ID (--login-hint H | --login-hint-token T
                   | --id-token-hint T | --national-id CC:NUMBER | --user-id ID | --email ADDR)
                   [low-level options] [--json]

With --profile, the profile (see `ciba-desk profiles`) decides the provider's rules: how the
customer's identifier is sent, the binding message, acr_values, the cancel call, the word pair
to read aloud and the customer link. The client secret or private key comes from the OS
keyring (`ciba-desk secret set NAME`); only when CIBA_CLIENT_SECRET is set explicitly is it
used as a fallback. Public demo credentials (sandbox, Signaturgruppen PP demo) need none.

National IDs are written with their country: se:YYYYMMDD-NNNN, no:DDMMYYNNNNN, dk:DDMMYY-NNNN.
They are validated before anything is sent (a Danish number failing the old modulus-11
check is only a warning) and sent in normalised form. The result compares the identity the
provider returns with the one asked for: `match` is \"match\", \"mismatch\" or
\"not_comparable\". A mismatch exits 6 with status \"mismatch\": the person who approved is
not the person you asked for.

--profile sandbox starts the sandbox provider by itself when nothing listens at its address,
for the duration of the verification; approve on its phone page (<issuer>/device), or pass
--sandbox-auto approve|deny|mismatch[:SECONDS] (env CIBA_DESK_SANDBOX_AUTO) to decide
automatically (mismatch: another test person approves, and the run exits 6). Before the
national ID is sent, whatever listens on the sandbox's port must prove it is the sandbox this
user started; another program there gets nothing.

Progress goes to stderr, one line per step; with --json the result is one JSON object on
stdout. National ID numbers are masked everywhere in the output, the `claims` and the
`subject` included, whichever form is used. Every verification that was started is recorded in the audit log (see `ciba-desk
audit`); without a keyring the record has no keyed hash of the identifier (a warning says so).

Ctrl-C cancels: the provider's cancel call is made where the profile has one; exit 130.

Exit codes:
  0 verified, 1 usage/configuration (nothing sent), 2 denied, 3 expired,
  4 provider/transport, 5 ID token rejected, 6 identity mismatch, 130 cancelled";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CallInitiatorArg {
    /// You (the relying party) called the customer.
    Rp,
    /// The customer called you.
    User,
}

impl From<CallInitiatorArg> for desk::CallInitiator {
    fn from(c: CallInitiatorArg) -> Self {
        match c {
            CallInitiatorArg::Rp => desk::CallInitiator::Rp,
            CallInitiatorArg::User => desk::CallInitiator::User,
        }
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).multiple(false)
    .args(["profile", "issuer"])))]
#[command(group(ArgGroup::new("hint").required(true).multiple(false)
    .args(["login_hint", "login_hint_token", "id_token_hint", "national_id", "user_id", "email"])))]
#[command(group(ArgGroup::new("generic_only").multiple(true).conflicts_with("profile")
    .args(["auth_method", "private_key", "key_id", "assertion_alg", "signed_request", "fapi", "ca_file", "tls_cert", "tls_key", "login_hint_token",
           "id_token_hint", "scope", "acr_values", "user_code", "authorization_details",
           "params", "backchannel_endpoint", "token_endpoint", "jwks_uri"])))]
pub struct VerifyArgs {
    /// A profile from the settings file (see `ciba-desk profiles`), e.g. sandbox.
    #[arg(long, help_heading = "Profile form")]
    pub profile: Option<String>,

    /// The provider's issuer identifier (the form without a profile).
    #[arg(long, requires = "client_id", help_heading = "Form without a profile")]
    pub issuer: Option<String>,
    #[arg(long, requires = "issuer", help_heading = "Form without a profile")]
    pub client_id: Option<String>,
    /// client_secret_basic, client_secret_post, private_key_jwt, tls_client_auth or
    /// self_signed_tls_client_auth. A client secret is read from the environment variable
    /// CIBA_CLIENT_SECRET (never from the command line).
    #[arg(
        long,
        default_value = "client_secret_basic",
        help_heading = "Form without a profile"
    )]
    pub auth_method: String,
    /// PKCS#8 PEM private key for private_key_jwt; with a mutual-TLS method, the key that
    /// signs requests (--signed-request, --fapi).
    #[arg(long, help_heading = "Form without a profile")]
    pub private_key: Option<PathBuf>,
    /// The client certificate (PEM) for tls_client_auth or self_signed_tls_client_auth.
    #[arg(
        long,
        value_name = "PEM_FILE",
        requires = "tls_key",
        help_heading = "Form without a profile"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(
        long,
        value_name = "PEM_FILE",
        requires = "tls_cert",
        help_heading = "Form without a profile"
    )]
    pub tls_key: Option<PathBuf>,
    /// The key id (kid) to put in client assertions and signed requests.
    #[arg(long, help_heading = "Form without a profile")]
    pub key_id: Option<String>,
    /// RS256, PS256 or ES256; by default RS256 for RSA keys and ES256 for EC keys.
    #[arg(long, help_heading = "Form without a profile")]
    pub assertion_alg: Option<String>,
    /// Sends the request as a JWT signed with the --private-key (CIBA's signed authentication
    /// request, which FAPI-CIBA providers require): PS256 or ES256, RS256 only when the
    /// provider offers neither.
    #[arg(
        long,
        requires = "private_key",
        help_heading = "Form without a profile"
    )]
    pub signed_request: bool,
    /// The FAPI-CIBA profile's rules: private_key_jwt or mutual TLS, a PS256 or ES256 key, a
    /// signed request, a binding message, ID tokens in PS256 or ES256; a provider that does not
    /// allow them is refused, naming the rule.
    #[arg(
        long,
        requires = "private_key",
        help_heading = "Form without a profile"
    )]
    pub fapi: bool,
    /// A PEM file with the certificate authority (or several) that issued the provider's
    /// certificate, trusted for this provider only, besides the operating system's.
    #[arg(long, value_name = "PEM_FILE", help_heading = "Form without a profile")]
    pub ca_file: Option<PathBuf>,

    /// The customer's national ID with its country: se:…, no:… or dk:… (validated, sent
    /// normalised, compared with the identity the provider returns). `-` reads it from
    /// standard input; CIBA_DESK_NATIONAL_ID also gives it. Either keeps it out of `ps` and
    /// the shell's history.
    #[arg(
        long,
        value_name = "CC:NUMBER|-",
        env = "CIBA_DESK_NATIONAL_ID",
        hide_env_values = true,
        help_heading = "The customer"
    )]
    pub national_id: Option<String>,
    /// The customer's user id or user name at the provider (MitID UUID, Authway user name).
    #[arg(long, help_heading = "The customer")]
    pub user_id: Option<String>,
    /// The customer's e-mail address (Authway pickup), compared with the returned one.
    #[arg(long, help_heading = "The customer")]
    pub email: Option<String>,
    /// The login_hint as is (with a profile: the customer's identifier, recognised by form).
    #[arg(long, help_heading = "The customer")]
    pub login_hint: Option<String>,
    #[arg(long, help_heading = "The customer")]
    pub login_hint_token: Option<String>,
    /// An ID token as the hint; `-` reads it from standard input, CIBA_DESK_ID_TOKEN_HINT
    /// also gives it.
    #[arg(
        long,
        value_name = "JWT|-",
        env = "CIBA_DESK_ID_TOKEN_HINT",
        hide_env_values = true,
        help_heading = "The customer"
    )]
    pub id_token_hint: Option<String>,

    /// The short text shown on the customer's device and read aloud by the agent.
    #[arg(long, visible_alias = "message", value_name = "MESSAGE")]
    pub binding_message: Option<String>,
    /// Who placed the call (Idura Swedish BankID phone authentication): rp or user.
    #[arg(long, value_enum, requires = "profile")]
    pub call_initiator: Option<CallInitiatorArg>,
    /// Show the customer link (pickup profiles) as a QR code in the terminal.
    #[arg(long, requires = "profile")]
    pub qr: bool,
    /// When `--profile sandbox` starts the sandbox itself: decide automatically, approve,
    /// deny or mismatch (another test person approves), optionally after SECONDS (default 1).
    #[arg(
        long,
        value_name = "approve|deny|mismatch[:SECONDS]",
        env = "CIBA_DESK_SANDBOX_AUTO",
        requires = "profile"
    )]
    pub sandbox_auto: Option<String>,

    #[arg(
        long,
        default_value = "openid",
        help_heading = "Form without a profile"
    )]
    pub scope: String,
    #[arg(long, help_heading = "Form without a profile")]
    pub acr_values: Option<String>,
    /// Seconds the provider should wait for the customer (overrides the profile's).
    #[arg(long)]
    pub requested_expiry: Option<u32>,
    /// The user_code some providers ask for; `-` reads it from standard input,
    /// CIBA_DESK_USER_CODE also gives it.
    #[arg(
        long,
        value_name = "CODE|-",
        env = "CIBA_DESK_USER_CODE",
        hide_env_values = true,
        help_heading = "Form without a profile"
    )]
    pub user_code: Option<String>,
    /// Rich authorization details as JSON, e.g. '[{"type":"phoneAuth","callInitiator":"RP"}]'.
    #[arg(long, help_heading = "Form without a profile")]
    pub authorization_details: Option<String>,
    /// Extra provider parameter NAME=VALUE; repeatable.
    #[arg(
        long = "param",
        value_name = "NAME=VALUE",
        help_heading = "Form without a profile"
    )]
    pub params: Vec<String>,

    /// Override the discovered backchannel authentication endpoint.
    #[arg(long, help_heading = "Form without a profile")]
    pub backchannel_endpoint: Option<String>,
    /// Override the discovered token endpoint.
    #[arg(long, help_heading = "Form without a profile")]
    pub token_endpoint: Option<String>,
    /// Override the discovered JWKS URI.
    #[arg(long, help_heading = "Form without a profile")]
    pub jwks_uri: Option<String>,
    /// Run the verification through the organisation's ciba-desk-server at URL, signed in with
    /// the access token from CIBA_DESK_TOKEN or --token-file; the profile is the server's.
    #[arg(
        long,
        value_name = "URL",
        requires = "profile",
        help_heading = "Through a server"
    )]
    pub server: Option<String>,
    /// A file holding the agent's access token (instead of CIBA_DESK_TOKEN).
    #[arg(long, requires = "server", help_heading = "Through a server")]
    pub token_file: Option<PathBuf>,
    /// The CRM's case number, recorded with the verification (in the audit log, or on the
    /// server).
    #[arg(long)]
    pub reference: Option<String>,

    /// Seconds each HTTP call may take.
    #[arg(long, default_value_t = 15)]
    pub http_timeout: u64,

    /// Print the final result as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

// ---------- profiles ----------

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ProfilesArgs {
    #[command(subcommand)]
    pub command: Option<ProfilesCommand>,
    /// List as a JSON array (kind, name, provider, issuer, is_sandbox, identity_input, secret).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// List the profiles (the built-in sandbox and yours) and the presets (the default).
    List {
        /// As a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Add a profile from a preset or for a generic provider.
    #[command(group(ArgGroup::new("base").required(true).multiple(true)
        .args(["preset", "issuer"])))]
    Add(Box<ProfileAddArgs>),
    /// Remove a profile (its keyring secret stays; `ciba-desk secret delete NAME` removes it).
    Remove { name: String },
    /// Write profiles (all of yours, or those named) to FILE or stdout; never secrets.
    Export {
        /// Where to write; standard output when absent.
        file: Option<PathBuf>,
        /// Export only this profile; repeatable.
        #[arg(long = "profile", value_name = "NAME")]
        profiles: Vec<String>,
    },
    /// Add the profiles of an export file (nothing changes unless the whole file is valid).
    Import {
        file: PathBuf,
        /// Replace profiles that have the same name (default: keep yours, skip theirs); every
        /// change is printed.
        #[arg(long)]
        replace: bool,
        /// Print what the import would add and change (as with --replace), and change nothing.
        #[arg(long, conflicts_with = "replace")]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct ProfileAddArgs {
    /// The new profile's name (also its keyring entry name unless --secret-entry is given).
    pub name: String,
    /// Start from a preset: sandbox, signicat_mobileid, signaturgruppen_mitid_pp_demo,
    /// signaturgruppen_mitid, idura_se_bankid, idura_no_bankid, idura_frejaid,
    /// authway_call_centre, authway_pickup, generic.
    #[arg(long)]
    pub preset: Option<String>,
    /// The provider's issuer URL (replaces the preset's).
    #[arg(long)]
    pub issuer: Option<String>,
    /// Fills the placeholder in the preset's issuer, e.g. `--domain mybank` for Idura
    /// (https://mybank.idura.broker) or `--domain mybank-prod` for Authway.
    #[arg(long, conflicts_with = "issuer")]
    pub domain: Option<String>,
    /// The client id the provider issued.
    #[arg(long)]
    pub client_id: Option<String>,
    /// client_secret_basic, client_secret_post, private_key_jwt, tls_client_auth or
    /// self_signed_tls_client_auth.
    #[arg(long)]
    pub auth_method: Option<String>,
    /// For private_key_jwt: the key id (kid) in client assertions (mutual TLS: in signed
    /// requests).
    #[arg(long)]
    pub key_id: Option<String>,
    /// For private_key_jwt (and a mutual-TLS request-signing key): RS256, PS256 or ES256.
    #[arg(long)]
    pub signing_alg: Option<String>,
    /// For private_key_jwt and mutual TLS: true sends every request as a JWT signed with the
    /// private key (FAPI-CIBA providers require it), false as plain form fields.
    #[arg(long, value_name = "true|false")]
    pub signed_requests: Option<bool>,
    /// true: the FAPI-CIBA profile's rules for this provider (private_key_jwt or mutual TLS,
    /// PS256 or ES256, signed requests, a binding message on every request).
    #[arg(long, value_name = "true|false")]
    pub fapi: Option<bool>,
    /// A PEM file with the certificate authority that issued the provider's certificate,
    /// kept in the profile and trusted for this provider only.
    #[arg(long, value_name = "PEM_FILE")]
    pub ca_file: Option<PathBuf>,
    /// The keyring entry name holding the secret (default: the profile name).
    #[arg(long)]
    pub secret_entry: Option<String>,
    /// Idura Swedish BankID: who usually places the call (rp or user); without it every
    /// verification must say.
    #[arg(long, value_enum)]
    pub default_call_initiator: Option<CallInitiatorArg>,
    /// Seconds the provider should wait for the customer.
    #[arg(long)]
    pub requested_expiry: Option<u32>,
    /// Notes for the agent.
    #[arg(long)]
    pub description: Option<String>,
    /// The short title agents see (default: the preset's provider and method).
    #[arg(long)]
    pub title: Option<String>,
    /// Replace an existing profile of that name.
    #[arg(long)]
    pub replace: bool,
}

// ---------- secret ----------

#[derive(Debug, Args)]
pub struct SecretArgs {
    #[command(subcommand)]
    pub command: SecretCommand,
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Store the profile's client secret (read from standard input, without echo on a
    /// terminal), with --private-key its PEM private key, or with --tls-cert and --tls-key its
    /// client certificate (mutual TLS).
    Set {
        profile: String,
        /// A PKCS#8 PEM private key file (for private_key_jwt profiles, and the request-signing
        /// key of mutual-TLS profiles that sign their requests).
        #[arg(long, value_name = "FILE")]
        private_key: Option<PathBuf>,
        /// The client certificate (PEM) of a tls_client_auth or self_signed_tls_client_auth
        /// profile.
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The client certificate's private key (PEM).
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Say whether the profile's secret is stored: prints stored, missing or public
    /// (exit 0 when stored or public, 1 when missing). Never prints the value.
    Status { profile: String },
    /// Delete the profile's client secret, private key and client certificate from the
    /// keyring.
    Delete { profile: String },
}

// ---------- audit ----------

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormatArg {
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every record's hash and link, and the anchor outside the file when there is
    /// one. Exit 0 when intact, 7 naming the first broken record otherwise.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Also check the log against this anchor file (the settings' `[audit] anchor` file,
        /// or the system log exported with `journalctl -t ciba-desk -o cat > FILE`); names
        /// the first record they disagree on, also records deleted from the end. Default:
        /// the `[audit] anchor` file, when one is set.
        #[arg(long, value_name = "FILE")]
        anchor: Option<PathBuf>,
    },
    /// Write the records (masked identifiers, no secrets) as CSV or JSON.
    Export {
        /// Only records from this day on (YYYY-MM-DD, UTC).
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<String>,
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormatArg,
        /// Where to write; standard output when absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Delete records older than DAYS days (recorded in the log as a retention purge).
    /// Without --older-than, the settings file's `[audit] retention_days` applies.
    Purge {
        #[arg(long, value_name = "DAYS")]
        older_than: Option<u32>,
    },
    /// Show the newest records.
    Recent {
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}
