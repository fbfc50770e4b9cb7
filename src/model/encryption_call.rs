//! The call a change of a stream's encryption makes to Firehose.

use super::{KeyRef, KmsKey};

/// What a change asks Firehose to do to a stream's encryption.
#[derive(Debug, Clone, PartialEq, Eq)]
// One value per change asked for: its size costs nothing, and a box would
// be noise at every match.
#[allow(clippy::large_enum_variant)]
pub enum EncryptionCall {
    /// StartDeliveryStreamEncryption: enable, or switch key.
    Start(KeyRef<KmsKey>),
    /// StopDeliveryStreamEncryption.
    Stop,
}
