use super::*;

fn stats(canary: u64, stable: u64, level: LogLevel) -> TemplateStats {
    TemplateStats {
        canary,
        stable,
        level: Some(level),
        ..TemplateStats::default()
    }
}

#[test]
fn classes_by_canary_vs_stable() {
    let t = Totals {
        canary_lines: 1000,
        stable_lines: 1000,
    };
    let none = Totals {
        canary_lines: 1000,
        stable_lines: 0,
    };
    let cases = [
        (stats(1, 0, LogLevel::Info), t, LogClass::NewInCanary),
        (
            stats(50, 5, LogLevel::Info),
            t,
            LogClass::MoreFrequentInCanary,
        ),
        // 3x but too few to tell from chance.
        (stats(3, 1, LogLevel::Info), t, LogClass::Noise),
        (stats(6, 2, LogLevel::Error), t, LogClass::Error),
        // Comparable rates: an error is an error, the rest is noise.
        (stats(20, 18, LogLevel::Error), t, LogClass::Error),
        (stats(20, 18, LogLevel::Fatal), t, LogClass::Error),
        (stats(20, 18, LogLevel::Warn), t, LogClass::Noise),
        (stats(0, 40, LogLevel::Error), t, LogClass::Error),
        // No stable logs: nothing is new.
        (stats(30, 0, LogLevel::Error), none, LogClass::Error),
        (stats(30, 0, LogLevel::Info), none, LogClass::Noise),
    ];
    for (i, (s, t, want)) in cases.into_iter().enumerate() {
        assert_eq!(classify(&s, t), want, "case {i}");
    }
}

#[test]
fn rate_is_per_line_not_absolute() {
    // Canary logged 10x fewer lines: 30 vs 100 is a 3.3x higher rate.
    let t = Totals {
        canary_lines: 1_000,
        stable_lines: 10_000,
    };
    assert_eq!(
        classify(&stats(30, 100, LogLevel::Info), t),
        LogClass::MoreFrequentInCanary
    );
    let t = Totals {
        canary_lines: 10_000,
        stable_lines: 1_000,
    };
    assert_eq!(
        classify(&stats(300, 100, LogLevel::Info), t),
        LogClass::Noise
    );
}

#[test]
fn frames_are_noise_even_when_new() {
    let mut s = stats(5, 0, LogLevel::Unknown);
    s.frames = 5;
    assert_eq!(
        classify(
            &s,
            Totals {
                canary_lines: 10,
                stable_lines: 10
            }
        ),
        LogClass::Noise
    );
}

#[test]
fn ranking_order_and_ids() {
    let t = Totals {
        canary_lines: 1000,
        stable_lines: 1000,
    };
    let mk = |name: &str, s: TemplateStats| Ranked {
        template: name.to_owned(),
        stats: s,
    };
    let mut prev = stats(2, 0, LogLevel::Info);
    prev.previous = true;
    let items = vec![
        mk("noise", stats(500, 500, LogLevel::Info)),
        mk("err-both", stats(10, 10, LogLevel::Error)),
        mk("new-info-big", stats(90, 0, LogLevel::Info)),
        mk("new-info-prev", prev),
        mk("new-error", stats(1, 0, LogLevel::Error)),
        mk("more", stats(60, 2, LogLevel::Warn)),
        mk("fatal-both", stats(3, 3, LogLevel::Fatal)),
    ];
    let out = rank(items, t, &[], &Redactor::default());
    let order: Vec<&str> = out.iter().map(|f| f.template.as_str()).collect();
    assert_eq!(
        order,
        [
            "new-error",
            "new-info-prev",
            "new-info-big",
            "more",
            "fatal-both",
            "err-both",
            "noise"
        ]
    );
    let ids: Vec<&str> = out.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "log/1", "log/2", "log/3", "log/4", "log/5", "log/6", "log/7"
        ]
    );
}

#[test]
fn output_is_bounded() {
    let items = (0..MAX_FINDINGS + 50)
        .map(|i| Ranked {
            template: format!("t{i}"),
            stats: stats(1, 1, LogLevel::Info),
        })
        .collect();
    let out = rank(
        items,
        Totals {
            canary_lines: 1,
            stable_lines: 1,
        },
        &[],
        &Redactor::default(),
    );
    assert_eq!(out.len(), MAX_FINDINGS);
}

#[test]
fn blank_lines_are_noise_even_when_more_frequent() {
    let t = Totals {
        canary_lines: 100,
        stable_lines: 1000,
    };
    let blank = TemplateStats {
        example: Some("   ".into()),
        ..stats(40, 4, LogLevel::Unknown)
    };
    assert_eq!(classify(&blank, t), LogClass::Noise);
}
