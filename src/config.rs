//! Settings: the defaults in `config/default.toml` (compiled in), patched by the
//! user's file. Every mistake in the user's file is an error naming file, line
//! and key: a silently ignored setting is worse than a refusal. Config holds
//! plain values: what a key binding means is the keymap's to say, through
//! the `KeyCheck` it hands to `Config::load`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Visitor};
use serde::Deserialize;

use crate::model::{Severity, SortKey, Window, QUOTA_LIMIT};

mod file;

pub use file::MAX_BYTES;

/// The shipped defaults, also the documentation of every setting.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// A number that must lie in a range; the message names the range.
macro_rules! bounded {
    ($name:ident, $t:ty, $min:expr, $max:expr) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub $t);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = d.deserialize_i64(WholeNumber {
                    min: $min,
                    max: $max,
                })?;
                // In range, so it fits.
                Ok($name(v as $t))
            }
        }
    };
}

/// Reads a whole number in `min..=max`; its `expecting` tells a user who
/// wrote `"20"` or `2.5` what to write instead.
struct WholeNumber {
    min: i64,
    max: i64,
}

impl<'de> Visitor<'de> for WholeNumber {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a whole number from {} to {}", self.min, self.max)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        if (self.min..=self.max).contains(&v) {
            Ok(v)
        } else {
            Err(E::custom(format!(
                "{v} is out of range: use {} to {}",
                self.min, self.max
            )))
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

bounded!(CallsPerSecond, u32, 1, 100);
bounded!(Concurrency, usize, 1, 64);
bounded!(PageSize, u32, 1, 10_000);
bounded!(QuotaWarning, u32, 0, i64::from(QUOTA_LIMIT));
bounded!(CallTimeout, u64, 1, 300);
// LookupEvents calls per second: AWS allows 2 per account and region, for
// every caller together, and the limit cannot be raised.
bounded!(TrailCallsPerSecond, u32, 1, 2);
// Seconds between reads of CloudTrail's event history: at least 10, as the
// history itself is minutes late.
bounded!(PollSecs, u64, 10, 86_400);
// A sweep more often than every minute would be every fetch.
bounded!(SweepSecs, u64, 60, 86_400);

/// One section of settings, and its "patch" twin in which every field is
/// optional, so a user file may name only what it changes.
macro_rules! section {
    ($name:ident, $patch:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Debug, Clone, PartialEq, Deserialize)]
        #[serde(deny_unknown_fields, expecting = "a table of settings")]
        pub struct $name { $(pub $field: $ty),* }

        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields, expecting = "a table of settings")]
        struct $patch { $($field: Option<$ty>),* }

        impl $name {
            fn apply(&mut self, patch: $patch) {
                $(if let Some(v) = patch.$field { self.$field = v; })*
            }
        }
    };
}

section!(
    Aws,
    AwsPatch {
        firehose_calls_per_second: CallsPerSecond,
        describe_concurrency: Concurrency,
        list_page_size: PageSize,
        call_timeout_secs: CallTimeout,
        regions: Regions,
        profiles: Profiles,
        aggregator: Aggregator,
    }
);

/// `[aws] aggregator`: the AWS Config aggregator whose accounts and regions
/// are read as well, when `--aggregator` is not given; empty for none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aggregator(pub Option<String>);

impl<'de> Deserialize<'de> for Aggregator {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        if name.is_empty() {
            return Ok(Aggregator(None));
        }
        crate::model::recorded::aggregator_name(&name)
            .map(|n| Aggregator(Some(n)))
            .map_err(|why| de::Error::custom(format!("'{name}': {why}")))
    }
}

/// `[aws] regions`: the regions to watch when `--region` is not given, each
/// a region name as `--region` takes it, none twice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Regions(pub Vec<String>);

/// `[aws] profiles`: the profiles (accounts) to watch when `--profile` is
/// not given, none empty, none twice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profiles(pub Vec<String>);

/// A list of names, each passing `check`, none twice: the message names
/// the offending one.
fn names<'de, D: serde::Deserializer<'de>>(
    d: D,
    check: fn(&str) -> Result<String, String>,
) -> Result<Vec<String>, D::Error> {
    let list = Vec::<String>::deserialize(d)?;
    for (i, name) in list.iter().enumerate() {
        check(name).map_err(|why| de::Error::custom(format!("'{name}': {why}")))?;
        if list[..i].contains(name) {
            return Err(de::Error::custom(format!("'{name}' is listed twice")));
        }
    }
    Ok(list)
}

impl<'de> Deserialize<'de> for Regions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        names(d, crate::model::region_name).map(Regions)
    }
}

impl<'de> Deserialize<'de> for Profiles {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let profile = |name: &str| {
            if name.trim().is_empty() {
                Err("a profile name cannot be empty".to_string())
            } else {
                Ok(name.to_string())
            }
        };
        names(d, profile).map(Profiles)
    }
}

