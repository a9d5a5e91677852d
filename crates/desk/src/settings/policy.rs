//! The administrator's policy file: settings for every agent on this computer, which agents
//! cannot change and the app and the command line both obey. It is read from a machine-wide
//! place only an administrator can write (`/etc/ciba-desk/policy.toml` on Linux); only where
//! there is none, from the file `CIBA_DESK_POLICY` names (tests, trials), so the variable can
//! never set an administrator's file aside.
//!
//! No file: the agent decides everything, as before. A file that cannot be read is never
//! ignored: the desk runs locked down (no profile can be used, added or changed) and says why,
//! with the line and column, until the administrator fixes it.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use super::locations::{key_value_location, location};
use super::reserved;
use crate::error::{DeskError, Location};
use crate::profile::Profile;

/// Names another policy file (tests, trials); otherwise the platform's place is read.
pub const POLICY_ENV: &str = "CIBA_DESK_POLICY";

/// Where an administrator puts the policy file on this platform.
pub fn default_path() -> PathBuf {
    if cfg!(windows) {
        let base = std::env::var_os("ProgramData").unwrap_or_else(|| r"C:\ProgramData".into());
        PathBuf::from(base).join("CIBA Desk").join("policy.toml")
    } else if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/CIBA Desk/policy.toml")
    } else {
        PathBuf::from("/etc/ciba-desk/policy.toml")
    }
}

/// The policy file's contents.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// The organisation's CIBA Desk server, for server mode.
    #[serde(default)]
    pub server_url: Option<String>,
    /// The organisation's sign-in provider, for server mode.
    #[serde(default)]
    pub sign_in: Option<SignIn>,
    /// Agents cannot add, edit, import or remove profiles; only the policy's are used.
    #[serde(default)]
    pub lock_profiles: bool,
    /// Whether the built-in training sandbox is offered (default yes).
    #[serde(default = "yes")]
    pub allow_sandbox: bool,
    /// Origins (`https://host[:port]`) a profile may contact or show besides its issuer's: a
    /// provider whose cancel call or customer link lives on another host.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// The UI language when the agent has chosen none (`en`, `sv`, `nb`, `da`).
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub audit: PolicyAudit,
    /// Profiles every agent gets, read-only.
    #[serde(default)]
    pub profiles: Vec<Profile>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub issuer: String,
    pub client_id: String,
    /// Asked for besides `openid` (and `offline_access`): whatever the provider needs to give
    /// an access token for the server (e.g. `api://ciba-desk/agent`).
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// The audit choices an administrator makes for everyone; they win over the settings file's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyAudit {
    /// Records younger than this are never purged.
    #[serde(default)]
    pub min_retention_days: Option<u32>,
    /// Where each record's hash also goes (an append-only file, or `syslog`).
    #[serde(default)]
    pub anchor: Option<String>,
}

/// What the administrator decided for this computer.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Policy {
    /// No policy file.
    #[default]
    Unmanaged,
    Managed {
        path: PathBuf,
        file: PolicyFile,
    },
    /// The file could not be read or is not valid: everything is locked until it is fixed.
    Broken {
        path: PathBuf,
        location: Option<Location>,
        message: String,
    },
}

const LANGUAGES: [&str; 4] = ["en", "sv", "nb", "da"];

impl Policy {
    /// The policy of this computer: the platform's file when there is one, else the file
    /// `CIBA_DESK_POLICY` names.
    pub fn load_default() -> Self {
        let system = default_path();
        if system.exists() {
            return match administrators_only(&system) {
                Ok(()) => Self::load(&system),
                Err(why) => Policy::Broken {
                    path: system,
                    location: None,
                    message: why,
                },
            };
        }
        match std::env::var_os(POLICY_ENV).filter(|v| !v.is_empty()) {
            Some(path) => Self::load(Path::new(&path)),
            None => Policy::Unmanaged,
        }
    }

