//! The real app window, driven through WebDriver (tauri-driver + WebKitWebDriver) as an agent
//! would use it, against the app's built-in sandbox provider. The customer's side is played
//! over HTTP on the sandbox's phone page and pickup link, as a person with a phone would.
//!
//! Needs a display (scripts/test.sh runs the suite under Xvfb), `tauri-driver` on PATH and the
//! release app built with the `custom-protocol` feature (scripts/test.sh builds it; the path
//! can be given in CIBA_DESK_APP_BIN).

#[path = "../crates/server/tests/support/mod.rs"]
mod server_support;
mod window_session;

use std::path::PathBuf;

use serde_json::json;
use std::time::Duration;

use window_session::desktop::Desktop;
use window_session::{Os, Session, wait_until};

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_verifies_denies_and_cancels_in_the_real_window() {
    let s = Session::start(|_| vec![]).await;

    // Invalid input is explained before anything is sent.
    s.type_into("identity-input", "19121212-1213").await;
    let error = s.el("identity-error").await;
    assert!(
        error.text().await.unwrap().to_lowercase().contains("check"),
        "the reason is shown"
    );

    // A valid Swedish test person, approved on the phone page.
    s.type_into("identity-input", "19121212-1212").await;
    s.type_into("binding-message", "Counter 3").await;
    s.el("start").await.click().await.unwrap();
    s.wait_attr("status", "data-state", "waiting").await;
    s.el("countdown").await;
    s.screenshot("waiting.png").await;
    let id = s.pending_request().await;
    s.decide(&id, "approve").await;
    s.wait_attr("result", "data-outcome", "verified").await;
    s.wait_attr("match", "data-match", "match").await;
    let card = s.el("result").await.text().await.unwrap();
    assert!(card.contains("Tolvan Tolvansson"), "{card}");
    assert!(
        card.contains("19121212-XXXX") && !card.contains("19121212-1212"),
        "masked: {card}"
    );
    s.screenshot("verified.png").await;

    // Denied.
    s.el("new-verification").await.click().await.unwrap();
    s.type_into("identity-input", "19850723-2380").await;
    s.el("start").await.click().await.unwrap();
    let id = s.pending_request().await;
    s.decide(&id, "deny").await;
    s.wait_attr("result", "data-outcome", "denied").await;
    s.screenshot("denied.png").await;

    // Cancelled by the agent.
    s.el("new-verification").await.click().await.unwrap();
    s.type_into("identity-input", "19121212-1212").await;
    s.el("start").await.click().await.unwrap();
    s.wait_attr("status", "data-state", "waiting").await;
    s.el("cancel").await.click().await.unwrap();
    s.wait_attr("result", "data-outcome", "cancelled").await;

    // The History view reads the audit log: three records, newest first, chain intact.
    s.el("nav-history").await.click().await.unwrap();
    s.wait_attr("audit-status", "data-intact", "true").await;
    let rows: Vec<String> = {
        let mut v = vec![];
        for i in 1..=3 {
            v.push(
                s.el(&format!("history-row-{i}"))
                    .await
                    .text()
                    .await
                    .unwrap(),
            );
        }
        v
    };
    assert!(rows[2].contains("19121212-XXXX"), "{rows:?}");
    s.el("history-row-3").await.click().await.unwrap();
    s.wait_attr("result", "data-outcome", "verified").await;
    let record = s.el("audit-record").await.text().await.unwrap();
    assert!(record.contains("Counter 3"), "{record}");
    s.screenshot("history.png").await;

    let log = desk::audit_trail::open_unkeyed(&s.data.join(desk::paths::AUDIT_FILE), None).unwrap();
    let records = log.recent(10).unwrap();
    let outcomes: Vec<&str> = records.iter().map(|r| r.outcome.as_str()).collect();
    // Each verification: its `requested` record before anything was sent, then its final one.
    assert_eq!(
        outcomes,
        [
            "cancelled",
            "requested",
            "denied",
            "requested",
            "verified",
            "requested"
        ]
    );
    assert!(log.verify_chain().unwrap().is_intact());
    for needle in [
        "191212121212",
        "19121212-1212",
        "198507232380",
        "Tolvansson",
    ] {
        let hits = found_in(&s.data, needle);
        assert!(hits.is_empty(), "{needle} is in {hits:?}");
    }

    // The console stayed clean.
    let errors = s
        .client
        .execute("return (window.__cibaDeskErrors || []).length", vec![])
        .await
        .unwrap();
    assert_eq!(errors, json!(0), "the page logged errors");
    s.close().await;
}

