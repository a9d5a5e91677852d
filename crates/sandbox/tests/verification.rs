//! Whole verifications against the sandbox with the real `ciba` client library, answered the
//! way a customer would: pressing the buttons on the phone page or the pickup link.

mod common;

use std::time::Duration;

use ciba::{AuthRequest, CancelHandle, CibaError, ExposeSecret, Hint};
use common::{basic, client, get_json, get_text, post, press, start, start_with};
use sandbox::{AutoDecision, CLIENT_ID, Decision, SandboxConfig, SandboxError};

fn id_of(pending: &ciba::PendingAuth) -> String {
    pending
        .acknowledgement
        .auth_req_id()
        .expose_secret()
        .to_owned()
}

#[tokio::test]
async fn approved_on_the_phone_page_the_verification_completes() {
    let running = start().await;
    let sb = &running.sandbox;
    let client = client(sb, basic()).await;
    assert_eq!(client.metadata().issuer, sb.issuer());

    let request =
        AuthRequest::new(Hint::LoginHint("19121212-1212".into())).binding_message("Order 4711");
    let pending = client.request(&request).await.unwrap();
    assert_eq!(pending.acknowledgement.expires_in, Duration::from_secs(120));
    assert_eq!(
        pending.acknowledgement.interval,
        Some(Duration::from_secs(2))
    );
    let id = id_of(&pending);

    let (status, page) = get_text(&sb.device_url()).await;
    assert_eq!(status, 200);
    assert!(page.contains("Tolvan Tolvansson") && page.contains("Order 4711"));
    assert!(page.contains(&format!("action=\"/device/{id}/approve\"")));

    let (status, location) = press(&format!("{}/approve", device_action(sb, &id)), &[]).await;
    assert_eq!((status, location.as_deref()), (303, Some("/device")));

    let verified = client
        .wait(pending, &CancelHandle::new(), &|_| {})
        .await
        .unwrap();
    let claims = &verified.id_token.claims;
    assert_eq!(claims["ssn"], "191212121212");
    assert_eq!(claims["acr"], "urn:ciba-desk:sandbox");
    assert_eq!(
        claims["urn:openid:params:jwt:claim:auth_req_id"],
        id.as_str()
    );
    assert!(claims.contains_key("at_hash"));
    let standard = &verified.id_token.standard;
    assert_eq!(standard.name.as_deref(), Some("Tolvan Tolvansson"));
    assert_eq!(standard.given_name.as_deref(), Some("Tolvan"));
    assert_eq!(standard.birthdate.as_deref(), Some("1912-12-12"));
    assert_eq!(standard.sub, "sandbox-1");
    assert_eq!(standard.aud, [CLIENT_ID]);
    assert_eq!(standard.amr, ["sandbox"]);
    assert_eq!(standard.exp, standard.iat + 300);
    assert!(standard.auth_time.is_some_and(|t| t <= standard.iat));
    assert_eq!(verified.id_token.algorithm, "ES256");
    // Nothing is waiting any more.
    assert_eq!(
        get_json(&format!("{}/sandbox/requests", sb.issuer())).await["requests"],
        serde_json::json!([])
    );
    running.sandbox.shutdown().await;
}

fn device_action(sb: &sandbox::Sandbox, id: &str) -> String {
    format!("{}/device/{id}", sb.issuer())
}

#[tokio::test]
async fn a_pickup_customer_approves_through_the_link() {
    let running = start().await;
    let sb = &running.sandbox;
    let client = client(sb, post()).await;
    let request = AuthRequest::new(Hint::LoginHint("Anna@Example.com".into()))
        .binding_message("Pickup <B-17> & \"more\"")
        .requested_expiry(200);
    let pending = client.request(&request).await.unwrap();
    assert_eq!(pending.acknowledgement.expires_in, Duration::from_secs(200));
    let id = id_of(&pending);

    let (status, page) = get_text(&sb.pickup_url(&id)).await;
    assert_eq!(status, 200);
    assert!(page.contains("Anna Andersson"));
    assert!(
        page.contains("Pickup &lt;B-17&gt; &amp; &quot;more&quot;"),
        "{page}"
    );
    assert!(!page.contains("<B-17>"));
    assert!(page.contains("CIBA Desk sandbox — not a real identity"));
    assert!(page.contains("name=\"return\" value=\"pickup\""));

    let (status, location) = press(
        &format!("{}/approve", device_action(sb, &id)),
        &[("return", "pickup")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location.unwrap(), format!("/identity/ciba?requestId={id}"));
    let (status, page) = get_text(&sb.pickup_url(&id)).await;
    assert_eq!(status, 200);
    assert!(page.contains("You approved"));

    let verified = client
        .wait(pending, &CancelHandle::new(), &|_| {})
        .await
        .unwrap();
    assert_eq!(
        verified.id_token.standard.email.as_deref(),
        Some("anna@example.com")
    );
    assert_eq!(
        verified.id_token.standard.name.as_deref(),
        Some("Anna Andersson")
    );
    assert!(!verified.id_token.claims.contains_key("ssn"));

    // A second press, and unknown links, get a page a person understands.
    let (status, _) = press(&format!("{}/deny", device_action(sb, &id)), &[]).await;
    assert_eq!(status, 409);
    let (status, page) = get_text(&sb.pickup_url("no-such-request")).await;
    assert_eq!(status, 404);
    assert!(page.contains("Request not found"));
}

#[tokio::test]
async fn denied_on_the_phone_page_the_agent_learns_it() {
    let running = start().await;
    let sb = &running.sandbox;
    let client = client(sb, basic()).await;
    let pending = client
        .request(&AuthRequest::new(Hint::LoginHint(
            "sub:ssn:15037812045".into(),
        )))
        .await
        .unwrap();
    let (status, _) = press(
        &format!("{}/deny", device_action(sb, &id_of(&pending))),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    let err = client
        .wait(pending, &CancelHandle::new(), &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, CibaError::AuthorizationDenied(_)), "{err:?}");
}

#[tokio::test]
async fn an_unanswered_request_expires() {
    let running = start().await;
    let sb = &running.sandbox;
    let client = client(sb, basic()).await;
    let pending = client
        .request(&AuthRequest::new(Hint::LoginHint("050684-1232".into())).requested_expiry(2))
        .await
        .unwrap();
    assert_eq!(pending.acknowledgement.expires_in, Duration::from_secs(2));
    let id = id_of(&pending);
    let err = client
        .wait(pending, &CancelHandle::new(), &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, CibaError::Expired), "{err:?}");
    // The customer is too late as well.
    let (status, page) = get_text(&sb.pickup_url(&id)).await;
    assert_eq!(status, 410);
    assert!(page.contains("expired"));
    let (status, _) = press(&format!("{}/approve", device_action(sb, &id)), &[]).await;
    assert_eq!(status, 410);
}

