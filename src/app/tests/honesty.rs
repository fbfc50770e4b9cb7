//! The confirmation says what is true of the quota and the key: a day
//! filled only by calls AWS refused, and a key KMS would not let the caller
//! grant on, are refused on the safe reading, and sent only when the user
//! types `send` (or the stream's name).

use super::*;
use crate::app::Dialog;
use crate::change::Request;
use crate::cloud::GrantCheck;
use crate::model::KeyRef;

fn app_with_refused_calls(width: u16, height: u16) -> App {
    let mut app = crate::app::testing::app_with_refused_calls(width, height);
    while selected(&app) != "order-events" {
        app.on_key(key('j'));
    }
    app
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(key(c));
    }
}

#[test]
fn a_day_filled_by_refused_calls_is_sent_only_when_send_is_typed() {
    let mut app = app_with_refused_calls(100, 30);
    let q = app.quota(&app.id("order-events")).unwrap();
    assert_eq!(
        (q.used, q.refused, q.remaining, q.remaining_at_most),
        (9, 16, 0, 16)
    );
    // The picker opens: only refused calls stand in the way.
    app.on_key(key('r'));
    assert!(
        matches!(app.dialog, Some(Dialog::Picker(_))),
        "{:?}",
        app.dialog
    );
    press(&mut app, KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!("confirmation expected: {:?}", app.dialog);
    };
    assert!(c.verdict.forceable(), "{:?}", c.verdict);
    assert!(
        c.verdict.overridable[0].contains(
            "16 of the 25 calls counted against order-events in 24 hours are calls AWS refused (AccessDeniedException 16)"
        ),
        "{:?}",
        c.verdict
    );
    assert_eq!(c.typed.as_deref(), Some(""));
    // y is not enough here.
    assert!(app.on_key(key('y')).is_empty());
    let mut app_wrong = app_with_refused_calls(100, 30);
    app_wrong.on_key(key('r'));
    press(&mut app_wrong, KeyCode::Enter);
    type_text(&mut app_wrong, "sned");
    assert!(
        press(&mut app_wrong, KeyCode::Enter).is_empty(),
        "a typo sends nothing"
    );

    let mut app = app_with_refused_calls(100, 30);
    app.on_key(key('r'));
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "send");
    let commands = press(&mut app, KeyCode::Enter);
    assert_eq!(
        commands,
        [WorkerCommand::MakeChange {
            target: crate::model::TargetId::FIRST,
            request: Request::Switch {
                stream: "order-events".into(),
                key: KeyRef::AwsOwned
            },
            streams_on_key: None,
            force: true,
        }]
    );
}

#[test]
fn stopping_past_refused_calls_takes_the_name_not_send() {
    let mut app = app_with_refused_calls(100, 30);
    app.on_key(key('d'));
    type_text(&mut app, "send");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    for _ in 0..4 {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "order-events");
    let commands = press(&mut app, KeyCode::Enter);
    assert!(
        matches!(
            commands.as_slice(),
            [WorkerCommand::MakeChange { force: true, .. }]
        ),
        "{commands:?}"
    );
}

#[test]
fn a_grant_kms_denies_is_refused_until_sent_anyway_and_marked_in_the_picker() {
    let mut app = demo_app(100, 30);
    app.apply(
        crate::model::TargetId::FIRST,
        crate::app::testing::all_keys_event(),
    );
    while selected(&app) != "order-events" {
        app.on_key(key('j'));
    }
    app.on_key(key('r'));
    type_text(&mut app, "locked");
    let commands = press(&mut app, KeyCode::Enter);
    let Some(WorkerCommand::CheckGrant { stream, key: arn }) = commands.first() else {
        panic!("a grant dry run is asked for: {commands:?}");
    };
    assert_eq!(stream.name, "order-events");
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!("confirmation expected");
    };
    assert!(c.grant_pending && c.verdict.allowed());
    let said = "AccessDeniedException: User: me is not authorized to perform: kms:CreateGrant";
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::GrantChecked {
            key: arn.clone(),
            check: GrantCheck::Denied(said.into()),
        },
    );
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!("confirmation expected");
    };
    assert!(!c.grant_pending && c.verdict.forceable(), "{:?}", c.verdict);
    assert!(
        c.verdict.overridable[0].contains(said),
        "KMS's words: {:?}",
        c.verdict
    );
    assert!(app.on_key(key('y')).is_empty(), "y does not send it");
    press(&mut app, KeyCode::Esc);
    // The picker marks the key from now on.
    app.on_key(key('r'));
    let items = app.picker_items();
    let locked = items
        .iter()
        .find(|i| i.label == "alias/locked-down")
        .unwrap();
    assert_eq!(
        locked.warning.as_deref(),
        Some("KMS denied you a grant dry run on it")
    );
    assert!(locked.problem.is_none(), "it can still be picked");
}

#[test]
fn a_key_refusing_other_streams_now_is_marked_in_the_picker() {
    let mut app = demo_app(100, 30);
    app.apply(
        crate::model::TargetId::FIRST,
        crate::app::testing::all_keys_event(),
    );
    while selected(&app) != "order-events" {
        app.on_key(key('j'));
    }
    app.on_key(key('r'));
    let items = app.picker_items();
    let payments = items.iter().find(|i| i.label == "alias/payments").unwrap();
    assert_eq!(
        payments.warning.as_deref(),
        Some("KMS is refusing 1 stream on it (3h)")
    );
    let good = items
        .iter()
        .find(|i| i.label == "alias/orders-events-2026")
        .unwrap();
    assert_eq!(good.warning, None);
}

#[test]
fn a_confirmation_counted_without_cloudtrail_says_so() {
    let mut app = demo_app(100, 30);
    let book = crate::quota::QuotaBook {
        source: crate::quota::QuotaSource::Ledger(
            "CloudTrail's event history could not be read (access denied)".into(),
        ),
        ..Default::default()
    };
    app.apply(crate::model::TargetId::FIRST, DataEvent::Quotas(Ok(book)));
    app.apply(
        crate::model::TargetId::FIRST,
        crate::app::testing::all_keys_event(),
    );
    while selected(&app) != "order-events" {
        app.on_key(key('j'));
    }
    app.on_key(key('r'));
    press(&mut app, KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!("confirmation expected");
    };
    assert!(
        c.verdict.warnings.iter().any(|w| w.starts_with(
            "the quota counts only calls in this machine's ledger: CloudTrail's event history could not be read (access denied)"
        )),
        "{:?}",
        c.verdict
    );
}
