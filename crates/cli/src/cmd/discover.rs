//! `ciba-desk discover`: what a provider offers, as JSON.

use ciba::{EndpointOverrides, Http, HttpOptions, discover};

use crate::exit;

pub async fn run(issuer: &str) -> u8 {
    let result = async {
        let http = Http::new(HttpOptions::default())?;
        discover(&http, issuer, &EndpointOverrides::default()).await
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
            exit::for_outcome(exit::outcome_of(&e.into()))
        }
    }
}
