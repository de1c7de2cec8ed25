//! Walking block mappings and sequences in a [`Text`]: keys, items, paths.

use super::yaml_scan::{dash, inline_value, parse_key};
use super::yaml_text::{Block, Entry, Item, Node, Scalar, Seg, Style, Text};
use std::ops::Range;

impl Text<'_> {
    /// The keys of a block mapping; `None` when it is not one this module understands.
    pub fn entries(&self, b: Block) -> Option<Vec<Entry>> {
        let mut out: Vec<Entry> = Vec::new();
        for i in b.first..b.end {
            let col = if i == b.first {
                b.col
            } else {
                match self.indent(i) {
                    Some(c) => c,
                    None => continue,
                }
            };
            if col > b.col {
                continue;
            }
            if col < b.col {
                return None;
            }
            let content = self.content(i);
            let rest = content.get(col..)?;
            if dash(rest) {
                // An indentless sequence belongs to the key before it.
                if out.is_empty() {
                    return None;
                }
                continue;
            }
            let (key, after) = parse_key(rest)?;
            if let Some(prev) = out.last_mut() {
                prev.end = i;
            }
            out.push(Entry {
                key,
                line: i,
                col,
                value: inline_value(content, col + after),
                end: b.end,
            });
        }
        Some(out)
    }

    /// The entry's value when it is a single-line plain or quoted scalar.
    pub fn scalar(&self, e: &Entry) -> Option<Scalar> {
        let s = e.value.filter(|s| s.style != Style::Other)?;
        // A plain or quoted scalar continued on the next lines cannot be edited on one line.
        let continued = (e.line + 1..e.end).any(|i| self.indent(i).is_some_and(|c| c > e.col));
        (!continued).then_some(s)
    }

    /// The decoded text of a scalar as written (`2.40` stays `2.40`, not a float).
    pub fn scalar_text(&self, line: usize, s: Scalar) -> Option<String> {
        let raw = self.content(line).get(s.start..s.end)?;
        match s.style {
            Style::Plain => Some(raw.to_owned()),
            Style::Single | Style::Double => serde_yaml_ng::from_str::<String>(raw).ok(),
            Style::Other => None,
        }
    }

    pub fn mapping(&self, e: &Entry) -> Option<Block> {
        if e.value.is_some() {
            return None;
        }
        let first = (e.line + 1..e.end).find(|&i| self.indent(i).is_some())?;
        let col = self.indent(first)?;
        (col > e.col && !dash(self.content(first).get(col..)?)).then_some(Block {
            first,
            col,
            end: e.end,
        })
    }

    /// The items of a block sequence value; an empty list when the key has no value at all.
    pub fn sequence(&self, e: &Entry) -> Option<Vec<Item>> {
        if e.value.is_some() {
            return None;
        }
        let Some(first) = (e.line + 1..e.end).find(|&i| self.indent(i).is_some()) else {
            return Some(Vec::new());
        };
        let dash_col = self.indent(first)?;
        if dash_col < e.col || !dash(self.content(first).get(dash_col..)?) {
            return None;
        }
        let starts: Vec<usize> = (first..e.end)
            .filter(|&i| self.indent(i) == Some(dash_col))
            .collect();
        let mut items = Vec::new();
        for (n, &line) in starts.iter().enumerate() {
            let content = self.content(line);
            if !dash(content.get(dash_col..)?) {
                return None;
            }
            let end = starts.get(n + 1).copied().unwrap_or(e.end);
            let after = &content[dash_col + 1..];
            let pad = after.len() - after.trim_start_matches(' ').len();
            let body = after.trim_start_matches(' ');
            let block = if body.is_empty() || body.starts_with('#') {
                let first = (line + 1..end).find(|&i| self.indent(i).is_some())?;
                Block {
                    first,
                    col: self.indent(first)?,
                    end,
                }
            } else {
                Block {
                    first: line,
                    col: dash_col + 1 + pad,
                    end,
                }
            };
            items.push(Item {
                line,
                dash: dash_col,
                block,
            });
        }
        Some(items)
    }

    /// Follows a path of keys and sequence indexes from a mapping.
    pub fn find(&self, root: Block, path: &[Seg]) -> Option<Node> {
        let mut block = root;
        let mut node = None;
        let mut i = 0;
        while i < path.len() {
            let Seg::Key(k) = &path[i] else { return None };
            let entries = self.entries(block)?;
            let mut same = entries.into_iter().filter(|e| e.key == *k);
            let e = same.next()?;
            if same.next().is_some() {
                return None;
            }
            match path.get(i + 1) {
                Some(Seg::Key(_)) => block = self.mapping(&e)?,
                Some(Seg::Index(n)) => {
                    let item = *self.sequence(&e)?.get(*n)?;
                    block = item.block;
                    node = Some(Node::Item(item));
                    i += 2;
                    continue;
                }
                None => {}
            }
            node = Some(Node::Entry(e));
            i += 1;
        }
        node
    }

    pub fn find_entry(&self, root: Block, path: &[Seg]) -> Option<Entry> {
        match self.find(root, path)? {
            Node::Entry(e) => Some(e),
            Node::Item(_) => None,
        }
    }

    pub fn find_item(&self, root: Block, path: &[Seg]) -> Option<Item> {
        match self.find(root, path)? {
            Node::Item(item) => Some(item),
            Node::Entry(_) => None,
        }
    }

    /// The last line of `lines` holding content, counting comments indented deeper than
    /// `col` (they sit inside the range's values, or are block-scalar text) but not the
    /// trailing comments at `col` or less, which usually introduce what follows.
    pub fn last_content(&self, lines: Range<usize>, col: usize) -> Option<usize> {
        lines.rev().find(|&i| {
            let c = self.content(i);
            let t = c.trim_start_matches(' ');
            !t.trim().is_empty() && (!t.starts_with('#') || c.len() - t.len() > col)
        })
    }
}
