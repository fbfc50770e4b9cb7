//! CloudTrail's event history as firekeeper reads it: what to look up
//! (`EventQuery`), one page of the answer (`EventPage`) and one event
//! (`TrailEvent`), read from the `CloudTrailEvent` JSON record AWS keeps of
//! every management call. Reading is tolerant: a record missing a field, or
//! not JSON at all, still gives what LookupEvents says beside it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::KeyRef;

/// The calls that spend a stream's 25 a day, by their CloudTrail event names.
pub const START: &str = "StartDeliveryStreamEncryption";
pub const STOP: &str = "StopDeliveryStreamEncryption";
/// Event sources: who answered the call.
pub const FIREHOSE: &str = "firehose.amazonaws.com";
pub const KMS: &str = "kms.amazonaws.com";
/// Firehose calls that change a stream, or the list of streams: read one
/// query per name. Firehose's event source would hold every Describe and
/// List too (the history keeps read calls), among them the dashboard's own
/// hundreds a minute, which would bury a Stop past the pages read.
pub const STREAM_CHANGES: [&str; 7] = [
    START,
    STOP,
    "UpdateDestination",
    "TagDeliveryStream",
    "UntagDeliveryStream",
    "CreateDeliveryStream",
    "DeleteDeliveryStream",
];
/// KMS calls that change whether Firehose can use a key: read for the keys
/// in use, one query per name (KMS's own event source also holds every
/// Encrypt and Decrypt, far too many to page through).
pub const KEY_CHANGES: [&str; 10] = [
    "DisableKey",
    "EnableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "PutKeyPolicy",
    "CreateGrant",
    "RevokeGrant",
    "RetireGrant",
    "DeleteAlias",
    "UpdateAlias",
];
/// KMS calls that can make KMS refuse Firehose while the key still reads
/// Enabled (a policy or grant taken away: `KMSKeyAccessDenied`), or that
/// break the key: the streams of a key in use that one of them touches are
/// asked for their KMS errors in full at once, then every fetch for half an
/// hour.
pub const ALERTING: [&str; 8] = [
    "PutKeyPolicy",
    "CreateGrant",
    "RevokeGrant",
    "RetireGrant",
    "DisableKey",
    "ScheduleKeyDeletion",
    "UpdateAlias",
    "DeleteAlias",
];
/// Grant calls: made and retired all day by many services on many keys,
/// so only those on the fleet's keys are kept, and none is a reason to
/// describe the keys again (a grant does not change a key's description).
pub const GRANTS: [&str; 2] = ["CreateGrant", "RetireGrant"];
/// The application name firekeeper's AWS SDK clients send in their user
/// agent (`app/firekeeper`), which CloudTrail records with each call.
pub const APP_NAME: &str = "firekeeper";
/// LookupEvents answers at most this many events a page.
pub const PAGE: usize = 50;

/// The one attribute a LookupEvents query filters on (AWS takes one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    EventName(String),
    EventSource(String),
    /// What the call was about: a stream's name, a key's ARN.
    ResourceName(String),
}

/// One LookupEvents call: an attribute, a time range, and where to go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventQuery {
    pub lookup: Lookup,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The previous page's `next_token`; `None` for the first page.
    pub next_token: Option<String>,
}

/// One page of events, newest first, and the token of the next page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<TrailEvent>,
    pub next_token: Option<String>,
}

/// One call as CloudTrail recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailEvent {
    pub at: DateTime<Utc>,
    /// The API called (`eventName`).
    pub name: String,
    /// The service that answered (`eventSource`).
    pub source: String,
    /// Who called, as a person would know them (see `caller::name`): never
    /// `None` for an event read from CloudTrail, which names every caller
    /// somehow; `None` is kept for the ledger's own calls not seen there.
    pub by: Option<String>,
    /// What the call was about: the stream for Firehose, the key for KMS.
    pub resource: Option<String>,
    /// AWS's id of the request: the ledger records the same for its calls.
    pub request_id: Option<String>,
    /// Why AWS refused the call, when it did (`errorCode`).
    pub error_code: Option<String>,
    /// The key a StartDeliveryStreamEncryption asked for.
    pub key: Option<KeyRef>,
    /// The access key the call was signed with (`userIdentity.accessKeyId`).
    pub access_key_id: Option<String>,
    /// CloudTrail's id of this event (`eventID`, LookupEvents' `EventId`):
    /// what tells one event from another when a look reads it twice.
    pub event_id: Option<String>,
    /// "The agent through which the request was made" (`userAgent`): an AWS
    /// SDK's names the application that set one (`app/firekeeper`).
    pub user_agent: Option<String>,
}

