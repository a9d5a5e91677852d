//! A provider profile: everything that differs between providers, as data, plus a few small
//! provider hooks ([`HintFormat`], [`PhoneAuth`], [`SignicatAcr`], the cancel call, the
//! customer link, the acknowledgement's word pair). The CIBA flow itself is the same for all
//! of them and lives in `ciba`; nothing here copies it.
//!
//! Profiles are stored in the settings file (TOML) and handed from administrators to agents as
//! export files; they never contain a secret, only the name of a keyring entry or of a
//! credential the provider publishes for testing ([`PublicCredential`]).

mod kinds;
mod options;
mod secret;

use std::collections::BTreeMap;

use ciba::{AuthMethod, AuthRequest, Hint};
use identity::{BindingMessageRules, Charset, Country, MessageRequirement};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{DeskError, Result};

pub use kinds::{HintFormat, IdentityInput, InputKind, ProviderKind};
pub use options::{CallInitiator, ClaimMapping, CustomerLink, Endpoints, PhoneAuth, SignicatAcr};
pub use secret::{PublicCredential, SecretRef};

/// The name of the built-in training profile.
pub const SANDBOX_PROFILE: &str = "sandbox";

fn default_scopes() -> Vec<String> {
    vec!["openid".into()]
}

fn default_binding_rules() -> BindingMessageRules {
    BindingMessageRules {
        max_chars: 100,
        allowed: Charset::Printable,
        requirement: MessageRequirement::Optional,
        generate_when_empty: false,
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One provider configuration an agent can pick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Unique; also the default keyring entry name.
    pub name: String,
    /// What agents see: short, chosen by the administrator ("Idura · Swedish BankID"). By
    /// default the preset's provider and method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub provider: ProviderKind,
    /// Notes for the agent (provider rules, what to say to the customer).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub issuer: String,
    pub client_id: String,
    pub auth_method: AuthMethod,
    /// Where the client secret, private key or client certificate (with its key) comes from;
    /// by default the keyring entry named like the profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretRef>,
    /// For `private_key_jwt` (and a mutual-TLS profile's request-signing key): RS256, PS256 or
    /// ES256 (by default from the key type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_alg: Option<String>,
    /// For `private_key_jwt`: the `kid` in client assertions (for mutual TLS: in signed
    /// requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Every authentication request as a JWT signed with the profile's private key (CIBA Core
    /// §7.1.1, required by FAPI-CIBA providers); needs `private_key_jwt`, or mutual TLS with a
    /// request-signing key.
    #[serde(default, skip_serializing_if = "is_false")]
    pub signed_requests: bool,
    /// The FAPI-CIBA profile that banks and regulated providers run: `private_key_jwt` or
    /// mutual TLS, a PS256 or ES256 key, every request signed, a binding message on every request, ID tokens
    /// in PS256 or ES256 only (see the protocol crate's `fapi` module).
    #[serde(default, skip_serializing_if = "is_false")]
    pub fapi: bool,
    /// Certificate authorities (PEM) trusted for this provider only, besides the operating
    /// system's: for a provider whose certificates come from its own authority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificates: Option<String>,
    /// Origins the administrator's policy lets every profile contact or show besides its
    /// issuer's. Not stored with the profile: the policy file says so, each time it is read.
    #[serde(skip)]
    pub allowed_origins: Vec<String>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr_values: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_expiry: Option<u32>,
    pub inputs: Vec<IdentityInput>,
    pub hint: HintFormat,
    /// An acknowledgement field carrying a word pair the agent reads aloud (Idura's Norwegian
    /// BankID: `bindingMessage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_word_pair_field: Option<String>,
    /// Called with `DELETE` (and the client's authentication) when the agent cancels; with
    /// `{issuer}` and `{auth_req_id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_url: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_sandbox: bool,
    #[serde(default = "default_binding_rules")]
    pub binding_message: BindingMessageRules,
    /// Provider parameters sent with every request.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_params: BTreeMap<String, String>,
    /// `authorization_details` (RFC 9396) sent with every request, unless the call initiator
    /// of [`PhoneAuth`] sets its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_link: Option<CustomerLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_auth: Option<PhoneAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signicat: Option<SignicatAcr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    #[serde(default)]
    pub claims: ClaimMapping,
}

/// A `<…>` placeholder left in a profile field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaceholderField {
    pub field: &'static str,
    pub placeholder: String,
}

