//! Values AWS sent that firekeeper does not know: a new encryption status,
//! key type, key state, source or stream status. Each makes its stream
//! `unknown`, with AWS's string in the sentence, never a guessed default.

use super::{Finding, KeyFact, StreamFacts};
use crate::model::{EncryptionStatus, KeyState, KeyType, KmsKey, Source};

/// A field of what AWS reports whose values firekeeper judges by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    StreamStatus,
    Source,
    EncryptionStatus,
    KeyType,
    KeyState,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::StreamStatus => "stream status",
            Field::Source => "source",
            Field::EncryptionStatus => "encryption status",
            Field::KeyType => "key type",
            Field::KeyState => "key state",
        }
    }

    /// The problem: the value as AWS sent it, and what firekeeper cannot
    /// tell without knowing it. `key_label` names the key a key state is of.
    pub(super) fn sentence(self, raw: &str, key_label: &str) -> String {
        let whose = match self {
            Field::KeyState => format!(" for key {key_label}"),
            _ => String::new(),
        };
        let (what, cannot) = (self.name(), self.cannot_tell());
        if raw.is_empty() {
            format!("AWS reports no {what}{whose}: firekeeper cannot tell {cannot}.")
        } else {
            format!(
                "AWS reports {what} {raw} (not known to firekeeper){whose}: firekeeper cannot tell {cannot}."
            )
        }
    }

    /// What firekeeper cannot tell without knowing the value.
    fn cannot_tell(self) -> &'static str {
        match self {
            Field::StreamStatus => "whether the stream takes records",
            Field::Source => "whether Firehose or the source owns the stream's encryption",
            Field::EncryptionStatus => "whether or how the stream is encrypted",
            Field::KeyType => "which key encrypts the stream",
            Field::KeyState => "whether Firehose can use the key",
        }
    }
}

/// What a stream known only from AWS Config's record does not say.
pub(super) const NOT_RECORDED: &str = "Shown from AWS Config's record, which holds the stream's key but neither its status nor its encryption status (ENABLING, ENABLING_FAILED…): not known until the stream is described.";

/// The stream statuses AWS documents for `DeliveryStreamStatus`.
const STREAM_STATUSES: [&str; 6] = [
    "ACTIVE",
    "CREATING",
    "CREATING_FAILED",
    "DELETING",
    "DELETING_FAILED",
    "SUSPENDED",
];

/// Every value in the stream's description that AWS sent and firekeeper does
/// not know, with what it is the value of.
pub(super) fn findings<'a>(f: &StreamFacts<'a>) -> Vec<Finding<'a>> {
    let s = f.stream;
    let mut out = Vec::new();
    if s.only_recorded() {
        out.push(Finding::NotRecorded);
    } else if !STREAM_STATUSES.contains(&s.status.as_str()) {
        out.push(Finding::NotKnown(Field::StreamStatus, &s.status));
    }
    if let Source::Other(raw) = &s.source {
        out.push(Finding::NotKnown(Field::Source, raw));
    }
    if let EncryptionStatus::Other(raw) = &s.encryption.status {
        out.push(Finding::NotKnown(Field::EncryptionStatus, raw));
    }
    if let Some(KeyType::Other(raw)) = &s.encryption.key_type {
        out.push(Finding::NotKnown(Field::KeyType, raw));
    }
    if let KeyFact::Described(KmsKey {
        state: KeyState::Other(raw),
        ..
    }) = f.key
    {
        out.push(Finding::NotKnown(Field::KeyState, raw));
    }
    out
}
