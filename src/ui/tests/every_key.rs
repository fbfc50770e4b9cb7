//! The test that ties a binding's four places together: every action of
//! every mode has a key that reaches it there, a line in `?` showing that
//! key, and an entry in `[keys]` that rebinds it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::screen;
use crate::app::testing::demo_app;
use crate::config::{Config, DEFAULT_TOML};
use crate::keymap::{HelpLine, Key, KeyInput, Keymap, Mode, UserAction, HELP_SECTIONS};

/// The key press a terminal reports for `key`.
fn press(key: &Key) -> KeyEvent {
    let mut modifiers = KeyModifiers::NONE;
    if key.ctrl {
        modifiers |= KeyModifiers::CONTROL;
    }
    if matches!(key.code, KeyCode::Char(c) if c.is_ascii_uppercase()) {
        modifiers |= KeyModifiers::SHIFT;
    }
    KeyEvent::new(key.code, modifiers)
}

/// The help's bindings in the section that lists `mode`.
fn section_of(help: &[HelpLine], mode: Mode) -> Vec<(String, &'static str)> {
    let (title, _) = HELP_SECTIONS
        .iter()
        .find(|(_, modes)| modes.contains(&mode))
        .expect("every mode has a help section");
    help.iter()
        .skip_while(|l| **l != HelpLine::Section(title))
        .skip(1)
        .take_while(|l| matches!(l, HelpLine::Binding { .. }))
        .filter_map(|l| match l {
            HelpLine::Binding { keys, what } => Some((keys.clone(), *what)),
            _ => None,
        })
        .collect()
}

fn assert_reachable(keymap: &Keymap, mode: Mode, action: UserAction) {
    let keys = &keymap
        .bindings
        .iter()
        .find(|(a, _)| *a == action)
        .unwrap()
        .1
         .0;
    assert!(!keys.is_empty(), "{action:?} has no key in {mode:?}");
    for key in keys {
        assert_eq!(
            keymap.input(mode, &press(key)),
            KeyInput::Action(action),
            "`{key}` in {mode:?}"
        );
    }
}

fn assert_shown(app: &crate::app::App, text: &str, mode: Mode, action: UserAction) {
    let help = app.help_lines();
    let what = mode
        .actions()
        .iter()
        .find(|(a, _)| *a == action)
        .map(|(_, w)| *w)
        .unwrap();
    let keys = app.keymap.keys(action);
    assert!(
        section_of(&help, mode).contains(&(keys.clone(), what)),
        "{action:?} of {mode:?} is not in its help section"
    );
    let line = format!("{keys:>12}  {what}");
    assert!(text.contains(&line), "`{line}` is not on the help screen");
}

/// A user file that gives the action F5 and nothing else: the action is
/// configurable, by the name it has, and F5 then reaches it.
fn assert_configurable(defaults: &toml::Table, mode: Mode, action: UserAction) {
    let name = action.name();
    assert!(
        defaults.contains_key(name),
        "[keys] {name} is not in config/default.toml"
    );
    let text = format!("[keys]\n{name} = [\"F5\"]\n");
    let config =
        Config::parse(&text, std::path::Path::new("my.toml"), crate::keymap::check).unwrap();
    let keymap = crate::keymap::Keymap::of(&config.keys);
    assert_eq!(keymap.keys(action), "F5", "{name}");
    let f5 = KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE);
    assert_eq!(keymap.input(mode, &f5), KeyInput::Action(action), "{name}");
}

#[test]
fn every_action_of_every_mode_has_a_key_a_help_line_and_a_config_entry() {
    let defaults: toml::Table = toml::from_str(DEFAULT_TOML).unwrap();
    let defaults = defaults["keys"].as_table().unwrap().clone();
    // Tall enough for the whole help without scrolling.
    let mut app = demo_app(100, 150);
    app.update(UserAction::Help);
    let text = screen(&app);
    let keymap = app.keymap.clone();
    for mode in Mode::ALL {
        for (action, _) in mode.actions() {
            assert_reachable(&keymap, *mode, *action);
            assert_shown(&app, &text, *mode, *action);
            assert_configurable(&defaults, *mode, *action);
        }
    }
    // And no entry configures an action that is nowhere.
    for name in defaults.keys() {
        assert!(
            UserAction::ALL.iter().any(|a| a.name() == name),
            "[keys] {name} is no action"
        );
    }
}
