//! firekeeper: a terminal dashboard for keeping Amazon Data Firehose streams
//! encrypted.

use std::io::{IsTerminal, Write};
use std::num::NonZeroU32;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{CommandFactory, Parser};

use firekeeper::app::DashboardContext;
use firekeeper::audit::AuditLog;
use firekeeper::cache::Cache;
use firekeeper::change::{self, Request};
use firekeeper::cli::signals::{self, Signals};
use firekeeper::cli::{
    exit, Cli, Command, ConfirmArgs, KeyCommand, OnOff, Output, StatusArgs, WatchArgs,
};
use firekeeper::cloud::aws::{AwsCloud, Connection};
use firekeeper::cloud::scenario::Scenario;
use firekeeper::cloud::sim::SimCloud;
use firekeeper::cloud::KeyRef;
use firekeeper::cloud::{Cloud, Paced};
use firekeeper::config::Config;
use firekeeper::dashboard;
use firekeeper::estate::{self, Target, TargetInfo};
use firekeeper::journal::{self, Sharing};
use firekeeper::quota::Ledger;
use firekeeper::settle;
use firekeeper::status;
use firekeeper::text;
use firekeeper::trail::Trail;

/// A mistake in how firekeeper was called that clap could not see (an
/// environment variable): exit 2, as for clap's own usage errors.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Usage(String);

/// An argument holding a control, bidi or invisible character is refused
/// before clap sees it, named with those characters escaped: clap would echo
/// it in an error, and its plain rendering drops escape sequences whole, so
/// the value shown would not be the value given. No stream, key, region,
/// profile or file name firekeeper takes needs one.
fn refuse_hostile_arguments() -> Option<ExitCode> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    for (i, arg) in args.iter().enumerate() {
        let lossy = arg.to_string_lossy();
        if text::escape(&lossy) != lossy {
            eprintln!(
                "firekeeper: argument {} ('{}') holds control or invisible characters: type it again without them",
                i + 1,
                text::escape(&lossy)
            );
            return Some(ExitCode::from(exit::USAGE));
        }
    }
    None
}

/// Clap's own answer: help and version as clap prints them; a usage error
/// through the text policy, since clap echoes the offending value
/// (`--region $'us-east-1\e]2;HIJACKED\a'` must not retitle the window).
fn clap_exit(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || matches!(
            e.kind(),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        )
    {
        // firekeeper's own text, with clap's colours when it chose them.
        let _ = e.print();
    } else {
        // Plain text: clap's styling escapes would be escaped in turn.
        eprint!("{}", text::for_terminal(&e.render().to_string()));
    }
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(exit::USAGE))
}

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    if let Some(code) = refuse_hostile_arguments() {
        return code;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("firekeeper: cannot start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    let result = runtime.block_on(run(cli, started));
    // A thread stuck in a file system that does not answer (a stale NFS
    // ledger) must not keep the process: every file read has its deadline
    // and was reported; what is left is abandoned.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("firekeeper: {}", text::for_terminal(&text::one_line(&e)));
            let not_a_file = matches!(
                e.downcast_ref::<firekeeper::config::ConfigError>(),
                Some(firekeeper::config::ConfigError::NotAFile { .. })
            );
            let code = if e.is::<Usage>() || not_a_file {
                exit::USAGE
            } else {
                exit::ERROR
            };
            ExitCode::from(code)
        }
    }
}

async fn run(cli: Cli, started: std::time::Instant) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    match &cli.command {
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "firekeeper",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Status(args)) => status(&cli, &config, args).await,
        Some(Command::Rotate(args)) => match (&args.from_key, &args.stream) {
            (Some(old), _) => {
                // The move answers each signal itself: a first Ctrl-C
                // stops sending and follows what was sent.
                let mut signals = Signals::catch()?;
                move_off(
                    &cli,
                    &config,
                    (old, &args.key),
                    (&args.confirm, args.force),
                    &mut signals,
                )
                .await
            }
            (None, Some(stream)) => {
                let request = Request::Switch {
                    stream: stream.clone(),
                    key: KeyRef::parse(&args.key),
                };
                signalled(change(&cli, &config, request, (&args.confirm, args.force))).await
            }
            (None, None) => Err(Usage("rotate needs a STREAM, or --from-key OLD".into()).into()),
        },
        Some(Command::Disable(args)) => {
            let request = Request::Disable {
                stream: args.stream.clone(),
            };
            signalled(change(&cli, &config, request, (&args.confirm, args.force))).await
        }
        Some(Command::Key(args)) => signalled(key(&cli, &config, &args.command)).await,
        Some(Command::Watch(args)) => watch(&cli, &config, args).await,
        None => dashboard(&cli, config, started).await,
    }
}

