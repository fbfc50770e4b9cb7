//! The live dashboard's main loop: input, worker results and a clock tick go in;
//! the screen is redrawn only when something on it changed.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use crate::app::{App, DashboardContext};
use crate::cache::Cache;
use crate::change;
use crate::cloud::Cloud;
use crate::config::Config;
use crate::estate::TargetInfo;
use crate::fleet::Fleet;
use crate::model::{TargetId, Window};
use crate::terminal::{Guard, Term};
use crate::worker::{DataEvent, WorkerCommand};
use crate::{ui, worker};

pub mod watch;

/// How often the fleet is written to the cache while the dashboard runs.
const CACHE_EVERY: Duration = Duration::from_secs(60);

pub struct Options {
    /// When the process started, to log how long the first frame took.
    pub started: std::time::Instant,
    pub context: DashboardContext,
    pub window: Window,
    /// What this dashboard watches: the key under which its alerts sent and
    /// acknowledgements are kept (see `alerts::state`).
    pub scope: String,
}

/// Where the dashboard keeps its alerts and acknowledgements, and how it
/// rings the terminal.
struct AlertsKept {
    sent: Option<std::path::PathBuf>,
    acks: Option<std::path::PathBuf>,
    scope: String,
    keep: chrono::Duration,
    osc: crate::config::Osc,
    /// Inside tmux, an escape is passed through to the outer terminal.
    tmux: bool,
}

/// One target of the dashboard: its client and change context, when it
/// could be connected, and where its fleet is cached.
pub struct Lane {
    pub info: TargetInfo,
    pub cloud: Option<(Arc<dyn Cloud>, change::ChangeContext)>,
    pub cache: Option<Cache>,
    /// Its streams as an AWS Config aggregator recorded them: a read-only
    /// target's rows, or a live one's cold start.
    pub recorded: Vec<crate::model::RecordedStream>,
}

/// Commands waiting for a worker. A person types them; a worker takes each
/// at once unless it is stuck, so a full channel is said, never waited on
/// (the loop that draws must not block on a worker).
const COMMANDS: usize = 64;

/// The workers' ends: one command channel per target (none for a target
/// that could not be connected), their events tagged with the target, and
/// each target's cache. Every channel is bounded: see `worker::outbox` for
/// the events, `COMMANDS` for the commands.
struct Wires {
    commands: Vec<Option<mpsc::Sender<WorkerCommand>>>,
    events: mpsc::Receiver<(TargetId, DataEvent)>,
    caches: Vec<Option<Cache>>,
}

pub async fn run(lanes: Vec<Lane>, config: &Config, options: Options) -> anyhow::Result<u8> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the dashboard needs a terminal; for scripts and pipes use `firekeeper status` (add --output json)"
        );
    }
    let targets = lanes
        .iter()
        .map(|l| (l.info.clone(), l.cloud.is_some()))
        .collect();
    let fleet = Fleet::new(targets, options.window);
    let mut app = App::with_fleet(options.context, config, fleet, Utc::now());
    app.screen.log_file = crate::crash::log_file().map(Into::into);
    let kept = AlertsKept {
        sent: crate::alerts::state::default_path(),
        acks: crate::alerts::state::acks_path(),
        scope: options.scope.clone(),
        keep: chrono::Duration::hours(i64::from(config.alerts.ack_hours.0)),
        osc: config.alerts.osc,
        tmux: std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()),
    };
    let (sent, acks) = (kept.sent.clone(), kept.acks.clone());
    let scope = kept.scope.clone();
    // A file read has its deadline: a state dir on a disk that does not
    // answer costs the alerts' memory of the last run, never the start.
    let load = tokio::task::spawn_blocking(move || {
        let sent = sent.map(|p| crate::alerts::state::load(&p, &scope));
        let acks = acks.map(|p| crate::alerts::state::load_map(&p, &scope));
        (sent.unwrap_or_default(), acks.unwrap_or_default())
    });
    if let Ok(Ok((sent, acks))) = tokio::time::timeout(Duration::from_secs(2), load).await {
        app.alerting = crate::app::alerting::Alerting::new(config, sent, acks, Utc::now());
    }
    // A target that could not even be connected is said and kept in the
    // message log, as a later failure is.
    app.say_unconnected();
    let caches: Vec<Option<Cache>> = lanes.iter().map(|l| l.cache.clone()).collect();
    let starts = restore(&mut app, &caches).await;
    for (i, (lane, start)) in lanes.iter().zip(&starts).enumerate() {
        // A cache shown is left as it is: the worker describes it.
        if !lane.recorded.is_empty() && start.cold {
            let target = TargetId(u16::try_from(i).unwrap_or(u16::MAX));
            app.apply(target, DataEvent::Recorded(lane.recorded.clone()));
        }
    }
    let (mut wires, workers) = start_workers(lanes, config, options.window, caches, starts);

    let (guard, mut terminal) = Guard::enter(config.ui.mouse)?;
    let result = event_loop(options.started, &mut terminal, &mut app, &mut wires, &kept).await;
    drop(guard);
    // Aborting drops a change still being followed, which audits it as left
    // unfinished; waiting here makes sure that line is written before exit.
    for worker in &workers {
        worker.abort();
    }
    for worker in workers {
        let _ = worker.await;
    }
    for saving in save_caches(&wires, &app) {
        let _ = saving.await;
    }
    let code = result?;
    // The user saw the fault on screen; the shell and scripts see it here.
    match &app.fleet.freshness.fault {
        None => Ok(code),
        Some(panic) => anyhow::bail!(
            "internal error: the cloud worker stopped ({panic}); the dashboard was no longer refreshing. Details and a backtrace: {}",
            crate::crash::where_logged(app.screen.log_file.as_deref())
        ),
    }
}

