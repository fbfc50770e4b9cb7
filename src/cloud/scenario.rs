//! The demo scenario: the keys and streams the simulator starts with, read from
//! `assets/demo-scenario.toml`, and the generator behind `--demo-streams N`.

use serde::Deserialize;

use crate::model::{KeyManager, KeyOrigin, KeySpec, KeyState, KeyUsage, Source};

/// The scenario shipped with firekeeper.
pub const BUILTIN: &str = include_str!("../../assets/demo-scenario.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub account: String,
    pub region: String,
    /// How long ENABLING and DISABLING last in the simulation.
    pub transition_secs: u64,
    /// How long after a call CloudTrail's event history shows it (AWS:
    /// about 5 minutes, up to 15).
    #[serde(default)]
    pub cloudtrail_lag_secs: u64,
    #[serde(default, rename = "key")]
    pub keys: Vec<ScenarioKey>,
    #[serde(default, rename = "stream")]
    pub streams: Vec<ScenarioStream>,
    /// Start/Stop calls other people made before the demo began.
    #[serde(default, rename = "calls")]
    pub calls: Vec<ScenarioCalls>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioKey {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default = "enabled")]
    pub state: KeyState,
    #[serde(default = "symmetric")]
    pub spec: KeySpec,
    #[serde(default = "encrypt_decrypt")]
    pub usage: KeyUsage,
    #[serde(default = "customer")]
    pub manager: KeyManager,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub rotation: bool,
    /// Automatic rotation's period, when on.
    #[serde(default = "year")]
    pub rotation_period_days: u32,
    /// Days since the material was last rotated automatically, when on.
    #[serde(default = "last_rotated")]
    pub rotated_days_ago: u32,
    /// Where the key material came from: AWS_KMS, EXTERNAL, AWS_CLOUDHSM.
    #[serde(default = "aws_kms")]
    pub origin: KeyOrigin,
    /// A multi-Region replica of a primary key in this region.
    #[serde(default)]
    pub replica_of: Option<String>,
    /// How long ago the key entered its state (disabled or scheduled for
    /// deletion); streams using it have failed to reach it since then.
    #[serde(default)]
    pub state_since_hours: f64,
    /// A key in another region, to show the cross-region refusal.
    #[serde(default)]
    pub region: Option<String>,
    /// The key policy does not let Firehose create grants: the key looks fine
    /// to every check firekeeper can make, and AWS fails the change.
    #[serde(default)]
    pub denies_firehose: bool,
    /// Who put the key in its state (DisableKey, ScheduleKeyDeletion), as
    /// CloudTrail names them; the event is dated `state_since_hours` ago.
    #[serde(default)]
    pub changed_by: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioStream {
    pub name: String,
    #[serde(default = "direct_put")]
    pub source: Source,
    #[serde(default = "active")]
    pub status: String,
    /// `aws-owned`, a key id or an alias name; absent for an unencrypted stream.
    #[serde(default)]
    pub key: Option<String>,
    /// Encryption status; defaults to ENABLED with a key, DISABLED without.
    #[serde(default)]
    pub encryption: Option<String>,
    #[serde(default)]
    pub failure: Option<ScenarioFailure>,
    #[serde(default)]
    pub errors: Vec<ScenarioErrors>,
    /// How long a scenario stream that starts ENABLING or DISABLING takes to
    /// settle; defaults to the scenario's `transition_secs`.
    #[serde(default)]
    pub settles_in_secs: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFailure {
    #[serde(rename = "type")]
    pub kind: String,
    pub details: String,
}

/// Calls someone else made on a stream before the demo began, `count` of
/// them spread evenly from `from_hours` ago to `to_hours` ago: Starts with
/// `key` (`aws-owned`, a key id or an alias), or Stops when there is no key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioCalls {
    pub stream: String,
    /// The caller, as CloudTrail names them (a user or a role session).
    pub by: String,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default = "one")]
    pub count: u32,
    pub from_hours: f64,
    /// When the last was made; absent for `from_hours`.
    #[serde(default)]
    pub to_hours: Option<f64>,
    /// The error code AWS refused the calls with, if it did.
    #[serde(default)]
    pub error: Option<String>,
}

/// A run of KMS errors on a stream, beyond those its key's state causes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioErrors {
    pub metric: String,
    pub since_hours: f64,
    /// When the errors stopped; absent while they go on.
    #[serde(default)]
    pub until_hours: Option<f64>,
    pub per_minute: f64,
}

fn one() -> u32 {
    1
}
fn enabled() -> KeyState {
    KeyState::Enabled
}
fn symmetric() -> KeySpec {
    KeySpec::SymmetricDefault
}
fn year() -> u32 {
    365
}

fn last_rotated() -> u32 {
    200
}

fn aws_kms() -> KeyOrigin {
    KeyOrigin::AwsKms
}

