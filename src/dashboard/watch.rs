//! `firekeeper watch`: the dashboard's data without its screen. The same
//! workers, pace and CloudWatch cost; instead of drawing, each look at the
//! fleet goes through the alert rules (`alerts`), and every alert is
//! printed (a line for a person, or JSON lines) and handed to `[alerts]
//! command`. Made for systemd, a tmux pane, or `| tee` into a log.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use tokio::signal::unix::{signal, SignalKind};

use super::{on_data, send, start_workers, Lane};
use crate::alerts::{self, Alert, AlertRules, Alerter};
use crate::app::{App, DashboardContext};
use crate::config::Config;
use crate::fleet::Fleet;
use crate::health::Health;
use crate::model::Window;

/// How often the fleet is looked at for alerts: each look is cheap (no
/// call), and a change reaches the engineer within a few seconds of
/// reaching firekeeper.
const LOOK_EVERY: Duration = Duration::from_secs(5);

/// How `watch` writes: a line for a person, or one JSON object a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchOutput {
    Human,
    Jsonl,
}

pub struct WatchOptions {
    pub context: DashboardContext,
    pub window: Window,
    pub output: WatchOutput,
    pub run_for: Option<Duration>,
    /// What this watch watches (profiles and regions): the key under which
    /// what it sent is kept across restarts.
    pub scope: String,
}

pub async fn run(lanes: Vec<Lane>, config: &Config, options: WatchOptions) -> anyhow::Result<u8> {
    let targets = lanes
        .iter()
        .map(|l| (l.info.clone(), l.cloud.is_some()))
        .collect();
    let fleet = Fleet::new(targets, options.window);
    if let Some(error) = fleet.none_connected() {
        anyhow::bail!("nothing to watch: {error}");
    }
    let mut app = App::with_fleet(options.context, config, fleet, Utc::now());
    app.say_unconnected();
    // `watch` judges only what it read itself: no cache, no restart, and
    // no AWS Config records (a record holds no status to alert on).
    let caches = vec![None; lanes.len()];
    let starts = (0..lanes.len()).map(|_| super::Start::plain()).collect();
    let (mut wires, workers) = start_workers(lanes, config, options.window, caches, starts);
    let store = alerts::state::default_path();
    // Off the runtime and with a deadline: a state dir that does not answer
    // costs the memory of the last run, never the watch.
    let (path, scope) = (store.clone(), options.scope.clone());
    let load = tokio::task::spawn_blocking(move || {
        path.map(|p| alerts::state::load(&p, &scope))
            .unwrap_or_default()
    });
    let sent = match tokio::time::timeout(Duration::from_secs(2), load).await {
        Ok(Ok(sent)) => sent,
        _ => {
            tracing::warn!("the alerts sent before could not be read in time");
            BTreeMap::new()
        }
    };
    let mut alerter = Alerter::new(AlertRules::from_config(config), sent, Utc::now());
    let hook = Hook::from_config(config);
    let mut tick = tokio::time::interval(LOOK_EVERY);
    let end = tokio::time::sleep(options.run_for.unwrap_or(Duration::from_secs(u64::MAX / 4)));
    tokio::pin!(end);
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut baseline = false;
    let result = loop {
        tokio::select! {
            Some(ev) = wires.events.recv() => {
                let turn = on_data(&mut app, ev, &mut wires);
                send(&mut wires, &mut app, turn.commands);
            }
            _ = tick.tick() => {
                let now = Utc::now();
                app.tick(now);
                if !baseline && app.ready_for_alerts() {
                    baseline = true;
                    if let Err(e) = print(options.output, &baseline_of(&app, options.output)) {
                        break Err(e);
                    }
                }
                if !baseline {
                    continue;
                }
                let told = alerter.observe(app.observation(), now);
                if let Err(e) = tell(&told, options.output, &hook) {
                    break Err(e);
                }
                if !told.is_empty() {
                    keep(store.as_deref(), &options.scope, &alerter, config, now);
                }
            }
            () = &mut end => break Ok(()),
            _ = term.recv() => break Ok(()),
            _ = hup.recv() => break Ok(()),
            _ = int.recv() => break Ok(()),
        }
    };
    for worker in &workers {
        worker.abort();
    }
    for worker in workers {
        let _ = worker.await;
    }
    result.map(|()| 0)
}

/// Prints each alert and hands it to the hook.
fn tell(told: &[Alert], output: WatchOutput, hook: &Option<Hook>) -> anyhow::Result<()> {
    for a in told {
        let line = match output {
            WatchOutput::Human => a.line(),
            WatchOutput::Jsonl => serde_json::to_string(a)?,
        };
        print(output, &line)?;
        if let Some(hook) = hook {
            hook.run(a);
        }
    }
    Ok(())
}

