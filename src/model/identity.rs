//! Who the caller is (`sts:GetCallerIdentity`) and what its credentials are.

use chrono::{DateTime, Utc};

/// Who the credentials belong to (`sts:GetCallerIdentity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

/// How the caller authenticates, as far as the 6-hour rule goes (Firehose cannot create its KMS grant
/// with session credentials older than 6 hours).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CredentialFacts {
    /// Session credentials (a session token is present).
    pub temporary: bool,
    pub expires_at: Option<DateTime<Utc>>,
    /// The access key calls are signed with: CloudTrail records it with each
    /// call, which is how a call whose answer was lost is recognised there.
    pub access_key_id: Option<String>,
}
