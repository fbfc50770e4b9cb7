//! The top-level modules of `src/` form layers, and imports only point down.
//! `FLOORS` declares them once, bottom first; a module may name modules on
//! lower floors, and on its own floor only where `FLOORS` says so. A cycle
//! is how "one model" decays into everything knowing everything, so CI also
//! fails on the first one, whatever the floors say.
//!
//! A dependency is any `crate::NAME` path (or a `super::` path that climbs
//! to the crate root) in a module's non-test code: the files the module tree
//! reaches from `lib.rs` through `mod` items that are not `#[cfg(test)]`,
//! read whole, without comments, string literals, or `#[cfg(test)]` items
//! (an inline `mod tests { … }` anywhere, a `#[cfg(test)] fn`, `use`, …).

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The floors, bottom first. STYLE.md's "Layers, one way down" is the start;
/// where the code shows a better order, the order here is the code's:
///
/// - `text`, then `model`: the one text policy, and plain data. `model` now
///   holds what the cloud answers (streams, keys, metrics, CloudTrail
///   events), so nothing above the cloud needs `cloud` to name a stream; it
///   reads `text` (CloudTrail callers are bounded there).
/// - `journal` and `crash`: the file primitives every store writes with, and
///   the panic log.
/// - `cloud`: the trait and its clients, knowing only the ground.
/// - `config`: reads files into plain values. STYLE put it on the ground
///   beside `model`; it reads files through `journal`, so it sits above it,
///   and below everything that is configured: it knows neither keymap (which
///   builds its map from config's bindings), quota nor cloud.
/// - The stores and readers of facts, each above what it reads: `keymap`,
///   `audit` and `quota` (the ledger); `trail` (CloudTrail history, which
///   counts quota), `health` (judges quotas) and `preflight` (checks a
///   change against the quota); `inventory` (judges health); `cache`,
///   `estate` and `alerts`.
/// - The flows: `change`, and on it `key_rotation` (a key's material,
///   checked like a stream's change) and `settle`. `worker` runs flows for
///   the dashboard and owns each target's cloud.
/// - `fleet` is the store of what is known per target, filled from the
///   workers' events and routing the app's commands to them, so it sits
///   above `worker` (STYLE puts the model low; the store is the part of the
///   model that speaks the worker's vocabulary). `status` reads targets
///   through the same rules and twin and sum helpers, so it sits above
///   `fleet`, below `app`.
/// - `app` is state and update, `ui` draws it. `terminal` guards the screen
///   for `dashboard`, the event loop; `cli` (clap, the commands' drivers,
///   every command's printing) is the top: nothing below prints to the
///   terminal or takes a clap type.
const FLOORS: &[&[&str]] = &[
    &["text"],
    &["model"],
    &["journal", "crash"],
    &["cloud"],
    &["config"],
    &["keymap", "audit", "quota"],
    &["trail", "health", "preflight"],
    &["inventory"],
    &["cache", "estate", "alerts"],
    &["change"],
    &["key_rotation", "settle"],
    &["worker"],
    &["fleet"],
    &["status"],
    &["app"],
    &["ui"],
    &["terminal"],
    &["dashboard"],
    &["cli"],
];

/// Same-floor imports that are allowed: none. Kept as a list so that one,
/// if ever needed, is declared here with its reason, not found by accident.
const SAME_FLOOR: &[(&str, &str)] = &[];

/// Upward imports known and being removed elsewhere (issue 25: the typed
/// identity and the one fleet store rewrite these files in a branch of
/// their own): `(module, imports, file)`. The test fails on any other, and
/// on an entry here the code no longer has, so the list only shrinks.
const PENDING: &[(&str, &str, &str)] = &[];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `.rs` file under `src/`, by its path relative to `src/`.
fn source_tree() -> BTreeMap<PathBuf, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            (f.strip_prefix(&src).unwrap().to_path_buf(), text)
        })
        .collect()
}

