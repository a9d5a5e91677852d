//! Durability: every append the log acknowledged survives the writer being
//! SIGKILLed in the middle of a burst.
//!
//! The test re-runs its own binary as the writer (selected by an environment
//! variable). The writer appends in a tight loop and prints `ack <seq>` after each
//! `append` returns; the parent kills it after reading a batch of acks, reopens the
//! database and checks every acknowledged seq is there and the chain verifies.
//! Three rounds on the same file, so the log also recovers from its own crashes.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use audit::{AuditLog, NewRecord, Outcome};
use secrecy::SecretString;

const WRITER_ENV: &str = "CIBA_DESK_AUDIT_CRASH_WRITER";
const KEY: [u8; 32] = [3; 32];
const ACKS_PER_ROUND: usize = 200;

/// The writer: runs only in the child process.
#[test]
fn crash_writer() {
    let Some(path) = std::env::var_os(WRITER_ENV) else {
        return;
    };
    let log = AuditLog::open(&path, &KEY).unwrap();
    let stdout = std::io::stdout();
    for i in 0u64.. {
        let mut record = NewRecord::new(
            "bank-test",
            "https://idp.example.com",
            "national_id",
            SecretString::from(format!("19900101{:04}", i % 10_000)),
            "19900101-****",
            format!("Login {i}"),
            Outcome::Verified,
        );
        record.duration_ms = Some(i);
        let stored = log.append(record).unwrap();
        // Straight to the process's stdout (not the test harness's capture).
        let mut out = stdout.lock();
        writeln!(out, "ack {}", stored.seq).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn acknowledged_appends_survive_sigkill() {
    if std::env::var_os(WRITER_ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.sqlite");
    let mut acked: Vec<u64> = Vec::new();

    for round in 1..=3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_writer", "--nocapture", "--test-threads=1"])
            .env(WRITER_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut this_round = 0;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(seq) = line.strip_prefix("ack ") {
                acked.push(seq.parse().unwrap());
                this_round += 1;
                if this_round == ACKS_PER_ROUND {
                    break;
                }
            }
        }
        assert_eq!(
            this_round, ACKS_PER_ROUND,
            "round {round}: the writer stopped early"
        );
        // The writer is still appending: kill it mid-burst (SIGKILL on Unix).
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the writer was not killed"
        );

        let log = AuditLog::open(&path, &KEY).unwrap();
        let report = log.verify_chain().unwrap();
        assert!(report.is_intact(), "round {round}: {report:?}");
        let present: HashSet<u64> = log
            .recent(usize::MAX)
            .unwrap()
            .into_iter()
            .map(|r| r.seq)
            .collect();
        let lost: Vec<u64> = acked
            .iter()
            .copied()
            .filter(|s| !present.contains(s))
            .collect();
        assert!(
            lost.is_empty(),
            "round {round}: acknowledged but lost: {lost:?}"
        );
        assert!(report.last_seq.unwrap() >= *acked.last().unwrap());
        eprintln!(
            "round {round}: {} acknowledged in total, {} records present",
            acked.len(),
            report.records
        );
    }
    // Each round acknowledged consecutive seqs, continuing after what the
    // previous round committed (acknowledged or not).
    for round in acked.chunks(ACKS_PER_ROUND) {
        assert!(round.windows(2).all(|w| w[1] == w[0] + 1), "{round:?}");
    }
    assert!(acked.windows(2).all(|w| w[1] > w[0]));
}
