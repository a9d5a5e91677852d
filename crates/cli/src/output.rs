//! Output shared by the subcommands: progress and warnings on stderr, results on stdout, the
//! one JSON shape of a failure, and the customer link as a terminal QR code.

use serde_json::{Value, json};

/// A progress line on stderr.
pub fn progress(line: impl AsRef<str>) {
    eprintln!("{}", printable(line.as_ref()));
}

pub fn warn(message: impl AsRef<str>) {
    eprintln!("warning: {}", printable(message.as_ref()));
}

pub fn error(message: impl AsRef<str>) {
    eprintln!("error: {}", printable(message.as_ref()));
}

/// Lines carry text from providers and their tokens (names, descriptions): a control
/// character there could move the cursor, rewrite what the agent sees or set the window
/// title, so each becomes a space. (JSON output escapes them by itself.)
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

/// One JSON document on stdout, on one line.
pub fn json_line(v: &Value) {
    println!("{v}");
}

pub fn json_pretty(v: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("a Value serialises")
    );
}

/// How a command failed: the exit code, the `status` word, a stable code and a sentence.
#[derive(Debug, Clone)]
pub struct Failure {
    pub exit: u8,
    pub status: &'static str,
    pub code: String,
    pub message: String,
    /// The provider's own description, when it gave one (else the message).
    pub description: Option<String>,
    /// The input field at fault.
    pub field: Option<desk::ErrorField>,
}

impl Failure {
    pub fn new(
        exit: u8,
        status: &'static str,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            exit,
            status,
            code: code.into(),
            message: message.into(),
            description: None,
            field: None,
        }
    }

    /// A usage or configuration problem: nothing was sent.
    pub fn usage(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(crate::exit::USAGE, "failed", code, message)
    }

    /// How a verification, or the command before it, ended with `e`.
    pub fn from_desk(e: &desk::DeskError) -> Self {
        let outcome = crate::exit::outcome_of(e);
        let report = e.report();
        let mut f = Self::new(
            crate::exit::for_outcome(outcome),
            outcome.status_word(),
            report.code,
            report.message,
        );
        f.description = match e {
            desk::DeskError::Ciba(c) => c.provider_error().and_then(|p| p.description.clone()),
            _ => None,
        };
        f.field = report.field;
        f
    }

    pub fn from_ciba(e: ciba::CibaError) -> Self {
        Self::from_desk(&e.into())
    }

    /// `<status>: <message>` on stderr, the JSON object on stdout when asked; the exit code.
    pub fn report(&self, json_out: bool) -> u8 {
        eprintln!("{}: {}", self.status, self.message);
        if json_out {
            let mut v = json!({
                "status": self.status,
                "error": self.code,
                "error_description": self.description.as_deref().unwrap_or(&self.message),
            });
            if let Some(f) = self.field {
                v["field"] = json!(f);
            }
            json_line(&v);
        }
        self.exit
    }
}

/// The customer link as a QR code of Unicode half blocks, light modules drawn, for terminals
/// with a dark background (phone scanners read the inverse too).
pub fn terminal_qr(data: &str) -> Option<String> {
    use qrcode::QrCode;
    use qrcode::render::unicode::Dense1x2;
    let code = QrCode::new(data.as_bytes()).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_lines_carry_no_control_characters() {
        assert_eq!(printable("Tolvan\u{1b}[2J\u{7}"), "Tolvan [2J ");
        assert_eq!(printable("plain"), "plain");
    }

    #[test]
    fn qr_codes_render_as_text() {
        let qr = terminal_qr("https://example.com/identity/ciba?requestId=abc").unwrap();
        assert!(qr.lines().count() > 10);
        assert!(qr.contains('█') || qr.contains('▀') || qr.contains('▄'));
    }
}
