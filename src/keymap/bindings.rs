//! The keymap built from config's `[keys]` bindings, and the check that
//! refuses, as the file is read, bindings that cannot work: config holds the
//! strings, the keymap says what they mean.

use super::{Key, KeyList, Keymap, UserAction};
use crate::config::{KeyRefusal, Keys};

impl Keymap {
    /// The map of `keys`, as `check` passed them when the file was read.
    pub fn of(keys: &Keys) -> Keymap {
        let bindings = UserAction::ALL
            .iter()
            .map(|a| (*a, list(keys, *a)))
            .collect();
        Keymap { bindings }
    }
}

/// An action's keys. `check` refused, when the file was read, any binding
/// that is not a key, so none is dropped here.
fn list(keys: &Keys, action: UserAction) -> KeyList {
    let written = keys.get(action.name()).map_or(&[][..], |b| &b.0[..]);
    KeyList(written.iter().filter_map(|k| Key::parse(k).ok()).collect())
}

fn refusal(actions: &[UserAction], message: String) -> KeyRefusal {
    KeyRefusal {
        actions: actions.iter().map(|a| a.name()).collect(),
        message,
    }
}

/// `config::KeyCheck`: every binding is a key, `quit` keeps one, a key the
/// user's file binds is taken from a default that keeps another, and the
/// map is usable in every mode. `set` tells whether the file names an action.
pub fn check(keys: &mut Keys, set: &dyn Fn(&str) -> bool) -> Result<(), KeyRefusal> {
    for action in UserAction::ALL {
        let written = keys.get(action.name()).map_or(&[][..], |b| &b.0[..]);
        for k in written {
            Key::parse(k).map_err(|message| refusal(&[*action], message))?;
        }
    }
    if list(keys, UserAction::Quit).0.is_empty() {
        return Err(refusal(
            &[UserAction::Quit],
            r#"an empty list leaves no key to quit with: bind at least one, like ["q"]"#.into(),
        ));
    }
    yield_defaults(keys, |a| set(a.name()));
    match Keymap::of(keys).problem() {
        Some(problem) => Err(refusal(&problem.actions, problem.message)),
        None => Ok(()),
    }
}

/// A key the user's file binds to an action is taken from any other action
/// of the same screen that has it only by default: a key added to the
/// defaults in a new version must not turn a file that worked into one that
/// is refused. The default action must keep another key (`j` taken from
/// `down` leaves it `Down`).
fn yield_defaults(keys: &mut Keys, set: impl Fn(UserAction) -> bool) {
    while let Some(problem) = Keymap::of(keys).clash_problem() {
        let [a, b] = [problem.actions[0], problem.actions[1]];
        let (mine, default) = match (set(a), set(b)) {
            (true, false) => (a, b),
            (false, true) => (b, a),
            // Both the user's, or both defaults: refused as it is.
            _ => return,
        };
        let taken = list(keys, mine).0;
        let is_taken = |k: &String| Key::parse(k).is_ok_and(|k| taken.contains(&k));
        let Some(left) = keys.get_mut(default.name()) else {
            return;
        };
        if left.0.iter().all(is_taken) {
            // The default would be left with no key at all: refused, with
            // the clash named, rather than an action lost unseen.
            return;
        }
        left.0.retain(|k| !is_taken(k));
    }
}
