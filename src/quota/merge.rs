//! A stream's quota from both records of its calls: this machine's ledger,
//! and CloudTrail's event history of every Start and Stop in the region,
//! whoever made them. A call in both (the same request id) counts once; a
//! call AWS refused is counted apart (AWS does not document whether it
//! spends a slot); a reservation given back unsent is not a call.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Entry, Operation, Outcome, Quota, FUTURE_SLACK_MINUTES, LIMIT};
use crate::model::trail::STOP;
use crate::model::{KeyRef, TrailEvent};

/// One Start or Stop counted against a stream, wherever it was learned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountedCall {
    pub at: DateTime<Utc>,
    pub action: Operation,
    /// Who made it, as CloudTrail names them; `None` for a call of this
    /// machine's ledger that CloudTrail has not shown (yet).
    pub by: Option<String>,
    /// The key a Start asked for: its ARN, or `aws-owned`.
    pub key: Option<String>,
    /// The error AWS answered with, when it refused the call.
    pub error: Option<String>,
    /// The call is in this machine's ledger.
    pub here: bool,
}

/// The calls AWS refused, counted apart: how many, and AWS's error codes
/// with how many of each (`{"count": 16, "codes": {"AccessDeniedException": 16}}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RefusedCalls {
    pub count: u32,
    pub codes: BTreeMap<String, u32>,
}

impl RefusedCalls {
    /// The refused calls among a stream's counted calls.
    pub fn of(calls: &[CountedCall]) -> RefusedCalls {
        let mut out = RefusedCalls::default();
        for code in calls.iter().filter_map(|c| c.error.as_deref()) {
            out.count += 1;
            *out.codes.entry(code.to_string()).or_default() += 1;
        }
        out
    }

    /// "AccessDeniedException 16, ThrottlingException 2", most first.
    pub fn codes_text(&self) -> String {
        let mut codes: Vec<(&String, &u32)> = self.codes.iter().collect();
        codes.sort_by_key(|(code, n)| (std::cmp::Reverse(**n), code.as_str()));
        codes
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The one sentence of the safe reading, for every confirmation and
/// refusal: "16 of the 25 calls counted against NAME in 24 hours are calls
/// AWS refused (AccessDeniedException 16); AWS does not document whether
/// refused calls count against the limit".
pub fn refused_sentence(name: &str, quota: &Quota, refused: &RefusedCalls) -> String {
    let counted = quota.used + quota.refused;
    let codes = if refused.codes.is_empty() {
        String::new()
    } else {
        format!(" ({})", refused.codes_text())
    };
    format!(
        "{} of the {counted} calls counted against {name} in 24 hours {} AWS refused{codes}; AWS does not document whether refused calls count against the limit of {LIMIT}",
        quota.refused,
        if quota.refused == 1 { "is a call" } else { "are calls" }
    )
}

/// Where the counts come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaSource {
    /// This machine's ledger and CloudTrail's event history.
    LedgerAndCloudTrail,
    /// The ledger alone, and why CloudTrail was not read.
    Ledger(String),
}

impl QuotaSource {
    /// `ledger+cloudtrail` or `ledger`, as `status --output json` says it.
    pub fn name(&self) -> &'static str {
        match self {
            QuotaSource::LedgerAndCloudTrail => "ledger+cloudtrail",
            QuotaSource::Ledger(_) => "ledger",
        }
    }

    /// Why CloudTrail was not read, when it was not.
    pub fn reason(&self) -> Option<&str> {
        match self {
            QuotaSource::LedgerAndCloudTrail => None,
            QuotaSource::Ledger(why) => Some(why),
        }
    }

    /// What a confirmation says of a count made without CloudTrail: it may
    /// be short of AWS's by others' calls.
    pub fn warning(&self) -> Option<String> {
        self.reason().map(|why| {
            format!(
                "the quota counts only calls in this machine's ledger: {why}; calls made by others are not counted"
            )
        })
    }
}

/// The quota of every stream of one account and region, with the calls
/// behind it and where they were learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaBook {
    /// Streams with calls in the last 24 hours; the others have all 25.
    pub quotas: HashMap<String, Quota>,
    /// Each stream's counted calls of the last 24 hours, oldest first.
    pub calls: HashMap<String, Vec<CountedCall>>,
    pub source: QuotaSource,
}

impl Default for QuotaBook {
    fn default() -> Self {
        QuotaBook {
            quotas: HashMap::new(),
            calls: HashMap::new(),
            source: QuotaSource::Ledger("CloudTrail is not read yet".into()),
        }
    }
}

impl QuotaBook {
    pub fn quota(&self, stream: &str) -> Quota {
        self.quotas.get(stream).copied().unwrap_or(Quota::unused())
    }

