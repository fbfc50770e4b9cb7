use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::testing::{demo_app, fixed_now};
use super::*;
use crate::cloud::CloudError;
use crate::model::EncryptionStatus;
use crate::worker::DataEvent;

mod honesty;
mod keys;
mod messages;
mod moving;
mod recorded;
mod table;
mod targets;

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn press(app: &mut App, code: KeyCode) -> Vec<WorkerCommand> {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn selected(app: &App) -> String {
    app.selected_row().unwrap().1.name.clone()
}

#[test]
fn moving_keeps_the_cursor_on_screen_and_in_bounds() {
    let mut app = demo_app(80, 24);
    assert_eq!(selected(&app), "audit-trail");
    app.on_key(key('k'));
    assert_eq!(app.table.selected, 0, "cannot go above the first row");
    app.on_key(key('G'));
    assert_eq!(app.table.selected, app.table.visible.len() - 1);
    assert!(
        app.table.selected < app.table.offset + app.table.viewport
            && app.table.selected >= app.table.offset
    );
    press(&mut app, KeyCode::PageUp);
    assert_eq!(
        app.table.selected,
        app.table.visible.len() - 1 - app.table.viewport
    );
    app.on_key(key('g'));
    assert_eq!((app.table.selected, app.table.offset), (0, 0));
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.table.selected, app.table.viewport);
}

#[test]
fn scrolling_tells_the_worker_what_is_on_screen() {
    let mut app = demo_app(80, 24);
    let commands = press(&mut app, KeyCode::End);
    let Some(WorkerCommand::Interest { visible, nearby }) = commands.last() else {
        panic!("interest expected, got {commands:?}");
    };
    assert_eq!(
        visible.last().map(|id| id.name.as_str()),
        Some("web-analytics")
    );
    assert_eq!(visible.len(), app.table.viewport);
    assert!(!nearby.is_empty());
    // The same screen again is not news.
    assert!(press(&mut app, KeyCode::End).is_empty());
}

#[test]
fn filter_matches_name_alias_or_status_and_esc_clears() {
    let mut app = demo_app(80, 24);
    app.on_key(key('/'));
    assert!(app.table.filtering);
    for c in "legacy".chars() {
        app.on_key(key(c));
    }
    let names: Vec<_> = app.listed_names();
    assert_eq!(
        names,
        ["billing-export", "billing-invoices"],
        "by key alias"
    );
    press(&mut app, KeyCode::Enter);
    assert!(
        !app.table.filtering && app.table.filter == "legacy",
        "Enter keeps the filter"
    );
    press(&mut app, KeyCode::Esc);
    assert!(
        app.table.filter.is_empty() && app.table.visible.len() == app.fleet.order().len(),
        "Esc clears it"
    );

    app.on_key(key('/'));
    for c in "failed".chars() {
        app.on_key(key(c));
    }
    assert_eq!(
        app.table.visible.len(),
        3,
        "by status: 2 ENABLING_FAILED + 1 DISABLING_FAILED"
    );
    press(&mut app, KeyCode::Esc);
    assert!(app.table.filter.is_empty() && !app.table.filtering);
}

#[test]
fn sort_cycles_and_keeps_the_selected_stream() {
    let mut app = demo_app(80, 24);
    app.on_key(key('j'));
    let before = selected(&app);
    app.on_key(key('s'));
    assert_eq!(app.table.sort, SortKey::Status);
    assert_eq!(selected(&app), before, "cursor follows the stream");
    let first = app.listed(0).unwrap().1;
    assert_eq!(
        first.stream.as_ref().unwrap().encryption.status,
        EncryptionStatus::EnablingFailed
    );
    app.on_key(key('s'));
    assert_eq!(app.table.sort, SortKey::KmsErrors);
    let top = &app.listed(0).unwrap().1.name;
    assert!(
        top.starts_with("billing") || top == "clickstream-archive",
        "{top}"
    );
    app.on_key(key('s'));
    assert_eq!(app.table.sort, SortKey::QuotaLeft);
    app.on_key(key('s'));
    assert_eq!(app.table.sort, SortKey::Problems);
    app.on_key(key('s'));
    assert_eq!(app.table.sort, SortKey::Name);
}

