//! `GET /metrics` in the Prometheus text format (version 0.0.4): counters kept here, gauges
//! read when scraped. Labels are profile names, outcomes and endpoints, never identifiers.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the provider latency histogram's buckets.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    started: Mutex<BTreeMap<String, u64>>,
    finished: Mutex<BTreeMap<(String, String), u64>>,
    provider: Mutex<BTreeMap<&'static str, Histogram>>,
    provider_failures: Mutex<BTreeMap<&'static str, u64>>,
    webhook_deliveries: AtomicU64,
    webhook_failures: AtomicU64,
    lease_takeovers: AtomicU64,
}

/// What is read when scraped rather than counted.
#[derive(Debug, Clone, Copy)]
pub struct Gauges {
    pub in_flight: usize,
    pub pool_in_use: usize,
    pub pool_size: usize,
    pub webhooks_pending: Option<u64>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Metrics {
    pub fn started(&self, profile: &str) {
        *lock(&self.started).entry(profile.to_owned()).or_default() += 1;
    }

    pub fn finished(&self, profile: &str, outcome: &str) {
        *lock(&self.finished)
            .entry((profile.to_owned(), outcome.to_owned()))
            .or_default() += 1;
    }

    /// A call to a provider: its endpoint, how long it took, whether an answer came back.
    pub fn provider_call(&self, endpoint: ciba::Endpoint, took: Duration, answered: bool) {
        lock(&self.provider)
            .entry(endpoint.as_str())
            .or_default()
            .observe(took.as_secs_f64());
        if !answered {
            *lock(&self.provider_failures)
                .entry(endpoint.as_str())
                .or_default() += 1;
        }
    }

    pub fn webhook_delivered(&self) {
        self.webhook_deliveries.fetch_add(1, Ordering::Relaxed);
    }

    pub fn webhook_failed(&self) {
        self.webhook_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn lease_takeover(&self) {
        self.lease_takeovers.fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition format.
    pub fn render(&self, g: Gauges) -> String {
        let mut out = String::new();
        let mut lines: Vec<String> = Vec::new();

        let n = header(
            &mut out,
            "ciba_desk_verifications_started_total",
            "counter",
            "Verifications started on this instance, by profile.",
        );
        for (profile, v) in lock(&self.started).iter() {
            lines.push(format!("{n}{{profile=\"{}\"}} {v}", escape(profile)));
        }
        flush(&mut out, &mut lines);

        let n = header(
            &mut out,
            "ciba_desk_verifications_finished_total",
            "counter",
            "Verifications ended on this instance, by profile and outcome.",
        );
        for ((profile, outcome), v) in lock(&self.finished).iter() {
            lines.push(format!(
                "{n}{{profile=\"{}\",outcome=\"{}\"}} {v}",
                escape(profile),
                escape(outcome)
            ));
        }
        flush(&mut out, &mut lines);

        let n = header(
            &mut out,
            "ciba_desk_verifications_in_flight",
            "gauge",
            "Verifications this instance is polling now.",
        );
        lines.push(format!("{n} {}", g.in_flight));
        flush(&mut out, &mut lines);

        let n = header(
            &mut out,
            "ciba_desk_provider_polls_total",
            "counter",
            "Token requests (polls) sent to providers.",
        );
        let polls = lock(&self.provider).get("token").map_or(0, |h| h.count);
        lines.push(format!("{n} {polls}"));
        flush(&mut out, &mut lines);

        let n = header(
            &mut out,
            "ciba_desk_provider_request_duration_seconds",
            "histogram",
            "Time to a provider's answer, by endpoint.",
        );
        for (endpoint, h) in lock(&self.provider).iter() {
            for (i, le) in BUCKETS.iter().enumerate() {
                lines.push(format!(
                    "{n}_bucket{{endpoint=\"{endpoint}\",le=\"{le}\"}} {}",
                    h.counts[i]
                ));
            }
            lines.push(format!(
                "{n}_bucket{{endpoint=\"{endpoint}\",le=\"+Inf\"}} {}",
                h.count
            ));
            lines.push(format!("{n}_sum{{endpoint=\"{endpoint}\"}} {}", h.sum));
            lines.push(format!("{n}_count{{endpoint=\"{endpoint}\"}} {}", h.count));
        }
        flush(&mut out, &mut lines);

        let n = header(
            &mut out,
            "ciba_desk_provider_request_failures_total",
            "counter",
            "Provider calls that got no HTTP answer (refused, timed out), by endpoint.",
        );
        for (endpoint, v) in lock(&self.provider_failures).iter() {
            lines.push(format!("{n}{{endpoint=\"{endpoint}\"}} {v}"));
        }
        flush(&mut out, &mut lines);

        for (name, help, v) in [
            (
                "ciba_desk_webhook_deliveries_total",
                "Webhook deliveries the receiver accepted.",
                self.webhook_deliveries.load(Ordering::Relaxed),
            ),
            (
                "ciba_desk_webhook_failures_total",
                "Webhook delivery attempts that failed (each retry counts).",
                self.webhook_failures.load(Ordering::Relaxed),
            ),
            (
                "ciba_desk_lease_takeovers_total",
                "Verifications this instance took over from another instance.",
                self.lease_takeovers.load(Ordering::Relaxed),
            ),
        ] {
            let n = header(&mut out, name, "counter", help);
            lines.push(format!("{n} {v}"));
            flush(&mut out, &mut lines);
        }

        if let Some(pending) = g.webhooks_pending {
            let n = header(
                &mut out,
                "ciba_desk_webhooks_pending",
                "gauge",
                "Webhook deliveries waiting for a (next) attempt, all instances.",
            );
            lines.push(format!("{n} {pending}"));
            flush(&mut out, &mut lines);
        }

        let n = header(
            &mut out,
            "ciba_desk_db_pool_connections",
            "gauge",
            "Database connections of this instance, by state.",
        );
        lines.push(format!("{n}{{state=\"in_use\"}} {}", g.pool_in_use));
        lines.push(format!("{n}{{state=\"max\"}} {}", g.pool_size));
        flush(&mut out, &mut lines);
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) -> String {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    name.to_owned()
}

fn flush(out: &mut String, lines: &mut Vec<String>) {
    for l in lines.drain(..) {
        out.push_str(&l);
        out.push('\n');
    }
}

/// Label values: backslash, double quote and line feed escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
