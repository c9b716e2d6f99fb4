//! Broken content is rejected with the file and field named, by the loader and by
//! `paperdeck check-content`.

use crate::common::cli::paperdeck;
use std::path::{Path, PathBuf};

fn copy_content() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    std::fs::create_dir_all(dir.path().join("papers")).unwrap();
    for f in ["concepts.toml", "glossary.toml"] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    for e in std::fs::read_dir(src.join("papers")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join("papers").join(e.file_name())).unwrap();
    }
    dir
}

fn edit(path: &PathBuf, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// (file to edit, text to replace, replacement, file named in the error, field named)
const BROKEN: &[(&str, &str, &str, &str, &str)] = &[
    (
        "papers/qlora.md",
        "title_zh = ",
        "title_cn = ",
        "papers/qlora.md",
        "title_cn",
    ),
    (
        "papers/qlora.md",
        "arxiv = \"2305.14314\"",
        "arxiv = \"qlora\"",
        "papers/qlora.md",
        "arxiv",
    ),
    (
        "papers/qlora.md",
        "slug = \"qlora\"",
        "slug = \"q-lora\"",
        "papers/qlora.md",
        "slug",
    ),
    (
        "papers/qlora.md",
        "order = 10",
        "order = 1",
        "papers/qlora.md",
        "order",
    ),
    (
        "papers/qlora.md",
        "## 入门解读",
        "## 解读",
        "papers/qlora.md",
        "正文",
    ),
    (
        "papers/qlora.md",
        "+++\n",
        "",
        "papers/qlora.md",
        "front matter",
    ),
    (
        "papers/qlora.md",
        "concept = \"quantization\"",
        "concept = \"quantum\"",
        "papers/qlora.md",
        ".concept",
    ),
    (
        "papers/qlora.md",
        "type = \"figure\"",
        "type = \"picture\"",
        "papers/qlora.md",
        ".type",
    ),
    (
        "papers/qlora.md",
        "section = \"figures\"",
        "section = \"appendix\"",
        "papers/qlora.md",
        ".section",
    ),
    (
        "papers/qlora.md",
        "year = 2023",
        "year = \"2023\"",
        "papers/qlora.md",
        "year",
    ),
    (
        "papers/llama.md",
        "month = 2",
        "month = 13",
        "papers/llama.md",
        "month",
    ),
    (
        "concepts.toml",
        "slug = \"lora\"",
        "slug = \"LoRA!\"",
        "concepts.toml",
        "slug",
    ),
    (
        "concepts.toml",
        "papers = [\"qlora\"]",
        "papers = [\"qlora\", \"gpt-5\"]",
        "concepts.toml",
        "papers",
    ),
    (
        "glossary.toml",
        "slug = \"transformer\"",
        "slug = \"pretraining\"",
        "glossary.toml",
        "slug",
    ),
    (
        "glossary.toml",
        "kind = \"term\"",
        "kind = \"thing\"",
        "glossary.toml",
        "kind",
    ),
    (
        "glossary.toml",
        "paper = \"palm\"",
        "paper = \"palm-2\"",
        "glossary.toml",
        "paper",
    ),
    (
        "papers/qlora.md",
        "unit = \"GB\"",
        "unit = \"GB\"\nbound = \"below\"",
        "papers/qlora.md",
        ".bound",
    ),
];

#[test]
fn broken_content_files_are_rejected_with_file_and_field() {
    for (file, from, to, want_file, want_field) in BROKEN {
        let dir = copy_content();
        edit(&dir.path().join(file), from, to);
        let err = paperdeck::content::load_dir(dir.path())
            .expect_err(&format!("{file}: {from} → {to} should be rejected"));
        assert!(
            err.0
                .iter()
                .any(|e| e.file.contains(want_file) && e.field.contains(want_field)),
            "{file}: {from} → {to}: wanted {want_file} / {want_field}, got {err}"
        );
    }
}

#[test]
fn the_shipped_content_passes_its_own_check() {
    let dir = copy_content();
    let content = paperdeck::content::load_dir(dir.path()).expect("content loads");
    assert_eq!(content.papers.len(), 10);
}

#[test]
fn check_content_exits_non_zero_and_names_the_file() {
    let dir = copy_content();
    let path = dir.path().to_str().unwrap();
    let ok = paperdeck(["check-content", path]);
    assert!(ok.ok, "{}", ok.stderr);

    edit(&dir.path().join("papers/bloom.md"), "hook = ", "hookk = ");
    let bad = paperdeck(["check-content", path]);
    assert!(!bad.ok);
    let err = bad.stderr;
    assert!(
        err.contains("papers/bloom.md") && err.contains("hookk"),
        "{err}"
    );
}

#[test]
fn the_server_refuses_to_start_on_broken_content() {
    let dir = copy_content();
    edit(
        &dir.path().join("papers/gpt-4.md"),
        "org = ",
        "organisation = ",
    );
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let content = dir.path().to_str().unwrap();
    let out = paperdeck([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--content",
        content,
        "--database",
        &db,
    ]);
    assert!(!out.ok);
    let err = out.stderr;
    assert!(err.contains("papers/gpt-4.md"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A fact that parses but makes a bad quiz item is caught by the lints, named by rule.
#[test]
fn check_content_fails_on_a_lint_and_names_the_rule() {
    let dir = copy_content();
    let fact =
        "\n[[facts]]\nkey = \"lint-fixture\"\ntype = \"figure\"\nconcept = \"quantization\"\n\
                section = \"figures\"\nquestion = \"微调需要超过多少 GB 显存？\"\nnumber = 780\n\
                unit = \"GB\"\nwhy = \"测试用。\"\n+++\n";
    edit(&dir.path().join("papers/qlora.md"), "\n+++\n", fact);
    let out = paperdeck(["check-content", dir.path().to_str().unwrap()]);
    assert!(!out.ok);
    let err = out.stderr;
    assert!(
        err.contains("[bound-words]") && err.contains("facts.lint-fixture"),
        "{err}"
    );
}
