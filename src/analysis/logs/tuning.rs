//! Every miner constant in one place, settable by name, so an evaluation can choose them on
//! some datasets and score others without a rebuild (`logs templates --tune KEY=VALUE`).

use super::drain::DrainConfig;
use super::header::HeaderConfig;
use super::value::MaskConfig;

#[derive(Debug, Clone, Default)]
pub struct MinerConfig {
    pub drain: DrainConfig,
    pub header: HeaderConfig,
    pub mask: MaskConfig,
}

impl MinerConfig {
    /// Applies one `KEY=VALUE`; unknown keys and unparsable values are errors.
    pub fn set(&mut self, setting: &str) -> Result<(), String> {
        let (key, value) = setting
            .split_once('=')
            .ok_or_else(|| format!("expected KEY=VALUE, got {setting:?}"))?;
        let bad = || format!("{key}: cannot parse {value:?}");
        let num = || value.parse::<f64>().map_err(|_| bad());
        let count = || value.parse::<usize>().map_err(|_| bad());
        let flag = || value.parse::<bool>().map_err(|_| bad());
        match key {
            "similarity" => self.drain.similarity = num()?,
            "prefix_tokens" => self.drain.prefix_tokens = count()?,
            "var_agree" => self.drain.var_agree = num()? as f32,
            "min_siblings" => self.drain.min_siblings = count()?,
            "sibling_literals" => self.drain.sibling_literals = count()?,
            "max_stretch" => self.drain.max_stretch = count()?,
            "crossed" => self.drain.crossed = flag()?,
            "word_mismatch" => self.drain.word_mismatch = num()? as f32,
            "value_mismatch" => self.drain.value_mismatch = num()? as f32,
            "header.sample_lines" => self.header.sample_lines = count()?,
            "header.min_lines" => self.header.min_lines = count()?,
            "header.max_columns" => self.header.max_columns = count()?,
            "header.coverage" => self.header.coverage = num()?,
            "header.min_shape_share" => self.header.min_shape_share = num()?,
            "header.max_miss_share" => self.header.max_miss_share = num()?,
            "header.sandwiched" => self.header.sandwiched = flag()?,
            "header.labels" => self.header.labels = flag()?,
            "mask.kv_values" => self.mask.kv_values = flag()?,
            "mask.endpoints" => self.mask.endpoints = flag()?,
            "mask.paths" => self.mask.paths = flag()?,
            _ => return Err(format!("unknown miner setting {key:?}")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_apply_by_name_and_bad_ones_are_refused() {
        let mut c = MinerConfig::default();
        c.set("similarity=0.7").unwrap();
        c.set("header.sample_lines=0").unwrap();
        c.set("mask.paths=false").unwrap();
        assert_eq!(c.drain.similarity, 0.7);
        assert_eq!(c.header.sample_lines, 0);
        assert!(!c.mask.paths);
        for bad in ["similarity", "nope=1", "similarity=x", "mask.paths=1"] {
            assert!(c.set(bad).is_err(), "{bad}");
        }
    }
}
