//! The few fields of GitHub's JSON that the client reads, and URL encoding of path segments
//! and query values.

use super::GitError;
use base64::Engine;
use serde::Deserialize;

/// Files larger than this are not read through the contents API (GitHub itself stops
/// inlining content at 1 MiB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;

#[derive(Deserialize)]
pub struct Repo {
    pub default_branch: String,
}

#[derive(Deserialize)]
pub struct Tree {
    pub tree: Vec<TreeItem>,
    #[serde(default)]
    pub truncated: bool,
}

#[derive(Deserialize)]
pub struct TreeItem {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: String,
    #[serde(default)]
    pub size: Option<u64>,
}

#[derive(Deserialize)]
pub struct Content {
    #[serde(rename = "type")]
    pub kind: String,
    pub path: String,
    pub sha: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
}

#[derive(Deserialize)]
pub struct Sha {
    pub sha: String,
}

/// `GET git/ref/heads/{branch}`: a branch and the commit it points at.
#[derive(Deserialize)]
pub struct Ref {
    pub object: Sha,
}

#[derive(Deserialize)]
pub struct Written {
    pub commit: Sha,
}

#[derive(Deserialize)]
pub struct Numbered {
    pub number: u64,
    pub html_url: String,
}

/// The text of a contents-API answer: a file, base64, ≤ 1 MiB, UTF-8.
pub fn file_text(v: serde_json::Value, path: &str) -> Result<(Content, String), GitError> {
    if v.is_array() {
        return Err(GitError::Invalid(format!("{path} is a directory")));
    }
    let c: Content = serde_json::from_value(v)
        .map_err(|e| GitError::Invalid(format!("unexpected contents answer for {path}: {e}")))?;
    if c.kind != "file" {
        return Err(GitError::Invalid(format!(
            "{path} is a {}, not a file",
            c.kind
        )));
    }
    if c.size > MAX_FILE_BYTES {
        return Err(GitError::Invalid(format!(
            "{path} is {} bytes, over the {MAX_FILE_BYTES} byte limit",
            c.size
        )));
    }
    if c.encoding.as_deref() != Some("base64") {
        return Err(GitError::Invalid(format!(
            "{path}: content not inlined as base64"
        )));
    }
    let b64: String = c
        .content
        .as_deref()
        .unwrap_or("")
        .split_ascii_whitespace()
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| GitError::Invalid(format!("{path}: bad base64 from GitHub: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(GitError::Invalid(format!(
            "{path} is over the {MAX_FILE_BYTES} byte limit"
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| GitError::Invalid(format!("{path} is not UTF-8 text")))?;
    Ok((c, text))
}

pub fn base64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Percent-encodes all but RFC 3986's unreserved characters (and `/` if `keep_slash`).
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One path segment (an owner, a repository, a sha).
pub fn seg(s: &str) -> String {
    encode(s, false)
}

/// A path of segments (a file path, a branch name with slashes), without leading or
/// trailing slashes.
pub fn path(s: &str) -> String {
    encode(s.trim_matches('/'), true)
}

/// A query value.
pub fn query(s: &str) -> String {
    encode(s, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encodes_paths_and_queries() {
        assert_eq!(path("/deploy/a b/ü.yaml"), "deploy/a%20b/%C3%BC.yaml");
        assert_eq!(seg("fix/x"), "fix%2Fx");
        assert_eq!(query("a+b&c"), "a%2Bb%26c");
    }

    #[test]
    fn file_text_checks_kind_size_encoding_and_utf8() {
        let ok = json!({"type": "file", "path": "a", "sha": "s", "size": 3, "encoding": "base64", "content": "aGk\nK"});
        assert_eq!(file_text(ok, "a").unwrap().1, "hi\n");
        let dir = json!([{"type": "file"}]);
        assert!(
            matches!(file_text(dir, "d"), Err(GitError::Invalid(m)) if m.contains("directory"))
        );
        let big = json!({"type": "file", "path": "a", "sha": "s", "size": 2_000_000, "encoding": "none", "content": ""});
        assert!(matches!(file_text(big, "a"), Err(GitError::Invalid(m)) if m.contains("limit")));
        let bin = json!({"type": "file", "path": "a", "sha": "s", "size": 2, "encoding": "base64", "content": "//4="});
        assert!(matches!(file_text(bin, "a"), Err(GitError::Invalid(m)) if m.contains("UTF-8")));
    }
}
