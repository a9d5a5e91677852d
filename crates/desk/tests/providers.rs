//! Every preset against the in-process fake provider: the exact request each provider's
//! documentation shows (form fields, client authentication), answers shaped like the
//! documented examples, and the normalised identity that comes out.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ciba::ManualClock;
use desk::{
    AgentInput, CallInitiator, Desk, DeskOptions, IdentityMatch, MatchBasis, MemorySecrets,
    Profile, SignicatAcr, VerificationEvent, VerificationState, preset,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use testkit::fake_op::{
    self, Approval, CLIENT_ID, CLIENT_SECRET, FakeOp, Recorded, Reply, TestKey, key,
};

const DISCOVERY: &str = "/.well-known/openid-configuration";

struct Fixture {
    op: FakeOp,
    key: TestKey,
    clock: Arc<ManualClock>,
    desk: Desk,
}

/// A fake provider, and a desk whose poller runs on a manual clock (polls happen at once,
/// the requested waits are recorded).
async fn fixture(secrets: MemorySecrets) -> Fixture {
    let key = key("rsa1");
    let op = FakeOp::start(&[&key]).await;
    let clock = Arc::new(ManualClock::new(fake_op::now()));
    let desk = Desk::with_options(
        Arc::new(secrets),
        DeskOptions {
            clock: Some(clock.clone()),
            ..DeskOptions::default()
        },
    );
    Fixture {
        op,
        key,
        clock,
        desk,
    }
}

/// Points a preset at the fake.
fn at(op: &FakeOp, id: &str) -> Profile {
    let mut p = preset(id).unwrap();
    p.issuer = op.issuer.clone();
    p.client_id = CLIENT_ID.into();
    p
}

/// Publishes the provider's real endpoint paths in the fake's discovery document, so the
/// desk finds them the way it would at the provider.
fn route(op: &FakeOp, backchannel: &str, token: &str) {
    op.patch_discovery(
        "backchannel_authentication_endpoint",
        json!(op.url(backchannel)),
    );
    op.patch_discovery("token_endpoint", json!(op.url(token)));
    op.set_default(token, Reply::pending());
}

impl Fixture {
    /// The customer approves the next verification: an ID token for `CLIENT_ID` with `extra`
    /// claims, and no name or acr unless given (each provider's own claims say who it is).
    fn approve(&self, extra: Value) -> Approval<'_> {
        self.op
            .approve()
            .claims(json!({"name": null, "acr": null}))
            .claims(extra)
    }

    /// Runs one verification; returns its final state and every event.
    async fn run(
        &self,
        profile: &Profile,
        input: AgentInput,
    ) -> (VerificationState, Vec<VerificationEvent>) {
        let (handle, mut rx) = self.desk.start_with_channel(profile, &input).await.unwrap();
        let end = handle.finished().await;
        let mut events = vec![];
        while let Ok(e) = rx.try_recv() {
            events.push(e);
        }
        assert_eq!(
            events.last().map(|e| e.state.name()),
            Some(end.name()),
            "the last event is the final state"
        );
        (end, events)
    }
}

fn form(r: &Recorded) -> Vec<(String, String)> {
    let mut f = r.form();
    f.sort();
    f
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    v.sort();
    v
}