/// A command that may send calls, run until it ends or SIGINT, SIGTERM or
/// SIGHUP comes: then it is dropped, its changes end on record, and the
/// exit code is the signal's (see `cli::signals`).
async fn signalled(
    work: impl std::future::Future<Output = anyhow::Result<ExitCode>>,
) -> anyhow::Result<ExitCode> {
    let mut signals = Signals::catch()?;
    tokio::select! {
        done = work => done,
        signal = signals.next() => Ok(ExitCode::from(signals::stopped_by(signal))),
    }
}

/// `firekeeper rotate --from-key OLD --key NEW`: every stream off a key.
async fn move_off(
    cli: &Cli,
    config: &Config,
    (old, new): (&str, &str),
    (confirm, force): (&ConfirmArgs, bool),
    signals: &mut Signals,
) -> anyhow::Result<ExitCode> {
    let ready = async {
        let cloud = connect_one(cli, config).await?;
        let ctx = change::ChangeContext {
            force,
            ..change_context(cli, config, cloud.as_ref()).await?
        };
        anyhow::Ok((cloud, ctx))
    };
    let (cloud, ctx) = tokio::select! {
        ready = ready => ready?,
        signal = signals.next() => return Ok(ExitCode::from(signals::stopped_by(signal))),
    };
    let how = change::moving::Run {
        confirm,
        concurrency: config.aws.describe_concurrency.0,
        calls_per_second: config.aws.firehose_calls_per_second.0,
    };
    let to = KeyRef::parse(new);
    let code = change::moving::run(cloud.as_ref(), &ctx, (old, &to), how, signals).await;
    Ok(ExitCode::from(code))
}

/// Who is changing what, where: for every command that changes something.
async fn change_context(
    cli: &Cli,
    config: &Config,
    cloud: &dyn Cloud,
) -> anyhow::Result<change::ChangeContext> {
    let identity = cloud.identity().await?;
    let ctx = change::ChangeContext {
        account: Some(identity.account.clone()),
        caller: Some(identity.arn),
        region: cloud.region().to_string(),
        ledger: ledger(cli, config),
        trail: Trail::from_config(config),
        audit: audit_log(cli)?,
        read_only: cli.read_only || config.read_only,
        stop: Default::default(),
        force: false,
    };
    // Before the quota is counted for this change: a call an earlier run
    // left open may free a slot, or take one.
    let books = settle::Books {
        audit: &ctx.audit,
        ledger: &ctx.ledger,
        account: ctx.account.as_deref(),
        region: &ctx.region,
        trail: ctx.trail.reading(),
    };
    say_settled(settle::settle(cloud, books).await);
    Ok(ctx)
}

/// Each call an earlier run left open, as this run settled it, on stderr.
/// A failure to settle is said and does not stop the run: the calls stay
/// open for the next.
fn say_settled(settled: Result<Vec<settle::Settled>, settle::SettleError>) {
    match settled {
        Ok(settled) => {
            for s in settled {
                signals::err(&format!(
                    "firekeeper: {}",
                    text::for_terminal(&s.sentence())
                ));
            }
        }
        Err(e) => signals::err(&format!(
            "firekeeper: the calls an earlier run left open were not settled: {}",
            text::for_terminal(&e.to_string())
        )),
    }
}

/// `status` settles first what earlier runs left open, in each target read,
/// so the quota it shows counts what AWS did.
async fn settle_targets(cli: &Cli, config: &Config, connected: &[Connected], ledger: &Ledger) {
    let Ok(audit) = audit_log(cli) else {
        return;
    };
    let trail = Trail::from_config(config);
    // One target after another: two profiles of one account and region see
    // the same calls, and the second finds them settled by the first.
    for cloud in connected.iter().filter_map(|c| c.cloud.as_ref().ok()) {
        let books = settle::Books {
            audit: &audit,
            ledger,
            account: None,
            region: cloud.region(),
            trail: trail.reading(),
        };
        say_settled(settle::settle(cloud.as_ref(), books).await);
    }
}

