//! `ciba-desk secret` and `verify --profile` with the secret from the OS keyring. The real
//! keyring tests run inside `crates/secrets/with-test-keyring.sh` (CIBA_DESK_REAL_KEYRING=1);
//! elsewhere they are skipped with a note, and the no-keyring behaviour is tested instead.

mod common;

use std::process::Stdio;

use common::{Env, real_keyring};
use serde_json::json;
use testkit::fake_op::{CLIENT_ID, CLIENT_SECRET, FakeOp, key};
use tokio::io::AsyncWriteExt;

async fn set_secret(env: &Env, profile: &str, value: &str) -> common::Ran {
    let mut c = env.cmd(&["secret", "set", profile]);
    c.stdin(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{value}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    common::finish(child).await
}

fn answer(op: &FakeOp) {
    let k = key("rsa1");
    op.set_jwks(&[&k]);
    op.approve()
        .acknowledged(json!({"auth_req_id": "req-1", "expires_in": 30, "interval": 1}))
        .claims(json!({"ssn": "191212121212"}))
        .signed_by(&k);
}

#[tokio::test]
async fn public_credentials_need_no_secret_and_no_keyring_is_a_clear_error() {
    let env = Env::new();
    let r = env.run(&["secret", "status", "sandbox"]).await;
    assert_eq!((r.code, r.stdout.trim()), (0, "not_needed"), "{r:?}");
    let r = set_secret(&env, "sandbox", "x").await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("needs no secret"), "{r:?}");
    let r = env.run(&["secret", "status", "nobody"]).await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("no profile named \"nobody\""), "{r:?}");

    if real_keyring() {
        return;
    }
    let r = env
        .run(&[
            "profiles",
            "add",
            "bank",
            "--issuer",
            "https://idp.example.com",
            "--client-id",
            "c",
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    for args in [
        &["secret", "status", "bank"][..],
        &["secret", "delete", "bank"][..],
    ] {
        let r = env.run(args).await;
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        assert!(r.stderr.contains("no OS keyring is available"), "{r:?}");
    }
    let r = set_secret(&env, "bank", "hunter2").await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("no OS keyring is available"), "{r:?}");
    assert!(!r.all().contains("hunter2"));
}

#[tokio::test]
async fn secrets_live_in_the_keyring_and_verify_uses_them() {
    if !real_keyring() {
        eprintln!(
            "note: skipped; runs against a real keyring with crates/secrets/with-test-keyring.sh cargo test -p ciba-desk-cli"
        );
        return;
    }
    let op = FakeOp::start(&[]).await;
    let env = Env::new();
    // A profile name of its own per run: the keyring is shared by the tests of one session.
    let name = format!("bank-{}", std::process::id());
    let r = env
        .run(&[
            "profiles",
            "add",
            &name,
            "--issuer",
            &op.issuer,
            "--client-id",
            CLIENT_ID,
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");

    let r = env.run(&["secret", "status", &name]).await;
    assert_eq!((r.code, r.stdout.trim()), (1, "missing"), "{r:?}");
    let r = set_secret(&env, &name, CLIENT_SECRET).await;
    assert_eq!(r.code, 0, "{r:?}");
    let r = env.run(&["secret", "status", &name]).await;
    assert_eq!((r.code, r.stdout.trim()), (0, "stored"), "{r:?}");
    let list = env.run(&["profiles", "--json"]).await.json();
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name.as_str())
        .unwrap();
    assert_eq!(entry["secret"], "stored");

    // No secret in the environment: it comes from the keyring.
    answer(&op);
    let r = env
        .run(&[
            "verify",
            "--profile",
            &name,
            "--national-id",
            "se:19121212-1212",
            "--json",
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["match"], "match");
    let auth = op.recorded("/token")[0]
        .headers
        .get("authorization")
        .cloned();
    assert!(
        auth.is_some_and(|a| a.starts_with("Basic ")),
        "client_secret_basic"
    );
    let encoded = "s3cr%3Aet%2B%2F%3D";
    for (path, bytes) in env.all_files() {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(CLIENT_SECRET) && !text.contains(encoded),
            "the secret is in {}",
            path.display()
        );
    }
    assert!(env.audit_db().is_file(), "the audit log was checked too");
    assert!(!r.all().contains(CLIENT_SECRET));

    // The audit record has the keyed hash (the key came from the keyring).
    let records = env
        .run(&["audit", "export", "--format", "json"])
        .await
        .json();
    assert_eq!(
        records[0]["id_hash"].as_str().unwrap().len(),
        64,
        "{records}"
    );

    // Deleted: verify says how to store it again, and sends nothing.
    let r = env.run(&["secret", "delete", &name]).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("deleted the client secret"), "{r:?}");
    let r = env.run(&["secret", "status", &name]).await;
    assert_eq!((r.code, r.stdout.trim()), (1, "missing"), "{r:?}");
    let before = op.recorded("/bc").len();
    let r = env
        .run(&[
            "verify",
            "--profile",
            &name,
            "--national-id",
            "se:19121212-1212",
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains(&format!("ciba-desk secret set {name}")),
        "{r:?}"
    );
    assert_eq!(op.recorded("/bc").len(), before);

    // CIBA_CLIENT_SECRET set explicitly is the fallback.
    answer(&op);
    let mut c = env.cmd(&[
        "verify",
        "--profile",
        &name,
        "--national-id",
        "se:19121212-1212",
    ]);
    c.env("CIBA_CLIENT_SECRET", CLIENT_SECRET);
    let r = common::finish(c.spawn().unwrap()).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("using CIBA_CLIENT_SECRET"), "{r:?}");
}