fn basic_header(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

fn states(events: &[VerificationEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.state.name()).collect()
}

fn waiting(events: &[VerificationEvent]) -> Vec<(u64, Option<String>, Option<String>)> {
    events
        .iter()
        .filter_map(|e| match &e.state {
            VerificationState::WaitingForUser {
                interval,
                word_pair,
                customer_link,
                ..
            } => Some((*interval, word_pair.clone(), customer_link.clone())),
            _ => None,
        })
        .collect()
}

fn verified(end: &VerificationState) -> (&desk::VerifiedIdentity, &IdentityMatch) {
    match end {
        VerificationState::Verified {
            identity,
            identity_match,
        } => (identity, identity_match),
        other => panic!("not verified: {other:?}"),
    }
}

/// No event may carry a secret, a token or the full national ID.
fn assert_clean(events: &[VerificationEvent], forbidden: &[&str]) {
    let json = serde_json::to_string(events).unwrap();
    for f in forbidden.iter().chain([&CLIENT_SECRET, &"at-1"]) {
        assert!(!json.contains(f), "an event contains {f:?}: {json}");
    }
}

// ---------------- Signicat MobileID (seed 000) ----------------

#[tokio::test]
async fn signicat_mobileid_sends_the_documented_request() {
    let f = fixture(MemorySecrets::new().with("Signicat MobileID", CLIENT_SECRET)).await;
    route(&f.op, "/auth/open/connect/ciba", "/auth/open/connect/token");
    let mut p = at(&f.op, "signicat_mobileid");
    p.signicat = Some(SignicatAcr {
        auth_level: Some("TWO_FACTOR".into()),
        auth_method: Some("DEVICE_PIN".into()),
        send_push: Some(true),
    });
    // The documented ID token: timestamps as strings, MobileID claims.
    let now = fake_op::now();
    let token = f
        .approve(json!({
        "sub": "6NZrmEFWVaQij7tQgDSlsG6H6nBpVbZneQKZMrkJbls=",
        "exp": (now + 300).to_string(), "iat": now.to_string(), "auth_time": now.to_string(),
        "mobileid_transaction_id": "daa489e-6b35-46ca-83a4-1bba2ea35f68",
        "mobileid_user_id": "0e99b25c-abde-4553-973b-8d94d49cd87e",
        "mobileid_device_id": "20874199-f4d1-4e9d-86ee-dd4a46030acb",
        "mobileid_state": "COMPLETED",
        "mobileid_created": "2022-06-19T06:12:37.222Z",
        "mobileid_push_sent": "true",
        "mobileid_auth_level": "TWO_FACTOR",
        "mobileid_auth_method": "DEVICE:PIN",
        "mobileid_binding_message": "Do you want to transfer $300 to Jane?",
        }))
        .acknowledged(
            json!({"auth_req_id": "5ddc7357-abe0-6940-b4a3-fd6eb3277830", "expires_in": 120, "interval": 1}),
        )
        .after([Reply::pending()])
        .signed_by(&f.key);

    let (end, events) = f
        .run(
            &p,
            AgentInput::new(
                "userId:0e99b25c-abde-4553-973b-8d94d49cd87e deviceId:20874199-f4d1-4e9d-86ee-dd4a46030acb",
            )
            .binding_message("Do you want to transfer $300 to Jane?"),
        )
        .await;

    let bc = &f.op.recorded("/auth/open/connect/ciba")[0];
    assert_eq!(bc.method, "POST");
    assert_eq!(
        bc.headers["authorization"],
        basic_header(CLIENT_ID, CLIENT_SECRET)
    );
    assert_eq!(
        form(bc),
        pairs(&[
            ("scope", "openid mobileid mobileid-extra"),
            ("requested_expiry", "300"),
            ("binding_message", "Do you want to transfer $300 to Jane?"),
            (
                "acr_values",
                "idp:mobileid authLevel:TWO_FACTOR authMethod:DEVICE_PIN sendPush:true"
            ),
            (
                "login_hint",
                "userId:0e99b25c-abde-4553-973b-8d94d49cd87e deviceId:20874199-f4d1-4e9d-86ee-dd4a46030acb"
            ),
        ])
    );
    let polls = f.op.recorded("/auth/open/connect/token");
    assert_eq!(polls.len(), 2);
    for t in &polls {
        assert_eq!(
            t.headers["authorization"],
            basic_header(CLIENT_ID, CLIENT_SECRET)
        );
        assert_eq!(
            form(t),
            pairs(&[
                ("grant_type", "urn:openid:params:grant-type:ciba"),
                ("auth_req_id", "5ddc7357-abe0-6940-b4a3-fd6eb3277830"),
            ])
        );
    }

    assert_eq!(
        states(&events),
        ["requesting", "waiting_for_user", "verified"]
    );
    assert_eq!(waiting(&events)[0].0, 1);
    let (id, m) = verified(&end);
    assert_eq!(
        id.transaction_id.as_deref(),
        Some("daa489e-6b35-46ca-83a4-1bba2ea35f68")
    );
    assert_eq!(
        id.user_id.as_deref(),
        Some("0e99b25c-abde-4553-973b-8d94d49cd87e")
    );
    assert_eq!(id.auth_time, Some(now));
    assert_eq!(id.subject, "6NZrmEFWVaQij7tQgDSlsG6H6nBpVbZneQKZMrkJbls=");
    assert_eq!(id.provider.kind, desk::ProviderKind::SignicatMobileid);
    assert!(!id.is_sandbox);
    // The user and device entered are the ones that approved, and the echoed message is
    // the one sent.
    assert_eq!(
        *m,
        IdentityMatch::Match {
            on: desk::MatchBasis::UserId
        }
    );
    assert_eq!(
        id.device_id.as_deref(),
        Some("20874199-f4d1-4e9d-86ee-dd4a46030acb")
    );
    assert_eq!(
        f.clock.sleeps(),
        [Duration::from_secs(1), Duration::from_secs(1)]
    );
    assert_clean(&events, &[&token]);
}

// ---------------- Signaturgruppen MitID (seed 001) ----------------

const MITID_REQ: &str = "0A2179A15B686CB..3AC29A5A6A-1";

fn mitid(op: &FakeOp) -> Profile {
    let mut p = at(op, "signaturgruppen_mitid");
    p.secret = Some(desk::SecretRef::Entry("mitid".into()));
    route(op, "/connect/ciba", "/connect/token");
    op.set_default(
        "/connect/ciba",
        Reply::Json(
            200,
            json!({"auth_req_id": MITID_REQ, "expires_in": 300, "interval": 5}),
        ),
    );
    p
}

#[tokio::test]
async fn signaturgruppen_mitid_sends_a_login_hint_token_and_posts_credentials() {
    let f = fixture(MemorySecrets::new().with("mitid", CLIENT_SECRET)).await;
    let p = mitid(&f.op);
    // at_hash over the access token "at-1" the fake hands out: verified by ciba.
    let at_hash = URL_SAFE_NO_PAD.encode(&Sha256::digest(b"at-1")[..16]);
    let token = f
        .approve(json!({
        "sub": "7c9484f5-44bf-4e29-a683-84548951d3b8", "nbf": fake_op::now(),
        "at_hash": at_hash, "idp": "mitid", "idtoken_type": "ciba",
        "mitid.uuid": "eee4b272-6a33-40da-ab0b-5ce2abd42e78",
        "mitid.age": "88", "mitid.date_of_birth": "1936-04-08", "mitid.has_cpr": "true",
        "mitid.identity_name": "Ileya Jensen",
        "mitid.transaction_id": "9581bab6-9f8a-4526-9ddc-dfd3981263b9",
        "idp_transaction_id": "9581bab6-9f8a-4526-9ddc-dfd3981263b9",
        "dk.cpr": "0804361234",
        }))
        .after([Reply::pending()])
        .signed_by(&f.key);

    let (end, events) = f
        .run(
            &p,
            AgentInput::new("080436-1234").binding_message("Testing MitID Flex app 😉"),
        )
        .await;

    let bc = &f.op.recorded("/connect/ciba")[0];
    assert!(!bc.headers.contains_key("authorization"), "post, not basic");
    let fields = form(bc);
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["client_id", "client_secret", "login_hint_token", "scope"],
        "no login_hint, no binding_message: the text travels in the token"
    );
    assert_eq!(bc.field("scope").unwrap(), "openid");
    assert_eq!(bc.field("client_id").unwrap(), CLIENT_ID);
    assert_eq!(bc.field("client_secret").unwrap(), CLIENT_SECRET);
    let lht: Value = serde_json::from_str(&bc.field("login_hint_token").unwrap()).unwrap();
    assert_eq!(
        lht,
        json!({"idp": "mitid", "cpr": "0804361234", "referenceTextBody": "Testing MitID Flex app 😉"})
    );
    for t in f.op.recorded("/connect/token") {
        assert!(!t.headers.contains_key("authorization"));
        assert_eq!(
            form(&t),
            pairs(&[
                ("grant_type", "urn:openid:params:grant-type:ciba"),
                ("auth_req_id", MITID_REQ),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
            ])
        );
    }

    // The CPR number fails the old modulus-11 check: a warning, not a rejection.
    match &events[0].state {
        VerificationState::Requesting { warnings, .. } => {
            assert_eq!(warnings.len(), 1);
            assert_eq!(warnings[0].code, "cpr_modulus11_failed");
            assert!(warnings[0].message.contains("modulus-11"));
        }
        s => panic!("{s:?}"),
    }
    assert_eq!(waiting(&events)[0].0, 5);
    let (id, m) = verified(&end);
    assert_eq!(id.display_name.as_deref(), Some("Ileya Jensen"));
    assert_eq!(id.date_of_birth.as_deref(), Some("1936-04-08"));
    assert_eq!(
        id.transaction_id.as_deref(),
        Some("9581bab6-9f8a-4526-9ddc-dfd3981263b9")
    );
    assert_eq!(id.method.idp.as_deref(), Some("mitid"));
    assert_eq!(id.national_id_masked().as_deref(), Some("080436-XXXX"));
    assert_eq!(
        m,
        &IdentityMatch::Match {
            on: MatchBasis::NationalId
        }
    );
    assert_clean(&events, &[&token, "0804361234", "361234"]);
    assert!(
        f.op.recorded("/api/v1/ciba/0A2179A15B686CB..3AC29A5A6A-1")
            .is_empty()
    );
}

