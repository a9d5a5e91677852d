//! `ciba-desk` as scripts use it: a real round-trip against oidc-provider with each client
//! authentication method, and every failure class ending in its own exit code and JSON.

use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use testkit::fake_op::{self, CLIENT_ID, CLIENT_SECRET, FakeOp, Reply, key};
use testkit::oidc_op::{
    BASIC_CLIENT, JWT_CLIENT, MTLS_CLIENT, OidcOp, OpOptions, POST_CLIENT, SELF_SIGNED_CLIENT,
    SIGNED_EC_CLIENT,
};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_ciba-desk");

/// Settings and data (the audit log) in a directory of the test run's own, never the user's;
/// the keyring only inside with-test-keyring.sh.
fn scratch() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ciba-desk-verify-test")
}

fn cli(args: &[&str], secret: Option<&str>) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("CIBA_DESK_CONFIG_DIR", scratch().join("config"))
        .env("CIBA_DESK_DATA_DIR", scratch().join("data"))
        .env_remove("CIBA_DESK_SANDBOX_AUTO")
        .env_remove("CIBA_CLIENT_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(s) = secret {
        c.env("CIBA_CLIENT_SECRET", s);
    }
    if std::env::var("CIBA_DESK_REAL_KEYRING").as_deref() != Ok("1") {
        c.env("CIBA_DESK_KEYRING", "none");
    }
    c
}

async fn finish(child: Child) -> (i32, Value, String) {
    let out: Output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, stderr)
}

fn verify_args<'a>(issuer: &'a str, client_id: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "verify",
        "--issuer",
        issuer,
        "--client-id",
        client_id,
        "--json",
    ];
    v.extend_from_slice(extra);
    v
}

#[tokio::test]
async fn verify_completes_a_real_round_trip_with_each_client_authentication_method() {
    let (rsa, ec) = (key("rsa1"), key("ec1"));
    let op = OidcOp::start(OpOptions {
        client_jwks: Some(json!({"keys": [rsa.jwk, ec.jwk]})),
        ..Default::default()
    })
    .await;
    let pem = std::env::temp_dir().join(format!("ciba-desk-test-{}.pem", std::process::id()));
    std::fs::write(&pem, &ec.pem).unwrap();
    let pem_path = pem.to_str().unwrap();
    let private_key = |more: &[&'static str]| {
        let mut v = vec![
            "--auth-method",
            "private_key_jwt",
            "--private-key",
            pem_path,
            "--key-id",
            ec.kid(),
        ];
        v.extend_from_slice(more);
        v
    };
    let cases: [(&str, Vec<&str>, Option<&str>, &str); 5] = [
        (BASIC_CLIENT.0, vec![], Some(BASIC_CLIENT.1), "alice"),
        (
            POST_CLIENT.0,
            vec!["--auth-method", "client_secret_post"],
            Some(POST_CLIENT.1),
            "bob@example.com",
        ),
        (JWT_CLIENT, private_key(&[]), None, "197010104327"),
        // This client's requests are refused unless signed (CIBA's signed request, ES256).
        (
            SIGNED_EC_CLIENT,
            private_key(&["--signed-request"]),
            None,
            "alice",
        ),
        // The FAPI-CIBA rules: ES256 everywhere, signed, with a binding message.
        (
            SIGNED_EC_CLIENT,
            private_key(&["--fapi"]),
            None,
            "bob@example.com",
        ),
    ];
    for (client_id, auth, secret, hint) in cases {
        let mut args = verify_args(&op.issuer, client_id, &auth);
        args.extend([
            "--login-hint",
            hint,
            "--scope",
            "openid profile",
            "--binding-message",
            "Desk 12",
        ]);
        let child = cli(&args, secret).spawn().unwrap();
        let id = op.wait_for_pending(hint).await;
        op.approve(&id).await;
        let (code, out, stderr) = finish(child).await;
        assert_eq!(code, 0, "{client_id}: {stderr}");
        assert_eq!(out["status"], "verified");
        assert_eq!(out["issuer"], op.issuer.as_str());
        assert!(out["claims"]["name"].is_string(), "{out}");
        assert!(out["elapsed_ms"].as_u64().is_some());
        assert!(
            stderr.contains("requested:") && stderr.contains("verified:"),
            "{stderr}"
        );
        if let Some(s) = secret {
            assert!(!stderr.contains(s), "the secret must never be printed");
        }
    }
    let _ = std::fs::remove_file(pem);
}

