//! The desktop in server mode, through the application layer its window calls, against a real
//! server (SQLite) and panva's oidc-provider as both the organisation's sign-in provider and the
//! customers' CIBA provider. The agent signs in through a `BROWSER` program that does what a
//! person does at the provider's login page, over HTTP.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use desk::api::{
    App, AppOptions, HistoryQuery, OrganisationState, VerificationRequest, VerificationUpdate,
};
use desk::{Settings, SettingsStore};
use secrecy::ExposeSecret as _;
use secrets::{EntryName, SecretStore};
use support::{CUSTOMER, Db, Harness, harness_with};
use testkit::org_op::{DESK_CLIENT, browser_helper};

async fn server_with_desktop_sign_in() -> Option<Harness> {
    harness_with(Db::Sqlite, |c, _| {
        c.agents.desktop_client_id = Some(DESK_CLIENT.into());
        c.agents.desktop_scopes = vec!["agent".into()];
    })
    .await
}

/// A desktop whose settings name `server`, with its own settings folder and keyring.
fn desktop(server: &str, keyring: &SecretStore, dir: &std::path::Path) -> App {
    let mut settings = Settings::default();
    settings.preferences.server_url = Some(server.to_owned());
    let mut o = AppOptions::new(SettingsStore::in_dir(dir), settings);
    o.keyring = Some(keyring.clone());
    o.audit_path = Some(dir.join("audit.sqlite3"));
    App::new(o)
}

/// The agent `sub` signs in when the app opens the browser.
fn browser_signs_in_as(sub: &str) {
    // Each test runs in a process of its own (nextest), so the variables are this test's.
    unsafe {
        std::env::set_var("BROWSER", format!("node {}", browser_helper().display()));
        std::env::set_var("CIBA_DESK_TEST_AGENT", sub);
    }
}

fn request(reference: &str) -> VerificationRequest {
    VerificationRequest {
        profile: "bank".into(),
        identity: "se:19121212-1212".into(),
        binding_message: Some("Desk 4".into()),
        call_initiator: None,
        reference: Some(reference.into()),
    }
}

/// The organisation view once it is in `state` (or as it is after 20 s).
async fn state_becomes(app: &App, state: OrganisationState) -> desk::api::OrganisationView {
    let mut view = app.organisation();
    for _ in 0..100 {
        if view.state == state {
            break;
        }
        view = app
            .wait_organisation(view.version, Duration::from_millis(200))
            .await;
    }
    assert_eq!(view.state, state, "{view:?}");
    view
}

type Updates = Arc<Mutex<Vec<VerificationUpdate>>>;

