//! Moving every stream off a key in the dashboard: M, the new key picked,
//! the plan, the old key's name typed, then the progress as the worker
//! reports it, Esc to stop sending, and the quit question while it runs.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{key, press};
use crate::app::testing::{all_keys_event, demo_app};
use crate::app::{App, Dialog, MovePhase, PickFor, View, WorkerCommand};
use crate::change::moving::Stage;
use crate::keymap::Mode;
use crate::worker::DataEvent;

fn type_text(app: &mut App, text: &str) -> Vec<WorkerCommand> {
    let mut commands = Vec::new();
    for c in text.chars() {
        commands.extend(app.on_key(key(c)));
    }
    commands
}

fn enter(app: &mut App) -> Vec<WorkerCommand> {
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE))
}

/// The demo's showcase up to the plan: K, the retiring key, M, and
/// alias/ledger-2026 picked.
fn planned() -> App {
    let mut app = demo_app(100, 30);
    app.apply(crate::model::TargetId::FIRST, all_keys_event());
    app.on_key(key('K'));
    while app.key_rows()[app.keys_view.selected].label != "alias/ledger-2019" {
        app.on_key(key('j'));
    }
    app.on_key(key('M'));
    let Some(Dialog::Picker(p)) = &app.dialog else {
        panic!("the key picker: {:?}", app.dialog);
    };
    assert!(matches!(&p.purpose, PickFor::MoveOff { label, .. } if label == "alias/ledger-2019"));
    // The old key is offered, but cannot be picked.
    let old = app
        .picker_items()
        .into_iter()
        .find(|i| i.label == "alias/ledger-2019")
        .expect("listed");
    assert_eq!(old.problem.as_deref(), Some("the key being moved off"));
    type_text(&mut app, "ledger-2026");
    enter(&mut app);
    assert_eq!(app.screen.view, View::Move);
    assert_eq!(app.mode(), Mode::MovePlan);
    app
}

#[test]
fn the_plan_lists_every_stream_on_the_old_key_and_nothing_else() {
    let app = planned();
    let m = app.work.moving.as_ref().unwrap();
    assert_eq!(m.to_label, "alias/ledger-2026");
    let names: Vec<&str> = m.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ledger-archive",
            "ledger-audit",
            "ledger-events",
            "ledger-exports",
            "ledger-snapshots",
            "ledger-sync"
        ]
    );
    assert!(m.rows.iter().all(|r| r.stage == Stage::Waiting), "{m:?}");
    assert!(m.rows.iter().all(|r| r.quota.is_some()));
    assert!(m.refusal.is_none());
}

#[test]
fn only_the_old_keys_name_starts_the_move_and_only_the_planned_streams_go() {
    let mut app = planned();
    // Typed letters are text, never keys: q does not quit, j does not move.
    let commands = type_text(&mut app, "alias/ledger-2018q");
    assert!(!app.quit);
    assert!(commands.is_empty());
    enter(&mut app);
    let m = app.work.moving.as_ref().unwrap();
    assert!(m.mismatch, "a wrong name says so");
    assert_eq!(m.phase, MovePhase::Plan);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "9");
    assert!(!app.work.moving.as_ref().unwrap().mismatch);
    let commands = enter(&mut app);
    let Some(WorkerCommand::Move { from, streams, .. }) = commands
        .iter()
        .find(|c| matches!(c, WorkerCommand::Move { .. }))
    else {
        panic!("the move goes to the worker: {commands:?}");
    };
    assert!(from.arn.ends_with("c4b58ad6-f6c8-439a-a5e7-08192a3b4c5d"));
    assert_eq!(streams.len(), 6);
    assert_eq!(app.mode(), Mode::Moving);
}

#[test]
fn the_key_id_confirms_too_and_esc_on_the_plan_moves_nothing() {
    let mut app = planned();
    press(&mut app, KeyCode::Esc);
    assert!(app.work.moving.is_none());
    assert_eq!(app.screen.view, View::Keys);

    let mut app = planned();
    type_text(&mut app, "c4b58ad6-f6c8-439a-a5e7-08192a3b4c5d");
    let commands = enter(&mut app);
    assert!(commands
        .iter()
        .any(|c| matches!(c, WorkerCommand::Move { .. })));
}

fn stage(app: &mut App, stream: &str, stage: Stage, words: &str) {
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Moving {
            stream: stream.into(),
            stage,
            words: words.into(),
        },
    );
}

fn started() -> App {
    let mut app = planned();
    type_text(&mut app, "alias/ledger-2019");
    enter(&mut app);
    app
}

