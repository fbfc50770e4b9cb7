//! Which targets a command acts on and how each is reached: the simulator or
//! AWS, paced; the ledger and audit log they share; and the environment
//! checked before the SDK reads it.

use std::num::NonZeroU32;

use crate::audit::AuditLog;
use crate::cloud::aws::{AwsCloud, Connection};
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::{Cloud, Paced};
use crate::config::Config;
use crate::estate::{self, TargetInfo, TargetSpec};
use crate::quota::Ledger;
use crate::text;

use super::Cli;

/// A mistake in how firekeeper was called that clap could not see (an
/// environment variable): exit 2, as for clap's own usage errors.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// The profile of a single-target command.
pub fn profile(cli: &Cli, config: &Config) -> Option<String> {
    targets(cli, config)
        .first()
        .and_then(|t| t.profile.clone())
        .or_else(|| std::env::var("AWS_PROFILE").ok())
}

/// The variables the AWS SDK takes an endpoint from, for all services and
/// for each that firekeeper calls; `--endpoint-url` overrides them all.
const ENDPOINT_VARS: [&str; 7] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_FIREHOSE",
    "AWS_ENDPOINT_URL_KMS",
    "AWS_ENDPOINT_URL_CLOUDWATCH",
    "AWS_ENDPOINT_URL_CLOUDTRAIL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_CONFIG_SERVICE",
];

/// The variables the SDK takes a region from when `--region` is not given,
/// the first one set winning.
const REGION_VARS: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];

/// Refuses what the SDK would panic on or misread: an empty or malformed
/// endpoint or region in the environment. The flags are checked by clap.
pub fn check_environment(cli: &Cli) -> Result<(), Usage> {
    let ignored = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    if cli.endpoint_url.is_none() && !ignored {
        for name in ENDPOINT_VARS {
            check_var(name, crate::cloud::endpoint::url)?;
        }
    }
    let region_var = REGION_VARS
        .into_iter()
        .find(|name| std::env::var_os(name).is_some());
    match region_var {
        Some(name) if cli.regions.is_empty() => check_var(name, crate::model::region_name),
        _ => Ok(()),
    }
}

/// The variable `name`, if set, passes `check`; the error names both.
fn check_var(name: &str, check: fn(&str) -> Result<String, String>) -> Result<(), Usage> {
    let Some(value) = std::env::var_os(name) else {
        return Ok(());
    };
    let value = value.to_string_lossy();
    check(&value)
        .map(drop)
        .map_err(|why| Usage(format!("invalid value '{value}' for {name}: {why}")))
}

pub fn endpoint(cli: &Cli) -> Option<String> {
    cli.endpoint_url
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
}

/// `$XDG_DATA_HOME/firekeeper/audit.jsonl` (the demo keeps a log of its own).
pub fn audit_log(cli: &Cli) -> anyhow::Result<AuditLog> {
    AuditLog::default_path(cli.demo)
        .map(AuditLog::at)
        .ok_or_else(|| anyhow::anyhow!("no home directory to keep the audit log in"))
}

/// The cloud to talk to for one target: the simulator for `--demo`, else
/// AWS; either way paced to the configured Firehose and CloudTrail budgets,
/// which AWS counts per account and region, so each target has its own.
pub async fn connect(
    cli: &Cli,
    config: &Config,
    target: &TargetSpec,
) -> anyhow::Result<Box<dyn Cloud>> {
    let per_second =
        NonZeroU32::new(config.aws.firehose_calls_per_second.0).unwrap_or(NonZeroU32::MIN);
    let history = NonZeroU32::new(config.cloudtrail.calls_per_second.0).unwrap_or(NonZeroU32::MIN);
    if cli.demo {
        let mut scenario = Scenario::builtin();
        if let Some(n) = cli.demo_streams {
            scenario = scenario.scaled(n as usize);
        }
        let targets = targets(cli, config);
        let account = targets
            .iter()
            .filter_map(|t| t.profile.as_ref())
            .position(|p| Some(p) == target.profile.as_ref())
            .unwrap_or(0);
        let region = target
            .region
            .clone()
            .unwrap_or_else(|| scenario.region.clone());
        let sim = SimCloud::new(scenario.in_target(&region, account));
        return Ok(Box::new(Paced::new(sim, per_second, history)));
    }
    check_environment(cli)?;
    let conn = Connection {
        profile: target.profile.clone(),
        region: target.region.clone(),
        endpoint_url: cli.endpoint_url.clone(),
        call_timeout: std::time::Duration::from_secs(config.aws.call_timeout_secs.0),
    };
    let aws = AwsCloud::connect(&conn).await?;
    Ok(Box::new(Paced::new(aws, per_second, history)))
}

