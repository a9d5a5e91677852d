//! The organisation's `ciba-desk-server`, seen from the command line: start a verification,
//! follow its states on the server's event stream, cancel it. HTTPS only, except loopback.

use std::time::Duration;

use ciba::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

use crate::exit;
use crate::output::Failure;

/// The environment variable holding the agent's access token.
pub const TOKEN_ENV: &str = "CIBA_DESK_TOKEN";

pub struct ServerClient {
    http: reqwest::Client,
    base: Url,
    token: SecretString,
    timeout: Duration,
}

fn refused(code: impl Into<String>, message: impl Into<String>) -> Failure {
    Failure::new(exit::SERVER_REFUSED, "refused", code, message)
}

fn unreachable(base: &Url, e: impl std::fmt::Display) -> Failure {
    Failure::new(
        exit::PROVIDER,
        "failed",
        "server_unreachable",
        format!(
            "the server at {} did not answer: {e}",
            base.origin().ascii_serialization()
        ),
    )
}

impl ServerClient {
    pub fn new(url: &str, token: Option<SecretString>, timeout: Duration) -> Result<Self, Failure> {
        let base = Url::parse(url.trim_end_matches('/')).map_err(|e| {
            Failure::usage(
                "invalid_configuration",
                format!("--server is not a URL: {e}"),
            )
        })?;
        ciba::require_secure(&base)
            .map_err(|e| Failure::usage("insecure_url", format!("--server: {e}")))?;
        let token = token.ok_or_else(|| {
            Failure::new(
                exit::SERVER_REFUSED,
                "refused",
                "not_signed_in",
                format!("sign in first: put your access token in {TOKEN_ENV} or a file named by --token-file"),
            )
        })?;
        let mut builder = ciba::pin_localhost(reqwest::Client::builder())
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none());
        if ciba::loopback_addr(&base).is_some() {
            // Never through a proxy: the token would travel in clear to it.
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| Failure::usage("invalid_configuration", e.to_string()))?;
        Ok(Self {
            http,
            base,
            token,
            timeout,
        })
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

    fn url(&self, path: &str) -> Url {
        let mut u = self.base.clone();
        u.set_path(&format!("{}{path}", self.base.path().trim_end_matches('/')));
        u
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, Failure> {
        let resp = req
            .bearer_auth(self.token.expose_secret())
            .send()
            .await
            .map_err(|e| unreachable(&self.base, e.without_url()))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let code = body["code"].as_str().unwrap_or("server_error").to_owned();
        let message = body["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("the server answered {status}"));
        Err(match status.as_u16() {
            400 => {
                let mut f = Failure::usage(code, message);
                f.field = serde_json::from_value(body["field"].clone()).ok();
                f
            }
            401 | 403 | 409 | 429 => refused(code, message),
            404 => Failure::usage(code, message),
            _ => Failure::new(exit::PROVIDER, "failed", code, message),
        })
    }

    /// The server's profiles, as its API lists them.
    pub async fn profiles(&self) -> Result<Vec<Value>, Failure> {
        let resp = self
            .send(
                self.http
                    .get(self.url("/api/v1/profiles"))
                    .timeout(self.timeout),
            )
            .await?;
        resp.json()
            .await
            .map_err(|e| unreachable(&self.base, e.without_url()))
    }

    /// Starts a verification; the verification object the server answers with.
    pub async fn start(&self, body: &Value) -> Result<Value, Failure> {
        let resp = self
            .send(
                self.http
                    .post(self.url("/api/v1/verifications"))
                    .timeout(self.timeout)
                    .json(body),
            )
            .await?;
        resp.json()
            .await
            .map_err(|e| unreachable(&self.base, e.without_url()))
    }

    pub async fn cancel(&self, id: &str) -> Result<(), Failure> {
        self.send(
            self.http
                .delete(self.url(&format!("/api/v1/verifications/{id}")))
                .timeout(self.timeout),
        )
        .await
        .map(drop)
    }

    /// The verification's event stream: each `state` event's data, as it arrives.
    pub async fn events(&self, id: &str) -> Result<EventStream, Failure> {
        let resp = self
            .send(
                self.http
                    .get(self.url(&format!("/api/v1/verifications/{id}/events")))
                    .header(reqwest::header::ACCEPT, "text/event-stream"),
            )
            .await?;
        Ok(EventStream {
            resp,
            buffer: String::new(),
            base: self.base.clone(),
        })
    }
}

pub struct EventStream {
    resp: reqwest::Response,
    buffer: String,
    base: Url,
}

impl EventStream {
    /// The next `state` event's JSON; `None` when the server closed the stream.
    pub async fn next(&mut self) -> Result<Option<Value>, Failure> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(state) = state_of(&block) {
                    return Ok(Some(state));
                }
            }
            match self.resp.chunk().await {
                Ok(Some(bytes)) => self
                    .buffer
                    .push_str(&String::from_utf8_lossy(&bytes).replace("\r\n", "\n")),
                Ok(None) => return Ok(None),
                Err(e) => return Err(unreachable(&self.base, e.without_url())),
            }
        }
    }
}

/// The data of an `event: state` block.
fn state_of(block: &str) -> Option<Value> {
    let mut event = "message";
    let mut data = String::new();
    for line in block.lines() {
        if let Some(e) = line.strip_prefix("event:") {
            event = e.trim();
        } else if let Some(d) = line.strip_prefix("data:") {
            data.push_str(d.strip_prefix(' ').unwrap_or(d));
        }
    }
    (event == "state").then(|| serde_json::from_str(&data).ok())?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_events_are_read_and_others_skipped() {
        assert_eq!(
            state_of("event: state\ndata: {\"state\":\"requesting\"}\n\n"),
            Some(serde_json::json!({"state": "requesting"}))
        );
        assert_eq!(state_of(": keep-alive\n\n"), None);
        assert_eq!(state_of("event: other\ndata: {}\n\n"), None);
    }

    #[test]
    fn plain_http_only_to_loopback_and_a_token_is_needed() {
        let t = || Some(SecretString::from("t".to_owned()));
        let d = Duration::from_secs(1);
        assert!(ServerClient::new("http://desk.example.com", t(), d).is_err());
        assert!(ServerClient::new("http://127.0.0.1:8480", t(), d).is_ok());
        let e = ServerClient::new("https://desk.example.com", None, d)
            .err()
            .unwrap();
        assert_eq!(e.exit, exit::SERVER_REFUSED);
        assert!(e.message.contains(TOKEN_ENV));
    }
}
