//! `firekeeper rotate --from-key OLD --key NEW` at the command line: the
//! move planned, shown, confirmed by typing OLD's name, sent and followed,
//! and its exit code.

use std::io::IsTerminal;

use futures::StreamExt;

use super::change::{change_context, say_refused};
use super::connect::connect_one;
use super::signals::{self, err, out, prompt, read_line, Signals};
use super::{exit, Cli, ConfirmArgs};
use crate::change::moving::{plan_move, send_one, MovePlan, Stage, Update, AT_ONCE};
use crate::change::{refuse, ChangeContext, ChangeError};
use crate::cloud::Cloud;
use crate::config::Config;
use crate::model::KeyRef;
use crate::text::{escape, for_terminal};

/// `firekeeper rotate --from-key OLD --key NEW`: every stream off a key.
pub async fn command(
    cli: &Cli,
    config: &Config,
    (old, new): (&str, &str),
    (confirm, force): (&ConfirmArgs, bool),
    signals: &mut Signals,
) -> anyhow::Result<u8> {
    let ready = async {
        let cloud = connect_one(cli, config).await?;
        let ctx = ChangeContext {
            force,
            ..change_context(cli, config, cloud.as_ref()).await?
        };
        anyhow::Ok((cloud, ctx))
    };
    let (cloud, ctx) = tokio::select! {
        ready = ready => ready?,
        signal = signals.next() => return Ok(signals::stopped_by(signal)),
    };
    let how = Run {
        confirm,
        concurrency: config.aws.describe_concurrency.0,
        calls_per_second: config.aws.firehose_calls_per_second.0,
    };
    let to = KeyRef::parse(new);
    Ok(run(cloud.as_ref(), &ctx, (old, &to), how, signals).await)
}

/// The plan in words, one line a stream.
pub fn describe(m: &MovePlan, calls_per_second: u32) -> String {
    let mut out = format!(
        "Move     every stream off {} to {}\n",
        escape(&m.from_label),
        escape(&m.to_label)
    );
    for (name, planned) in &m.streams {
        let line = match planned {
            Ok(p) if p.verdict.allowed() => format!(
                "  {:<28} send     quota {}/{}{}",
                escape(name),
                p.quota.remaining,
                p.quota.limit,
                if p.verdict.warnings.is_empty() {
                    String::new()
                } else {
                    format!("; {}", escape(&p.verdict.warnings.join("; ")))
                }
            ),
            Ok(p) => format!(
                "  {:<28} skipped  {}",
                escape(name),
                escape(&p.verdict.reasons())
            ),
            Err(why) => format!("  {:<28} skipped  {}", escape(name), escape(why)),
        };
        out.push_str(&line);
        out.push('\n');
    }
    let n = m.sendable().count();
    let rounds = n.div_ceil(AT_ONCE);
    let secs = n.div_ceil(calls_per_second.max(1) as usize);
    out.push_str(&format!(
        "Plan     {n} to send, {} skipped; {AT_ONCE} at a time, each followed until it settles: {rounds} round{} of a stream settling (usually a minute or two each), the calls themselves at least {secs} s at the Firehose pace\n",
        m.streams.len() - n,
        if rounds == 1 { "" } else { "s" }
    ));
    if let Some(why) = &m.refusal {
        out.push_str(&format!("Refused  {}\n", escape(why)));
    }
    for_terminal(&out).into_owned()
}

/// How the command line's move runs: its confirmation and pace.
pub struct Run<'a> {
    pub confirm: &'a ConfirmArgs,
    pub concurrency: usize,
    pub calls_per_second: u32,
}

