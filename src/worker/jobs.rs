//! The fetches the worker starts when they are due, each a job that ends by
//! its deadline whatever the network does.

use std::collections::HashMap;

use chrono::Utc;
use futures::FutureExt;
use tokio::time::Instant;

use super::{job_deadline, Look, Worker};
use crate::cloud::CloudError;
use crate::health::Outage;
use crate::inventory::{self, Catalog, KeyBook};
use crate::model::Window;
use crate::model::{Identity, KmsMetrics, Stream};
use crate::quota::QuotaBook;
use crate::trail;

/// KMS error series for the window, and the outage behind each erring stream.
pub(super) type MetricsResult = Result<(KmsMetrics, HashMap<String, Outage>), CloudError>;

/// What a metrics fetch was: for which window, as planned, read when.
pub(super) struct Fetched {
    pub window: Window,
    pub plan: super::series::FetchPlan,
    pub at: chrono::DateTime<Utc>,
    pub started: Instant,
}

impl Fetched {
    fn of(
        window: Window,
        plan: super::series::FetchPlan,
        at: chrono::DateTime<Utc>,
        started: Instant,
    ) -> Fetched {
        Fetched {
            window,
            plan,
            at,
            started,
        }
    }
}

/// What a finished job brings back to the worker.
pub(super) enum Job {
    Identity(Result<Identity, CloudError>),
    AllKeys(Result<KeyBook, CloudError>),
    /// A change finished (its progress went out as it happened).
    Changed(String),
    /// A change to a key's rotation finished.
    KeyChanged,
    /// A move off a key finished: every stream it sent has settled.
    Moved,
    Names(Result<Vec<String>, CloudError>),
    Stream(String, Result<Stream, CloudError>),
    Keys(Result<KeyBook, CloudError>),
    /// With the ListMetrics listings the fetch used.
    Metrics(Fetched, MetricsResult, Catalog),
    /// The quota of every stream by the ledger and CloudTrail, or why the
    /// ledger was not read.
    Quotas(Result<QuotaBook, String>),
    /// The calls an earlier run left open, settled (or why they could not be).
    Settled(Result<Vec<crate::settle::Settled>, String>),
    /// Changes to streams and keys CloudTrail shows for the time looked at,
    /// and whether every page back to its start was read.
    Changes(Result<trail::Read, CloudError>),
    /// What KMS said of a dry run of Firehose's grant on a key (by ARN).
    GrantChecked(String, crate::cloud::GrantCheck),
    /// Whether AWS Config records the streams, for a cold start.
    Recording(Result<crate::model::Recording, CloudError>),
    /// A page of AWS Config's records of the streams.
    Recorded(Result<crate::model::RecordPage<crate::model::RecordedStream>, CloudError>),
}

