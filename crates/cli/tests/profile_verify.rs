//! `ciba-desk verify --profile …`: the sandbox started on demand, the identity match (and the
//! mismatch exit code), input checked before anything is sent, the customer link, the cancel
//! call, and the audit log that records every run.

mod common;

use std::time::Duration;

use common::{Env, free_port, listening};
use serde_json::{Value, json};
use testkit::fake_op::{CLIENT_ID, CLIENT_SECRET, FakeOp, Reply, key};

/// A generic profile named `name` pointing at the fake OP.
async fn profile_at(env: &Env, name: &str, op: &FakeOp) {
    let r = env
        .run(&[
            "profiles",
            "add",
            name,
            "--issuer",
            &op.issuer,
            "--client-id",
            CLIENT_ID,
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
}

/// The final records of an export (each verification also has its `requested` record, written
/// before anything was sent, which the final one names).
fn finals(records: &Value) -> Vec<Value> {
    let all = records.as_array().unwrap();
    let finals: Vec<Value> = all
        .iter()
        .filter(|r| r["outcome"] != "requested")
        .cloned()
        .collect();
    for f in &finals {
        let requested = all
            .iter()
            .find(|r| r["seq"] == f["request_seq"])
            .unwrap_or_else(|| panic!("no requested record for {f}"));
        assert_eq!(requested["outcome"], "requested");
        assert_eq!(requested["identifier_masked"], f["identifier_masked"]);
    }
    finals
}

/// The fake acknowledges quickly and then answers with an ID token carrying `extra` claims.
fn answer_with(op: &FakeOp, k: &testkit::fake_op::TestKey, extra: Value) {
    op.approve()
        .acknowledged(json!({"auth_req_id": "req-1", "expires_in": 30, "interval": 1}))
        .claims(extra)
        .signed_by(k);
}

#[tokio::test]
async fn the_sandbox_starts_by_itself_and_the_result_is_masked_and_audited() {
    let env = Env::new();
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    env.sandbox_at(&issuer);
    let r = env
        .run(&[
            "verify",
            "--profile",
            "sandbox",
            "--national-id",
            "se:19121212-1212",
            "--json",
            "--sandbox-auto",
            "approve",
            "--reference",
            "CASE-4711",
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    let out = r.json();
    assert_eq!(out["status"], "verified", "{r:?}");
    // The case reference is in both of the verification's audit records.
    let audit = env.run(&["audit", "recent", "--json"]).await;
    let records: Vec<serde_json::Value> = serde_json::from_str(&audit.stdout).unwrap();
    assert_eq!(records.len(), 2, "{audit:?}");
    assert!(
        records.iter().all(|r| r["reference"] == "CASE-4711"),
        "{audit:?}"
    );
    assert_eq!(out["match"], "match");
    assert_eq!(out["profile"], "sandbox");
    assert_eq!(out["is_sandbox"], true);
    assert_eq!(out["identity"]["national_id"], "19121212-XXXX");
    assert_eq!(out["identity"]["display_name"], "Tolvan Tolvansson");
    assert_eq!(out["identity"]["claims"]["ssn"], "19121212-XXXX");
    assert_eq!(out["expected"]["masked"], "19121212-XXXX");
    assert!(
        !r.all().contains("1212-1212") && !r.all().contains("191212121212"),
        "the full national ID is never printed: {r:?}"
    );
    assert!(r.stderr.contains("started the sandbox"), "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "approve or deny as the customer at {issuer}/device"
        )),
        "{r:?}"
    );
    assert!(r.stderr.contains("requested: waiting"), "{r:?}");
    assert!(r.stderr.contains("verified: Tolvan Tolvansson"), "{r:?}");
    assert!(!listening(port), "the sandbox stops with the verification");

    // A second run with the sandbox already running (started by hand) uses it.
    let data = env.data_dir();
    let mut manual = tokio::process::Command::new(common::BIN)
        .args([
            "sandbox",
            "--port",
            &port.to_string(),
            "--auto",
            "deny",
            "--after",
            "0",
            "--data-dir",
        ])
        .arg(&data)
        // The same user's environment: the proof goes to the data directory `verify` reads.
        .env("CIBA_DESK_DATA_DIR", &data)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(manual.stdout.take().unwrap()));
    lines.next_line().await.unwrap().unwrap();
    let r = env
        .run(&[
            "verify",
            "--profile",
            "sandbox",
            "--national-id",
            "se:19121212-1212",
            "--json",
        ])
        .await;
    assert_eq!(
        (r.code, r.json()["status"].as_str()),
        (2, Some("denied")),
        "{r:?}"
    );
    assert!(r.stderr.contains(&format!("{issuer}/device")), "{r:?}");
    manual.kill().await.unwrap();

    // Both runs are in the audit log, which verifies, masked and without the number.
    let r = env.run(&["audit", "verify"]).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("intact: 4 record(s)"), "{r:?}");
    assert!(
        r.stderr
            .contains("cannot prove that nobody with access to this account rewrote it"),
        "{r:?}"
    );
    let r = env.run(&["audit", "export", "--format", "json"]).await;
    assert_eq!(r.code, 0, "{r:?}");
    let records = finals(&r.json());
    // Files holding the log are this account's alone: the data directory, the database,
    // and an export written to a file (even one that replaces a readable file).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let export = env.root.path().join("export.csv");
        std::fs::write(&export, "old").unwrap();
        std::fs::set_permissions(&export, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = export.to_str().unwrap();
        let r = env.run(&["audit", "export", "-o", out]).await;
        assert_eq!(r.code, 0, "{r:?}");
        assert_eq!(mode(&export), 0o600);
        assert!(
            std::fs::read_to_string(&export)
                .unwrap()
                .starts_with("seq,")
        );
        assert_eq!(mode(&env.data_dir()), 0o700);
    }
    assert_eq!(records[0]["outcome"], "verified");
    assert_eq!(records[0]["profile"], "sandbox");
    assert_eq!(records[0]["identifier_kind"], "national_id");
    assert_eq!(records[0]["identifier_masked"], "19121212-XXXX");
    assert_eq!(records[0]["acr"], "urn:ciba-desk:sandbox");
    assert_eq!(records[1]["outcome"], "denied");
    assert_eq!(records[1]["error_code"], "access_denied");
    let db = std::fs::read(env.audit_db()).unwrap();
    assert!(
        !String::from_utf8_lossy(&db).contains("191212121212"),
        "the audit log holds no full national ID"
    );

    let r = env.run(&["audit", "export", "--since", "2000-01-01"]).await;
    assert_eq!(
        r.stdout.lines().count(),
        5,
        "a CSV header and two verifications of two records each: {r:?}"
    );
    assert!(r.stdout.starts_with("seq,time,"), "{r:?}");
    let r = env.run(&["audit", "export", "--since", "2999-01-01"]).await;
    assert_eq!((r.code, r.stdout.lines().count()), (0, 1), "{r:?}");
    let r = env.run(&["audit", "export", "--since", "yesterday"]).await;
    assert_eq!(r.code, 1, "{r:?}");
    let r = env.run(&["audit", "purge", "--older-than", "30"]).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("nothing was purged"), "{r:?}");
    // Without a number of days and without a retention setting, nothing is guessed.
    let r = env.run(&["audit", "purge"]).await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("retention_days"), "{r:?}");
    // The administrator's retention setting applies when no number is given.
    let mut settings = std::fs::read_to_string(env.settings_file()).unwrap();
    settings.push_str("\n[audit]\nretention_days = 45\n");
    std::fs::write(env.settings_file(), settings).unwrap();
    let r = env.run(&["audit", "purge"]).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("older than 45 days"), "{r:?}");
    // Where the administrator sets a floor, nothing younger goes: not by hand, not by a
    // retention setting below it.
    let mut settings = std::fs::read_to_string(env.settings_file()).unwrap();
    settings = settings.replace("[audit]\n", "[audit]\nmin_retention_days = 60\n");
    std::fs::write(env.settings_file(), &settings).unwrap();
    for older_than in [Some("0"), Some("59"), None] {
        let mut args = vec!["audit", "purge"];
        args.extend(
            older_than
                .map(|d| ["--older-than", d])
                .into_iter()
                .flatten(),
        );
        let r = env.run(&args).await;
        assert_eq!(r.code, 1, "{older_than:?}: {r:?}");
        assert!(
            r.stderr.contains("at least 60 days") && r.stderr.contains("min_retention_days"),
            "{r:?}"
        );
    }
    let r = env.run(&["audit", "purge", "--older-than", "60"]).await;
    assert_eq!(r.code, 0, "{r:?}");
    std::fs::write(
        env.settings_file(),
        settings.replace("min_retention_days = 60\n", ""),
    )
    .unwrap();

    // Flip a byte of the first record: `audit verify` fails and names it.
    let conn = rusqlite::Connection::open(env.audit_db()).unwrap();
    conn.execute(
        "UPDATE audit_records SET identifier_masked = '19121212-XXXY' WHERE seq = 1",
        [],
    )
    .unwrap();
    drop(conn);
    let r = env.run(&["audit", "verify", "--json"]).await;
    assert_eq!(r.code, 7, "{r:?}");
    assert!(r.stderr.contains("record 1 was altered"), "{r:?}");
    assert_eq!(r.json()["problem"]["seq"], 1);
    assert_eq!(r.json()["intact"], false);
    // A purge refuses to destroy the evidence.
    let r = env.run(&["audit", "purge", "--older-than", "0"]).await;
    assert_eq!(r.code, 7, "{r:?}");
}

