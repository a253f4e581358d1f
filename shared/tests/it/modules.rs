//! The modules of `shared/src` depend one way, lowest first (config → message → provider → ingest → adapters):
//! this reads every module's paths into the crate (`use crate::…`, `super::…`, paths in code, and re-exports
//! followed to where the item lives) and fails on any cycle, naming it. A module may use its ancestors
//! (`super::`); a parent's references to its own submodules are containment, not dependency.
//! The contract (`rollcall_contract`: kind, message, payload, the providers' payload types) is below them all, and
//! that the crate edge enforces: cargo refuses a crate that depends on its dependent, so no contract module can
//! import one of `rollcall`'s, and this test does not look for it. What the edge does not cover is checked here:
//! the order among `rollcall`'s own modules, and the order among the contract's (`contract/src`: kind → message →
//! provider → payload).
//! Unit-test modules (`#[cfg(test)] mod tests {` to the end of a file, or a `tests.rs` of their own) and comments
//! are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module's path in the crate, e.g. `["provider", "wix"]`; the crate root is empty.
type ModPath = Vec<String>;

/// Every module of the crate with its source, test modules cut off.
fn modules(src: &Path) -> BTreeMap<ModPath, String> {
    fn walk(dir: &Path, prefix: &ModPath, out: &mut BTreeMap<ModPath, String>) {
        for entry in std::fs::read_dir(dir).expect("src folder") {
            let path = entry.expect("entry").path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let mut module = prefix.clone();
            if path.is_dir() {
                module.push(name);
                walk(&path, &module, out);
                continue;
            }
            // A test module in a file of its own (`#[cfg(test)] mod tests;`) is test code too.
            if path.extension().is_none_or(|e| e != "rs") || name == "tests" {
                continue;
            }
            if !matches!(name.as_str(), "lib" | "mod") {
                module.push(name);
            }
            let text = std::fs::read_to_string(&path).expect("source");
            let code = text
                .split("#[cfg(test)]\nmod tests {")
                .next()
                .unwrap_or_default();
            // Comments (doc links included) are not dependencies.
            let code: Vec<&str> = code
                .lines()
                .map(|line| line.split("//").next().unwrap_or_default())
                .collect();
            out.insert(module, code.join("\n"));
        }
    }
    let mut out = BTreeMap::new();
    walk(src, &Vec::new(), &mut out);
    out
}

/// The paths in `code` that start at `crate`, `super` or `self`, with `use` groups (`crate::{a, b::{c}}`)
/// expanded, as segments.
fn paths(code: &str) -> Vec<Vec<String>> {
    fn expand(text: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let text = text.trim();
        if let Some(open) = text.find('{') {
            let mut base = prefix.to_vec();
            base.extend(segments(&text[..open]));
            let inner = &text[open + 1..text.rfind('}').unwrap_or(text.len())];
            let (mut depth, mut start) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&inner[start..i], &base, out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand(&inner[start..], &base, out);
        } else {
            let mut path = prefix.to_vec();
            path.extend(segments(text.split(" as ").next().unwrap_or_default()));
            out.push(path);
        }
    }
    fn segments(text: &str) -> Vec<String> {
        text.split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for root in ["crate::", "super::", "self::"] {
        for (at, _) in code.match_indices(root) {
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            // A path runs over identifiers, `::` and, in `use` items, one balanced brace group.
            let rest = &code[at..];
            let mut end = 0;
            let mut depth = 0;
            for (i, c) in rest.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth > 0 => depth -= 1,
                    c if depth > 0 || c.is_alphanumeric() || c == '_' || c == ':' => {}
                    ',' | ' ' | '\n' if depth > 0 => {}
                    _ if depth == 0 => break,
                    _ => {}
                }
                end = i + c.len_utf8();
            }
            expand(&rest[..end], &[], &mut out);
        }
    }
    out
}

/// The module a path names, from `module`: its longest prefix that is a module, with a re-exported item
/// followed to the module it comes from.
fn resolve(
    module: &ModPath,
    path: &[String],
    known: &BTreeMap<ModPath, String>,
    reexports: &BTreeMap<(ModPath, String), ModPath>,
) -> ModPath {
    let mut at: ModPath = Vec::new();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => rest = &path[1..],
        Some("self") => (at, rest) = (module.clone(), &path[1..]),
        Some("super") => {
            at = module.clone();
            while rest.first().is_some_and(|s| s == "super") {
                at.pop();
                rest = &rest[1..];
            }
        }
        _ => {}
    }
    for segment in rest {
        let mut next = at.clone();
        next.push(segment.clone());
        if known.contains_key(&next) {
            at = next;
        } else if let Some(origin) = reexports.get(&(at.clone(), segment.clone())) {
            return origin.clone();
        } else {
            break;
        }
    }
    at
}

