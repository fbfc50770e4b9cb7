//! The worker on tokio's paused clock, against the demo's cloud with a script
//! of failures: what it asks when, what it sends back, and that nothing it
//! waits for (AWS, the ledger's lock) stops it.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tokio::sync::mpsc::{self, Receiver, Sender};
use tokio::time::{Duration, Instant};

use super::super::{run, DataEvent, Fetch, Settings, WorkerCommand};
use crate::audit::{AuditLog, AuditOutcome};
use crate::change::ChangeContext;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::wrap::Wrapped;
use crate::cloud::*;
use crate::config::Config;
use crate::model::Window;
use crate::model::*;
use crate::quota::{Ledger, QuotaBook, QuotaSource};
use crate::trail::Trail;

pub(super) const SECOND: Duration = Duration::from_secs(1);

/// What a scripted call does instead of answering.
pub(super) enum Fault {
    Fail(CloudError),
    Hang,
    /// Answers, after this long (paused time).
    Slow(Duration),
}

/// The demo's cloud, recording each call ("list", "describe NAME",
/// "list_keys", …) with the time it was made, and failing the next calls of
/// an API as scripted.
pub(super) struct Scripted {
    pub(super) sim: SimCloud,
    start: Instant,
    calls: Mutex<Vec<(String, Duration)>>,
    faults: Mutex<Vec<(&'static str, Fault)>>,
    /// Each GetMetricData ask: when (whole seconds), the hours of its
    /// range, and what it asked of each stream.
    asks: Mutex<Vec<(u64, i64, SeriesAsk)>>,
}

impl Scripted {
    fn new() -> Scripted {
        Scripted::of(Scenario::builtin())
    }

    pub(super) fn of(scenario: Scenario) -> Scripted {
        Scripted {
            sim: SimCloud::new(scenario),
            start: Instant::now(),
            calls: Mutex::default(),
            faults: Mutex::default(),
            asks: Mutex::default(),
        }
    }

    /// The next call of `api` that has no fault before it gets this one.
    pub(super) fn then(self, api: &'static str, fault: Fault) -> Scripted {
        self.faults.lock().unwrap().push((api, fault));
        self
    }

    async fn call(&self, api: &'static str, detail: &str) -> Result<(), CloudError> {
        let name = [api, detail].join(" ").trim().to_string();
        let at = Instant::now() - self.start;
        self.calls.lock().unwrap().push((name, at));
        let fault = {
            let mut faults = self.faults.lock().unwrap();
            let next = faults.iter().position(|(a, _)| *a == api);
            next.map(|i| faults.remove(i).1)
        };
        match fault {
            None => Ok(()),
            Some(Fault::Fail(e)) => Err(e),
            Some(Fault::Hang) => std::future::pending().await,
            Some(Fault::Slow(d)) => {
                tokio::time::sleep(d).await;
                Ok(())
            }
        }
    }

    pub(super) fn count(&self, name: &str) -> usize {
        let calls = self.calls.lock().unwrap();
        calls.iter().filter(|(n, _)| n == name).count()
    }

    /// The calls whose name starts with `prefix` made from `from` to before
    /// `to` (whole seconds since the start), in order.
    pub(super) fn made(&self, prefix: &str, from: u64, to: u64) -> Vec<String> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(n, t)| n.starts_with(prefix) && (from..to).contains(&t.as_secs()))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// When each call named `name` was made, in whole seconds, once per
    /// moment (a fetch may make several calls at once).
    pub(super) fn seconds(&self, name: &str) -> Vec<u64> {
        let mut at: Vec<u64> = self
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, t)| t.as_secs())
            .collect();
        at.dedup();
        at
    }
}

