//! CloudTrail's record of the Start and Stop calls made in the region, read
//! for the quota: the ledger counts only this machine's calls, the event
//! history everyone's, late: "CloudTrail typically delivers logs within an
//! average of about 5 minutes of an API call. This time is not guaranteed"
//! (CloudTrail User Guide, "Getting and viewing your CloudTrail log files").
//!
//! The region's calls of the last 24 hours are read with one query per event
//! name, following NextToken to the 24-hour boundary however many pages that
//! takes (⌈events/50⌉ calls at `[cloudtrail] calls_per_second`, never one per
//! stream), bounded by time, not by count: a read that cannot reach the
//! boundary in time makes the quota unknown, never a short count. The read
//! is kept for `[cloudtrail] poll_secs`, so the dashboard's quota cadence, a
//! change's checks and its reservation share one.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::cloud::{Cloud, CloudError};
use crate::config::Config;
use crate::model::trail::{KEY_CHANGES, START, STOP, STREAM_CHANGES};
use crate::model::{EventQuery, History, Lookup, TrailEvent};
use crate::quota::{self, Entry, QuotaBook};

/// The region's Start and Stop events of the 24 hours before `now`, every
/// page of them, as long as each page is asked for before `until`; else why
/// the count they would give is short.
pub async fn read_calls(
    cloud: &dyn Cloud,
    now: DateTime<Utc>,
    until: Instant,
) -> Result<Vec<TrailEvent>, Short> {
    let since = now - chrono::Duration::hours(24);
    let mut events = Vec::new();
    for name in [START, STOP] {
        let read = read_back(cloud, name, since, now, until)
            .await
            .map_err(Short::Unread)?;
        if !read.complete {
            return Err(Short::Cut(format!(
                "CloudTrail holds more {name} calls of the last 24 hours than could be read in time ({} read, back to {}, at [cloudtrail] calls_per_second); a count without the rest would be short",
                read.events.len(),
                read.oldest.map_or("none".to_string(), crate::model::stamp)
            )));
        }
        events.extend(read.events);
    }
    Ok(events)
}

/// Why a read of the calls gave no count to trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Short {
    /// CloudTrail could not be read at all (denied, throttled, no answer):
    /// the ledger counts alone, and says so.
    Unread(CloudError),
    /// Read in part: the calls read are real, and calls not read are known
    /// to exist, so no count is given.
    Cut(String),
}

/// What a read of one event name brought back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Read {
    /// Newest first.
    pub events: Vec<TrailEvent>,
    /// Every page back to the start of the range was read.
    pub complete: bool,
    /// The oldest event read.
    pub oldest: Option<DateTime<Utc>>,
}

/// The calls named `name` between `since` and `end`, newest first: every
/// page, as long as each is asked for before `until` (the pace limiter may
/// make each wait its turn; the call itself has its own deadline).
pub async fn read_back(
    cloud: &dyn Cloud,
    name: &str,
    since: DateTime<Utc>,
    end: DateTime<Utc>,
    until: Instant,
) -> Result<Read, CloudError> {
    let mut query = EventQuery {
        lookup: Lookup::EventName(name.to_string()),
        start: since,
        end,
        next_token: None,
    };
    let mut read = Read::default();
    loop {
        let answer = cloud.lookup_events(&query).await?;
        read.oldest = answer.events.iter().map(|e| e.at).min().or(read.oldest);
        read.events.extend(answer.events);
        query.next_token = answer.next_token;
        if query.next_token.is_none() {
            read.complete = true;
            return Ok(read);
        }
        if Instant::now() >= until {
            return Ok(read);
        }
    }
}

/// How far back the dashboard's first look at who changed what goes, and
/// the furthest any look goes: a day, as long as Firehose keeps records it
/// cannot decrypt.
pub const FIRST_LOOK_HOURS: i64 = 24;
/// A look reads again this far before where the last complete look ended,
/// each event taken once (by its event id): an event appears in the history
/// late, dated when the call was made, "within an average of about 5
/// minutes", with no upper bound (CloudTrail User Guide). An hour is twelve
/// times the average. It is also how long after a call a later run waits
/// before saying, from CloudTrail's silence, that the call never reached AWS.
pub const LATE_MINUTES: i64 = 60;
/// How long `read_named` reads pages of one name before it stops with what it
/// has (newest first), when its caller gives no time of its own.
const LOOK_BUDGET: Duration = Duration::from_secs(60);

