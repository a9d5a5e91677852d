//! The audit trail: one record per verification in the audit log, written by the desk when the
//! verification ends and before its final event goes out, so whoever shows the final state can
//! already read the record back. Shared by the app and the command line.
//!
//! The identifier's keyed hash uses the HMAC key from the OS keyring (created on first use).
//! Without a keyring the record is still written, with the masked identifier but no hash: the
//! log then cannot find that record by the customer's number, but no verification goes
//! unrecorded. A caller that cannot open the trail should not start verifications.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use audit::{AuditLog, AuditOptions, ChainReport, NewRecord, Outcome, PurgeReport, Record};
use secrecy::{ExposeSecret as _, SecretString};
use secrets::SecretStore;
use serde::{Deserialize, Serialize};

use crate::error::{DeskError, Result};
use crate::events::{AuditEntry, Outcome as Ended, VerificationState};
use crate::input::{ExpectedIdentity, PreparedRequest};
use crate::profile::{InputKind, Profile};
use crate::verified::IdentityMatch;

/// The `[audit]` section of the settings file: the administrator's choices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Records older than this many days are deleted when the log is opened (the deletion is
    /// itself recorded). Unset: records are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// Whether records carry the verified person's name. Off: masked identifier only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub include_names: bool,
    /// The administrator's floor: records younger than this many days are never purged,
    /// whatever `retention_days` or `audit purge --older-than` say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_retention_days: Option<u32>,
    /// Where each record's hash also goes, outside the log: an absolute file path (make it
    /// append-only, on a volume the agent cannot rewrite), or `syslog`. `audit verify` checks
    /// the log against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
}

impl AuditSettings {
    /// Whether purging records older than `days` is allowed; if not, the sentence that says
    /// why and what to do.
    pub fn check_purge(&self, days: u32) -> std::result::Result<(), String> {
        match self.min_retention_days {
            Some(min) if days < min => Err(format!(
                "records must be kept at least {min} days ([audit] min_retention_days, set by your administrator); {days} is fewer"
            )),
            _ => Ok(()),
        }
    }

    /// The anchor sink, if one is set; `Err` says why the setting cannot be used.
    pub fn anchor(&self) -> std::result::Result<Option<audit::Anchor>, String> {
        self.anchor.as_deref().map(audit::Anchor::parse).transpose()
    }
}

/// The opened audit log with its keyring key, ready for appends.
pub struct AuditTrail {
    log: Arc<AuditLog>,
    keyed: bool,
    notices: Vec<String>,
    retention_days: Option<u32>,
}

impl fmt::Debug for AuditTrail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditTrail")
            .field("path", &self.log.path())
            .field("keyed", &self.keyed)
            .finish_non_exhaustive()
    }
}

/// Opens the log for commands that hash nothing (`verify`, `export`, `purge`, `recent`): any
/// key of the minimum length serves. `anchor` receives what they write (a purge record).
pub fn open_unkeyed(path: &Path, anchor: Option<audit::Anchor>) -> audit::Result<AuditLog> {
    AuditLog::open_with(
        path,
        &[0u8; audit::MIN_KEY_LEN],
        AuditOptions {
            anchor,
            ..AuditOptions::default()
        },
    )
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> audit::Result<T> + Send + 'static,
) -> Result<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(DeskError::from),
        Err(e) => Err(DeskError::Io {
            action: "use",
            path: "the audit log".into(),
            reason: e.to_string(),
        }),
    }
}

/// The lock CIBA Desk's processes take around reading or creating the audit key:
/// `PATH.key-lock` beside the log, held until the returned file is dropped (and released by
/// the OS if the process dies).
async fn key_lock(log: &Path) -> Result<std::fs::File> {
    let mut lock = log.as_os_str().to_owned();
    lock.push(".key-lock");
    let lock = PathBuf::from(lock);
    let shown = lock.clone();
    let io = move |e: std::io::Error| DeskError::Io {
        action: "lock",
        path: shown.display().to_string(),
        reason: e.to_string(),
    };
    let io2 = io.clone();
    tokio::task::spawn_blocking(move || {
        if let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&lock)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| io2(std::io::Error::other(e.to_string())))?
    .map_err(io)
}

