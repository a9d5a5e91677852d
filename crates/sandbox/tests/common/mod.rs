//! Shared by the integration tests: a sandbox on a free port with a temporary data directory,
//! and HTTP helpers that talk to it like a browser or a script would.

#![allow(dead_code)]

use std::time::Duration;

use ciba::{CibaClient, ClientAuth, ClientConfig, SecretString};
use sandbox::{AutoDecision, CLIENT_ID, CLIENT_SECRET, Sandbox, SandboxConfig};
use serde_json::Value;
use tempfile::TempDir;

pub struct Running {
    pub sandbox: Sandbox,
    /// Kept so the directory lives as long as the sandbox.
    pub dir: TempDir,
}

pub async fn start() -> Running {
    start_with(None).await
}

pub async fn start_with(auto: Option<AutoDecision>) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SandboxConfig::new(dir.path()).port(0);
    config.auto = auto;
    let sandbox = sandbox::start(config).await.unwrap();
    Running { sandbox, dir }
}

pub fn basic() -> ClientAuth {
    ClientAuth::SecretBasic {
        client_id: CLIENT_ID.into(),
        secret: SecretString::from(CLIENT_SECRET),
    }
}

pub fn post() -> ClientAuth {
    ClientAuth::SecretPost {
        client_id: CLIENT_ID.into(),
        secret: SecretString::from(CLIENT_SECRET),
    }
}

pub async fn client(sandbox: &Sandbox, auth: ClientAuth) -> CibaClient {
    CibaClient::discover(ClientConfig::new(sandbox.issuer(), auth))
        .await
        .unwrap()
}

/// A plain HTTP client that does not follow redirects, so 303s can be checked.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub async fn get_text(url: &str) -> (u16, String) {
    let r = http().get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

pub async fn get_json(url: &str) -> Value {
    http().get(url).send().await.unwrap().json().await.unwrap()
}

/// A form POST authenticated with HTTP Basic as the sandbox client; status and JSON body.
pub async fn post_form(url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = http()
        .post(url)
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// What a person's browser does when they press a button on the phone page.
pub async fn press(url: &str, form: &[(&str, &str)]) -> (u16, Option<String>) {
    let r = http().post(url).form(form).send().await.unwrap();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (r.status().as_u16(), location)
}
