//! Bad config files by the hundred: loading one never panics, and every
//! refusal names the file, the line and the key to fix.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;

/// The refusal for `text` as the user sees it, checked to start with
/// `file:line: key: ` and to leak no Rust type names.
fn refusal(text: &str, path: &Path) -> Option<(usize, Option<String>, String)> {
    let err = Config::parse(text, path, crate::keymap::check).err()?;
    let shown = err.to_string();
    let ConfigError::Invalid {
        line, key, message, ..
    } = err
    else {
        panic!("parsing text can only find it invalid: {shown}");
    };
    let mut prefix = format!("{}:{line}: ", path.display());
    if let Some(k) = &key {
        prefix.push_str(&format!("{k}: "));
    }
    assert!(shown.starts_with(&prefix), "{shown}");
    for leak in [
        "Patch", "struct ", "i64", "u32", "KeyList", "QuitKeys", "Window",
    ] {
        assert!(!message.contains(leak), "{shown}");
    }
    Some((line, key, message))
}

fn loaded(path: &Path) -> String {
    Config::load(Some(path), crate::keymap::check)
        .unwrap_err()
        .to_string()
}

#[test]
#[allow(clippy::too_many_lines)] // one row per bad file: a table reads best whole
fn a_table_of_bad_files_each_names_file_line_and_key() {
    let file = Path::new("/home/u/.config/firekeeper/config.toml");
    let cases: &[(&str, usize, &str, &str)] = &[
        ("read_only = 1\n", 1, "read_only", "expected a boolean"),
        ("read_only = \"no\"\n", 1, "read_only", "expected a boolean"),
        (
            "[aws]\ncall_timeout_secs = -1\n",
            2,
            "[aws] call_timeout_secs",
            "-1 is out of range: use 1 to 300",
        ),
        (
            "[aws]\ncall_timeout_secs = 301\n",
            2,
            "[aws] call_timeout_secs",
            "use 1 to 300",
        ),
        (
            "[aws]\ncall_timeout_secs = 0\n",
            2,
            "[aws] call_timeout_secs",
            "use 1 to 300",
        ),
        (
            "[aws]\nlist_page_size = 2.5\n",
            2,
            "[aws] list_page_size",
            "a whole number from 1 to 10000",
        ),
        (
            "[aws]\nlist_page_size = \"100\"\n",
            2,
            "[aws] list_page_size",
            "a whole number",
        ),
        (
            "[aws]\ndescribe_concurrency = 18446744073709551615\n",
            2,
            "[aws] describe_concurrency",
            "",
        ),
        (
            "[aws]\ndescribe_concurrency = 65\n",
            2,
            "[aws] describe_concurrency",
            "use 1 to 64",
        ),
        (
            "[aws]\nfirehose_calls_per_second = true\n",
            2,
            "[aws] firehose_calls_per_second",
            "a whole number",
        ),
        (
            "[status]\nquota_warning_at = 26\n",
            2,
            "[status] quota_warning_at",
            "use 0 to 25",
        ),
        (
            "[status]\nwindow = \"2h\"\n",
            2,
            "[status] window",
            "`1h`, `3h`, `12h`, `24h`",
        ),
        (
            "[status]\nwindow = 3\n",
            2,
            "[status] window",
            "like \"3h\"",
        ),
        (
            "[refresh]\nlist_secs = 86401\n",
            2,
            "[refresh] list_secs",
            "use 1 to 86400",
        ),
        (
            "[health]\nunencrypted = \"fine\"\n",
            2,
            "[health] unencrypted",
            "`ok`, `warning`, `critical`",
        ),
        ("[ui]\nmarkers = \"dots\"\n", 2, "[ui] markers", "`braille`"),
        (
            "[ui]\nsort = \"worst\"\n",
            2,
            "[ui] sort",
            "`problems`, `name`, `status`, `kms-errors`, `quota-left`",
        ),
        (
            "[ui]\nmouse = \"yes\"\n",
            2,
            "[ui] mouse",
            "expected a boolean",
        ),
        (
            "[ledger]\npath = 3\n",
            2,
            "[ledger] path",
            "expected path string",
        ),
        (
            "[ledger]\npath = \"~root/l\"\n",
            2,
            "[ledger] path",
            "only `~` and `~/`",
        ),
        (
            "[aws]\nfoo = 1\n",
            2,
            "[aws] foo",
            "unknown key: [aws] takes firehose_calls_per_second",
        ),
        ("foo = 1\n", 1, "foo", "unknown key"),
        ("[aws]\n[nope]\nx = 1\n", 2, "[nope]", "unknown section"),
        ("[aws.deeper]\nx = 1\n", 1, "[aws] deeper", "unknown key"),
        ("aws = 3\n", 1, "[aws]", "a table of settings"),
        ("[[aws]]\n", 1, "[aws]", "write [aws], not [[aws]]"),
        ("keys = []\n", 1, "[keys]", "write [keys]"),
        ("[keys]\nup = \"k\"\n", 2, "[keys] up", "a list of keys"),
        ("[keys]\nup = [1]\n", 2, "[keys] up", "expected a string"),
        (
            "[keys]\nup = [\"kk\"]\n",
            2,
            "[keys] up",
            "`kk` is not a key",
        ),
        ("[keys]\nup = [\"\"]\n", 2, "[keys] up", "`` is not a key"),
        ("[keys]\nup = [\"Ctrl-\"]\n", 2, "[keys] up", "is not a key"),
        ("[keys]\nhelp = [\"F0\"]\n", 2, "[keys] help", "F1 to F12"),
        ("[keys]\nhelp = [\"F13\"]\n", 2, "[keys] help", "F1 to F12"),
        ("[keys]\nhelp = [\"F99\"]\n", 2, "[keys] help", "F1 to F12"),
        (
            "[keys]\nquit = []\n",
            2,
            "[keys] quit",
            "no key to quit with",
        ),
        (
            "[keys]\nup = [\"Ctrl-c\"]\n",
            2,
            "[keys] up",
            "always quits",
        ),
        (
            "[keys]\nrefresh = [\"Ctrl-R\"]\n",
            2,
            "[keys] refresh",
            "`Ctrl-r`",
        ),
        (
            "[keys]\nup = [\"k\", \"k\"]\n",
            2,
            "[keys] up",
            "bound to both `up` and `up`",
        ),
        (
            "[keys]\nsort = [\"q\"]\n",
            2,
            "[keys] sort",
            "bound to both `sort` and `quit`",
        ),
        ("keys.sort = [\"q\"]\n", 1, "[keys] sort", "bound to both"),
        (
            "keys = { sort = [\"q\"] }\n",
            1,
            "[keys] sort",
            "bound to both",
        ),
        (
            "[aws]\nlist_page_size = = 3\n",
            2,
            "[aws] list_page_size",
            "",
        ),
        (
            "[aws]\nlist_page_size = 3\nlist_page_size = 4\n",
            3,
            "[aws] list_page_size",
            "duplicate key",
        ),
        ("[aws]\nlist_page_size = [\n", 2, "[aws] list_page_size", ""),
        ("[ui]\nmarkers = \"\"\"\n", 2, "[ui] markers", ""),
        ("[aws\n", 1, "", ""),
    ];
    for (text, line, key, says) in cases {
        let (got_line, got_key, message) =
            refusal(text, file).unwrap_or_else(|| panic!("accepted: {text}"));
        assert_eq!(got_line, *line, "{text}: {message}");
        assert_eq!(got_key.as_deref().unwrap_or(""), *key, "{text}: {message}");
        assert!(message.contains(says), "{text}: {message}");
    }
}