/// What LookupEvents says of an event beside its JSON record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookupSummary {
    pub at: Option<DateTime<Utc>>,
    pub name: Option<String>,
    pub source: Option<String>,
    pub username: Option<String>,
    pub access_key_id: Option<String>,
    /// Names of the resources the event lists.
    pub resources: Vec<String>,
    pub event_id: Option<String>,
}

impl TrailEvent {
    /// An event from its `CloudTrailEvent` record and the summary beside it.
    /// Every field the record lacks comes from the summary; `None` when not
    /// even the time is known.
    pub fn from_record(record: Option<&str>, summary: LookupSummary) -> Option<TrailEvent> {
        let json: Value = record
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or(Value::Null);
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let at = text(json.get("eventTime"))
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc))
            .or(summary.at)?;
        let name = text(json.get("eventName")).or(summary.name)?;
        let params = json.get("requestParameters").unwrap_or(&Value::Null);
        let key = (name == START).then(|| start_key(params)).flatten();
        Some(TrailEvent {
            at,
            source: text(json.get("eventSource"))
                .or(summary.source)
                .unwrap_or_default(),
            // Named whatever the record's shape; a hostile record cannot
            // balloon memory (see `text::bounded`).
            by: Some(crate::text::bounded(
                json.get("userIdentity")
                    .and_then(|i| caller::name(i, text(json.get("recipientAccountId")).as_deref()))
                    .or(summary.username)
                    .unwrap_or_else(|| caller::UNNAMED.to_string()),
            )),
            resource: resource(&json, params).or(summary.resources.into_iter().next()),
            request_id: text(field(&json, "requestID")),
            error_code: text(json.get("errorCode"))
                .filter(|c| !c.is_empty())
                .map(crate::text::bounded),
            key,
            access_key_id: json
                .get("userIdentity")
                .and_then(|i| text(field(i, "accessKeyId")))
                .filter(|k| !k.is_empty())
                .or(summary.access_key_id),
            event_id: text(field(&json, "eventID"))
                .filter(|id| !id.is_empty())
                .or(summary.event_id),
            user_agent: text(field(&json, "userAgent")),
            name,
        })
    }

    /// Whether firekeeper made the call: its SDK client names itself in the
    /// user agent (`APP_NAME`), which another tool using the same access key
    /// does not.
    pub fn by_firekeeper(&self) -> bool {
        self.user_agent
            .as_deref()
            .is_some_and(|a| a.contains(&format!("app/{APP_NAME}")))
    }

    /// Whether this is a Start or Stop of a stream's encryption.
    pub fn spends_quota(&self) -> bool {
        self.name == START || self.name == STOP
    }

    /// What the call did to its stream or key, in the past tense ("was
    /// disabled"); `None` for a call that changes nothing firekeeper shows.
    pub fn deed(&self) -> Option<&'static str> {
        Some(match self.name.as_str() {
            START => "had encryption started",
            STOP => "had encryption stopped",
            "DisableKey" => "was disabled",
            "EnableKey" => "was enabled",
            "ScheduleKeyDeletion" => "was scheduled for deletion",
            "CancelKeyDeletion" => "had its deletion cancelled",
            "PutKeyPolicy" => "was given a new key policy",
            "CreateGrant" => "was granted to a principal",
            "RevokeGrant" => "had a grant revoked",
            "RetireGrant" => "had a grant retired",
            "DeleteAlias" => "lost an alias",
            "UpdateAlias" => "had an alias moved",
            _ => return None,
        })
    }
}