/// `firekeeper key …`: a change to a key's material rotation.
async fn key(cli: &Cli, config: &Config, command: &KeyCommand) -> anyhow::Result<ExitCode> {
    use firekeeper::key_rotation::{self, KeyChange};
    let (key, change, confirm) = match command {
        KeyCommand::Rotate { key, confirm } => (key, KeyChange::RotateNow, confirm),
        KeyCommand::AutoRotation {
            key,
            state: OnOff::On,
            period_days,
            confirm,
        } => (
            key,
            KeyChange::AutoOn(period_days.unwrap_or(key_rotation::DEFAULT_PERIOD_DAYS)),
            confirm,
        ),
        KeyCommand::AutoRotation {
            period_days: Some(days),
            ..
        } => {
            return Err(Usage(format!(
                "--period-days {days} goes with `on`: automatic rotation off has no period"
            ))
            .into())
        }
        KeyCommand::AutoRotation { key, confirm, .. } => (key, KeyChange::AutoOff, confirm),
    };
    let cloud = connect_one(cli, config).await?;
    let ctx = change_context(cli, config, cloud.as_ref()).await?;
    let concurrency = config.aws.describe_concurrency.0;
    let code =
        key_rotation::cli::run(cloud.as_ref(), &ctx, key, change, confirm, concurrency).await;
    Ok(ExitCode::from(code))
}

async fn dashboard(
    cli: &Cli,
    mut config: Config,
    started: std::time::Instant,
) -> anyhow::Result<ExitCode> {
    // NO_COLOR is honoured when set to anything non-empty (no-color.org).
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if cli.no_color || no_color {
        config.ui.color = false;
    }
    let (lanes, context) = lanes(cli, &config, true).await?;
    let scope = format!("dashboard|{}", scope_of(cli, &config, &context));
    let options = dashboard::Options {
        started,
        context,
        window: cli.window.unwrap_or(config.status.window),
        scope,
    };
    let code = dashboard::run(lanes, &config, options).await?;
    Ok(ExitCode::from(code))
}

/// `firekeeper watch`: the dashboard's data, alerts instead of a screen.
async fn watch(cli: &Cli, config: &Config, args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let (lanes, context) = lanes(cli, config, false).await?;
    // Its own scope: what a dashboard showed on screen was not paged.
    let scope = format!("watch|{}", scope_of(cli, config, &context));
    let options = dashboard::watch::WatchOptions {
        context,
        window: cli.window.unwrap_or(config.status.window),
        output: args.output,
        run_for: args.run_for,
        scope,
    };
    let code = dashboard::watch::run(lanes, config, options).await?;
    Ok(ExitCode::from(code))
}

/// What a dashboard or `watch` watches, as the key its alerts are kept
/// under: the demo apart, so trying it never silences the real fleet's.
fn scope_of(cli: &Cli, config: &Config, context: &DashboardContext) -> String {
    format!(
        "{}{}|{}|{}",
        if cli.demo { "demo|" } else { "" },
        profile(cli, config).unwrap_or_default(),
        context.region,
        endpoint(cli).unwrap_or_default()
    )
}

/// Every target connected, with its change context and (for the
/// dashboard) its cache; and what the header says of them.
async fn lanes(
    cli: &Cli,
    config: &Config,
    cached: bool,
) -> anyhow::Result<(Vec<dashboard::Lane>, DashboardContext)> {
    let connected = connect_all(cli, config).await?;
    let read_only = cli.read_only || config.read_only;
    let cache_dir = (cached && !cli.demo).then(Cache::default_dir).flatten();
    let audit = audit_log(cli)?;
    let ledger = ledger(cli, config);
    let mut lanes = Vec::new();
    for Connected { info, cloud } in connected {
        let cloud: Option<Arc<dyn Cloud>> = cloud.ok().map(Into::into);
        let cache = cache_dir.clone().zip(cloud.as_ref()).map(|(dir, c)| {
            Cache::new(
                dir,
                info.profile.as_deref(),
                c.region(),
                endpoint(cli).as_deref(),
            )
        });
        // Each target its own ledger scope (its account and region, once
        // STS names it) and CloudTrail reader; one ledger file and audit log.
        let cloud = cloud.map(|cloud| {
            let changes = change::ChangeContext {
                account: None,
                caller: None,
                region: cloud.region().to_string(),
                ledger: ledger.clone(),
                trail: Trail::from_config(config),
                audit: audit.clone(),
                read_only,
                stop: Default::default(),
                force: false,
            };
            (cloud, changes)
        });
        lanes.push(dashboard::Lane { info, cloud, cache });
    }
    let region = match lanes.as_slice() {
        [one] => one.info.region.clone().unwrap_or_default(),
        many => format!("{} targets", many.len()),
    };
    let context = DashboardContext {
        account: None,
        region,
        profile: profile(cli, config),
        demo: cli.demo,
        endpoint: endpoint(cli),
        read_only,
    };
    Ok((lanes, context))
}

