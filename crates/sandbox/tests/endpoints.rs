//! The endpoints over plain HTTP, for the answers the `ciba` client never provokes: malformed
//! requests, polling too fast, second deliveries, the discovery document, the control API.

mod common;

use std::time::Duration;

use common::{get_json, get_text, http, post_form, press, start};
use sandbox::{CLIENT_ID, CLIENT_SECRET};
use serde_json::Value;

/// Form fields of one request.
type Form<'a> = &'a [(&'a str, &'a str)];

const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";

async fn request(issuer: &str, form: &[(&str, &str)]) -> (u16, Value) {
    post_form(&format!("{issuer}/ciba/auth"), form).await
}

async fn new_request(issuer: &str, hint: &str, extra: &[(&str, &str)]) -> String {
    let mut form = vec![("scope", "openid"), ("login_hint", hint)];
    form.extend_from_slice(extra);
    let (status, body) = request(issuer, &form).await;
    assert_eq!(status, 200, "{body}");
    body["auth_req_id"].as_str().unwrap().to_owned()
}

async fn poll(issuer: &str, id: &str) -> (u16, Value) {
    post_form(
        &format!("{issuer}/token"),
        &[("grant_type", CIBA_GRANT), ("auth_req_id", id)],
    )
    .await
}

#[tokio::test]
async fn discovery_describes_a_poll_mode_ciba_provider() {
    let running = start().await;
    let issuer = running.sandbox.issuer();
    assert!(issuer.starts_with("http://127.0.0.1:"));
    let doc = get_json(&format!("{issuer}/.well-known/openid-configuration")).await;
    assert_eq!(doc["issuer"], issuer);
    assert_eq!(
        doc["backchannel_authentication_endpoint"],
        format!("{issuer}/ciba/auth")
    );
    assert_eq!(doc["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(doc["jwks_uri"], format!("{issuer}/jwks"));
    assert_eq!(
        doc["backchannel_token_delivery_modes_supported"],
        serde_json::json!(["poll"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post"])
    );
    assert_eq!(
        doc["grant_types_supported"],
        serde_json::json!([CIBA_GRANT])
    );
    assert_eq!(doc["backchannel_user_code_parameter_supported"], false);
    assert_eq!(doc["sandbox"], true);

    let jwks = get_json(&format!("{issuer}/jwks")).await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["crv"], "P-256");
    assert!(jwks["keys"][0].get("d").is_none());
}

#[tokio::test]
async fn the_backchannel_endpoint_refuses_what_ciba_forbids() {
    let running = start().await;
    let issuer = running.sandbox.issuer();
    let url = format!("{issuer}/ciba/auth");

    let unauthenticated = http()
        .post(&url)
        .form(&[("scope", "openid"), ("login_hint", "19121212-1212")])
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
    assert!(unauthenticated.headers().contains_key("www-authenticate"));
    let body: Value = unauthenticated.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    let cases: &[(Form, u16, &str)] = &[
        (&[("login_hint", "19121212-1212")], 400, "invalid_request"),
        (
            &[("scope", "profile email"), ("login_hint", "19121212-1212")],
            400,
            "invalid_scope",
        ),
        (&[("scope", "openid")], 400, "invalid_request"),
        (
            &[
                ("scope", "openid"),
                ("login_hint", "19121212-1212"),
                ("id_token_hint", "eyJ"),
            ],
            400,
            "invalid_request",
        ),
        (
            &[("scope", "openid"), ("login_hint_token", "{\"sub\":\"x\"}")],
            400,
            "invalid_request",
        ),
        (
            &[("scope", "openid"), ("id_token_hint", "eyJ")],
            400,
            "invalid_request",
        ),
        (
            &[("scope", "openid"), ("login_hint", "19121212-1213")],
            400,
            "unknown_user_id",
        ),
        (
            &[
                ("scope", "openid"),
                ("login_hint", "19121212-1212"),
                (
                    "binding_message",
                    "12345678901234567890123456789012345678901234567890123456789012345",
                ),
            ],
            400,
            "invalid_binding_message",
        ),
        (
            &[
                ("scope", "openid"),
                ("login_hint", "19121212-1212"),
                ("requested_expiry", "-1"),
            ],
            400,
            "invalid_request",
        ),
    ];
    for (form, status, error) in cases {
        let (got_status, body) = request(issuer, form).await;
        assert_eq!(
            (got_status, body["error"].as_str().unwrap()),
            (*status, *error),
            "{form:?}: {body}"
        );
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
    }

    // client_secret_post is accepted too; an over-long requested_expiry is shortened.
    let r = http()
        .post(&url)
        .form(&[
            ("scope", "openid"),
            ("login_hint", "191212121212"),
            ("requested_expiry", "5000"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ack: Value = r.json().await.unwrap();
    assert_eq!(ack["expires_in"], 600);
    assert_eq!(ack["interval"], 2);
    assert_eq!(ack["auth_req_id"].as_str().unwrap().len(), 43);
}

#[tokio::test]
async fn polling_too_fast_gets_slow_down_and_tokens_come_once() {
    let running = start().await;
    let issuer = running.sandbox.issuer();
    let id = new_request(issuer, "19121212-1212", &[]).await;

    let (status, body) = poll(issuer, &id).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    let (status, body) = poll(issuer, &id).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("slow_down")),
        "{body}"
    );
    assert!(body["error_description"].as_str().unwrap().contains("7 s"));

    let (status, _) = press(&format!("{issuer}/device/{id}/approve"), &[]).await;
    assert_eq!(status, 303);
    tokio::time::sleep(Duration::from_millis(7100)).await;
    let (status, tokens) = poll(issuer, &id).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 300);
    assert!(
        tokens["access_token"]
            .as_str()
            .is_some_and(|t| t.len() == 43)
    );
    assert_eq!(tokens["id_token"].as_str().unwrap().split('.').count(), 3);

    // One time only (and without waiting: a used-up id is refused before the interval counts).
    let (status, body) = poll(issuer, &id).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn the_token_endpoint_refuses_the_unknown_and_the_expired() {
    let running = start().await;
    let issuer = running.sandbox.issuer();
    let (status, body) = poll(issuer, "no-such-id").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let (status, body) = post_form(
        &format!("{issuer}/token"),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );

    let id = new_request(issuer, "050684-1232", &[("requested_expiry", "1")]).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, body) = poll(issuer, &id).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("expired_token"))
    );

    let wrong = http()
        .post(format!("{issuer}/token"))
        .basic_auth(CLIENT_ID, Some("wrong"))
        .form(&[("grant_type", CIBA_GRANT), ("auth_req_id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

#[tokio::test]
async fn the_phone_page_escapes_the_binding_message() {
    let running = start().await;
    let issuer = running.sandbox.issuer();
    let (_, empty) = get_text(&format!("{issuer}/device")).await;
    assert!(empty.contains("No requests are waiting"));

    let id = new_request(
        issuer,
        "150378 12045",
        &[("binding_message", "<script>alert('x')</script> & \"Tom\"")],
    )
    .await;
    let response = http().get(format!("{issuer}/device")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.headers().contains_key("content-security-policy"));
    let page = response.text().await.unwrap();
    assert!(
        page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Tom&quot;"),
        "{page}"
    );
    assert!(!page.contains("<script"));
    assert!(page.contains("Ola Nordmann"));
    assert!(page.contains("CIBA Desk sandbox — not a real identity"));
    assert!(page.contains("name=\"viewport\""));
    assert!(page.contains(&format!("/device/{id}/deny")));
    assert!(
        !page.contains("15037812045"),
        "the phone page shows no national ID"
    );

    let (status, _) = press(&format!("{issuer}/device/{id}/maybe"), &[]).await;
    assert_eq!(status, 404);
    let (status, _) = press(&format!("{issuer}/device/unknown/approve"), &[]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_control_api_lists_and_decides() {
    let running = start().await;
    let issuer = running.sandbox.issuer();
    let id = new_request(issuer, "19121212-1212", &[("binding_message", "Call 12")]).await;

    let list = get_json(&format!("{issuer}/sandbox/requests")).await;
    let requests = list["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r["auth_req_id"], id.as_str());
    assert_eq!(r["sub"], "sandbox-1");
    assert_eq!(r["login_hint"], "19121212-XXXX");
    assert_eq!(r["binding_message"], "Call 12");
    assert!(
        r["expires_in_s"]
            .as_u64()
            .is_some_and(|s| s > 100 && s <= 120)
    );
    assert!(!list.to_string().contains("191212121212"));

    let decide = |decision: &'static str| {
        let url = format!("{issuer}/sandbox/requests/{id}/{decision}");
        async move { http().post(url).send().await.unwrap() }
    };
    let denied = decide("deny").await;
    assert_eq!(denied.status(), 200);
    let body: Value = denied.json().await.unwrap();
    assert_eq!(body["status"], "denied");
    assert_eq!(decide("approve").await.status(), 409);

    let (status, body) = poll(issuer, &id).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("access_denied"))
    );
    let list = get_json(&format!("{issuer}/sandbox/requests")).await;
    assert_eq!(list["requests"].as_array().unwrap().len(), 0);
    let missing = http()
        .post(format!("{issuer}/sandbox/requests/nope/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn the_start_page_lists_the_test_persons() {
    let running = start().await;
    let (status, page) = get_text(&format!("{}/", running.sandbox.issuer())).await;
    assert_eq!(status, 200);
    for person in sandbox::persons() {
        assert!(page.contains(person.name), "{}", person.name);
    }
    assert!(page.contains(CLIENT_SECRET));
}

#[tokio::test]
async fn pages_elsewhere_can_neither_read_nor_approve_through_the_browser() {
    let running = start().await;
    let issuer = running.sandbox.issuer();
    let port = running.sandbox.local_addr().port();
    let id = new_request(issuer, "19121212-1212", &[]).await;

    // DNS rebinding: the browser sends the attacker's name as Host.
    for path in [
        "/sandbox/requests",
        "/device",
        "/.well-known/openid-configuration",
    ] {
        let r = http()
            .get(format!("{issuer}{path}"))
            .header("host", format!("evil.example:{port}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 421, "{path}");
        assert!(!r.text().await.unwrap().contains(&id));
    }

    // A cross-site form post to the phone page's buttons and the control API.
    for path in [
        format!("/device/{id}/approve"),
        format!("/sandbox/requests/{id}/approve"),
    ] {
        let r = http()
            .post(format!("{issuer}{path}"))
            .header("origin", "https://evil.example")
            .form(&[("x", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{path}");
        let r = http()
            .post(format!("{issuer}{path}"))
            .header("sec-fetch-site", "cross-site")
            .form(&[("x", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{path}");
    }
    let list = get_json(&format!("{issuer}/sandbox/requests")).await;
    // Still pending: nothing was approved.
    assert_eq!(list["requests"][0]["auth_req_id"], id.as_str(), "{list}");

    // The sandbox's own page, under any of its names, still works.
    for origin in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
    ] {
        let r = http()
            .get(format!("{issuer}/device"))
            .header("host", origin.trim_start_matches("http://"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    let r = http()
        .post(format!("{issuer}/device/{id}/approve"))
        .header("origin", format!("http://127.0.0.1:{port}"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
}

#[tokio::test]
async fn a_withdrawn_request_can_no_longer_be_approved_on_the_phone() {
    let running = start().await;
    let issuer = running.sandbox.issuer();
    let id = new_request(issuer, "19121212-1212", &[("binding_message", "Call 13")]).await;
    let withdraw = |auth: Option<(&'static str, &'static str)>| {
        let mut req = http().delete(format!("{issuer}/ciba/auth/{id}"));
        if let Some((user, pass)) = auth {
            req = req.basic_auth(user, Some(pass));
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(withdraw(None).await, 401, "only the client may withdraw");
    assert_eq!(withdraw(Some((CLIENT_ID, "wrong"))).await, 401);
    assert_eq!(withdraw(Some((CLIENT_ID, CLIENT_SECRET))).await, 204);

    let r = http()
        .post(format!("{issuer}/device/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    let page = r.text().await.unwrap();
    assert!(page.contains("withdrew this request"), "{page}");
    let (_, list) = get_text(&format!("{issuer}/device")).await;
    assert!(!list.contains("Call 13"), "no longer on the phone");
    let (status, body) = poll(issuer, &id).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn approving_as_someone_else_issues_a_token_for_another_person() {
    let running = start().await;
    let issuer = running.sandbox.issuer();
    let id = new_request(issuer, "19121212-1212", &[]).await;
    let (_, page) = get_text(&format!("{issuer}/device")).await;
    assert!(page.contains("Approve as someone else"), "{page}");
    let (status, _) = press(&format!("{issuer}/device/{id}/mismatch"), &[]).await;
    assert_eq!(status, 303);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (status, body) = poll(issuer, &id).await;
    assert_eq!(status, 200, "{body}");
    let token = body["id_token"].as_str().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    assert_ne!(claims["ssn"], "191212121212");
    assert_eq!(claims["country"], "SE", "someone plausible: another Swede");
    assert_eq!(claims[sandbox::SANDBOX_CLAIM], true);
}

#[tokio::test]
async fn the_sandbox_proves_it_is_the_one_that_wrote_the_proof_file() {
    let running = start().await;
    let issuer = running.sandbox.issuer();
    let port = running.sandbox.local_addr().port();
    let file = sandbox::proof::proof_file(running.dir.path(), port);
    let token = std::fs::read_to_string(&file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only this user can read it");
    }
    let nonce = "0123456789abcdef0123";
    let (status, body) = post_form(&format!("{issuer}/sandbox/proof"), &[("nonce", nonce)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["proof"], sandbox::proof::answer(&token, nonce));
    let (status, _) = post_form(&format!("{issuer}/sandbox/proof"), &[("nonce", "short")]).await;
    assert_eq!(status, 400);
    running.sandbox.shutdown().await;
    assert!(!file.exists(), "a stopped sandbox leaves no proof behind");
}
