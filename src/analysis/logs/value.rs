//! Whole-token values recognised by shape even without a digit in every part: IPv6
//! addresses, `host.name:port`, file paths. Masking only the digits would leave the host
//! name or the path's words as template text, and one event would split per host or file.

/// Which shape rules apply; all on by default, switchable for evaluation.
#[derive(Debug, Clone)]
pub struct MaskConfig {
    /// `key=value` keeps the key and masks the value, digits or not.
    pub kv_values: bool,
    /// `host.domain:port` and IPv6 addresses are one value.
    pub endpoints: bool,
    /// `/a/b`, `./a/b`, `C:\a\b` are one value.
    pub paths: bool,
}

impl Default for MaskConfig {
    fn default() -> Self {
        MaskConfig {
            kv_values: true,
            endpoints: true,
            paths: true,
        }
    }
}

/// Punctuation that opens a value inside a token: `(/tmp/x)`, `[::1]:443`.
fn is_open(b: u8) -> bool {
    matches!(b, b'(' | b'[' | b'<' | b'"' | b'\'')
}

/// Punctuation that closes one: `host:80,`, `(/etc/hosts).`.
fn is_close(b: u8) -> bool {
    matches!(
        b,
        b')' | b']' | b'>' | b'"' | b'\'' | b',' | b';' | b'.' | b':'
    )
}

/// The byte range of `tok` that is one value, if its core (wrapping punctuation aside) has
/// the shape of an endpoint or a path.
pub fn whole_value(tok: &str, cfg: &MaskConfig) -> Option<(usize, usize)> {
    let b = tok.as_bytes();
    let start = b.iter().position(|&c| !is_open(c))?;
    let mut end = b.len();
    while end > start && is_close(b[end - 1]) {
        end -= 1;
    }
    let core = tok.get(start..end)?;
    // Most tokens reaching here are labels (`state:`), whose core holds no separator at all:
    // two counting passes, which vectorise, rule them out before any shape test.
    let cb = core.as_bytes();
    let colons = cb.iter().filter(|&&c| c == b':').count();
    let seps = cb.iter().filter(|&&c| c == b'/' || c == b'\\').count();
    let hit = (cfg.endpoints && colons > 0 && (is_ipv6(core) || is_host_port(core)))
        || (cfg.paths && seps > 0 && (is_path(core, seps) || is_component(core)));
    hit.then_some((start, end))
}

fn is_ipv6(core: &str) -> bool {
    // `[::1]:443` arrives as `::1]:443` after the bracket is unwrapped.
    let b = core.as_bytes();
    let b = &b[..b.iter().position(|&c| c == b']').unwrap_or(b.len())];
    // The alphabet test first: it rejects nearly every word at its first letters.
    b.iter()
        .all(|&c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
        && b.iter().any(u8::is_ascii_digit)
        && (b.windows(2).any(|w| w == b"::") || b.iter().filter(|&&c| c == b':').count() >= 3)
}

/// `name.domain:1234` (a dotted name or IPv4 address, then a numeric port).
fn is_host_port(core: &str) -> bool {
    let Some((host, port)) = core.rsplit_once(':') else {
        return false;
    };
    !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|c| c.is_ascii_digit())
        && host.contains('.')
        && !host.starts_with('.')
        && host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'_')
}

/// An absolute or relative path with at least two separators (`/a/b`, `./x/y`, `C:\a\b`;
/// `seps` counts them); not a URL (`//`), whose host and route are usually the event.
fn is_path(core: &str, seps: usize) -> bool {
    let b = core.as_bytes();
    let unix = b.first() == Some(&b'/') || core.starts_with("./") || core.starts_with("~/");
    let windows = b.len() > 3 && b[0].is_ascii_alphabetic() && &b[1..3] == b":\\";
    (unix || windows) && seps >= 2 && !core.contains("//")
}

/// A package and a class inside it (`com.example.mail/.ui.Main`,
/// `com.example.mail/org.lib.Service`): the component an app runs, as much a value as the
/// app itself. Both sides are dotted names; a lone word pair (`TCP/IP`) is not.
fn is_component(core: &str) -> bool {
    let Some((package, class)) = core.split_once('/') else {
        return false;
    };
    let name = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'$'))
    };
    let dotted = |s: &str| s.trim_start_matches('.').contains('.') || s.starts_with('.');
    name(package)
        && name(class)
        && package.contains('.')
        && !package.starts_with('.')
        && dotted(class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_endpoints_and_paths_by_shape() {
        let cfg = MaskConfig::default();
        let hits = [
            ("gw.example.net:443", Some((0, 18))),
            ("(10.0.0.1:8080),", Some((1, 14))),
            ("fe80::1ff:fe23:4567:890a", Some((0, 24))),
            ("[::1]:443", Some((1, 9))),
            ("/var/lib/data/", Some((0, 14))),
            ("(/etc/hosts).", Some((1, 11))),
            ("C:\\Windows\\System32\\x.dll", Some((0, 25))),
            ("com.example.mail/.ui.Main:", Some((0, 25))),
            ("(com.a.b/org.lib.Service),", Some((1, 24))),
        ];
        for (tok, want) in hits {
            assert_eq!(whole_value(tok, &cfg), want, "{tok:?}");
        }
        for tok in [
            "12:00:01",
            "state:",
            "/healthz",
            "http://x.example/a/b",
            "a/b/c",
            "ratio:3",
            "TCP/IP",
            "km/h.",
            "a.b/c",
            "",
        ] {
            assert_eq!(whole_value(tok, &cfg), None, "{tok:?}");
        }
        let off = MaskConfig {
            kv_values: true,
            endpoints: false,
            paths: false,
        };
        assert_eq!(whole_value("gw.example.net:443", &off), None);
    }
}