/// The source with comments gone and string and char literals emptied, so
/// neither can hold a `crate::` or a brace that is not code.
fn strip_comments_and_strings(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r'
            && matches!(next, Some('"' | '#'))
            && !ident_char(b.get(i.wrapping_sub(1)))
        {
            // A raw string: r"…", r#"…"#, as many hashes as it opened with.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                i += if b[i] == '\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{1F600}'), or a lifetime ('a).
            let close = if next == Some('\\') {
                (i + 2..b.len().min(i + 12)).find(|&k| b[k] == '\'')
            } else {
                (b.get(i + 2) == Some(&'\'')).then_some(i + 2)
            };
            match close {
                Some(k) => {
                    out.push_str("' '");
                    i = k + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// The end (exclusive) of the item starting at `start`: its `;` or its
/// matching `}`, whichever closes it first outside brackets.
fn item_end(code: &[char], start: usize) -> usize {
    let mut depth = 0i32;
    let mut i = start;
    while i < code.len() {
        match code[i] {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ';' if depth == 0 => return i + 1,
            '{' if depth == 0 => {
                let mut braces = 0;
                while i < code.len() {
                    match code[i] {
                        '{' => braces += 1,
                        '}' => {
                            braces -= 1;
                            if braces == 0 {
                                return i + 1;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                return code.len();
            }
            _ => {}
        }
        i += 1;
    }
    code.len()
}

/// The code without `#[cfg(test)]` items, and the names of the `mod NAME;`
/// items left (the module's children in files of their own).
fn production_code(text: &str) -> (String, Vec<String>) {
    const CFG_TEST: &str = "#[cfg(test)]";
    let code: Vec<char> = strip_comments_and_strings(text).chars().collect();
    let mut kept = String::new();
    let mut i = 0;
    while i < code.len() {
        if code[i..].starts_with(&CFG_TEST.chars().collect::<Vec<_>>()) {
            i = item_end(&code, i + CFG_TEST.len());
        } else {
            kept.push(code[i]);
            i += 1;
        }
    }
    let mut mods = Vec::new();
    let words: Vec<&str> = kept
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ';'))
        .filter(|w| !w.is_empty())
        .collect();
    for pair in words.windows(2) {
        if pair[0] == "mod" {
            if let Some(name) = pair[1].strip_suffix(';') {
                mods.push(name.to_string());
            }
        }
    }
    (kept, mods)
}

/// The file of module `name` declared in `parent`, if the tree has it.
fn child_file(tree: &BTreeMap<PathBuf, String>, parent: &Path, name: &str) -> Option<PathBuf> {
    let stem = parent.file_stem().unwrap().to_string_lossy();
    let dir = parent.parent().unwrap_or(Path::new(""));
    let dir = if stem == "mod" || stem == "lib" || stem == "main" {
        dir.to_path_buf()
    } else {
        dir.join(&*stem)
    };
    [
        dir.join(format!("{name}.rs")),
        dir.join(name).join("mod.rs"),
    ]
    .into_iter()
    .find(|p| tree.contains_key(p))
}

/// One import across top-level modules, and the file it is in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Import {
    from: String,
    to: String,
    file: PathBuf,
}

/// Every import between top-level modules in the production code the module
/// tree reaches from `lib.rs`.
fn imports(tree: &BTreeMap<PathBuf, String>) -> BTreeSet<Import> {
    let mut found = BTreeSet::new();
    let mut todo: Vec<(PathBuf, Vec<String>)> = vec![(PathBuf::from("lib.rs"), Vec::new())];
    while let Some((file, path)) = todo.pop() {
        let (code, mods) = production_code(&tree[&file]);
        for name in mods {
            if let Some(child) = child_file(tree, &file, &name) {
                let mut p = path.clone();
                p.push(name);
                todo.push((child, p));
            }
        }
        let Some(top) = path.first() else { continue };
        for to in named_modules(&code, path.len()) {
            if &to != top {
                found.insert(Import {
                    from: top.clone(),
                    to,
                    file: file.clone(),
                });
            }
        }
    }
    found
}

/// The top-level modules `code` names: `crate::NAME`, the names inside
/// `crate::{…}` at its top level, and `super::` paths that climb `depth`
/// levels to the crate root.
fn named_modules(code: &str, depth: usize) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = code.len() - rest.len() + i;
        rest = &rest[i + "crate::".len()..];
        if code[..before].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            names.extend(group_heads(group));
        } else {
            names.insert(ident(rest));
        }
    }
    let supers = "super::".repeat(depth);
    let mut rest = code;
    while let Some(i) = rest.find(&supers) {
        rest = &rest[i + supers.len()..];
        if rest.starts_with("super::") {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            names.extend(group_heads(group));
        } else {
            names.insert(ident(rest));
        }
    }
    names.retain(|n| !n.is_empty() && n != "self");
    names
}

/// The first name of each path in a `{a, b::c, d::{e, f}}` group (the text
/// after its `{`), up to the group's `}`.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_start = true;
    let mut current = String::new();
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                if !current.is_empty() {
                    heads.push(std::mem::take(&mut current));
                }
                at_start = true;
                continue;
            }
            _ => {}
        }
        if depth == 0 && at_start {
            if c.is_alphanumeric() || c == '_' {
                current.push(c);
                continue;
            }
            if !current.is_empty() {
                heads.push(std::mem::take(&mut current));
                at_start = false;
            }
        }
    }
    if !current.is_empty() {
        heads.push(current);
    }
    heads
}

