//! The server's configuration file (TOML). Unknown keys are errors with their line and column;
//! every rule that can be checked without the network is checked by `check-config` and at
//! start, before anything listens. Secrets are read from files readable only by the server's
//! user, or from environment variables; never from the file itself.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use desk::{Location, Profile, SecretRef};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::Deserialize;

use crate::error::{Result, ServerError};

/// The environment variable that overrides `[database] url`.
pub const DATABASE_URL_ENV: &str = "DATABASE_URL";
/// The smallest audit HMAC key accepted, in bytes.
pub const MIN_AUDIT_KEY: usize = 32;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerSection,
    pub database: DatabaseSection,
    pub agents: AgentsSection,
    #[serde(default)]
    pub limits: LimitsSection,
    pub audit: AuditSection,
    #[serde(default)]
    pub profiles: Vec<Profile>,
    /// Receivers of final states (a CRM, a phone system).
    #[serde(default)]
    pub webhooks: Vec<WebhookSection>,
}

/// One `[[webhooks]]` receiver.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSection {
    /// HTTPS (plain HTTP to a loopback address only).
    pub url: String,
    /// Signs each delivery (`CIBA-Desk-Signature`), so the receiver knows it came from here.
    pub secret: SecretSource,
    /// Which final states to send; all when left out.
    #[serde(default = "all_webhook_events")]
    pub events: Vec<String>,
}

/// The final states a webhook can be sent for.
pub const WEBHOOK_EVENTS: [&str; 6] = [
    "verified",
    "mismatch",
    "denied",
    "expired",
    "failed",
    "cancelled",
];

