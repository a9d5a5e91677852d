//! The protocol against an in-process fake provider: exact requests per authentication method,
//! the poller's timing rules, and every fault a real provider will not produce on demand.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ciba::{
    AuthRequest, CancelHandle, CibaClient, CibaError, ClientAuth, ClientConfig, ErrorClass, Hint,
    HttpOptions, ManualClock, Progress, SecretString, SigningKey, TokenResponse,
    ValidationFailure as F,
};
use serde_json::{Value, json};
use testkit::fake_op::{self, CLIENT_ID, CLIENT_SECRET, FakeOp, Reply, key};

type IsError = fn(&CibaError) -> bool;
type IsFailure = fn(&F) -> bool;

fn basic() -> ClientAuth {
    ClientAuth::SecretBasic {
        client_id: CLIENT_ID.into(),
        secret: SecretString::from(CLIENT_SECRET),
    }
}

async fn client_for(op: &FakeOp, auth: ClientAuth) -> (CibaClient, Arc<ManualClock>) {
    client_with(op, auth, HttpOptions::default()).await
}

async fn client_with(
    op: &FakeOp,
    auth: ClientAuth,
    http: HttpOptions,
) -> (CibaClient, Arc<ManualClock>) {
    let mut cfg = ClientConfig::new(op.issuer.clone(), auth);
    cfg.http = http;
    let clock = Arc::new(ManualClock::new(fake_op::now()));
    let c = CibaClient::discover(cfg)
        .await
        .unwrap()
        .with_clock(clock.clone());
    (c, clock)
}

fn alice() -> AuthRequest {
    AuthRequest::new(Hint::LoginHint("alice".into()))
        .scopes(["openid", "profile"])
        .binding_message("Code 4711")
}

/// Runs a whole verification and collects the progress it reported.
async fn run(
    c: &CibaClient,
    req: AuthRequest,
) -> (Result<ciba::Verified, CibaError>, Vec<Progress>) {
    let seen = Arc::new(Mutex::new(vec![]));
    let s2 = seen.clone();
    let pending = match c.request(&req).await {
        Ok(p) => p,
        Err(e) => return (Err(e), vec![]),
    };
    let r = c
        .wait(pending, &CancelHandle::new(), &move |p| {
            s2.lock().unwrap().push(p)
        })
        .await;
    let seen = seen.lock().unwrap().clone();
    (r, seen)
}

fn secs(v: &[u64]) -> Vec<Duration> {
    v.iter().map(|s| Duration::from_secs(*s)).collect()
}

// ---------- exact requests per client authentication method ----------

