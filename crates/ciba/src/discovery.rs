//! OpenID Provider discovery (OpenID Connect Discovery 1.0 §4, plus the CIBA metadata of
//! CIBA Core §4).

use serde::Serialize;
use serde_json::{Map, Value};
use url::Url;

use crate::error::{CibaError, Result};
use crate::http::{Endpoint, Http, endpoint_name, loopback_addr, require_secure};

/// The grant type that marks a CIBA token request.
pub const CIBA_GRANT_TYPE: &str = "urn:openid:params:grant-type:ciba";

/// What the client needs to know about a provider. Everything comes from the discovery
/// document unless overridden (some providers document endpoints but publish partial metadata).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub backchannel_authentication_endpoint: Url,
    pub token_endpoint: Url,
    pub jwks_uri: Url,
    pub backchannel_token_delivery_modes_supported: Vec<String>,
    pub id_token_signing_alg_values_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Vec<String>,
    pub backchannel_authentication_request_signing_alg_values_supported: Vec<String>,
    pub backchannel_user_code_parameter_supported: bool,
    pub grant_types_supported: Vec<String>,
    /// Where a client with a certificate goes instead (RFC 8705 §5): some providers ask for
    /// certificates on other hosts only. Empty where an endpoint is overridden.
    pub mtls_endpoint_aliases: MtlsEndpointAliases,
}

/// The `mtls_endpoint_aliases` of a discovery document that CIBA uses.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct MtlsEndpointAliases {
    pub backchannel_authentication_endpoint: Option<Url>,
    pub token_endpoint: Option<Url>,
}

/// Endpoints that replace what discovery says (or stand in for a missing discovery document).
#[derive(Debug, Clone, Default)]
pub struct EndpointOverrides {
    pub backchannel_authentication_endpoint: Option<Url>,
    pub token_endpoint: Option<Url>,
    pub jwks_uri: Option<Url>,
}

/// `{issuer}/.well-known/openid-configuration`, keeping any path the issuer has
/// (`https://host/op` → `https://host/op/.well-known/openid-configuration`).
pub fn discovery_url(issuer: &str) -> Result<Url> {
    let base = issuer.trim_end_matches('/');
    let url = Url::parse(&format!("{base}/.well-known/openid-configuration")).map_err(|e| {
        CibaError::InvalidConfiguration(format!("issuer {issuer:?} is not a URL: {e}"))
    })?;
    require_secure(&url)?;
    Ok(url)
}

/// Fetches the provider's discovery document (`{issuer}/.well-known/openid-configuration`) and
/// reads the metadata the client needs from it, with `overrides` applied.
pub async fn discover(
    http: &Http,
    issuer: &str,
    overrides: &EndpointOverrides,
) -> Result<ProviderMetadata> {
    from_document(issuer, &fetch_document(http, issuer).await?, overrides)
}

/// What any OpenID provider publishes about signing its tokens, CIBA or not: enough to verify
/// the access tokens an organisation's sign-in provider issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningMetadata {
    pub issuer: String,
    pub jwks_uri: Url,
    pub id_token_signing_alg_values_supported: Vec<String>,
}

/// Discovers `issuer`'s signing keys and algorithms (no CIBA needed).
pub async fn discover_signing(http: &Http, issuer: &str) -> Result<SigningMetadata> {
    let doc = fetch_document_checked(http, issuer).await?;
    Ok(SigningMetadata {
        issuer: issuer.into(),
        jwks_uri: doc_url(issuer, &doc, "jwks_uri")?
            .ok_or(CibaError::IncompleteDiscovery { field: "jwks_uri" })?,
        id_token_signing_alg_values_supported: doc_strings(
            &doc,
            "id_token_signing_alg_values_supported",
        ),
    })
}

/// The discovery document, once it names `issuer` as its issuer.
pub(crate) async fn fetch_document_checked(
    http: &Http,
    issuer: &str,
) -> Result<Map<String, Value>> {
    let doc = fetch_document(http, issuer).await?;
    check_issuer(issuer, &doc)?;
    Ok(doc)
}

async fn fetch_document(http: &Http, issuer: &str) -> Result<Map<String, Value>> {
    let url = discovery_url(issuer)?;
    let resp = http.get(Endpoint::Discovery, &url).await?;
    let doc = resp.json(&url)?;
    if !(200..300).contains(&resp.status) {
        return Err(CibaError::UnexpectedResponse {
            endpoint: endpoint_name(&url),
            status: resp.status,
            what: "an error".into(),
        });
    }
    Ok(doc)
}

