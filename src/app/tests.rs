use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::testing::{demo_app, fixed_now};
use super::*;
use crate::cloud::CloudError;
use crate::worker::DataEvent;

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn press(app: &mut App, code: KeyCode) -> Vec<Command> {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn selected(app: &App) -> String {
    app.selected_row().unwrap().name.clone()
}

#[test]
fn moving_keeps_the_cursor_on_screen_and_in_bounds() {
    let mut app = demo_app(80, 24);
    assert_eq!(selected(&app), "audit-trail");
    app.on_key(key('k'));
    assert_eq!(app.selected, 0, "cannot go above the first row");
    app.on_key(key('G'));
    assert_eq!(app.selected, app.visible.len() - 1);
    assert!(app.selected < app.offset + app.viewport && app.selected >= app.offset);
    press(&mut app, KeyCode::PageUp);
    assert_eq!(app.selected, app.visible.len() - 1 - app.viewport);
    app.on_key(key('g'));
    assert_eq!((app.selected, app.offset), (0, 0));
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.selected, app.viewport);
}

#[test]
fn scrolling_tells_the_worker_what_is_on_screen() {
    let mut app = demo_app(80, 24);
    let commands = press(&mut app, KeyCode::End);
    let Some(Command::Interest { visible, nearby }) = commands.last() else {
        panic!("interest expected, got {commands:?}");
    };
    assert_eq!(visible.last().map(String::as_str), Some("web-analytics"));
    assert_eq!(visible.len(), app.viewport);
    assert!(!nearby.is_empty());
    // The same screen again is not news.
    assert!(press(&mut app, KeyCode::End).is_empty());
}

#[test]
fn filter_matches_name_alias_or_status_and_esc_clears() {
    let mut app = demo_app(80, 24);
    app.on_key(key('/'));
    assert!(app.filtering);
    for c in "legacy".chars() {
        app.on_key(key(c));
    }
    let names: Vec<_> = app
        .visible
        .iter()
        .map(|i| app.rows[*i].name.as_str())
        .collect();
    assert_eq!(
        names,
        ["billing-export", "billing-invoices"],
        "by key alias"
    );
    press(&mut app, KeyCode::Enter);
    assert!(
        !app.filtering && app.filter == "legacy",
        "Enter keeps the filter"
    );
    press(&mut app, KeyCode::Esc);
    assert!(
        app.filter.is_empty() && app.visible.len() == app.rows.len(),
        "Esc clears it"
    );

    app.on_key(key('/'));
    for c in "failed".chars() {
        app.on_key(key(c));
    }
    assert_eq!(
        app.visible.len(),
        3,
        "by status: 2 ENABLING_FAILED + 1 DISABLING_FAILED"
    );
    press(&mut app, KeyCode::Esc);
    assert!(app.filter.is_empty() && !app.filtering);
}

#[test]
fn sort_cycles_and_keeps_the_selected_stream() {
    let mut app = demo_app(80, 24);
    app.on_key(key('j'));
    let before = selected(&app);
    app.on_key(key('s'));
    assert_eq!(app.sort, SortKey::Status);
    assert_eq!(selected(&app), before, "cursor follows the stream");
    let first = &app.rows[app.visible[0]];
    assert_eq!(
        first.stream.as_ref().unwrap().encryption.status,
        EncryptionStatus::EnablingFailed
    );
    app.on_key(key('s'));
    assert_eq!(app.sort, SortKey::KmsErrors);
    let top = &app.rows[app.visible[0]].name;
    assert!(
        top.starts_with("billing") || top == "clickstream-archive",
        "{top}"
    );
    app.on_key(key('s'));
    assert_eq!(app.sort, SortKey::QuotaLeft);
    app.on_key(key('s'));
    assert_eq!(app.sort, SortKey::Name);
}