/// `--ca-file`: a provider whose certificate comes from its own authority is refused (exit 4,
/// a reason a person can act on) until that authority is given, then verifies.
#[tokio::test]
async fn verify_trusts_a_private_certificate_authority_given_with_ca_file() {
    let ca = std::sync::Arc::new(testkit::tls::TestCa::new("bank"));
    let op = OidcOp::start(OpOptions {
        tls: Some(ca.clone()),
        ..Default::default()
    })
    .await;
    let ca_file =
        std::env::temp_dir().join(format!("ciba-desk-test-ca-{}.pem", std::process::id()));
    std::fs::write(&ca_file, &ca.ca_pem).unwrap();
    let hint = ["--login-hint", "alice", "--binding-message", "Desk 12"];

    let mut args = verify_args(&op.issuer, BASIC_CLIENT.0, &hint);
    let child = cli(&args, Some(BASIC_CLIENT.1)).spawn().unwrap();
    let (code, out, stderr) = finish(child).await;
    assert_eq!(code, 4, "{stderr}");
    assert!(
        out["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains("not trusted")
            || stderr.contains("not trusted"),
        "{out} {stderr}"
    );
    assert!(op.requests(&[]).await.is_empty(), "nothing was sent");

    args.extend(["--ca-file", ca_file.to_str().unwrap()]);
    let child = cli(&args, Some(BASIC_CLIENT.1)).spawn().unwrap();
    let id = op.wait_for_pending("alice").await;
    op.approve(&id).await;
    let (code, out, stderr) = finish(child).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(out["status"], "verified");
    let _ = std::fs::remove_file(ca_file);
}

/// FAPI-CIBA with mutual TLS, as a bank's provider runs it: `--tls-cert`/`--tls-key` for
/// `tls_client_auth` (a certificate the bank's CA issued) and `self_signed_tls_client_auth`
/// (the certificate the client registered), `--private-key` signing the requests, over HTTPS
/// trusted with `--ca-file`.
#[tokio::test]
async fn verify_completes_a_fapi_round_trip_with_each_mutual_tls_method() {
    let testkit::oidc_op::MtlsBank {
        op,
        ca,
        issued,
        self_signed,
        request_key: ec,
    } = testkit::oidc_op::MtlsBank::start().await;
    let dir = scratch().join(format!("mtls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (ca_file, request_key) = (file("ca.pem", &ca.ca_pem), file("request.pem", &ec.pem));
    for (client_id, method, cert, hint) in [
        (MTLS_CLIENT, "tls_client_auth", &issued, "alice"),
        (
            SELF_SIGNED_CLIENT,
            "self_signed_tls_client_auth",
            &self_signed,
            "bob@example.com",
        ),
    ] {
        let (cert_file, key_file) = (
            file(&format!("{method}.crt"), &cert.cert_pem),
            file(&format!("{method}.key"), &cert.key_pem),
        );
        let mut args = verify_args(&op.issuer, client_id, &[]);
        args.extend([
            "--auth-method",
            method,
            "--tls-cert",
            &cert_file,
            "--tls-key",
            &key_file,
            "--private-key",
            &request_key,
            "--key-id",
            ec.kid(),
            "--fapi",
            "--ca-file",
            &ca_file,
            "--login-hint",
            hint,
            "--scope",
            "openid profile",
            "--binding-message",
            "Desk 12",
        ]);
        let child = cli(&args, None).spawn().unwrap();
        let id = op.wait_for_pending(hint).await;
        op.approve(&id).await;
        let (code, out, stderr) = finish(child).await;
        assert_eq!(code, 0, "{method}: {stderr}");
        assert_eq!(out["status"], "verified", "{method}");
        assert!(!stderr.contains("PRIVATE KEY"), "{stderr}");
    }

    // Without its certificate the client is refused before anything is sent.
    let mut args = verify_args(&op.issuer, MTLS_CLIENT, &[]);
    args.extend(["--auth-method", "tls_client_auth", "--login-hint", "alice"]);
    let (code, _, stderr) = finish(cli(&args, None).spawn().unwrap()).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("--tls-cert"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_denial_exits_2_and_an_expiry_exits_3() {
    let op = OidcOp::start(OpOptions::default()).await;
    let child = cli(
        &verify_args(&op.issuer, BASIC_CLIENT.0, &["--login-hint", "alice"]),
        Some(BASIC_CLIENT.1),
    )
    .spawn()
    .unwrap();
    let id = op.wait_for_pending("alice").await;
    op.deny(&id).await;
    let (code, out, _) = finish(child).await;
    assert_eq!(
        (code, out["status"].as_str(), out["error"].as_str()),
        (2, Some("denied"), Some("access_denied"))
    );

    let args = verify_args(
        &op.issuer,
        BASIC_CLIENT.0,
        &["--login-hint", "alice", "--requested-expiry", "2"],
    );
    let (code, out, _) = finish(cli(&args, Some(BASIC_CLIENT.1)).spawn().unwrap()).await;
    assert_eq!(
        (code, out["status"].as_str(), out["error"].as_str()),
        (3, Some("expired"), Some("expired"))
    );
}

#[tokio::test]
async fn ctrl_c_cancels_cleanly_with_130() {
    let op = OidcOp::start(OpOptions::default()).await;
    let child = cli(
        &verify_args(&op.issuer, BASIC_CLIENT.0, &["--login-hint", "alice"]),
        Some(BASIC_CLIENT.1),
    )
    .spawn()
    .unwrap();
    op.wait_for_pending("alice").await;
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let (code, out, _) = finish(child).await;
    assert_eq!((code, out["status"].as_str()), (130, Some("cancelled")));
}

#[tokio::test]
async fn provider_failures_exit_4_and_forged_tokens_exit_5() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    let args = verify_args(&op.issuer, CLIENT_ID, &["--login-hint", "alice"]);

    op.queue("/bc", [Reply::html(500)]);
    let (code, out, stderr) = finish(cli(&args, Some(CLIENT_SECRET)).spawn().unwrap()).await;
    assert_eq!(
        (code, out["status"].as_str(), out["error"].as_str()),
        (4, Some("failed"), Some("unexpected_response"))
    );
    assert!(stderr.contains("HTML page"), "{stderr}");

    op.approve()
        .acknowledged(json!({"auth_req_id": "r", "expires_in": 30, "interval": 1}))
        .claims(json!({"iss": "https://evil.example.com"}))
        .signed_by(&k);
    let (code, out, _) = finish(cli(&args, Some(CLIENT_SECRET)).spawn().unwrap()).await;
    assert_eq!(
        (code, out["status"].as_str(), out["error"].as_str()),
        (5, Some("rejected"), Some("id_token_rejected"))
    );
    assert!(
        out["error_description"]
            .as_str()
            .unwrap()
            .contains("issued by"),
        "{out}"
    );
    let _ = fake_op::now();
}

#[tokio::test]
async fn usage_errors_exit_1_before_any_network_traffic() {
    let op = FakeOp::start(&[&key("rsa1")]).await;
    let i = op.issuer.as_str();
    let cases: Vec<(Vec<&str>, Option<&str>, &str)> = vec![
        (
            vec!["verify", "--issuer", i, "--client-id", "c"],
            Some("s"),
            "login-hint",
        ),
        (
            vec![
                "verify",
                "--issuer",
                i,
                "--client-id",
                "c",
                "--login-hint",
                "a",
                "--login-hint-token",
                "{}",
            ],
            Some("s"),
            "cannot be used",
        ),
        (
            vec![
                "verify",
                "--issuer",
                i,
                "--client-id",
                "c",
                "--login-hint",
                "a",
            ],
            None,
            "CIBA_CLIENT_SECRET",
        ),
        (
            vec![
                "verify",
                "--issuer",
                i,
                "--client-id",
                "c",
                "--login-hint",
                "a",
                "--auth-method",
                "private_key_jwt",
            ],
            None,
            "--private-key",
        ),
        (
            vec![
                "verify",
                "--issuer",
                i,
                "--client-id",
                "c",
                "--login-hint",
                "a",
                "--param",
                "scope=x",
            ],
            Some("s"),
            "own option",
        ),
        (
            vec![
                "verify",
                "--issuer",
                i,
                "--client-id",
                "c",
                "--login-hint",
                "a",
                "--authorization-details",
                "[{",
            ],
            Some("s"),
            "not JSON",
        ),
        (
            vec![
                "verify",
                "--issuer",
                "http://idp.example.com",
                "--client-id",
                "c",
                "--login-hint",
                "a",
            ],
            Some("s"),
            "HTTPS",
        ),
        (
            vec![
                "verify",
                "--issuer",
                i,
                "--client-id",
                "c",
                "--login-hint",
                "a",
                "--auth-method",
                "magic",
            ],
            Some("s"),
            "unknown client authentication method",
        ),
    ];
    for (args, secret, says) in cases {
        let (code, _, stderr) = finish(cli(&args, secret).spawn().unwrap()).await;
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains(says),
            "{args:?} should say {says:?}: {stderr}"
        );
    }
    assert!(
        op.recorded("/bc").is_empty(),
        "nothing may be sent for bad input"
    );
}

#[tokio::test]
async fn discover_prints_the_capabilities_as_json() {
    let op = OidcOp::start(OpOptions::default()).await;
    let (code, out, _) = finish(
        cli(&["discover", "--issuer", &op.issuer], None)
            .spawn()
            .unwrap(),
    )
    .await;
    assert_eq!(code, 0);
    assert_eq!(out["issuer"], op.issuer.as_str());
    assert!(
        out["backchannel_authentication_endpoint"]
            .as_str()
            .unwrap()
            .starts_with(&op.issuer)
    );
    assert_eq!(
        out["backchannel_token_delivery_modes_supported"],
        json!(["poll", "ping"])
    );
    assert!(
        out["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("private_key_jwt"))
    );
    assert!(
        out["id_token_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("ES256"))
    );
}
