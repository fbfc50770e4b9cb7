//! A keymap that cannot work is refused when the config is read, never found
//! out by a user stuck in a dialog.

use super::{Keymap, Mode, UserAction};

/// Why a keymap cannot be used, and the actions whose keys to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// In the order the config lists them; the last one the user's file
    /// sets is the one to point at.
    pub actions: Vec<UserAction>,
    pub message: String,
}

impl Keymap {
    /// The first reason this keymap cannot be used, if any.
    pub fn problem(&self) -> Option<Problem> {
        self.listed_twice()
            .or_else(|| self.clash_problem())
            .or_else(|| self.typing_key())
            .or_else(|| self.no_way_out())
    }

    fn listed_twice(&self) -> Option<Problem> {
        self.bindings.iter().find_map(|(a, keys)| {
            let twice = keys
                .0
                .iter()
                .enumerate()
                .find(|(i, k)| keys.0[..*i].contains(k))?
                .1;
            Some(Problem {
                actions: vec![*a],
                message: format!(
                    "`{twice}` is bound to both `{0}` and `{0}`: a key may serve one action only",
                    a.name()
                ),
            })
        })
    }

    /// A key bound to two actions of one mode. Different modes may share
    /// a key: Esc goes back in the table and cancels in the key picker.
    pub fn clash_problem(&self) -> Option<Problem> {
        for mode in Mode::ALL {
            let actions = mode.actions();
            for (i, (a, _)) in actions.iter().enumerate() {
                for (b, _) in &actions[i + 1..] {
                    if let Some(key) = self.list(*a).iter().find(|k| self.list(*b).contains(k)) {
                        return Some(Problem {
                            actions: vec![*a, *b],
                            message: format!(
                                "`{key}` is bound to both `{}` and `{}` in {}: a key may serve one action there",
                                a.name(),
                                b.name(),
                                mode.name()
                            ),
                        });
                    }
                }
            }
        }
        None
    }

    /// A printable key bound in a text field: it would type itself instead.
    fn typing_key(&self) -> Option<Problem> {
        for mode in Mode::ALL.iter().filter(|m| m.takes_text()) {
            for (a, _) in mode.actions() {
                if let Some(key) = self.list(*a).iter().find(|k| k.types_text()) {
                    return Some(Problem {
                        actions: vec![*a],
                        message: format!(
                            "`{key}` types itself in {}: bind a named key (Enter, Tab, Up, F1..F12) or a Ctrl- key",
                            mode.name()
                        ),
                    });
                }
            }
        }
        None
    }

    fn no_way_out(&self) -> Option<Problem> {
        let mode = Mode::ALL
            .iter()
            .find(|m| m.exits().iter().all(|a| self.list(*a).is_empty()))?;
        let names: Vec<String> = mode
            .exits()
            .iter()
            .map(|a| format!("`{}`", a.name()))
            .collect();
        Some(Problem {
            actions: mode.exits().to_vec(),
            message: format!(
                "with no key for {}, nothing leaves {}: bind at least one",
                names.join(" or "),
                mode.name()
            ),
        })
    }
}
