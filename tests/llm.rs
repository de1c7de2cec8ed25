//! The LLM path end to end against a scripted OpenAI-compatible server: every answer a
//! server can give (good, malformed, off-taxonomy, invented citations, 429, timeout, ...;
//! injections are in tests/llm_injection.rs) ends in a correct, flagged diagnosis, and nothing secret leaves.

mod support_llm;

use rollout_doctor::analysis::rules::{self, RulesOutcome};
use rollout_doctor::diagnosis::{Action, Category, Diagnosis, Engine};
use rollout_doctor::llm::prompt::FENCE_LABEL;
use rollout_doctor::llm::{LlmClassifier, LlmConfig, LlmMode, LlmOutcome, SecretString};
use rollout_doctor::pipeline::{DiagnoseOptions, run_snapshot};
use rollout_doctor::redact::Redactor;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use support_llm::harness::*;
use support_llm::{FakeLlm, Scripted};

const SECRET_SCENARIO: &str = "canary-db-dns-secret-in-log";

/// The secrets a scenario's logs and objects hold (its expected.yaml `must_not_contain`).
fn secrets(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("expected.yaml")).unwrap();
    let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let list: Vec<String> = v["must_not_contain"]
        .as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !list.is_empty(),
        "{} has no secrets to check",
        dir.display()
    );
    list
}

fn assert_rules_fallback(d: &Diagnosis, rules: &RulesOutcome, reason: &str) {
    assert_eq!(d.category, rules.decision.category);
    assert_eq!(d.engine, Engine::Rules);
    assert_eq!(d.remediation.action, rules.decision.action);
    let llm = d.llm.as_ref().expect("llm block");
    assert_eq!(llm.outcome, LlmOutcome::Fallback);
    let got = llm.fallback_reason.as_deref().unwrap_or_default();
    assert!(
        got.contains(reason),
        "fallback reason {got:?} lacks {reason:?}"
    );
}

fn good_answer(category: &str, ids: &[&str]) -> Value {
    json!({
        "category": category,
        "confidence": 0.86,
        "summary": "The canary cannot resolve orders-db-v2 (no such host) while the stable reaches its database.",
        "evidence_ids": ids,
        "remediation_hint": "Point DATABASE_URL back at an existing Service."
    })
}

#[tokio::test]
async fn valid_answer_agreeing_with_the_rules_is_hybrid() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    assert_eq!(rules.decision.category, Category::DependencyFailure);
    let server = FakeLlm::start(vec![Scripted::answer(good_answer(
        "dependency_failure",
        &["log/1", "log/2"],
    ))])
    .await;
    let cfg = config(&server);
    let llm = classifier(cfg.clone());
    let d = llm.decide(&ev, rules.clone()).await;

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_request(&reqs[0], &cfg, &secrets(&dir));
    assert!(reqs[0].message("user").contains(FENCE_LABEL));

    assert_eq!(d.category, Category::DependencyFailure);
    assert_eq!(d.engine, Engine::Hybrid);
    assert_eq!(d.remediation.action, rules.decision.action);
    assert!(d.confidence >= rules.decision.confidence);
    assert!(d.summary.contains("orders-db-v2"));
    let o = d.llm.unwrap();
    assert_eq!(o.outcome, LlmOutcome::Adopted);
    assert_eq!(o.agrees, Some(true));
    assert_eq!(o.prompt_version, "v1");
    assert_eq!((o.tokens_in, o.tokens_out), (Some(1234), Some(56)));
    assert_eq!(o.rules_category, Category::DependencyFailure);
    assert!(!o.cached);
    assert_eq!(llm.metrics().calls_with("ok"), 1);

    // The same evidence again: served from the cache, no request.
    let again = llm.decide(&ev, rules).await;
    assert_eq!(server.requests().len(), 1);
    assert!(again.llm.unwrap().cached);
    assert_eq!(llm.metrics().cache_hits.get(), 1);
}

