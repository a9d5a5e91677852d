//! Ready-made profiles for the providers in `docs/providers.md`. Where the customer's own
//! domain or client goes, a preset holds a `<…>` placeholder, which
//! [`Profile::check_usable`](crate::Profile::check_usable) refuses with a sentence saying what
//! to replace.

use std::collections::BTreeMap;

use ciba::AuthMethod;
use identity::{BindingMessageRules, Charset, Country, MessageRequirement};
use serde::Serialize;

use crate::profile::{
    ClaimMapping, CustomerLink, HintFormat, IdentityInput, PhoneAuth, Profile, ProviderKind,
    PublicCredential, SANDBOX_PROFILE, SecretRef, SignicatAcr,
};

/// A preset as the "new profile" dialog lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Preset {
    pub id: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub profile: Profile,
}

/// The sandbox's address on a fresh install.
pub const SANDBOX_ISSUER: &str = "http://127.0.0.1:7878";
pub const SANDBOX_CLIENT_ID: &str = "ciba-desk";
/// Signaturgruppen's pre-production broker.
pub const SIGNATURGRUPPEN_PP_ISSUER: &str = "https://pp.netseidbroker.dk/op";
/// The public demo client Signaturgruppen publishes for its pre-production environment.
pub const SIGNATURGRUPPEN_PP_DEMO_CLIENT_ID: &str = "62b8cc03-aa73-4d6a-922c-7c8fb0a4a1d9";

fn s(list: &[&str]) -> Vec<String> {
    list.iter().map(|x| (*x).to_owned()).collect()
}

fn rules(max_chars: usize, generate_when_empty: bool) -> BindingMessageRules {
    BindingMessageRules {
        max_chars,
        allowed: Charset::Printable,
        requirement: MessageRequirement::Optional,
        generate_when_empty,
    }
}

fn national(countries: &[Country]) -> IdentityInput {
    IdentityInput::NationalId {
        countries: countries.to_vec(),
    }
}

fn base(name: &str, provider: ProviderKind, issuer: &str, auth: AuthMethod) -> Profile {
    Profile {
        name: name.into(),
        title: None,
        provider,
        description: String::new(),
        issuer: issuer.into(),
        client_id: "<your-client-id>".into(),
        auth_method: auth,
        secret: None,
        signing_alg: None,
        key_id: None,
        signed_requests: false,
        fapi: false,
        ca_certificates: None,
        allowed_origins: vec![],
        scopes: s(&["openid"]),
        acr_values: None,
        requested_expiry: None,
        inputs: vec![],
        hint: HintFormat::LoginHint,
        ack_word_pair_field: None,
        cancel_url: None,
        is_sandbox: false,
        binding_message: rules(100, false),
        extra_params: BTreeMap::new(),
        authorization_details: None,
        customer_link: None,
        phone_auth: None,
        signicat: None,
        endpoints: None,
        claims: ClaimMapping::default(),
    }
}

/// The built-in training profile: always present, not removable.
pub fn sandbox() -> Profile {
    let mut p = base(
        SANDBOX_PROFILE,
        ProviderKind::Sandbox,
        SANDBOX_ISSUER,
        AuthMethod::ClientSecretBasic,
    );
    p.description = "Training provider on this computer. Results are not real identities.".into();
    p.title = Some("Sandbox · training".into());
    p.client_id = SANDBOX_CLIENT_ID.into();
    p.secret = Some(SecretRef::Public(PublicCredential::Sandbox));
    p.is_sandbox = true;
    p.inputs = vec![
        national(&[Country::Se, Country::No, Country::Dk]),
        IdentityInput::Email,
    ];
    p.binding_message = rules(64, true);
    p.claims.national_id = s(&["ssn"]);
    p.claims.transaction_id = s(&["txn"]);
    // The sandbox withdraws a request like Signaturgruppen's broker does.
    p.cancel_url = Some("{issuer}/ciba/auth/{auth_req_id}".into());
    p
}

fn signicat_mobileid() -> Profile {
    let mut p = base(
        "Signicat MobileID",
        ProviderKind::SignicatMobileid,
        "https://<your-signicat-domain>/auth/open",
        AuthMethod::ClientSecretBasic,
    );
    p.description = "The customer approves in their MobileID app. Enter the user id and device id from MobileID enrolment.".into();
    p.title = Some("Signicat · MobileID".into());
    p.scopes = s(&["openid", "mobileid", "mobileid-extra"]);
    p.acr_values = Some("idp:mobileid".into());
    p.signicat = Some(SignicatAcr {
        auth_level: None,
        auth_method: None,
        send_push: Some(true),
    });
    p.requested_expiry = Some(300);
    p.inputs = vec![IdentityInput::MobileId];
    p.hint = HintFormat::SignicatMobileid;
    p.binding_message = rules(200, true);
    p.claims.user_id = s(&["mobileid_user_id"]);
    p.claims.device_id = s(&["mobileid_device_id"]);
    p.claims.binding_message = s(&["mobileid_binding_message"]);
    p.claims.transaction_id = s(&["mobileid_transaction_id"]);
    p
}

