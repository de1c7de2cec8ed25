use super::*;

fn read_all(input: &[u8], limits: Limits) -> (Vec<String>, ReadStats) {
    let mut r = LineReader::new(input, limits);
    let mut out = Vec::new();
    while let Some(l) = r.next_line().expect("in-memory read") {
        out.push(l.to_owned());
    }
    (out, r.stats().clone())
}

fn limits(max_line: usize, max_lines: u64, max_bytes: u64) -> Limits {
    Limits {
        max_line_bytes: max_line,
        max_lines,
        max_bytes,
        tail_lines: 0,
        tail_bytes: 0,
        max_scan_bytes: u64::MAX,
        detect_binary: true,
    }
}

fn head_tail(max_lines: u64, tail_lines: u64, tail_bytes: u64, max_scan_bytes: u64) -> Limits {
    Limits {
        tail_lines,
        tail_bytes,
        max_scan_bytes,
        ..limits(100, max_lines, u64::MAX)
    }
}

fn numbered(n: u64) -> Vec<u8> {
    (1..=n)
        .map(|i| format!("{i}\n"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn past_the_head_the_last_lines_are_returned_and_the_middle_counted() {
    let (got, st) = read_all(&numbered(10), head_tail(3, 2, 1000, u64::MAX));
    assert_eq!(got, vec!["1", "2", "3", "9", "10"]);
    assert_eq!(
        (
            st.lines,
            st.tail_lines,
            st.skipped_lines,
            st.capped,
            st.rest_unread
        ),
        (5, 2, 5, true, false)
    );
    assert_eq!(st.bytes, 21, "every byte was read");
    assert_eq!(
        st.cut_note().as_deref(),
        Some("log cut: kept the first 3 lines, skipped 5, kept the last 2")
    );
    // A tail that holds the whole rest cuts nothing.
    let (got, st) = read_all(&numbered(5), head_tail(3, 2, 1000, u64::MAX));
    assert_eq!((got.len(), st.capped, st.cut_note()), (5, false, None));
    // The tail's bytes are bounded too: "10" alone fits 2 bytes.
    let (got, st) = read_all(&numbered(10), head_tail(3, 5, 2, u64::MAX));
    assert_eq!(
        (
            got.last().map(String::as_str),
            st.tail_lines,
            st.skipped_lines
        ),
        (Some("10"), 1, 6)
    );
}

#[test]
fn the_scan_bound_ends_an_endless_stream_and_says_so() {
    let scan = |input: Box<dyn Read>| {
        let mut r = LineReader::new(
            input,
            Limits {
                max_line_bytes: 16,
                ..head_tail(2, 3, 1000, 1 << 20)
            },
        );
        let mut n = 0;
        while r.next_line().expect("read").is_some() {
            n += 1;
        }
        let st = r.stats().clone();
        assert!(
            st.rest_unread && st.capped && st.bytes <= (1 << 20) + BUF_BYTES as u64,
            "{st:?}"
        );
        assert_eq!(n, st.lines);
        st.cut_note().unwrap_or_default()
    };
    // Endless lines: the head, then the last lines before the bound.
    let note = scan(Box::new(io::repeat(b'\n').take(1 << 30)));
    assert!(
        note.contains("kept the last 3") && note.contains("end of the log was not reached"),
        "{note}"
    );
    // One endless line: nothing after it is read.
    let note = scan(Box::new(io::repeat(b'z').take(1 << 30)));
    assert_eq!(
        note,
        "log cut: kept the first 1 lines; the rest was not read"
    );
}

#[test]
fn splits_lines_like_the_benchmark() {
    let cases: &[(&[u8], &[&str])] = &[
        (b"", &[]),
        (b"a", &["a"]),
        (b"a\n", &["a"]),
        (b"a\r\nb\r\n", &["a", "b"]),
        (b"a\r\r\nb", &["a\r", "b"]),
        (b"\n\n", &["", ""]),
        (b"x\ny\r", &["x", "y"]),
    ];
    for (input, want) in cases {
        let (got, st) = read_all(input, limits(100, u64::MAX, u64::MAX));
        assert_eq!(&got, want, "input {input:?}");
        assert_eq!(st.lines as usize, want.len());
        assert_eq!(st.bytes as usize, input.len());
    }
}

#[test]
fn invalid_utf8_is_lossy_and_counted() {
    let (got, st) = read_all(b"ok\nbad \xff\xfe here\nfine\n", limits(100, 10, 1000));
    assert_eq!(got, vec!["ok", "bad \u{fffd}\u{fffd} here", "fine"]);
    assert_eq!(st.invalid_utf8_lines, 1);
}

#[test]
fn long_lines_are_cut_at_a_char_boundary() {
    // "é" is two bytes; a cut at 5 bytes would split the third one.
    let input = "ééééé\nshort\n".as_bytes();
    let (got, st) = read_all(input, limits(5, 10, 1000));
    assert_eq!(got, vec!["éé", "short"]);
    assert_eq!(st.truncated_lines, 1);
    assert_eq!(st.invalid_utf8_lines, 0);
    // A line exactly at the cap followed by CRLF is not truncated.
    let (got, st) = read_all(b"abcde\r\n", limits(5, 10, 1000));
    assert_eq!((got, st.truncated_lines), (vec!["abcde".to_owned()], 0));
}

#[test]
fn long_lines_spanning_buffers_stay_bounded() {
    let mut input = vec![b'x'; 3 * BUF_BYTES];
    input.extend_from_slice(b"\nnext\n");
    let (got, st) = read_all(&input, limits(10, 10, u64::MAX));
    assert_eq!(got, vec!["x".repeat(10), "next".to_owned()]);
    assert_eq!(st.truncated_lines, 1);
}

#[test]
fn caps_stop_reading_and_say_so() {
    let input = b"1\n2\n3\n4\n";
    let (got, st) = read_all(input, limits(10, 2, u64::MAX));
    assert_eq!((got.len(), st.capped), (2, true));
    let (got, st) = read_all(input, limits(10, 4, u64::MAX));
    assert_eq!((got.len(), st.capped), (4, false));
    let (got, st) = read_all(input, limits(10, 100, 4));
    assert_eq!((got.len(), st.capped), (2, true));
    // An endless line stops at the byte cap too.
    let big = vec![b'y'; 10 * BUF_BYTES];
    let (got, st) = read_all(&big, limits(10, 100, 1000));
    assert!(got.len() == 1 && st.capped && st.bytes < 2 * BUF_BYTES as u64);
}

#[test]
fn binary_content_is_detected_and_not_mined() {
    let cases: &[(&[u8], bool)] = &[
        (b"plain text\nmore\n", false),
        (b"\x1b[31mred\x1b[0m colours and\ttabs\n", false),
        (b"ELF\x00\x01\x02 header", true),
        (&[1u8, 2, 3, 4, 5, 6, 7, 8, b'a', b'\n'], true),
    ];
    for (input, binary) in cases {
        let (got, st) = read_all(input, limits(100, 100, 10_000));
        assert_eq!(st.binary, *binary, "input {input:?}");
        assert_eq!(got.is_empty(), *binary);
    }
    // Without detection every line still comes out.
    let (got, st) = read_all(b"a\x00b\nc\n", Limits::unbounded(100));
    assert_eq!((got.len(), st.binary), (2, false));
}

/// A reader that hands out one byte at a time, like a slow pipe.
struct Trickle<'a>(&'a [u8]);
impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((b, rest)), Some(slot)) => {
                *slot = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn short_reads_give_the_same_lines() {
    let input = b"alpha\r\nbeta\ngamma";
    let mut r = LineReader::new(Trickle(input), limits(100, 100, 1000));
    let mut got = Vec::new();
    while let Some(l) = r.next_line().expect("read") {
        got.push(l.to_owned());
    }
    assert_eq!(got, vec!["alpha", "beta", "gamma"]);
}