fn all_webhook_events() -> Vec<String> {
    WEBHOOK_EVENTS.iter().map(|e| (*e).to_owned()).collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    pub listen: SocketAddr,
    /// Plain HTTP on a non-loopback address, because a TLS proxy in front terminates HTTPS.
    #[serde(default)]
    pub behind_tls_proxy: bool,
    #[serde(default)]
    pub tls: Option<TlsSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    /// `postgres://…` or `sqlite:///path/server.sqlite3`.
    pub url: String,
    /// The role `serve` connects as; `migrate` (run as the owner) grants it what it needs.
    #[serde(default)]
    pub runtime_role: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentsSection {
    /// The organisation's OpenID provider.
    pub issuer: String,
    #[serde(default = "default_audience")]
    pub audience: String,
    #[serde(default = "default_roles_claim")]
    pub roles_claim: String,
    #[serde(default = "default_agent_role")]
    pub agent_role: String,
    #[serde(default = "default_auditor_role")]
    pub auditor_role: String,
    /// The desktop app's public client at the provider (authorization code with PKCE and a
    /// loopback redirect): offered to agents at `GET /api/v1/sign-in`, so their app needs
    /// only this server's address.
    #[serde(default)]
    pub desktop_client_id: Option<String>,
    /// The scopes the desktop asks for besides `openid` and `offline_access`, to get an
    /// access token for this server's audience.
    #[serde(default)]
    pub desktop_scopes: Vec<String>,
}

fn default_audience() -> String {
    "ciba-desk".into()
}
fn default_roles_claim() -> String {
    "roles".into()
}
fn default_agent_role() -> String {
    "agent".into()
}
fn default_auditor_role() -> String {
    "auditor".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    #[serde(default = "default_per_minute")]
    pub per_agent_per_minute: u32,
}

impl Default for LimitsSection {
    fn default() -> Self {
        Self {
            per_agent_per_minute: default_per_minute(),
        }
    }
}

fn default_per_minute() -> u32 {
    10
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSection {
    pub hmac_key: SecretSource,
    /// Serve even when the database role could rewrite audit rows.
    #[serde(default)]
    pub allow_mutable: bool,
}

/// Where a secret comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SecretSource {
    File(PathBuf),
    Env(String),
}

impl Config {
    /// Reads and checks `path`; `DATABASE_URL` overrides the database URL.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| ServerError::ConfigUnreadable {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let mut config = Self::parse(&text, path)?;
        if let Ok(url) = std::env::var(DATABASE_URL_ENV)
            && !url.trim().is_empty()
        {
            config.database.url = url;
        }
        Ok(config)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let config: Config =
            toml::from_str(text).map_err(|e: toml::de::Error| ServerError::ConfigMalformed {
                path: path.display().to_string(),
                location: e.span().map(|s| Location::of_offset(text, s.start)),
                message: e.message().trim().to_owned(),
            })?;
        config.check(path)?;
        Ok(config)
    }

    fn check(&self, path: &Path) -> Result<()> {
        let invalid = |reason: String| ServerError::ConfigInvalid {
            path: path.display().to_string(),
            reason,
        };
        let s = &self.server;
        if !s.listen.ip().is_loopback() && s.tls.is_none() && !s.behind_tls_proxy {
            return Err(invalid(format!(
                "[server] listen = \"{}\" is not a loopback address, so plain HTTP would carry agents' tokens and customers' numbers in clear: add [server.tls] cert and key files, or state `behind_tls_proxy = true` when a TLS proxy in front terminates HTTPS",
                s.listen
            )));
        }
        url::Url::parse(&self.agents.issuer)
            .map_err(|e| {
                invalid(format!(
                    "[agents] issuer {:?} is not a URL ({e})",
                    self.agents.issuer
                ))
            })
            .and_then(|u| {
                ciba::require_secure(&u).map_err(|e| invalid(format!("[agents] issuer: {e}")))
            })?;
        if self.limits.per_agent_per_minute == 0 {
            return Err(invalid(
                "[limits] per_agent_per_minute must be at least 1".into(),
            ));
        }
        let mut urls = std::collections::BTreeSet::new();
        for (i, w) in self.webhooks.iter().enumerate() {
            let at = format!("[[webhooks]] #{} url {:?}", i + 1, w.url);
            let url =
                url::Url::parse(&w.url).map_err(|e| invalid(format!("{at} is not a URL ({e})")))?;
            ciba::require_secure(&url).map_err(|e| invalid(format!("{at}: {e}")))?;
            if !urls.insert(url.as_str().to_owned()) {
                return Err(invalid(format!("{at} is listed twice")));
            }
            if let Some(e) = w
                .events
                .iter()
                .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
            {
                return Err(invalid(format!(
                    "{at}: the event {e:?} is not one of {}",
                    WEBHOOK_EVENTS.join(", ")
                )));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for p in &self.profiles {
            if !seen.insert(p.name.as_str()) {
                return Err(invalid(format!(
                    "two profiles are named {:?}; names must be unique",
                    p.name
                )));
            }
            p.check_usable()?;
            if p.is_sandbox {
                return Err(invalid(format!(
                    "profile {:?} is the built-in sandbox, which trains agents on one computer; a server serves real providers only",
                    p.name
                )));
            }
        }
        Ok(())
    }

    /// The audit HMAC key: at least 32 bytes, written raw, as hex or as base64.
    pub fn audit_key(&self) -> Result<SecretBox<[u8]>> {
        let text = read_secret(&self.audit.hmac_key, "the audit HMAC key")?;
        let key = decode_key(text.expose_secret())
            .ok_or(ServerError::AuditKeyTooShort { min: MIN_AUDIT_KEY })?;
        Ok(SecretBox::new(key.into_boxed_slice()))
    }

    /// Every profile's secret, read now: a server that cannot read one does not start.
    pub fn profile_secrets(&self) -> Result<Vec<(String, SecretString)>> {
        let mut out = vec![];
        for p in &self.profiles {
            let source = match &p.secret {
                Some(SecretRef::File(f)) => SecretSource::File(f.clone()),
                Some(SecretRef::Env(v)) => SecretSource::Env(v.clone()),
                Some(SecretRef::Public(_)) => continue,
                Some(SecretRef::Entry(_)) | None => {
                    return Err(ServerError::ConfigInvalid {
                        path: "[[profiles]]".into(),
                        reason: format!(
                            "profile {:?} names no secret file or environment variable; a server has no keyring: set `secret = {{ file = \"/etc/ciba-desk/secrets/{}.secret\" }}` or `secret = {{ env = \"VARIABLE\" }}`",
                            p.name, p.name
                        ),
                    });
                }
            };
            if p.needs_request_key() {
                // Its one secret file holds the certificate and the certificate's key; a second
                // key for signing has no place to come from here yet.
                return Err(ServerError::ConfigInvalid {
                    path: "[[profiles]]".into(),
                    reason: format!(
                        "profile {:?} uses mutual TLS and signs its requests (signed_requests or fapi), which needs a request-signing key besides the certificate; the server cannot be given one yet: use private_key_jwt for this profile on the server, or turn signing off",
                        p.name
                    ),
                });
            }
            let what = format!("the secret of profile {:?}", p.name);
            out.push((p.name.clone(), read_secret(&source, &what)?));
        }
        Ok(out)
    }
}

/// Reads a secret; a file must not be readable by group or others.
pub fn read_secret(source: &SecretSource, what: &str) -> Result<SecretString> {
    match source {
        SecretSource::Env(var) => std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(SecretString::from)
            .ok_or_else(|| ServerError::SecretEnvMissing {
                what: what.into(),
                var: var.clone(),
            }),
        SecretSource::File(path) => {
            check_private(path, what)?;
            let text =
                std::fs::read_to_string(path).map_err(|e| ServerError::SecretFileUnreadable {
                    what: what.into(),
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
            Ok(SecretString::from(
                text.trim_end_matches(['\n', '\r']).to_owned(),
            ))
        }
    }
}

#[cfg(unix)]
fn check_private(path: &Path, what: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| ServerError::SecretFileUnreadable {
        what: what.into(),
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ServerError::SecretFileTooOpen {
            what: what.into(),
            path: path.display().to_string(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path, _: &str) -> Result<()> {
    Ok(())
}

/// Hex (64+ digits), base64 (standard or URL-safe), or the raw bytes; `None` when shorter than
/// [`MIN_AUDIT_KEY`] bytes.
fn decode_key(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let t = text.trim();
    let hex = (t.len().is_multiple_of(2) && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| {
            (0..t.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok())
                .collect::<Option<Vec<u8>>>()
        })
        .flatten();
    let b64 = || {
        base64::engine::general_purpose::STANDARD
            .decode(t)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t))
            .ok()
    };
    let key = hex
        .or_else(b64)
        .filter(|k| k.len() >= MIN_AUDIT_KEY)
        .unwrap_or_else(|| t.as_bytes().to_vec());
    (key.len() >= MIN_AUDIT_KEY).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[server]
listen = "127.0.0.1:8480"
[database]
url = "sqlite:///tmp/x.sqlite3"
[agents]
issuer = "https://login.example.com"
[audit]
hmac_key = { env = "CIBA_DESK_TEST_AUDIT_KEY" }
"#;

    #[test]
    fn the_example_in_deploy_is_valid() {
        let c = Config::parse(
            include_str!("../deploy/server.toml"),
            Path::new("deploy/server.toml"),
        )
        .unwrap();
        assert_eq!(c.profiles.len(), 1);
        assert_eq!(c.database.runtime_role.as_deref(), Some("ciba_desk"));
        assert!(matches!(c.profiles[0].secret, Some(SecretRef::File(_))));
    }

    #[test]
    fn a_minimal_file_has_safe_defaults() {
        let c = Config::parse(MINIMAL, Path::new("server.toml")).unwrap();
        assert_eq!(c.agents.audience, "ciba-desk");
        assert_eq!(c.agents.roles_claim, "roles");
        assert_eq!(c.limits.per_agent_per_minute, 10);
        assert!(!c.audit.allow_mutable);
        assert!(c.profiles.is_empty());
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        let text = MINIMAL.replace("[agents]", "[agents]\nroles_clam = \"x\"");
        let e = Config::parse(&text, Path::new("server.toml")).unwrap_err();
        let m = e.to_string();
        assert_eq!(e.code(), "config_malformed");
        assert!(m.contains("roles_clam") && m.contains("line 7"), "{m}");
    }

    #[test]
    fn webhooks_go_over_https_to_known_events_only() {
        let with = |hook: &str| format!("{MINIMAL}\n[[webhooks]]\n{hook}\n");
        let ok = with(
            r#"url = "https://crm.example.com/hooks/ciba"
secret = { env = "CRM_HOOK_SECRET" }
events = ["verified", "mismatch"]"#,
        );
        let c = Config::parse(&ok, Path::new("server.toml")).unwrap();
        assert_eq!(c.webhooks[0].events, ["verified", "mismatch"]);
        let all = with(
            r#"url = "http://127.0.0.1:9000/hook"
secret = { env = "X" }"#,
        );
        assert_eq!(
            Config::parse(&all, Path::new("server.toml"))
                .unwrap()
                .webhooks[0]
                .events
                .len(),
            6
        );
        let e = Config::parse(
            &with(
                r#"url = "http://crm.example.com/hook"
secret = { env = "X" }"#,
            ),
            Path::new("server.toml"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("[[webhooks]] #1"), "{e}");
        let e = Config::parse(
            &with(
                r#"url = "https://crm.example.com/hook"
secret = { env = "X" }
events = ["approved"]"#,
            ),
            Path::new("server.toml"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("\"approved\" is not one of"), "{e}");
    }

    #[test]
    fn plain_http_is_for_loopback_only() {
        let text = MINIMAL.replace("127.0.0.1:8480", "0.0.0.0:8480");
        let e = Config::parse(&text, Path::new("server.toml")).unwrap_err();
        assert!(e.to_string().contains("behind_tls_proxy"), "{e}");
        let ok = text.replace("[database]", "behind_tls_proxy = true\n[database]");
        Config::parse(&ok, Path::new("server.toml")).unwrap();
        let http = MINIMAL.replace("https://login", "http://login");
        let e = Config::parse(&http, Path::new("server.toml")).unwrap_err();
        assert!(e.to_string().contains("[agents] issuer"), "{e}");
    }

    #[test]
    fn keys_are_hex_base64_or_raw_and_long_enough() {
        assert_eq!(decode_key(&"ab".repeat(32)).unwrap(), vec![0xab; 32]);
        assert_eq!(
            decode_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap(),
            vec![0; 32]
        );
        assert_eq!(decode_key(&"k".repeat(40)).unwrap(), vec![b'k'; 40]);
        assert!(decode_key("short").is_none());
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_readable_by_others_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s");
        std::fs::write(&f, "secret\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_secret(&SecretSource::File(f.clone()), "the secret").unwrap_err();
        assert_eq!(e.code(), "secret_file_too_open");
        assert!(e.to_string().contains("chmod 600"), "{e}");
        assert!(!e.to_string().contains("secret\n"));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        let s = read_secret(&SecretSource::File(f), "the secret").unwrap();
        assert_eq!(s.expose_secret(), "secret");
    }

    /// A mutual-TLS profile's one secret is its certificate with its key; one that would also
    /// sign its requests is refused at start, saying why, rather than at its first request.
    #[test]
    fn a_mutual_tls_profile_that_signs_is_refused_at_start() {
        let mut c = Config::parse(MINIMAL, Path::new("server.toml")).unwrap();
        let mut bank = desk::preset("generic").unwrap();
        bank.name = "bank".into();
        bank.auth_method = desk::AuthMethod::TlsClientAuth;
        bank.secret = Some(SecretRef::Env("CIBA_DESK_TEST_BANK_CERT".into()));
        bank.fapi = true;
        c.profiles = vec![bank];
        let e = c.profile_secrets().unwrap_err();
        assert!(e.to_string().contains("request-signing key"), "{e}");
        c.profiles[0].fapi = false;
        let e = c.profile_secrets().unwrap_err();
        assert_eq!(e.code(), "secret_env_missing", "{e}");
    }
}
