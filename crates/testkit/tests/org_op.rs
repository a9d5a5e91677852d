//! The test OP as an organisation's sign-in provider: real JWT access tokens for `ciba-desk`
//! through the CIBA grant, and minted tokens for negative tests, checked the way
//! `ciba-desk-server` checks them (JWKS from discovery, iss, aud, exp with 60 s leeway, RS256).

use std::time::Instant;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Value, json};
use testkit::oidc_op::BASIC_CLIENT;
use testkit::org_op::{
    AGENT_SCOPE, AUDIENCE, Agent, MintKey, MintOptions, ORG_CLIENT, OrgOp, RESOURCE, TOKEN_TTL, now,
};

fn agent_one() -> Agent {
    Agent::new("agent-1", "Agent One", &["agent", "supervisor"])
}

/// What the server does: the key named by `kid` in the OP's JWKS, RS256/ES256 only, iss, aud,
/// exp/nbf with a 60 s leeway.
fn verify(token: &str, jwks: &JwkSet, issuer: &str) -> jsonwebtoken::errors::Result<Value> {
    let header = decode_header(token)?;
    let kid = header.kid.ok_or(ErrorKind::InvalidToken)?;
    let jwk = jwks.find(&kid).ok_or(ErrorKind::InvalidKeyFormat)?;
    let key = DecodingKey::from_jwk(jwk)?;
    // jsonwebtoken wants one key family per validation, so pick the alg, from an allow-list.
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    let mut v = Validation::new(header.alg);
    v.leeway = 60;
    v.validate_nbf = true;
    v.set_audience(&[AUDIENCE]);
    v.set_issuer(&[issuer]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    Ok(decode::<Value>(token, &key, &v)?.claims)
}

async fn jwks(op: &OrgOp) -> JwkSet {
    serde_json::from_value(op.jwks().await).unwrap()
}

fn kind(r: jsonwebtoken::errors::Result<Value>) -> ErrorKind {
    r.expect_err("the token must not verify").into_kind()
}

#[tokio::test]
async fn a_real_access_token_is_an_rfc9068_jwt_signed_with_the_ops_key() {
    let t0 = Instant::now();
    let op = OrgOp::start(&[agent_one()]).await;
    let started = t0.elapsed();
    let t1 = Instant::now();
    let token = op.access_token("agent-1").await;
    let one_token = t1.elapsed();
    eprintln!("OP start {started:?}, one access token {one_token:?}");

    let header = decode_header(&token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, Algorithm::RS256);
    let kid = header.kid.expect("kid");
    let jwks = jwks(&op).await;
    assert!(jwks.find(&kid).is_some(), "kid {kid} is in the OP's JWKS");

    let claims = verify(&token, &jwks, op.issuer()).expect("verifies against the OP's JWKS");
    assert_eq!(claims["iss"], op.issuer());
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["sub"], "agent-1");
    assert_eq!(claims["name"], "Agent One");
    assert_eq!(claims["roles"], json!(["agent", "supervisor"]));
    assert_eq!(claims["client_id"], ORG_CLIENT.0);
    assert_eq!(claims["scope"], AGENT_SCOPE);
    assert!(claims.get("preferred_username").is_none());
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert!(iat.abs_diff(now()) <= 5, "iat {iat} is now");
    assert_eq!(exp - iat, TOKEN_TTL);
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));

    // The hand-made claim set has exactly the same members as a real token.
    let made = op.claims(&agent_one());
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&made), keys(&claims));
    for k in ["iss", "aud", "sub", "name", "roles", "client_id", "scope"] {
        assert_eq!(made[k], claims[k], "{k}");
    }
}

#[tokio::test]
async fn the_token_response_is_a_plain_bearer_response_with_an_id_token() {
    let op = OrgOp::start(&[agent_one()]).await;
    let body = op.token_response("agent-1").await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], TOKEN_TTL);
    assert_eq!(body["scope"], AGENT_SCOPE);
    let id_token = body["id_token"].as_str().unwrap();
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(id_token).unwrap();
    assert_eq!(claims["aud"], ORG_CLIENT.0);
    assert_eq!(claims["sub"], "agent-1");
}

#[tokio::test]
async fn agents_added_later_get_their_roles_and_username() {
    let op = OrgOp::start(&[]).await;
    let clerk = Agent::new("clerk", "", &[])
        .without_name()
        .with_username("clerk@org");
    op.add_agent(&clerk).await;
    let jwks = jwks(&op).await;
    let claims = verify(&op.access_token("clerk").await, &jwks, op.issuer()).unwrap();
    assert_eq!(claims["sub"], "clerk");
    assert_eq!(claims["preferred_username"], "clerk@org");
    assert!(claims.get("name").is_none());
    assert_eq!(claims["roles"], json!([]));

    // A new role shows in the next token.
    op.add_agent(&Agent {
        roles: vec!["agent".into()],
        ..clerk
    })
    .await;
    let claims = verify(&op.access_token("clerk").await, &jwks, op.issuer()).unwrap();
    assert_eq!(claims["roles"], json!(["agent"]));
}