/// Starts one worker per connected target, its events tagged with its
/// target, and gives the wires and the workers' handles.
fn start_workers(
    lanes: Vec<Lane>,
    config: &Config,
    window: Window,
    caches: Vec<Option<Cache>>,
    mut starts: Vec<Start>,
) -> (Wires, Vec<tokio::task::JoinHandle<()>>) {
    // Each worker's bounded outbox, then this bounded channel: a dashboard
    // that falls behind makes the forwarders, then the workers, wait.
    let (event_tx, event_rx) = mpsc::channel(worker::outbox::CAPACITY);
    let mut commands = Vec::new();
    let mut workers = Vec::new();
    for (i, lane) in lanes.into_iter().enumerate() {
        let Some((cloud, changes)) = lane.cloud else {
            commands.push(None);
            continue;
        };
        let (command_tx, command_rx) = mpsc::channel(COMMANDS);
        let (tx, mut rx) = worker::outbox::channel();
        commands.push(Some(command_tx));
        let mut settings = worker::Settings::from_config(config);
        let start = starts.get_mut(i).map(std::mem::take).unwrap_or_default();
        settings.cold_start = start.cold;
        settings.restart = start.restart;
        workers.push(tokio::spawn(worker::run(
            cloud, changes, settings, window, command_rx, tx,
        )));
        let tagged = event_tx.clone();
        let target = TargetId(u16::try_from(i).unwrap_or(u16::MAX));
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                if tagged.send((target, ev)).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(event_tx);
    let wires = Wires {
        commands,
        events: event_rx,
        caches,
    };
    (wires, workers)
}

/// What one turn of the loop brought: work for the worker, and whether the
/// screen changed.
#[derive(Default)]
struct Turn {
    commands: Vec<WorkerCommand>,
    redraw: bool,
}

impl Turn {
    fn redraw(commands: Vec<WorkerCommand>) -> Turn {
        Turn {
            commands,
            redraw: true,
        }
    }
}

/// How a target's worker starts: cold (from AWS Config's records, when
/// the account keeps them) when no cache was shown, else from the cache,
/// which CloudTrail confirms.
#[derive(Debug, Default)]
pub(crate) struct Start {
    pub cold: bool,
    pub restart: Option<worker::Restart>,
}

impl Start {
    /// No cache, no AWS Config: `watch` judges only what it read itself.
    pub(crate) fn plain() -> Start {
        Start::default()
    }
}

/// The fleet of every target's cache, shown until the cloud answers, and
/// for each target how its worker starts. A cache that does not load
/// within its deadline is as none.
async fn restore(app: &mut App, caches: &[Option<Cache>]) -> Vec<Start> {
    let mut starts = Vec::new();
    for (i, cache) in caches.iter().enumerate() {
        let Some(cache) = cache.clone() else {
            starts.push(Start {
                cold: true,
                restart: None,
            });
            continue;
        };
        let load = tokio::task::spawn_blocking(move || cache.load());
        let Ok(Ok(Some(snap))) = tokio::time::timeout(CACHE_DEADLINE, load).await else {
            starts.push(Start {
                cold: true,
                restart: None,
            });
            continue;
        };
        starts.push(Start {
            cold: false,
            restart: worker::Restart::of(&snap.rows, snap.saved_at),
        });
        app.restore(TargetId(u16::try_from(i).unwrap_or(u16::MAX)), snap);
    }
    starts
}

/// How long reading a target's cache may take at start: a disk that does
/// not answer costs the cache, never the start.
const CACHE_DEADLINE: Duration = Duration::from_secs(5);

/// When the fleet was last written to the caches, to write it once a
/// minute while the dashboard runs.
struct CacheTimer {
    last: tokio::time::Instant,
}

async fn event_loop(
    started: std::time::Instant,
    terminal: &mut Term,
    app: &mut App,
    wires: &mut Wires,
    kept: &AlertsKept,
) -> anyhow::Result<u8> {
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut saving = CacheTimer {
        last: tokio::time::Instant::now(),
    };
    first_frame(started, terminal, app, wires)?;
    // The exit code: 0 for a quit, 128 + the signal's number for a signal,
    // as shells and supervisors expect.
    let mut code = 0;
    loop {
        let turn = tokio::select! {
            ev = input.next() => on_input(app, ev),
            Some(ev) = wires.events.recv() => on_data(app, ev, wires),
            _ = tick.tick() => on_tick(app, &mut saving, wires),
            _ = term.recv() => stop(app, &mut code, libc::SIGTERM),
            _ = hup.recv() => stop(app, &mut code, libc::SIGHUP),
        };
        send(wires, app, turn.commands);
        if app.quit {
            return Ok(code);
        }
        if turn.redraw {
            terminal.draw(|f| ui::render(f, app))?;
        }
        ring(terminal, app, kept);
        copy(terminal, app, kept.tmux);
        keep_alerts(app, kept);
    }
}

/// Rings the terminal for each new alert that notifies: the bell, and a
/// desktop notification (OSC 9 or 777), which travel over SSH to the
/// engineer's own terminal. Inside tmux the escape is wrapped for tmux to
/// pass through. The text is the alert's line through the text policy.
fn ring(terminal: &mut Term, app: &mut App, kept: &AlertsKept) {
    use std::io::Write as _;
    let bells = std::mem::take(&mut app.alerting.bells);
    if bells.is_empty() {
        return;
    }
    let mut out = Vec::new();
    out.push(0x07);
    for line in bells {
        // No control character, and no ';' that would end OSC 777's title.
        let text = crate::text::escape(&line).replace(';', ",");
        let osc = match kept.osc {
            crate::config::Osc::Nine => format!("\x1b]9;firekeeper: {text}\x07"),
            crate::config::Osc::SevenSevenSeven => {
                format!("\x1b]777;notify;firekeeper;{text}\x07")
            }
            crate::config::Osc::Off => continue,
        };
        out.extend_from_slice(through_tmux(osc, kept.tmux).as_bytes());
    }
    let backend = terminal.backend_mut();
    if let Err(e) = backend.write_all(&out).and_then(|()| backend.flush()) {
        tracing::warn!("cannot ring the terminal: {e}");
    }
}

/// An escape for the outer terminal: inside tmux, wrapped in tmux's
/// passthrough (DCS `tmux;` with each ESC doubled), as tmux otherwise eats it.
fn through_tmux(osc: String, tmux: bool) -> String {
    if tmux {
        format!("\x1bPtmux;{}\x1b\\", osc.replace('\x1b', "\x1b\x1b"))
    } else {
        osc
    }
}

/// OSC 52, "set the clipboard" (`c`: the clipboard selection), with the
/// text in base64: the terminal the engineer types in takes it, over SSH
/// too. Base64 also keeps whatever the text holds out of the escape.
pub fn osc52(text: &str, tmux: bool) -> String {
    through_tmux(format!("\x1b]52;c;{}\x07", base64(text.as_bytes())), tmux)
}

/// Standard base64 with padding (RFC 4648 §4), as OSC 52 reads it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Sends the ARN `c` asked for to the terminal's clipboard.
fn copy(terminal: &mut Term, app: &mut App, tmux: bool) {
    use std::io::Write as _;
    let Some(text) = app.screen.clipboard.take() else {
        return;
    };
    let backend = terminal.backend_mut();
    let osc = osc52(&text, tmux);
    if let Err(e) = backend
        .write_all(osc.as_bytes())
        .and_then(|()| backend.flush())
    {
        tracing::warn!("cannot write the clipboard escape: {e}");
        app.say(
            format!("the ARN could not be sent to the terminal: {e}"),
            crate::model::Tone::Bad,
        );
    }
}

/// Keeps the alerts sent and the acknowledgements, on a blocking thread,
/// when they changed.
fn keep_alerts(app: &mut App, kept: &AlertsKept) {
    if !std::mem::take(&mut app.alerting.dirty) {
        return;
    }
    let (sent, acks) = (app.alerting.sent(), app.alerting.acks().clone());
    let (sent_path, acks_path) = (kept.sent.clone(), kept.acks.clone());
    let (scope, keep, now) = (kept.scope.clone(), kept.keep, app.now);
    tokio::task::spawn_blocking(move || {
        if let Some(p) = sent_path {
            if let Err(e) = crate::alerts::state::save(&p, &scope, &sent, keep, now) {
                tracing::warn!("cannot keep the alerts sent in {}: {e}", p.display());
            }
        }
        if let Some(p) = acks_path {
            if let Err(e) = crate::alerts::state::save_map(&p, &scope, acks) {
                tracing::warn!("cannot keep the acknowledgements in {}: {e}", p.display());
            }
        }
    });
}

/// Sizes the app to the terminal and draws it once, logging how long the
/// start took.
fn first_frame(
    started: std::time::Instant,
    terminal: &mut Term,
    app: &mut App,
    wires: &mut Wires,
) -> anyhow::Result<()> {
    let test_panic = crate::crash::test_panic_asked("dashboard");
    let size = terminal.size()?;
    let commands = fit(app, size.width, size.height);
    send(wires, app, commands);
    terminal.draw(|f| ui::render(f, app))?;
    tracing::info!(
        ms = started.elapsed().as_secs_f64() * 1000.0,
        rows = app.fleet.order().len(),
        "first frame drawn"
    );
    if test_panic {
        crate::crash::test_panic("dashboard");
    }
    Ok(())
}

/// Tells the app how much of it fits a terminal of this size.
fn fit(app: &mut App, width: u16, height: u16) -> Vec<WorkerCommand> {
    app.fit_help(ui::help_viewport(height));
    app.resize(width, height, ui::table_viewport(height))
}

fn on_input(app: &mut App, ev: Option<std::io::Result<Event>>) -> Turn {
    match ev {
        Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
            Turn::redraw(app.on_key(key))
        }
        Some(Ok(Event::Resize(w, h))) => Turn::redraw(fit(app, w, h)),
        Some(Ok(Event::Mouse(m))) => app.on_mouse(m).map(Turn::redraw).unwrap_or_default(),
        Some(Ok(_)) => Turn::default(),
        // The terminal is gone (SSH dropped): nothing left to draw on.
        // (A dropped SSH session also sends SIGHUP, which sets the code.)
        Some(Err(_)) | None => {
            app.quit = true;
            Turn::default()
        }
    }
}

