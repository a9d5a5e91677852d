//! The server's API end to end, with real parts: panva's oidc-provider is both the
//! organisation's sign-in provider (JWT access tokens with roles) and the customers' CIBA
//! provider; the database is SQLite and a throwaway PostgreSQL cluster, the same suite for both.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use server::config::Config;
use support::{CUSTOMER, Db, config_text, harness, harness_with, private_file};
use testkit::oidc_op::BASIC_CLIENT;
use testkit::org_op::{Agent, MintKey, OrgOp, now};
use testkit::postgres::TempPostgres;

/// Runs `suite` against SQLite and against PostgreSQL.
macro_rules! both {
    ($name:ident, $suite:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread")]
            async fn sqlite() {
                super::$suite(super::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread")]
            async fn postgres() {
                super::$suite(super::Db::Postgres).await;
            }
        }
    };
}

both!(sign_in, sign_in_suite);

/// The desktop app asks the server, before anyone signs in, which provider and client to
/// sign in with.
#[tokio::test(flavor = "multi_thread")]
async fn the_desktops_sign_in_is_offered_without_a_token() {
    let Some(h) = harness_with(Db::Sqlite, |c, _| {
        c.agents.desktop_client_id = Some("ciba-desk-app".into());
        c.agents.desktop_scopes = vec!["agent".into()];
    })
    .await
    else {
        return;
    };
    let (s, _, body) = h
        .call(reqwest::Method::GET, "/api/v1/sign-in", None, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"issuer": h.op.issuer(), "client_id": "ciba-desk-app", "scopes": ["agent"]})
    );
}
both!(verifications, verifications_suite);
both!(limits, limits_suite);
both!(shutting_down, shutting_down_suite);

async fn sign_in_suite(db: Db) {
    let Some(h) = harness(db).await else { return };
    let (s, _, body) = h.call(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!((s, body), (StatusCode::OK, json!({"status": "ok"})));
    let (s, _, _) = h.call(reqwest::Method::GET, "/readyz", None, None).await;
    assert_eq!(s, StatusCode::OK);

    let (s, headers, body) = h
        .call(reqwest::Method::GET, "/api/v1/profiles", None, None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "not_signed_in");
    assert!(headers.contains_key("www-authenticate"));

    let anna = Agent::new("anna", "Anna Agent", &["agent"]);
    let mut expired = h.op.claims(&anna);
    expired["exp"] = json!(now() - 3600);
    expired["iat"] = json!(now() - 7200);
    let mut elsewhere = h.op.claims(&anna);
    elsewhere["aud"] = json!("another-api");
    for (what, token) in [
        (
            "foreign key",
            h.op.mint(h.op.claims(&anna), MintKey::Foreign).await,
        ),
        (
            "unsigned",
            h.op.mint(h.op.claims(&anna), MintKey::Unsigned).await,
        ),
        ("expired", h.op.mint(expired, MintKey::Op).await),
        ("other audience", h.op.mint(elsewhere, MintKey::Op).await),
    ] {
        let (s, _, body) = h
            .call(reqwest::Method::GET, "/api/v1/profiles", Some(&token), None)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{what}: {body}");
        assert_eq!(body["code"], "bad_token", "{what}");
    }

    // Signed in, but without a role.
    let nils = h.token("nils").await;
    let (s, _, body) = h
        .call(reqwest::Method::GET, "/api/v1/profiles", Some(&nils), None)
        .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );

    // The desktop's sign-in: offered only where the administrator named its client.
    let (s, _, body) = h
        .call(reqwest::Method::GET, "/api/v1/sign-in", None, None)
        .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("sign_in_not_offered"))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("desktop_client_id")
    );

    let anna = h.token("anna").await;
    let (s, _, body) = h
        .call(reqwest::Method::GET, "/api/v1/profiles", Some(&anna), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body[0]["name"], "bank");
    let text = body.to_string();
    assert!(
        !text.contains("bank.secret") && !text.contains(BASIC_CLIENT.1),
        "{text}"
    );
}

