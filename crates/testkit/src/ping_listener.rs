//! A client notification endpoint on loopback for ping-mode tests: answers 204 to every POST
//! and hands over the bearer token and body it received.

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::fake_op::read_request;

pub struct Notification {
    pub bearer: String,
    pub body: Vec<u8>,
}

pub struct PingListener {
    pub url: String,
    pub received: mpsc::UnboundedReceiver<Notification>,
}

impl PingListener {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        let (tx, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let Some(req) = read_request(&mut sock).await else {
                    continue;
                };
                let bearer = req
                    .headers
                    .get("authorization")
                    .and_then(|h| h.strip_prefix("Bearer "))
                    .unwrap_or_default()
                    .to_owned();
                let _ = sock
                    .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                    .await;
                let _ = tx.send(Notification {
                    bearer,
                    body: req.body.into_bytes(),
                });
            }
        });
        Self { url, received }
    }
}
