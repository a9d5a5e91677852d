//! Agents sign in with the organisation's OpenID provider; every API call carries its JWT
//! access token. The token is verified as fully as a provider's ID token (signature against
//! the provider's JWKS with an algorithm allow-list, `iss`, `aud`, `exp`/`nbf`/`iat`), and the
//! agent's roles come from one claim.

use std::sync::Arc;

use ciba::{Binding, Http, HttpOptions, IdTokenVerifier, JwksCache, SystemClock};
use serde_json::Value;

use crate::config::AgentsSection;
use crate::error::{Result, ServerError};

/// Who is calling, as the organisation's provider vouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// The provider's subject: the agent's stable id.
    pub sub: String,
    /// For screens and the audit trail (`name`, else `preferred_username`).
    pub name: Option<String>,
    pub roles: Vec<String>,
}

/// What an agent may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Starts, follows and cancels their own verifications.
    Agent,
    /// Reads every verification and the audit trail; starts nothing.
    Auditor,
}

pub struct AgentAuth {
    http: Http,
    verifier: IdTokenVerifier,
    roles_claim: String,
    agent_role: String,
    auditor_role: String,
}

impl AgentAuth {
    /// Discovers the organisation's provider (its keys and algorithms).
    pub async fn discover(cfg: &AgentsSection, http: HttpOptions) -> Result<Self> {
        let http = Http::new(http).map_err(|e| ServerError::SignInProvider(e.into()))?;
        let meta = ciba::discover_signing(&http, &cfg.issuer)
            .await
            .map_err(|e| ServerError::SignInProvider(e.into()))?;
        let jwks = Arc::new(JwksCache::new(meta.jwks_uri.clone()));
        let verifier = IdTokenVerifier::new(
            &meta.issuer,
            &cfg.audience,
            &meta.id_token_signing_alg_values_supported,
            jwks,
        )
        .map_err(|e| ServerError::SignInProvider(e.into()))?
        // Agents' access tokens: RFC 9068's `at+jwt`, or `JWT` as many providers issue them.
        .with_types(&["at+jwt", "JWT"]);
        Ok(Self {
            http,
            verifier,
            roles_claim: cfg.roles_claim.clone(),
            agent_role: cfg.agent_role.clone(),
            auditor_role: cfg.auditor_role.clone(),
        })
    }

    /// The agent behind `Authorization: Bearer <token>`.
    pub async fn agent(&self, authorization: Option<&str>) -> Result<Agent> {
        let token = authorization
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ServerError::NotSignedIn)?;
        let verified = self
            .verifier
            .verify(&self.http, &SystemClock, token, &Binding::default())
            .await
            .map_err(|e| {
                tracing::info!(reason = %e, "an access token was refused");
                ServerError::BadToken(e.to_string())
            })?;
        let claims = &verified.claims;
        let roles = match claims.get(&self.roles_claim) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
            _ => vec![],
        };
        let name = verified.standard.name.clone().or_else(|| {
            claims
                .get("preferred_username")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        Ok(Agent {
            sub: verified.standard.sub,
            name,
            roles,
        })
    }

    /// `agent` may act as `role`.
    pub fn require(&self, agent: &Agent, role: Role) -> Result<()> {
        let needed = match role {
            Role::Agent => &self.agent_role,
            Role::Auditor => &self.auditor_role,
        };
        if agent.roles.iter().any(|r| r == needed) {
            Ok(())
        } else {
            Err(ServerError::Forbidden {
                needed: needed.clone(),
            })
        }
    }

    pub fn is(&self, agent: &Agent, role: Role) -> bool {
        self.require(agent, role).is_ok()
    }
}
