//! `ciba-desk sandbox`: the built-in training provider, standalone, until Ctrl-C.

use std::time::Duration;

use sandbox::{AutoDecision, Decision, SandboxConfig};

use crate::args::SandboxArgs;
use crate::exit;
use desk::paths::data_dir;

pub async fn run(a: SandboxArgs) -> u8 {
    let Some(dir) = a.data_dir.clone().or_else(data_dir) else {
        eprintln!("error: no data directory could be determined; pass --data-dir");
        return exit::USAGE;
    };
    let mut config = SandboxConfig::new(dir).port(a.port);
    // The key may live elsewhere (--data-dir); the proof goes where the app and `verify` look.
    if let Some(own) = data_dir() {
        config = config.proof_dir(own);
    }
    if let (Some(decision), Some(after)) = (&a.auto, a.after) {
        match decision.parse::<Decision>() {
            Ok(decision) => {
                config = config.auto(AutoDecision {
                    decision,
                    after: Duration::from_secs(after),
                })
            }
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        }
    }
    let sb = match sandbox::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    eprintln!(
        "CIBA Desk sandbox provider (not a real identity provider) at {}",
        sb.issuer()
    );
    eprintln!("  the customer's phone: {}", sb.device_url());
    eprintln!(
        "  client id {} / secret {} (public training credentials)",
        sandbox::CLIENT_ID,
        sandbox::CLIENT_SECRET
    );
    eprintln!("  test persons:");
    for p in sandbox::persons() {
        eprintln!("    {:<20} {}", p.login_hint, p.name);
    }
    // The issuer on stdout, alone on its line, for scripts that start the sandbox.
    println!("{}", sb.issuer());
    if a.exit_with_stdin {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = stdin_closed() => {}
        }
    } else {
        let _ = tokio::signal::ctrl_c().await;
    }
    sb.shutdown().await;
    exit::VERIFIED
}

/// Resolves when standard input reaches its end (the parent closed it or died). Read on a
/// detached thread: a blocking read must not hold up the runtime's shutdown.
async fn stdin_closed() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        let _ = tx.send(());
    });
    let _ = rx.await;
}