    /// The policy in `path`; no file there means no policy.
    pub fn load(path: &Path) -> Self {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Policy::Unmanaged,
            Err(e) => Policy::Broken {
                path: path.into(),
                location: None,
                message: format!("it cannot be read ({e})"),
            },
        }
    }

    pub fn parse(text: &str, path: &Path) -> Self {
        let broken = |location: Option<Location>, message: String| Policy::Broken {
            path: path.into(),
            location,
            message,
        };
        let file: PolicyFile = match toml::from_str(text) {
            Ok(f) => f,
            Err(e) => return broken(location(text, &e), e.message().trim().to_owned()),
        };
        match check(text, &file) {
            Ok(()) => Policy::Managed {
                path: path.into(),
                file,
            },
            Err((location, message)) => broken(location, message),
        }
    }

    /// Whether an administrator's policy applies (a broken one included).
    pub fn is_managed(&self) -> bool {
        !matches!(self, Policy::Unmanaged)
    }

    /// The policy file, when there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Policy::Unmanaged => None,
            Policy::Managed { path, .. } | Policy::Broken { path, .. } => Some(path),
        }
    }

    /// The file's settings; none when there is no file or it is broken.
    pub fn file(&self) -> Option<&PolicyFile> {
        match self {
            Policy::Managed { file, .. } => Some(file),
            _ => None,
        }
    }

    /// Why the policy cannot be applied, for the agent to see (and pass on).
    pub fn problem(&self) -> Option<DeskError> {
        match self {
            Policy::Broken {
                path,
                location,
                message,
            } => Some(DeskError::PolicyMalformed {
                path: path.display().to_string(),
                location: *location,
                message: message.clone(),
            }),
            _ => None,
        }
    }

    /// Agents' own profiles are set aside: only the policy's count. A broken policy locks.
    pub fn profiles_locked(&self) -> bool {
        match self {
            Policy::Unmanaged => false,
            Policy::Managed { file, .. } => file.lock_profiles,
            Policy::Broken { .. } => true,
        }
    }

    pub fn sandbox_allowed(&self) -> bool {
        match self {
            Policy::Unmanaged => true,
            Policy::Managed { file, .. } => file.allow_sandbox,
            Policy::Broken { .. } => false,
        }
    }

    /// The profiles the policy gives every agent, read-only.
    pub fn profiles(&self) -> &[Profile] {
        self.file().map_or(&[], |f| &f.profiles)
    }

    /// Whether `name` is one of the policy's profiles.
    pub fn manages_profile(&self, name: &str) -> bool {
        self.profiles().iter().any(|p| p.name == name)
    }

    /// The origins profiles may use besides their issuer's.
    pub fn allowed_origins(&self) -> &[String] {
        self.file().map_or(&[], |f| &f.allowed_origins)
    }

    /// Whether anything may be verified at all: not while the policy file is broken.
    pub fn check_usable(&self) -> std::result::Result<(), DeskError> {
        self.problem().map_or(Ok(()), Err)
    }

    /// Whether a provider given by hand (no profile) may be used: not where the policy decides
    /// the profiles.
    pub fn check_own_provider(&self) -> std::result::Result<(), DeskError> {
        self.check_usable()?;
        if self.profiles_locked() {
            return Err(
                self.refusal("the choice of providers (use --profile with one of its profiles)")
            );
        }
        Ok(())
    }

    /// Whether verifications may go through the CIBA Desk server at `url`: only the policy's
    /// own, when it names one.
    pub fn check_server(&self, url: &str) -> std::result::Result<(), DeskError> {
        self.check_usable()?;
        match self.file().and_then(|f| f.server_url.as_deref()) {
            Some(own) if own.trim_end_matches('/') != url.trim_end_matches('/') => {
                Err(self.refusal(format!("the server this computer uses ({own})")))
            }
            _ => Ok(()),
        }
    }

    /// The error for a change the policy does not allow: `what` is being changed.
    pub fn refusal(&self, what: impl Into<String>) -> DeskError {
        match self.problem() {
            Some(problem) => problem,
            None => DeskError::ManagedByPolicy {
                what: what.into(),
                path: self
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            },
        }
    }
}

