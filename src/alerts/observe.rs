//! One look at the fleet: what the alert rules compare from one look to
//! the next. The app takes it (`App::observation`), so that this module
//! knows nothing of the app.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::health::Health;
use crate::model::TrailEvent;

/// The fleet at one moment, as far as alerts go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    /// By the name the table shows (qualified by target with several).
    pub streams: BTreeMap<String, StreamSeen>,
    /// The customer keys in use, by ARN.
    pub keys: BTreeMap<String, KeySeen>,
    /// Targets that cannot be read, with why.
    pub unreadable: BTreeMap<String, String>,
    /// CloudTrail's changes to the fleet by someone other than this
    /// machine's credentials, oldest first.
    pub changes: Vec<TrailEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamSeen {
    /// The stream's own name, as AWS has it.
    pub stream: String,
    pub target: String,
    pub health: Health,
    /// The first problem, worst first: the sentence the detail shows.
    pub reason: String,
    pub key: Option<String>,
    pub key_arn: Option<String>,
    /// Who broke its key, when CloudTrail says.
    pub by: Option<String>,
    /// Start/Stop calls left, when known and when they apply.
    pub quota_left: Option<u32>,
    /// When Firehose starts discarding its undecryptable records, while
    /// KMS errors are still arriving.
    pub discard_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeySeen {
    pub label: String,
    /// KMS's word for its state (`Enabled`, `Disabled`, …).
    pub state: String,
    pub streams: Vec<String>,
    /// "alias/x was disabled by dana at 02:10 UTC (CloudTrail).", when
    /// CloudTrail says who made the latest change of state.
    pub by: Option<String>,
    pub by_who: Option<String>,
}