/// Titles are shown in tabs, pickers and result cards: short on purpose.
pub const MAX_TITLE_CHARS: usize = 48;

const TEMPLATE_VARIABLES: [&str; 2] = ["{issuer}", "{auth_req_id}"];

impl Profile {
    /// On a desk, secrets live in the OS keyring: a profile naming a secret file or an
    /// environment variable (the server's ways) is refused, so a profile file handed around
    /// cannot make the desk read and send a local file.
    pub fn check_desk_secret(&self) -> Result<()> {
        match &self.secret {
            Some(SecretRef::File(_) | SecretRef::Env(_)) => Err(self.invalid(
                "its secret is read from a file or an environment variable, which only ciba-desk-server does; on this computer secrets live in the OS keyring: remove the `secret` line and store the secret with `ciba-desk secret set NAME`",
            )),
            _ => Ok(()),
        }
    }

    /// Everything a stored profile must pass, with the origins the administrator's policy
    /// allows besides the issuer's.
    pub fn validate_under(&self, origins: &[String]) -> Result<()> {
        self.clone()
            .allowing_origins(origins)
            .validate()
            .and_then(|()| self.check_desk_secret())
    }

    /// The profile with the origins the administrator's policy allows besides the issuer's.
    pub fn allowing_origins(mut self, origins: &[String]) -> Self {
        self.allowed_origins = origins.to_vec();
        self
    }

    /// Whether every request is signed (asked for, or FAPI-CIBA's rule).
    pub fn signs_requests(&self) -> bool {
        self.signed_requests || self.fapi
    }

    /// A mutual-TLS profile that signs its requests keeps the signing key apart from its
    /// certificate: a second secret.
    pub fn needs_request_key(&self) -> bool {
        self.auth_method.is_mutual_tls() && self.signs_requests()
    }

    /// The keyring entry holding this profile's secret or key, when it uses one.
    pub fn secret_entry(&self) -> Option<&str> {
        match &self.secret {
            Some(SecretRef::Entry(e)) => Some(e),
            Some(SecretRef::Public(_) | SecretRef::File(_) | SecretRef::Env(_)) => None,
            None => Some(&self.name),
        }
    }

    pub fn accepts(&self, kind: InputKind) -> Option<&IdentityInput> {
        self.inputs.iter().find(|i| i.kind() == kind)
    }

