//! The cloud worker: the only task that talks to the cloud while the dashboard
//! runs. It decides what to fetch next (visible rows first), merges repeated
//! requests, and sends owned results to the UI loop. It never sees `App`.
//!
//! Its state is when each kind of fetch is next due and whether one is under
//! way (`Cadence`); the fetches themselves are jobs with deadlines
//! (`jobs.rs`), and what their results change is in `results.rs`.

mod changes;
mod cold;
mod jobs;
pub mod outbox;
mod restart;
mod results;
mod scheduler;
mod series;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc::Receiver;
use tokio::time::{Duration, Instant, MissedTickBehavior};

pub use outbox::Outbox;
pub use restart::{Restart, Restarted};
pub use scheduler::{Intervals, Scheduler};

use crate::change;
use crate::cloud::{Cloud, CloudError};
use crate::config::Config;
use crate::health::Outage;
use crate::inventory::KeyBook;
use crate::model::CredentialFacts;
use crate::model::Window;
use crate::model::{History, Identity, KmsSeries, Stream, TrailEvent};
use crate::model::{KeyId, StreamId, TargetId, Tone};
use crate::quota::QuotaBook;

use jobs::Job;

/// Work for the cloud worker of one target. A command about a stream or a
/// key names it with its target: the fleet routes it to that target's
/// worker, which reads the stream's own name. The worker merges repeats,
/// so sending one twice costs nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerCommand {
    /// Re-list, re-describe what is on screen, refetch metrics and quotas now.
    Refresh,
    /// Fetch KMS metrics for this window from now on.
    Window(Window),
    /// What the user sees (described first) and what is a page away.
    Interest {
        visible: Vec<StreamId>,
        nearby: Vec<StreamId>,
    },
    /// List every KMS key of the target's account and region, for the key
    /// picker.
    LoadKeys(TargetId),
    /// Describe this stream before any other: a change waits for it.
    Describe(StreamId),
    /// Make a change to a stream of `target`, confirmed by the user; the
    /// worker plans it again from fresh descriptions, so the checks never
    /// rest on stale data.
    MakeChange {
        target: TargetId,
        request: crate::change::Request,
        streams_on_key: Option<usize>,
        /// Send past refusals AWS may not share (the user typed `send`).
        force: bool,
    },
    /// Ask KMS whether the caller may create Firehose's grant on this key
    /// (by ARN), for the stream's confirmation: a CreateGrant dry run.
    CheckGrant { stream: StreamId, key: String },
    /// Change a key's material rotation, confirmed by the user; planned
    /// again from a fresh description of the key.
    MakeKeyChange {
        key: KeyId,
        change: crate::key_rotation::KeyChange,
        streams: Vec<StreamId>,
    },
    /// Move these streams off the key `from` to `to`, confirmed by the user:
    /// each planned again from a fresh description just before its call.
    Move {
        from: KeyId,
        to: crate::model::KeyRef,
        streams: Vec<StreamId>,
        streams_on_new: Option<usize>,
    },
    /// Send no more calls of the move; follow those already sent.
    StopMove,
    /// This target turned out to be another's twin (another profile of the
    /// same account and region): read nothing more, finish the changes
    /// under way (each is audited and followed to its end), then stop.
    Retire(TargetId),
}

/// What a fetch that AWS failed was for: the dashboard marks that part of
/// the screen as failed and says what could not be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// Which account this is (STS); changes wait for it.
    Identity,
    /// The streams' names.
    List,
    /// One stream's description; reported with the stream, in
    /// `DataEvent::Stream`.
    Describe,
    /// The KMS keys the streams use, and the account's aliases.
    Keys,
    /// Every KMS key of the account, for the key picker.
    AllKeys,
    /// KMS error metrics from CloudWatch.
    Metrics,
}

