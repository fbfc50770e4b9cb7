//! The checks firekeeper makes before it asks AWS to change a stream's
//! encryption. A refusal means nothing is sent (and no quota is spent); a
//! warning is shown in the confirmation and the change may go ahead.

use chrono::{DateTime, Utc};

use crate::cloud::GrantCheck;

use crate::model::{
    CredentialFacts, EncryptionCall, EncryptionStatus, KeyRef, KeySpec, KeyState, KeyType,
    KeyUsage, KmsKey, Stream,
};
use crate::quota::{Quota, RefusedCalls};

/// AWS allows one customer key to serve at most this many delivery streams.
pub const STREAMS_PER_KEY: usize = 500;
/// Firehose's KMS grant creation fails with session credentials older than this.
pub const SESSION_HOURS: i64 = 6;

/// Everything the rules look at.
pub struct ChangeFacts<'a> {
    pub stream: &'a Stream,
    pub change: &'a EncryptionCall,
    pub region: &'a str,
    /// `None` when the ledger has not been read: the send reads it again.
    pub quota: Option<Quota>,
    /// The calls AWS refused among the quota's, with their codes.
    pub refused: Option<&'a RefusedCalls>,
    /// What KMS said of a dry run of Firehose's grant on the new key;
    /// `None` when it was not asked (yet).
    pub grant: Option<&'a GrantCheck>,
    /// The caller's account, when known: a key of another account is said.
    pub account: Option<&'a str>,
    /// Streams already on the target key, when known.
    pub streams_on_key: Option<usize>,
    /// KMS errors on this stream lately, and over what window ("1h").
    pub kms_errors_now: f64,
    pub errors_window: &'a str,
    pub credentials: CredentialFacts,
    pub now: DateTime<Utc>,
}

/// The answer: refusals stop the change, warnings are shown with it.
/// `overridable` are refusals made on a safe reading AWS may not share
/// (calls AWS refused counted against the quota; a grant test KMS denied):
/// they stop the change unless the user sends anyway (`--force`, or `send`
/// typed in the dashboard), and AWS's answer then settles it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    pub refusals: Vec<String>,
    pub overridable: Vec<String>,
    pub warnings: Vec<String>,
}

impl Verdict {
    /// Nothing refuses the change.
    pub fn allowed(&self) -> bool {
        self.refusals.is_empty() && self.overridable.is_empty()
    }

    /// The change may be sent: nothing refuses it, or only what the user
    /// chose to send past (`force`).
    pub fn sendable(&self, force: bool) -> bool {
        self.refusals.is_empty() && (force || self.overridable.is_empty())
    }

    /// Only refusals the user may send past stand in the way.
    pub fn forceable(&self) -> bool {
        self.refusals.is_empty() && !self.overridable.is_empty()
    }

    /// Every reason the change is refused, in one line.
    pub fn reasons(&self) -> String {
        let all: Vec<&str> = self
            .refusals
            .iter()
            .chain(&self.overridable)
            .map(String::as_str)
            .collect();
        all.join("; ")
    }
}

/// Why Firehose could not use this key, if it could not, in a few words
/// ("is Disabled"): the key picker shows it beside the key's name.
pub fn key_problem(key: &KmsKey, region: &str) -> Option<String> {
    if let Some(r) = key.region().filter(|r| *r != region) {
        return Some(format!("is in {r}, not the stream's region {region}"));
    }
    match &key.state {
        KeyState::Enabled => {}
        KeyState::PendingDeletion => return Some("is pending deletion".into()),
        KeyState::Other(raw) if raw.is_empty() => {
            return Some("has no state KMS reported, so it is not known to be Enabled".into())
        }
        other => return Some(format!("is {}, not Enabled", other.as_str())),
    }
    if !matches!(key.spec, KeySpec::SymmetricDefault | KeySpec::Unreported) {
        return Some(format!(
            "is {}: Firehose supports only symmetric keys",
            key.spec
        ));
    }
    if !matches!(key.usage, KeyUsage::EncryptDecrypt | KeyUsage::Unreported) {
        return Some(format!(
            "has usage {}, not {}",
            key.usage,
            KeyUsage::EncryptDecrypt
        ));
    }
    None
}

/// Every rule for one change; `target_label` is the key as the user knows it.
/// The order of the messages is the order they are shown in.
pub fn check(f: &ChangeFacts<'_>, target_label: &str) -> Verdict {
    let mut v = Verdict::default();
    stream_rules(&mut v, f.stream);
    match f.change {
        EncryptionCall::Start(KeyRef::Customer(key)) => {
            customer_key_rules(&mut v, f, key, target_label);
        }
        EncryptionCall::Start(KeyRef::AwsOwned) => aws_owned_rules(&mut v, f.stream),
        EncryptionCall::Stop => stop_rules(&mut v, f.stream),
    }
    quota_rules(&mut v, f);
    situation_warnings(&mut v, f);
    v
}

