//! CloudTrail's record of the Start and Stop calls made in the region, read
//! for the quota: the ledger counts only this machine's calls, the event
//! history everyone's (about 5, up to 15, minutes late).
//!
//! The region's calls of the last 24 hours are read with one query per event
//! name, following NextToken: ⌈events/50⌉ calls, never one per stream. The
//! read is kept for `[cloudtrail] poll_secs`, so the dashboard's quota
//! cadence, a change's checks and its reservation share one.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::cloud::trail::{KEY_CHANGES, START, STOP, STREAM_CHANGES};
use crate::cloud::{Cloud, CloudError, EventQuery, History, Lookup, TrailEvent};
use crate::config::Config;
use crate::quota::{self, Entry, QuotaBook};

/// Pages read per event name at most: 5,000 Starts (or Stops) in a day is
/// far beyond any real fleet's churn, and at 1 call a second already takes
/// minutes.
pub const MAX_PAGES: usize = 100;

/// The region's Start and Stop events of the 24 hours before `now`.
pub async fn read_calls(
    cloud: &dyn Cloud,
    now: DateTime<Utc>,
) -> Result<Vec<TrailEvent>, CloudError> {
    let mut events = Vec::new();
    for name in [START, STOP] {
        let since = now - chrono::Duration::hours(24);
        let (read, complete) = read_pages(cloud, name, since, now, MAX_PAGES).await?;
        if !complete {
            return Err(CloudError::Other(format!(
                "more than {} {name} events in 24 hours; firekeeper reads at most that many",
                MAX_PAGES * crate::cloud::trail::PAGE
            )));
        }
        events.extend(read);
    }
    Ok(events)
}

/// The calls named `name` between `since` and `end`, newest first, at most
/// `pages` pages; and whether that was all of them.
async fn read_pages(
    cloud: &dyn Cloud,
    name: &str,
    since: DateTime<Utc>,
    end: DateTime<Utc>,
    pages: usize,
) -> Result<(Vec<TrailEvent>, bool), CloudError> {
    let mut query = EventQuery {
        lookup: Lookup::EventName(name.to_string()),
        start: since,
        end,
        next_token: None,
    };
    let mut events = Vec::new();
    for _ in 0..pages {
        let answer = cloud.lookup_events(&query).await?;
        events.extend(answer.events);
        query.next_token = answer.next_token;
        if query.next_token.is_none() {
            return Ok((events, true));
        }
    }
    Ok((events, false))
}

/// How far back the dashboard's first look at who changed what goes, and
/// the furthest any look goes: a day, as long as Firehose keeps records it
/// cannot decrypt.
pub const FIRST_LOOK_HOURS: i64 = 24;
/// A look reads again this far before where the last complete look ended:
/// an event appears in the history up to about 15 minutes after the call,
/// dated when it was made.
pub const LATE_MINUTES: i64 = 20;
/// Pages read per query in one look: the newest 200 events of a kind are
/// plenty to say who changed a key; more would hold up the quota's reads,
/// which share the pace.
const LOOK_PAGES: usize = 4;

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

/// The calls named `name` between `since` and `now`, newest first: the
/// newest `LOOK_PAGES` pages, the rest left with a warning.
pub async fn read_named(
    cloud: &dyn Cloud,
    name: &str,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<TrailEvent>, CloudError> {
    let (events, complete) = read_pages(cloud, name, since, now, LOOK_PAGES).await?;
    if !complete {
        tracing::warn!(
            "more than {} {name} events since {since}: only the newest are read",
            events.len()
        );
    }
    Ok(events)
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
/// sentences without a name.
pub async fn who_broke_keys(
    cloud: &dyn Cloud,
    trail: &Trail,
    states: impl Iterator<Item = &crate::cloud::KeyState>,
    now: DateTime<Utc>,
) -> History {
    use crate::cloud::KeyState;
    let mut names = Vec::new();
    for state in states {
        let pair = match state {
            KeyState::Disabled => ["DisableKey", "EnableKey"],
            KeyState::PendingDeletion => ["ScheduleKeyDeletion", "CancelKeyDeletion"],
            _ => continue,
        };
        for name in pair {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let mut history = History::default();
    if !trail.enabled {
        return history;
    }
    let since = now - chrono::Duration::hours(FIRST_LOOK_HOURS);
    for name in names {
        let read = tokio::time::timeout(trail.patience, read_named(cloud, name, since, now)).await;
        let Ok(Ok(events)) = read else {
            tracing::warn!("cannot read who made {name} calls");
            return history;
        };
        history.add(events, now);
    }
    history
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
    last: Arc<tokio::sync::Mutex<Option<Heard>>>,
}

#[derive(Debug, Clone)]
struct Heard {
    at: Instant,
    calls: Result<Arc<Vec<TrailEvent>>, String>,
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

    /// Never read: the quota is the ledger's.
    pub fn off() -> Trail {
        Trail::new(false, Duration::from_secs(60), Duration::from_secs(60))
    }

    /// The region's Start/Stop events of the 24 hours before `now`, or why
    /// they are not known: the last read while it is fresh, else a new one.
    pub async fn calls(&self, cloud: &dyn Cloud, now: DateTime<Utc>) -> Calls {
        if !self.enabled {
            return Err("CloudTrail is off ([cloudtrail] enabled = false)".into());
        }
        let mut last = self.last.lock().await;
        if let Some(heard) = last.as_ref().filter(|h| h.at.elapsed() < self.poll) {
            return heard.calls.clone();
        }
        let read = tokio::time::timeout(self.patience, read_calls(cloud, now)).await;
        let calls = match read {
            Ok(Ok(events)) => Ok(Arc::new(events)),
            Ok(Err(e)) => {
                tracing::warn!("cannot read CloudTrail's event history: {e}");
                Err(unread(&e))
            }
            Err(_) => Err(format!(
                "CloudTrail's event history was not read within {} s",
                self.patience.as_secs()
            )),
        };
        *last = Some(Heard {
            at: Instant::now(),
            calls: calls.clone(),
        });
        calls
    }

    /// Forgets the last read: the next one asks CloudTrail again.
    pub async fn forget(&self) {
        *self.last.lock().await = None;
    }

    /// The merged quota of every stream: the ledger's `entries` and what
    /// CloudTrail shows, or the ledger alone with the reason.
    pub async fn book(
        &self,
        cloud: &dyn Cloud,
        entries: &[Entry],
        account: &str,
        now: DateTime<Utc>,
    ) -> QuotaBook {
        let calls = self.calls(cloud, now).await;
        let events = match &calls {
            Ok(events) => Ok(events.as_slice()),
            Err(why) => Err(why.as_str()),
        };
        quota::merged(entries, events, account, cloud.region(), now)
    }
}

#[cfg(test)]
mod tests;
