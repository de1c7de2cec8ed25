//! A small deterministic hasher for the miner's maps.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
pub type FxSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

/// A small multiply-rotate hasher: the tree is keyed by short tokens, SipHash would dominate
/// the profile, and a fixed hasher keeps runs deterministic.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Hash of a template's length, the two columns `a` and `b` (equal for one column) and every
/// token outside them: templates that agree everywhere but there share it.
pub fn rest_hash(t: &[Box<str>], a: usize, b: usize) -> FxHasher {
    let mut h = FxHasher::default();
    h.write_usize(t.len());
    h.write_usize(a);
    h.write_usize(b);
    for (i, tok) in t.iter().enumerate() {
        if i != a && i != b {
            h.write(tok.as_bytes());
        }
        h.write_u8(0xff);
    }
    h
}