/// Takes everything the workers have already sent, to draw once for all
/// of it.
fn on_data(app: &mut App, first: (TargetId, DataEvent), wires: &mut Wires) -> Turn {
    let mut turn = Turn::default();
    let mut next = Some(first);
    while let Some((target, ev)) = next {
        let (changed, more) = app.apply(target, ev);
        turn.redraw |= changed;
        turn.commands.extend(more);
        next = wires.events.try_recv().ok();
    }
    turn
}

fn on_tick(app: &mut App, saving: &mut CacheTimer, wires: &Wires) -> Turn {
    let redraw = app.tick(Utc::now());
    if saving.last.elapsed() >= CACHE_EVERY && !save_caches(wires, app).is_empty() {
        saving.last = tokio::time::Instant::now();
    }
    Turn {
        commands: Vec::new(),
        redraw,
    }
}

fn stop(app: &mut App, code: &mut u8, signal: i32) -> Turn {
    app.quit = true;
    *code = u8::try_from(128 + signal).unwrap_or(1);
    Turn::default()
}

/// Writes each target's fleet to its cache on a blocking thread, once
/// something was learned from AWS; the handles end when they are written.
fn save_caches(wires: &Wires, app: &App) -> Vec<tokio::task::JoinHandle<()>> {
    if app.fleet.freshness.last_refresh.is_none() {
        return Vec::new();
    }
    let mut snaps = Vec::new();
    for (i, cache) in wires.caches.iter().enumerate() {
        let Some(cache) = cache else {
            continue;
        };
        let target = TargetId(u16::try_from(i).unwrap_or(u16::MAX));
        if let Some((account, saved)) = app.fleet.saved(target) {
            snaps.push((cache.clone(), cache.snapshot(&account, saved)));
        }
    }
    snaps
        .into_iter()
        .map(|(cache, snap)| {
            tokio::task::spawn_blocking(move || {
                if let Err(e) = cache.write(&snap) {
                    tracing::warn!("cannot save the cache: {e}");
                }
            })
        })
        .collect()
}

