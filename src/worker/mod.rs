//! The cloud worker: the only task that talks to the cloud while the dashboard
//! runs. It decides what to fetch next (visible rows first), merges repeated
//! requests, and sends owned results to the UI loop. It never sees `App`.

mod scheduler;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::{Duration, Instant, MissedTickBehavior};

pub use scheduler::{Intervals, Scheduler};

use crate::change::{self, ChangeError, Ending, Request, Step, Timing};
use crate::cloud::CredentialFacts;
use crate::cloud::{Cloud, CloudError, Identity, KmsMetrics, KmsSeries, Stream};
use crate::config::Config;
use crate::health::Outage;
use crate::inventory::{self, KeyBook};
use crate::model::Tone;
use crate::model::Window;
use crate::quota::{self, Quota};

/// Work for the cloud worker. The worker merges repeats, so sending one twice
/// costs nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerCommand {
    /// Re-list, re-describe what is on screen, refetch metrics and quotas now.
    Refresh,
    /// Fetch KMS metrics for this window from now on.
    Window(Window),
    /// What the user sees (described first) and what is a page away.
    Interest {
        visible: Vec<String>,
        nearby: Vec<String>,
    },
    /// List every KMS key of the account, for the key picker.
    LoadKeys,
    /// Make a change, confirmed by the user; the worker plans it again from
    /// fresh descriptions, so the checks never rest on stale data.
    Change {
        request: crate::change::Request,
        streams_on_key: Option<usize>,
    },
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
    },
    /// Quota by the ledger, or why it could not be read.
    Quotas(Result<HashMap<String, Quota>, String>),
    /// Every KMS key of the account, for the key picker.
    AllKeys(KeyBook),
    Credentials(CredentialFacts),
    /// Progress and outcome of a change, in words.
    Change {
        stream: String,
        text: String,
        tone: Tone,
    },
    /// A change to this stream is being followed (true) or is over (false).
    Following {
        stream: String,
        active: bool,
    },
    /// A stream AWS no longer has: it leaves the fleet.
    Gone(String),
    /// A fleet-wide fetch failed: `what` is identity, list, metrics or keys.
    Failed {
        what: &'static str,
        error: CloudError,
    },
    /// The worker panicked and stopped: nothing more will come. The message
    /// is the panic's; the log has it with a backtrace.
    Crashed(String),
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
    pub keys_every: Duration,
    pub quotas_every: Duration,
    /// How long one AWS call may take; a job of several calls gets a few.
    pub call_timeout: Duration,
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
            intervals: Intervals {
                transition: Duration::from_secs(r.transition_secs.0),
                visible: Duration::from_secs(r.visible_secs.0),
                background: Duration::from_secs(r.background_secs.0),
            },
            list_every: Duration::from_secs(r.list_secs.0),
            metrics_every: Duration::from_secs(r.metrics_secs.0),
            keys_every: Duration::from_secs(300),
            quotas_every: Duration::from_secs(10),
            call_timeout: Duration::from_secs(config.aws.call_timeout_secs.0),
        }
    }
}

/// KMS error series for the window, and the outage behind each erring stream.
type MetricsResult = Result<(KmsMetrics, HashMap<String, Outage>), CloudError>;

/// The longest a job of several calls may run: each call has its own
/// deadline, and this one makes sure no job, and no flag waiting on it, can
/// stay in flight forever.
fn job_deadline(call: Duration) -> Duration {
    call * 6
}

/// A change needs the account to be counted in the ledger: if it is not
/// known yet, ask once more now; `send` refuses, with the reason, if still not.
async fn know_account(cloud: &dyn Cloud, ctx: &mut change::ChangeContext) {
    if ctx.account.is_some() {
        return;
    }
    match cloud.identity().await {
        Ok(id) => {
            ctx.account = Some(id.account);
            ctx.caller = Some(id.arn);
        }
        Err(e) => tracing::warn!("cannot tell the account for a change: {e}"),
    }
}

/// Waits between identity attempts: quick at first, then once a minute.
fn identity_backoff(attempt: u32) -> Duration {
    Duration::from_secs((2u64 << attempt.min(5)).min(60))
}

enum Job {
    Identity(Result<Identity, CloudError>),
    AllKeys(Result<KeyBook, CloudError>),
    /// A change finished (its progress went out as it happened).
    Changed(String),
    Names(Result<Vec<String>, CloudError>),
    Stream(String, Result<Stream, CloudError>),
    Keys(Result<KeyBook, CloudError>),
    Metrics(Window, MetricsResult),
}