#[tokio::test]
async fn the_org_client_reaches_only_agents_and_other_clients_never_get_ciba_desk_tokens() {
    let op = OrgOp::start(&[agent_one()]).await;
    let http = reqwest::Client::new();
    let backchannel = |client: (&'static str, &'static str), form: Vec<(&'static str, String)>| {
        let req = http
            .post(format!("{}/backchannel", op.issuer()))
            .basic_auth(client.0, Some(client.1))
            .form(&form);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let scope = || ("scope", "openid".to_owned());

    // The org client cannot start a request for a customer ...
    let (status, body) =
        backchannel(ORG_CLIENT, vec![("login_hint", "alice".into()), scope()]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unknown_user_id"))
    );
    // ... a customer client cannot for an agent ...
    let (status, body) = backchannel(
        BASIC_CLIENT,
        vec![("login_hint", "agent-1".into()), scope()],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unknown_user_id"))
    );
    // ... nor ask for the ciba-desk resource.
    let (status, body) = backchannel(
        BASIC_CLIENT,
        vec![
            ("login_hint", "alice".into()),
            scope(),
            ("resource", RESOURCE.into()),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_target"))
    );

    // A customer client's access token stays opaque.
    let (_, ack) = backchannel(BASIC_CLIENT, vec![("login_hint", "alice".into()), scope()]).await;
    let id = ack["auth_req_id"].as_str().unwrap();
    op.approve(id).await;
    let body: Value = http
        .post(format!("{}/token", op.issuer()))
        .basic_auth(BASIC_CLIENT.0, Some(BASIC_CLIENT.1))
        .form(&[
            ("grant_type", "urn:openid:params:grant-type:ciba"),
            ("auth_req_id", id),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let at = body["access_token"].as_str().unwrap();
    assert!(!at.contains('.'), "opaque access token, got {at}");
}

#[tokio::test]
async fn minted_tokens_verify_only_when_they_should() {
    let op = OrgOp::start(&[agent_one()]).await;
    let jwks = jwks(&op).await;
    let iss = op.issuer().to_owned();
    let good = op.claims(&agent_one());

    // Signed with the OP's keys: as good as a real token.
    for key in [MintKey::Op, MintKey::OpEc] {
        let t = op.mint(good.clone(), key).await;
        assert_eq!(decode_header(&t).unwrap().typ.as_deref(), Some("at+jwt"));
        assert_eq!(verify(&t, &jwks, &iss).unwrap(), good, "{key:?}");
    }

    // A key the OP never published: its kid is unknown ...
    let foreign = op.mint(good.clone(), MintKey::Foreign).await;
    let kid = decode_header(&foreign).unwrap().kid.unwrap();
    assert!(kid.starts_with("foreign-rsa-") && jwks.find(&kid).is_none());
    assert_eq!(
        kind(verify(&foreign, &jwks, &iss)),
        ErrorKind::InvalidKeyFormat
    );
    // ... and claiming the OP's kid does not make the signature verify.
    let op_kid = decode_header(&op.mint(good.clone(), MintKey::Op).await)
        .unwrap()
        .kid
        .unwrap();
    let mut spoof = MintOptions::from(MintKey::Foreign);
    spoof.header.insert("kid".into(), op_kid.clone().into());
    let spoofed = op.mint_with(good.clone(), &spoof).await;
    assert_eq!(
        kind(verify(&spoofed, &jwks, &iss)),
        ErrorKind::InvalidSignature
    );

    // alg none: empty signature, and jsonwebtoken has no such algorithm.
    let unsigned = op.mint(good.clone(), MintKey::Unsigned).await;
    assert!(unsigned.ends_with('.'));
    assert!(verify(&unsigned, &jwks, &iss).is_err());

    // HS256 keyed with the OP's public key (algorithm confusion), given the OP's kid.
    let mut hs = MintOptions {
        alg: "HS256".into(),
        ..Default::default()
    };
    hs.header.insert("kid".into(), op_kid.into());
    let confused = op.mint_with(good.clone(), &hs).await;
    assert_eq!(decode_header(&confused).unwrap().alg, Algorithm::HS256);
    assert!(verify(&confused, &jwks, &iss).is_err());

    // Signed by the OP but wrong claims.
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    let cases = [
        (with("exp", json!(now() - 120)), ErrorKind::ExpiredSignature),
        (
            with("aud", json!("another-api")),
            ErrorKind::InvalidAudience,
        ),
        (
            with("iss", json!("http://127.0.0.1:1")),
            ErrorKind::InvalidIssuer,
        ),
        (
            with("nbf", json!(now() + 300)),
            ErrorKind::ImmatureSignature,
        ),
    ];
    for (claims, expected) in cases {
        let t = op.mint(claims, MintKey::Op).await;
        assert_eq!(kind(verify(&t, &jwks, &iss)), expected);
    }
    // Within the leeway it still verifies.
    let t = op.mint(with("exp", json!(now() - 30)), MintKey::Op).await;
    assert!(verify(&t, &jwks, &iss).is_ok());
    // Without the role it verifies: refusing it is the server's job.
    let t = op.mint(with("roles", json!([])), MintKey::Op).await;
    assert_eq!(verify(&t, &jwks, &iss).unwrap()["roles"], json!([]));
}