#[tokio::test]
async fn a_different_person_approving_is_a_loud_mismatch_with_exit_6() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    let env = Env::new();
    profile_at(&env, "bank", &op).await;
    answer_with(
        &op,
        &k,
        json!({"ssn": "198507232380", "name": "Sara Svensson"}),
    );
    let mut c = env.cmd(&[
        "verify",
        "--profile",
        "bank",
        "--national-id",
        "se:19121212-1212",
        "--message",
        "Call 42",
        "--json",
    ]);
    c.env("CIBA_CLIENT_SECRET", CLIENT_SECRET);
    let r = common::finish(c.spawn().unwrap()).await;
    assert_eq!(r.code, 6, "{r:?}");
    let out = r.json();
    assert_eq!(out["status"], "mismatch");
    assert_eq!(out["match"], "mismatch");
    assert_eq!(out["identity"]["national_id"], "19850723-XXXX");
    assert!(r.stderr.contains("MISMATCH"), "{r:?}");
    assert!(r.stderr.contains("19850723-XXXX"), "{r:?}");
    for full in ["198507232380", "0723-2380", "191212121212", "1212-1212"] {
        assert!(!r.all().contains(full), "{full} printed: {r:?}");
    }
    let bc = op.recorded("/bc");
    assert_eq!(bc.len(), 1);
    assert_eq!(bc[0].field("login_hint").as_deref(), Some("191212121212"));
    assert_eq!(bc[0].field("binding_message").as_deref(), Some("Call 42"));

    let records = finals(
        &env.run(&["audit", "export", "--format", "json"])
            .await
            .json(),
    );
    assert_eq!(records[0]["outcome"], "mismatch");
    assert_eq!(records[0]["error_code"], "identity_mismatch");
    assert_eq!(records[0]["binding_message"], "Call 42");
}

