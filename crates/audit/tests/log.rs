//! The audit log end to end, on real SQLite files, tampered with through raw SQL.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use audit::time::{OffsetDateTime, macros::date};
use audit::{
    AuditError, AuditLog, AuditOptions, ChainProblem, ExportFormat, GENESIS_HASH, NewRecord,
    Outcome, ProblemKind,
};
use rusqlite::Connection;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

const KEY: [u8; 32] = [7; 32];
const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const DAY: i64 = 86_400;

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    now: Arc<AtomicI64>,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.sqlite");
        Self {
            _dir: dir,
            path,
            now: Arc::new(AtomicI64::new(T0)),
        }
    }

    fn options(&self) -> AuditOptions {
        let now = self.now.clone();
        AuditOptions {
            os_user: Some("agent7".into()),
            workstation: Some("desk-07".into()),
            clock: Arc::new(move || {
                OffsetDateTime::from_unix_timestamp(now.load(Ordering::SeqCst)).unwrap()
            }),
            ..AuditOptions::default()
        }
    }

    fn open(&self) -> AuditLog {
        AuditLog::open_with(&self.path, &KEY, self.options()).unwrap()
    }

    fn advance_days(&self, days: i64) {
        self.now.fetch_add(days * DAY, Ordering::SeqCst);
    }

    fn raw(&self) -> Connection {
        Connection::open(&self.path).unwrap()
    }
}

fn rec(identifier: &str, message: &str, outcome: Outcome) -> NewRecord {
    let masked = format!("{}****", &identifier[..identifier.len().min(8)]);
    let mut r = NewRecord::new(
        "bank-test",
        "https://idp.example.com",
        "national_id",
        SecretString::from(identifier),
        masked,
        message,
        outcome,
    );
    r.acr = Some("urn:acr:high".into());
    r.transaction_id = Some("tx-123".into());
    r.duration_ms = Some(4200);
    if outcome == Outcome::Denied {
        r.error_code = Some("access_denied".into());
    }
    r
}

fn fill(log: &AuditLog, n: usize) {
    for i in 0..n {
        log.append(rec(
            "199001011234",
            &format!("Login {i}"),
            Outcome::Verified,
        ))
        .unwrap();
    }
}

fn problem(log: &AuditLog) -> ChainProblem {
    let report = log.verify_chain().unwrap();
    report.problem.expect("the chain should not verify")
}