struct Worker {
    cloud: Arc<dyn Cloud>,
    changes: change::ChangeContext,
    settings: Settings,
    events: UnboundedSender<DataEvent>,
    jobs: FuturesUnordered<BoxFuture<'static, Job>>,
    scheduler: Scheduler,
    window: Window,
    account: Option<String>,
    names: Vec<String>,
    key_arns: BTreeSet<String>,
    known_keys: BTreeSet<String>,
    describing: usize,
    listing: bool,
    fetching_metrics: bool,
    fetching_keys: bool,
    identity_attempts: u32,
    next_identity: Option<Instant>,
    next_list: Instant,
    next_metrics: Instant,
    next_keys: Instant,
    next_quotas: Instant,
}

/// Runs until the UI drops its end of `commands`. A panic inside does not end
/// the program silently: the worker stops and sends `DataEvent::Crashed`.
pub async fn run(
    cloud: Arc<dyn Cloud>,
    changes: change::ChangeContext,
    settings: Settings,
    window: Window,
    commands: UnboundedReceiver<WorkerCommand>,
    events: UnboundedSender<DataEvent>,
) {
    let report = events.clone();
    // Nothing of the worker is used after a panic: it is dropped whole, so
    // no broken invariant can be observed.
    let work =
        std::panic::AssertUnwindSafe(work(cloud, changes, settings, window, commands, events));
    if let Err(panic) = work.catch_unwind().await {
        let message = crate::crash::panic_message(&*panic);
        tracing::error!("the cloud worker stopped after a panic: {message}");
        let _ = report.send(DataEvent::Crashed(message));
    }
}