/// Each command to the worker of the target it is about.
fn send(wires: &mut Wires, app: &mut App, out: Vec<WorkerCommand>) {
    for c in out {
        // Ctrl-r with no target connected: said again, not "refreshing…".
        if c == WorkerCommand::Refresh {
            app.none_connected();
        }
        for (target, c) in app.fleet.route(c) {
            let Some(Some(tx)) = wires.commands.get(target.index()) else {
                continue;
            };
            if let Err(mpsc::error::TrySendError::Full(c)) = tx.try_send(c) {
                not_taken(app, target, &c);
            }
        }
    }
}

/// A command a stuck worker did not take: what the user asked for is said
/// not to have been sent, never silently lost. What is on screen and
/// periodic refreshes are asked again by themselves.
fn not_taken(app: &mut App, target: TargetId, c: &WorkerCommand) {
    let what = match c {
        WorkerCommand::Interest { .. } | WorkerCommand::Describe(_) => return,
        WorkerCommand::MakeChange { .. }
        | WorkerCommand::MakeKeyChange { .. }
        | WorkerCommand::Move { .. } => "the change was not sent",
        WorkerCommand::StopMove => "the move was not told to stop",
        _ => "not done",
    };
    let words = format!("the cloud worker is not taking commands; {what}: try again");
    let text = app.fleet.about(target, words);
    app.say(text, crate::model::Tone::Bad);
}

