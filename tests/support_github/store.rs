//! The fake's in-memory git: repositories of commits (a full path → text tree and a parent),
//! branches, pull requests, issues and comments.
//!
//! Blob shas are git's format hashed with SHA-256 instead of SHA-1: the first 40 hex digits of
//! sha256("blob <len>\0<content>"), stable and content-addressed like git's, not equal to
//! them. Commit shas hash a sequence number, the parent, the message and the tree.

use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Clone)]
pub struct Commit {
    pub tree: BTreeMap<String, String>,
    pub parent: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pull {
    pub number: u64,
    pub title: String,
    pub head: String,
    pub base: String,
    pub body: String,
    pub draft: bool,
    pub open: bool,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub number: u64,
    pub body: String,
}

#[derive(Debug, Clone, Default)]
pub struct Repo {
    pub default_branch: String,
    pub branches: BTreeMap<String, String>,
    pub commits: HashMap<String, Commit>,
    pub pulls: Vec<Pull>,
    pub issues: Vec<Issue>,
    pub comments: Vec<Comment>,
    pub next_number: u64,
}

pub fn hex40(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..40]
        .to_owned()
}

pub fn blob_sha(content: &str) -> String {
    let mut data = format!("blob {}\0", content.len()).into_bytes();
    data.extend_from_slice(content.as_bytes());
    hex40(&data)
}

/// Base64 in lines of 60 characters, as GitHub sends file contents.
pub fn base64_lines(content: &str) -> String {
    let b = base64::engine::general_purpose::STANDARD.encode(content);
    b.as_bytes()
        .chunks(60)
        .map(|c| String::from_utf8_lossy(c).into_owned() + "\n")
        .collect()
}

impl Repo {
    pub fn commit(
        &mut self,
        parent: Option<String>,
        tree: BTreeMap<String, String>,
        message: &str,
    ) -> String {
        let mut seed = format!("commit {}\n{parent:?}\n{message}\n", self.commits.len());
        for (path, content) in &tree {
            seed.push_str(&format!("{path} {}\n", blob_sha(content)));
        }
        let sha = hex40(seed.as_bytes());
        let c = Commit {
            tree,
            parent,
            message: message.to_owned(),
        };
        self.commits.insert(sha.clone(), c);
        sha
    }

    /// A branch name, a full commit sha, or a prefix of one (7+ digits).
    pub fn resolve(&self, rev: &str) -> Option<String> {
        if let Some(sha) = self.branches.get(rev) {
            return Some(sha.clone());
        }
        if rev.len() >= 7 {
            let mut hits = self.commits.keys().filter(|k| k.starts_with(rev));
            if let (Some(one), None) = (hits.next(), hits.next()) {
                return Some(one.clone());
            }
        }
        None
    }

    pub fn file(&self, rev: &str, path: &str) -> Option<String> {
        let sha = self.resolve(rev)?;
        self.commits.get(&sha)?.tree.get(path).cloned()
    }

    /// Directories of `tree` (every proper prefix of a path).
    pub fn dirs(tree: &BTreeMap<String, String>) -> BTreeSet<String> {
        let mut dirs = BTreeSet::new();
        for path in tree.keys() {
            let mut at = 0;
            while let Some(i) = path[at..].find('/') {
                dirs.insert(path[..at + i].to_owned());
                at += i + 1;
            }
        }
        dirs
    }

    pub fn next_number(&mut self) -> u64 {
        self.next_number += 1;
        self.next_number
    }
}

/// `2025-01-31T12:00:00Z` for a Unix time (days to civil date after H. Hinnant).
pub fn rfc3339(unix: u64) -> String {
    let (days, secs) = ((unix / 86_400) as i64, unix % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[test]
fn rfc3339_formats_known_instants() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(1_709_210_096), "2024-02-29T12:34:56Z");
}
