//! The simulator's CloudTrail: an event for every Start and Stop made of it,
//! refused or not, each with the request id AWS would give it, and LookupEvents
//! answered from them as AWS does: newest first, 50 a page.

use chrono::{DateTime, Utc};

use super::{SimCloud, SimState};
use crate::cloud::trail::{self, Lookup};
use crate::cloud::{CloudError, EventPage, EventQuery, KeyRef, TrailEvent};

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
            at: now,
            name: if key.is_some() {
                trail::START
            } else {
                trail::STOP
            }
            .to_string(),
            source: trail::FIREHOSE.to_string(),
            by: Some(SESSION.to_string()),
            resource: Some(stream.to_string()),
            request_id: Some(request_id.clone()),
            error_code: result.as_ref().err().map(|e| error_code(e).to_string()),
            key: key.cloned(),
        });
        request_id
    }
}

/// The role session the simulator's caller uses (see `identity`).
pub(super) const SESSION: &str = "firekeeper";

impl SimState {
    /// A request id shaped like AWS's (a UUID), unique in this simulation.
    pub(super) fn next_request_id(&mut self) -> String {
        self.requests += 1;
        format!("51a0c0de-0000-4000-8000-{:012x}", self.requests)
    }
}

/// The code AWS answers an error with, as CloudTrail records it.
fn error_code(e: &CloudError) -> &'static str {
    match e {
        CloudError::NotFound(_) => "ResourceNotFoundException",
        CloudError::InUse(_) => "ResourceInUseException",
        CloudError::InvalidArgument(_) => "InvalidArgumentException",
        CloudError::LimitExceeded(_) => "LimitExceededException",
        CloudError::InvalidKms(_) => "InvalidKMSResourceException",
        CloudError::AccessDenied(_) => "AccessDeniedException",
        CloudError::Throttled(_) => "ThrottlingException",
        _ => "InternalFailure",
    }
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