    /// The `acr_values` to send: the profile's own plus Signicat's optional parts.
    pub fn effective_acr_values(&self) -> Option<String> {
        let mut parts: Vec<String> = self
            .acr_values
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if let Some(s) = &self.signicat {
            if let Some(l) = &s.auth_level {
                parts.push(format!("authLevel:{l}"));
            }
            if let Some(m) = &s.auth_method {
                parts.push(format!("authMethod:{m}"));
            }
            if let Some(p) = s.send_push {
                parts.push(format!("sendPush:{p}"));
            }
        }
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// Every `<…>` placeholder still in the profile, e.g. a preset's `<your-domain>`.
    pub fn placeholders(&self) -> Vec<PlaceholderField> {
        let mut fields: Vec<(&'static str, &str)> =
            vec![("issuer", &self.issuer), ("client id", &self.client_id)];
        if let Some(e) = self.secret_entry() {
            fields.push(("keyring entry name", e));
        }
        if let Some(u) = &self.cancel_url {
            fields.push(("cancel URL", u));
        }
        if let Some(l) = &self.customer_link {
            fields.push(("customer link", &l.template));
        }
        if let Some(e) = &self.endpoints {
            for (f, v) in [
                ("backchannel endpoint", &e.backchannel_authentication),
                ("token endpoint", &e.token),
                ("JWKS URI", &e.jwks_uri),
            ] {
                if let Some(v) = v {
                    fields.push((f, v));
                }
            }
        }
        let mut found = vec![];
        for (field, value) in fields {
            let mut rest = value;
            while let Some(start) = rest.find('<') {
                let Some(len) = rest[start..].find('>') else {
                    break;
                };
                found.push(PlaceholderField {
                    field,
                    placeholder: rest[start..start + len + 1].to_owned(),
                });
                rest = &rest[start + len + 1..];
            }
        }
        found
    }

    fn invalid(&self, reason: impl Into<String>) -> DeskError {
        DeskError::InvalidProfile {
            profile: self.name.clone(),
            reason: reason.into(),
        }
    }

    /// Checks that the profile is consistent. Placeholders are allowed here (an administrator
    /// saves a preset, then fills it in); [`check_usable`](Self::check_usable) refuses them.
    pub fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() || self.name.trim() != self.name {
            return Err(self.invalid("the name must not be empty or start or end with spaces"));
        }
        if self.name.chars().any(char::is_control) || self.name.chars().count() > 128 {
            return Err(self.invalid("the name must be at most 128 visible characters"));
        }
        if let Some(t) = &self.title
            && (t.chars().any(char::is_control) || t.chars().count() > MAX_TITLE_CHARS)
        {
            return Err(self.invalid(format!(
                "the title must be at most {MAX_TITLE_CHARS} visible characters"
            )));
        }
        if self.issuer.trim().is_empty() {
            return Err(self.invalid("the issuer is empty"));
        }
        if self.client_id.trim().is_empty() {
            return Err(self.invalid("the client id is empty"));
        }
        if self.inputs.is_empty() {
            return Err(self.invalid(
                "no identity input is configured (national ID, user id, e-mail or MobileID)",
            ));
        }
        for input in &self.inputs {
            if let IdentityInput::NationalId { countries } = input
                && countries.is_empty()
            {
                return Err(self.invalid("a national ID input needs at least one country"));
            }
        }
        let only = |ok: &dyn Fn(&IdentityInput) -> bool, what: &str| {
            if self.inputs.iter().all(ok) {
                Ok(())
            } else {
                Err(self.invalid(format!(
                    "hint {} works with {what} only",
                    self.hint.as_str()
                )))
            }
        };
        match self.hint {
            HintFormat::LoginHint => only(
                &|i| !matches!(i, IdentityInput::MobileId),
                "national IDs, user ids and e-mail addresses",
            )?,
            HintFormat::SubSsn => only(
                &|i| matches!(i, IdentityInput::NationalId { .. }),
                "national IDs",
            )?,
            HintFormat::SignaturgruppenLoginHintToken => only(
                &|i| match i {
                    IdentityInput::NationalId { countries } => {
                        countries.iter().all(|c| *c == Country::Dk)
                    }
                    IdentityInput::UserId { uuid } => *uuid,
                    _ => false,
                },
                "Danish CPR numbers and MitID UUIDs",
            )?,
            HintFormat::SignicatMobileid => only(
                &|i| matches!(i, IdentityInput::MobileId),
                "MobileID user and device ids",
            )?,
        }
        match (&self.secret, self.auth_method) {
            (Some(SecretRef::Public(_)), m) if !m.uses_client_secret() => {
                return Err(self.invalid(format!(
                    "{m} needs a private key or certificate from the keyring, not a public credential"
                )));
            }
            (Some(SecretRef::Entry(e)), _) if e.trim().is_empty() => {
                return Err(self.invalid("the keyring entry name is empty"));
            }
            (Some(SecretRef::Env(v)), _) if v.trim().is_empty() => {
                return Err(self.invalid("the secret's environment variable name is empty"));
            }
            _ => {}
        }
        if let Some(pem) = &self.ca_certificates {
            ciba::certificate_authorities(pem).map_err(|e| match e {
                ciba::CibaError::InvalidConfiguration(why) => self.invalid(why),
                other => self.invalid(other.to_string()),
            })?;
        }
        if self.fapi {
            if self.auth_method.uses_client_secret() {
                return Err(self.invalid(
                    "FAPI-CIBA needs auth_method = \"private_key_jwt\", \"tls_client_auth\" or \"self_signed_tls_client_auth\" (a client secret is not allowed)",
                ));
            }
            if let Some(alg) = &self.signing_alg
                && !ciba::FAPI_ALGORITHMS.contains(&alg.as_str())
            {
                return Err(self.invalid(format!("FAPI-CIBA signs with PS256 or ES256, not {alg}")));
            }
        }
        if self.signed_requests && self.auth_method.uses_client_secret() {
            return Err(self.invalid(
                "signed requests are signed with the client's private key: set auth_method = \"private_key_jwt\" (or a mutual-TLS method, with a request-signing key) or turn signed_requests off",
            ));
        }
        if let Some(alg) = &self.signing_alg
            && !ciba::ASSERTION_ALGORITHMS.contains(&alg.as_str())
        {
            return Err(self.invalid(format!(
                "signing_alg {alg:?} is not supported (use {})",
                ciba::ASSERTION_ALGORITHMS.join(", ")
            )));
        }
        if self.requested_expiry == Some(0) {
            return Err(self.invalid("requested_expiry must be a positive number of seconds"));
        }
        self.check_origins()?;
        if self.binding_message.max_chars == 0
            && !matches!(
                self.binding_message.requirement,
                MessageRequirement::Forbidden { .. }
            )
        {
            return Err(self.invalid("binding_message.max_chars must be positive"));
        }
        let probe = AuthRequest::new(Hint::LoginHint("probe".into()));
        for (k, v) in &self.extra_params {
            probe
                .clone()
                .extra(k.clone(), v.clone())
                .map_err(|e| self.invalid(format!("extra_params: {e}")))?;
        }
        for (what, template) in [
            ("cancel_url", self.cancel_url.as_deref()),
            (
                "customer_link",
                self.customer_link.as_ref().map(|l| l.template.as_str()),
            ),
        ] {
            let Some(t) = template else { continue };
            let mut rest = t.to_owned();
            for v in TEMPLATE_VARIABLES {
                rest = rest.replace(v, "");
            }
            if rest.contains('{') || rest.contains('}') {
                return Err(self.invalid(format!(
                    "{what} may only use the variables {{issuer}} and {{auth_req_id}}"
                )));
            }
            if !t.contains("{auth_req_id}") {
                return Err(self.invalid(format!("{what} must contain {{auth_req_id}}")));
            }
        }
        if let Some(s) = &self.signicat {
            for v in [&s.auth_level, &s.auth_method].into_iter().flatten() {
                if v.is_empty() || v.chars().any(char::is_whitespace) {
                    return Err(self.invalid("Signicat acr parts must be single words"));
                }
            }
        }
        Ok(())
    }

    /// Everything [`validate`](Self::validate) checks, plus: no placeholder left and an issuer
    /// that is a URL. Called before every verification, so a preset that was never filled in
    /// is refused with a sentence saying what to replace.
    /// Every URL the profile may contact or show (endpoint overrides, the cancel call, the
    /// customer link) is on the issuer's origin. A profile file handed around could otherwise
    /// keep the name and issuer and send the client's credentials, every national ID or a
    /// phishing QR code somewhere else while the screen shows the real provider.
    fn check_origins(&self) -> Result<()> {
        // An issuer with a placeholder is refused by `check_usable`; nothing to compare yet.
        let Ok(issuer) = Url::parse(&self.issuer) else {
            return Ok(());
        };
        for (field, url) in self.contact_urls()? {
            let same = Url::parse(&url).is_ok_and(|u| {
                u.origin() == issuer.origin()
                    || self
                        .allowed_origins
                        .iter()
                        .any(|o| Url::parse(o).is_ok_and(|o| o.origin() == u.origin()))
            });
            if !same {
                return Err(self.invalid(format!(
                    "{field} {url:?} is not on the issuer's origin {}; a profile may only send requests and show links there",
                    issuer.origin().ascii_serialization()
                )));
            }
        }
        Ok(())
    }

    /// Every URL besides the issuer that the profile may contact or show, by field name:
    /// endpoint overrides, the cancel call and the customer link (templates rendered).
    fn contact_urls(&self) -> Result<Vec<(&'static str, String)>> {
        let mut urls: Vec<(&'static str, String)> = vec![];
        if let Some(e) = &self.endpoints {
            for (field, v) in [
                (
                    "endpoints.backchannel_authentication",
                    &e.backchannel_authentication,
                ),
                ("endpoints.token", &e.token),
                ("endpoints.jwks_uri", &e.jwks_uri),
            ] {
                if let Some(v) = v {
                    urls.push((field, v.clone()));
                }
            }
        }
        let issuer_text = self.issuer.trim_end_matches('/');
        let rendered = |t: &str| crate::link::render_template(t, issuer_text, "request-id");
        if let Some(t) = &self.cancel_url {
            urls.push(("cancel_url", rendered(t)?));
        }
        if let Some(l) = &self.customer_link {
            urls.push(("customer_link", rendered(&l.template)?));
        }
        Ok(urls)
    }

    /// Where this profile's secret may go: a SHA-256 over the issuer, the client id and every
    /// origin the profile may contact, hex. A stored secret carries the fingerprint it was
    /// entered for, so that a profile whose destination changed (or that names another
    /// profile's keyring entry) cannot send it anywhere else.
    pub fn destination_fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let origin = |u: &str| {
            Url::parse(u)
                .map(|u| u.origin().ascii_serialization())
                // Not a URL: the text itself, so any change still changes the fingerprint.
                .unwrap_or_else(|_| u.to_owned())
        };
        let mut origins: Vec<String> = std::iter::once(origin(&self.issuer))
            .chain(
                self.contact_urls()
                    .unwrap_or_default()
                    .iter()
                    .map(|(_, u)| origin(u)),
            )
            .collect();
        origins.sort();
        origins.dedup();
        let mut h = Sha256::new();
        // Length-prefixed fields, so no two different destinations hash the same text.
        for field in [self.issuer.trim_end_matches('/'), self.client_id.as_str()]
            .into_iter()
            .chain(origins.iter().map(String::as_str))
        {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The title agents see: the administrator's, or the one of the preset this profile
    /// still describes, or its name.
    pub fn shown_title(&self) -> String {
        if let Some(t) = self
            .title
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            return t.to_owned();
        }
        crate::presets::described_by(self)
            .and_then(|p| p.profile.title)
            .unwrap_or_else(|| self.name.clone())
    }

    pub fn check_usable(&self) -> Result<()> {
        self.validate()?;
        if let Some(p) = self.placeholders().into_iter().next() {
            return Err(DeskError::Placeholder {
                profile: self.name.clone(),
                hint: placeholder_hint(&p),
                field: p.field.into(),
                placeholder: p.placeholder,
            });
        }
        let url = Url::parse(&self.issuer).map_err(|e| {
            self.invalid(format!(
                "the issuer {:?} is not a URL ({e}); it looks like https://idp.example.com",
                self.issuer
            ))
        })?;
        ciba::require_secure(&url)?;
        Ok(())
    }
}

fn placeholder_hint(p: &PlaceholderField) -> String {
    match p.field {
        "issuer" => "the issuer URL is on your provider's administration pages".into(),
        "client id" => "the client id is issued by your provider".into(),
        "keyring entry name" => "name the keyring entry that holds this profile's secret".into(),
        _ => format!("fill in the {} your provider documents", p.field),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets;

    #[test]
    fn every_preset_is_consistent() {
        for p in presets::presets() {
            p.profile
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", p.id));
        }
    }

    #[test]
    fn placeholders_are_found_and_explained() {
        let p = presets::preset("idura_se_bankid").unwrap();
        let found = p.placeholders();
        assert_eq!(found[0].field, "issuer");
        assert_eq!(found[0].placeholder, "<your-domain>");
        let e = p.check_usable().unwrap_err();
        assert_eq!(e.code(), "profile_placeholder");
        let m = e.to_string();
        assert!(
            m.contains("replace <your-domain> in the issuer"),
            "message: {m}"
        );
    }

    #[test]
    fn signed_requests_need_the_private_key_method() {
        let mut p = presets::preset("generic").unwrap();
        p.signed_requests = true;
        let m = p.validate().unwrap_err().to_string();
        assert!(m.contains("private_key_jwt"), "{m}");
        p.auth_method = AuthMethod::PrivateKeyJwt;
        p.validate().unwrap();
        // Written to and read from the settings file.
        let text = toml::to_string(&p).unwrap();
        assert!(text.contains("signed_requests = true"), "{text}");
        assert_eq!(toml::from_str::<Profile>(&text).unwrap(), p);
    }

    #[test]
    fn a_fapi_profile_needs_a_private_key_that_signs_ps256_or_es256() {
        let mut p = presets::preset("generic").unwrap();
        p.fapi = true;
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("private_key_jwt")
        );
        p.auth_method = AuthMethod::PrivateKeyJwt;
        p.signing_alg = Some("RS256".into());
        assert!(p.validate().unwrap_err().to_string().contains("not RS256"));
        p.signing_alg = Some("PS256".into());
        p.validate().unwrap();
        // Mutual TLS is the other way FAPI allows; its key signs the requests.
        p.auth_method = AuthMethod::TlsClientAuth;
        p.validate().unwrap();
        p.signing_alg = Some("RS256".into());
        assert!(p.validate().unwrap_err().to_string().contains("not RS256"));
    }

    #[test]
    fn a_certificate_authority_in_a_profile_must_be_a_certificate() {
        let mut p = presets::preset("generic").unwrap();
        p.ca_certificates =
            Some("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into());
        let m = p.validate().unwrap_err().to_string();
        assert!(
            m.contains("certificate authority") && !m.contains("invalid configuration"),
            "{m}"
        );
    }

    #[test]
    fn signicat_acr_parts_are_appended() {
        let mut p = presets::preset("signicat_mobileid").unwrap();
        p.signicat = Some(SignicatAcr {
            auth_level: Some("TWO_FACTOR".into()),
            auth_method: Some("DEVICE_PIN".into()),
            send_push: Some(true),
        });
        assert_eq!(
            p.effective_acr_values().unwrap(),
            "idp:mobileid authLevel:TWO_FACTOR authMethod:DEVICE_PIN sendPush:true"
        );
    }

    #[test]
    fn every_url_a_profile_contacts_or_shows_is_on_the_issuers_origin() {
        let base = || {
            let mut p = presets::sandbox();
            p.issuer = "https://idp.example.com/op".into();
            p
        };
        let refused = |p: Profile, field: &str| {
            let m = p.validate().unwrap_err().to_string();
            assert!(
                m.contains(field) && m.contains("https://idp.example.com"),
                "{m}"
            );
        };
        // The cancel call with the client's credentials, to another host or port.
        let mut p = base();
        p.cancel_url = Some("https://evil.example/cancel/{auth_req_id}".into());
        refused(p, "cancel_url");
        let mut p = base();
        p.cancel_url = Some("https://idp.example.com:8443/cancel/{auth_req_id}".into());
        refused(p, "cancel_url");
        // The customer link (a QR code on the counter).
        let mut p = base();
        p.customer_link = Some(CustomerLink {
            template: "https://phish.example/ciba?requestId={auth_req_id}".into(),
            qr_code: true,
        });
        refused(p, "customer_link");
        // Endpoint overrides, which would receive every national ID.
        for field in ["backchannel_authentication", "token", "jwks_uri"] {
            let mut e = Endpoints::default();
            let url = Some("http://127.0.0.1:9999/x".to_owned());
            match field {
                "backchannel_authentication" => e.backchannel_authentication = url,
                "token" => e.token = url,
                _ => e.jwks_uri = url,
            }
            let mut p = base();
            p.endpoints = Some(e);
            refused(p, field);
        }
        // On the issuer's origin, any path is fine.
        let mut p = base();
        p.cancel_url = Some("{issuer}/api/v1/ciba/{auth_req_id}".into());
        p.endpoints = Some(Endpoints {
            token: Some("https://idp.example.com/other/token".into()),
            ..Endpoints::default()
        });
        p.validate().unwrap();
    }

    #[test]
    fn inconsistent_profiles_are_refused() {
        let mut p = presets::sandbox();
        p.hint = HintFormat::SignicatMobileid;
        assert!(p.validate().is_err());
        let mut p = presets::sandbox();
        p.extra_params.insert("login_hint".into(), "x".into());
        assert!(p.validate().unwrap_err().to_string().contains("extra"));
        let mut p = presets::sandbox();
        p.cancel_url = Some("{issuer}/cancel/{request}".into());
        assert!(p.validate().is_err());
        let mut p = presets::preset("signaturgruppen_mitid").unwrap();
        p.inputs = vec![IdentityInput::NationalId {
            countries: vec![Country::Se],
        }];
        assert!(p.validate().is_err());
    }

    #[test]
    fn insecure_issuers_are_refused_at_use() {
        let mut p = presets::sandbox();
        p.issuer = "http://idp.example.com".into();
        assert_eq!(p.check_usable().unwrap_err().code(), "insecure_url");
    }

    #[test]
    fn toml_round_trip() {
        for preset in presets::presets() {
            let text = toml::to_string(&preset.profile).unwrap();
            let back: Profile = toml::from_str(&text).unwrap_or_else(|e| panic!("{text}\n{e}"));
            assert_eq!(back, preset.profile);
        }
    }
}
