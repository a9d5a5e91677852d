//! Why the sandbox could not start, in words a person can act on.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(
        "port {port} is in use, probably by another sandbox or program; stop it or choose another port (--port)"
    )]
    PortInUse { port: u16 },

    #[error("cannot listen on {addr}: {source}")]
    BindFailed {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "the sandbox only listens on a loopback address (127.0.0.1 or ::1), not on {addr}: its client secret is public"
    )]
    NotLoopback { addr: SocketAddr },

    #[error("cannot create the sandbox data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot read the sandbox signing key {path}: {source}")]
    KeyUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "the sandbox signing key {path} is not a P-256 private key in PKCS#8 PEM ({reason}); delete the file and a new key is made on the next start"
    )]
    KeyInvalid { path: PathBuf, reason: String },

    #[error("cannot write the sandbox signing key {path}: {source}")]
    KeyWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot generate a signing key: {0}")]
    KeyGeneration(String),
}