/// What the worker learned, owned, for the UI loop.
#[derive(Debug, Clone)]
pub enum DataEvent {
    Identity(Identity),
    Names(Vec<String>),
    Stream {
        name: String,
        result: Result<Stream, CloudError>,
        at: DateTime<Utc>,
    },
    Keys(KeyBook),
    Metrics {
        window: Window,
        series: BTreeMap<String, KmsSeries>,
        /// Streams CloudWatch gave incomplete data for, and why.
        unknown: BTreeMap<String, String>,
        outages: HashMap<String, Outage>,
        /// When CloudWatch was asked: the figures are known up to then.
        at: DateTime<Utc>,
        /// Streams this fetch did not ask (the sweep's), with when they
        /// were last asked: their figures are known only up to then.
        as_of: BTreeMap<String, DateTime<Utc>>,
    },
    /// Quota by the ledger and CloudTrail, or why the ledger could not be read.
    Quotas(Result<QuotaBook, String>),
    /// Changes to streams and keys CloudTrail showed since the last look.
    Changes(Vec<TrailEvent>),
    /// What KMS said of a dry run of Firehose's grant on a key (by ARN).
    GrantChecked {
        key: String,
        check: crate::cloud::GrantCheck,
    },
    /// Every KMS key of the account, for the key picker.
    AllKeys(KeyBook),
    /// What the dashboard has asked of CloudWatch so far, after each fetch
    /// of the metrics.
    CloudWatch(crate::model::CloudWatchUsage),
    Credentials(CredentialFacts),
    /// Progress and outcome of a change, in words.
    ChangeReport {
        stream: String,
        text: String,
        tone: Tone,
    },
    /// A change to this stream is being followed (true) or is over (false).
    Following {
        stream: String,
        active: bool,
    },
    /// A stream of the move off a key reached a stage; the words say it.
    Moving {
        stream: String,
        stage: crate::change::moving::Stage,
        words: String,
    },
    /// The move's run is over: nothing more will be sent or followed.
    MoveOver,
    /// A stream AWS no longer has: it leaves the fleet.
    Gone(String),
    /// What a start from the cache came to: which streams CloudTrail
    /// confirmed, or why every stream is described again.
    Restarted(Restarted),
    /// A fetch for the whole fleet (or the key picker) failed.
    Failed {
        what: Fetch,
        error: CloudError,
    },
    /// The worker panicked and stopped: nothing more will come. The message
    /// is the panic's; the log has it with a backtrace.
    Crashed(String),
    /// A page of AWS Config's records of the streams, for a cold start:
    /// shown for the streams not described yet.
    Recorded(Vec<crate::model::RecordedStream>),
    /// How the cold start from AWS Config went, or why there is none: said
    /// once, in the message log.
    ColdStart(String),
}

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct Settings {
    pub page_size: u32,
    /// Describes in flight: enough to reach the limiter's pace, few enough
    /// that a newly visible row does not wait behind a long queue.
    pub describes_in_flight: usize,
    pub intervals: Intervals,
    pub list_every: Duration,
    pub metrics_every: Duration,
    /// How often every stream that can fail is asked for its KMS errors,
    /// listed or not (`[cloudwatch] sweep_secs`).
    pub sweep_every: Duration,
    pub keys_every: Duration,
    pub quotas_every: Duration,
    /// How often CloudTrail is asked who changed what; `None`: never.
    pub changes_every: Option<Duration>,
    /// How long one AWS call may take; a job of several calls gets a few.
    pub call_timeout: Duration,
    /// A start from an earlier run's cache, if there is one.
    pub restart: Option<Restart>,
    /// No cache was shown for this target: AWS Config's records, if it
    /// keeps them, make the first full table (see `cold.rs`).
    pub cold_start: bool,
}

impl Settings {
    pub fn from_config(config: &Config) -> Settings {
        let r = &config.refresh;
        Settings {
            page_size: config.aws.list_page_size.0,
            describes_in_flight: config
                .aws
                .describe_concurrency
                .0
                .min(config.aws.firehose_calls_per_second.0 as usize)
                .max(1),
            intervals: Intervals::from_config(config),
            list_every: Duration::from_secs(r.list_secs.0),
            metrics_every: Duration::from_secs(r.metrics_secs.0),
            sweep_every: Duration::from_secs(config.cloudwatch.sweep_secs.0),
            keys_every: Duration::from_secs(300),
            quotas_every: Duration::from_secs(10),
            changes_every: config
                .cloudtrail
                .enabled
                .then(|| Duration::from_secs(config.cloudtrail.poll_secs.0)),
            call_timeout: Duration::from_secs(config.aws.call_timeout_secs.0),
            restart: None,
            cold_start: false,
        }
    }
}

/// The longest a job of several calls may run: each call has its own
/// deadline, and this one makes sure no job, and no flag waiting on it, can
/// stay in flight forever.
fn job_deadline(call: Duration) -> Duration {
    call * 6
}

/// Waits between identity attempts: quick at first, then once a minute.
fn identity_backoff(attempt: u32) -> Duration {
    Duration::from_secs((2u64 << attempt.min(5)).min(60))
}

/// A fetch that repeats: when the next one is due, and whether one is under
/// way (then no second one starts, however due).
#[derive(Debug, Clone, Copy)]
struct Cadence {
    next: Instant,
    running: bool,
}

impl Cadence {
    fn due_at(next: Instant) -> Cadence {
        Cadence {
            next,
            running: false,
        }
    }