#[test]
fn enter_opens_detail_esc_returns_and_help_toggles() {
    let mut app = demo_app(80, 24);
    app.on_key(key('j'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen.view, View::Detail(app.id("billing-export")));
    app.on_key(key('j'));
    assert_eq!(
        app.screen.view,
        View::Detail(app.id("billing-invoices")),
        "detail follows the cursor"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen.view, View::Table);
    app.on_key(key('?'));
    assert_eq!(app.screen.view, View::Help);
    app.on_key(key('j'));
    assert_eq!(selected(&app), "billing-invoices", "help swallows movement");
    app.on_key(key('?'));
    assert_eq!(app.screen.view, View::Table);
}

#[test]
fn window_and_refresh_ask_the_worker() {
    let mut app = demo_app(80, 24);
    assert_eq!(
        app.on_key(key('w')),
        vec![WorkerCommand::Window(Window::H12)]
    );
    assert_eq!(app.fleet.metrics_state(), LoadingState::Loading);
    let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert_eq!(app.on_key(ctrl_r), vec![WorkerCommand::Refresh]);
    // Ctrl-r is seen to do something until the list comes back.
    assert_eq!(app.clock_label(), "refreshing…");
    let names = app.all_rows().into_iter().map(|(_, r)| r.name).collect();
    app.apply(crate::model::TargetId::FIRST, DataEvent::Names(names));
    assert!(
        app.clock_label().starts_with("refreshed"),
        "{}",
        app.clock_label()
    );
    // Metrics for a window the user has left are not shown.
    let (changed, _) = app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Metrics {
            window: Window::H3,
            series: Default::default(),
            unknown: Default::default(),
            outages: Default::default(),
            at: chrono::DateTime::UNIX_EPOCH,
            as_of: Default::default(),
        },
    );
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
    let rows = app.fleet.order().len();
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Failed {
            what: crate::worker::Fetch::List,
            error: CloudError::Throttled("Rate exceeded".into()),
        },
    );
    assert_eq!(app.fleet.order().len(), rows, "the table is kept");
    let (msg, _) = app.fleet.freshness.last_error.clone().unwrap();
    assert!(msg.contains("throttling"), "{msg}");
    // A failed describe keeps the last good description.
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Stream {
            name: "order-events".into(),
            result: Err(CloudError::Unreachable("timeout".into())),
            at: fixed_now(),
        },
    );
    assert!(app.row_named("order-events").unwrap().stream.is_some());
    // The next good listing clears the banner.
    let names = app.all_rows().into_iter().map(|(_, r)| r.name).collect();
    app.apply(crate::model::TargetId::FIRST, DataEvent::Names(names));
    assert!(app.fleet.freshness.last_error.is_none());
}

#[test]
fn new_and_deleted_streams_follow_the_listing() {
    let mut app = demo_app(80, 24);
    let mut names: Vec<String> = app.all_rows().into_iter().map(|(_, r)| r.name).collect();
    names.retain(|n| n != "audit-trail");
    names.push("zz-new".into());
    app.apply(crate::model::TargetId::FIRST, DataEvent::Names(names));
    assert!(app.row_named("audit-trail").is_none());
    let new = app.row_named("zz-new").unwrap();
    assert!(new.stream.is_none(), "listed, not yet described");
    assert!(
        app.row_named("order-events").unwrap().stream.is_some(),
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
    let s = &app.fleet.tally();
    assert_eq!(s.total, app.fleet.order().len());
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
    assert!(app.selected_row().unwrap().1.stream.is_some());
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen.view, View::Detail(app.id("billing-export")));
}

mod changes {
    use super::*;
    use crate::app::Dialog;
    use crate::change::Request;
    use crate::model::KeyRef;
    use crate::model::Tone;

    fn app_on(name: &str) -> App {
        let mut app = demo_app(100, 30);
        while selected(&app) != name {
            app.on_key(key('j'));
        }
        app
    }

    fn with_keys(app: &mut App) {
        app.apply(
            crate::model::TargetId::FIRST,
            crate::app::testing::all_keys_event(),
        );
    }

    fn type_text(app: &mut App, text: &str) {
        for c in text.chars() {
            app.on_key(key(c));
        }
    }

