//! The command line.

use std::path::PathBuf;

pub use crate::dashboard::watch::WatchOutput;
use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cloud::endpoint;
use crate::model::recorded::aggregator_name;
use crate::model::{region_name, Window};

pub mod aggregate;
pub mod change;
pub mod connect;
pub mod key_material;
pub mod moving;
pub mod run;
pub mod signals;

pub use crate::model::exit;

/// Keep Amazon Data Firehose streams encrypted: see which streams are encrypted
/// and with which KMS key, whether KMS is refusing Firehose, and how much of the
/// Start/Stop quota is left. With no command, opens the live dashboard.
#[derive(Debug, Parser)]
#[command(name = "firekeeper", version)]
pub struct Cli {
    /// Run against a built-in simulation of Firehose, KMS and CloudWatch (no AWS account needed).
    #[arg(long, global = true)]
    pub demo: bool,

    /// Number of streams in the demo (1 to 10000); the first ~40 are the shipped scenario.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub demo_streams: Option<u32>,

    /// AWS profile from the shared config and credentials files (as in the aws CLI; AWS_PROFILE works too).
    /// Repeat it, or give a comma list, to watch several accounts (also `[aws] profiles`).
    #[arg(long = "profile", global = true, value_name = "NAME", value_delimiter = ',', value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub profiles: Vec<String>,

    /// AWS region (as in the aws CLI; AWS_REGION works too). Repeat it, or
    /// give a comma list, to watch several regions (also `[aws] regions`).
    #[arg(long = "region", global = true, value_name = "REGION", value_delimiter = ',', value_parser = region_name)]
    pub regions: Vec<String>,

    /// Also list the streams of every account and region this AWS Config
    /// aggregator covers (also `[aws] aggregator`), read with the first
    /// profile in the first region: those without credentials here are
    /// shown read-only, from AWS Config's records.
    #[arg(long, global = true, value_name = "NAME", value_parser = aggregator_name)]
    pub aggregator: Option<String>,

    /// Send every AWS call to this endpoint instead (as in the aws CLI; AWS_ENDPOINT_URL works too).
    #[arg(long, global = true, value_name = "URL", value_parser = endpoint::url)]
    pub endpoint_url: Option<String>,

    /// Settings file to use instead of $XDG_CONFIG_HOME/firekeeper/config.toml.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Refuse every change to a stream (also `read_only = true` in the config).
    #[arg(long, global = true)]
    pub read_only: bool,

    /// No colours in the dashboard (also NO_COLOR, or `[ui] color = false`).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// KMS error window the dashboard opens with, and `status` uses when it is
    /// not given one of its own (default from the config: 3h).
    #[arg(long, value_parser = window())]
    pub window: Option<Window>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print every stream's encryption, KMS errors, quota and health, then exit:
    /// 0 every stream ok or warning; 3 any stream critical; 1 any stream's
    /// health unknown (a fact could not be read: stderr says why), a --stream
    /// name AWS does not have, or an error (no credentials, no answer).
    Status(StatusArgs),
    /// Encrypt a stream with another key (or enable encryption): StartDeliveryStreamEncryption.
    /// Sent once, never retried: if the answer is lost, firekeeper reads the
    /// stream to find out. Exit codes: 0 done, 1 AWS or runtime error or
    /// outcome unknown, 4 refused (locally, nothing sent; or by AWS for a key
    /// at its 500-stream limit, or for the stream's limit after --force), 5
    /// AWS reported ENABLING_FAILED, 130/143/129 stopped by
    /// SIGINT/SIGTERM/SIGHUP (every call ends on record first).
    Rotate(RotateArgs),
    /// Stop a stream's encryption: StopDeliveryStreamEncryption.
    /// Exit codes as for rotate (5: DISABLING_FAILED).
    Disable(DisableArgs),
    /// Rotate a customer key's material (KMS), now or on a schedule. It
    /// spends no Firehose call, and the streams on the key keep using it.
    Key(KeyArgs),
    /// Watch the fleet without a terminal and print one line per alert (a
    /// stream worse or recovered, a key in use disabled or enabled again, a
    /// quota low, a discard deadline near, a target lost or back, a change
    /// by someone else), after a first line with the fleet's state; runs
    /// `[alerts] command` for each. Paced as the dashboard. Exit code: 0
    /// when --for ends or it is stopped; 1 on its own failure.
    Watch(WatchArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,

    /// KMS error window (default from the config: 3h).
    #[arg(long, value_parser = window())]
    pub window: Option<Window>,

    /// Only this stream (repeat for several).
    #[arg(long = "stream", value_name = "NAME")]
    pub streams: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Output format: a line for a person, or one JSON object a line.
    #[arg(long, value_parser = watch_output(), default_value = "human")]
    pub output: WatchOutput,

    /// Stop after this long (30s, 10m, 2h, 1d); until stopped otherwise.
    #[arg(long = "for", value_name = "DURATION", value_parser = duration)]
    pub run_for: Option<std::time::Duration>,
}

/// `watch --output` by the names the command line takes: clap's side of
/// `WatchOutput`, so that the dashboard knows nothing of clap.
fn watch_output() -> impl TypedValueParser<Value = WatchOutput> {
    clap::builder::PossibleValuesParser::new(["human", "jsonl"]).map(|name| match name.as_str() {
        "jsonl" => WatchOutput::Jsonl,
        _ => WatchOutput::Human,
    })
}

/// The KMS error windows by the names the command line takes (`1h` …
/// `24h`): clap's side of `Window`, so that `model` knows nothing of clap.
fn window() -> impl TypedValueParser<Value = Window> {
    clap::builder::PossibleValuesParser::new(Window::ALL.map(Window::label)).try_map(|name| {
        Window::ALL
            .into_iter()
            .find(|w| w.label() == name)
            .ok_or_else(|| format!("not a window: {name}"))
    })
}

/// "30s", "10m", "2h", "1d": a whole number and its unit.
fn duration(s: &str) -> Result<std::time::Duration, String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("'{s}' is not a duration: use e.g. 30s, 10m, 2h or 1d"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("'{s}': the unit is s, m, h or d (e.g. 10m)")),
    };
    (secs > 0)
        .then(|| std::time::Duration::from_secs(secs))
        .ok_or_else(|| format!("'{s}': a duration must be longer than zero"))
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The delivery stream.
    #[arg(required_unless_present = "from_key")]
    pub stream: Option<String>,
    /// The key: a key id, key ARN, alias/NAME, alias ARN, or aws-owned.
    #[arg(long, value_name = "KEY")]
    pub key: String,
    /// Move every stream on this key to --key instead (planned first; each
    /// stream checked, refused ones skipped; exit 5 if any ended in
    /// ENABLING_FAILED, 4 if nothing could be sent).
    #[arg(long, value_name = "OLD", conflicts_with = "stream")]
    pub from_key: Option<String>,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    /// Send even when firekeeper refuses on a reading AWS may not share:
    /// only calls AWS refused fill the stream's 25 a day (AWS does not
    /// document whether they count), or KMS denied a dry run of Firehose's
    /// grant on the key. AWS's answer settles it, and is recorded.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    pub command: KeyCommand,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Rotate KEY's material now (RotateKeyOnDemand), and follow it until KMS
    /// says it is done. Sent once. Exit codes: 0 done, 1 AWS or runtime
    /// error or outcome unknown, 4 refused (locally, nothing sent).
    Rotate {
        /// A key id, key ARN, alias/NAME or alias ARN.
        key: String,
        #[command(flatten)]
        confirm: ConfirmArgs,
    },
    /// Turn KEY's automatic rotation on (every --period-days) or off. Exit
    /// codes as for `key rotate`.
    AutoRotation {
        /// A key id, key ARN, alias/NAME or alias ARN.
        key: String,
        state: OnOff,
        /// Days between rotations, 90 to 2560 (default 365); with `on` only.
        #[arg(long, value_parser = clap::value_parser!(u32).range(90..=2560))]
        period_days: Option<u32>,
        #[command(flatten)]
        confirm: ConfirmArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Args)]