/// The targets asked for: every profile in every region, flags first.
pub fn targets(cli: &Cli, config: &Config) -> Vec<TargetSpec> {
    estate::targets(&cli.profiles, &cli.regions, config)
}

/// One target connected, or why it could not be.
pub struct Connected {
    pub info: TargetInfo,
    pub cloud: anyhow::Result<Box<dyn Cloud>>,
}

/// Every target, connected at once: one that cannot be (no credentials, no
/// region) is reported with its error, and does not hold back the others.
/// With a single target its error is the command's, as it always was.
pub async fn connect_all(cli: &Cli, config: &Config) -> anyhow::Result<Vec<Connected>> {
    let targets = targets(cli, config);
    if targets.len() == 1 {
        let cloud = connect(cli, config, &targets[0]).await?;
        let info = info_of(cli, &targets[0], Some(cloud.region()), false);
        return Ok(vec![Connected {
            info,
            cloud: Ok(cloud),
        }]);
    }
    check_environment(cli)?;
    let many = estate::many_profiles(&targets);
    let clouds = futures::future::join_all(targets.iter().map(|t| connect(cli, config, t))).await;
    let mut out: Vec<Connected> = Vec::new();
    for (target, cloud) in targets.iter().zip(clouds) {
        let region = cloud.as_ref().ok().map(|c| c.region().to_string());
        let mut info = info_of(cli, target, region.as_deref(), many);
        if let Err(e) = &cloud {
            info.error = Some(text::one_line(e));
        }
        // The same profile and region asked twice (a region given by name
        // and by the profile's default): one target, read once.
        if out.iter().any(|o| o.info.target.label == info.target.label) {
            continue;
        }
        out.push(Connected { info, cloud });
    }
    Ok(out)
}

fn info_of(cli: &Cli, target: &TargetSpec, region: Option<&str>, many: bool) -> TargetInfo {
    let profile = target.profile.clone().or_else(|| {
        (!cli.demo)
            .then(|| std::env::var("AWS_PROFILE").ok())
            .flatten()
    });
    let region = region.map(str::to_string).or_else(|| target.region.clone());
    TargetInfo {
        target: crate::model::Target {
            label: estate::label(
                profile.as_deref(),
                region.as_deref().unwrap_or("no region"),
                many,
            ),
            profile,
            account: None,
            region,
        },
        ..TargetInfo::default()
    }
}

/// The one target a change acts on: with several configured, the user
/// must pick one, and is told how.
pub async fn connect_one(cli: &Cli, config: &Config) -> anyhow::Result<Box<dyn Cloud>> {
    let targets = targets(cli, config);
    if let [target] = targets.as_slice() {
        return connect(cli, config, target).await;
    }
    let names: Vec<String> = targets
        .iter()
        .map(|t| {
            let region = t.region.as_deref().unwrap_or("its region");
            match &t.profile {
                Some(p) => format!("{p} in {region}"),
                None => region.to_string(),
            }
        })
        .collect();
    Err(Usage(format!(
        "a change acts on one account and region, and {} are configured ({}): pick one with --region{}",
        targets.len(),
        names.join(", "),
        if estate::many_profiles(&targets) {
            " and --profile"
        } else {
            ""
        }
    ))
    .into())
}

/// The demo's account starts afresh every run, so its ledger lives in memory.
pub fn ledger(cli: &Cli, config: &Config) -> Ledger {
    if cli.demo {
        return Ledger::in_memory();
    }
    if !config.ledger.path.as_os_str().is_empty() {
        // A configured path (made absolute by Config::load) is where a team
        // keeps its shared ledger.
        return Ledger::shared(config.ledger.path.clone());
    }
    Ledger::default_path().map_or_else(Ledger::in_memory, Ledger::at)
}
