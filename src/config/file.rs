//! Reading the user's file, and saying where in it something is wrong: every
//! error names the file, the line and, when the line sets one, the key.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::string::FromUtf8Error;

use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;
use toml_edit::{ImDocument, TableLike};

use super::{ConfigError, DEFAULT_TOML};

/// Far larger than any settings file a person writes: a bigger file is the
/// wrong file (or `/dev/zero`), so reading stops here.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// The file's text, reading at most one byte past the limit.
pub(super) fn read(path: &Path) -> Result<String, ConfigError> {
    // A FIFO, socket or device given as the config is refused at once: the
    // open does not wait (O_NONBLOCK), and the file's type is checked.
    let bytes = crate::journal::read_regular(path, MAX_BYTES).map_err(|source| {
        if source.kind() == std::io::ErrorKind::InvalidInput {
            ConfigError::NotAFile {
                path: path.to_path_buf(),
                source,
            }
        } else {
            ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(ConfigError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    String::from_utf8(bytes).map_err(|e| not_utf8(&e, path))
}

fn not_utf8(err: &FromUtf8Error, path: &Path) -> ConfigError {
    let bytes = err.as_bytes();
    let bad = err.utf8_error().valid_up_to();
    let before = &bytes[..bad];
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let line = line_at(bytes, bad);
    // The bytes before `bad` are valid, so this counts characters exactly.
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    let byte = bytes.get(bad).copied().unwrap_or_default();
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        key: key_on_line(&String::from_utf8_lossy(bytes), line),
        message: format!(
            "byte 0x{byte:02X} at column {column} is not UTF-8 text: save the file as UTF-8"
        ),
    }
}

/// `text` deserialized, or an error naming the line and the key.
pub(super) fn parse<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(toml::Deserializer::new(text))
        .map_err(|e| refusal(e, text, path))
}

fn refusal(e: serde_path_to_error::Error<toml::de::Error>, text: &str, path: &Path) -> ConfigError {
    // serde reads a struct from a list too, and then complains about the
    // list's items: `[[aws]]` would be "expected a whole number".
    let listed = matches!(
        e.path().iter().take(2).collect::<Vec<_>>()[..],
        [Segment::Map { .. }, Segment::Seq { .. }]
    );
    let mut keys: Vec<String> = e
        .path()
        .iter()
        .filter_map(|s| match s {
            Segment::Map { key } => Some(key.clone()),
            _ => None,
        })
        .collect();
    let err = e.into_inner();
    // A value left open (`[`, `"""`) is reported at the end of the file,
    // past its last line: the last line is the one to look at.
    let last = text.lines().count().max(1);
    let line = err
        .span()
        .map(|s| line_at(text.as_bytes(), s.start).min(last));
    let header = line.is_some_and(|l| header_on_line(text, l).is_some());
    let message = reword(one_line(err.message()), &mut keys, listed, header);
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line: line.or_else(|| line_of(text, &keys)).unwrap_or(1),
        key: label(&keys, header).or_else(|| line.and_then(|l| key_on_line(text, l))),
        message,
    }
}

/// serde's and toml's message, or one that says what to write instead where
/// theirs would not; `keys` gains the unknown key a refusal is about.
fn reword(message: String, keys: &mut Vec<String>, listed: bool, header: bool) -> String {
    if let Some(name) = unknown_field(&message) {
        if keys.last().map(String::as_str) != Some(name) {
            keys.push(name.to_string());
        }
        return unknown_message(keys, header);
    }
    let section = keys.first().filter(|k| is_section(k)).cloned();
    if let Some(section) = section.filter(|_| listed || message.starts_with("invalid length")) {
        keys.truncate(1);
        return format!("a section is one table: write [{section}], not [[{section}]] or a list");
    }
    if message == "wanted string or table" {
        // toml's words for a number or list where a name belongs.
        return match default_text(keys) {
            Some(example) => format!("expected a name in quotes, like \"{example}\""),
            None => "expected a name in quotes".to_string(),
        };
    }
    message
}

/// An error about `keys` (section, key) found after the file parsed.
pub(super) fn invalid(text: &str, path: &Path, keys: &[&str], message: String) -> ConfigError {
    let keys: Vec<String> = keys.iter().map(std::string::ToString::to_string).collect();
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line: line_of(text, &keys).unwrap_or(1),
        key: label(&keys, false),
        message,
    }
}

/// `[ledger] path` as firekeeper uses it: `~` is the home directory, and a
/// relative path is relative to the config file, not to wherever firekeeper
/// happened to be started. Empty stays empty: the platform's default.
pub(super) fn resolve_path(path: &Path, config_file: &Path) -> Result<PathBuf, String> {
    if path.as_os_str().is_empty() || path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    if let Ok(rest) = path.strip_prefix("~") {
        let dirs = directories::BaseDirs::new()
            .ok_or("there is no home directory to expand `~` to: write the full path")?;
        let home = dirs.home_dir();
        return Ok(if rest.as_os_str().is_empty() {
            home.to_path_buf()
        } else {
            home.join(rest)
        });
    }
    if path.to_string_lossy().starts_with('~') {
        return Err(format!(
            "`{}`: only `~` and `~/` are expanded: write the full path",
            path.display()
        ));
    }
    let file = std::path::absolute(config_file).map_err(|e| {
        format!("cannot tell which directory the config file is in ({e}): write a full path")
    })?;
    Ok(file.parent().unwrap_or(Path::new("/")).join(path))
}

