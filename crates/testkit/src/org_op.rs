//! The test OP (`oidc-op/op.mjs`) as an organisation's sign-in provider for `ciba-desk-server`.
//!
//! Agents get real RFC 9068 access tokens from oidc-provider itself: a JWT with `typ: at+jwt`,
//! RS256, signed with the OP's own key (published in its JWKS), `aud` = [`AUDIENCE`], carrying
//! `sub`, `roles` and `name` (or `preferred_username`). One grant is CIBA: [`ORG_CLIENT`] sends a
//! backchannel request for the agent (`login_hint` = `sub`, resource [`RESOURCE`]), the control
//! API approves it, and the token endpoint returns the token. No browser is involved there.
//!
//! For negative tests [`OrgOp::mint`] signs arbitrary claims with the OP's key, a key the OP never
//! published, or no key at all (`alg: none`), through the test-only `POST /_test/mint`.
//!
//! The desktop app signs agents in as a native app (RFC 8252) instead: the public client
//! [`DESK_CLIENT`] sends the system browser to the OP's `authorization_endpoint` with an
//! authorization-code request (PKCE S256 required, `redirect_uri`
//! `http://127.0.0.1:<any port>/callback`, `scope=openid agent offline_access`), the agent signs
//! in on the OP's page (`/interaction/<uid>`, a form asking for the agent's `sub`), the code
//! comes back to the app's loopback listener, and the app redeems it at the token endpoint with
//! `client_id` and `code_verifier` (no secret). The response has an access token exactly like the
//! CIBA one (resource [`RESOURCE`], `aud` [`AUDIENCE`], `roles`, `name` / `preferred_username`;
//! `client_id` is [`DESK_CLIENT`]), an ID token with `sub` and `name`, and a refresh token that
//! redeems for fresh access tokens (and is rotated on each use). In tests the browser is
//! [`browser_helper`] (set `BROWSER` to it, the agent in `CIBA_DESK_TEST_AGENT`);
//! [`OrgOp::deny_next_login`] makes the next sign-in come back as `error=access_denied`.
//!
//! ```no_run
//! # async fn demo() {
//! use testkit::org_op::{Agent, MintKey, OrgOp};
//! let op = OrgOp::start(&[Agent::new("agent-1", "Agent One", &["agent"])]).await;
//! let token = op.access_token("agent-1").await; // `Authorization: Bearer {token}`
//! let mut claims = op.claims(&Agent::new("agent-1", "Agent One", &["agent"]));
//! claims["exp"] = (testkit::org_op::now() - 120).into();
//! let expired = op.mint(claims, MintKey::Op).await;
//! # }
//! ```

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::oidc_op::{OidcOp, OpOptions};

/// The `aud` of the agents' access tokens.
pub const AUDIENCE: &str = "ciba-desk";
/// The resource indicator (RFC 8707) the org client's tokens are for. It must be an absolute
/// URI, so it is not the audience itself; the OP maps it to `aud` = [`AUDIENCE`].
pub const RESOURCE: &str = "urn:ciba-desk";
/// The organisation's sign-in client: (client_id, secret), `client_secret_basic`, CIBA poll.
pub const ORG_CLIENT: (&str, &str) = ("org-agent-client", "org-agent-secret");
/// The resource-server scope the org client asks for; it ends up in the token's `scope`.
pub const AGENT_SCOPE: &str = "agent";
/// The lifetime of a real access token (seconds); [`OrgOp::claims`] uses the same.
pub const TOKEN_TTL: u64 = 600;
/// The desktop app's public native client (RFC 8252): `token_endpoint_auth_method` `none`,
/// grant types `authorization_code` and `refresh_token`, response type `code`, PKCE with S256
/// required, registered redirect URI [`DESK_REDIRECT_URI`] with any port. Its access tokens are
/// for [`RESOURCE`] by default (`aud` [`AUDIENCE`]); every code also redeems for a refresh token
/// (lifetime [`DESK_REFRESH_TTL`], rotated on each use; `offline_access` is not needed).
pub const DESK_CLIENT: &str = "ciba-desk-app";
/// The redirect URI registered for [`DESK_CLIENT`]; the OP takes it on any port
/// (`http://127.0.0.1:PORT/callback`, RFC 8252 §7.3), and nothing else: not `localhost`, not
/// `[::1]`, not another path.
pub const DESK_REDIRECT_URI: &str = "http://127.0.0.1/callback";
/// The lifetime (seconds) of [`DESK_CLIENT`]'s refresh tokens, and of its grants.
pub const DESK_REFRESH_TTL: u64 = 24 * 60 * 60;

