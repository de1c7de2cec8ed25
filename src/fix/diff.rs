//! A unified diff of two texts (`a/`, `b/` headers, 3 lines of context), small enough to
//! own: edits are localized, so after trimming the common head and tail an LCS over what
//! is left is cheap.

const CONTEXT: usize = 3;
/// Beyond this many cells the middle is shown as all removed and all added.
const MAX_CELLS: usize = 4_000_000;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Same(usize, usize),
    Del(usize),
    Add(usize),
}

/// The diff and its count of `+`/`-` lines.
pub fn unified(path: &str, before: &str, after: &str) -> (String, usize) {
    let a: Vec<&str> = before.split_inclusive('\n').collect();
    let b: Vec<&str> = after.split_inclusive('\n').collect();
    let ops = script(&a, &b);
    let changed = ops.iter().filter(|o| !matches!(o, Op::Same(..))).count();
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let mut i = 0;
    while let Some(first) = (i..ops.len()).find(|&k| !matches!(ops[k], Op::Same(..))) {
        // Extend the hunk while the unchanged lines up to the next change fit in the two
        // contexts, so hunks never overlap or merely touch.
        let mut last = first;
        while let Some(n) = (last + 1..ops.len()).find(|&k| !matches!(ops[k], Op::Same(..))) {
            if n - last > 2 * CONTEXT + 1 {
                break;
            }
            last = n;
        }
        let start = first.saturating_sub(CONTEXT);
        let end = (last + CONTEXT + 1).min(ops.len());
        hunk(&mut out, &ops[start..end], &a, &b);
        i = end;
    }
    (out, changed)
}

fn hunk(out: &mut String, ops: &[Op], a: &[&str], b: &[&str]) {
    // A side's start is where the hunk begins in it, whichever op comes first there.
    let a_start = ops.iter().find_map(|o| match o {
        Op::Same(x, _) | Op::Del(x) => Some(*x),
        Op::Add(_) => None,
    });
    let b_start = ops.iter().find_map(|o| match o {
        Op::Same(_, y) | Op::Add(y) => Some(*y),
        Op::Del(_) => None,
    });
    let a_len = ops.iter().filter(|o| !matches!(o, Op::Add(_))).count();
    let b_len = ops.iter().filter(|o| !matches!(o, Op::Del(_))).count();
    // With context lines a side is only empty when the file is, and then it is named 0,0.
    let range = |start: Option<usize>, len: usize| match start {
        Some(s) if len > 0 => format!("{},{len}", s + 1),
        _ => "0,0".to_owned(),
    };
    out.push_str(&format!(
        "@@ -{} +{} @@\n",
        range(a_start, a_len),
        range(b_start, b_len)
    ));
    for o in ops {
        let (mark, line) = match *o {
            Op::Same(x, _) => (' ', a[x]),
            Op::Del(x) => ('-', a[x]),
            Op::Add(y) => ('+', b[y]),
        };
        out.push(mark);
        out.push_str(line);
        if !line.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    }
}

fn script(a: &[&str], b: &[&str]) -> Vec<Op> {
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut ops: Vec<Op> = (0..head).map(|i| Op::Same(i, i)).collect();
    ops.extend(lcs(am, bm, head));
    ops.extend((0..tail).map(|k| Op::Same(a.len() - tail + k, b.len() - tail + k)));
    ops
}

/// Edit script of the middle parts, offsets added back.
fn lcs(a: &[&str], b: &[&str], off: usize) -> Vec<Op> {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > MAX_CELLS {
        let mut ops: Vec<Op> = (0..n).map(|i| Op::Del(off + i)).collect();
        ops.extend((0..m).map(|j| Op::Add(off + j)));
        return ops;
    }
    // len[i][j]: LCS length of a[i..] and b[j..].
    let w = m + 1;
    let mut len = vec![0u32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            len[i * w + j] = if a[i] == b[j] {
                len[(i + 1) * w + j + 1] + 1
            } else {
                len[(i + 1) * w + j].max(len[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j, mut ops) = (0, 0, Vec::with_capacity(n + m));
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push(Op::Same(off + i, off + j));
            i += 1;
            j += 1;
        } else if i < n && (j == m || len[(i + 1) * w + j] >= len[i * w + j + 1]) {
            // On ties removals go first, the order people expect to read.
            ops.push(Op::Del(off + i));
            i += 1;
        } else {
            ops.push(Op::Add(off + j));
            j += 1;
        }
    }
    ops
}