/// The page runs in JavaScriptCore's interpreter (see src-tauri/src/main.rs): the web process
/// that holds the customer's name and the agent's input has no memory that is both writable
/// and executable, the kind an exploit of the just-in-time compilers writes its code into.
#[tokio::test(flavor = "multi_thread")]
async fn the_web_process_holds_no_writable_executable_memory() {
    let s = Session::start(|_| vec![]).await;
    // Enough typing and checking to make the page's functions hot.
    for input in [
        "19121212-1213",
        "19121212-1212",
        "anna@example.com",
        "121212-1212",
    ] {
        s.type_into("identity-input", input).await;
    }
    s.el("identity-input").await;
    let web = s
        .web_process()
        .expect("a WebKitWebProcess runs below the app");
    let maps = std::fs::read_to_string(format!("/proc/{web}/maps")).unwrap();
    let writable_code: Vec<&str> = maps
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|p| p.starts_with("rwx"))
        })
        .collect();
    assert!(
        writable_code.is_empty(),
        "writable and executable: {writable_code:?}"
    );
    s.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pickup_qr_code_leads_the_customer_to_the_request() {
    let s = Session::start(pickup_profile).await;
    start_pickup(&s).await;
    s.el("qr").await;
    s.screenshot("pickup-qr.png").await;

    // Scan the QR code as a phone would: from the pixels on the screen.
    let link = scanned(&s.el("qr-image").await).await;
    assert!(
        link.starts_with(&format!("{}/identity/ciba?requestId=", s.sandbox)),
        "{link}"
    );

    // The link opens the decision page for exactly this request; approve it there.
    let page = s.http.get(&link).send().await.unwrap();
    assert!(page.status().is_success());
    let id = url::Url::parse(&link)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "requestId")
        .unwrap()
        .1
        .into_owned();
    s.decide(&id, "approve").await;
    s.wait_attr("result", "data-outcome", "verified").await;
    let card = s.el("result").await.text().await.unwrap();
    assert!(card.contains("Anna Andersson"), "{card}");
    s.close().await;
}

/// A pickup profile on the session's sandbox (it shows the customer a QR code).
fn pickup_profile(sandbox: &str) -> Vec<desk::Profile> {
    let mut p = desk::preset("authway_pickup").unwrap();
    p.name = "pickup".into();
    p.issuer = sandbox.into();
    p.client_id = sandbox::CLIENT_ID.into();
    p.secret = Some(desk::SecretRef::Public(desk::PublicCredential::Sandbox));
    vec![p]
}

/// Starts a pickup for the sandbox's e-mail person.
async fn start_pickup(s: &Session) {
    s.el("profile")
        .await
        .select_by_value("pickup")
        .await
        .unwrap();
    s.type_into("identity-input", "anna@example.com").await;
    s.el("start").await.click().await.unwrap();
}

