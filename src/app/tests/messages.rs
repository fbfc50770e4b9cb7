//! The status line's messages, the message log, and `r`/`d` on a stream not
//! described yet, as the user meets them: no runtime, only update and apply.

use chrono::Duration;
use crossterm::event::KeyCode;

use super::{key, press, selected};
use crate::app::testing::{all_keys_event, demo_app, fixed_now};
use crate::app::{App, Dialog, PickFor, View, LOG_CAP};
use crate::cloud::CloudError;
use crate::model::Tone;
use crate::worker::{DataEvent, Fetch, WorkerCommand};

const OUTCOME: &str = "Changing order-events to alias/locked-down was refused by KMS: AccessDeniedException: the key policy does not allow firehose.amazonaws.com to use the key. The stream stays encrypted with alias/orders-events.";

fn report(app: &mut App, text: &str, tone: Tone) {
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::ChangeReport {
            stream: "order-events".into(),
            text: text.into(),
            tone,
        },
    );
}

fn shown(app: &App) -> Option<String> {
    app.messages.shown().map(|m| m.text.clone())
}

fn app_on(name: &str) -> App {
    let mut app = demo_app(100, 30);
    while selected(&app) != name {
        app.on_key(key('j'));
    }
    app
}

/// `name` as the dashboard knows it before its first description.
fn undescribed(app: &mut App, name: &str) -> crate::model::Stream {
    let row = app.row_mut(name);
    row.described_at = None;
    row.stream.take().unwrap()
}

fn arrives(app: &mut App, stream: crate::model::Stream) -> Vec<WorkerCommand> {
    let (_, commands) = app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Stream {
            name: stream.name.clone(),
            result: Ok(stream),
            at: fixed_now(),
        },
    );
    commands
}

#[test]
fn an_outcome_survives_every_screen_until_dismissed() {
    let mut app = app_on("order-events");
    report(&mut app, OUTCOME, Tone::Bad);
    for k in ['j', '?', '?', 'K', 'K'] {
        app.on_key(key(k));
        assert_eq!(shown(&app).as_deref(), Some(OUTCOME), "after {k}");
    }
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.screen.view, View::Detail(_)));
    assert_eq!(shown(&app).as_deref(), Some(OUTCOME), "in the detail");
    // A minute on, still there: only notices go by themselves.
    app.tick(fixed_now() + Duration::minutes(5));
    assert_eq!(shown(&app).as_deref(), Some(OUTCOME));
    app.on_key(key('x'));
    assert_eq!(shown(&app), None, "x dismisses it");
    assert_eq!(app.messages.log[0].text, OUTCOME, "the log keeps it");
}

#[test]
fn a_newer_outcome_replaces_the_last_and_both_are_logged() {
    let mut app = app_on("order-events");
    report(&mut app, OUTCOME, Tone::Bad);
    report(
        &mut app,
        "billing-export: ENABLED with alias/billing.",
        Tone::Good,
    );
    assert_eq!(
        shown(&app).as_deref(),
        Some("billing-export: ENABLED with alias/billing.")
    );
    let log: Vec<&str> = app.messages.log.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        log,
        ["billing-export: ENABLED with alias/billing.", OUTCOME],
        "newest first"
    );
}

#[test]
fn progress_is_a_notice_that_goes_and_the_outcome_shows_again() {
    let mut app = app_on("order-events");
    report(&mut app, OUTCOME, Tone::Bad);
    report(
        &mut app,
        "ledger-sync: AWS accepted the change; following it…",
        Tone::Info,
    );
    assert!(
        shown(&app).unwrap().starts_with("ledger-sync"),
        "the news first"
    );
    assert!(!app.tick(fixed_now() + Duration::seconds(3)));
    assert!(
        app.tick(fixed_now() + Duration::seconds(11)),
        "it went: redraw"
    );
    assert_eq!(shown(&app).as_deref(), Some(OUTCOME));
    assert_eq!(app.messages.log.len(), 1, "progress is not logged");
}

#[test]
fn a_refusal_is_a_notice_the_next_key_clears_but_the_log_keeps() {
    let mut app = app_on("cloudfront-logs");
    app.on_key(key('R'));
    assert!(shown(&app).unwrap().contains("no customer managed key"));
    app.on_key(key('j'));
    assert_eq!(shown(&app), None);
    assert!(app.messages.log[0].text.contains("no customer managed key"));
}

#[test]
fn the_log_keeps_the_last_fifty_and_counts_a_repeated_error() {
    let mut app = demo_app(80, 24);
    for i in 0..60 {
        report(&mut app, &format!("stream-{i}: ENABLED."), Tone::Good);
    }
    assert_eq!(app.messages.log.len(), LOG_CAP);
    assert_eq!(app.messages.log[0].text, "stream-59: ENABLED.");
    assert_eq!(app.messages.log[LOG_CAP - 1].text, "stream-10: ENABLED.");
    for _ in 0..3 {
        app.apply(
            crate::model::TargetId::FIRST,
            DataEvent::Failed {
                what: Fetch::Metrics,
                error: CloudError::Throttled("Rate exceeded".into()),
            },
        );
    }
    assert_eq!(app.messages.log.len(), LOG_CAP);
    let newest = &app.messages.log[0];
    assert!(newest.text.contains("throttling"), "{}", newest.text);
    assert_eq!(newest.count, 3, "one entry, counted");
}