#[tokio::test]
async fn client_secret_basic_sends_the_exact_request() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    op.approve().signed_by(&k);
    let (c, _) = client_for(&op, basic()).await;
    let (r, _) = run(
        &c,
        alice().acr_values("urn:test:loa2").requested_expiry(120),
    )
    .await;
    let v = r.unwrap();
    assert_eq!(v.id_token.standard.sub, "user-1");
    assert_eq!(v.id_token.standard.name.as_deref(), Some("Alice Andersson"));

    let bc = &op.recorded("/bc")[0];
    assert_eq!(bc.method, "POST");
    assert_eq!(
        bc.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let expected_basic = format!(
        "Basic {}",
        STANDARD.encode("desk-client:s3cr%3Aet%2B%2F%3D")
    );
    assert_eq!(bc.headers["authorization"], expected_basic);
    let mut form = bc.form();
    form.sort();
    assert_eq!(
        form,
        [
            ("acr_values", "urn:test:loa2"),
            ("binding_message", "Code 4711"),
            ("login_hint", "alice"),
            ("requested_expiry", "120"),
            ("scope", "openid profile"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let tok = &op.recorded("/token")[0];
    assert_eq!(tok.headers["authorization"], expected_basic);
    let mut form = tok.form();
    form.sort();
    assert_eq!(
        form,
        [
            ("auth_req_id", "req-1"),
            ("grant_type", "urn:openid:params:grant-type:ciba")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

#[tokio::test]
async fn client_secret_post_puts_credentials_in_the_form() {
    let k = key("ec1");
    let op = FakeOp::start(&[&k]).await;
    op.approve().signed_by(&k);
    let auth = ClientAuth::SecretPost {
        client_id: CLIENT_ID.into(),
        secret: SecretString::from(CLIENT_SECRET),
    };
    let (c, _) = client_for(&op, auth).await;
    let (r, _) = run(&c, alice()).await;
    assert_eq!(r.unwrap().id_token.algorithm, "ES256");
    for rec in [&op.recorded("/bc")[0], &op.recorded("/token")[0]] {
        assert!(!rec.headers.contains_key("authorization"));
        assert_eq!(rec.field("client_id").as_deref(), Some(CLIENT_ID));
        assert_eq!(rec.field("client_secret").as_deref(), Some(CLIENT_SECRET));
    }
}

#[tokio::test]
async fn private_key_jwt_signs_a_fresh_assertion_per_request() {
    let k = key("rsa1");
    let client_key = key("ec1");
    let op = FakeOp::start(&[&k]).await;
    op.approve().signed_by(&k);
    let signing = SigningKey::from_pem(
        &SecretString::from(client_key.pem.clone()),
        None,
        Some("client-ec".into()),
    )
    .unwrap();
    let (c, _) = client_for(
        &op,
        ClientAuth::PrivateKeyJwt {
            client_id: CLIENT_ID.into(),
            key: signing,
        },
    )
    .await;
    run(&c, alice()).await.0.unwrap();

    let mut jtis = vec![];
    for rec in [&op.recorded("/bc")[0], &op.recorded("/token")[0]] {
        assert!(!rec.headers.contains_key("authorization"));
        assert!(rec.field("client_secret").is_none());
        assert_eq!(rec.field("client_id").as_deref(), Some(CLIENT_ID));
        assert_eq!(
            rec.field("client_assertion_type").as_deref(),
            Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        );
        let jwt = rec.field("client_assertion").unwrap();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
        assert_eq!(header.kid.as_deref(), Some("client-ec"));
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(client_key.jwk.clone()).unwrap();
        let mut val = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        val.set_audience(&[op.issuer.as_str()]);
        let claims: Value = jsonwebtoken::decode(
            &jwt,
            &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
            &val,
        )
        .unwrap()
        .claims;
        assert_eq!(claims["iss"], CLIENT_ID);
        assert_eq!(claims["sub"], CLIENT_ID);
        let life = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
        assert!(life > 0 && life <= 60, "assertion lifetime {life}");
        jtis.push(claims["jti"].as_str().unwrap().to_owned());
    }
    assert_ne!(jtis[0], jtis[1], "each assertion needs a fresh jti");
}

// ---------- polling rules ----------

#[tokio::test]
async fn pending_then_tokens_waits_the_interval_each_time() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    op.approve()
        .after([Reply::pending(), Reply::pending()])
        .signed_by(&k);
    let (c, clock) = client_for(&op, basic()).await;
    run(&c, alice()).await.0.unwrap();
    assert_eq!(clock.sleeps(), secs(&[2, 2, 2]));
    assert_eq!(op.recorded("/token").len(), 3);
}

#[tokio::test]
async fn slow_down_adds_five_seconds_to_this_and_every_later_wait() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    let slow = Reply::error(400, "slow_down", "");
    op.approve()
        .after([
            Reply::pending(),
            slow.clone(),
            Reply::pending(),
            slow,
            Reply::pending(),
        ])
        .signed_by(&k);
    let (c, clock) = client_for(&op, basic()).await;
    let (r, progress) = run(&c, alice()).await;
    r.unwrap();
    assert_eq!(clock.sleeps(), secs(&[2, 2, 7, 7, 12, 12]));
    assert!(progress.contains(&Progress::SlowDown {
        interval: Duration::from_secs(12)
    }));
}

#[tokio::test]
async fn a_missing_interval_means_five_seconds() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    op.approve()
        .acknowledged(json!({"auth_req_id": "r", "expires_in": 120}))
        .after([Reply::pending()])
        .signed_by(&k);
    let (c, clock) = client_for(&op, basic()).await;
    run(&c, alice()).await.0.unwrap();
    assert_eq!(clock.sleeps(), secs(&[5, 5]));
}

#[tokio::test]
async fn the_deadline_ends_the_wait_even_if_the_provider_never_says_expired() {
    let op = FakeOp::start(&[&key("rsa1")]).await;
    op.queue(
        "/bc",
        [Reply::Json(
            200,
            json!({"auth_req_id": "r", "expires_in": 11, "interval": 4}),
        )],
    );
    let (c, clock) = client_for(&op, basic()).await;
    let (r, _) = run(&c, alice()).await;
    let e = r.unwrap_err();
    assert!(matches!(e, CibaError::Expired), "{e}");
    assert_eq!(e.class(), ErrorClass::Expired);
    assert_eq!(clock.sleeps(), secs(&[4, 4, 3]));
    assert_eq!(op.recorded("/token").len(), 3);
}

#[tokio::test]
async fn final_answers_end_the_wait_and_are_never_polled_again() {
    for (reply, check) in [
        (
            Reply::error(400, "expired_token", "too late"),
            (|e: &CibaError| matches!(e, CibaError::Expired)) as fn(&CibaError) -> bool,
        ),
        (
            Reply::error(403, "access_denied", "user said no"),
            |e| matches!(e, CibaError::AuthorizationDenied(p) if p.description.as_deref() == Some("user said no")),
        ),
        (
            Reply::error(400, "invalid_grant", "unknown auth_req_id"),
            |e| matches!(e, CibaError::InvalidGrant(_)),
        ),
        (Reply::error(401, "invalid_client", "bad secret"), |e| {
            matches!(e, CibaError::InvalidClient(_))
        }),
    ] {
        let op = FakeOp::start(&[&key("rsa1")]).await;
        op.queue("/token", [Reply::pending(), reply]);
        op.set_default("/token", Reply::error(500, "should_not_be_polled", ""));
        let (c, _) = client_for(&op, basic()).await;
        let e = run(&c, alice()).await.0.unwrap_err();
        assert!(check(&e), "{e:?}");
        assert_eq!(op.recorded("/token").len(), 2);
    }
}

#[tokio::test]
async fn cancel_stops_at_once() {
    let op = FakeOp::start(&[&key("rsa1")]).await;
    let (c, _) = client_for(&op, basic()).await;
    let pending = c.request(&alice()).await.unwrap();
    let cancel = CancelHandle::new();
    cancel.cancel();
    let e = c.wait(pending, &cancel, &|_| {}).await.unwrap_err();
    assert!(matches!(e, CibaError::Cancelled));
    assert!(op.recorded("/token").is_empty());
}

#[tokio::test]
async fn a_hand_over_stops_before_the_next_poll_and_another_client_goes_on() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    op.approve().after([Reply::pending()]).signed_by(&k);
    let (c, _) = client_for(&op, basic()).await;
    let pending = c.request(&alice()).await.unwrap();
    let auth_req_id = pending.acknowledgement.auth_req_id().clone();
    let handle = CancelHandle::new();
    handle.hand_over();
    let e = c.wait(pending, &handle, &|_| {}).await.unwrap_err();
    assert!(matches!(e, CibaError::HandedOver), "{e:?}");
    assert_eq!(e.code(), "handed_over");
    assert!(
        op.recorded("/token").is_empty(),
        "no poll after the hand-over"
    );
    // Nothing was withdrawn: another client resumes the same request and gets the answer.
    let (other, _) = client_for(&op, basic()).await;
    let resumed = other.resume(
        auth_req_id,
        fake_op::now() - 5,
        Duration::from_secs(60),
        Some(Duration::from_secs(2)),
    );
    let v = other
        .wait(resumed, &CancelHandle::new(), &|_| {})
        .await
        .unwrap();
    assert!(v.id_token.claims.contains_key("sub"));
    assert_eq!(op.recorded("/token").len(), 2);
}

#[tokio::test]
async fn a_proxy_from_the_environment_never_sees_loopback_traffic() {
    // A listener standing in for the proxy: it counts every connection it gets.
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let reached = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = reached.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = proxy.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(conn);
        }
    });
    // SAFETY: nextest runs each test in its own process, and nothing else here reads the
    // environment concurrently.
    unsafe {
        for var in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"] {
            std::env::set_var(var, &proxy_url);
        }
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
    }
    let op = FakeOp::start(&[&key("rsa1")]).await;
    let (c, _) = client_for(&op, basic()).await;
    c.request(&alice()).await.unwrap();
    assert_eq!(
        reached.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "requests with the client's credentials went to the proxy"
    );
    assert_eq!(op.recorded("/bc").len(), 1);
}

