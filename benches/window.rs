//! The window as an agent's computer feels it: how long a cold start takes until the form is
//! ready to type into (Start button present, identity field focused), and how much memory the
//! whole process tree holds (the app, WebKitWebProcess and WebKitNetworkProcess, as PSS) idle
//! after one verification, after twenty, and after closing the finished tabs again.
//!
//! Each run starts the release app afresh (new settings, data and home directories) through
//! WebDriver, as the window tests do; the figures are the median of the runs.
//!
//! ```text
//! xvfb-run -a cargo bench --features custom-protocol --bench window            # 5 runs
//! BENCH_RUNS=3 xvfb-run -a cargo bench --features custom-protocol --bench window
//! ```
//!
//! `cargo bench` builds the release app again, so the feature is needed: without it the app
//! looks for the UI's development server. Needs what the window tests need otherwise: the built
//! UI (`npm --prefix ui run build`) and `tauri-driver`.

#[path = "../tests/window_session/mod.rs"]
mod window_session;

use std::time::Duration;

use fantoccini::key::Key;
use window_session::Session;

const SE_VALID: &str = "19121212-1212";
/// Verifications for the "after twenty" figure.
const MANY: usize = 20;

struct Run {
    start_to_form: Duration,
    pss_after_one: u64,
    pss_after_many: u64,
    pss_after_closing: u64,
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut all = vec![];
    for i in 0..runs {
        let r = rt.block_on(one_run());
        eprintln!(
            "run {}: start {:.0} ms, PSS {} / {} / {} MB",
            i + 1,
            r.start_to_form.as_secs_f64() * 1000.0,
            r.pss_after_one / 1024,
            r.pss_after_many / 1024,
            r.pss_after_closing / 1024
        );
        all.push(r);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("window, median of {runs} runs:");
    println!(
        "  cold start to an interactive form: {:.0} ms",
        median(
            all.iter()
                .map(|r| r.start_to_form.as_secs_f64() * 1000.0)
                .collect()
        )
    );
    for (what, f) in [
        (
            "after one verification",
            (|r: &Run| r.pss_after_one) as fn(&Run) -> u64,
        ),
        ("after 20 verifications", |r: &Run| r.pss_after_many),
        ("after 20, finished tabs closed", |r: &Run| {
            r.pss_after_closing
        }),
    ] {
        println!(
            "  process tree PSS {what}: {:.0} MB",
            median(all.iter().map(|r| f(r) as f64 / 1024.0).collect())
        );
    }
}

async fn one_run() -> Run {
    let s = Session::start(|_| vec![]).await;
    let start_to_form = wait_for_form(&s).await;
    verify_once(&s).await;
    settle().await;
    let pss_after_one = tree_pss(&s);
    for _ in 1..MANY {
        s.el("new-verification").await.click().await.unwrap();
        verify_once(&s).await;
    }
    settle().await;
    let pss_after_many = tree_pss(&s);
    s.el("close-finished").await.click().await.unwrap();
    settle().await;
    let pss_after_closing = tree_pss(&s);
    s.close().await;
    Run {
        start_to_form,
        pss_after_one,
        pss_after_many,
        pss_after_closing,
    }
}

/// From the moment WebDriver asked for the app until the Start button is there and the
/// identity field has the focus.
async fn wait_for_form(s: &Session) -> Duration {
    loop {
        let ready = s
            .client
            .execute(
                "return !!document.querySelector(\"[data-testid='start']\") && \
                 document.activeElement?.dataset?.testid === 'identity-input'",
                vec![],
            )
            .await;
        let ready = match ready {
            Ok(v) => v.as_bool().unwrap_or(false),
            Err(e) => {
                eprintln!("not ready yet: {e}");
                false
            }
        };
        if ready {
            return s.app_started.elapsed();
        }
        assert!(
            s.app_started.elapsed() < Duration::from_secs(60),
            "the form never became ready"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One sandbox verification, approved on the phone page, until its result card shows.
async fn verify_once(s: &Session) {
    s.type_into("identity-input", SE_VALID).await;
    s.el("identity-input")
        .await
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    let id = s.pending_request().await;
    s.decide(&id, "approve").await;
    s.wait_attr("result", "data-outcome", "verified").await;
}

/// Lets the web process finish what it does after a change (layout, garbage collection).
async fn settle() {
    tokio::time::sleep(Duration::from_secs(3)).await;
}

/// The proportional set size, in KiB, of the app this session started and every process
/// below it (WebKit's web and network processes).
fn tree_pss(s: &Session) -> u64 {
    window_session::descendants(s.app_pid())
        .into_iter()
        .map(pss)
        .sum()
}

fn pss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}