fn file_bytes(path: &Path) -> Vec<u8> {
    let mut all = std::fs::read(path).unwrap();
    for ext in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(ext);
        if let Ok(b) = std::fs::read(PathBuf::from(p)) {
            all.extend(b);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

// ----- append and verify --------------------------------------------------------

#[test]
fn append_returns_the_committed_record_and_the_chain_verifies() {
    let fx = Fixture::new();
    let log = fx.open();
    let first = log
        .append(rec("199001011234", "Login to Bank", Outcome::Verified))
        .unwrap();
    assert_eq!(first.seq, 1);
    assert_eq!(first.prev_hash, GENESIS_HASH);
    assert_eq!(first.time, "2026-01-01T00:00:00.000Z");
    assert_eq!(first.os_user, "agent7");
    assert_eq!(first.workstation, "desk-07");
    assert_eq!(first.outcome, Outcome::Verified);
    assert_eq!(first.identifier_masked, "19900101****");
    assert_eq!(first.id_hash.len(), 64);
    assert_eq!(first.hash.len(), 64);
    assert_eq!(first.purge, None);

    let second = log
        .append(rec("198512249876", "Login to Bank", Outcome::Denied))
        .unwrap();
    assert_eq!(second.seq, 2);
    assert_eq!(second.prev_hash, first.hash);
    assert_eq!(second.error_code.as_deref(), Some("access_denied"));
    for outcome in [
        Outcome::Expired,
        Outcome::Failed,
        Outcome::Cancelled,
        Outcome::Mismatch,
    ] {
        log.append(rec("199001011234", "x", outcome)).unwrap();
    }

    let report = log.verify_chain().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.records, 6);
    assert_eq!((report.first_seq, report.last_seq), (Some(1), Some(6)));

    let recent = log.recent(3).unwrap();
    assert_eq!(
        recent.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![6, 5, 4]
    );
    assert_eq!(recent[0].outcome, Outcome::Mismatch);
    assert_eq!(log.recent(100).unwrap()[5], first);
}

#[test]
fn an_empty_log_verifies() {
    let fx = Fixture::new();
    let report = fx.open().verify_chain().unwrap();
    assert!(report.is_intact());
    assert_eq!(report.records, 0);
    assert_eq!(report.head_hash, None);
}

#[test]
fn the_chain_continues_across_reopening() {
    let fx = Fixture::new();
    let head = {
        let log = fx.open();
        fill(&log, 3);
        log.verify_chain().unwrap().head_hash.unwrap()
    };
    let log = fx.open();
    let next = log
        .append(rec("199001011234", "again", Outcome::Verified))
        .unwrap();
    assert_eq!((next.seq, next.prev_hash), (4, head));
    assert!(log.verify_chain().unwrap().is_intact());
}

#[test]
fn the_database_is_wal_with_full_sync() {
    let fx = Fixture::new();
    let _log = fx.open();
    let raw = fx.raw();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // `synchronous` is per connection: the unit tests in src/log.rs check the log's.
}

// ----- tampering ----------------------------------------------------------------

#[test]
fn altering_any_field_names_the_altered_record() {
    let updates = [
        "UPDATE audit_records SET binding_message = 'Login 2.' WHERE seq = 3",
        "UPDATE audit_records SET outcome = 'denied' WHERE seq = 3",
        "UPDATE audit_records SET time = '2026-01-01T00:00:00.001Z' WHERE seq = 3",
        "UPDATE audit_records SET identifier_masked = '19900101-1234' WHERE seq = 3",
        "UPDATE audit_records SET id_hash = substr(id_hash, 2) || '0' WHERE seq = 3",
        "UPDATE audit_records SET os_user = 'someone' WHERE seq = 3",
        "UPDATE audit_records SET duration_ms = 4201 WHERE seq = 3",
        "UPDATE audit_records SET duration_ms = NULL WHERE seq = 3",
        "UPDATE audit_records SET acr = NULL WHERE seq = 3",
        "UPDATE audit_records SET subject_name = 'Anna' WHERE seq = 3",
        "UPDATE audit_records SET prev_hash = hash WHERE seq = 3",
        "UPDATE audit_records SET hash = prev_hash WHERE seq = 3",
    ];
    for update in updates {
        let fx = Fixture::new();
        let log = fx.open();
        fill(&log, 5);
        assert_eq!(fx.raw().execute(update, []).unwrap(), 1, "{update}");
        let p = problem(&log);
        assert_eq!(
            p,
            ChainProblem {
                seq: 3,
                kind: ProblemKind::ContentAltered
            },
            "{update}"
        );
        assert_eq!(
            p.to_string(),
            "record 3 was altered: its fields do not match its hash"
        );
    }
}

#[test]
fn flipping_one_byte_is_detected() {
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 5);
    // Login 3 -> Login 3 with one byte changed ('3' -> '4').
    fx.raw()
        .execute(
            "UPDATE audit_records SET binding_message = 'Login 4' WHERE seq = 4",
            [],
        )
        .unwrap();
    assert_eq!(
        problem(&log),
        ChainProblem {
            seq: 4,
            kind: ProblemKind::ContentAltered
        }
    );
}

/// What an attacker who knows the format does: change a record and re-hash it.
/// The next record's link then breaks.
#[test]
fn a_rehashed_record_breaks_the_next_link() {
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 5);
    let raw = fx.raw();
    raw.execute(
        "UPDATE audit_records SET outcome = 'denied' WHERE seq = 2",
        [],
    )
    .unwrap();
    let rehashed = external_hash(&raw, 2);
    raw.execute(
        "UPDATE audit_records SET hash = ?1 WHERE seq = 2",
        [&rehashed],
    )
    .unwrap();
    assert_eq!(
        problem(&log),
        ChainProblem {
            seq: 3,
            kind: ProblemKind::LinkBroken
        }
    );
}

#[test]
fn a_deleted_middle_record_is_missing() {
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 5);
    fx.raw()
        .execute("DELETE FROM audit_records WHERE seq = 3", [])
        .unwrap();
    let p = problem(&log);
    assert_eq!(
        p,
        ChainProblem {
            seq: 3,
            kind: ProblemKind::RecordMissing {
                from_seq: 3,
                through_seq: 3
            }
        }
    );
    assert_eq!(p.to_string(), "record 3 is missing");
}

#[test]
fn deleted_first_records_are_missing() {
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 5);
    fx.raw()
        .execute("DELETE FROM audit_records WHERE seq <= 2", [])
        .unwrap();
    assert_eq!(
        problem(&log),
        ChainProblem {
            seq: 1,
            kind: ProblemKind::RecordMissing {
                from_seq: 1,
                through_seq: 2
            }
        }
    );
}

#[test]
fn deleted_newest_records_are_missing_even_after_later_appends() {
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 5);
    fx.raw()
        .execute("DELETE FROM audit_records WHERE seq >= 4", [])
        .unwrap();
    let expected = ChainProblem {
        seq: 4,
        kind: ProblemKind::RecordMissing {
            from_seq: 4,
            through_seq: 5,
        },
    };
    assert_eq!(problem(&log), expected);
    // The app goes on recording; the gap stays visible.
    let next = log
        .append(rec("199001011234", "later", Outcome::Verified))
        .unwrap();
    assert_eq!(next.seq, 6);
    assert_eq!(problem(&log), expected);
}

