//! A throwaway certificate authority for tests of providers that a private CA vouches for, and
//! of clients that show certificates (mutual TLS): made fresh by each test, trusted by nothing
//! on this computer.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};

/// A CA and a server certificate it issued for 127.0.0.1 and localhost.
#[derive(Debug)]
pub struct TestCa {
    /// The CA's certificate: what a profile adds to its trust.
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A client certificate and its private key (PKCS#8), in PEM.
#[derive(Debug, Clone)]
pub struct ClientCert {
    pub cert_pem: String,
    pub key_pem: String,
}

impl ClientCert {
    /// The certificate and key in one bundle, as a profile's keyring entry holds them.
    pub fn bundle(&self) -> String {
        format!("{}{}", self.cert_pem, self.key_pem)
    }
}

fn client_params(common_name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let server_key = KeyPair::generate().unwrap();
        let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap()
            .signed_by(&server_key, &issuer)
            .unwrap();
        Self {
            ca_pem: issuer.pem(),
            server_cert_pem: server.pem(),
            server_key_pem: server_key.serialize_pem(),
            issuer,
        }
    }

    /// A client certificate this CA issued, with the subject `CN=<common_name>`.
    pub fn client_certificate(&self, common_name: &str) -> ClientCert {
        let key = KeyPair::generate().unwrap();
        let cert = client_params(common_name)
            .signed_by(&key, &self.issuer)
            .unwrap();
        ClientCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// A self-signed client certificate with the subject `CN=<common_name>`, as a client
/// registers for `self_signed_tls_client_auth`.
pub fn self_signed_client_certificate(common_name: &str) -> ClientCert {
    let key = KeyPair::generate().unwrap();
    let cert = client_params(common_name).self_signed(&key).unwrap();
    ClientCert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}