section!(
    Status,
    StatusPatch {
        window: Window,
        quota_warning_at: QuotaWarning,
    }
);

section!(Ledger, LedgerPatch { path: PathBuf });

section!(
    CloudTrail,
    CloudTrailPatch {
        enabled: bool,
        poll_secs: PollSecs,
        calls_per_second: TrailCallsPerSecond,
    }
);

section!(
    CloudWatch,
    CloudWatchPatch {
        sweep_secs: SweepSecs
    }
);

bounded!(QuotaLow, u32, 0, i64::from(QUOTA_LIMIT));
bounded!(Hours, u32, 1, 24 * 14);
bounded!(SettleSecs, u64, 0, 3600);
bounded!(HookSecs, u64, 1, 300);

/// Which health notifies from the open dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Notify {
    Critical,
    Unknown,
    Warning,
}

/// Which desktop notification escape the open dashboard writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Osc {
    #[serde(rename = "9")]
    Nine,
    #[serde(rename = "777")]
    SevenSevenSeven,
    #[serde(rename = "off")]
    Off,
}

section!(
    Alerts,
    AlertsPatch {
        notify: Vec<Notify>,
        osc: Osc,
        ack_hours: Hours,
        quota_low: QuotaLow,
        discard_warn_hours: Hours,
        settle_secs: SettleSecs,
        command: Vec<String>,
        command_timeout_secs: HookSecs,
    }
);

section!(
    HealthRules,
    HealthRulesPatch {
        unencrypted: Severity
    }
);

/// Chart markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Markers {
    Braille,
    Block,
    Ascii,
}

section!(
    Ui,
    UiPatch {
        markers: Markers,
        mouse: bool,
        color: bool,
        sort: SortKey,
    }
);

bounded!(Seconds, u64, 1, 86_400);

section!(
    Refresh,
    RefreshPatch {
        list_secs: Seconds,
        metrics_secs: Seconds,
        transition_secs: Seconds,
        // Earlier names of `[firehose] visible_refresh_secs` and
        // `sweep_minutes`: a file that sets them keeps working, and wins.
        visible_secs: Option<Seconds>,
        background_secs: Option<Seconds>,
    }
);

// A sweep of a week at most: CloudTrail names changes sooner, and the
// sweep only verifies.
bounded!(SweepMinutes, u64, 1, 10_080);
// Firehose allows 5 describes a second per account and region (300 a
// minute) for every caller: the idle dashboard may not take them all.
bounded!(IdleDescribes, u32, 1, 300);

section!(
    Firehose,
    FirehosePatch {
        visible_refresh_secs: Seconds,
        sweep_minutes: SweepMinutes,
        idle_describes_per_minute: IdleDescribes,
    }
);

/// `[keys]`: each action's keys, by the action's name.
macro_rules! keys {
    ($($field:ident),* $(,)?) => {
        section!(Keys, KeysPatch { $($field: Bindings),* });

        impl Keys {
            /// The keys of the action the file calls `name`.
            pub fn get(&self, name: &str) -> Option<&Bindings> {
                match name {
                    $(stringify!($field) => Some(&self.$field),)*
                    _ => None,
                }
            }

            pub fn get_mut(&mut self, name: &str) -> Option<&mut Bindings> {
                match name {
                    $(stringify!($field) => Some(&mut self.$field),)*
                    _ => None,
                }
            }
        }
    };
}

keys!(
    up,
    down,
    top,
    bottom,
    page_up,
    page_down,
    open,
    back,
    filter,
    sort,
    only_kms_errors,
    only_unencrypted,
    window,
    refresh,
    rotate,
    disable,
    keys,
    rotate_material,
    auto_rotation,
    move_off,
    help,
    quit,
    filter_keep,
    filter_clear,
    erase,
    picker_up,
    picker_down,
    pick,
    cancel,
    confirm_yes,
    confirm_no,
    period_shorter,
    period_longer,
    submit_name,
    messages,
    dismiss,
    ack,
    copy_arn,
    command,
    complete,
    raw,
);

/// The keys of one action as the file writes them (`"j"`, `"Ctrl-r"`,
/// `"PageDown"`): which of them are keys is the keymap's to say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bindings(pub Vec<String>);

impl<'de> Deserialize<'de> for Bindings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Bindings, D::Error> {
        d.deserialize_seq(BindingsVisitor)
    }
}

/// Reads a list of key names; its `expecting` is what a user who wrote
/// `up = "k"` is told to write instead.
struct BindingsVisitor;

impl<'de> Visitor<'de> for BindingsVisitor {
    type Value = Bindings;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a list of keys, like ["k", "Up"]"#)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Bindings, A::Error> {
        let mut keys = Vec::new();
        while let Some(name) = seq.next_element::<String>()? {
            keys.push(name);
        }
        Ok(Bindings(keys))
    }
}

