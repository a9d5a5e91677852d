//! Sealing what a verification's row must carry for another instance but must not show to
//! whoever reads the database: the customer's identifier and the provider's request id.
//! AES-256-GCM under a key derived from the server's audit key (which the database never
//! holds), with the verification's id and the field's name as associated data, so a sealed
//! value cannot be moved to another row or field.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom as _, SystemRandom};

use crate::error::{Result, ServerError};

/// What the derived key is for; a new purpose gets a new key.
const KEY_LABEL: &[u8] = b"ciba-desk-server seal v1";

pub struct Sealer {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

impl Sealer {
    pub fn new(audit_key: &[u8]) -> Self {
        let mut mac =
            <Hmac<sha2::Sha256>>::new_from_slice(audit_key).expect("HMAC takes any key length");
        mac.update(KEY_LABEL);
        let derived = mac.finalize().into_bytes();
        let key = UnboundKey::new(&AES_256_GCM, &derived).expect("32 bytes is an AES-256 key");
        Self {
            key: LessSafeKey::new(key),
            rng: SystemRandom::new(),
        }
    }

    /// `field` of verification `id`, sealed: URL-safe base64 of nonce, ciphertext and tag.
    pub fn seal(&self, id: &str, field: &str, plain: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .expect("the system's random source works");
        let mut buf = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(id, field)),
                &mut buf,
            )
            .expect("sealing a short value cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The plain value, or `Unsealable` when it was sealed with another key, for another
    /// row or field, or altered.
    pub fn open(&self, id: &str, field: &'static str, sealed: &str) -> Result<Vec<u8>> {
        let bad = || ServerError::Unsealable { what: field };
        let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| bad())?;
        if bytes.len() < NONCE_LEN {
            return Err(bad());
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| bad())?;
        let mut buf = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad(id, field)), &mut buf)
            .map_err(|_| bad())?;
        Ok(plain.to_vec())
    }
}

fn aad(id: &str, field: &str) -> Vec<u8> {
    format!("{id}\u{0}{field}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_row_and_field() {
        let s = Sealer::new(&[7u8; 32]);
        let sealed = s.seal("v1", "request", b"191212121212");
        assert!(!sealed.contains("191212121212"));
        assert_eq!(s.open("v1", "request", &sealed).unwrap(), b"191212121212");
        assert!(s.open("v2", "request", &sealed).is_err());
        assert!(s.open("v1", "auth_req_id", &sealed).is_err());
        assert!(
            Sealer::new(&[8u8; 32])
                .open("v1", "request", &sealed)
                .is_err()
        );
        let mut altered = sealed.into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(
            s.open("v1", "request", &String::from_utf8(altered).unwrap())
                .is_err()
        );
        // Two seals of one value differ (a fresh nonce each time).
        assert_ne!(s.seal("v1", "f", b"x"), s.seal("v1", "f", b"x"));
    }
}
