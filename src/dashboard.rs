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
use crate::model::Window;
use crate::terminal::{Guard, Term};
use crate::worker::WorkerCommand;
use crate::{ui, worker};

/// How often the fleet is written to the cache while the dashboard runs.
const CACHE_EVERY: Duration = Duration::from_secs(60);

pub struct Options {
    /// When the process started, to log how long the first frame took.
    pub started: std::time::Instant,
    pub context: DashboardContext,
    pub window: Window,
    pub cache: Option<Cache>,
}

pub async fn run(
    cloud: Arc<dyn Cloud>,
    config: &Config,
    changes: change::ChangeContext,
    options: Options,
) -> anyhow::Result<u8> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the dashboard needs a terminal; for scripts and pipes use `firekeeper status` (add --output json)"
        );
    }
    let mut app = App::new(options.context, config, options.window, Utc::now());
    app.log_file = crate::crash::log_file().map(Into::into);
    if let Some(cache) = options.cache.clone() {
        if let Ok(Some(snap)) = tokio::task::spawn_blocking(move || cache.load()).await {
            app.restore(snap);
        }
    }
    let (command_tx, command_rx) = mpsc::unbounded_channel();
    let (event_tx, mut event_rx) = mpsc::unbounded_channel();
    let worker = tokio::spawn(worker::run(
        cloud,
        changes,
        worker::Settings::from_config(config),
        options.window,
        command_rx,
        event_tx,
    ));

    let (guard, mut terminal) = Guard::enter(config.ui.mouse)?;
    let result = event_loop(
        options.started,
        &mut terminal,
        &mut app,
        &command_tx,
        &mut event_rx,
        options.cache.as_ref(),
    )
    .await;
    drop(guard);
    // Aborting drops a change still being followed, which audits it as left
    // unfinished; waiting here makes sure that line is written before exit.
    worker.abort();
    let _ = worker.await;
    if let Some(saving) = options.cache.as_ref().and_then(|c| save_cache(c, &app)) {
        let _ = saving.await;
    }
    let code = result?;
    // The user saw the fault on screen; the shell and scripts see it here.
    match &app.fault {
        None => Ok(code),
        Some(panic) => anyhow::bail!(
            "internal error: the cloud worker stopped ({panic}); the dashboard was no longer refreshing. Details and a backtrace: {}",
            crate::crash::where_logged(app.log_file.as_deref())
        ),
    }
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

/// Where the fleet is cached and when it was last written, to write it once
/// a minute while the dashboard runs.
struct CacheTimer<'a> {
    cache: Option<&'a Cache>,
    last: tokio::time::Instant,
}

async fn event_loop(
    started: std::time::Instant,
    terminal: &mut Term,
    app: &mut App,
    commands: &mpsc::UnboundedSender<WorkerCommand>,
    events: &mut mpsc::UnboundedReceiver<worker::DataEvent>,
    cache: Option<&Cache>,
) -> anyhow::Result<u8> {
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut saving = CacheTimer {
        cache,
        last: tokio::time::Instant::now(),
    };
    first_frame(started, terminal, app, commands)?;
    // The exit code: 0 for a quit, 128 + the signal's number for a signal,
    // as shells and supervisors expect.
    let mut code = 0;
    loop {
        let turn = tokio::select! {
            ev = input.next() => on_input(app, ev),
            Some(ev) = events.recv() => on_data(app, ev, events),
            _ = tick.tick() => on_tick(app, &mut saving),
            _ = term.recv() => stop(app, &mut code, libc::SIGTERM),
            _ = hup.recv() => stop(app, &mut code, libc::SIGHUP),
        };
        send(commands, turn.commands);
        if app.quit {
            return Ok(code);
        }
        if turn.redraw {
            terminal.draw(|f| ui::render(f, app))?;
        }
    }
}

/// Sizes the app to the terminal and draws it once, logging how long the
/// start took.
fn first_frame(
    started: std::time::Instant,
    terminal: &mut Term,
    app: &mut App,
    commands: &mpsc::UnboundedSender<WorkerCommand>,
) -> anyhow::Result<()> {
    let test_panic = crate::crash::test_panic_asked("dashboard");
    let size = terminal.size()?;
    send(commands, fit(app, size.width, size.height));
    terminal.draw(|f| ui::render(f, app))?;
    tracing::info!(
        ms = started.elapsed().as_secs_f64() * 1000.0,
        rows = app.rows.len(),
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

/// Takes everything the worker has already sent, to draw once for all of it.
fn on_data(
    app: &mut App,
    first: worker::DataEvent,
    events: &mut mpsc::UnboundedReceiver<worker::DataEvent>,
) -> Turn {
    let mut turn = Turn::default();
    let mut next = Some(first);
    while let Some(ev) = next {
        let (changed, more) = app.apply(ev);
        turn.redraw |= changed;
        turn.commands.extend(more);
        next = events.try_recv().ok();
    }
    turn
}

fn on_tick(app: &mut App, saving: &mut CacheTimer) -> Turn {
    let redraw = app.tick(Utc::now());
    if let Some(cache) = saving
        .cache
        .filter(|_| saving.last.elapsed() >= CACHE_EVERY)
    {
        if save_cache(cache, app).is_some() {
            saving.last = tokio::time::Instant::now();
        }
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

/// Writes the fleet to the cache on a blocking thread, once something was
/// learned from AWS; the handle ends when it is written.
fn save_cache(cache: &Cache, app: &App) -> Option<tokio::task::JoinHandle<()>> {
    let account = app.context.account.as_deref()?;
    app.last_refresh?;
    let snap = cache.snapshot(account, app.saved());
    let cache = cache.clone();
    Some(tokio::task::spawn_blocking(move || {
        if let Err(e) = cache.write(&snap) {
            tracing::warn!("cannot save the cache: {e}");
        }
    }))
}

fn send(commands: &mpsc::UnboundedSender<WorkerCommand>, out: Vec<WorkerCommand>) {
    for c in out {
        let _ = commands.send(c);
    }
}
