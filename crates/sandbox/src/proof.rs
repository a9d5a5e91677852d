//! How a client knows that what listens on the sandbox's port is the sandbox it means to
//! talk to, before it sends a national identity number there.
//!
//! At start the sandbox writes a fresh random token to a file in its data directory, readable
//! only by its user, named after the port. A client sends a random nonce to
//! `POST /sandbox/proof` and compares the answer with what it computes from the file: only a
//! program that can read that file (the sandbox, or the same user) can answer.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The proof file for a sandbox on `port`.
pub fn proof_file(data_dir: &Path, port: u16) -> PathBuf {
    data_dir.join(format!("sandbox-{port}.proof"))
}

/// The answer to `nonce` under `token`.
pub fn answer(token: &str, nonce: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"ciba-desk-sandbox-proof\n");
    h.update(token.trim().as_bytes());
    h.update(b"\n");
    h.update(nonce.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a new token for this run to `file` (owner-only), replacing any earlier run's.
pub(crate) fn write_token(file: &Path) -> std::io::Result<String> {
    use std::io::Write as _;
    let token: String = crate::id_token::random_token();
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = file.with_extension("proof.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.create(true).write(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&tmp)?;
    f.write_all(token.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, file)?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_depend_on_token_and_nonce() {
        let a = answer("t1", "nonce-0123456789");
        assert_eq!(a.len(), 64);
        assert_eq!(
            a,
            answer("t1\n", "nonce-0123456789"),
            "a trailing newline in the file is no matter"
        );
        assert_ne!(a, answer("t2", "nonce-0123456789"));
        assert_ne!(a, answer("t1", "nonce-0123456780"));
    }
}