async fn work(
    cloud: Arc<dyn Cloud>,
    changes: change::ChangeContext,
    settings: Settings,
    window: Window,
    mut commands: UnboundedReceiver<WorkerCommand>,
    events: UnboundedSender<DataEvent>,
) {
    let now = Instant::now();
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
        listing: false,
        fetching_metrics: false,
        fetching_keys: false,
        identity_attempts: 0,
        next_identity: Some(now),
        next_list: now,
        next_metrics: now,
        next_keys: now,
        next_quotas: now,
    };
    if crate::crash::test_panic_asked("worker") {
        w.jobs
            .push(futures::future::lazy(|_| -> Job { crate::crash::test_panic("worker") }).boxed());
    }
    let credentials = w.cloud.credentials().await;
    let _ = w.events.send(DataEvent::Credentials(credentials));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        w.start_due_work(Instant::now());
        tokio::select! {
            command = commands.recv() => match command {
                Some(c) => w.command(c),
                None => return,
            },
            Some(job) = w.jobs.next(), if !w.jobs.is_empty() => {
                if !w.finish(job) {
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
                self.next_list = now;
                self.next_metrics = now;
                self.next_keys = now;
                self.next_quotas = now;
                self.scheduler.expire_visible();
            }
            WorkerCommand::Window(window) => {
                self.window = window;
                self.next_metrics = now;
            }
            WorkerCommand::Interest { visible, nearby } => {
                self.scheduler.set_interest(visible, nearby)
            }
            WorkerCommand::LoadKeys => {
                let cloud = self.cloud.clone();
                self.push(
                    async move {
                        let ids = match cloud.list_keys().await {
                            Ok(ids) => ids,
                            Err(e) => return Job::AllKeys(Err(e)),
                        };
                        let ids = ids.into_iter().collect();
                        Job::AllKeys(inventory::load_keys_for(cloud.as_ref(), &ids).await)
                    },
                    |e| Job::AllKeys(Err(e)),
                );
            }
            WorkerCommand::Change {
                request,
                streams_on_key,
            } => self.start_change(request, streams_on_key),
        }
    }

    /// Adds a job that ends by its deadline whatever the network does;
    /// `late` is what it reports if the deadline comes first.
    fn push(
        &mut self,
        job: impl std::future::Future<Output = Job> + Send + 'static,
        late: impl FnOnce(CloudError) -> Job + Send + 'static,
    ) {
        let deadline = job_deadline(self.settings.call_timeout);
        self.jobs.push(
            async move {
                match tokio::time::timeout(deadline, job).await {
                    Ok(job) => job,
                    Err(_) => late(CloudError::NoAnswer(format!(
                        "AWS: the work did not finish within {} s",
                        deadline.as_secs()
                    ))),
                }
            }
            .boxed(),
        );
    }

    fn start_due_work(&mut self, now: Instant) {
        if self.next_identity.is_some_and(|t| now >= t) {
            self.next_identity = None;
            let cloud = self.cloud.clone();
            self.push(async move { Job::Identity(cloud.identity().await) }, |e| {
                Job::Identity(Err(e))
            });
        }
        if !self.listing && now >= self.next_list {
            self.listing = true;
            let (cloud, page) = (self.cloud.clone(), self.settings.page_size);
            self.push(
                async move { Job::Names(inventory::list_names(cloud.as_ref(), page).await) },
                |e| Job::Names(Err(e)),
            );
        }
        if !self.fetching_metrics && now >= self.next_metrics && !self.names.is_empty() {
            self.fetching_metrics = true;
            let (cloud, names, window) = (self.cloud.clone(), self.names.clone(), self.window);
            self.push(
                async move {
                    let now = Utc::now();
                    let result = inventory::load_metrics(cloud.as_ref(), &names, window, now).await;
                    let result = match result {
                        Ok(metrics) => {
                            let series = Some(&metrics.series);
                            let outages =
                                inventory::outages(cloud.as_ref(), window, series, now).await;
                            Ok((metrics, outages))
                        }
                        Err(e) => Err(e),
                    };
                    Job::Metrics(window, result)
                },
                move |e| Job::Metrics(window, Err(e)),
            );
        }
        let new_keys = !self.key_arns.is_subset(&self.known_keys);
        if !self.fetching_keys && (new_keys || now >= self.next_keys) && !self.names.is_empty() {
            self.fetching_keys = true;
            let (cloud, arns) = (self.cloud.clone(), self.key_arns.clone());
            self.known_keys = arns.clone();
            self.push(
                async move { Job::Keys(inventory::load_keys_for(cloud.as_ref(), &arns).await) },
                |e| Job::Keys(Err(e)),
            );
        }
        if now >= self.next_quotas {
            self.next_quotas = now + self.settings.quotas_every;
            self.send_quotas();
        }
        while self.describing < self.settings.describes_in_flight {
            let Some(name) = self.scheduler.next(now) else {
                break;
            };
            self.describing += 1;
            let cloud = self.cloud.clone();
            let late_name = name.clone();
            self.push(
                async move {
                    let result = cloud.describe_stream(&name).await;
                    Job::Stream(name, result)
                },
                move |e| Job::Stream(late_name, Err(e)),
            );
        }
    }

    /// Plans again from fresh descriptions, sends once, and follows the
    /// stream until it settles, reporting each step. Not bounded by a job
    /// deadline: every call in it has one, and following has its own patience.
    fn start_change(&mut self, request: Request, streams_on_key: Option<usize>) {
        let (cloud, mut ctx, events) = (
            self.cloud.clone(),
            self.changes.clone(),
            self.events.clone(),
        );
        let name = request.stream().to_string();
        self.scheduler.finished(&name, true, Instant::now());
        self.jobs.push(
            async move {
                let say = |text: String, tone: Tone| {
                    let _ = events.send(DataEvent::Change {
                        stream: name.clone(),
                        text,
                        tone,
                    });
                };
                let following = |active: bool| {
                    let _ = events.send(DataEvent::Following {
                        stream: name.clone(),
                        active,
                    });
                };
                let result = async {
                    know_account(cloud.as_ref(), &mut ctx).await;
                    let plan =
                        change::plan(cloud.as_ref(), &ctx, &request, |_| streams_on_key).await?;
                    following(true);
                    let outcome = change::carry_out(
                        cloud.as_ref(),
                        &ctx,
                        &plan,
                        Timing::default(),
                        true,
                        |step| match step {
                            Step::Accepted => say(
                                format!("{name}: AWS accepted the change; following it…"),
                                Tone::Info,
                            ),
                            Step::Unclear(e) => say(
                                format!("{name}: {e}. AWS may have applied this; checking…"),
                                Tone::Info,
                            ),
                            Step::Confirmed => say(
                                format!("{name}: AWS had applied the change; following it…"),
                                Tone::Info,
                            ),
                            Step::Seen(s) => {
                                let _ = events.send(DataEvent::Stream {
                                    name: s.name.clone(),
                                    result: Ok(s.clone()),
                                    at: Utc::now(),
                                });
                            }
                        },
                    )
                    .await?;
                    let Some((ending, stream)) = outcome else {
                        return Ok((format!("{name}: AWS accepted the change."), Tone::Good));
                    };
                    let tone = if ending == Ending::Done {
                        Tone::Good
                    } else {
                        Tone::Bad
                    };
                    Ok::<_, ChangeError>((change::explain(&plan, &ending, &stream), tone))
                }
                .await;
                following(false);
                match result {
                    Ok((text, tone)) => say(text, tone),
                    Err(e) => say(format!("{name}: {e}"), Tone::Bad),
                }
                Job::Changed(name)
            }
            .boxed(),
        );
    }

    fn send_quotas(&mut self) {
        let quotas = match &self.account {
            None => Err("the AWS account is not known yet (STS has not answered)".to_string()),
            Some(account) => match self.changes.ledger.read() {
                Ok(entries) => Ok(quota::quotas(
                    &entries,
                    account,
                    self.cloud.region(),
                    Utc::now(),
                )),
                Err(e) => {
                    tracing::warn!("cannot read the quota ledger: {e}");
                    Err(format!("the ledger could not be read ({e})"))
                }
            },
        };
        let _ = self.events.send(DataEvent::Quotas(quotas));
    }

    /// Handles a finished job; false when the UI is gone.
    fn finish(&mut self, job: Job) -> bool {
        let now = Instant::now();
        let event = match job {
            Job::AllKeys(result) => match result {
                Ok(book) => DataEvent::AllKeys(book),
                Err(error) => DataEvent::Failed {
                    what: "keys",
                    error,
                },
            },
            Job::Changed(name) => {
                // The ledger has a new call, and the stream a new state.
                self.next_quotas = now;
                self.scheduler
                    .finished(&name, false, now - self.settings.intervals.visible);
                return true;
            }
            Job::Identity(Ok(id)) => {
                self.identity_attempts = 0;
                self.changes.account = Some(id.account.clone());
                self.changes.caller = Some(id.arn.clone());
                self.account = Some(id.account.clone());
                self.next_quotas = now;
                DataEvent::Identity(id)
            }
            Job::Identity(Err(error)) => {
                // Without the account no change can be counted: keep asking.
                tracing::warn!("cannot tell the account: {error}");
                self.next_identity = Some(now + identity_backoff(self.identity_attempts));
                self.identity_attempts += 1;
                DataEvent::Failed {
                    what: "identity",
                    error,
                }
            }
            Job::Names(result) => self.names_listed(result, now),
            Job::Stream(name, Err(CloudError::NotFound(_))) => {
                // Deleted since the listing: it leaves the fleet now.
                self.describing -= 1;
                self.scheduler.finished(&name, false, now);
                self.names.retain(|n| *n != name);
                self.scheduler.set_names(&self.names);
                DataEvent::Gone(name)
            }
            Job::Stream(name, result) => {
                self.describing -= 1;
                // A failed describe is retried soon, like a stream in transition.
                let transitioning = result
                    .as_ref()
                    .map_or(true, |s| s.encryption.status.is_transition());
                if let Ok(s) = &result {
                    self.key_arns
                        .extend(inventory::customer_keys(std::iter::once(s)));
                }
                self.scheduler.finished(&name, transitioning, now);
                DataEvent::Stream {
                    name,
                    result,
                    at: Utc::now(),
                }
            }
            Job::Keys(result) => {
                self.fetching_keys = false;
                self.next_keys = now + self.settings.keys_every;
                match result {
                    Ok(book) => DataEvent::Keys(book),
                    Err(error) => DataEvent::Failed {
                        what: "keys",
                        error,
                    },
                }
            }
            Job::Metrics(window, result) => match self.metrics_fetched(window, result, now) {
                Some(event) => event,
                None => return true,
            },
        };
        self.events.send(event).is_ok()
    }

    fn names_listed(&mut self, result: Result<Vec<String>, CloudError>, now: Instant) -> DataEvent {
        self.listing = false;
        match result {
            Ok(names) => {
                self.next_list = now + self.settings.list_every;
                self.scheduler.set_names(&names);
                if self.names.is_empty() {
                    self.next_metrics = now;
                }
                self.names = names.clone();
                DataEvent::Names(names)
            }
            Err(error) => {
                // Try again soon, not at once: an unreachable endpoint must
                // not become a busy loop.
                self.next_list = now + Duration::from_secs(10);
                DataEvent::Failed {
                    what: "list",
                    error,
                }
            }
        }
    }

    /// `None` when the user has moved to another window meanwhile.
    fn metrics_fetched(
        &mut self,
        window: Window,
        result: MetricsResult,
        now: Instant,
    ) -> Option<DataEvent> {
        self.fetching_metrics = false;
        if window != self.window {
            return None;
        }
        Some(match result {
            Ok((metrics, outages)) => {
                self.next_metrics = now + self.settings.metrics_every;
                DataEvent::Metrics {
                    window,
                    series: metrics.series,
                    unknown: metrics.unknown,
                    outages,
                }
            }
            Err(error) => {
                self.next_metrics = now + Duration::from_secs(15);
                DataEvent::Failed {
                    what: "metrics",
                    error,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests;
