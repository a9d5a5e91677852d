//! The desk's audit trail: one record per verification, written before the final event, with
//! the masked identifier and a keyed hash, never the full number; retention applied on open.

use std::sync::Arc;
use std::time::Duration;

use audit::time::OffsetDateTime;
use audit::{AuditLog, AuditOptions, NewRecord, Outcome};
use desk::{
    AgentInput, AuditEntry, AuditSettings, AuditTrail, Desk, MemorySecrets, Profile,
    VerificationEvent,
};
use secrecy::{ExposeSecret as _, SecretString};
use secrets::SecretStore;
use serde_json::json;
use testkit::fake_op::{FakeOp, Reply, TestKey, key};

const FULL_ID: &str = "191212121212";

struct Fixture {
    op: FakeOp,
    key: TestKey,
    profile: Profile,
    desk: Desk,
    trail: Arc<AuditTrail>,
    keyring: SecretStore,
    dir: tempfile::TempDir,
}

async fn fixture(settings: AuditSettings) -> Fixture {
    let key = key("rsa1");
    let op = FakeOp::start(&[&key]).await;
    let mut profile = desk::presets::sandbox();
    profile.issuer = op.issuer.clone();
    let dir = tempfile::tempdir().unwrap();
    let keyring = SecretStore::in_memory();
    let trail = AuditTrail::open(dir.path().join("audit.sqlite3"), Ok(&keyring), &settings)
        .await
        .unwrap();
    assert!(trail.keyed());
    assert!(trail.notices().is_empty(), "{:?}", trail.notices());
    let trail = Arc::new(trail);
    let desk = Desk::new(Arc::new(MemorySecrets::new()));
    desk.record_to(trail.clone());
    Fixture {
        op,
        key,
        profile,
        desk,
        trail,
        keyring,
        dir,
    }
}

impl Fixture {
    /// The customer approves the next verification as the sandbox person with `ssn`.
    fn approve(&self, ssn: &str) {
        let claims = json!({"aud": "ciba-desk", "sub": "sbx-1", "auth_time": null, "ssn": ssn,
                            "name": "Tolvan Tolvansson", "acr": "sandbox-high"});
        self.op.approve().claims(claims).signed_by(&self.key);
    }

    /// Runs one verification; on its final event, reads the newest record back at once.
    async fn run(&self, input: AgentInput) -> (VerificationEvent, Option<audit::Record>) {
        let (handle, mut rx) = self
            .desk
            .start_with_channel(&self.profile, &input)
            .await
            .unwrap();
        loop {
            let e = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("an event in time")
                .expect("the channel stays open until the final event");
            if e.state.is_final() {
                let newest = self.trail.recent(1).await.unwrap().into_iter().next();
                handle.finished().await;
                return (e, newest);
            }
            assert!(e.audit.is_none(), "only the final event carries the record");
        }
    }

    fn file_bytes(&self) -> Vec<u8> {
        let mut all = vec![];
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            all.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        all
    }
}

fn seq_of(e: &VerificationEvent) -> u64 {
    match &e.audit {
        Some(AuditEntry::Recorded { seq }) => *seq,
        other => panic!("expected a recorded entry, got {other:?}"),
    }
}

