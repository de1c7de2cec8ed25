//! Kubernetes resource quantities (`500m`, `1Gi`, `1e3`, `0.5`), read just well enough to
//! compare two of them and to turn a memory limit into bytes.

/// The value of a quantity in base units: cores for CPU, bytes for memory. `None` for
/// anything the API server would reject (unknown suffix, empty, not finite).
pub fn parse_quantity(text: &str) -> Option<f64> {
    let text = text.trim();
    let (sign, unsigned) = match text.as_bytes().first()? {
        b'-' => (-1.0, &text[1..]),
        b'+' => (1.0, &text[1..]),
        _ => (1.0, text),
    };
    let number_end = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    // f64 parsing alone would accept "inf" or "1_0"; the quantity grammar allows digits and
    // one point only, with at least one digit.
    if !number.bytes().any(|b| b.is_ascii_digit()) || number.matches('.').count() > 1 {
        return None;
    }
    let mantissa: f64 = number.parse().ok()?;
    let value = sign * mantissa * multiplier(suffix)?;
    value.is_finite().then_some(value)
}

/// Memory in bytes, rounded up as the kubelet does; `None` when negative or unparsable.
pub fn memory_bytes(text: &str) -> Option<u64> {
    let value = parse_quantity(text)?.ceil();
    // u64::MAX is not exactly representable; comparing against 2^64 keeps the cast in range.
    (0.0..18_446_744_073_709_551_616.0)
        .contains(&value)
        .then_some(value as u64)
}

/// Whether two quantity strings denote the same amount; strings that do not parse are only
/// equal to themselves, so a typo still shows up as a change.
pub(super) fn same_quantity(a: &str, b: &str) -> bool {
    match (parse_quantity(a), parse_quantity(b)) {
        // Decimal suffixes are not exact in binary floating point (100m is 0.1), so equality
        // allows for rounding in the last bits rather than demanding identical floats.
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
        _ => a.trim() == b.trim(),
    }
}

fn multiplier(suffix: &str) -> Option<f64> {
    let binary = |power: i32| Some(2f64.powi(power));
    let decimal = |power: i32| Some(10f64.powi(power));
    match suffix {
        "" => Some(1.0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        // A bare "E" is exa; "E" followed by digits is a decimal exponent.
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ => {
            let exponent = suffix.strip_prefix(['e', 'E'])?;
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            decimal(exponent.parse().ok()?)
        }
    }
}
