//! How the sandbox is started: where it listens, where it keeps its key, and whether it
//! answers on the customer's behalf.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The port the sandbox listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7878;

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// A loopback address; port 0 picks a free port (see [`crate::Sandbox::issuer`]).
    pub bind: SocketAddr,
    /// Where the signing key is kept (created if missing).
    pub data_dir: PathBuf,
    /// Decide every request automatically instead of waiting for the phone page.
    pub auto: Option<AutoDecision>,
    /// Where the proof file goes ([`crate::proof`]); `None`: `data_dir`. The desk looks in its
    /// own data directory, so a sandbox keeping its key elsewhere still proves itself there.
    pub proof_dir: Option<PathBuf>,
}

impl SandboxConfig {
    /// `127.0.0.1:7878`, key in `data_dir`, requests decided on the phone page.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)),
            data_dir: data_dir.into(),
            auto: None,
            proof_dir: None,
        }
    }

    /// Same address, another port (0 = any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.bind.set_port(port);
        self
    }

    pub fn auto(mut self, auto: AutoDecision) -> Self {
        self.auto = Some(auto);
        self
    }

    pub fn proof_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.proof_dir = Some(dir.into());
        self
    }
}

/// Answer every request the same way, `after` it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoDecision {
    pub decision: Decision,
    pub after: Duration,
}

/// What the customer answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Approve,
    Deny,
    /// Approve as another test person, so agents rehearse the "do not proceed" case: the ID
    /// token names someone other than the person asked for.
    Mismatch,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Deny => "deny",
            Decision::Mismatch => "mismatch",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error from parsing a [`Decision`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a decision; use \"approve\", \"deny\" or \"mismatch\"")]
pub struct UnknownDecision(String);

impl FromStr for Decision {
    type Err = UnknownDecision;

    /// `approve`, `deny` or `mismatch`, any case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "approve" => Ok(Decision::Approve),
            "deny" => Ok(Decision::Deny),
            "mismatch" => Ok(Decision::Mismatch),
            _ => Err(UnknownDecision(text.chars().take(20).collect())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_loopback_and_the_default_port() {
        let c = SandboxConfig::new("/tmp/x");
        assert_eq!(c.bind.to_string(), "127.0.0.1:7878");
        assert_eq!(c.port(0).bind.port(), 0);
    }

    #[test]
    fn decisions_parse() {
        assert_eq!("Approve".parse(), Ok(Decision::Approve));
        assert_eq!(" deny".parse(), Ok(Decision::Deny));
        assert_eq!("mismatch".parse(), Ok(Decision::Mismatch));
        assert!("yes".parse::<Decision>().is_err());
        assert_eq!(Decision::Deny.to_string(), "deny");
    }
}
