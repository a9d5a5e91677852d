//! `/.well-known/openid-configuration` and `/jwks`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::App;
use crate::id_token::ACR;

pub(crate) const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";

pub(crate) async fn configuration(State(app): State<Arc<App>>) -> Json<Value> {
    let issuer = &app.issuer;
    Json(json!({
        "issuer": issuer,
        "backchannel_authentication_endpoint": format!("{issuer}/ciba/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "backchannel_token_delivery_modes_supported": ["poll"],
        "backchannel_user_code_parameter_supported": false,
        "grant_types_supported": [CIBA_GRANT],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "subject_types_supported": ["public"],
        "scopes_supported": ["openid", "profile", "email"],
        "acr_values_supported": [ACR],
        "claims_supported": [
            "iss", "sub", "aud", "iat", "exp", "auth_time", "acr", "amr", "at_hash",
            "name", "given_name", "family_name", "birthdate", "country", "ssn",
            "email", "email_verified"
        ],
        // Not standard: lets an app recognise the sandbox and link to its phone page.
        "sandbox": true,
        "sandbox_device_url": format!("{issuer}/device"),
    }))
}

pub(crate) async fn jwks(State(app): State<Arc<App>>) -> Json<jsonwebtoken::jwk::JwkSet> {
    Json(app.key.jwks())
}
