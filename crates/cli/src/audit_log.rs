//! Recording verifications in the audit log (one record per verification that was started).
//!
//! The identifier's keyed hash uses the HMAC key from the OS keyring (created on first use).
//! Without a keyring the record is still written, with the masked identifier but no hash (a
//! warning says so): the log then cannot find that record by the customer's number, but the
//! verification is not left unrecorded.

use std::path::PathBuf;
use std::sync::Arc;

use audit::{AuditLog, NewRecord};
use secrecy::ExposeSecret as _;
use secrets::SecretStore;

use crate::output::{self, Failure};
use desk::paths;

/// Opens the log for reading commands, whose records need no identifier hash (`verify`,
/// `export`, `purge`, `recent` hash nothing): any key of the minimum length serves.
pub fn open_readonly(path: &std::path::Path) -> Result<AuditLog, audit::AuditError> {
    AuditLog::open(path, &[0u8; audit::MIN_KEY_LEN])
}

pub fn db_path() -> Result<PathBuf, Failure> {
    paths::audit_db().ok_or_else(|| {
        Failure::usage(
            "no_data_dir",
            format!(
                "no data directory could be determined for the audit log; set {}",
                paths::DATA_DIR_ENV
            ),
        )
    })
}

pub struct Recorder {
    log: Arc<AuditLog>,
    keyed: bool,
}

impl Recorder {
    /// Opens the log before anything is sent: a verification that cannot be recorded is not
    /// started.
    pub async fn open(keyring: Result<&SecretStore, &str>) -> Result<Self, Failure> {
        let path = db_path()?;
        let key: Option<Vec<u8>> = match keyring {
            Ok(store) => match store.audit_hmac_key().await {
                Ok(k) => Some(k.expose_secret().to_vec()),
                Err(e) => {
                    output::warn(format!(
                        "the audit record of this verification gets no keyed hash of the customer's identifier: {e}"
                    ));
                    None
                }
            },
            Err(reason) => {
                output::warn(format!(
                    "the audit record of this verification gets no keyed hash of the customer's identifier: {reason}"
                ));
                None
            }
        };
        let keyed = key.is_some();
        let log = tokio::task::spawn_blocking(move || match key {
            Some(k) => AuditLog::open(&path, &k),
            None => open_readonly(&path),
        })
        .await
        .expect("the audit open task does not panic")
        .map_err(|e| Failure::usage(e.code(), format!("cannot record verifications: {e}")))?;
        Ok(Self {
            log: Arc::new(log),
            keyed,
        })
    }

    /// Appends the record; a failure is reported on stderr (the verification already ended).
    pub async fn append(&self, mut record: NewRecord) {
        if !self.keyed {
            record.identifier = secrecy::SecretString::from(String::new());
        }
        let log = self.log.clone();
        match tokio::task::spawn_blocking(move || log.append(record)).await {
            Ok(Ok(r)) => tracing::debug!(seq = r.seq, "audit record written"),
            Ok(Err(e)) => output::error(format!(
                "the verification could not be recorded in the audit log: {e}"
            )),
            Err(e) => output::error(format!(
                "the verification could not be recorded in the audit log: {e}"
            )),
        }
    }
}