#[tokio::test]
async fn cancelling_a_mitid_flow_calls_the_providers_delete() {
    let key = key("rsa1");
    let op = FakeOp::start(&[&key]).await;
    let p = mitid(&op);
    let cancel_path = format!("/api/v1/ciba/{MITID_REQ}");
    op.set_default(&cancel_path, Reply::Json(200, json!({})));
    // The real clock: the poller waits its 5 s, and the cancel interrupts it.
    let desk = Desk::new(Arc::new(MemorySecrets::new().with("mitid", CLIENT_SECRET)));
    let (handle, mut rx) = desk
        .start_with_channel(&p, &AgentInput::new("dk:0804361234"))
        .await
        .unwrap();
    loop {
        let e = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        if e.state.name() == "waiting_for_user" {
            break;
        }
    }
    assert_eq!(desk.running(), [handle.id]);
    let id = handle.id;
    desk.cancel(id).unwrap();
    let end = tokio::time::timeout(Duration::from_secs(10), handle.finished())
        .await
        .unwrap();
    assert!(
        matches!(
            end,
            VerificationState::Cancelled {
                provider_notified: true
            }
        ),
        "{end:?}"
    );
    let deletes = op.recorded(&cancel_path);
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].method, "DELETE");
    assert!(
        op.recorded("/connect/token").is_empty(),
        "cancelled before the first poll"
    );
    assert!(desk.running().is_empty());
    assert_eq!(desk.cancel(id).unwrap_err().code(), "unknown_verification");
}

