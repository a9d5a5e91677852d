//! `ciba-desk audit`: the tamper-evident log of verifications (in the data directory,
//! `CIBA_DESK_DATA_DIR` overrides it): verify the hash chain, export, purge, show recent.
//!
//! Exit codes: 0 done (or the chain is intact), 1 usage / cannot open, 7 the chain does not
//! verify (the first broken record is named).

use std::io::Write;
use std::path::{Path, PathBuf};

use audit::{AuditError, AuditLog, ExportFormat};
use serde_json::json;

use crate::args::{AuditArgs, AuditCommand, ExportFormatArg};
use crate::audit_log::{db_path, open_unkeyed};
use crate::exit;
use crate::output::{self, Failure};

pub async fn run(a: AuditArgs) -> u8 {
    // SQLite blocks (fsync): keep it off the async threads.
    let result = tokio::task::spawn_blocking(move || match a.command {
        AuditCommand::Verify { json, anchor } => verify(json, anchor.as_deref()),
        AuditCommand::Export {
            since,
            format,
            output,
        } => export(since.as_deref(), format, output.as_deref()),
        AuditCommand::Purge { older_than } => purge(older_than),
        AuditCommand::Recent { limit, json } => recent(limit, json),
    })
    .await
    .expect("the audit command does not panic");
    match result {
        Ok(code) => code,
        Err(f) => {
            output::error(&f.message);
            f.exit
        }
    }
}

fn failure(e: AuditError) -> Failure {
    match e {
        AuditError::ChainBroken { .. } => {
            Failure::new(exit::AUDIT_BROKEN, "failed", e.code(), e.to_string())
        }
        _ => Failure::usage(e.code(), e.to_string()),
    }
}

/// The log, when it exists (reading commands never create one), with the anchor the
/// settings name (a purge record goes there too).
fn existing() -> Result<Option<(PathBuf, AuditLog)>, Failure> {
    let path = db_path()?;
    if !path.exists() {
        return Ok(None);
    }
    let anchor = crate::audit_log::settings()
        .anchor()
        .map_err(|why| Failure::usage("audit_anchor_invalid", why))?;
    let log = open_unkeyed(&path, anchor).map_err(failure)?;
    Ok(Some((path, log)))
}

/// The anchor's text to check against: `--anchor FILE`, else the settings' anchor file.
/// `None` when there is nothing to check against (and why, for the person).
fn anchor_text(given: Option<&Path>) -> Result<Option<(String, String)>, Failure> {
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .map(|t| Some((p.display().to_string(), t)))
            .map_err(|e| {
                Failure::usage(
                    "io_error",
                    format!("could not read the anchor {}: {e}", p.display()),
                )
            })
    };
    if let Some(p) = given {
        return read(p);
    }
    match crate::audit_log::settings().anchor() {
        Ok(Some(audit::Anchor::File(p))) => read(&p),
        Ok(Some(audit::Anchor::Syslog(_))) => {
            eprintln!(
                "records are anchored in the system log: check against it with `journalctl -t ciba-desk -o cat > anchor.txt` and `ciba-desk audit verify --anchor anchor.txt`"
            );
            Ok(None)
        }
        Ok(None) => Ok(None),
        Err(why) => Err(Failure::usage("audit_anchor_invalid", why)),
    }
}

fn verify(json_out: bool, anchor: Option<&Path>) -> Result<u8, Failure> {
    let Some((path, log)) = existing()? else {
        let path = db_path()?;
        if json_out {
            output::json_line(&json!({"intact": true, "records": 0, "path": path}));
        }
        eprintln!(
            "no audit log at {} yet (nothing has been verified): nothing to check",
            path.display()
        );
        return Ok(exit::VERIFIED);
    };
    let anchor = anchor_text(anchor)?;
    let (report, anchored) = match &anchor {
        Some((_, text)) => {
            let (chain, anchored) = log.verify_anchor(text).map_err(failure)?;
            (chain, Some(anchored))
        }
        None => (log.verify_chain().map_err(failure)?, None),
    };
    let anchor_problem = anchored.as_ref().and_then(|a| a.problem.clone());
    let intact = report.is_intact() && anchor_problem.is_none();
    if json_out {
        output::json_line(&json!({
            "intact": intact,
            "path": path,
            "records": report.records,
            "first_seq": report.first_seq,
            "last_seq": report.last_seq,
            "head_hash": report.head_hash,
            "problem": report.problem,
            "message": report.problem.as_ref().map(ToString::to_string)
                .or_else(|| anchor_problem.as_ref().map(ToString::to_string)),
            "anchor": anchored.as_ref().map(|a| json!({
                "file": anchor.as_ref().map(|(f, _)| f),
                "anchored": a.anchored,
                "first_anchored_seq": a.first_anchored_seq,
                "last_anchored_seq": a.last_anchored_seq,
                "problem": a.problem,
            })),
        }));
    }
    if let Some(problem) = &report.problem {
        eprintln!(
            "the audit log {} does NOT verify: {problem}",
            path.display()
        );
        eprintln!("keep a copy of the file and report it to your security team");
        return Ok(exit::AUDIT_BROKEN);
    }
    eprintln!(
        "the audit log {} is intact: {} record(s){}",
        path.display(),
        report.records,
        match (report.first_seq, report.last_seq) {
            (Some(f), Some(l)) => format!(", seq {f} to {l}"),
            _ => String::new(),
        }
    );
    match (&anchored, &anchor) {
        (Some(a), Some((file, _))) => match &a.problem {
            None => {
                eprintln!(
                    "and it agrees with the anchor {file}: {} record(s) anchored{}",
                    a.anchored,
                    match (a.first_anchored_seq, a.last_anchored_seq) {
                        (Some(f), Some(l)) => format!(", seq {f} to {l}"),
                        _ => String::new(),
                    }
                );
                if a.first_anchored_seq
                    .zip(report.first_seq)
                    .is_some_and(|(a, f)| a > f)
                {
                    eprintln!(
                        "records before seq {} were written before the anchor was set; only the file vouches for them",
                        a.first_anchored_seq.unwrap_or_default()
                    );
                }
                Ok(exit::VERIFIED)
            }
            Some(problem) => {
                eprintln!("but it does NOT agree with the anchor {file}: {problem}");
                eprintln!("keep a copy of both files and report it to your security team");
                Ok(exit::AUDIT_BROKEN)
            }
        },
        _ => {
            if let Some(h) = &report.head_hash {
                eprintln!("head hash (keep it elsewhere to anchor the log): {h}");
            }
            eprintln!(
                "intact as far as this file can show; it cannot prove that nobody with access to this account rewrote it (set [audit] anchor to check against a copy outside the file)"
            );
            Ok(exit::VERIFIED)
        }
    }
}

