//! Scenario snapshots (fixtures/scenarios/*) loaded into the fake API server.

use super::FakeApiServer;
use std::io::Read;
use std::path::Path;

/// Loads a snapshot into the server: its objects, and its logs as pod logs.
pub fn load(server: &FakeApiServer, dir: &Path) {
    let objects = std::fs::read_to_string(dir.join("objects.yaml")).unwrap();
    let stored = server.apply_yaml(&objects);
    let ns_of = |pod: &str| {
        stored
            .iter()
            .find(|o| o["kind"] == "Pod" && o["metadata"]["name"] == pod)
            .and_then(|o| o["metadata"]["namespace"].as_str().map(str::to_owned))
    };
    let Ok(pods) = std::fs::read_dir(dir.join("logs")) else {
        return;
    };
    for pod in pods.flatten() {
        let pod_name = pod.file_name().to_string_lossy().into_owned();
        let Some(ns) = ns_of(&pod_name) else { continue };
        for file in std::fs::read_dir(pod.path()).unwrap().flatten() {
            let fname = file.file_name().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            let (stem, gz) = match fname.strip_suffix(".gz") {
                Some(s) => (s.to_owned(), true),
                None => (fname.clone(), false),
            };
            let f = std::fs::File::open(file.path()).unwrap();
            if gz {
                flate2::read::MultiGzDecoder::new(f)
                    .read_to_end(&mut bytes)
                    .unwrap();
            } else {
                std::io::BufReader::new(f).read_to_end(&mut bytes).unwrap();
            }
            let (container, previous) = match stem.strip_suffix(".previous.log") {
                Some(c) => (c.to_owned(), true),
                None => (stem.trim_end_matches(".log").to_owned(), false),
            };
            server.set_log(
                &ns,
                &pod_name,
                &container,
                previous,
                &String::from_utf8_lossy(&bytes),
            );
        }
    }
}
