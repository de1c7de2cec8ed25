//! Memory quantities in exact integer bytes. Stricter than the diff's float reader on
//! purpose: a fix writes a limit, so `500m` bytes (legal, but always a typo for memory) and
//! exponent forms are refused rather than guessed at.

const UNITS: [(&str, u128); 12] = [
    ("Ki", 1 << 10),
    ("Mi", 1 << 20),
    ("Gi", 1 << 30),
    ("Ti", 1 << 40),
    ("Pi", 1 << 50),
    ("Ei", 1 << 60),
    ("k", 1_000),
    ("M", 1_000_000),
    ("G", 1_000_000_000),
    ("T", 1_000_000_000_000),
    ("P", 1_000_000_000_000_000),
    ("E", 1_000_000_000_000_000_000),
];

/// Bytes, rounded up like the kubelet does; `None` for anything not a plain memory amount.
pub fn bytes(text: &str) -> Option<u128> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let unit = match suffix {
        "" => 1,
        s => UNITS.iter().find(|(u, _)| *u == s)?.1,
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() || frac.len() > 9 {
        return None;
    }
    let digits = |s: &str| -> Option<u128> {
        if s.is_empty() {
            Some(0)
        } else {
            s.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| s.parse().ok())?
        }
    };
    let scale = 10u128.pow(frac.len() as u32);
    let scaled = digits(int)?
        .checked_mul(scale)?
        .checked_add(digits(frac)?)?;
    Some(scaled.checked_mul(unit)?.div_ceil(scale))
}

/// The shortest exact binary-suffixed form (`3Gi`, `1536Mi`), or plain bytes.
pub fn format(bytes: u128) -> String {
    for (unit, size) in UNITS[..6].iter().rev() {
        if bytes >= *size && bytes.is_multiple_of(*size) {
            return format!("{}{unit}", bytes / size);
        }
    }
    bytes.to_string()
}

/// Rounds down to whole Mi, so a computed cap reads like something a person would write.
pub fn floor_mi(bytes: u128) -> u128 {
    bytes / (1 << 20) * (1 << 20)
}

/// The limit to write: `suggested`, but never above the cap nor above current × factor;
/// refused when what is allowed would not be a raise at all.
pub fn raised(
    current: &str,
    suggested: &str,
    limits: &super::FixLimits,
) -> Result<String, super::FixError> {
    let unsafe_ = |reason: String| super::FixError::Unsafe { reason };
    let parse = |what: &str, q: &str| {
        bytes(q).ok_or_else(|| unsafe_(format!("{what} {q:?} is not a memory quantity")))
    };
    let cur = parse("current limit", current)?;
    let sug = parse("suggested limit", suggested)?;
    let cap = parse("memory cap", &limits.memory_cap)?;
    let factor = limits.max_memory_factor;
    if !(factor.is_finite() && factor > 0.0) {
        return Err(unsafe_(format!(
            "memory factor {factor} is not a positive number"
        )));
    }
    // f64 is exact for byte counts below 2^53 (8 PiB), far beyond any container limit.
    let by_factor = floor_mi((cur as f64 * factor) as u128);
    let ceiling = cap.min(by_factor);
    let (new, text) = if sug <= ceiling {
        (sug, suggested.trim().to_owned())
    } else if cap <= by_factor {
        (cap, limits.memory_cap.trim().to_owned())
    } else {
        (by_factor, format(by_factor))
    };
    if new <= cur {
        return Err(unsafe_(format!(
            "no room to raise the memory limit {current}: suggested {suggested}, cap {}, at most {factor}× current",
            limits.memory_cap
        )));
    }
    Ok(text)
}
