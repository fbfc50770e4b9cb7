//! The simulator's CloudTrail: an event for every Start and Stop made of it,
//! refused or not, each with the request id AWS would give it, and LookupEvents
//! answered from them as AWS does: newest first, 50 a page.

use chrono::{DateTime, Duration, Utc};

use super::{SimCloud, SimState};
use crate::cloud::scenario::{Scenario, ScenarioCalls};
use crate::cloud::CloudError;
use crate::model::trail::{self, Lookup};
use crate::model::{EventPage, EventQuery, KeyRef, KeyState, TrailEvent};

impl SimCloud {
    /// Records a Start (with its key) or a Stop made of the simulator, and
    /// returns the request id it was given.
    pub(super) fn record_call(
        &self,
        state: &mut SimState,
        stream: &str,
        key: Option<&KeyRef>,
        result: &Result<(), CloudError>,
        now: DateTime<Utc>,
    ) -> String {
        let request_id = state.next_request_id();
        state.history.push(TrailEvent {
            error_code: result
                .as_ref()
                .err()
                .map(|e| e.code().unwrap_or_else(|| "InternalFailure".into())),
            access_key_id: Some(ACCESS_KEY_ID.to_string()),
            user_agent: Some(USER_AGENT.to_string()),
            ..firehose_call(now, SESSION, stream, key.cloned(), request_id.clone())
        });
        request_id
    }
}

/// A Start (with its key) or Stop as CloudTrail records it, by `by` on
/// `stream`; the caller adds the error, access key and user agent it knows.
fn firehose_call(
    at: DateTime<Utc>,
    by: &str,
    stream: &str,
    key: Option<KeyRef>,
    request_id: String,
) -> TrailEvent {
    TrailEvent {
        at,
        name: if key.is_some() {
            trail::START
        } else {
            trail::STOP
        }
        .to_string(),
        source: trail::FIREHOSE.to_string(),
        by: Some(by.to_string()),
        resource: Some(stream.to_string()),
        event_id: Some(event_id(&request_id)),
        request_id: Some(request_id),
        error_code: None,
        key,
        access_key_id: None,
        user_agent: None,
    }
}

/// The event id CloudTrail would give the event of this request: a UUID of
/// its own (one request, one event, in the simulator).
fn event_id(request_id: &str) -> String {
    format!("e0e0e0e0{}", &request_id[8..])
}

/// The role session the simulator's caller uses (see `identity`).
pub(super) const SESSION: &str = "firekeeper";
/// What the simulator's caller sends as its user agent: an SDK's, naming
/// firekeeper, as the real client does.
pub(super) const USER_AGENT: &str = "aws-sdk-rust/1.3.10 os/linux lang/rust/1.95.0 app/firekeeper";
/// The access key that session signs with.
pub(super) const ACCESS_KEY_ID: &str = "AKIAFIREKEEPERDEMO01";

impl SimState {
    /// A request id shaped like AWS's (a UUID), unique in this simulation.
    pub(super) fn next_request_id(&mut self) -> String {
        self.requests += 1;
        format!("51a0c0de-0000-4000-8000-{:012x}", self.requests)
    }
}

impl SimState {
    /// What CloudTrail holds from before the demo began: the scenario's
    /// calls by others (those AWS accepted count against the stream, as the
    /// simulator counts), and the events that put its keys in their state.
    pub(super) fn seed_history(&mut self, scenario: &Scenario, now: DateTime<Utc>) {
        for calls in &scenario.calls {
            for at in spread(calls, now) {
                let event = self.others_call(calls, at);
                if let Some(s) = self.streams.get_mut(&calls.stream) {
                    if event.error_code.is_none() {
                        s.calls.push(at);
                    }
                }
                self.history.push(event);
            }
        }
        for k in &scenario.keys {
            let Some(by) = &k.changed_by else {
                continue;
            };
            let name = match k.state {
                KeyState::Disabled => "DisableKey",
                KeyState::PendingDeletion => "ScheduleKeyDeletion",
                _ => continue,
            };
            let Some(key) = self
                .find_key(&k.id)
                .map(|k| (k.key.arn.clone(), k.state_since))
            else {
                continue;
            };
            let request_id = self.next_request_id();
            self.history.push(TrailEvent {
                event_id: Some(event_id(&request_id)),
                user_agent: None,
                at: key.1,
                name: name.to_string(),
                source: trail::KMS.to_string(),
                by: Some(by.clone()),
                resource: Some(key.0),
                request_id: Some(request_id),
                error_code: None,
                key: None,
                access_key_id: None,
            });
        }
        self.history.sort_by_key(|e| e.at);
        for s in self.streams.values_mut() {
            s.calls.sort();
        }
    }

    /// One of the scenario's calls by others, as CloudTrail records it.
    fn others_call(&mut self, calls: &ScenarioCalls, at: DateTime<Utc>) -> TrailEvent {
        let key = calls.key.as_deref().map(|k| match k {
            "aws-owned" => KeyRef::AwsOwned,
            other => KeyRef::Customer(
                self.find_key(other)
                    .map_or_else(|| other.to_string(), |k| k.key.arn.clone()),
            ),
        });
        let request_id = self.next_request_id();
        TrailEvent {
            error_code: calls.error.clone(),
            ..firehose_call(at, &calls.by, &calls.stream, key, request_id)
        }
    }
}

/// When each of a scenario's calls was made: evenly from the first to the last.
fn spread(calls: &ScenarioCalls, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let first = calls.from_hours;
    let last = calls.to_hours.unwrap_or(first);
    let n = calls.count;
    (0..n)
        .map(|i| {
            let step = if n == 1 {
                0.0
            } else {
                f64::from(i) / f64::from(n - 1)
            };
            let hours = first + (last - first) * step;
            now - Duration::seconds((hours * 3600.0) as i64)
        })
        .collect()
}

/// Whether an event matches the query's attribute.
fn matches(lookup: &Lookup, e: &TrailEvent) -> bool {
    match lookup {
        Lookup::EventName(n) => e.name == *n,
        Lookup::EventSource(s) => e.source == *s,
        Lookup::ResourceName(r) => e.resource.as_deref() == Some(r.as_str()),
    }
}

/// One page of the events CloudTrail has delivered by `delivered`: those of
/// the query's attribute and time range, newest first, after `next_token`.
pub(super) fn lookup(
    history: &[TrailEvent],
    query: &EventQuery,
    delivered: DateTime<Utc>,
) -> Result<EventPage, CloudError> {
    let skip = match &query.next_token {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| CloudError::InvalidArgument(format!("InvalidNextTokenException: {t}")))?,
    };
    if query.end < query.start {
        return Err(CloudError::InvalidArgument(
            "InvalidTimeRangeException: the end time is before the start time".into(),
        ));
    }
    let mut found: Vec<&TrailEvent> = history
        .iter()
        .filter(|e| e.at >= query.start && e.at <= query.end && e.at <= delivered)
        .filter(|e| matches(&query.lookup, e))
        .collect();
    found.sort_by_key(|e| std::cmp::Reverse(e.at));
    let events: Vec<TrailEvent> = found
        .iter()
        .skip(skip)
        .take(trail::PAGE)
        .map(|e| (*e).clone())
        .collect();
    let next = skip + events.len();
    Ok(EventPage {
        events,
        next_token: (next < found.len()).then(|| next.to_string()),
    })
}
