//! The one HTTP client a provider gets: HTTPS only (loopback excepted), no redirects, a
//! timeout on every call and a cap on how much of an answer is read.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use url::{Host, Url};

use crate::error::{CibaError, ProviderError, Result};
use crate::mtls::ClientCertificate;

/// Answers larger than this are refused before they are parsed: nothing in CIBA is near it,
/// and an endless body must not exhaust memory.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_body: usize,
    /// Told of every call to the provider, for metrics.
    pub observer: Option<Observer>,
    /// Certificate authorities (PEM) trusted for this provider besides the operating
    /// system's: a provider whose certificates come from its own CA. There is no way to turn
    /// certificate checks off.
    pub extra_roots_pem: Option<String>,
    /// The certificate this client shows when a provider asks for one (mutual TLS).
    pub client_certificate: Option<ClientCertificate>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            max_body: DEFAULT_MAX_BODY,
            observer: None,
            extra_roots_pem: None,
            client_certificate: None,
        }
    }
}

/// Which of the provider's endpoints a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Discovery,
    Jwks,
    Backchannel,
    Token,
    /// A provider-specific call such as a cancel.
    Other,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Discovery => "discovery",
            Endpoint::Jwks => "jwks",
            Endpoint::Backchannel => "backchannel",
            Endpoint::Token => "token",
            Endpoint::Other => "other",
        }
    }
}

/// Receives each call's endpoint, duration and whether an HTTP answer came back at all.
#[derive(Clone)]
pub struct Observer(pub Arc<dyn Fn(Endpoint, Duration, bool) + Send + Sync>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    /// For loopback addresses: never through a proxy (`HTTP_PROXY` would otherwise receive
    /// the plain-HTTP requests, credentials and all, meant for this computer).
    direct: reqwest::Client,
    options: HttpOptions,
}

#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    /// `Cache-Control: max-age`, in seconds, when the answer carried one.
    pub max_age: Option<u64>,
}

impl Http {
    pub fn new(options: HttpOptions) -> Result<Self> {
        let extra_roots = match &options.extra_roots_pem {
            Some(pem) => certificate_authorities(pem)?,
            None => vec![],
        };
        let identity = match &options.client_certificate {
            Some(c) => Some(c.identity()?),
            None => None,
        };
        let builder = || {
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
            pin_localhost(reqwest::Client::builder())
                .connect_timeout(options.connect_timeout)
                .timeout(options.request_timeout)
                // A redirect could lead a form full of credentials to another host.
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .user_agent(concat!("ciba-desk/", env!("CARGO_PKG_VERSION")))
                .tls_certs_merge(extra_roots.clone())
        };
        let builder = || match &identity {
            Some(id) => builder().identity(id.clone()),
            None => builder(),
        };
        let built = |b: reqwest::ClientBuilder| {
            b.build()
                .map_err(|e| CibaError::InvalidConfiguration(format!("HTTP client: {e}")))
        };
        Ok(Self {
            client: built(builder())?,
            direct: built(builder().no_proxy())?,
            options,
        })
    }

    /// The client for `url`: the direct one for this computer.
    fn client_for(&self, url: &Url) -> &reqwest::Client {
        if loopback_addr(url).is_some() {
            &self.direct
        } else {
            &self.client
        }
    }

    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    pub(crate) async fn get(&self, what: Endpoint, url: &Url) -> Result<Response> {
        require_secure(url)?;
        self.send(what, url, self.client_for(url).get(url.clone()))
            .await
    }

    pub(crate) async fn post_form(
        &self,
        what: Endpoint,
        url: &Url,
        form: &[(String, String)],
        basic: Option<&str>,
    ) -> Result<Response> {
        require_secure(url)?;
        let mut req = self.client_for(url).post(url.clone()).form(form);
        if let Some(b) = basic {
            req = req.header(reqwest::header::AUTHORIZATION, sensitive(b)?);
        }
        self.send(what, url, req).await
    }

    pub(crate) async fn delete(&self, url: &Url, form_auth: Option<&str>) -> Result<Response> {
        require_secure(url)?;
        let mut req = self.client_for(url).delete(url.clone());
        if let Some(b) = form_auth {
            req = req.header(reqwest::header::AUTHORIZATION, sensitive(b)?);
        }
        self.send(Endpoint::Other, url, req).await
    }

