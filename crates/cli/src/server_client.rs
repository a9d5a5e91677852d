//! The organisation's `ciba-desk-server`, seen from the command line: the desk's own client
//! for its API, with the agent's access token from the environment or a file, and its
//! failures turned into the command line's exit codes.

use std::time::Duration;

use ciba::{ExposeSecret, SecretString};
use desk::DeskError;
use desk::org::{EventStream, ServerClient as Api};
use serde_json::Value;

use crate::exit;
use crate::output::Failure;

/// The environment variable holding the agent's access token.
pub const TOKEN_ENV: &str = "CIBA_DESK_TOKEN";

pub struct ServerClient {
    api: Api,
    token: SecretString,
}

/// What a server failure means for a script: the server said no (exit 8), the request was
/// wrong (exit 2), or it could not be reached (exit 4).
fn failure(e: DeskError) -> Failure {
    let report = e.report();
    match &e {
        DeskError::SessionExpired => Failure::new(
            exit::SERVER_REFUSED,
            "refused",
            "not_signed_in",
            format!(
                "the server did not accept the access token: sign in again and put the new one in {TOKEN_ENV} or the --token-file"
            ),
        ),
        DeskError::ServerRefused { status, .. } => match status {
            400 => {
                let mut f = Failure::usage(report.code, report.message);
                f.field = report.field;
                f
            }
            404 => Failure::usage(report.code, report.message),
            401 | 403 | 409 | 429 => {
                Failure::new(exit::SERVER_REFUSED, "refused", report.code, report.message)
            }
            _ => Failure::new(exit::PROVIDER, "failed", report.code, report.message),
        },
        DeskError::Ciba(_) => Failure::usage(report.code, format!("--server: {}", report.message)),
        _ => Failure::new(exit::PROVIDER, "failed", report.code, report.message),
    }
}

impl ServerClient {
    pub fn new(url: &str, token: Option<SecretString>, timeout: Duration) -> Result<Self, Failure> {
        let api = Api::new(url, timeout).map_err(failure)?;
        let token = token.ok_or_else(|| {
            Failure::new(
                exit::SERVER_REFUSED,
                "refused",
                "not_signed_in",
                format!("sign in first: put your access token in {TOKEN_ENV} or a file named by --token-file"),
            )
        })?;
        Ok(Self { api, token })
    }

    /// `CIBA_DESK_TOKEN`, or the file `path` names.
    pub fn token(path: Option<&std::path::Path>) -> Result<Option<SecretString>, Failure> {
        if let Some(p) = path {
            let text = std::fs::read_to_string(p).map_err(|e| {
                Failure::usage(
                    "io_error",
                    format!("cannot read the token file {}: {e}", p.display()),
                )
            })?;
            return Ok(Some(SecretString::from(text.trim().to_owned()))
                .filter(|t| !t.expose_secret().is_empty()));
        }
        Ok(std::env::var(TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .map(|t| SecretString::from(t.trim().to_owned())))
    }

    /// The server's profiles, as its API lists them.
    pub async fn profiles(&self) -> Result<Vec<Value>, Failure> {
        self.api.profiles(&self.token).await.map_err(failure)
    }

    /// Starts a verification; the verification object the server answers with.
    pub async fn start(&self, body: &Value) -> Result<Value, Failure> {
        self.api.start(&self.token, body).await.map_err(failure)
    }

    pub async fn cancel(&self, id: &str) -> Result<(), Failure> {
        self.api.cancel(&self.token, id).await.map_err(failure)
    }

    /// The verification's event stream: each `state` event's data, as it arrives.
    pub async fn events(&self, id: &str) -> Result<States, Failure> {
        Ok(States(
            self.api.events(&self.token, id).await.map_err(failure)?,
        ))
    }
}

pub struct States(EventStream);

impl States {
    /// The next `state` event's JSON; `None` when the server closed the stream.
    pub async fn next(&mut self) -> Result<Option<Value>, Failure> {
        self.0.next().await.map_err(failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback_and_a_token_is_needed() {
        let t = || Some(SecretString::from("t".to_owned()));
        let d = Duration::from_secs(1);
        let e = ServerClient::new("http://desk.example.com", t(), d)
            .err()
            .unwrap();
        assert_eq!(e.exit, exit::USAGE);
        assert!(ServerClient::new("http://127.0.0.1:8480", t(), d).is_ok());
        let e = ServerClient::new("https://desk.example.com", None, d)
            .err()
            .unwrap();
        assert_eq!(e.exit, exit::SERVER_REFUSED);
        assert!(e.message.contains(TOKEN_ENV));
    }
}