#[async_trait]
impl Wrapped for Scripted {
    fn inner(&self) -> &dyn Cloud {
        &self.sim
    }
    async fn identity(&self) -> Result<Identity, CloudError> {
        self.call("identity", "").await?;
        self.sim.identity().await
    }
    async fn list_streams(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<StreamPage, CloudError> {
        self.call("list", "").await?;
        self.sim.list_streams(after, limit).await
    }
    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError> {
        self.call("describe", name).await?;
        self.sim.describe_stream(name).await
    }
    async fn start_encryption(&self, name: &str, key: &KeyRef) -> CallAnswer {
        if let Err(e) = self.call("start", name).await {
            return CallAnswer::answered(Err(e), None);
        }
        self.sim.start_encryption(name, key).await
    }
    async fn list_keys(&self) -> Result<Vec<String>, CloudError> {
        self.call("list_keys", "").await?;
        self.sim.list_keys().await
    }
    async fn list_aliases(&self) -> Result<Vec<Alias>, CloudError> {
        self.call("aliases", "").await?;
        self.sim.list_aliases().await
    }
    async fn kms_metrics(
        &self,
        asks: &SeriesAsk,
        range: MetricRange,
    ) -> Result<KmsMetrics, CloudError> {
        self.call("metrics", "").await?;
        let at = (Instant::now() - self.start).as_secs();
        let hours = (range.end - range.start).num_hours();
        self.asks.lock().unwrap().push((at, hours, asks.clone()));
        self.sim.kms_metrics(asks, range).await
    }
    async fn list_metrics(
        &self,
        recently_active: bool,
    ) -> Result<crate::model::SeriesListing, CloudError> {
        let which = if recently_active { "recent" } else { "all" };
        self.call("list_metrics", which).await?;
        self.sim.list_metrics(recently_active).await
    }
    async fn lookup_events(
        &self,
        query: &crate::model::EventQuery,
    ) -> Result<crate::model::EventPage, CloudError> {
        self.call("history", "").await?;
        self.sim.lookup_events(query).await
    }
}

/// A worker running on the paused clock.
pub(super) struct Running {
    pub(super) cloud: Arc<Scripted>,
    commands: Sender<WorkerCommand>,
    events: Receiver<DataEvent>,
    worker: tokio::task::JoinHandle<()>,
    audit: AuditLog,
    _dir: tempfile::TempDir,
}

fn start(cloud: Scripted) -> Running {
    start_with(
        cloud,
        Settings::from_config(&Config::builtin()),
        Ledger::in_memory(),
    )
}

/// A worker that never reads CloudTrail, as with `[cloudtrail] enabled = false`.
fn start_with(cloud: Scripted, mut settings: Settings, ledger: Ledger) -> Running {
    settings.changes_every = None;
    start_reading(cloud, settings, ledger, Trail::off())
}

/// A worker whose quota reads CloudTrail through `trail`.
pub(super) fn start_reading(
    cloud: Scripted,
    settings: Settings,
    ledger: Ledger,
    trail: Trail,
) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let cloud = Arc::new(cloud);
    let audit = AuditLog::at(dir.path().join("audit.jsonl"));
    let changes = ChangeContext {
        account: None,
        caller: None,
        region: Cloud::region(cloud.as_ref()).to_string(),
        ledger,
        trail,
        audit: audit.clone(),
        read_only: false,
        stop: Default::default(),
        force: false,
    };
    let (commands, command_rx) = mpsc::channel(64);
    let (event_tx, events) = crate::worker::outbox::channel();
    let worker = tokio::spawn(run(
        cloud.clone(),
        changes,
        settings,
        Window::H3,
        command_rx,
        event_tx,
    ));
    Running {
        cloud,
        commands,
        events,
        worker,
        audit,
        _dir: dir,
    }
}

impl Running {
    pub(super) fn send(&self, command: WorkerCommand) {
        self.commands.try_send(command).unwrap();
    }

    /// The time since the worker started, in whole seconds.
    fn now(&self) -> u64 {
        (Instant::now() - self.cloud.start).as_secs()
    }

