//! The simulator's KMS key rotation, by the rules of the KMS API reference:
//! only symmetric, enabled, customer managed keys with KMS-made material
//! rotate, not a multi-Region replica; one on-demand rotation at a time (a
//! few seconds here), at most `ON_DEMAND_LIMIT` in a key's life; automatic
//! rotation every 90 to 2,560 days.

use chrono::{DateTime, Duration, Utc};

use super::{SimCloud, SimKey, SimState};
use crate::cloud::{CallAnswer, CloudError};
use crate::model::{
    KeyManager, KeyOrigin, KeyRotation, KeySpec, KeyState, MultiRegion, RotationKind,
    RotationRecord,
};

/// How long an on-demand rotation takes in the simulator.
pub(super) const ON_DEMAND_SECS: i64 = 4;
/// On-demand rotations a key may have (the API reference says 10).
pub(super) const ON_DEMAND_LIMIT: usize = 10;
/// The periods KMS accepts for automatic rotation, in days.
pub(super) const PERIOD_DAYS: std::ops::RangeInclusive<u32> = 90..=2560;

impl SimState {
    /// Finishes the on-demand rotations whose time has come.
    pub(super) fn settle_rotations(&mut self, now: DateTime<Utc>) {
        for k in &mut self.keys {
            if let Some(started) = k
                .on_demand
                .take_if(|s| *s + Duration::seconds(ON_DEMAND_SECS) <= now)
            {
                k.rotations.insert(
                    0,
                    RotationRecord {
                        at: started + Duration::seconds(ON_DEMAND_SECS),
                        kind: RotationKind::OnDemand,
                    },
                );
            }
            if let Some(r) = &mut k.key.rotation {
                r.on_demand_since = k.on_demand;
            }
        }
    }
}

impl SimCloud {
    pub(super) fn rotate_now(&self, key: &str) -> CallAnswer {
        let (mut state, now) = self.settled();
        let request_id = state.next_request_id();
        let result = match state.find_key_mut(key) {
            None => Err(not_found(key)),
            Some(k) => rotatable(k).and_then(|()| {
                if k.on_demand.is_some() {
                    return Err(CloudError::Other(format!(
                        "ConflictException: an on-demand rotation of {} is already in progress",
                        k.key.id
                    )));
                }
                let done = k
                    .rotations
                    .iter()
                    .filter(|r| r.kind == RotationKind::OnDemand)
                    .count();
                if done >= ON_DEMAND_LIMIT {
                    return Err(CloudError::LimitExceeded(format!(
                        "{} has had the maximum number of on-demand rotations ({ON_DEMAND_LIMIT})",
                        k.key.id
                    )));
                }
                k.on_demand = Some(now);
                if let Some(r) = &mut k.key.rotation {
                    r.on_demand_since = Some(now);
                }
                Ok(())
            }),
        };
        CallAnswer::answered(result, Some(request_id))
    }

    pub(super) fn auto_rotation(&self, key: &str, period_days: Option<u32>) -> CallAnswer {
        let (mut state, now) = self.settled();
        let request_id = state.next_request_id();
        let result = match state.find_key_mut(key) {
            None => Err(not_found(key)),
            Some(k) => rotatable(k).and_then(|()| {
                if let Some(days) = period_days.filter(|d| !PERIOD_DAYS.contains(d)) {
                    return Err(CloudError::InvalidArgument(format!(
                        "RotationPeriodInDays {days} is not between 90 and 2560"
                    )));
                }
                let on_demand_since = k.on_demand;
                k.key.rotation = Some(match period_days {
                    Some(days) => KeyRotation {
                        automatic: true,
                        period_days: Some(days),
                        next_at: Some(now + Duration::days(i64::from(days))),
                        on_demand_since,
                    },
                    None => KeyRotation {
                        on_demand_since,
                        ..KeyRotation::default()
                    },
                });
                Ok(())
            }),
        };
        CallAnswer::answered(result, Some(request_id))
    }
}

/// Why KMS would refuse to rotate this key, as KMS says it.
fn rotatable(k: &SimKey) -> Result<(), CloudError> {
    let key = &k.key;
    if key.manager != KeyManager::Customer || key.spec != KeySpec::SymmetricDefault {
        return Err(CloudError::Other(format!(
            "UnsupportedOperationException: {} cannot be rotated: only symmetric customer managed keys rotate",
            key.id
        )));
    }
    if key.origin != KeyOrigin::AwsKms {
        return Err(CloudError::Other(format!(
            "UnsupportedOperationException: {} has {} key material, which KMS does not rotate",
            key.id, key.origin
        )));
    }
    if let MultiRegion::Replica { primary_region } = &key.multi_region {
        return Err(CloudError::Other(format!(
            "UnsupportedOperationException: {} is a replica; rotate its primary in {primary_region}",
            key.id
        )));
    }
    if key.state != KeyState::Enabled {
        return Err(CloudError::Other(format!(
            "KMSInvalidStateException: {} is {}",
            key.arn,
            key.state.as_str()
        )));
    }
    Ok(())
}

fn not_found(key: &str) -> CloudError {
    CloudError::NotFound(format!("Key '{key}' does not exist"))
}
