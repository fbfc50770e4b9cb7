//! The dashboard's long changes, as the worker carries them out against the
//! demo's cloud: the move off a key (every planned stream sent once and
//! followed to the end, the user's "stop sending" keeping home every call not
//! yet sent) and a key's rotation (quitting meanwhile asks first).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::super::{run, DataEvent, Settings, WorkerCommand};
use crate::audit::{AuditLog, AuditOutcome};
use crate::change::moving::Stage;
use crate::change::ChangeContext;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::wrap::Wrapped;
use crate::cloud::Cloud;
use crate::config::Config;
use crate::model::KeyRef;
use crate::model::Window;
use crate::quota::Ledger;

const OLD: &str = "arn:aws:kms:us-east-1:123456789012:key/c4b58ad6-f6c8-439a-a5e7-08192a3b4c5d";
const NEW: &str = "arn:aws:kms:us-east-1:123456789012:key/e6d7acf8-18ea-4bbc-87a9-2a3b4c5d6e7f";
const STREAMS: [&str; 6] = [
    "ledger-archive",
    "ledger-audit",
    "ledger-events",
    "ledger-exports",
    "ledger-snapshots",
    "ledger-sync",
];

struct Moving {
    sim: Arc<SimCloud>,
    /// How many times the worker has listed the streams.
    listings: Arc<AtomicUsize>,
    commands: mpsc::Sender<WorkerCommand>,
    events: mpsc::Receiver<DataEvent>,
    ledger: Ledger,
    audit: AuditLog,
    _dir: tempfile::TempDir,
}

/// The demo, counting the worker's listings of streams.
struct Listed {
    sim: Arc<SimCloud>,
    listings: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl Wrapped for Listed {
    fn inner(&self) -> &dyn Cloud {
        self.sim.as_ref()
    }
    async fn list_streams(
        &self,
        start_after: Option<&str>,
        limit: u32,
    ) -> Result<crate::model::StreamPage, crate::cloud::CloudError> {
        self.listings.fetch_add(1, Ordering::SeqCst);
        self.sim.list_streams(start_after, limit).await
    }
}

/// The demo with key changes that settle in a second, and a worker on it
/// told to move the retiring key's six streams to alias/ledger-2026.
fn start() -> Moving {
    let mut scenario = Scenario::builtin();
    scenario.transition_secs = 1;
    let sim = Arc::new(SimCloud::new(scenario));
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::at(dir.path().join("ledger.jsonl"));
    let audit = AuditLog::at(dir.path().join("audit.jsonl"));
    let changes = ChangeContext {
        account: None,
        caller: None,
        region: sim.region().to_string(),
        ledger: ledger.clone(),
        trail: crate::trail::Trail::off(),
        audit: audit.clone(),
        read_only: false,
        stop: Default::default(),
        force: false,
    };
    let (commands, command_rx) = mpsc::channel(64);
    let (event_tx, events) = crate::worker::outbox::channel();
    let listings = Arc::new(AtomicUsize::new(0));
    let listed = Listed {
        sim: sim.clone(),
        listings: listings.clone(),
    };
    tokio::spawn(run(
        Arc::new(listed),
        changes,
        Settings::from_config(&Config::builtin()),
        Window::H3,
        command_rx,
        event_tx,
    ));
    commands
        .try_send(WorkerCommand::Move {
            from: crate::model::KeyId {
                target: crate::model::TargetId::FIRST,
                arn: OLD.into(),
            },
            to: KeyRef::Customer(NEW.into()),
            streams: STREAMS
                .iter()
                .map(|n| crate::model::StreamId::new(crate::model::TargetId::FIRST, *n))
                .collect(),
            streams_on_new: Some(0),
        })
        .unwrap();
    Moving {
        sim,
        listings,
        commands,
        events,
        ledger,
        audit,
        _dir: dir,
    }
}

impl Moving {
    /// Each stream's stages in order, until the move is over; `on_sent` is
    /// called at the first call AWS accepted.
    async fn until_over(&mut self, mut on_sent: impl FnMut(&Self)) -> BTreeMap<String, Vec<Stage>> {
        let mut stages: BTreeMap<String, Vec<Stage>> = BTreeMap::new();
        let mut sent = false;
        let limit = tokio::time::sleep(std::time::Duration::from_secs(90));
        tokio::pin!(limit);
        loop {
            tokio::select! {
                event = self.events.recv() => match event.expect("the worker runs") {
                    DataEvent::Moving { stream, stage, .. } => {
                        if stage == Stage::Sent && !sent {
                            sent = true;
                            on_sent(self);
                        }
                        stages.entry(stream).or_default().push(stage);
                    }
                    DataEvent::MoveOver => return stages,
                    _ => {}
                },
                () = &mut limit => panic!("the move never ended: {stages:?}"),
            }
        }
    }