    fn due(&self, now: Instant) -> bool {
        !self.running && now >= self.next
    }

    fn start(&mut self) {
        self.running = true;
    }

    /// The one under way is over; the next stays due when it was.
    fn over(&mut self) {
        self.running = false;
    }

    /// Due at once, or as soon as the one under way is over.
    fn hurry(&mut self, now: Instant) {
        self.next = now;
    }

    /// The one under way is over; the next is due at `next`.
    fn done(&mut self, next: Instant) {
        self.running = false;
        self.next = next;
    }
}

/// A look at CloudTrail: the names still to read, the time it reads, and
/// whether a query failed.
#[derive(Debug, Clone, Default)]
struct Look {
    names: std::collections::VecDeque<&'static str>,
    since: DateTime<Utc>,
    end: DateTime<Utc>,
    failed: bool,
}

/// Which account this is: asked until STS answers, with a growing pause.
#[derive(Debug, Clone, Copy)]
struct IdentityRetry {
    /// `None` while a question is out or once it was answered.
    next: Option<Instant>,
    failures: u32,
}

struct Worker {
    cloud: Arc<dyn Cloud>,
    changes: change::ChangeContext,
    settings: Settings,
    events: Outbox,
    jobs: FuturesUnordered<BoxFuture<'static, Job>>,
    scheduler: Scheduler,
    window: Window,
    account: Option<String>,
    names: Vec<String>,
    /// Customer keys the streams use, and those already looked up.
    key_arns: BTreeSet<String>,
    known_keys: BTreeSet<String>,
    /// Describes in flight.
    describing: usize,
    identity: IdentityRetry,
    list: Cadence,
    metrics: Cadence,
    keys: Cadence,
    quotas: Cadence,
    /// CloudTrail's changes to streams and keys.
    watch: Cadence,
    /// What CloudTrail showed so far: each change is acted on once.
    history: History,
    /// Where the last complete look at CloudTrail ended: the next reads on
    /// from a little before it.
    read_until: Option<DateTime<Utc>>,
    /// The look under way.
    look: Look,
    /// When the worker started: CloudTrail's events since are news.
    started: DateTime<Utc>,
    /// Ctrl-r: the next quota read asks CloudTrail, not the last read.
    forget_trail: bool,
    /// Every key of the account is being listed: a second `LoadKeys` waits
    /// for this answer.
    listing_all_keys: bool,
    /// The stop switch of the move under way, if one is.
    moving: Option<change::StopSwitch>,
    /// What the metrics fetches keep to ask CloudWatch for less.
    series: series::SeriesState,
    /// Changes, key changes and moves under way.
    changing: usize,
    /// Told to `Retire`: it ends once `changing` is none.
    retired: bool,
    /// A start from the cache whose first look at CloudTrail is not over:
    /// the streams it holds wait for it.
    restart: Option<Restart>,
    /// The cold start from AWS Config, as far as it has read.
    cold: cold::Cold,
}

/// Runs until the UI drops its end of `commands`. A panic inside does not end
/// the program silently: the worker stops and sends `DataEvent::Crashed`.
pub async fn run(
    cloud: Arc<dyn Cloud>,
    changes: change::ChangeContext,
    settings: Settings,
    window: Window,
    commands: Receiver<WorkerCommand>,
    events: Outbox,
) {
    let report = events.fresh();
    // Nothing of the worker is used after a panic: it is dropped whole, so
    // no broken invariant can be observed.
    let work =
        std::panic::AssertUnwindSafe(work(cloud, changes, settings, window, commands, events));
    if let Err(panic) = work.catch_unwind().await {
        let message = crate::crash::panic_message(&*panic);
        tracing::error!("the cloud worker stopped after a panic: {message}");
        report.send(DataEvent::Crashed(message)).await;
    }
}