// ---------------- Idura Verify (seed 002) ----------------

fn idura(op: &FakeOp, id: &str) -> Profile {
    route(op, "/ciba/bc-authorize", "/oauth2/token");
    op.set_default(
        "/ciba/bc-authorize",
        Reply::Json(200, json!({"auth_req_id": "idura-1", "expires_in": 120})),
    );
    at(op, id)
}

fn idura_secrets(profile_name: &str) -> MemorySecrets {
    MemorySecrets::new().with(profile_name, key("rsa1").pem)
}

fn idura_claims(ssn: &str) -> Value {
    json!({"sub": "{bb9c2364-dfae-44f3-bcfd-999053d94f9e}", "identityscheme": "sebankid",
           "authenticationtype": "urn:grn:authn:se:bankid", "ssn": ssn, "name": "Terne Paulsen",
           "given_name": "Terne", "family_name": "Paulsen", "country": "SE",
           "ipaddress": "185.157.134.134"})
}

fn decode_jwt_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn idura_swedish_bankid_uses_sub_ssn_phone_auth_and_private_key_jwt() {
    let f = fixture(idura_secrets("Idura Swedish BankID")).await;
    let p = idura(&f.op, "idura_se_bankid");
    // Idura's acknowledgement has no interval: 5 s is the default.
    let token = f
        .approve(idura_claims("196802020575"))
        .acknowledged(
            json!({"auth_req_id": "3857f8ff-21b9-48ae-a732-a3bd8128a7ae", "expires_in": 120}),
        )
        .after([Reply::error(
            400,
            "authorization_pending",
            "outstandingTransaction",
        )])
        .signed_by(&f.key);

    let (end, events) = f
        .run(
            &p,
            AgentInput::new("19680202-0575")
                .binding_message("Call ref 4711")
                .call_initiator(CallInitiator::Rp),
        )
        .await;

    let bc = &f.op.recorded("/ciba/bc-authorize")[0];
    assert!(!bc.headers.contains_key("authorization"));
    let mut fields = form(bc);
    let assertion = fields
        .iter()
        .find(|(k, _)| k == "client_assertion")
        .unwrap()
        .1
        .clone();
    fields.retain(|(k, _)| k != "client_assertion" && k != "authorization_details");
    assert_eq!(
        fields,
        pairs(&[
            ("scope", "openid"),
            ("login_hint", "sub:ssn:196802020575"),
            ("acr_values", "urn:grn:authn:se:bankid"),
            ("binding_message", "Call ref 4711"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            ),
            ("client_id", CLIENT_ID),
        ])
    );
    let details: Value = serde_json::from_str(&bc.field("authorization_details").unwrap()).unwrap();
    assert_eq!(
        details,
        json!([{"type": "phoneAuth", "callInitiator": "RP"}])
    );
    let claims = decode_jwt_claims(&assertion);
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["sub"], CLIENT_ID);
    assert_eq!(claims["aud"], f.op.issuer);
    for t in f.op.recorded("/oauth2/token") {
        let names: Vec<String> = form(&t).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            [
                "auth_req_id",
                "client_assertion",
                "client_assertion_type",
                "client_id",
                "grant_type"
            ]
        );
    }

    assert_eq!(waiting(&events)[0].0, 5);
    assert_eq!(f.clock.sleeps()[0], Duration::from_secs(5));
    let (id, m) = verified(&end);
    assert_eq!(id.display_name.as_deref(), Some("Terne Paulsen"));
    assert_eq!(id.national_id_masked().as_deref(), Some("19680202-XXXX"));
    assert_eq!(id.expose_national_id(), Some("196802020575"));
    assert_eq!(id.date_of_birth.as_deref(), Some("1968-02-02"));
    assert_eq!(id.country.as_deref(), Some("SE"));
    assert_eq!(id.method.acr.as_deref(), Some("urn:grn:authn:se:bankid"));
    assert_eq!(id.method.idp.as_deref(), Some("sebankid"));
    assert_eq!(
        m,
        &IdentityMatch::Match {
            on: MatchBasis::NationalId
        }
    );
    assert_clean(&events, &[&token, "196802020575", "0575", &assertion]);
}