fn floor_of(module: &str) -> Option<usize> {
    FLOORS.iter().position(|f| f.contains(&module))
}

/// The imports that break the floors, in words.
fn violations(imports: &BTreeSet<Import>) -> Vec<(Import, String)> {
    let mut bad = Vec::new();
    for import in imports {
        let (from, to) = (floor_of(&import.from), floor_of(&import.to));
        let why = match (from, to) {
            (None, _) => format!("{} is on no floor: add it to FLOORS", import.from),
            // A name that is not a module of ours (a macro's `crate::` path).
            (_, None) => continue,
            (Some(a), Some(b))
                if a < b || (a == b && !SAME_FLOOR.contains(&(&import.from, &import.to))) =>
            {
                format!(
                    "{} (floor {a}) imports {} (floor {b}): `src/{}`",
                    import.from,
                    import.to,
                    import.file.display()
                )
            }
            _ => continue,
        };
        bad.push((import.clone(), why));
    }
    bad
}

fn is_pending(import: &Import, pending: &[(&str, &str, &str)]) -> bool {
    pending.iter().any(|(from, to, file)| {
        import.from == *from && import.to == *to && import.file == Path::new(file)
    })
}

/// Top-level module → the top-level modules it names.
fn graph(imports: &BTreeSet<Import>) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for i in imports {
        graph
            .entry(i.from.clone())
            .or_default()
            .insert(i.to.clone());
        graph.entry(i.to.clone()).or_default();
    }
    graph
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !graph.contains_key(w) {
                continue;
            }
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

/// What is wrong with the tree's layering, in words: upward imports not
/// pending, pending ones gone, cycles. Empty when all is well.
fn check(tree: &BTreeMap<PathBuf, String>, pending: &[(&str, &str, &str)]) -> Vec<String> {
    let imports = imports(tree);
    let mut problems = Vec::new();
    for (import, why) in violations(&imports) {
        if !is_pending(&import, pending) {
            problems.push(why);
        }
    }
    for (from, to, file) in pending {
        let gone = !imports
            .iter()
            .any(|i| i.from == *from && i.to == *to && i.file == Path::new(file));
        if gone {
            problems.push(format!(
                "{from} no longer imports {to} in `src/{file}`: remove it from PENDING"
            ));
        }
    }
    let live: BTreeSet<Import> = imports
        .into_iter()
        .filter(|i| !is_pending(i, pending))
        .collect();
    let graph = graph(&live);
    for c in cycles(&graph) {
        let edges: Vec<String> = c
            .iter()
            .flat_map(|a| {
                graph[a]
                    .iter()
                    .filter(|b| c.contains(b))
                    .map(move |b| format!("{a} -> {b}"))
            })
            .collect();
        problems.push(format!(
            "import cycle {{{}}}: {}",
            c.join(", "),
            edges.join(", ")
        ));
    }
    problems
}