#[tokio::test]
async fn bad_input_exits_1_before_anything_is_sent() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    let env = Env::new();
    profile_at(&env, "bank", &op).await;
    let long_reference = "C".repeat(129);
    let cases: [(&[&str], &str); 7] = [
        (&["--national-id", "se:19121212-1213"], "check digit"),
        (
            &["--email", "a@example.com", "--reference", &long_reference],
            "at most 128 characters",
        ),
        (
            &["--email", "a@example.com", "--reference", "CASE\n7"],
            "control characters",
        ),
        (&["--national-id", "se:19121212"], "digits"),
        (&["--national-id", "xx:1234"], "country"),
        (&["--email", "not-an-address"], "e-mail"),
        (&["--user-id", "a b"], "spaces"),
    ];
    for (extra, says) in cases {
        let mut args = vec!["verify", "--profile", "bank", "--json"];
        args.extend_from_slice(extra);
        let mut c = env.cmd(&args);
        c.env("CIBA_CLIENT_SECRET", CLIENT_SECRET);
        let r = common::finish(c.spawn().unwrap()).await;
        assert_eq!(r.code, 1, "{extra:?}: {r:?}");
        assert!(
            r.stderr.contains(says),
            "{extra:?} should say {says:?}: {r:?}"
        );
        assert_eq!(r.json()["status"], "failed", "{r:?}");
        let field = if extra.contains(&"--reference") {
            "reference"
        } else {
            "identity"
        };
        assert_eq!(r.json()["field"], field, "{r:?}");
    }
    let r = env
        .run(&[
            "verify",
            "--profile",
            "nobody",
            "--national-id",
            "se:19121212-1212",
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("no profile named \"nobody\""), "{r:?}");
    // The profile form takes none of the low-level options.
    let r = env
        .run(&[
            "verify",
            "--profile",
            "bank",
            "--login-hint",
            "x",
            "--scope",
            "openid x",
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("cannot be used with"), "{r:?}");

    // A well-formed request does go out (so the checks above were not vacuous) …
    let mut c = env.cmd(&[
        "verify",
        "--profile",
        "bank",
        "--national-id",
        "se:19121212-1212",
    ]);
    c.env("CIBA_CLIENT_SECRET", CLIENT_SECRET);
    answer_with(&op, &k, json!({"ssn": "191212121212"}));
    let first_bc = op.recorded("/bc").len();
    assert!(
        op.recorded("/.well-known/openid-configuration").is_empty(),
        "bad input made the CLI discover the provider"
    );
    let r = common::finish(c.spawn().unwrap()).await;
    assert_eq!(r.code, 0, "{r:?}");
    // … and only that one: the bad inputs sent nothing, not even discovery.
    assert_eq!(first_bc, 0, "bad input reached the provider");
    assert_eq!(op.recorded("/bc").len(), 1);

    // Without the secret (no keyring here, no environment variable): exit 1, nothing sent.
    if !common::real_keyring() {
        let r = env
            .run(&[
                "verify",
                "--profile",
                "bank",
                "--national-id",
                "se:19121212-1212",
            ])
            .await;
        assert_eq!(r.code, 1, "{r:?}");
        assert!(r.stderr.contains("no OS keyring is available"), "{r:?}");
        assert_eq!(op.recorded("/bc").len(), 1);
    }
}

#[tokio::test]
async fn a_danish_number_failing_modulus_11_is_a_warning_and_goes_out() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    let env = Env::new();
    profile_at(&env, "dk", &op).await;
    answer_with(&op, &k, json!({"ssn": "0506841233"}));
    let mut c = env.cmd(&[
        "verify",
        "--profile",
        "dk",
        "--national-id",
        "dk:050684-1233",
        "--json",
    ]);
    c.env("CIBA_CLIENT_SECRET", CLIENT_SECRET);
    let r = common::finish(c.spawn().unwrap()).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("warning:") && r.stderr.contains("modulus-11"),
        "{r:?}"
    );
    assert_eq!(r.json()["match"], "match");
    assert_eq!(r.json()["warnings"].as_array().unwrap().len(), 1);
    assert_eq!(
        op.recorded("/bc")[0].field("login_hint").as_deref(),
        Some("0506841233")
    );
    assert!(!r.all().contains("1233"), "{r:?}");
}