impl AuditTrail {
    /// Opens (creating if needed) the log at `path`, takes the identifier key from `keyring`
    /// (`Err` says why there is none) and applies the retention setting. Problems that do not
    /// stop recording (no key, a retention purge refused) become [`notices`](Self::notices).
    pub async fn open(
        path: PathBuf,
        keyring: std::result::Result<&SecretStore, &str>,
        settings: &AuditSettings,
    ) -> Result<Self> {
        let mut notices = vec![];
        let no_hash = "audit records get no keyed hash of the customer's identifier, so they cannot be found by identity number later";
        let key: Option<Vec<u8>> = match keyring {
            Ok(store) => {
                // Two processes (the app and the command line) opening a new log at once
                // must not each create a key: the later one would overwrite the key the
                // other already hashes with. The lock makes check-and-create one step.
                let lock = key_lock(&path).await?;
                let key = store.audit_hmac_key().await;
                drop(lock);
                match key {
                    Ok(k) => Some(k.expose_secret().to_vec()),
                    Err(e) => {
                        notices.push(format!("{no_hash}: {e}"));
                        None
                    }
                }
            }
            Err(reason) => {
                notices.push(format!("{no_hash}: {reason}"));
                None
            }
        };
        let keyed = key.is_some();
        let anchor = settings.anchor().unwrap_or_else(|why| {
            notices.push(format!(
                "records are not anchored outside the log ([audit] anchor): {why}"
            ));
            None
        });
        let options = AuditOptions {
            include_names: settings.include_names,
            hash_identifiers: keyed,
            anchor,
            ..AuditOptions::default()
        };
        let log = blocking(move || {
            let key = key.unwrap_or_else(|| vec![0u8; audit::MIN_KEY_LEN]);
            AuditLog::open_with(&path, &key, options)
        })
        .await?;
        let mut trail = Self {
            log: Arc::new(log),
            keyed,
            notices,
            retention_days: settings.retention_days,
        };
        if let Some(days) = settings.retention_days {
            // A refused purge (a broken chain, a retention below the floor) must not stop
            // recording: the evidence stays.
            if let Err(why) = settings.check_purge(days) {
                trail
                    .notices
                    .push(format!("the retention setting was not applied: {why}"));
            } else if let Err(e) = trail.purge_older_than(days).await {
                trail
                    .notices
                    .push(format!("the retention setting was not applied: {e}"));
            }
        }
        Ok(trail)
    }

    pub fn path(&self) -> &Path {
        self.log.path()
    }

    /// Whether identifiers get a keyed hash.
    pub fn keyed(&self) -> bool {
        self.keyed
    }

    /// Sentences for the administrator about what the trail could not do when it opened.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    pub fn retention_days(&self) -> Option<u32> {
        self.retention_days
    }

    pub async fn append(&self, record: NewRecord) -> Result<Record> {
        let log = self.log.clone();
        let appended = blocking(move || log.append(record)).await;
        if let Some(why) = self.log.anchor_error() {
            // The record is kept; the next anchored check names it as not anchored.
            tracing::error!("{why}");
        }
        appended
    }

    /// Appends and reports the result as the final event carries it.
    pub async fn record(&self, record: NewRecord) -> AuditEntry {
        match self.append(record).await {
            Ok(r) => AuditEntry::Recorded { seq: r.seq },
            Err(e) => {
                tracing::error!(error = %e, "a verification could not be recorded in the audit log");
                AuditEntry::NotRecorded {
                    code: e.code(),
                    message: e.to_string(),
                }
            }
        }
    }

    /// The newest `limit` records, newest first.
    pub async fn recent(&self, limit: usize) -> Result<Vec<Record>> {
        let log = self.log.clone();
        blocking(move || log.recent(limit)).await
    }

    /// The newest `limit` records before seq `before`, newest first.
    pub async fn recent_before(&self, before: Option<u64>, limit: usize) -> Result<Vec<Record>> {
        let log = self.log.clone();
        blocking(move || log.recent_before(before, limit)).await
    }

    /// The `requested` records from seq `from` on whose verification finished.
    pub async fn finished_requests(&self, from: u64) -> Result<std::collections::HashSet<u64>> {
        let log = self.log.clone();
        blocking(move || log.finished_requests(from)).await
    }

    pub async fn verify_chain(&self) -> Result<ChainReport> {
        let log = self.log.clone();
        blocking(move || log.verify_chain()).await
    }

    pub async fn purge_older_than(&self, days: u32) -> Result<PurgeReport> {
        let log = self.log.clone();
        blocking(move || log.purge_older_than(days)).await
    }
}

