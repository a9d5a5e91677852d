//! An in-process fake OpenID provider for what a real one will not do on demand: HTML error
//! pages, hangs, connection resets, huge bodies, `slow_down`, rotated keys and forged tokens.
//! It speaks just enough HTTP/1.1 by hand so that it can also misbehave at the socket level.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const CLIENT_ID: &str = "desk-client";
pub const CLIENT_SECRET: &str = "s3cr:et+/=";

/// A test key: its PEM (to sign) and its public JWK (to publish).
#[derive(Clone)]
pub struct TestKey {
    pub pem: String,
    pub jwk: Value,
    pub alg: Algorithm,
}

pub fn key(name: &str) -> TestKey {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
    let pem = std::fs::read_to_string(format!("{dir}{name}.pem")).unwrap();
    let jwk: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}{name}.jwk.json")).unwrap())
            .unwrap();
    let alg = jwk["alg"].as_str().unwrap().parse().unwrap();
    TestKey { pem, jwk, alg }
}

impl TestKey {
    pub fn kid(&self) -> &str {
        self.jwk["kid"].as_str().unwrap()
    }

    pub fn encoding_key(&self) -> EncodingKey {
        match self.alg {
            Algorithm::RS256 | Algorithm::PS256 => {
                EncodingKey::from_rsa_pem(self.pem.as_bytes()).unwrap()
            }
            Algorithm::ES256 => EncodingKey::from_ec_pem(self.pem.as_bytes()).unwrap(),
            Algorithm::EdDSA => EncodingKey::from_ed_pem(self.pem.as_bytes()).unwrap(),
            a => panic!("no test key for {a:?}"),
        }
    }

    /// Signs `claims` with this key, naming it in the header.
    pub fn sign(&self, claims: &Value) -> String {
        let mut h = Header::new(self.alg);
        h.kid = Some(self.kid().to_owned());
        jsonwebtoken::encode(&h, claims, &self.encoding_key()).unwrap()
    }
}

/// How the fake answers one request.
#[derive(Clone, Debug)]
pub enum Reply {
    Json(u16, Value),
    Raw {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
        content_length: bool,
    },
    /// Reads the request and never answers.
    Hang,
    /// Closes the connection without a word.
    Reset,
}