/// The link in the QR code shown by `image`, read as a phone would: from the pixels on the
/// screen (exactly one code there).
async fn scanned(image: &fantoccini::elements::Element) -> String {
    let png = image.screenshot().await.unwrap();
    let img = image::load_from_memory(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the screen");
    grids[0].decode().unwrap().1
}

/// Whether `needle` occurs in any file under `dir` (recursively).
fn found_in(dir: &std::path::Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = vec![];
    let Ok(entries) = std::fs::read_dir(dir) else {
        return hits;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            hits.extend(found_in(&path, needle));
        } else if std::fs::read(&path)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
        {
            hits.push(path);
        }
    }
    hits
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_typed_in_settings_lives_only_in_the_keyring_and_is_used() {
    let s = Session::start(|sandbox| {
        let mut p = desk::preset("generic").unwrap();
        p.name = "bank".into();
        p.issuer = sandbox.into();
        p.client_id = sandbox::CLIENT_ID.into();
        vec![p]
    })
    .await;
    let secret = sandbox::CLIENT_SECRET;

    // The profile needs a secret; the agent is told before starting.
    s.el("profile").await.select_by_value("bank").await.unwrap();
    s.el("secret-missing").await;

    // The administrator types it into the write-only field in Settings.
    s.el("nav-settings").await.click().await.unwrap();
    s.wait_attr("secret-status-bank", "class", "badge badge--secret-missing")
        .await;
    s.type_into("secret-input-bank", secret).await;
    s.el("secret-save-bank").await.click().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    s.screenshot("debug-mtls.png").await;
    eprintln!(
        "DEBUG {}",
        s.el("secret-status-bank").await.html(false).await.unwrap()
    );
    s.wait_attr("secret-status-bank", "class", "badge badge--secret-stored")
        .await;
    let field = s.el("secret-input-bank").await.prop("value").await.unwrap();
    assert_eq!(
        field.as_deref(),
        Some(""),
        "the field does not keep the secret"
    );

    // It is in the OS keyring (this test runs in the same throwaway keyring session as the app).
    let keyring = secrets::SecretStore::open_os().await.unwrap();
    let stored = keyring
        .get(&secrets::EntryName::client_secret("bank").unwrap())
        .await
        .unwrap();
    let stored = secrecy::ExposeSecret::expose_secret(&stored);
    assert!(
        stored.starts_with("ciba-desk-bound-v1 "),
        "bound to its provider"
    );
    assert!(stored.ends_with(&format!("\n{secret}")));

    // A verification with the profile authenticates with it.
    s.el("nav-verify").await.click().await.unwrap();
    s.el("profile").await.select_by_value("bank").await.unwrap();
    s.type_into("identity-input", "19121212-1212").await;
    s.type_into("binding-message", "Branch 7").await;
    s.el("start").await.click().await.unwrap();
    let id = s.pending_request().await;
    s.decide(&id, "approve").await;
    s.wait_attr("result", "data-outcome", "verified").await;

    // And nowhere else: not in the settings, the data directory (audit log), the home
    // directory (WebKit's storage and caches) or the app's log.
    let log = std::fs::read_to_string(&s.log).unwrap();
    assert!(
        log.contains("verification state"),
        "the app logged at debug level: {log}"
    );
    for dir in [&s.config, &s.data, &s.home] {
        assert!(
            found_in(dir, secret).is_empty(),
            "{:?}",
            found_in(dir, secret)
        );
    }
    for number in ["191212121212", "19121212-1212"] {
        let hits = found_in(&s.home, number);
        assert!(hits.is_empty(), "the full national ID in {hits:?}");
    }
    assert!(!log.contains(secret), "the secret is in the app's log");
    assert!(!log.contains("191212121212") && !log.contains("19121212-1212"));
    let settings = std::fs::read_to_string(s.config.join("settings.toml")).unwrap();
    assert!(settings.contains("bank"), "{settings}");
    s.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_swedish_agent_reads_swedish_everywhere() {
    let s = Session::start_in(
        |_| vec![],
        Os {
            locale: Some("sv_SE.UTF-8".into()),
            ..Os::default()
        },
    )
    .await;
    let text = |t: String| t.to_lowercase();

    // The form, and its errors from the backend's codes.
    let start = text(s.el("start").await.text().await.unwrap());
    assert!(start.contains("starta"), "{start}");
    s.type_into("identity-input", "19121212-1213").await;
    let error = text(s.el("identity-error").await.text().await.unwrap());
    assert!(error.contains("kontrollsiffran"), "{error}");
    s.type_into("identity-input", "19121212-1212").await;
    s.type_into("binding-message", &"Kassa ".repeat(30)).await;
    let error = text(s.el("binding-error").await.text().await.unwrap());
    assert!(error.contains("för långt"), "{error}");
    s.type_into("binding-message", "Kassa 3").await;

    // Verified: the card and its identity match.
    s.el("start").await.click().await.unwrap();
    let id = s.pending_request().await;
    s.decide(&id, "approve").await;
    s.wait_attr("result", "data-outcome", "verified").await;
    let card = text(s.el("result").await.text().await.unwrap());
    assert!(card.contains("bekräftad"), "{card}");
    let matched = text(s.el("match").await.text().await.unwrap());
    assert!(matched.contains("identitetsnumret"), "{matched}");
    s.screenshot("swedish-verified.png").await;

    // Denied by the customer: the provider's access_denied in Swedish.
    s.el("new-verification").await.click().await.unwrap();
    s.type_into("identity-input", "19850723-2380").await;
    s.el("start").await.click().await.unwrap();
    let id = s.pending_request().await;
    s.decide(&id, "deny").await;
    s.wait_attr("result", "data-outcome", "denied").await;
    let card = text(s.el("result").await.text().await.unwrap());
    assert!(card.contains("nekade"), "{card}");
    assert!(!card.contains("declined"), "{card}");

    // History.
    s.el("nav-history").await.click().await.unwrap();
    s.wait_attr("audit-status", "data-intact", "true").await;
    let status = text(s.el("audit-status").await.text().await.unwrap());
    assert!(status.contains("obruten"), "{status}");
    let row = text(s.el("history-row-1").await.text().await.unwrap());
    assert!(row.contains("nekad"), "{row}");
    s.screenshot("swedish-history.png").await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shift_at_the_counter_in_the_real_window() {
    let s = Session::start(|_| {
        let mut corp = desk::preset("generic").unwrap();
        corp.name = "corp".into();
        corp.issuer = "https://idp.example.com".into();
        corp.client_id = "desk".into();
        // A bank's provider: mutual TLS under the FAPI-CIBA rules.
        let mut bank = corp.clone();
        bank.name = "bank".into();
        bank.issuer = "https://idp.bank.example".into();
        bank.auth_method = desk::AuthMethod::TlsClientAuth;
        bank.fapi = true;
        vec![corp, bank]
    })
    .await;

    // An e-mail person through the sandbox profile, with Sweden selected.
    s.type_into("identity-input", "anna@example.com").await;
    s.type_into("binding-message", "Pickup 1").await;
    s.el("start").await.click().await.unwrap();
    let id = s.pending_request().await;
    s.decide(&id, "approve").await;
    s.wait_attr("result", "data-outcome", "verified").await;
    let card = s.el("result").await.text().await.unwrap();
    assert!(card.contains("Anna Andersson"), "{card}");

    // The phone approves as someone else: the red card.
    s.el("new-verification").await.click().await.unwrap();
    s.type_into("identity-input", "19121212-1212").await;
    s.el("start").await.click().await.unwrap();
    let id = s.pending_request().await;
    s.decide(&id, "mismatch").await;
    s.wait_attr("result", "data-outcome", "mismatch").await;
    s.screenshot("mismatch.png").await;

    // Cancelled by the agent: withdrawn at the sandbox, the phone can no longer approve it.
    s.el("new-verification").await.click().await.unwrap();
    s.type_into("identity-input", "19121212-1212").await;
    s.el("start").await.click().await.unwrap();
    s.wait_attr("status", "data-state", "waiting").await;
    let id = s.pending_request().await;
    s.el("cancel").await.click().await.unwrap();
    s.wait_attr("result", "data-outcome", "cancelled").await;
    let late = s
        .http
        .post(format!("{}/device/{id}/approve", s.sandbox))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 410, "a withdrawn request cannot be approved");

    // Finished tabs close together; one tab stays.
    s.el("close-finished").await.click().await.unwrap();
    let tabs = s
        .client
        .find_all(fantoccini::Locator::Css("[role='tab']"))
        .await
        .unwrap();
    assert_eq!(tabs.len(), 1);

    // A profile edited in Settings is shown by its new title in the picker.
    s.el("nav-settings").await.click().await.unwrap();
    s.el("edit-corp").await.click().await.unwrap();
    // A private key offers signed requests and the FAPI-CIBA rules (looked at, not saved).
    let auth = s.el("edit-auth-corp").await;
    let method = auth.prop("value").await.unwrap().unwrap();
    auth.select_by_value("private_key_jwt").await.unwrap();
    s.el("edit-fapi-corp").await;
    s.el("edit-signed-corp").await;
    s.client
        .execute(
            "document.querySelector(\"[data-testid='edit-signed-corp']\").scrollIntoView({block: 'center'})",
            vec![],
        )
        .await
        .unwrap();
    s.screenshot("settings-edit.png").await;
    s.client
        .execute(
            "document.querySelector(\"[data-testid='edit-title-corp']\").scrollIntoView({block: 'center'})",
            vec![],
        )
        .await
        .unwrap();
    s.el("edit-auth-corp")
        .await
        .select_by_value(&method)
        .await
        .unwrap();
    s.type_into("edit-title-corp", "Corporate desk").await;
    s.el("edit-save-corp").await.click().await.unwrap();

    // The bank's certificate with its key goes into the keyring; its request-signing key is
    // asked for beside it.
    let certificate = testkit::tls::self_signed_client_certificate("desk");
    // Pasted, as WebDriver's typing drops the line breaks PEM needs.
    s.el("secret-input-bank").await;
    s.client
        .execute(
            "const field = document.querySelector(\"[data-testid='secret-input-bank']\");
             field.value = arguments[0];
             field.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![certificate.bundle().into()],
        )
        .await
        .unwrap();
    s.el("secret-save-bank").await.click().await.unwrap();
    s.wait_attr("secret-status-bank", "class", "badge badge--secret-stored")
        .await;
    s.wait_attr(
        "request-key-status-bank",
        "class",
        "badge badge--secret-missing",
    )
    .await;
    s.client
        .execute(
            "document.querySelector(\"[data-testid='request-key-bank']\").scrollIntoView({block: 'center'})",
            vec![],
        )
        .await
        .unwrap();
    s.screenshot("settings-mutual-tls.png").await;
    s.el("nav-verify").await.click().await.unwrap();
    s.el("new-verification").await.click().await.unwrap();
    let picker = s.el("profile").await.text().await.unwrap();
    assert!(picker.contains("Corporate desk"), "{picker}");
    let saved = desk::SettingsStore::in_dir(&s.config).load().unwrap();
    assert_eq!(
        saved.profile("corp").unwrap().title.as_deref(),
        Some("Corporate desk")
    );

    // Killed while the customer decides: after a restart, History says it never finished.
    s.el("profile")
        .await
        .select_by_value("sandbox")
        .await
        .unwrap();
    s.type_into("identity-input", "19850723-2380").await;
    s.type_into("binding-message", "Killed 1").await;
    s.el("start").await.click().await.unwrap();
    s.wait_attr("status", "data-state", "waiting").await;
    let pid = s.app_pid();
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    let s = s.restart().await;
    s.el("nav-history").await.click().await.unwrap();
    s.wait_attr("history-row-1", "data-id", "7").await;
    let row = s.el("history-row-1").await.text().await.unwrap();
    assert!(row.contains("Interrupted"), "{row}");
    s.el("history-row-1").await.click().await.unwrap();
    s.wait_attr("result", "data-outcome", "interrupted").await;
    s.screenshot("interrupted.png").await;
    s.close().await;
}

/// The administrator's policy file in the real window: with profiles locked the agent gets the
/// policy's profile alone, marked managed, and nothing to add, edit or remove; a policy file
/// that does not parse locks everything and says where the mistake is.
#[tokio::test(flavor = "multi_thread")]
async fn a_locked_policy_in_the_real_window() {
    let policy = testkit::policy::locked_bank();
    let s = Session::start_in(
        |_| {
            let mut own = desk::preset("generic").unwrap();
            own.name = "own".into();
            own.issuer = "https://idp.example.com".into();
            own.client_id = "desk".into();
            vec![own]
        },
        Os {
            policy: Some(policy),
            ..Os::default()
        },
    )
    .await;
    s.el("profile").await;
    assert_eq!(s.offered_profiles().await, serde_json::json!(["bank"]));

    s.el("nav-settings").await.click().await.unwrap();
    let notice = s.el("policy-notice").await.text().await.unwrap();
    assert!(notice.contains("managed by your organisation"), "{notice}");
    s.el("managed-bank").await;
    s.assert_absent(
        &["edit-bank", "remove-bank", "add-preset", "import"],
        "under a locked policy",
    )
    .await;
    s.screenshot("settings-policy.png").await;

    // A mistake in the file: everything locked, the line named.
    let mut s = s;
    s.os.policy = Some("lock_profiles = tru\n".into());
    let s = s.restart().await;
    let banner = s.el("policy-problem").await.text().await.unwrap();
    assert!(banner.contains("1"), "{banner}");
    assert_eq!(s.offered_profiles().await, serde_json::json!([]));
    s.screenshot("policy-broken.png").await;
    s.close().await;
}

/// A phone system's screen-pop link: a second start of the app hands it to the running one and
/// ends; the window opens a new tab with the customer, message and case filled in and the focus
/// on Start, says which part of the link it left out, and sends nothing until the agent starts.
#[tokio::test(flavor = "multi_thread")]
async fn a_screen_pop_link_fills_a_new_tab_and_sends_nothing() {
    let s = Session::start(|_| vec![]).await;
    s.el("identity-input").await;
    let link = "ciba-desk://verify?profile=sandbox&national_id=se:19121212-1212&binding_message=Desk%207&reference=CASE-4711&start=now";
    let mut second = tokio::process::Command::new(window_session::app_binary());
    second
        .arg(link)
        .env("CIBA_DESK_CONFIG_DIR", &s.config)
        .env("CIBA_DESK_DATA_DIR", &s.data)
        .env(
            "CIBA_DESK_POLICY",
            s.config.parent().unwrap().join("policy.toml"),
        )
        .env("HOME", &s.home)
        .kill_on_drop(true);
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), second.status())
        .await
        .expect("the second start hands the link over and ends")
        .unwrap();
    assert!(status.success(), "{status}");

    let value = |id: &'static str| {
        let s = &s;
        async move {
            s.el(id)
                .await
                .prop("value")
                .await
                .unwrap()
                .unwrap_or_default()
        }
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while value("reference").await != "CASE-4711" {
        assert!(
            std::time::Instant::now() < deadline,
            "the link never filled the form"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(value("binding-message").await, "Desk 7");
    assert!(value("identity-input").await.contains("19121212"));
    let problems = s.el("link-problems").await.text().await.unwrap();
    assert!(problems.contains("start"), "{problems}");
    let focused = s
        .client
        .execute(
            "return document.activeElement.getAttribute('data-testid')",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused, "start");
    s.screenshot("screen-pop.png").await;
    // Nothing reached the provider: the link alone never makes a phone buzz.
    let waiting = s.sandbox_requests().await;
    assert_eq!(waiting["requests"], serde_json::json!([]), "{waiting}");
    s.el("start").await.click().await.unwrap();
    s.pending_request().await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_program_on_the_sandbox_port_is_named_and_gets_no_national_id() {
    // Something that is not the sandbox holds its port before the app starts.
    let port = window_session::free_port();
    let squatter = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let heard = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let log = heard.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut c, _)) = squatter.accept().await {
            let mut buf = vec![0u8; 8192];
            let n = c.read(&mut buf).await.unwrap_or(0);
            log.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
            let _ = c
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
        }
    });
    let s = Session::launch(tempfile::tempdir().unwrap(), port, Os::default()).await;
    let notice = s.el("profile-problem").await.text().await.unwrap();
    assert!(
        notice.contains(&port.to_string()) && notice.contains("not the CIBA Desk sandbox"),
        "{notice}"
    );
    s.screenshot("port-taken.png").await;
    s.type_into("identity-input", "19121212-1212").await;
    s.el("start").await.click().await.unwrap();
    // Refused before anything is sent, in words that name the port.
    let refusal = s
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(fantoccini::Locator::Css(
            "[data-testid='form-error'], [data-testid='result'][data-outcome='failed']",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(refusal.contains(&port.to_string()), "{refusal}");
    let heard = heard.lock().unwrap().clone();
    assert!(
        !heard.contains("191212121212"),
        "the number never left: {heard}"
    );
    assert!(!heard.contains("/ciba/auth"), "{heard}");
    s.close().await;
}

/// Asks the app's window to close, as the desktop's close button does.
fn request_close(pid: u32) {
    let desktop = Desktop::open();
    let windows = desktop.windows_of(pid);
    assert!(!windows.is_empty(), "no window of process {pid}");
    for (w, _) in windows {
        desktop.ask_to_close(w);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_with_a_verification_running_asks_and_quitting_cancels_it() {
    let s = Session::start(|_| vec![]).await;
    s.type_into("identity-input", "19121212-1212").await;
    s.type_into("binding-message", "Closing 1").await;
    s.el("start").await.click().await.unwrap();
    s.wait_attr("status", "data-state", "waiting").await;
    s.pending_request().await;

    // The window's close button: the app stays and asks.
    let pid = s.app_pid();
    request_close(pid);
    let dialog = s.el("quit-dialog").await.text().await.unwrap();
    assert!(
        dialog.contains("One verification is still running"),
        "how many are running: {dialog}"
    );
    s.screenshot("quit-dialog.png").await;
    // Keep working: nothing happens to the verification.
    s.el("quit-stay").await.click().await.unwrap();
    s.wait_attr("status", "data-state", "waiting").await;

    // Asked again, the agent quits: the request is withdrawn and recorded, then the app ends.
    request_close(pid);
    // The app may end before WebDriver hears back from the click: its answer proves nothing,
    // the exit and the audit records below do.
    let _ = s.el("quit-confirm").await.click().await;
    wait_for_exit(pid).await;
    let log = desk::audit_trail::open_unkeyed(&s.data.join(desk::paths::AUDIT_FILE), None).unwrap();
    let records = log.recent(10).unwrap();
    let outcomes: Vec<&str> = records.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        ["cancelled", "requested"],
        "recorded before the app ended"
    );
    drop(log);
    s.close().await;
}

async fn wait_for_exit(pid: u32) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        // A zombie waits for its parent; it has stopped all the same.
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if state
            .rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z'))
        {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the app did not end");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn export_asks_where_to_save_in_the_desktops_own_dialog() {
    let s = Session::start(|_| {
        let mut p = desk::preset("idura_se_bankid").unwrap();
        p.name = "bank".into();
        p.client_id = "branch-office".into();
        vec![p]
    })
    .await;
    s.el("nav-settings").await.click().await.unwrap();
    let desktop = Desktop::open();
    let pid = s.app_pid();

    // The agent thinks better of it: the dialog's close button writes nothing and says nothing.
    s.el("export").await.click().await.unwrap();
    let dialog = desktop.window_titled(pid, "Export profiles").await;
    s.screenshot("export-dialog.png").await;
    desktop.ask_to_close(dialog);
    wait_until(Duration::from_secs(20), || {
        desktop.shown_titled(pid, "Export profiles").is_none()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.el("io-status").await.text().await.unwrap(), "");
    assert!(
        found_in(&s.home, "branch-office").is_empty(),
        "nothing written"
    );

    // Again, and Enter saves where the dialog suggests: the agent's home, under a clear name.
    s.el("export").await.click().await.unwrap();
    let dialog = desktop.window_titled(pid, "Export profiles").await;
    desktop.press_enter(dialog);
    let file = s.home.join("ciba-desk-profiles.toml");
    wait_until(Duration::from_secs(20), || file.exists()).await;
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("client_id = \"branch-office\""), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "readable by this account only");
    let said = format!("Profiles saved to {}.", file.display());
    let mut shown = String::new();
    for _ in 0..100 {
        shown = s.el("io-status").await.text().await.unwrap();
        if shown == said {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown, said);
    let focused = s
        .client
        .execute(
            "return document.activeElement?.dataset?.testid ?? null",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        focused, "export",
        "the focus is back on the button, not the page"
    );
    s.close().await;
}

/// A screen of its own with a window manager on it (Openbox), for what only a desktop does:
/// full screen. Xvfb alone has no window manager to grant it. Both end with the value.
struct ScreenWithWindowManager {
    display: String,
    server: std::process::Child,
    manager: std::process::Child,
    _home: tempfile::TempDir,
}

impl ScreenWithWindowManager {
    async fn start(width: u32, height: u32) -> Self {
        use std::io::BufRead;
        let mut server = std::process::Command::new("Xvfb")
            .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0"])
            .arg(format!("{width}x{height}x24"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("Xvfb (scripts/setup.sh installs it)");
        let mut number = String::new();
        std::io::BufReader::new(server.stdout.take().unwrap())
            .read_line(&mut number)
            .unwrap();
        let display = format!(":{}", number.trim());
        let home = tempfile::tempdir().unwrap();
        let manager = std::process::Command::new("openbox")
            .env("DISPLAY", &display)
            .env("HOME", home.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("openbox (scripts/setup.sh installs it)");
        let desktop = Desktop::on(Some(&display));
        wait_until(Duration::from_secs(20), || {
            // SAFETY: the root window of a display this test opened.
            let root = unsafe { (desktop.x.XDefaultRootWindow)(desktop.display) };
            desktop
                .property(root, "_NET_SUPPORTING_WM_CHECK", x11_dl::xlib::XA_WINDOW)
                .is_some()
        })
        .await;
        Self {
            display,
            server,
            manager,
            _home: home,
        }
    }
}

impl Drop for ScreenWithWindowManager {
    fn drop(&mut self) {
        for p in [&mut self.manager, &mut self.server] {
            let _ = p.kill();
            let _ = p.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pickup_qr_fills_the_whole_screen_when_shown_to_the_customer() {
    let (width, height) = (1600, 1000);
    let screen = ScreenWithWindowManager::start(width, height).await;
    let s = Session::start_in(
        pickup_profile,
        Os {
            display: Some(screen.display.clone()),
            ..Os::default()
        },
    )
    .await;
    let desktop = Desktop::on(Some(&screen.display));
    let pid = s.app_pid();
    let window = desktop.window_titled(pid, "CIBA Desk").await;
    let size = |w| {
        let mut a: x11_dl::xlib::XWindowAttributes = unsafe { std::mem::zeroed() };
        // SAFETY: `a` is written by Xlib.
        unsafe { (desktop.x.XGetWindowAttributes)(desktop.display, w, &mut a) };
        (a.width, a.height)
    };
    assert!(
        size(window).0 < width as i32,
        "the window starts smaller than the screen"
    );

    start_pickup(&s).await;
    s.el("qr-fullscreen").await.click().await.unwrap();
    s.el("qr-overlay").await;

    // The window itself goes full screen (not just the page inside it) ...
    wait_until(Duration::from_secs(20), || {
        size(window) == (width as i32, height as i32)
    })
    .await;
    // ... and the code is at least half the screen's shorter side, and still scans.
    let mut side = 0.0;
    for _ in 0..50 {
        let rect = s
            .client
            .execute(
                "const r = document.querySelector(\"[data-testid='qr-overlay-image']\").getBoundingClientRect(); \
                 return [r.width, r.height, document.fullscreenElement?.dataset?.testid ?? null];",
                vec![],
            )
            .await
            .unwrap();
        side = rect[0].as_f64().unwrap().min(rect[1].as_f64().unwrap());
        if rect[2] == "qr-overlay" && side >= f64::from(height) / 2.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        side >= f64::from(height) / 2.0,
        "the code is {side} px on a {width}x{height} screen"
    );
    s.screenshot("pickup-qr-fullscreen.png").await;
    let link = scanned(&s.el("qr-overlay-image").await).await;
    assert!(link.contains("/identity/ciba?requestId="), "{link}");

    // Closed (WebDriver cannot press Esc here: WebKit takes that key to leave full screen
    // before the page sees it, and the page follows with `fullscreenchange`): the window is
    // back to its size, the overlay gone, the focus on the button again.
    s.el("qr-close").await.click().await.unwrap();
    wait_until(Duration::from_secs(20), || size(window).0 < width as i32).await;
    let mut after = json!(null);
    for _ in 0..50 {
        after = s
            .client
            .execute(
                "return [!!document.querySelector(\"[data-testid='qr-overlay']\"), \
                 document.activeElement?.dataset?.testid ?? document.activeElement?.tagName ?? null];",
                vec![],
            )
            .await
            .unwrap();
        if after == json!([false, "qr-fullscreen"]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        after,
        json!([false, "qr-fullscreen"]),
        "the overlay is gone and the focus is back on the button, not the page"
    );
    s.close().await;
}

/// Server mode in the real window: the agent enters the organisation's server in Settings,
/// signs in through the browser (a `BROWSER` program that does what a person does at the
/// provider's login page), sees "Signed in as …" and the server's profiles, verifies a customer
/// through the server, finds the verification in History from the server's audit trail, and
/// signs out. Nothing of the provider's secret or the agent's tokens is on this computer.
#[tokio::test(flavor = "multi_thread")]
async fn server_mode_in_the_real_window() {
    // The server's own test harness: SQLite, the test OP as the organisation's sign-in provider
    // (agent "anna", Anna Agent) and as the customers' CIBA provider (profile "bank").
    let h = server_support::harness_with(server_support::Db::Sqlite, |c, _| {
        c.agents.desktop_client_id = Some(testkit::org_op::DESK_CLIENT.into());
        c.agents.desktop_scopes = vec!["agent".into()];
    })
    .await
    .expect("SQLite needs no cluster");
    let (op, server) = (&h.op, h.base.clone());
    let s = Session::start_in(
        |_| vec![],
        Os {
            env: vec![
                (
                    "BROWSER".into(),
                    format!("node {}", testkit::org_op::browser_helper().display()),
                ),
                ("CIBA_DESK_TEST_AGENT".into(), "anna".into()),
            ],
            ..Os::default()
        },
    )
    .await;
    s.el("identity-input").await;
    s.el("nav-settings").await.click().await.unwrap();
    s.type_into("org-server", &server).await;
    s.el("org-save").await.click().await.unwrap();
    s.wait_attr("org-state", "data-state", "signed_out").await;
    let banner = s.el("org-banner").await.text().await.unwrap();
    assert!(banner.to_lowercase().contains("sign in"), "{banner}");
    s.el("org-sign-in").await.click().await.unwrap();
    s.wait_attr("org-state", "data-state", "signed_in").await;
    // WebKitWebDriver takes a box that clips with an ellipsis for hidden and reads no text
    // from it: asked in the page instead.
    s.el("signed-in-as").await;
    let who = s
        .client
        .execute(
            "const e = document.querySelector(\"[data-testid='signed-in-as']\"); const r = e.getBoundingClientRect(); return r.width > 0 && getComputedStyle(e).visibility === 'visible' ? e.textContent : ''",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        who.as_str().unwrap_or_default().contains("Anna Agent"),
        "{who}"
    );
    s.screenshot("server-mode-settings.png").await;

    // The server's profile, and only it, marked managed; no local profile management.
    s.el("managed-bank").await;
    s.assert_absent(
        &["add-preset", "import", "edit-bank", "remove-bank"],
        "in server mode",
    )
    .await;
    s.el("nav-verify").await.click().await.unwrap();
    assert_eq!(s.offered_profiles().await, json!(["bank"]));

    // A verification through the server, approved on the customer's phone.
    s.type_into("identity-input", "19121212-1212").await;
    s.type_into("binding-message", "Desk 4").await;
    s.type_into("reference", "CASE-77").await;
    s.el("start").await.click().await.unwrap();
    s.wait_attr("status", "data-state", "waiting").await;
    let pending = op.wait_for_pending(server_support::CUSTOMER).await;
    op.approve(&pending).await;
    s.wait_attr("result", "data-outcome", "verified").await;
    s.wait_attr("match", "data-match", "match").await;
    let card = s.el("result").await.text().await.unwrap();
    assert!(
        card.contains("19121212-XXXX") && !card.contains("19121212-1212"),
        "{card}"
    );
    s.screenshot("server-mode-verified.png").await;

    // History from the server's audit trail.
    s.el("nav-history").await.click().await.unwrap();
    let row = s.el("history-row-1").await.text().await.unwrap();
    assert!(
        row.contains("19121212-XXXX") && row.contains("CASE-77"),
        "{row}"
    );
    let kept = s.el("audit-server").await.text().await.unwrap();
    assert!(kept.contains(&server), "{kept}");
    s.screenshot("server-mode-history.png").await;

    // No token and no provider secret on this computer.
    for needle in ["eyJ", testkit::oidc_op::BASIC_CLIENT.1] {
        let hits = found_in(s.config.parent().unwrap(), needle);
        assert!(hits.is_empty(), "{needle} is in {hits:?}");
    }

    // Signing out: the profiles go, the header offers to sign in again.
    s.el("nav-settings").await.click().await.unwrap();
    s.el("org-sign-out").await.click().await.unwrap();
    s.wait_attr("org-state", "data-state", "signed_out").await;
    s.el("header-sign-in").await;
    s.close().await;
}