#[tokio::test]
async fn malformed_json_gets_one_repair_then_falls_back() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(vec![
        Scripted::content("{\"category\": \"dependency_failure\", \"confidence\": "),
        Scripted::content("Sure! The answer is dependency failure."),
    ])
    .await;
    let cfg = config(&server);
    let llm = classifier(cfg.clone());
    let d = llm.decide(&ev, rules.clone()).await;
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "exactly one repair attempt");
    for r in &reqs {
        assert_request(r, &cfg, &secrets(&dir));
    }
    assert!(reqs[1].messages_text().contains("That answer is invalid"));
    assert_rules_fallback(&d, &rules, "invalid");
    assert_eq!(llm.metrics().fallbacks_with("invalid_answer"), 1);
}

#[tokio::test]
async fn a_repaired_answer_is_used() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(vec![
        Scripted::content("not json at all"),
        Scripted::content(&format!(
            "```json\n{}\n```",
            good_answer("dependency_failure", &["log/1"])
        )),
    ])
    .await;
    let d = classifier(config(&server)).decide(&ev, rules).await;
    assert_eq!(server.requests().len(), 2);
    assert_eq!(d.engine, Engine::Hybrid);
    let o = d.llm.unwrap();
    assert_eq!(o.outcome, LlmOutcome::Adopted);
    // Both calls' tokens are counted.
    assert_eq!(o.tokens_in, Some(2468));
}

#[tokio::test]
async fn a_category_outside_the_taxonomy_falls_back() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let bad = good_answer("network_partition", &["log/1"]);
    let server = FakeLlm::start(vec![Scripted::answer(bad.clone()), Scripted::answer(bad)]).await;
    let cfg = config(&server);
    let d = classifier(cfg.clone()).decide(&ev, rules.clone()).await;
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].messages_text().contains("category is not one of"));
    assert_request(&reqs[1], &cfg, &secrets(&dir));
    assert_rules_fallback(&d, &rules, "not one of");
}

#[tokio::test]
async fn invented_citations_are_dropped_and_cost_confidence() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(vec![
        // Agrees, with one real and two invented ids.
        Scripted::answer(good_answer(
            "dependency_failure",
            &["log/1", "log/404", "pod/ghost/app"],
        )),
        // Disagrees on invented ids only.
        Scripted::answer(good_answer("oom_killed", &["pod/ghost/app", "log/999"])),
    ])
    .await;
    let llm = classifier(config(&server));
    let d = llm.decide(&ev, rules.clone()).await;
    assert_eq!(d.category, Category::DependencyFailure);
    assert!(
        d.evidence
            .iter()
            .all(|e| e.id != "log/404" && e.id != "pod/ghost/app")
    );
    let o = d.llm.unwrap();
    assert_eq!(o.outcome, LlmOutcome::Adopted);
    assert_eq!(o.dropped_citations, vec!["log/404", "pod/ghost/app"]);
    assert!(o.llm_confidence.unwrap() <= (0.86f64 * 0.49 * 100.0).round() / 100.0 + 1e-9);

    // Another incident (the cache must not answer): change the evidence slightly.
    let mut ev2 = ev.clone();
    ev2.rollout.name.push_str("-2");
    let d = llm.decide(&ev2, rules.clone()).await;
    assert_eq!(
        d.category,
        Category::DependencyFailure,
        "invented evidence cannot win"
    );
    assert_eq!(d.engine, Engine::Rules);
    let o = d.llm.unwrap();
    assert_eq!((o.outcome, o.agrees), (LlmOutcome::RulesKept, Some(false)));
    assert_eq!(o.llm_category, Some(Category::OomKilled));
    assert_eq!(o.dropped_citations.len(), 2);
}

#[tokio::test]
async fn rate_limited_then_success_honours_retry_after() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(vec![
        Scripted::error(429, "Rate limit reached for test-model", "rate_limit_error")
            .header("retry-after", "1"),
        Scripted::answer(good_answer("dependency_failure", &["log/1"])),
    ])
    .await;
    let cfg = config(&server);
    let llm = classifier(cfg.clone());
    let started = Instant::now();
    let d = llm.decide(&ev, rules).await;
    let took = started.elapsed();
    assert_eq!(server.requests().len(), 2);
    assert!(
        took >= Duration::from_millis(950),
        "Retry-After ignored: {took:?}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(d.engine, Engine::Hybrid);
    assert_eq!(d.llm.unwrap().outcome, LlmOutcome::Adopted);
    assert_eq!(llm.metrics().calls_with("rate_limited"), 1);
    assert_eq!(llm.metrics().calls_with("ok"), 1);
}