#[tokio::test]
async fn every_outcome_is_recorded_before_its_final_event() {
    let f = fixture(AuditSettings::default()).await;

    f.approve(FULL_ID);
    let (e, newest) = f
        .run(AgentInput::new(FULL_ID).binding_message("Call 4711"))
        .await;
    let r = newest.expect("the record is there when the final event arrives");
    assert_eq!(seq_of(&e), r.seq);
    assert_eq!(r.outcome, Outcome::Verified);
    assert_eq!(r.profile, "sandbox");
    assert_eq!(r.issuer, f.op.issuer);
    assert_eq!(r.identifier_kind, "national_id");
    assert_eq!(r.identifier_masked, "19121212-XXXX");
    assert_eq!(r.binding_message, "Call 4711");
    assert_eq!(r.acr.as_deref(), Some("sandbox-high"));
    assert_eq!(
        r.subject_name, None,
        "names only when the administrator says so"
    );
    assert_eq!(r.error_code, None);
    assert!(r.duration_ms.is_some());
    assert_eq!(r.id_hash.len(), 64);

    // The customer's phone returns someone else: recorded as a mismatch.
    f.approve("196802020575");
    let (e, newest) = f.run(AgentInput::new(FULL_ID)).await;
    let r = newest.unwrap();
    assert_eq!((seq_of(&e), r.outcome), (r.seq, Outcome::Mismatch));
    assert_eq!(r.error_code.as_deref(), Some("identity_mismatch"));

    // The token carries no identity number to compare: recorded as such, not as verified.
    f.op.approve()
        .claims(json!({"aud": "ciba-desk", "sub": "sbx-2", "auth_time": null, "name": "Someone"}))
        .signed_by(&f.key);
    let (e, newest) = f.run(AgentInput::new(FULL_ID)).await;
    let r = newest.unwrap();
    assert_eq!((seq_of(&e), r.outcome), (r.seq, Outcome::NotComparable));
    assert_eq!(r.outcome.as_str(), "not_comparable");
    assert_eq!(r.error_code, None);

    f.op.queue("/token", [Reply::error(400, "access_denied", "no")]);
    let (e, newest) = f.run(AgentInput::new("anna@example.com")).await;
    let r = newest.unwrap();
    assert_eq!((seq_of(&e), r.outcome), (r.seq, Outcome::Denied));
    assert_eq!(r.identifier_kind, "email");
    assert!(
        !r.identifier_masked.contains("anna"),
        "{}",
        r.identifier_masked
    );

    f.op.queue("/bc", [Reply::error(401, "invalid_client", "bad secret")]);
    let (e, newest) = f.run(AgentInput::new(FULL_ID)).await;
    let r = newest.unwrap();
    assert_eq!((seq_of(&e), r.outcome), (r.seq, Outcome::Failed));
    assert_eq!(r.error_code.as_deref(), Some("invalid_client"));

    // Cancelled while the customer is being asked.
    let (handle, mut rx) = f
        .desk
        .start_with_channel(&f.profile, &AgentInput::new(FULL_ID))
        .await
        .unwrap();
    while let Some(e) = rx.recv().await {
        if e.state.name() == "waiting_for_user" {
            f.desk.cancel(handle.id).unwrap();
        }
        if e.state.is_final() {
            assert_eq!(e.state.name(), "cancelled");
            let r = &f.trail.recent(1).await.unwrap()[0];
            assert_eq!((seq_of(&e), r.outcome), (r.seq, Outcome::Cancelled));
            break;
        }
    }

    let report = f.trail.verify_chain().await.unwrap();
    assert!(report.is_intact(), "{:?}", report.problem);
    // Each verification: its `requested` record before anything was sent, then its final one
    // naming it.
    assert_eq!(report.records, 12);
    let all = f.trail.recent(12).await.unwrap();
    for pair in all.chunks(2) {
        let (done, requested) = (&pair[0], &pair[1]);
        assert_eq!(requested.outcome, Outcome::Requested);
        assert_eq!(done.request_seq, Some(requested.seq));
        assert_eq!(requested.identifier_masked, done.identifier_masked);
    }

    // The keyed hash finds the customer's records; the file never holds the number.
    let key = f.keyring.audit_hmac_key().await.unwrap();
    let log = AuditLog::open(f.trail.path(), key.expose_secret()).unwrap();
    let found: Vec<u64> = log
        .find_by_identifier(FULL_ID, key.expose_secret())
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(
        found,
        [1, 2, 3, 4, 5, 6, 9, 10, 11, 12],
        "both records of each verification"
    );
    let bytes = f.file_bytes();
    for needle in [FULL_ID, "196802020575", "anna@example.com", "Tolvansson"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} is in the audit files"
        );
    }
}

