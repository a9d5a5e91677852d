//! Opening the agent's own browser at the sign-in page: never a page inside the app, so the
//! app never sees the agent's password (RFC 8252 §8.12).
//!
//! `BROWSER` (the usual Unix variable: a command, or several separated by `:`, the first of
//! which is used) wins; otherwise the desktop's opener.

use std::process::{Command, Stdio};

use url::Url;

use crate::error::{DeskError, Result};

/// Starts the browser and returns without waiting for it.
pub fn open(url: &Url) -> Result<()> {
    let mut cmd = match std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty())
    {
        Some(b) => {
            let first = b.split(':').next().unwrap_or_default().trim().to_owned();
            let mut words = first.split_whitespace();
            let program = words.next().unwrap_or_default().to_owned();
            let mut c = Command::new(program);
            c.args(words);
            c
        }
        None => system_opener(),
    };
    cmd.arg(url.as_str())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd
        .spawn()
        .map_err(|e| DeskError::NoBrowser(e.to_string()))?;
    // Reaped in the background, so no finished opener lingers as a zombie.
    std::thread::spawn(move || child.wait());
    Ok(())
}

#[cfg(target_os = "macos")]
fn system_opener() -> Command {
    Command::new("open")
}

#[cfg(target_os = "windows")]
fn system_opener() -> Command {
    let mut c = Command::new("rundll32");
    c.arg("url.dll,FileProtocolHandler");
    c
}

#[cfg(not(any(target_os = "macos", target_os = "windows")))]
fn system_opener() -> Command {
    Command::new("xdg-open")
}
