//! ID token verifications per second with a warm JWKS cache, per algorithm. Prints figures;
//! asserts nothing (speed targets are measured, not tested). Run: `cargo bench -p ciba`.

use std::time::{Duration, Instant};

use ciba::{CibaClient, ClientAuth, ClientConfig, SecretString, TokenResponse};
use testkit::fake_op::{CLIENT_ID, CLIENT_SECRET, FakeOp, key};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let keys = [key("rsa1"), key("ec1"), key("ed1")];
    let op = FakeOp::start(&keys.iter().collect::<Vec<_>>()).await;
    let auth = ClientAuth::SecretBasic {
        client_id: CLIENT_ID.into(),
        secret: SecretString::from(CLIENT_SECRET),
    };
    let client = CibaClient::discover(ClientConfig::new(op.issuer.clone(), auth))
        .await
        .unwrap();
    let auth_req_id = SecretString::from("req-1");
    let requested_at = testkit::fake_op::now() - 5;
    println!("ID token verification, warm JWKS cache, one core:");
    for k in &keys {
        let tokens = TokenResponse {
            id_token: SecretString::from(k.sign(&op.claims())),
            access_token: None,
            refresh_token: None,
            token_type: None,
            expires_in: None,
            scope: None,
        };
        client
            .verify_tokens(&tokens, &auth_req_id, requested_at)
            .await
            .unwrap(); // warms the cache
        let budget = Duration::from_secs(2);
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < budget {
            client
                .verify_tokens(&tokens, &auth_req_id, requested_at)
                .await
                .unwrap();
            n += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "  {:<6} {:>9.0} verifications/s  ({:.1} µs each, {n} runs)",
            format!("{:?}", k.alg),
            n as f64 / secs,
            secs * 1e6 / n as f64
        );
    }
    assert_eq!(
        op.recorded("/jwks").len(),
        1,
        "the benchmark must measure a warm cache"
    );
}
