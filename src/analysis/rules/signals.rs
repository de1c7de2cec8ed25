//! Shared views over evidence that several rules read: canary containers, events, log lines
//! matching a pattern family.

use crate::evidence::*;
use regex::Regex;
use std::sync::LazyLock;

fn re(pattern: &str) -> Regex {
    // Patterns are compile-time constants; a typo must fail the unit tests, not users.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

/// The app says a required setting is absent: env var, config key, config file.
pub static MISSING_CONFIG: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?ix)
        \b(env(ironment)?(\s+var(iable)?s?)?|variable|setting|config(uration)?(\s+(key|value|option|property))?|property)\b
            [^.;]{0,60}?\b(is\s+)?(not\s+set|unset|missing|required|undefined|not\s+defined|must\s+be\s+(set|provided)|not\s+provided|is\s+empty)\b
      | \b(missing|required)\s+(required\s+)?(env(ironment)?(\s+var(iable)?s?)?|config(uration)?|setting|propert(y|ies)|key)\b
      | \bKeyError:\s*'[A-Za-z_][A-Za-z0-9_]*'
      | could\s+not\s+resolve\s+placeholder
      | \b(could\s+not|cannot|can't|unable\s+to|failed\s+to)\s+(load|read|find|open|parse)\s+(the\s+)?(config|configuration|settings)\b
      | \.(ya?ml|json|toml|conf|cfg|ini|properties|env)\b['"]?:?\s+(no\s+such\s+file|not\s+found|does\s+not\s+exist)
      | (FileNotFoundError|NoSuchFileException|ENOENT)[^\n]{0,120}\.(ya?ml|json|toml|conf|cfg|ini|properties|env)\b
      | \b(secret|configmap)\s+"[^"]+"\s+not\s+found
      | couldn't\s+find\s+key\s+\S+\s+in\s+(Secret|ConfigMap)
    "#)
});

/// The app cannot reach something it depends on.
pub static DEPENDENCY: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?ix)
        connection\s+refused | ECONNREFUSED | ConnectException | actively\s+refused
      | no\s+such\s+host | ENOTFOUND | UnknownHostException | name\s+or\s+service\s+not\s+known
      | temporary\s+failure\s+in\s+name\s+resolution | could\s+not\s+resolve\s+host | getaddrinfo\s+EAI_AGAIN
      | i/o\s+timeout | ETIMEDOUT | SocketTimeoutException | connect\s+timed?\s*out | connection\s+timed\s+out
      | context\s+deadline\s+exceeded | read\s+timed\s+out
      | connection\s+reset | ECONNRESET | broken\s+pipe
      | x509: | certificate\s+(verify|signed\s+by\s+unknown|has\s+expired|is\s+not\s+valid) | tls:\s+handshake
      | SSLHandshakeException | CERTIFICATE_VERIFY_FAILED | SSL\s+routines
      | upstream\s+connect\s+error | no\s+healthy\s+upstream
      | password\s+authentication\s+failed | access\s+denied\s+for\s+user | authentication\s+failed\s+for
      | (could\s+not|failed\s+to|unable\s+to)\s+connect\s+to | dial\s+tcp
      | \b(status(\s+code)?|returned|responded(\s+with)?|got|received)\s*:?\s*(401|403|502|503|504)\b
      | \b401\s+Unauthorized\b | \b403\s+Forbidden\b | \b503\s+Service\s+Unavailable\b
    "#)
});

/// Where a dependency error says it was going, most explicit form first.
static TARGETS: LazyLock<[Regex; 4]> = LazyLock::new(|| {
    let host = r"([a-z0-9][a-z0-9.\-]*[a-z0-9](?::\d{2,5})?)";
    [
        re(&format!(
            r"(?i)(?:dial\s+tcp|lookup|getaddrinfo\s+\w+)\s+\[?{host}"
        )),
        re(&format!(
            r#"(?i)\b(?:host|hostname|server|addr|address|url)\s*[=:]\s*['"`]?(?:[a-z]+://)?{host}"#
        )),
        re(r"(?i)\b([a-z][a-z0-9.\-]*[a-z0-9]:\d{2,5})\b"),
        re(&format!(
            r#"(?i)(?:connect(?:ing)?\s+to|reach|from)\s+['"`]?(?:[a-z]+://)?{host}"#
        )),
    ]
});