#[tokio::test]
async fn names_are_recorded_only_when_the_administrator_enables_them() {
    let f = fixture(AuditSettings {
        include_names: true,
        ..AuditSettings::default()
    })
    .await;
    f.approve(FULL_ID);
    let (_, newest) = f.run(AgentInput::new(FULL_ID)).await;
    assert_eq!(
        newest.unwrap().subject_name.as_deref(),
        Some("Tolvan Tolvansson")
    );
}

#[tokio::test]
async fn without_a_keyring_records_are_written_without_an_identifier_hash() {
    let dir = tempfile::tempdir().unwrap();
    let trail = AuditTrail::open(
        dir.path().join("audit.sqlite3"),
        Err("no OS keyring is available"),
        &AuditSettings::default(),
    )
    .await
    .unwrap();
    assert!(!trail.keyed());
    assert!(
        trail.notices()[0].contains("no OS keyring is available"),
        "{:?}",
        trail.notices()
    );
    let r = trail
        .append(NewRecord::new(
            "sandbox",
            "http://127.0.0.1:7878",
            "national_id",
            SecretString::from(FULL_ID.to_owned()),
            "19121212-XXXX",
            "Asked about 19121212-1212",
            Outcome::Denied,
        ))
        .await
        .unwrap();
    assert_eq!(
        r.id_hash, "",
        "a hash under a well-known key would be guessable"
    );
    assert_eq!(
        r.binding_message, "Asked about [identifier]",
        "the number is redacted from free text without a key too"
    );
}

#[tokio::test]
async fn retention_deletes_old_records_on_open_and_records_the_deletion() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.sqlite3");
    let key = [7u8; 32];
    {
        // Two records written 40 days ago, one yesterday.
        let at = |days: i64| -> audit::Clock {
            Arc::new(move || OffsetDateTime::now_utc() - audit::time::Duration::days(days))
        };
        for days in [40, 40, 1] {
            let log = AuditLog::open_with(
                &path,
                &key,
                AuditOptions {
                    clock: at(days),
                    ..AuditOptions::default()
                },
            )
            .unwrap();
            log.append(NewRecord::new(
                "sandbox",
                "http://127.0.0.1:7878",
                "email",
                SecretString::from("a@b.se".to_owned()),
                "a***@b.se",
                "",
                Outcome::Verified,
            ))
            .unwrap();
        }
    }
    // Below the administrator's floor, a retention setting purges nothing and says why.
    let floored = AuditTrail::open(
        path.clone(),
        Err("none"),
        &AuditSettings {
            retention_days: Some(30),
            min_retention_days: Some(60),
            ..AuditSettings::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(floored.recent(10).await.unwrap().len(), 3);
    assert!(
        floored
            .notices()
            .iter()
            .any(|n| n.contains("at least 60 days")),
        "{:?}",
        floored.notices()
    );
    drop(floored);
    let trail = AuditTrail::open(
        path.clone(),
        Err("none"),
        &AuditSettings {
            retention_days: Some(30),
            ..AuditSettings::default()
        },
    )
    .await
    .unwrap();
    let recent = trail.recent(10).await.unwrap();
    let outcomes: Vec<(u64, Outcome)> = recent.iter().map(|r| (r.seq, r.outcome)).collect();
    assert_eq!(
        outcomes,
        [(4, Outcome::RetentionPurge), (3, Outcome::Verified)]
    );
    assert!(trail.verify_chain().await.unwrap().is_intact());
    assert_eq!(trail.retention_days(), Some(30));
}

#[tokio::test]
async fn a_record_that_cannot_be_written_is_reported_on_the_final_event() {
    let f = fixture(AuditSettings::default()).await;
    // Another process holds the write lock longer than the log waits for it: nothing
    // starts, since nothing may be sent without its `requested` record.
    let other = rusqlite::Connection::open(f.trail.path()).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let e = f
        .desk
        .start_with_channel(&f.profile, &AgentInput::new(FULL_ID))
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.code(), "audit_locked", "{e}");
    assert!(f.op.recorded("/bc").is_empty(), "nothing was sent");
    other.execute_batch("ROLLBACK").unwrap();

    // The lock comes back while the customer is still deciding: the final record cannot be
    // written, the verification keeps its own outcome and says so.
    let claims = json!({"aud": "ciba-desk", "sub": "sbx-1", "auth_time": null, "ssn": FULL_ID});
    f.op.approve()
        .acknowledged(json!({"auth_req_id": "slow", "expires_in": 60, "interval": 1}))
        .after([Reply::pending(), Reply::pending()])
        .claims(claims)
        .signed_by(&f.key);
    let (handle, mut rx) = f
        .desk
        .start_with_channel(&f.profile, &AgentInput::new(FULL_ID))
        .await
        .unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let mut last = None;
    while let Some(e) = rx.recv().await {
        last = Some(e);
    }
    let e = last.unwrap();
    handle.finished().await;
    assert_eq!(
        e.state.name(),
        "verified",
        "the verification keeps its own outcome"
    );
    match &e.audit {
        Some(AuditEntry::NotRecorded { code, message }) => {
            assert_eq!(*code, "audit_locked");
            assert!(message.contains("locked by another process"), "{message}");
        }
        other => panic!("expected NotRecorded, got {other:?}"),
    }
    other.execute_batch("ROLLBACK").unwrap();
    // Once the lock is gone, recording goes on and the chain is whole; the verification
    // without its final record stays visible as `requested`.
    let records = f.trail.recent(10).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].outcome, Outcome::Requested);
    f.op.queue("/bc", [Reply::error(401, "invalid_client", "bad secret")]);
    let (e, _) = f.run(AgentInput::new(FULL_ID)).await;
    assert_eq!(seq_of(&e), 3);
    assert!(f.trail.verify_chain().await.unwrap().is_intact());
}