    /// Everything the worker sends in the next `time`.
    pub(super) async fn during(&mut self, time: Duration) -> Vec<DataEvent> {
        let end = tokio::time::sleep(time);
        tokio::pin!(end);
        let mut seen = Vec::new();
        loop {
            tokio::select! {
                biased;
                event = self.events.recv() => seen.push(event.expect("the worker runs")),
                _ = &mut end => return seen,
            }
        }
    }

    /// The first event `pick` takes, within `limit`; the events before it
    /// are dropped.
    async fn first<T>(
        &mut self,
        limit: Duration,
        mut pick: impl FnMut(DataEvent) -> Option<T>,
    ) -> T {
        let wait = async {
            loop {
                let event = self.events.recv().await.expect("the worker runs");
                if let Some(found) = pick(event) {
                    return found;
                }
            }
        };
        tokio::time::timeout(limit, wait)
            .await
            .expect("the event came in time")
    }
}

fn failure(what: Fetch) -> impl FnMut(DataEvent) -> Option<CloudError> {
    move |e| match e {
        DataEvent::Failed { what: w, error } if w == what => Some(error),
        _ => None,
    }
}

fn unreachable() -> Fault {
    Fault::Fail(CloudError::Unreachable("connection refused".into()))
}

#[tokio::test(start_paused = true)]
async fn identity_is_asked_again_with_growing_pauses_until_sts_answers() {
    let cloud = Scripted::new()
        .then("identity", unreachable())
        .then("identity", unreachable())
        .then("identity", unreachable());
    let mut w = start(cloud);
    let events = w.during(30 * SECOND).await;
    assert_eq!(w.cloud.seconds("identity"), [0, 2, 6, 14]);
    let failed = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                DataEvent::Failed {
                    what: Fetch::Identity,
                    ..
                }
            )
        })
        .count();
    assert_eq!(failed, 3);
    let answered = events
        .iter()
        .position(|e| matches!(e, DataEvent::Identity(id) if id.account == "123456789012"))
        .expect("STS answered");
    // The quota can be read only once the account is known.
    assert!(events[..answered]
        .iter()
        .all(|e| !matches!(e, DataEvent::Quotas(Ok(_)))));
    assert!(events[answered..]
        .iter()
        .any(|e| matches!(e, DataEvent::Quotas(Ok(_)))));

    w.during(600 * SECOND).await;
    assert_eq!(
        w.cloud.seconds("identity"),
        [0, 2, 6, 14],
        "answered: not asked again"
    );
}

#[tokio::test(start_paused = true)]
async fn list_and_metrics_are_refreshed_at_their_configured_cadence() {
    let config = Config::builtin();
    assert_eq!(
        (config.refresh.list_secs.0, config.refresh.metrics_secs.0),
        (60, 60)
    );
    let mut w = start(Scripted::new());
    w.during(185 * SECOND).await;
    assert_eq!(w.cloud.seconds("list"), [0, 60, 120, 180]);
    assert_eq!(w.cloud.seconds("metrics"), [0, 60, 120, 180]);

    // Each follows its own setting.
    let text = "[refresh]\nlist_secs = 30\nmetrics_secs = 90\n";
    let config = Config::parse(
        text,
        std::path::Path::new("config.toml"),
        crate::keymap::check,
    )
    .unwrap();
    let settings = Settings::from_config(&config);
    let mut w = start_with(Scripted::new(), settings, Ledger::in_memory());
    w.during(185 * SECOND).await;
    assert_eq!(w.cloud.seconds("list"), [0, 30, 60, 90, 120, 150, 180]);
    assert_eq!(w.cloud.seconds("metrics"), [0, 90, 180]);
}

#[tokio::test(start_paused = true)]
async fn listings_of_the_series_are_kept_five_minutes_between_minutely_fetches() {
    let mut w = start(Scripted::new());
    w.during(605 * SECOND).await;
    assert_eq!(
        w.cloud.seconds("metrics"),
        (0..=10).map(|m| m * 60).collect::<Vec<u64>>(),
        "GetMetricData every minute"
    );
    // ListMetrics, not billed per metric, is asked again only when its
    // listing is five minutes old: PT3H for the window, the two-week one for
    // the 24-hour look-back.
    assert_eq!(w.cloud.seconds("list_metrics recent"), [0, 300, 600]);
    assert_eq!(w.cloud.seconds("list_metrics all"), [0, 300, 600]);
}