#[tokio::test]
async fn an_unknown_person_and_a_wrong_secret_are_refused() {
    let running = start().await;
    let sb = &running.sandbox;
    let client = client(sb, basic()).await;
    let err = client
        .request(&AuthRequest::new(Hint::LoginHint("19121212-1213".into())))
        .await
        .unwrap_err();
    assert!(matches!(err, CibaError::UnknownUserId(_)), "{err:?}");
    let err = client
        .request(&AuthRequest::new(Hint::LoginHint(
            "someone@example.com".into(),
        )))
        .await
        .unwrap_err();
    assert!(matches!(err, CibaError::UnknownUserId(_)), "{err:?}");

    for auth in [
        ciba::ClientAuth::SecretBasic {
            client_id: CLIENT_ID.into(),
            secret: "wrong".into(),
        },
        ciba::ClientAuth::SecretPost {
            client_id: CLIENT_ID.into(),
            secret: "wrong".into(),
        },
    ] {
        let wrong = common::client(sb, auth).await;
        let err = wrong
            .request(&AuthRequest::new(Hint::LoginHint("19121212-1212".into())))
            .await
            .unwrap_err();
        assert!(matches!(err, CibaError::InvalidClient(_)), "{err:?}");
    }
}

#[tokio::test]
async fn auto_approve_needs_no_one() {
    let auto = AutoDecision {
        decision: Decision::Approve,
        after: Duration::from_secs(1),
    };
    let running = start_with(Some(auto)).await;
    let client = client(&running.sandbox, basic()).await;
    let pending = client
        .request(&AuthRequest::new(Hint::LoginHint("198507232380".into())))
        .await
        .unwrap();
    let verified = client
        .wait(pending, &CancelHandle::new(), &|_| {})
        .await
        .unwrap();
    assert_eq!(verified.id_token.claims["ssn"], "198507232380");
    assert_eq!(
        verified.id_token.standard.name.as_deref(),
        Some("Sara Svensson")
    );
}

#[tokio::test]
async fn auto_deny_needs_no_one() {
    let auto = AutoDecision {
        decision: Decision::Deny,
        after: Duration::from_millis(500),
    };
    let running = start_with(Some(auto)).await;
    let client = client(&running.sandbox, basic()).await;
    let pending = client
        .request(&AuthRequest::new(Hint::LoginHint(
            "erik@example.com".into(),
        )))
        .await
        .unwrap();
    let err = client
        .wait(pending, &CancelHandle::new(), &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, CibaError::AuthorizationDenied(_)), "{err:?}");
}

#[tokio::test]
async fn the_signing_key_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = sandbox::start(SandboxConfig::new(dir.path()).port(0))
        .await
        .unwrap();
    let port = first.local_addr().port();
    let kid = get_json(&format!("{}/jwks", first.issuer())).await["keys"][0]["kid"].clone();
    assert!(kid.as_str().is_some_and(|k| k.len() == 43), "{kid}");
    first.shutdown().await;

    // Same directory, same port: the port is free again and the key is the same.
    let second = sandbox::start(SandboxConfig::new(dir.path()).port(port))
        .await
        .unwrap();
    let again = get_json(&format!("{}/jwks", second.issuer())).await["keys"][0]["kid"].clone();
    assert_eq!(kid, again);

    // While it runs, the port is taken.
    let err = sandbox::start(SandboxConfig::new(dir.path()).port(port))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SandboxError::PortInUse { port: p } if p == port),
        "{err}"
    );
    assert!(err.to_string().contains(&format!("port {port} is in use")));

    // And it verifies as before.
    let client = client(&second, basic()).await;
    let pending = client
        .request(&AuthRequest::new(Hint::LoginHint("121212-1212".into())))
        .await
        .unwrap();
    let ok = common::http()
        .post(format!(
            "{}/sandbox/requests/{}/approve",
            second.issuer(),
            id_of(&pending)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let verified = client
        .wait(pending, &CancelHandle::new(), &|_| {})
        .await
        .unwrap();
    assert_eq!(verified.id_token.claims["ssn"], "191212121212");
    second.shutdown().await;
}

#[tokio::test]
async fn only_loopback_addresses_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SandboxConfig::new(dir.path());
    config.bind = "0.0.0.0:0".parse().unwrap();
    let err = sandbox::start(config).await.unwrap_err();
    assert!(matches!(err, SandboxError::NotLoopback { .. }), "{err}");
}
