//! The ES256 (P-256) key that signs ID tokens: made on first start, kept in the data
//! directory (PKCS#8 PEM, mode 0600) and reused, so tokens and cached JWKS survive restarts.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey};

use crate::error::SandboxError;

/// The key file's name inside the data directory.
pub const KEY_FILE_NAME: &str = "sandbox-signing-key.pem";

const PEM_TAG: &str = "PRIVATE KEY";

pub(crate) struct SigningKey {
    encoding: EncodingKey,
    jwk: Jwk,
    kid: String,
}

impl SigningKey {
    /// Reads `data_dir/sandbox-signing-key.pem`, or makes it if there is none.
    pub(crate) fn load_or_create(data_dir: &Path) -> Result<Self, SandboxError> {
        fs::create_dir_all(data_dir).map_err(|source| SandboxError::DataDir {
            path: data_dir.to_owned(),
            source,
        })?;
        let path = data_dir.join(KEY_FILE_NAME);
        match fs::read(&path) {
            Ok(pem) => Self::from_pem(&path, &pem),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let der = generate()?;
                let pem = pem::encode(&pem::Pem::new(PEM_TAG, der.clone()));
                match write_new_private(&path, pem.as_bytes()) {
                    Ok(()) => {
                        tracing::info!(path = %path.display(), "created a new sandbox signing key");
                        Self::from_der(&path, &der)
                    }
                    // Another sandbox started at the same moment and won: use its key.
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        let pem =
                            fs::read(&path).map_err(|source| SandboxError::KeyUnreadable {
                                path: path.clone(),
                                source,
                            })?;
                        Self::from_pem(&path, &pem)
                    }
                    Err(source) => Err(SandboxError::KeyWrite { path, source }),
                }
            }
            Err(source) => Err(SandboxError::KeyUnreadable { path, source }),
        }
    }

    fn from_pem(path: &Path, pem: &[u8]) -> Result<Self, SandboxError> {
        warn_if_readable_by_others(path);
        let invalid = |reason: String| SandboxError::KeyInvalid {
            path: path.to_owned(),
            reason,
        };
        let parsed = pem::parse(pem).map_err(|e| invalid(format!("not PEM: {e}")))?;
        if parsed.tag() != PEM_TAG {
            return Err(invalid(format!("the PEM block is \"{}\"", parsed.tag())));
        }
        Self::from_der(path, parsed.contents())
    }

    fn from_der(path: &Path, der: &[u8]) -> Result<Self, SandboxError> {
        let invalid = |reason: String| SandboxError::KeyInvalid {
            path: path.to_owned(),
            reason,
        };
        // Checks curve and structure; jsonwebtoken would only notice when signing.
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|e| invalid(e.to_string()))?;
        let encoding = EncodingKey::from_ec_der(der);
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::ES256)
            .map_err(|e| invalid(e.to_string()))?;
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| invalid(e.to_string()))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(Self { encoding, jwk, kid })
    }

    /// The RFC 7638 thumbprint (SHA-256) of the public key.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    pub(crate) fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.jwk.clone()],
        }
    }
}

fn generate() -> Result<Vec<u8>, SandboxError> {
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .map_err(|e| SandboxError::KeyGeneration(e.to_string()))?;
    Ok(doc.as_ref().to_vec())
}

/// Creates `path` (failing if it exists) readable by its owner only.
fn write_new_private(path: &PathBuf, contents: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    if written.is_err() {
        // A half-written key would fail every later start; leave nothing behind.
        let _ = fs::remove_file(path);
    }
    written
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                "the sandbox signing key is readable by other users; chmod 600 it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = SigningKey::load_or_create(dir.path()).unwrap();
        let second = SigningKey::load_or_create(dir.path()).unwrap();
        assert_eq!(first.kid(), second.kid());
        assert_eq!(first.kid().len(), 43, "base64url of a SHA-256 digest");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(KEY_FILE_NAME))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = SigningKey::load_or_create(&dir.path().join("elsewhere")).unwrap();
        assert_ne!(first.kid(), other.kid());
    }

    #[test]
    fn the_jwks_publishes_the_public_p256_key() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::load_or_create(dir.path()).unwrap();
        let json = serde_json::to_value(key.jwks()).unwrap();
        let k = &json["keys"][0];
        assert_eq!(k["kty"], "EC");
        assert_eq!(k["crv"], "P-256");
        assert_eq!(k["use"], "sig");
        assert_eq!(k["alg"], "ES256");
        assert_eq!(k["kid"], key.kid());
        assert!(k.get("d").is_none(), "no private part: {k}");
    }

    #[test]
    fn a_broken_key_file_is_reported_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE_NAME);
        fs::write(&path, "not a key").unwrap();
        let err = SigningKey::load_or_create(dir.path()).err().unwrap();
        assert!(matches!(err, SandboxError::KeyInvalid { .. }), "{err}");
        assert!(err.to_string().contains("delete the file"));
        assert_eq!(fs::read_to_string(&path).unwrap(), "not a key");
    }
}
