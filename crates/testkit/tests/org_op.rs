//! The test OP as an organisation's sign-in provider: real JWT access tokens for `ciba-desk`
//! through the CIBA grant, and minted tokens for negative tests, checked the way
//! `ciba-desk-server` checks them (JWKS from discovery, iss, aud, exp with 60 s leeway, RS256).
//!
//! And the desktop app's browser sign-in (RFC 8252): these tests play the app (a loopback
//! listener, an authorization-code request with PKCE, the token requests of a public client) and
//! run the real `browser.mjs` as the agent's browser against the real OP.

use std::process::Output;
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Value, json};
use testkit::oidc_op::BASIC_CLIENT;
use testkit::oidc_op::OpOptions;
use testkit::org_op::{
    AGENT_SCOPE, AUDIENCE, Agent, DESK_CLIENT, MintKey, MintOptions, ORG_CLIENT, OrgOp, RESOURCE,
    TOKEN_TTL, browser_helper, now,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use url::Url;

fn agent_one() -> Agent {
    Agent::new("agent-1", "Agent One", &["agent", "supervisor"])
}

/// What the server does: the key named by `kid` in the OP's JWKS, RS256/ES256 only, iss, aud,
/// exp/nbf with a 60 s leeway.
fn verify(token: &str, jwks: &JwkSet, issuer: &str) -> jsonwebtoken::errors::Result<Value> {
    let header = decode_header(token)?;
    let kid = header.kid.ok_or(ErrorKind::InvalidToken)?;
    let jwk = jwks.find(&kid).ok_or(ErrorKind::InvalidKeyFormat)?;
    let key = DecodingKey::from_jwk(jwk)?;
    // jsonwebtoken wants one key family per validation, so pick the alg, from an allow-list.
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let mut v = Validation::new(header.alg);
    v.leeway = 60;
    v.validate_nbf = true;
    v.set_audience(&[AUDIENCE]);
    v.set_issuer(&[issuer]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    Ok(decode::<Value>(token, &key, &v)?.claims)
}

async fn jwks(op: &OrgOp) -> JwkSet {
    serde_json::from_value(op.jwks().await).unwrap()
}

fn kind(r: jsonwebtoken::errors::Result<Value>) -> ErrorKind {
    r.expect_err("the token must not verify").into_kind()
}

#[tokio::test]
async fn a_real_access_token_is_an_rfc9068_jwt_signed_with_the_ops_key() {
    let t0 = Instant::now();
    let op = OrgOp::start(&[agent_one()]).await;
    let started = t0.elapsed();
    let t1 = Instant::now();
    let token = op.access_token("agent-1").await;
    let one_token = t1.elapsed();
    eprintln!("OP start {started:?}, one access token {one_token:?}");

    let header = decode_header(&token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, Algorithm::RS256);
    let kid = header.kid.expect("kid");
    let jwks = jwks(&op).await;
    assert!(jwks.find(&kid).is_some(), "kid {kid} is in the OP's JWKS");

    let claims = verify(&token, &jwks, op.issuer()).expect("verifies against the OP's JWKS");
    assert_eq!(claims["iss"], op.issuer());
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["sub"], "agent-1");
    assert_eq!(claims["name"], "Agent One");
    assert_eq!(claims["roles"], json!(["agent", "supervisor"]));
    assert_eq!(claims["client_id"], ORG_CLIENT.0);
    assert_eq!(claims["scope"], AGENT_SCOPE);
    assert!(claims.get("preferred_username").is_none());
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert!(iat.abs_diff(now()) <= 5, "iat {iat} is now");
    assert_eq!(exp - iat, TOKEN_TTL);
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));

    // The hand-made claim set has exactly the same members as a real token.
    let made = op.claims(&agent_one());
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&made), keys(&claims));
    for k in ["iss", "aud", "sub", "name", "roles", "client_id", "scope"] {
        assert_eq!(made[k], claims[k], "{k}");
    }
}