#[tokio::test]
async fn a_retry_after_longer_than_worth_waiting_for_falls_back_at_once() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(vec![
        Scripted::error(429, "Rate limit reached", "rate_limit_error").header("retry-after", "120"),
    ])
    .await;
    let started = Instant::now();
    let d = classifier(config(&server)).decide(&ev, rules.clone()).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.requests().len(), 1);
    assert_rules_fallback(&d, &rules, "rate limited");
}

#[tokio::test]
async fn prompts_can_be_overridden_from_a_directory_and_the_version_is_recorded() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let prompts = tempfile::tempdir().unwrap();
    std::fs::write(
        prompts.path().join("system.md"),
        "<!-- version: v2-test -->\nClassify. Categories:\n{{categories}}\nSchema: {{schema}}",
    )
    .unwrap();
    let server = FakeLlm::start(vec![Scripted::answer(good_answer(
        "dependency_failure",
        &["log/1"],
    ))])
    .await;
    let d = classifier(LlmConfig {
        prompts_dir: Some(prompts.path().to_owned()),
        ..config(&server)
    })
    .decide(&ev, rules)
    .await;
    assert_eq!(d.llm.unwrap().prompt_version, "system v2-test / user v1");
    let sys = server.requests()[0].message("system");
    assert!(
        sys.starts_with("Classify.") && sys.contains("dependency_failure"),
        "{sys}"
    );
}

#[tokio::test]
async fn a_slow_server_times_out_into_the_rules_diagnosis() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(vec![
        Scripted::answer(good_answer("dependency_failure", &["log/1"]))
            .delay(Duration::from_secs(5)),
    ])
    .await;
    let cfg = LlmConfig {
        timeout: Duration::from_millis(300),
        ..config(&server)
    };
    let llm = classifier(cfg);
    let started = Instant::now();
    let d = llm.decide(&ev, rules.clone()).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 1, "a timeout is not retried");
    assert_rules_fallback(&d, &rules, "timeout");
    assert_eq!(llm.metrics().fallbacks_with("timeout"), 1);
}

#[tokio::test]
async fn persistent_server_errors_are_retried_then_fall_back() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(vec![
        Scripted::raw(503, "upstream overloaded"),
        Scripted::raw(502, "<html>bad gateway</html>"),
        Scripted::raw(503, "upstream overloaded"),
    ])
    .await;
    let d = classifier(config(&server)).decide(&ev, rules.clone()).await;
    assert_eq!(server.requests().len(), 3, "max 3 tries");
    assert_rules_fallback(&d, &rules, "server error (503)");
}

#[tokio::test]
async fn an_auth_error_is_not_retried_and_does_not_echo_the_key() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(vec![Scripted::error(
        401,
        &format!("Incorrect API key provided: {KEY}"),
        "invalid_request_error",
    )])
    .await;
    let d = classifier(config(&server)).decide(&ev, rules.clone()).await;
    assert_eq!(server.requests().len(), 1);
    assert_rules_fallback(&d, &rules, "401");
    assert!(!serde_json::to_string(&d).unwrap().contains(KEY));
}