/// The system's policy file must be the administrators' alone: a file anyone else could write
/// would let them set the policy for everyone.
#[cfg(unix)]
fn administrators_only(path: &Path) -> std::result::Result<(), String> {
    use std::os::unix::fs::MetadataExt as _;
    let check = |p: &Path| -> std::result::Result<(), String> {
        let m = std::fs::metadata(p).map_err(|e| format!("it cannot be read ({e})"))?;
        if m.uid() != 0 || m.mode() & 0o022 != 0 {
            return Err(format!(
                "{} must belong to root and be writable by root only (chown root: and chmod go-w), or anyone could set the policy",
                p.display()
            ));
        }
        Ok(())
    };
    check(path)?;
    match path.parent() {
        Some(dir) => check(dir),
        None => Ok(()),
    }
}

#[cfg(not(unix))]
fn administrators_only(_path: &Path) -> std::result::Result<(), String> {
    // Windows and macOS install the folder with administrators-only write access.
    Ok(())
}

/// Checks what serde cannot: URLs, the language, the profiles (with the policy's own origins).
fn check(text: &str, f: &PolicyFile) -> std::result::Result<(), (Option<Location>, String)> {
    let key_at = |key: &str| super::locations::key_location(text, key);
    let https = |value: &str, key: &str| -> std::result::Result<Url, (Option<Location>, String)> {
        let url = Url::parse(value)
            .map_err(|e| (key_at(key), format!("{key} {value:?} is not a URL ({e})")))?;
        ciba::require_secure(&url).map_err(|e| (key_at(key), format!("{key}: {e}")))?;
        Ok(url)
    };
    if let Some(u) = &f.server_url {
        https(u, "server_url")?;
    }
    if let Some(s) = &f.sign_in {
        https(&s.issuer, "issuer")?;
        if s.client_id.trim().is_empty() {
            return Err((key_at("client_id"), "sign_in.client_id is empty".into()));
        }
    }
    for origin in &f.allowed_origins {
        let url = https(origin, "allowed_origins")?;
        if url.path() != "/" || url.query().is_some() {
            return Err((
                key_at("allowed_origins"),
                format!("allowed_origins holds origins only (https://host[:port]), not {origin:?}"),
            ));
        }
    }
    if let Some(l) = &f.language
        && !LANGUAGES.contains(&l.as_str())
    {
        return Err((
            key_at("language"),
            format!("language {l:?} is not one of {}", LANGUAGES.join(", ")),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for p in &f.profiles {
        let at = key_value_location(text, "name", &p.name);
        if reserved(&p.name) {
            return Err((
                at,
                format!("the profile name {:?} is the built-in sandbox's", p.name),
            ));
        }
        if !seen.insert(p.name.as_str()) {
            return Err((at, format!("two profiles are named {:?}", p.name)));
        }
        // Every agent gets it as it is, so it must be usable as it is: no placeholders.
        p.clone()
            .allowing_origins(&f.allowed_origins)
            .check_usable()
            .and_then(|()| p.check_desk_secret())
            .map_err(|e| (at, e.to_string()))?;
        // `check_usable` covers everything the desk's other checks do, and placeholders.
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{ImportMode, Settings};

    const PATH: &str = "/etc/ciba-desk/policy.toml";

    fn parse(text: &str) -> Policy {
        Policy::parse(text, Path::new(PATH))
    }

    fn bank_profile(name: &str) -> String {
        format!(
            r#"
[[profiles]]
name = "{name}"
provider = "generic"
issuer = "https://idp.bank.example"
client_id = "desk"
auth_method = "client_secret_basic"
inputs = [{{ kind = "email" }}]
hint = "login_hint"
"#
        )
    }

    fn user_profile(name: &str) -> Profile {
        let mut p = crate::presets::preset("generic").unwrap();
        p.name = name.into();
        p.issuer = "https://idp.example.com".into();
        p.client_id = "c".into();
        p
    }

    #[test]
    fn the_example_in_deploy_is_valid() {
        let p = parse(include_str!("../../deploy/policy.toml"));
        assert_eq!(p.problem().map(|e| e.to_string()), None);
        let f = p.file().unwrap();
        assert!(f.lock_profiles && !f.allow_sandbox);
        assert_eq!(f.profiles.len(), 1);
        assert_eq!(f.sign_in.as_ref().unwrap().client_id, "ciba-desk-app");
    }

    /// A system policy file someone besides root could write is not trusted.
    #[cfg(unix)]
    #[test]
    fn a_policy_file_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("policy.toml");
        std::fs::write(&file, "lock_profiles = true\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        let e = administrators_only(&file).unwrap_err();
        assert!(e.contains("writable by root only"), "{e}");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        // Root's own file in root's own folder passes (the test runs as root in CI).
        let root = std::fs::metadata(dir.path())
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
            .unwrap();
        assert_eq!(administrators_only(&file).is_ok(), root);
    }

    #[test]
    fn no_file_is_no_policy_and_an_unreadable_one_locks_everything() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Policy::load(&dir.path().join("policy.toml")),
            Policy::Unmanaged
        );
        // A directory where the file should be cannot be read.
        let p = Policy::load(dir.path());
        assert!(p.profiles_locked() && !p.sandbox_allowed());
        assert_eq!(p.problem().unwrap().code(), "policy_malformed");
    }

    #[test]
    fn a_malformed_file_is_named_with_its_line_and_column_and_locks_everything() {
        let p = parse("lock_profiles = false\nallow_sandbx = true\n");
        let e = p.problem().unwrap();
        let m = e.to_string();
        assert!(
            m.contains(PATH) && m.contains("line 2") && m.contains("allow_sandbx"),
            "{m}"
        );
        assert!(p.profiles_locked() && !p.sandbox_allowed() && p.profiles().is_empty());
        for (text, needle) in [
            ("server_url = \"http://desk.bank.example\"", "HTTPS"),
            (
                "server_url = \"https://desk.bank.example\"\nserver_url = \"x\"",
                "duplicate",
            ),
            ("language = \"fr\"", "\"fr\" is not one of"),
            (
                "allowed_origins = [\"https://x.example/path\"]",
                "origins only",
            ),
            (
                "[sign_in]\nissuer = \"https://login.example\"\nclient_id = \" \"",
                "client_id",
            ),
        ] {
            let m = parse(text).problem().unwrap().to_string();
            assert!(m.contains(needle), "{text}: {m}");
        }
        // A profile the desk would refuse is refused here, at its name.
        let bad =
            bank_profile("bank").replace("https://idp.bank.example", "http://idp.bank.example");
        let m = parse(&format!("\n{bad}")).problem().unwrap().to_string();
        assert!(m.contains("line 4"), "{m}");
        let m = parse(&bank_profile("sandbox"))
            .problem()
            .unwrap()
            .to_string();
        assert!(m.contains("sandbox"), "{m}");
    }

    #[test]
    fn locked_profiles_are_the_policys_alone_and_nothing_can_change_them() {
        let p = parse(&format!(
            "lock_profiles = true\nallow_sandbox = false\n{}",
            bank_profile("bank")
        ));
        assert!(p.problem().is_none());
        let mut s = Settings::default();
        s.add_profile(user_profile("own")).unwrap();
        let mut s = s.with_policy(p);
        let names: Vec<String> = s.profiles().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["bank"]);
        assert!(s.profile("own").is_none() && s.profile("sandbox").is_none());
        assert_eq!(s.default_profile().unwrap().name, "bank");
        for e in [
            s.add_profile(user_profile("new")).unwrap_err(),
            s.remove_profile("own").unwrap_err(),
            s.upsert_profile(user_profile("bank")).unwrap_err(),
            s.import_profiles("", ImportMode::Preview).unwrap_err(),
        ] {
            assert_eq!(e.code(), "managed_by_policy", "{e}");
            assert!(e.to_string().contains(PATH), "{e}");
        }
        // The settings file keeps the agent's own profile for when the policy lets go.
        assert_eq!(s.user_profiles().len(), 1);
    }

    /// The application layer itself refuses a provider chosen by hand under locked profiles,
    /// and everything under a broken policy, whichever shell asks.
    #[tokio::test]
    async fn the_application_layer_starts_nothing_the_policy_forbids() {
        use crate::api::{AdhocProfile, App, AppOptions, ProfileChoice, StartParams};
        let app = |policy: Policy| {
            let dir = std::env::temp_dir().join("ciba-desk-policy-test-unused");
            App::new(AppOptions::new(
                crate::settings::SettingsStore::in_dir(dir),
                Settings::default().with_policy(policy),
            ))
        };
        let start = |profile: ProfileChoice| StartParams {
            profile,
            input: crate::AgentInput::new("a@example.com"),
        };
        let adhoc = AdhocProfile {
            issuer: "https://idp.example.com".into(),
            client_id: "c".into(),
            ..AdhocProfile::default()
        }
        .into_profile()
        .unwrap();
        let locked = app(parse(&format!(
            "lock_profiles = true\n{}",
            bank_profile("bank")
        )));
        let e = locked
            .start_verification(&start(ProfileChoice::Given(Box::new(adhoc))), |_| {})
            .await
            .err()
            .unwrap();
        assert_eq!(e.code(), "managed_by_policy", "{e}");
        let broken = app(parse("lock_profiles = tru\n"));
        let e = broken
            .start_verification(&start(ProfileChoice::Named("sandbox".into())), |_| {})
            .await
            .err()
            .unwrap();
        assert_eq!(e.code(), "policy_malformed", "{e}");
    }

    #[test]
    fn unlocked_the_policys_profiles_come_first_and_cannot_be_replaced() {
        let p = parse(&bank_profile("bank"));
        let mut s = Settings::default();
        s.add_profile(user_profile("bank")).unwrap();
        s.add_profile(user_profile("own")).unwrap();
        let mut s = s.with_policy(p);
        let names: Vec<String> = s.profiles().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["sandbox", "bank", "own"]);
        assert_eq!(
            s.profile("bank").unwrap().issuer,
            "https://idp.bank.example"
        );
        let e = s.remove_profile("bank").unwrap_err();
        assert!(
            e.to_string().contains("the profile \"bank\" is managed"),
            "{e}"
        );
        s.add_profile(user_profile("another")).unwrap();
        s.remove_profile("own").unwrap();
    }

    #[test]
    fn allowed_origins_let_profiles_use_another_host_and_survive_a_reload() {
        let p = parse("allowed_origins = [\"https://cancel.bank.example\"]\n");
        let mut own = user_profile("own");
        own.cancel_url = Some("https://cancel.bank.example/c/{auth_req_id}".into());
        let e = Settings::default().add_profile(own.clone()).unwrap_err();
        assert_eq!(e.code(), "invalid_profile");
        let mut s = Settings::default().with_policy(p.clone());
        s.add_profile(own.clone()).unwrap();
        s.profile("own").unwrap().check_usable().unwrap();
        let text = s.to_toml().unwrap();
        assert!(!text.contains("allowed_origins"), "{text}");
        let back = Settings::from_toml_under(&text, "settings.toml", p).unwrap();
        back.profile("own").unwrap().check_usable().unwrap();
        // Without the policy the same file is refused, naming the profile's URL.
        assert!(Settings::from_toml(&text, "settings.toml").is_err());
        // Another host stays refused.
        let mut other = user_profile("other");
        other.cancel_url = Some("https://evil.example/c/{auth_req_id}".into());
        assert!(s.add_profile(other).is_err());
    }

    #[test]
    fn the_policys_audit_floor_and_anchor_and_language_win() {
        let p =
            parse("language = \"sv\"\n[audit]\nmin_retention_days = 365\nanchor = \"syslog\"\n");
        let mut s = Settings::default();
        s.audit.retention_days = Some(30);
        s.audit.min_retention_days = Some(10);
        let s = s.with_policy(p);
        let a = s.effective_audit();
        assert_eq!(
            (a.retention_days, a.min_retention_days, a.anchor.as_deref()),
            (Some(365), Some(365), Some("syslog"))
        );
        assert_eq!(s.language().as_deref(), Some("sv"));
        let mut own = s.clone();
        own.preferences.language = Some("da".into());
        assert_eq!(own.language().as_deref(), Some("da"));
    }
}
