//! Answer normalisation must never panic, and folding must be idempotent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paperdeck::text::normalize::{fold, matches, parse_quantity};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let once = fold(s);
    assert_eq!(fold(&once), once);
    if let Some(v) = parse_quantity(s) {
        assert!(v.is_finite());
    }
    let _ = matches(s, "700 亿个参数", &["70B".to_string()], Some(70e9));
    let _ = matches(s, "思维链", &[], None);
});
