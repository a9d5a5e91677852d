//! The protocol against a real OpenID provider: panva's `oidc-provider` (npm) with CIBA enabled,
//! started on 127.0.0.1 by each test. The test plays the customer's phone through the OP's
//! control API: approvals are driven by the test, not by timers.

use std::sync::Arc;
use std::time::Duration;

use ciba::{
    AuthRequest, CancelHandle, CibaClient, CibaError, ClientAuth, ClientCertificate, ClientConfig,
    ExposeSecret, Hint, Progress, SecretString, SigningKey, Verified,
};
use serde_json::json;
use testkit::fake_op::key;
use testkit::oidc_op::{
    BASIC_CLIENT, JWT_CLIENT, MTLS_CLIENT, MtlsBank, OidcOp, OpOptions, PING_CLIENT, POST_CLIENT,
    SELF_SIGNED_CLIENT, SIGNED_CLIENT, SIGNED_EC_CLIENT,
};
use testkit::ping_listener::PingListener;
use testkit::tls::{ClientCert, TestCa, self_signed_client_certificate};
use tokio::sync::mpsc;

fn secret(client: (&str, &str), post: bool) -> ClientAuth {
    let (client_id, s) = (client.0.to_owned(), SecretString::from(client.1));
    if post {
        ClientAuth::SecretPost {
            client_id,
            secret: s,
        }
    } else {
        ClientAuth::SecretBasic {
            client_id,
            secret: s,
        }
    }
}

async fn client(op: &OidcOp, auth: ClientAuth) -> CibaClient {
    CibaClient::discover(ClientConfig::new(op.issuer.clone(), auth))
        .await
        .unwrap()
}

fn request(hint: &str) -> AuthRequest {
    AuthRequest::new(Hint::LoginHint(hint.into()))
        .scopes(["openid", "profile"])
        .binding_message("Desk 4711")
}

/// Starts a verification, lets the customer approve after the provider has answered
/// `authorization_pending` at least once, and returns the verified result.
async fn approve_after_pending(op: &OidcOp, c: &CibaClient, req: AuthRequest) -> Verified {
    let pending = c.request(&req).await.unwrap();
    let id = pending
        .acknowledgement
        .auth_req_id()
        .expose_secret()
        .to_owned();
    assert_eq!(
        pending.acknowledgement.interval,
        Some(Duration::from_secs(1))
    );
    let listed = op.requests(&[("auth_req_id", &id)]).await;
    assert_eq!(listed[0]["status"], "pending");
    assert_eq!(listed[0]["binding_message"], "Desk 4711");

    let (tx, mut rx) = mpsc::unbounded_channel();
    let cancel = CancelHandle::new();
    let report = move |p| {
        let _ = tx.send(p);
    };
    let wait = c.wait(pending, &cancel, &report);
    let approve = async {
        // The second "waiting" comes after a poll that was answered authorization_pending.
        let mut waits = 0;
        while let Some(p) = rx.recv().await {
            if matches!(p, Progress::Waiting { .. }) {
                waits += 1;
                if waits == 2 {
                    op.approve(&id).await;
                    break;
                }
            }
        }
    };
    let (v, ()) = tokio::join!(wait, approve);
    v.unwrap()
}

#[tokio::test]
async fn client_secret_basic_rs256_pending_then_approved() {
    let op = OidcOp::start(OpOptions::default()).await;
    let c = client(&op, secret(BASIC_CLIENT, false)).await;
    assert!(c.metadata().supports_mode("poll") && c.metadata().supports_mode("ping"));
    let v = approve_after_pending(&op, &c, request("alice")).await;
    assert_eq!(v.id_token.algorithm, "RS256");
    let s = &v.id_token.standard;
    assert_eq!(
        (s.iss.as_str(), s.sub.as_str()),
        (op.issuer.as_str(), "alice")
    );
    assert_eq!(s.aud, ["basic-client"]);
    assert_eq!(s.name.as_deref(), Some("Alice Andersson"));
    assert_eq!(s.email.as_deref(), Some("alice@example.com"));
    assert!(v.tokens.access_token.is_some());
}

