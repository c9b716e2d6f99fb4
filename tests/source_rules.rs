//! Rules about the source itself that review found broken once and that a reader can check
//! mechanically: no function in `src/` over 80 lines (long functions were where the answer
//! handler had turned into a service layer), and every handler in `src/web/quiz.rs` under 30
//! lines (the handlers parse, call the quiz service, and render; nothing else).

use std::path::{Path, PathBuf};

const MAX_FN_LINES: usize = 80;
const MAX_QUIZ_HANDLER_LINES: usize = 30;

/// A function found in a source file: its name, first line (1-based) and length in lines.
#[derive(Debug, PartialEq)]
struct Function {
    name: String,
    line: usize,
    lines: usize,
}

/// The line with string and character literals emptied and a trailing `//` comment cut, so that
/// braces in them do not count.
fn code_of(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push_str("\"\"");
            }
            // a char literal like '{' (not a lifetime like 'a)
            '\'' if matches!(chars.clone().nth(1), Some('\'')) => {
                chars.next();
                chars.next();
                out.push_str("''");
            }
            '/' if chars.peek() == Some(&'/') => break,
            _ => out.push(c),
        }
    }
    out
}

/// The name of the function a line declares, if it declares one with a body.
fn declared(line: &str) -> Option<String> {
    let mut words = line.split_whitespace().skip_while(|w| {
        w.starts_with("pub")
            || ["async", "const", "unsafe", "extern", "\"C\"", "default"].contains(w)
    });
    if words.next()? != "fn" {
        return None;
    }
    let name: String = words
        .next()?
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Every function with a body in `text`, with its length from its first line to its closing
/// brace. Nested functions are listed too.
fn functions(text: &str) -> Vec<Function> {
    let lines: Vec<String> = text.lines().map(code_of).collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(name) = declared(line) else { continue };
        let mut depth = 0i32;
        let mut opened = false;
        for (end, l) in lines.iter().enumerate().skip(start) {
            for c in l.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if opened && depth == 0 {
                found.push(Function {
                    name,
                    line: start + 1,
                    lines: end - start + 1,
                });
                break;
            }
            // a declaration without a body (a trait's method, say)
            if !opened && l.trim_end().ends_with(';') {
                break;
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_function_in_src_is_over_80_lines() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    assert!(files.len() > 20, "found only {} files", files.len());
    let mut counted = 0;
    let mut long = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        for f in functions(&text) {
            counted += 1;
            if f.lines > MAX_FN_LINES {
                long.push(format!(
                    "{}:{} {} ({} lines)",
                    file.display(),
                    f.line,
                    f.name,
                    f.lines
                ));
            }
        }
    }
    assert!(
        counted > 300,
        "found only {counted} functions: is the scanner broken?"
    );
    assert!(
        long.is_empty(),
        "over {MAX_FN_LINES} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn quiz_handlers_stay_short() {
    let text = std::fs::read_to_string(src().join("web/quiz.rs")).expect("read");
    let handlers: Vec<Function> = functions(&text)
        .into_iter()
        .filter(|f| {
            let decl = text.lines().nth(f.line - 1).unwrap_or("");
            decl.contains("async fn")
        })
        .collect();
    assert!(handlers.len() >= 5, "found {handlers:?}");
    let long: Vec<_> = handlers
        .iter()
        .filter(|f| f.lines >= MAX_QUIZ_HANDLER_LINES)
        .collect();
    assert!(long.is_empty(), "handlers of 30 lines or more: {long:?}");
}

#[test]
fn the_scanner_measures_functions_as_written() {
    let body: String = (0..79)
        .map(|i| format!("    let x{i} = \"}}{{\";\n"))
        .collect();
    let text = format!(
        "pub async fn long(a: u8) -> u8 {{\n{body}}}\n\
         fn short() {{ let c = '{{'; }}\n\
         trait T {{\n    fn no_body(&self);\n    fn with_body(&self) {{\n        // }} {{\n    }}\n}}\n"
    );
    let found = functions(&text);
    let sizes: Vec<(&str, usize, usize)> = found
        .iter()
        .map(|f| (f.name.as_str(), f.line, f.lines))
        .collect();
    assert_eq!(
        sizes,
        [("long", 1, 81), ("short", 82, 1), ("with_body", 85, 3)]
    );
}

/// Tests start the server binary through `common::process::server_binary`, which
/// `bench/security-against.sh` points at another build (`PAPERDECK_BIN`) to show that a
/// finding's test fails there. A test naming cargo's binary itself would quietly test this tree
/// again, and report a fix where the old build has none.
#[test]
fn tests_start_the_binary_through_server_binary() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"),
        &mut files,
    );
    assert!(files.len() > 20, "found only {} files", files.len());
    let needle = ["CARGO_BIN_EXE", "_paperdeck"].concat();
    let found: Vec<String> = files
        .iter()
        .filter(|f| !f.ends_with("common/process.rs"))
        .filter(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains(&needle)))
        .map(|f| f.display().to_string())
        .collect();
    assert!(found.is_empty(), "use server_binary() in: {found:?}");
}