/// The command line: plan, confirm, send and follow, and the exit code.
/// SIGTERM or SIGHUP at any point, or a second Ctrl-C, drops the move (each
/// change's guards write what they hold: see `cli::signals`); a first
/// Ctrl-C stops sending and follows the calls already sent to their end.
pub async fn run(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    (from, to): (&str, &KeyRef),
    how: Run<'_>,
    signals: &mut Signals,
) -> u8 {
    let planned = tokio::select! {
        m = plan_move(cloud, ctx, from, to, how.concurrency) => m,
        signal = signals.next() => return signals::stopped_by(signal),
    };
    let m = match planned {
        Ok(m) => m,
        Err(ChangeError::Refused(why)) => {
            err(&format!(
                "firekeeper: refused, nothing was sent: {}",
                for_terminal(&why)
            ));
            return exit::REFUSED;
        }
        Err(e) => {
            err(&format!("firekeeper: {}", for_terminal(&e.to_string())));
            return exit::ERROR;
        }
    };
    prompt(&describe(&m, how.calls_per_second));
    let refusal = tokio::select! {
        refusal = refusal(ctx, &m, how.confirm) => refusal,
        signal = signals.next() => return signals::stopped_by(signal),
    };
    if let Some(why) = refusal {
        // Every change this move would have made is on record as refused.
        for p in m.sendable() {
            let _ = refuse(ctx, p, &why);
        }
        say_refused(&why, m.refusal.as_ref() == Some(&why));
        return exit::REFUSED;
    }
    let wait = !how.confirm.no_wait;
    let mut work = Box::pin(
        futures::stream::iter(m.sendable())
            .map(|p| {
                let name = escape(&p.stream.name).into_owned();
                send_one(cloud, ctx, p, wait, move |update| {
                    if let Update::Stage(_, words) = update {
                        out(&format!("  {name}: {}", for_terminal(&words)));
                    }
                })
            })
            .buffer_unordered(AT_ONCE)
            .collect::<Vec<Stage>>(),
    );
    let mut interrupted = false;
    let moved = loop {
        tokio::select! {
            moved = &mut work => break moved,
            signal = signals.next() => {
                if signal == libc::SIGINT && !interrupted {
                    interrupted = true;
                    ctx.stop.stop();
                    err("firekeeper: sending no more; following the calls already sent (Ctrl-C again to leave them)");
                    continue;
                }
                drop(work);
                return signals::stopped_by(signal);
            }
        }
    };
    let code = summarise(&m, &moved);
    if interrupted {
        signals::exit_code(libc::SIGINT)
    } else {
        code
    }
}

/// Why nothing may be sent, if so: the plan's refusal, read-only mode,
/// nothing sendable, or the old key's name not typed.
async fn refusal(ctx: &ChangeContext, m: &MovePlan, confirm: &ConfirmArgs) -> Option<String> {
    if let Some(why) = &m.refusal {
        Some(why.clone())
    } else if ctx.read_only {
        Some("firekeeper is in read-only mode (--read-only or read_only = true)".to_string())
    } else if m.sendable().next().is_none() {
        Some("every stream on the key was refused".to_string())
    } else if confirm.yes {
        None
    } else {
        typed(&m.from_label).await.err().map(str::to_string)
    }
}

fn summarise(m: &MovePlan, moved: &[Stage]) -> u8 {
    let count = |what: Stage| moved.iter().filter(|x| **x == what).count();
    let skipped = m.streams.len() - m.sendable().count();
    let (done, failed, unclear) = (
        count(Stage::Done),
        count(Stage::Failed),
        count(Stage::Unclear),
    );
    let (not_sent, sent, rejected) = (
        count(Stage::NotSent),
        count(Stage::NotWaited),
        count(Stage::Rejected),
    );
    out(&format!(
        "Moved {done} of {} streams off {} ({failed} failed and kept it, {rejected} refused by AWS, {skipped} skipped, {not_sent} not sent, {sent} not waited for, {unclear} unclear).",
        m.streams.len(),
        escape(&m.from_label)
    ));
    if failed > 0 {
        exit::FAILED
    } else if done + sent == m.streams.len() {
        exit::DONE
    } else if not_sent == moved.len() {
        // Every send was stopped here before its call: nothing was sent.
        exit::REFUSED
    } else {
        exit::ERROR
    }
}

/// Asks for OLD's name at the terminal; without one, refuses.
async fn typed(label: &str) -> Result<(), &'static str> {
    if !std::io::stdin().is_terminal() {
        return Err("no terminal to confirm at: pass --yes to move without a prompt");
    }
    prompt(&format!(
        "Type the old key's name ({}) to move every stream off it: ",
        escape(label)
    ));
    if read_line().await.trim() == label {
        Ok(())
    } else {
        Err("the name typed did not match; cancelled")
    }
}