    #[test]
    fn r_opens_the_picker_and_asks_for_the_keys_once() {
        let mut app = app_on("order-events");
        assert_eq!(
            app.on_key(key('r')),
            vec![WorkerCommand::LoadKeys(crate::model::TargetId::FIRST)]
        );
        assert!(matches!(app.dialog, Some(Dialog::Picker(_))));
        let items = app.picker_items();
        assert_eq!(
            items[0].key,
            KeyRef::AwsOwned,
            "AWS owned first, even before keys load"
        );
        with_keys(&mut app);
        let items = app.picker_items();
        let legacy = items
            .iter()
            .find(|i| i.label == "alias/legacy-billing")
            .unwrap();
        assert_eq!(legacy.problem.as_deref(), Some("is Disabled, not Enabled"));
        let rsa = items
            .iter()
            .find(|i| i.label == "alias/signing-rsa")
            .unwrap();
        assert!(rsa.problem.as_ref().unwrap().contains("symmetric"));
        let current = items
            .iter()
            .find(|i| i.label == "alias/orders-events")
            .unwrap();
        assert_eq!(current.problem.as_deref(), Some("already in use"));
        press(&mut app, KeyCode::Esc);
        assert!(app.dialog.is_none());
        assert!(app.on_key(key('r')).is_empty(), "keys already known");
    }

    #[test]
    fn picking_a_good_key_confirms_and_y_sends() {
        let mut app = app_on("order-events");
        app.on_key(key('r'));
        with_keys(&mut app);
        type_text(&mut app, "events-2026");
        assert_eq!(app.picker_items().len(), 1);
        press(&mut app, KeyCode::Enter);
        let Some(Dialog::Confirm(c)) = &app.dialog else {
            panic!("confirmation expected");
        };
        assert_eq!(c.old_label, "alias/orders-events");
        assert_eq!(c.new_label, "alias/orders-events-2026");
        assert!(c.verdict.allowed());
        // Enter is not yes: cancel is the default.
        press(&mut app, KeyCode::Enter);
        assert!(matches!(app.dialog, Some(Dialog::Confirm(_))));
        let commands = app.on_key(key('y'));
        let Some(WorkerCommand::MakeChange { request, .. }) = commands.first() else {
            panic!("change expected, got {commands:?}");
        };
        assert!(
            matches!(request, Request::Switch { stream, key: KeyRef::Customer(arn) }
            if stream == "order-events" && arn.ends_with("2a1b8d3c-5c2e-4f90-8b4d-6e7f8091a2b3"))
        );
        assert!(app.dialog.is_none());
    }

    #[test]
    fn unusable_keys_cannot_be_picked_and_n_cancels() {
        let mut app = app_on("order-events");
        app.on_key(key('r'));
        with_keys(&mut app);
        type_text(&mut app, "legacy");
        press(&mut app, KeyCode::Enter);
        assert!(
            matches!(app.dialog, Some(Dialog::Picker(_))),
            "still picking"
        );
        assert!(app.messages.shown().unwrap().text.contains("is Disabled"));
        press(&mut app, KeyCode::Backspace);
        for _ in 0..5 {
            press(&mut app, KeyCode::Backspace);
        }
        press(&mut app, KeyCode::Enter);
        // AWS owned key: allowed, so a confirmation; n closes it, nothing sent.
        assert!(matches!(app.dialog, Some(Dialog::Confirm(_))));
        assert!(app.on_key(key('n')).is_empty());
        assert!(app.dialog.is_none());
    }

    #[test]
    fn refused_changes_show_why_and_y_does_nothing() {
        let mut app = app_on("clickstream-raw");
        app.on_key(key('r'));
        with_keys(&mut app);
        press(&mut app, KeyCode::Enter);
        let Some(Dialog::Confirm(c)) = &app.dialog else {
            panic!("confirmation expected");
        };
        assert!(c.verdict.refusals[0].contains("DirectPut"));
        assert!(app.on_key(key('y')).is_empty());
    }

    #[test]
    fn d_needs_the_full_name_typed_then_enter() {
        let mut app = app_on("order-events");
        app.on_key(key('d'));
        let Some(Dialog::Confirm(c)) = &app.dialog else {
            panic!("dialog expected");
        };
        assert_eq!(c.typed.as_deref(), Some(""));
        assert!(app.on_key(key('y')).is_empty(), "y is just a letter here");
        press(&mut app, KeyCode::Backspace);
        type_text(&mut app, "order-event");
        assert!(
            press(&mut app, KeyCode::Enter).is_empty(),
            "not the full name"
        );
        type_text(&mut app, "s");
        let commands = press(&mut app, KeyCode::Enter);
        assert!(
            matches!(commands.first(), Some(WorkerCommand::MakeChange { target: crate::model::TargetId::FIRST, request: Request::Disable { stream }, .. }) if stream == "order-events")
        );
    }

