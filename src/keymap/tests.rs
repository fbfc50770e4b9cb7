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

fn defaults() -> Keymap {
    crate::keymap::Keymap::of(&crate::config::Config::builtin().keys)
}

fn press(code: KeyCode) -> KeyEvent {
    ev(code, KeyModifiers::NONE)
}

#[test]
fn all_lists_every_action_and_mode_once_in_declaration_order() {
    // A variant left out of ALL breaks the numbering after it, or a mode
    // offers it (below), or its `[keys]` entry names no action in ALL
    // (ui::tests::every_key).
    for (i, a) in UserAction::ALL.iter().enumerate() {
        assert_eq!(*a as usize, i, "{a:?}");
        assert!(
            Mode::ALL.iter().any(|m| m.offers(*a)),
            "{a:?} is offered nowhere"
        );
    }
    for (i, m) in Mode::ALL.iter().enumerate() {
        assert_eq!(*m as usize, i, "{m:?}");
        for (a, _) in m.actions() {
            assert!(UserAction::ALL.contains(a), "{a:?} of {m:?}");
        }
        let sections = HELP_SECTIONS.iter().filter(|(_, ms)| ms.contains(m));
        assert_eq!(sections.count(), 1, "{m:?} is in one help section");
    }
}

#[test]
fn ctrl_c_means_quit_in_every_mode() {
    let keymap = defaults();
    let ctrl_c = ev(KeyCode::Char('c'), KeyModifiers::CONTROL);
    for mode in Mode::ALL {
        assert_eq!(
            keymap.input(*mode, &ctrl_c),
            KeyInput::Action(UserAction::Quit),
            "{mode:?}"
        );
    }
}

#[test]
fn text_fields_take_printable_keys_and_the_keymap_the_rest() {
    let keymap = defaults();
    for mode in [Mode::Filter, Mode::Picker, Mode::TypedName] {
        for c in ['j', 'q', 'y', '?', 'G', ' '] {
            assert_eq!(
                keymap.input(mode, &press(KeyCode::Char(c))),
                KeyInput::Text(c),
                "{mode:?}"
            );
        }
        let ctrl_g = ev(KeyCode::Char('g'), KeyModifiers::CONTROL);
        assert_eq!(keymap.input(mode, &ctrl_g), KeyInput::Unbound, "{mode:?}");
        assert_eq!(
            keymap.input(mode, &press(KeyCode::Backspace)),
            KeyInput::Action(UserAction::Erase)
        );
    }
    assert_eq!(
        keymap.input(Mode::Table, &press(KeyCode::Char('j'))),
        KeyInput::Action(UserAction::Down)
    );
    assert_eq!(
        keymap.input(Mode::Confirm, &press(KeyCode::Char('y'))),
        KeyInput::Action(UserAction::ConfirmYes)
    );
}

#[test]
fn one_key_means_one_thing_per_mode_and_may_differ_between_modes() {
    let keymap = defaults();
    let esc = press(KeyCode::Esc);
    for (mode, action) in [
        (Mode::Table, UserAction::Back),
        (Mode::Detail, UserAction::Back),
        (Mode::Help, UserAction::Back),
        (Mode::Filter, UserAction::FilterClear),
        (Mode::Picker, UserAction::Cancel),
        (Mode::TypedName, UserAction::Cancel),
        (Mode::Confirm, UserAction::ConfirmNo),
        (Mode::QuitConfirm, UserAction::ConfirmNo),
    ] {
        assert_eq!(
            keymap.input(mode, &esc),
            KeyInput::Action(action),
            "{mode:?}"
        );
    }
    assert_eq!(
        keymap.input(Mode::Picker, &press(KeyCode::Up)),
        KeyInput::Action(UserAction::PickerUp)
    );
    assert_eq!(keymap.problem(), None, "the defaults work");
}

#[test]
fn the_mouse_wheel_moves_what_the_mode_shows() {
    use crossterm::event::MouseEventKind as M;
    assert_eq!(Mode::Table.wheel(M::ScrollDown), Some(UserAction::Down));
    assert_eq!(Mode::Filter.wheel(M::ScrollUp), Some(UserAction::Up));
    assert_eq!(
        Mode::Picker.wheel(M::ScrollDown),
        Some(UserAction::PickerDown)
    );
    assert_eq!(Mode::Confirm.wheel(M::ScrollDown), None);
    assert_eq!(Mode::Table.wheel(M::Moved), None);
}

#[test]
fn read_only_help_leaves_out_the_change_keys_and_their_dialogs() {
    let keymap = defaults();
    let text = |read_only| format!("{:?}", keymap.help(read_only));
    let (all, read_only) = (text(false), text(true));
    for gone in [
        "stop the stream's encryption",
        "Key picker",
        "Confirming a key change",
        "Stopping encryption",
    ] {
        assert!(all.contains(gone), "{gone}");
        assert!(!read_only.contains(gone), "{gone}");
    }
    assert!(read_only.contains("Filter prompt") && read_only.contains("Quitting while"));
}
