//! The content parser must turn any paper file into content or a list of errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paperdeck::content::{parse::parse, SourceFile};

const CONCEPTS: &str = r#"
[[concepts]]
slug = "pretraining"
name = "预训练"
en = "pretraining"
papers = ["fuzz"]
summary = "s"
body = "b"
"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let files = [
        SourceFile { path: "concepts.toml".into(), text: CONCEPTS.into() },
        SourceFile { path: "papers/fuzz.md".into(), text: text.into() },
    ];
    if let Ok(content) = parse(&files) {
        let _ = paperdeck::cards::generate(&content, 1);
    }
});