// Coverage first: every stream that can have KMS errors is asked for all
// four metrics at least every sweep (300 s), whatever ListMetrics lists;
// the figures for the note are printed.
#[tokio::test(start_paused = true)]
async fn every_stream_that_can_fail_is_asked_in_full_at_least_every_sweep() {
    // The demo's 44 streams (5 erring, 2 on unusable keys) and more, to 150.
    let mut w = start(Scripted::of(Scenario::builtin().scaled(150)));
    w.during(3605 * SECOND).await;
    let names = crate::inventory::list_names(&w.cloud.sim, 1000)
        .await
        .unwrap();
    let described = crate::inventory::describe_all(&w.cloud.sim, &names, 4).await;
    let streams: Vec<Stream> = described.into_iter().filter_map(|(_, r)| r.ok()).collect();
    let can_fail = crate::inventory::that_can_fail(streams.iter());
    assert!(!can_fail.is_empty());
    let asks = w.cloud.asks.lock().unwrap().clone();
    for name in &can_fail {
        let times: Vec<u64> = asks
            .iter()
            .filter(|(_, hours, ask)| *hours == 3 && ask.get(name) == Some(&MetricSet::ALL))
            .map(|(at, _, _)| *at)
            .collect();
        assert_eq!(times.first(), Some(&0), "{name}: asked at the first fetch");
        let gap = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        assert!(gap <= 300, "{name} went {gap} s unasked: {times:?}");
        assert!(*times.last().unwrap() >= 3300, "{name}: {times:?}");
    }
    let metrics: usize = asks
        .iter()
        .map(|(_, _, a)| a.values().map(|s| s.len()).sum::<usize>())
        .sum();
    let per_minute_all = 4 * names.len() * 61;
    eprintln!(
        "an hour over {} streams ({} can fail): {metrics} metrics requested; every series every minute: {per_minute_all}",
        names.len(),
        can_fail.len()
    );
    // 13 sweeps (0, 300, ..., 3600) of every stream that can fail, plus the
    // minute's asks of the erring streams and their 24 h look back: well
    // under asking for everything every minute.
    assert!(metrics >= 13 * 4 * can_fail.len(), "{metrics}");
    assert!(
        metrics * 3 < per_minute_all,
        "{metrics} of {per_minute_all}"
    );
}

#[tokio::test(start_paused = true)]
async fn refresh_fetches_again_at_once() {
    let mut w = start(Scripted::new());
    w.send(WorkerCommand::Interest {
        visible: vec![crate::model::StreamId::new(
            crate::model::TargetId::FIRST,
            "order-events",
        )],
        nearby: vec![],
    });
    w.during(10 * SECOND).await;
    assert_eq!(w.cloud.seconds("describe order-events"), [0]);
    w.send(WorkerCommand::Refresh);
    w.first(SECOND, |e| matches!(e, DataEvent::Names(_)).then_some(()))
        .await;
    assert_eq!(w.now(), 10, "at once, not at the next minute");
    w.during(SECOND / 2).await;
    assert_eq!(w.cloud.seconds("list"), [0, 10]);
    assert_eq!(w.cloud.seconds("metrics"), [0, 10]);
    assert_eq!(w.cloud.seconds("aliases"), [0, 10], "the streams' keys too");
    assert_eq!(
        w.cloud.seconds("describe order-events"),
        [0, 10],
        "what is on screen is described again"
    );
}

