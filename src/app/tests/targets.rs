//! Changes in a dashboard of several targets act on the selected row's
//! target, with that target's keys and region.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::testing::{estate_all_keys_event, estate_app};
use crate::app::{App, Dialog};
use crate::change::Request;
use crate::cloud::{region_of_arn, KeyRef};
use crate::worker::WorkerCommand;

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn on(name: &str) -> App {
    let mut app = estate_app(120, 40);
    app.sort = crate::app::SortKey::Name;
    app.refresh_view();
    for _ in 0..app.rows.len() {
        if app.selected_row().unwrap().name == name {
            return app;
        }
        app.on_key(key('j'));
    }
    panic!("no row {name}")
}

#[test]
fn the_picker_offers_only_keys_of_the_streams_own_region() {
    let mut app = on("checkout-events@eu-west-1");
    app.on_key(key('r'));
    app.apply(estate_all_keys_event());
    let items = app.picker_items();
    let regions: Vec<&str> = items
        .iter()
        .filter_map(|i| match &i.key {
            KeyRef::Customer(arn) => region_of_arn(arn),
            KeyRef::AwsOwned => None,
        })
        .collect();
    assert!(!regions.is_empty());
    assert!(regions.iter().all(|r| *r == "eu-west-1"), "{regions:?}");
}

#[test]
fn a_rotation_names_the_qualified_stream_and_a_key_of_its_region() {
    let mut app = on("checkout-events@eu-west-1");
    app.on_key(key('r'));
    app.apply(estate_all_keys_event());
    for c in "events-2026".chars() {
        app.on_key(key(c));
    }
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!("confirmation expected: {:?}", app.dialog);
    };
    assert!(c.verdict.allowed(), "{:?}", c.verdict);
    let commands = app.on_key(key('y'));
    let Some(WorkerCommand::MakeChange { request, .. }) = commands.first() else {
        panic!("{commands:?}")
    };
    let Request::Rotate {
        stream,
        key: KeyRef::Customer(arn),
    } = request
    else {
        panic!("{request:?}")
    };
    assert_eq!(stream, "checkout-events@eu-west-1");
    assert_eq!(region_of_arn(arn), Some("eu-west-1"));
}

#[test]
fn the_stop_dialog_takes_the_streams_own_name() {
    let mut app = on("checkout-events@eu-west-1");
    app.on_key(key('d'));
    for c in "checkout-events".chars() {
        app.on_key(key(c));
    }
    let commands = app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let Some(WorkerCommand::MakeChange { request, .. }) = commands.first() else {
        panic!("{commands:?} {:?}", app.dialog)
    };
    assert_eq!(request.stream(), "checkout-events@eu-west-1");
}

#[test]
fn a_target_that_newly_fails_is_said_and_logged() {
    let app = estate_app(120, 40);
    let logged = app
        .messages
        .log
        .iter()
        .any(|e| e.text.starts_with("ap-south-1: access denied"));
    assert!(logged, "{:?}", app.messages.log);
}