pub struct DisableArgs {
    /// The delivery stream.
    pub stream: String,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    /// Send even when only calls AWS refused fill the stream's 25 a day
    /// (AWS does not document whether they count). AWS's answer settles it,
    /// and is recorded.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ConfirmArgs {
    /// Do not ask for confirmation (needed without a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Return once AWS accepted the call instead of waiting for the outcome.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// An aligned table that fits 100 columns.
    Table,
    /// One JSON object, for scripts.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli =
            Cli::try_parse_from(["firekeeper", "status", "--demo", "--window", "24h"]).unwrap();
        assert!(cli.demo);
        let Some(Command::Status(args)) = cli.command else {
            panic!("status expected")
        };
        assert_eq!(args.window, Some(Window::H24));
    }

    #[test]
    fn bad_values_are_usage_errors_naming_the_value() {
        let err = Cli::try_parse_from(["firekeeper", "status", "--window", "2h"]).unwrap_err();
        assert!(err.to_string().contains("'2h'"), "{err}");
        let err = Cli::try_parse_from(["firekeeper", "--demo-streams", "20000"]).unwrap_err();
        assert!(err.to_string().contains("20000"), "{err}");
    }

    #[test]
    fn regions_and_profiles_repeat_or_come_as_comma_lists() {
        let cli = Cli::try_parse_from([
            "firekeeper",
            "status",
            "--region",
            "us-east-1,eu-west-1",
            "--region",
            "ap-south-1",
            "--profile",
            "prod,staging",
        ])
        .unwrap();
        assert_eq!(cli.regions, ["us-east-1", "eu-west-1", "ap-south-1"]);
        assert_eq!(cli.profiles, ["prod", "staging"]);
        let err =
            Cli::try_parse_from(["firekeeper", "--region", "us-east-1,,eu-west-1"]).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
    }

    #[test]
    fn empty_or_odd_aws_flags_are_usage_errors_naming_flag_and_value() {
        for (flag, value) in [
            ("--endpoint-url", ""),
            ("--endpoint-url", "notaurl"),
            ("--region", ""),
            ("--region", "us east 1"),
            ("--profile", ""),
        ] {
            let err = Cli::try_parse_from(["firekeeper", flag, value, "status"]).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{err}");
            let text = err.to_string();
            assert!(text.contains(flag), "{text}");
            // clap says "a value is required" for an empty one.
            assert!(
                value.is_empty() || text.contains(&format!("'{value}'")),
                "{text}"
            );
        }
    }
}