impl Worker {
    /// Adds a job that ends by its deadline whatever the network does;
    /// `late` is what it reports if the deadline comes first.
    pub(super) fn push(
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

    pub(super) fn start_due_work(&mut self, now: Instant) {
        self.start_identity(now);
        self.start_list(now);
        self.start_metrics(now);
        self.start_keys(now);
        self.start_quotas(now);
        self.start_trail_look(now);
        self.start_describes(now);
    }

    fn start_identity(&mut self, now: Instant) {
        let due = self.identity.next.is_some_and(|t| now >= t);
        if !due {
            return;
        }
        self.identity.next = None;
        let cloud = self.cloud.clone();
        self.push(async move { Job::Identity(cloud.identity().await) }, |e| {
            Job::Identity(Err(e))
        });
    }

    fn start_list(&mut self, now: Instant) {
        if !self.list.due(now) {
            return;
        }
        self.list.start();
        let (cloud, page) = (self.cloud.clone(), self.settings.page_size);
        self.push(
            async move { Job::Names(inventory::list_names(cloud.as_ref(), page).await) },
            |e| Job::Names(Err(e)),
        );
    }

    fn start_metrics(&mut self, now: Instant) {
        if self.series.urgent_grew(now) {
            self.metrics.hurry(now);
        }
        if !self.metrics.due(now) || self.names.is_empty() {
            return;
        }
        self.metrics.start();
        let (cloud, window) = (self.cloud.clone(), self.window);
        let plan = self.series.plan(&self.names, window, now);
        let mut catalog = self.series.catalog(now);
        let late = (catalog.clone(), plan.clone());
        self.push(
            async move {
                let at = Utc::now();
                let (cloud, c) = (cloud.as_ref(), &mut catalog);
                let (names, in_full) = (&plan.names, &plan.in_full);
                let result =
                    inventory::load_metrics(cloud, names, in_full, &plan.can_fail, window, at, c)
                        .await;
                let result = match result {
                    Ok(metrics) => {
                        let series = Some(&metrics.series);
                        let outages =
                            inventory::outages(cloud, window, series, in_full, at, c).await;
                        Ok((metrics, outages))
                    }
                    Err(e) => Err(e),
                };
                Job::Metrics(Fetched::of(window, plan, at, now), result, catalog)
            },
            move |e| {
                let (catalog, plan) = late;
                Job::Metrics(Fetched::of(window, plan, Utc::now(), now), Err(e), catalog)
            },
        );
    }

    /// The keys the streams use: when a stream shows a key not looked up
    /// yet, and every few minutes for the rest.
    fn start_keys(&mut self, now: Instant) {
        if !self.key_arns.is_subset(&self.known_keys) {
            self.keys.hurry(now);
        }
        if !self.keys.due(now) || self.names.is_empty() {
            return;
        }
        self.keys.start();
        let (cloud, arns) = (self.cloud.clone(), self.key_arns.clone());
        self.known_keys = arns.clone();
        self.push(
            async move { Job::Keys(inventory::load_keys_for(cloud.as_ref(), &arns).await) },
            |e| Job::Keys(Err(e)),
        );
    }

    /// The ledger, read on the blocking pool (its lock may be held by
    /// another process for seconds, and the worker must keep answering),
    /// merged with CloudTrail's calls: read again only every `[cloudtrail]
    /// poll_secs`, however often the ledger is.
    fn start_quotas(&mut self, now: Instant) {
        if !self.quotas.due(now) {
            return;
        }
        self.quotas.next = now + self.settings.quotas_every;
        let Some(account) = self.account.clone() else {
            let why = "the AWS account is not known yet (STS has not answered)";
            // Said every `quotas_every` at most: no wait for room needed.
            self.events
                .post(super::DataEvent::Quotas(Err(why.to_string())));
            return;
        };
        self.quotas.start();
        let (cloud, ledger, trail) = (
            self.cloud.clone(),
            self.changes.ledger.clone(),
            self.changes.trail.clone(),
        );
        let forget = std::mem::take(&mut self.forget_trail);
        let deadline = job_deadline(self.settings.call_timeout);
        self.push(
            async move {
                if forget {
                    trail.forget().await;
                }
                Job::Quotas(match ledger.read_async().await {
                    Ok(entries) => {
                        trail
                            .book(cloud.as_ref(), &entries, &account, Utc::now())
                            .await
                    }
                    Err(e) => {
                        tracing::warn!("cannot read the quota ledger: {e}");
                        Err(format!("the ledger could not be read ({e})"))
                    }
                })
            },
            move |_| {
                Job::Quotas(Err(format!(
                    "the ledger could not be read within {} s",
                    deadline.as_secs()
                )))
            },
        );
    }

    /// Who changed streams and keys: the first look reads back a day, the
    /// later ones from a little before where the last complete look ended
    /// (events show up late, dated when the call was made).
    fn start_trail_look(&mut self, now: Instant) {
        let Some(every) = self.settings.changes_every else {
            return;
        };
        if !self.watch.due(now) {
            return;
        }
        // Every poll_secs from the start of one look to the next, however
        // long a look takes at CloudTrail's pace.
        self.watch.next = now + every;
        self.watch.start();
        let end = Utc::now();
        let since = self.restart_since(trail::look_since(self.read_until, end));
        self.look = Look {
            names: trail::look_order().into(),
            since,
            end,
            failed: false,
        };
        self.next_look_query();
    }

    /// The look's next query, if any is left. One at a time: each waits its
    /// turn at CloudTrail's pace only once it is asked (its deadline starts
    /// then), the quota's reads take turns with it, and each is acted on as
    /// soon as it is read.
    pub(super) fn next_look_query(&mut self) -> bool {
        let Some(name) = self.look.names.pop_front() else {
            return false;
        };
        let (cloud, since, end) = (self.cloud.clone(), self.look.since, self.look.end);
        // Read back by time, not by count: pages are asked for until the
        // job's deadline is near (each call keeps its own).
        let budget =
            job_deadline(self.settings.call_timeout).saturating_sub(self.settings.call_timeout * 2);
        self.push(
            async move {
                let until = Instant::now() + budget;
                Job::Changes(trail::read_back(cloud.as_ref(), name, since, end, until).await)
            },
            |e| Job::Changes(Err(e)),
        );
        true
    }

    fn start_describes(&mut self, now: Instant) {
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

    /// Settles the calls an earlier run of this account and region left at
    /// `sent` or `unknown`, once the account is known: by CloudTrail and by
    /// describing, each with a final line, the ledger corrected to match.
    pub(super) fn start_settling(&mut self, account: String) {
        let (cloud, ctx) = (self.cloud.clone(), self.changes.clone());
        let deadline = job_deadline(self.settings.call_timeout);
        self.push(
            async move {
                let books = crate::settle::Books {
                    audit: &ctx.audit,
                    ledger: &ctx.ledger,
                    account: Some(&account),
                    region: &ctx.region,
                    trail: ctx.trail.reading(),
                };
                let settled = crate::settle::settle(cloud.as_ref(), books).await;
                Job::Settled(settled.map_err(|e| e.to_string()))
            },
            move |_| {
                Job::Settled(Err(format!(
                    "the calls an earlier run left open were not settled within {} s; the next start tries again",
                    deadline.as_secs()
                )))
            },
        );
    }

    /// Every key of the account, for the key picker; a request while one is
    /// under way waits for its answer.
    pub(super) fn start_all_keys(&mut self) {
        if self.listing_all_keys {
            return;
        }
        self.listing_all_keys = true;
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
}
