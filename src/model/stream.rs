//! A delivery stream as Firehose describes it, and a page of its listing.

use serde::{Deserialize, Serialize};

use super::{EncryptionStatus, KeyType, Source};

/// Why Firehose could not enable or disable encryption (`FailureDescription`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    #[serde(rename = "type")]
    pub kind: String,
    pub details: String,
}

/// A stream's encryption as Firehose reports it. A stream with no configuration
/// at all is `Disabled` with no key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    pub status: EncryptionStatus,
    pub key_type: Option<KeyType>,
    pub key_arn: Option<String>,
    pub failure: Option<Failure>,
}

impl Default for Encryption {
    fn default() -> Self {
        Encryption {
            status: EncryptionStatus::Disabled,
            key_type: None,
            key_arn: None,
            failure: None,
        }
    }
}

/// One delivery stream, as described by `DescribeDeliveryStream`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stream {
    pub name: String,
    pub arn: String,
    pub source: Source,
    /// `DeliveryStreamStatus`: ACTIVE, CREATING, DELETING, ...
    pub status: String,
    pub encryption: Encryption,
}

/// One page of `ListDeliveryStreams`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamPage {
    pub names: Vec<String>,
    pub has_more: bool,
}