/// Where a look starts: a day back for the first, else `LATE_MINUTES`
/// before where the last complete look ended (never more than a day back).
pub fn look_since(read_until: Option<DateTime<Utc>>, end: DateTime<Utc>) -> DateTime<Utc> {
    let furthest = end - chrono::Duration::hours(FIRST_LOOK_HOURS);
    read_until.map_or(furthest, |t| {
        (t - chrono::Duration::minutes(LATE_MINUTES)).max(furthest)
    })
}

/// The names a look reads, one query each: 16 calls (more only past 50
/// events of a name) whatever the number of streams. At one call a second
/// a look takes 16 s, so what breaks streams comes first and is seen within
/// a poll of the change.
pub fn look_order() -> Vec<&'static str> {
    let first = [
        START,
        STOP,
        "DisableKey",
        "ScheduleKeyDeletion",
        "PutKeyPolicy",
    ];
    let rest = STREAM_CHANGES
        .iter()
        .chain(&KEY_CHANGES)
        .filter(|n| !first.contains(n));
    first.iter().chain(rest).copied().collect()
}

/// The calls named `name` between `since` and `now`, newest first: every
/// page that can be read in `LOOK_BUDGET`, the rest left with a warning.
pub async fn read_named(
    cloud: &dyn Cloud,
    name: &str,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<TrailEvent>, CloudError> {
    let read = read_back(cloud, name, since, now, Instant::now() + LOOK_BUDGET).await?;
    if !read.complete {
        tracing::warn!(
            "{} {name} events since {since} read in {} s, back to {:?}: the older ones are not",
            read.events.len(),
            LOOK_BUDGET.as_secs(),
            read.oldest
        );
    }
    Ok(read.events)
}

/// Everything a look reads, in `look_order`; fails at the first query that
/// fails (they all fail alike).
pub async fn read_changes(
    cloud: &dyn Cloud,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<TrailEvent>, CloudError> {
    let mut events = Vec::new();
    for name in look_order() {
        events.extend(read_named(cloud, name, since, now).await?);
    }
    Ok(events)
}

/// For `status`: who disabled, or scheduled for deletion, the keys in use
/// that are so, over the last day. Each breaking call is read with the call
/// that undoes it (DisableKey with EnableKey, ScheduleKeyDeletion with
/// CancelKeyDeletion): a key disabled by alice, enabled by bob and disabled
/// again by carol, whose call CloudTrail does not show yet, was not broken
/// by alice. Asked only when such a key is in use (two queries per kind),
/// so a healthy fleet costs nothing; a failed read only leaves the
/// sentences without a name. The key states arrive as KMS describes the
/// keys, and each kind is read as soon as its first key is seen, while the
/// others are still being described.
pub async fn who_broke_keys(
    cloud: &dyn Cloud,
    trail: &Trail,
    states: impl futures::Stream<Item = crate::model::KeyState>,
    now: DateTime<Utc>,
) -> History {
    use futures::StreamExt;
    let mut history = History::default();
    if !trail.enabled {
        return history;
    }
    let since = now - chrono::Duration::hours(FIRST_LOOK_HOURS);
    let mut asked: Vec<&str> = Vec::new();
    let mut states = std::pin::pin!(states);
    while let Some(state) = states.next().await {
        for &name in breaking_and_undoing(&state) {
            if asked.contains(&name) {
                continue;
            }
            asked.push(name);
            let read =
                tokio::time::timeout(trail.patience, read_named(cloud, name, since, now)).await;
            let Ok(Ok(events)) = read else {
                tracing::warn!("cannot read who made {name} calls");
                return history;
            };
            history.add(events, now);
        }
    }
    history
}

/// The call that puts a key in this state and the one that undoes it, for
/// the states Firehose cannot use a key in that a person's call causes.
fn breaking_and_undoing(state: &crate::model::KeyState) -> &'static [&'static str] {
    use crate::model::KeyState;
    match state {
        KeyState::Disabled => &["DisableKey", "EnableKey"],
        KeyState::PendingDeletion => &["ScheduleKeyDeletion", "CancelKeyDeletion"],
        _ => &[],
    }
}

/// Why the event history could not be read, for the person reading the
/// quota: what to allow when access was denied.
fn unread(e: &CloudError) -> String {
    match e {
        CloudError::AccessDenied(_) => format!(
            "CloudTrail's event history could not be read ({e}); allow cloudtrail:LookupEvents to count other people's calls"
        ),
        _ => format!("CloudTrail's event history could not be read ({e})"),
    }
}

/// The quota's CloudTrail: whether to read it, how long a read is kept,
/// and the last read, shared by every clone.
#[derive(Debug, Clone)]
pub struct Trail {
    enabled: bool,
    poll: Duration,
    /// How long a read may take before the ledger alone must do.
    patience: Duration,
    /// Held across a read, so callers at the same moment share one.
    last: Arc<tokio::sync::Mutex<Option<LastRead>>>,
}

#[derive(Debug, Clone)]
struct LastRead {
    at: Instant,
    calls: Result<Arc<Vec<TrailEvent>>, String>,
    /// The read was cut short: its calls give no count to trust.
    cut: bool,
}

/// The region's Start/Stop events of the last 24 hours, or why not known.
pub type Calls = Result<Arc<Vec<TrailEvent>>, String>;

impl Trail {
    /// As `[cloudtrail]` says, giving a read three call timeouts.
    pub fn from_config(config: &Config) -> Trail {
        Trail::new(
            config.cloudtrail.enabled,
            Duration::from_secs(config.cloudtrail.poll_secs.0),
            Duration::from_secs(config.aws.call_timeout_secs.0 * 3),
        )
    }

    pub fn new(enabled: bool, poll: Duration, patience: Duration) -> Trail {
        Trail {
            enabled,
            poll,
            patience,
            last: Arc::default(),
        }
    }

    /// How long CloudTrail's pages may be read for, when it is read at all.
    pub fn reading(&self) -> Option<Duration> {
        self.enabled.then_some(self.patience)
    }

    /// Never read: the quota is the ledger's.
    pub fn off() -> Trail {
        Trail::new(false, Duration::from_secs(60), Duration::from_secs(60))
    }

    /// The region's Start/Stop events of the 24 hours before `now`, or why
    /// they are not known: the last read while it is fresh, else a new one.
    pub async fn calls(&self, cloud: &dyn Cloud, now: DateTime<Utc>) -> Calls {
        self.heard(cloud, now).await.calls
    }

    async fn heard(&self, cloud: &dyn Cloud, now: DateTime<Utc>) -> LastRead {
        if !self.enabled {
            return LastRead {
                at: Instant::now(),
                calls: Err("CloudTrail is off ([cloudtrail] enabled = false)".into()),
                cut: false,
            };
        }
        let mut last = self.last.lock().await;
        if let Some(heard) = last.as_ref().filter(|h| h.at.elapsed() < self.poll) {
            return heard.clone();
        }
        // Pages are asked for during `patience`; a page asked for then still
        // has its own deadline, and a read that ends by neither (a call that
        // never answers) is given up at twice the patience.
        let until = Instant::now() + self.patience;
        let read = tokio::time::timeout(self.patience * 2, read_calls(cloud, now, until)).await;
        let (calls, cut) = match read {
            Ok(Ok(events)) => (Ok(Arc::new(events)), false),
            Ok(Err(Short::Unread(e))) => {
                tracing::warn!("cannot read CloudTrail's event history: {e}");
                (Err(unread(&e)), false)
            }
            Ok(Err(Short::Cut(why))) => {
                tracing::warn!("{why}");
                (Err(why), true)
            }
            Err(_) => (
                Err(format!(
                    "CloudTrail's event history was not read within {} s",
                    (self.patience * 2).as_secs()
                )),
                false,
            ),
        };
        let heard = LastRead {
            at: Instant::now(),
            calls,
            cut,
        };
        *last = Some(heard.clone());
        heard
    }

    /// Forgets the last read: the next one asks CloudTrail again.
    pub async fn forget(&self) {
        *self.last.lock().await = None;
    }

    /// The merged quota of every stream: the ledger's `entries` and what
    /// CloudTrail shows, or the ledger alone with the reason when CloudTrail
    /// could not be read. `Err` when it was read only in part: other calls
    /// are known to exist, so no count is given (the quota is unknown).
    pub async fn book(
        &self,
        cloud: &dyn Cloud,
        entries: &[Entry],
        account: &str,
        now: DateTime<Utc>,
    ) -> Result<QuotaBook, String> {
        let heard = self.heard(cloud, now).await;
        let events = match &heard.calls {
            Err(why) if heard.cut => return Err(why.clone()),
            Ok(events) => Ok(events.as_slice()),
            Err(why) => Err(why.as_str()),
        };
        Ok(quota::merged(entries, events, account, cloud.region(), now))
    }
}

#[cfg(test)]
mod tests;