/// What Firehose refuses whatever the change: a source that owns encryption,
/// a stream that is not ACTIVE, a change still settling. And what
/// firekeeper will not send: a change to a stream described with a value it
/// does not know, whose outcome it could not tell.
fn stream_rules(v: &mut Verdict, s: &Stream) {
    if s.only_recorded() {
        v.refusals.push(format!(
            "{} is shown from AWS Config's record, which holds neither its status nor its encryption status: describe it first",
            s.name
        ));
        return;
    }
    match s.source.owns_encryption() {
        Some(false) => {}
        Some(true) => v.refusals.push(format!(
            "{} reads from {}: that source owns encryption, Firehose SSE applies to DirectPut streams only",
            s.name,
            s.source.as_str()
        )),
        None => v.refusals.push(not_known(s, "source", s.source.as_str())),
    }
    if let EncryptionStatus::Other(raw) = &s.encryption.status {
        v.refusals.push(not_known(s, "encryption status", raw));
    }
    if let Some(KeyType::Other(raw)) = &s.encryption.key_type {
        v.refusals.push(not_known(s, "key type", raw));
    }
    if s.status != "ACTIVE" {
        v.refusals.push(format!(
            "{} is {}, not ACTIVE: wait until it is",
            s.name, s.status
        ));
    }
    if s.encryption.status.is_transition() {
        v.refusals.push(format!(
            "{} is {}: wait until the current change settles",
            s.name, s.encryption.status
        ));
    }
}

/// A refusal for a value AWS sent that firekeeper does not know.
fn not_known(s: &Stream, what: &str, raw: &str) -> String {
    let raw = if raw.is_empty() { "(none)" } else { raw };
    format!(
        "AWS reports {what} {raw} for {}, not known to firekeeper: what a change would do cannot be told",
        s.name
    )
}

/// A customer key must be usable by Firehose, not already the stream's, and
/// should not be past AWS's streams-per-key limit.
fn customer_key_rules(v: &mut Verdict, f: &ChangeFacts<'_>, key: &KmsKey, target_label: &str) {
    let s = f.stream;
    let enc = &s.encryption;
    if let Some(problem) = key_problem(key, f.region) {
        v.refusals.push(format!("key {target_label} {problem}"));
    }
    let same = enc.key_type == Some(KeyType::CustomerManaged)
        && enc.key_arn.as_deref() == Some(key.arn.as_str())
        && enc.status == EncryptionStatus::Enabled;
    if same {
        v.refusals.push(format!(
            "{} is already encrypted with {target_label}",
            s.name
        ));
    }
    if let Some(n) = f.streams_on_key.filter(|n| *n >= STREAMS_PER_KEY) {
        v.warnings.push(format!(
            "{target_label} already serves {n} streams; AWS allows {STREAMS_PER_KEY} per key, so this may fail"
        ));
    }
    let owner = account_of_arn(&key.arn);
    if let (Some(owner), Some(mine)) = (owner, f.account.filter(|a| !a.is_empty())) {
        if owner != mine {
            // Firehose's documentation neither allows nor forbids another
            // account's key; the grant test below asks KMS itself.
            v.warnings.push(format!(
                "{target_label} belongs to account {owner}, not {mine}: Firehose must be able to create its grant on another account's key, which its documentation does not describe"
            ));
        }
    }
    grant_rules(v, f.grant, target_label);
}

/// What KMS said of a dry run of Firehose's grant on the key. Denied is
/// refused, as a Start would spend a call to learn KMS_ACCESS_DENIED; but a
/// key policy may allow the grant only when an AWS service asks for it
/// (`kms:GrantIsForAWSResource`, `kms:ViaService`: KMS developer guide,
/// "Controlling access to grants"), which a dry run by the caller cannot
/// show, so the user may send anyway.
fn grant_rules(v: &mut Verdict, grant: Option<&GrantCheck>, target_label: &str) {
    match grant {
        Some(GrantCheck::WouldSucceed) => {}
        Some(GrantCheck::Denied(said)) => v.overridable.push(format!(
            "KMS would not let you create the grant Firehose needs on {target_label} ({said}): a Start would fail with KMS_ACCESS_DENIED, unless the key policy allows the grant only through Firehose (kms:GrantIsForAWSResource, kms:ViaService)"
        )),
        Some(GrantCheck::Unknown(why)) => v.warnings.push(format!(
            "KMS did not say whether you may create the grant Firehose needs on {target_label} ({why}): the change may fail with KMS_ACCESS_DENIED"
        )),
        // Not asked yet: the send asks before anything leaves.
        None => {}
    }
}

