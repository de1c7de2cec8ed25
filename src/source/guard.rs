//! Confinement of hostile directory trees (a snapshot, a repository checkout): every path is
//! resolved through its links and refused when it lands outside the root, and files are
//! read with a hard byte bound whatever their metadata claims (FIFOs and /proc files have no
//! size).

use std::io::Read;
use std::path::{Path, PathBuf};

/// A directory whose contents may be followed only while they stay inside it.
#[derive(Debug, Clone)]
pub struct Root {
    canonical: PathBuf,
    /// "the snapshot", "the repository": for messages.
    what: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{path} resolves to {target}, outside {what} ({root})")]
    Outside {
        path: String,
        target: PathBuf,
        what: &'static str,
        root: PathBuf,
    },
    #[error("{path} is not a regular file")]
    NotRegular { path: String },
    #[error("{path} is larger than the limit of {limit} MiB")]
    TooLarge { path: String, limit: u64 },
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl Root {
    pub fn new(dir: &Path, what: &'static str) -> std::io::Result<Root> {
        Ok(Root {
            canonical: dir.canonicalize()?,
            what,
        })
    }

    /// The root itself, links resolved.
    pub fn path(&self) -> &Path {
        &self.canonical
    }

    /// `path` (absolute, or relative to the root) with every link resolved, when it stays
    /// inside the root. `shown` names it in errors, relative as the user wrote it.
    pub fn resolve(&self, path: &Path, shown: &str) -> Result<PathBuf, Refused> {
        let joined = self.canonical.join(path);
        let target = joined.canonicalize().map_err(|source| Refused::Io {
            path: shown.to_owned(),
            source,
        })?;
        if target.starts_with(&self.canonical) {
            Ok(target)
        } else {
            Err(Refused::Outside {
                path: shown.to_owned(),
                target,
                what: self.what,
                root: self.canonical.clone(),
            })
        }
    }

    /// Like [`Root::resolve`], and the target must be a regular file: opening a FIFO would
    /// block, a device would never end.
    pub fn resolve_file(&self, path: &Path, shown: &str) -> Result<PathBuf, Refused> {
        let target = self.resolve(path, shown)?;
        let meta = std::fs::metadata(&target).map_err(|source| Refused::Io {
            path: shown.to_owned(),
            source,
        })?;
        if meta.is_file() {
            Ok(target)
        } else {
            Err(Refused::NotRegular {
                path: shown.to_owned(),
            })
        }
    }

    /// The path of `target` (resolved, inside the root) relative to the root.
    pub fn relative<'a>(&self, target: &'a Path) -> Option<&'a Path> {
        target.strip_prefix(&self.canonical).ok()
    }
}

/// `p` as a relative path with `.` and `..` resolved by name, `/`-separated; `None` when it
/// climbs above its start. For paths given on a command line or in a manifest, before any
/// link is looked at.
pub fn lexical_inside(p: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// Reads at most `limit` bytes of `path`: refused up front when its metadata says it is
/// larger, and cut off by a bounded read when it grows or has no size.
pub fn read_bounded(path: &Path, shown: &str, limit: u64) -> Result<Vec<u8>, Refused> {
    let io = |source| Refused::Io {
        path: shown.to_owned(),
        source,
    };
    let too_large = || Refused::TooLarge {
        path: shown.to_owned(),
        limit: limit >> 20,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > limit {
        return Err(too_large());
    }
    read_at_most(file, limit).map_err(io)?.ok_or_else(too_large)
}

/// Everything `reader` holds, or `None` when that is more than `limit` bytes.
pub fn read_at_most(reader: impl Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    Ok((out.len() as u64 <= limit).then_some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_are_followed_only_while_they_stay_inside() {
        let (root_dir, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        std::fs::write(root_dir.path().join("a"), "x").unwrap();
        std::fs::write(outside.path().join("b"), "y").unwrap();
        symlink(root_dir.path().join("a"), root_dir.path().join("in")).unwrap();
        symlink(outside.path().join("b"), root_dir.path().join("out")).unwrap();
        let root = Root::new(root_dir.path(), "the snapshot").unwrap();
        assert!(root.resolve_file(Path::new("in"), "in").is_ok());
        let err = root.resolve_file(Path::new("out"), "out").unwrap_err();
        assert!(err.to_string().contains("outside the snapshot"), "{err}");
        let err = root.resolve(Path::new("../"), "..").unwrap_err();
        assert!(matches!(err, Refused::Outside { .. }), "{err}");
        assert!(matches!(
            root.resolve_file(Path::new("."), "."),
            Err(Refused::NotRegular { .. })
        ));
    }

    #[test]
    fn dotdot_may_not_climb_out() {
        assert_eq!(lexical_inside("./a//b/../c/").as_deref(), Some("a/c"));
        assert_eq!(lexical_inside("/abs/x").as_deref(), Some("abs/x"));
        assert_eq!(lexical_inside("a/../../x"), None);
        assert_eq!(lexical_inside("..\\x"), None);
    }

    #[test]
    fn reads_are_bounded_without_trusting_the_size() {
        assert_eq!(
            read_at_most(&b"abcd"[..], 4).unwrap(),
            Some(b"abcd".to_vec())
        );
        assert_eq!(read_at_most(&b"abcde"[..], 4).unwrap(), None);
        // An endless source (no size, like a FIFO) stops one byte past the limit.
        assert_eq!(read_at_most(std::io::repeat(b'x'), 1 << 10).unwrap(), None);
    }
}