#[tokio::test(start_paused = true)]
async fn a_job_that_never_answers_ends_at_its_deadline_and_the_worker_carries_on() {
    let cloud = Scripted::new().then("list", Fault::Hang);
    let mut w = start(cloud);
    let settings = Settings::from_config(&Config::builtin());
    assert_eq!(settings.call_timeout, 20 * SECOND);

    // Meanwhile the worker still does what is asked.
    w.during(30 * SECOND).await;
    w.send(WorkerCommand::LoadKeys(crate::model::TargetId::FIRST));
    w.first(SECOND, |e| matches!(e, DataEvent::AllKeys(_)).then_some(()))
        .await;
    assert_eq!(w.now(), 30);

    let error = w.first(120 * SECOND, failure(Fetch::List)).await;
    assert_eq!(w.now(), 120, "six call timeouts after the listing began");
    assert!(
        matches!(&error, CloudError::NoAnswer(m) if m.contains("120 s")),
        "{error}"
    );

    // Asked again soon, and this time AWS answers.
    let names = w
        .first(20 * SECOND, |e| match e {
            DataEvent::Names(n) => Some(n),
            _ => None,
        })
        .await;
    assert_eq!(w.now(), 130);
    assert!(names.contains(&"order-events".to_string()));
}

#[tokio::test(start_paused = true)]
async fn the_key_picker_asking_twice_lists_the_keys_once() {
    // The listing takes a while, as it does against AWS: the second ask
    // comes while the first is still running.
    let mut w = start(Scripted::new().then("list_keys", Fault::Slow(Duration::from_millis(500))));
    w.during(SECOND).await;
    w.send(WorkerCommand::LoadKeys(crate::model::TargetId::FIRST));
    w.send(WorkerCommand::LoadKeys(crate::model::TargetId::FIRST));
    let events = w.during(SECOND).await;
    let answers = events
        .iter()
        .filter(|e| matches!(e, DataEvent::AllKeys(_)))
        .count();
    assert_eq!(answers, 1);
    assert_eq!(w.cloud.count("list_keys"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_locked_ledger_does_not_stop_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path.with_extension("lock"))
        .unwrap();
    lock.lock().unwrap();
    let ledger = Ledger::at(path).lock_patience(std::time::Duration::from_millis(500));
    let settings = Settings::from_config(&Config::builtin());
    let mut w = start_with(Scripted::new(), settings, ledger);
    let (mut identity, mut names) = (false, false);
    w.first(SECOND, |e| {
        identity |= matches!(e, DataEvent::Identity(_));
        names |= matches!(e, DataEvent::Names(_));
        (identity && names).then_some(())
    })
    .await;
    // The ledger is now being read, and waits for the lock on the blocking
    // pool; the worker answers meanwhile.
    w.send(WorkerCommand::Refresh);
    let listed_first = w
        .first(SECOND, |e| match e {
            DataEvent::Quotas(Ok(_)) => Some(false),
            DataEvent::Names(_) => Some(true),
            _ => None,
        })
        .await;
    assert!(
        listed_first,
        "the listing asked for came before the ledger was read"
    );
    assert_eq!(w.cloud.count("list"), 2);
    // Readers need no lock: once the wait is over, the ledger is read anyway.
    w.first(SECOND, |e| {
        matches!(e, DataEvent::Quotas(Ok(_))).then_some(())
    })
    .await;
    drop(lock);
}

#[tokio::test(start_paused = true)]
async fn a_failed_key_listing_reaches_the_picker_with_the_reason() {
    let denied = "User: arn:aws:sts::123456789012:assumed-role/ops/me is not authorized to perform: kms:ListKeys";
    let cloud = Scripted::new().then(
        "list_keys",
        Fault::Fail(CloudError::AccessDenied(denied.into())),
    );
    let mut w = start(cloud);
    let mut app = demo_app().await;
    let press =
        |app: &mut crate::app::App, code| app.on_key(KeyEvent::new(code, KeyModifiers::NONE));

    let commands = press(&mut app, KeyCode::Char('r'));
    assert_eq!(
        commands,
        [WorkerCommand::LoadKeys(crate::model::TargetId::FIRST)]
    );
    assert!(screen(&app).contains("listing the account's KMS keys…"));
    w.send(WorkerCommand::LoadKeys(crate::model::TargetId::FIRST));
    for event in w.during(SECOND).await {
        app.apply(crate::model::TargetId::FIRST, event);
    }
    let text = screen(&app);
    assert!(
        text.contains("✖ access denied listing the account's KMS keys: User:"),
        "{text}"
    );
    assert!(text.contains("Esc, then r, to try again"), "{text}");
    assert!(!text.contains("listing the account's KMS keys…"), "{text}");
    assert!(text.contains("AWS owned key"), "still offered: {text}");

    // Asked again, and answered this time.
    press(&mut app, KeyCode::Esc);
    let commands = press(&mut app, KeyCode::Char('r'));
    assert_eq!(
        commands,
        [WorkerCommand::LoadKeys(crate::model::TargetId::FIRST)]
    );
    let text = screen(&app);
    assert!(text.contains("listing the account's KMS keys…"), "{text}");
    assert!(!text.contains("✖ access denied"), "{text}");
    w.send(WorkerCommand::LoadKeys(crate::model::TargetId::FIRST));
    for event in w.during(SECOND).await {
        app.apply(crate::model::TargetId::FIRST, event);
    }
    let text = screen(&app);
    assert!(text.contains("alias/orders-events-2026"), "{text}");
    assert!(!text.contains("✖ access denied"), "{text}");
}

/// The demo's dashboard, filled as the worker would fill it.
async fn demo_app() -> crate::app::App {
    use crate::app::testing::{demo_app_from, events_from, fixed_now};
    let now = fixed_now();
    let sim = SimCloud::with_clock(Scenario::builtin(), Arc::new(move || now));
    let events = events_from(&sim, Window::H3, now).await;
    demo_app_from(&Config::builtin(), 100, 30, events)
}

fn screen(app: &crate::app::App) -> String {
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| crate::ui::render(f, app)).unwrap();
    t.backend().to_string()
}