#[tokio::test]
async fn a_server_without_json_schema_gets_json_mode_from_then_on() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(vec![
        Scripted::error(
            400,
            "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
            "invalid_request_error",
        ),
        Scripted::answer(good_answer("dependency_failure", &["log/1"])),
        Scripted::answer(good_answer("dependency_failure", &["log/2"])),
    ])
    .await;
    let cfg = config(&server);
    let llm = classifier(cfg.clone());
    let d = llm.decide(&ev, rules.clone()).await;
    assert_eq!(d.llm.unwrap().outcome, LlmOutcome::Adopted);
    let mut ev2 = ev.clone();
    ev2.rollout.name.push_str("-2");
    llm.decide(&ev2, rules).await;
    let types: Vec<String> = server
        .requests()
        .iter()
        .map(|r| {
            r.body["response_format"]["type"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(types, ["json_schema", "json_object", "json_object"]);
    for r in server.requests() {
        assert_request(&r, &cfg, &secrets(&dir));
    }
}

#[tokio::test]
async fn a_lenient_response_from_a_non_openai_server_is_read() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    // No usage, no id, empty finish_reason, content as parts, extra fields.
    let content = good_answer("dependency_failure", &["log/1"]).to_string();
    let (a, b) = content.split_at(20);
    let body = json!({
        "choices": [{"finish_reason": "", "logprobs": {"x": 1},
                     "message": {"content": [{"type": "text", "text": a}, {"type": "text", "text": b}]}}],
        "system_fingerprint": null, "x_vllm": true
    });
    let server = FakeLlm::start(vec![Scripted::raw(200, body.to_string())]).await;
    let d = classifier(config(&server)).decide(&ev, rules).await;
    let o = d.llm.unwrap();
    assert_eq!(o.outcome, LlmOutcome::Adopted);
    assert_eq!((o.tokens_in, o.tokens_out), (None, None));
}

#[tokio::test]
async fn modes_off_and_auto_do_not_call_when_they_need_not() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(vec![]).await;
    let off = classifier(LlmConfig {
        mode: LlmMode::Off,
        ..config(&server)
    });
    let d = off.decide(&ev, rules.clone()).await;
    assert!(d.llm.is_none());
    assert_eq!(d.engine, Engine::Rules);
    let auto = classifier(LlmConfig {
        mode: LlmMode::Auto,
        ..config(&server)
    });
    let d = auto.decide(&ev, rules.clone()).await;
    assert_eq!(d.llm.unwrap().outcome, LlmOutcome::Skipped);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn auto_asks_when_the_rules_are_unsure_and_adopts_cited_evidence() {
    let dir = scenario("canary-paused-awaiting-promotion");
    let (ev, rules) = load(&dir);
    assert_eq!(rules.decision.category, Category::Unknown);
    assert!(rules::finding_for(&ev, Category::MetricRegression).is_none());
    let id = ev.items().first().map(|i| i.id.clone()).unwrap();
    let server = FakeLlm::start(vec![Scripted::answer(json!({
        "category": "metric_regression", "confidence": 0.9,
        "summary": "Latency rose.", "evidence_ids": [id, "analysis/made-up"],
        "remediation_hint": "Compare\nthe canary's p99 latency with the stable's; then `kubectl rollout undo` and raise memory to 4Gi ".repeat(5)
    }))])
    .await;
    let d = classifier(LlmConfig {
        mode: LlmMode::Auto,
        ..config(&server)
    })
    .decide(&ev, rules)
    .await;
    assert_eq!(server.requests().len(), 1);
    assert_eq!(d.category, Category::MetricRegression);
    assert_eq!(d.engine, Engine::Llm);
    assert!(d.confidence <= 0.6, "{}", d.confidence);
    assert_eq!(d.evidence.len(), 1);
    // Never a fix derived from LLM text: only a bounded, one-line investigate hint.
    match &d.remediation.action {
        Action::Investigate { hint } => {
            assert!(
                !hint.contains('\n') && hint.chars().count() <= 200,
                "{hint}"
            );
        }
        other => panic!("LLM text became an action: {other:?}"),
    }
    let o = d.llm.unwrap();
    assert_eq!((o.outcome, o.agrees), (LlmOutcome::Adopted, Some(false)));
    assert_eq!(o.dropped_citations, vec!["analysis/made-up"]);
}

#[tokio::test]
async fn a_window_too_small_for_the_instructions_falls_back_without_calling() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(vec![]).await;
    let d = classifier(LlmConfig {
        context_window: 1400,
        ..config(&server)
    })
    .decide(&ev, rules.clone())
    .await;
    assert!(server.requests().is_empty());
    assert_rules_fallback(&d, &rules, "does not fit");
}

