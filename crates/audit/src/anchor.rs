//! The chain's head outside the file: after every record, a line naming its `seq` and `hash`
//! goes to a sink the administrator chooses (an append-only file on another volume, or the
//! system log). Whoever can write the database can recompute its whole chain; they cannot
//! take back what the sink already holds, so [`verify`] names the first record that the
//! database and the sink disagree on, including records deleted from the end.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::chain::ChainReport;

/// What every anchor line starts with (after whatever prefix a system log adds).
pub const ANCHOR_TAG: &str = "ciba-desk-anchor v1";
/// The system log's socket on Linux (journald listens there too).
pub const SYSLOG_SOCKET: &str = "/dev/log";

/// Where anchor lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// Appended to this file, one line per record (`O_APPEND`, so concurrent writers never
    /// interleave). Make it append-only (`chattr +a`) on a volume the agent cannot rewrite.
    File(PathBuf),
    /// Sent to the system log through this socket, as `ciba-desk` at facility `local0`. Read
    /// it back for checking with `journalctl -t ciba-desk -o cat > FILE`.
    Syslog(PathBuf),
}

impl Anchor {
    /// `syslog`, `syslog:/path/to/socket`, or an absolute file path.
    pub fn parse(setting: &str) -> Result<Self, String> {
        let s = setting.trim();
        if s == "syslog" || s == "journald" {
            return Ok(Anchor::Syslog(PathBuf::from(SYSLOG_SOCKET)));
        }
        if let Some(socket) = s.strip_prefix("syslog:") {
            return Ok(Anchor::Syslog(PathBuf::from(socket)));
        }
        let path = PathBuf::from(s);
        if !path.is_absolute() {
            return Err(format!(
                "the audit anchor {s:?} is neither \"syslog\" nor an absolute file path"
            ));
        }
        Ok(Anchor::File(path))
    }

    /// Records `seq` with `hash` for the log `log_id`.
    pub fn write(&self, log_id: &str, seq: u64, hash: &str) -> std::io::Result<()> {
        let line = format!("{ANCHOR_TAG} log={log_id} seq={seq} hash={hash}");
        match self {
            Anchor::File(path) => {
                let mut options = std::fs::OpenOptions::new();
                options.create(true).append(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o640);
                // One write of the whole line: appends of this size are not interleaved.
                options
                    .open(path)?
                    .write_all(format!("{line}\n").as_bytes())
            }
            Anchor::Syslog(socket) => send_syslog(socket, &line),
        }
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anchor::File(p) => write!(f, "{}", p.display()),
            Anchor::Syslog(s) if s == Path::new(SYSLOG_SOCKET) => f.write_str("syslog"),
            Anchor::Syslog(s) => write!(f, "syslog:{}", s.display()),
        }
    }
}

#[cfg(unix)]
fn send_syslog(socket: &Path, line: &str) -> std::io::Result<()> {
    // <134>: facility local0 (16 × 8), severity informational (6).
    let message = format!("<134>ciba-desk: {line}");
    let sock = std::os::unix::net::UnixDatagram::unbound()?;
    sock.send_to(message.as_bytes(), socket).map(|_| ())
}

#[cfg(not(unix))]
fn send_syslog(_socket: &Path, _line: &str) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "the system log anchor is available on Linux and macOS only; name a file instead",
    ))
}

/// What is wrong between the log and its anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnchorProblemKind {
    /// The anchor names this record, the log does not have it: deleted, with every record
    /// after it when it was at the end.
    Deleted,
    /// The record's hash is not the one anchored when it was written: rewritten, and the
    /// chain recomputed.
    Rewritten,
    /// A record the anchor never saw, after the first anchored one: written while the anchor
    /// could not be reached, or added outside CIBA Desk.
    NotAnchored,
    /// The anchor holds nothing for this log.
    NoEntries,
}

/// The first disagreement between the log and its anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorProblem {
    pub seq: u64,
    #[serde(flatten)]
    pub kind: AnchorProblemKind,
}

impl fmt::Display for AnchorProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seq = self.seq;
        match self.kind {
            AnchorProblemKind::Deleted => write!(
                f,
                "record {seq} is in the anchor but not in the log: it was deleted"
            ),
            AnchorProblemKind::Rewritten => write!(
                f,
                "record {seq} is not the record the anchor saw written: it was rewritten and the chain recomputed"
            ),
            AnchorProblemKind::NotAnchored => write!(
                f,
                "record {seq} is not in the anchor: it was written while the anchor could not be reached, or added outside CIBA Desk"
            ),
            AnchorProblemKind::NoEntries => f.write_str(
                "the anchor holds no line for this log: check that it is the right file, and that the anchor setting was in place when records were written",
            ),
        }
    }
}

