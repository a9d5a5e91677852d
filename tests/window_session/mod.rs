//! The real app under WebDriver (tauri-driver + WebKitWebDriver), for the window tests and the
//! window benchmark: its own settings, data directory and sandbox port per session.

#![allow(dead_code)]

pub mod desktop;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn app_binary() -> PathBuf {
    let path = std::env::var_os("CIBA_DESK_APP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/ciba-desk-app")
        });
    assert!(
        path.is_file(),
        "the release app is missing at {}: build it with `cargo build --release --features custom-protocol` \
         after `npm --prefix ui run build` (scripts/test.sh does both)",
        path.display()
    );
    path
}

/// What the app's operating system differs in: its locale, the X display it shows on, the
/// administrator's policy file.
#[derive(Clone, Default)]
pub struct Os {
    pub locale: Option<String>,
    pub display: Option<String>,
    /// The policy file's text; none by default (never the computer's own).
    pub policy: Option<String>,
    /// More environment for the app (a `BROWSER` of the test's own).
    pub env: Vec<(String, String)>,
}

/// The app under WebDriver, with its own settings, data directory and sandbox port.
pub struct Session {
    pub client: Client,
    pub driver: Child,
    pub sandbox: String,
    pub http: reqwest::Client,
    /// The app's settings and data directories (the audit log).
    pub config: PathBuf,
    pub data: PathBuf,
    /// The app's home directory, fresh for each session (where the save dialog starts).
    pub home: PathBuf,
    /// The app's log (CIBA_DESK_LOG=debug), with tauri-driver's and WebKit's stderr.
    pub log: PathBuf,
    /// When WebDriver was asked to start the app.
    pub app_started: Instant,
    pub os: Os,
    pub _dirs: tempfile::TempDir,
}

impl Session {
    pub async fn start(extra_profiles: impl FnOnce(&str) -> Vec<desk::Profile>) -> Self {
        Self::start_in(extra_profiles, Os::default()).await
    }

    /// As [`start`](Self::start), in another locale or on another display.
    pub async fn start_in(extra_profiles: impl FnOnce(&str) -> Vec<desk::Profile>, os: Os) -> Self {
        let dirs = tempfile::tempdir().unwrap();
        let config = dirs.path().join("config");
        let sandbox_port = free_port();
        let sandbox = format!("http://127.0.0.1:{sandbox_port}");
        let profiles = extra_profiles(&sandbox);
        if !profiles.is_empty() {
            let store = desk::SettingsStore::in_dir(&config);
            let mut settings = desk::Settings::default();
            for p in profiles {
                settings.add_profile(p).unwrap();
            }
            store.save(&settings).unwrap();
        }
        Self::launch(dirs, sandbox_port, os).await
    }