    pub fn calls(&self, stream: &str) -> &[CountedCall] {
        self.calls.get(stream).map_or(&[], Vec::as_slice)
    }
}

/// Every stream's quota in one account and region: the ledger's calls, and
/// CloudTrail's Start/Stop events when they could be read (else why not).
pub fn merged(
    entries: &[Entry],
    trail: Result<&[TrailEvent], &str>,
    account: &str,
    region: &str,
    now: DateTime<Utc>,
) -> QuotaBook {
    let mut ledger: HashMap<&str, Vec<&Entry>> = HashMap::new();
    for e in entries
        .iter()
        .filter(|e| e.account == account && e.region == region)
    {
        ledger.entry(e.stream.as_str()).or_default().push(e);
    }
    let mut heard: HashMap<&str, Vec<&TrailEvent>> = HashMap::new();
    for e in trail.iter().flat_map(|events| events.iter()) {
        if let Some(stream) = e.resource.as_deref().filter(|_| e.spends_quota()) {
            heard.entry(stream).or_default().push(e);
        }
    }
    let streams: HashSet<&str> = ledger.keys().chain(heard.keys()).copied().collect();
    let mut book = QuotaBook {
        quotas: HashMap::new(),
        calls: HashMap::new(),
        source: match trail {
            Ok(_) => QuotaSource::LedgerAndCloudTrail,
            Err(why) => QuotaSource::Ledger(why.to_string()),
        },
    };
    for stream in streams {
        let entries = ledger.get(stream).map_or(&[][..], Vec::as_slice);
        let events = heard.get(stream).map_or(&[][..], Vec::as_slice);
        let (quota, calls) = stream_quota(entries, events, now);
        book.quotas.insert(stream.to_string(), quota);
        if !calls.is_empty() {
            book.calls.insert(stream.to_string(), calls);
        }
    }
    book
}

/// One stream's quota, and its counted calls oldest first, from its ledger
/// entries and its CloudTrail events.
pub fn stream_quota(
    entries: &[&Entry],
    events: &[&TrailEvent],
    now: DateTime<Utc>,
) -> (Quota, Vec<CountedCall>) {
    // A little slack above now: another process may have recorded a call a
    // moment "after" our now (clocks are read before the lock is taken). An
    // entry further ahead is clock skew or a bad line, and would hold a slot
    // until its date.
    let in_window = |at: DateTime<Utc>| {
        at > now - Duration::hours(24) && at <= now + Duration::minutes(FUTURE_SLACK_MINUTES)
    };
    let LedgerCalls {
        mut calls,
        request_ids,
        mut unanswered,
        exhausted_at,
    } = ledger_calls(entries, &in_window);
    let mut elsewhere = Vec::new();
    for e in events
        .iter()
        .filter(|e| e.spends_quota() && in_window(e.at))
    {
        let theirs = call_of(e);
        let ours = match e.request_id.as_deref().and_then(|id| request_ids.get(id)) {
            Some(&i) => Some(i),
            None => unanswered.claim(e),
        };
        match ours {
            // The ledger's own call: CloudTrail says who and with what.
            Some(i) => {
                if let Some(ours) = calls.get_mut(i) {
                    // AWS's clock counts the day: the later of the two times
                    // never frees the slot early.
                    ours.at = ours.at.max(theirs.at);
                    ours.by = theirs.by;
                    ours.key = theirs.key;
                    ours.error = theirs.error.or(ours.error.take());
                }
            }
            None => elsewhere.push(theirs),
        }
    }
    let used_here = calls.len() as u32;
    let used_elsewhere = elsewhere.len() as u32;
    calls.extend(elsewhere);
    calls.sort_by_key(|c| c.at);
    let day = Duration::hours(24);
    let oldest = calls.first().map(|c| c.at + day);
    let refused = calls.iter().filter(|c| c.error.is_some()).count() as u32;
    let spent = used_here + used_elsewhere - refused;
    let quota = match exhausted_at {
        // AWS knows of calls neither record shows; without knowing when they
        // were made, the only safe promise is a full day after the refusal,
        // unless a call we know of leaves the window later than that. AWS's
        // own word: nothing is left, refused calls or not.
        Some(at) => Quota {
            limit: LIMIT,
            used: LIMIT,
            refused,
            remaining: 0,
            remaining_at_most: 0,
            next_slot_at: Some(oldest.map_or(at + day, |o| o.max(at + day))),
            used_here,
            used_elsewhere,
        },
        None => Quota {
            limit: LIMIT,
            used: spent.min(LIMIT),
            refused,
            remaining: LIMIT - (spent + refused).min(LIMIT),
            remaining_at_most: LIMIT - spent.min(LIMIT),
            next_slot_at: oldest,
            used_here,
            used_elsewhere,
        },
    };
    (quota, calls)
}

