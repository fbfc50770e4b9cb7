//! Key bindings: one table from actions to keys, built from the config, checked
//! for duplicates, and the source of the help screen.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A user intent, after the keymap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserAction {
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Back,
    Filter,
    Sort,
    Window,
    Refresh,
    Help,
    Quit,
    /// Change the selected stream's key (or enable encryption).
    Rotate,
    /// Stop the selected stream's encryption.
    Disable,
}

/// One key, as written in the config: `j`, `G`, `?`, `Enter`, `PageDown`, `Ctrl-r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const NAMED: &[(&str, KeyCode)] = &[
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Tab", KeyCode::Tab),
    ("Backspace", KeyCode::Backspace),
    ("Delete", KeyCode::Delete),
    ("Space", KeyCode::Char(' ')),
];

impl Key {
    pub fn parse(s: &str) -> Result<Key, String> {
        let (ctrl, rest) = match s.strip_prefix("Ctrl-") {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let code = if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == rest) {
            *code
        } else if let Some(n) = function_key(rest) {
            match u8::try_from(n) {
                Ok(n @ 1..=12) => KeyCode::F(n),
                _ => return Err(format!("`{s}` is not a key: function keys are F1 to F12")),
            }
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => KeyCode::Char(c),
                _ => {
                    return Err(format!(
                        "`{s}` is not a key: use one character (`j`, `?`), a name (Up, Down, PageUp, PageDown, Home, End, Enter, Esc, Tab, Space, F1..F12), optionally with `Ctrl-`"
                    ))
                }
            }
        };
        if let (true, KeyCode::Char(c)) = (ctrl, code) {
            // Keymap::action quits on Ctrl-c before looking at any binding,
            // so a binding of it could never fire.
            if c.eq_ignore_ascii_case(&'c') {
                return Err(format!("`{s}` always quits and cannot be bound: remove it"));
            }
            // Terminals report Ctrl with a letter in lower case whatever Shift
            // says, so `Ctrl-R` would never match a key press.
            if c.is_ascii_uppercase() {
                let lower = c.to_ascii_lowercase();
                return Err(format!("`{s}` can never be pressed: write `Ctrl-{lower}`"));
            }
        }
        Ok(Key { code, ctrl })
    }

    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let code = match ev.code {
            // Terminals report Shift-g as 'G' with SHIFT set; the letter says it all.
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        code == self.code && ctrl == self.ctrl
    }
}

/// The number of a function key name (`F5`), however large, so that `F13`
/// and `F99` are refused as function keys rather than read as text.
fn function_key(name: &str) -> Option<u32> {
    let digits = name.strip_prefix('F')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(u32::MAX))
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if let Some((name, _)) = NAMED.iter().find(|(_, c)| *c == self.code) {
            return f.write_str(name);
        }
        match self.code {
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The keys bound to one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyList(pub Vec<Key>);

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeyList, D::Error> {
        d.deserialize_seq(KeyListVisitor)
    }
}

/// Reads a list of key names; its `expecting` is what a user who wrote
/// `up = "k"` is told to write instead.
struct KeyListVisitor;

impl<'de> Visitor<'de> for KeyListVisitor {
    type Value = KeyList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a list of keys, like ["k", "Up"]"#)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyList, A::Error> {
        let mut keys = Vec::new();
        while let Some(name) = seq.next_element::<String>()? {
            keys.push(Key::parse(&name).map_err(de::Error::custom)?);
        }
        Ok(KeyList(keys))
    }
}

/// The keys of `quit`: never none, so the dashboard always shows a way out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "KeyList")]
pub struct QuitKeys(pub KeyList);

impl TryFrom<KeyList> for QuitKeys {
    type Error = &'static str;
    fn try_from(keys: KeyList) -> Result<QuitKeys, Self::Error> {
        if keys.0.is_empty() {
            Err(r#"an empty list leaves no key to quit with: bind at least one, like ["q"]"#)
        } else {
            Ok(QuitKeys(keys))
        }
    }
}

impl fmt::Display for KeyList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self.0.iter().map(Key::to_string).collect();
        f.write_str(&keys.join(" "))
    }
}