#[test]
fn enter_opens_detail_esc_returns_and_help_toggles() {
    let mut app = demo_app(80, 24);
    app.on_key(key('j'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Detail("billing-export".into()));
    app.on_key(key('j'));
    assert_eq!(
        app.view,
        View::Detail("billing-invoices".into()),
        "detail follows the cursor"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.view, View::Table);
    app.on_key(key('?'));
    assert_eq!(app.view, View::Help);
    app.on_key(key('j'));
    assert_eq!(selected(&app), "billing-invoices", "help swallows movement");
    app.on_key(key('?'));
    assert_eq!(app.view, View::Table);
}

#[test]
fn window_and_refresh_ask_the_worker() {
    let mut app = demo_app(80, 24);
    assert_eq!(app.on_key(key('w')), vec![Command::Window(Window::H12)]);
    assert_eq!(app.metrics_state, LoadingState::Loading);
    let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert_eq!(app.on_key(ctrl_r), vec![Command::Refresh]);
    // Metrics for a window the user has left are not shown.
    let (changed, _) = app.apply(DataEvent::Metrics {
        window: Window::H3,
        series: Default::default(),
        outages: Default::default(),
    });
    assert!(!changed);
}

#[test]
fn quit_by_q_or_ctrl_c_even_while_filtering() {
    let mut app = demo_app(80, 24);
    app.on_key(key('q'));
    assert!(app.quit);
    let mut app = demo_app(80, 24);
    app.on_key(key('/'));
    app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(app.quit);
}

#[test]
fn errors_keep_the_data_and_say_what_is_wrong() {
    let mut app = demo_app(80, 24);
    let rows = app.rows.len();
    app.apply(DataEvent::Failed {
        what: "list",
        error: CloudError::Throttled("Rate exceeded".into()),
    });
    assert_eq!(app.rows.len(), rows, "the table is kept");
    let (msg, _) = app.last_error.clone().unwrap();
    assert!(msg.contains("throttling"), "{msg}");
    // A failed describe keeps the last good description.
    app.apply(DataEvent::Stream {
        name: "order-events".into(),
        result: Err(CloudError::Unreachable("timeout".into())),
        at: fixed_now(),
    });
    assert!(app.row("order-events").unwrap().stream.is_some());
    // The next good listing clears the banner.
    let names = app.rows.iter().map(|r| r.name.clone()).collect();
    app.apply(DataEvent::Names(names));
    assert!(app.last_error.is_none());
}

#[test]
fn new_and_deleted_streams_follow_the_listing() {
    let mut app = demo_app(80, 24);
    let mut names: Vec<String> = app.rows.iter().map(|r| r.name.clone()).collect();
    names.retain(|n| n != "audit-trail");
    names.push("zz-new".into());
    app.apply(DataEvent::Names(names));
    assert!(app.row("audit-trail").is_none());
    let new = app.row("zz-new").unwrap();
    assert!(new.stream.is_none(), "listed, not yet described");
    assert!(
        app.row("order-events").unwrap().stream.is_some(),
        "known rows keep their data"
    );
}

#[test]
fn the_header_clock_changes_once_a_minute_not_every_second() {
    let mut app = demo_app(80, 24);
    assert!(!app.tick(fixed_now() + chrono::Duration::seconds(30)));
    assert!(app.tick(fixed_now() + chrono::Duration::seconds(61)));
    assert!(!app.tick(fixed_now() + chrono::Duration::seconds(90)));
}

#[test]
fn summary_counts_every_status_and_kms_errors() {
    let app = demo_app(80, 24);
    let s = &app.summary;
    assert_eq!(s.total, app.rows.len());
    assert_eq!(s.by_status.get(&EncryptionStatus::EnablingFailed), Some(&2));
    assert_eq!(s.with_kms_errors, 5);
}

#[test]
fn filtering_keeps_what_is_known_of_each_stream() {
    let mut app = demo_app(80, 24);
    app.on_key(key('/'));
    for c in "bill".chars() {
        app.on_key(key(c));
    }
    press(&mut app, KeyCode::Enter);
    assert!(app.selected_row().unwrap().stream.is_some());
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Detail("billing-export".into()));
}