#[tokio::test]
async fn national_id_works_without_a_profile_too() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    let env = Env::new();
    answer_with(&op, &k, json!({"ssn": "191212121212"}));
    let mut c = env.cmd(&[
        "verify",
        "--issuer",
        &op.issuer,
        "--client-id",
        CLIENT_ID,
        "--national-id",
        "se:121212+1212",
        "--json",
    ]);
    c.env("CIBA_CLIENT_SECRET", CLIENT_SECRET);
    let r = common::finish(c.spawn().unwrap()).await;
    assert_eq!(r.code, 0, "{r:?}");
    let out = r.json();
    assert_eq!(out["match"], "match");
    assert_eq!(out["identity"]["national_id"], "19121212-XXXX");
    assert_eq!(out["claims"]["ssn"], "19121212-XXXX");
    assert!(
        !r.all().contains("1212-1212") && !r.all().contains("191212121212"),
        "{r:?}"
    );
    assert_eq!(
        op.recorded("/bc")[0].field("login_hint").as_deref(),
        Some("191212121212"),
        "sent normalised"
    );

    // A different person: exit 6 here as well.
    answer_with(&op, &k, json!({"ssn": "198507232380"}));
    let mut c = env.cmd(&[
        "verify",
        "--issuer",
        &op.issuer,
        "--client-id",
        CLIENT_ID,
        "--national-id",
        "se:19121212-1212",
        "--json",
    ]);
    c.env("CIBA_CLIENT_SECRET", CLIENT_SECRET);
    let r = common::finish(c.spawn().unwrap()).await;
    assert_eq!(
        (r.code, r.json()["status"].as_str()),
        (6, Some("mismatch")),
        "{r:?}"
    );
    assert!(r.stderr.contains("MISMATCH"), "{r:?}");

    // Invalid: exit 1, nothing sent.
    let before = op.recorded("/bc").len();
    let mut c = env.cmd(&[
        "verify",
        "--issuer",
        &op.issuer,
        "--client-id",
        CLIENT_ID,
        "--national-id",
        "se:19121212-1213",
    ]);
    c.env("CIBA_CLIENT_SECRET", CLIENT_SECRET);
    let r = common::finish(c.spawn().unwrap()).await;
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(op.recorded("/bc").len(), before);
}

