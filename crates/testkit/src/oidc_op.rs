//! Starts the real test OpenID provider (`oidc-op/op.mjs`, panva's `oidc-provider` from npm)
//! on 127.0.0.1 and plays the customer's phone through its `/_test` control API.
//!
//! The same OP is also an organisation's sign-in provider (agents, JWT access tokens for
//! `ciba-desk`): see [`crate::org_op`].

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::org_op::Agent;

/// The clients `op.mjs` registers: (client_id, secret).
pub const BASIC_CLIENT: (&str, &str) = ("basic-client", "basic-secret");
pub const POST_CLIENT: (&str, &str) = ("post-client", "post-secret");
pub const JWT_CLIENT: &str = "jwt-client";
/// Must sign every authentication request, with PS256 (`SIGNED_CLIENT`) or ES256.
pub const SIGNED_CLIENT: &str = "signed-client";
pub const SIGNED_EC_CLIENT: &str = "signed-ec-client";
pub const PING_CLIENT: (&str, &str) = ("ping-client", "ping-secret");
/// Authenticates with a certificate from [`OpOptions::client_ca`] whose subject is
/// `CN=mtls-client` (`tls_client_auth`); its access tokens are bound to the certificate.
pub const MTLS_CLIENT: &str = "mtls-client";
/// Authenticates with the certificate [`OpOptions::self_signed_client`] registers
/// (`self_signed_tls_client_auth`); its access tokens are bound to the certificate.
pub const SELF_SIGNED_CLIENT: &str = "self-signed-client";

#[derive(Debug, Default, Clone)]
pub struct OpOptions {
    /// Public JWKS of the `jwt-client`, `signed-client` and `signed-ec-client` (enables them).
    pub client_jwks: Option<Value>,
    /// Notification endpoint of the `ping-client` (enables that client).
    pub ping_endpoint: Option<String>,
    /// The `interval` the OP puts in acknowledgements (default 1 s).
    pub interval: Option<u32>,
    /// The organisation's agents, who can get access tokens through `org-agent-client`
    /// (see [`crate::org_op::OrgOp`]). More can be added while the OP runs.
    pub agents: Vec<Agent>,
    /// Serves HTTPS with the CA's server certificate instead of plain HTTP.
    pub tls: Option<std::sync::Arc<crate::tls::TestCa>>,
    /// Mutual TLS (needs `tls`): the CA whose client certificates `mtls-client` may show
    /// (PEM). Certificates are asked for only at the `mtls_endpoint_aliases`, on a port of
    /// their own, as providers that separate the two do.
    pub client_ca: Option<String>,
    /// Mutual TLS (needs `tls`): the self-signed certificate (PEM) `self-signed-client`
    /// registers.
    pub self_signed_client: Option<String>,
    /// The mutual-TLS port ends the handshake of a client without a certificate from
    /// `client_ca`, as a TLS front end that checks certificates does.
    pub mtls_strict: bool,
}

pub struct OidcOp {
    pub issuer: String,
    pub(crate) control: String,
    pub(crate) http: reqwest::Client,
    // Held for its lifetime: dropping it kills the OP (kill_on_drop), and the OP also exits
    // when its stdin closes, so no OP outlives the test that started it.
    _child: Child,
}

/// How long one start of the test OP may take, and how many starts are tried.
const START_LIMIT: Duration = Duration::from_secs(20);
const START_ATTEMPTS: u32 = 3;

pub fn op_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/oidc-op"))
}

