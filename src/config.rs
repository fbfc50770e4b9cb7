//! Settings: the defaults in `config/default.toml` (compiled in), patched by the
//! user's file. Every mistake in the user's file is an error naming file, line
//! and key: a silently ignored setting is worse than a refusal.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Visitor};
use serde::Deserialize;

use crate::keymap::{KeyList, Keymap, QuitKeys, UserAction};
use crate::model::{Severity, SortKey, Window};

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
bounded!(QuotaWarning, u32, 0, i64::from(crate::quota::LIMIT));
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
    }
);

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
        names(d, crate::cloud::endpoint::region).map(Regions)
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

bounded!(QuotaLow, u32, 0, i64::from(crate::quota::LIMIT));
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
        visible_secs: Seconds,
        background_secs: Seconds,
    }
);

section!(
    Keys,
    KeysPatch {
        up: KeyList,
        down: KeyList,
        top: KeyList,
        bottom: KeyList,
        page_up: KeyList,
        page_down: KeyList,
        open: KeyList,
        back: KeyList,
        filter: KeyList,
        sort: KeyList,
        only_kms_errors: KeyList,
        only_unencrypted: KeyList,
        window: KeyList,
        refresh: KeyList,
        rotate: KeyList,
        disable: KeyList,
        keys: KeyList,
        rotate_material: KeyList,
        auto_rotation: KeyList,
        move_off: KeyList,
        help: KeyList,
        quit: QuitKeys,
        filter_keep: KeyList,
        filter_clear: KeyList,
        erase: KeyList,
        picker_up: KeyList,
        picker_down: KeyList,
        pick: KeyList,
        cancel: KeyList,
        confirm_yes: KeyList,
        confirm_no: KeyList,
        period_shorter: KeyList,
        period_longer: KeyList,
        submit_name: KeyList,
        messages: KeyList,
        dismiss: KeyList,
        ack: KeyList,
    }
);

/// The field of `Keys` holding an action's keys, borrowed with `$r`.
macro_rules! field_of {
    ($s:ident, $action:expr, $($r:tt)+) => {{
        use UserAction as A;
        match $action {
            A::Up => { $($r)+ $s.up }
            A::Down => { $($r)+ $s.down }
            A::Top => { $($r)+ $s.top }
            A::Bottom => { $($r)+ $s.bottom }
            A::PageUp => { $($r)+ $s.page_up }
            A::PageDown => { $($r)+ $s.page_down }
            A::Open => { $($r)+ $s.open }
            A::Back => { $($r)+ $s.back }
            A::Filter => { $($r)+ $s.filter }
            A::Sort => { $($r)+ $s.sort }
            A::OnlyKmsErrors => { $($r)+ $s.only_kms_errors }
            A::OnlyUnencrypted => { $($r)+ $s.only_unencrypted }
            A::Window => { $($r)+ $s.window }
            A::Refresh => { $($r)+ $s.refresh }
            A::Switch => { $($r)+ $s.rotate }
            A::Disable => { $($r)+ $s.disable }
            A::Keys => { $($r)+ $s.keys }
            A::RotateMaterial => { $($r)+ $s.rotate_material }
            A::AutoRotation => { $($r)+ $s.auto_rotation }
            A::MoveOff => { $($r)+ $s.move_off }
            A::Help => { $($r)+ $s.help }
            A::Quit => { $($r)+ $s.quit.0 }
            A::FilterKeep => { $($r)+ $s.filter_keep }
            A::FilterClear => { $($r)+ $s.filter_clear }
            A::Erase => { $($r)+ $s.erase }
            A::PickerUp => { $($r)+ $s.picker_up }
            A::PickerDown => { $($r)+ $s.picker_down }
            A::Pick => { $($r)+ $s.pick }
            A::Cancel => { $($r)+ $s.cancel }
            A::ConfirmYes => { $($r)+ $s.confirm_yes }
            A::ConfirmNo => { $($r)+ $s.confirm_no }
            A::PeriodShorter => { $($r)+ $s.period_shorter }
            A::PeriodLonger => { $($r)+ $s.period_longer }
            A::SubmitName => { $($r)+ $s.submit_name }
            A::Messages => { $($r)+ $s.messages }
            A::Dismiss => { $($r)+ $s.dismiss }
            A::Ack => { $($r)+ $s.ack }
        }
    }};
}

impl Keys {
    pub fn keymap(&self) -> Keymap {
        let bindings = UserAction::ALL
            .iter()
            .map(|a| (*a, self.keys_of(*a).clone()))
            .collect();
        Keymap { bindings }
    }

    fn keys_of(&self, action: UserAction) -> &KeyList {
        field_of!(self, action, &)
    }

    fn keys_of_mut(&mut self, action: UserAction) -> &mut KeyList {
        field_of!(self, action, &mut)
    }

    /// A key the user's file binds to an action is taken from any other
    /// action of the same screen that has it only by default: a key added to
    /// the defaults in a new version must not turn a file that worked into
    /// one that is refused. The default action must keep another key (`j`
    /// taken from `down` leaves it `Down`). `set` tells whether the file
    /// names an action.
    fn yield_defaults(&mut self, set: impl Fn(UserAction) -> bool) {
        while let Some(problem) = self.keymap().clash_problem() {
            let [a, b] = [problem.actions[0], problem.actions[1]];
            let (mine, default) = match (set(a), set(b)) {
                (true, false) => (a, b),
                (false, true) => (b, a),
                // Both the user's, or both defaults: refused as it is.
                _ => return,
            };
            let taken = self.keys_of(mine).0.clone();
            let left = &mut self.keys_of_mut(default).0;
            if left.iter().all(|k| taken.contains(k)) {
                // The default would be left with no key at all: refused,
                // with the clash named, rather than an action lost unseen.
                return;
            }
            left.retain(|k| !taken.contains(k));
        }
    }
}

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
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match default_path() {
                Some(p) if p.exists() => p,
                _ => return Ok(Config::builtin()),
            },
        };
        let text = file::read(&path)?;
        Config::parse(&text, &path)
    }

    /// Defaults patched by the TOML `text`, read from `path`; a relative
    /// `[ledger] path` is taken relative to `path`'s directory.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
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
        config.keys.apply(patch.keys);
        config
            .keys
            .yield_defaults(|a| file::sets(text, &["keys", a.name()]));
        if let Some(problem) = config.keys.keymap().problem() {
            // Name the last action the user's file sets: the others may be
            // defaults the file never mentions.
            let names: Vec<&str> = problem.actions.iter().map(|a| a.name()).collect();
            let named = names
                .iter()
                .rev()
                .find(|n| file::sets(text, &["keys", n]))
                .unwrap_or(&names[0]);
            return Err(file::invalid(text, path, &["keys", named], problem.message));
        }
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
