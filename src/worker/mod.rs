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

use crate::app::{Command, Tone};
use crate::change::{self, ChangeError, Ending, Request};
use crate::cloud::{Cloud, CloudError, Identity, KmsSeries, Stream};
use crate::config::{Config, Window};
use crate::health::Outage;
use crate::inventory::{self, KeyBook};
use crate::preflight::CredentialFacts;
use crate::quota::{self, Quota};

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
        outages: HashMap<String, Outage>,
    },
    Quotas(HashMap<String, Quota>),
    /// Every KMS key of the account, for the key picker.
    AllKeys(KeyBook),
    Credentials(CredentialFacts),
    /// Progress and outcome of a change, in words.
    Change {
        stream: String,
        text: String,
        tone: Tone,
    },
    /// A fleet-wide fetch failed: `what` is list, metrics or keys.
    Failed {
        what: &'static str,
        error: CloudError,
    },
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
        }
    }
}

/// KMS error series for the window, and the outage behind each erring stream.
type MetricsResult = Result<(BTreeMap<String, KmsSeries>, HashMap<String, Outage>), CloudError>;

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
    changes: change::Context,
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
    next_list: Instant,
    next_metrics: Instant,
    next_keys: Instant,
    next_quotas: Instant,
}

/// Runs until the UI drops its end of `commands`.
pub async fn run(
    cloud: Arc<dyn Cloud>,
    changes: change::Context,
    settings: Settings,
    window: Window,
    mut commands: UnboundedReceiver<Command>,
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
        next_list: now,
        next_metrics: now,
        next_keys: now,
        next_quotas: now,
    };
    let cloud = w.cloud.clone();
    w.jobs
        .push(async move { Job::Identity(cloud.identity().await) }.boxed());
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
    fn command(&mut self, command: Command) {
        let now = Instant::now();
        match command {
            Command::Refresh => {
                self.next_list = now;
                self.next_metrics = now;
                self.next_keys = now;
                self.next_quotas = now;
                self.scheduler.expire_visible();
            }
            Command::Window(window) => {
                self.window = window;
                self.next_metrics = now;
            }
            Command::Interest { visible, nearby } => self.scheduler.set_interest(visible, nearby),
            Command::LoadKeys => {
                let cloud = self.cloud.clone();
                self.jobs.push(
                    async move {
                        let ids = match cloud.list_keys().await {
                            Ok(ids) => ids,
                            Err(e) => return Job::AllKeys(Err(e)),
                        };
                        let ids = ids.into_iter().collect();
                        Job::AllKeys(inventory::load_keys_for(cloud.as_ref(), &ids).await)
                    }
                    .boxed(),
                );
            }
            Command::Change {
                request,
                streams_on_key,
            } => self.start_change(request, streams_on_key),
        }
    }

    fn start_due_work(&mut self, now: Instant) {
        if !self.listing && now >= self.next_list {
            self.listing = true;
            let (cloud, page) = (self.cloud.clone(), self.settings.page_size);
            self.jobs.push(
                async move { Job::Names(inventory::list_names(cloud.as_ref(), page).await) }
                    .boxed(),
            );
        }
        if !self.fetching_metrics && now >= self.next_metrics && !self.names.is_empty() {
            self.fetching_metrics = true;
            let (cloud, names, window) = (self.cloud.clone(), self.names.clone(), self.window);
            self.jobs.push(
                async move {
                    let now = Utc::now();
                    let result = inventory::load_metrics(cloud.as_ref(), &names, window, now).await;
                    let result = match result {
                        Ok(series) => {
                            let outages =
                                inventory::outages(cloud.as_ref(), window, Some(&series), now)
                                    .await;
                            Ok((series, outages))
                        }
                        Err(e) => Err(e),
                    };
                    Job::Metrics(window, result)
                }
                .boxed(),
            );
        }
        let new_keys = !self.key_arns.is_subset(&self.known_keys);
        if !self.fetching_keys && (new_keys || now >= self.next_keys) && !self.names.is_empty() {
            self.fetching_keys = true;
            let (cloud, arns) = (self.cloud.clone(), self.key_arns.clone());
            self.known_keys = arns.clone();
            self.jobs.push(
                async move { Job::Keys(inventory::load_keys_for(cloud.as_ref(), &arns).await) }
                    .boxed(),
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
            self.jobs.push(
                async move {
                    let result = cloud.describe_stream(&name).await;
                    Job::Stream(name, result)
                }
                .boxed(),
            );
        }
    }

    /// Plans again from fresh descriptions, sends, and follows the stream
    /// until it settles, reporting each step.
    fn start_change(&mut self, request: Request, streams_on_key: Option<usize>) {
        let (cloud, ctx, events) = (
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
                let result = async {
                    let plan =
                        change::plan(cloud.as_ref(), &ctx, &request, |_| streams_on_key).await?;
                    change::send(cloud.as_ref(), &ctx, &plan).await?;
                    say(
                        format!("{}: AWS accepted the change; following it…", name),
                        Tone::Info,
                    );
                    let poll = std::time::Duration::from_secs(3);
                    let patience = std::time::Duration::from_secs(15 * 60);
                    let (ending, stream) =
                        change::follow(cloud.as_ref(), &ctx, &plan, poll, patience, |s| {
                            let _ = events.send(DataEvent::Stream {
                                name: s.name.clone(),
                                result: Ok(s.clone()),
                                at: Utc::now(),
                            });
                        })
                        .await?;
                    let tone = if ending == Ending::Done {
                        Tone::Good
                    } else {
                        Tone::Bad
                    };
                    Ok::<_, ChangeError>((change::explain(&plan, &ending, &stream), tone))
                }
                .await;
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
        let Some(account) = &self.account else {
            return;
        };
        match self.changes.ledger.read() {
            Ok(entries) => {
                let q = quota::quotas(&entries, account, self.cloud.region(), Utc::now());
                let _ = self.events.send(DataEvent::Quotas(q));
            }
            Err(e) => tracing::warn!("cannot read the quota ledger: {e}"),
        }
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
                self.changes.account = Some(id.account.clone());
                self.changes.caller = Some(id.arn.clone());
                self.account = Some(id.account.clone());
                self.next_quotas = now;
                DataEvent::Identity(id)
            }
            Job::Identity(Err(e)) => {
                tracing::warn!("cannot tell the account: {e}");
                return true;
            }
            Job::Names(result) => self.names_listed(result, now),
            Job::Stream(name, result) => {
                self.describing -= 1;
                let transitioning = result
                    .as_ref()
                    .is_ok_and(|s| s.encryption.status.is_transition());
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
            Ok((series, outages)) => {
                self.next_metrics = now + self.settings.metrics_every;
                DataEvent::Metrics {
                    window,
                    series,
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