/// Every remappable action with its config name and help text, in help order.
pub const BINDABLE: &[(UserAction, &str, &str)] = &[
    (UserAction::Up, "up", "move up"),
    (UserAction::Down, "down", "move down"),
    (UserAction::Top, "top", "first stream"),
    (UserAction::Bottom, "bottom", "last stream"),
    (UserAction::PageUp, "page_up", "page up"),
    (UserAction::PageDown, "page_down", "page down"),
    (UserAction::Open, "open", "open the stream's detail"),
    (UserAction::Back, "back", "back / close / clear filter"),
    (
        UserAction::Filter,
        "filter",
        "filter by name, key or status",
    ),
    (
        UserAction::Sort,
        "sort",
        "cycle sort: name, status, KMS errors, quota left",
    ),
    (
        UserAction::Window,
        "window",
        "cycle KMS error window: 1h, 3h, 12h, 24h",
    ),
    (UserAction::Refresh, "refresh", "refresh everything now"),
    (
        UserAction::Rotate,
        "rotate",
        "change the stream's key, or enable encryption",
    ),
    (
        UserAction::Disable,
        "disable",
        "stop the stream's encryption",
    ),
    (UserAction::Help, "help", "show or hide this help"),
    (UserAction::Quit, "quit", "quit (Ctrl-c always quits)"),
];

/// Actions that change a stream: hidden and refused in read-only mode.
pub fn changes(action: UserAction) -> bool {
    matches!(action, UserAction::Rotate | UserAction::Disable)
}

/// Actions and their keys, after the user's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    pub bindings: Vec<(UserAction, KeyList)>,
}

impl Keymap {
    /// The action a key press means, if any.
    pub fn action(&self, ev: &KeyEvent) -> Option<UserAction> {
        if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
            return Some(UserAction::Quit);
        }
        self.bindings
            .iter()
            .find(|(_, keys)| keys.0.iter().any(|k| k.matches(ev)))
            .map(|(a, _)| *a)
    }

    pub fn keys(&self, action: UserAction) -> String {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(String::new(), |(_, k)| k.to_string())
    }

    /// The first key bound to an action, for short hints.
    pub fn first(&self, action: UserAction) -> String {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .and_then(|(_, k)| k.0.first())
            .map_or(String::new(), Key::to_string)
    }

    /// A key bound to two actions, as (key, first action, second action).
    pub fn duplicate(&self) -> Option<(Key, &'static str, &'static str)> {
        let name = |a: UserAction| {
            BINDABLE
                .iter()
                .find(|(b, _, _)| *b == a)
                .map_or("?", |b| b.1)
        };
        for (i, (a, keys)) in self.bindings.iter().enumerate() {
            for k in &keys.0 {
                for (b, other) in &self.bindings[i + 1..] {
                    if other.0.contains(k) {
                        return Some((*k, name(*a), name(*b)));
                    }
                }
                if keys.0.iter().filter(|x| *x == k).count() > 1 {
                    return Some((*k, name(*a), name(*a)));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn keys_parse_and_print_back() {
        for s in [
            "j", "G", "?", "/", "Enter", "PageDown", "Ctrl-r", "F5", "Space",
        ] {
            assert_eq!(Key::parse(s).unwrap().to_string(), s);
        }
        assert!(Key::parse("jj").unwrap_err().contains("`jj` is not a key"));
    }

    #[test]
    fn only_f1_to_f12_are_function_keys() {
        for s in ["F1", "F12"] {
            assert_eq!(
                Key::parse(s).unwrap().code,
                KeyCode::F(s[1..].parse().unwrap())
            );
        }
        for s in ["F0", "F13", "F99", "F256", "F99999999999"] {
            let err = Key::parse(s).unwrap_err();
            assert!(
                err.contains(&format!("`{s}`")) && err.contains("F1 to F12"),
                "{err}"
            );
        }
        // A lone F is the letter.
        assert_eq!(Key::parse("F").unwrap().code, KeyCode::Char('F'));
    }

    #[test]
    fn ctrl_c_and_unpressable_ctrl_keys_are_refused() {
        for s in ["Ctrl-c", "Ctrl-C"] {
            let err = Key::parse(s).unwrap_err();
            assert!(err.contains("always quits"), "{err}");
        }
        let err = Key::parse("Ctrl-R").unwrap_err();
        assert!(err.contains("`Ctrl-r`"), "{err}");
        assert!(Key::parse("Ctrl-").is_err());
    }

    #[test]
    fn shifted_letters_and_ctrl_match() {
        let g = Key::parse("G").unwrap();
        assert!(g.matches(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)));
        let r = Key::parse("Ctrl-r").unwrap();
        assert!(r.matches(&ev(KeyCode::Char('r'), KeyModifiers::CONTROL)));
        assert!(!r.matches(&ev(KeyCode::Char('r'), KeyModifiers::NONE)));
    }
}