#[test]
fn a_record_added_outside_the_app_is_a_head_mismatch() {
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 3);
    let raw = fx.raw();
    // Copy record 3 as record 4, chained and hashed correctly.
    raw.execute_batch(
        "CREATE TEMP TABLE t AS SELECT * FROM audit_records WHERE seq = 3;
         UPDATE t SET seq = 4, prev_hash = hash;
         INSERT INTO audit_records SELECT * FROM t;",
    )
    .unwrap();
    let rehashed = external_hash(&raw, 4);
    raw.execute(
        "UPDATE audit_records SET hash = ?1 WHERE seq = 4",
        [&rehashed],
    )
    .unwrap();
    assert_eq!(
        problem(&log),
        ChainProblem {
            seq: 4,
            kind: ProblemKind::HeadMismatch
        }
    );
}

// ----- retention ----------------------------------------------------------------

#[test]
fn purge_deletes_old_records_records_itself_and_keeps_the_chain_valid() {
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 3); // day 0: seq 1..3
    let anchor = log.recent(1).unwrap()[0].hash.clone();
    fx.advance_days(40);
    fill(&log, 2); // day 40: seq 4..5

    let report = log.purge_older_than(30).unwrap();
    assert_eq!(report.deleted, 3);
    let purge = report.record.unwrap();
    assert_eq!(purge.seq, 6);
    assert_eq!(purge.outcome, Outcome::RetentionPurge);
    assert_eq!(purge.os_user, "agent7");
    let info = purge.purge.as_ref().unwrap();
    assert_eq!((info.from_seq, info.through_seq, info.count), (1, 3, 3));
    assert_eq!(info.anchor_hash, anchor);
    assert_eq!(info.before, "2026-01-11T00:00:00.000Z");

    let chain = log.verify_chain().unwrap();
    assert!(chain.is_intact(), "{chain:?}");
    assert_eq!(
        (chain.first_seq, chain.last_seq, chain.records),
        (Some(4), Some(6), 3)
    );
    assert_eq!(log.recent(10).unwrap()[0], purge);

    // Appends go on; a second purge deletes the first purge record too.
    fx.advance_days(40);
    fill(&log, 1); // day 80: seq 7
    let second = log.purge_older_than(30).unwrap();
    assert_eq!(second.deleted, 3); // 4, 5 and the purge record 6
    let info = second.record.unwrap().purge.unwrap();
    assert_eq!((info.from_seq, info.through_seq), (4, 6));
    let chain = log.verify_chain().unwrap();
    assert!(chain.is_intact(), "{chain:?}");
    assert_eq!((chain.first_seq, chain.last_seq), (Some(7), Some(8)));

    // And it all still verifies after reopening.
    drop(log);
    assert!(fx.open().verify_chain().unwrap().is_intact());
}

#[test]
fn purge_with_nothing_old_enough_writes_nothing() {
    let fx = Fixture::new();
    let log = fx.open();
    assert_eq!(log.purge_older_than(30).unwrap().deleted, 0);
    fill(&log, 2);
    fx.advance_days(10);
    let report = log.purge_older_than(30).unwrap();
    assert_eq!((report.deleted, report.record), (0, None));
    assert_eq!(log.verify_chain().unwrap().records, 2);
}

#[test]
fn purging_everything_leaves_a_valid_chain_of_one_purge_record() {
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 4);
    fx.advance_days(400);
    let report = log.purge_older_than(365).unwrap();
    assert_eq!(report.deleted, 4);
    let chain = log.verify_chain().unwrap();
    assert!(chain.is_intact(), "{chain:?}");
    assert_eq!((chain.first_seq, chain.records), (Some(5), 1));
    let next = log
        .append(rec("199001011234", "after", Outcome::Verified))
        .unwrap();
    assert_eq!(next.seq, 6);
    assert!(log.verify_chain().unwrap().is_intact());
}

#[test]
fn purge_stops_at_the_first_recent_record() {
    // Only a prefix is deleted: an old-looking record after a recent one (the clock
    // was set back) stays until everything before it is old enough.
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 1); // seq 1, day 0
    fx.now.store(T0 + 50 * DAY, Ordering::SeqCst);
    fill(&log, 1); // seq 2, day 50
    fx.now.store(T0 + 10 * DAY, Ordering::SeqCst);
    fill(&log, 1); // seq 3, day 10 (clock went back)
    fx.now.store(T0 + 100 * DAY, Ordering::SeqCst);
    fill(&log, 1); // seq 4, day 100
    let report = log.purge_older_than(60).unwrap(); // cutoff day 40
    assert_eq!(report.deleted, 1);
    let chain = log.verify_chain().unwrap();
    assert!(chain.is_intact(), "{chain:?}");
    assert_eq!(chain.first_seq, Some(2));
}