#[cfg(test)]
mod tests {
    use super::{base64, osc52};

    #[test]
    fn base64_is_rfc_4648s() {
        // RFC 4648 §10's test vectors.
        for (text, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(text.as_bytes()), coded, "{text}");
        }
    }

    #[test]
    fn osc_52_holds_the_base64_of_the_arn_and_is_wrapped_for_tmux() {
        let arn = "arn:aws:firehose:eu-west-1:123456789012:deliverystream/audit-trail";
        let coded = "YXJuOmF3czpmaXJlaG9zZTpldS13ZXN0LTE6MTIzNDU2Nzg5MDEyOmRlbGl2ZXJ5c3RyZWFtL2F1ZGl0LXRyYWls";
        assert_eq!(osc52(arn, false), format!("\x1b]52;c;{coded}\x07"));
        assert_eq!(
            osc52(arn, true),
            format!("\x1bPtmux;\x1b\x1b]52;c;{coded}\x07\x1b\\")
        );
        // Whatever the text holds, the escape holds only base64.
        let hostile = osc52("a\x07\x1b]0;owned\x07", false);
        assert_eq!(hostile.matches('\x1b').count(), 1, "{hostile:?}");
        assert_eq!(hostile.matches('\x07').count(), 1, "{hostile:?}");
    }
}
