//! The layering of the crate's top-level modules (ARCHITECTURE.md, "Layers"): no import
//! cycle between them, and none of the forbidden edges. An edge `a -> b` is a `crate::b`
//! path in any file of `src/a.rs` or `src/a/`, outside comments and outside items under
//! `#[cfg(test)]` (unit tests may reach anywhere).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges that must not exist even without a cycle: the engine and the labs know nothing of
/// the command line or the terminal; linear algebra knows nothing of the labs.
const FORBIDDEN: &[(&str, &str)] = &[
    ("nn", "headless"),
    ("nn", "labs"),
    ("nn", "tui"),
    ("tui", "headless"),
    ("linalg", "labs"),
    ("labs", "tui"),
    ("labs", "headless"),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_module(name: &str) -> bool {
    src().join(format!("{name}.rs")).is_file() || src().join(name).is_dir()
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The code of a file as the check reads it: without `//` comments, and without every item
/// under `#[cfg(test)]` (a `mod tests { … }` block, a `mod toy;`, a `match` arm).
fn code(text: &str) -> String {
    let text: Vec<&str> = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect();
    let mut text = text.join("\n");
    while let Some(at) = text.find("#[cfg(test)]") {
        let item = at + "#[cfg(test)]".len();
        let end = match text[item..].find(['{', ';', ',']).map(|i| item + i) {
            Some(open) if text[open..].starts_with('{') => {
                let mut depth = 0usize;
                let close = text[open..].char_indices().find_map(|(i, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    (depth == 0).then_some(open + i)
                });
                close.map_or(text.len(), |c| c + 1)
            }
            Some(end) => end + 1,
            None => text.len(),
        };
        text.replace_range(at..end, "");
    }
    text
}

/// The modules `lib.rs` declares under `#[cfg(test)]` (the plug-in tests): not part of the
/// crate a user builds.
fn test_only_modules() -> Vec<String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("src/lib.rs is readable");
    let lines: Vec<&str> = lib.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|w| w[0] == "#[cfg(test)]")
        .filter_map(|w| w[1].trim_start_matches("pub ").strip_prefix("mod "))
        .map(|m| m.trim_end_matches(';').to_string())
        .collect()
}

/// The names a file reaches through `crate::`: `crate::name`, and the first name of every
/// item of a `use crate::{a, b::{c, d}}` group (`a`, `b`).
fn crate_names(code: &str) -> Vec<String> {
    let word = |s: &str| s.chars().take_while(|&c| is_word(c)).collect::<String>();
    let mut names = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if code[..at].chars().next_back().is_some_and(is_word) {
            continue; // `mycrate::`
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The items at the group's top level: `labs::{LabId, x}` is `labs`.
            let (mut depth, mut item) = (0usize, String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(word(item.trim_start()));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            names.push(word(item.trim_start()));
        } else {
            names.push(word(rest));
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

/// module -> (module it imports -> the files that do).
fn edges() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let test_only = test_only_modules();
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(src()).expect("under src/");
        let top = rel.components().next().expect("a path in src/");
        let top = top.as_os_str().to_string_lossy();
        let module = top.trim_end_matches(".rs").to_string();
        if top == "main.rs" || top == "lib.rs" || test_only.contains(&module) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a source file is readable");
        for name in crate_names(&code(&text)) {
            if name != module && is_module(&name) {
                edges
                    .entry(module.clone())
                    .or_default()
                    .entry(name)
                    .or_default()
                    .insert(format!("src/{}", rel.display()));
            }
        }
    }
    edges
}

fn reachable(
    edges: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    from: &str,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(m) = todo.pop() {
        for next in edges.get(&m).into_iter().flat_map(|e| e.keys()) {
            if seen.insert(next.clone()) {
                todo.push(next.clone());
            }
        }
    }
    seen
}

#[test]
fn top_level_modules_form_a_dag_without_forbidden_edges() {
    let edges = edges();
    let mut problems = Vec::new();
    for (a, out) in &edges {
        for (b, files) in out {
            if reachable(&edges, b).contains(a) {
                let files: Vec<_> = files.iter().map(String::as_str).collect();
                problems.push(format!("cycle edge {a} -> {b} (in {})", files.join(", ")));
            }
        }
    }
    for (a, b) in FORBIDDEN {
        if let Some(files) = edges.get(*a).and_then(|out| out.get(*b)) {
            let files: Vec<_> = files.iter().map(String::as_str).collect();
            problems.push(format!(
                "forbidden edge {a} -> {b} (in {})",
                files.join(", ")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The scan sees the edges that exist: the check cannot pass by reading nothing.
    assert!(edges["tui"].contains_key("labs") && edges["headless"].contains_key("run"));
}

#[test]
fn the_scan_reads_groups_and_skips_comments_and_unit_tests() {
    let text = "use crate::{labs::{LabId, x}, run::Runner};\n\
                // crate::tui in a comment\n\
                #[cfg(test)]\nuse crate::headless;\n\
                let a = crate::report::Report::new;\n\
                #[cfg(test)]\nmod tests {\n fn f() { crate::sweep::x(); }\n}\n\
                match x { #[cfg(test)]\n A => crate::demo::y(), B => crate::io::z() }";
    assert_eq!(crate_names(&code(text)), ["labs", "run", "report", "io"]);
}

#[test]
fn architecture_md_lists_the_forbidden_edges() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .expect("ARCHITECTURE.md is readable");
    for (a, b) in FORBIDDEN {
        let edge = format!("`{a}` → `{b}`");
        assert!(doc.contains(&edge), "ARCHITECTURE.md does not list {edge}");
    }
}
