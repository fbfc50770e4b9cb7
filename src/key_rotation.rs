//! Rotating a customer key's material, as KMS means it: `RotateKeyOnDemand`
//! now, or automatic rotation on a schedule. It costs no Firehose call and
//! does not touch the streams: KMS keeps the old material to decrypt what
//! it encrypted. Like a stream's change: checked first (each refusal says
//! why, nothing is sent), confirmed, audited, sent once, and when the answer
//! is lost, found out by reading the key, never by sending again.

mod checks;
mod said;
mod send;

pub use checks::{checks, verdict};
use said::erring;
pub use said::{consequences, describe};
pub use send::{carry_out, refuse, KeyProgress, RotationTiming};

use chrono::{DateTime, Utc};

use crate::change::{ChangeContext, ChangeError};
use crate::cloud::{Cloud, CloudError};
use crate::inventory::{self, KeyBook};
use crate::model::{KmsKey, RotationKind, RotationRecord};
use crate::preflight::Verdict;

/// The period KMS uses when none is given.
pub const DEFAULT_PERIOD_DAYS: u32 = 365;
/// On-demand rotations a key may have: "You can perform on-demand key
/// rotation a maximum of 25 times per KMS key" (KMS developer guide,
/// "Perform on-demand key rotation", and the current RotateKeyOnDemand API
/// reference; earlier editions of the API reference said 10). Shown, not
/// enforced: KMS enforces it.
pub const ON_DEMAND_DOCUMENTED: usize = 25;

/// The periods the dashboard offers, in days: KMS takes 90 to 2560.
pub const PERIODS: [u32; 7] = [90, 180, 365, 730, 1095, 1825, 2560];

/// What is asked of the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    /// Rotate the material now.
    RotateNow,
    /// Rotate automatically every so many days.
    AutoOn(u32),
    AutoOff,
}

impl KeyChange {
    /// The audit log's name for it.
    pub fn action(self) -> &'static str {
        match self {
            KeyChange::RotateNow => "rotate-material",
            KeyChange::AutoOn(_) => "auto-rotation-on",
            KeyChange::AutoOff => "auto-rotation-off",
        }
    }

    /// The next choice of automatic rotation, `longer` or shorter: the
    /// periods the dashboard offers, with off below the shortest for a key
    /// that rotates already. Other changes stay as they are.
    pub fn step_period(self, longer: bool, rotating: bool) -> KeyChange {
        let mut options: Vec<KeyChange> = Vec::new();
        if rotating {
            options.push(KeyChange::AutoOff);
        }
        options.extend(PERIODS.iter().map(|d| KeyChange::AutoOn(*d)));
        let at = match self {
            KeyChange::RotateNow => return self,
            KeyChange::AutoOff => 0,
            // A period from the command line may lie between two offered.
            KeyChange::AutoOn(days) => options
                .iter()
                .position(|o| matches!(o, KeyChange::AutoOn(d) if *d >= days))
                .unwrap_or(options.len() - 1),
        };
        let to = if longer {
            (at + 1).min(options.len() - 1)
        } else {
            at.saturating_sub(1)
        };
        options[to]
    }

    fn describe(self) -> String {
        match self {
            KeyChange::RotateNow => "rotate the key material now (RotateKeyOnDemand)".into(),
            KeyChange::AutoOn(days) => {
                format!("rotate the key material automatically every {days} days")
            }
            KeyChange::AutoOff => "stop rotating the key material automatically".into(),
        }
    }
}

/// A key change ready to confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPlan {
    pub key: KmsKey,
    /// The key as people know it: its alias, or its id.
    pub label: String,
    pub change: KeyChange,
    /// The streams encrypted with the key, by name.
    pub streams: Vec<String>,
    /// Rotations so far, newest first; `None` when KMS would not list them.
    pub rotations: Option<Vec<RotationRecord>>,
    /// Which of `streams` have KMS errors in the window, or why that is not
    /// known: a dialog never says streams work that may not.
    pub erring: Result<Vec<String>, String>,
    /// The window `erring` covers ("3h").
    pub window: String,
    pub verdict: Verdict,
}

impl KeyPlan {
    /// On-demand rotations so far, when known.
    pub fn on_demand_done(&self) -> Option<usize> {
        self.rotations.as_ref().map(|r| {
            r.iter()
                .filter(|x| x.kind == RotationKind::OnDemand)
                .count()
        })
    }
}

/// How a key change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyEnding {
    /// KMS shows what was asked (for a rotation now: when it finished).
    Done(Option<DateTime<Utc>>),
    /// Accepted, not waited for.
    Sent,
    /// Still rotating when firekeeper stopped waiting.
    TimedOut,
    /// The answer was lost, or was a server error, and the key never showed
    /// the change. `seen`: the key was read and does not show it (KMS
    /// probably did not apply it); otherwise it could not be read. `cause`
    /// says what made the outcome unclear.
    Unconfirmed { seen: bool, cause: String },
}

/// The streams encrypted with the key `arn`, from fresh descriptions of the
/// whole fleet (the command line; the dashboard knows them already).
pub async fn streams_using(
    cloud: &dyn Cloud,
    arn: &str,
    concurrency: usize,
) -> Result<Vec<String>, CloudError> {
    let names = inventory::list_names(cloud, 100).await?;
    Ok(inventory::describe_all(cloud, &names, concurrency)
        .await
        .into_iter()
        .filter_map(|(name, s)| {
            s.ok()
                .filter(|s| s.encryption.key_arn.as_deref() == Some(arn))
                .map(|_| name)
        })
        .collect())
}

/// The key, the streams on it and the checks, from a fresh description.
pub async fn plan(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    key: &str,
    change: KeyChange,
    streams: Vec<String>,
) -> Result<KeyPlan, ChangeError> {
    let described = crate::change::named_key(cloud, &ctx.region, key).await?;
    let book = KeyBook::from_aliases(cloud.list_aliases().await.unwrap_or_default());
    let label = book.key_label(&described.arn);
    let rotations = if described.rotation.is_some() {
        cloud.key_rotations(&described.arn).await.ok()
    } else {
        None
    };
    let erring = erring(cloud, &streams).await;
    let mine = ctx.account.as_deref();
    let verdict = verdict(
        &described,
        &label,
        change,
        (mine, ctx.read_only),
        Utc::now(),
    );
    Ok(KeyPlan {
        key: described,
        label,
        change,
        streams,
        rotations,
        erring,
        window: "1h".into(),
        verdict,
    })
}

#[cfg(test)]
mod tests;