async fn final_update(updates: &Updates) -> VerificationUpdate {
    for _ in 0..600 {
        if let Some(u) = updates.lock().unwrap().last().cloned()
            && !matches!(
                u,
                VerificationUpdate::Requesting { .. } | VerificationUpdate::Waiting { .. }
            )
        {
            return u;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no final update: {:?}", updates.lock().unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_signs_in_verifies_through_the_server_and_signs_out() {
    let Some(h) = server_with_desktop_sign_in().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let keyring = SecretStore::in_memory();
    let app = desktop(&h.base, &keyring, dir.path());

    // Before signing in: server mode, nothing to verify with, nothing runs on this computer.
    let view = app.organisation();
    assert_eq!(view.state, OrganisationState::SignedOut);
    assert_eq!(view.server_url.as_deref(), Some(h.base.as_str()));
    assert!(
        app.list_profiles().await.is_empty(),
        "no local profiles in server mode"
    );
    let e = app
        .start_for_screen(request("CASE-0"), |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "not_signed_in");

    browser_signs_in_as("anna");
    let view = app.sign_in().await.unwrap();
    assert_eq!(view.state, OrganisationState::SignedIn);
    assert_eq!(view.agent_name.as_deref(), Some("Anna Agent"));
    let profiles = app.list_profiles().await;
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0].name, "bank");
    assert!(profiles[0].managed);
    // The form is checked as the agent types, by the rules the server's profile shows.
    let check = app.check_identity("bank", "19121212-1213").unwrap();
    assert_eq!(check.error.unwrap().code, "national_id_check_digit");
    assert!(app.check_identity("bank", "19121212-1212").unwrap().ok);
    assert!(app.check_binding_message("bank", "Desk 4").unwrap().ok);
    // The refresh token is in the keyring, the access token nowhere but in memory.
    let kept = keyring
        .get(&EntryName::sign_in_refresh_token())
        .await
        .expect("the sign-in is kept in the keyring");
    assert!(
        kept.expose_secret().contains(DESK_CLIENT),
        "bound to the sign-in it is for"
    );
    assert!(
        !std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| std::fs::read(e.unwrap().path()).ok())
            .any(|bytes| String::from_utf8_lossy(&bytes).contains("eyJ")),
        "no token on disk"
    );

    // A verification through the server, approved on the customer's phone.
    let updates: Updates = Arc::default();
    let sink = updates.clone();
    let id = app
        .start_for_screen(request("CASE-17"), move |u| sink.lock().unwrap().push(u))
        .await
        .unwrap();
    assert!(id.parse::<u64>().is_err(), "the server's id: {id}");
    let pending = h.op.wait_for_pending(CUSTOMER).await;
    h.op.approve(&pending).await;
    let VerificationUpdate::Verified {
        identity,
        identity_match,
        ..
    } = final_update(&updates).await
    else {
        panic!("{:?}", updates.lock().unwrap());
    };
    assert_eq!(
        identity.national_id_masked.as_deref(),
        Some("19121212-XXXX")
    );
    assert_eq!(identity_match, desk::api::MatchWord::Match);

    // History comes from the server's audit trail: this agent's verification, with its case.
    let page = app
        .history_page(&HistoryQuery {
            limit: 20,
            before: None,
            search: "case-17".into(),
        })
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 1, "{page:?}");
    let e = &page.entries[0];
    assert_eq!(e.masked_identity, "19121212-XXXX");
    assert_eq!(e.os_user, "Anna Agent");
    assert!(e.result.is_some(), "this run's result card is kept");
    let status = app.audit_status().await.unwrap();
    assert_eq!(status.server.as_deref(), Some(h.base.as_str()));

    // A second desktop of the same agent (the app restarted) signs in again by itself.
    let again = desktop(&h.base, &keyring, dir.path());
    again.resume_sign_in();
    let view = state_becomes(&again, OrganisationState::SignedIn).await;
    assert_eq!(view.state, OrganisationState::SignedIn, "{view:?}");
    assert_eq!(view.agent_name.as_deref(), Some("Anna Agent"));

    // Signing out forgets both tokens.
    let view = app.sign_out().await.unwrap();
    assert_eq!(view.state, OrganisationState::SignedOut);
    assert!(app.list_profiles().await.is_empty());
    assert!(
        keyring
            .get(&EntryName::sign_in_refresh_token())
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_sign_in_and_a_server_that_went_away_are_named() {
    let Some(h) = server_with_desktop_sign_in().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let keyring = SecretStore::in_memory();
    let app = desktop(&h.base, &keyring, dir.path());

    browser_signs_in_as("anna");
    h.op.deny_next_login().await;
    let e = app.sign_in().await.unwrap_err();
    assert_eq!(e.code(), "sign_in_failed");
    assert!(e.to_string().contains("refused or cancelled"), "{e}");
    let view = app.organisation();
    assert_eq!(view.state, OrganisationState::SignedOut);
    assert_eq!(view.problem.unwrap().code, "sign_in_failed");

    // A server address nothing answers at.
    let port = support::free_port();
    let gone = desktop(&format!("http://127.0.0.1:{port}"), &keyring, dir.path());
    let e = gone.sign_in().await.unwrap_err();
    assert_eq!(e.code(), "server_unreachable");
    assert_eq!(gone.organisation().state, OrganisationState::Unreachable);
    // Plain HTTP is for this computer only.
    let e = app
        .set_server(Some("http://desk.example.com".into()))
        .unwrap_err();
    assert_eq!(e.code(), "insecure_url");
}

/// A way to the server that the test can cut and restore, as a network does.
struct Link {
    port: u16,
    target: String,
    tasks: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Link {
    async fn to(target: &str) -> Link {
        let port = support::free_port();
        let link = Link {
            port,
            target: target.trim_start_matches("http://").to_owned(),
            tasks: Arc::default(),
        };
        link.restore().await;
        link
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn restore(&self) {
        let listener = loop {
            match tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        let (target, tasks) = (self.target.clone(), self.tasks.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                let target = target.clone();
                let conn = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(conn.abort_handle());
            }
        });
        self.tasks.lock().unwrap().push(accept.abort_handle());
    }

    /// Every open connection dropped, and nothing answers any more.
    fn cut(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }
}

/// The server goes out of reach while a customer is being asked: the desktop says so and
/// starts nothing new; the verification goes on at the server, and once the server answers
/// again the desktop follows it to its end.
#[tokio::test(flavor = "multi_thread")]
async fn a_verification_is_followed_again_when_the_server_answers_again() {
    let Some(h) = server_with_desktop_sign_in().await else {
        return;
    };
    let link = Link::to(&h.base).await;
    let dir = tempfile::tempdir().unwrap();
    let keyring = SecretStore::in_memory();
    let app = desktop(&link.base(), &keyring, dir.path());
    browser_signs_in_as("anna");
    app.sign_in().await.unwrap();

    let updates: Updates = Arc::default();
    let sink = updates.clone();
    app.start_for_screen(request("CASE-9"), move |u| sink.lock().unwrap().push(u))
        .await
        .unwrap();
    let pending = h.op.wait_for_pending(CUSTOMER).await;

    link.cut();
    let view = state_becomes(&app, OrganisationState::Unreachable).await;
    assert_eq!(view.state, OrganisationState::Unreachable, "{view:?}");
    let problem = view.problem.unwrap();
    assert_eq!(problem.code, "server_unreachable");
    let e = app
        .start_for_screen(request("CASE-10"), |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "server_unreachable");

    // The customer approves while the desktop cannot see the server.
    h.op.approve(&pending).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !updates
            .lock()
            .unwrap()
            .iter()
            .any(|u| matches!(u, VerificationUpdate::Verified { .. })),
        "nothing can arrive while cut off"
    );

    link.restore().await;
    let VerificationUpdate::Verified { .. } = final_update(&updates).await else {
        panic!("{:?}", updates.lock().unwrap());
    };
    let view = state_becomes(&app, OrganisationState::SignedIn).await;
    assert_eq!(view.state, OrganisationState::SignedIn, "{view:?}");
    assert!(view.problem.is_none());
}