pub fn dependency_target(line: &str) -> Option<String> {
    let plausible = |h: &str| {
        // A dependency has a dotted name or a port; our own loopback is not one.
        (h.contains('.') || h.contains(':'))
            && !h.starts_with("127.")
            && !h.starts_with("localhost")
            && !h.starts_with("0.0.0.0")
    };
    TARGETS
        .iter()
        .find_map(|re| {
            re.captures_iter(line)
                .filter_map(|c| c.get(1).map(|m| m.as_str()))
                .find(|h| plausible(h))
                .map(str::to_owned)
        })
        .or_else(|| RESPONDER.captures(line).map(|c| c[1].to_owned()))
}

/// `inventory-api responded 403`: a bare service name is a target only in this form.
static RESPONDER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b([a-z][a-z0-9\-]*[a-z0-9])\s+(?:responded|returned|replied)(?:\s+with)?\s+(?:status\s+)?[45]\d\d\b",
    )
});

/// The app or its runtime says memory ran out.
pub static OUT_OF_MEMORY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)out\s+of\s+memory|MemoryError|OutOfMemoryError|heap\s+out\s+of\s+memory|allocation\s+failed|cannot\s+allocate\s+memory|runtime:\s+out\s+of\s+memory|oom[-_ ]?kill|memory\s+limit",
    )
});

static ROOT_CAUSE: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*Caused by:"));
static EXCEPTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(panic:|fatal error:|Uncaught|Unhandled|[\w.$]*(Error|Exception)\b:?)|SIGSEGV|segmentation fault|Exception in thread",
    )
});

/// How much a line says about why a process died: a Java root cause over an exception or
/// panic header over a generic error line; a bare "Traceback" header says least.
pub fn crash_cause_weight(line: &str) -> u8 {
    if ROOT_CAUSE.is_match(line) {
        3
    } else if line.trim_start().starts_with("Traceback") {
        0
    } else if EXCEPTION.is_match(line) {
        2
    } else {
        1
    }
}

/// Crashes the kubelet reports when the entrypoint itself is wrong.
pub static BAD_ENTRYPOINT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)exec format error|executable file not found|no such file or directory|permission denied|command not found|StartError|failed to create containerd task|OCI runtime create failed",
    )
});

pub fn canary_pods(ev: &Evidence) -> impl Iterator<Item = &PodFacts> {
    ev.pods.iter().filter(|p| p.role == Role::Canary)
}

pub fn canary_containers(ev: &Evidence) -> impl Iterator<Item = (&PodFacts, &ContainerFacts)> {
    canary_pods(ev).flat_map(|p| p.containers.iter().map(move |c| (p, c)))
}

/// Events about the canary's pods and ReplicaSet.
pub fn canary_events(ev: &Evidence) -> impl Iterator<Item = &EventFact> {
    ev.events.iter().filter(|e| e.role == Some(Role::Canary))
}

pub fn waiting_reason(s: &ContainerStateFact) -> Option<&str> {
    match s {
        ContainerStateFact::Waiting { reason, .. } => reason.as_deref(),
        _ => None,
    }
}

pub fn terminated_reason(s: &ContainerStateFact) -> Option<&str> {
    match s {
        ContainerStateFact::Terminated { reason, .. } => reason.as_deref(),
        _ => None,
    }
}

/// Log findings that belong to the canary and not (as much) to the stable version.
pub fn canary_specific_logs(ev: &Evidence) -> impl Iterator<Item = &LogFinding> {
    ev.logs.findings.iter().filter(|f| {
        f.canary_count > 0
            && (matches!(
                f.class,
                LogClass::NewInCanary | LogClass::MoreFrequentInCanary
            ) || f.stable_count == 0)
    })
}

pub fn canary_logs_matching<'e>(ev: &'e Evidence, pattern: &Regex) -> Vec<&'e LogFinding> {
    canary_specific_logs(ev)
        .filter(|f| pattern.is_match(&f.example) || pattern.is_match(&f.template))
        .collect()
}