#[tokio::test]
async fn client_secret_post_es256_with_provider_claims() {
    let op = OidcOp::start(OpOptions::default()).await;
    let c = client(&op, secret(POST_CLIENT, true)).await;
    let v = approve_after_pending(&op, &c, request("197010104327")).await;
    assert_eq!(v.id_token.algorithm, "ES256");
    assert_eq!(v.id_token.claims["ssn"], "197010104327");
    assert_eq!(v.id_token.standard.name.as_deref(), Some("Sven Svensson"));
}

#[tokio::test]
async fn private_key_jwt_with_rsa_and_ec_assertions() {
    let (rsa, ec, mut pss) = (key("rsa1"), key("ec1"), key("rsa2"));
    // A published key is bound to its algorithm, so PS256 gets a key of its own.
    pss.jwk["alg"] = json!("PS256");
    pss.jwk["kid"] = json!("rsa-2-pss");
    let jwks = json!({"keys": [rsa.jwk, ec.jwk, pss.jwk]});
    let op = OidcOp::start(OpOptions {
        client_jwks: Some(jwks),
        ..Default::default()
    })
    .await;
    for (k, alg) in [(&rsa, "RS256"), (&pss, "PS256"), (&ec, "ES256")] {
        let signing = SigningKey::from_pem(
            &SecretString::from(k.pem.clone()),
            Some(alg),
            Some(k.kid().into()),
        )
        .unwrap();
        let c = client(
            &op,
            ClientAuth::PrivateKeyJwt {
                client_id: JWT_CLIENT.into(),
                key: signing,
            },
        )
        .await;
        let v = approve_after_pending(&op, &c, request("bob@example.com")).await;
        assert_eq!(v.id_token.standard.sub, "bob", "with a {alg} assertion");
    }
}

/// CIBA Core §7.1.1 against a provider that takes nothing else from these clients: the
/// parameters (the binding message the phone shows among them) arrive from inside the signed
/// request, since the provider ignores whatever travels beside it.
#[tokio::test]
async fn signed_requests_with_ps256_and_es256() {
    let (ec, mut pss) = (key("ec1"), key("rsa2"));
    pss.jwk["alg"] = json!("PS256");
    pss.jwk["kid"] = json!("rsa-2-pss");
    let op = OidcOp::start(OpOptions {
        client_jwks: Some(json!({"keys": [ec.jwk, pss.jwk]})),
        ..Default::default()
    })
    .await;
    for (client_id, k, alg) in [
        (SIGNED_CLIENT, &pss, "PS256"),
        (SIGNED_EC_CLIENT, &ec, "ES256"),
    ] {
        let auth = || ClientAuth::PrivateKeyJwt {
            client_id: client_id.into(),
            key: SigningKey::from_pem(
                &SecretString::from(k.pem.clone()),
                Some(alg),
                Some(k.kid().into()),
            )
            .unwrap(),
        };
        // Unsigned, the provider refuses this client.
        let unsigned = client(&op, auth()).await;
        let e = unsigned.request(&request("alice")).await.unwrap_err();
        assert!(e.to_string().contains("Request Object"), "{alg}: {e}");

        let mut config = ClientConfig::new(op.issuer.clone(), auth());
        config.signed_requests = true;
        let c = CibaClient::discover(config).await.unwrap();
        let v = approve_after_pending(&op, &c, request("alice")).await;
        assert_eq!(v.id_token.standard.sub, "alice", "signed with {alg}");
    }
}