fn signaturgruppen(demo: bool) -> Profile {
    let mut p = base(
        if demo {
            "Signaturgruppen MitID (PP demo)"
        } else {
            "Signaturgruppen MitID"
        },
        ProviderKind::SignaturgruppenMitid,
        SIGNATURGRUPPEN_PP_ISSUER,
        AuthMethod::ClientSecretPost,
    );
    p.description = if demo {
        "MitID Flex app through Signaturgruppen's pre-production broker with the demo client Signaturgruppen publishes. Test identities only.".into()
    } else {
        "MitID Flex app through Signaturgruppen's broker. For production, change the issuer to the production broker.".into()
    };
    p.title = Some(
        if demo {
            "Signaturgruppen · MitID (demo)"
        } else {
            "Signaturgruppen · MitID"
        }
        .into(),
    );
    if demo {
        p.client_id = SIGNATURGRUPPEN_PP_DEMO_CLIENT_ID.into();
        p.secret = Some(SecretRef::Public(PublicCredential::SignaturgruppenPpDemo));
    }
    p.inputs = vec![
        national(&[Country::Dk]),
        IdentityInput::UserId { uuid: true },
    ];
    p.hint = HintFormat::SignaturgruppenLoginHintToken;
    p.binding_message = rules(130, true);
    p.cancel_url = Some("{issuer}/api/v1/ciba/{auth_req_id}".into());
    p.claims = ClaimMapping {
        display_name: s(&["mitid.identity_name", "name"]),
        national_id: s(&["dk.cpr", "mitid.cpr", "cpr"]),
        date_of_birth: s(&["mitid.date_of_birth", "birthdate"]),
        email: s(&["email"]),
        country: vec![],
        user_id: s(&["mitid.uuid"]),
        device_id: vec![],
        binding_message: vec![],
        transaction_id: s(&["mitid.transaction_id", "idp_transaction_id"]),
        acr: s(&["acr", "loa"]),
        idp: s(&["idp"]),
    };
    p
}

fn idura(name: &str, acr: &str) -> Profile {
    let mut p = base(
        name,
        ProviderKind::IduraVerify,
        "https://<your-domain>.idura.broker",
        AuthMethod::PrivateKeyJwt,
    );
    p.acr_values = Some(acr.into());
    p.hint = HintFormat::SubSsn;
    p.binding_message = rules(100, true);
    p.claims = ClaimMapping {
        display_name: s(&["name"]),
        national_id: s(&["ssn"]),
        date_of_birth: s(&["birthdate"]),
        email: s(&["email"]),
        country: s(&["country"]),
        user_id: vec![],
        device_id: vec![],
        binding_message: vec![],
        transaction_id: vec![],
        acr: s(&["acr", "authenticationtype"]),
        idp: s(&["idp", "identityscheme"]),
    };
    p
}

fn idura_se_bankid() -> Profile {
    let mut p = idura("Idura Swedish BankID", "urn:grn:authn:se:bankid");
    p.title = Some("Idura · Swedish BankID".into());
    p.description = "Swedish BankID phone authentication. Tell the system who placed the call: the customer's app asks accordingly.".into();
    p.inputs = vec![national(&[Country::Se])];
    p.phone_auth = Some(PhoneAuth {
        default_call_initiator: None,
    });
    p
}

fn idura_no_bankid() -> Profile {
    let mut p = idura("Idura Norwegian BankID", "urn:grn:authn:no:bankid");
    p.title = Some("Idura · Norwegian BankID".into());
    p.description = "Norwegian BankID caller authentication: inbound calls only. Read the word pair on screen aloud; the caller picks it in the app. Retry at most twice, and only after asking the caller.".into();
    p.inputs = vec![national(&[Country::No])];
    p.binding_message = BindingMessageRules {
        max_chars: 0,
        allowed: Charset::Printable,
        requirement: MessageRequirement::Forbidden {
            reason: "Norwegian BankID shows its own word pair instead; leave the message empty and read the word pair on screen to the caller".into(),
        },
        generate_when_empty: false,
    };
    p.ack_word_pair_field = Some("bindingMessage".into());
    p
}

fn idura_frejaid() -> Profile {
    let mut p = idura("Idura FrejaID", "urn:grn:authn:se:frejaid");
    p.title = Some("Idura · FrejaID".into());
    p.description = "Caller authentication with FrejaID.".into();
    p.inputs = vec![national(&[Country::Se])];
    p
}