    #[test]
    fn read_only_refuses_and_says_so() {
        let mut app = app_on("order-events");
        app.context.read_only = true;
        assert!(app.on_key(key('r')).is_empty());
        assert!(app.dialog.is_none());
        let m = app.messages.shown().cloned().unwrap();
        let (msg, tone) = (m.text, m.tone);
        assert!(msg.contains("read-only"));
        assert_eq!(tone, Tone::Bad);
        app.on_key(key('d'));
        assert!(app.dialog.is_none());
    }

    #[test]
    fn the_outcome_of_a_change_reaches_the_status_line() {
        let mut app = app_on("order-events");
        app.apply(crate::model::TargetId::FIRST,DataEvent::ChangeReport {
            stream: "order-events".into(),
            text: "Changing order-events to alias/x FAILED. The stream stays encrypted with its old key, alias/orders-events.".into(),
            tone: Tone::Bad,
        });
        assert!(app
            .messages
            .shown()
            .unwrap()
            .text
            .contains("stays encrypted with its old key"));
        app.on_key(key('j'));
        assert!(
            app.messages.shown().is_some(),
            "a key press does not clear it"
        );
        app.on_key(key('x'));
        assert!(app.messages.shown().is_none(), "x dismisses it");
    }
}

#[test]
fn quitting_while_a_change_is_followed_asks_first() {
    let mut app = demo_app(80, 24);
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Following {
            stream: "order-events".into(),
            active: true,
        },
    );
    app.on_key(key('q'));
    assert!(!app.quit, "asks first");
    assert_eq!(
        app.dialog,
        Some(Dialog::Quit(vec!["the change to order-events".to_string()]))
    );
    app.on_key(key('n'));
    assert!(!app.quit && app.dialog.is_none(), "n keeps watching");
    app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(matches!(app.dialog, Some(Dialog::Quit(_))));
    app.on_key(key('y'));
    assert!(app.quit);

    let mut app = demo_app(80, 24);
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Following {
            stream: "order-events".into(),
            active: true,
        },
    );
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Following {
            stream: "order-events".into(),
            active: false,
        },
    );
    app.on_key(key('q'));
    assert!(app.quit, "nothing followed: quits at once");
}

#[test]
fn a_stream_aws_no_longer_has_leaves_the_table_quietly() {
    let mut app = demo_app(80, 24);
    let before = app.fleet.order().len();
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Gone("dev-scratch".into()),
    );
    assert_eq!(app.fleet.order().len(), before - 1);
    assert!(app.row_named("dev-scratch").is_none());
    assert!(
        app.fleet.freshness.last_error.is_none(),
        "no alarm for a deleted stream"
    );
}

/// Control characters a terminal or a paste can deliver as key presses, and
/// the chords a pasted escape sequence turns into (ESC ] reads as Alt-]).
fn hostile_keys() -> Vec<KeyEvent> {
    let mut keys: Vec<KeyEvent> = ['\x1b', '\x07', '\u{9b}', '\x7f', '\0', '\r']
        .into_iter()
        .map(key)
        .collect();
    keys.push(KeyEvent::new(KeyCode::Char(']'), KeyModifiers::ALT));
    keys.push(KeyEvent::new(KeyCode::Char('g'), KeyModifiers::CONTROL));
    keys
}

fn type_hostile(app: &mut App, around: &str) {
    let (before, after) = around.split_at(around.len() / 2);
    for c in before.chars() {
        app.on_key(key(c));
    }
    for k in hostile_keys() {
        app.on_key(k);
    }
    for c in after.chars() {
        app.on_key(key(c));
    }
}

#[test]
fn typed_control_characters_never_enter_a_text_field() {
    let mut app = demo_app(100, 30);
    app.on_key(key('/'));
    type_hostile(&mut app, "order-ev");
    assert_eq!(app.table.filter, "order-ev");
    assert!(app.table.filtering, "no control key closed the prompt");
    press(&mut app, KeyCode::Enter);

    app.on_key(key('r'));
    app.apply(
        crate::model::TargetId::FIRST,
        crate::app::testing::all_keys_event(),
    );
    type_hostile(&mut app, "2026");
    let Some(Dialog::Picker(p)) = &app.dialog else {
        panic!("picker open: {:?}", app.dialog);
    };
    assert_eq!(p.filter, "2026");
    press(&mut app, KeyCode::Esc);

    app.on_key(key('d'));
    type_hostile(&mut app, "order-events");
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!("stop dialog open: {:?}", app.dialog);
    };
    assert_eq!(c.typed.as_deref(), Some("order-events"));
}