/// A provider whose certificate comes from its own certificate authority: refused with a
/// plain reason, unless that authority is given for this provider; trusting it for one client
/// trusts it for no other.
#[tokio::test]
async fn a_private_certificate_authority_is_trusted_for_its_provider_only() {
    let ca = Arc::new(testkit::tls::TestCa::new("bank"));
    let op = OidcOp::start(OpOptions {
        tls: Some(ca.clone()),
        ..Default::default()
    })
    .await;
    assert!(op.issuer.starts_with("https://"), "{}", op.issuer);
    let config = |roots: Option<String>| {
        let mut c = ClientConfig::new(op.issuer.clone(), secret(BASIC_CLIENT, false));
        c.http.extra_roots_pem = roots;
        c
    };
    let untrusted = |e: CibaError| {
        let text = e.to_string();
        assert!(
            matches!(e, CibaError::Unreachable { .. }) && text.contains("not trusted"),
            "{text}"
        );
    };
    untrusted(CibaClient::discover(config(None)).await.err().unwrap());

    let trusting = CibaClient::discover(config(Some(ca.ca_pem.clone())))
        .await
        .unwrap();
    // Another client, with another authority, still refuses this provider.
    let other = testkit::tls::TestCa::new("other");
    untrusted(
        CibaClient::discover(config(Some(other.ca_pem.clone())))
            .await
            .err()
            .unwrap(),
    );
    untrusted(CibaClient::discover(config(None)).await.err().unwrap());

    let v = approve_after_pending(&op, &trusting, request("alice")).await;
    assert_eq!(v.id_token.standard.sub, "alice");
}

/// A bundle without a certificate is a configuration error, before anything is contacted.
#[tokio::test]
async fn a_certificate_authority_bundle_must_hold_a_certificate() {
    for pem in [
        "",
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ] {
        let mut c = ClientConfig::new("https://op.example".to_owned(), secret(BASIC_CLIENT, false));
        c.http.extra_roots_pem = Some(pem.into());
        let e = CibaClient::discover(c).await.err().unwrap();
        assert!(
            matches!(e, CibaError::InvalidConfiguration(_))
                && e.to_string().contains("certificate authority"),
            "{pem:?}: {e}"
        );
    }
}

/// FAPI-CIBA against a provider that allows it: ES256 assertion, signed request and ID token;
/// a client that breaks a rule is refused before anything is sent.
#[tokio::test]
async fn a_fapi_ciba_round_trip() {
    let ec = key("ec1");
    let op = OidcOp::start(OpOptions {
        client_jwks: Some(json!({"keys": [ec.jwk]})),
        ..Default::default()
    })
    .await;
    let mut config = ClientConfig::new(
        op.issuer.clone(),
        ClientAuth::PrivateKeyJwt {
            client_id: SIGNED_EC_CLIENT.into(),
            key: SigningKey::from_pem(
                &SecretString::from(ec.pem.clone()),
                None,
                Some(ec.kid().into()),
            )
            .unwrap(),
        },
    );
    config.fapi = true;
    let c = CibaClient::discover(config).await.unwrap();
    // No binding message: refused here, nothing sent.
    let bare = AuthRequest::new(Hint::LoginHint("alice".into()));
    let e = c.request(&bare).await.unwrap_err();
    assert!(e.to_string().contains("binding message"), "{e}");
    assert!(op.requests(&[]).await.is_empty());

    let v = approve_after_pending(&op, &c, request("alice")).await;
    assert_eq!(v.id_token.algorithm, "ES256");
    assert_eq!(v.id_token.standard.sub, "alice");

    // A client secret breaks the first rule.
    let mut config = ClientConfig::new(op.issuer.clone(), secret(BASIC_CLIENT, false));
    config.fapi = true;
    let e = CibaClient::discover(config).await.err().unwrap();
    assert!(
        e.to_string().contains("FAPI-CIBA") && e.to_string().contains("private_key_jwt"),
        "{e}"
    );
}