/// What the ledger knows of one stream's calls.
struct LedgerCalls {
    /// The calls in the window (the last word on each decides; a slot given
    /// back is no call).
    calls: Vec<CountedCall>,
    /// Each call's index by every request id its lines carry (in the window
    /// or not, so CloudTrail's copy is never counted twice).
    request_ids: HashMap<String, usize>,
    unanswered: Unanswered,
    /// When AWS last said the stream had no calls left.
    exhausted_at: Option<DateTime<Utc>>,
}

/// The ledger's calls whose answer, and so request id, never came (a lost
/// answer, a timeout, a crash), with the access key each was signed with.
struct Unanswered(Vec<(usize, Operation, String, DateTime<Utc>)>);

impl Unanswered {
    /// The ledger's unanswered call that CloudTrail's event `e` must be: the
    /// same action, signed with the same access key, recorded shortly before
    /// AWS received it (the reservation comes first; the clocks may differ
    /// by a few minutes). The nearest in time is taken, once. An event of
    /// someone else's is never taken: their access key is not ours.
    fn claim(&mut self, e: &TrailEvent) -> Option<usize> {
        let key = e.access_key_id.as_deref()?;
        let action = action_of(e);
        let fits = |at: DateTime<Utc>| {
            e.at >= at - Duration::minutes(FUTURE_SLACK_MINUTES)
                && e.at <= at + Duration::minutes(UNANSWERED_MINUTES)
        };
        let nearest = self
            .0
            .iter()
            .enumerate()
            .filter(|(_, (_, a, k, at))| *a == action && k == key && fits(*at))
            .min_by_key(|(_, (_, _, _, at))| (e.at - *at).abs())
            .map(|(slot, _)| slot)?;
        Some(self.0.swap_remove(nearest).0)
    }
}

/// How long after its reservation an unanswered call may reach AWS: the
/// last look and the call's own deadline take seconds; the rest is slack
/// for clocks that disagree.
const UNANSWERED_MINUTES: i64 = 15;

fn ledger_calls(entries: &[&Entry], in_window: &dyn Fn(DateTime<Utc>) -> bool) -> LedgerCalls {
    let mut last: HashMap<&str, &Entry> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for e in entries.iter().filter(|e| in_window(e.at)) {
        if last.insert(e.id.as_str(), e).is_none() {
            order.push(e.id.as_str());
        }
    }
    let mut calls = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut exhausted_at = None;
    for id in order {
        let e = last[id];
        if e.outcome == Outcome::Unsent {
            continue;
        }
        if e.outcome == Outcome::LimitExceeded {
            exhausted_at = exhausted_at.max(Some(e.at));
        }
        index.insert(id, calls.len());
        calls.push(CountedCall {
            at: e.at,
            action: e.action,
            by: None,
            key: None,
            error: match e.outcome {
                Outcome::LimitExceeded => Some("LimitExceededException".into()),
                // Older ledgers kept no code: the refusal is known, its
                // kind is not.
                Outcome::Rejected | Outcome::Refused => {
                    Some(e.error.clone().unwrap_or_else(|| "rejected".into()))
                }
                _ => None,
            },
            here: true,
        });
    }
    let mut request_ids = HashMap::new();
    let mut answered = HashSet::new();
    for e in entries {
        if let Some(rid) = &e.request_id {
            // A call outside the window has no index: its id only stops
            // CloudTrail's copy from counting.
            let i = index.get(e.id.as_str()).copied().unwrap_or(usize::MAX);
            request_ids.insert(rid.clone(), i);
            answered.insert(e.id.as_str());
        }
    }
    let mut unanswered = Vec::new();
    for e in entries {
        if let (Some(key), Some(&i)) = (&e.access_key_id, index.get(e.id.as_str())) {
            if !answered.contains(e.id.as_str()) {
                unanswered.push((i, e.action, key.clone(), e.at));
            }
        }
    }
    LedgerCalls {
        calls,
        request_ids,
        unanswered: Unanswered(unanswered),
        exhausted_at,
    }
}

fn action_of(e: &TrailEvent) -> Operation {
    if e.name == STOP {
        Operation::Stop
    } else {
        Operation::Start
    }
}

/// A CloudTrail event as a counted call of someone else's.
fn call_of(e: &TrailEvent) -> CountedCall {
    CountedCall {
        at: e.at,
        action: action_of(e),
        by: e.by.clone(),
        key: e.key.as_ref().map(|k| match k {
            KeyRef::AwsOwned => "aws-owned".to_string(),
            KeyRef::Customer(arn) => arn.clone(),
        }),
        error: e.error_code.clone(),
        here: false,
    }
}

#[cfg(test)]
mod tests;
