//! The keymap's modes as the user meets them: Ctrl-c from anywhere, the help
//! scrolled to its end, the mouse wheel, remapped dialog keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use super::{key, press, selected};
use crate::app::testing::{all_keys_event, demo_app, demo_app_with};
use crate::app::{App, Dialog, View, WorkerCommand};
use crate::config::Config;
use crate::keymap::{HelpLine, Mode};
use crate::worker::DataEvent;

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// The demo with `order-events` selected and a change being followed on it.
fn app_in(mode: Mode) -> App {
    let mut app = demo_app(100, 30);
    while selected(&app) != "order-events" {
        app.on_key(key('j'));
    }
    app.apply(crate::model::TargetId::FIRST, all_keys_event());
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    // M on the keys view's first key, the AWS owned key picked: the plan.
    let plan = vec![key('K'), key('M'), enter];
    let mut moving = plan.clone();
    moving.extend("alias/legacy-billing".chars().map(key));
    moving.push(enter);
    let keys: &[KeyEvent] = match mode {
        Mode::Table => &[],
        Mode::Detail => &[KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)],
        Mode::Keys => &[key('K')],
        Mode::Filter => &[key('/')],
        Mode::Picker => &[key('r')],
        Mode::Confirm => &[key('r'), KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)],
        Mode::TypedName => &[key('d')],
        Mode::Help => &[key('?')],
        Mode::QuitConfirm => &[key('q')],
        Mode::MovePlan => &plan,
        Mode::Moving => &moving,
        Mode::Messages => &[key('m')],
        Mode::Command => &[key(':')],
        Mode::Raw => &[key('y')],
    };
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Following {
            stream: "order-events".into(),
            active: true,
        },
    );
    for k in keys {
        app.on_key(*k);
    }
    assert_eq!(app.mode(), mode, "{:?}", app.dialog);
    app
}

#[test]
fn ctrl_c_asks_first_from_every_mode_and_twice_quits() {
    for mode in Mode::ALL.iter().filter(|m| **m != Mode::QuitConfirm) {
        let mut app = app_in(*mode);
        app.on_key(ctrl('c'));
        assert!(!app.quit, "{mode:?}: a change is followed");
        assert_eq!(app.mode(), Mode::QuitConfirm, "{mode:?}");
        app.on_key(ctrl('c'));
        assert!(app.quit, "{mode:?}: the second Ctrl-c quits");
    }
    let mut app = app_in(Mode::QuitConfirm);
    app.on_key(ctrl('c'));
    assert!(app.quit, "asked already: Ctrl-c is as good as yes");
    // Nothing followed: at once, from a text field too.
    let mut app = demo_app(80, 24);
    app.on_key(key('/'));
    app.on_key(ctrl('c'));
    assert!(app.quit);
}

#[test]
fn the_quit_question_waits_for_y_or_n() {
    let mut app = app_in(Mode::QuitConfirm);
    for k in [
        key('q'),
        key('j'),
        KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
    ] {
        app.on_key(k);
        assert_eq!(app.mode(), Mode::QuitConfirm, "{k:?} is not an answer");
    }
    press(&mut app, KeyCode::Esc);
    assert!(app.dialog.is_none() && !app.quit, "Esc is no");
    app.on_key(key('q'));
    app.on_key(key('Y'));
    assert!(app.quit);
}

#[test]
fn the_help_scrolls_to_its_last_line_and_back() {
    let mut app = demo_app(80, 24);
    let lines = app.help_lines().len();
    app.on_key(key('?'));
    assert_eq!(app.screen.help_scroll, 0);
    let last = lines - app.screen.help_rows;
    assert!(last > 0, "at 80x24 the help is longer than the screen");
    app.on_key(key('j'));
    assert_eq!(app.screen.help_scroll, 1);
    app.on_key(key('G'));
    assert_eq!(app.screen.help_scroll, last);
    app.on_key(key('j'));
    assert_eq!(app.screen.help_scroll, last, "not past the end");
    press(&mut app, KeyCode::PageUp);
    assert_eq!(
        app.screen.help_scroll,
        last.saturating_sub(app.screen.help_rows)
    );
    app.on_key(key('g'));
    assert_eq!(app.screen.help_scroll, 0);
    app.on_key(key('G'));
    assert!(matches!(
        app.help_lines().last(),
        Some(HelpLine::Note(n)) if n.contains("[keys]")
    ));
    app.on_key(key('?'));
    assert_eq!(app.screen.view, View::Table);
    app.on_key(key('?'));
    assert_eq!(app.screen.help_scroll, 0, "opens at the top");
    assert_eq!(
        selected(&app),
        "audit-trail",
        "scrolling never moved the table"
    );
}

