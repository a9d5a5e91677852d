//! Append and verification throughput on a real file (WAL, synchronous = FULL, so
//! each append waits for an fsync: the figure depends mostly on the disk).
//!
//! `cargo bench -p audit`. Prints figures; asserts nothing.

use std::time::Instant;

use audit::{AuditLog, ExportFormat, NewRecord, Outcome};
use secrecy::SecretString;

const RECORDS: u64 = 10_000;

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("bench.sqlite");
    let log = AuditLog::open(&path, &[9; 32]).expect("open the log");

    let started = Instant::now();
    for i in 0..RECORDS {
        let mut record = NewRecord::new(
            "bank-test",
            "https://idp.example.com",
            "national_id",
            SecretString::from(format!("19900101{:04}", i % 10_000)),
            "19900101-****",
            format!("Login to Example Bank, request {i}"),
            if i % 10 == 0 {
                Outcome::Denied
            } else {
                Outcome::Verified
            },
        );
        record.acr = Some("urn:example:loa:high".into());
        record.transaction_id = Some(format!("tx-{i:08}"));
        record.duration_ms = Some(4000 + i % 1000);
        log.append(record).expect("append");
    }
    let append = started.elapsed();

    let started = Instant::now();
    let report = log.verify_chain().expect("verify");
    let verify = started.elapsed();
    assert!(report.is_intact());

    let started = Instant::now();
    let recent = log.recent(100).expect("recent");
    let recent_time = started.elapsed();

    let started = Instant::now();
    let found = log
        .find_by_identifier("199001010042", &[9; 32])
        .expect("find");
    let find_time = started.elapsed();

    let started = Instant::now();
    let mut csv = Vec::new();
    let exported = log
        .export(None, ExportFormat::Csv, &mut csv)
        .expect("export");
    let export_time = started.elapsed();

    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let per_sec = |n: u64, d: std::time::Duration| n as f64 / d.as_secs_f64();
    println!(
        "audit log benchmark, {RECORDS} records, file {:.1} MiB",
        size as f64 / 1048576.0
    );
    println!(
        "  append (one transaction + fsync each): {:>10.0} appends/s  ({:.2} s total, {:.0} µs each)",
        per_sec(RECORDS, append),
        append.as_secs_f64(),
        append.as_secs_f64() * 1e6 / RECORDS as f64
    );
    println!(
        "  verify_chain:                          {:>10.0} records/s ({:.3} s)",
        per_sec(report.records, verify),
        verify.as_secs_f64()
    );
    println!(
        "  export CSV:                            {:>10.0} records/s ({:.3} s, {:.1} MiB)",
        per_sec(exported, export_time),
        export_time.as_secs_f64(),
        csv.len() as f64 / 1048576.0
    );
    println!(
        "  recent(100): {:.2} ms; find_by_identifier ({} hits): {:.2} ms",
        recent_time.as_secs_f64() * 1e3,
        found.len(),
        find_time.as_secs_f64() * 1e3
    );
    assert_eq!(recent.len(), 100);
}
