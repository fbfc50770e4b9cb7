//! Changes in a dashboard of several targets act on the selected row's
//! target, with that target's keys and region.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::testing::{estate_all_keys_events, estate_app};
use crate::app::{App, Dialog};
use crate::change::Request;
use crate::model::{region_of_arn, KeyRef};
use crate::model::{KeyId, LoadingState, StreamId, TargetId};
use crate::worker::WorkerCommand;

const EU: TargetId = TargetId(1);

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn on(name: &str) -> App {
    let mut app = estate_app(120, 40);
    app.table.sort = crate::app::SortKey::Name;
    app.refresh_view();
    for _ in 0..app.fleet.order().len() {
        if app.shown(app.selected_id().unwrap()) == name {
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
    for (target, ev) in estate_all_keys_events(&app) {
        app.apply(target, ev);
    }
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
fn a_switch_names_the_qualified_stream_and_a_key_of_its_region() {
    let mut app = on("checkout-events@eu-west-1");
    app.on_key(key('r'));
    for (target, ev) in estate_all_keys_events(&app) {
        app.apply(target, ev);
    }
    for c in "events-2026".chars() {
        app.on_key(key(c));
    }
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let Some(Dialog::Confirm(c)) = &app.dialog else {
        panic!("confirmation expected: {:?}", app.dialog);
    };
    assert!(c.verdict.allowed(), "{:?}", c.verdict);
    let commands = app.on_key(key('y'));
    let Some(WorkerCommand::MakeChange {
        target, request, ..
    }) = commands.first()
    else {
        panic!("{commands:?}")
    };
    let Request::Switch {
        stream,
        key: KeyRef::Customer(arn),
    } = request
    else {
        panic!("{request:?}")
    };
    let id = StreamId::new(*target, stream.clone());
    assert_eq!(app.shown(&id), "checkout-events@eu-west-1");
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
    let Some(WorkerCommand::MakeChange {
        target, request, ..
    }) = commands.first()
    else {
        panic!("{commands:?} {:?}", app.dialog)
    };
    let id = StreamId::new(*target, request.stream());
    assert_eq!(app.shown(&id), "checkout-events@eu-west-1");
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

/// The picker of `name`'s stream, open before any key list came back.
fn picking(name: &str) -> (App, Vec<WorkerCommand>) {
    let mut app = on(name);
    let commands = app.on_key(key('r'));
    (app, commands)
}

#[test]
fn a_target_whose_keys_are_not_listed_yet_says_so_instead_of_offering_none() {
    let (app, commands) = picking("checkout-events@eu-west-1");
    assert_eq!(commands, [WorkerCommand::LoadKeys(EU)]);
    assert_eq!(
        app.picker_keys(),
        (LoadingState::Loading, "the KMS keys of eu-west-1".into())
    );
}

#[test]
fn a_target_whose_key_list_failed_says_why_and_is_asked_again() {
    let (mut app, commands) = picking("checkout-events@eu-west-1");
    // The dashboard routes the picker's ask to eu-west-1's worker, and
    // us-east-1 answered; eu-west-1 was refused.
    for c in commands {
        app.fleet.route(c);
    }
    for (target, ev) in estate_all_keys_events(&app) {
        if target != EU {
            app.apply(target, ev);
        }
    }
    app.apply(
        EU,
        crate::worker::DataEvent::Failed {
            what: crate::worker::Fetch::AllKeys,
            error: crate::cloud::CloudError::AccessDenied("kms:ListKeys".into()),
        },
    );
    assert_eq!(
        app.picker_keys(),
        (
            LoadingState::Error(
                "eu-west-1: access denied listing the account's KMS keys: kms:ListKeys".into()
            ),
            "the KMS keys of eu-west-1".into()
        )
    );
    // us-east-1's keys are not offered for a stream of eu-west-1.
    let customer = app
        .picker_items()
        .iter()
        .filter(|i| matches!(i.key, KeyRef::Customer(_)))
        .count();
    assert_eq!(customer, 0);
    app.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    let commands = app.on_key(key('r'));
    assert_eq!(commands, [WorkerCommand::LoadKeys(EU)]);
    for c in commands {
        app.fleet.route(c);
    }
    assert_eq!(
        app.picker_keys(),
        (LoadingState::Loading, "the KMS keys of eu-west-1".into())
    );
}

#[test]
fn a_stream_is_offered_only_the_keys_its_own_target_listed() {
    let (mut app, _) = picking("checkout-events@eu-west-1");
    // Another account's key of the same region, listed by another target.
    let mut events = estate_all_keys_events(&app);
    let (_, crate::worker::DataEvent::AllKeys(book)) = &mut events[0] else {
        panic!("keys")
    };
    let mut theirs = book.keys.values().next().unwrap().clone();
    theirs.arn = "arn:aws:kms:eu-west-1:999999999999:key/0000aaaa-other".into();
    theirs.id = "0000aaaa-other".into();
    book.keys.insert(theirs.id.clone(), theirs.clone());
    for (target, ev) in events {
        app.apply(target, ev);
    }
    let offered: Vec<String> = app
        .picker_items()
        .into_iter()
        .filter_map(|i| match i.key {
            KeyRef::Customer(arn) => Some(arn),
            KeyRef::AwsOwned => None,
        })
        .collect();
    assert!(!offered.is_empty());
    assert!(!offered.contains(&theirs.arn), "{offered:?}");
}

/// A customer key of us-east-1 in use, and the streams on it.
fn us_key(app: &App) -> (KeyId, Vec<String>) {
    let arn = app
        .all_rows()
        .into_iter()
        .filter(|(id, _)| id.target == TargetId::FIRST)
        .find_map(|(_, r)| {
            let s = r.stream.as_ref()?;
            (s.encryption.key_type == Some(crate::model::KeyType::CustomerManaged))
                .then(|| s.encryption.key_arn.clone())
                .flatten()
        })
        .expect("a customer key in us-east-1");
    let on: Vec<String> = app
        .all_rows()
        .into_iter()
        .filter(|(_, r)| r.encrypted_with(&arn))
        .map(|(id, _)| app.shown(&id))
        .collect();
    let key = KeyId {
        target: TargetId::FIRST,
        arn,
    };
    (key, on)
}

/// The streams of a target, by their shown names.
fn of_target(app: &App, target: TargetId) -> Vec<String> {
    app.all_rows()
        .into_iter()
        .filter(|(id, _)| id.target == target)
        .map(|(id, _)| app.shown(&id))
        .collect()
}

#[test]
fn a_move_plan_counts_as_undescribed_only_streams_that_could_be_on_the_key() {
    let mut app = estate_app(120, 40);
    let (arn, _) = us_key(&app);
    // Streams of eu-west-1 not described yet cannot be on a us-east-1 key.
    for name in of_target(&app, EU) {
        app.row_mut(&name).stream = None;
    }
    app.plan_move(&arn, KeyRef::AwsOwned, None);
    let m = app.work.moving.as_ref().expect("a plan");
    assert_eq!(m.undescribed, 0, "{m:?}");
    assert!(m.refusal.is_none(), "{:?}", m.refusal);
    // One of its own region is.
    let mut app = estate_app(120, 40);
    let (arn, on) = us_key(&app);
    let other = of_target(&app, TargetId::FIRST)
        .into_iter()
        .find(|n| !on.contains(n))
        .unwrap();
    app.row_mut(&other).stream = None;
    app.plan_move(&arn, KeyRef::AwsOwned, None);
    assert_eq!(app.work.moving.as_ref().unwrap().undescribed, 1);
}

#[test]
fn a_key_whose_streams_are_listed_under_two_targets_is_not_changed_through_one() {
    let mut app = estate_app(120, 40);
    let (arn, _) = us_key(&app);
    // As two profiles of one account would look while STS has not said.
    let eu = of_target(&app, EU)
        .into_iter()
        .find(|n| app.row_named(n).is_some_and(|r| r.stream.is_some()))
        .unwrap();
    let s = app.row_mut(&eu).stream.as_mut().unwrap();
    s.encryption.key_type = Some(crate::model::KeyType::CustomerManaged);
    s.encryption.key_arn = Some(arn.arn.clone());
    s.encryption.status = crate::model::EncryptionStatus::Enabled;
    app.plan_move(&arn, KeyRef::AwsOwned, None);
    let refusal = app
        .work
        .moving
        .as_ref()
        .unwrap()
        .refusal
        .clone()
        .unwrap_or_default();
    assert!(
        refusal.contains("listed under several targets (eu-west-1, us-east-1)"),
        "{refusal}"
    );
    app.work.moving = None;
    app.screen.view = crate::app::View::Table;
    app.dialog = None;
    app.open_key_rotation(&arn, crate::key_rotation::KeyChange::RotateNow);
    assert!(app.dialog.is_none(), "{:?}", app.dialog);
    let said = app
        .messages
        .log
        .iter()
        .any(|e| e.text.contains("several targets"));
    assert!(said, "{:?}", app.messages.log);
}

#[test]
fn refreshing_ends_when_every_target_fails_to_list() {
    let mut app = estate_app(120, 40);
    app.on_key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL));
    assert_eq!(app.clock_label(), "refreshing…");
    // Every target that could list fails to (ap-south-1 never could).
    for target in [TargetId(0), TargetId(1)] {
        app.apply(
            target,
            crate::worker::DataEvent::Failed {
                what: crate::worker::Fetch::List,
                error: crate::cloud::CloudError::AccessDenied("firehose".into()),
            },
        );
    }
    assert_ne!(app.clock_label(), "refreshing…");
}