#[tokio::test]
async fn a_providers_error_text_reaches_nobody_with_a_number_or_an_escape_in_it() {
    let op = FakeOp::start(&[&key("rsa1")]).await;
    op.queue(
        "/bc",
        [Reply::error(
            400,
            "unknown_user_id",
            "no user 191212121212 (19121212-1212)\u{1b}]0;owned\u{7}\u{1b}[2J",
        )],
    );
    let (c, _) = client_for(&op, basic()).await;
    let e = c.request(&alice()).await.unwrap_err();
    let shown = e.to_string();
    let description = e.provider_error().unwrap().description.clone().unwrap();
    for text in [&shown, &description] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(
            !text.contains("1212121212") && !text.contains("-1212"),
            "{text:?}"
        );
        assert!(text.contains("no user [number] ([number])"), "{text:?}");
    }
}

#[tokio::test]
async fn cancel_interrupts_a_hanging_poll() {
    let op = FakeOp::start(&[&key("rsa1")]).await;
    op.set_default("/token", Reply::Hang);
    let (c, _) = client_for(&op, basic()).await;
    let pending = c.request(&alice()).await.unwrap();
    let cancel = CancelHandle::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c2.cancel();
    });
    let e = tokio::time::timeout(Duration::from_secs(5), c.wait(pending, &cancel, &|_| {}))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(e, CibaError::Cancelled));
}

#[tokio::test]
async fn ping_wakes_the_wait_and_fetches_the_token_once() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    op.approve()
        .acknowledged(json!({"auth_req_id": "req-ping", "expires_in": 60, "interval": 2}))
        .signed_by(&k);
    // A real clock here: the ping must beat a real fallback wait (3 × 2 s).
    let c = CibaClient::discover(ClientConfig::new(op.issuer.clone(), basic()))
        .await
        .unwrap();
    let req = alice().client_notification_token(SecretString::from("notify-token-123"));
    let pending = c.request(&req).await.unwrap();
    assert_eq!(
        op.recorded("/bc")[0]
            .field("client_notification_token")
            .as_deref(),
        Some("notify-token-123")
    );
    let gate = pending.ping_gate().unwrap();
    assert!(
        gate.accept("wrong", br#"{"auth_req_id":"req-ping"}"#)
            .is_err()
    );
    gate.accept("notify-token-123", br#"{"auth_req_id":"req-ping"}"#)
        .unwrap();
    let started = std::time::Instant::now();
    let v = c
        .wait(pending, &CancelHandle::new(), &|_| {})
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the ping should have ended the wait early"
    );
    assert_eq!(v.id_token.standard.sub, "user-1");
    assert_eq!(op.recorded("/token").len(), 1);
}

// ---------- transport and provider faults ----------