/// One line out, at once: a reader (`tail -f`, a pipe) sees it as it comes.
/// A stdout that is gone is watch's own failure.
fn print(output: WatchOutput, line: &str) -> anyhow::Result<()> {
    let line = match output {
        // JSON is escaped by serde; a person's line by the text policy.
        WatchOutput::Jsonl => line.to_string(),
        WatchOutput::Human => crate::text::escape(line).into_owned(),
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

/// The first line: the fleet's state at start, so a reader of the log
/// knows what the alerts after it change.
fn baseline_of(app: &App, output: WatchOutput) -> String {
    let mut counts: BTreeMap<Health, usize> = BTreeMap::new();
    for (id, row) in app.fleet.rows() {
        *counts.entry(app.health(id, row).0).or_default() += 1;
    }
    let at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let n = |h: Health| counts.get(&h).copied().unwrap_or(0);
    match output {
        WatchOutput::Jsonl => serde_json::json!({
            "kind": "baseline",
            "at": at,
            "streams": app.fleet.order().len(),
            "counts": {
                "ok": n(Health::Ok),
                "warning": n(Health::Warning),
                "unknown": n(Health::Unknown),
                "critical": n(Health::Critical),
            },
            "watching": app.context.region,
        })
        .to_string(),
        WatchOutput::Human => format!(
            "{at} BASELINE {} streams: {} ok, {} warning, {} unknown, {} critical (watching {})",
            app.fleet.order().len(),
            n(Health::Ok),
            n(Health::Warning),
            n(Health::Unknown),
            n(Health::Critical),
            app.context.region
        ),
    }
}

/// Keeps what was sent, so a restart does not tell it again.
fn keep(
    store: Option<&std::path::Path>,
    scope: &str,
    alerter: &Alerter,
    config: &Config,
    now: chrono::DateTime<Utc>,
) {
    let Some(path) = store else {
        return;
    };
    let keep = chrono::Duration::hours(i64::from(config.alerts.ack_hours.0));
    let (path, scope, sent) = (
        path.to_path_buf(),
        scope.to_string(),
        alerter.sent().clone(),
    );
    // On a blocking thread: a disk that does not answer never holds up the
    // next alert.
    tokio::task::spawn_blocking(move || {
        if let Err(e) = alerts::state::save(&path, &scope, &sent, keep, now) {
            tracing::warn!("cannot keep the alerts sent in {}: {e}", path.display());
        }
    });
}

/// `[alerts] command`: a program run for each alert, no shell, the alert's
/// JSON on its stdin, killed at its deadline.
#[derive(Debug, Clone)]
pub struct Hook {
    argv: Vec<String>,
    deadline: Duration,
}

impl Hook {
    pub fn from_config(config: &Config) -> Option<Hook> {
        let argv = config.alerts.command.clone();
        (!argv.is_empty()).then(|| Hook {
            argv,
            deadline: Duration::from_secs(config.alerts.command_timeout_secs.0),
        })
    }

    /// Runs the hook for `alert` in the background: a slow or failing hook
    /// never holds up the next alert. A failure is logged and said on
    /// stderr, never fatal.
    pub fn run(&self, alert: &Alert) {
        let (hook, json) = (
            self.clone(),
            serde_json::to_string(alert).unwrap_or_default(),
        );
        tokio::spawn(async move {
            if let Err(why) = hook.call(&json).await {
                tracing::warn!("alert hook {}: {why}", hook.argv[0]);
                eprintln!(
                    "firekeeper: alert hook {}: {}",
                    crate::text::escape(&hook.argv[0]),
                    crate::text::escape(&why)
                );
            }
        });
    }

    async fn call(&self, json: &str) -> Result<(), String> {
        use tokio::io::AsyncWriteExt as _;
        let mut child = tokio::process::Command::new(&self.argv[0])
            .args(&self.argv[1..])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("could not be started: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        let run = async {
            // A hook that does not read its input still runs; its exit
            // status is what counts.
            let _ = stdin.write_all(format!("{json}\n").as_bytes()).await;
            drop(stdin);
            child.wait().await
        };
        match tokio::time::timeout(self.deadline, run).await {
            Ok(Ok(status)) if status.success() => Ok(()),
            Ok(Ok(status)) => Err(format!("exited with {status}")),
            Ok(Err(e)) => Err(format!("failed: {e}")),
            Err(_) => {
                let _ = child.kill().await;
                Err(format!(
                    "killed after {} s (its deadline, [alerts] command_timeout_secs)",
                    self.deadline.as_secs()
                ))
            }
        }
    }
}