    /// The app again on the same settings, data and sandbox port, as after a restart.
    pub async fn restart(self) -> Self {
        // The app may already be gone (killed by the test).
        let app = descendants(self.driver.id()).into_iter().find(|p| {
            processes()
                .get(p)
                .is_some_and(|(_, name)| name == "ciba-desk-app")
        });
        let Session {
            client,
            mut driver,
            sandbox,
            _dirs,
            os,
            ..
        } = self;
        let _ = client.close_window().await;
        let _ = client.close().await;
        let _ = driver.kill();
        let _ = driver.wait();
        // A second app on the same settings would hand over to the first and end: wait until
        // the first is gone.
        if let Some(pid) = app {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
            // Gone, or a zombie (which holds no bus name any more).
            wait_until(Duration::from_secs(10), || {
                std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
                    stat.rsplit_once(')')
                        .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
                })
            })
            .await;
        }
        let port = sandbox.rsplit(':').next().unwrap().parse().unwrap();
        Self::launch(_dirs, port, os).await
    }

    pub async fn launch(dirs: tempfile::TempDir, sandbox_port: u16, os: Os) -> Self {
        assert!(
            os.display.is_some() || std::env::var_os("DISPLAY").is_some(),
            "no display: run the window tests under xvfb-run (scripts/test.sh does)"
        );
        let (config, data) = (dirs.path().join("config"), dirs.path().join("data"));
        let home = dirs.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let sandbox = format!("http://127.0.0.1:{sandbox_port}");
        let policy = dirs.path().join("policy.toml");
        if let Some(text) = &os.policy {
            std::fs::write(&policy, text).unwrap();
        }
        let (port, native_port) = (free_port(), free_port());
        let log = dirs.path().join(format!("app-{port}.log"));
        let mut driver = Command::new("tauri-driver");
        if let Some(d) = &os.display {
            driver.env("DISPLAY", d);
        }
        if let Some(l) = &os.locale {
            driver
                .env("LANG", l)
                .env_remove("LC_ALL")
                .env_remove("LC_MESSAGES")
                .env_remove("LANGUAGE");
        }
        let driver = driver
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .env("CIBA_DESK_CONFIG_DIR", &config)
            .env("CIBA_DESK_DATA_DIR", &data)
            .env("CIBA_DESK_SANDBOX_PORT", sandbox_port.to_string())
            .env("CIBA_DESK_POLICY", &policy)
            .env("CIBA_DESK_LOG", "debug")
            .env("HOME", &home)
            .envs(os.env.iter().map(|(k, v)| (k, v)))
            .env_remove("XDG_CONFIG_HOME")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("tauri-driver must be installed (cargo install tauri-driver --locked)");
        for p in [port, native_port] {
            wait_until(Duration::from_secs(30), || {
                std::net::TcpStream::connect(("127.0.0.1", p)).is_ok()
            })
            .await;
        }
        let caps = json!({"browserName": "wry", "tauri:options": {"application": app_binary()}});
        let app_started = Instant::now();
        let client = ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.as_object().unwrap().clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("WebDriver session with the app");
        Self {
            client,
            driver,
            sandbox,
            http: reqwest::Client::new(),
            config,
            data,
            home,
            log,
            app_started,
            os,
            _dirs: dirs,
        }
    }

    pub async fn el(&self, testid: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(&format!("[data-testid='{testid}']")))
            .await
            .unwrap_or_else(|e| panic!("no [data-testid={testid}] within 30 s: {e}"))
    }

    /// Waits until `[data-testid=testid]` has `attr` = `value`.
    pub async fn wait_attr(&self, testid: &str, attr: &str, value: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(e) = self
                .client
                .find(Locator::Css(&format!(
                    "[data-testid='{testid}'][{attr}='{value}']"
                )))
                .await
            {
                let _ = e;
                return;
            }
            assert!(
                Instant::now() < deadline,
                "[data-testid={testid}] never got {attr}={value}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The names of the profiles the Verify form offers.
    pub async fn offered_profiles(&self) -> Value {
        self.client
            .execute(
                "return [...document.querySelectorAll(\"[data-testid='profile'] option\")].map(o => o.value)",
                vec![],
            )
            .await
            .unwrap()
    }

    /// Fails unless none of `testids` is on the page now.
    pub async fn assert_absent(&self, testids: &[&str], why: &str) {
        for absent in testids {
            assert!(
                self.client
                    .find(Locator::Css(&format!("[data-testid='{absent}']")))
                    .await
                    .is_err(),
                "{absent} is offered {why}"
            );
        }
    }

    pub async fn type_into(&self, testid: &str, text: &str) {
        let e = self.el(testid).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// The requests waiting at the sandbox now (its `{"requests": […]}`).
    pub async fn sandbox_requests(&self) -> Value {
        self.http
            .get(format!("{}/sandbox/requests", self.sandbox))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The one pending request at the sandbox, once it arrives.
    pub async fn pending_request(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let list = self.sandbox_requests().await;
            if let Some(id) = list["requests"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(|r| r["auth_req_id"].as_str())
            {
                return id.to_owned();
            }
            assert!(Instant::now() < deadline, "no request reached the sandbox");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Presses Approve or Deny on the customer's phone page.
    pub async fn decide(&self, auth_req_id: &str, decision: &str) {
        let r = self
            .http
            .post(format!("{}/device/{auth_req_id}/{decision}", self.sandbox))
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success() || r.status().is_redirection(),
            "{decision}: {}",
            r.status()
        );
    }

    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        // Without accelerated compositing (as the app runs) WebKit answers a snapshot with the
        // next painted frame, and a page that is standing still paints none: a one-pixel,
        // all but invisible dot changes for a moment so that a frame comes.
        self.client
            .execute(
                "const dot = document.createElement('div'); \
                 dot.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0.01;pointer-events:none'; \
                 document.body.appendChild(dot); let n = 0; \
                 const tick = setInterval(() => { dot.style.background = n++ % 2 ? '#000' : '#fff'; \
                   if (n > 40) { clearInterval(tick); dot.remove(); } }, 50);",
                vec![],
            )
            .await
            .unwrap();
        std::fs::write(dir.join(name), self.client.screenshot().await.unwrap()).unwrap();
    }

    /// The app's own process, below its WebDriver.
    pub fn app_pid(&self) -> u32 {
        let all = processes();
        descendants(self.driver.id())
            .into_iter()
            .find(|p| all.get(p).is_some_and(|(_, name)| name == "ciba-desk-app"))
            .expect("the app runs below its WebDriver")
    }

    /// The WebKit process that runs the app's page.
    pub fn web_process(&self) -> Option<u32> {
        let all = processes();
        descendants(self.app_pid()).into_iter().find(|p| {
            all.get(p)
                .is_some_and(|(_, name)| name.starts_with("WebKitWebProces"))
        })
    }

    pub async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

pub async fn wait_until(limit: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `root` and every process below it.
pub fn descendants(root: u32) -> Vec<u32> {
    let all = processes();
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(all.iter().filter(|(_, (pp, _))| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

/// pid → (parent pid, command name) for every process.
fn processes() -> std::collections::HashMap<u32, (u32, String)> {
    let mut out = std::collections::HashMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_owned();
        let ppid = stat[close + 2..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        out.insert(pid, (ppid, name));
    }
    out
}
