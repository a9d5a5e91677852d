//! A FAPI-CIBA profile with mutual TLS as the app runs it: the profile in Settings, its client
//! certificate and request-signing key entered through the application layer into the keyring,
//! and a verification started the way the window starts one, against oidc-provider serving
//! HTTPS from a bank's own certificate authority.

use desk::api::{
    App, AppOptions, HistoryQuery, MatchWord, SecretStatus, VerificationRequest, VerificationUpdate,
};
use desk::{AuthMethod, SecretPart, Settings, SettingsStore};
use secrets::SecretStore;
use testkit::oidc_op::{MTLS_CLIENT, MtlsBank, SELF_SIGNED_CLIENT};
use tokio::sync::mpsc;

#[tokio::test(flavor = "multi_thread")]
async fn a_mutual_tls_fapi_profile_verifies_from_settings() {
    let MtlsBank {
        op,
        ca,
        issued,
        self_signed,
        request_key: ec,
    } = MtlsBank::start().await;
    for (client_id, method, cert) in [
        (MTLS_CLIENT, AuthMethod::TlsClientAuth, &issued),
        (
            SELF_SIGNED_CLIENT,
            AuthMethod::SelfSignedTlsClientAuth,
            &self_signed,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut bank = desk::preset("generic").unwrap();
        bank.name = "bank".into();
        bank.issuer = op.issuer.clone();
        bank.client_id = client_id.into();
        bank.auth_method = method;
        bank.fapi = true;
        // The test provider gives names and national IDs with `profile`.
        bank.scopes = vec!["openid".into(), "profile".into()];
        bank.key_id = Some(ec.kid().into());
        bank.ca_certificates = Some(ca.ca_pem.clone());
        let mut settings = Settings::default();
        settings.add_profile(bank).unwrap();
        let mut options = AppOptions::new(SettingsStore::in_dir(dir.path()), settings);
        options.keyring = Some(SecretStore::in_memory());
        options.audit_path = Some(dir.path().join(desk::paths::AUDIT_FILE));
        let app = App::new(options);

        let status = async || {
            let listed = app.list_profiles().await;
            let bank = listed.iter().find(|p| p.name == "bank").unwrap();
            (bank.secret_status, bank.request_key_status)
        };
        assert_eq!(
            status().await,
            (SecretStatus::Missing, SecretStatus::Missing)
        );
        app.set_secret("bank", SecretPart::Credential, cert.bundle().into())
            .await
            .unwrap();
        app.set_secret("bank", SecretPart::RequestSigningKey, ec.pem.clone().into())
            .await
            .unwrap();
        assert_eq!(status().await, (SecretStatus::Stored, SecretStatus::Stored));

        let (tx, mut rx) = mpsc::unbounded_channel();
        app.start_for_screen(
            VerificationRequest {
                profile: "bank".into(),
                identity: "se:191212121212".into(),
                binding_message: Some("Desk 7".into()),
                call_initiator: None,
                reference: Some(format!("CASE-{client_id}")),
            },
            move |u| {
                let _ = tx.send(u);
            },
        )
        .await
        .unwrap();
        let id = op.wait_for_pending("191212121212").await;
        op.approve(&id).await;
        loop {
            match rx.recv().await.expect("a final update") {
                VerificationUpdate::Verified {
                    identity,
                    identity_match,
                    ..
                } => {
                    assert_eq!(identity_match, MatchWord::Match, "{method}");
                    assert_eq!(identity.display_name.as_deref(), Some("Tolvan Tolvansson"));
                    break;
                }
                VerificationUpdate::Failed { error, .. } => panic!("{method}: {error:?}"),
                _ => {}
            }
        }
        // History finds it by the caller's case reference.
        let page = app
            .history_page(&HistoryQuery {
                limit: 10,
                before: None,
                search: format!("case-{client_id}"),
            })
            .await
            .unwrap();
        assert_eq!(page.entries.len(), 1, "{method}");
        assert_eq!(
            page.entries[0].reference.as_deref(),
            Some(format!("CASE-{client_id}").as_str())
        );
    }
}
