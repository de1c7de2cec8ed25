//! The snapshot directory: `objects.yaml` (or `.yml`/`.json`, or an `objects/` folder of such
//! files) and `logs/<pod>/<container>[.previous].log[.gz]`. See README "Snapshot format".

use super::guard::{self, Refused, Root};
use super::objects::{ObjectSet, ParseError};
use super::{LogError, LogSource};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// All object files of a snapshot together may hold at most this (README "Snapshot format").
pub const MAX_OBJECT_BYTES: u64 = 256 << 20;

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
    /// A link out of the snapshot, or an object file that is not a regular file.
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error("{origin}: the object files exceed the limit of {} MiB", MAX_OBJECT_BYTES >> 20)]
    TooLarge { origin: String },
    #[error(transparent)]
    Parse(#[from] ParseError),
}

pub struct Snapshot {
    pub dir: PathBuf,
    pub objects: ObjectSet,
    /// Links inside the snapshot are followed, links out of it never.
    root: Root,
}

impl Snapshot {
    pub fn load(dir: &Path) -> Result<Snapshot, SnapshotError> {
        if !dir.exists() {
            return Err(SnapshotError::Missing(dir.to_owned()));
        }
        if !dir.is_dir() {
            return Err(SnapshotError::NotADirectory(dir.to_owned()));
        }
        let root = Root::new(dir, "the snapshot").map_err(|source| SnapshotError::Read {
            path: dir.to_owned(),
            source,
        })?;
        let files = object_files(&root)?;
        if files.is_empty() {
            return Err(SnapshotError::NoObjects(dir.to_owned()));
        }
        let mut objects = ObjectSet::default();
        let mut budget = MAX_OBJECT_BYTES;
        for (origin, path) in files {
            let bytes = guard::read_bounded(&path, &origin, budget).map_err(|e| match e {
                Refused::TooLarge { .. } => SnapshotError::TooLarge {
                    origin: origin.clone(),
                },
                other => other.into(),
            })?;
            budget -= bytes.len() as u64;
            let text = String::from_utf8(bytes).map_err(|e| SnapshotError::NotText {
                path: dir.join(&origin),
                offset: e.utf8_error().valid_up_to(),
            })?;
            objects.add_text(&origin, &text)?;
        }
        Ok(Snapshot {
            dir: dir.to_owned(),
            objects,
            root,
        })
    }

    /// The log file of a container instance, resolved inside the snapshot; `Ok(None)` when
    /// there is none, an error when the name leads out of the snapshot or to a non-file.
    fn log_path(
        &self,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Result<Option<PathBuf>, Refused> {
        if !safe_name(pod) || !safe_name(container) {
            return Ok(None);
        }
        let stem = if previous {
            format!("{container}.previous.log")
        } else {
            format!("{container}.log")
        };
        let base = Path::new("logs").join(pod);
        let Some(found) = [base.join(&stem), base.join(format!("{stem}.gz"))]
            .into_iter()
            .find(|p| self.root.path().join(p).symlink_metadata().is_ok())
        else {
            return Ok(None);
        };
        self.root
            .resolve_file(&found, &found.display().to_string())
            .map(Some)
    }
}

/// Pod and container names are DNS labels; anything else must not walk out of logs/.
pub(super) fn safe_name(s: &str) -> bool {
    !s.is_empty() && !s.contains(['/', '\\']) && s != "." && s != ".."
}

/// The object files, named relative to the snapshot and resolved inside it.
fn object_files(root: &Root) -> Result<Vec<(String, PathBuf)>, SnapshotError> {
    let present = |rel: &Path| root.path().join(rel).symlink_metadata().is_ok();
    let mut files = Vec::new();
    for name in ["objects.yaml", "objects.yml", "objects.json"] {
        if present(Path::new(name)) {
            files.push((name.to_owned(), root.resolve_file(Path::new(name), name)?));
        }
    }
    if present(Path::new("objects")) {
        let folder = root.resolve(Path::new("objects"), "objects")?;
        if folder.is_dir() {
            let read = |source| SnapshotError::Read {
                path: folder.clone(),
                source,
            };
            let mut inner: Vec<String> = std::fs::read_dir(&folder)
                .map_err(read)?
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| {
                    matches!(
                        Path::new(n).extension().and_then(|e| e.to_str()),
                        Some("yaml" | "yml" | "json")
                    )
                })
                .collect();
            inner.sort();
            for name in inner {
                let rel = format!("objects/{name}");
                files.push((rel.clone(), root.resolve_file(Path::new(&rel), &rel)?));
            }
        }
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
        let path = match self.log_path(pod, container, previous) {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(None),
            Err(e @ Refused::Io { .. }) => return Err(LogError::Unreadable(e.to_string())),
            Err(e) => return Err(LogError::Refused(e.to_string())),
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

    /// Pod directories, links to directories inside the snapshot included.
    fn pods_with_logs(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.root.path().join("logs")) else {
            return Vec::new();
        };
        let mut pods: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| {
                let rel = Path::new("logs").join(name);
                self.root.resolve(&rel, name).is_ok_and(|p| p.is_dir())
            })
            .collect();
        pods.sort();
        pods
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{LogSource, write_snapshot};

    #[test]
    fn written_snapshots_load_back_identically() {
        let dir = tempfile::tempdir().unwrap();
        let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p-1", "namespace": "shop"}});
        let bytes: &[u8] = b"line one\n\xffbinary-ish\n";
        write_snapshot(
            dir.path(),
            std::slice::from_ref(&pod),
            [("p-1", "app", true, bytes), ("../evil", "x", false, bytes)],
        )
        .unwrap();
        let snap = Snapshot::load(dir.path()).unwrap();
        assert_eq!(snap.objects.pods[0].metadata.name, "p-1");
        let mut read = Vec::new();
        snap.open("p-1", "app", true)
            .unwrap()
            .unwrap()
            .read_to_end(&mut read)
            .unwrap();
        assert_eq!(read, bytes);
        assert!(
            !dir.path().join("evil").exists()
                && !dir.path().parent().unwrap().join("evil").exists()
        );
    }
}
