//! TEMPORARY development knobs (environment overrides); removed before merge.
use std::collections::HashMap;
use std::sync::OnceLock;

pub(crate) fn knob(name: &str, default: f64) -> f64 {
    static K: OnceLock<HashMap<String, f64>> = OnceLock::new();
    let map = K.get_or_init(|| {
        std::env::vars()
            .filter_map(|(k, v)| Some((k.strip_prefix("BK_")?.to_string(), v.parse().ok()?)))
            .collect()
    });
    map.get(name).copied().unwrap_or(default)
}
