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
use crate::cloud::*;
use crate::config::Config;
use crate::model::Window;
use crate::quota::Ledger;

/// The demo, except that describing one stream panics, as a parsing bug
/// meeting an odd answer from AWS would.
struct Buggy(SimCloud);

#[async_trait]
impl Cloud for Buggy {
    fn region(&self) -> &str {
        self.0.region()
    }
    async fn identity(&self) -> Result<Identity, CloudError> {
        self.0.identity().await
    }
    async fn list_streams(
        &self,
        start_after: Option<&str>,
        limit: u32,
    ) -> Result<StreamPage, CloudError> {
        self.0.list_streams(start_after, limit).await
    }
    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError> {
        if name == "billing-export" {
            panic!("index out of bounds: the len is 0 but the index is 0");
        }
        self.0.describe_stream(name).await
    }
    async fn start_encryption(&self, name: &str, key: &KeyRef) -> crate::cloud::CallAnswer {
        self.0.start_encryption(name, key).await
    }
    async fn stop_encryption(&self, name: &str) -> crate::cloud::CallAnswer {
        self.0.stop_encryption(name).await
    }
    async fn list_keys(&self) -> Result<Vec<String>, CloudError> {
        self.0.list_keys().await
    }
    async fn list_aliases(&self) -> Result<Vec<Alias>, CloudError> {
        self.0.list_aliases().await
    }
    async fn describe_key(&self, key: &str) -> Result<KmsKey, CloudError> {
        self.0.describe_key(key).await
    }
    async fn key_rotations(
        &self,
        key: &str,
    ) -> Result<Vec<crate::cloud::RotationRecord>, CloudError> {
        self.0.key_rotations(key).await
    }
    async fn rotate_key_now(&self, key: &str) -> crate::cloud::CallAnswer {
        self.0.rotate_key_now(key).await
    }
    async fn set_auto_rotation(
        &self,
        key: &str,
        period_days: Option<u32>,
    ) -> crate::cloud::CallAnswer {
        self.0.set_auto_rotation(key, period_days).await
    }
    async fn kms_metrics(
        &self,
        asks: &SeriesAsk,
        range: MetricRange,
    ) -> Result<KmsMetrics, CloudError> {
        self.0.kms_metrics(asks, range).await
    }
    async fn list_metrics(
        &self,
        recently_active: bool,
    ) -> Result<crate::cloud::SeriesListing, CloudError> {
        self.0.list_metrics(recently_active).await
    }
    fn cloudwatch_usage(&self) -> crate::cloud::CloudWatchUsage {
        self.0.cloudwatch_usage()
    }
    async fn lookup_events(
        &self,
        query: &crate::cloud::EventQuery,
    ) -> Result<crate::cloud::EventPage, CloudError> {
        self.0.lookup_events(query).await
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
    };
    let config = Config::builtin();
    let (command_tx, command_rx) = mpsc::unbounded_channel();
    let (event_tx, mut event_rx) = mpsc::unbounded_channel();
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
    app.log_file = Some("/home/ops/.local/state/firekeeper/firekeeper.log".into());
    app.resize(80, 24, crate::ui::table_viewport(24));
    for ev in events {
        app.apply(ev);
    }
    assert!(app.fault.is_some());
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

mod moving;
mod paused;
