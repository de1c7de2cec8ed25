//! A cheap pre-scan of YAML (and JSON, which is flow YAML) for nesting depth, before the text
//! reaches the parser: libyaml's scanner rechecks every open flow level on each token, so a
//! deeply nested flow collection costs time quadratic in its size (200 KB of `[` took 19 s).
//! Block nesting is cheap and bounded by serde's own recursion limit.
//!
//! The scan counts only what opens a flow collection: quoted strings, comments, block
//! scalars (`|`, `>`) and brackets inside plain scalars are skipped, so a log line full of
//! brackets in a ConfigMap is not mistaken for nesting.

/// Deeper flow nesting is refused. Kubernetes objects nest a dozen levels; serde stops at 128.
pub const MAX_FLOW_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    /// 1-based, as the parser reports positions.
    pub line: usize,
    pub column: usize,
}

/// Where `text` first nests flow collections deeper than `max`, if it does.
pub fn check_flow_depth(text: &str, max: usize) -> Result<(), TooDeep> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    // Inside a block scalar: the column of its owner, and the indentation of its text once
    // its first line set it; lines indented that far (or blank) are text.
    let mut block: Option<(usize, Option<usize>)> = None;
    // Within a flow collection, inside a plain scalar (where a quote is just a character).
    let mut in_plain = false;
    for (n, line) in text.split('\n').enumerate() {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        if quote.is_none()
            && depth == 0
            && let Some((owner, text)) = block
        {
            match text {
                _ if line.trim().is_empty() => continue,
                None if indent > owner => {
                    block = Some((owner, Some(indent)));
                    continue;
                }
                Some(t) if indent >= t => continue,
                _ => block = None,
            }
        }
        let mut at_start = true;
        let mut owner = indent;
        let mut scalar_col: Option<usize> = None;
        let mut prev = b' ';
        let mut i = 0;
        // `--- [[…` starts a document with a flow node on the marker's line.
        if quote.is_none()
            && depth == 0
            && bytes.starts_with(b"---")
            && bytes
                .get(3)
                .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r'))
        {
            i = 3;
        }
        while i < bytes.len() {
            let c = bytes[i];
            let next_blank = bytes
                .get(i + 1)
                .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r'));
            if let Some(q) = quote {
                if q == b'"' && c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    quote = None;
                }
                prev = c;
                i += 1;
                continue;
            }
            let blank_before = matches!(prev, b' ' | b'\t');
            if depth > 0 {
                match c {
                    b'"' | b'\'' if !in_plain => quote = Some(c),
                    b'#' if blank_before => break,
                    b' ' | b'\t' | b'\r' => {}
                    b',' => in_plain = false,
                    b':' if next_blank || matches!(bytes.get(i + 1), Some(b'[' | b'{' | b',')) => {
                        in_plain = false
                    }
                    b'[' | b'{' => {
                        in_plain = false;
                        depth += 1;
                        if depth > max {
                            return Err(TooDeep {
                                line: n + 1,
                                column: i + 1,
                            });
                        }
                    }
                    b']' | b'}' => {
                        in_plain = false;
                        depth -= 1;
                    }
                    _ => in_plain = true,
                }
            } else if !matches!(c, b' ' | b'\t' | b'\r') {
                match c {
                    b'#' if blank_before => break,
                    b':' if next_blank => {
                        owner = scalar_col.unwrap_or(owner);
                        at_start = true;
                    }
                    _ if !at_start => {}
                    b'-' | b'?' if next_blank => owner = i,
                    b'[' | b'{' => {
                        depth = 1;
                        in_plain = false;
                        if depth > max {
                            return Err(TooDeep {
                                line: n + 1,
                                column: i + 1,
                            });
                        }
                        at_start = false;
                    }
                    b'|' | b'>' => {
                        block = Some((owner, None));
                        break;
                    }
                    // Anchors and tags come before the node they name.
                    b'&' | b'!' => {
                        while i + 1 < bytes.len() && !matches!(bytes[i + 1], b' ' | b'\t') {
                            i += 1;
                        }
                    }
                    b'"' | b'\'' => {
                        quote = Some(c);
                        scalar_col = Some(i);
                        at_start = false;
                    }
                    _ => {
                        scalar_col = Some(i);
                        at_start = false;
                    }
                }
            }
            prev = c;
            i += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str, max: usize) -> bool {
        check_flow_depth(text, max).is_ok()
    }

    #[test]
    fn flow_nesting_is_counted_across_lines_and_json() {
        assert!(depth_ok("a: [[1], {b: [2]}]\n", 3));
        assert!(!depth_ok("a: [[1], {b: [[2]]}]\n", 3));
        assert_eq!(
            check_flow_depth("x: 1\ny:\n  - [[[[]]]]\n", 3),
            Err(TooDeep { line: 3, column: 8 })
        );
        assert!(!depth_ok("a: [\n [\n  [\n   [1]]]]\n", 3));
        assert!(!depth_ok(r#"{"a":[[["x"]]]}"#, 3));
        assert!(depth_ok(r#"{"a":["[[[[", "\"[[[["]}"#, 3));
    }

    #[test]
    fn brackets_in_text_are_not_nesting() {
        let deep = "[".repeat(10);
        for text in [
            format!("msg: \"{deep}\"\n"),
            format!("msg: '{deep} it''s'\n"),
            format!("msg: plain {deep}\n"),
            format!("a: 1 # {deep}\n"),
            format!("data:\n  log: |\n    {deep}\n\n    {{{{{{{{\n  next: ok\n"),
            format!("- k: >-\n    {deep}\n  j: x\n"),
            format!("key: \"multi\n  line {deep}\"\n"),
            format!("a: [don't, \"{deep}\"]\n"),
        ] {
            assert!(depth_ok(&text, 3), "{text}");
        }
    }

    /// No false alarm on real objects, manifests and charts.
    #[test]
    fn every_yaml_in_the_repository_passes() {
        let mut stack = vec![std::path::PathBuf::from("fixtures"), "deploy".into()];
        let mut seen = 0;
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p
                    .extension()
                    .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
                {
                    let text = std::fs::read_to_string(&p).unwrap_or_default();
                    assert!(depth_ok(&text, 12), "{}", p.display());
                    seen += 1;
                }
            }
        }
        assert!(seen > 50, "{seen} files");
    }

    #[test]
    fn a_block_scalar_ends_where_its_owner_resumes() {
        // `j` is a sibling of `k`, not text of its block scalar: its flow is counted.
        assert!(!depth_ok("- k: |\n    text\n  j: [[[[1]]]]\n", 3));
        assert!(!depth_ok("a: |\n  t\nb: !tag &x [[[[1]]]]\n", 3));
        assert!(!depth_ok("--- [[[[1]]]]\n", 3));
        // The text of a block scalar is as indented as its first line; less is YAML again.
        assert!(!depth_ok("a: |\n    text\n  b: [[[[1]]]]\n", 3));
        // A quote inside a plain scalar in flow opens no string.
        assert!(!depth_ok("a: [x \"y, [[[[1]]]]]\n", 3));
        assert!(
            depth_ok("---\n--- x\n---a [[[[\n", 3),
            "---a is a plain scalar"
        );
    }
}