#[test]
fn progress_counts_each_stage_and_ends_with_a_summary() {
    let mut app = started();
    stage(
        &mut app,
        "ledger-archive",
        Stage::Sent,
        "sent; AWS accepted the call",
    );
    stage(
        &mut app,
        "ledger-audit",
        Stage::Enabling,
        "ENABLING (following)",
    );
    let m = app.work.moving.as_ref().unwrap();
    let c = m.counts();
    assert_eq!((c.sent, c.enabling, c.waiting), (1, 1, 4));
    let archive = &m.rows[0];
    assert_eq!(archive.quota.unwrap().remaining, 24, "the call is counted");
    stage(
        &mut app,
        "ledger-archive",
        Stage::Done,
        "ledger-archive is now encrypted with alias/ledger-2026",
    );
    assert_eq!(
        app.work.moving.as_ref().unwrap().rows[0].note,
        "is now encrypted with alias/ledger-2026",
        "the row names the stream already"
    );
    stage(
        &mut app,
        "ledger-audit",
        Stage::Failed,
        "ledger-audit: ENABLING_FAILED; it kept alias/ledger-2019",
    );
    for name in [
        "ledger-events",
        "ledger-exports",
        "ledger-snapshots",
        "ledger-sync",
    ] {
        stage(&mut app, name, Stage::Done, "done");
    }
    let m = app.work.moving.as_ref().unwrap();
    assert_eq!(m.phase, MovePhase::Over);
    let text = &app.messages.shown().unwrap().text;
    assert_eq!(
        text,
        "move off alias/ledger-2019: 5 of 6 moved to alias/ledger-2026, 1 failed and kept the old key"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen.view, View::Keys, "over: Esc closes");
}

#[test]
fn esc_stops_sending_and_what_was_never_sent_says_so() {
    let mut app = started();
    stage(&mut app, "ledger-archive", Stage::Enabling, "ENABLING");
    let commands = app.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert!(commands.contains(&WorkerCommand::StopMove), "{commands:?}");
    assert_eq!(app.work.moving.as_ref().unwrap().phase, MovePhase::Stopping);
    assert_eq!(
        app.screen.view,
        View::Move,
        "the first Esc stops, it does not leave"
    );
    stage(&mut app, "ledger-archive", Stage::Done, "done");
    app.apply(crate::model::TargetId::FIRST, DataEvent::MoveOver);
    let m = app.work.moving.as_ref().unwrap();
    assert_eq!(m.phase, MovePhase::Over);
    assert_eq!(m.rows[0].stage, Stage::Done);
    assert!(
        m.rows[1..].iter().all(|r| r.stage == Stage::NotSent),
        "{m:?}"
    );
    assert!(app.messages.shown().unwrap().text.contains("1 of 6 moved"));
}

#[test]
fn quitting_during_a_move_asks_first_and_k_comes_back_to_it() {
    let mut app = started();
    app.on_key(key('q'));
    let Some(Dialog::Quit(left)) = &app.dialog else {
        panic!("asks first: {:?}", app.dialog);
    };
    assert_eq!(left, &["the move off alias/ledger-2019 (6 not sent yet)"]);
    app.on_key(key('n'));
    // Leave the progress for the keys view; M on any key shows it again.
    app.on_key(key('K'));
    assert_eq!(app.screen.view, View::Keys);
    assert_eq!(app.work.moving.as_ref().unwrap().phase, MovePhase::Running);
    app.on_key(key('M'));
    assert_eq!(app.screen.view, View::Move);
    assert!(app.dialog.is_none());
}

#[test]
fn a_stream_mid_change_is_shown_skipped_with_its_reason_and_never_sent() {
    let mut app = demo_app(100, 30);
    app.apply(crate::model::TargetId::FIRST, all_keys_event());
    let mut s = app
        .row_named("ledger-sync")
        .unwrap()
        .stream
        .clone()
        .unwrap();
    s.encryption.status = crate::model::EncryptionStatus::Enabling;
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Stream {
            name: "ledger-sync".into(),
            result: Ok(s),
            at: app.now,
        },
    );
    app.on_key(key('K'));
    while app.key_rows()[app.keys_view.selected].label != "alias/ledger-2019" {
        app.on_key(key('j'));
    }
    app.on_key(key('M'));
    type_text(&mut app, "ledger-2026");
    enter(&mut app);
    let m = app.work.moving.as_ref().unwrap();
    let sync = m.rows.iter().find(|r| r.name == "ledger-sync").unwrap();
    assert_eq!(sync.stage, Stage::Skipped);
    assert!(sync.note.contains("ENABLING"), "{}", sync.note);
    type_text(&mut app, "alias/ledger-2019");
    let commands = enter(&mut app);
    let Some(WorkerCommand::Move { streams, .. }) = commands.first() else {
        panic!("{commands:?}");
    };
    assert_eq!(streams.len(), 5);
    assert!(!streams.iter().any(|s| s.name == "ledger-sync"));
}

#[test]
fn read_only_mode_offers_no_move() {
    let mut app = demo_app(100, 30);
    app.context.read_only = true;
    app.on_key(key('K'));
    let commands = app.on_key(key('M'));
    assert!(commands.is_empty());
    assert!(app.dialog.is_none());
    assert!(app.messages.shown().unwrap().text.contains("read-only"));
}