/// The quota books the worker sent.
fn books(events: &[DataEvent]) -> Vec<&QuotaBook> {
    events
        .iter()
        .filter_map(|e| match e {
            DataEvent::Quotas(Ok(book)) => Some(book),
            _ => None,
        })
        .collect()
}

pub(super) fn reading_cloudtrail() -> Trail {
    Trail::new(true, 60 * SECOND, 60 * SECOND)
}

#[tokio::test(start_paused = true)]
async fn the_quota_reads_cloudtrail_once_a_poll_and_the_ledger_every_ten_seconds() {
    let mut settings = Settings::from_config(&Config::builtin());
    // The quota's reads alone: who changed what is read apart.
    settings.changes_every = None;
    let mut w = start_reading(
        Scripted::new(),
        settings,
        Ledger::in_memory(),
        reading_cloudtrail(),
    );
    let events = w.during(65 * SECOND).await;
    let books = books(&events);
    assert!(books.len() >= 6, "the ledger every 10 s: {}", books.len());
    assert_eq!(w.cloud.seconds("history"), [0, 60]);
    assert_eq!(
        w.cloud.count("history"),
        4,
        "a query for Starts, one for Stops"
    );
    let last = books.last().unwrap();
    assert_eq!(last.source, QuotaSource::LedgerAndCloudTrail);
    assert_eq!(last.quota("shipping-updates").remaining, 3);
    assert_eq!(last.calls("shipping-updates").len(), 22);
}

#[tokio::test(start_paused = true)]
async fn a_cloudtrail_that_refuses_leaves_the_ledgers_quota_on_screen() {
    let denied = CloudError::AccessDenied("not authorized: cloudtrail:LookupEvents".into());
    let cloud = Scripted::new().then("history", Fault::Fail(denied));
    let settings = Settings::from_config(&Config::builtin());
    let mut w = start_reading(cloud, settings, Ledger::in_memory(), reading_cloudtrail());
    let events = w.during(5 * SECOND).await;
    let first = books(&events)[0].clone();
    let why = first.source.reason().unwrap_or_default().to_string();
    assert!(why.contains("allow cloudtrail:LookupEvents"), "{why}");
    assert_eq!(first.quota("shipping-updates").remaining, 25);
    assert!(
        !events.iter().any(|e| matches!(e, DataEvent::Failed { .. })),
        "not a failure of the dashboard's"
    );
}

