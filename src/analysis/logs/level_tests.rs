use super::*;
use LogLevel::*;

#[test]
fn levels_from_common_formats() {
    let cases = [
        ("2024-01-01 10:00:00 ERROR db: connection lost", Error),
        ("2024-01-01 10:00:00,123 [warn] slow request", Warn),
        ("time=2024-01-01T10:00:00Z level=info msg=started", Info),
        ("ts=1 level=debug msg=\"cache hit\"", Debug),
        (
            "E1123 10:00:00.123456    1 controller.go:42] sync failed",
            Error,
        ),
        ("W0102 10:00:00.1 1 x.go:1] slow", Warn),
        ("F0102 10:00:00.1 1 x.go:1] dead", Fatal),
        ("I0102 10:00:00.1 1 x.go:1] ok", Info),
        (
            "panic: runtime error: index out of range [3] with length 3",
            Fatal,
        ),
        ("CRITICAL: disk full", Fatal),
        ("<Warning> something", Warn),
        ("2016-09-28 04:30:30, Info CBS Loaded Servicing Stack", Info),
        ("GET /healthz 200 3ms", Unknown),
        ("Information about the errors", Info),
        // The level word is past the header window: the message text is not read.
        ("a b c d e f g h i j k l m n o p error", Unknown),
        ("Errors happen", Unknown),
        ("keep a trace of alerts", Unknown),
        ("[TRACE] entering loop", Debug),
    ];
    for (line, want) in cases {
        assert_eq!(level_of(line), want, "line {line:?}");
    }
}

#[test]
fn traces_have_one_error_header_and_frames() {
    let trace = [
        (
            "Exception in thread \"main\" java.lang.IllegalStateException: boom",
            false,
            Error,
        ),
        ("\tat com.example.App.run(App.java:42)", true, Unknown),
        ("\tat com.example.App.main(App.java:7)", true, Unknown),
        ("Caused by: java.io.IOException: disk", false, Error),
        ("\t... 3 more", true, Unknown),
        ("Traceback (most recent call last):", false, Error),
        (
            "  File \"/app/main.py\", line 3, in <module>",
            true,
            Unknown,
        ),
        ("    raise ValueError(\"bad\")", true, Unknown),
        ("ValueError: bad", false, Error),
        ("panic: boom", false, Fatal),
        ("goroutine 1 [running]:", true, Unknown),
        ("main.main()", true, Unknown),
        ("\t/app/main.go:12 +0x1d", true, Unknown),
        (
            "TypeError: Cannot read properties of undefined (reading 'x')",
            false,
            Error,
        ),
        (
            "    at Object.<anonymous> (/app/index.js:1:7)",
            true,
            Unknown,
        ),
        ("server listening on :8080", false, Unknown),
        ("    indented but not in a trace", false, Unknown),
    ];
    let mut st = TraceState::default();
    for (line, frame, level) in trace {
        let c = st.classify(line);
        assert_eq!((c.frame, c.level), (frame, level), "line {line:?}");
    }
}

#[test]
fn numeric_levels() {
    let cases = [
        (60.0, Fatal),
        (50.0, Error),
        (40.0, Warn),
        (30.0, Info),
        (20.0, Debug),
        (-1.0, Unknown),
    ];
    for (n, want) in cases {
        assert_eq!(numeric_level(n), want);
    }
}