fn encrypt_decrypt() -> KeyUsage {
    KeyUsage::EncryptDecrypt
}
fn customer() -> KeyManager {
    KeyManager::Customer
}
fn direct_put() -> Source {
    Source::DirectPut
}
fn active() -> String {
    "ACTIVE".into()
}

impl Scenario {
    pub fn builtin() -> Scenario {
        // The asset is compiled in and covered by a test, so this cannot fail for users.
        #[allow(clippy::expect_used)]
        toml::from_str(BUILTIN).expect("assets/demo-scenario.toml is valid")
    }

    /// The scenario as seen in `region` of the `account`-th simulated account
    /// (0: the scenario's own), for a demo of several targets. Each copy has
    /// keys of its own (KMS key ids are unique across regions and accounts),
    /// and a key the scenario puts in another region stays in another one.
    pub fn in_target(mut self, region: &str, account: usize) -> Scenario {
        let home = std::mem::replace(&mut self.region, region.to_string());
        if home == region && account == 0 {
            return self;
        }
        if account > 0 {
            let n: u64 = self.account.parse().unwrap_or(0);
            self.account = format!(
                "{:012}",
                (n + account as u64 * 111_111_111) % 1_000_000_000_000
            );
        }
        // FNV-1a: the same ids every run, so a cache of the demo is never
        // confused by keys that changed name.
        let hash = format!("{region}/{account}")
            .bytes()
            .fold(0x811c_9dc5_u32, |h, b| {
                (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
            });
        let tag = format!("{:04x}", hash & 0xffff);
        let rename = |id: &str| -> String {
            let keep = id.len().saturating_sub(4);
            format!("{}{tag}", &id[..keep])
        };
        let ids: Vec<String> = self.keys.iter().map(|k| k.id.clone()).collect();
        let map = |key: &mut Option<String>| {
            if let Some(k) = key.as_mut() {
                if ids.contains(k) {
                    *k = rename(k);
                }
            }
        };
        for k in &mut self.keys {
            k.id = rename(&k.id);
            if k.region.as_deref() == Some(region) {
                k.region = Some(home.clone());
            }
            if k.replica_of.as_deref() == Some(region) {
                k.replica_of = Some(home.clone());
            }
        }
        for st in &mut self.streams {
            map(&mut st.key);
        }
        for c in &mut self.calls {
            map(&mut c.key);
        }
        self
    }

    /// The scenario with exactly `count` streams: the first of the shipped ones,
    /// then generated streams in a realistic mix.
    pub fn scaled(mut self, count: usize) -> Scenario {
        if count <= self.streams.len() {
            self.streams.truncate(count);
            return self;
        }
        let healthy: Vec<String> = self
            .keys
            .iter()
            .filter(|k| {
                k.state == KeyState::Enabled
                    && k.spec == KeySpec::SymmetricDefault
                    && k.region.is_none()
                    && !k.denies_firehose
            })
            .map(|k| k.id.clone())
            .collect();
        for i in self.streams.len()..count {
            let (source, key) = match i % 10 {
                0..=3 => (Source::DirectPut, Some("aws-owned".to_string())),
                4..=6 => (
                    Source::DirectPut,
                    healthy.get(i % healthy.len().max(1)).cloned(),
                ),
                7 => (Source::DirectPut, None),
                _ => (Source::KinesisStreamAsSource, None),
            };
            self.streams.push(ScenarioStream {
                name: format!("fleet-{i:05}"),
                source,
                status: active(),
                key,
                encryption: None,
                failure: None,
                errors: Vec::new(),
                settles_in_secs: None,
            });
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_scenario_covers_every_status_and_key_kind() {
        let s = Scenario::builtin();
        assert!(s.streams.len() >= 35, "about 40 streams");
        for status in [
            "ENABLING",
            "ENABLING_FAILED",
            "DISABLING",
            "DISABLING_FAILED",
        ] {
            assert!(
                s.streams
                    .iter()
                    .any(|st| st.encryption.as_deref() == Some(status)),
                "{status} missing"
            );
        }
        assert!(s.keys.iter().any(|k| k.state == KeyState::Disabled));
        assert!(s.keys.iter().any(|k| k.state == KeyState::PendingDeletion));
        assert!(s.keys.iter().any(|k| k.spec != KeySpec::SymmetricDefault));
        assert!(s.streams.iter().any(|st| st.source != Source::DirectPut));
    }

    #[test]
    fn scaled_scenario_has_exactly_the_count_asked() {
        assert_eq!(Scenario::builtin().scaled(5).streams.len(), 5);
        let big = Scenario::builtin().scaled(10_000);
        assert_eq!(big.streams.len(), 10_000);
        let mut names: Vec<_> = big.streams.iter().map(|s| &s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 10_000, "names are unique");
    }
}