#[test]
fn the_keys_view_puts_the_key_hurting_us_first_and_enter_shows_its_streams() {
    let mut app = demo_app(80, 24);
    app.on_key(key('K'));
    assert_eq!(app.screen.view, View::Keys);
    let rows = app.key_rows();
    // Worst first: a disabled key with streams on it is critical.
    assert_eq!(rows[0].health, crate::health::Health::Critical);
    let legacy = rows
        .iter()
        .find(|r| r.label == "alias/legacy-billing")
        .unwrap();
    assert_eq!(legacy.health, crate::health::Health::Critical);
    assert_eq!((legacy.streams, legacy.erring), (2, Some(2)));
    let ledger = rows
        .iter()
        .find(|r| r.label == "alias/ledger-2019")
        .unwrap();
    assert_eq!(ledger.streams, 6);

    // Filter to the retiring key, then Enter: its six streams, nothing else.
    app.on_key(key('/'));
    for c in "ledger".chars() {
        app.on_key(key(c));
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.key_rows().len(), 1);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen.view, View::Table);
    let shown: Vec<String> = app.listed_names();
    assert_eq!(shown.len(), 6, "{shown:?}");
    assert!(shown.iter().all(|n| n.starts_with("ledger-")), "{shown:?}");

    // Esc goes back to the keys; K back to every stream.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen.view, View::Keys);
    app.on_key(key('K'));
    assert_eq!(app.screen.view, View::Table);
    assert!(app.table.visible.len() > 6);
}

