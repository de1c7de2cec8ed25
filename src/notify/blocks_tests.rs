use super::*;
use serde_json::json;

fn diagnosis() -> Diagnosis {
    serde_json::from_value(json!({
        "schema_version": 1,
        "rollout": {"namespace": "orders", "name": "fulfillment"},
        "category": "dependency_failure",
        "confidence": 0.9,
        "summary": "The canary cannot reach orders-db-v2 while the stable version can",
        "evidence": [
            {"id": "log/1", "source": "log", "ref": "log fulfillment-abc/app",
             "text": "level=fatal msg=\"failed\" error=`host=db` <!channel> & more"},
            {"id": "event/1", "source": "event", "ref": "Pod/fulfillment-abc",
             "text": "Back-off restarting failed container"},
            {"id": "log/2", "source": "log", "ref": "log x", "text": "second\nline"},
            {"id": "log/3", "source": "log", "ref": "log y", "text": "fourth"}
        ],
        "remediation": {"action": "check_dependency", "target": "orders-db-v2",
                        "description": "Check that the canary can reach orders-db-v2"},
        "engine": "rules",
        "rule": "canary-cannot-reach-dependency",
        "incident": {"phase": "Degraded", "strategy": "canary", "message": null,
            "revision": "21", "step_index": 0, "current_step": "setWeight: 34",
            "canary_hash": "a", "stable_hash": "b",
            "canary_image": ["ghcr.io/acme/fulfillment:1.33.0"],
            "stable_image": ["ghcr.io/acme/fulfillment:1.32.2"]},
        "alternatives": [],
        "gaps": []
    }))
    .unwrap()
}

fn texts(msg: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for b in msg["blocks"].as_array().unwrap() {
        if let Some(t) = b["text"]["text"].as_str() {
            out.push(t.to_string());
        }
        for e in b["elements"].as_array().into_iter().flatten() {
            out.push(e["text"].as_str().unwrap().to_string());
        }
    }
    out
}

#[test]
fn layout_is_header_explanation_context_fix_evidence_images_links_footer() {
    let ctx = MessageContext {
        update: false,
        links: vec![(
            "Argo Rollouts".into(),
            "https://ar.example/rollouts/orders/fulfillment".into(),
        )],
        record: Some("fulfillment-21-a".into()),
    };
    let msg = message(&diagnosis(), &ctx);
    let types: Vec<&str> = msg["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "header", "section", "context", "section", "divider", "section", "section", "section",
            "context", "section", "section", "context"
        ]
    );
    let t = texts(&msg);
    assert_eq!(t[0], "orders/fulfillment failed");
    assert_eq!(
        t[1],
        "*Dependency failure* · confidence 90%\nThe canary cannot reach orders-db-v2 while the stable version can"
    );
    assert_eq!(
        t[2],
        "revision 21 · step 0 (setWeight: 34) · canary · Degraded"
    );
    assert_eq!(
        t[4],
        "*log* · log fulfillment-abc/app\n`level=fatal msg=\"failed\" error=ʼhost=dbʼ &lt;!channel&gt; &amp; more`"
    );
    assert_eq!(t[6], "*log* · log x\n`second line`");
    assert_eq!(t[7], "and 1 more in the record");
    assert_eq!(
        t[8],
        "*Stable* `ghcr.io/acme/fulfillment:1.32.2`\n*Canary* `ghcr.io/acme/fulfillment:1.33.0`"
    );
    assert_eq!(
        t[9],
        "<https://ar.example/rollouts/orders/fulfillment|Argo Rollouts>"
    );
    assert_eq!(
        t[10],
        "engine rules · rule canary-cannot-reach-dependency · record fulfillment-21-a"
    );
    assert!(
        msg["text"]
            .as_str()
            .unwrap()
            .starts_with("orders/fulfillment failed: dependency_failure (0.90)")
    );
}

#[test]
fn update_is_marked() {
    let msg = message(
        &diagnosis(),
        &MessageContext {
            update: true,
            ..Default::default()
        },
    );
    assert_eq!(
        msg["blocks"][0]["text"]["text"],
        "Update: orders/fulfillment failed"
    );
    assert!(msg["text"].as_str().unwrap().starts_with("Update: "));
}

#[test]
fn long_texts_are_capped() {
    let mut d = diagnosis();
    d.summary = "x".repeat(10_000);
    d.evidence[0].text = "&".repeat(10_000);
    d.rollout.name = "n".repeat(500);
    let msg = message(&d, &MessageContext::default());
    for b in msg["blocks"].as_array().unwrap() {
        if b["type"] == "header" {
            assert!(b["text"]["text"].as_str().unwrap().chars().count() <= HEADER_MAX);
        }
    }
    for t in texts(&msg) {
        assert!(t.chars().count() <= SECTION_MAX, "{} chars", t.len());
    }
}

#[test]
fn cap_never_leaves_half_an_entity() {
    let s = cap("ab&amp;cd".into(), 5);
    assert_eq!(s, "ab…");
    assert_eq!(cap("abc".into(), 5), "abc");
}

#[test]
fn link_urls_cannot_break_out() {
    assert_eq!(link_url("https://x/a|b>c d"), "https://x/a%7Cb%3Ec%20d");
}

#[test]
fn prose_cannot_ping_or_open_code() {
    let mut d = diagnosis();
    d.summary = "log said <!channel> `boom".into();
    let msg = message(&d, &MessageContext::default());
    assert_eq!(
        msg["blocks"][1]["text"]["text"],
        "*Dependency failure* · confidence 90%\nlog said &lt;!channel&gt; ʼboom"
    );
    let fallback = msg["text"].as_str().unwrap();
    assert!(fallback.contains("&lt;!channel&gt; ʼboom"), "{fallback}");
}

#[test]
fn no_control_character_reaches_slack() {
    let mut d = diagnosis();
    d.summary = "boom \x1b]0;pwned\x07\x1b[2J\rforged".into();
    d.evidence[0].text = "panic \u{202e}\x1b[31mred".into();
    d.incident.message = Some("\x1b[H\x1b[2Jcleared".into());
    let msg = message(&d, &MessageContext::default());
    let body = msg.to_string();
    let raw: Vec<char> = serde_json::from_str::<String>(&serde_json::to_string(&body).unwrap())
        .unwrap()
        .chars()
        .collect();
    for t in texts(&msg)
        .iter()
        .chain([msg["text"].as_str().unwrap().to_owned()].iter())
    {
        assert!(
            !t.chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
            "raw control in {t:?}"
        );
    }
    assert!(
        raw.iter().collect::<String>().contains("\\\\e]0;pwned"),
        "shown as text: {body}"
    );
}
