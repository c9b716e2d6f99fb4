//! Paper summaries and the concept glossary.
//!
//! The files under `content/` are compiled into the binary ([`embedded`]); `--content DIR` reads
//! the same layout from disk ([`load_dir`]). Both go through [`parse::parse`], which validates
//! everything, so the server never starts with half the content.

pub mod markdown;
pub mod model;
pub mod names;
pub mod parse;

pub use model::*;
pub use parse::{ContentError, ContentErrors, SourceFile};

use include_dir::{include_dir, Dir};
use std::path::Path;

static EMBEDDED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/content");

/// The content compiled into the binary.
pub fn embedded() -> Result<Content, ContentErrors> {
    // The embedded files never change within a process, and parsing renders every page (notes
    // on terms included): parse once, hand out copies. Test binaries start dozens of apps.
    static PARSED: std::sync::OnceLock<Content> = std::sync::OnceLock::new();
    if let Some(content) = PARSED.get() {
        return Ok(content.clone());
    }
    let content = parse::parse(&embedded_files())?;
    Ok(PARSED.get_or_init(|| content).clone())
}

/// The content files compiled into the binary, as [`parse::parse`] takes them; tests edit
/// copies of them to build broken trees.
pub(crate) fn embedded_files() -> Vec<SourceFile> {
    let mut files = Vec::new();
    collect_embedded(&EMBEDDED, &mut files);
    files
}

fn collect_embedded(dir: &Dir<'_>, out: &mut Vec<SourceFile>) {
    for f in dir.files() {
        if let Some(text) = f.contents_utf8() {
            out.push(SourceFile {
                path: f.path().to_string_lossy().replace('\\', "/"),
                text: text.to_string(),
            });
        }
    }
    for d in dir.dirs() {
        collect_embedded(d, out);
    }
}

/// Reads a content tree from disk: `concepts.toml`, `papers/*.md` and the optional
/// `glossary.toml` and `timeline.toml`.
pub fn load_dir(root: &Path) -> Result<Content, ContentErrors> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut read = |rel: String| {
        let path = root.join(&rel);
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.push(SourceFile { path: rel, text }),
                Err(_) => errors.push(ContentError {
                    file: rel,
                    field: "(文件)".into(),
                    message: "不是合法的 UTF-8 文本 (not valid UTF-8)".into(),
                }),
            },
            Err(e) => errors.push(ContentError {
                file: rel,
                field: "(文件)".into(),
                message: format!("无法读取 (cannot read): {e}"),
            }),
        }
    };
    if root.join(parse::CONCEPTS_FILE).exists() {
        read(parse::CONCEPTS_FILE.to_string());
    }
    for optional in [parse::GLOSSARY_FILE, parse::TIMELINE_FILE] {
        if root.join(optional).exists() {
            read(optional.to_string());
        }
    }
    match std::fs::read_dir(root.join(parse::PAPERS_DIR)) {
        Ok(entries) => {
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".md"))
                .collect();
            names.sort();
            for n in names {
                read(format!("{}/{n}", parse::PAPERS_DIR));
            }
        }
        Err(e) => errors.push(ContentError {
            file: format!("{}/{}", root.display(), parse::PAPERS_DIR),
            field: "(目录)".into(),
            message: format!("无法读取目录 (cannot read directory): {e}"),
        }),
    }
    match parse::parse(&files) {
        Ok(c) if errors.is_empty() => Ok(c),
        Ok(_) => Err(ContentErrors(errors)),
        Err(ContentErrors(more)) => {
            errors.extend(more);
            Err(ContentErrors(errors))
        }
    }
}
