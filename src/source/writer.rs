//! Writing a snapshot directory (the `collect` support bundle) in exactly the format
//! [`super::Snapshot::load`] reads, never through a link: each directory is created or must
//! already be a real directory, each file is created new, so a link planted in the output
//! directory cannot redirect a write.

use super::snapshot::safe_name;
use std::io::{self, Write};
use std::path::Path;

/// The objects as one `kind: List` in objects.yaml, each log at
/// logs/<pod>/<container>[.previous].log. Names that are not DNS labels are skipped.
pub fn write_snapshot<'a>(
    dir: &Path,
    objects: &[serde_json::Value],
    logs: impl IntoIterator<Item = (&'a str, &'a str, bool, &'a [u8])>,
) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let list = serde_json::json!({ "apiVersion": "v1", "kind": "List", "items": objects });
    let yaml = serde_yaml_ng::to_string(&list).map_err(io::Error::other)?;
    create_new(&dir.join("objects.yaml"), yaml.as_bytes())?;
    for (pod, container, previous, bytes) in logs {
        if !safe_name(pod) || !safe_name(container) {
            continue;
        }
        real_dir(&dir.join("logs"))?;
        let folder = dir.join("logs").join(pod);
        real_dir(&folder)?;
        let file = if previous {
            format!("{container}.previous.log")
        } else {
            format!("{container}.log")
        };
        create_new(&folder.join(file), bytes)?;
    }
    Ok(())
}

/// Creates `path`, or accepts it when it is already a directory itself (not a link to one).
fn real_dir(path: &Path) -> io::Result<()> {
    match std::fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            if path.symlink_metadata()?.is_dir() {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} exists and is not a directory; links are not written through",
                        path.display()
                    ),
                ))
            }
        }
        Err(e) => Err(e),
    }
}

/// `create_new` refuses any existing path, a dangling link included.
fn create_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot create {}: {e}", path.display())))?;
    f.write_all(bytes)
}
