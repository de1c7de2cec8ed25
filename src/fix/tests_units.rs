//! The small parts: quantities, image references, quoting, text navigation, the diff and
//! the structural check.

use super::verify::{self, Expect};
use super::yaml_text::{Seg, Style, Text};
use super::*;

#[test]
fn quantities() {
    let cases = [
        ("1Gi", Some(1u128 << 30)),
        ("1536Mi", Some(1536 << 20)),
        ("1.5Gi", Some(3 << 29)),
        ("512Ki", Some(512 << 10)),
        ("2Ti", Some(2 << 40)),
        ("1G", Some(1_000_000_000)),
        ("500M", Some(500_000_000)),
        ("64k", Some(64_000)),
        ("1T", Some(1_000_000_000_000)),
        ("1073741824", Some(1 << 30)),
        (" 2Gi ", Some(2 << 30)),
        ("0.5", Some(1)),
        ("500m", None),
        ("1e3", None),
        ("1gi", None),
        ("Gi", None),
        ("", None),
        ("-1Gi", None),
        ("1.2.3Gi", None),
    ];
    for (text, want) in cases {
        assert_eq!(quantity::bytes(text), want, "{text}");
    }
    for (bytes, want) in [
        (1u128 << 30, "1Gi"),
        (1536 << 20, "1536Mi"),
        (3 << 30, "3Gi"),
        (1000, "1000"),
        (2048, "2Ki"),
    ] {
        assert_eq!(quantity::format(bytes), want);
    }
    let limits = FixLimits::default();
    let cases = [
        ("1Gi", "2Gi", Some("2Gi")),
        ("1Gi", "6Gi", Some("4Gi")),
        ("512Mi", "4Gi", Some("2Gi")),
        ("300Mi", "4Gi", Some("1200Mi")),
        ("4Gi", "8Gi", None),
        ("1Gi", "1024Mi", None),
    ];
    for (current, suggested, want) in cases {
        let got = quantity::raised(current, suggested, &limits).ok();
        assert_eq!(got.as_deref(), want, "{current} → {suggested}");
    }
    let odd = FixLimits {
        max_memory_factor: f64::NAN,
        ..FixLimits::default()
    };
    assert!(quantity::raised("1Gi", "2Gi", &odd).is_err());
}

#[test]
fn image_references() {
    let cases = [
        (
            "registry.example.io/shop/checkout:2.40.3",
            ("registry.example.io/shop/checkout", Some("2.40.3"), None),
        ),
        (
            "registry:5000/shop/checkout",
            ("registry:5000/shop/checkout", None, None),
        ),
        (
            "registry:5000/checkout:v1",
            ("registry:5000/checkout", Some("v1"), None),
        ),
        (
            "checkout@sha256:abc",
            ("checkout", None, Some("sha256:abc")),
        ),
        (
            "nginx:1.25@sha256:abc",
            ("nginx", Some("1.25"), Some("sha256:abc")),
        ),
    ];
    for (image, want) in cases {
        assert_eq!(split_image(image), want, "{image}");
    }
}

#[test]
fn scalar_quoting() {
    let cases = [
        (
            "registry.example.io/shop/checkout:2.40.3",
            Style::Plain,
            "registry.example.io/shop/checkout:2.40.3",
        ),
        ("v2.40.3", Style::Plain, "v2.40.3"),
        ("2.40.3", Style::Plain, "\"2.40.3\""),
        ("2.40", Style::Plain, "\"2.40\""),
        ("1e3", Style::Plain, "\"1e3\""),
        ("0x1F", Style::Plain, "\"0x1F\""),
        ("yes", Style::Plain, "\"yes\""),
        ("Off", Style::Plain, "\"Off\""),
        ("null", Style::Plain, "\"null\""),
        ("/healthz", Style::Plain, "/healthz"),
        ("a: b", Style::Plain, "\"a: b\""),
        ("x #y", Style::Plain, "\"x #y\""),
        ("-x", Style::Plain, "\"-x\""),
        ("", Style::Plain, "\"\""),
        ("it's", Style::Single, "'it''s'"),
        ("say \"hi\"\\", Style::Double, "\"say \\\"hi\\\"\\\\\""),
        ("2.40.3", Style::Single, "'2.40.3'"),
    ];
    for (value, style, want) in cases {
        let got = render::scalar(value, style);
        assert_eq!(got, want, "{value}");
        assert_eq!(
            serde_yaml_ng::from_str::<String>(&got).unwrap(),
            value,
            "{got} must read back"
        );
    }
}