#[tokio::test]
async fn the_token_response_is_a_plain_bearer_response_with_an_id_token() {
    let op = OrgOp::start(&[agent_one()]).await;
    let body = op.token_response("agent-1").await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], TOKEN_TTL);
    assert_eq!(body["scope"], AGENT_SCOPE);
    let id_token = body["id_token"].as_str().unwrap();
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(id_token).unwrap();
    assert_eq!(claims["aud"], ORG_CLIENT.0);
    assert_eq!(claims["sub"], "agent-1");
}

#[tokio::test]
async fn agents_added_later_get_their_roles_and_username() {
    let op = OrgOp::start(&[]).await;
    let clerk = Agent::new("clerk", "", &[])
        .without_name()
        .with_username("clerk@org");
    op.add_agent(&clerk).await;
    let jwks = jwks(&op).await;
    let claims = verify(&op.access_token("clerk").await, &jwks, op.issuer()).unwrap();
    assert_eq!(claims["sub"], "clerk");
    assert_eq!(claims["preferred_username"], "clerk@org");
    assert!(claims.get("name").is_none());
    assert_eq!(claims["roles"], json!([]));

    // A new role shows in the next token.
    op.add_agent(&Agent {
        roles: vec!["agent".into()],
        ..clerk
    })
    .await;
    let claims = verify(&op.access_token("clerk").await, &jwks, op.issuer()).unwrap();
    assert_eq!(claims["roles"], json!(["agent"]));
}