#[test]
fn deletions_not_covered_by_a_purge_are_still_detected_after_one() {
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 3);
    fx.advance_days(40);
    fill(&log, 3); // 4..6
    log.purge_older_than(30).unwrap(); // deletes 1..3, writes 7
    fx.raw()
        .execute("DELETE FROM audit_records WHERE seq = 4", [])
        .unwrap();
    assert_eq!(
        problem(&log),
        ChainProblem {
            seq: 4,
            kind: ProblemKind::RecordMissing {
                from_seq: 4,
                through_seq: 4
            }
        }
    );
}

#[test]
fn an_altered_purge_record_is_detected() {
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 3);
    fx.advance_days(40);
    fill(&log, 1);
    log.purge_older_than(30).unwrap(); // purge record is seq 5
    fx.raw()
        .execute("UPDATE audit_records SET purge_count = 2 WHERE seq = 5", [])
        .unwrap();
    let report = log.verify_chain().unwrap();
    assert!(!report.is_intact());
}

#[test]
fn purge_is_refused_when_the_chain_is_broken() {
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 3);
    fx.raw()
        .execute(
            "UPDATE audit_records SET outcome = 'denied' WHERE seq = 2",
            [],
        )
        .unwrap();
    fx.advance_days(400);
    let err = log.purge_older_than(30).unwrap_err();
    assert_eq!(err.code(), "audit_chain_broken");
    assert!(err.to_string().contains("record 2 was altered"), "{err}");
    assert_eq!(log.verify_chain().unwrap().records, 3, "nothing deleted");
}

#[test]
fn purged_records_leave_no_trace_in_the_files() {
    let fx = Fixture::new();
    let log = fx.open();
    log.append(rec("199001011234", "OLD-MARKER-XYZZY", Outcome::Verified))
        .unwrap();
    fx.advance_days(100);
    fill(&log, 2);
    assert!(contains(&file_bytes(&fx.path), "OLD-MARKER-XYZZY"));
    log.purge_older_than(30).unwrap();
    assert!(!contains(&file_bytes(&fx.path), "OLD-MARKER-XYZZY"));
}

// ----- identifiers and personal data ---------------------------------------------

#[test]
fn find_by_identifier_matches_the_hmac_without_storing_the_number() {
    let fx = Fixture::new();
    let log = fx.open();
    log.append(rec("199001011234", "a", Outcome::Verified))
        .unwrap();
    log.append(rec("198512249876", "b", Outcome::Denied))
        .unwrap();
    log.append(rec("199001011234", "c", Outcome::Expired))
        .unwrap();

    let found = log.find_by_identifier("199001011234", &KEY).unwrap();
    assert_eq!(found.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1, 3]);
    assert_eq!(
        log.find_by_identifier("198512249876", &KEY).unwrap().len(),
        1
    );
    assert!(
        log.find_by_identifier("199001011235", &KEY)
            .unwrap()
            .is_empty()
    );
    assert!(
        log.find_by_identifier("199001011234", &[8; 32])
            .unwrap()
            .is_empty(),
        "another key finds nothing"
    );

    drop(log);
    let bytes = file_bytes(&fx.path);
    assert!(!contains(&bytes, "199001011234"));
    assert!(!contains(&bytes, "198512249876"));
}

#[test]
fn names_are_kept_only_when_the_administrator_enables_them() {
    let fx = Fixture::new();
    let mut with_name = rec("199001011234", "a", Outcome::Verified);
    with_name.subject_name = Some("Anna Andersson".into());
    let stored = fx.open().append(with_name).unwrap();
    assert_eq!(stored.subject_name, None);
    assert!(!contains(&file_bytes(&fx.path), "Anna Andersson"));

    let log = AuditLog::open_with(
        &fx.path,
        &KEY,
        AuditOptions {
            include_names: true,
            ..fx.options()
        },
    )
    .unwrap();
    let mut with_name = rec("199001011234", "b", Outcome::Verified);
    with_name.subject_name = Some("Anna Andersson".into());
    assert_eq!(
        log.append(with_name).unwrap().subject_name.as_deref(),
        Some("Anna Andersson")
    );
    assert!(log.verify_chain().unwrap().is_intact());
}

#[test]
fn a_full_identifier_in_free_text_is_redacted() {
    let fx = Fixture::new();
    let log = fx.open();
    let mut r = rec(
        "199001011234",
        "Verify 199001011234 please",
        Outcome::Verified,
    );
    r.identifier_masked = "199001011234".into(); // a caller that forgot to mask
    let stored = log.append(r).unwrap();
    assert_eq!(stored.binding_message, "Verify [identifier] please");
    assert_eq!(stored.identifier_masked, "[identifier]");
    assert!(!contains(&file_bytes(&fx.path), "199001011234"));
}

#[test]
fn records_without_an_identifier_have_no_id_hash() {
    let fx = Fixture::new();
    let log = fx.open();
    let r = NewRecord::new(
        "bank-test",
        "https://idp.example.com",
        "national_id",
        SecretString::from(""),
        "",
        "Login",
        Outcome::Failed,
    );
    assert_eq!(log.append(r).unwrap().id_hash, "");
    assert!(log.find_by_identifier("", &KEY).unwrap().is_empty());
}