/// The log checked against its anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnchorReport {
    /// Lines for this log found in the anchor.
    pub anchored: u64,
    /// The first record the anchor covers; earlier ones were written before it was set.
    pub first_anchored_seq: Option<u64>,
    pub last_anchored_seq: Option<u64>,
    pub problem: Option<AnchorProblem>,
}

impl AnchorReport {
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// The anchored `(seq, hash)` pairs of `log_id` in `text`; lines of other logs, and text a
/// system log put around them, are skipped. A seq anchored twice keeps its last hash only if
/// both agree; otherwise the disagreement stays visible as a rewrite.
pub fn parse(text: &str, log_id: &str) -> BTreeMap<u64, Vec<String>> {
    let mut out: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let Some(at) = line.find(ANCHOR_TAG) else {
            continue;
        };
        let mut log = None;
        let mut seq = None;
        let mut hash = None;
        for field in line[at + ANCHOR_TAG.len()..].split_whitespace() {
            match field.split_once('=') {
                Some(("log", v)) => log = Some(v),
                Some(("seq", v)) => seq = v.parse::<u64>().ok(),
                Some(("hash", v)) => hash = Some(v),
                _ => {}
            }
        }
        if let (Some(l), Some(s), Some(h)) = (log, seq, hash)
            && l == log_id
        {
            let hashes = out.entry(s).or_default();
            if !hashes.iter().any(|x| x == h) {
                hashes.push(h.to_owned());
            }
        }
    }
    out
}

/// Compares the log's records (`seq` → `hash`, after its own chain verified as `chain`) with
/// what the anchor holds.
pub(crate) fn verify(
    records: &BTreeMap<u64, String>,
    chain: &ChainReport,
    anchored: &BTreeMap<u64, Vec<String>>,
) -> AnchorReport {
    let first_anchored = anchored.keys().next().copied();
    let last_anchored = anchored.keys().next_back().copied();
    let report = |problem| AnchorReport {
        anchored: anchored.len() as u64,
        first_anchored_seq: first_anchored,
        last_anchored_seq: last_anchored,
        problem,
    };
    let Some(first_anchored) = first_anchored else {
        return report(Some(AnchorProblem {
            seq: chain.first_seq.unwrap_or(0),
            kind: AnchorProblemKind::NoEntries,
        }));
    };
    // Records before the log's first were purged: the chain's own check vouches for that.
    let first_kept = chain.first_seq.unwrap_or(u64::MAX);
    let mut problems: Vec<AnchorProblem> = vec![];
    for (&seq, hashes) in anchored.range(first_kept..) {
        match records.get(&seq) {
            None => problems.push(AnchorProblem {
                seq,
                kind: AnchorProblemKind::Deleted,
            }),
            Some(h) if hashes.len() != 1 || &hashes[0] != h => problems.push(AnchorProblem {
                seq,
                kind: AnchorProblemKind::Rewritten,
            }),
            Some(_) => {}
        }
    }
    for &seq in records.range(first_anchored..).map(|(s, _)| s) {
        if !anchored.contains_key(&seq) {
            problems.push(AnchorProblem {
                seq,
                kind: AnchorProblemKind::NotAnchored,
            });
        }
    }
    report(problems.into_iter().min_by_key(|p| p.seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_name_a_file_or_the_system_log() {
        assert_eq!(
            Anchor::parse("syslog").unwrap(),
            Anchor::Syslog(SYSLOG_SOCKET.into())
        );
        assert_eq!(
            Anchor::parse("syslog:/run/x.sock").unwrap(),
            Anchor::Syslog("/run/x.sock".into())
        );
        assert_eq!(
            Anchor::parse("/mnt/audit/anchor.log").unwrap(),
            Anchor::File("/mnt/audit/anchor.log".into())
        );
        assert!(
            Anchor::parse("anchor.log")
                .unwrap_err()
                .contains("absolute file path")
        );
    }

    #[test]
    fn lines_of_other_logs_and_system_log_prefixes_are_read_right() {
        let text = "\
Dec 01 10:00:00 host ciba-desk[12]: ciba-desk-anchor v1 log=aa seq=1 hash=h1
ciba-desk-anchor v1 log=bb seq=1 hash=other
garbage
ciba-desk-anchor v1 log=aa seq=2 hash=h2
ciba-desk-anchor v1 log=aa seq=2 hash=h2
";
        let parsed = parse(text, "aa");
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[&1], ["h1"]);
        assert_eq!(parsed[&2], ["h2"], "the same line twice is one anchor");
    }
}
