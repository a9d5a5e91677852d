//! `ciba-desk discover`: what a provider offers, as JSON.

use ciba::{EndpointOverrides, Http, HttpOptions, discovery};

use crate::exit;

pub async fn run(issuer: &str) -> u8 {
    let result = async {
        let http = Http::new(HttpOptions::default())?;
        discovery::discover(&http, issuer, &EndpointOverrides::default()).await
    }
    .await;
    match result {
        Ok(m) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&m).expect("metadata serialises")
            );
            exit::VERIFIED
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::for_error(&e)
        }
    }
}