/// A member of a JSON object by name, in any case: CloudTrail writes request
/// parameters in lower camel case (`keyARN`), which varies with the API.
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    let object = v.as_object()?;
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// What the call was about: the stream a Firehose call names, else the
/// first resource the record lists (a key's ARN for KMS).
fn resource(json: &Value, params: &Value) -> Option<String> {
    if let Some(stream) = field(params, "deliveryStreamName").and_then(Value::as_str) {
        return Some(stream.to_string());
    }
    // KMS alias calls name the alias and the key: the key is what matters.
    let listed = json.get("resources")?.as_array()?;
    let key = listed
        .iter()
        .find(|r| field(r, "type").and_then(Value::as_str) == Some("AWS::KMS::Key"));
    field(key.or(listed.first())?, "ARN")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The key a Start asked for, from `deliveryStreamEncryptionConfigurationInput`.
fn start_key(params: &Value) -> Option<KeyRef> {
    let input = field(params, "deliveryStreamEncryptionConfigurationInput")?;
    let kind = field(input, "keyType").and_then(Value::as_str)?;
    let arn = field(input, "keyARN").and_then(Value::as_str);
    match (kind, arn) {
        ("AWS_OWNED_CMK", _) => Some(KeyRef::AwsOwned),
        (_, Some(arn)) => Some(KeyRef::Customer(arn.to_string())),
        _ => None,
    }
}

mod caller;
pub use caller::UNNAMED;

#[cfg(test)]
mod tests;

/// What CloudTrail said of the fleet's streams and keys: each event once,
/// oldest first, for "who changed this, and when".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Oldest first.
    events: Vec<TrailEvent>,
    /// Each event's `call_id`: a later look re-reads the last hour.
    seen: BTreeSet<(String, String)>,
}

/// How long an event is kept: a day, the longest Firehose keeps records it
/// cannot decrypt, and a day more for reading.
const KEEP_HOURS: i64 = 48;

/// Nothing heard: where CloudTrail is not read (`status`, tests).
pub static NO_HISTORY: History = History {
    events: Vec::new(),
    seen: BTreeSet::new(),
};

impl History {
    /// Adds the events not seen before, and returns those.
    pub fn add(&mut self, events: Vec<TrailEvent>, now: DateTime<Utc>) -> Vec<TrailEvent> {
        let new: Vec<TrailEvent> = events
            .into_iter()
            .filter(|e| self.seen.insert(call_id(e)))
            .collect();
        if new.is_empty() {
            return new;
        }
        self.events.extend(new.iter().cloned());
        self.events.sort_by_key(|e| e.at);
        let oldest = now - chrono::Duration::hours(KEEP_HOURS);
        if self.events.first().is_some_and(|e| e.at < oldest) {
            self.events.retain(|e| e.at >= oldest);
            self.seen = self.events.iter().map(call_id).collect();
        }
        new
    }

    /// Every event kept, oldest first.
    pub fn events(&self) -> &[TrailEvent] {
        &self.events
    }

    /// The latest call of one of `names` about `resource` (a stream's name,
    /// a key's ARN) that AWS carried out: a refused call changed nothing.
    pub fn latest(&self, resource: &str, names: &[&str]) -> Option<&TrailEvent> {
        self.events.iter().rev().find(|e| {
            e.error_code.is_none()
                && e.resource.as_deref() == Some(resource)
                && names.contains(&e.name.as_str())
        })
    }

    /// The latest call of one of `names` about `resource` that AWS carried
    /// out before `by`.
    pub fn latest_before(
        &self,
        resource: &str,
        names: &[&str],
        by: DateTime<Utc>,
    ) -> Option<&TrailEvent> {
        self.events.iter().rev().find(|e| {
            e.at < by
                && e.error_code.is_none()
                && e.resource.as_deref() == Some(resource)
                && names.contains(&e.name.as_str())
        })
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// What tells one event from another: CloudTrail's event id; without one
/// (a record that lost it), its name and request id, or its name, time and
/// resource.
fn call_id(e: &TrailEvent) -> (String, String) {
    if let Some(id) = &e.event_id {
        return (String::new(), id.clone());
    }
    let id = match &e.request_id {
        Some(id) => id.clone(),
        None => format!(
            "{}|{}",
            e.at.to_rfc3339(),
            e.resource.as_deref().unwrap_or("")
        ),
    };
    (e.name.clone(), id)
}
