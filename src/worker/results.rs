//! What a finished job changes in the worker (when the next fetch is due,
//! what is in flight) and the event it sends the dashboard.

use chrono::Utc;
use tokio::time::{Duration, Instant};

use super::jobs::{Fetched, Job, MetricsResult};
use super::{identity_backoff, DataEvent, Fetch, Worker};
use crate::cloud::CloudError;
use crate::inventory;
use crate::model::Tone;
use crate::model::{trail, Identity, Stream, TrailEvent};

/// After a failed list or metrics fetch: soon, not at once, so an
/// unreachable endpoint does not become a busy loop.
const LIST_RETRY: Duration = Duration::from_secs(10);
const METRICS_RETRY: Duration = Duration::from_secs(15);

impl Worker {
    /// Handles a finished job; false when the UI is gone.
    pub(super) async fn finish(&mut self, job: Job) -> bool {
        let now = Instant::now();
        let event = match job {
            Job::AllKeys(result) => {
                self.listing_all_keys = false;
                match result {
                    Ok(book) => DataEvent::AllKeys(book),
                    Err(error) => failed(Fetch::AllKeys, error),
                }
            }
            Job::Changed(name) => {
                self.changing -= 1;
                // The ledger has a new call, the stream a new state, and
                // perhaps a key no read has described yet: until one does,
                // its stream is unknown, so the keys are read now.
                self.quotas.hurry(now);
                self.keys.hurry(now);
                self.scheduler.expire(&name);
                return true;
            }
            Job::Moved => {
                self.changing -= 1;
                // Streams changed keys: the ledger has new calls, and the
                // keys their streams.
                self.moving = None;
                self.quotas.hurry(now);
                self.keys.hurry(now);
                DataEvent::MoveOver
            }
            Job::KeyChanged => {
                self.changing -= 1;
                // Its rotation status and list have changed.
                self.keys.hurry(now);
                return true;
            }
            Job::GrantChecked(key, check) => DataEvent::GrantChecked { key, check },
            Job::Identity(result) => self.identity_answered(result, now),
            Job::Names(result) => self.names_listed(result, now),
            Job::Stream(name, result) => self.described(name, result, now),
            Job::Keys(result) => {
                self.keys.done(now + self.settings.keys_every);
                match result {
                    Ok(book) => {
                        self.series.keys(&book);
                        DataEvent::Keys(book)
                    }
                    Err(error) => failed(Fetch::Keys, error),
                }
            }
            Job::Metrics(fetched, result, catalog) => {
                self.series.keep(&catalog, now);
                let usage = DataEvent::CloudWatch(self.cloud.cloudwatch_usage());
                if !self.events.send(usage).await {
                    return false;
                }
                match self.metrics_fetched(fetched, result, now) {
                    Some(event) => event,
                    None => return true,
                }
            }
            Job::Quotas(result) => {
                self.quotas.over();
                DataEvent::Quotas(result)
            }
            Job::Settled(result) => {
                // The ledger may have been corrected: count again.
                self.quotas.hurry(now);
                return say_settled(&self.events, result).await;
            }
            Job::Changes(result) => match self.changes_read(result, now) {
                Some(event) => event,
                None => return true,
            },
            Job::Recording(result) => match self.recording_answered(result) {
                Some(event) => event,
                None => return true,
            },
            Job::Recorded(result) => match self.records_read(result) {
                Some(event) => event,
                None => return true,
            },
        };
        self.events.send(event).await
    }

    fn identity_answered(
        &mut self,
        result: Result<Identity, CloudError>,
        now: Instant,
    ) -> DataEvent {
        match result {
            Ok(id) => {
                self.identity.failures = 0;
                self.changes.account = Some(id.account.clone());
                self.changes.caller = Some(id.arn.clone());
                if self.account.is_none() {
                    self.start_settling(id.account.clone());
                }
                self.account = Some(id.account.clone());
                self.quotas.hurry(now);
                DataEvent::Identity(id)
            }
            Err(error) => {
                // Without the account no change can be counted: keep asking.
                tracing::warn!("cannot tell the account: {error}");
                self.identity.next = Some(now + identity_backoff(self.identity.failures));
                self.identity.failures += 1;
                failed(Fetch::Identity, error)
            }
        }
    }