/// The 1-based line holding byte `offset`.
fn line_at(bytes: &[u8], offset: usize) -> usize {
    let end = offset.min(bytes.len());
    bytes[..end].iter().filter(|b| **b == b'\n').count() + 1
}

/// toml's syntax messages span lines; an error here is one line.
fn one_line(message: &str) -> String {
    let parts: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    parts.join(": ")
}

/// The key in serde's "unknown field `x`, expected one of ..." (its wording
/// for every `deny_unknown_fields` refusal).
fn unknown_field(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

/// What to write instead of an unknown key, from the shipped defaults.
fn unknown_message(keys: &[String], header: bool) -> String {
    let Ok(defaults) = ImDocument::parse(DEFAULT_TOML) else {
        return "unknown setting".to_string();
    };
    let sections: Vec<String> = defaults
        .iter()
        .filter(|(_, item)| item.is_table())
        .map(|(name, _)| format!("[{name}]"))
        .collect();
    let top: Vec<&str> = defaults
        .iter()
        .filter(|(_, item)| !item.is_table())
        .map(|(name, _)| name)
        .collect();
    match keys {
        [_] if header => format!("unknown section: use {}", sections.join(", ")),
        [_] => format!(
            "unknown key: at the top of the file only {} is set; other settings go in their section ({})",
            top.join(", "),
            sections.join(", ")
        ),
        [section, ..] => {
            let names: Vec<&str> = defaults
                .get(section)
                .and_then(|item| item.as_table_like())
                .map(|t| t.iter().map(|(name, _)| name).collect())
                .unwrap_or_default();
            format!("unknown key: [{section}] takes {}", names.join(", "))
        }
        [] => "unknown setting".to_string(),
    }
}

/// `read_only`, `[aws]` or `[aws] call_timeout_secs`, as the file writes them.
fn label(keys: &[String], header: bool) -> Option<String> {
    match keys {
        [] => None,
        [name] if header || is_section(name) => Some(format!("[{name}]")),
        [name] => Some(name.clone()),
        [section, rest @ ..] => Some(format!("[{section}] {}", rest.join("."))),
    }
}

/// The shipped default of `keys`, when it is text.
fn default_text(keys: &[String]) -> Option<String> {
    let defaults = ImDocument::parse(DEFAULT_TOML).ok()?;
    let mut item = defaults.as_item();
    for key in keys {
        item = item.get(key.as_str())?;
    }
    item.as_str().map(str::to_string)
}

fn is_section(name: &str) -> bool {
    ImDocument::parse(DEFAULT_TOML)
        .ok()
        .and_then(|d| d.get(name).map(toml_edit::Item::is_table))
        .unwrap_or(false)
}

/// The line that sets `keys` in `text`, else the line of the nearest table
/// that holds it; none if the text does not parse.
fn line_of(text: &str, keys: &[String]) -> Option<usize> {
    let (_, span) = locate(text, keys)?;
    span.map(|s| line_at(text.as_bytes(), s.start))
}

/// Whether `text` itself sets `keys` (section, key).
pub(super) fn sets(text: &str, keys: &[&str]) -> bool {
    let keys: Vec<String> = keys.iter().map(std::string::ToString::to_string).collect();
    locate(text, &keys).is_some_and(|(found, _)| found == keys.len())
}

/// How many of `keys` the parsed `text` holds, and where the last one found is.
fn locate(text: &str, keys: &[String]) -> Option<(usize, Option<Range<usize>>)> {
    let doc = ImDocument::parse(text).ok()?;
    let mut table: &dyn TableLike = doc.as_table();
    let (mut found, mut span) = (0, None);
    for key in keys {
        let Some((k, item)) = table.get_key_value(key) else {
            break;
        };
        found += 1;
        span = k.span().or_else(|| item.span()).or(span);
        match item.as_table_like() {
            Some(t) => table = t,
            None => break,
        }
    }
    Some((found, span))
}

/// The `[section] key` that line `line` sets, read from the text alone, for
/// a file that does not parse.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().take(line).collect();
    let this = lines.get(line.checked_sub(1)?)?;
    if let Some(name) = header_name(this) {
        return Some(format!("[{name}]"));
    }
    let section = lines.iter().rev().find_map(|l| header_name(l));
    let key = this
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty() && k.chars().all(is_bare_key_char));
    match (section, key) {
        (Some(s), Some(k)) => Some(format!("[{s}] {k}")),
        (None, Some(k)) => Some(k.to_string()),
        (Some(s), None) => Some(format!("[{s}]")),
        (None, None) => None,
    }
}

fn header_on_line(text: &str, line: usize) -> Option<&str> {
    header_name(text.lines().nth(line.checked_sub(1)?)?)
}

/// `aws` for a line `[aws]` (or `[[aws]]`).
fn header_name(line: &str) -> Option<&str> {
    let inner = line.trim().strip_prefix('[')?.trim_start_matches('[');
    let name = inner[..inner.find(']')?].trim();
    (!name.is_empty()).then_some(name)
}

fn is_bare_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}
