//! Indent-aware navigation over the *text* of block-style YAML, so an edit can touch one
//! value and leave every comment, quote and blank line as written. It understands only what
//! GitOps files use (block mappings and sequences, single-line scalars); anything else makes
//! a lookup fail, and the structural check in `verify` backs up whatever it gets wrong.

use std::ops::Range;

/// A file split into lines, each keeping its terminator so untouched lines are copied
/// byte for byte.
pub struct Text<'a> {
    lines: Vec<&'a str>,
    starts: Vec<usize>,
    text: &'a str,
    /// The terminator for inserted lines: the file's own, so CRLF files stay CRLF.
    pub eol: &'static str,
}

/// A block mapping: keys at column `col` on lines `first..end`; the first key may share its
/// line with a sequence dash (`- name: app`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Block {
    pub first: usize,
    pub col: usize,
    pub end: usize,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Style {
    Plain,
    Single,
    Double,
    /// Flow collections, block scalars, anchors, aliases, tags: never edited in place.
    Other,
}

/// An inline value: byte range within the line's content.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scalar {
    pub start: usize,
    pub end: usize,
    pub style: Style,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub line: usize,
    pub col: usize,
    pub value: Option<Scalar>,
    /// One past the entry's last line (nested value, comments and blank lines included).
    pub end: usize,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Item {
    pub line: usize,
    pub dash: usize,
    pub block: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Entry(Entry),
    Item(Item),
}

impl<'a> Text<'a> {
    pub fn new(text: &'a str) -> Self {
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let mut starts = Vec::with_capacity(lines.len());
        let mut at = 0;
        for l in &lines {
            starts.push(at);
            at += l.len();
        }
        let eol = if lines.first().is_some_and(|l| l.ends_with("\r\n")) {
            "\r\n"
        } else {
            "\n"
        };
        Text {
            lines,
            starts,
            text,
            eol,
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// The line with its terminator.
    pub fn raw(&self, i: usize) -> &'a str {
        self.lines.get(i).copied().unwrap_or("")
    }

    /// The line without its terminator.
    pub fn content(&self, i: usize) -> &'a str {
        let l = self.raw(i);
        let l = l.strip_suffix('\n').unwrap_or(l);
        l.strip_suffix('\r').unwrap_or(l)
    }

    pub fn slice(&self, lines: Range<usize>) -> &'a str {
        let at = |i: usize| self.starts.get(i).copied().unwrap_or(self.text.len());
        self.text.get(at(lines.start)..at(lines.end)).unwrap_or("")
    }

    /// Column of a line's first character; `None` for blank and comment-only lines.
    pub fn indent(&self, i: usize) -> Option<usize> {
        let c = self.content(i);
        let t = c.trim_start_matches(' ');
        (!t.trim().is_empty() && !t.starts_with('#')).then_some(c.len() - t.len())
    }

    /// Line ranges of the documents, markers excluded, empty documents dropped.
    pub fn documents(&self) -> Vec<Range<usize>> {
        let marker = |c: &str| {
            (c.starts_with("---") || c.starts_with("..."))
                && c[3..].chars().next().is_none_or(char::is_whitespace)
        };
        let mut out = Vec::new();
        let mut start = 0;
        for i in 0..=self.len() {
            if i == self.len() || marker(self.content(i)) {
                if (start..i).any(|j| self.indent(j).is_some()) {
                    out.push(start..i);
                }
                start = i + 1;
            }
        }
        out
    }

    /// The root mapping of a document.
    pub fn root(&self, doc: Range<usize>) -> Option<Block> {
        let first = doc.clone().find(|&i| self.indent(i).is_some())?;
        Some(Block {
            first,
            col: self.indent(first)?,
            end: doc.end,
        })
    }
}
