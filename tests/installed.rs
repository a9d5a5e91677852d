//! The app as a package installs it: started through WebDriver from the path in
//! CIBA_DESK_APP_BIN, its window shows the verify form under the product's title, and it ends
//! when the session closes. scripts/package-test.sh runs this against /usr/bin/ciba-desk-app
//! after installing the .deb; the ordinary suite runs it against the release build.
//!
//! Needs what tests/window.rs needs: a display, `tauri-driver` on PATH and WebKitWebDriver.

mod window_session;

use std::time::Duration;

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
    use x11_dl::xlib;
    let x = xlib::Xlib::open().expect("libX11");
    // SAFETY: the display opened here is closed below; X errors (a window that vanishes while it
    // is read) are ignored rather than ending the test process; Xlib fills every out-parameter,
    // and what it returns is copied and then freed with XFree.
    unsafe {
        (x.XSetErrorHandler)(Some(ignore_x_error));
        let display = (x.XOpenDisplay)(std::ptr::null());
        assert!(!display.is_null(), "no X display");
        let atom = |name: &str| {
            let name = std::ffi::CString::new(name).unwrap();
            (x.XInternAtom)(display, name.as_ptr(), xlib::False)
        };
        let property = |w: xlib::Window, name: &str, kind: std::ffi::c_ulong| {
            let (mut actual, mut format, mut items, mut after, mut data) =
                (0, 0, 0, 0, std::ptr::null_mut());
            let got = (x.XGetWindowProperty)(
                display,
                w,
                atom(name),
                0,
                1024,
                xlib::False,
                kind,
                &mut actual,
                &mut format,
                &mut items,
                &mut after,
                &mut data,
            );
            if got != 0 || data.is_null() {
                return None;
            }
            // Format 32 comes back as C longs, whatever their size.
            let unit = match format {
                8 => 1,
                16 => 2,
                _ => std::mem::size_of::<std::ffi::c_long>(),
            };
            let bytes = std::slice::from_raw_parts(data, items as usize * unit).to_vec();
            (x.XFree)(data.cast());
            Some(bytes)
        };
        let mut titles = vec![];
        let mut pending = vec![(x.XDefaultRootWindow)(display)];
        while let Some(w) = pending.pop() {
            let (mut root, mut parent, mut children, mut n) = (0, 0, std::ptr::null_mut(), 0u32);
            if (x.XQueryTree)(display, w, &mut root, &mut parent, &mut children, &mut n) != 0
                && !children.is_null()
            {
                pending.extend(std::slice::from_raw_parts(children, n as usize));
                (x.XFree)(children.cast());
            }
            let owner = property(w, "_NET_WM_PID", xlib::XA_CARDINAL).and_then(|b| {
                b.get(..4)
                    .map(|b| u32::from_ne_bytes(b.try_into().unwrap()))
            });
            if owner == Some(pid)
                && let Some(title) = property(w, "_NET_WM_NAME", atom("UTF8_STRING"))
            {
                titles.push(String::from_utf8_lossy(&title).into_owned());
            }
        }
        (x.XCloseDisplay)(display);
        titles
    }
}

unsafe extern "C" fn ignore_x_error(
    _: *mut x11_dl::xlib::Display,
    _: *mut x11_dl::xlib::XErrorEvent,
) -> std::ffi::c_int {
    0
}