const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";

/// One of the organisation's agents: an account only [`ORG_CLIENT`] can reach (`login_hint` =
/// `sub`). Its `sub` must not be one of the built-in customer accounts (`alice`, `bob`,
/// `se-197010104327`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub sub: String,
    /// `name` claim; omitted from the token when `None`.
    pub name: Option<String>,
    /// `preferred_username` claim; omitted from the token when `None`.
    pub preferred_username: Option<String>,
    /// `roles` claim (always present, possibly empty).
    pub roles: Vec<String>,
}

impl Agent {
    pub fn new(sub: &str, name: &str, roles: &[&str]) -> Self {
        Self {
            sub: sub.to_owned(),
            name: Some(name.to_owned()),
            preferred_username: None,
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    /// Adds a `preferred_username` claim.
    pub fn with_username(mut self, username: &str) -> Self {
        self.preferred_username = Some(username.to_owned());
        self
    }

    /// Drops the `name` claim (e.g. to test the `preferred_username` fallback).
    pub fn without_name(mut self) -> Self {
        self.name = None;
        self
    }

    /// The JSON the OP takes (`OP_AGENTS`, `POST /_test/agents`).
    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({ "sub": self.sub, "roles": self.roles });
        if let Some(n) = &self.name {
            v["name"] = n.clone().into();
        }
        if let Some(u) = &self.preferred_username {
            v["preferred_username"] = u.clone().into();
        }
        v
    }
}

/// What [`OrgOp::mint`] signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MintKey {
    /// The OP's RSA signing key (RS256, its `kid`): exactly how real tokens are signed.
    Op,
    /// The OP's EC signing key (ES256, its `kid`), also in the JWKS.
    OpEc,
    /// An RSA key the OP never publishes (RS256, `kid` `foreign-rsa-…`).
    Foreign,
    /// No signature at all: `alg: none`, empty signature part, no `kid`.
    Unsigned,
}

/// Full control over a minted token, for [`OrgOp::mint_with`].
#[derive(Debug, Clone)]
pub struct MintOptions {
    /// Sign with the OP's key set (`false`) or the foreign one (`true`).
    pub foreign: bool,
    /// `RS256`, `PS256`, `ES256`, `HS256` or `none`.
    pub alg: String,
    /// Merged into the protected header (`{"alg", "typ": "at+jwt", "kid"}`); a `null` value
    /// removes the member, e.g. `{"typ": null}` or `{"kid": "<the OP's kid>"}`.
    pub header: Map<String, Value>,
    /// HS256 only: the HMAC secret. By default it is the OP's RSA public key as SPKI PEM (the
    /// classic algorithm-confusion attack).
    pub hmac_secret: Option<String>,
}

impl Default for MintOptions {
    fn default() -> Self {
        MintKey::Op.into()
    }
}

impl From<MintKey> for MintOptions {
    fn from(key: MintKey) -> Self {
        let (foreign, alg) = match key {
            MintKey::Op => (false, "RS256"),
            MintKey::OpEc => (false, "ES256"),
            MintKey::Foreign => (true, "RS256"),
            MintKey::Unsigned => (false, "none"),
        };
        Self {
            foreign,
            alg: alg.to_owned(),
            header: Map::new(),
            hmac_secret: None,
        }
    }
}

