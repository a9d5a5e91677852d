//! `ciba-desk sandbox` as a trainer or a smoke test uses it: start it, verify a test person
//! against it with `ciba-desk verify`, and see the verified identity.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ciba-desk");

#[tokio::test]
async fn verify_a_test_person_against_the_standalone_sandbox() {
    let data = std::env::temp_dir().join(format!("ciba-desk-sandbox-test-{}", std::process::id()));
    let mut sandbox = Command::new(BIN)
        .args([
            "sandbox",
            "--port",
            "0",
            "--auto",
            "approve",
            "--after",
            "1",
            "--data-dir",
        ])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(sandbox.stdout.take().unwrap()).lines();
    let issuer = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(issuer.starts_with("http://127.0.0.1:"), "{issuer}");

    let out = Command::new(BIN)
        .args([
            "verify",
            "--issuer",
            &issuer,
            "--client-id",
            sandbox::CLIENT_ID,
            "--json",
        ])
        .args([
            "--login-hint",
            "19121212-1212",
            "--binding-message",
            "Counter 3",
            "--scope",
            "openid profile",
        ])
        .env("CIBA_CLIENT_SECRET", sandbox::CLIENT_SECRET)
        .env("CIBA_DESK_DATA_DIR", &data)
        .env("CIBA_DESK_CONFIG_DIR", data.join("config"))
        .env("CIBA_DESK_KEYRING", "none")
        .output()
        .await
        .unwrap();
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(result["status"], "verified");
    assert_eq!(result["claims"]["name"], "Tolvan Tolvansson");
    assert_eq!(
        result["claims"]["ssn"], "19121212-XXXX",
        "national IDs are masked on stdout"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("191212121212"));
    assert!(
        data.join(sandbox::KEY_FILE_NAME).is_file(),
        "the signing key is kept in the data directory"
    );
    let _ = std::fs::remove_dir_all(data);
}