fn wheel(app: &mut App, kind: MouseEventKind) -> Option<Vec<WorkerCommand>> {
    app.on_mouse(MouseEvent {
        kind,
        column: 0,
        row: 0,
        modifiers: KeyModifiers::NONE,
    })
}

#[test]
fn the_mouse_wheel_moves_what_is_in_front() {
    let mut app = demo_app(80, 24);
    assert!(wheel(&mut app, MouseEventKind::ScrollDown).is_some());
    assert_eq!(app.table.selected, 1);
    assert!(
        wheel(&mut app, MouseEventKind::Moved).is_none(),
        "no redraw"
    );
    // While filtering it moves through what the filter lets through.
    app.on_key(key('/'));
    wheel(&mut app, MouseEventKind::ScrollDown);
    assert_eq!((app.table.selected, app.table.filtering), (2, true));

    let mut app = app_in(Mode::Picker);
    let table = app.table.selected;
    wheel(&mut app, MouseEventKind::ScrollDown);
    let Some(Dialog::Picker(p)) = &app.dialog else {
        panic!("picker open");
    };
    assert_eq!(
        (p.selected, app.table.selected),
        (1, table),
        "the picker moves"
    );

    let mut app = app_in(Mode::Confirm);
    assert!(wheel(&mut app, MouseEventKind::ScrollDown).is_none());
}

#[test]
fn remapped_dialog_keys_replace_the_defaults() {
    let text = "[keys]\nconfirm_yes = [\"o\"]\npicker_down = [\"Ctrl-n\"]\npick = [\"Tab\"]\n";
    let config =
        Config::parse(text, std::path::Path::new("my.toml"), crate::keymap::check).unwrap();
    let mut app = demo_app_with(&config, 100, 30);
    while selected(&app) != "order-events" {
        app.on_key(key('j'));
    }
    app.on_key(key('r'));
    app.apply(crate::model::TargetId::FIRST, all_keys_event());
    press(&mut app, KeyCode::Down);
    app.on_key(ctrl('n'));
    let Some(Dialog::Picker(p)) = &app.dialog else {
        panic!("picker open");
    };
    assert_eq!(p.selected, 1, "Down is no longer bound, Ctrl-n is");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode(), Mode::Picker, "Enter no longer picks");
    for c in "2026".chars() {
        app.on_key(key(c));
    }
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.mode(), Mode::Confirm);
    assert!(app.on_key(key('y')).is_empty(), "y no longer sends");
    let commands = app.on_key(key('o'));
    assert!(matches!(
        commands.first(),
        Some(WorkerCommand::MakeChange { .. })
    ));
}

/// `/` then Enter leaves the cursor on the first match, even when it was on
/// a later one: `d` right after acts on the stream the filter found first.
#[test]
fn filtering_puts_the_cursor_on_the_first_match() {
    let mut app = demo_app(100, 30);
    let matches = |app: &App| -> Vec<String> {
        let names = (0..app.table.visible.len()).filter_map(|i| app.listed(i));
        names
            .map(|(id, _)| id.name.clone())
            .filter(|n| n.contains("events"))
            .collect()
    };
    let all = matches(&app);
    assert!(all.len() >= 2, "two streams to find: {all:?}");
    // The cursor on the last of them, as the user left it.
    while selected(&app) != all[all.len() - 1] {
        app.on_key(key('j'));
    }
    app.on_key(key('/'));
    for c in "events".chars() {
        app.on_key(key(c));
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.table.selected, 0);
    assert_eq!(selected(&app), matches(&app)[0]);
    // Erasing a letter finds the first match again.
    app.on_key(key('/'));
    press(&mut app, KeyCode::Backspace);
    assert_eq!(app.table.selected, 0);
}

