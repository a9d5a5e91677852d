//! Mutual TLS (RFC 8705): the client shows a certificate in the TLS handshake, which both
//! authenticates it (`tls_client_auth`, `self_signed_tls_client_auth`) and binds the access
//! tokens it gets to that certificate. The certificate and its key are one PEM bundle, kept as
//! a secret like any private key.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{CibaError, Result};

/// A client certificate (with any intermediate certificates) and its private key, in PEM. No
/// `Debug` output and no accessor for the key: it only goes into the HTTP client.
#[derive(Clone)]
pub struct ClientCertificate {
    pem: SecretString,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientCertificate([redacted])")
    }
}

const HOW: &str = "give the client certificate and its private key as PEM text (the certificate's block and the key's block), in one file or two";

impl ClientCertificate {
    /// Reads a PEM bundle holding the certificate chain and one private key (PKCS#8, PKCS#1 or
    /// SEC1), in any order. The key must belong to the first certificate.
    pub fn from_pem(pem: &SecretString) -> Result<Self> {
        let text = pem.expose_secret();
        let certificates = text.matches("-----BEGIN CERTIFICATE-----").count();
        let keys = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]
            .iter()
            .map(|k| text.matches(&format!("-----BEGIN {k}-----")).count())
            .sum::<usize>();
        let bad = |why: &str| CibaError::InvalidClientCertificate(format!("{why}: {HOW}"));
        match (certificates, keys) {
            (0, _) => return Err(bad("there is no certificate")),
            (_, 0) => return Err(bad("there is no private key")),
            (_, 1) => {}
            _ => return Err(bad("there is more than one private key")),
        }
        let identity = reqwest::Identity::from_pem(text.as_bytes())
            .map_err(|_| bad("the certificate or the key cannot be read"))?;
        // Building a TLS configuration checks that the key signs for the certificate.
        reqwest::Client::builder()
            .identity(identity)
            .build()
            .map_err(|_| {
                bad("the private key does not belong to the certificate, or one of them is damaged")
            })?;
        Ok(Self { pem: pem.clone() })
    }

    /// A certificate and its key from two PEM texts.
    pub fn from_pair(certificate_pem: &str, key_pem: &SecretString) -> Result<Self> {
        Self::from_pem(&Self::bundle(certificate_pem, key_pem))
    }

    /// The certificate and key joined into the one bundle a profile keeps and
    /// [`from_pem`](Self::from_pem) reads.
    pub fn bundle(certificate_pem: &str, key_pem: &SecretString) -> SecretString {
        SecretString::from(format!(
            "{}\n{}\n",
            certificate_pem.trim_end(),
            key_pem.expose_secret().trim_end()
        ))
    }

    pub(crate) fn identity(&self) -> Result<reqwest::Identity> {
        reqwest::Identity::from_pem(self.pem.expose_secret().as_bytes())
            .map_err(|_| CibaError::InvalidClientCertificate(format!("it cannot be read: {HOW}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::tls::{TestCa, self_signed_client_certificate};

    fn bundle(text: String) -> Result<ClientCertificate> {
        ClientCertificate::from_pem(&SecretString::from(text))
    }

    #[test]
    fn a_certificate_with_its_key_in_either_order_is_taken() {
        let c = TestCa::new("bank").client_certificate("desk");
        bundle(c.bundle()).unwrap();
        bundle(format!("{}{}", c.key_pem, c.cert_pem)).unwrap();
        ClientCertificate::from_pair(&c.cert_pem, &SecretString::from(c.key_pem)).unwrap();
    }

    #[test]
    fn what_cannot_authenticate_is_refused_in_words() {
        let a = self_signed_client_certificate("a");
        let b = self_signed_client_certificate("b");
        for (text, why) in [
            (a.cert_pem.clone(), "no private key"),
            (a.key_pem.clone(), "no certificate"),
            (
                format!("{}{}{}", a.cert_pem, a.key_pem, b.key_pem),
                "more than one private key",
            ),
            (format!("{}{}", a.cert_pem, b.key_pem), "does not belong"),
            ("not PEM at all".into(), "no certificate"),
        ] {
            let e = bundle(text).unwrap_err();
            assert_eq!(e.code(), "invalid_client_certificate");
            assert!(e.to_string().contains(why), "{why}: {e}");
        }
    }

    #[test]
    fn debug_shows_no_key() {
        let a = self_signed_client_certificate("a");
        let c = bundle(a.bundle()).unwrap();
        assert_eq!(format!("{c:?}"), "ClientCertificate([redacted])");
    }
}
