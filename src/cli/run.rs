//! Runs the command the command line names: each reads the config, connects
//! its targets and hands over to the flow below, printing what it says.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::CommandFactory;

use super::change::say_settled;
use super::connect::{audit_log, connect_all, endpoint, ledger, profile, Connected, Usage};
use super::signals::{self, Signals};
use super::{
    change, exit, key_material, moving, Cli, Command, ConfirmArgs, Output, StatusArgs, WatchArgs,
};
use crate::app::DashboardContext;
use crate::cache::Cache;
use crate::change::{ChangeContext, Request};
use crate::cloud::Cloud;
use crate::config::Config;
use crate::dashboard;
use crate::model::KeyRef;
use crate::quota::Ledger;
use crate::settle;
use crate::status;
use crate::text;
use crate::trail::Trail;

/// Runs the command `cli` names (the dashboard if none) to its exit code.
pub async fn run(cli: Cli, started: std::time::Instant) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref(), crate::keymap::check)?;
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
                let code = moving::command(
                    &cli,
                    &config,
                    (old, &args.key),
                    (&args.confirm, args.force),
                    &mut signals,
                )
                .await?;
                Ok(ExitCode::from(code))
            }
            (None, Some(stream)) => {
                let request = Request::Switch {
                    stream: stream.clone(),
                    key: KeyRef::parse(&args.key),
                };
                one_change(&cli, &config, request, (&args.confirm, args.force)).await
            }
            (None, None) => Err(Usage("rotate needs a STREAM, or --from-key OLD".into()).into()),
        },
        Some(Command::Disable(args)) => {
            let request = Request::Disable {
                stream: args.stream.clone(),
            };
            one_change(&cli, &config, request, (&args.confirm, args.force)).await
        }
        Some(Command::Key(args)) => {
            signalled(key_material::command(&cli, &config, &args.command)).await
        }
        Some(Command::Watch(args)) => watch(&cli, &config, args).await,
        None => dashboard(&cli, config, started).await,
    }
}

/// `rotate STREAM` or `disable STREAM`, until it ends or a signal comes.
async fn one_change(
    cli: &Cli,
    config: &Config,
    request: Request,
    how: (&ConfirmArgs, bool),
) -> anyhow::Result<ExitCode> {
    signalled(change::command(cli, config, request, how)).await
}

/// A command that may send calls, run until it ends or SIGINT, SIGTERM or
/// SIGHUP comes: then it is dropped, its changes end on record, and the
/// exit code is the signal's (see `cli::signals`).
async fn signalled(
    work: impl std::future::Future<Output = anyhow::Result<u8>>,
) -> anyhow::Result<ExitCode> {
    let mut signals = Signals::catch()?;
    tokio::select! {
        done = work => done.map(ExitCode::from),
        signal = signals.next() => Ok(ExitCode::from(signals::stopped_by(signal))),
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
    let mut connected = connect_all(cli, config).await?;
    let mut records = super::aggregate::widen(cli, config, &mut connected)
        .await
        .into_iter();
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
                info.target.profile.as_deref(),
                c.region(),
                endpoint(cli).as_deref(),
            )
        });
        // Each target its own ledger scope (its account and region, once
        // STS names it) and CloudTrail reader; one ledger file and audit log.
        let cloud = cloud.map(|cloud| {
            let changes = ChangeContext {
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
        let recorded = records.next().unwrap_or_default();
        lanes.push(dashboard::Lane {
            info,
            cloud,
            cache,
            recorded,
        });
    }
    let region = match lanes.as_slice() {
        [one] => one.info.target.region.clone().unwrap_or_default(),
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
    let mut connected = connect_all(cli, config).await?;
    let records = super::aggregate::widen(cli, config, &mut connected).await;
    let ledger = ledger(cli, config);
    settle_targets(cli, config, &connected, &ledger).await;
    let window = args.window.or(cli.window).unwrap_or(config.status.window);
    // Read-only targets (an aggregator's places with no credentials here)
    // are reported from their records, beside those read live.
    let (read_only, live): (Vec<_>, Vec<_>) = connected
        .iter()
        .zip(records)
        .partition(|(c, _)| c.info.read_only.is_some());
    let parts = live
        .iter()
        .map(|(c, _)| status::Reader {
            info: c.info.clone(),
            cloud: c.cloud.as_ref().ok().map(Box::as_ref),
        })
        .collect();
    let report = status::gather_targets(parts, config, window, &args.streams, &ledger).await?;
    let recorded = read_only
        .into_iter()
        .map(|(c, streams)| (c.info.clone(), streams))
        .collect();
    let report = status::with_recorded(report, recorded, config, window, &args.streams);
    for t in report.failed() {
        eprintln!(
            "firekeeper: {}: {}",
            text::escape(&t.target.label),
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
            // A pipe gets every name and alias whole, for grep and awk; a
            // terminal, what fits its width.
            let cells = if std::io::stdout().is_terminal() {
                status::Cells::Fit(status::terminal_width())
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