#[test]
fn m_opens_the_log_where_it_was_and_m_or_esc_closes_it() {
    let mut app = app_on("order-events");
    report(&mut app, OUTCOME, Tone::Bad);
    app.on_key(key('K'));
    app.on_key(key('m'));
    assert_eq!(app.screen.view, View::Messages);
    app.on_key(key('m'));
    assert_eq!(app.screen.view, View::Keys, "back where it was opened");
    // `:` is the command line now (issue 26): `:messages` opens the log.
    for c in ":messages".chars() {
        app.on_key(key(c));
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen.view, View::Messages);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen.view, View::Keys);
    assert_eq!(shown(&app).as_deref(), Some(OUTCOME));
}

#[test]
fn r_on_a_stream_not_described_describes_it_then_opens_the_picker() {
    let mut app = app_on("order-events");
    app.apply(crate::model::TargetId::FIRST, all_keys_event());
    let stream = undescribed(&mut app, "order-events");
    let commands = app.on_key(key('r'));
    assert!(commands
        .iter()
        .any(|c| matches!(c, WorkerCommand::Describe(n) if n.name == "order-events")));
    assert!(app.dialog.is_none(), "nothing to pick from yet");
    assert_eq!(
        app.describing_line().as_deref(),
        Some("describing order-events… the key picker opens when AWS answers")
    );
    arrives(&mut app, stream);
    assert!(
        matches!(&app.dialog, Some(Dialog::Picker(p)) if p.purpose == PickFor::Stream(app.id("order-events"))),
        "{:?}",
        app.dialog
    );
    assert_eq!(app.describing_line(), None);
}

#[test]
fn d_on_a_stream_not_described_opens_the_stop_dialog_with_its_checks() {
    let mut app = app_on("clickstream-raw");
    let stream = undescribed(&mut app, "clickstream-raw");
    app.on_key(key('d'));
    assert!(app.dialog.is_none());
    arrives(&mut app, stream);
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!("the stop dialog: {:?}", app.dialog);
    };
    assert_eq!(c.typed.as_deref(), Some(""));
    assert!(
        c.verdict.refusals.iter().any(|r| r.contains("DirectPut")),
        "checked as if described all along: {:?}",
        c.verdict
    );
}

#[test]
fn a_key_pressed_while_describing_means_no_dialog_later() {
    for moved_on in [
        KeyCode::Esc,
        KeyCode::Down,
        KeyCode::Char('?'),
        KeyCode::Char('z'),
    ] {
        let mut app = app_on("order-events");
        let stream = undescribed(&mut app, "order-events");
        app.on_key(key('r'));
        press(&mut app, moved_on);
        assert_eq!(app.describing_line(), None, "{moved_on:?}");
        arrives(&mut app, stream);
        assert!(app.dialog.is_none(), "{moved_on:?}: {:?}", app.dialog);
    }
}

/// Letters typed for the picker while the stream is described never reach
/// the table: the first ends the wait, with a notice, and does nothing else.
#[test]
fn keys_typed_while_describing_are_dropped_not_sent_to_the_table() {
    let mut app = app_on("order-events");
    let stream = undescribed(&mut app, "order-events");
    let sort = app.table.sort;
    let at = app.table.selected;
    app.on_key(key('r'));
    app.on_key(key('s'));
    assert_eq!(app.table.sort, sort, "s did not re-sort the table");
    let said = shown(&app).unwrap();
    assert!(
        said.starts_with("the key picker will not open: a key was pressed while order-events")
            && said.ends_with("(r to try again)"),
        "{said}"
    );
    app.on_key(key('x'));
    arrives(&mut app, stream);
    assert!(app.dialog.is_none(), "{:?}", app.dialog);
    assert_eq!(app.table.sort, sort);
    assert_eq!(app.table.selected, at);
}

#[test]
fn a_description_that_fails_says_why_and_opens_nothing() {
    let mut app = app_on("order-events");
    undescribed(&mut app, "order-events");
    app.on_key(key('d'));
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Stream {
            name: "order-events".into(),
            result: Err(CloudError::AccessDenied(
                "not authorized to perform firehose:DescribeDeliveryStream".into(),
            )),
            at: fixed_now(),
        },
    );
    assert!(app.dialog.is_none());
    let said = shown(&app).unwrap();
    assert!(
        said.starts_with("order-events could not be described, so the stop dialog did not open")
            && said.contains("DescribeDeliveryStream"),
        "{said}"
    );
}

#[test]
fn a_stream_gone_while_describing_says_so() {
    let mut app = app_on("order-events");
    undescribed(&mut app, "order-events");
    app.on_key(key('r'));
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Gone("order-events".into()),
    );
    assert_eq!(app.describing_line(), None);
    assert!(shown(&app).unwrap().contains("no longer exists"));
}
