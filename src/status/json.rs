//! How the JSON report writes what the model keeps in richer types: every
//! time in one format, a quota's calls with their times so, and who made a
//! key what it is. `schema/status.schema.json` describes the result.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use crate::model::TrailEvent;
use crate::quota::{CountedCall, Operation, Quota};

/// The version of the report's shape, first in the JSON. It goes up when a
/// field is removed, renamed or changes meaning; new fields keep it.
pub const SCHEMA_VERSION: u32 = 1;

/// A time as the report writes every time: RFC 3339, whole seconds, UTC
/// (`2026-12-06T06:19:00Z`), so a script needs one parser and string
/// order is time order. Seconds are cut, not rounded: no time is later
/// than what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp(pub DateTime<Utc>);

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

impl Serialize for Stamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl From<DateTime<Utc>> for Stamp {
    fn from(t: DateTime<Utc>) -> Stamp {
        Stamp(t)
    }
}

/// `Quota`'s counts as the report writes them.
#[derive(Serialize)]
struct Counts {
    limit: u32,
    used: u32,
    remaining: u32,
    remaining_at_most: u32,
    next_slot_at: Option<Stamp>,
    used_here: u32,
    used_elsewhere: u32,
}

/// For `#[serde(flatten, serialize_with)]` on a quota's counts.
pub(super) fn quota_counts<S: Serializer>(q: &Quota, s: S) -> Result<S::Ok, S::Error> {
    Counts {
        limit: q.limit,
        used: q.used,
        remaining: q.remaining,
        remaining_at_most: q.remaining_at_most,
        next_slot_at: q.next_slot_at.map(Stamp),
        used_here: q.used_here,
        used_elsewhere: q.used_elsewhere,
    }
    .serialize(s)
}

/// One counted call as the report writes it.
#[derive(Serialize)]
struct Call<'a> {
    at: Stamp,
    action: &'a Operation,
    by: Option<&'a str>,
    key: Option<&'a str>,
    error: Option<&'a str>,
    here: bool,
}

/// For `#[serde(serialize_with)]` on a quota's calls.
pub(super) fn calls<S: Serializer>(calls: &[CountedCall], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(calls.iter().map(|c| Call {
        at: Stamp(c.at),
        action: &c.action,
        by: c.by.as_deref(),
        key: c.key.as_deref(),
        error: c.error.as_deref(),
        here: c.here,
    }))
}

/// The CloudTrail call that made a customer key what it is now (disabled,
/// or pending deletion), as the problem sentence names it: the call's
/// name, who made it as CloudTrail names them, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedBy {
    pub event: String,
    pub by: Option<String>,
    pub at: Stamp,
}

impl From<&TrailEvent> for ChangedBy {
    fn from(e: &TrailEvent) -> ChangedBy {
        ChangedBy {
            event: e.name.clone(),
            by: e.by.clone(),
            at: Stamp(e.at),
        }
    }
}

/// For `#[serde(serialize_with)]` on an encryption status: AWS's string,
/// or `null` where it is not known (AWS Config does not record it); never
/// a word of firekeeper's in AWS's field.
pub(super) fn status_or_null<S: Serializer>(
    status: &crate::model::EncryptionStatus,
    s: S,
) -> Result<S::Ok, S::Error> {
    match status {
        crate::model::EncryptionStatus::NotRecorded => s.serialize_none(),
        known => known.serialize(s),
    }
}
