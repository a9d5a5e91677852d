//! The organisation's `ciba-desk-server`, as its HTTP API answers: the sign-in it asks for,
//! its profiles, verifications (started, followed on the event stream, cancelled) and the
//! agent's own audit records. HTTPS only, except loopback; never through a proxy to this
//! computer (the token would travel in clear to it).

use std::time::Duration;

use ciba::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::error::{DeskError, ErrorReport, Result};

/// The sign-in a server asks its agents for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SignInOffer {
    pub issuer: String,
    pub client_id: String,
    /// Asked for besides `openid`.
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ServerClient {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
}

impl ServerClient {
    pub fn new(url: &str, timeout: Duration) -> Result<Self> {
        let base = Url::parse(url.trim().trim_end_matches('/')).map_err(|e| {
            DeskError::Ciba(ciba::CibaError::InvalidConfiguration(format!(
                "the server address {url:?} is not a URL: {e}"
            )))
        })?;
        ciba::require_secure(&base)?;
        let mut builder = ciba::pin_localhost(reqwest::Client::builder())
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none());
        if ciba::loopback_addr(&base).is_some() {
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| {
            DeskError::Ciba(ciba::CibaError::InvalidConfiguration(format!(
                "HTTP client: {e}"
            )))
        })?;
        Ok(Self {
            http,
            base,
            timeout,
        })
    }

    /// `https://host[:port]`, for messages.
    pub fn origin(&self) -> String {
        self.base.origin().ascii_serialization()
    }

    /// The address as given (without a trailing slash).
    pub fn address(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn url(&self, path: &str) -> Url {
        let mut u = self.base.clone();
        u.set_path(&format!("{}{path}", self.base.path().trim_end_matches('/')));
        u
    }

    fn unreachable(&self, e: impl std::fmt::Display) -> DeskError {
        DeskError::ServerUnreachable {
            server: self.origin(),
            reason: e.to_string(),
        }
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        token: Option<&SecretString>,
    ) -> Result<reqwest::Response> {
        let req = match token {
            Some(t) => req.bearer_auth(t.expose_secret()),
            None => req,
        };
        let resp = req
            .send()
            .await
            .map_err(|e| self.unreachable(e.without_url()))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        if status == 401 {
            return Err(DeskError::SessionExpired);
        }
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let code = body["code"].as_str().unwrap_or("server_error").to_owned();
        let message = body["message"]
            .as_str()
            .map(ciba::provider_text)
            .unwrap_or_else(|| format!("it answered HTTP {status}"));
        if status == 503 || (status >= 500 && body["code"].as_str().is_none()) {
            // Down, shutting down, or its database is: worth waiting for, like no answer. (A
            // provider's failure comes as a 502 with its code: the server itself answered.)
            return Err(self.unreachable(message));
        }
        let mut report = ErrorReport::new(code, message);
        report.field = serde_json::from_value(body["field"].clone()).ok();
        if let Some(params) = body["params"].as_object() {
            report.params = params
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), serde_json::from_value(v.clone()).ok()?)))
                .collect();
        }
        Err(DeskError::ServerRefused { status, report })
    }

    async fn json<T: serde::de::DeserializeOwned>(&self, resp: reqwest::Response) -> Result<T> {
        resp.json().await.map_err(|e| {
            self.unreachable(format!("its answer could not be read: {}", e.without_url()))
        })
    }

    /// `GET /healthz`: whether the server answers at all.
    pub async fn health(&self) -> Result<()> {
        self.send(
            self.http.get(self.url("/healthz")).timeout(self.timeout),
            None,
        )
        .await
        .map(drop)
    }

    /// The sign-in the server asks for (no token needed).
    pub async fn sign_in_offer(&self) -> Result<SignInOffer> {
        let resp = self
            .send(
                self.http
                    .get(self.url("/api/v1/sign-in"))
                    .timeout(self.timeout),
                None,
            )
            .await?;
        self.json(resp).await
    }

    /// The server's profiles, as its API lists them.
    pub async fn profiles<T: serde::de::DeserializeOwned>(
        &self,
        token: &SecretString,
    ) -> Result<Vec<T>> {
        let resp = self
            .send(
                self.http
                    .get(self.url("/api/v1/profiles"))
                    .timeout(self.timeout),
                Some(token),
            )
            .await?;
        self.json(resp).await
    }

    /// Starts a verification; the verification object the server answers with.
    pub async fn start(&self, token: &SecretString, body: &Value) -> Result<Value> {
        let resp = self
            .send(
                self.http
                    .post(self.url("/api/v1/verifications"))
                    .timeout(self.timeout)
                    .json(body),
                Some(token),
            )
            .await?;
        self.json(resp).await
    }

    pub async fn cancel(&self, token: &SecretString, id: &str) -> Result<()> {
        self.send(
            self.http
                .delete(self.url(&format!("/api/v1/verifications/{id}")))
                .timeout(self.timeout),
            Some(token),
        )
        .await
        .map(drop)
    }

    /// This agent's audit records, newest first (`until`: RFC 3339, exclusive).
    pub async fn own_audit(
        &self,
        token: &SecretString,
        limit: usize,
        until: Option<&str>,
    ) -> Result<Vec<Value>> {
        let mut url = self.url("/api/v1/audit");
        url.query_pairs_mut()
            .append_pair("limit", &limit.to_string());
        if let Some(u) = until {
            url.query_pairs_mut().append_pair("until", u);
        }
        let resp = self
            .send(self.http.get(url).timeout(self.timeout), Some(token))
            .await?;
        self.json(resp).await
    }

    /// The verification's event stream: each `state` event's data, as it arrives.
    pub async fn events(&self, token: &SecretString, id: &str) -> Result<EventStream> {
        let resp = self
            .send(
                self.http
                    .get(self.url(&format!("/api/v1/verifications/{id}/events")))
                    .header(reqwest::header::ACCEPT, "text/event-stream"),
                Some(token),
            )
            .await?;
        Ok(EventStream {
            resp,
            buffer: String::new(),
            client: self.clone(),
        })
    }
}

pub struct EventStream {
    resp: reqwest::Response,
    buffer: String,
    client: ServerClient,
}

impl EventStream {
    /// The next `state` event's JSON; `None` when the server closed the stream.
    pub async fn next(&mut self) -> Result<Option<Value>> {
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
                Err(e) => return Err(self.client.unreachable(e.without_url())),
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
    fn plain_http_only_to_loopback() {
        let d = Duration::from_secs(1);
        let e = ServerClient::new("http://desk.example.com", d).unwrap_err();
        assert_eq!(e.code(), "insecure_url");
        assert!(ServerClient::new("http://127.0.0.1:8480", d).is_ok());
        let c = ServerClient::new("https://desk.example.com/ciba/", d).unwrap();
        assert_eq!(
            c.url("/api/v1/profiles").as_str(),
            "https://desk.example.com/ciba/api/v1/profiles"
        );
        assert_eq!(c.origin(), "https://desk.example.com");
    }
}
