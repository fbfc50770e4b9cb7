//! firekeeper: a terminal dashboard for keeping Amazon Data Firehose streams
//! encrypted.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;

use firekeeper::cli::connect::Usage;
use firekeeper::cli::{exit, Cli};
use firekeeper::journal::{self, Sharing};
use firekeeper::text;

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
    let result = runtime.block_on(firekeeper::cli::run::run(cli, started));
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