    async fn send(
        &self,
        what: Endpoint,
        url: &Url,
        req: reqwest::RequestBuilder,
    ) -> Result<Response> {
        let started = Instant::now();
        let result = self.send_inner(url, req).await;
        if let Some(Observer(observe)) = &self.options.observer {
            observe(what, started.elapsed(), result.is_ok());
        }
        result
    }

    async fn send_inner(&self, url: &Url, req: reqwest::RequestBuilder) -> Result<Response> {
        let endpoint = endpoint_name(url);
        let mut resp = req.send().await.map_err(|e| self.transport(&endpoint, e))?;
        let status = resp.status().as_u16();
        let max_age = resp
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age);
        if resp
            .content_length()
            .is_some_and(|n| n > self.options.max_body as u64)
        {
            return Err(CibaError::ResponseTooLarge {
                endpoint,
                limit: self.options.max_body,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.transport(&endpoint, e))?
        {
            if body.len() + chunk.len() > self.options.max_body {
                return Err(CibaError::ResponseTooLarge {
                    endpoint,
                    limit: self.options.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            body,
            max_age,
        })
    }

    fn transport(&self, endpoint: &str, e: reqwest::Error) -> CibaError {
        if e.is_timeout() {
            CibaError::Timeout {
                endpoint: endpoint.to_owned(),
                seconds: self.options.request_timeout.as_secs().max(1),
            }
        } else {
            let mut reason = root_cause(&e);
            if reason.contains("CertificateRequired") {
                reason = format!(
                    "the provider asks for a client certificate ({reason}) and this client shows none; use tls_client_auth or self_signed_tls_client_auth with the certificate the provider has for this client"
                );
            } else if self.options.client_certificate.is_some()
                && ["alert", "reset", "closed"]
                    .iter()
                    .any(|w| reason.contains(w))
            {
                // A provider that refuses a certificate ends the handshake, or with TLS 1.3 the
                // connection just after it; either way it may be the certificate.
                reason = format!(
                    "{reason}; the provider may have refused this client's certificate: check that the profile holds the certificate the provider has for this client"
                );
            } else if reason.contains("certificate") {
                reason = format!(
                    "its certificate is not trusted on this computer ({reason}); if the provider's certificates come from its own certificate authority, add that authority's certificate to the profile"
                );
            }
            CibaError::Unreachable {
                endpoint: endpoint.to_owned(),
                reason,
            }
        }
    }
}

/// The certificates of a PEM bundle of certificate authorities; at least one.
pub fn certificate_authorities(pem: &str) -> Result<Vec<reqwest::Certificate>> {
    let bad = |why: String| {
        CibaError::InvalidConfiguration(format!(
            "the certificate authority bundle {why}: give the authority's certificate in PEM form (-----BEGIN CERTIFICATE-----)"
        ))
    };
    let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
        .map_err(|e| bad(format!("cannot be read ({})", root_cause(&e))))?;
    if certs.is_empty() {
        return Err(bad("holds no certificate".into()));
    }
    // PEM armour around something that is not a certificate only shows when TLS takes it.
    reqwest::Client::builder()
        .tls_certs_only(certs.clone())
        .build()
        .map_err(|_| bad("holds something that is not a certificate".into()))?;
    Ok(certs)
}

/// The innermost cause is the readable one ("connection refused"); reqwest's outer message
/// repeats the URL.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// URLs in messages lose their query: some providers put identifiers there.
pub(crate) fn endpoint_name(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_password(None);
    let _ = u.set_username("");
    u.to_string()
}

/// HTTPS everywhere; plain HTTP only to this machine, for development, tests and the sandbox.
pub fn require_secure(url: &Url) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback_addr(url).is_some() => Ok(()),
        _ => Err(CibaError::InsecureUrl {
            url: endpoint_name(url),
        }),
    }
}

/// A header value that carries a credential: marked sensitive, so the HTTP stack leaves it
/// out of its debug output and HTTP/2 never indexes it.
fn sensitive(value: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        CibaError::InvalidConfiguration(
            "the client credentials cannot be sent in a header (they contain a line break or another control character)".into(),
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// `builder` with `localhost` answered as `127.0.0.1` and `::1` without asking the system's
/// resolver: plain HTTP is allowed to `localhost` because it is this computer, so a hosts
/// file or DNS answer must not make it another one.
pub fn pin_localhost(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    builder.resolve_to_addrs("localhost", &LOCALHOST_ADDRS)
}

/// What `localhost` is, whatever the resolver says (port 0: the URL's port is used).
pub const LOCALHOST_ADDRS: [SocketAddr; 2] = [
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
    SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), 0),
];

/// The address on this computer that `url` points at, if it points at this computer: a
/// loopback IP address (`127.0.0.0/8`, `::1`) or `localhost`, taken as `127.0.0.1`; the port is
/// the URL's or its scheme's default. `None` for any other host, and for a URL without a port
/// whose scheme has no default.
///
/// This is the one loopback rule: what may use plain HTTP, and where a local sandbox may run.
pub fn loopback_addr(url: &Url) -> Option<SocketAddr> {
    let ip = match url.host()? {
        Host::Domain(d) if d.eq_ignore_ascii_case("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Host::Domain(_) => return None,
        Host::Ipv4(ip) => IpAddr::V4(ip),
        Host::Ipv6(ip) => IpAddr::V6(ip),
    };
    if !ip.is_loopback() {
        return None;
    }
    Some(SocketAddr::new(ip, url.port_or_known_default()?))
}

impl Response {
    /// Parses a JSON object, or explains in words what came instead.
    pub(crate) fn json(&self, url: &Url) -> Result<serde_json::Map<String, serde_json::Value>> {
        match serde_json::from_slice::<serde_json::Value>(&self.body) {
            Ok(serde_json::Value::Object(m)) => Ok(m),
            Ok(_) => Err(CibaError::MalformedResponse {
                endpoint: endpoint_name(url),
                reason: "expected a JSON object".into(),
            }),
            Err(e) => {
                let what = describe_non_json(&self.body);
                if (200..300).contains(&self.status) && what == "text" {
                    Err(CibaError::MalformedResponse {
                        endpoint: endpoint_name(url),
                        reason: format!("invalid JSON ({e})"),
                    })
                } else {
                    Err(CibaError::UnexpectedResponse {
                        endpoint: endpoint_name(url),
                        status: self.status,
                        what: what.into(),
                    })
                }
            }
        }
    }

    /// An OAuth error answer (`{"error": …}`), if this is one.
    pub(crate) fn oauth_error(
        &self,
        body: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<ProviderError> {
        let error = provider_text(body.get("error")?.as_str()?);
        let description = body
            .get("error_description")
            .and_then(|d| d.as_str())
            .map(provider_text);
        Some(ProviderError {
            error,
            description,
            status: self.status,
        })
    }
}

/// `max-age` of a `Cache-Control` value (`no-store` and `no-cache` count as 0).
fn max_age(cache_control: &str) -> Option<u64> {
    let mut age = None;
    for directive in cache_control.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(0);
        }
        if let Some(v) = lower.strip_prefix("max-age=") {
            age = v.trim_matches('"').parse().ok();
        }
    }
    age
}

/// The longest provider text shown (an error description, a word pair), in characters.
pub const MAX_PROVIDER_TEXT: usize = 300;

/// A provider's free text made safe to show on a screen, a terminal or in JSON: control
/// characters (terminal escapes among them) become spaces, any run of ten or more digits (a
/// national ID, however written: `191212121212`, `19121212-1212`, `121212 1212`) becomes
/// `[number]`, and it is cut to [`MAX_PROVIDER_TEXT`] characters.
pub fn provider_text(text: &str) -> String {
    let visible: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let out = identity::replace_numbers(&visible, "[number]", |digits| digits.len() >= 10);
    match out.char_indices().nth(MAX_PROVIDER_TEXT) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None => out,
    }
}

