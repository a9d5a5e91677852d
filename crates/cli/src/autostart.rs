//! `verify --profile sandbox` with no sandbox running: start one in a process of its own
//! (this executable's `sandbox` subcommand) for the duration of the verification.
//!
//! The child gets its own process group (so the agent's Ctrl-C reaches only this process,
//! which cancels and then stops the child), and `--exit-with-stdin`, so it also ends when
//! this process dies without cleaning up.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};

use crate::output::Failure;
use desk::paths;

/// `approve|deny|mismatch[:SECONDS]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoDecision {
    pub decision: String,
    pub after_secs: u64,
}

impl AutoDecision {
    pub fn parse(s: &str) -> Result<Self, Failure> {
        let bad = || {
            Failure::usage(
                "invalid_sandbox_auto",
                format!(
                    "--sandbox-auto {s:?} is not approve, deny or mismatch, optionally followed by :SECONDS"
                ),
            )
        };
        let (d, after) = match s.trim().split_once(':') {
            Some((d, n)) => (d, n.trim().parse::<u64>().map_err(|_| bad())?),
            None => (s.trim(), 1),
        };
        let d = d.trim().to_ascii_lowercase();
        if !matches!(d.as_str(), "approve" | "deny" | "mismatch") {
            return Err(bad());
        }
        Ok(Self {
            decision: d,
            after_secs: after,
        })
    }
}

/// A sandbox this process started.
pub struct StartedSandbox {
    child: Child,
    pub issuer: String,
}

impl StartedSandbox {
    pub async fn stop(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

/// Starts the sandbox on the issuer's port unless something listens there already.
pub async fn ensure(
    issuer: &str,
    auto: Option<&AutoDecision>,
) -> Result<Option<StartedSandbox>, Failure> {
    if desk::sandbox_proof::listening(issuer).await {
        return Ok(None);
    }
    let Some(port) = desk::sandbox_proof::local_addr(issuer).map(|a| a.port()) else {
        return Err(Failure::usage(
            "sandbox_not_running",
            format!(
                "nothing answers at the sandbox's address {issuer}, and it is not a local http address where one could be started; start it there with `ciba-desk sandbox`"
            ),
        ));
    };
    let dir = paths::data_dir().ok_or_else(|| {
        Failure::usage(
            "no_data_dir",
            format!(
                "no data directory for the sandbox's signing key; set {}",
                paths::DATA_DIR_ENV
            ),
        )
    })?;
    let exe = std::env::current_exe().map_err(|e| {
        Failure::usage(
            "sandbox_start",
            format!("cannot find this program to start the sandbox: {e}"),
        )
    })?;
    let mut cmd = Command::new(exe);
    cmd.arg("sandbox")
        .arg("--port")
        .arg(port.to_string())
        .arg("--exit-with-stdin")
        .arg("--data-dir")
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    if let Some(a) = auto {
        cmd.arg("--auto")
            .arg(&a.decision)
            .arg("--after")
            .arg(a.after_secs.to_string());
    }
    let mut child = cmd.spawn().map_err(|e| {
        Failure::usage("sandbox_start", format!("could not start the sandbox: {e}"))
    })?;
    let stderr = child.stderr.take().expect("piped");
    let tail = tokio::spawn(drain_keeping_tail(stderr));
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
    match first {
        Ok(Ok(Some(line))) if line.starts_with("http") => {
            // Keep reading (and discarding) stdout so the child never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            Ok(Some(StartedSandbox {
                child,
                issuer: line.trim().to_owned(),
            }))
        }
        other => {
            let _ = child.start_kill();
            let _ = child.wait().await;
            let said = tail.await.unwrap_or_default();
            let why = match other {
                Err(_) => "it did not start within 20 s".to_owned(),
                _ => "it stopped before it was ready".to_owned(),
            };
            Err(Failure::new(
                crate::exit::PROVIDER,
                "failed",
                "sandbox_start",
                format!(
                    "could not start the sandbox on port {port}: {why}{}",
                    if said.trim().is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", said.trim())
                    }
                ),
            ))
        }
    }
}

/// Reads the child's stderr to the end (so it never blocks), keeping the last few KB.
async fn drain_keeping_tail(mut stderr: ChildStderr) -> String {
    const KEEP: usize = 4096;
    let mut kept: Vec<u8> = Vec::new();
    let mut buf = [0u8; 2048];
    while let Ok(n) = stderr.read(&mut buf).await {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > KEEP {
            kept.drain(..kept.len() - KEEP);
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_decisions_parse() {
        assert_eq!(
            AutoDecision::parse("approve").unwrap(),
            AutoDecision {
                decision: "approve".into(),
                after_secs: 1
            }
        );
        assert_eq!(AutoDecision::parse("deny:3").unwrap().after_secs, 3);
        assert!(AutoDecision::parse("maybe").is_err());
        assert!(AutoDecision::parse("approve:x").is_err());
    }
}