    fn names_listed(&mut self, result: Result<Vec<String>, CloudError>, now: Instant) -> DataEvent {
        match result {
            Ok(names) => {
                self.list.done(now + self.settings.list_every);
                self.scheduler.set_names(&names);
                if self.names.is_empty() {
                    self.metrics.hurry(now);
                }
                self.names = names.clone();
                DataEvent::Names(names)
            }
            Err(error) => {
                self.list.done(now + LIST_RETRY);
                failed(Fetch::List, error)
            }
        }
    }

    fn described(
        &mut self,
        name: String,
        result: Result<Stream, CloudError>,
        now: Instant,
    ) -> DataEvent {
        self.describing -= 1;
        if let Err(CloudError::NotFound(_)) = result {
            // Deleted since the listing: it leaves the fleet now.
            self.scheduler.finished(&name, false, now);
            self.names.retain(|n| *n != name);
            self.scheduler.set_names(&self.names);
            self.series.gone(&name);
            return DataEvent::Gone(name);
        }
        match &result {
            Ok(s) => {
                self.key_arns
                    .extend(inventory::customer_keys(std::iter::once(s)));
                self.series.described(s);
                let transitioning = s.encryption.status.is_transition();
                self.scheduler.finished(&name, transitioning, now);
            }
            // Retried later each time, taking turns with the first pass.
            Err(_) => self.scheduler.failed(&name, now),
        }
        DataEvent::Stream {
            name,
            result,
            at: Utc::now(),
        }
    }

    /// Acts on what CloudTrail shows changed since the last look: a stream
    /// changed is described now, on screen or not; a stream made or deleted
    /// means listing again; a key in use changed is described again.
    fn changes_read(
        &mut self,
        result: Result<crate::trail::Read, CloudError>,
        now: Instant,
    ) -> Option<DataEvent> {
        let events = match result {
            Ok(read) if read.complete => read.events,
            // Not read back to where the look starts in time: the next look
            // starts there again (each event is taken once).
            Ok(read) => {
                if !std::mem::replace(&mut self.look.failed, true) {
                    tracing::warn!(
                        "CloudTrail's changes read back only to {:?} in time; the next look reads again from {}",
                        read.oldest,
                        self.look.since
                    );
                }
                read.events
            }
            Err(e) => {
                // The quota says CloudTrail is unreadable where it matters;
                // here only the "who" is missing. Said once a look.
                if !std::mem::replace(&mut self.look.failed, true) {
                    tracing::warn!("cannot read CloudTrail's changes: {e}");
                }
                Vec::new()
            }
        };
        let mut restarted = None;
        if !self.next_look_query() {
            self.watch.over();
            // A look with a failed query is read again from as far back.
            if !self.look.failed {
                self.read_until = Some(self.look.end);
            }
            restarted = self.restart.take();
        }
        // Grants are made and retired all day by many services, on many
        // keys: only those on the fleet's keys are worth keeping.
        let events: Vec<TrailEvent> = events
            .into_iter()
            .filter(|e| {
                !trail::GRANTS.contains(&e.name.as_str())
                    || e.resource
                        .as_ref()
                        .is_some_and(|k| self.key_arns.contains(k))
            })
            .collect();
        let read = events.len();
        let new = self.history.add(events, Utc::now());
        tracing::debug!("CloudTrail: {read} changes read, {} new", new.len());
        let started = self.started;
        for e in &new {
            self.react(e, started, now);
        }
        // What CloudTrail named is described before the rest is confirmed.
        let restarted = restarted.and_then(|r| self.restarted(r, now));
        match (new.is_empty(), restarted) {
            (true, restarted) => restarted,
            (false, None) => Some(DataEvent::Changes(new)),
            (false, Some(restarted)) => {
                self.events.post(DataEvent::Changes(new));
                Some(restarted)
            }
        }
    }

