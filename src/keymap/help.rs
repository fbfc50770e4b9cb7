//! The help screen's text, from the keymap in use: every action of every
//! mode with its keys. Plain data, so the app can count it for scrolling and
//! the UI only styles it.

use super::{Keymap, Mode, UserAction, HELP_SECTIONS};

/// One line of the help screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    Section(&'static str),
    Binding { keys: String, what: &'static str },
    Blank,
    Note(&'static str),
}

impl Keymap {
    /// The help screen, without what read-only mode refuses.
    pub fn help(&self, read_only: bool) -> Vec<HelpLine> {
        let hidden = |a: UserAction| read_only && a.changes_something();
        let mut lines = Vec::new();
        for (title, modes) in HELP_SECTIONS {
            if modes.iter().all(|m| m.opened_by().is_some_and(hidden)) {
                continue;
            }
            lines.push(HelpLine::Section(title));
            let mut shown: Vec<UserAction> = Vec::new();
            for (action, what) in modes.iter().flat_map(|m| Mode::actions(*m)) {
                if hidden(*action) || shown.contains(action) {
                    continue;
                }
                shown.push(*action);
                lines.push(HelpLine::Binding {
                    keys: self.keys(*action),
                    what,
                });
            }
            lines.push(HelpLine::Blank);
        }
        lines.push(HelpLine::Note(
            "Remap keys in the [keys] section of the config file.",
        ));
        lines
    }
}