#[tokio::test]
async fn an_html_error_page_at_the_backchannel_endpoint_is_explained() {
    let op = FakeOp::start(&[&key("rsa1")]).await;
    op.queue("/bc", [Reply::html(500)]);
    let (c, _) = client_for(&op, basic()).await;
    let e = c.request(&alice()).await.unwrap_err();
    assert!(
        matches!(e, CibaError::UnexpectedResponse { status: 500, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("HTML page"), "{e}");
    assert_eq!(e.class(), ErrorClass::Provider);
    assert_eq!(op.recorded("/bc").len(), 1, "the request is not repeated");
}

#[tokio::test]
async fn transient_failures_while_polling_back_off_and_recover() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    op.approve()
        .after([Reply::html(502), Reply::Reset, Reply::html(503)])
        .signed_by(&k);
    let (c, clock) = client_for(&op, basic()).await;
    let (r, progress) = run(&c, alice()).await;
    r.unwrap();
    assert_eq!(clock.sleeps(), secs(&[2, 4, 8, 16]));
    assert_eq!(
        progress
            .iter()
            .filter(|p| matches!(p, Progress::Retrying { .. }))
            .count(),
        3
    );
}

#[tokio::test]
async fn a_provider_that_keeps_failing_ends_with_its_failure_at_the_deadline() {
    let op = FakeOp::start(&[&key("rsa1")]).await;
    op.queue(
        "/bc",
        [Reply::Json(
            200,
            json!({"auth_req_id": "r", "expires_in": 20, "interval": 2}),
        )],
    );
    op.set_default("/token", Reply::html(500));
    let (c, clock) = client_for(&op, basic()).await;
    let e = run(&c, alice()).await.0.unwrap_err();
    assert!(
        matches!(e, CibaError::UnexpectedResponse { status: 500, .. }),
        "{e:?}"
    );
    assert_eq!(clock.sleeps(), secs(&[2, 4, 8, 6]));
}

#[tokio::test]
async fn a_hanging_provider_times_out() {
    let op = FakeOp::start(&[&key("rsa1")]).await;
    op.queue("/bc", [Reply::Hang]);
    let http = HttpOptions {
        request_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let (c, _) = client_with(&op, basic(), http).await;
    let e = c.request(&alice()).await.unwrap_err();
    assert!(matches!(e, CibaError::Timeout { .. }), "{e:?}");
    assert!(e.to_string().contains("did not answer"), "{e}");
}

#[tokio::test]
async fn a_connection_reset_is_reported_as_unreachable() {
    let op = FakeOp::start(&[&key("rsa1")]).await;
    op.queue("/bc", [Reply::Reset]);
    let (c, _) = client_for(&op, basic()).await;
    let e = c.request(&alice()).await.unwrap_err();
    assert!(matches!(e, CibaError::Unreachable { .. }), "{e:?}");
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused_with_or_without_a_length() {
    for with_len in [true, false] {
        let op = FakeOp::start(&[&key("rsa1")]).await;
        let body = format!(
            "{{\"auth_req_id\":\"{}\",\"expires_in\":5}}",
            "x".repeat(10 * 1024 * 1024)
        )
        .into_bytes();
        op.queue(
            "/bc",
            [Reply::Raw {
                status: 200,
                content_type: "application/json",
                body,
                content_length: with_len,
            }],
        );
        let (c, _) = client_for(&op, basic()).await;
        let e = c.request(&alice()).await.unwrap_err();
        assert!(
            matches!(e, CibaError::ResponseTooLarge { limit: 1048576, .. }),
            "{e:?}"
        );
    }
}

#[tokio::test]
async fn malformed_json_is_not_a_token() {
    let op = FakeOp::start(&[&key("rsa1")]).await;
    let body = b"{\"id_token\": \"abc\", ".to_vec();
    op.queue(
        "/token",
        [Reply::Raw {
            status: 200,
            content_type: "application/json",
            body,
            content_length: true,
        }],
    );
    let (c, _) = client_for(&op, basic()).await;
    let e = run(&c, alice()).await.0.unwrap_err();
    assert!(matches!(e, CibaError::MalformedResponse { .. }), "{e:?}");
}

#[tokio::test]
async fn every_backchannel_error_keeps_its_own_variant_and_description() {
    let cases: [(&str, u16, IsError); 10] = [
        ("invalid_request", 400, |e| {
            matches!(e, CibaError::InvalidRequest(_))
        }),
        ("invalid_scope", 400, |e| {
            matches!(e, CibaError::InvalidScope(_))
        }),
        ("expired_login_hint_token", 400, |e| {
            matches!(e, CibaError::ExpiredLoginHintToken(_))
        }),
        ("unknown_user_id", 400, |e| {
            matches!(e, CibaError::UnknownUserId(_))
        }),
        ("unauthorized_client", 400, |e| {
            matches!(e, CibaError::UnauthorizedClient(_))
        }),
        ("missing_user_code", 400, |e| {
            matches!(e, CibaError::MissingUserCode(_))
        }),
        ("invalid_user_code", 400, |e| {
            matches!(e, CibaError::InvalidUserCode(_))
        }),
        ("invalid_binding_message", 400, |e| {
            matches!(e, CibaError::InvalidBindingMessage(_))
        }),
        ("invalid_client", 401, |e| {
            matches!(e, CibaError::InvalidClient(_))
        }),
        ("access_denied", 403, |e| {
            matches!(e, CibaError::AuthorizationDenied(_))
        }),
    ];
    let op = FakeOp::start(&[&key("rsa1")]).await;
    let (c, _) = client_for(&op, basic()).await;
    for (code, status, check) in cases {
        op.queue(
            "/bc",
            [Reply::error(status, code, &format!("because {code}"))],
        );
        let e = c.request(&alice()).await.unwrap_err();
        assert!(check(&e), "{code}: {e:?}");
        assert_eq!(
            e.provider_error().unwrap().description.as_deref(),
            Some(format!("because {code}").as_str())
        );
        assert_eq!(e.code(), code);
    }
}

#[tokio::test]
async fn discovery_problems_are_named() {
    let op = FakeOp::start(&[&key("rsa1")]).await;
    op.patch_discovery("backchannel_authentication_endpoint", Value::Null);
    let e = CibaClient::discover(ClientConfig::new(op.issuer.clone(), basic()))
        .await
        .err()
        .unwrap();
    assert!(matches!(e, CibaError::CibaNotSupported { .. }), "{e:?}");

    let op = FakeOp::start(&[&key("rsa1")]).await;
    op.patch_discovery("issuer", json!("https://evil.example.com"));
    let e = CibaClient::discover(ClientConfig::new(op.issuer.clone(), basic()))
        .await
        .err()
        .unwrap();
    assert!(matches!(e, CibaError::IssuerMismatch { .. }), "{e:?}");
}

// ---------- ID tokens: rotation and forgeries ----------

fn tokens(id_token: String, access_token: &str) -> TokenResponse {
    TokenResponse {
        id_token: SecretString::from(id_token),
        access_token: Some(SecretString::from(access_token.to_owned())),
        refresh_token: None,
        token_type: Some("Bearer".into()),
        expires_in: None,
        scope: None,
    }
}

/// Verifies `token` as the answer to a request sent a few seconds ago.
async fn verify(c: &CibaClient, token: String) -> Result<ciba::VerifiedIdToken, CibaError> {
    verify_at(c, token, fake_op::now() - 5).await
}

async fn verify_at(
    c: &CibaClient,
    token: String,
    requested_at: u64,
) -> Result<ciba::VerifiedIdToken, CibaError> {
    c.verify_tokens(
        &tokens(token, "at-1"),
        &SecretString::from("req-1"),
        requested_at,
    )
    .await
}

#[tokio::test]
async fn tokens_of_another_type_or_older_than_the_request_are_refused() {
    let k1 = key("rsa1");
    let op = FakeOp::start(&[&k1]).await;
    let (c, _) = client_for(&op, basic()).await;
    let good = op.claims();
    let typed = |typ: &str| {
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        h.kid = Some(k1.kid().into());
        h.typ = Some(typ.into());
        jsonwebtoken::encode(&h, &good, &k1.encoding_key()).unwrap()
    };
    for ok in ["JWT", "jwt", "application/jwt"] {
        verify(&c, typed(ok)).await.unwrap();
    }
    // An access token (RFC 9068) signed by the same provider is not an ID token.
    for bad in ["at+jwt", "application/at+jwt", "logout+jwt"] {
        assert!(
            matches!(rejected(verify(&c, typed(bad)).await), F::WrongType { .. }),
            "{bad}"
        );
    }

    // Issued, or authenticated, before the request was sent: not its answer. Within the
    // clock-skew leeway it still is.
    let now = fake_op::now();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = good.clone();
        f(&mut c);
        k1.sign(&c)
    };
    let replayed = with(&|c| {
        c["iat"] = json!(now - 3600);
        c["exp"] = json!(now + 600);
    });
    assert_eq!(
        rejected(verify_at(&c, replayed, now).await),
        F::IssuedBeforeRequest {
            seconds_before: 3600
        }
    );
    let earlier_login = with(&|c| c["auth_time"] = json!(now - 600));
    assert_eq!(
        rejected(verify_at(&c, earlier_login, now).await),
        F::AuthenticatedBeforeRequest {
            seconds_before: 600
        }
    );
    let skewed = with(&|c| {
        c["iat"] = json!(now - 30);
        c["auth_time"] = json!(now - 30);
    });
    verify_at(&c, skewed, now).await.unwrap();
}

fn rejected(r: Result<ciba::VerifiedIdToken, CibaError>) -> F {
    match r {
        Err(CibaError::IdTokenRejected(f)) => f,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_once_then_fails() {
    let (k1, k2) = (key("rsa1"), key("rsa2"));
    let op = FakeOp::start(&[&k1]).await;
    let (c, clock) = client_for(&op, basic()).await;
    verify(&c, k1.sign(&op.claims())).await.unwrap();
    assert_eq!(op.recorded("/jwks").len(), 1);

    // The provider rotates to a new key; the first token with its kid refetches.
    op.set_jwks(&[&k2]);
    clock.advance(Duration::from_secs(61));
    verify(&c, k2.sign(&op.claims())).await.unwrap();
    assert_eq!(op.recorded("/jwks").len(), 2);

    // An unknown kid right after a fetch does not refetch (at most once a minute)...
    let mut forged = op.claims();
    forged["sub"] = json!("mallory");
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    h.kid = Some("rsa-9".into());
    let t = jsonwebtoken::encode(&h, &forged, &k1.encoding_key()).unwrap();
    assert_eq!(
        rejected(verify(&c, t.clone()).await),
        F::UnknownKey {
            kid: Some("rsa-9".into())
        }
    );
    assert_eq!(op.recorded("/jwks").len(), 2);
    // ...and a minute later refetches once more, and still fails.
    clock.advance(Duration::from_secs(61));
    assert!(matches!(
        rejected(verify(&c, t).await),
        F::UnknownKey { .. }
    ));
    assert_eq!(op.recorded("/jwks").len(), 3);
}

#[tokio::test]
async fn a_key_the_provider_withdraws_stops_being_trusted_when_the_cache_expires() {
    let (k1, k2) = (key("rsa1"), key("rsa2"));
    let op = FakeOp::start(&[&k1, &k2]).await;
    let (c, clock) = client_for(&op, basic()).await;
    // Claims valid at the client's (manual) time.
    let fresh = || {
        let mut claims = op.claims();
        let now = ciba::Clock::unix_time(clock.as_ref());
        claims["iat"] = json!(now);
        claims["exp"] = json!(now + 600);
        claims
    };
    verify(&c, k1.sign(&fresh())).await.unwrap();
    assert_eq!(op.recorded("/jwks").len(), 1);

    // The provider withdraws rsa1. Within the cache's life a token with it still verifies…
    op.set_jwks(&[&k2]);
    clock.advance(Duration::from_secs(60 * 60));
    verify(&c, k1.sign(&fresh())).await.unwrap();
    assert_eq!(op.recorded("/jwks").len(), 1);
    // …and once the cache has expired (no max-age: three hours) it does not.
    clock.advance(ciba::JWKS_DEFAULT_MAX_AGE);
    assert!(matches!(
        rejected(verify(&c, k1.sign(&fresh())).await),
        F::UnknownKey { .. }
    ));
    assert_eq!(op.recorded("/jwks").len(), 2);
    verify(&c, k2.sign(&fresh())).await.unwrap();

    // A provider whose JWKS fails after expiry: the keys in hand serve a while, fetched again
    // at most once a minute.
    op.set_default("/jwks", Reply::html(503));
    clock.advance(ciba::JWKS_DEFAULT_MAX_AGE);
    verify(&c, k2.sign(&fresh())).await.unwrap();
    verify(&c, k2.sign(&fresh())).await.unwrap();
    assert_eq!(op.recorded("/jwks").len(), 3);
}

#[tokio::test]
async fn forged_and_altered_tokens_are_rejected_by_the_right_check() {
    let (k1, k2, ec) = (key("rsa1"), key("rsa2"), key("ec1"));
    let op = FakeOp::start(&[&k1, &ec]).await;
    let (c, _) = client_for(&op, basic()).await;
    let good = op.claims();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = good.clone();
        f(&mut c);
        c
    };

    // Signed by another key under the trusted key's kid.
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    h.kid = Some(k1.kid().into());
    let wrong_key = jsonwebtoken::encode(&h, &good, &k2.encoding_key()).unwrap();
    assert_eq!(rejected(verify(&c, wrong_key).await), F::BadSignature);

    // A valid token whose payload was altered afterwards.
    let valid = k1.sign(&good);
    let parts: Vec<&str> = valid.split('.').collect();
    let altered_claims = URL_SAFE_NO_PAD.encode(with(&|c| c["sub"] = json!("mallory")).to_string());
    assert_eq!(
        rejected(verify(&c, format!("{}.{}.{}", parts[0], altered_claims, parts[2])).await),
        F::BadSignature
    );

    // alg none.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"rsa-1"}"#);
    assert_eq!(
        rejected(verify(&c, format!("{none_header}.{}.", parts[1])).await),
        F::Unsigned
    );

    // HS256 "signed" with the provider's public key (algorithm confusion).
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    h.kid = Some(k1.kid().into());
    let hs = jsonwebtoken::encode(
        &h,
        &good,
        &jsonwebtoken::EncodingKey::from_secret(k1.jwk["n"].as_str().unwrap().as_bytes()),
    )
    .unwrap();
    assert_eq!(
        rejected(verify(&c, hs).await),
        F::SymmetricAlgorithm("HS256".into())
    );

    // A critical header extension this client does not implement (RFC 7515 §4.1.11).
    let crit_header = URL_SAFE_NO_PAD.encode(
        json!({"alg": "RS256", "kid": k1.kid(), "crit": ["urn:example:pop"], "urn:example:pop": true})
            .to_string(),
    );
    let message = format!("{crit_header}.{}", parts[1]);
    let sig = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &k1.encoding_key(),
        jsonwebtoken::Algorithm::RS256,
    )
    .unwrap();
    assert!(matches!(
        rejected(verify(&c, format!("{message}.{sig}")).await),
        F::CriticalHeader { .. }
    ));

    // Times at the end of the range neither panic nor wrap around.
    verify(&c, k1.sign(&with(&|c| c["exp"] = json!(u64::MAX))))
        .await
        .unwrap();
    verify(&c, k1.sign(&with(&|c| c["exp"] = json!(i64::MAX))))
        .await
        .unwrap();
    assert!(matches!(
        rejected(verify(&c, k1.sign(&with(&|c| c["iat"] = json!(u64::MAX)))).await),
        F::IssuedInFuture { .. }
    ));

    // An RSA key id under an EC algorithm.
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    h.kid = Some(k1.kid().into());
    let confused = jsonwebtoken::encode(&h, &good, &ec.encoding_key()).unwrap();
    assert!(matches!(
        rejected(verify(&c, confused).await),
        F::KeyMismatch { .. }
    ));

    let cases: Vec<(Value, IsFailure)> = vec![
        (
            with(&|c| c["iss"] = json!("https://evil.example.com")),
            |f| matches!(f, F::WrongIssuer { .. }),
        ),
        (with(&|c| c["aud"] = json!("someone-else")), |f| {
            matches!(f, F::WrongAudience { .. })
        }),
        (with(&|c| c["aud"] = json!([CLIENT_ID, "other"])), |f| {
            *f == F::MissingAzp
        }),
        (
            with(&|c| {
                c["aud"] = json!([CLIENT_ID, "other"]);
                c["azp"] = json!("other")
            }),
            |f| matches!(f, F::WrongAzp { .. }),
        ),
        (
            with(&|c| {
                c["exp"] = json!(fake_op::now() - 120);
            }),
            |f| matches!(f, F::Expired { .. }),
        ),
        (
            with(&|c| {
                c["nbf"] = json!(fake_op::now() + 600);
            }),
            |f| matches!(f, F::NotYetValid { .. }),
        ),
        (
            with(&|c| {
                c["iat"] = json!(fake_op::now() + 600);
            }),
            |f| matches!(f, F::IssuedInFuture { .. }),
        ),
        (
            with(&|c| {
                c.as_object_mut().unwrap().remove("sub");
            }),
            |f| *f == F::MissingClaim("sub"),
        ),
        (
            with(&|c| c["at_hash"] = json!("AAAAAAAAAAAAAAAAAAAAAA")),
            |f| *f == F::AtHashMismatch,
        ),
        (
            with(&|c| c["urn:openid:params:jwt:claim:auth_req_id"] = json!("other-req")),
            |f| *f == F::AuthReqIdMismatch,
        ),
    ];
    for (claims, check) in cases {
        let f = rejected(verify(&c, k1.sign(&claims)).await);
        assert!(check(&f), "{claims}: {f:?}");
        assert!(!f.to_string().is_empty());
    }

    // The hashes are checked, not just demanded: correct ones pass, absent ones pass.
    let at_hash = {
        use sha2::Digest;
        URL_SAFE_NO_PAD.encode(&sha2::Sha256::digest("at-1")[..16])
    };
    let ok = with(&|c| {
        c["at_hash"] = json!(at_hash);
        c["urn:openid:params:jwt:claim:auth_req_id"] = json!("req-1")
    });
    verify(&c, k1.sign(&ok)).await.unwrap();
    verify(&c, ec.sign(&good)).await.unwrap();
}

#[tokio::test]
async fn string_timestamps_and_small_skews_are_accepted() {
    let k = key("ed1");
    let op = FakeOp::start(&[&k]).await;
    let (c, _) = client_for(&op, basic()).await;
    let now = fake_op::now();
    let claims = json!({"iss": op.issuer, "sub": "s", "aud": [CLIENT_ID], "iat": (now + 30).to_string(),
        "exp": (now + 300).to_string(), "auth_time": now.to_string()});
    let v = verify(&c, k.sign(&claims)).await.unwrap();
    assert_eq!(v.algorithm, "EdDSA");
    assert_eq!(v.standard.auth_time, Some(now));
}

#[tokio::test]
async fn an_algorithm_the_provider_does_not_advertise_is_refused() {
    let k = key("ec1");
    let op = FakeOp::start(&[&k]).await;
    op.patch_discovery("id_token_signing_alg_values_supported", json!(["RS256"]));
    let (c, _) = client_for(&op, basic()).await;
    assert!(matches!(
        rejected(verify(&c, k.sign(&op.claims())).await),
        F::AlgorithmNotAllowed { .. }
    ));
}

fn ec_client_key() -> (testkit::fake_op::TestKey, ClientAuth) {
    let client_key = key("ec1");
    let signing = SigningKey::from_pem(
        &SecretString::from(client_key.pem.clone()),
        None,
        Some("client-ec".into()),
    )
    .unwrap();
    let auth = ClientAuth::PrivateKeyJwt {
        client_id: CLIENT_ID.into(),
        key: signing,
    };
    (client_key, auth)
}

async fn signing_client(op: &FakeOp, auth: ClientAuth) -> Result<CibaClient, CibaError> {
    let mut cfg = ClientConfig::new(op.issuer.clone(), auth);
    cfg.signed_requests = true;
    Ok(CibaClient::discover(cfg)
        .await?
        .with_clock(Arc::new(ManualClock::new(fake_op::now()))))
}

/// CIBA Core §7.1.1: beside the signed request only the client's authentication; inside it
/// every parameter, addressed to this provider, valid from now for five minutes, with an id
/// of its own each time.
#[tokio::test]
async fn a_signed_request_carries_everything_inside_and_only_authentication_beside() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    op.patch_discovery(
        "backchannel_authentication_request_signing_alg_values_supported",
        json!(["PS256", "ES256"]),
    );
    op.approve().signed_by(&k);
    let (client_key, auth) = ec_client_key();
    // Taken before the client's clock starts, so a second passing during the test is no miss.
    let started = fake_op::now();
    let c = signing_client(&op, auth).await.unwrap();
    run(&c, alice()).await.0.unwrap();
    op.approve().signed_by(&k);
    run(&c, alice()).await.0.unwrap();

    let mut jtis = vec![];
    for rec in op.recorded("/bc") {
        let mut names: Vec<String> = rec.form().into_iter().map(|(n, _)| n).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "client_assertion",
                "client_assertion_type",
                "client_id",
                "request"
            ]
        );
        let jwt = rec.field("request").unwrap();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(client_key.jwk.clone()).unwrap();
        let mut val = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        val.set_audience(&[op.issuer.as_str()]);
        val.set_issuer(&[CLIENT_ID]);
        val.set_required_spec_claims(&["exp", "nbf", "iat", "aud", "iss", "jti"]);
        let claims: Value = jsonwebtoken::decode(
            &jwt,
            &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
            &val,
        )
        .expect("signed with the client's key, for this provider")
        .claims;
        // The client's clock starts at fake_op::now() and moves on as the first run polls.
        let iat = claims["iat"].as_u64().unwrap();
        assert!((started..started + 60).contains(&iat), "{claims}");
        assert_eq!(claims["nbf"], iat);
        assert_eq!(claims["exp"], iat + 300, "well inside CIBA's 60 minutes");
        assert_eq!(claims["scope"], "openid profile");
        assert_eq!(claims["login_hint"], "alice");
        assert_eq!(claims["binding_message"], "Code 4711");
        jtis.push(claims["jti"].as_str().unwrap().to_owned());
    }
    assert_eq!(jtis.len(), 2);
    assert_ne!(jtis[0], jtis[1]);
}

