//! The loopback redirect of a native app's sign-in (RFC 8252 §7.3): a listener on
//! `127.0.0.1` on a port the system picks, for one answer from the agent's browser.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{DeskError, Result};

const CALLBACK_PATH: &str = "/callback";
/// The most of a request this listener reads: a browser's request line and headers.
const MAX_HEAD: usize = 16 * 1024;

const PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>CIBA Desk</title></head>\
<body style=\"font-family:sans-serif;margin:3em\"><h1>CIBA Desk</h1>\
<p>The sign-in has reached CIBA Desk. You can close this tab and go back to the app.</p></body></html>";

pub struct Loopback {
    listener: TcpListener,
    port: u16,
}

impl Loopback {
    pub async fn bind() -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| DeskError::Io {
                action: "listen for the sign-in on",
                path: "127.0.0.1".into(),
                reason: e.to_string(),
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| DeskError::Io {
                action: "listen for the sign-in on",
                path: "127.0.0.1".into(),
                reason: e.to_string(),
            })?
            .port();
        Ok(Self { listener, port })
    }

    /// Where the provider sends the browser back.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// The query of the first request for the callback path (other requests, such as a
    /// browser's `/favicon.ico`, get a 404 and are otherwise ignored).
    pub async fn answer(self, within: Duration) -> Result<String> {
        let wait = async {
            loop {
                let Ok((stream, _)) = self.listener.accept().await else {
                    continue;
                };
                if let Some(query) = serve(stream).await {
                    return query;
                }
            }
        };
        tokio::time::timeout(within, wait)
            .await
            .map_err(|_| DeskError::SignInTimedOut {
                minutes: within.as_secs().div_ceil(60),
            })
    }
}

/// Reads one request; answers it; the callback's query when it was the callback.
async fn serve(mut stream: TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
    };
    // A connection that says nothing must not hold the sign-in up.
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .ok()?;
    let line = String::from_utf8_lossy(&head);
    let target = line
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("GET "))
        .and_then(|l| l.split(' ').next())
        .unwrap_or("");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let ours = path == CALLBACK_PATH;
    let (status, body) = if ours {
        ("200 OK", PAGE)
    } else {
        ("404 Not Found", "")
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
    ours.then(|| query.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_callbacks_query_comes_back_and_other_paths_do_not_count() {
        let l = Loopback::bind().await.unwrap();
        let uri = l.redirect_uri();
        assert!(uri.starts_with("http://127.0.0.1:") && uri.ends_with("/callback"));
        let port: u16 = uri
            .trim_start_matches("http://127.0.0.1:")
            .trim_end_matches("/callback")
            .parse()
            .unwrap();
        let waiting = tokio::spawn(l.answer(Duration::from_secs(10)));
        let get = |path: &'static str| async move {
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
                .await
                .unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            out
        };
        assert!(get("/favicon.ico").await.starts_with("HTTP/1.1 404"));
        let page = get("/callback?code=c&state=s").await;
        assert!(page.starts_with("HTTP/1.1 200") && page.contains("close this tab"));
        assert_eq!(waiting.await.unwrap().unwrap(), "code=c&state=s");
    }

    #[tokio::test]
    async fn nobody_answering_ends_with_a_named_timeout() {
        let l = Loopback::bind().await.unwrap();
        let e = l.answer(Duration::from_millis(50)).await.unwrap_err();
        assert_eq!(e.code(), "sign_in_timed_out");
    }
}