    async fn key_of(&self, stream: &str) -> Option<String> {
        self.sim
            .describe_stream(stream)
            .await
            .unwrap()
            .encryption
            .key_arn
    }
}

#[tokio::test]
async fn every_planned_stream_is_sent_once_followed_and_ends_on_the_new_key() {
    let mut m = start();
    let stages = m.until_over(|_| {}).await;
    for name in STREAMS {
        let seen = &stages[name];
        // Taken up (sending) before AWS accepted it (sent).
        assert_eq!(seen.first(), Some(&Stage::Sending), "{name}: {seen:?}");
        assert_eq!(seen.get(1), Some(&Stage::Sent), "{name}: {seen:?}");
        assert_eq!(seen.last(), Some(&Stage::Done), "{name}: {seen:?}");
        assert_eq!(m.key_of(name).await.as_deref(), Some(NEW), "{name}");
    }
    // One call a stream in the ledger, each audited as sent and accepted.
    let calls = m.ledger.read().unwrap();
    for name in STREAMS {
        let ids: std::collections::BTreeSet<&str> = calls
            .iter()
            .filter(|e| e.stream == name)
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(ids.len(), 1, "{name}: {calls:?}");
    }
    let accepted = m
        .audit
        .read()
        .into_iter()
        .filter(|e| e.outcome == AuditOutcome::Accepted)
        .count();
    assert_eq!(accepted, 6);
}

#[tokio::test]
async fn a_retired_worker_finishes_the_move_under_way_then_ends() {
    // Found to be another profile's account and region mid-move: nothing
    // more is read, but every stream of the move is followed to its end.
    let mut m = start();
    let mut at_retire = None;
    let stages = m
        .until_over(|m| {
            m.commands
                .try_send(WorkerCommand::Retire(crate::model::TargetId::FIRST))
                .unwrap();
            // Asked to read everything now: a retired worker does not.
            m.commands.try_send(WorkerCommand::Refresh).unwrap();
            at_retire = Some(m.listings.load(Ordering::SeqCst));
        })
        .await;
    let done = stages
        .values()
        .filter(|s| s.last() == Some(&Stage::Done))
        .count();
    assert_eq!(done, 6, "{stages:?}");
    let ended = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while m.events.recv().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the worker ends once its move has");
    assert_eq!(
        Some(m.listings.load(Ordering::SeqCst)),
        at_retire,
        "no listing after Retire"
    );
    for name in STREAMS {
        assert_eq!(m.key_of(name).await.as_deref(), Some(NEW), "{name}");
    }
}

#[tokio::test]
async fn stop_sending_keeps_every_call_not_yet_sent_and_follows_the_rest() {
    let mut m = start();
    let stages = m
        .until_over(|m| m.commands.try_send(WorkerCommand::StopMove).unwrap())
        .await;
    let ended: BTreeMap<&str, Stage> = stages
        .iter()
        .map(|(name, s)| (name.as_str(), *s.last().unwrap()))
        .collect();
    assert_eq!(ended.len(), 6, "every stream says how it ended: {stages:?}");
    let done: Vec<&str> = ended
        .iter()
        .filter(|(_, s)| **s == Stage::Done)
        .map(|(n, _)| *n)
        .collect();
    let not_sent: Vec<&str> = ended
        .iter()
        .filter(|(_, s)| **s == Stage::NotSent)
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(done.len() + not_sent.len(), 6, "{ended:?}");
    assert!(
        !done.is_empty(),
        "the call already sent is followed to the end"
    );
    // Four go at once: the last two cannot have started before the stop.
    assert!(not_sent.len() >= 2, "{ended:?}");
    let calls = m.ledger.read().unwrap();
    for name in not_sent {
        assert_eq!(m.key_of(name).await.as_deref(), Some(OLD), "{name}");
        // A slot taken just before the stop is given back: nothing counts.
        let mine: Vec<&crate::quota::Entry> = calls.iter().filter(|e| e.stream == name).collect();
        let quota = crate::quota::quota_of(&mine, chrono::Utc::now());
        assert_eq!(quota.used, 0, "{name}: {mine:?}");
    }
    for name in done {
        assert_eq!(m.key_of(name).await.as_deref(), Some(NEW), "{name}");
    }
}

#[tokio::test]
async fn a_key_rotation_is_followed_so_quitting_meanwhile_asks_first() {
    let mut m = start();
    m.commands.try_send(WorkerCommand::StopMove).unwrap();
    m.commands
        .try_send(WorkerCommand::MakeKeyChange {
            key: crate::model::KeyId {
                target: crate::model::TargetId::FIRST,
                arn: NEW.into(),
            },
            change: crate::key_rotation::KeyChange::RotateNow,
            streams: Vec::new(),
        })
        .unwrap();
    let mut followed = Vec::new();
    let limit = tokio::time::sleep(std::time::Duration::from_secs(60));
    tokio::pin!(limit);
    loop {
        tokio::select! {
            event = m.events.recv() => match event.expect("the worker runs") {
                DataEvent::Following { stream, active } if stream.starts_with("the key") => {
                    followed.push((stream, active));
                }
                DataEvent::ChangeReport { text, .. } if text.contains("rotated at") => break,
                _ => {}
            },
            () = &mut limit => panic!("the rotation never ended: {followed:?}"),
        }
    }
    let key = "the key material of alias/ledger-2026".to_string();
    assert!(followed.contains(&(key.clone(), true)), "{followed:?}");
    assert_eq!(followed.last(), Some(&(key, false)), "{followed:?}");
}