/// `YYYY-MM-DD`.
fn parse_date(s: &str) -> Result<audit::time::Date, Failure> {
    let bad = || {
        Failure::usage(
            "invalid_date",
            format!("--since {s:?} is not a date like 2025-01-31"),
        )
    };
    let parts: Vec<&str> = s.trim().split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    let d: u8 = d.parse().map_err(|_| bad())?;
    let month = audit::time::Month::try_from(m).map_err(|_| bad())?;
    audit::time::Date::from_calendar_date(y, month, d).map_err(|_| bad())
}

fn export(
    since: Option<&str>,
    format: ExportFormatArg,
    output_path: Option<&Path>,
) -> Result<u8, Failure> {
    let since = since.map(parse_date).transpose()?;
    let format = match format {
        ExportFormatArg::Csv => ExportFormat::Csv,
        ExportFormatArg::Json => ExportFormat::Json,
    };
    let io =
        |e: std::io::Error| Failure::usage("io_error", format!("writing the export failed: {e}"));
    let mut sink: Box<dyn Write> = match output_path {
        Some(p) => Box::new(private_file(p).map_err(|e| {
            Failure::usage("io_error", format!("could not create {}: {e}", p.display()))
        })?),
        None => Box::new(std::io::stdout().lock()),
    };
    let count = match existing()? {
        Some((_, log)) => log.export(since, format, &mut sink).map_err(failure)?,
        None => {
            match format {
                ExportFormat::Csv => writeln!(sink, "{}", audit::CSV_HEADER.join(",")),
                ExportFormat::Json => writeln!(sink, "[]"),
            }
            .map_err(io)?;
            0
        }
    };
    sink.flush().map_err(io)?;
    eprintln!("exported {count} record(s)");
    Ok(exit::VERIFIED)
}

fn purge(days: Option<u32>) -> Result<u8, Failure> {
    let settings = crate::audit_log::settings();
    let days = match days.or(settings.retention_days) {
        Some(d) => d,
        None => {
            return Err(Failure::usage(
                "no_retention",
                "say how old records must be to go (--older-than DAYS), or set retention_days in the [audit] section of the settings file",
            ));
        }
    };
    settings
        .check_purge(days)
        .map_err(|why| Failure::usage("retention_too_short", why))?;
    let Some((_, log)) = existing()? else {
        eprintln!("no audit log yet: nothing to purge");
        return Ok(exit::VERIFIED);
    };
    let report = log.purge_older_than(days).map_err(failure)?;
    match &report.record {
        Some(r) => println!(
            "purged {} record(s) older than {days} days; the purge is recorded as record {}",
            report.deleted, r.seq
        ),
        None => println!("no record is older than {days} days; nothing was purged"),
    }
    Ok(exit::VERIFIED)
}

fn recent(limit: usize, json_out: bool) -> Result<u8, Failure> {
    let records = match existing()? {
        Some((_, log)) => log.recent(limit).map_err(failure)?,
        None => vec![],
    };
    if json_out {
        output::json_pretty(&serde_json::to_value(&records).expect("records serialise"));
        return Ok(exit::VERIFIED);
    }
    for r in &records {
        println!(
            "{:>6}  {}  {:<10} {:<24} {:<14} {}{}",
            r.seq,
            r.time,
            r.outcome,
            r.profile,
            r.identifier_kind,
            r.identifier_masked,
            r.error_code
                .as_deref()
                .map(|c| format!("  ({c})"))
                .unwrap_or_default()
        );
    }
    if records.is_empty() {
        eprintln!("no records");
    }
    Ok(exit::VERIFIED)
}

/// An export holds who was verified when: readable by this account only (`0600`), also when
/// it replaces an older file.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}