#[tokio::test]
async fn private_keys_are_stored_from_a_pem_file() {
    if !real_keyring() {
        eprintln!("note: skipped; needs CIBA_DESK_REAL_KEYRING=1 (with-test-keyring.sh)");
        return;
    }
    let env = Env::new();
    let name = format!("jwt-{}", std::process::id());
    let r = env
        .run(&[
            "profiles",
            "add",
            &name,
            "--issuer",
            "https://idp.example.com",
            "--client-id",
            "c",
            "--auth-method",
            "private_key_jwt",
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    let r = set_secret(&env, &name, "not a key").await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("--private-key"), "{r:?}");
    let bad = env.root.path().join("bad.pem");
    std::fs::write(
        &bad,
        "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let r = env
        .run(&[
            "secret",
            "set",
            &name,
            "--private-key",
            bad.to_str().unwrap(),
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    let good = env.root.path().join("good.pem");
    std::fs::write(&good, key("ec1").pem).unwrap();
    let r = env
        .run(&[
            "secret",
            "set",
            &name,
            "--private-key",
            good.to_str().unwrap(),
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("private key"), "{r:?}");
    let r = env.run(&["secret", "status", &name]).await;
    assert_eq!((r.code, r.stdout.trim()), (0, "stored"), "{r:?}");
    assert_eq!(env.run(&["secret", "delete", &name]).await.code, 0);
}

/// A FAPI profile with mutual TLS: the certificate and its key go in from two PEM files, the
/// request-signing key from a third; a key that is not the certificate's stores nothing, and
/// the status stays "missing" until both are there.
#[tokio::test]
async fn a_mutual_tls_profile_stores_its_certificate_and_request_key() {
    if !real_keyring() {
        eprintln!("note: skipped; needs CIBA_DESK_REAL_KEYRING=1 (with-test-keyring.sh)");
        return;
    }
    let env = Env::new();
    let name = format!("mtls-{}", std::process::id());
    let r = env
        .run(&[
            "profiles",
            "add",
            &name,
            "--issuer",
            "https://idp.example.com",
            "--client-id",
            "c",
            "--auth-method",
            "tls_client_auth",
            "--fapi",
            "true",
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    let file = |file: &str, text: &str| {
        let path = env.root.path().join(file);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (mine, other) = (
        testkit::tls::self_signed_client_certificate("desk"),
        testkit::tls::self_signed_client_certificate("other"),
    );
    let cert = file("desk.crt", &mine.cert_pem);
    let request_key = file("request.pem", &key("ec1").pem);
    let (tls_key, wrong_key) = (
        file("desk.key", &mine.key_pem),
        file("other.key", &other.key_pem),
    );

    let r = set_secret(&env, &name, "a secret").await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("--tls-cert"), "{r:?}");
    let r = env
        .run(&[
            "secret",
            "set",
            &name,
            "--tls-cert",
            &cert,
            "--tls-key",
            &wrong_key,
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("does not belong"), "{r:?}");
    let r = env.run(&["secret", "status", &name]).await;
    assert_eq!((r.code, r.stdout.trim()), (1, "missing"), "{r:?}");

    let r = env
        .run(&[
            "secret",
            "set",
            &name,
            "--tls-cert",
            &cert,
            "--tls-key",
            &tls_key,
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    let r = env.run(&["secret", "status", &name]).await;
    assert_eq!((r.code, r.stdout.trim()), (1, "missing"), "{r:?}");
    assert!(r.stderr.contains("no private key"), "{r:?}");

    let r = env
        .run(&["secret", "set", &name, "--private-key", &request_key])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("request-signing key"), "{r:?}");
    let r = env.run(&["secret", "status", &name]).await;
    assert_eq!((r.code, r.stdout.trim()), (0, "stored"), "{r:?}");
    let r = env.run(&["secret", "delete", &name]).await;
    assert!(r.stdout.contains("client certificate"), "{r:?}");
}

#[tokio::test]
async fn a_stored_secret_never_follows_a_profile_to_another_provider() {
    if !real_keyring() {
        eprintln!("note: skipped; needs CIBA_DESK_REAL_KEYRING=1 (with-test-keyring.sh)");
        return;
    }
    let op = FakeOp::start(&[]).await;
    // Another listener on another port, standing in for whoever a shared file points at.
    let collector = FakeOp::start(&[]).await;
    let env = Env::new();
    let name = format!("moved-{}", std::process::id());
    let r = env
        .run(&[
            "profiles",
            "add",
            &name,
            "--issuer",
            &op.issuer,
            "--client-id",
            CLIENT_ID,
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(set_secret(&env, &name, CLIENT_SECRET).await.code, 0);

    // A profile file that keeps the name and points the issuer elsewhere, imported with
    // --replace as an agent would when told to.
    let exported = env.run(&["profiles", "export", "--profile", &name]).await;
    let file = env.root.path().join("shared.toml");
    std::fs::write(
        &file,
        exported.stdout.replace(&op.issuer, &collector.issuer),
    )
    .unwrap();
    let r = env
        .run(&["profiles", "import", "--replace", file.to_str().unwrap()])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("not sent there until it is entered again"),
        "{r:?}"
    );

    let r = env.run(&["secret", "status", &name]).await;
    assert_eq!((r.code, r.stdout.trim()), (1, "outdated"), "{r:?}");
    // Whatever the command, nothing reaches the other listener: no credentials, no ID.
    answer(&collector);
    let r = env
        .run(&[
            "verify",
            "--profile",
            &name,
            "--national-id",
            "se:19121212-1212",
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("entered for another issuer"), "{r:?}");
    assert!(
        r.stderr.contains(&format!("ciba-desk secret set {name}")),
        "{r:?}"
    );

    // A second profile naming the first one's entry borrows nothing either.
    let thief = format!("thief-{}", std::process::id());
    let r = env
        .run(&[
            "profiles",
            "add",
            &thief,
            "--issuer",
            &collector.issuer,
            "--client-id",
            "someone-else",
            "--secret-entry",
            &name,
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    let r = env
        .run(&[
            "verify",
            "--profile",
            &thief,
            "--national-id",
            "se:19121212-1212",
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("entered for another issuer"), "{r:?}");
    for path in ["/bc", "/token", "/.well-known/openid-configuration"] {
        assert!(
            collector
                .recorded(path)
                .iter()
                .all(|c| !c.headers.contains_key("authorization")),
            "no credentials at {path}"
        );
    }
    assert!(
        collector.recorded("/bc").is_empty(),
        "no national ID was sent"
    );
    assert!(!r.all().contains(CLIENT_SECRET));

    // Entered again for the new destination, it is used there.
    assert_eq!(set_secret(&env, &name, CLIENT_SECRET).await.code, 0);
    let r = env.run(&["secret", "status", &name]).await;
    assert_eq!((r.code, r.stdout.trim()), (0, "stored"), "{r:?}");
    let r = env
        .run(&[
            "verify",
            "--profile",
            &name,
            "--national-id",
            "se:19121212-1212",
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(collector.recorded("/bc").len(), 1);
    assert_eq!(env.run(&["secret", "delete", &name]).await.code, 0);
}