#[tokio::test]
async fn a_desk_without_a_trail_sends_no_audit_entry() {
    let key = key("rsa1");
    let op = FakeOp::start(&[&key]).await;
    let mut p = desk::presets::sandbox();
    p.issuer = op.issuer.clone();
    op.queue("/bc", [Reply::error(401, "invalid_client", "bad secret")]);
    let desk = Desk::new(Arc::new(MemorySecrets::new()));
    let (_, mut rx) = desk
        .start_with_channel(&p, &AgentInput::new(FULL_ID))
        .await
        .unwrap();
    let mut last = None;
    while let Some(e) = rx.recv().await {
        last = Some(e);
    }
    let last = last.unwrap();
    assert_eq!(last.state.name(), "failed");
    assert!(last.audit.is_none());
    assert!(serde_json::to_value(&last).unwrap().get("audit").is_none());
}

#[tokio::test]
async fn a_key_another_process_is_creating_is_waited_for_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.sqlite3");
    let keyring = SecretStore::in_memory();
    // Another process (the command line, say) holds the key lock while it creates the key.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.path().join("audit.sqlite3.key-lock"))
        .unwrap();
    lock.lock().unwrap();
    let opening = {
        let (keyring, path) = (keyring.clone(), path.clone());
        tokio::spawn(async move {
            AuditTrail::open(path, Ok(&keyring), &AuditSettings::default())
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !opening.is_finished(),
        "the log was opened without waiting for the other process's key"
    );
    let theirs = keyring.audit_hmac_key().await.unwrap();
    drop(lock);
    let trail = opening.await.unwrap();
    assert!(trail.keyed());
    // Their key stands: nobody overwrote it.
    let now = keyring.audit_hmac_key().await.unwrap();
    assert_eq!(now.expose_secret(), theirs.expose_secret());
}
