//! A cold start from AWS Config: every record sent, page by page, and one
//! line that says how it went or why there was none.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::super::{run, DataEvent, Settings};
use crate::audit::AuditLog;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::{SimCloud, SimConfig};
use crate::cloud::Cloud;
use crate::config::Config;
use crate::model::{EncryptionStatus, Window};
use crate::quota::Ledger;

/// What a cold-starting worker sends until it goes quiet for a second.
async fn cold_events(sim: SimCloud) -> Vec<DataEvent> {
    let dir = tempfile::tempdir().unwrap();
    let cloud: Arc<dyn Cloud> = Arc::new(sim);
    let changes = crate::change::ChangeContext {
        account: None,
        caller: None,
        region: cloud.region().to_string(),
        ledger: Ledger::in_memory(),
        trail: crate::trail::Trail::off(),
        audit: AuditLog::at(dir.path().join("audit.jsonl")),
        read_only: false,
        stop: Default::default(),
        force: false,
    };
    let mut settings = Settings::from_config(&Config::builtin());
    settings.cold_start = true;
    settings.changes_every = None;
    let (command_tx, command_rx) = mpsc::channel(64);
    let (event_tx, mut event_rx) = crate::worker::outbox::channel();
    let worker = tokio::spawn(run(
        cloud,
        changes,
        settings,
        Window::H3,
        command_rx,
        event_tx,
    ));
    let mut events = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_secs(1), event_rx.recv()).await {
        events.push(ev);
    }
    drop(command_tx);
    worker.await.unwrap();
    events
}

fn said(events: &[DataEvent]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match e {
            DataEvent::ColdStart(words) => Some(words.as_str()),
            _ => None,
        })
        .collect()
}

fn recorded(events: &[DataEvent]) -> Vec<&crate::model::RecordedStream> {
    events
        .iter()
        .filter_map(|e| match e {
            DataEvent::Recorded(page) => Some(page),
            _ => None,
        })
        .flatten()
        .collect()
}

#[tokio::test]
async fn every_record_is_sent_page_by_page_and_the_cold_start_said_once() {
    let events = cold_events(SimCloud::new(Scenario::builtin().scaled(250))).await;
    let records = recorded(&events);
    assert_eq!(records.len(), 250);
    let pages = events
        .iter()
        .filter(|e| matches!(e, DataEvent::Recorded(_)))
        .count();
    assert_eq!(pages, 2, "the first page at once, the rest together");
    assert!(records
        .iter()
        .all(|r| r.stream.encryption.status == EncryptionStatus::NotRecorded));
    let words = said(&events);
    assert_eq!(words.len(), 1, "{words:?}");
    assert!(
        words[0].starts_with("250 streams shown from AWS Config's records"),
        "{}",
        words[0]
    );
}

#[tokio::test]
async fn config_off_or_denied_falls_back_to_describing_and_says_why_once() {
    let off = SimCloud::new(Scenario::builtin());
    off.set_config(SimConfig::Off(
        "AWS Config's recorder does not record AWS::KinesisFirehose::DeliveryStream".into(),
    ));
    let events = cold_events(off).await;
    assert!(recorded(&events).is_empty());
    assert_eq!(
        said(&events),
        ["no cold start from AWS Config: AWS Config's recorder does not record AWS::KinesisFirehose::DeliveryStream; describing every stream instead"]
    );
    let described = events
        .iter()
        .filter(|e| matches!(e, DataEvent::Stream { result: Ok(_), .. }))
        .count();
    assert!(described > 0, "the usual describe pass runs");

    let denied = SimCloud::new(Scenario::builtin());
    denied.set_config(SimConfig::Denied);
    let events = cold_events(denied).await;
    let words = said(&events);
    assert_eq!(words.len(), 1, "{words:?}");
    assert!(
        words[0].contains("access denied reading AWS Config")
            && words[0].contains("config:ListDiscoveredResources"),
        "{}",
        words[0]
    );
}
