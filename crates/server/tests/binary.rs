//! `ciba-desk-server` as an administrator runs it: check-config, migrate, serve, SIGTERM.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{config_text, private_file};
use testkit::org_op::OrgOp;

const BIN: &str = env!("CARGO_BIN_EXE_ciba-desk-server");

fn run(args: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn check_config_migrate_serve_and_stop() {
    let op = OrgOp::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = config_text(
        &op,
        dir.path(),
        &format!("url = \"sqlite://{}\"", db.display()),
        true,
    )
    .replace("127.0.0.1:0", &format!("127.0.0.1:{port}"));
    let config = private_file(dir.path(), "server.toml", &text);
    let config = config.to_str().unwrap();

    let out = run(&["check-config", "--config", config]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid; 1 profile(s)"));

    // A secret file other users can read is named, with the fix; the secret is not shown.
    use std::os::unix::fs::PermissionsExt;
    let secret = dir.path().join("bank.secret");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(&["check-config", "--config", config]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success());
    assert!(
        err.contains("chmod 600") && !err.contains("basic-secret"),
        "{err}"
    );
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();

    // An unknown key: its line and column.
    let bad = private_file(
        dir.path(),
        "bad.toml",
        &text.replace("[limits]", "[limits]\nper_agent_per_hour = 3"),
    );
    let out = run(&["check-config", "--config", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success() && err.contains("per_agent_per_hour") && err.contains("line"),
        "{err}"
    );

    // Serving before the schema exists is refused with what to do.
    let out = run(&["serve", "--config", config]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("migrate"),
        "{out:?}"
    );

    let out = run(&["migrate", "--config", config]);
    assert!(out.status.success(), "{out:?}");

    let mut child = tokio::process::Command::new(BIN)
        .args(["serve", "--config", config])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(&url).await
            && r.status().is_success()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server never answered /healthz"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
        .await
        .unwrap();
    assert!(ready.status().is_success());

    // SIGTERM: it stops within 10 s, cleanly.
    let stopped = Instant::now();
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().unwrap().to_string()])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("stopped within 10 s")
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(stopped.elapsed() < Duration::from_secs(10));
    let mut log = String::new();
    use tokio::io::AsyncReadExt as _;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .await
        .unwrap();
    // JSON logs, none of them carrying a secret.
    assert!(log.lines().all(|l| l.starts_with('{')), "{log}");
    assert!(
        !log.contains("basic-secret") && !log.contains(&"5a".repeat(32)),
        "{log}"
    );
}