#[tokio::test]
async fn a_pickup_profile_shows_the_customer_link_and_its_qr_code() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    let env = Env::new();
    let r = env
        .run(&[
            "profiles",
            "add",
            "pickup",
            "--preset",
            "authway_pickup",
            "--issuer",
            &op.issuer,
            "--client-id",
            CLIENT_ID,
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    answer_with(&op, &k, json!({"email": "Anna@Example.com"}));
    let mut c = env.cmd(&[
        "verify",
        "--profile",
        "pickup",
        "--email",
        "anna@example.com",
        "--qr",
        "--json",
    ]);
    c.env("CIBA_CLIENT_SECRET", CLIENT_SECRET);
    let r = common::finish(c.spawn().unwrap()).await;
    assert_eq!(r.code, 0, "{r:?}");
    let link = format!("{}/identity/ciba?requestId=req-1", op.issuer);
    assert!(
        r.stderr.contains(&format!(
            "customer link (the customer opens it to accept or deny): {link}"
        )),
        "{r:?}"
    );
    assert!(
        r.stderr.contains('█') || r.stderr.contains('▀'),
        "a QR code: {r:?}"
    );
    assert_eq!(r.json()["match"], "match");
    assert_eq!(r.json()["match_detail"]["on"], "email");
    assert_eq!(
        op.recorded("/bc")[0].field("requested_expiry").as_deref(),
        Some("200")
    );
}

#[tokio::test]
async fn ctrl_c_cancels_at_the_provider_and_exits_130() {
    let op = FakeOp::start(&[&key("rsa1")]).await;
    let env = Env::new();
    let r = env
        .run(&[
            "profiles",
            "add",
            "mitid",
            "--preset",
            "signaturgruppen_mitid_pp_demo",
            "--issuer",
            &op.issuer,
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    op.set_default("/api/v1/ciba/req-1", Reply::Json(200, json!({})));
    let child = env
        .cmd(&[
            "verify",
            "--profile",
            "mitid",
            "--user-id",
            "0e99b25c-abde-4553-973b-8d94d49cd87e",
            "--json",
        ])
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if !op.recorded("/bc").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(op.recorded("/bc").len(), 1, "the request went out");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let r = common::finish(child).await;
    assert_eq!(
        (r.code, r.json()["status"].as_str()),
        (130, Some("cancelled")),
        "{r:?}"
    );
    let deletes: Vec<_> = op
        .recorded("/api/v1/ciba/req-1")
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1, "the provider's cancel call was made");
    assert!(r.stderr.contains("withdrawn at the provider"), "{r:?}");
    let records = finals(
        &env.run(&["audit", "export", "--format", "json"])
            .await
            .json(),
    );
    assert_eq!(records[0]["outcome"], "cancelled");
}

#[tokio::test]
async fn the_national_id_can_stay_out_of_ps_and_the_shell_history() {
    use tokio::io::AsyncWriteExt as _;
    let env = Env::new();
    let port = free_port();
    env.sandbox_at(&format!("http://127.0.0.1:{port}"));
    let args = |id: &'static str| {
        vec![
            "verify",
            "--profile",
            "sandbox",
            "--national-id",
            id,
            "--json",
            "--sandbox-auto",
            "approve",
        ]
    };

    // From standard input: no warning, and the number is nowhere in the arguments.
    let mut c = env.cmd(&args("-"));
    c.stdin(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"se:19121212-1212\n").await.unwrap();
    drop(stdin);
    let r = common::finish(child).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["match"], "match");
    assert!(!r.stderr.contains("shows in `ps`"), "{r:?}");

    // From the environment: the same.
    let mut c = env.cmd(&[
        "verify",
        "--profile",
        "sandbox",
        "--json",
        "--sandbox-auto",
        "approve",
    ]);
    c.env("CIBA_DESK_NATIONAL_ID", "se:19121212-1212");
    let r = common::finish(c.spawn().unwrap()).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains("shows in `ps`"), "{r:?}");

    // On the command line it still works, with a warning that says what to do instead.
    let r = env.run(&args("se:19121212-1212")).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("shows in `ps`") && r.stderr.contains("--national-id -"),
        "{r:?}"
    );

    // Empty standard input is an input error, before anything is sent.
    let r = env.run(&args("-")).await;
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("standard input was empty"), "{r:?}");
}