#[test]
fn files_that_cannot_be_read_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let utf = dir.path().join("latin1.toml");
    std::fs::write(&utf, b"# caf\xe9\n[ui]\nmouse = true\n").unwrap();
    let huge = dir.path().join("huge.toml");
    std::fs::write(&huge, vec![b'#'; MAX_BYTES as usize + 1]).unwrap();
    let missing = dir.path().join("missing.toml");
    let cases: [(PathBuf, &str); 5] = [
        (utf.clone(), ":1: byte 0xE9 at column 6 is not UTF-8"),
        (huge.clone(), " is over the 1 MB limit"),
        (
            PathBuf::from("/dev/zero"),
            ": it is a character device, not a regular file",
        ),
        (
            dir.path().to_path_buf(),
            ": it is a directory, not a regular file",
        ),
        (missing.clone(), ": No such file"),
    ];
    for (path, says) in cases {
        let err = loaded(&path);
        assert!(err.contains(&format!("{}{says}", path.display())), "{err}");
    }
}

/// Values of every shape TOML has, and some it does not.
fn value() -> impl Strategy<Value = String> {
    let key_name = prop::sample::select(vec![
        "k", "Up", "F0", "F1", "F12", "F13", "F99", "Ctrl-c", "Ctrl-C", "Ctrl-R", "Ctrl-r", "",
        "jj", "Space", "q", "j", "?", "Ctrl-", "F",
    ]);
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (-5i64..400).prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<String>().prop_map(|s| toml::Value::String(s).to_string()),
        prop::sample::select(vec![
            "\"1h\"",
            "\"2h\"",
            "\"ok\"",
            "\"braille\"",
            "\"~/l\"",
            "\"~x/l\"",
            "\"rel/l\""
        ])
        .prop_map(str::to_string),
        prop::collection::vec(key_name, 0..4).prop_map(|keys| toml::Value::from(keys).to_string()),
        prop::sample::select(vec![
            "[]",
            "[[1]]",
            "{ a = 1 }",
            "{}",
            "1979-05-27",
            "nan",
            "inf",
            "0x10",
            "1_000",
            "99999999999999999999",
            "= 3",
            "\"open",
            "[",
            "'''",
            "\"\"\"",
            "",
            "# c",
            "[1, \"a\"]",
        ])
        .prop_map(str::to_string),
    ]
}