    /// What a new event in CloudTrail calls for. Only events since the
    /// dashboard started call for a describe or a listing (the first look
    /// reads a day back, and what it shows was read since); a change to a
    /// key in use within `ALERT_FOR` calls for its streams' metrics however
    /// old the dashboard is, since its errors may be starting now.
    fn react(&mut self, e: &TrailEvent, started: chrono::DateTime<Utc>, now: Instant) {
        // AWS refused it: nothing changed.
        if e.error_code.is_some() {
            return;
        }
        let recent = chrono::Duration::from_std(super::series::ALERT_FOR)
            .is_ok_and(|d| e.at >= Utc::now() - d);
        if e.at < started && !(recent && e.source == trail::KMS) {
            return;
        }
        let resource = e.resource.as_deref().unwrap_or_default();
        if e.source == trail::FIREHOSE {
            match e.name.as_str() {
                "CreateDeliveryStream" | "DeleteDeliveryStream" => self.list.hurry(now),
                _ if self.scheduler.knows(resource) => {
                    tracing::info!("{} by {:?}: describing {resource} now", e.name, e.by);
                    self.scheduler.expire(resource);
                }
                _ => {}
            }
        } else if e.source == trail::KMS && self.key_arns.contains(resource) {
            if trail::ALERTING.contains(&e.name.as_str()) {
                tracing::info!(
                    "{} by {:?}: asking CloudWatch for the streams of {resource} in full",
                    e.name,
                    e.by
                );
                self.series.alert(crate::model::key_id_of(resource), now);
                self.metrics.hurry(now);
            }
            if !trail::GRANTS.contains(&e.name.as_str()) {
                tracing::info!("{} by {:?}: describing the keys again", e.name, e.by);
                self.keys.hurry(now);
            }
        }
    }

    /// `None` when the user has moved to another window meanwhile.
    fn metrics_fetched(
        &mut self,
        fetched: Fetched,
        result: MetricsResult,
        now: Instant,
    ) -> Option<DataEvent> {
        self.metrics.over();
        let window = fetched.window;
        if window != self.window {
            return None;
        }
        Some(match result {
            Ok((mut metrics, outages)) => {
                self.metrics.done(now + self.settings.metrics_every);
                let as_of =
                    self.series
                        .fetched(&fetched.plan, &mut metrics, fetched.at, fetched.started);
                DataEvent::Metrics {
                    window,
                    series: metrics.series,
                    unknown: metrics.unknown,
                    outages,
                    at: fetched.at,
                    as_of,
                }
            }
            Err(error) => {
                self.metrics.done(now + METRICS_RETRY);
                failed(Fetch::Metrics, error)
            }
        })
    }
}

fn failed(what: Fetch, error: CloudError) -> DataEvent {
    DataEvent::Failed { what, error }
}

/// Each call settled, on the status line and in the message log.
async fn say_settled(
    events: &super::Outbox,
    result: Result<Vec<crate::settle::Settled>, String>,
) -> bool {
    let reports = match result {
        Ok(settled) => settled
            .iter()
            .map(|s| {
                // Outcomes, kept in the message log: a call still open
                // is said as a problem.
                let tone = if s.ended() { Tone::Good } else { Tone::Bad };
                (s.call.subject(), s.sentence(), tone)
            })
            .collect(),
        Err(why) => vec![(String::new(), why, Tone::Bad)],
    };
    let reports: Vec<(String, String, Tone)> = reports;
    for (stream, text, tone) in reports {
        let report = DataEvent::ChangeReport { stream, text, tone };
        if !events.send(report).await {
            return false;
        }
    }
    true
}