async fn status(cli: &Cli, config: &Config, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let connected = connect_all(cli, config).await?;
    let ledger = ledger(cli, config);
    settle_targets(cli, config, &connected, &ledger).await;
    let window = args.window.or(cli.window).unwrap_or(config.status.window);
    let parts = connected
        .iter()
        .map(|c| status::Part {
            info: c.info.clone(),
            cloud: c.cloud.as_ref().ok().map(Box::as_ref),
        })
        .collect();
    let report = status::gather_targets(parts, config, window, &args.streams, &ledger).await?;
    for t in report.failed() {
        eprintln!(
            "firekeeper: {}: {}",
            text::escape(&t.label),
            text::for_terminal(t.error.as_deref().unwrap_or_default())
        );
    }
    for name in &report.missing {
        eprintln!(
            "firekeeper: no delivery stream named {} in {}",
            text::escape(name),
            text::escape(&report.searched())
        );
    }
    let all_read = report.failed().next().is_none();
    if !report.missing.is_empty() && report.streams.is_empty() && all_read {
        return Ok(ExitCode::from(exit::ERROR));
    }
    let text = match args.output {
        Output::Json => serde_json::to_string_pretty(&report)? + "\n",
        Output::Table => {
            // A pipe gets every name and alias whole, for grep and awk.
            let cells = if std::io::stdout().is_terminal() {
                status::Cells::Fit
            } else {
                status::Cells::Full
            };
            status::table(&report, cells)
        }
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message.
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    let (unknown, reasons) = report.unknowns();
    if unknown > 0 {
        eprintln!(
            "firekeeper: health unknown for {} of {} streams: {}",
            unknown,
            report.streams.len(),
            text::for_terminal(&reasons.join("; "))
        );
    }
    Ok(ExitCode::from(report.exit_code()))
}

/// `rotate` and `disable`: the same plan, checks, ledger and audit as the
/// dashboard's change flows.
async fn change(
    cli: &Cli,
    config: &Config,
    request: Request,
    (confirm, force): (&ConfirmArgs, bool),
) -> anyhow::Result<ExitCode> {
    let cloud = connect_one(cli, config).await?;
    let ctx = change::ChangeContext {
        force,
        ..change_context(cli, config, cloud.as_ref()).await?
    };
    let account = ctx.account.clone().unwrap_or_default();
    // How many streams already use a key: known from the dashboard's last
    // look at the fleet, if there was one.
    let snapshot = (!cli.demo)
        .then(Cache::default_dir)
        .flatten()
        .map(|dir| {
            Cache::new(
                dir,
                profile(cli, config).as_deref(),
                cloud.region(),
                endpoint(cli).as_deref(),
            )
        })
        .and_then(|c| c.load())
        .filter(|s| s.account == account);
    let on_key = |arn: &str| {
        snapshot.as_ref().map(|s| {
            s.rows
                .iter()
                .filter(|r| {
                    r.stream
                        .as_ref()
                        .is_some_and(|st| st.encryption.key_arn.as_deref() == Some(arn))
                })
                .count()
        })
    };
    let code = change::cli::run(cloud.as_ref(), &ctx, &request, confirm, on_key).await;
    Ok(ExitCode::from(code))
}

/// The profile of a single-target command.
fn profile(cli: &Cli, config: &Config) -> Option<String> {
    targets(cli, config)
        .first()
        .and_then(|t| t.profile.clone())
        .or_else(|| std::env::var("AWS_PROFILE").ok())
}

/// The variables the AWS SDK takes an endpoint from, for all services and
/// for each that firekeeper calls; `--endpoint-url` overrides them all.
const ENDPOINT_VARS: [&str; 6] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_FIREHOSE",
    "AWS_ENDPOINT_URL_KMS",
    "AWS_ENDPOINT_URL_CLOUDWATCH",
    "AWS_ENDPOINT_URL_CLOUDTRAIL",
    "AWS_ENDPOINT_URL_STS",
];