#[tokio::test]
async fn the_audit_anchor_outside_the_file_catches_records_deleted_from_the_end() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    let env = Env::new();
    profile_at(&env, "bank", &op).await;
    let anchor = env.root.path().join("other-volume").join("anchor.log");
    std::fs::create_dir_all(anchor.parent().unwrap()).unwrap();
    let mut settings = std::fs::read_to_string(env.settings_file()).unwrap();
    settings.push_str(&format!(
        "\n[audit]\nanchor = {:?}\n",
        anchor.display().to_string()
    ));
    std::fs::write(env.settings_file(), settings).unwrap();
    for _ in 0..3 {
        answer_with(&op, &k, json!({"ssn": "191212121212"}));
        let mut c = env.cmd(&[
            "verify",
            "--profile",
            "bank",
            "--national-id",
            "se:19121212-1212",
        ]);
        c.env("CIBA_CLIENT_SECRET", CLIENT_SECRET);
        assert_eq!(common::finish(c.spawn().unwrap()).await.code, 0);
    }
    let lines = std::fs::read_to_string(&anchor).unwrap();
    assert_eq!(lines.lines().count(), 6, "{lines}");
    assert!(
        !lines.contains("1212"),
        "the anchor holds hashes, no numbers"
    );

    let r = env.run(&["audit", "verify"]).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("agrees with the anchor") && r.stderr.contains("6 record(s) anchored"),
        "{r:?}"
    );
    // Whoever owns the file deletes the newest record and points the head at the one before:
    // the file alone still looks intact, the anchor does not agree.
    let conn = rusqlite::Connection::open(env.audit_db()).unwrap();
    conn.execute_batch(
        "DELETE FROM audit_records WHERE seq = 6;
         UPDATE audit_meta SET value = 5 WHERE key = 'head_seq';
         UPDATE audit_meta SET value = (SELECT hash FROM audit_records WHERE seq = 5) WHERE key = 'head_hash';",
    )
    .unwrap();
    drop(conn);
    let elsewhere = env.root.path().join("copy.log");
    std::fs::copy(&anchor, &elsewhere).unwrap();
    std::fs::write(
        env.settings_file(),
        std::fs::read_to_string(env.settings_file())
            .unwrap()
            .replace("[audit]\n", "[audit]\n# anchor moved\n")
            .replace(
                &format!("anchor = {:?}\n", anchor.display().to_string()),
                "",
            ),
    )
    .unwrap();
    let r = env.run(&["audit", "verify"]).await;
    assert_eq!(
        r.code, 0,
        "without an anchor the file cannot show it: {r:?}"
    );
    let r = env
        .run(&[
            "audit",
            "verify",
            "--json",
            "--anchor",
            elsewhere.to_str().unwrap(),
        ])
        .await;
    assert_eq!(r.code, 7, "{r:?}");
    assert!(
        r.stderr.contains("does NOT agree with the anchor")
            && r.stderr
                .contains("record 6 is in the anchor but not in the log"),
        "{r:?}"
    );
    let out = r.json();
    assert_eq!(out["intact"], false);
    assert_eq!(out["anchor"]["problem"]["seq"], 6);
    assert_eq!(out["anchor"]["problem"]["kind"], "deleted");

    // An anchor of some other log is no evidence either way, and says so.
    let unrelated = env.root.path().join("unrelated.log");
    std::fs::write(&unrelated, "ciba-desk-anchor v1 log=0000 seq=1 hash=ab\n").unwrap();
    let r = env
        .run(&["audit", "verify", "--anchor", unrelated.to_str().unwrap()])
        .await;
    assert_eq!(r.code, 7, "{r:?}");
    assert!(r.stderr.contains("holds no line for this log"), "{r:?}");
}

