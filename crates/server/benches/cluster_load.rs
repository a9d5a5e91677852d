//! Load benchmark: 500 concurrent verifications through the API of two server instances on
//! one throwaway PostgreSQL, against the test kit's CIBA OP (interval 1 s; each request
//! approved 1.5 s + 0–1 s after it arrives), each followed on an event stream (half of them on
//! the instance that does not poll it). Prints CPU per verification (the instances, and
//! PostgreSQL apart), peak RSS per instance, database rows and bytes per verification, the
//! time from the OP's approval to the final event on the agent's stream, and errors.
//!
//! `cargo bench -p ciba-desk-server --bench cluster_load -- [--count N] [--kill]`
//! `--kill`: SIGKILL one instance when half of the approvals are given; the other takes its
//! verifications over, streams reconnect, and the audit trail is checked for lost and
//! duplicated records.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng as _;
use serde_json::{Value, json};
use support::{Instance, config_text, personnummer};
use testkit::oidc_op::OpOptions;
use testkit::org_op::{Agent, OrgOp};
use testkit::postgres::{RUNTIME_ROLE, TempPostgres};

const BIN: &str = env!("CARGO_BIN_EXE_ciba-desk-server");
const AGENTS: usize = 10;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; anything else is ours.
    let count = args
        .iter()
        .position(|a| a == "--count")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(500u32);
    let kill = args.iter().any(|a| a == "--kill");
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(count, kill));
}

/// CPU time (user + system) of a process, in milliseconds.
fn cpu_ms(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command may contain spaces: fields start after the closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 1000.0 / 100.0)
}

/// Peak resident set size of a process, in MB.
fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// CPU of every PostgreSQL process (the postmaster and its backends), by pid.
fn postgres_cpu() -> HashMap<u32, f64> {
    let mut out = HashMap::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "postgres"
            && let Some(c) = cpu_ms(pid)
        {
            out.insert(pid, c);
        }
    }
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Outcome {
    ssn: String,
    final_at: Option<Instant>,
    state: String,
    error: Option<String>,
    reconnects: u32,
}

