//! The snapshot directory: `objects.yaml` (or `.yml`/`.json`, or an `objects/` folder of such
//! files) and `logs/<pod>/<container>[.previous].log[.gz]`. See README "Snapshot format".

use super::objects::{ObjectSet, ParseError};
use super::{LogError, LogSource};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot directory {0} does not exist")]
    Missing(PathBuf),
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
    #[error("{0} has no objects.yaml, objects.json or objects/ folder")]
    NoObjects(PathBuf),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not UTF-8 text (byte {offset})")]
    NotText { path: PathBuf, offset: usize },
    #[error(transparent)]
    Parse(#[from] ParseError),
}

pub struct Snapshot {
    pub dir: PathBuf,
    pub objects: ObjectSet,
}

impl Snapshot {
    pub fn load(dir: &Path) -> Result<Snapshot, SnapshotError> {
        if !dir.exists() {
            return Err(SnapshotError::Missing(dir.to_owned()));
        }
        if !dir.is_dir() {
            return Err(SnapshotError::NotADirectory(dir.to_owned()));
        }
        let files = object_files(dir)?;
        if files.is_empty() {
            return Err(SnapshotError::NoObjects(dir.to_owned()));
        }
        let mut objects = ObjectSet::default();
        for path in files {
            let bytes = std::fs::read(&path).map_err(|source| SnapshotError::Read {
                path: path.clone(),
                source,
            })?;
            let text = String::from_utf8(bytes).map_err(|e| SnapshotError::NotText {
                path: path.clone(),
                offset: e.utf8_error().valid_up_to(),
            })?;
            let origin = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            objects.add_text(&origin, &text)?;
        }
        Ok(Snapshot {
            dir: dir.to_owned(),
            objects,
        })
    }

    fn log_path(&self, pod: &str, container: &str, previous: bool) -> Option<PathBuf> {
        if !safe_name(pod) || !safe_name(container) {
            return None;
        }
        let stem = if previous {
            format!("{container}.previous.log")
        } else {
            format!("{container}.log")
        };
        let base = self.dir.join("logs").join(pod);
        [base.join(&stem), base.join(format!("{stem}.gz"))]
            .into_iter()
            .find(|p| p.is_file())
    }
}

/// Pod and container names are DNS labels; anything else must not walk out of logs/.
fn safe_name(s: &str) -> bool {
    !s.is_empty() && !s.contains(['/', '\\']) && s != "." && s != ".."
}

fn object_files(dir: &Path) -> Result<Vec<PathBuf>, SnapshotError> {
    let mut files: Vec<PathBuf> = ["objects.yaml", "objects.yml", "objects.json"]
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.is_file())
        .collect();
    let folder = dir.join("objects");
    if folder.is_dir() {
        let read = |source| SnapshotError::Read {
            path: folder.clone(),
            source,
        };
        let mut inner: Vec<PathBuf> = std::fs::read_dir(&folder)
            .map_err(read)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && matches!(
                        p.extension().and_then(|e| e.to_str()),
                        Some("yaml" | "yml" | "json")
                    )
            })
            .collect();
        inner.sort();
        files.extend(inner);
    }
    Ok(files)
}

impl LogSource for Snapshot {
    fn open(
        &self,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Result<Option<Box<dyn Read + '_>>, LogError> {
        let Some(path) = self.log_path(pod, container, previous) else {
            return Ok(None);
        };
        let file = File::open(&path)
            .map_err(|e| LogError::Unreadable(format!("{}: {e}", path.display())))?;
        let reader = BufReader::with_capacity(1 << 16, file);
        if path.extension().is_some_and(|e| e == "gz") {
            Ok(Some(Box::new(flate2::bufread::MultiGzDecoder::new(reader))))
        } else {
            Ok(Some(Box::new(reader)))
        }
    }

    fn pods_with_logs(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("logs")) else {
            return Vec::new();
        };
        let mut pods: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        pods.sort();
        pods
    }
}

/// Writes a snapshot directory in exactly the format [`Snapshot::load`] reads: the objects
/// as one `kind: List` in objects.yaml, each log at logs/<pod>/<container>[.previous].log.
pub fn write_snapshot<'a>(
    dir: &Path,
    objects: &[serde_json::Value],
    logs: impl IntoIterator<Item = (&'a str, &'a str, bool, &'a [u8])>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let list = serde_json::json!({ "apiVersion": "v1", "kind": "List", "items": objects });
    let yaml = serde_yaml_ng::to_string(&list).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("objects.yaml"), yaml)?;
    for (pod, container, previous, bytes) in logs {
        if !safe_name(pod) || !safe_name(container) {
            continue;
        }
        let folder = dir.join("logs").join(pod);
        std::fs::create_dir_all(&folder)?;
        let file = if previous { format!("{container}.previous.log") } else { format!("{container}.log") };
        std::fs::write(folder.join(file), bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::LogSource;

    #[test]
    fn written_snapshots_load_back_identically() {
        let dir = tempfile::tempdir().unwrap();
        let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p-1", "namespace": "shop"}});
        let bytes: &[u8] = b"line one\n\xffbinary-ish\n";
        write_snapshot(dir.path(), std::slice::from_ref(&pod), [("p-1", "app", true, bytes), ("../evil", "x", false, bytes)]).unwrap();
        let snap = Snapshot::load(dir.path()).unwrap();
        assert_eq!(snap.objects.pods[0].metadata.name, "p-1");
        let mut read = Vec::new();
        snap.open("p-1", "app", true).unwrap().unwrap().read_to_end(&mut read).unwrap();
        assert_eq!(read, bytes);
        assert!(!dir.path().join("evil").exists() && !dir.path().parent().unwrap().join("evil").exists());
    }
}
