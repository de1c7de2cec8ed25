//! Deterministic rules: evidence → one category.