fn check_issuer(issuer: &str, doc: &Map<String, Value>) -> Result<()> {
    let found = doc
        .get("issuer")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if found != issuer {
        return Err(CibaError::IssuerMismatch {
            expected: issuer.into(),
            found: found.into(),
        });
    }
    Ok(())
}

/// A URL field of the document, which must be HTTPS (or loopback).
pub(crate) fn doc_url(
    issuer: &str,
    doc: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<Url>> {
    match doc.get(field).and_then(Value::as_str) {
        None => Ok(None),
        Some(s) => {
            let u = Url::parse(s).map_err(|_| CibaError::MalformedResponse {
                endpoint: issuer.into(),
                reason: format!("{field} is not a URL"),
            })?;
            require_endpoint(issuer, &u)?;
            Ok(Some(u))
        }
    }
}

/// An endpoint `issuer`'s client may be sent to: HTTPS, except that an issuer on this
/// computer (plain HTTP, for development and tests) keeps every endpoint on this computer too.
/// So a remote provider's document cannot send the secret and the customers' numbers in clear
/// to a local port, nor a local one anywhere else.
fn require_endpoint(issuer: &str, u: &Url) -> Result<()> {
    require_secure(u)?;
    let issuer_on_loopback = Url::parse(issuer)
        .ok()
        .is_some_and(|i| loopback_addr(&i).is_some());
    let ok = if issuer_on_loopback {
        loopback_addr(u).is_some()
    } else {
        u.scheme() == "https"
    };
    if ok {
        Ok(())
    } else if issuer_on_loopback {
        Err(CibaError::InvalidConfiguration(format!(
            "the issuer is on this computer, but {} is not: a development provider's endpoints must all be on this computer",
            endpoint_name(u)
        )))
    } else {
        Err(CibaError::InsecureUrl {
            url: endpoint_name(u),
        })
    }
}

pub(crate) fn doc_strings(doc: &Map<String, Value>, field: &str) -> Vec<String> {
    doc.get(field)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Builds the metadata from a parsed discovery document, applying the overrides.
pub fn from_document(
    issuer: &str,
    doc: &Map<String, Value>,
    overrides: &EndpointOverrides,
) -> Result<ProviderMetadata> {
    check_issuer(issuer, doc)?;
    let url = |field: &'static str| doc_url(issuer, doc, field);
    let backchannel = match overrides.backchannel_authentication_endpoint.clone() {
        Some(u) => u,
        None => url("backchannel_authentication_endpoint")?.ok_or_else(|| {
            CibaError::CibaNotSupported {
                issuer: issuer.into(),
            }
        })?,
    };
    let token_endpoint = match overrides.token_endpoint.clone() {
        Some(u) => u,
        None => url("token_endpoint")?.ok_or(CibaError::IncompleteDiscovery {
            field: "token_endpoint",
        })?,
    };
    let jwks_uri = match overrides.jwks_uri.clone() {
        Some(u) => u,
        None => url("jwks_uri")?.ok_or(CibaError::IncompleteDiscovery { field: "jwks_uri" })?,
    };
    for u in [&backchannel, &token_endpoint, &jwks_uri] {
        require_endpoint(issuer, u)?;
    }
    let strings = |field: &str| doc_strings(doc, field);
    let aliases = mtls_endpoint_aliases(issuer, doc)?;
    Ok(ProviderMetadata {
        issuer: issuer.into(),
        backchannel_authentication_endpoint: backchannel,
        token_endpoint,
        jwks_uri,
        backchannel_token_delivery_modes_supported: strings(
            "backchannel_token_delivery_modes_supported",
        ),
        id_token_signing_alg_values_supported: strings("id_token_signing_alg_values_supported"),
        token_endpoint_auth_methods_supported: strings("token_endpoint_auth_methods_supported"),
        backchannel_authentication_request_signing_alg_values_supported: strings(
            "backchannel_authentication_request_signing_alg_values_supported",
        ),
        backchannel_user_code_parameter_supported: doc
            .get("backchannel_user_code_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        grant_types_supported: strings("grant_types_supported"),
        mtls_endpoint_aliases: MtlsEndpointAliases {
            // An endpoint someone set by hand is where they want requests to go.
            backchannel_authentication_endpoint: aliases
                .backchannel_authentication_endpoint
                .filter(|_| overrides.backchannel_authentication_endpoint.is_none()),
            token_endpoint: aliases
                .token_endpoint
                .filter(|_| overrides.token_endpoint.is_none()),
        },
    })
}

/// The aliases the document gives, held to the same rules as its other endpoints.
fn mtls_endpoint_aliases(issuer: &str, doc: &Map<String, Value>) -> Result<MtlsEndpointAliases> {
    let Some(aliases) = doc.get("mtls_endpoint_aliases") else {
        return Ok(MtlsEndpointAliases::default());
    };
    let Some(aliases) = aliases.as_object() else {
        return Err(CibaError::MalformedResponse {
            endpoint: issuer.into(),
            reason: "mtls_endpoint_aliases is not an object".into(),
        });
    };
    let alias = |field: &'static str| doc_url(issuer, aliases, field);
    Ok(MtlsEndpointAliases {
        backchannel_authentication_endpoint: alias("backchannel_authentication_endpoint")?,
        token_endpoint: alias("token_endpoint")?,
    })
}

impl ProviderMetadata {
    /// Metadata for a provider known only by its endpoints (no discovery document).
    pub fn from_endpoints(issuer: &str, backchannel: Url, token: Url, jwks: Url) -> Result<Self> {
        for u in [&backchannel, &token, &jwks] {
            require_endpoint(issuer, u)?;
        }
        Ok(Self {
            issuer: issuer.into(),
            backchannel_authentication_endpoint: backchannel,
            token_endpoint: token,
            jwks_uri: jwks,
            backchannel_token_delivery_modes_supported: vec!["poll".into()],
            id_token_signing_alg_values_supported: vec![],
            token_endpoint_auth_methods_supported: vec![],
            backchannel_authentication_request_signing_alg_values_supported: vec![],
            backchannel_user_code_parameter_supported: false,
            grant_types_supported: vec![CIBA_GRANT_TYPE.into()],
            mtls_endpoint_aliases: MtlsEndpointAliases::default(),
        })
    }

    /// The metadata as a client with a certificate uses it: the mutual-TLS aliases in place
    /// of the endpoints they stand for.
    pub fn with_mtls_aliases(mut self) -> Self {
        let aliases = std::mem::take(&mut self.mtls_endpoint_aliases);
        if let Some(u) = aliases.backchannel_authentication_endpoint {
            self.backchannel_authentication_endpoint = u;
        }
        if let Some(u) = aliases.token_endpoint {
            self.token_endpoint = u;
        }
        self
    }

    pub fn supports_mode(&self, mode: &str) -> bool {
        // An empty list means the provider did not say; poll is the mode every OP implements.
        self.backchannel_token_delivery_modes_supported
            .iter()
            .any(|m| m == mode)
            || (self.backchannel_token_delivery_modes_supported.is_empty() && mode == "poll")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn discovery_url_keeps_the_issuer_path() {
        assert_eq!(
            discovery_url("https://pp.netseidbroker.dk/op")
                .unwrap()
                .as_str(),
            "https://pp.netseidbroker.dk/op/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://idp.example.com/").unwrap().as_str(),
            "https://idp.example.com/.well-known/openid-configuration"
        );
        assert!(matches!(
            discovery_url("http://idp.example.com"),
            Err(CibaError::InsecureUrl { .. })
        ));
    }

    #[test]
    fn issuer_must_match_exactly() {
        let d = doc(
            json!({"issuer": "https://idp.example.com/", "backchannel_authentication_endpoint": "https://idp.example.com/bc",
            "token_endpoint": "https://idp.example.com/t", "jwks_uri": "https://idp.example.com/j"}),
        );
        let e = from_document("https://idp.example.com", &d, &Default::default()).unwrap_err();
        assert!(matches!(e, CibaError::IssuerMismatch { .. }), "{e}");
    }

    #[test]
    fn a_provider_without_backchannel_endpoint_is_not_ciba() {
        let d = doc(
            json!({"issuer": "https://idp.example.com", "token_endpoint": "https://idp.example.com/t", "jwks_uri": "https://idp.example.com/j"}),
        );
        let e = from_document("https://idp.example.com", &d, &Default::default()).unwrap_err();
        assert!(matches!(e, CibaError::CibaNotSupported { .. }));
        assert!(e.to_string().contains("does not offer CIBA"));
    }

    #[test]
    fn plain_http_to_this_computer_only_for_an_issuer_on_this_computer() {
        let with = |issuer: &str, bc: &str| {
            doc(
                json!({"issuer": issuer, "backchannel_authentication_endpoint": bc,
                "token_endpoint": format!("{issuer}/t"), "jwks_uri": format!("{issuer}/j")}),
            )
        };
        // A remote HTTPS provider naming a local plain-HTTP port.
        let d = with("https://idp.example.com", "http://127.0.0.1:8080/bc");
        let e = from_document("https://idp.example.com", &d, &Default::default()).unwrap_err();
        assert!(matches!(e, CibaError::InsecureUrl { .. }), "{e}");
        let d = with("https://idp.example.com", "http://localhost:8080/bc");
        assert!(from_document("https://idp.example.com", &d, &Default::default()).is_err());
        // A local development provider naming a remote host.
        let d = with("http://127.0.0.1:9000", "https://idp.example.com/bc");
        let e = from_document("http://127.0.0.1:9000", &d, &Default::default()).unwrap_err();
        assert!(e.to_string().contains("on this computer"), "{e}");
        // Both local: fine, as both remote over HTTPS are.
        let d = with("http://127.0.0.1:9000", "http://127.0.0.1:9000/bc");
        from_document("http://127.0.0.1:9000", &d, &Default::default()).unwrap();
        // Overrides follow the same rule.
        let o = EndpointOverrides {
            token_endpoint: Some(Url::parse("http://127.0.0.1:1/t").unwrap()),
            ..Default::default()
        };
        let d = with("https://idp.example.com", "https://idp.example.com/bc");
        assert!(from_document("https://idp.example.com", &d, &o).is_err());
    }

    #[test]
    fn overrides_win_and_insecure_endpoints_are_refused() {
        let d = doc(
            json!({"issuer": "https://idp.example.com", "token_endpoint": "https://idp.example.com/t",
            "jwks_uri": "https://idp.example.com/j", "backchannel_authentication_endpoint": "http://evil.example.com/bc"}),
        );
        let e = from_document("https://idp.example.com", &d, &Default::default()).unwrap_err();
        assert!(matches!(e, CibaError::InsecureUrl { .. }));
        let o = EndpointOverrides {
            backchannel_authentication_endpoint: Some(
                Url::parse("https://idp.example.com/ciba").unwrap(),
            ),
            ..Default::default()
        };
        let m = from_document("https://idp.example.com", &d, &o).unwrap();
        assert_eq!(
            m.backchannel_authentication_endpoint.as_str(),
            "https://idp.example.com/ciba"
        );
        assert!(m.supports_mode("poll"));
    }

    /// RFC 8705 §5: a client with a certificate goes to the aliases, others to the plain
    /// endpoints; an alias is held to the same rules as any endpoint, and an override wins.
    #[test]
    fn mutual_tls_aliases_are_checked_and_used_by_certificate_clients_only() {
        let base = json!({"issuer": "https://idp.example.com",
        "token_endpoint": "https://idp.example.com/t",
        "jwks_uri": "https://idp.example.com/j",
        "backchannel_authentication_endpoint": "https://idp.example.com/bc",
        "mtls_endpoint_aliases": {
            "token_endpoint": "https://mtls.idp.example.com/t",
            "backchannel_authentication_endpoint": "https://mtls.idp.example.com/bc",
            "userinfo_endpoint": "https://mtls.idp.example.com/me"
        }});
        let m = from_document(
            "https://idp.example.com",
            &doc(base.clone()),
            &Default::default(),
        )
        .unwrap();
        assert_eq!(m.token_endpoint.as_str(), "https://idp.example.com/t");
        let certified = m.with_mtls_aliases();
        assert_eq!(
            certified.token_endpoint.as_str(),
            "https://mtls.idp.example.com/t"
        );
        assert_eq!(
            certified.backchannel_authentication_endpoint.as_str(),
            "https://mtls.idp.example.com/bc"
        );

        let o = EndpointOverrides {
            token_endpoint: Some(Url::parse("https://idp.example.com/own-token").unwrap()),
            ..Default::default()
        };
        let m = from_document("https://idp.example.com", &doc(base.clone()), &o)
            .unwrap()
            .with_mtls_aliases();
        assert_eq!(
            m.token_endpoint.as_str(),
            "https://idp.example.com/own-token"
        );
        assert_eq!(
            m.backchannel_authentication_endpoint.as_str(),
            "https://mtls.idp.example.com/bc"
        );

        let mut insecure = base.clone();
        insecure["mtls_endpoint_aliases"]["token_endpoint"] =
            json!("http://mtls.idp.example.com/t");
        let e = from_document(
            "https://idp.example.com",
            &doc(insecure),
            &Default::default(),
        )
        .unwrap_err();
        assert!(matches!(e, CibaError::InsecureUrl { .. }), "{e}");

        let mut not_object = base;
        not_object["mtls_endpoint_aliases"] = json!(["https://mtls.idp.example.com/t"]);
        let e = from_document(
            "https://idp.example.com",
            &doc(not_object),
            &Default::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("mtls_endpoint_aliases"), "{e}");
    }
}