async fn work(
    cloud: Arc<dyn Cloud>,
    changes: change::ChangeContext,
    settings: Settings,
    window: Window,
    mut commands: Receiver<WorkerCommand>,
    events: Outbox,
) {
    let now = Instant::now();
    let sweep_every = settings.sweep_every;
    let mut w = Worker {
        scheduler: Scheduler::new(settings.intervals),
        cloud,
        changes,
        settings,
        events,
        jobs: FuturesUnordered::new(),
        window,
        account: None,
        names: Vec::new(),
        key_arns: BTreeSet::new(),
        known_keys: BTreeSet::new(),
        describing: 0,
        identity: IdentityRetry {
            next: Some(now),
            failures: 0,
        },
        list: Cadence::due_at(now),
        metrics: Cadence::due_at(now),
        keys: Cadence::due_at(now),
        quotas: Cadence::due_at(now),
        // A moment after start-up: the list and the first describes go first.
        watch: Cadence::due_at(now + Duration::from_secs(3)),
        history: History::default(),
        read_until: None,
        look: Look::default(),
        started: Utc::now(),
        forget_trail: false,
        listing_all_keys: false,
        moving: None,
        series: series::SeriesState::new(sweep_every),
        changing: 0,
        retired: false,
        restart: None,
        cold: cold::Cold::default(),
    };
    w.restart_from_cache(now).await;
    if w.settings.cold_start {
        w.start_cold();
    }
    if crate::crash::test_panic_asked("worker") {
        w.jobs
            .push(futures::future::lazy(|_| -> Job { crate::crash::test_panic("worker") }).boxed());
    }
    let credentials = w.cloud.credentials().await;
    w.events.send(DataEvent::Credentials(credentials)).await;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        if w.retired {
            if w.changing == 0 {
                return;
            }
        } else {
            w.start_due_work(Instant::now());
        }
        tokio::select! {
            command = commands.recv() => match command {
                Some(c) => w.command(c),
                None => return,
            },
            Some(job) = w.jobs.next(), if !w.jobs.is_empty() => {
                if !w.finish(job).await {
                    return;
                }
            }
            _ = tick.tick() => {}
        }
    }
}

impl Worker {
    fn command(&mut self, command: WorkerCommand) {
        let now = Instant::now();
        match command {
            WorkerCommand::Refresh => {
                self.list.hurry(now);
                self.metrics.hurry(now);
                self.keys.hurry(now);
                self.quotas.hurry(now);
                self.watch.hurry(now);
                self.forget_trail = true;
                self.scheduler.expire_visible();
            }
            WorkerCommand::Window(window) => {
                self.window = window;
                self.metrics.hurry(now);
            }
            WorkerCommand::Interest { visible, nearby } => {
                self.scheduler.set_interest(names(visible), names(nearby));
            }
            WorkerCommand::LoadKeys(_) => self.start_all_keys(),
            WorkerCommand::Describe(id) => self.scheduler.hurry(&id.name),
            WorkerCommand::MakeChange {
                request,
                streams_on_key,
                force,
                ..
            } => self.start_change(request, streams_on_key, force),
            WorkerCommand::CheckGrant { key, .. } => self.start_grant_check(key),
            WorkerCommand::MakeKeyChange {
                key,
                change,
                streams,
            } => self.start_key_change(key.arn, change, names(streams)),
            WorkerCommand::Move {
                from,
                to,
                streams,
                streams_on_new,
            } => self.start_move(from.arn, to, names(streams), streams_on_new),
            WorkerCommand::StopMove => {
                if let Some(stop) = &self.moving {
                    stop.stop();
                }
            }
            WorkerCommand::Retire(_) => self.retired = true,
        }
    }
}

/// The streams' own names: a worker reads one target.
fn names(ids: Vec<StreamId>) -> Vec<String> {
    ids.into_iter().map(|id| id.name).collect()
}

/// Why AWS Config could not be read, in words that say what to do.
pub fn explain_config(e: &CloudError) -> String {
    match e {
        CloudError::AccessDenied(m) => format!(
            "access denied reading AWS Config ({m}): allow config:DescribeConfigurationRecorders, config:DescribeConfigurationRecorderStatus, config:ListDiscoveredResources and config:BatchGetResourceConfig"
        ),
        CloudError::NoAnswer(_) => "AWS Config did not answer".to_string(),
        other => format!("reading AWS Config failed: {other}"),
    }
}

/// An error in words that say what is wrong and what to do.
pub fn explain(what: Fetch, e: &CloudError) -> String {
    let doing = match what {
        Fetch::List => "listing streams",
        Fetch::Metrics => "reading KMS metrics from CloudWatch",
        Fetch::Keys => "reading KMS keys",
        Fetch::AllKeys => "listing the account's KMS keys",
        Fetch::Describe => "describing a stream",
        Fetch::Identity => "asking STS which account this is (changes wait for it)",
    };
    match e {
        CloudError::Throttled(_) => {
            format!("AWS is throttling {doing}: slowing down, showing last data")
        }
        CloudError::AccessDenied(m) => format!("access denied {doing}: {m}"),
        CloudError::Unreachable(_) => {
            format!("cannot reach AWS ({doing}): check network/--endpoint-url; showing last data")
        }
        CloudError::NoAnswer(_) => format!("no answer from AWS ({doing}); showing last data"),
        other => format!("{doing} failed: {other}"),
    }
}

#[cfg(test)]
mod tests;