#[test]
fn imports_point_down_the_floors() {
    let tree = source_tree();
    let imports = imports(&tree);
    let modules: BTreeSet<&str> = imports.iter().map(|i| i.from.as_str()).collect();
    assert!(
        modules.len() > 10,
        "the scan found the modules: {modules:?}"
    );
    let pending: Vec<String> = violations(&imports)
        .into_iter()
        .filter(|(i, _)| is_pending(i, PENDING))
        .map(|(_, why)| why)
        .collect();
    if !pending.is_empty() {
        println!("pending upward imports:\n{}", pending.join("\n"));
    }
    let problems = check(&tree, PENDING);
    assert!(
        problems.is_empty(),
        "layering broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_module_is_on_a_floor() {
    let tree = source_tree();
    let (_, top) = production_code(&tree[Path::new("lib.rs")]);
    for module in top {
        assert!(
            floor_of(&module).is_some(),
            "{module} is on no floor: add it to FLOORS"
        );
    }
}

/// A tree of strings: `lib.rs` declares `model` and `cloud`.
fn synthetic(model: &str, extra: &[(&str, &str)]) -> BTreeMap<PathBuf, String> {
    let mut tree: BTreeMap<PathBuf, String> = [
        ("lib.rs", "pub mod cloud;\npub mod model;\n"),
        ("cloud.rs", "use crate::model::Stream;\n"),
        ("model.rs", model),
    ]
    .into_iter()
    .map(|(p, t)| (PathBuf::from(p), t.to_string()))
    .collect();
    for (p, t) in extra {
        tree.insert(PathBuf::from(p), t.to_string());
    }
    tree
}

#[test]
fn an_upward_import_fails_and_is_named_with_its_file() {
    let tree = synthetic("pub struct Stream;\nuse crate::cloud::Cloud;\n", &[]);
    let problems = check(&tree, &[]);
    assert!(
        problems.contains(&"model (floor 1) imports cloud (floor 3): `src/model.rs`".to_string()),
        "{problems:?}"
    );
    // Hidden in a group, behind a comment, or after a test module: found.
    for code in [
        "use crate::{text, cloud::{Cloud, Paced}};",
        "// a note\nfn f() { crate::cloud::go() }",
        "#[cfg(test)]\nmod tests { use crate::cloud::X; }\nfn f() { crate::cloud::go() }",
        "mod inner;",
    ] {
        let tree = synthetic(
            code,
            &[("model/inner.rs", "use super::super::cloud::Cloud;")],
        );
        assert!(!check(&tree, &[]).is_empty(), "not caught: {code}");
    }
}

#[test]
fn a_test_only_upward_import_passes() {
    for code in [
        "#[cfg(test)]\nmod tests;",
        "#[cfg(test)]\nmod tests {\n    use crate::cloud::Cloud;\n    fn f() { if true { crate::cloud::x() } }\n}\npub struct Stream;",
        "#[cfg(test)]\nuse crate::cloud::Cloud;\n#[cfg(test)]\nfn f() -> [u8; 2] { crate::cloud::x() }",
        "// crate::cloud in a comment\n/* and crate::cloud here */\nconst S: &str = \"crate::cloud\";",
        "const R: &str = r#\"crate::cloud \"quoted\" }\"#;\nconst C: char = '}';",
    ] {
        let tree = synthetic(code, &[("model/tests.rs", "use crate::cloud::Cloud;")]);
        assert_eq!(check(&tree, &[]), Vec::<String>::new(), "{code}");
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let edge = |g: &mut BTreeMap<String, BTreeSet<String>>, a: &str, b: &str| {
        g.entry(a.into()).or_default().insert(b.into());
        g.entry(b.into()).or_default();
    };
    edge(&mut g, "a", "b");
    edge(&mut g, "b", "c");
    edge(&mut g, "c", "a");
    edge(&mut g, "c", "d");
    assert_eq!(cycles(&g), vec![vec!["a", "b", "c"]]);
}
