//! The worker as the dashboard runs it, against a cloud with a bug in it.

use std::sync::Arc;

use async_trait::async_trait;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tokio::sync::mpsc;

use super::{run, DataEvent, Settings};
use crate::app::testing::fixed_now;
use crate::app::{App, DashboardContext};
use crate::audit::AuditLog;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::wrap::Wrapped;
use crate::cloud::*;
use crate::config::Config;
use crate::model::Stream;
use crate::model::Window;
use crate::quota::Ledger;

/// The demo, except that describing one stream panics, as a parsing bug
/// meeting an odd answer from AWS would.
struct Buggy(SimCloud);

#[async_trait]
impl Wrapped for Buggy {
    fn inner(&self) -> &dyn Cloud {
        &self.0
    }
    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError> {
        if name == "billing-export" {
            panic!("index out of bounds: the len is 0 but the index is 0");
        }
        self.0.describe_stream(name).await
    }
}

/// Everything the worker sends until it ends or goes quiet for `patience`.
async fn events_until_quiet(
    cloud: Arc<dyn Cloud>,
    patience: std::time::Duration,
) -> Vec<DataEvent> {
    let dir = tempfile::tempdir().unwrap();
    let changes = crate::change::ChangeContext {
        account: None,
        caller: None,
        region: cloud.region().to_string(),
        ledger: Ledger::at(dir.path().join("ledger.jsonl")),
        trail: crate::trail::Trail::off(),
        audit: AuditLog::at(dir.path().join("audit.jsonl")),
        read_only: false,
        stop: Default::default(),
        force: false,
    };
    let config = Config::builtin();
    let (command_tx, command_rx) = mpsc::channel(64);
    let (event_tx, mut event_rx) = crate::worker::outbox::channel();
    let worker = tokio::spawn(run(
        cloud,
        changes,
        Settings::from_config(&config),
        Window::H3,
        command_rx,
        event_tx,
    ));
    let mut events = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout(patience, event_rx.recv()).await {
        events.push(ev);
    }
    drop(command_tx);
    let ended = worker.await;
    assert!(ended.is_ok(), "the worker's task itself never panics");
    events
}

#[tokio::test]
async fn a_panic_in_the_worker_is_reported_on_screen_not_swallowed() {
    let sim = SimCloud::with_clock(Scenario::builtin(), Arc::new(fixed_now));
    let events = events_until_quiet(Arc::new(Buggy(sim)), std::time::Duration::from_secs(3)).await;
    let crashes: Vec<&String> = events
        .iter()
        .filter_map(|e| match e {
            DataEvent::Crashed(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(
        crashes,
        ["index out of bounds: the len is 0 but the index is 0"],
        "one crash, with the panic's message"
    );
    assert!(
        matches!(events.last(), Some(DataEvent::Crashed(_))),
        "nothing comes after the crash"
    );

    let context = DashboardContext {
        region: "us-east-1".into(),
        ..DashboardContext::default()
    };
    let mut app = App::new(context, &Config::builtin(), Window::H3, fixed_now());
    app.screen.log_file = Some("/home/ops/.local/state/firekeeper/firekeeper.log".into());
    app.resize(80, 24, crate::ui::table_viewport(24));
    for ev in events {
        app.apply(crate::model::TargetId::FIRST, ev);
    }
    assert!(app.fleet.freshness.fault.is_some());
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| crate::ui::render(f, &app)).unwrap();
    let screen = t.backend().to_string();
    assert!(
        screen.contains("internal error: see /home/ops/.local/state/firekeeper/firekeeper.log"),
        "{screen}"
    );
    // A key press does not clear it: it stays until the user quits.
    app.update(crate::keymap::UserAction::Down);
    t.draw(|f| crate::ui::render(f, &app)).unwrap();
    assert!(t.backend().to_string().contains("internal error"));
}

mod cold;
mod ledger_only;
mod look;
mod moving;
mod pace;
mod paused;