impl Reply {
    pub fn error(status: u16, code: &str, description: &str) -> Self {
        Reply::Json(
            status,
            json!({"error": code, "error_description": description}),
        )
    }
    pub fn pending() -> Self {
        Reply::error(
            400,
            "authorization_pending",
            "the user has not answered yet",
        )
    }
    pub fn html(status: u16) -> Self {
        Reply::Raw {
            status,
            content_type: "text/html",
            body: b"<!DOCTYPE html><html><body><h1>Internal Server Error</h1></body></html>"
                .to_vec(),
            content_length: true,
        }
    }
}

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Recorded {
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }
    pub fn field(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

#[derive(Default)]
struct State {
    queues: HashMap<String, VecDeque<Reply>>,
    defaults: HashMap<String, Reply>,
    jwks: Vec<Value>,
    discovery_patch: serde_json::Map<String, Value>,
    recorded: Vec<Recorded>,
}

#[derive(Clone)]
pub struct FakeOp {
    pub issuer: String,
    state: Arc<Mutex<State>>,
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl FakeOp {
    /// Starts the fake on 127.0.0.1 with `keys` in its JWKS; the backchannel endpoint
    /// acknowledges with `expires_in` 60 and `interval` 2, the token endpoint says pending.
    pub async fn start(keys: &[&TestKey]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            jwks: keys.iter().map(|k| k.jwk.clone()).collect(),
            ..Default::default()
        }));
        let op = FakeOp { issuer, state };
        op.set_default(
            "/bc",
            Reply::Json(
                200,
                json!({"auth_req_id": "req-1", "expires_in": 60, "interval": 2}),
            ),
        );
        op.set_default("/token", Reply::pending());
        let me = op.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let me = me.clone();
                tokio::spawn(async move { me.serve(sock).await });
            }
        });
        op
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// Answers for the next requests to `path`, in order, before the default resumes.
    pub fn queue(&self, path: &str, replies: impl IntoIterator<Item = Reply>) {
        self.state
            .lock()
            .unwrap()
            .queues
            .entry(path.into())
            .or_default()
            .extend(replies);
    }

    pub fn set_default(&self, path: &str, reply: Reply) {
        self.state
            .lock()
            .unwrap()
            .defaults
            .insert(path.into(), reply);
    }

    pub fn set_jwks(&self, keys: &[&TestKey]) {
        self.state.lock().unwrap().jwks = keys.iter().map(|k| k.jwk.clone()).collect();
    }

    /// Changes fields of the discovery document (`Value::Null` removes one).
    pub fn patch_discovery(&self, field: &str, value: Value) {
        self.state
            .lock()
            .unwrap()
            .discovery_patch
            .insert(field.into(), value);
    }

    pub fn recorded(&self, path: &str) -> Vec<Recorded> {
        self.state
            .lock()
            .unwrap()
            .recorded
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Standard, valid ID token claims for `CLIENT_ID`.
    pub fn claims(&self) -> Value {
        let now = now();
        json!({"iss": self.issuer, "sub": "user-1", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
               "auth_time": now, "acr": "urn:test:loa2", "name": "Alice Andersson"})
    }

    /// A token response carrying `id_token`.
    pub fn tokens(id_token: &str) -> Reply {
        Reply::Json(
            200,
            json!({"id_token": id_token, "access_token": "at-1", "token_type": "Bearer", "expires_in": 300}),
        )
    }

    /// The customer approves the next verification: the backchannel request is acknowledged
    /// (by the endpoint's default answer unless [`Approval::acknowledged`] says otherwise) and
    /// the token endpoint answers with an ID token carrying [`claims`](Self::claims) (changed
    /// with [`Approval::claims`]). Nothing is queued until [`Approval::signed_by`] names the key.
    /// The endpoints are those of the discovery document: [`FakeOp::patch_discovery`] moves
    /// them for this too.
    pub fn approve(&self) -> Approval<'_> {
        Approval {
            op: self,
            ack: None,
            before: Vec::new(),
            claims: self.claims(),
        }
    }

    /// The path the discovery document gives for `field`'s endpoint at this fake.
    fn endpoint_path(&self, field: &str) -> String {
        let url = self.discovery()[field]
            .as_str()
            .unwrap_or_else(|| panic!("the fake's discovery document has no {field}"))
            .to_owned();
        let path = url
            .strip_prefix(&self.issuer)
            .unwrap_or_else(|| panic!("{field} {url} is not at the fake"));
        path.split('?').next().unwrap_or_default().to_owned()
    }

    fn discovery(&self) -> Value {
        let i = &self.issuer;
        let mut d = json!({
            "issuer": i,
            "backchannel_authentication_endpoint": format!("{i}/bc"),
            "token_endpoint": format!("{i}/token"),
            "jwks_uri": format!("{i}/jwks"),
            "backchannel_token_delivery_modes_supported": ["poll", "ping"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA", "HS256", "none"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "grant_types_supported": ["urn:openid:params:grant-type:ciba"],
        });
        let obj = d.as_object_mut().unwrap();
        for (k, v) in &self.state.lock().unwrap().discovery_patch {
            if v.is_null() {
                obj.remove(k);
            } else {
                obj.insert(k.clone(), v.clone());
            }
        }
        d
    }

    async fn serve(&self, mut sock: TcpStream) {
        let Some(req) = read_request(&mut sock).await else {
            return;
        };
        let path = req.path.split('?').next().unwrap_or_default().to_owned();
        let reply = {
            let mut s = self.state.lock().unwrap();
            s.recorded.push(req.clone());
            s.queues
                .get_mut(&path)
                .and_then(VecDeque::pop_front)
                .or_else(|| s.defaults.get(&path).cloned())
        };
        let reply = reply.unwrap_or_else(|| match path.as_str() {
            "/.well-known/openid-configuration" => Reply::Json(200, self.discovery()),
            "/jwks" => Reply::Json(200, json!({"keys": self.state.lock().unwrap().jwks})),
            _ => Reply::Json(404, json!({"error": "not_found"})),
        });
        let (status, ctype, body, with_len) = match reply {
            Reply::Json(s, v) => (s, "application/json", v.to_string().into_bytes(), true),
            Reply::Raw {
                status,
                content_type,
                body,
                content_length,
            } => (status, content_type, body, content_length),
            Reply::Hang => {
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                return;
            }
            // Dropping the socket mid-exchange is what a crashing proxy does.
            Reply::Reset => return,
        };
        let mut head =
            format!("HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nConnection: close\r\n");
        if with_len {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let _ = sock.write_all(head.as_bytes()).await;
        let _ = sock.write_all(&body).await;
        let _ = sock.shutdown().await;
    }
}

/// One approved verification at the fake, made by [`FakeOp::approve`].
#[must_use = "nothing is queued until `signed_by`"]
pub struct Approval<'a> {
    op: &'a FakeOp,
    ack: Option<Value>,
    before: Vec<Reply>,
    claims: Value,
}

impl Approval<'_> {
    /// Acknowledges the backchannel request with this body (`auth_req_id`, `expires_in`,
    /// `interval`, …) instead of the endpoint's default answer.
    pub fn acknowledged(mut self, ack: Value) -> Self {
        self.ack = Some(ack);
        self
    }

    /// The token endpoint answers these first, in order (e.g. [`Reply::pending`]).
    pub fn after(mut self, replies: impl IntoIterator<Item = Reply>) -> Self {
        self.before.extend(replies);
        self
    }

    /// Sets these claims of the ID token; `null` removes one.
    pub fn claims(mut self, changes: Value) -> Self {
        let claims = self.claims.as_object_mut().unwrap();
        for (name, value) in changes.as_object().expect("claims are a JSON object") {
            if value.is_null() {
                claims.remove(name);
            } else {
                claims.insert(name.clone(), value.clone());
            }
        }
        self
    }

    /// Signs the ID token with `key` and queues the answers; returns the ID token.
    pub fn signed_by(self, key: &TestKey) -> String {
        let id_token = key.sign(&self.claims);
        if let Some(ack) = self.ack {
            let path = self.op.endpoint_path("backchannel_authentication_endpoint");
            self.op.queue(&path, [Reply::Json(200, ack)]);
        }
        let path = self.op.endpoint_path("token_endpoint");
        self.op.queue(
            &path,
            self.before.into_iter().chain([FakeOp::tokens(&id_token)]),
        );
        id_token
    }
}

pub(crate) async fn read_request(sock: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}