// ----- export -------------------------------------------------------------------

#[test]
fn export_csv() {
    let fx = Fixture::new();
    let log = fx.open();
    log.append(rec("199001011234", "plain", Outcome::Verified))
        .unwrap();
    fx.advance_days(2); // 2026-01-03
    log.append(rec(
        "198512249876",
        "with, comma and \"quotes\"\nand a newline",
        Outcome::Denied,
    ))
    .unwrap();

    let mut out = Vec::new();
    assert_eq!(log.export(None, ExportFormat::Csv, &mut out).unwrap(), 2);
    let text = String::from_utf8(out).unwrap();
    let header = text.split("\r\n").next().unwrap();
    assert_eq!(header, audit::CSV_HEADER.join(","));
    assert!(text.contains(",plain,verified,urn:acr:high,tx-123,,4200,,,,,,"));
    assert!(text.contains("\"with, comma and \"\"quotes\"\"\nand a newline\",denied,"));
    assert!(text.ends_with("\r\n"));

    let mut out = Vec::new();
    let n = log
        .export(Some(date!(2026 - 01 - 02)), ExportFormat::Csv, &mut out)
        .unwrap();
    assert_eq!(n, 1);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("denied") && !text.contains("plain"));
}

#[test]
fn export_json_can_be_verified_outside_the_app() {
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 3);
    fx.advance_days(40);
    fill(&log, 2);
    log.purge_older_than(30).unwrap();

    let mut out = Vec::new();
    assert_eq!(log.export(None, ExportFormat::Json, &mut out).unwrap(), 3);
    let records: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["seq"], 4);
    assert_eq!(records[0]["outcome"], "verified");
    assert_eq!(records[0]["purge"], serde_json::Value::Null);
    assert_eq!(records[2]["outcome"], "retention_purge");
    assert_eq!(records[2]["purge"]["through_seq"], 3);
    assert_eq!(records[0]["prev_hash"], records[2]["purge"]["anchor_hash"]);

    // Recompute every hash from the export alone, as the documentation describes.
    for r in &records {
        let purge = &r["purge"];
        let p = |k: &str| {
            if purge.is_null() {
                serde_json::Value::Null
            } else {
                purge[k].clone()
            }
        };
        let canonical = serde_json::json!([
            "ciba-desk-audit/1",
            r["seq"],
            r["time"],
            r["os_user"],
            r["workstation"],
            r["profile"],
            r["issuer"],
            r["identifier_kind"],
            r["identifier_masked"],
            r["id_hash"],
            r["subject_name"],
            r["binding_message"],
            r["outcome"],
            r["acr"],
            r["transaction_id"],
            r["error_code"],
            r["duration_ms"],
            p("from_seq"),
            p("through_seq"),
            p("count"),
            p("anchor_hash"),
            p("before"),
            r["prev_hash"]
        ]);
        let hash = hex(&Sha256::digest(serde_json::to_vec(&canonical).unwrap()));
        assert_eq!(r["hash"], hash.as_str(), "seq {}", r["seq"]);
    }

    let mut empty = Vec::new();
    log.export(Some(date!(2030 - 01 - 01)), ExportFormat::Json, &mut empty)
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Vec<serde_json::Value>>(&empty)
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn export_reports_a_failing_writer() {
    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk gone"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::Error::other("disk gone"))
        }
    }
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 2);
    let err = log.export(None, ExportFormat::Csv, Broken).unwrap_err();
    assert_eq!(err.code(), "audit_export_failed");
}

// ----- errors -------------------------------------------------------------------

#[test]
fn retention_purge_is_reserved() {
    let fx = Fixture::new();
    let err = fx
        .open()
        .append(rec("199001011234", "x", Outcome::RetentionPurge))
        .unwrap_err();
    assert_eq!(err.code(), "audit_invalid_record");
}

#[test]
fn a_short_key_is_refused() {
    let fx = Fixture::new();
    let err = AuditLog::open(&fx.path, b"short").unwrap_err();
    assert!(matches!(err, AuditError::WeakKey { len: 5 }));
}

#[test]
fn a_file_that_is_not_a_database_is_corrupt() {
    let fx = Fixture::new();
    std::fs::write(&fx.path, vec![0x42; 8192]).unwrap();
    let err = AuditLog::open(&fx.path, &KEY).unwrap_err();
    assert_eq!(err.code(), "audit_corrupt", "{err}");
    assert!(err.to_string().contains("keep a copy"), "{err}");
}

#[test]
fn a_database_held_by_another_writer_is_locked() {
    let fx = Fixture::new();
    let log = AuditLog::open_with(
        &fx.path,
        &KEY,
        AuditOptions {
            busy_timeout: Duration::from_millis(100),
            ..fx.options()
        },
    )
    .unwrap();
    let raw = fx.raw();
    raw.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = log
        .append(rec("199001011234", "x", Outcome::Verified))
        .unwrap_err();
    assert_eq!(err.code(), "audit_locked", "{err}");
    raw.execute_batch("ROLLBACK").unwrap();
    log.append(rec("199001011234", "x", Outcome::Verified))
        .unwrap();
}

