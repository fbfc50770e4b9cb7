//! A KMS key as KMS describes it, and the one way of naming which key
//! encrypts a stream (`KeyRef`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{KeyManager, KeyOrigin, KeySpec, KeyState, KeyUsage, RotationKind};

/// The key id of a key ARN (`arn:aws:kms:r:a:key/ID` → `ID`); an id stays as it is.
pub fn key_id_of(arn_or_id: &str) -> &str {
    arn_or_id
        .rsplit_once("key/")
        .map_or(arn_or_id, |(_, id)| id)
}

/// The region of an ARN, if it is one.
pub fn region_of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next()? == "arn").then_some(())?;
    parts.nth(2).filter(|r| !r.is_empty())
}

/// What KMS says about one key (`DescribeKey` plus rotation status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsKey {
    pub id: String,
    pub arn: String,
    pub state: KeyState,
    pub spec: KeySpec,
    pub usage: KeyUsage,
    pub manager: KeyManager,
    pub description: String,
    pub deletion_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub origin: KeyOrigin,
    #[serde(default)]
    pub multi_region: MultiRegion,
    /// Rotation of the key material (`GetKeyRotationStatus`); `None` when
    /// KMS would not say (no permission, or a key that cannot rotate).
    pub rotation: Option<KeyRotation>,
}

impl KmsKey {
    pub fn region(&self) -> Option<&str> {
        region_of_arn(&self.arn)
    }

    /// Automatic rotation on, when known.
    pub fn rotation_enabled(&self) -> Option<bool> {
        self.rotation.as_ref().map(|r| r.automatic)
    }
}

/// Whether a key is one of a multi-Region set, and which.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MultiRegion {
    #[default]
    Single,
    Primary,
    /// Rotated only through its primary, in that region.
    Replica {
        primary_region: String,
    },
}

/// What `GetKeyRotationStatus` says of a key's material.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KeyRotation {
    /// Rotated every `period_days` by KMS.
    pub automatic: bool,
    pub period_days: Option<u32>,
    pub next_at: Option<DateTime<Utc>>,
    /// An on-demand rotation started then and is not finished.
    pub on_demand_since: Option<DateTime<Utc>>,
}

/// One rotation of a key's material (`ListKeyRotations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationRecord {
    pub at: DateTime<Utc>,
    pub kind: RotationKind,
}

/// One KMS alias and the key it points at (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub name: String,
    pub target_key_id: Option<String>,
}

/// Which key encrypts a stream: the one type for every stage of a choice.
/// `KeyRef<String>` is a key as named (by the user: id, ARN, alias or alias
/// ARN; to AWS: the key ARN), `KeyRef<KmsKey>` a key KMS has described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef<K = String> {
    AwsOwned,
    Customer(K),
}

impl KeyRef<String> {
    /// A key named on the command line: `aws-owned`, or a key id, key ARN,
    /// `alias/NAME` or alias ARN.
    pub fn parse(s: &str) -> KeyRef {
        if s.eq_ignore_ascii_case("aws-owned") {
            KeyRef::AwsOwned
        } else {
            KeyRef::Customer(s.to_string())
        }
    }
}

impl KeyRef<KmsKey> {
    /// The key as Firehose is asked for it: by ARN.
    pub fn by_arn(&self) -> KeyRef {
        match self {
            KeyRef::AwsOwned => KeyRef::AwsOwned,
            KeyRef::Customer(k) => KeyRef::Customer(k.arn.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_and_region_come_from_arns() {
        let arn = "arn:aws:kms:eu-west-1:123456789012:key/abcd-1234";
        assert_eq!(key_id_of(arn), "abcd-1234");
        assert_eq!(key_id_of("abcd-1234"), "abcd-1234");
        assert_eq!(region_of_arn(arn), Some("eu-west-1"));
        assert_eq!(region_of_arn("abcd"), None);
    }
}