#[tokio::test]
async fn the_sandbox_rehearses_a_mismatch_on_demand() {
    let env = Env::new();
    let issuer = format!("http://127.0.0.1:{}", free_port());
    env.sandbox_at(&issuer);
    let r = env
        .run(&[
            "verify",
            "--profile",
            "sandbox",
            "--national-id",
            "se:19121212-1212",
            "--sandbox-auto",
            "mismatch",
            "--json",
        ])
        .await;
    assert_eq!(r.code, 6, "{r:?}");
    let out = r.json();
    assert_eq!(
        (out["status"].as_str(), out["match"].as_str()),
        (Some("mismatch"), Some("mismatch"))
    );
    assert_ne!(out["identity"]["national_id"], "19121212-XXXX");
    assert_eq!(out["is_sandbox"], true);
    assert!(r.stderr.contains("MISMATCH"), "{r:?}");
}

#[tokio::test]
async fn a_national_id_never_goes_to_a_program_that_took_the_sandbox_port() {
    // Something else listens where the sandbox should be: a provider-shaped fake that would
    // happily take the number.
    let k = key("rsa1");
    let squatter = FakeOp::start(&[&k]).await;
    answer_with(&squatter, &k, json!({"ssn": "191212121212"}));
    let env = Env::new();
    env.sandbox_at(&squatter.issuer);
    let r = env
        .run(&[
            "verify",
            "--profile",
            "sandbox",
            "--national-id",
            "se:19121212-1212",
        ])
        .await;
    assert_eq!(r.code, 1, "{r:?}");
    let port = squatter.issuer.rsplit(':').next().unwrap();
    assert!(
        r.stderr.contains(&format!(
            "port {port} on this computer is not the CIBA Desk sandbox"
        )) && r.stderr.contains("nothing was sent"),
        "{r:?}"
    );
    assert!(squatter.recorded("/bc").is_empty(), "the number never left");
}

#[tokio::test]
async fn a_sandbox_started_by_hand_with_its_key_elsewhere_still_proves_itself() {
    let env = Env::new();
    let port = free_port();
    env.sandbox_at(&format!("http://127.0.0.1:{port}"));
    let keys = tempfile::tempdir().unwrap();
    let _sandbox = env
        .cmd(&[
            "sandbox",
            "--port",
            &port.to_string(),
            "--data-dir",
            keys.path().to_str().unwrap(),
            "--auto",
            "approve",
            "--after",
            "1",
        ])
        .spawn()
        .unwrap();
    let proof = env.data_dir().join(format!("sandbox-{port}.proof"));
    for _ in 0..300 {
        if listening(port) && proof.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = env
        .run(&[
            "verify",
            "--profile",
            "sandbox",
            "--national-id",
            "se:19121212-1212",
            "--json",
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["status"], "verified", "{r:?}");
}
