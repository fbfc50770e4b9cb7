//! A start from an earlier run's cache. Describing every stream again
//! takes 1,000 s at 5,000 streams, at the account's whole Firehose budget;
//! CloudTrail already says which streams changed since the cache was
//! saved. So the cache's streams wait for the first look at CloudTrail
//! (read back to the cache's time): those it names are described at once,
//! with the rows on screen and those in transition, and the others are
//! confirmed: a known state with its source, verified later by describes
//! at the idle pace. When CloudTrail cannot say (off, unreadable, or the
//! cache older than its 90 days), every stream is described, and the
//! message log says why.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::{DataEvent, Worker};
use crate::inventory;
use crate::model::Stream;

/// CloudTrail's event history keeps 90 days (CloudTrail User Guide,
/// "Working with CloudTrail event history"): a cache older than that
/// cannot be checked against it.
const HISTORY_DAYS: i64 = 90;

/// A start from an earlier run's cache: the streams it showed, and from
/// when CloudTrail must be read to tell which of them changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restart {
    /// The oldest description the cache shows, less CloudTrail's lag
    /// (`trail::LATE_MINUTES`): a change after it would be in CloudTrail.
    pub since: DateTime<Utc>,
    /// The cache's descriptions: the worker knows their keys and which can
    /// have KMS errors as a describe would tell it. Those in transition
    /// are described at once; the others wait for CloudTrail.
    pub streams: Vec<Stream>,
}

impl Restart {
    /// From the rows of a cache saved at `saved_at`; `None` when no stream
    /// of it is settled. A row not described, or whose describe failed, is
    /// not confirmable: it is described as on a start without a cache.
    pub fn of(rows: &[crate::model::Row], saved_at: DateTime<Utc>) -> Option<Restart> {
        let mut restart = Restart {
            since: saved_at,
            streams: Vec::new(),
        };
        for row in rows {
            let (Some(stream), Some(at), None) = (&row.stream, row.described_at, &row.error) else {
                continue;
            };
            restart.since = restart.since.min(at);
            restart.streams.push(stream.clone());
        }
        restart.since -= chrono::Duration::minutes(crate::trail::LATE_MINUTES);
        (!restart.settled().is_empty()).then_some(restart)
    }

    /// In ENABLING or DISABLING, or CREATING or DELETING: not confirmable.
    fn moving(s: &Stream) -> bool {
        s.encryption.status.is_transition() || s.status != "ACTIVE"
    }

    /// The streams that wait for CloudTrail's word.
    fn settled(&self) -> Vec<String> {
        let settled = self.streams.iter().filter(|s| !Restart::moving(s));
        settled.map(|s| s.name.clone()).collect()
    }

    fn transitioning(&self) -> Vec<String> {
        let moving = self.streams.iter().filter(|s| Restart::moving(s));
        moving.map(|s| s.name.clone()).collect()
    }
}

/// What a start from the cache came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restarted {
    /// CloudTrail shows no change to these streams from `since` to
    /// `checked`; the others it named are described again.
    Confirmed {
        names: Vec<String>,
        named: usize,
        since: DateTime<Utc>,
        checked: DateTime<Utc>,
    },
    /// Every stream of the cache is described again, and why.
    FullPass(String),
}

impl Worker {
    /// At start: the cache's streams wait for CloudTrail's word, or the
    /// message log says why every stream is described again.
    pub(super) async fn restart_from_cache(&mut self, now: Instant) {
        let Some(restart) = self.settings.restart.take() else {
            return;
        };
        // What a describe would have told: their customer keys are read at
        // once (a key disabled since is seen without waiting for the
        // sweep), and which streams cannot have KMS errors.
        self.key_arns
            .extend(inventory::customer_keys(restart.streams.iter()));
        for stream in &restart.streams {
            self.series.described(stream);
        }
        if let Some(why) = self.cannot_confirm(&restart, Utc::now()) {
            let said = Restarted::FullPass(format!("every stream is described again: {why}"));
            self.events.send(DataEvent::Restarted(said)).await;
            return;
        }
        self.scheduler
            .hold(&restart.settled(), &restart.transitioning());
        // CloudTrail's events since the cache's time are news: a stream
        // they name is described at once.
        self.started = self.started.min(restart.since);
        self.watch.hurry(now);
        self.restart = Some(restart);
    }

    fn cannot_confirm(&self, restart: &Restart, now: DateTime<Utc>) -> Option<String> {
        if self.settings.changes_every.is_none() {
            return Some("CloudTrail is off ([cloudtrail] enabled = false)".into());
        }
        (now - restart.since > chrono::Duration::days(HISTORY_DAYS)).then(|| {
            format!(
                "the cache is older than CloudTrail's {HISTORY_DAYS} days of event history (saved before {})",
                restart.since.format("%Y-%m-%d")
            )
        })
    }

    /// Where the first look after a restart reads from: the cache's time,
    /// if that is further back than a first look reads.
    pub(super) fn restart_since(&self, since: DateTime<Utc>) -> DateTime<Utc> {
        self.restart.as_ref().map_or(since, |r| r.since.min(since))
    }

    /// The first look after a restart is over (its events acted on): the
    /// streams it did not name are confirmed; if it could not read back to
    /// the cache's time, every one held is described.
    pub(super) fn restarted(&mut self, restart: Restart, now: Instant) -> Option<DataEvent> {
        if self.look.failed {
            self.scheduler.release();
            let why = format!(
                "CloudTrail could not be read back to {} (see the log)",
                crate::model::clock(restart.since)
            );
            let said = Restarted::FullPass(format!("every stream is described again: {why}"));
            return Some(DataEvent::Restarted(said));
        }
        let names = self.scheduler.confirm(now);
        let named = restart.settled().len().saturating_sub(names.len());
        tracing::info!(
            "restart: CloudTrail confirms {} streams of the cache, names {named}",
            names.len()
        );
        Some(DataEvent::Restarted(Restarted::Confirmed {
            names,
            named,
            since: restart.since,
            checked: self.look.end,
        }))
    }
}
