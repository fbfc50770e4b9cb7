//! Key bindings: every key press goes through here. Each mode of the
//! dashboard has its map from keys to actions, built from the `[keys]` section
//! of the config, checked for clashes, and the source of the help screen.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod bindings;
mod check;
mod help;
mod modes;

pub use bindings::check;
pub use check::Problem;
pub use help::HelpLine;
pub use modes::{Mode, UserAction, HELP_SECTIONS};

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
                        "`{s}` is not a key: use one character (`j`, `?`), a name (Up, Down, Left, Right, PageUp, PageDown, Home, End, Enter, Esc, Tab, Backspace, Delete, Space, F1..F12), optionally with `Ctrl-`"
                    ))
                }
            }
        };
        if let (true, KeyCode::Char(c)) = (ctrl, code) {
            // Keymap::input quits on Ctrl-c before looking at any binding,
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

    /// Whether pressing this key in a text field types a character.
    pub fn types_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(c) if !self.ctrl && crate::text::typed(c).is_some())
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyList(pub Vec<Key>);

impl fmt::Display for KeyList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self.0.iter().map(Key::to_string).collect();
        f.write_str(&keys.join(" "))
    }
}

/// What a key press means in a mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyInput {
    Action(UserAction),
    /// A character for the mode's text field.
    Text(char),
    Unbound,
}

/// Actions and their keys, after the user's config. An action has the same
/// keys in every mode that offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    pub bindings: Vec<(UserAction, KeyList)>,
}

impl Keymap {
    /// What a key press means in `mode`.
    pub fn input(&self, mode: Mode, ev: &KeyEvent) -> KeyInput {
        // The one place Ctrl-c is read: it means quit everywhere, which is
        // why no binding may take it.
        if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
            return KeyInput::Action(UserAction::Quit);
        }
        if mode.takes_text() {
            if let Some(c) = typed(ev) {
                return KeyInput::Text(c);
            }
        }
        self.action(mode, ev)
            .map_or(KeyInput::Unbound, KeyInput::Action)
    }

    /// The action of `mode` a key is bound to, if any.
    fn action(&self, mode: Mode, ev: &KeyEvent) -> Option<UserAction> {
        mode.actions()
            .iter()
            .map(|(a, _)| *a)
            .find(|a| self.list(*a).iter().any(|k| k.matches(ev)))
    }

    fn list(&self, action: UserAction) -> &[Key] {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(&[], |(_, k)| &k.0)
    }

    pub fn keys(&self, action: UserAction) -> String {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(String::new(), |(_, k)| k.to_string())
    }

    /// The first key bound to an action, for short hints.
    pub fn first(&self, action: UserAction) -> String {
        self.list(action)
            .first()
            .map_or(String::new(), Key::to_string)
    }
}

/// The character a key press adds to a text field (filter, key picker, the
/// stream's name), if any. Control characters, pasted or typed, never enter:
/// they would reach the terminal when the field is drawn. Ctrl and Alt
/// chords are commands, not text (a pasted ESC sequence arrives as Alt-key).
fn typed(ev: &KeyEvent) -> Option<char> {
    let KeyCode::Char(c) = ev.code else {
        return None;
    };
    if ev
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    crate::text::typed(c)
}

#[cfg(test)]
mod tests;