async fn run(count: u32, kill: bool) {
    let Some(pg) = TempPostgres::shared().await else {
        eprintln!("PostgreSQL is not installed here: nothing to measure");
        return;
    };
    let agents: Vec<Agent> = (0..AGENTS)
        .map(|i| Agent::new(&format!("agent{i}"), &format!("Agent {i}"), &["agent"]))
        .chain([Agent::new("ulla", "Ulla Auditor", &["auditor"])])
        .collect();
    let op = Arc::new(
        OrgOp::start_with(OpOptions {
            agents,
            interval: Some(1),
            ..Default::default()
        })
        .await,
    );
    let db = pg.fresh_database().await;
    server::store::Store::connect(&db.owner_url)
        .await
        .unwrap()
        .migrate(Some(RUNTIME_ROLE))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(
        &op,
        dir.path(),
        &format!("url = \"{}\"", db.runtime_url),
        false,
    )
    .replace("per_agent_per_minute = 3", "per_agent_per_minute = 10000");
    let instances = [
        Instance::start(BIN, dir.path(), "a", &text).await,
        Instance::start(BIN, dir.path(), "b", &text).await,
    ];
    let bases: Vec<String> = instances.iter().map(|i| i.base.clone()).collect();
    let pids: Vec<u32> = instances.iter().map(|i| i.child.id().unwrap()).collect();
    let mut tokens = vec![];
    for i in 0..AGENTS {
        tokens.push(op.access_token(&format!("agent{i}")).await);
    }
    let auditor = op.access_token("ulla").await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1000)
        .build()
        .unwrap();

    let cpu_before: Vec<f64> = pids.iter().map(|p| cpu_ms(*p).unwrap()).collect();
    let pg_before = postgres_cpu();
    let op_pid = find_op_pid();
    let op_before = op_pid.and_then(cpu_ms);
    let started = Instant::now();

    // The OP side: each request approved 1.5 s + 0–1 s after it was first seen.
    let approved: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let killed = Arc::new(tokio::sync::Notify::new());
    let approver = {
        let (op, approved, killed) = (op.clone(), approved.clone(), killed.clone());
        tokio::spawn(async move {
            let mut seen = HashSet::new();
            let given = Arc::new(std::sync::atomic::AtomicU32::new(0));
            while seen.len() < count as usize {
                for r in op.requests(&[("status", "pending")]).await {
                    let id = r["auth_req_id"].as_str().unwrap().to_owned();
                    if !seen.insert(id.clone()) {
                        continue;
                    }
                    let hint = r["login_hint"].as_str().unwrap_or_default().to_owned();
                    let delay = Duration::from_millis(1500 + rand::rng().random_range(0..1000));
                    let (op, approved, killed, given) =
                        (op.clone(), approved.clone(), killed.clone(), given.clone());
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        op.approve(&id).await;
                        approved.lock().unwrap().insert(hint, Instant::now());
                        let n = given.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                        if n == count / 2 {
                            killed.notify_one();
                        }
                    });
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let mut victim = None;
    let mut survivors = instances.into_iter();
    let first = survivors.next().unwrap();
    let second = survivors.next().unwrap();
    let rss_at_kill = Arc::new(Mutex::new(None));
    let cpu_at_kill = Arc::new(Mutex::new(None));
    if kill {
        let (rss, cpu) = (rss_at_kill.clone(), cpu_at_kill.clone());
        let pid = pids[0];
        victim = Some(tokio::spawn(async move {
            killed.notified().await;
            *rss.lock().unwrap() = peak_rss_mb(pid);
            *cpu.lock().unwrap() = cpu_ms(pid);
            first.kill().await;
            eprintln!("killed instance a (pid {pid}) at half of the approvals");
        }));
    }

    // The agents' side: start, then follow on a stream until the final state.
    let mut tasks = vec![];
    for n in 0..count {
        let (http, bases) = (http.clone(), bases.clone());
        let token = tokens[n as usize % AGENTS].clone();
        tasks.push(tokio::spawn(async move {
            let ssn = personnummer(n);
            let start_on = &bases[n as usize % 2];
            let mut out = Outcome {
                ssn: ssn.clone(),
                final_at: None,
                state: String::new(),
                error: None,
                reconnects: 0,
            };
            let r = http
                .post(format!("{start_on}/api/v1/verifications"))
                .bearer_auth(&token)
                .json(&json!({"profile": "bank", "national_id": ssn, "binding_message": format!("Load {n}")}))
                .send()
                .await;
            let id = match r {
                Ok(r) if r.status() == 201 => r.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                Ok(r) => {
                    out.error = Some(format!("start: HTTP {}", r.status()));
                    return out;
                }
                Err(e) => {
                    out.error = Some(format!("start: {e}"));
                    return out;
                }
            };
            // Half follow on the other instance: events cross over LISTEN/NOTIFY.
            let mut follow_on = (n as usize / 2) % 2;
            for _ in 0..20 {
                match follow(&http, &bases[follow_on], &token, &id).await {
                    Ok(Some(state)) => {
                        out.final_at = Some(Instant::now());
                        out.state = state;
                        return out;
                    }
                    Ok(None) | Err(_) => {
                        out.reconnects += 1;
                        follow_on = 1 - follow_on;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
            out.error = Some("the stream never brought a final state".into());
            out
        }));
    }
    let mut outcomes = vec![];
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    approver.abort();
    if let Some(v) = victim {
        v.await.unwrap();
    }

    let live: Vec<usize> = if kill { vec![1] } else { vec![0, 1] };
    let cpu_after: Vec<Option<f64>> = pids.iter().map(|p| cpu_ms(*p)).collect();
    let pg_after = postgres_cpu();
    let op_after = op_pid.and_then(cpu_ms);
    let rss: Vec<Option<f64>> = pids.iter().map(|p| peak_rss_mb(*p)).collect();

    // Approval to final event.
    let approved = approved.lock().unwrap().clone();
    let mut latencies: Vec<f64> = outcomes
        .iter()
        .filter_map(|o| {
            let a = approved.get(&o.ssn)?;
            Some(o.final_at?.saturating_duration_since(*a).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    // An answer the provider gave to the killed instance is lost by design (a provider answers
    // once): counted apart from errors.
    let lost_answers = outcomes
        .iter()
        .filter(|o| o.state.contains("answer_lost"))
        .count();
    let errors: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| {
            o.error.is_some() || (o.state != "verified" && !o.state.contains("answer_lost"))
        })
        .collect();
    let reconnects: u32 = outcomes.iter().map(|o| o.reconnects).sum();

    // The audit trail: one requested and one final record per verification.
    let base = &bases[live[0]];
    let records: Value = http
        .get(format!("{base}/api/v1/audit?limit=10000"))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut per: BTreeMap<(String, String), u32> = BTreeMap::new();
    for r in records.as_array().unwrap() {
        *per.entry((
            r["verification_id"].as_str().unwrap().to_owned(),
            r["phase"].as_str().unwrap().to_owned(),
        ))
        .or_default() += 1;
    }
    let finals = per.iter().filter(|((_, p), _)| p == "final").count();
    let duplicated = per.values().filter(|n| **n > 1).count();
    let lost = count as usize - finals;
    let intact: Value = http
        .get(format!("{base}/api/v1/audit/verify"))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Rows and bytes in the database.
    let (client, conn) = tokio_postgres::connect(&db.owner_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let row = client
        .query_one(
            "SELECT (SELECT count(*) FROM verifications), (SELECT count(*) FROM audit_records), \
                    (SELECT count(*) FROM webhook_deliveries), \
                    pg_total_relation_size('verifications'), pg_total_relation_size('audit_records'), \
                    pg_total_relation_size('webhook_deliveries')",
            &[],
        )
        .await
        .unwrap();
    let (v_rows, a_rows, w_rows): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    let bytes: i64 = row.get::<_, i64>(3) + row.get::<_, i64>(4) + row.get::<_, i64>(5);

    let n = count as f64;
    println!(
        "cluster_load: {count} verifications, 2 instances, interval 1 s{}",
        if kill {
            ", one instance SIGKILLed at half the approvals"
        } else {
            ""
        }
    );
    println!(
        "  wall time                      {:.1} s",
        elapsed.as_secs_f64()
    );
    let mut server_cpu = 0.0;
    for (i, name) in ["a", "b"].iter().enumerate() {
        let after = if kill && i == 0 {
            *cpu_at_kill.lock().unwrap()
        } else {
            cpu_after[i]
        };
        let used = after.unwrap_or(cpu_before[i]) - cpu_before[i];
        server_cpu += used;
        let peak = if kill && i == 0 {
            *rss_at_kill.lock().unwrap()
        } else {
            rss[i]
        };
        println!(
            "  instance {name}: CPU {used:.0} ms{}, peak RSS {:.1} MB",
            if kill && i == 0 {
                " (until killed)"
            } else {
                ""
            },
            peak.unwrap_or(f64::NAN)
        );
    }
    println!(
        "  server CPU per verification    {:.3} ms (both instances)",
        server_cpu / n
    );
    let pg_used: f64 = pg_after
        .iter()
        .map(|(pid, after)| after - pg_before.get(pid).copied().unwrap_or(0.0))
        .sum();
    println!("  PostgreSQL CPU per verification {:.3} ms", pg_used / n);
    if let (Some(b), Some(a)) = (op_before, op_after) {
        println!(
            "  test OP CPU per verification   {:.3} ms (not the server's)",
            (a - b) / n
        );
    }
    println!(
        "  database: {:.1} rows and {:.0} bytes per verification ({v_rows} verifications, {a_rows} audit records, {w_rows} webhook deliveries; tables with indexes)",
        (v_rows + a_rows + w_rows) as f64 / n,
        bytes as f64 / n
    );
    println!(
        "  approval -> final event on the stream: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms ({} measured)",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95),
        latencies.last().copied().unwrap_or(f64::NAN),
        latencies.len()
    );
    println!("  stream reconnects              {reconnects}");
    println!(
        "  audit: {finals} final records, {lost} lost, {duplicated} duplicated, chain intact: {}",
        intact["intact"]
    );
    if kill {
        println!("  answers lost with the killed instance {lost_answers} (ended answer_lost)");
    }
    println!("  errors                         {}", errors.len());
    for e in errors.iter().take(5) {
        println!(
            "    {}: {} {}",
            e.ssn,
            e.state,
            e.error.as_deref().unwrap_or("")
        );
    }
    second.stop().await;
}

/// Follows a verification's stream; its final state's name, or `None` if the stream ended
/// before one (the instance went away).
async fn follow(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
) -> Result<Option<String>, reqwest::Error> {
    let mut resp = http
        .get(format!("{base}/api/v1/verifications/{id}/events"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?;
    let mut buf = String::new();
    while let Some(chunk) = resp.chunk().await? {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) else {
                continue;
            };
            let v: Value = serde_json::from_str(data.trim()).unwrap_or_default();
            let state = v["state"].as_str().unwrap_or_default();
            if state != "requesting" && state != "waiting_for_user" {
                return Ok(Some(match v["error"]["code"].as_str() {
                    Some(code) => format!("{state} ({code})"),
                    None => state.to_owned(),
                }));
            }
        }
    }
    Ok(None)
}

/// The test OP's process (node running op.mjs), for its CPU.
fn find_op_pid() -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_string_lossy().parse().ok()?;
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let cmd = String::from_utf8_lossy(&cmd);
        (cmd.contains("op.mjs") && cmd.contains("node")).then_some(pid)
    })
}
