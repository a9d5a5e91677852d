//! `ciba-desk verify --server`: the same verification through the organisation's server
//! (a real one over PostgreSQL, the organisation's sign-in and the customers' CIBA provider
//! both panva's oidc-provider): the same progress lines, JSON and exit codes as a local run,
//! and exit 8 when the server refuses.

mod common;
#[path = "../../server/tests/support/mod.rs"]
mod support;

use common::Env;
use support::{CUSTOMER, Db, Harness, harness};

async fn verify(
    env: &Env,
    h: &Harness,
    token: Option<&str>,
    args: &[&str],
) -> tokio::process::Child {
    let mut all = vec![
        "verify",
        "--server",
        h.base.as_str(),
        "--profile",
        "bank",
        "--json",
    ];
    all.extend(args);
    let mut c = env.cmd(&all);
    match token {
        Some(t) => c.env("CIBA_DESK_TOKEN", t),
        None => c.env_remove("CIBA_DESK_TOKEN"),
    };
    c.spawn().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_through_the_server_completes_denies_cancels_and_is_refused() {
    let Some(h) = harness(Db::Postgres).await else {
        return;
    };
    let env = Env::new();
    let anna = h.token("anna").await;

    // Verified, with the local run's lines and JSON.
    let child = verify(
        &env,
        &h,
        Some(&anna),
        &[
            "--national-id",
            "se:19121212-1212",
            "--binding-message",
            "Desk 9",
            "--reference",
            "CASE-9",
        ],
    )
    .await;
    let pending = h.op.wait_for_pending(CUSTOMER).await;
    h.op.approve(&pending).await;
    let r = common::finish(child).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains(
            "requesting: 19121212-XXXX through profile \"bank\" (Generic OpenID provider)"
        ),
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains("binding message on the customer's device: Desk 9"),
        "{r:?}"
    );
    assert!(r.stderr.contains("requested: waiting up to"), "{r:?}");
    assert!(
        r.stderr
            .contains("verified: Tolvan Tolvansson (19121212-XXXX)"),
        "{r:?}"
    );
    assert!(
        r.stderr.contains("match: The identity number matches"),
        "{r:?}"
    );
    let out = r.json();
    assert_eq!(out["status"], "verified");
    assert_eq!(out["match"], "match");
    assert_eq!(out["profile"], "bank");
    assert_eq!(out["identity"]["national_id"], "19121212-XXXX");
    assert_eq!(out["expected"]["masked"], "19121212-XXXX");
    assert!(!r.all().contains(CUSTOMER), "{r:?}");
    // The server recorded it, with the reference; nothing was written on this computer.
    assert!(!env.audit_db().exists());

    // Denied: exit 2.
    let child = verify(&env, &h, Some(&anna), &["--user-id", "alice"]).await;
    let pending = h.op.wait_for_pending("alice").await;
    h.op.deny(&pending).await;
    let r = common::finish(child).await;
    assert_eq!(
        (r.code, r.json()["status"].as_str()),
        (2, Some("denied")),
        "{r:?}"
    );

    // Ctrl-C: cancelled at the server, exit 130.
    let child = verify(&env, &h, Some(&anna), &["--email", "bob@example.com"]).await;
    h.op.wait_for_pending("bob@example.com").await;
    let pid = child.id().unwrap();
    std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    let r = common::finish(child).await;
    assert_eq!(
        (r.code, r.json()["status"].as_str()),
        (130, Some("cancelled")),
        "{r:?}"
    );

    // Refused: no token, no role, the rate limit; bad input is a usage error.
    let r = common::finish(verify(&env, &h, None, &["--user-id", "alice"]).await).await;
    assert_eq!(r.code, 8, "{r:?}");
    assert!(r.stderr.contains("CIBA_DESK_TOKEN"), "{r:?}");
    let nils = h.token("nils").await;
    let r = common::finish(verify(&env, &h, Some(&nils), &["--user-id", "alice"]).await).await;
    assert_eq!(
        (r.code, r.json()["error"].as_str()),
        (8, Some("forbidden")),
        "{r:?}"
    );
    let r = common::finish(
        verify(
            &env,
            &h,
            Some(&anna),
            &["--national-id", "se:19121212-1213"],
        )
        .await,
    )
    .await;
    assert_eq!(
        (r.code, r.json()["error"].as_str()),
        (1, Some("national_id_check_digit")),
        "{r:?}"
    );
    let r = common::finish(verify(&env, &h, Some(&anna), &["--user-id", "alice"]).await).await;
    assert_eq!(
        (r.code, r.json()["error"].as_str()),
        (8, Some("rate_limited")),
        "{r:?}"
    );
    assert!(r.stderr.contains("try again in"), "{r:?}");
}

/// The server's binary, built with the workspace (`cargo build --workspace`, as the test
/// command does).
fn server_bin() -> String {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("ciba-desk-server");
    assert!(
        bin.exists(),
        "{} is missing: build the workspace first (cargo build --workspace)",
        bin.display()
    );
    bin.display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_restarted_mid_verification_is_followed_to_the_end() {
    use testkit::org_op::{Agent, OrgOp};
    let op = OrgOp::start(&[Agent::new("anna", "Anna Agent", &["agent"])]).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let text = support::config_text(
        &op,
        dir.path(),
        &format!("url = \"sqlite://{}\"", db.display()),
        true,
    );
    server::store::Store::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap()
        .migrate(None)
        .await
        .unwrap();
    let (bin, port) = (server_bin(), support::free_port());
    let first = support::Instance::start_on(&bin, dir.path(), "first", &text, port).await;
    let env = Env::new();
    let mut c = env.cmd(&[
        "verify",
        "--server",
        &first.base,
        "--profile",
        "bank",
        "--national-id",
        "se:19121212-1212",
        "--json",
    ]);
    c.env("CIBA_DESK_TOKEN", op.access_token("anna").await);
    let child = c.spawn().unwrap();
    let pending = op.wait_for_pending(CUSTOMER).await;
    // Time for the server to store the acknowledgement, then a restart: SIGTERM ends the
    // agent's stream and hands the verification back; the next run goes on polling it.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    first.stop().await;
    let second = support::Instance::start_on(&bin, dir.path(), "second", &text, port).await;
    op.approve(&pending).await;
    let r = common::finish(child).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("verified: Tolvan Tolvansson (19121212-XXXX)"),
        "{r:?}"
    );
    second.stop().await;
}
