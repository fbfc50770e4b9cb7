//! A finished move as on call reviews it: every stream's outcome whole at
//! every size, the move back on `M` while it is the latest, each stream that
//! did not move in the message log on its own line.

use insta::assert_snapshot;

use super::{joined, screen};
use crate::app::testing::{all_keys_event, demo_app, fixed_now};
use crate::app::{App, MovePhase, View};
use crate::change::moving::Stage;
use crate::keymap::UserAction;
use crate::model::TargetId;
use crate::worker::DataEvent;

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];

/// What AWS may say of a key the stream's role cannot use: long, and the
/// part that says what to do is at its end.
const LONG_REASON: &str = "ledger-audit: the change was not applied. AWS said KMS_ACCESS_DENIED: \
KMS key arn:aws:kms:us-east-1:123456789012:key/0b9e5c2d-7a41-4f3e-9d6a-5c8b1e2f3a4d is not \
accessible to the role arn:aws:iam::123456789012:role/firehose-ledger-audit-delivery: \
grant it kms:Decrypt, kms:GenerateDataKey and kms:DescribeKey in the key policy, then move \
it again; ledger-audit is still encrypted with alias/ledger-2019.";

fn select_key(app: &mut App, label: &str) {
    app.update(UserAction::Top);
    while app.key_rows()[app.keys_view.selected].label != label {
        app.update(UserAction::Down);
    }
}

/// The demo's retiring key, moved to alias/ledger-2026 and started.
fn move_started(w: u16, h: u16) -> App {
    let mut app = demo_app(w, h);
    app.apply(TargetId::FIRST, all_keys_event());
    app.update(UserAction::Keys);
    select_key(&mut app, "alias/ledger-2019");
    app.update(UserAction::MoveOff);
    let at = app
        .picker_items()
        .iter()
        .position(|i| i.label == "alias/ledger-2026")
        .unwrap();
    for _ in 0..at {
        app.update(UserAction::PickerDown);
    }
    app.update(UserAction::Pick);
    for c in "alias/ledger-2019".chars() {
        app.on_key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char(c),
        ));
    }
    app.update(UserAction::SubmitName);
    app
}

fn step(app: &mut App, name: &str, stage: Stage, words: &str, secs: i64) {
    app.now = fixed_now() + chrono::Duration::seconds(secs);
    app.apply(
        TargetId::FIRST,
        DataEvent::Moving {
            stream: name.into(),
            stage,
            words: words.into(),
        },
    );
}

/// Every stream ended: four moved, ledger-audit refused by KMS with the
/// long reason, ledger-sync refused by AWS.
fn move_finished(w: u16, h: u16) -> App {
    let mut app = move_started(w, h);
    let moved = [
        "ledger-archive",
        "ledger-events",
        "ledger-exports",
        "ledger-snapshots",
    ];
    for name in moved {
        step(
            &mut app,
            name,
            Stage::Sent,
            "sent; AWS accepted the call",
            1,
        );
    }
    step(
        &mut app,
        "ledger-audit",
        Stage::Sent,
        "sent; AWS accepted the call",
        2,
    );
    for name in moved {
        let done = format!("{name} is now encrypted with alias/ledger-2026.");
        step(&mut app, name, Stage::Done, &done, 60);
    }
    step(&mut app, "ledger-audit", Stage::Failed, LONG_REASON, 65);
    step(
        &mut app,
        "ledger-sync",
        Stage::Rejected,
        "ledger-sync: AWS refused the call (LimitExceededException): no calls left in 24 hours",
        66,
    );
    app.now = fixed_now() + chrono::Duration::seconds(70);
    app.update(UserAction::Down);
    app
}

/// The reason as it must read: whole, from its start to its end.
fn whole_reason() -> &'static str {
    LONG_REASON.trim_start_matches("ledger-audit: ")
}

/// A screen's words with every run of spaces made one, so a sentence
/// wrapped over lines reads as one.
fn words(app: &App) -> String {
    joined(app).split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn a_finished_move_shows_each_outcome_whole_at_every_size() {
    for (w, h) in SIZES {
        let app = move_finished(w, h);
        let m = app.work.moving.as_ref().unwrap();
        assert_eq!(m.phase, MovePhase::Over, "{w}x{h}");
        let text = words(&app);
        assert!(
            text.contains(&format!("ledger-audit: {}", whole_reason())),
            "{w}x{h}: the reason whole: {text}"
        );
        assert!(
            text.contains("Over. Esc back to the keys"),
            "{w}x{h}: {text}"
        );
        assert_snapshot!(format!("move_finished_{w}x{h}"), screen(&app));
    }
}

#[test]
fn m_on_the_same_key_brings_the_finished_move_back() {
    let mut app = move_finished(80, 24);
    app.update(UserAction::Back);
    assert_eq!(app.screen.view, View::Keys);
    select_key(&mut app, "alias/ledger-2019");
    app.update(UserAction::MoveOff);
    assert_eq!(
        app.screen.view,
        View::Move,
        "the finished move, not a picker"
    );
    assert!(app.dialog.is_none());
    assert_eq!(app.work.moving.as_ref().unwrap().phase, MovePhase::Over);
    assert!(words(&app).contains(whole_reason()));
    // From the review, M plans a new move off the same key.
    app.update(UserAction::MoveOff);
    assert!(app.dialog.is_some(), "the key picker for a new move");
}

#[test]
fn m_on_another_key_plans_a_new_move() {
    let mut app = move_finished(80, 24);
    app.update(UserAction::Back);
    select_key(&mut app, "alias/payments");
    app.update(UserAction::MoveOff);
    assert!(app.dialog.is_some(), "the key picker");
}

#[test]
fn each_stream_that_did_not_move_has_its_own_log_line() {
    let app = move_finished(80, 24);
    let log: Vec<&str> = app.messages.log.iter().map(|e| e.text.as_str()).collect();
    let line = |name: &str| {
        log.iter()
            .filter(|t| t.starts_with(&format!("move off alias/ledger-2019: {name}: ")))
            .count()
    };
    assert_eq!(line("ledger-audit"), 1, "{log:#?}");
    assert_eq!(line("ledger-sync"), 1, "{log:#?}");
    assert_eq!(line("ledger-archive"), 0, "{log:#?}");
    assert!(
        log.iter().any(|t| t.ends_with(whole_reason())),
        "the reason whole in the log: {log:#?}"
    );
    assert!(
        log[0].starts_with("move off alias/ledger-2019: 4 of 6 moved"),
        "{log:#?}"
    );
}

#[test]
fn a_stream_taken_up_reads_sending_not_waiting() {
    let mut app = move_started(80, 24);
    step(
        &mut app,
        "ledger-archive",
        Stage::Sending,
        "sending: reading it once more, then the call",
        1,
    );
    let m = app.work.moving.as_ref().unwrap();
    assert_eq!(m.counts().sending, 1);
    assert_eq!(m.counts().waiting, 5);
    let text = joined(&app);
    assert!(text.contains("ledger-archive   sending"), "{text}");
    assert!(text.contains("1 sending · 5 waiting"), "{text}");
}