#[tokio::test]
async fn a_different_returned_ssn_is_a_mismatch() {
    let f = fixture(idura_secrets("Idura Swedish BankID")).await;
    let p = idura(&f.op, "idura_se_bankid");
    f.approve(idura_claims("191212121212")).signed_by(&f.key);
    let (end, events) = f
        .run(
            &p,
            AgentInput::new("196802020575").call_initiator(CallInitiator::User),
        )
        .await;
    let details: Value = serde_json::from_str(
        &f.op.recorded("/ciba/bc-authorize")[0]
            .field("authorization_details")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(details[0]["callInitiator"], "user");
    let (_, m) = verified(&end);
    assert_eq!(
        m,
        &IdentityMatch::Mismatch {
            on: MatchBasis::NationalId
        }
    );
    let json = serde_json::to_value(events.last().unwrap()).unwrap();
    assert_eq!(json["state"], "verified");
    assert_eq!(json["identity_match"]["result"], "mismatch");
    assert_eq!(json["identity"]["national_id"], "19121212-XXXX");
    assert!(!json.to_string().contains("191212121212"));
}

#[tokio::test]
async fn idura_norwegian_bankid_sends_no_binding_message_and_shows_the_word_pair() {
    let f = fixture(idura_secrets("Idura Norwegian BankID")).await;
    let p = idura(&f.op, "idura_no_bankid");
    f.approve(json!({"sub": "s", "ssn": "29100207042", "name": "Kari Nordmann",
                     "country": "NO", "identityscheme": "nobankid-oidc"}))
        .acknowledged(
            json!({"auth_req_id": "no-1", "expires_in": 900, "interval": 3, "bindingMessage": "blue house"}),
        )
        .signed_by(&f.key);

    let (end, events) = f.run(&p, AgentInput::new("291002 07042")).await;
    let bc = &f.op.recorded("/ciba/bc-authorize")[0];
    assert_eq!(bc.field("binding_message"), None);
    assert_eq!(bc.field("authorization_details"), None);
    assert_eq!(bc.field("login_hint").unwrap(), "sub:ssn:29100207042");
    assert_eq!(bc.field("acr_values").unwrap(), "urn:grn:authn:no:bankid");
    assert_eq!(waiting(&events), [(3, Some("blue house".to_owned()), None)]);
    let (id, m) = verified(&end);
    assert_eq!(id.national_id_masked().as_deref(), Some("291002-XXXXX"));
    assert_eq!(id.date_of_birth.as_deref(), Some("1902-10-29"));
    assert!(matches!(m, IdentityMatch::Match { .. }));

    // A typed binding message is refused before anything is sent.
    let before = f.op.recorded("/ciba/bc-authorize").len();
    let e = f
        .desk
        .start(
            &p,
            &AgentInput::new("29100207042").binding_message("Ref 1"),
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "binding_message_forbidden");
    assert_eq!(f.op.recorded("/ciba/bc-authorize").len(), before);
}

#[tokio::test]
async fn idura_frejaid_sends_its_acr() {
    let f = fixture(idura_secrets("Idura FrejaID")).await;
    let p = idura(&f.op, "idura_frejaid");
    let claims = json!({"sub": "s", "ssn": "191212121212", "name": "Tolvan Tolvansson",
                        "identityscheme": "frejaid"});
    f.approve(claims).signed_by(&f.key);
    let (end, _) = f
        .run(
            &p,
            AgentInput::new("19121212-1212").binding_message("Ref 9"),
        )
        .await;
    let bc = &f.op.recorded("/ciba/bc-authorize")[0];
    assert_eq!(bc.field("acr_values").unwrap(), "urn:grn:authn:se:frejaid");
    assert_eq!(bc.field("login_hint").unwrap(), "sub:ssn:191212121212");
    assert_eq!(bc.field("binding_message").unwrap(), "Ref 9");
    assert_eq!(bc.field("authorization_details"), None);
    let (id, m) = verified(&end);
    assert_eq!(id.method.idp.as_deref(), Some("frejaid"));
    assert!(matches!(m, IdentityMatch::Match { .. }));
}

#[tokio::test]
async fn a_wrong_check_digit_sends_nothing() {
    let f = fixture(idura_secrets("Idura Swedish BankID")).await;
    let p = idura(&f.op, "idura_se_bankid");
    let e = f
        .desk
        .start(
            &p,
            &AgentInput::new("19680202-0576").call_initiator(CallInitiator::Rp),
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "national_id_check_digit");
    assert_eq!(e.field(), Some(desk::ErrorField::Identity));
    assert!(f.op.recorded("/ciba/bc-authorize").is_empty());
    assert!(f.op.recorded(DISCOVERY).is_empty(), "not even discovery");
    assert!(f.desk.running().is_empty());
}

#[tokio::test]
async fn an_unfilled_preset_is_refused_with_what_to_replace() {
    let f = fixture(MemorySecrets::new()).await;
    let p = preset("idura_se_bankid").unwrap();
    let e = f
        .desk
        .start(
            &p,
            &AgentInput::new("196802020575").call_initiator(CallInitiator::Rp),
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("replace <your-domain>"), "{e}");
}

// ---------------- Authway (seed 003) ----------------

#[tokio::test]
async fn authway_call_centre_sends_the_personal_number_and_slows_down() {
    let f = fixture(MemorySecrets::new().with("Authway call centre", CLIENT_SECRET)).await;
    route(&f.op, "/connect/ciba", "/connect/token");
    let p = at(&f.op, "authway_call_centre");
    f.op.set_default(
        "/connect/ciba",
        Reply::Json(
            200,
            json!({"auth_req_id": "aw-1", "expires_in": 180, "interval": 5}),
        ),
    );
    f.approve(json!({"sub": "s", "ssn": "191212121212", "name": "Tolvan Tolvansson"}))
        .after([Reply::error(400, "slow_down", "too fast")])
        .signed_by(&f.key);
    let msg = "Please identify yourself for better help in our customer service.";
    let (end, events) = f
        .run(&p, AgentInput::new("19121212-1212").binding_message(msg))
        .await;
    let bc = &f.op.recorded("/connect/ciba")[0];
    assert_eq!(
        bc.headers["authorization"],
        basic_header(CLIENT_ID, CLIENT_SECRET)
    );
    assert_eq!(
        form(bc),
        pairs(&[
            ("scope", "openid"),
            ("login_hint", "191212121212"),
            ("binding_message", msg)
        ])
    );
    // slow_down: the waiting state is sent again with the longer interval.
    let w = waiting(&events);
    assert_eq!(w.iter().map(|x| x.0).collect::<Vec<_>>(), [5, 10]);
    assert_eq!(
        f.clock.sleeps(),
        [Duration::from_secs(5), Duration::from_secs(10)]
    );
    let (id, m) = verified(&end);
    assert_eq!(id.display_name.as_deref(), Some("Tolvan Tolvansson"));
    assert!(matches!(m, IdentityMatch::Match { .. }));
}

fn pickup(f: &Fixture) -> Profile {
    route(&f.op, "/connect/ciba", "/connect/token");
    f.op.set_default(
        "/connect/ciba",
        Reply::Json(
            200,
            json!({"auth_req_id": "pick-up.1~a", "expires_in": 200, "interval": 2}),
        ),
    );
    at(&f.op, "authway_pickup")
}

#[tokio::test]
async fn authway_pickup_shows_the_customer_link_as_a_qr_code() {
    let f = fixture(MemorySecrets::new().with("Authway in-store pickup", CLIENT_SECRET)).await;
    let p = pickup(&f);
    f.approve(json!({"sub": "s", "email": "Customer@Example.com", "name": "Cus Tomer"}))
        .after([Reply::pending()])
        .signed_by(&f.key);
    let msg = "Please identify yourself to pick up your order at the Store.";
    let (end, events) = f
        .run(
            &p,
            AgentInput::new("customer@example.com").binding_message(msg),
        )
        .await;
    assert_eq!(
        form(&f.op.recorded("/connect/ciba")[0]),
        pairs(&[
            ("scope", "openid"),
            ("login_hint", "customer@example.com"),
            ("binding_message", msg),
            ("requested_expiry", "200"),
        ])
    );
    let link = format!("{}/identity/ciba?requestId=pick-up.1~a", f.op.issuer);
    assert_eq!(waiting(&events), [(2, None, Some(link))]);
    let svg = events
        .iter()
        .find_map(|e| match &e.state {
            VerificationState::WaitingForUser { qr_svg, .. } => qr_svg.clone(),
            _ => None,
        })
        .unwrap();
    assert!(svg.contains("<svg"));
    let (_, m) = verified(&end);
    assert_eq!(
        m,
        &IdentityMatch::Match {
            on: MatchBasis::Email
        }
    );
}

/// A request id that could bend the URL (a path, a query) gives no customer link at all.
#[tokio::test]
async fn an_unsafe_request_id_gives_no_customer_link() {
    let f = fixture(MemorySecrets::new().with("Authway in-store pickup", CLIENT_SECRET)).await;
    let p = pickup(&f);
    f.op.set_default(
        "/connect/ciba",
        Reply::Json(
            200,
            json!({"auth_req_id": "../admin?x=1", "expires_in": 200, "interval": 2}),
        ),
    );
    f.approve(json!({"sub": "s", "email": "customer@example.com"}))
        .after([Reply::pending()])
        .signed_by(&f.key);
    let (_, events) = f
        .run(
            &p,
            AgentInput::new("customer@example.com").binding_message("Order 7"),
        )
        .await;
    assert_eq!(waiting(&events), [(2, None, None)]);
}

#[tokio::test]
async fn authway_pickup_refused_by_the_customer_is_denied() {
    let f = fixture(MemorySecrets::new().with("Authway in-store pickup", CLIENT_SECRET)).await;
    let p = pickup(&f);
    f.op.queue(
        "/connect/token",
        [Reply::error(
            403,
            "access_denied",
            "the user denied the request",
        )],
    );
    let (end, _) = f.run(&p, AgentInput::new("customer42")).await;
    match end {
        VerificationState::Denied { error } => {
            assert_eq!(error.code, "access_denied");
            assert!(error.message.contains("declined"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.op.recorded("/connect/ciba")[0]
            .field("login_hint")
            .unwrap(),
        "customer42"
    );
}

// ---------------- Generic and Sandbox ----------------

#[tokio::test]
async fn generic_follows_discovery() {
    let f = fixture(MemorySecrets::new().with("Generic provider", CLIENT_SECRET)).await;
    route(&f.op, "/somewhere/backchannel", "/elsewhere/token");
    f.op.set_default(
        "/somewhere/backchannel",
        Reply::Json(200, json!({"auth_req_id": "g-1", "expires_in": 60})),
    );
    let p = at(&f.op, "generic");
    f.approve(json!({"sub": "s", "email": "a@b.se"}))
        .signed_by(&f.key);
    let (end, _) = f.run(&p, AgentInput::new("a@b.se")).await;
    assert_eq!(f.op.recorded("/somewhere/backchannel").len(), 1);
    assert!(f.op.recorded("/bc").is_empty());
    let (id, m) = verified(&end);
    assert_eq!(id.email.as_deref(), Some("a@b.se"));
    assert!(matches!(m, IdentityMatch::Match { .. }));
}

#[tokio::test]
async fn sandbox_uses_its_public_training_client_and_is_labelled() {
    let f = fixture(MemorySecrets::new()).await;
    let mut p = desk::presets::sandbox();
    p.issuer = f.op.issuer.clone();
    let claims = json!({"aud": "ciba-desk", "sub": "sbx-1", "auth_time": null, "acr": null,
                        "ssn": "191212121212", "name": "Tolvan Tolvansson", "birthdate": "1912-12-12"});
    f.op.approve().claims(claims).signed_by(&f.key);
    let (end, events) = f.run(&p, AgentInput::new("se:191212121212")).await;
    let bc = &f.op.recorded("/bc")[0];
    assert_eq!(
        bc.headers["authorization"],
        basic_header("ciba-desk", "sandbox-secret")
    );
    assert_eq!(bc.field("login_hint").unwrap(), "191212121212");
    // The sandbox generates a code when the message is empty.
    let code = bc.field("binding_message").unwrap();
    assert_eq!(code.len(), 4);
    match &events[0].state {
        VerificationState::Requesting {
            binding_message,
            binding_message_generated,
            ..
        } => {
            assert_eq!(binding_message.as_deref(), Some(code.as_str()));
            assert!(binding_message_generated);
        }
        s => panic!("{s:?}"),
    }
    assert!(events.iter().all(|e| e.is_sandbox));
    let (id, m) = verified(&end);
    assert!(id.is_sandbox);
    assert_eq!(id.label(), Some("Sandbox: not a real identity"));
    assert_eq!(id.date_of_birth.as_deref(), Some("1912-12-12"));
    assert!(matches!(m, IdentityMatch::Match { .. }));
}

// ---------------- sessions ----------------

#[tokio::test]
async fn many_at_once_and_cancel_all() {
    let key = key("rsa1");
    let op = FakeOp::start(&[&key]).await;
    let mut p = desk::presets::sandbox();
    p.issuer = op.issuer.clone();
    let desk = Desk::new(Arc::new(MemorySecrets::new()));
    let (a, mut ra) = desk
        .start_with_channel(&p, &AgentInput::new("191212121212"))
        .await
        .unwrap();
    let (b, mut rb) = desk
        .start_with_channel(&p, &AgentInput::new("a@b.se"))
        .await
        .unwrap();
    assert_ne!(a.id, b.id);
    for rx in [&mut ra, &mut rb] {
        loop {
            let e = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .unwrap()
                .unwrap();
            if e.state.name() == "waiting_for_user" {
                break;
            }
        }
    }
    assert_eq!(desk.running(), [a.id, b.id]);
    assert_eq!(desk.cancel_all(), 2);
    for h in [a, b] {
        let end = tokio::time::timeout(Duration::from_secs(10), h.finished())
            .await
            .unwrap();
        assert_eq!(end.name(), "cancelled");
    }
    assert!(desk.running().is_empty());
    // One discovery for both: the client is cached per profile.
    assert_eq!(op.recorded(DISCOVERY).len(), 1);
}

#[tokio::test]
async fn provider_failures_become_failed_events_with_codes() {
    let f = fixture(MemorySecrets::new()).await;
    let mut p = desk::presets::sandbox();
    p.issuer = f.op.issuer.clone();
    f.op.queue("/bc", [Reply::error(401, "invalid_client", "bad secret")]);
    let (end, _) = f.run(&p, AgentInput::new("191212121212")).await;
    match end {
        VerificationState::Failed { kind, error } => {
            assert_eq!(error.code, "invalid_client");
            assert_eq!(kind, desk::FailureKind::Provider);
            assert!(error.message.contains("credentials"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    f.op.queue("/token", [Reply::error(400, "expired_token", "too late")]);
    let (end, _) = f.run(&p, AgentInput::new("191212121212")).await;
    assert_eq!(end.name(), "expired");
}
