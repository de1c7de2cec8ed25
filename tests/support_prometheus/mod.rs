//! A real Prometheus for tests: synthetic series are backfilled with `promtool tsdb
//! create-blocks-from openmetrics`, then Prometheus serves them on a free loopback port.
//! Without the binaries the tests skip, unless ROLLOUT_DOCTOR_REQUIRE_PROMETHEUS=1 (CI).
#![allow(dead_code)]

pub mod synthetic;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One series: family, type (`counter` or `gauge`), labels, and (Unix seconds, value) samples.
pub struct Series {
    pub family: &'static str,
    pub kind: &'static str,
    pub labels: Vec<(&'static str, String)>,
    pub samples: Vec<(i64, f64)>,
}

pub struct Prometheus {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(bin: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/local/bin")])
        .map(|d| d.join(bin))
        .find(|p| p.is_file())
}

/// `(promtool, prometheus)`, or `None` to skip; panics when CI requires them.
pub fn binaries() -> Option<(PathBuf, PathBuf)> {
    match (find("promtool"), find("prometheus")) {
        (Some(t), Some(p)) => Some((t, p)),
        _ if std::env::var("ROLLOUT_DOCTOR_REQUIRE_PROMETHEUS").as_deref() == Ok("1") => {
            panic!("ROLLOUT_DOCTOR_REQUIRE_PROMETHEUS=1 but promtool/prometheus are not installed")
        }
        _ => {
            eprintln!("skipping: prometheus not installed");
            None
        }
    }
}

/// OpenMetrics text: families contiguous, each series' samples in time order.
pub fn openmetrics(series: &[Series]) -> String {
    let mut families: Vec<&str> = series.iter().map(|s| s.family).collect();
    families.dedup();
    families.sort_unstable();
    families.dedup();
    let mut out = String::new();
    for fam in families {
        let members: Vec<&Series> = series.iter().filter(|s| s.family == fam).collect();
        let kind = members[0].kind;
        let _ = writeln!(out, "# TYPE {fam} {kind}");
        let sample_name = if kind == "counter" {
            format!("{fam}_total")
        } else {
            fam.to_owned()
        };
        for s in members {
            let labels: Vec<String> = s
                .labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{v}\""))
                .collect();
            for (t, v) in &s.samples {
                let v = if v.is_nan() {
                    "NaN".to_owned()
                } else {
                    format!("{v}")
                };
                let _ = writeln!(out, "{sample_name}{{{}}} {v} {t}", labels.join(","));
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Backfills `series` and starts Prometheus on them; `None` when skipping.
pub async fn start(series: &[Series]) -> Option<Prometheus> {
    let (promtool, prometheus) = binaries()?;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let om = dir.path().join("series.om");
    std::fs::write(&om, openmetrics(series)).unwrap();
    let out = Command::new(&promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&data)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 15s\n").unwrap();
    // A port taken between probing and binding makes Prometheus exit: try a few.
    for _ in 0..5 {
        let port = free_port();
        let child = spawn(&prometheus, &data, &config, port, dir.path());
        let mut p = Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: tempfile::tempdir().unwrap(),
        };
        if wait_ready(&mut p).await {
            p._dir = dir;
            return Some(p);
        }
    }
    panic!("prometheus did not become ready");
}

fn spawn(bin: &Path, data: &Path, config: &Path, port: u16, dir: &Path) -> Child {
    let log = std::fs::File::create(dir.join(format!("prometheus-{port}.log"))).unwrap();
    Command::new(bin)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.retention.time=10y")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start prometheus")
}

async fn wait_ready(p: &mut Prometheus) -> bool {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = p.child.try_wait() {
            return false;
        }
        if let Ok(r) = http.get(format!("{}/-/ready", p.url)).send().await
            && r.status().is_success()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