#[tokio::test]
async fn the_org_client_reaches_only_agents_and_other_clients_never_get_ciba_desk_tokens() {
    let op = OrgOp::start(&[agent_one()]).await;
    let http = reqwest::Client::new();
    let backchannel = |client: (&'static str, &'static str), form: Vec<(&'static str, String)>| {
        let req = http
            .post(format!("{}/backchannel", op.issuer()))
            .basic_auth(client.0, Some(client.1))
            .form(&form);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let scope = || ("scope", "openid".to_owned());

    // The org client cannot start a request for a customer ...
    let (status, body) =
        backchannel(ORG_CLIENT, vec![("login_hint", "alice".into()), scope()]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unknown_user_id"))
    );
    // ... a customer client cannot for an agent ...
    let (status, body) = backchannel(
        BASIC_CLIENT,
        vec![("login_hint", "agent-1".into()), scope()],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unknown_user_id"))
    );
    // ... nor ask for the ciba-desk resource.
    let (status, body) = backchannel(
        BASIC_CLIENT,
        vec![
            ("login_hint", "alice".into()),
            scope(),
            ("resource", RESOURCE.into()),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target"))
    );

    // A customer client's access token stays opaque.
    let (_, ack) = backchannel(BASIC_CLIENT, vec![("login_hint", "alice".into()), scope()]).await;
    let id = ack["auth_req_id"].as_str().unwrap();
    op.approve(id).await;
    let body: Value = http
        .post(format!("{}/token", op.issuer()))
        .basic_auth(BASIC_CLIENT.0, Some(BASIC_CLIENT.1))
        .form(&[
            ("grant_type", "urn:openid:params:grant-type:ciba"),
            ("auth_req_id", id),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let at = body["access_token"].as_str().unwrap();
    assert!(!at.contains('.'), "opaque access token, got {at}");
}

#[tokio::test]
async fn minted_tokens_verify_only_when_they_should() {
    let op = OrgOp::start(&[agent_one()]).await;
    let jwks = jwks(&op).await;
    let iss = op.issuer().to_owned();
    let good = op.claims(&agent_one());

    // Signed with the OP's keys: as good as a real token.
    for key in [MintKey::Op, MintKey::OpEc] {
        let t = op.mint(good.clone(), key).await;
        assert_eq!(decode_header(&t).unwrap().typ.as_deref(), Some("at+jwt"));
        assert_eq!(verify(&t, &jwks, &iss).unwrap(), good, "{key:?}");
    }

    // A key the OP never published: its kid is unknown ...
    let foreign = op.mint(good.clone(), MintKey::Foreign).await;
    let kid = decode_header(&foreign).unwrap().kid.unwrap();
    assert!(kid.starts_with("foreign-rsa-") && jwks.find(&kid).is_none());
    assert_eq!(
        kind(verify(&foreign, &jwks, &iss)),
        ErrorKind::InvalidKeyFormat
    );
    // ... and claiming the OP's kid does not make the signature verify.
    let op_kid = decode_header(&op.mint(good.clone(), MintKey::Op).await)
        .unwrap()
        .kid
        .unwrap();
    let mut spoof = MintOptions::from(MintKey::Foreign);
    spoof.header.insert("kid".into(), op_kid.clone().into());
    let spoofed = op.mint_with(good.clone(), &spoof).await;
    assert_eq!(
        kind(verify(&spoofed, &jwks, &iss)),
        ErrorKind::InvalidSignature
    );

    // alg none: empty signature, and jsonwebtoken has no such algorithm.
    let unsigned = op.mint(good.clone(), MintKey::Unsigned).await;
    assert!(unsigned.ends_with('.'));
    assert!(verify(&unsigned, &jwks, &iss).is_err());

    // HS256 keyed with the OP's public key (algorithm confusion), given the OP's kid.
    let mut hs = MintOptions {
        alg: "HS256".into(),
        ..Default::default()
    };
    hs.header.insert("kid".into(), op_kid.into());
    let confused = op.mint_with(good.clone(), &hs).await;
    assert_eq!(decode_header(&confused).unwrap().alg, Algorithm::HS256);
    assert!(verify(&confused, &jwks, &iss).is_err());

    // Signed by the OP but wrong claims.
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    let cases = [
        (with("exp", json!(now() - 120)), ErrorKind::ExpiredSignature),
        (
            with("aud", json!("another-api")),
            ErrorKind::InvalidAudience,
        ),
        (
            with("iss", json!("http://127.0.0.1:1")),
            ErrorKind::InvalidIssuer,
        ),
        (
            with("nbf", json!(now() + 300)),
            ErrorKind::ImmatureSignature,
        ),
    ];
    for (claims, expected) in cases {
        let t = op.mint(claims, MintKey::Op).await;
        assert_eq!(kind(verify(&t, &jwks, &iss)), expected);
    }
    // Within the leeway it still verifies.
    let t = op.mint(with("exp", json!(now() - 30)), MintKey::Op).await;
    assert!(verify(&t, &jwks, &iss).is_ok());
    // Without the role it verifies: refusing it is the server's job.
    let t = op.mint(with("roles", json!([])), MintKey::Op).await;
    assert_eq!(verify(&t, &jwks, &iss).unwrap()["roles"], json!([]));
}

// ------------------------------------------------------------------ the desktop app's sign-in

/// `n` random bytes, base64url: PKCE verifiers (32 bytes: 43 characters), state, nonce.
fn random(n: usize) -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The S256 code challenge (RFC 7636 §4.2), computed here as any client would.
fn s256(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

#[test]
fn the_pkce_challenge_is_rfc_7636s() {
    // RFC 7636, appendix B.
    assert_eq!(
        s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

/// The app's loopback listener: `http://127.0.0.1:PORT/callback`, one request.
struct Listener {
    listener: TcpListener,
    port: u16,
}

impl Listener {
    async fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        Self { listener, port }
    }

    fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// Answers the first request with 200 and returns its URL.
    async fn receive(self) -> Url {
        let (stream, _) = self.listener.accept().await.unwrap();
        let mut stream = BufReader::new(stream);
        let mut request_line = String::new();
        stream.read_line(&mut request_line).await.unwrap();
        loop {
            let mut header = String::new();
            if stream.read_line(&mut header).await.unwrap() == 0 || header == "\r\n" {
                break;
            }
        }
        let body = "Signed in. You can close this window.";
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream
            .get_mut()
            .write_all(response.as_bytes())
            .await
            .unwrap();
        stream.get_mut().shutdown().await.unwrap();
        let target = request_line
            .strip_prefix("GET ")
            .and_then(|r| r.split(' ').next())
            .unwrap_or_else(|| panic!("not a GET: {request_line:?}"));
        Url::parse(&format!("http://127.0.0.1:{}", self.port))
            .unwrap()
            .join(target)
            .unwrap()
    }
}

/// One authorization request of the app, and what it keeps to check the answer.
struct Request {
    url: String,
    redirect_uri: String,
    verifier: String,
    state: String,
    nonce: String,
}

/// The desktop app against the OP: discovery, its JWKS, an HTTP client that trusts the OP.
struct DeskApp {
    http: reqwest::Client,
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks: JwkSet,
    /// NODE_EXTRA_CA_CERTS for the browser, when the OP serves HTTPS.
    ca_file: Option<std::path::PathBuf>,
}

/// What one run of the browser gave: its exit status and stderr, and the callback the app got.
struct Browsed {
    output: Output,
    callback: Option<Url>,
    request: Request,
}

impl Browsed {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    fn callback(&self) -> &Url {
        self.callback.as_ref().unwrap_or_else(|| {
            panic!(
                "the app got no callback; the browser said:\n{}",
                self.stderr()
            )
        })
    }

    fn param(&self, name: &str) -> Option<String> {
        self.callback()
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The code, after checking `state` (and `iss`, RFC 9207) as the app does.
    fn code(&self) -> String {
        assert_eq!(self.param("state"), Some(self.request.state.clone()));
        self.param("code").unwrap_or_else(|| {
            panic!(
                "no code in the callback {}; the browser said:\n{}",
                self.callback(),
                self.stderr()
            )
        })
    }
}

impl DeskApp {
    async fn new(op: &OrgOp) -> Self {
        Self::with_http(op, reqwest::Client::new(), None).await
    }

    async fn with_http(
        op: &OrgOp,
        http: reqwest::Client,
        ca_file: Option<std::path::PathBuf>,
    ) -> Self {
        let meta: Value = http
            .get(format!("{}/.well-known/openid-configuration", op.issuer()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let jwks = http
            .get(meta["jwks_uri"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Self {
            http,
            issuer: op.issuer().to_owned(),
            authorization_endpoint: meta["authorization_endpoint"].as_str().unwrap().to_owned(),
            token_endpoint: meta["token_endpoint"].as_str().unwrap().to_owned(),
            jwks,
            ca_file,
        }
    }

    /// The authorization request the app sends the browser to, with `extra` parameters added
    /// (or, with an empty value, removed).
    fn request(&self, redirect_uri: &str, extra: &[(&str, &str)]) -> Request {
        let verifier = random(32);
        let (state, nonce) = (random(16), random(16));
        let challenge = s256(&verifier);
        let mut params: Vec<(&str, &str)> = vec![
            ("client_id", DESK_CLIENT),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            ("scope", "openid agent offline_access"),
            ("state", &state),
            ("nonce", &nonce),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ];
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            if !v.is_empty() {
                params.push((k, v));
            }
        }
        let url = Url::parse_with_params(&self.authorization_endpoint, &params).unwrap();
        Request {
            url: url.into(),
            redirect_uri: redirect_uri.to_owned(),
            verifier,
            state,
            nonce,
        }
    }

    /// Runs `node browser.mjs URL` as the agent `agent` (none: CIBA_DESK_TEST_AGENT unset).
    async fn browser(&self, url: &str, agent: Option<&str>) -> Output {
        let mut cmd = tokio::process::Command::new("node");
        cmd.arg(browser_helper())
            .arg(url)
            .env_remove("CIBA_DESK_TEST_AGENT")
            .env_remove("CIBA_DESK_TEST_BROWSER_LOG")
            .env_remove("NODE_EXTRA_CA_CERTS")
            .kill_on_drop(true);
        if let Some(a) = agent {
            cmd.env("CIBA_DESK_TEST_AGENT", a);
        }
        if let Some(ca) = &self.ca_file {
            cmd.env("NODE_EXTRA_CA_CERTS", ca);
        }
        let output = tokio::time::timeout(Duration::from_secs(60), cmd.output())
            .await
            .expect("the browser helper finished within 60 s")
            .unwrap();
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
        output
    }

    /// The app's sign-in: listens on a loopback port, sends the browser (as `agent`) to the
    /// authorization request, and takes the callback.
    async fn sign_in(&self, agent: Option<&str>, extra: &[(&str, &str)]) -> Browsed {
        let listener = Listener::bind().await;
        let request = self.request(&listener.redirect_uri(), extra);
        let received = tokio::spawn(listener.receive());
        let output = self.browser(&request.url, agent).await;
        let callback = if output.status.success() {
            // The browser exits 0 only after the listener answered it.
            Some(
                tokio::time::timeout(Duration::from_secs(5), received)
                    .await
                    .expect("the callback arrived")
                    .unwrap(),
            )
        } else {
            received.abort();
            None
        };
        Browsed {
            output,
            callback,
            request,
        }
    }

    /// A token request as the public client (`client_id` in the form, no secret).
    async fn token(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let mut form = form.to_vec();
        form.push(("client_id", DESK_CLIENT));
        let resp = self
            .http
            .post(&self.token_endpoint)
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    async fn redeem(&self, code: &str, redirect_uri: &str, verifier: &str) -> (u16, Value) {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])
        .await
    }

    async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// The ID token, checked as the app checks it: signature (JWKS), iss, aud = the app.
    fn id_token(&self, token: &str) -> Value {
        let header = decode_header(token).unwrap();
        let jwk = self.jwks.find(header.kid.as_deref().unwrap()).unwrap();
        let mut v = Validation::new(header.alg);
        v.set_audience(&[DESK_CLIENT]);
        v.set_issuer(&[&self.issuer]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &v)
            .expect("the ID token verifies")
            .claims
    }
}

fn error_of(body: &Value) -> Option<&str> {
    body["error"].as_str()
}

#[tokio::test]
async fn the_desk_app_signs_an_agent_in_through_the_browser_with_pkce() {
    let op = OrgOp::start(&[agent_one()]).await;
    let app = DeskApp::new(&op).await;

    let browsed = app.sign_in(Some("agent-1"), &[]).await;
    assert!(browsed.output.status.success(), "{}", browsed.stderr());
    assert!(
        browsed
            .stderr()
            .contains("browser: delivered code to http://127.0.0.1:"),
        "{}",
        browsed.stderr()
    );
    let code = browsed.code();
    assert_eq!(browsed.param("iss").as_deref(), Some(op.issuer()));
    let request = &browsed.request;
    let (status, body) = app
        .redeem(&code, &request.redirect_uri, &request.verifier)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], TOKEN_TTL);
    assert_eq!(body["scope"], AGENT_SCOPE);

    // The access token: the same RFC 9068 JWT for ciba-desk as the CIBA grant's.
    let access_token = body["access_token"].as_str().unwrap();
    let header = decode_header(access_token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, Algorithm::RS256);
    let claims = verify(access_token, &app.jwks, op.issuer()).expect("verifies like the server");
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["sub"], "agent-1");
    assert_eq!(claims["name"], "Agent One");
    assert_eq!(claims["roles"], json!(["agent", "supervisor"]));
    assert_eq!(claims["client_id"], DESK_CLIENT);
    assert_eq!(claims["scope"], AGENT_SCOPE);

    // The ID token: for the app, the agent's sub and name, the request's nonce.
    let id = app.id_token(body["id_token"].as_str().unwrap());
    assert_eq!(id["sub"], "agent-1");
    assert_eq!(id["name"], "Agent One");
    assert_eq!(id["nonce"], request.nonce.as_str());

    // The refresh token gives a fresh access token for the same resource, and a new refresh
    // token (rotation; a public client's old one is spent).
    let refresh_token = body["refresh_token"].as_str().expect("a refresh token");
    let (status, refreshed) = app.refresh(refresh_token).await;
    assert_eq!(status, 200, "{refreshed}");
    let fresh = refreshed["access_token"].as_str().unwrap();
    assert_ne!(fresh, access_token);
    let fresh_claims = verify(fresh, &app.jwks, op.issuer()).expect("verifies like the server");
    for k in ["aud", "sub", "name", "roles", "client_id", "scope"] {
        assert_eq!(fresh_claims[k], claims[k], "{k}");
    }
    assert_ne!(fresh_claims["jti"], claims["jti"]);
    assert_eq!(refreshed["scope"], AGENT_SCOPE);
    assert_eq!(
        app.id_token(refreshed["id_token"].as_str().unwrap())["sub"],
        "agent-1"
    );
    let next = refreshed["refresh_token"]
        .as_str()
        .expect("a new refresh token");
    assert_ne!(next, refresh_token);
    let (status, body) = app.refresh(next).await;
    assert_eq!(status, 200, "{body}");
    let next = body["refresh_token"].as_str().unwrap();

    // The code is good once; a second try (a replay) also revokes what it gave.
    let (status, again) = app
        .redeem(&code, &request.redirect_uri, &request.verifier)
        .await;
    assert_eq!((status, error_of(&again)), (400, Some("invalid_grant")));
    let (status, body) = app.refresh(next).await;
    assert_eq!(
        (status, error_of(&body)),
        (400, Some("invalid_grant")),
        "{body}"
    );
}

#[tokio::test]
async fn the_sign_in_also_takes_prompt_consent_and_an_explicit_resource() {
    // With prompt=consent oidc-provider keeps offline_access in the grant; either way the app
    // gets a refresh token. Naming the resource changes nothing: it is the default.
    let op = OrgOp::start(&[agent_one()]).await;
    let app = DeskApp::new(&op).await;
    let browsed = app
        .sign_in(
            Some("agent-1"),
            &[("prompt", "consent"), ("resource", RESOURCE)],
        )
        .await;
    let request = &browsed.request;
    let (status, body) = app
        .redeem(&browsed.code(), &request.redirect_uri, &request.verifier)
        .await;
    assert_eq!(status, 200, "{body}");
    let claims = verify(
        body["access_token"].as_str().unwrap(),
        &app.jwks,
        op.issuer(),
    )
    .unwrap();
    assert_eq!(claims["roles"], json!(["agent", "supervisor"]));
    let (status, refreshed) = app
        .refresh(body["refresh_token"].as_str().expect("a refresh token"))
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let claims = verify(
        refreshed["access_token"].as_str().unwrap(),
        &app.jwks,
        op.issuer(),
    )
    .unwrap();
    assert_eq!(claims["aud"], AUDIENCE);
}

#[tokio::test]
async fn a_code_redeems_only_with_its_own_code_verifier_and_redirect_uri() {
    let op = OrgOp::start(&[agent_one()]).await;
    let app = DeskApp::new(&op).await;
    let browsed = app.sign_in(Some("agent-1"), &[]).await;
    let code = browsed.code();
    let request = &browsed.request;

    let other = random(32);
    for (verifier, what) in [(other.as_str(), "another verifier"), ("", "no verifier")] {
        let (status, body) = app.redeem(&code, &request.redirect_uri, verifier).await;
        assert_eq!(
            (status, error_of(&body)),
            (400, Some("invalid_grant")),
            "{what}: {body}"
        );
    }
    let elsewhere = request.redirect_uri.replace("/callback", "/other");
    let (status, body) = app.redeem(&code, &elsewhere, &request.verifier).await;
    assert_eq!(
        (status, error_of(&body)),
        (400, Some("invalid_grant")),
        "{body}"
    );
    // A secret is no substitute: the client has none, and may not authenticate with one.
    let (status, body) = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &request.redirect_uri),
            ("client_secret", "guess"),
        ])
        .await;
    assert_eq!(
        (status, error_of(&body)),
        (401, Some("invalid_client")),
        "{body}"
    );

    // Refused attempts do not spend the code: with its own verifier it still redeems.
    let (status, body) = app
        .redeem(&code, &request.redirect_uri, &request.verifier)
        .await;
    assert_eq!(status, 200, "{body}");

    // PKCE is required, and S256 only: the refusal comes back to the app's callback.
    for (extra, what) in [
        (
            vec![("code_challenge", ""), ("code_challenge_method", "")],
            "no challenge",
        ),
        (vec![("code_challenge_method", "plain")], "plain"),
    ] {
        let browsed = app.sign_in(Some("agent-1"), &extra).await;
        assert_eq!(
            browsed.param("error").as_deref(),
            Some("invalid_request"),
            "{what}: {}",
            browsed.callback()
        );
        assert_eq!(browsed.param("state"), Some(browsed.request.state.clone()));
    }
}

#[tokio::test]
async fn an_unknown_agent_gets_the_sign_in_page_again() {
    let op = OrgOp::start(&[agent_one()]).await;
    let app = DeskApp::new(&op).await;
    // Neither a stranger nor a customer of the CIBA clients is an agent.
    for who in ["nobody", "alice"] {
        let browsed = app.sign_in(Some(who), &[]).await;
        assert_eq!(
            browsed.output.status.code(),
            Some(1),
            "{}",
            browsed.stderr()
        );
        assert!(browsed.callback.is_none());
        let stderr = browsed.stderr();
        assert!(
            stderr.contains(&format!(
                "the OP refused the login \"{who}\": Unknown agent"
            )),
            "{stderr}"
        );
    }

    // The page itself, as a browser sees it: the form, then the form again with the error.
    let listener = Listener::bind().await;
    let request = app.request(&listener.redirect_uri(), &[]);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http.get(&request.url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let page = Url::parse(op.issuer())
        .unwrap()
        .join(resp.headers()["location"].to_str().unwrap())
        .unwrap();
    assert!(page.path().starts_with("/interaction/"), "{page}");
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    let cookie = cookies.join("; ");
    let resp = http
        .get(page.clone())
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let html = resp.text().await.unwrap();
    let action = format!("action=\"{}/login\"", page.path());
    assert!(
        html.contains(&action) && html.contains("name=\"login\""),
        "{html}"
    );
    let resp = http
        .post(format!("{page}/login"))
        .header("cookie", &cookie)
        .form(&[("login", "nobody")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains(&action) && html.contains("Unknown agent &#34;nobody&#34;"),
        "{html}"
    );
    // Without the interaction cookie there is no page.
    let resp = http.get(page).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 400);
}

#[tokio::test]
async fn a_refused_sign_in_reaches_the_app_as_access_denied() {
    let op = OrgOp::start(&[agent_one()]).await;
    let app = DeskApp::new(&op).await;
    op.deny_next_login().await;
    let browsed = app.sign_in(Some("agent-1"), &[]).await;
    assert!(browsed.output.status.success(), "{}", browsed.stderr());
    assert!(
        browsed.stderr().contains("delivered error=access_denied"),
        "{}",
        browsed.stderr()
    );
    assert_eq!(browsed.param("error").as_deref(), Some("access_denied"));
    assert_eq!(
        browsed.param("error_description").as_deref(),
        Some("The agent refused to sign in")
    );
    assert_eq!(browsed.param("state"), Some(browsed.request.state.clone()));
    assert_eq!(browsed.param("code"), None);

    // Only the next one: the agent can sign in after that.
    let browsed = app.sign_in(Some("agent-1"), &[]).await;
    let request = &browsed.request;
    let (status, body) = app
        .redeem(&browsed.code(), &request.redirect_uri, &request.verifier)
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_provider_takes_the_loopback_callback_on_any_port_and_nothing_else() {
    let op = OrgOp::start(&[agent_one()]).await;
    let app = DeskApp::new(&op).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let status_of = |uri: String| {
        let url = app.request(&uri, &[]).url;
        let http = http.clone();
        async move {
            let resp = http.get(url).send().await.unwrap();
            let status = resp.status().as_u16();
            let location = resp
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            let body = resp.text().await.unwrap_or_default();
            (status, location, body)
        }
    };

    // Any port on 127.0.0.1 (RFC 8252 §7.3), and no port at all (the registered URI).
    for uri in [
        "http://127.0.0.1:1/callback".to_owned(),
        "http://127.0.0.1:65535/callback".to_owned(),
        "http://127.0.0.1/callback".to_owned(),
    ] {
        let (status, location, body) = status_of(uri.clone()).await;
        assert_eq!(status, 303, "{uri}: {body}");
        assert!(location.unwrap().contains("/interaction/"), "{uri}");
    }

    // Another host (even another loopback name), scheme, path or query: refused by the OP
    // itself, which then redirects nowhere.
    for uri in [
        "http://localhost:4567/callback",
        "http://[::1]:4567/callback",
        "https://127.0.0.1:4567/callback",
        "http://127.0.0.1:4567/other",
        "http://127.0.0.1:4567/callback/",
        "http://127.0.0.1:4567/callback?x=1",
        "http://example.com:4567/callback",
        "http://127.0.0.2:4567/callback",
    ] {
        let (status, location, body) = status_of(uri.to_owned()).await;
        assert_eq!(status, 400, "{uri}: {body}");
        assert_eq!(location, None, "{uri}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            error_of(&body),
            Some("invalid_redirect_uri"),
            "{uri}: {body}"
        );
    }

    // The browser helper says so and fails.
    let listener = Listener::bind().await;
    let request = app.request(&format!("http://localhost:{}/callback", listener.port), &[]);
    let output = app.browser(&request.url, Some("agent-1")).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the OP answered 400") && stderr.contains("invalid_redirect_uri"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_browser_helper_needs_an_agent_and_a_url() {
    let op = OrgOp::start(&[agent_one()]).await;
    let app = DeskApp::new(&op).await;
    let browsed = app.sign_in(None, &[]).await;
    assert_eq!(browsed.output.status.code(), Some(2));
    assert!(
        browsed.stderr().contains("CIBA_DESK_TEST_AGENT is not set"),
        "{}",
        browsed.stderr()
    );
    let output = tokio::process::Command::new("node")
        .arg(browser_helper())
        .env("CIBA_DESK_TEST_AGENT", "agent-1")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage:"));

    // Nobody listening on the callback: the browser fails (1) and says so.
    let listener = Listener::bind().await;
    let request = app.request(&listener.redirect_uri(), &[]);
    drop(listener);
    let output = app.browser(&request.url, Some("agent-1")).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/callback failed:") && stderr.contains("ECONNREFUSED"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_browser_helper_signs_in_at_an_https_op_it_trusts_through_node_extra_ca_certs() {
    let ca = std::sync::Arc::new(testkit::tls::TestCa::new("org"));
    let op = OrgOp::start_with(OpOptions {
        agents: vec![agent_one()],
        tls: Some(ca.clone()),
        ..Default::default()
    })
    .await;
    assert!(op.issuer().starts_with("https://"));
    let ca_file = std::env::temp_dir().join(format!(
        "testkit-org-op-ca-{}-{}.pem",
        std::process::id(),
        random(6)
    ));
    std::fs::write(&ca_file, &ca.ca_pem).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(ca.ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap();

    // Without the CA the browser does not trust the OP.
    let app = DeskApp::with_http(&op, http.clone(), None).await;
    let browsed = app.sign_in(Some("agent-1"), &[]).await;
    assert_eq!(
        browsed.output.status.code(),
        Some(1),
        "{}",
        browsed.stderr()
    );
    assert!(browsed.stderr().contains("failed:"), "{}", browsed.stderr());

    let app = DeskApp::with_http(&op, http, Some(ca_file.clone())).await;
    let browsed = app.sign_in(Some("agent-1"), &[]).await;
    let _ = std::fs::remove_file(&ca_file);
    let request = &browsed.request;
    let (status, body) = app
        .redeem(&browsed.code(), &request.redirect_uri, &request.verifier)
        .await;
    assert_eq!(status, 200, "{body}");
    let claims = verify(
        body["access_token"].as_str().unwrap(),
        &app.jwks,
        op.issuer(),
    )
    .unwrap();
    assert_eq!(claims["sub"], "agent-1");
}

#[tokio::test]
async fn the_org_clients_token_response_is_unchanged_by_the_desk_client() {
    // org-agent-client's ID token still carries `sub` only, and no refresh token comes with it.
    let op = OrgOp::start(&[agent_one()]).await;
    let body = op.token_response("agent-1").await;
    assert!(body.get("refresh_token").is_none(), "{body}");
    let claims: Value =
        jsonwebtoken::dangerous::insecure_decode_claims(body["id_token"].as_str().unwrap())
            .unwrap();
    assert!(claims.get("name").is_none(), "{claims}");
}