/// Why the keymap cannot use the bindings: the actions whose keys to
/// change, in the order the config lists them, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRefusal {
    pub actions: Vec<&'static str>,
    pub message: String,
}

/// The keymap's check of `[keys]`, run as the file is read so a binding
/// that cannot work is refused with its line. It may change the bindings
/// (a key the user's file binds is taken from an action that has it only by
/// default); the `Fn` tells whether the user's file names an action.
pub type KeyCheck = fn(&mut Keys, &dyn Fn(&str) -> bool) -> Result<(), KeyRefusal>;

/// Every setting firekeeper has.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub read_only: bool,
    pub aws: Aws,
    pub status: Status,
    pub ledger: Ledger,
    pub cloudtrail: CloudTrail,
    pub cloudwatch: CloudWatch,
    pub alerts: Alerts,
    pub health: HealthRules,
    pub ui: Ui,
    pub refresh: Refresh,
    pub firehose: Firehose,
    pub keys: Keys,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table of settings")]
struct ConfigPatch {
    read_only: Option<bool>,
    #[serde(default)]
    aws: AwsPatch,
    #[serde(default)]
    status: StatusPatch,
    #[serde(default)]
    ledger: LedgerPatch,
    #[serde(default)]
    cloudtrail: CloudTrailPatch,
    #[serde(default)]
    cloudwatch: CloudWatchPatch,
    #[serde(default)]
    alerts: AlertsPatch,
    #[serde(default)]
    health: HealthRulesPatch,
    #[serde(default)]
    ui: UiPatch,
    #[serde(default)]
    refresh: RefreshPatch,
    #[serde(default)]
    firehose: FirehosePatch,
    #[serde(default)]
    keys: KeysPatch,
}

/// A config file that could not be used, with what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `--config` names something that is not a file: a usage error.
    #[error("config file {path}: {source}")]
    NotAFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is over the 1 MB limit for a config file: is it the right file?")]
    TooLarge { path: PathBuf },
    /// `key` is `[section] name`, `[section]` or a top-level name; none only
    /// when the line sets no key (a syntax error on a line of its own).
    #[error("{path}:{line}: {}{message}", key_prefix(.key))]
    Invalid {
        path: PathBuf,
        line: usize,
        key: Option<String>,
        message: String,
    },
}

fn key_prefix(key: &Option<String>) -> String {
    key.as_ref().map(|k| format!("{k}: ")).unwrap_or_default()
}

impl Config {
    /// The built-in defaults.
    pub fn builtin() -> Config {
        // Covered by a test; the file ships inside the binary.
        #[allow(clippy::expect_used)]
        toml::from_str(DEFAULT_TOML).expect("config/default.toml is valid")
    }

    /// Defaults patched by `explicit` if given, else by the user's file in the
    /// platform config dir if there is one.
    pub fn load(explicit: Option<&Path>, check: KeyCheck) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match default_path() {
                Some(p) if p.exists() => p,
                _ => return Ok(Config::builtin()),
            },
        };
        let text = file::read(&path)?;
        Config::parse(&text, &path, check)
    }

    /// Defaults patched by the TOML `text`, read from `path`, the key
    /// bindings passed by `check`; a relative `[ledger] path` is taken
    /// relative to `path`'s directory.
    pub fn parse(text: &str, path: &Path, check: KeyCheck) -> Result<Config, ConfigError> {
        let patch: ConfigPatch = file::parse(text, path)?;
        let mut config = Config::builtin();
        if let Some(v) = patch.read_only {
            config.read_only = v;
        }
        config.aws.apply(patch.aws);
        config.status.apply(patch.status);
        config.ledger.apply(patch.ledger);
        config.cloudtrail.apply(patch.cloudtrail);
        config.cloudwatch.apply(patch.cloudwatch);
        config.alerts.apply(patch.alerts);
        config.health.apply(patch.health);
        config.ui.apply(patch.ui);
        config.refresh.apply(patch.refresh);
        config.firehose.apply(patch.firehose);
        config.keys.apply(patch.keys);
        check(&mut config.keys, &|name| file::sets(text, &["keys", name])).map_err(|refusal| {
            // Name the last action the user's file sets: the others may be
            // defaults the file never mentions.
            let named = refusal
                .actions
                .iter()
                .rev()
                .find(|n| file::sets(text, &["keys", n]))
                .or(refusal.actions.first());
            match named {
                Some(named) => file::invalid(text, path, &["keys", named], refusal.message),
                None => file::invalid(text, path, &["keys"], refusal.message),
            }
        })?;
        config.ledger.path = file::resolve_path(&config.ledger.path, path)
            .map_err(|message| file::invalid(text, path, &["ledger", "path"], message))?;
        Ok(config)
    }
}

/// `$XDG_CONFIG_HOME/firekeeper/config.toml` on Linux, the platform's equivalent elsewhere.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "firekeeper").map(|d| d.config_dir().join("config.toml"))
}

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