/// The variables the SDK takes a region from when `--region` is not given,
/// the first one set winning.
const REGION_VARS: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];

/// Refuses what the SDK would panic on or misread: an empty or malformed
/// endpoint or region in the environment. The flags are checked by clap.
fn check_environment(cli: &Cli) -> Result<(), Usage> {
    let ignored = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    if cli.endpoint_url.is_none() && !ignored {
        for name in ENDPOINT_VARS {
            check_var(name, firekeeper::cloud::endpoint::url)?;
        }
    }
    let region_var = REGION_VARS
        .into_iter()
        .find(|name| std::env::var_os(name).is_some());
    match region_var {
        Some(name) if cli.regions.is_empty() => {
            check_var(name, firekeeper::cloud::endpoint::region)
        }
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

fn endpoint(cli: &Cli) -> Option<String> {
    cli.endpoint_url
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
}

/// `$XDG_DATA_HOME/firekeeper/audit.jsonl` (the demo keeps a log of its own).
fn audit_log(cli: &Cli) -> anyhow::Result<AuditLog> {
    AuditLog::default_path(cli.demo)
        .map(AuditLog::at)
        .ok_or_else(|| anyhow::anyhow!("no home directory to keep the audit log in"))
}

/// The cloud to talk to for one target: the simulator for `--demo`, else
/// AWS; either way paced to the configured Firehose and CloudTrail budgets,
/// which AWS counts per account and region, so each target has its own.
async fn connect(cli: &Cli, config: &Config, target: &Target) -> anyhow::Result<Box<dyn Cloud>> {
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
fn targets(cli: &Cli, config: &Config) -> Vec<Target> {
    estate::targets(&cli.profiles, &cli.regions, config)
}

/// One target connected, or why it could not be.
struct Connected {
    info: TargetInfo,
    cloud: anyhow::Result<Box<dyn Cloud>>,
}

/// Every target, connected at once: one that cannot be (no credentials, no
/// region) is reported with its error, and does not hold back the others.
/// With a single target its error is the command's, as it always was.
async fn connect_all(cli: &Cli, config: &Config) -> anyhow::Result<Vec<Connected>> {
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
        if out.iter().any(|o| o.info.label == info.label) {
            continue;
        }
        out.push(Connected { info, cloud });
    }
    Ok(out)
}

fn info_of(cli: &Cli, target: &Target, region: Option<&str>, many: bool) -> TargetInfo {
    let profile = target.profile.clone().or_else(|| {
        (!cli.demo)
            .then(|| std::env::var("AWS_PROFILE").ok())
            .flatten()
    });
    let region = region.map(str::to_string).or_else(|| target.region.clone());
    TargetInfo {
        label: estate::label(
            profile.as_deref(),
            region.as_deref().unwrap_or("no region"),
            many,
        ),
        profile,
        region,
        ..TargetInfo::default()
    }
}

/// The one target a change acts on: with several configured, the user
/// must pick one, and is told how.
async fn connect_one(cli: &Cli, config: &Config) -> anyhow::Result<Box<dyn Cloud>> {
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
fn ledger(cli: &Cli, config: &Config) -> Ledger {
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

/// Logs go to a file in the platform state dir, never to the terminal. Panics
/// are logged too, with a backtrace; the dashboard names the file.
fn init_logging() {
    firekeeper::crash::install();
    let Some(path) = firekeeper::crash::default_log_path() else {
        return;
    };
    // The log names accounts, streams and keys: the user's own, like the
    // ledger and the audit log, whatever the umask.
    let file = path
        .parent()
        .map_or(Ok(()), |dir| journal::create_dir(dir, Sharing::Private))
        .and_then(|_| journal::open_append(&path, Sharing::Private))
        .context("log file");
    let Ok(file) = file else {
        return;
    };
    firekeeper::crash::set_log_file(path);
    let filter = tracing_subscriber::EnvFilter::try_from_env("FIREKEEPER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        // The log quotes AWS: the one text policy applies there too.
        .with_writer(std::sync::Mutex::new(text::Escaping(file)))
        .try_init();
}