/// A known section or not, and a known key of it or not.
fn place() -> impl Strategy<Value = (Option<String>, String)> {
    let defaults = toml_edit::ImDocument::parse(DEFAULT_TOML).unwrap();
    let mut known: Vec<(Option<String>, String)> = Vec::new();
    for (name, item) in defaults.iter() {
        match item.as_table() {
            Some(t) => known.extend(
                t.iter()
                    .map(|(k, _)| (Some(name.to_string()), k.to_string())),
            ),
            None => known.push((None, name.to_string())),
        }
    }
    let random = (
        prop::option::of(prop_oneof![
            prop::sample::select(vec!["aws", "keys", "ui", "ledger"]).prop_map(str::to_string),
            "[a-z_]{1,8}",
        ]),
        "[a-z_]{1,12}",
    );
    prop_oneof![3 => prop::sample::select(known), 1 => random]
}

proptest! {
    #[test]
    fn any_setting_with_any_value_is_taken_or_refused_by_name(
        (section, key) in place(),
        value in value(),
    ) {
        let text = match &section {
            Some(s) => format!("[{s}]\n{key} = {value}\n"),
            None => format!("{key} = {value}\n"),
        };
        if let Some((line, got, message)) = refusal(&text, Path::new("c.toml")) {
            let header = section.as_ref().map(|s| format!("[{s}]"));
            let named = got.as_deref().is_some_and(|k| {
                k.ends_with(&format!(" {key}")) || Some(k) == header.as_deref() || k == key
            });
            prop_assert!(named, "{text:?}: {got:?}: {message}");
            prop_assert!(line == 1 || (line == 2 && section.is_some()), "{text:?}: {line}");
        }
    }

    #[test]
    fn files_of_many_lines_are_refused_at_a_line_they_have(
        lines in prop::collection::vec(
            prop_oneof![
                place().prop_map(|(s, _)| format!("[{}]", s.unwrap_or_else(|| "keys".into()))),
                (place(), value()).prop_map(|((_, k), v)| format!("{k} = {v}")),
                prop::sample::select(vec!["", "# note", "[", "]]", "= 1", "[keys]", "[aws]"])
                    .prop_map(str::to_string),
            ],
            1..10,
        ),
    ) {
        let text = lines.join("\n");
        if let Some((line, _, message)) = refusal(&text, Path::new("c.toml")) {
            prop_assert!(line >= 1 && line <= lines.len(), "{text:?}: {line}: {message}");
        }
    }

    #[test]
    fn any_bytes_are_taken_or_refused_with_file_and_line(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, &bytes).unwrap();
        if let Err(err) = Config::load(Some(&path), crate::keymap::check) {
            let shown = err.to_string();
            prop_assert!(matches!(err, ConfigError::Invalid { .. }), "{shown}");
            prop_assert!(shown.starts_with(&format!("{}:", path.display())), "{shown}");
        }
    }
}