#[test]
fn a_newer_format_is_refused() {
    let fx = Fixture::new();
    drop(fx.open());
    fx.raw()
        .execute(
            "UPDATE audit_meta SET value = 4 WHERE key = 'format_version'",
            [],
        )
        .unwrap();
    let err = AuditLog::open(&fx.path, &KEY).unwrap_err();
    assert_eq!(err.code(), "audit_newer_format");
}

#[test]
fn a_format_1_log_gains_request_links_and_keeps_every_hash() {
    let fx = Fixture::new();
    let log = fx.open();
    fill(&log, 3);
    drop(log);
    // The file as the first format left it: no request_seq column, format_version 1.
    let raw = fx.raw();
    raw.execute_batch(
        "ALTER TABLE audit_records DROP COLUMN request_seq;
         ALTER TABLE audit_records DROP COLUMN reference;
         UPDATE audit_meta SET value = 1 WHERE key = 'format_version';",
    )
    .unwrap();
    let before: Vec<String> = raw
        .prepare("SELECT hash FROM audit_records ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    drop(raw);

    let log = fx.open();
    assert!(
        log.verify_chain().unwrap().is_intact(),
        "old records keep their hashes"
    );
    let requested = log
        .append(rec("199001011234", "Login", Outcome::Requested))
        .unwrap();
    let mut done = rec("199001011234", "Login", Outcome::Verified);
    done.request_seq = Some(requested.seq);
    let done = log.append(done).unwrap();
    assert_eq!(done.request_seq, Some(4));
    assert_eq!(log.recent(1).unwrap()[0].request_seq, Some(4));
    assert!(log.verify_chain().unwrap().is_intact());
    let after: Vec<String> = log
        .recent(10)
        .unwrap()
        .iter()
        .rev()
        .take(3)
        .map(|r| r.hash.clone())
        .collect();
    assert_eq!(after, before);
    let version: i64 = fx
        .raw()
        .query_row(
            "SELECT value FROM audit_meta WHERE key = 'format_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, 3, "an older CIBA Desk now refuses the file");

    // The link is hashed: taking it away shows.
    fx.raw()
        .execute(
            "UPDATE audit_records SET request_seq = NULL WHERE seq = 5",
            [],
        )
        .unwrap();
    assert_eq!(problem(&log).seq, 5);
}

/// Format 3 adds the caller's case reference: a second-format log (request links, no
/// references) keeps every hash, and a reference, once written, is covered by the hash.
#[test]
fn a_format_2_log_gains_references_and_keeps_every_hash() {
    let fx = Fixture::new();
    let log = fx.open();
    let requested = log
        .append(rec("199001011234", "Login", Outcome::Requested))
        .unwrap();
    let mut done = rec("199001011234", "Login", Outcome::Verified);
    done.request_seq = Some(requested.seq);
    log.append(done).unwrap();
    drop(log);
    let raw = fx.raw();
    raw.execute_batch(
        "ALTER TABLE audit_records DROP COLUMN reference;
         UPDATE audit_meta SET value = 2 WHERE key = 'format_version';",
    )
    .unwrap();
    drop(raw);

    let log = fx.open();
    assert!(
        log.verify_chain().unwrap().is_intact(),
        "old records keep their hashes"
    );
    let mut with_case = rec("199001011234", "Login", Outcome::Requested);
    with_case.reference = Some("CASE-4711 for 19900101-1234".into());
    let r = log.append(with_case).unwrap();
    // A national ID in the reference is kept out of the log, like in the binding message.
    assert_eq!(r.reference.as_deref(), Some("CASE-4711 for [identifier]"));
    assert_eq!(log.recent(1).unwrap()[0].reference, r.reference);
    assert!(log.verify_chain().unwrap().is_intact());
    fx.raw()
        .execute(
            "UPDATE audit_records SET reference = NULL WHERE seq = 3",
            [],
        )
        .unwrap();
    assert_eq!(problem(&log).seq, 3, "the reference is hashed");
}

#[test]
fn a_missing_folder_is_created() {
    let fx = Fixture::new();
    let nested = fx.path.parent().unwrap().join("a/b/audit.sqlite");
    let log = AuditLog::open(&nested, &KEY).unwrap();
    fill(&log, 1);
    assert!(nested.exists());
}

#[test]
fn the_log_is_shareable_across_threads() {
    let fx = Fixture::new();
    let log = Arc::new(fx.open());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let log = log.clone();
            std::thread::spawn(move || fill(&log, 10))
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let report = log.verify_chain().unwrap();
    assert!(report.is_intact());
    assert_eq!(report.records, 40);
}

// ----- helpers --------------------------------------------------------------------

/// The documented canonical hash, computed from the raw row as an outsider would.
fn external_hash(raw: &Connection, seq: i64) -> String {
    let cols = &audit::CSV_HEADER[..22];
    let sql = format!(
        "SELECT {} FROM audit_records WHERE seq = ?1",
        cols.join(", ")
    );
    let values: Vec<serde_json::Value> = raw
        .query_row(&sql, [seq], |row| {
            (0..cols.len())
                .map(|i| {
                    Ok(match row.get::<_, rusqlite::types::Value>(i)? {
                        rusqlite::types::Value::Null => serde_json::Value::Null,
                        rusqlite::types::Value::Integer(n) => n.into(),
                        rusqlite::types::Value::Text(t) => t.into(),
                        other => panic!("unexpected {other:?}"),
                    })
                })
                .collect()
        })
        .unwrap();
    let mut canonical = vec![serde_json::Value::from("ciba-desk-audit/1")];
    canonical.extend(values);
    hex(&Sha256::digest(serde_json::to_vec(&canonical).unwrap()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(unix)]
#[test]
fn the_agent_is_the_real_user_whatever_user_says() {
    // SAFETY: nextest runs each test in its own process; nothing else reads the environment.
    unsafe {
        for var in ["USER", "USERNAME", "LOGNAME"] {
            std::env::set_var(var, "somebody-else");
        }
    }
    let fx = Fixture::new();
    let options = AuditOptions {
        os_user: None,
        ..fx.options()
    };
    let log = AuditLog::open_with(&fx.path, &KEY, options).unwrap();
    let r = log
        .append(rec("199001011234", "Login to Bank", Outcome::Verified))
        .unwrap();
    let real = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    assert_eq!(r.os_user, String::from_utf8_lossy(&real.stdout).trim());
    assert_ne!(r.os_user, "somebody-else");
}

#[cfg(unix)]
#[test]
fn the_log_and_its_directory_are_the_accounts_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let path = data.join("audit.sqlite");
    let log = AuditLog::open(&path, &KEY).unwrap();
    log.append(rec("199001011234", "Login to Bank", Outcome::Verified))
        .unwrap();
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&path), 0o600);
    let wal = data.join("audit.sqlite-wal");
    assert!(wal.exists());
    assert_eq!(mode(&wal), 0o600);
    drop(log);

    // Loosened by hand: tightened again when the log is opened.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _log = AuditLog::open(&path, &KEY).unwrap();
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&path), 0o600);
}

