//! Processes for tests/fakekube.rs: the independent fake API server (Python) and the agent
//! binary, each killed on drop, talked to over plain HTTP/1.1 with `Connection: close`.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn shared_tool() -> Option<PathBuf> {
    let root = std::env::var_os("ROLLOUT_DOCTOR_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let script = root.join("tools/fakekube/fakekube.py");
    let python_ok = Command::new("python3")
        .args(["-c", "import yaml"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if script.is_file() && python_ok {
        return Some(script);
    }
    let why = if script.is_file() {
        "python3 with PyYAML is missing".to_owned()
    } else {
        format!("{} is absent", script.display())
    };
    assert!(
        std::env::var_os("ROLLOUT_DOCTOR_REQUIRE_SHARED").is_none(),
        "fakekube is required but {why}"
    );
    eprintln!("skipping: {why}");
    None
}

/// One request, the whole answer: (status, body).
fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    try_http(addr, method, path, body).unwrap_or_else(|e| panic!("{method} {addr}{path}: {e}"))
}

fn try_http(addr: &str, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok((status, body))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

pub struct FakeKube {
    child: Child,
    pub addr: String,
    pub kubeconfig: PathBuf,
    dir: tempfile::TempDir,
}

impl FakeKube {
    /// Starts the server on a free port with `snapshot` (relative to the crate) loaded.
    pub fn start(snapshot: &str) -> Option<FakeKube> {
        let script = shared_tool()?;
        let dir = tempfile::tempdir().unwrap();
        let (kubeconfig, ready) = (dir.path().join("kubeconfig"), dir.path().join("port"));
        let child = Command::new("python3")
            .arg(script)
            .args(["--port", "0", "--snapshot"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(snapshot))
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .arg("--ready-file")
            .arg(&ready)
            .stderr(std::fs::File::create(dir.path().join("fakekube.log")).unwrap())
            .spawn()
            .expect("python3 runs");
        let start = Instant::now();
        while !ready.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "fakekube did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let port = std::fs::read_to_string(&ready).unwrap().trim().to_owned();
        Some(FakeKube {
            child,
            addr: format!("127.0.0.1:{port}"),
            kubeconfig,
            dir,
        })
    }

    pub fn control(&self, what: &str, body: &Value) -> Value {
        let (status, text) = http(
            &self.addr,
            "POST",
            &format!("/_control/{what}"),
            &body.to_string(),
        );
        assert!(status < 300, "/_control/{what}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Creates or replaces objects from YAML or JSON, as `/_control/apply` does.
    pub fn apply(&self, body: &str) {
        let (status, text) = http(&self.addr, "POST", "/_control/apply", body);
        assert!(status < 300, "apply: {status} {text}");
    }

    pub fn clear_forbid(&self) {
        let (status, _) = http(&self.addr, "DELETE", "/_control/forbid", "");
        assert!(status < 300);
    }

    pub fn objects(&self, kind: &str) -> Vec<Value> {
        let (_, text) = http(
            &self.addr,
            "GET",
            &format!("/_control/objects?kind={kind}"),
            "",
        );
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Array(items)) => items,
            Ok(Value::Object(o)) => o
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            _ => panic!("objects?kind={kind}: {text}"),
        }
    }

    /// `rollout-doctor crd`, as a user installs it.
    pub fn crd(&self) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_rollout-doctor"))
            .arg("crd")
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log =
                std::fs::read_to_string(self.dir.path().join("fakekube.log")).unwrap_or_default();
            eprintln!("--- fakekube log (last 2 KiB) ---\n{}", tail(&log, 2048));
        }
    }
}

fn tail(s: &str, n: usize) -> &str {
    let mut from = s.len().saturating_sub(n);
    while !s.is_char_boundary(from) {
        from += 1;
    }
    &s[from..]
}

pub struct Agent {
    child: Child,
    identity: String,
    http: String,
    log: PathBuf,
}

impl Agent {
    pub fn start(server: &FakeKube, identity: &str) -> Agent {
        let http = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .to_string();
        let log = server.dir.path().join(format!("{identity}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_rollout-doctor"))
            .args(["run", "--http-addr", &http])
            .env("KUBECONFIG", &server.kubeconfig)
            .env("POD_NAMESPACE", "default")
            .env("POD_NAME", identity)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        Agent {
            child,
            identity: identity.into(),
            http,
            log,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the Lease in `default` names this agent (what a user sees with kubectl).
    pub async fn wait_leading(&self, server: &FakeKube) {
        let start = Instant::now();
        while !server
            .objects("Lease")
            .iter()
            .any(|l| l["spec"]["holderIdentity"] == self.identity.as_str())
        {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{} never led:\n{}",
                self.identity,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_ready(&self) {
        let start = Instant::now();
        while try_http(&self.http, "GET", "/readyz", "").map_or(0, |r| r.0) != 200 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "never ready:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn metrics(&self) -> String {
        http(&self.http, "GET", "/metrics", "").1
    }

    /// SIGTERM, as Kubernetes stops a pod; the agent releases its Lease on the way out.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while self.child.try_wait().ok().flatten().is_none()
            && start.elapsed() < Duration::from_secs(15)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- {} log (last 4 KiB) ---\n{}",
                self.identity,
                tail(&self.log(), 4096)
            );
        }
    }
}