fn authway(pickup: bool) -> Profile {
    let mut p = base(
        if pickup {
            "Authway in-store pickup"
        } else {
            "Authway call centre"
        },
        ProviderKind::Authway,
        "https://<environment-company>.irmciam.se",
        AuthMethod::ClientSecretBasic,
    );
    p.claims.national_id = s(&["ssn", "personal_identity_number"]);
    p.title = Some(
        if pickup {
            "Authway · in-store pickup"
        } else {
            "Authway · call centre"
        }
        .into(),
    );
    if pickup {
        p.description = "Show the QR code to the customer (or send them the link); they accept or deny on their phone. Check the result against the order.".into();
        p.inputs = vec![IdentityInput::Email, IdentityInput::UserId { uuid: false }];
        p.requested_expiry = Some(200);
        p.binding_message = rules(200, false);
        p.customer_link = Some(CustomerLink {
            template: "{issuer}/identity/ciba?requestId={auth_req_id}".into(),
            qr_code: true,
        });
    } else {
        p.description =
            "Ask the caller to open their BankID app; the binding message appears there.".into();
        p.inputs = vec![national(&[Country::Se])];
        p.binding_message = rules(200, true);
    }
    p
}

fn generic() -> Profile {
    let mut p = base(
        "Generic provider",
        ProviderKind::Generic,
        "https://<your-issuer>",
        AuthMethod::ClientSecretBasic,
    );
    p.description =
        "Any OpenID provider with CIBA; its discovery document decides the endpoints.".into();
    p.title = Some("OpenID provider · CIBA".into());
    p.inputs = vec![
        national(&[Country::Se, Country::No, Country::Dk]),
        IdentityInput::Email,
        IdentityInput::UserId { uuid: false },
    ];
    p.claims.national_id = s(&["ssn"]);
    p
}

/// The preset whose description `profile` still carries (so a screen can show that preset's
/// texts and title), if any.
pub fn described_by(profile: &Profile) -> Option<Preset> {
    if profile.description.is_empty() {
        return None;
    }
    presets().into_iter().find(|p| {
        p.profile.provider == profile.provider && p.profile.description == profile.description
    })
}

/// Every preset, in the order the UI lists them.
pub fn presets() -> Vec<Preset> {
    vec![
        Preset {
            id: "sandbox",
            title: "Sandbox (training)",
            summary: "The training provider on this computer; not real identities.",
            profile: sandbox(),
        },
        Preset {
            id: "signicat_mobileid",
            title: "Signicat MobileID",
            summary: "MobileID app, by enrolled user and device id.",
            profile: signicat_mobileid(),
        },
        Preset {
            id: "signaturgruppen_mitid_pp_demo",
            title: "Signaturgruppen MitID Flex (pre-production demo)",
            summary: "Works out of the box with Signaturgruppen's public demo client; test identities only.",
            profile: signaturgruppen(true),
        },
        Preset {
            id: "signaturgruppen_mitid",
            title: "Signaturgruppen MitID Flex",
            summary: "MitID Flex app by CPR number or MitID UUID, with your own client.",
            profile: signaturgruppen(false),
        },
        Preset {
            id: "idura_se_bankid",
            title: "Idura Verify: Swedish BankID",
            summary: "Phone authentication by personnummer.",
            profile: idura_se_bankid(),
        },
        Preset {
            id: "idura_no_bankid",
            title: "Idura Verify: Norwegian BankID",
            summary: "Caller authentication by fødselsnummer, with a word pair read aloud.",
            profile: idura_no_bankid(),
        },
        Preset {
            id: "idura_frejaid",
            title: "Idura Verify: FrejaID",
            summary: "Caller authentication with FrejaID by personnummer.",
            profile: idura_frejaid(),
        },
        Preset {
            id: "authway_call_centre",
            title: "Authway: call centre",
            summary: "Swedish BankID by 12-digit personnummer.",
            profile: authway(false),
        },
        Preset {
            id: "authway_pickup",
            title: "Authway: in-store pickup",
            summary: "By e-mail or user name, with a QR code for the customer.",
            profile: authway(true),
        },
        Preset {
            id: "generic",
            title: "Generic OpenID provider",
            summary: "Any CIBA provider; discovery decides.",
            profile: generic(),
        },
    ]
}

/// One preset's profile by id.
pub fn preset(id: &str) -> Option<Profile> {
    presets()
        .into_iter()
        .find(|p| p.id == id)
        .map(|p| p.profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_names_too() {
        let all = presets();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.id, b.id);
                assert_ne!(a.profile.name, b.profile.name);
            }
        }
    }

    #[test]
    fn ready_presets_have_no_placeholders() {
        for id in ["sandbox", "signaturgruppen_mitid_pp_demo"] {
            let p = preset(id).unwrap();
            assert!(p.placeholders().is_empty(), "{id}");
            p.check_usable().unwrap();
        }
        for id in [
            "signicat_mobileid",
            "idura_se_bankid",
            "authway_pickup",
            "generic",
        ] {
            assert!(!preset(id).unwrap().placeholders().is_empty(), "{id}");
        }
    }

    #[test]
    fn sandbox_is_marked() {
        let p = sandbox();
        assert!(p.is_sandbox);
        assert_eq!(p.name, SANDBOX_PROFILE);
        assert_eq!(p.issuer, SANDBOX_ISSUER);
    }
}