/// The absolute path of `oidc-op/browser.mjs`, the agent's browser for tests of the desktop
/// app's sign-in: run it as `node <path> URL`, or name it in `BROWSER` (it is executable, with a
/// `#!/usr/bin/env node` line, and takes the URL as its last argument).
///
/// From the authorization URL it follows the OP's redirects with a cookie jar, signs in as the
/// agent named by the env var `CIBA_DESK_TEST_AGENT` (its `sub`), and follows on to the app's
/// loopback callback, which it GETs (the app receives the code, or `error=...`). It does all that
/// before it exits. Everything it says goes to stderr (and is appended to the file named by
/// `CIBA_DESK_TEST_BROWSER_LOG`, if set), one line per step starting with `browser: `. Exit
/// status: 0 when the callback was delivered (the last line says what the app answered); 1 when
/// the sign-in failed (the OP refused the login, answered an error instead of a redirect, nobody
/// listened on the callback, TLS, ...), with one line saying why; 2 when `CIBA_DESK_TEST_AGENT`
/// or the URL is missing. For an OP served over HTTPS (`OpOptions::tls`) set
/// `NODE_EXTRA_CA_CERTS` to a file with the CA's PEM.
pub fn browser_helper() -> std::path::PathBuf {
    crate::oidc_op::op_dir().join("browser.mjs")
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The test OP with the organisation's agents. Derefs to [`OidcOp`], so the same OP can also be
/// the customers' CIBA provider in the same test.
pub struct OrgOp {
    op: OidcOp,
}

impl Deref for OrgOp {
    type Target = OidcOp;
    fn deref(&self) -> &OidcOp {
        &self.op
    }
}

impl OrgOp {
    /// Starts the OP with these agents (more can be added with [`OrgOp::add_agent`]).
    pub async fn start(agents: &[Agent]) -> Self {
        Self::start_with(OpOptions {
            agents: agents.to_vec(),
            ..Default::default()
        })
        .await
    }

    /// Starts the OP with any options (agents, ping client, ...).
    pub async fn start_with(opts: OpOptions) -> Self {
        Self {
            op: OidcOp::start(opts).await,
        }
    }

    /// The issuer (`http://127.0.0.1:PORT`, no trailing slash); discovery is at
    /// `{issuer}/.well-known/openid-configuration`.
    pub fn issuer(&self) -> &str {
        &self.op.issuer
    }

    /// The OP's published JWKS (public keys), fetched through discovery.
    pub async fn jwks(&self) -> Value {
        let meta: Value = self
            .get_json(&format!(
                "{}/.well-known/openid-configuration",
                self.issuer()
            ))
            .await;
        let uri = meta["jwks_uri"].as_str().expect("discovery has jwks_uri");
        self.get_json(uri).await
    }

    /// Adds an agent, or replaces the one with the same `sub` (its next token carries the new
    /// roles; tokens already issued are unchanged).
    pub async fn add_agent(&self, agent: &Agent) {
        let resp = self
            .op
            .http
            .post(format!("{}/agents", self.op.control))
            .json(&agent.to_json())
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success(),
            "adding agent {} failed: {}",
            agent.sub,
            resp.text().await.unwrap_or_default()
        );
    }

    /// Makes the next sign-in submitted on the OP's page (whoever signs in) end with
    /// `error=access_denied` (`error_description` "The agent refused to sign in") at the
    /// client's redirect URI, as when the agent refuses; later sign-ins work again. Through the
    /// control API, `POST /_test/deny-next-login`.
    pub async fn deny_next_login(&self) {
        let resp = self
            .op
            .http
            .post(format!("{}/deny-next-login", self.op.control))
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success(),
            "deny-next-login failed: {}",
            resp.text().await.unwrap_or_default()
        );
    }

    /// A real access token for the agent `sub`, through the real grant (see [`Self::token_response`]).
    pub async fn access_token(&self, sub: &str) -> String {
        let body = self.token_response(sub).await;
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access_token in {body}"))
            .to_owned()
    }

    /// The whole token response for the agent `sub` (`access_token`, `id_token`, `scope`,
    /// `expires_in`, `token_type`). The grant: [`ORG_CLIENT`] sends a CIBA request
    /// (`login_hint` = `sub`, `scope` = `openid agent`; the resource defaults to [`RESOURCE`]),
    /// the control API approves it, and one token request redeems it.
    pub async fn token_response(&self, sub: &str) -> Value {
        let http = &self.op.http;
        let (id, secret) = ORG_CLIENT;
        let scope = format!("openid {AGENT_SCOPE}");
        let resp = http
            .post(format!("{}/backchannel", self.issuer()))
            .basic_auth(id, Some(secret))
            .form(&[("login_hint", sub), ("scope", scope.as_str())])
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let ack: Value = resp.json().await.unwrap();
        assert!(
            status.is_success(),
            "backchannel request for agent {sub} failed ({status}): {ack}"
        );
        let auth_req_id = ack["auth_req_id"].as_str().unwrap().to_owned();

        self.op.approve(&auth_req_id).await;

        let resp = http
            .post(format!("{}/token", self.issuer()))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", CIBA_GRANT), ("auth_req_id", &auth_req_id)])
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert!(
            status.is_success(),
            "token request for agent {sub} failed ({status}): {body}"
        );
        body
    }

    /// The claims a real access token for `agent` issued now would carry (the `jti` is made up):
    /// `iss`, `aud`, `sub`, `iat`, `exp` (+[`TOKEN_TTL`]), `jti`, `client_id`, `scope`, `roles`,
    /// and `name` / `preferred_username` as the agent has them. A base to break for [`Self::mint`].
    pub fn claims(&self, agent: &Agent) -> Value {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let iat = now();
        let jti = format!(
            "minted-{iat}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let mut claims = json!({
            "iss": self.issuer(),
            "aud": AUDIENCE,
            "sub": agent.sub,
            "iat": iat,
            "exp": iat + TOKEN_TTL,
            "jti": jti,
            "client_id": ORG_CLIENT.0,
            "scope": AGENT_SCOPE,
            "roles": agent.roles,
        });
        if let Some(n) = &agent.name {
            claims["name"] = n.clone().into();
        }
        if let Some(u) = &agent.preferred_username {
            claims["preferred_username"] = u.clone().into();
        }
        claims
    }

    /// Signs `claims` exactly as given (nothing added or checked), header
    /// `{"alg", "typ": "at+jwt", "kid"}`. For tokens the real grant never gives: expired, another
    /// audience, no role, a foreign key, `alg: none`.
    pub async fn mint(&self, claims: Value, key: MintKey) -> String {
        self.mint_with(claims, &key.into()).await
    }

    /// [`Self::mint`] with full control over key, algorithm and header.
    pub async fn mint_with(&self, claims: Value, opts: &MintOptions) -> String {
        let mut body = json!({
            "claims": claims,
            "key": if opts.foreign { "foreign" } else { "op" },
            "alg": opts.alg,
            "header": opts.header,
        });
        if let Some(s) = &opts.hmac_secret {
            body["secret"] = s.clone().into();
        }
        let resp = self
            .op
            .http
            .post(format!("{}/mint", self.op.control))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let out: Value = resp.json().await.unwrap();
        assert!(status.is_success(), "minting failed ({status}): {out}");
        out["token"].as_str().unwrap().to_owned()
    }

    async fn get_json(&self, url: &str) -> Value {
        let resp = self.op.http.get(url).send().await.unwrap();
        assert!(resp.status().is_success(), "GET {url}: {}", resp.status());
        resp.json().await.unwrap()
    }
}
