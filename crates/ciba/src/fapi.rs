//! The FAPI-CIBA profile, which banks and regulated providers run: a confidential client that
//! proves itself with its own private key or a certificate (mutual TLS), every request signed, PS256 or ES256 for everything signed, a binding
//! message on every request, and tokens fetched by poll or ping. A provider whose discovery
//! document does not allow one of these is refused with the rule it breaks.

use crate::client_auth::{AuthMethod, ClientAuth};
use crate::discovery::ProviderMetadata;
use crate::error::{CibaError, Result};

/// What FAPI allows for requests, client assertions and ID tokens.
pub const FAPI_ALGORITHMS: [&str; 2] = ["PS256", "ES256"];

fn broken(rule: &str) -> CibaError {
    CibaError::InvalidConfiguration(format!("FAPI-CIBA: {rule}"))
}

/// Checks the client and the provider's metadata against the profile's rules.
pub(crate) fn check(metadata: &ProviderMetadata, auth: &ClientAuth) -> Result<()> {
    let method = auth.method();
    let mutual_tls = method.is_mutual_tls();
    if !mutual_tls && method != AuthMethod::PrivateKeyJwt {
        return Err(broken(&format!(
            "the client must authenticate with its private key (private_key_jwt) or a certificate (tls_client_auth, self_signed_tls_client_auth), not {method}"
        )));
    }
    let Some(key) = auth.signing_key() else {
        return Err(broken(
            "every request is signed, and this mutual-TLS client has no request-signing key",
        ));
    };
    let alg = key.algorithm_name();
    if !FAPI_ALGORITHMS.contains(&alg) {
        return Err(broken(&format!(
            "{} must be signed with PS256 or ES256, not {alg}",
            if mutual_tls {
                "requests"
            } else {
                "client assertions"
            }
        )));
    }
    let offers =
        |list: &[String], wanted: &[&str]| list.iter().any(|a| wanted.contains(&a.as_str()));
    let methods = &metadata.token_endpoint_auth_methods_supported;
    if !methods.is_empty() && !offers(methods, &[method.as_str()]) {
        return Err(broken(&format!(
            "the provider does not take {method} (it offers {})",
            methods.join(", ")
        )));
    }
    let request_algs = &metadata.backchannel_authentication_request_signing_alg_values_supported;
    if !offers(request_algs, &FAPI_ALGORITHMS) {
        return Err(broken(&if request_algs.is_empty() {
            "the provider does not offer signed authentication requests (its discovery document lists no backchannel_authentication_request_signing_alg_values_supported)".to_owned()
        } else {
            format!(
                "the provider takes signed requests with {} only, and FAPI allows PS256 and ES256",
                request_algs.join(", ")
            )
        }));
    }
    let id_token_algs = &metadata.id_token_signing_alg_values_supported;
    if !id_token_algs.is_empty() && !offers(id_token_algs, &FAPI_ALGORITHMS) {
        return Err(broken(&format!(
            "the provider signs ID tokens with {} only, and FAPI allows PS256 and ES256",
            id_token_algs.join(", ")
        )));
    }
    if !metadata.supports_mode("poll") && !metadata.supports_mode("ping") {
        return Err(broken(&format!(
            "tokens must come by poll or ping, and the provider offers {}",
            metadata
                .backchannel_token_delivery_modes_supported
                .join(", ")
        )));
    }
    Ok(())
}

/// FAPI-CIBA: every request carries a binding message for the customer to compare.
pub(crate) fn require_binding_message(has_one: bool) -> Result<()> {
    if has_one {
        Ok(())
    } else {
        Err(broken(
            "every request needs a binding message for the customer to compare",
        ))
    }
}
