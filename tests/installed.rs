//! The app as a package installs it: started through WebDriver from the path in
//! CIBA_DESK_APP_BIN, its window shows the verify form under the product's title, and it ends
//! when the session closes. scripts/package-test.sh runs this against /usr/bin/ciba-desk-app
//! after installing the .deb; the ordinary suite runs it against the release build.
//!
//! Needs what tests/window.rs needs: a display, `tauri-driver` on PATH and WebKitWebDriver.

mod window_session;

use std::time::Duration;

use window_session::desktop::Desktop;
use window_session::{Session, app_binary, wait_until};

const TITLE: &str = "CIBA Desk";

#[tokio::test(flavor = "multi_thread")]
async fn the_installed_app_opens_on_the_verify_form() {
    let s = Session::start(|_| vec![]).await;

    // The verify form: the customer's number and the Start button, on the screen.
    for id in ["identity-input", "start"] {
        let e = s.el(id).await;
        assert!(
            e.is_displayed().await.unwrap(),
            "[data-testid={id}] is hidden"
        );
    }

    // The binary that runs is the one asked for (the installed one in the package test).
    let pid = s.app_pid();
    let running = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    assert_eq!(
        running,
        app_binary().canonicalize().unwrap(),
        "the app runs from another file"
    );

    // The title, in the page and on the desktop's window (what the taskbar shows).
    assert_eq!(s.client.title().await.unwrap(), TITLE);
    let mut titles = vec![];
    for _ in 0..100 {
        titles = window_titles(pid);
        if titles.iter().any(|t| t == TITLE) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        titles.iter().any(|t| t == TITLE),
        "no window titled {TITLE:?}: {titles:?}"
    );

    // Closing the session ends the app.
    s.close().await;
    wait_until(Duration::from_secs(20), || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
            // A zombie waits for its parent; it has ended all the same.
            stat.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
    })
    .await;
}

/// The titles (`_NET_WM_NAME`) of the X windows of process `pid` on DISPLAY.
fn window_titles(pid: u32) -> Vec<String> {
    Desktop::open()
        .windows_of(pid)
        .into_iter()
        .map(|(_, title)| title)
        .filter(|t| !t.is_empty())
        .collect()
}
