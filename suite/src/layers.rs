//! The import graph of a crate's `src/`, read from its text, for the tests that keep the layers
//! one-way (this crate's in `lib.rs`; the reference server includes this file for its own).
//!
//! An edge is a `crate::a::b` path (`use` groups included) or a `super::x` path, resolved to the
//! longest module that exists as a file. Comments and the trailing `#[cfg(test)] mod tests` are
//! left out: tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module as its path from the crate root (`["wire", "sse"]`; `[]` is the root).
pub type Module = Vec<String>;

/// Every module file below `src` (a `main.rs` is another crate root and is left out).
pub fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).expect("below src").with_extension("");
            let mut module: Module = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            match module.last().map(String::as_str) {
                Some("main") if module.len() == 1 => continue,
                Some("lib") if module.len() == 1 => module.clear(),
                Some("mod") => {
                    module.pop();
                }
                _ => {}
            }
            found.insert(module, path);
        }
    }
    found
}

/// The module each file uses, by file.
pub fn edges(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let modules = modules(src);
    let mut edges = BTreeMap::new();
    for (module, path) in &modules {
        let text = code_of(&std::fs::read_to_string(path).unwrap_or_default());
        let mut uses = BTreeSet::new();
        for used in paths_used(&text, module) {
            if let Some(target) = resolve(&modules, &used)
                && &target != module
            {
                uses.insert(target);
            }
        }
        edges.insert(module.clone(), uses);
    }
    edges
}

/// Edges against `layers` (a top-level module may use only modules of a lower layer, or its own
/// files; the root is left out) and cycles between files (a parent and its own child aside).
pub fn violations(src: &Path, layers: &[(&str, u8)]) -> Vec<String> {
    let edges = edges(src);
    let name = |m: &Module| {
        if m.is_empty() {
            "crate".to_string()
        } else {
            m.join("::")
        }
    };
    let layer_of = |m: &Module| {
        m.first()
            .and_then(|top| layers.iter().find(|(n, _)| n == top))
            .map(|(_, l)| *l)
    };
    let mut found = Vec::new();
    for (from, tos) in &edges {
        let Some(from_top) = from.first() else { continue };
        let Some(from_layer) = layer_of(from) else {
            found.push(format!(
                "{}: its top-level module has no layer in the table",
                name(from)
            ));
            continue;
        };
        for to in tos {
            match (to.first(), layer_of(to)) {
                (None, _) => {}
                (Some(top), _) if top == from_top => {}
                (Some(_), Some(to_layer)) if to_layer < from_layer => {}
                (Some(_), Some(to_layer)) => found.push(format!(
                    "{} (layer {from_layer}) uses {} (layer {to_layer}): against the layers",
                    name(from),
                    name(to)
                )),
                (Some(_), None) => found.push(format!("{}: no layer in the table", name(to))),
            }
        }
    }
    for cycle in cycles(&edges) {
        found.push(format!(
            "cycle: {}",
            cycle.iter().map(name).collect::<Vec<_>>().join(" <-> ")
        ));
    }
    found
}

/// Fails the calling test with every violation of `layers` in the crate at `manifest_dir`.
pub fn assert_layers(manifest_dir: &str, layers: &[(&str, u8)]) {
    let violations = violations(&Path::new(manifest_dir).join("src"), layers);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// Strongly connected groups of more than one file, parent/child edges left out.
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    let parent_child = |a: &Module, b: &Module| {
        (b.len() == a.len() + 1 && b.starts_with(a)) || (a.len() == b.len() + 1 && a.starts_with(b))
    };
    let reaches = |from: &Module| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(m) = stack.pop() {
            for next in edges.get(&m).into_iter().flatten() {
                if !parent_child(&m, next) && seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    // Small graphs: reachability both ways groups the files of each cycle.
    let reach: BTreeMap<&Module, BTreeSet<Module>> = edges.keys().map(|m| (m, reaches(m))).collect();
    let mut grouped = BTreeSet::new();
    let mut found = Vec::new();
    for m in edges.keys() {
        if grouped.contains(m) || !reach[m].contains(m) {
            continue;
        }
        let group: Vec<Module> = edges
            .keys()
            .filter(|other| reach[m].contains(*other) && reach[*other].contains(m))
            .cloned()
            .collect();
        grouped.extend(group.iter().cloned());
        found.push(group);
    }
    found
}

/// The longest existing module that `path` starts with.
fn resolve(modules: &BTreeMap<Module, PathBuf>, path: &[String]) -> Option<Module> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|candidate| modules.contains_key(candidate))
}

/// The text without comments and without the test module that closes the file.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module path `text` names through `crate::` or `super::`, as a path from the root.
fn paths_used(text: &str, module: &Module) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        let boundary = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        if boundary && rest.starts_with("crate::") {
            let (paths, used) = group(&rest["crate::".len()..]);
            found.extend(paths);
            at += "crate::".len() + used.max(1);
        } else if boundary && rest.starts_with("super::") {
            let mut base = module.clone();
            let mut tail = rest;
            while let Some(after) = tail.strip_prefix("super::") {
                base.pop();
                tail = after;
            }
            let (paths, used) = group(tail);
            found.extend(paths.into_iter().map(|p| [base.clone(), p].concat()));
            at += rest.len() - tail.len() + used.max(1);
        } else {
            at += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

/// Parses `a::b::{c, d::e}` at the start of `text`: the paths it names, and how many bytes it took.
fn group(text: &str) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    let mut at = 0;
    loop {
        let ident: String = text[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !ident.is_empty() {
            at += ident.len();
            prefix.push(ident);
            if text[at..].starts_with("::") {
                at += 2;
                continue;
            }
            return (vec![prefix], at);
        }
        if text[at..].starts_with('{') {
            at += 1;
            let mut paths = Vec::new();
            loop {
                let skipped = text[at..].len() - text[at..].trim_start_matches([' ', '\n', ',', '\t']).len();
                at += skipped;
                if text[at..].starts_with('}') || at >= text.len() {
                    return (paths, at + 1);
                }
                let (inner, used) = group(&text[at..]);
                paths.extend(inner.into_iter().map(|p| [prefix.clone(), p].concat()));
                at += used.max(1);
                // `x as y`: the alias names nothing further.
                if let Some(alias) = text[at..].trim_start().strip_prefix("as ") {
                    let name_len = alias.chars().take_while(|c| c.is_alphanumeric() || *c == '_').count();
                    at = text.len() - alias.len() + name_len;
                }
            }
        }
        return (vec![prefix], at);
    }
}