#[test]
fn text_navigation() {
    let text = "# top\r\nkind: Rollout\r\n\"quoted key\": 'a''b'  # note\r\nspec:\r\n  tabbed:\t\"x\"\r\n  list:\r\n  - name: a\r\n    v: 1\r\n  # between items\r\n  -\r\n    name: b\r\n  flow: [a, b]\r\n";
    let t = Text::new(text);
    assert_eq!(t.eol, "\r\n");
    let root = t.root(0..t.len()).unwrap();
    let keys: Vec<String> = t
        .entries(root)
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(keys, ["kind", "quoted key", "spec"]);
    let q = t.find_entry(root, &[key("quoted key")]).unwrap();
    assert_eq!(
        t.scalar_text(q.line, t.scalar(&q).unwrap()).as_deref(),
        Some("a'b")
    );
    let tab = t.find_entry(root, &[key("spec"), key("tabbed")]).unwrap();
    assert_eq!(
        t.scalar_text(tab.line, t.scalar(&tab).unwrap()).as_deref(),
        Some("x")
    );
    let b = t
        .find_entry(
            root,
            &[key("spec"), key("list"), Seg::Index(1), key("name")],
        )
        .unwrap();
    assert_eq!((b.line, t.content(b.line)), (10, "    name: b"));
    let flow = t.find_entry(root, &[key("spec"), key("flow")]).unwrap();
    assert_eq!(flow.value.map(|s| s.style), Some(Style::Other));
    assert!(
        t.find(root, &[key("spec"), key("list"), Seg::Index(2)])
            .is_none()
    );

    let docs =
        Text::new("---\na: 1\n--- # second\nb: 2\n...\n---\n\n---\nc: |\n  --- not a marker\n");
    assert_eq!(docs.documents(), [1..2, 3..4, 8..10]);
}

#[test]
fn continued_scalars_are_not_edited_in_place() {
    let t = Text::new("a: first\n  continued\nb: \"open\n  quote\"\nc: ok\n");
    let root = t.root(0..t.len()).unwrap();
    let e = |k: &str| t.find_entry(root, &[key(k)]).unwrap();
    assert!(t.scalar(&e("a")).is_none());
    assert!(t.scalar(&e("b")).is_none());
    assert!(t.scalar(&e("c")).is_some());
}

#[test]
fn layouts() {
    let indented = render::layout(&Text::new("a:\n    b:\n        - x\n"));
    assert_eq!((indented.step, indented.seq_offset), (4, 4));
    let kubectl = render::layout(&Text::new("a:\n  b:\n  - x\n  c:\n    d: 1\n"));
    assert_eq!((kubectl.step, kubectl.seq_offset), (2, 0));
}

#[test]
fn diffs() {
    let before = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n";
    let after = before.replace("b\n", "B\n").replace("l\n", "l\nL\n");
    let (diff, changed) = diff::unified("x.yaml", before, &after);
    assert_eq!(changed, 3);
    let expected = "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n@@ -10,4 +10,5 @@\n j\n k\n l\n+L\n m\n";
    assert_eq!(diff, expected);
    // Six unchanged lines between changes are both contexts: one hunk.
    let near = before.replace("b\n", "B\n").replace("i\n", "I\n");
    assert_eq!(
        diff::unified("x", before, &near).0.matches("@@ -").count(),
        1
    );
    let far = before.replace("b\n", "B\n").replace("j\n", "J\n");
    assert_eq!(
        diff::unified("x", before, &far).0.matches("@@ -").count(),
        2
    );
    let (diff, _) = diff::unified("x", "a\nb", "a\nc");
    assert_eq!(
        diff,
        "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
    );
    let (diff, n) = diff::unified("x", "", "a\n");
    assert_eq!(
        (diff.as_str(), n),
        ("--- a/x\n+++ b/x\n@@ -0,0 +1,1 @@\n+a\n", 1)
    );
}

#[test]
fn structural_check() {
    let before = "a: 1\nb:\n  c: 2\n  d: 3\n---\nx: y\n";
    let target =
        serde_yaml_ng::from_str::<serde_yaml_ng::Value>("a: 1\nb:\n  c: 2\n  d: 3\n").unwrap();
    let at = [key("b"), key("c")];
    let want = Expect::Value(serde_yaml_ng::Value::from(5));
    let check = |after: &str| verify::check(before, after, &target, &at, &want);
    assert!(check("a: 1\nb:\n  c: 5\n  d: 3\n---\nx: y\n").is_ok());
    let unsafe_cases = [
        "a: 1\nb:\n  c: 5\n  d: 4\n---\nx: y\n",
        "a: 1\nb:\n  c: 6\n  d: 3\n---\nx: y\n",
        "a: 1\nb:\n  c: 5\n  d: 3\n---\nx: z\n",
        "a: 1\nb:\n  c: 5\n  d: 3\n",
        "a: 1\nb:\n  c: 5\n d: 3\n---\nx: y\n",
        "a: 1\nb:\n  c: 2\n  d: 3\n---\nx: y\n",
    ];
    for after in unsafe_cases {
        assert!(
            matches!(check(after), Err(FixError::Unsafe { .. })),
            "{after}"
        );
    }
    let other = serde_yaml_ng::from_str::<serde_yaml_ng::Value>("x: y\n").unwrap();
    assert!(
        verify::check(
            before,
            "a: 1\nb:\n  c: 5\n  d: 3\n---\nx: y\n",
            &other,
            &at,
            &want
        )
        .is_err()
    );
}

#[test]
fn value_checks() {
    for ok in ["registry.example.io/shop/checkout:2.40.3", "", "a b"] {
        assert!(check_text(ok).is_ok(), "{ok}");
    }
    for bad in [
        "a\nb",
        "a\rb",
        "{{ .Values.tag }}",
        "<REDACTED:token:0a1b2c3d>",
        "x<redacted:password:0a1b2c3d>y",
    ] {
        assert!(
            matches!(check_text(bad), Err(FixError::Unsafe { .. })),
            "{bad}"
        );
    }
    assert!(check_json(&serde_json::json!({"a": ["ok", {"b": "{{x}}"}]})).is_err());
}