/// Canary pods exist and every one is ready with no restarts.
pub fn canary_healthy(ev: &Evidence) -> bool {
    let mut pods = canary_pods(ev).peekable();
    pods.peek().is_some()
        && pods.all(|p| {
            p.ready
                && p.containers
                    .iter()
                    .all(|c| c.restart_count == 0 && c.ready || c.init)
        })
}

/// Any sign the canary workload itself is unwell (used to rule analysis-only causes in or out).
pub fn canary_troubled(ev: &Evidence) -> bool {
    canary_containers(ev).any(|(_, c)| {
        c.restart_count > 0
            || waiting_reason(&c.state).is_some_and(|r| r != "ContainerCreating" && r != "PodInitializing")
            || matches!(c.state, ContainerStateFact::Terminated { exit_code: Some(code), .. } if code != 0)
    }) || canary_events(ev).any(|e| e.type_.as_deref() == Some("Warning") && e.count >= 3)
}

pub fn is_empty_or_nan(value: Option<&str>) -> bool {
    let v = value.unwrap_or("").trim();
    let inner = v.trim_start_matches('[').trim_end_matches(']').trim();
    inner.is_empty()
        || inner.eq_ignore_ascii_case("nan")
        || inner.eq_ignore_ascii_case("<nil>")
        || inner.eq_ignore_ascii_case("null")
        || inner
            .split(',')
            .all(|x| x.trim().eq_ignore_ascii_case("nan"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile_and_match_their_families() {
        for line in [
            "FATAL: environment variable DATABASE_URL is not set",
            "Error: Missing required env var PAYMENTS_API_URL",
            "KeyError: 'REDIS_HOST'",
            "open /etc/app/config.yaml: no such file or directory",
            "java.lang.IllegalArgumentException: Could not resolve placeholder 'stripe.key' in value",
            "Error: secret \"db-credentials\" not found",
        ] {
            assert!(MISSING_CONFIG.is_match(line), "{line}");
        }
        for line in [
            "GET /healthz 200 3ms",
            "loaded config from /etc/app/config.yaml",
            "token_count=5",
        ] {
            assert!(!MISSING_CONFIG.is_match(line), "{line}");
        }
        for line in [
            "dial tcp 10.0.3.4:5432: connect: connection refused",
            "getaddrinfo ENOTFOUND payments.internal",
            "x509: certificate signed by unknown authority",
            "upstream returned status 503",
            "inventory-api responded 403 Forbidden: not allowed to read stock",
        ] {
            assert!(DEPENDENCY.is_match(line), "{line}");
        }
        assert!(!DEPENDENCY.is_match("served 200 requests"));
    }

    #[test]
    fn dependency_targets() {
        assert_eq!(
            dependency_target("dial tcp 10.0.3.4:5432: connect: connection refused").as_deref(),
            Some("10.0.3.4:5432")
        );
        assert_eq!(
            dependency_target("lookup payments.prod.svc on 10.96.0.10:53: no such host").as_deref(),
            Some("payments.prod.svc")
        );
        assert_eq!(dependency_target("connection refused"), None);
        let pgx = r#"msg="failed to connect to database" error="failed to connect to `host=orders-db.orders.svc user=app`: hostname resolving error""#;
        assert_eq!(
            dependency_target(pgx).as_deref(),
            Some("orders-db.orders.svc")
        );
        assert_eq!(
            dependency_target("getaddrinfo ENOTFOUND payments.internal").as_deref(),
            Some("payments.internal")
        );
        let pino = r#"{"hostname":"cart-web-69b","err":{"message":"inventory-api responded 403 Forbidden"}}"#;
        assert_eq!(dependency_target(pino).as_deref(), Some("inventory-api"));
    }

    #[test]
    fn empty_and_nan_values() {
        for v in [
            None,
            Some(""),
            Some("[]"),
            Some("NaN"),
            Some("[NaN]"),
            Some("[NaN, NaN]"),
            Some("<nil>"),
        ] {
            assert!(is_empty_or_nan(v), "{v:?}");
        }
        for v in ["[0.083]", "0", "false", "[0.1, NaN]"] {
            assert!(!is_empty_or_nan(Some(v)), "{v}");
        }
    }
}