/// The account of an ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`).
pub fn account_of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next()? == "arn").then_some(())?;
    parts.nth(3).filter(|a| !a.is_empty())
}

fn aws_owned_rules(v: &mut Verdict, s: &Stream) {
    let enc = &s.encryption;
    if enc.key_type == Some(KeyType::AwsOwned) && enc.status == EncryptionStatus::Enabled {
        v.refusals.push(format!(
            "{} is already encrypted with the AWS owned key",
            s.name
        ));
    }
}

fn stop_rules(v: &mut Verdict, s: &Stream) {
    if s.encryption.status == EncryptionStatus::Disabled {
        v.refusals.push(format!("{} is not encrypted", s.name));
    } else {
        v.warnings.push(format!(
            "records written to {} after this are stored without Firehose encryption",
            s.name
        ));
    }
}

/// Start and Stop share AWS's calls per stream per 24 hours: with none left,
/// nothing is sent. Not knowing yet is only a warning, as the send reads the
/// ledger again.
fn quota_rules(v: &mut Verdict, f: &ChangeFacts<'_>) {
    let Some(quota) = f.quota else {
        v.warnings.push(
            "quota not known yet: the ledger is read again before sending, and the change is refused if no call is left".into(),
        );
        return;
    };
    if quota.only_refused_in_the_way() {
        v.overridable
            .push(only_refused(&f.stream.name, &quota, f.refused, f.now));
        return;
    }
    v.refusals
        .extend(no_calls_left(&f.stream.name, &quota, f.now));
}

/// The safe reading said, when only calls AWS refused fill the day: AWS
/// does not document whether they count, so firekeeper counts them and the
/// user may send anyway; AWS's answer settles it.
fn only_refused(
    name: &str,
    quota: &Quota,
    refused: Option<&RefusedCalls>,
    now: DateTime<Utc>,
) -> String {
    let none = RefusedCalls::default();
    let said = crate::quota::refused_sentence(name, quota, refused.unwrap_or(&none));
    let next = quota
        .next_slot(now)
        .map_or(String::new(), |n| format!("; counting them, {n}"));
    format!("no Start/Stop calls left if refused calls count: {said}; sending anyway lets AWS settle it{next}")
}

fn no_calls_left(name: &str, quota: &Quota, now: DateTime<Utc>) -> Option<String> {
    if quota.remaining > 0 {
        return None;
    }
    let next = quota
        .next_slot(now)
        .map_or(String::new(), |n| format!("; {n}"));
    let others = quota
        .by_others()
        .map_or(String::new(), |o| format!("; {o}"));
    Some(format!(
        "no Start/Stop calls left for {name} (AWS allows {} in 24 hours{others}){next}",
        crate::quota::LIMIT
    ))
}

/// What refuses any key change to the stream, whatever key is picked: said
/// before the key picker opens, so no key is chosen for nothing. Calls AWS
/// refused are not among them: the confirmation says so and lets the user
/// send anyway.
pub fn stream_refusals(s: &Stream, quota: Option<&Quota>, now: DateTime<Utc>) -> Vec<String> {
    let mut v = Verdict::default();
    stream_rules(&mut v, s);
    if let Some(q) = quota.filter(|q| !q.only_refused_in_the_way()) {
        v.refusals.extend(no_calls_left(&s.name, q, now));
    }
    v.refusals
}

/// Warnings about the moment rather than the stream: credentials that may be
/// too old for Firehose's KMS grant, and KMS refusing the stream right now.
fn situation_warnings(v: &mut Verdict, f: &ChangeFacts<'_>) {
    if f.credentials.temporary && matches!(f.change, EncryptionCall::Start(KeyRef::Customer(_))) {
        v.warnings.push(format!(
            "these are temporary credentials: if they were issued more than {SESSION_HOURS} hours ago, Firehose cannot create its KMS grant and the change fails; refresh them (e.g. aws sso login) if unsure"
        ));
    }
    if f.kms_errors_now > 0.0 {
        v.warnings.push(format!(
            "KMS is refusing {} right now ({} errors in the last {})",
            f.stream.name, f.kms_errors_now as u64, f.errors_window
        ));
    }
}

#[cfg(test)]
mod tests;