/// Mutual TLS (RFC 8705) under FAPI-CIBA, against a provider that asks for certificates only at
/// the addresses its discovery document gives in `mtls_endpoint_aliases`: `tls_client_auth`
/// with a certificate the provider's CA issued, `self_signed_tls_client_auth` with the
/// certificate the client registered, each with requests signed by its ES256 key and tokens
/// bound to the certificate. Another certificate is refused by the provider.
#[tokio::test]
async fn mutual_tls_with_an_issued_and_a_self_signed_certificate() {
    let MtlsBank {
        op,
        ca,
        issued,
        self_signed,
        request_key: ec,
    } = MtlsBank::start().await;
    let issuer = url::Url::parse(&op.issuer).unwrap();
    let config = |client_id: &str, self_signed: bool, cert: &ClientCert| {
        let auth = ClientAuth::MutualTls {
            client_id: client_id.into(),
            self_signed,
            certificate: ClientCertificate::from_pair(
                &cert.cert_pem,
                &SecretString::from(cert.key_pem.clone()),
            )
            .unwrap(),
            request_key: Some(
                SigningKey::from_pem(
                    &SecretString::from(ec.pem.clone()),
                    None,
                    Some(ec.kid().into()),
                )
                .unwrap(),
            ),
        };
        let mut config = ClientConfig::new(op.issuer.clone(), auth);
        config.http.extra_roots_pem = Some(ca.ca_pem.clone());
        config.fapi = true;
        config
    };
    for (client_id, is_self_signed, cert) in [
        (MTLS_CLIENT, false, &issued),
        (SELF_SIGNED_CLIENT, true, &self_signed),
    ] {
        let c = CibaClient::discover(config(client_id, is_self_signed, cert))
            .await
            .unwrap();
        let m = c.metadata();
        for endpoint in [&m.backchannel_authentication_endpoint, &m.token_endpoint] {
            assert_ne!(
                endpoint.port(),
                issuer.port(),
                "{client_id}: the mutual-TLS alias, not {endpoint}"
            );
        }
        let v = approve_after_pending(&op, &c, request("alice")).await;
        assert_eq!(v.id_token.algorithm, "ES256", "{client_id}");
        assert_eq!(v.id_token.standard.sub, "alice", "{client_id}");
        assert!(v.tokens.access_token.is_some(), "{client_id}");
    }

    // The provider judges the certificate: another subject, an unregistered self-signed one,
    // or one its CA did not issue are all refused.
    let stranger = ca.client_certificate("someone-else");
    let unregistered = self_signed_client_certificate("desk 4711");
    for (client_id, is_self_signed, cert) in [
        (MTLS_CLIENT, false, &stranger),
        (MTLS_CLIENT, false, &self_signed),
        (SELF_SIGNED_CLIENT, true, &unregistered),
    ] {
        let c = CibaClient::discover(config(client_id, is_self_signed, cert))
            .await
            .unwrap();
        let e = c.request(&request("alice")).await.unwrap_err();
        assert_eq!(e.code(), "invalid_client", "{client_id}: {e}");
    }
}

/// A provider whose TLS front end checks certificates ends the handshake: the person is told
/// that it asks for a certificate, or that it may have refused the one the profile holds.
#[tokio::test]
async fn a_certificate_refused_in_the_handshake_is_named() {
    let ca = Arc::new(TestCa::new("bank"));
    let op = OidcOp::start(OpOptions {
        tls: Some(ca.clone()),
        client_ca: Some(ca.ca_pem.clone()),
        mtls_strict: true,
        ..Default::default()
    })
    .await;
    let stranger = self_signed_client_certificate("mtls-client");
    let with = |auth: ClientAuth| {
        let mut config = ClientConfig::new(op.issuer.clone(), auth);
        config.http.extra_roots_pem = Some(ca.ca_pem.clone());
        config
    };
    let mtls = CibaClient::discover(with(ClientAuth::MutualTls {
        client_id: MTLS_CLIENT.into(),
        self_signed: false,
        certificate: ClientCertificate::from_pem(&SecretString::from(stranger.bundle())).unwrap(),
        request_key: None,
    }))
    .await
    .unwrap();
    let e = mtls.request(&request("alice")).await.unwrap_err();
    assert!(
        matches!(e, CibaError::Unreachable { .. })
            && e.to_string()
                .contains("may have refused this client's certificate"),
        "{e}"
    );

    // A client with a secret, sent to the mutual-TLS address by hand.
    let mut config = with(secret(BASIC_CLIENT, false));
    config.overrides.backchannel_authentication_endpoint =
        Some(mtls.metadata().backchannel_authentication_endpoint.clone());
    let plain = CibaClient::discover(config).await.unwrap();
    let e = plain.request(&request("alice")).await.unwrap_err();
    assert!(
        e.to_string().contains("asks for a client certificate"),
        "{e}"
    );
    assert!(op.requests(&[]).await.is_empty());
}