/// A provider whose signed requests need an algorithm outside the allow-list (or one this
/// key cannot make) gets no request at all, and the error names what it asked for.
#[tokio::test]
async fn a_provider_asking_for_another_request_algorithm_is_refused() {
    for advertised in [json!(["HS256"]), json!(["none"]), json!(["PS256"])] {
        let k = key("rsa1");
        let op = FakeOp::start(&[&k]).await;
        op.patch_discovery(
            "backchannel_authentication_request_signing_alg_values_supported",
            advertised.clone(),
        );
        let (_, auth) = ec_client_key();
        let e = signing_client(&op, auth).await.err().unwrap();
        let wanted = advertised[0].as_str().unwrap();
        assert!(e.to_string().contains(wanted), "{advertised}: {e}");
        assert!(op.recorded("/bc").is_empty());
    }
}

/// FAPI-CIBA: each rule a provider's discovery document (or the client) can break is refused
/// before anything is sent, with the rule in the message.
#[tokio::test]
async fn a_fapi_profile_refuses_what_breaks_its_rules() {
    let good = json!({
        "backchannel_authentication_request_signing_alg_values_supported": ["PS256", "ES256"],
        "id_token_signing_alg_values_supported": ["ES256", "PS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "backchannel_token_delivery_modes_supported": ["poll", "ping"],
    });
    let cases = [
        (
            "backchannel_authentication_request_signing_alg_values_supported",
            json!([]),
            "signed authentication requests",
        ),
        (
            "backchannel_authentication_request_signing_alg_values_supported",
            json!(["RS256"]),
            "RS256 only",
        ),
        (
            "id_token_signing_alg_values_supported",
            json!(["RS256"]),
            "ID tokens with RS256",
        ),
        (
            "token_endpoint_auth_methods_supported",
            json!(["client_secret_basic"]),
            "private_key_jwt",
        ),
        (
            "backchannel_token_delivery_modes_supported",
            json!(["push"]),
            "poll or ping",
        ),
    ];
    let k = key("rsa1");
    for (field, value, rule) in cases {
        let op = fapi_provider(&k, &good).await;
        op.patch_discovery(field, value.clone());
        let (_, auth) = ec_client_key();
        let mut cfg = ClientConfig::new(op.issuer.clone(), auth);
        cfg.fapi = true;
        let e = CibaClient::discover(cfg).await.err().unwrap().to_string();
        assert!(
            e.starts_with("invalid configuration: FAPI-CIBA") || e.contains("FAPI-CIBA"),
            "{field}: {e}"
        );
        assert!(e.contains(rule), "{field}={value}: {e}");
        assert!(op.recorded("/bc").is_empty());
    }
    // An RSA key signing RS256 assertions breaks the client's side of the rules.
    let op = fapi_provider(&k, &good).await;
    let rsa = key("rsa1");
    let mut cfg = ClientConfig::new(
        op.issuer.clone(),
        ClientAuth::PrivateKeyJwt {
            client_id: CLIENT_ID.into(),
            key: SigningKey::from_pem(&SecretString::from(rsa.pem.clone()), None, None).unwrap(),
        },
    );
    cfg.fapi = true;
    let e = CibaClient::discover(cfg).await.err().unwrap().to_string();
    assert!(e.contains("PS256 or ES256, not RS256"), "{e}");
}

/// FAPI-CIBA with mutual TLS: the provider must take the client's mutual-TLS method, and the
/// client must have a PS256 or ES256 key to sign its requests with.
#[tokio::test]
async fn a_fapi_profile_with_mutual_tls_needs_a_request_key_and_the_providers_consent() {
    let metadata = json!({
        "backchannel_authentication_request_signing_alg_values_supported": ["ES256"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["tls_client_auth"],
    });
    let k = key("rsa1");
    let cert = testkit::tls::self_signed_client_certificate("desk");
    let auth = |self_signed: bool, request_key: Option<SigningKey>| ClientAuth::MutualTls {
        client_id: CLIENT_ID.into(),
        self_signed,
        certificate: ciba::ClientCertificate::from_pem(&SecretString::from(cert.bundle())).unwrap(),
        request_key,
    };
    let discover = async |auth: ClientAuth| {
        let op = fapi_provider(&k, &metadata).await;
        let mut cfg = ClientConfig::new(op.issuer.clone(), auth);
        cfg.fapi = true;
        CibaClient::discover(cfg).await.map(|_| ())
    };
    let ec = SigningKey::from_pem(&SecretString::from(key("ec1").pem), None, None).unwrap();
    let e = discover(auth(false, None)).await.unwrap_err().to_string();
    assert!(
        e.contains("FAPI-CIBA") && e.contains("request-signing key"),
        "{e}"
    );
    let e = discover(auth(true, Some(ec.clone())))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("does not take self_signed_tls_client_auth"),
        "{e}"
    );
    discover(auth(false, Some(ec))).await.unwrap();
}

/// A fake provider whose discovery document says `metadata` (a FAPI-CIBA provider's).
async fn fapi_provider(k: &testkit::fake_op::TestKey, metadata: &Value) -> FakeOp {
    let op = FakeOp::start(&[k]).await;
    for (field, value) in metadata.as_object().unwrap() {
        op.patch_discovery(field, value.clone());
    }
    op
}