/// The audit-log word for an identifier kind.
pub fn kind_word(k: InputKind) -> &'static str {
    match k {
        InputKind::NationalId => "national_id",
        InputKind::UserId => "user_id",
        InputKind::Email => "email",
        InputKind::MobileId => "mobile_id",
        InputKind::ProviderHint => "login_hint",
    }
}

/// What a verification's record needs from its start; completed by its final state.
#[derive(Clone)]
pub struct RecordDraft {
    profile: String,
    issuer: String,
    expected: ExpectedIdentity,
    binding_message: String,
    reference: Option<String>,
    started: Instant,
    /// The seq of the verification's `requested` record, once written.
    request_seq: Option<u64>,
}

impl fmt::Debug for RecordDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordDraft")
            .field("profile", &self.profile)
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

impl RecordDraft {
    pub fn new(profile: &Profile, prepared: &PreparedRequest) -> Self {
        Self {
            profile: profile.name.clone(),
            issuer: profile.issuer.clone(),
            expected: prepared.expected.clone(),
            binding_message: prepared.binding_message.clone().unwrap_or_default(),
            reference: prepared.reference.clone(),
            started: Instant::now(),
            request_seq: None,
        }
    }

    /// The record written before anything is sent: what was asked, no outcome yet. Its
    /// final record links back to it, so one left alone never finished.
    pub fn unfinished(&self) -> NewRecord {
        let mut r = self.finish(&VerificationState::Requesting {
            expected: self.expected.clone(),
            binding_message: None,
            binding_message_generated: false,
            call_initiator: None,
            warnings: vec![],
        });
        r.outcome = Outcome::Requested;
        r.error_code = None;
        r.duration_ms = None;
        r.request_seq = None;
        r
    }

    /// The `requested` record was written as `seq`: the final record names it.
    pub fn requested_as(&mut self, seq: u64) {
        self.request_seq = Some(seq);
    }

    pub fn request_seq(&self) -> Option<u64> {
        self.request_seq
    }

    /// The record for a verification that ended in `state` (a final state).
    pub fn finish(&self, state: &VerificationState) -> NewRecord {
        let mut r = NewRecord::new(
            self.profile.clone(),
            self.issuer.clone(),
            match &self.expected {
                ExpectedIdentity::ProviderHint { kind, .. } => kind,
                e => kind_word(e.kind()),
            },
            SecretString::from(self.expected.normalised()),
            self.expected.masked(),
            self.binding_message.clone(),
            Outcome::Failed,
        );
        r.duration_ms = Some(self.started.elapsed().as_millis() as u64);
        r.request_seq = self.request_seq;
        r.reference = self.reference.clone();
        if let VerificationState::Verified { identity, .. } = state {
            r.acr = identity.method.acr.clone();
            r.transaction_id = identity.transaction_id.clone();
            r.subject_name = identity.display_name.clone();
            r.issuer = identity.provider.issuer.clone();
        }
        let (outcome, code) = match state.outcome() {
            // Who approved is known; that it is the person asked for is not: the record says
            // so instead of "verified".
            Some(Ended::Verified)
                if matches!(
                    state,
                    VerificationState::Verified {
                        identity_match: IdentityMatch::NotComparable { .. },
                        ..
                    }
                ) =>
            {
                (Outcome::NotComparable, None)
            }
            Some(Ended::Verified) => (Outcome::Verified, None),
            Some(Ended::Mismatch) => (Outcome::Mismatch, Some("identity_mismatch".to_owned())),
            Some(Ended::Denied) => (Outcome::Denied, state.error().map(|e| e.code.clone())),
            Some(Ended::Expired) => (Outcome::Expired, state.error().map(|e| e.code.clone())),
            Some(Ended::Cancelled) => (Outcome::Cancelled, Some("cancelled".into())),
            Some(Ended::Failed(_)) => (Outcome::Failed, state.error().map(|e| e.code.clone())),
            None => (Outcome::Failed, Some("unfinished".into())),
        };
        r.outcome = outcome;
        r.error_code = code;
        r
    }
}