impl OidcOp {
    pub async fn start(opts: OpOptions) -> Self {
        let dir = op_dir();
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "the test OP's npm packages are missing: run `npm install --no-audit --no-fund` in {} \
             (the README's test command does this)",
            dir.display()
        );
        let mut cmd = Command::new("node");
        cmd.arg("op.mjs")
            .current_dir(&dir)
            .env("OP_WATCH_STDIN", "1")
            .env("OP_INTERVAL", opts.interval.unwrap_or(1).to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if let Some(j) = &opts.client_jwks {
            cmd.env("OP_CLIENT_JWKS", j.to_string());
        }
        if let Some(p) = &opts.ping_endpoint {
            cmd.env("OP_PING_ENDPOINT", p);
        }
        let mut http = reqwest::Client::builder();
        if let Some(ca) = &opts.tls {
            cmd.env("OP_TLS_CERT", &ca.server_cert_pem)
                .env("OP_TLS_KEY", &ca.server_key_pem);
            // The control API is on the same server: the test's own client trusts this CA.
            http = http.tls_certs_only(
                reqwest::Certificate::from_pem_bundle(ca.ca_pem.as_bytes()).unwrap(),
            );
        }
        if let Some(pem) = &opts.client_ca {
            cmd.env("OP_MTLS_CLIENT_CA", pem);
        }
        if let Some(pem) = &opts.self_signed_client {
            cmd.env("OP_MTLS_SELF_SIGNED", pem);
        }
        if opts.mtls_strict {
            cmd.env("OP_MTLS_STRICT", "1");
        }
        if !opts.agents.is_empty() {
            let agents: Vec<Value> = opts.agents.iter().map(Agent::to_json).collect();
            cmd.env("OP_AGENTS", Value::from(agents).to_string());
        }
        // Under a full test run's load, node has now and then stopped after loading
        // oidc-provider, before printing its ready line, and stayed so (a second start is ready
        // in a second). Until the cause is found, a start that is not ready in 20 s is ended
        // and made again, three times at most.
        let (child, ready) = 'start: {
            for attempt in 1..=START_ATTEMPTS {
                let mut child = cmd
                    .spawn()
                    .expect("node must be installed to run the test OP");
                let stdout = child.stdout.take().unwrap();
                let mut lines = BufReader::new(stdout).lines();
                match tokio::time::timeout(START_LIMIT, lines.next_line()).await {
                    Ok(line) => {
                        let line = line.unwrap().expect(
                            "the test OP exited before it was ready (see its stderr above)",
                        );
                        break 'start (child, line);
                    }
                    Err(_) => {
                        eprintln!(
                            "testkit: the test OP was not ready within {} s (start {attempt} of {START_ATTEMPTS}); ending it",
                            START_LIMIT.as_secs()
                        );
                        let _ = child.kill().await;
                    }
                }
            }
            panic!(
                "the test OP did not start in {START_ATTEMPTS} tries of {} s",
                START_LIMIT.as_secs()
            );
        };
        let ready: Value = serde_json::from_str(&ready).expect("the OP's ready line is JSON");
        Self {
            issuer: ready["issuer"].as_str().unwrap().to_owned(),
            control: ready["control"].as_str().unwrap().to_owned(),
            http: http.build().unwrap(),
            _child: child,
        }
    }

    /// Requests the OP has received, oldest first, filtered by exact field values.
    pub async fn requests(&self, filter: &[(&str, &str)]) -> Vec<Value> {
        let url =
            url::Url::parse_with_params(&format!("{}/requests", self.control), filter).unwrap();
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until a pending request for `login_hint` arrives and returns its `auth_req_id`.
    pub async fn wait_for_pending(&self, login_hint: &str) -> String {
        for _ in 0..300 {
            if let Some(r) = self
                .requests(&[("login_hint", login_hint), ("status", "pending")])
                .await
                .first()
            {
                return r["auth_req_id"].as_str().unwrap().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no pending request for {login_hint} reached the test OP within 15 s");
    }

    pub async fn approve(&self, auth_req_id: &str) {
        self.decide(auth_req_id, "approve").await
    }

    pub async fn deny(&self, auth_req_id: &str) {
        self.decide(auth_req_id, "deny").await
    }

    async fn decide(&self, auth_req_id: &str, what: &str) {
        let resp = self
            .http
            .post(format!("{}/requests/{auth_req_id}/{what}", self.control))
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success(),
            "{what} failed: {}",
            resp.text().await.unwrap_or_default()
        );
    }
}

/// A bank's FAPI-CIBA provider: the test OP over HTTPS from a CA of its own, asking for
/// certificates at its mutual-TLS aliases, with a certificate that CA issued for
/// [`MTLS_CLIENT`], a self-signed one registered for [`SELF_SIGNED_CLIENT`], and the ES256 key
/// (`ec1`) both clients sign their requests with.
pub struct MtlsBank {
    pub op: OidcOp,
    pub ca: std::sync::Arc<crate::tls::TestCa>,
    pub issued: crate::tls::ClientCert,
    pub self_signed: crate::tls::ClientCert,
    pub request_key: crate::fake_op::TestKey,
}

impl MtlsBank {
    pub async fn start() -> Self {
        let request_key = crate::fake_op::key("ec1");
        let ca = std::sync::Arc::new(crate::tls::TestCa::new("bank"));
        let issued = ca.client_certificate("mtls-client");
        let self_signed = crate::tls::self_signed_client_certificate("desk");
        let op = OidcOp::start(OpOptions {
            client_jwks: Some(serde_json::json!({"keys": [request_key.jwk]})),
            tls: Some(ca.clone()),
            client_ca: Some(ca.ca_pem.clone()),
            self_signed_client: Some(self_signed.cert_pem.clone()),
            ..Default::default()
        })
        .await;
        Self {
            op,
            ca,
            issued,
            self_signed,
            request_key,
        }
    }
}