async fn verifications_suite(db: Db) {
    let Some(h) = harness(db).await else { return };
    let (anna, bo, ulla) = (
        h.token("anna").await,
        h.token("bo").await,
        h.token("ulla").await,
    );

    // Started, approved on the customer's phone, verified with a match.
    let (s, headers, v) = h
        .start(
            &anna,
            json!({"profile": "bank", "national_id": "se:19121212-1212", "binding_message": "Desk 4", "reference": "CASE-17"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(
        headers["location"].to_str().unwrap(),
        format!("/api/v1/verifications/{id}")
    );
    assert_eq!(v["agent"]["sub"], "anna");
    assert_eq!(v["reference"], "CASE-17");
    assert_eq!(v["state"]["expected"]["masked"], "19121212-XXXX");

    // A second agent cannot ask the same customer at the same time, and learns nothing.
    let (s, _, body) = h
        .start(
            &bo,
            json!({"profile": "bank", "national_id": "se:191212121212"}),
        )
        .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_in_progress"))
    );
    assert!(!body.to_string().contains("anna"), "{body}");

    // Agents see only their own; auditors see all and start nothing.
    let path = format!("/api/v1/verifications/{id}");
    let (s, _, body) = h.call(reqwest::Method::GET, &path, Some(&bo), None).await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_yours"))
    );
    let (s, _, _) = h.call(reqwest::Method::GET, &path, Some(&ulla), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, body) = h
        .start(
            &ulla,
            json!({"profile": "bank", "email": "bob@example.com"}),
        )
        .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );

    let pending = h.op.wait_for_pending(CUSTOMER).await;
    h.op.approve(&pending).await;
    let states = h.states(&anna, &id).await;
    let names: Vec<&str> = states.iter().filter_map(|s| s["state"].as_str()).collect();
    assert_eq!(names.last(), Some(&"verified"), "{states:?}");
    let last = states.last().unwrap();
    assert_eq!(last["identity_match"]["result"], "match");
    assert_eq!(last["identity"]["national_id"], "19121212-XXXX");
    assert!(!Value::Array(states.clone()).to_string().contains(CUSTOMER));
    let (_, _, v) = h.call(reqwest::Method::GET, &path, Some(&anna), None).await;
    assert_eq!(v["state"]["state"], "verified");

    // Invalid input: the desk's code and field, nothing sent.
    let (s, _, body) = h
        .start(
            &anna,
            json!({"profile": "bank", "national_id": "se:19121212-1213"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "national_id_check_digit");
    assert_eq!(body["field"], "identity");
    let (s, _, body) = h
        .start(
            &anna,
            json!({"profile": "bank", "national_id": "se:191212121212", "email": "a@b.se"}),
        )
        .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );

    // Denied by the customer.
    let (s, _, v) = h
        .start(&anna, json!({"profile": "bank", "user_id": "alice"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let denied = v["id"].as_str().unwrap().to_owned();
    let pending = h.op.wait_for_pending("alice").await;
    h.op.deny(&pending).await;
    let states = h.states(&anna, &denied).await;
    assert_eq!(states.last().unwrap()["state"], "denied", "{states:?}");
    assert_eq!(states.last().unwrap()["error"]["code"], "access_denied");

    // Cancelled by the agent (only by them).
    let (s, _, v) = h
        .start(&bo, json!({"profile": "bank", "email": "bob@example.com"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let cancelled = v["id"].as_str().unwrap().to_owned();
    h.op.wait_for_pending("bob@example.com").await;
    let path = format!("/api/v1/verifications/{cancelled}");
    let (s, _, _) = h
        .call(reqwest::Method::DELETE, &path, Some(&anna), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = h
        .call(reqwest::Method::DELETE, &path, Some(&bo), None)
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let states = h.states(&bo, &cancelled).await;
    assert_eq!(states.last().unwrap()["state"], "cancelled", "{states:?}");
    let (s, _, body) = h
        .call(reqwest::Method::DELETE, &path, Some(&bo), None)
        .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_finished"))
    );

    // The audit trail: a "requested" and a final record per verification, chain intact.
    // An agent reads their own records (their History) and nobody else's.
    let (s, _, own) = h
        .call(reqwest::Method::GET, "/api/v1/audit", Some(&anna), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{own}");
    let own = own.as_array().unwrap();
    assert!(!own.is_empty());
    assert!(own.iter().all(|r| r["agent_sub"] == "anna"), "{own:?}");
    let (s, _, body) = h
        .call(
            reqwest::Method::GET,
            "/api/v1/audit?agent=bo",
            Some(&anna),
            None,
        )
        .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (s, _, _) = h
        .call(
            reqwest::Method::GET,
            "/api/v1/audit/verify",
            Some(&anna),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, records) = h
        .call(reqwest::Method::GET, "/api/v1/audit", Some(&ulla), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{records}");
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 6, "{records:?}");
    let outcomes: Vec<&str> = records
        .iter()
        .filter_map(|r| r["outcome"].as_str())
        .collect();
    for o in ["verified", "denied", "cancelled"] {
        assert!(outcomes.contains(&o), "{outcomes:?}");
    }
    assert_eq!(outcomes.iter().filter(|o| **o == "requested").count(), 3);
    let verified = records.iter().find(|r| r["outcome"] == "verified").unwrap();
    assert_eq!(verified["agent_sub"], "anna");
    assert_eq!(verified["reference"], "CASE-17");
    assert_eq!(verified["identifier_masked"], "19121212-XXXX");
    assert!(!Value::Array(records.clone()).to_string().contains(CUSTOMER));
    let (s, _, check) = h
        .call(
            reqwest::Method::GET,
            "/api/v1/audit/verify",
            Some(&ulla),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(check["intact"], true, "{check}");
    let (s, _, only_bo) = h
        .call(
            reqwest::Method::GET,
            "/api/v1/audit?agent=bo",
            Some(&ulla),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(only_bo.as_array().unwrap().len(), 2, "{only_bo}");
    let _ = &h.service;
}

async fn limits_suite(db: Db) {
    let Some(h) = harness(db).await else { return };
    let anna = h.token("anna").await;
    // Three starts a minute: each ended at once by cancelling, so only the rate counts.
    for (field, value) in [
        ("national_id", "se:191212121212"),
        ("user_id", "alice"),
        ("email", "bob@example.com"),
    ] {
        let (s, _, v) = h
            .start(&anna, json!({"profile": "bank", field: value}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().unwrap();
        let path = format!("/api/v1/verifications/{id}");
        h.call(reqwest::Method::DELETE, &path, Some(&anna), None)
            .await;
        h.states(&anna, id).await;
    }
    let (s, headers, body) = h
        .start(&anna, json!({"profile": "bank", "user_id": "alice"}))
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "rate_limited");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another agent is not held back by Anna's minute.
    let bo = h.token("bo").await;
    let (s, _, v) = h
        .start(&bo, json!({"profile": "bank", "user_id": "alice"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_a_runtime_role_that_could_rewrite_the_audit_trail_is_refused() {
    let Some(pg) = TempPostgres::shared().await else {
        return;
    };
    let op = OrgOp::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let d = pg.fresh_database().await;
    server::store::Store::connect(&d.owner_url)
        .await
        .unwrap()
        .migrate(Some(testkit::postgres::RUNTIME_ROLE))
        .await
        .unwrap();
    // Serving as the owner, who can UPDATE and DELETE audit rows.
    let text = config_text(
        &op,
        dir.path(),
        &format!("url = \"{}\"", d.owner_url),
        false,
    );
    let config = Config::parse(&text, std::path::Path::new("server.toml")).unwrap();
    let e = server::prepare(config).await.err().expect("refused");
    assert_eq!(e.code(), "audit_mutable", "{e}");
    // Stated explicitly, it serves.
    let text = config_text(&op, dir.path(), &format!("url = \"{}\"", d.owner_url), true);
    let config = Config::parse(&text, std::path::Path::new("server.toml")).unwrap();
    assert!(server::prepare(config).await.is_ok());
}

/// Cancelling through the API withdraws the request at the provider where it can be
/// (Signaturgruppen's `DELETE`), and says so in the final state.
#[tokio::test(flavor = "multi_thread")]
async fn cancelling_a_mitid_verification_calls_the_providers_delete() {
    use testkit::fake_op::{CLIENT_ID, CLIENT_SECRET, FakeOp, Reply, key};
    let k = key("rsa1");
    let fake = FakeOp::start(&[&k]).await;
    fake.patch_discovery(
        "backchannel_authentication_endpoint",
        json!(fake.url("/connect/ciba")),
    );
    fake.patch_discovery("token_endpoint", json!(fake.url("/connect/token")));
    fake.set_default("/connect/token", Reply::pending());
    fake.set_default(
        "/connect/ciba",
        Reply::Json(
            200,
            json!({"auth_req_id": "req-mitid-1", "expires_in": 300, "interval": 5}),
        ),
    );
    fake.set_default("/api/v1/ciba/req-mitid-1", Reply::Json(200, json!({})));
    let issuer = fake.issuer.clone();
    let h = harness_with(Db::Sqlite, move |config, dir| {
        let mut p = desk::preset("signaturgruppen_mitid").unwrap();
        p.name = "mitid".into();
        p.issuer = issuer;
        p.client_id = CLIENT_ID.into();
        p.secret = Some(desk::SecretRef::File(private_file(
            dir,
            "mitid.secret",
            CLIENT_SECRET,
        )));
        config.profiles.push(p);
    })
    .await
    .unwrap();
    let anna = h.token("anna").await;
    let (s, _, v) = h
        .start(
            &anna,
            json!({"profile": "mitid", "national_id": "dk:0804361234", "binding_message": "Kunde 080436-1234"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/verifications/{id}");
    // Waiting for the customer: the provider has the request.
    for _ in 0..100 {
        let (_, _, v) = h.call(reqwest::Method::GET, &path, Some(&anna), None).await;
        if v["state"]["state"] == "waiting_for_user" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (s, _, _) = h
        .call(reqwest::Method::DELETE, &path, Some(&anna), None)
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let states = h.states(&anna, &id).await;
    let last = states.last().unwrap();
    assert_eq!(last["state"], "cancelled", "{states:?}");
    assert_eq!(last["provider_notified"], true);
    let deletes = fake.recorded("/api/v1/ciba/req-mitid-1");
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].method, "DELETE");

    // An unknown verification is a 404; the auditor's CSV names the cancel.
    let (s, _, body) = h
        .call(
            reqwest::Method::GET,
            "/api/v1/verifications/nope",
            Some(&anna),
            None,
        )
        .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let ulla = h.token("ulla").await;
    let csv = h
        .http
        .get(format!("{}/api/v1/audit?format=csv", h.base))
        .bearer_auth(&ulla)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    // Newest first: the final record, then the requested one.
    assert!(text.lines().nth(1).unwrap().contains(",final,"), "{text}");
    assert!(
        text.lines().nth(1).unwrap().contains(",cancelled,"),
        "{text}"
    );
    // The number typed into the binding message is not recorded either.
    assert!(
        !text.contains("0804361234") && !text.contains("080436-1234"),
        "{text}"
    );
    assert!(text.contains("Kunde [identifier]"), "{text}");
}

/// Off loopback the server speaks HTTPS with the configured certificate.
#[tokio::test(flavor = "multi_thread")]
async fn tls_is_served_with_the_configured_certificate() {
    let op = OrgOp::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let cert_pem = cert.cert.pem();
    let cert_file = private_file(dir.path(), "cert.pem", &cert_pem);
    let key_file = private_file(dir.path(), "key.pem", &cert.signing_key.serialize_pem());
    let db = dir.path().join("server.sqlite3");
    let text = config_text(
        &op,
        dir.path(),
        &format!("url = \"sqlite://{}\"", db.display()),
        true,
    )
    .replace(
        "listen = \"127.0.0.1:0\"",
        &format!(
            "listen = \"127.0.0.1:0\"\n[server.tls]\ncert = \"{}\"\nkey = \"{}\"",
            cert_file.display(),
            key_file.display()
        ),
    );
    let config = Config::parse(&text, std::path::Path::new("server.toml")).unwrap();
    server::store::Store::connect(&config.database.url)
        .await
        .unwrap()
        .migrate(None)
        .await
        .unwrap();
    let service = server::prepare(config).await.unwrap();
    let handle = axum_server::Handle::new();
    tokio::spawn(server::serve_with(service, handle.clone()));
    let addr = handle.listening().await.expect("listening");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let resp = client
        .get(format!("https://127.0.0.1:{}/healthz", addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Plain HTTP to the same port gets nowhere.
    let plain = reqwest::get(format!("http://127.0.0.1:{}/healthz", addr.port())).await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));
    handle.graceful_shutdown(Some(std::time::Duration::from_secs(1)));
}

/// SIGTERM's first half, as `serve` runs it: not ready, no new work, event streams end, and
/// the verifications polled here are handed back at once.
async fn shutting_down_suite(db: Db) {
    let Some(h) = harness(db).await else { return };
    let anna = h.token("anna").await;
    let (s, _, v) = h
        .start(
            &anna,
            json!({"profile": "bank", "national_id": "se:19121212-1212"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    h.op.wait_for_pending(CUSTOMER).await;
    let mut stream = h
        .http
        .get(format!("{}/api/v1/verifications/{id}/events", h.base))
        .bearer_auth(&anna)
        .send()
        .await
        .unwrap();
    // Until the provider's acknowledgement is stored (the stream says "waiting").
    let mut seen = String::new();
    while !seen.contains("waiting_for_user") {
        let chunk = stream
            .chunk()
            .await
            .unwrap()
            .expect("the stream ended early");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }

    h.service.shut_down().await;
    let (s, _, body) = h.call(reqwest::Method::GET, "/readyz", None, None).await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("shutting_down"))
    );
    let (s, _, body) = h
        .start(
            &anna,
            json!({"profile": "bank", "email": "alice@example.com"}),
        )
        .await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("shutting_down"))
    );
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while stream.chunk().await.unwrap().is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the event stream stayed open");
    // Handed back: another instance claims it now, not when a lease would have run out.
    let now = server::service::now_ms();
    let claimed = h
        .service
        .store
        .claim_expired("another-instance", now, now + 10_000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].verification.id, id);
    assert_eq!(claimed[0].lease.fence, 2);
    assert!(claimed[0].sealed_auth_req_id.is_some());
}
