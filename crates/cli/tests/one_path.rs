//! `ciba-desk verify` has one path: a saved profile and the same provider named by flags give
//! the same progress lines, JSON, exit codes and audit records for the same round trip.

mod common;

use common::Env;
use serde_json::{Value, json};
use testkit::fake_op::{CLIENT_ID, CLIENT_SECRET, FakeOp, Reply, key};

const BY_FLAGS: &str = "(command line)";

/// Both forms, each run once against the same answer from `op`.
async fn both(env: &Env, op: &FakeOp, answer: &dyn Fn(), extra: &[&str]) -> [common::Ran; 2] {
    let mut runs = vec![];
    for saved in [true, false] {
        answer();
        let mut args = vec!["verify"];
        if saved {
            args.extend(["--profile", "gen"]);
        } else {
            args.extend(["--issuer", &op.issuer, "--client-id", CLIENT_ID]);
        }
        args.extend(extra);
        let mut c = env.cmd(&args);
        // No keyring: the saved profile's secret comes from the environment as well.
        c.env("CIBA_CLIENT_SECRET", CLIENT_SECRET);
        runs.push(common::finish(c.spawn().unwrap()).await);
    }
    runs.try_into().unwrap()
}

/// stderr with the profile's name and the run's timings taken out, and the note that the
/// saved profile's secret came from the environment (flags always take it from there).
fn lines(r: &common::Ran) -> Vec<String> {
    r.stderr
        .lines()
        .map(|l| l.replace("\"gen\"", &format!("{BY_FLAGS:?}")))
        .filter(|l| !l.starts_with("waiting:") && !l.starts_with("warning: the client secret"))
        .collect()
}

fn without(mut v: Value, keys: &[&str]) -> Value {
    for k in keys {
        v.as_object_mut().unwrap().remove(*k);
    }
    v
}

#[tokio::test]
async fn a_saved_profile_and_flags_take_the_same_path() {
    let k = key("rsa1");
    let op = FakeOp::start(&[&k]).await;
    let env = Env::new();
    let r = env
        .run(&[
            "profiles",
            "add",
            "gen",
            "--preset",
            "generic",
            "--issuer",
            &op.issuer,
            "--client-id",
            CLIENT_ID,
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    let input = [
        "--national-id",
        "se:19121212-1212",
        "--binding-message",
        "Desk 7",
        "--json",
    ];

    // Verified, with a match.
    let approve = || {
        op.approve()
            .acknowledged(json!({"auth_req_id": "req-1", "expires_in": 30, "interval": 1}))
            .claims(json!({"ssn": "191212121212", "name": "Tolvan Tolvansson"}))
            .signed_by(&k);
    };
    let [saved, flags] = both(&env, &op, &approve, &input).await;
    assert_eq!((saved.code, flags.code), (0, 0), "{saved:?}\n{flags:?}");
    assert_eq!(lines(&saved), lines(&flags));
    assert!(
        saved.stderr.contains("match: The identity number matches"),
        "{saved:?}"
    );
    let (a, b) = (saved.json(), flags.json());
    assert_eq!(a["profile"], "gen");
    assert_eq!(b["profile"], BY_FLAGS);
    // What differs is the profile's name and the clock (each run gets its own token).
    let ignore = ["profile", "elapsed_ms", "identity", "auth_time", "claims"];
    assert_eq!(without(a.clone(), &ignore), without(b.clone(), &ignore));
    let times = ["iat", "exp", "auth_time"];
    assert_eq!(
        without(a["claims"].clone(), &times),
        without(b["claims"].clone(), &times)
    );
    let mut ids = [a["identity"].clone(), b["identity"].clone()];
    for id in &mut ids {
        id["provider"]["profile"] = Value::Null;
        id.as_object_mut().unwrap().remove("auth_time");
        let claims = id["claims"].clone();
        id["claims"] = without(claims, &times);
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(a["match"], "match");

    // Denied: exit 2 from both, the same failure object.
    let deny = || {
        op.queue(
            "/bc",
            [Reply::Json(
                200,
                json!({"auth_req_id": "req-2", "expires_in": 30, "interval": 1}),
            )],
        );
        op.queue(
            "/token",
            [Reply::error(
                400,
                "access_denied",
                "the user denied the request",
            )],
        );
    };
    let [saved, flags] = both(&env, &op, &deny, &input).await;
    assert_eq!((saved.code, flags.code), (2, 2), "{saved:?}\n{flags:?}");
    assert_eq!(lines(&saved), lines(&flags));
    assert_eq!(saved.json(), flags.json());
    assert_eq!(saved.json()["status"], "denied");

    // The same four audit records, but for the profile's name.
    let r = env.run(&["audit", "recent", "--json"]).await;
    assert_eq!(r.code, 0, "{r:?}");
    let all: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(all.len(), 8, "each with its requested record: {r:?}");
    let records: Vec<Value> = all
        .into_iter()
        .filter(|r| r["outcome"] != "requested")
        .collect();
    assert_eq!(records.len(), 4, "{r:?}");
    let comparable = |v: &Value| {
        without(
            v.clone(),
            &[
                "seq",
                "time",
                "profile",
                "duration_ms",
                "hash",
                "prev_hash",
                "request_seq",
            ],
        )
    };
    // Newest first: flags (denied), saved (denied), flags (verified), saved (verified).
    assert_eq!(comparable(&records[0]), comparable(&records[1]));
    assert_eq!(comparable(&records[2]), comparable(&records[3]));
    assert_eq!(records[1]["profile"], "gen");
    assert_eq!(records[0]["profile"], BY_FLAGS);
    assert_eq!(records[0]["outcome"], "denied");
    assert_eq!(records[2]["outcome"], "verified");
    assert_eq!(records[2]["identifier_masked"], "19121212-XXXX");
}
