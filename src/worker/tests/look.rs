//! The dashboard's look at who changed what, on tokio's paused clock: each
//! look reads again the hour before the last one ended, so an event CloudTrail
//! delivers late (dated when the call was made) is still seen, and an event
//! read twice is told once.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::time::Duration;

use super::super::{run, DataEvent, Settings};
use crate::audit::AuditLog;
use crate::change::ChangeContext;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::wrap::Wrapped;
use crate::cloud::*;
use crate::config::Config;
use crate::model::trail::{FIREHOSE, STOP};
use crate::model::Window;
use crate::model::*;
use crate::quota::Ledger;
use crate::trail::Trail;

/// The demo, whose CloudTrail shows nothing, until `deliver` is set: then a
/// Stop of order-events made 50 minutes ago, in every query whose range
/// holds it. Each query's range is kept.
struct Late {
    sim: SimCloud,
    stop: TrailEvent,
    deliver: Mutex<bool>,
    ranges: Mutex<Vec<(DateTime<Utc>, DateTime<Utc>)>>,
}

#[async_trait]
impl Wrapped for Late {
    fn inner(&self) -> &dyn Cloud {
        &self.sim
    }
    async fn lookup_events(&self, query: &EventQuery) -> Result<EventPage, CloudError> {
        self.ranges.lock().unwrap().push((query.start, query.end));
        let named = query.lookup == Lookup::EventName(STOP.into());
        let within = (query.start..=query.end).contains(&self.stop.at);
        let events = if *self.deliver.lock().unwrap() && named && within {
            vec![self.stop.clone()]
        } else {
            Vec::new()
        };
        Ok(EventPage {
            events,
            next_token: None,
        })
    }
}

#[tokio::test(start_paused = true)]
async fn an_event_delivered_50_minutes_late_is_seen_by_the_next_look_and_told_once() {
    let cloud = Arc::new(Late {
        sim: SimCloud::new(Scenario::builtin()),
        stop: TrailEvent {
            at: Utc::now() - chrono::Duration::minutes(50),
            name: STOP.into(),
            source: FIREHOSE.into(),
            by: Some("maria".into()),
            resource: Some("order-events".into()),
            request_id: Some("4e1d0c2b-late".into()),
            error_code: None,
            key: None,
            access_key_id: None,
            event_id: Some("9f8e7d6c-late".into()),
            user_agent: None,
        },
        deliver: Mutex::new(false),
        ranges: Mutex::default(),
    });
    let dir = tempfile::tempdir().unwrap();
    let changes = ChangeContext {
        account: None,
        caller: None,
        region: "us-east-1".into(),
        ledger: Ledger::in_memory(),
        trail: Trail::new(true, Duration::from_secs(60), Duration::from_secs(60)),
        audit: AuditLog::at(dir.path().join("audit.jsonl")),
        read_only: false,
        stop: Default::default(),
        force: false,
    };
    let (_commands, command_rx) = mpsc::channel(64);
    let (event_tx, mut events) = crate::worker::outbox::channel();
    let settings = Settings::from_config(&Config::builtin());
    tokio::spawn(run(
        cloud.clone(),
        changes,
        settings,
        Window::H3,
        command_rx,
        event_tx,
    ));
    let mut told = Vec::new();
    // The first look (a day back) finds nothing: CloudTrail has not
    // delivered the Stop yet.
    stops_told(&mut events, 30, &mut told).await;
    *cloud.deliver.lock().unwrap() = true;
    // Three more looks, a minute apart: the first sees the Stop, dated 50
    // minutes back; the others read it again.
    stops_told(&mut events, 190, &mut told).await;
    assert_eq!(told.len(), 1, "seen once: {told:?}");
    assert_eq!(told[0].event_id.as_deref(), Some("9f8e7d6c-late"));
    let ranges = cloud.ranges.lock().unwrap().clone();
    let firsts: Vec<_> = ranges
        .iter()
        .filter(|(s, e)| *e - *s > chrono::Duration::hours(2))
        .collect();
    assert!(!firsts.is_empty(), "the first look reads a day back");
    let later = ranges
        .iter()
        .filter(|(s, e)| *e - *s <= chrono::Duration::hours(2));
    for (start, end) in later {
        let back = *end - *start;
        assert!(
            back >= chrono::Duration::minutes(60),
            "each later look reads at least the last hour again: {back}"
        );
    }
}

/// The Stops the worker tells of in the next `secs`.
async fn stops_told(events: &mut mpsc::Receiver<DataEvent>, secs: u64, told: &mut Vec<TrailEvent>) {
    let end = tokio::time::Instant::now() + Duration::from_secs(secs);
    while let Ok(Some(ev)) = tokio::time::timeout_at(end, events.recv()).await {
        if let DataEvent::Changes(new) = ev {
            told.extend(new.into_iter().filter(|e| e.name == STOP));
        }
    }
}