#[test]
fn the_keys_view_sorts_and_its_help_returns_to_it() {
    let mut app = demo_app(80, 24);
    app.on_key(key('K'));
    app.on_key(key('s'));
    let names: Vec<String> = app.key_rows().iter().map(|r| r.label.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by name");
    app.on_key(key('s'));
    let streams: Vec<usize> = app.key_rows().iter().map(|r| r.streams).collect();
    assert!(
        streams.windows(2).all(|w| w[0] >= w[1]),
        "most streams first: {streams:?}"
    );
    app.on_key(key('?'));
    assert_eq!(app.screen.view, View::Help);
    app.on_key(key('?'));
    assert_eq!(app.screen.view, View::Keys);
}

#[test]
fn r_asks_to_rotate_the_keys_material_and_y_sends_it_to_the_worker() {
    let mut app = demo_app(100, 30);
    app.on_key(key('K'));
    while app.key_rows()[app.keys_view.selected].label != "alias/payments" {
        app.on_key(key('j'));
    }
    app.on_key(key('R'));
    let Some(Dialog::KeyConfirm(plan, _)) = &app.dialog else {
        panic!("a confirmation: {:?}", app.dialog);
    };
    assert!(plan.verdict.allowed(), "{:?}", plan.verdict);
    assert_eq!(plan.streams.len(), 7);
    let commands = app.on_key(key('y'));
    assert!(
        commands.iter().any(
            |c| matches!(c, WorkerCommand::MakeKeyChange { streams, .. } if streams.len() == 7)
        ),
        "{commands:?}"
    );
    assert!(app.dialog.is_none());

    // A disabled key: refused in the dialog, y sends nothing.
    while app.key_rows()[app.keys_view.selected].label != "alias/legacy-billing" {
        app.on_key(key('k'));
    }
    app.on_key(key('R'));
    let Some(Dialog::KeyConfirm(plan, _)) = &app.dialog else {
        panic!("a confirmation");
    };
    assert!(!plan.verdict.allowed());
    let commands = app.on_key(key('y'));
    assert!(!commands
        .iter()
        .any(|c| matches!(c, WorkerCommand::MakeKeyChange { .. })));
    app.on_key(key('n'));
    assert!(app.dialog.is_none());

    // On a stream with an AWS owned key there is no key material to rotate.
    app.on_key(key('K'));
    while selected(&app) != "cloudfront-logs" {
        app.on_key(key('j'));
    }
    app.on_key(key('R'));
    assert!(app.dialog.is_none());
    assert!(app
        .messages
        .shown()
        .unwrap()
        .text
        .contains("no customer managed key"));
}

#[test]
fn a_in_the_keys_view_turns_automatic_rotation_on_or_off() {
    let mut app = demo_app(100, 30);
    app.on_key(key('K'));
    // alias/analytics does not rotate: A offers to turn it on, yearly.
    while app.key_rows()[app.keys_view.selected].label != "alias/analytics" {
        app.on_key(key('j'));
    }
    app.on_key(key('A'));
    let Some(Dialog::KeyConfirm(plan, _)) = &app.dialog else {
        panic!("a confirmation: {:?}", app.dialog);
    };
    assert_eq!(plan.change, crate::key_rotation::KeyChange::AutoOn(365));
    let commands = app.on_key(key('y'));
    assert!(commands.iter().any(|c| matches!(
        c,
        WorkerCommand::MakeKeyChange {
            change: crate::key_rotation::KeyChange::AutoOn(365),
            ..
        }
    )));
    // alias/payments rotates: A offers to turn it off.
    while app.key_rows()[app.keys_view.selected].label != "alias/payments" {
        app.on_key(key('j'));
    }
    app.on_key(key('A'));
    let Some(Dialog::KeyConfirm(plan, _)) = &app.dialog else {
        panic!(
            "a confirmation: {:?} {:?}",
            app.messages.shown(),
            app.mode()
        );
    };
    assert_eq!(plan.change, crate::key_rotation::KeyChange::AutoOff);
}

#[test]
fn left_and_right_choose_the_automatic_rotation_period_before_y() {
    let mut app = demo_app(100, 30);
    app.on_key(key('K'));
    while app.key_rows()[app.keys_view.selected].label != "alias/analytics" {
        app.on_key(key('j'));
    }
    app.on_key(key('A'));
    let right = KeyEvent::new(KeyCode::Right, KeyModifiers::NONE);
    let left = KeyEvent::new(KeyCode::Left, KeyModifiers::NONE);
    app.on_key(left);
    app.on_key(left);
    let change = |app: &App| match &app.dialog {
        Some(Dialog::KeyConfirm(plan, _)) => plan.change,
        other => panic!("the confirmation: {other:?}"),
    };
    // Not rotating yet: 90 days is the shortest, there is no "off".
    assert_eq!(change(&app), crate::key_rotation::KeyChange::AutoOn(90));
    app.on_key(right);
    app.on_key(key('+'));
    assert_eq!(change(&app), crate::key_rotation::KeyChange::AutoOn(365));
    app.on_key(right);
    let commands = app.on_key(key('y'));
    assert!(
        commands.iter().any(|c| matches!(
            c,
            WorkerCommand::MakeKeyChange {
                change: crate::key_rotation::KeyChange::AutoOn(730),
                ..
            }
        )),
        "{commands:?}"
    );
    // A rotating key: A offers off; right changes the period instead.
    while app.key_rows()[app.keys_view.selected].label != "alias/payments" {
        app.on_key(key('j'));
    }
    app.on_key(key('A'));
    assert_eq!(change(&app), crate::key_rotation::KeyChange::AutoOff);
    app.on_key(right);
    assert_eq!(change(&app), crate::key_rotation::KeyChange::AutoOn(90));
}

#[test]
fn a_wrong_name_in_the_stop_dialog_says_it_does_not_match() {
    let mut app = demo_app(100, 30);
    while selected(&app) != "order-events" {
        app.on_key(key('j'));
    }
    app.on_key(key('d'));
    for c in "order-event".chars() {
        app.on_key(key(c));
    }
    let commands = press(&mut app, KeyCode::Enter);
    assert!(commands.is_empty(), "{commands:?}");
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!("still open: {:?}", app.dialog);
    };
    assert!(c.mismatch);
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    t.draw(|f| crate::ui::render(f, &app)).unwrap();
    let text = t.backend().to_string();
    assert!(text.contains("does not match order-events"), "{text}");
    app.on_key(key('s'));
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!("still open");
    };
    assert!(!c.mismatch, "typing again clears it");
    let commands = press(&mut app, KeyCode::Enter);
    assert!(commands
        .iter()
        .any(|c| matches!(c, WorkerCommand::MakeChange { .. })));
}

#[test]
fn r_refuses_a_stream_that_cannot_change_before_any_key_is_picked() {
    let mut app = demo_app(100, 30);
    while selected(&app) != "clickstream-raw" {
        app.on_key(key('j'));
    }
    let commands = app.on_key(key('r'));
    assert!(
        !commands.contains(&WorkerCommand::LoadKeys(crate::model::TargetId::FIRST)),
        "no keys listed for nothing"
    );
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!("refused at once: {:?}", app.dialog);
    };
    assert!(
        c.verdict.refusals[0].contains("reads from Kinesis"),
        "{c:?}"
    );
    assert!(app.on_key(key('y')).is_empty(), "y sends nothing");
    app.on_key(key('n'));
    assert!(app.dialog.is_none());
}