fn describe_non_json(body: &[u8]) -> &'static str {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &body[i..]);
    match start {
        None => "an empty body",
        Some(b) if b.first() == Some(&b'<') => "an HTML page",
        Some(_) => "text",
    }
}

#[cfg(test)]
mod tests {
    /// Answers every name with `ip`, like a hosts file or DNS server someone else controls.
    struct Hostile(IpAddr);

    impl reqwest::dns::Resolve for Hostile {
        fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
            let addr = SocketAddr::new(self.0, 0);
            Box::pin(async move { Ok(Box::new(std::iter::once(addr)) as reqwest::dns::Addrs) })
        }
    }

    /// A listener that answers `{}` and counts its connections.
    async fn listener(ip: &str, port: u16) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind((ip, port)).await.unwrap();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let h = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                    )
                    .await;
            }
        });
        hits
    }

    #[tokio::test]
    async fn localhost_is_this_computer_whatever_the_resolver_says() {
        // The same port on 127.0.0.1 (this computer, as `localhost` must be) and on 127.0.0.2
        // (where a hostile resolver sends it).
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let here = listener("127.0.0.1", port).await;
        let elsewhere = listener("127.0.0.2", port).await;
        let hostile = || {
            reqwest::Client::builder()
                .no_proxy()
                .dns_resolver(std::sync::Arc::new(Hostile("127.0.0.2".parse().unwrap())))
        };
        let url = format!("http://localhost:{port}/");
        let pinned = pin_localhost(hostile()).build().unwrap();
        assert_eq!(pinned.get(&url).send().await.unwrap().status(), 200);
        assert_eq!(here.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(elsewhere.load(std::sync::atomic::Ordering::SeqCst), 0);
        // Without the pin the resolver decides: this is what the pin prevents.
        let unpinned = hostile().build().unwrap();
        assert_eq!(unpinned.get(&url).send().await.unwrap().status(), 200);
        assert_eq!(elsewhere.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    use super::*;

    #[test]
    fn cache_control_max_age_is_read() {
        assert_eq!(max_age("public, max-age=3600"), Some(3600));
        assert_eq!(max_age("Max-Age=\"60\""), Some(60));
        assert_eq!(max_age("no-store"), Some(0));
        assert_eq!(max_age("private"), None);
        assert_eq!(max_age("max-age=soon"), None);
    }

    #[test]
    fn provider_text_is_shown_without_numbers_or_terminal_escapes() {
        assert_eq!(
            provider_text("user 191212121212 \u{1b}[31mdenied\u{7} (19121212-1212, 121212 1212)"),
            "user [number]  [31mdenied  ([number], [number])"
        );
        assert_eq!(
            provider_text("retry in 30 s, code 4711"),
            "retry in 30 s, code 4711"
        );
        let long = "x".repeat(MAX_PROVIDER_TEXT + 50);
        assert_eq!(provider_text(&long).chars().count(), MAX_PROVIDER_TEXT + 1);
        assert_eq!(provider_text("\u{9b}2J\r\nok"), " 2J  ok");
    }

    #[test]
    fn only_https_or_loopback_is_allowed() {
        for ok in [
            "https://idp.example.com/x",
            "http://127.0.0.1:8080/",
            "http://127.5.5.5/",
            "http://localhost:1/",
            "http://[::1]:9/",
        ] {
            assert!(require_secure(&Url::parse(ok).unwrap()).is_ok(), "{ok}");
        }
        for bad in [
            "http://idp.example.com/",
            "http://10.0.0.1/",
            "ftp://127.0.0.1/",
            "http://[::2]/",
        ] {
            assert!(matches!(
                require_secure(&Url::parse(bad).unwrap()),
                Err(CibaError::InsecureUrl { .. })
            ));
        }
    }

    #[test]
    fn loopback_addresses_are_this_computer_with_a_port() {
        let addr = |u: &str| loopback_addr(&Url::parse(u).unwrap());
        assert_eq!(
            addr("http://127.0.0.1:7878"),
            Some("127.0.0.1:7878".parse().unwrap())
        );
        assert_eq!(
            addr("http://127.5.5.5/"),
            Some("127.5.5.5:80".parse().unwrap())
        );
        assert_eq!(
            addr("http://localhost:9000/"),
            Some("127.0.0.1:9000".parse().unwrap())
        );
        assert_eq!(
            addr("http://LocalHost:9000/"),
            Some("127.0.0.1:9000".parse().unwrap())
        );
        assert_eq!(addr("https://[::1]/x"), Some("[::1]:443".parse().unwrap()));
        for other in [
            "https://idp.example.com",
            "http://10.0.0.1:80/",
            "http://[::2]/",
            "http://localhost.example.com/",
            "http://[::ffff:10.0.0.1]/",
            "mailto:someone@localhost",
            "unknown://127.0.0.1/",
        ] {
            assert_eq!(addr(other), None, "{other}");
        }
    }

    #[test]
    fn endpoint_names_drop_query_and_credentials() {
        let u = Url::parse("https://u:p@idp.example.com/token?x=secret#f").unwrap();
        assert_eq!(endpoint_name(&u), "https://idp.example.com/token");
    }

    #[test]
    fn non_json_bodies_are_described() {
        assert_eq!(describe_non_json(b"  <!doctype html>"), "an HTML page");
        assert_eq!(describe_non_json(b""), "an empty body");
        assert_eq!(describe_non_json(b"oops"), "text");
    }
}