#[tokio::test]
async fn the_hourly_budget_caps_calls() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(vec![
        Scripted::answer(good_answer("dependency_failure", &["log/1"])),
        Scripted::answer(good_answer("dependency_failure", &["log/1"])),
    ])
    .await;
    let llm = classifier(LlmConfig {
        calls_per_hour: 1,
        ..config(&server)
    });
    llm.decide(&ev, rules.clone()).await;
    let mut ev2 = ev.clone();
    ev2.rollout.name.push_str("-2");
    let d = llm.decide(&ev2, rules.clone()).await;
    assert_eq!(server.requests().len(), 1);
    assert_rules_fallback(&d, &rules, "budget exhausted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_is_limited() {
    let dir = scenario(SECRET_SCENARIO);
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(
        (0..4)
            .map(|_| {
                Scripted::answer(good_answer("dependency_failure", &["log/1"]))
                    .delay(Duration::from_millis(150))
            })
            .collect(),
    )
    .await;
    let llm = classifier(LlmConfig {
        concurrency: 2,
        ..config(&server)
    });
    let mut tasks = Vec::new();
    for n in 0..4 {
        let (llm, mut ev, rules) = (llm.clone(), ev.clone(), rules.clone());
        ev.rollout.name.push_str(&format!("-{n}"));
        tasks.push(tokio::spawn(async move { llm.decide(&ev, rules).await }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().engine, Engine::Hybrid);
    }
    assert_eq!(server.requests().len(), 4);
    assert_eq!(server.max_in_flight(), 2);
}

#[tokio::test]
async fn a_small_context_window_is_respected_on_the_largest_scenario() {
    let dir = scenario("large-log-oom");
    let (ev, rules) = load(&dir);
    let server = FakeLlm::start(vec![Scripted::answer(json!({
        "category": "oom_killed", "confidence": 0.9, "summary": "OOM.",
        "evidence_ids": rules.decision.evidence, "remediation_hint": "raise the limit"
    }))])
    .await;
    let cfg = LlmConfig {
        context_window: 3072,
        max_output_tokens: 400,
        ..config(&server)
    };
    let llm = classifier(cfg.clone());
    let prompt = llm.render_prompt(&ev, &rules);
    assert!(
        prompt.tokens <= prompt.budget,
        "{} > {}",
        prompt.tokens,
        prompt.budget
    );
    let d = llm.decide(&ev, rules.clone()).await;
    assert_request(&server.requests()[0], &cfg, &[]);
    // The cited evidence survived the cut.
    let user = server.requests()[0].message("user");
    for id in &rules.decision.evidence {
        assert!(
            user.contains(&format!("[{id}]")),
            "{id} cut from the prompt:\n{user}"
        );
    }
    assert_eq!(d.category, Category::OomKilled);
    assert_eq!(d.engine, Engine::Hybrid);
    eprintln!(
        "large-log-oom: prompt {} of {} tokens (window 3072), dropped {:?}",
        prompt.tokens, prompt.budget, prompt.truncation.dropped
    );
}

#[test]
fn prompt_token_estimates_per_scenario() {
    // Not an assertion on the model: a measurement of prompt sizes within the default window.
    let llm = LlmClassifier::new(
        LlmConfig {
            mode: LlmMode::Always,
            base_url: "http://127.0.0.1:9/v1".into(),
            api_key: Some(SecretString::new(KEY)),
            ..LlmConfig::default()
        },
        Redactor::default(),
    )
    .unwrap();
    let mut sizes = Vec::new();
    for entry in std::fs::read_dir(scenario("")).unwrap() {
        let path = entry.unwrap().path();
        if !path.join("expected.yaml").exists() {
            continue;
        }
        let Ok(report) = run_snapshot(&path, &DiagnoseOptions::default(), &Redactor::default())
        else {
            continue;
        };
        let rules = rules::classify(&report.evidence);
        let p = llm.render_prompt(&report.evidence, &rules);
        assert!(
            p.tokens <= p.budget,
            "{}: {} > {}",
            path.display(),
            p.tokens,
            p.budget
        );
        sizes.push(p.tokens);
    }
    sizes.sort();
    eprintln!(
        "prompt tokens over {} scenarios: min {}, median {}, max {} (budget {})",
        sizes.len(),
        sizes[0],
        sizes[sizes.len() / 2],
        sizes[sizes.len() - 1],
        8192 - 800 - rollout_doctor::llm::prompt::margin(8192)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_diagnoses_with_the_llm() {
    let dir = scenario(SECRET_SCENARIO);
    let server = FakeLlm::start(vec![Scripted::answer(good_answer(
        "dependency_failure",
        &["log/1", "log/invented"],
    ))])
    .await;
    let key_dir = tempfile::tempdir().unwrap();
    let key_file = key_dir.path().join("key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_rollout-doctor"))
        .args(["diagnose"])
        .arg(&dir)
        .args(["--llm", "always", "--llm-base-url", &server.base_url()])
        .args([
            "--llm-model",
            "cli-model",
            "--llm-timeout",
            "5s",
            "--output",
            "json",
        ])
        .arg("--llm-api-key-file")
        .arg(&key_file)
        .env_remove("ROLLOUT_DOCTOR_LLM_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(KEY));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["category"], "dependency_failure");
    assert_eq!(d["engine"], "hybrid");
    assert_eq!(d["llm"]["model"], "cli-model");
    assert_eq!(d["llm"]["outcome"], "adopted");
    assert_eq!(d["llm"]["agrees"], true);
    assert_eq!(d["llm"]["prompt_version"], "v1");
    assert_eq!(d["llm"]["dropped_citations"], json!(["log/invented"]));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let cfg = LlmConfig {
        model: "cli-model".into(),
        ..config(&server)
    };
    assert_request(&reqs[0], &cfg, &secrets(&dir));

    // Text output shows the LLM line; --llm off (the default) needs no server and no key.
    let text = std::process::Command::new(env!("CARGO_BIN_EXE_rollout-doctor"))
        .args(["diagnose"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("engine Rules") && !text.contains("llm "),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_falls_back_when_the_server_is_down() {
    let dir = scenario(SECRET_SCENARIO);
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_rollout-doctor"))
        .args(["diagnose"])
        .arg(&dir)
        .args([
            "--llm",
            "always",
            "--llm-base-url",
            &format!("http://127.0.0.1:{port}/v1"),
        ])
        .env("ROLLOUT_DOCTOR_LLM_API_KEY", KEY)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("shop/") || stdout.contains("dependency_failure"),
        "{stdout}"
    );
    assert!(
        stdout.contains("fallback to rules (llm unreachable)"),
        "{stdout}"
    );
    assert!(!stdout.contains(KEY) && !String::from_utf8_lossy(&out.stderr).contains(KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decide_overhead_is_small() {
    // A measurement: what the LLM path adds around a zero-latency server (render, redact,
    // HTTP on loopback, parse, check), on the largest scenario.
    let dir = scenario("large-log-oom");
    let (ev, rules) = load(&dir);
    let n = 20;
    let answer = json!({"category": "oom_killed", "confidence": 0.9, "summary": "OOM.",
        "evidence_ids": rules.decision.evidence, "remediation_hint": "raise the limit"});
    let server = FakeLlm::start((0..n).map(|_| Scripted::answer(answer.clone())).collect()).await;
    let llm = classifier(config(&server));
    let started = Instant::now();
    for i in 0..n {
        let mut ev = ev.clone();
        ev.rollout.name.push_str(&format!("-{i}"));
        assert_eq!(llm.decide(&ev, rules.clone()).await.engine, Engine::Hybrid);
    }
    let per = started.elapsed() / n as u32;
    eprintln!("decide on large-log-oom via loopback: {per:?} per call (no cache)");
    assert!(per < Duration::from_millis(500), "{per:?}");
}