// ----- the anchor outside the file ----------------------------------------------

/// What someone with write access to the file can do: change record `from` (by `change`),
/// then recompute every hash and link after it, and the head beside the table.
fn rewrite_and_rechain(raw: &Connection, change: &str, from: i64) {
    raw.execute_batch(change).unwrap();
    let last: i64 = raw
        .query_row("SELECT MAX(seq) FROM audit_records", [], |r| r.get(0))
        .unwrap();
    for seq in from..=last {
        if seq > from {
            raw.execute(
                "UPDATE audit_records SET prev_hash = (SELECT hash FROM audit_records WHERE seq = ?1 - 1) WHERE seq = ?1",
                [seq],
            )
            .unwrap();
        }
        let h = external_hash(raw, seq);
        raw.execute(
            "UPDATE audit_records SET hash = ?1 WHERE seq = ?2",
            (&h, seq),
        )
        .unwrap();
    }
    raw.execute(
        "UPDATE audit_meta SET value = (SELECT hash FROM audit_records WHERE seq = ?1) WHERE key = 'head_hash'",
        [last],
    )
    .unwrap();
    raw.execute(
        "UPDATE audit_meta SET value = ?1 WHERE key = 'head_seq'",
        [last],
    )
    .unwrap();
}

fn anchored(fx: &Fixture, anchor: &Path) -> AuditLog {
    AuditLog::open_with(
        &fx.path,
        &KEY,
        AuditOptions {
            anchor: Some(audit::Anchor::File(anchor.to_path_buf())),
            ..fx.options()
        },
    )
    .unwrap()
}

fn anchor_problem(log: &AuditLog, anchor: &Path) -> Option<audit::AnchorProblem> {
    let text = std::fs::read_to_string(anchor).unwrap_or_default();
    let (_, report) = log.verify_anchor(&text).unwrap();
    report.problem
}

