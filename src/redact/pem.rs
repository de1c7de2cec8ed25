//! Private keys logged one PEM line per log line. Line redaction sees a BEGIN line, then 64- or
//! 76-character base64 lines that look like nothing in particular; only the stream knows they
//! are a key. A block opens on a `BEGIN … PRIVATE KEY` line and every line until its END line
//! (or a line that cannot be PEM, or 100 lines) is replaced whole.

/// What a log line inside a key block becomes; it carries nothing of the key.
pub const KEY_LINE: &str = "<redacted:private_key_line>";

/// Longest key body worth following: RSA 8192 is ~100 base64 lines of 64.
const MAX_BLOCK_LINES: u32 = 100;

#[derive(Debug, Default)]
pub struct PemLines {
    /// Lines seen since the BEGIN line, while inside a block.
    inside: Option<u32>,
}

impl PemLines {
    /// True when `line` belongs to a private-key block and must not be kept.
    pub fn is_key_line(&mut self, line: &str) -> bool {
        if line.contains("-----BEGIN") && line.contains("PRIVATE KEY") {
            // One line holding the whole block (a `\n`-escaped key) ends where it begins.
            self.inside = (!line.contains("-----END")).then_some(0);
            return true;
        }
        let Some(n) = self.inside else {
            return false;
        };
        if line.contains("-----END") {
            self.inside = None;
            return true;
        }
        if n >= MAX_BLOCK_LINES || !pem_body(line, n) {
            self.inside = None;
            return false;
        }
        self.inside = Some(n + 1);
        true
    }
}

/// A body line as a logger may print it: base64 (perhaps behind a log prefix), or the
/// `Proc-Type:`/`DEK-Info:` headers and blank line of an encrypted key right after BEGIN.
fn pem_body(line: &str, n: u32) -> bool {
    let t = line.trim();
    if n < 3 && (t.is_empty() || t.starts_with("Proc-Type:") || t.starts_with("DEK-Info:")) {
        return true;
    }
    let last = t.rsplit(char::is_whitespace).next().unwrap_or(t);
    last.len() >= 16
        && last
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(n: usize, width: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7x9Lm2VqP+/=="
                    .chars()
                    .cycle()
                    .skip(i)
                    .take(width)
                    .collect()
            })
            .collect()
    }

    fn kept(lines: &[String]) -> Vec<String> {
        let mut pem = PemLines::default();
        lines
            .iter()
            .filter(|l| !pem.is_key_line(l))
            .cloned()
            .collect()
    }

    #[test]
    fn whole_blocks_go_whatever_the_line_width() {
        for width in [64, 76] {
            let mut lines = vec![
                "starting".to_owned(),
                "-----BEGIN RSA PRIVATE KEY-----".to_owned(),
            ];
            lines.extend(body(25, width));
            lines.push("-----END RSA PRIVATE KEY-----".into());
            lines.push("listening on :8080".into());
            assert_eq!(
                kept(&lines),
                ["starting", "listening on :8080"],
                "width {width}"
            );
        }
    }

    #[test]
    fn prefixed_and_encrypted_keys_go_too() {
        let mut lines =
            vec!["2024-05-01T10:00:00Z INFO key: -----BEGIN ENCRYPTED PRIVATE KEY-----".to_owned()];
        lines.push("Proc-Type: 4,ENCRYPTED".into());
        lines.push("DEK-Info: AES-256-CBC,2F1A".into());
        lines.push(String::new());
        lines.extend(
            body(3, 64)
                .into_iter()
                .map(|b| format!("2024-05-01T10:00:00Z INFO {b}")),
        );
        lines.push("2024-05-01T10:00:00Z INFO -----END ENCRYPTED PRIVATE KEY-----".into());
        assert!(kept(&lines).is_empty(), "{:?}", kept(&lines));
    }

    #[test]
    fn a_block_closes_on_the_first_line_that_is_not_pem_or_after_100_lines() {
        let mut lines = vec!["-----BEGIN PRIVATE KEY-----".to_owned()];
        lines.extend(body(2, 64));
        lines.push("panic: truncated key".into());
        lines.extend(body(1, 64));
        assert_eq!(kept(&lines).len(), 2);
        let mut long = vec!["-----BEGIN PRIVATE KEY-----".to_owned()];
        long.extend(body(150, 64));
        assert_eq!(kept(&long).len(), 50);
        // A public certificate is not a secret and is kept.
        assert_eq!(
            kept(&[
                "-----BEGIN CERTIFICATE-----".to_owned(),
                body(1, 64)[0].clone()
            ])
            .len(),
            2
        );
    }
}