/// The demo fleet, with CloudTrail showing calls at once.
fn prompt_trail() -> Scripted {
    let mut scenario = Scenario::builtin();
    scenario.cloudtrail_lag_secs = 0;
    Scripted {
        sim: SimCloud::new(scenario),
        ..Scripted::new()
    }
}

#[tokio::test(start_paused = true)]
async fn a_stream_someone_else_stops_is_described_within_a_poll_on_screen_or_not() {
    let settings = Settings::from_config(&Config::builtin());
    let mut w = start_reading(
        prompt_trail(),
        settings,
        Ledger::in_memory(),
        reading_cloudtrail(),
    );
    // Nothing on screen: every stream is described once, then not for the
    // 10-minute background round.
    let first = w.during(20 * SECOND).await;
    assert!(w.cloud.count("describe order-events") >= 1);
    let told: Vec<&TrailEvent> = first
        .iter()
        .filter_map(|e| match e {
            DataEvent::Changes(events) => Some(events),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(
        told.iter()
            .any(|e| e.name == "DisableKey" && e.by.as_deref() == Some("dana.whitfield")),
        "the first look tells who disabled the demo's key: {told:?}"
    );
    let before = w.cloud.count("describe order-events");

    // Someone stops it from the console.
    let _ = w.cloud.sim.stop_encryption("order-events").await;
    let events = w.during(60 * SECOND).await;
    // Described at the look after the stop (then every few seconds while
    // it is DISABLING), not ten minutes later.
    let at = w.cloud.seconds("describe order-events");
    assert!(w.cloud.count("describe order-events") > before, "{at:?}");
    assert!(
        at.get(1).is_some_and(|s| (60..=80).contains(s)),
        "within a poll of the stop: {at:?}"
    );
    let stopped = events.iter().any(|e| {
        matches!(e, DataEvent::Stream { name, result: Ok(s), .. }
            if name == "order-events" && s.encryption.status != crate::model::EncryptionStatus::Enabled)
    });
    assert!(stopped, "the dashboard hears it stopping");
    // A look costs a handful of calls whatever the fleet: Firehose's events
    // and the nine key changes.
    let looks = w.cloud.seconds("history");
    assert!(looks.len() >= 2, "{looks:?}");
}

#[tokio::test(start_paused = true)]
async fn quitting_while_a_call_is_on_its_way_audits_it_unknown_before_the_worker_ends() {
    // The Start leaves and no answer comes back before the user quits (the
    // dashboard's double Ctrl-c a moment after `y`).
    let cloud = Scripted::new().then("start", Fault::Hang);
    let mut w = start(cloud);
    w.during(5 * SECOND).await;
    w.send(WorkerCommand::MakeChange {
        target: crate::model::TargetId::FIRST,
        request: crate::change::Request::Switch {
            stream: "dev-scratch".into(),
            key: KeyRef::AwsOwned,
        },
        streams_on_key: None,
        force: false,
    });
    for _ in 0..30 {
        if w.cloud.count("start dev-scratch") == 1 {
            break;
        }
        w.during(SECOND).await;
    }
    assert_eq!(w.cloud.count("start dev-scratch"), 1, "the call left");
    // What the dashboard does on quitting: its workers are aborted, and
    // awaited so their last lines are written before the process exits.
    w.worker.abort();
    let _ = (&mut w.worker).await;
    let log = w.audit.read();
    let outcomes: Vec<AuditOutcome> = log.iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, [AuditOutcome::Sent, AuditOutcome::Unknown]);
    assert!(
        log[1].message.contains("on its way to AWS"),
        "{}",
        log[1].message
    );
    assert_eq!(log[1].call.call_id, log[0].call.call_id);
}