#[test]
fn the_anchor_catches_a_rewritten_outcome_with_the_chain_recomputed() {
    let fx = Fixture::new();
    let anchor = fx.path.with_file_name("anchor.log");
    let log = anchored(&fx, &anchor);
    fill(&log, 5);
    let text = std::fs::read_to_string(&anchor).unwrap();
    assert_eq!(text.lines().count(), 5);
    assert!(text.lines().all(|l| l.starts_with(audit::ANCHOR_TAG)));
    let (_, report) = log.verify_anchor(&text).unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(
        (
            report.anchored,
            report.first_anchored_seq,
            report.last_anchored_seq
        ),
        (5, Some(1), Some(5))
    );

    rewrite_and_rechain(
        &fx.raw(),
        "UPDATE audit_records SET outcome = 'denied' WHERE seq = 3",
        3,
    );
    assert!(
        log.verify_chain().unwrap().is_intact(),
        "the file alone cannot show a recomputed chain"
    );
    let p = anchor_problem(&log, &anchor).unwrap();
    assert_eq!(
        (p.seq, p.kind.clone()),
        (3, audit::AnchorProblemKind::Rewritten)
    );
    assert!(p.to_string().contains("record 3"), "{p}");
}

#[test]
fn the_anchor_catches_records_deleted_from_the_end() {
    let fx = Fixture::new();
    let anchor = fx.path.with_file_name("anchor.log");
    let log = anchored(&fx, &anchor);
    fill(&log, 5);
    let raw = fx.raw();
    raw.execute("DELETE FROM audit_records WHERE seq >= 4", [])
        .unwrap();
    rewrite_and_rechain(&raw, "SELECT 1", 3);
    assert!(log.verify_chain().unwrap().is_intact());
    let p = anchor_problem(&log, &anchor).unwrap();
    assert_eq!((p.seq, p.kind), (4, audit::AnchorProblemKind::Deleted));
}

#[test]
fn records_the_anchor_never_saw_are_named_and_purged_ones_are_not() {
    let fx = Fixture::new();
    // Records from before the anchor was set are not its business.
    fill(&fx.open(), 2);
    let dir = fx.path.parent().unwrap();
    let anchor = dir.join("anchor.log");
    let log = anchored(&fx, &anchor);
    fill(&log, 2); // 3, 4
    assert_eq!(log.anchor_error(), None);
    assert_eq!(anchor_problem(&log, &anchor), None);

    // The anchor's volume goes away: recording goes on, and says so.
    let gone = dir.join("offline").join("anchor.log");
    let cut_off = AuditLog::open_with(
        &fx.path,
        &KEY,
        AuditOptions {
            anchor: Some(audit::Anchor::File(gone)),
            ..fx.options()
        },
    )
    .unwrap();
    let kept = cut_off
        .append(rec("199001011234", "while offline", Outcome::Verified))
        .unwrap();
    assert_eq!(kept.seq, 5);
    assert!(cut_off.anchor_error().unwrap().contains("offline"));
    fill(&log, 1); // 6, anchored again
    let p = anchor_problem(&log, &anchor).unwrap();
    assert_eq!((p.seq, p.kind), (5, audit::AnchorProblemKind::NotAnchored));

    // Another log's lines in the same anchor count for nothing here.
    let other = Fixture::new();
    let other_log = anchored(&other, &anchor);
    fill(&other_log, 1);
    assert_ne!(other_log.log_id(), log.log_id());
    let fresh = Fixture::new();
    let fresh_log = fresh.open();
    fill(&fresh_log, 1);
    let p = anchor_problem(&fresh_log, &anchor).unwrap();
    assert_eq!(p.kind, audit::AnchorProblemKind::NoEntries);

    // A purge of anchored records is not a deletion: the chain's purge record vouches.
    let purged = Fixture::new();
    let purged_anchor = purged.path.with_file_name("anchor.log");
    let log = anchored(&purged, &purged_anchor);
    fill(&log, 3);
    purged.advance_days(40);
    fill(&log, 1);
    assert_eq!(log.purge_older_than(30).unwrap().deleted, 3);
    assert_eq!(anchor_problem(&log, &purged_anchor), None);
}

#[cfg(unix)]
#[test]
fn the_anchor_can_be_the_system_log() {
    let fx = Fixture::new();
    let socket = fx.path.with_file_name("log.sock");
    let listener = std::os::unix::net::UnixDatagram::bind(&socket).unwrap();
    listener
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let log = AuditLog::open_with(
        &fx.path,
        &KEY,
        AuditOptions {
            anchor: Some(audit::Anchor::parse(&format!("syslog:{}", socket.display())).unwrap()),
            ..fx.options()
        },
    )
    .unwrap();
    let r = log
        .append(rec("199001011234", "Login", Outcome::Verified))
        .unwrap();
    let mut buf = [0u8; 512];
    let n = listener.recv(&mut buf).unwrap();
    let line = std::str::from_utf8(&buf[..n]).unwrap();
    assert!(
        line.starts_with("<134>ciba-desk: ciba-desk-anchor v1 "),
        "{line}"
    );
    assert!(line.contains(&format!("seq=1 hash={}", r.hash)), "{line}");
    // What `journalctl -t ciba-desk` prints checks against the log.
    let exported = format!("Dec 01 10:00:00 host ciba-desk[7]: {}\n", &line[5..]);
    let (_, report) = log.verify_anchor(&exported).unwrap();
    assert!(report.is_intact(), "{report:?}");
}
