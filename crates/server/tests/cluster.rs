//! Several `ciba-desk-server` processes on one throwaway PostgreSQL, as a contact centre runs
//! them behind a load balancer: an instance killed mid-poll, a rolling restart, webhooks to a
//! receiver that fails at first, metrics read by a Prometheus parser; and SQLite refusing a
//! second instance.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::Mac as _;
use serde_json::{Value, json};
use support::{Instance, config_text, free_port, personnummer, private_file};
use testkit::org_op::{Agent, OrgOp};
use testkit::postgres::{RUNTIME_ROLE, TempPostgres};

const BIN: &str = env!("CARGO_BIN_EXE_ciba-desk-server");
const HOOK_SECRET: &str = "webhook-shared-secret-0123456789";

/// What the test's webhook receiver saw: accepted deliveries by idempotency key.
#[derive(Default)]
struct Received {
    attempts: usize,
    accepted: Vec<(String, String, Value)>,
}

/// A receiver that refuses the first two deliveries (HTTP 503) and accepts the rest, keeping
/// each accepted one with its signature header.
async fn webhook_receiver() -> (String, Arc<Mutex<Received>>) {
    use axum::http::{HeaderMap, StatusCode};
    let seen: Arc<Mutex<Received>> = Arc::default();
    let state = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let state = state.clone();
            async move {
                let mut r = state.lock().unwrap();
                r.attempts += 1;
                if r.attempts <= 2 {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let h = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                let sig = h("ciba-desk-signature");
                let key = h("idempotency-key");
                let body: Value = serde_json::from_str(&checked(&sig, &body)).unwrap();
                r.accepted.push((key, sig, body));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// Checks a signature as the README tells receivers to (HMAC of `t.body`, `t` recent);
/// returns the body.
fn checked(header: &str, body: &str) -> String {
    let (t, v1) = header
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        .unwrap_or_else(|| panic!("malformed signature header {header:?}"));
    let t: i64 = t.parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - t).abs() < 300, "a stale signature time {t}");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(HOOK_SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, expected, "the signature does not match the body");
    body.to_owned()
}

struct Cluster {
    op: OrgOp,
    dir: tempfile::TempDir,
    text: String,
    http: reqwest::Client,
    agent: String,
    auditor: String,
}

impl Cluster {
    async fn new(webhook: Option<&str>) -> Option<Cluster> {
        let pg = TempPostgres::shared().await?;
        let op = OrgOp::start(&[
            Agent::new("anna", "Anna Agent", &["agent"]),
            Agent::new("ulla", "Ulla Auditor", &["auditor"]),
        ])
        .await;
        let d = pg.fresh_database().await;
        server::store::Store::connect(&d.owner_url)
            .await
            .unwrap()
            .migrate(Some(RUNTIME_ROLE))
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut text = config_text(
            &op,
            dir.path(),
            &format!("url = \"{}\"", d.runtime_url),
            false,
        )
        .replace("per_agent_per_minute = 3", "per_agent_per_minute = 1000");
        if let Some(url) = webhook {
            let secret = private_file(dir.path(), "hook.secret", HOOK_SECRET);
            text.push_str(&format!(
                "[[webhooks]]\nurl = \"{url}\"\nsecret = {{ file = \"{}\" }}\n",
                secret.display()
            ));
        }
        let (agent, auditor) = (op.access_token("anna").await, op.access_token("ulla").await);
        Some(Cluster {
            op,
            dir,
            text,
            http: reqwest::Client::new(),
            agent,
            auditor,
        })
    }

    async fn instance(&self, name: &str) -> Instance {
        Instance::start(BIN, self.dir.path(), name, &self.text).await
    }

    async fn get(&self, base: &str, path: &str, token: &str) -> Value {
        let r = self
            .http
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    /// Starts verifications of customers `range` on `base`; their ids.
    async fn start(&self, base: &str, range: std::ops::Range<u32>) -> Vec<String> {
        let mut ids = vec![];
        for n in range {
            let r = self
                .http
                .post(format!("{base}/api/v1/verifications"))
                .bearer_auth(&self.agent)
                .json(&json!({"profile": "bank", "national_id": personnummer(n),
                              "binding_message": format!("Case {n}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
            ids.push(
                r.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        ids
    }

    /// Waits until the OP holds `n` pending requests; their auth_req_ids.
    async fn pending(&self, n: usize) -> Vec<String> {
        for _ in 0..600 {
            let p = self.op.requests(&[("status", "pending")]).await;
            if p.len() >= n {
                return p
                    .iter()
                    .map(|r| r["auth_req_id"].as_str().unwrap().to_owned())
                    .collect();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("fewer than {n} requests reached the OP");
    }

    /// Waits until every verification in `ids` waits for its customer (the provider's
    /// acknowledgement is stored: any instance can go on polling it).
    async fn waiting(&self, base: &str, ids: &[String]) {
        for _ in 0..300 {
            let mut all = true;
            for id in ids {
                let v = self
                    .get(base, &format!("/api/v1/verifications/{id}"), &self.agent)
                    .await;
                all &= v["state"]["state"] == "waiting_for_user";
            }
            if all {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("not every verification came to wait for its customer");
    }

    /// Waits until every verification in `ids` has ended (asked of `base`); their states.
    async fn ended(&self, base: &str, ids: &[String], within: Duration) -> BTreeMap<String, Value> {
        let deadline = Instant::now() + within;
        loop {
            let mut states = BTreeMap::new();
            for id in ids {
                let v = self
                    .get(base, &format!("/api/v1/verifications/{id}"), &self.agent)
                    .await;
                let s = v["state"]["state"].as_str().unwrap().to_owned();
                if s == "requesting" || s == "waiting_for_user" {
                    break;
                }
                states.insert(id.clone(), v);
            }
            if states.len() == ids.len() {
                return states;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {} verifications ended",
                states.len(),
                ids.len()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Exactly one `requested` and one `final` record per verification, the chain intact.
    async fn one_record_each(&self, base: &str, ids: &[String]) {
        let records = self
            .get(base, "/api/v1/audit?limit=10000", &self.auditor)
            .await;
        let mut phases: BTreeMap<(String, String), usize> = BTreeMap::new();
        for r in records.as_array().unwrap() {
            *phases
                .entry((
                    r["verification_id"].as_str().unwrap().to_owned(),
                    r["phase"].as_str().unwrap().to_owned(),
                ))
                .or_default() += 1;
        }
        for id in ids {
            for phase in ["requested", "final"] {
                assert_eq!(
                    phases.get(&(id.clone(), phase.to_owned())),
                    Some(&1),
                    "{id} {phase}"
                );
            }
        }
        assert_eq!(phases.len(), ids.len() * 2);
        let check = self.get(base, "/api/v1/audit/verify", &self.auditor).await;
        assert_eq!(check["intact"], true, "{check}");
    }

    async fn metrics(&self, base: &str) -> prometheus_parse::Scrape {
        let text = reqwest::get(format!("{base}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap()
    }
}

fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_killed_mid_poll_loses_nothing() {
    let (hook, received) = webhook_receiver().await;
    let Some(c) = Cluster::new(Some(&hook)).await else {
        return;
    };
    let a = c.instance("a").await;
    let b = c.instance("b").await;
    let ids = c.start(&a.base, 0..20).await;
    let requests = c.pending(20).await;
    c.waiting(&b.base, &ids).await;
    // Every one is polled by A (it started them); B holds none.
    let m = c.metrics(&a.base).await;
    assert_eq!(sample(&m, "ciba_desk_verifications_in_flight", &[]), 20.0);
    assert_eq!(
        sample(
            &m,
            "ciba_desk_verifications_started_total",
            &[("profile", "bank")]
        ),
        20.0
    );

    a.kill().await;
    let killed = Instant::now();
    for r in &requests {
        c.op.approve(r).await;
    }
    let states = c.ended(&b.base, &ids, Duration::from_secs(60)).await;
    for (id, v) in &states {
        assert_eq!(v["state"]["state"], "verified", "{id}: {v}");
        assert_eq!(v["state"]["identity_match"]["result"], "match", "{id}: {v}");
    }
    let m = c.metrics(&b.base).await;
    assert_eq!(sample(&m, "ciba_desk_lease_takeovers_total", &[]), 20.0);
    assert_eq!(
        sample(
            &m,
            "ciba_desk_verifications_finished_total",
            &[("outcome", "verified")]
        ),
        20.0
    );
    assert!(sample(&m, "ciba_desk_provider_polls_total", &[]) >= 20.0);
    assert!(
        killed.elapsed() < Duration::from_secs(30),
        "taking over and finishing took {:?}",
        killed.elapsed()
    );
    c.one_record_each(&b.base, &ids).await;

    // Each final state reached the receiver exactly once, signed, after its two refusals.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = received.lock().unwrap().accepted.len();
        if n >= 20 {
            break;
        }
        assert!(Instant::now() < deadline, "only {n} webhooks accepted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    {
        let r = received.lock().unwrap();
        let keys: BTreeSet<&str> = r.accepted.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(r.accepted.len(), 20, "a final state was delivered twice");
        assert_eq!(
            keys,
            ids.iter()
                .map(|id| format!("{id}.verified"))
                .collect::<BTreeSet<_>>()
                .iter()
                .map(String::as_str)
                .collect()
        );
        for (_, _, body) in &r.accepted {
            assert_eq!(body["state"]["state"], "verified");
            assert_eq!(body["agent"]["sub"], "anna");
            assert!(
                body["identifier"].as_str().unwrap().ends_with("XXXX"),
                "{body}"
            );
            let text = body.to_string();
            assert!(
                (0..20).all(|n| !text.contains(&personnummer(n)[2..])),
                "a full identifier left: {body}"
            );
        }
    }
    let v = c
        .get(
            &b.base,
            &format!("/api/v1/verifications/{}", ids[0]),
            &c.agent,
        )
        .await;
    assert_eq!(v["webhooks"][0]["url"], hook.as_str());
    assert_eq!(v["webhooks"][0]["status"], "delivered");
    // Auditors see every delivery; an agent does not.
    let all = c
        .get(&b.base, "/api/v1/webhooks?status=delivered", &c.auditor)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 20);
    let failed = c
        .get(&b.base, "/api/v1/webhooks?status=failed", &c.auditor)
        .await;
    assert!(failed.as_array().unwrap().is_empty());
    let r = c
        .http
        .get(format!("{}/api/v1/webhooks", b.base))
        .bearer_auth(&c.agent)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let m = c.metrics(&b.base).await;
    assert_eq!(sample(&m, "ciba_desk_webhook_deliveries_total", &[]), 20.0);
    assert_eq!(sample(&m, "ciba_desk_webhook_failures_total", &[]), 2.0);
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_restart_loses_nothing_and_cancels_reach_the_poller() {
    let Some(c) = Cluster::new(None).await else {
        return;
    };
    let a = c.instance("a").await;
    let b = c.instance("b").await;
    let mut ids = c.start(&a.base, 100..110).await;
    ids.extend(c.start(&b.base, 110..120).await);
    let requests = c.pending(20).await;
    c.waiting(&a.base, &ids).await;

    // A cancel sent to B for a verification A polls: A withdraws it.
    let cancelled = ids[0].clone();
    let r = c
        .http
        .delete(format!("{}/api/v1/verifications/{cancelled}", b.base))
        .bearer_auth(&c.agent)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let ended = c
        .ended(
            &a.base,
            std::slice::from_ref(&cancelled),
            Duration::from_secs(20),
        )
        .await;
    assert_eq!(ended[&cancelled]["state"]["state"], "cancelled");

    // SIGTERM A: it stops within 10 s, handing its leases back; B goes on at once.
    let took = a.stop().await;
    assert!(took < Duration::from_secs(10), "{took:?}");
    let a2 = c.instance("a2").await;
    let took = b.stop().await;
    assert!(took < Duration::from_secs(10), "{took:?}");
    // Handed back, not left to expire: A2 holds all 19 well before a lease would run out.
    let handed = Instant::now();
    loop {
        let m = c.metrics(&a2.base).await;
        if sample(&m, "ciba_desk_verifications_in_flight", &[]) == 19.0 {
            break;
        }
        assert!(
            handed.elapsed() < Duration::from_secs(5),
            "the leases were not handed over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The cancelled one's request stays at the OP (it has no cancel call): approving it now
    // changes nothing.
    for r in &requests {
        c.op.approve(r).await;
    }
    let rest: Vec<String> = ids[1..].to_vec();
    let states = c.ended(&a2.base, &rest, Duration::from_secs(60)).await;
    assert!(
        states.values().all(|v| v["state"]["state"] == "verified"),
        "{states:?}"
    );
    c.one_record_each(&a2.base, &ids).await;
    // Not ready while stopping; the stream of a verification ends with its final state.
    a2.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_serves_one_instance_and_says_so() {
    let op = OrgOp::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let text = config_text(
        &op,
        dir.path(),
        &format!("url = \"sqlite://{}\"", db.display()),
        true,
    );
    let config = private_file(dir.path(), "m.toml", &text);
    let out = std::process::Command::new(BIN)
        .args(["migrate", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let first = Instance::start(BIN, dir.path(), "one", &text).await;
    let port = free_port();
    let second = private_file(
        dir.path(),
        "two.toml",
        &text.replace("127.0.0.1:0", &format!("127.0.0.1:{port}")),
    );
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(BIN)
            .args(["serve", "--config", second.to_str().unwrap()])
            .env_remove("DATABASE_URL")
            .output(),
    )
    .await
    .expect("the second instance gave up at once")
    .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already served by another running instance"),
        "{err}"
    );
    first.stop().await;
}
