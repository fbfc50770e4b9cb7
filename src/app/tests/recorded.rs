//! Rows shown from AWS Config's records: marked, unknown until described,
//! described first when their record shows a problem, never changed on a
//! record, and refused outright for a read-only target.

use std::sync::Arc;

use crossterm::event::KeyCode;

use super::super::testing::{demo_app_from, fixed_now};
use super::super::*;
use super::press;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::Cloud;
use crate::config::Config;
use crate::estate::TargetInfo;
use crate::health::Health;
use crate::model::{Provenance, RecordedStream, Target, TargetId, Window};
use crate::worker::DataEvent;

/// The demo's records, as a cold start reads them.
fn demo_records() -> Vec<RecordedStream> {
    let now = fixed_now();
    let sim = SimCloud::with_clock(Scenario::builtin(), Arc::new(move || now));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(sim.recorded_streams(None)).unwrap().items
}

#[test]
fn recorded_rows_are_marked_unknown_and_a_change_waits_for_a_describe() {
    let records = demo_records();
    let mut app = demo_app_from(
        &Config::builtin(),
        120,
        40,
        vec![DataEvent::Recorded(records.clone())],
    );
    let id = app.selected_row().unwrap().0.clone();
    let row = app.row(&id).unwrap().clone();
    let captured = records
        .iter()
        .find(|r| r.stream.name == id.name)
        .unwrap()
        .captured;
    assert_eq!(row.provenance, Provenance::Recorded { as_of: captured });
    let (health, problems) = app.health(&id, &row);
    assert_eq!(health, Health::Unknown);
    assert!(
        problems[0].starts_with("Shown from AWS Config's record"),
        "{problems:?}"
    );
    assert_eq!(app.fleet.tally().loading, 0, "a record is not loading");
    // `d` on a record asks for a describe first: no change rests on it.
    let commands = press(&mut app, KeyCode::Char('d'));
    assert_eq!(commands, [WorkerCommand::Describe(id)]);
    assert!(app.dialog.is_none());
}

#[test]
fn records_that_show_a_problem_are_described_first() {
    let mut app = demo_app_from(&Config::builtin(), 120, 40, Vec::new());
    let (_, commands) = app.apply(TargetId::FIRST, DataEvent::Recorded(demo_records()));
    let hurried: Vec<&str> = commands
        .iter()
        .filter_map(|c| match c {
            WorkerCommand::Describe(id) => Some(id.name.as_str()),
            _ => None,
        })
        .collect();
    // The demo's unencrypted DirectPut streams: their record shows it.
    assert!(hurried.contains(&"dev-scratch"), "{hurried:?}");
    for name in &hurried {
        let id = crate::model::StreamId::new(TargetId::FIRST, *name);
        let stream = app.row(&id).unwrap().stream.clone().unwrap();
        assert!(
            stream.encryption.key_type.is_none() || app.kms_total(&id) > 0.0,
            "{name} is hurried for a problem its record or metrics show"
        );
    }
    // A stream the record shows nothing wrong with waits its turn.
    assert!(!hurried.contains(&"audit-trail"), "{hurried:?}");
}

#[test]
fn a_read_only_targets_stream_cannot_be_changed_and_its_dialog_says_why() {
    let live = TargetInfo {
        target: Target {
            region: Some("us-east-1".into()),
            label: "us-east-1".into(),
            ..Target::default()
        },
        ..TargetInfo::default()
    };
    let read_only = TargetInfo {
        target: Target {
            profile: None,
            account: Some("222222222222".into()),
            region: Some("eu-west-1".into()),
            label: "222222222222/eu-west-1".into(),
        },
        read_only: Some("org".into()),
        ..TargetInfo::default()
    };
    let fleet = crate::fleet::Fleet::new(vec![(live, true), (read_only, false)], Window::H3);
    let context = DashboardContext {
        region: "2 targets".into(),
        ..DashboardContext::default()
    };
    let mut app = App::with_fleet(context, &Config::builtin(), fleet, fixed_now());
    app.resize(120, 40, crate::ui::table_viewport(40));
    app.apply(TargetId(1), DataEvent::Recorded(demo_records()));
    let (id, _) = app.selected_row().unwrap();
    assert_eq!(id.target, TargetId(1), "its rows are in the fleet");
    for key in ['d', 'r'] {
        app.dialog = None;
        let commands = press(&mut app, KeyCode::Char(key));
        assert!(commands.is_empty(), "nothing is sent: {commands:?}");
        let Some(Dialog::Confirm(c)) = &app.dialog else {
            panic!("{key}: the change's dialog opens, refusing");
        };
        let refusal = &c.verdict.refusals[0];
        assert!(refusal.contains("cannot be changed from here"), "{refusal}");
        assert!(
            refusal.contains("no credentials for account 222222222222 in eu-west-1"),
            "{refusal}"
        );
    }
    // Its metrics and quota are said not read, and why.
    let (id, row) = app.selected_row().unwrap();
    let (_, problems) = app.health(id, row);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("read-only: shown from AWS Config's aggregator org")),
        "{problems:?}"
    );
}

#[test]
fn after_the_listing_a_record_of_a_stream_not_listed_adds_no_row() {
    let records = demo_records();
    let listed: Vec<String> = records[1..].iter().map(|r| r.stream.name.clone()).collect();
    let gone = records[0].stream.name.clone();
    let mut app = demo_app_from(&Config::builtin(), 120, 40, vec![DataEvent::Names(listed)]);
    app.apply(TargetId::FIRST, DataEvent::Recorded(records));
    let id = crate::model::StreamId::new(TargetId::FIRST, gone);
    assert!(
        app.row(&id).is_none(),
        "deleted since AWS Config captured it"
    );
    assert_eq!(
        app.fleet.tally().loading,
        0,
        "every listed row has its record"
    );
}