/// A client without a private key cannot sign, and says so before anything is sent.
#[tokio::test]
async fn signed_requests_need_a_private_key() {
    let op = OidcOp::start(OpOptions::default()).await;
    let mut config = ClientConfig::new(op.issuer.clone(), secret(BASIC_CLIENT, false));
    config.signed_requests = true;
    let e = CibaClient::discover(config).await.err().unwrap();
    assert!(e.to_string().contains("private_key_jwt"), "{e}");
    assert!(op.requests(&[]).await.is_empty());
}

#[tokio::test]
async fn a_wrong_secret_is_invalid_client() {
    let op = OidcOp::start(OpOptions::default()).await;
    let c = client(&op, secret(("basic-client", "wrong"), false)).await;
    let e = c.request(&request("alice")).await.unwrap_err();
    assert!(matches!(e, CibaError::InvalidClient(_)), "{e:?}");
}

#[tokio::test]
async fn the_customer_denies() {
    let op = OidcOp::start(OpOptions::default()).await;
    let c = client(&op, secret(BASIC_CLIENT, false)).await;
    let pending = c.request(&request("alice")).await.unwrap();
    op.deny(pending.acknowledgement.auth_req_id().expose_secret())
        .await;
    let e = c
        .wait(pending, &CancelHandle::new(), &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, CibaError::AuthorizationDenied(_)), "{e:?}");
}

#[tokio::test]
async fn nobody_answers_and_the_request_expires() {
    let op = OidcOp::start(OpOptions::default()).await;
    let c = client(&op, secret(BASIC_CLIENT, false)).await;
    let pending = c
        .request(&request("alice").requested_expiry(2))
        .await
        .unwrap();
    assert_eq!(pending.acknowledgement.expires_in, Duration::from_secs(2));
    let e = c
        .wait(pending, &CancelHandle::new(), &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, CibaError::Expired), "{e:?}");
}

#[tokio::test]
async fn request_errors_from_the_provider() {
    let op = OidcOp::start(OpOptions::default()).await;
    let c = client(&op, secret(BASIC_CLIENT, false)).await;
    let e = c.request(&request("nobody@example.com")).await.unwrap_err();
    assert!(matches!(e, CibaError::UnknownUserId(_)), "{e:?}");
    let e = c
        .request(&request("alice").binding_message("x".repeat(65)))
        .await
        .unwrap_err();
    assert!(matches!(e, CibaError::InvalidBindingMessage(_)), "{e:?}");
}

#[tokio::test]
async fn login_hint_token_names_the_user() {
    let op = OidcOp::start(OpOptions::default()).await;
    let c = client(&op, secret(BASIC_CLIENT, false)).await;
    let req = AuthRequest::new(Hint::LoginHintToken(json!({"sub": "alice"}).to_string()))
        .binding_message("Desk 4711");
    let pending = c.request(&req).await.unwrap();
    op.approve(pending.acknowledgement.auth_req_id().expose_secret())
        .await;
    let v = c
        .wait(pending, &CancelHandle::new(), &|_| {})
        .await
        .unwrap();
    assert_eq!(v.id_token.standard.sub, "alice");
}

#[tokio::test]
async fn ping_mode_fetches_the_token_when_notified() {
    let mut listener = PingListener::start().await;
    let op = OidcOp::start(OpOptions {
        ping_endpoint: Some(listener.url.clone()),
        interval: Some(5),
        ..Default::default()
    })
    .await;
    let c = Arc::new(client(&op, secret(PING_CLIENT, false)).await);
    let req =
        request("alice").client_notification_token(SecretString::from("ping-token-0123456789"));
    let pending = c.request(&req).await.unwrap();
    let gate = pending.ping_gate().unwrap();
    let id = pending
        .acknowledgement
        .auth_req_id()
        .expose_secret()
        .to_owned();
    let started = std::time::Instant::now();
    let c2 = c.clone();
    let waiting =
        tokio::spawn(async move { c2.wait(pending, &CancelHandle::new(), &|_| {}).await });
    op.approve(&id).await;
    let n = tokio::time::timeout(Duration::from_secs(10), listener.received.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.bearer, "ping-token-0123456789");
    gate.accept(&n.bearer, &n.body).unwrap();
    let v = waiting.await.unwrap().unwrap();
    assert_eq!(v.id_token.standard.sub, "alice");
    // The poll fallback in ping mode is 3 × 5 s; the ping ended the wait long before.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}
