//! Before a national identity number goes to the built-in sandbox, the listener on its port
//! proves it is the sandbox this user started (see [`sandbox::proof`]): another program that
//! took the port first gets nothing, and the agent is told which port and what to do.

use std::path::Path;
use std::time::Duration;

use rand::RngCore as _;
use url::Url;

use crate::error::{DeskError, Result};

/// How long the proof may take; the sandbox answers from memory on this computer.
const PROOF_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether something accepts connections at the sandbox issuer's address.
pub async fn listening(issuer: &str) -> bool {
    match local_addr(issuer) {
        Some(addr) => tokio::time::timeout(PROOF_TIMEOUT, tokio::net::TcpStream::connect(addr))
            .await
            .is_ok_and(|c| c.is_ok()),
        None => false,
    }
}

/// `Ok` when the listener at `issuer` answers the proof with the token the sandbox wrote to
/// `data_dir`.
pub async fn prove(issuer: &str, data_dir: &Path) -> Result<()> {
    let Some(addr) = local_addr(issuer) else {
        return Err(DeskError::NotTheSandbox {
            port: 0,
            reason: format!(
                "the sandbox profile's address {issuer} is not on this computer, and the sandbox only ever runs here"
            ),
        });
    };
    let port = addr.port();
    let foreign = |reason: &str| DeskError::NotTheSandbox {
        port,
        reason: reason.to_owned(),
    };
    let token = std::fs::read_to_string(sandbox::proof::proof_file(data_dir, port))
        .map_err(|_| foreign("no CIBA Desk sandbox was started on it by this user"))?;
    let mut raw = [0u8; 16];
    rand::rng().fill_bytes(&mut raw);
    let nonce: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let http = ciba::pin_localhost(reqwest::Client::builder())
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(PROOF_TIMEOUT)
        .build()
        .map_err(|e| foreign(&e.to_string()))?;
    let url = format!("{}/sandbox/proof", issuer.trim_end_matches('/'));
    let answer: serde_json::Value = match http.post(&url).form(&[("nonce", &nonce)]).send().await {
        Ok(r) if r.status().is_success() => r
            .json()
            .await
            .map_err(|_| foreign("what answers there does not speak the sandbox's language"))?,
        Ok(_) => {
            return Err(foreign(
                "what answers there does not know the sandbox's proof",
            ));
        }
        Err(e) if e.is_connect() => {
            return Err(foreign(
                "nothing answers there (the sandbox is not running)",
            ));
        }
        Err(_) => return Err(foreign("what answers there did not answer in time")),
    };
    let expected = sandbox::proof::answer(&token, &nonce);
    if answer.get("proof").and_then(|p| p.as_str()) == Some(expected.as_str()) {
        Ok(())
    } else {
        Err(foreign(
            "it could not prove it is the sandbox this user started",
        ))
    }
}

/// Where a sandbox issuer would be served on this computer: a loopback `http` URL (the
/// sandbox speaks plain HTTP only).
pub fn local_addr(issuer: &str) -> Option<std::net::SocketAddr> {
    let url = Url::parse(issuer).ok()?;
    (url.scheme() == "http").then_some(())?;
    ciba::loopback_addr(&url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_sandboxes_are_started() {
        assert_eq!(
            local_addr("http://127.0.0.1:7878"),
            Some("127.0.0.1:7878".parse().unwrap())
        );
        assert_eq!(
            local_addr("http://localhost:9000/"),
            Some("127.0.0.1:9000".parse().unwrap())
        );
        assert_eq!(local_addr("https://idp.example.com"), None);
        assert_eq!(local_addr("http://10.0.0.1:7878"), None);
        assert_eq!(
            local_addr("https://127.0.0.1:7878"),
            None,
            "the sandbox cannot serve https"
        );
    }
}
