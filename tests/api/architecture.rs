//! The layers, checked on the source tree: persistence, the web framework and the pure core
//! each stay where `docs/ARCHITECTURE.md` puts them. A new file that crosses a line fails
//! here, with the line that crosses it.

use std::path::{Path, PathBuf};

/// Every Rust file under `src/`, with its path relative to the crate root.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable source tree") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable source file");
            (p.strip_prefix(root).expect("under the crate").to_string_lossy().replace('\\', "/"), text)
        })
        .collect()
}

/// The lines of files outside `allowed` that use something `mentions` recognises.
fn crossings(allowed: &[&str], mentions: impl Fn(&str) -> bool) -> Vec<String> {
    sources()
        .into_iter()
        .filter(|(path, _)| !allowed.iter().any(|a| path.starts_with(a)))
        .flat_map(|(path, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, line)| {
                    let code = line.trim_start();
                    !code.starts_with("//") && mentions(code)
                })
                .map(|(n, line)| format!("{path}:{}: {}", n + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn only_db_uses_diesel() {
    let found = crossings(&["src/db/"], |code| code.contains("diesel::") || code.starts_with("use diesel"));
    assert!(found.is_empty(), "diesel outside src/db/:\n{}", found.join("\n"));
}

#[test]
fn only_http_and_startup_use_actix() {
    let found = crossings(&["src/http/", "src/startup.rs"], |code| code.contains("actix"));
    assert!(found.is_empty(), "actix outside src/http/ and src/startup.rs:\n{}", found.join("\n"));
}

#[test]
fn the_domain_imports_nothing_of_hearth() {
    let outside = |code: &str| code.contains("crate::") || code.contains("hearth::") || code.contains("super::super");
    let found: Vec<String> = crossings(&[], outside).into_iter().filter(|l| l.starts_with("src/domain/")).collect();
    assert!(found.is_empty(), "src/domain/ must stay pure:\n{}", found.join("\n"));
}

#[test]
fn nothing_below_http_calls_into_it() {
    let found = crossings(&["src/http/", "src/startup.rs", "src/lib.rs"], |code| code.contains("crate::http"));
    assert!(found.is_empty(), "only startup wires http in:\n{}", found.join("\n"));
}

#[test]
fn no_source_file_is_over_600_lines() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter_map(|(path, text)| {
            let n = text.lines().count();
            (n > 600).then(|| format!("{path}: {n} lines"))
        })
        .collect();
    assert!(long.is_empty(), "split these along their seams:\n{}", long.join("\n"));
}