/// Each module's dependencies on other modules (not on its own submodules).
fn graph(src: &Path) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let known = modules(src);
    // `pub use a::b::Item;` in a module: `Item` there comes from `a::b`.
    let mut reexports = BTreeMap::new();
    for (module, code) in &known {
        for line in code.lines().map(str::trim) {
            let Some(item) = line.strip_prefix("pub use ") else {
                continue;
            };
            let mut used = Vec::new();
            let local = item.trim_end_matches(';');
            let rooted = if local.starts_with("crate::") || local.starts_with("super::") {
                local.to_owned()
            } else {
                format!("self::{local}")
            };
            for path in paths(&rooted) {
                used.push(path);
            }
            for path in used {
                let Some(name) = path.last() else { continue };
                let origin = resolve(module, &path[..path.len() - 1], &known, &BTreeMap::new());
                reexports.insert((module.clone(), name.clone()), origin);
            }
        }
    }
    let mut graph = BTreeMap::new();
    for (module, code) in &known {
        let mut deps = BTreeSet::new();
        for path in paths(code) {
            let target = resolve(module, &path, &known, &reexports);
            if !target.starts_with(module) {
                deps.insert(target);
            }
        }
        graph.insert(module.clone(), deps);
    }
    graph
}

/// A cycle of `graph`, if it has one, as the modules along it.
fn cycle(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Option<Vec<ModPath>> {
    fn visit(
        node: &ModPath,
        graph: &BTreeMap<ModPath, BTreeSet<ModPath>>,
        stack: &mut Vec<ModPath>,
        done: &mut BTreeSet<ModPath>,
    ) -> Option<Vec<ModPath>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut found = stack[at..].to_vec();
            found.push(node.clone());
            return Some(found);
        }
        if !done.insert(node.clone()) {
            return None;
        }
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, stack, done) {
                return Some(found);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn name(module: &ModPath) -> String {
    if module.is_empty() {
        "crate".into()
    } else {
        module.join("::")
    }
}

#[test]
fn the_crate_modules_depend_one_way() {
    modules_depend_one_way(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), "ingest");
}

#[test]
fn the_contract_modules_depend_one_way() {
    let contract = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contract/src");
    modules_depend_one_way(&contract, "payload");
}

/// Fails on a cycle among the modules of the crate whose sources are in `src`; `module` is one it must have
/// (a check that the walk found the crate).
fn modules_depend_one_way(src: &Path, module: &str) {
    let graph = graph(src);
    if std::env::var_os("SHOW_GRAPH").is_some() {
        for (m, deps) in &graph {
            eprintln!(
                "{} -> {}",
                name(m),
                deps.iter().map(name).collect::<Vec<_>>().join(", ")
            );
        }
    }
    assert!(graph.contains_key(&vec![module.to_owned()]), "{graph:?}");
    if let Some(found) = cycle(&graph) {
        let names: Vec<String> = found.iter().map(name).collect();
        panic!("modules import each other: {}", names.join(" → "));
    }
}

#[test]
fn a_cycle_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let write = |file: &str, text: &str| std::fs::write(dir.path().join(file), text).unwrap();
    write("lib.rs", "pub mod a;\npub mod b;\npub use a::Thing;\n");
    write(
        "a.rs",
        "use crate::b::{Other, more::{X}};\npub struct Thing;\n",
    );
    write(
        "b.rs",
        "pub struct Other;\nfn f() -> crate::Thing { crate::Thing }\n",
    );
    let graph = graph(dir.path());
    let found = cycle(&graph).expect("a → b → a");
    let names: Vec<String> = found.iter().map(name).collect();
    assert!(
        names.contains(&"a".into()) && names.contains(&"b".into()),
        "{names:?}"
    );
}

/// The longest a Rust file of the workspace may be: past it, a file holds more than one concern and is split.
const MAX_LINES: usize = 700;

#[test]
fn no_rust_file_of_the_workspace_is_over_the_line_limit() {
    fn walk(dir: &Path, long: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("folder") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    walk(&path, long);
                }
            } else if name.ends_with(".rs") {
                let lines = std::fs::read_to_string(&path)
                    .expect("source")
                    .lines()
                    .count();
                if lines > MAX_LINES {
                    long.push(format!("{} ({lines} lines)", path.display()));
                }
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut long = Vec::new();
    for crate_dir in ["contract", "shared", "functions", "cli", "testkit"] {
        walk(&root.join(crate_dir), &mut long);
    }
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}
