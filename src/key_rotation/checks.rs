//! What KMS would refuse of a key change, said before anything is sent.

use chrono::{DateTime, Utc};

use super::KeyChange;
use crate::model::{KeyManager, KeyOrigin, KeySpec, KeyState, KmsKey, MultiRegion};
use crate::preflight::Verdict;

/// The checks, and read-only mode's refusal; `account` is the caller's,
/// when known.
pub fn verdict(
    key: &KmsKey,
    label: &str,
    change: KeyChange,
    (account, read_only): (Option<&str>, bool),
    now: DateTime<Utc>,
) -> Verdict {
    let mut v = checks(key, label, change, now);
    let owner = crate::preflight::account_of_arn(&key.arn);
    if let (Some(owner), Some(mine)) = (owner, account.filter(|a| !a.is_empty())) {
        if owner != mine {
            // RotateKeyOnDemand, EnableKeyRotation, DisableKeyRotation: "Cross-account
            // use: No. You cannot perform this operation on a KMS key in a
            // different AWS account" (KMS API reference).
            v.refusals.push(format!(
                "{label} belongs to account {owner}, not yours ({mine}): KMS rotates a key only for callers of its own account; run this with credentials of {owner}"
            ));
        }
    }
    if read_only {
        v.refusals
            .push("firekeeper is in read-only mode (--read-only or read_only = true)".into());
    }
    v
}

/// What KMS would refuse, said before anything is sent.
pub fn checks(key: &KmsKey, label: &str, change: KeyChange, now: DateTime<Utc>) -> Verdict {
    let mut v = Verdict::default();
    let id = label;
    if key.manager != KeyManager::Customer {
        v.refusals.push(format!(
            "{id} is not a customer managed key: AWS rotates its own keys"
        ));
    }
    if key.spec != KeySpec::SymmetricDefault {
        v.refusals.push(format!(
            "{id} is {}: KMS rotates only symmetric (SYMMETRIC_DEFAULT) keys",
            key.spec.as_str()
        ));
    }
    if key.state != KeyState::Enabled {
        v.refusals.push(format!(
            "{id} is {}: KMS rotates only enabled keys",
            key.state.as_str()
        ));
    }
    match &key.origin {
        KeyOrigin::AwsKms | KeyOrigin::Unreported => {}
        KeyOrigin::External => imported_rules(&mut v, key, id, change),
        other => v.refusals.push(format!(
            "{id} is in a custom key store ({}): KMS cannot rotate it",
            other.as_str()
        )),
    }
    if let MultiRegion::Replica { primary_region } = &key.multi_region {
        v.refusals.push(format!(
            "{id} is a multi-Region replica: rotate the primary in {primary_region}"
        ));
    }
    if change == KeyChange::RotateNow {
        if let Some(since) = key.rotation.as_ref().and_then(|r| r.on_demand_since) {
            v.refusals.push(format!(
                "an on-demand rotation of {id} has been in progress since {} ({})",
                crate::model::stamp(since),
                crate::model::ago(now - since)
            ));
        }
    }
    v
}

/// Keys with imported material (EXTERNAL). RotateKeyOnDemand: "You cannot
/// perform on-demand rotation of asymmetric KMS keys, HMAC KMS keys,
/// multi-Region KMS keys with imported key material, or KMS keys in a custom
/// key store", and for imported material "you must have already imported
/// new key material and that key material's state should be
/// PENDING_ROTATION" (KMS API reference). EnableKeyRotation does not
/// rotate imported material automatically.
fn imported_rules(v: &mut Verdict, key: &KmsKey, id: &str, change: KeyChange) {
    match change {
        KeyChange::RotateNow if key.multi_region != MultiRegion::Single => v.refusals.push(format!(
            "{id} is a multi-Region key with imported key material (EXTERNAL): KMS does not rotate those on demand"
        )),
        KeyChange::RotateNow => v.warnings.push(format!(
            "{id} has imported key material (EXTERNAL): KMS rotates it only to new material imported first (ImportKeyMaterial with ImportType NEW_KEY_MATERIAL, in state PENDING_ROTATION), and refuses otherwise"
        )),
        KeyChange::AutoOn(_) | KeyChange::AutoOff => v.refusals.push(format!(
            "{id} has imported key material (EXTERNAL): KMS does not rotate it automatically; rotate it on demand after importing new material"
        )),
    }
}