/// `c` hands the selected stream's ARN (or, in the keys view, the key's) to
/// the dashboard for OSC 52, and the status line says it was sent.
#[test]
fn c_copies_the_selected_streams_or_keys_arn_and_says_it_was_sent() {
    let mut app = demo_app(100, 30);
    while selected(&app) != "order-events" {
        app.on_key(key('j'));
    }
    app.on_key(key('c'));
    let arn = app.screen.clipboard.take().expect("an ARN to send");
    assert!(arn.ends_with(":deliverystream/order-events"), "{arn}");
    let said = app.messages.shown().unwrap().text.clone();
    assert!(
        said.starts_with("sent order-events's ARN to the terminal's clipboard (OSC 52"),
        "{said}"
    );
    app.apply(crate::model::TargetId::FIRST, all_keys_event());
    app.on_key(key('K'));
    app.on_key(key('c'));
    let arn = app.screen.clipboard.take().expect("the key's ARN");
    assert!(arn.starts_with("arn:aws:kms:"), "{arn}");
}

/// A stream not described yet has no ARN to copy: said, nothing sent.
#[test]
fn c_on_a_stream_not_described_copies_nothing_and_says_why() {
    let mut app = demo_app(100, 30);
    let name = selected(&app);
    app.row_mut(&name).stream = None;
    app.on_key(key('c'));
    assert_eq!(app.screen.clipboard, None);
    let said = app.messages.shown().unwrap().text.clone();
    assert!(
        said.contains("is not described yet: its ARN is not known"),
        "{said}"
    );
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(key(c));
    }
}

/// `:` opens the command line; Tab completes commands and their words;
/// Enter runs it: the keys view, a sort by name, the message log, quitting.
#[test]
fn the_command_line_completes_and_runs_k9s_commands() {
    let mut app = demo_app(100, 30);
    app.on_key(key(':'));
    assert_eq!(app.mode(), Mode::Command);
    assert_eq!(app.completions().len(), 6, "{:?}", app.completions());
    typed(&mut app, "ke");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.screen.command.as_deref(), Some("keys"));
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        (app.screen.view.clone(), app.mode()),
        (View::Keys, Mode::Keys)
    );
    typed(&mut app, ":so");
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "n");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.screen.command.as_deref(), Some("sort name"));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.table.sort, crate::model::SortKey::Name);
    typed(&mut app, ":streams");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen.view, View::Table);
    // A letter typed in the line is text, never the table's key.
    typed(&mut app, ":s");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen.command, None);
    assert_eq!(app.table.sort, crate::model::SortKey::Name);
    typed(&mut app, ":nonsense");
    press(&mut app, KeyCode::Enter);
    let said = app.messages.shown().unwrap().text.clone();
    assert!(said.starts_with("no command :nonsense"), "{said}");
    typed(&mut app, ":target nowhere");
    press(&mut app, KeyCode::Enter);
    let said = app.messages.shown().unwrap().text.clone();
    assert!(
        said.starts_with("no target \"nowhere\": the targets are"),
        "{said}"
    );
    typed(&mut app, ":q");
    press(&mut app, KeyCode::Enter);
    assert!(app.quit);
}

/// `y` opens the selected stream's description as JSON (the key's in the
/// keys view), scrolls it, and `y` or Esc closes it.
#[test]
fn y_shows_the_description_as_json_and_scrolls() {
    let mut app = demo_app(100, 30);
    while selected(&app) != "order-events" {
        app.on_key(key('j'));
    }
    app.on_key(key('y'));
    assert_eq!(app.mode(), Mode::Raw);
    let Some(Dialog::Raw { title, lines, .. }) = &app.dialog else {
        panic!("{:?}", app.dialog);
    };
    assert!(
        title.contains("firekeeper's reading of AWS's answer"),
        "{title}"
    );
    let json: serde_json::Value = serde_json::from_str(&lines.join("\n")).unwrap();
    assert_eq!(json["name"], "order-events");
    app.on_key(key('j'));
    app.on_key(key('G'));
    let Some(Dialog::Raw { lines, scroll, .. }) = &app.dialog else {
        panic!("{:?}", app.dialog);
    };
    assert_eq!(*scroll, lines.len() - 1, "G: the last line at the top");
    assert_eq!(
        app.table.sort,
        crate::model::SortKey::Name,
        "keys stay in the view"
    );
    press(&mut app, KeyCode::Esc);
    assert!(app.dialog.is_none());
    app.apply(crate::model::TargetId::FIRST, all_keys_event());
    app.on_key(key('K'));
    app.on_key(key('y'));
    let Some(Dialog::Raw { lines, .. }) = &app.dialog else {
        panic!("{:?}", app.dialog);
    };
    assert!(
        lines.join("\n").contains("\"arn\": \"arn:aws:kms:"),
        "{lines:?}"
    );
    app.on_key(key('y'));
    assert!(app.dialog.is_none());
}
