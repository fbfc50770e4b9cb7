//! `firekeeper rotate` and `firekeeper disable`: the plan shown, a confirmation,
//! the call, and the outcome followed to the end; and what every command
//! that changes something needs first (who is changing what, where).

use std::io::IsTerminal;

use super::connect::{audit_log, connect_one, endpoint, ledger, profile};
use super::signals::{err, out, prompt, read_line};
use super::{exit, Cli, ConfirmArgs};
use crate::cache::Cache;
use crate::change::{
    carry_out, explain, plan, refuse, ChangeContext, ChangeError, ChangeTiming, Ending, Plan,
    Request, Step,
};
use crate::cloud::Cloud;
use crate::config::Config;
use crate::settle;
use crate::text::{escape, for_terminal};
use crate::trail::Trail;

/// `rotate` and `disable`: the same plan, checks, ledger and audit as the
/// dashboard's change flows.
pub async fn command(
    cli: &Cli,
    config: &Config,
    request: Request,
    (confirm, force): (&ConfirmArgs, bool),
) -> anyhow::Result<u8> {
    let cloud = connect_one(cli, config).await?;
    let ctx = ChangeContext {
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
    Ok(run(cloud.as_ref(), &ctx, &request, confirm, on_key).await)
}

/// Who is changing what, where: for every command that changes something.
pub async fn change_context(
    cli: &Cli,
    config: &Config,
    cloud: &dyn Cloud,
) -> anyhow::Result<ChangeContext> {
    let identity = cloud.identity().await?;
    let ctx = ChangeContext {
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
pub(super) fn say_settled(settled: Result<Vec<settle::Settled>, settle::SettleError>) {
    match settled {
        Ok(settled) => {
            for s in settled {
                err(&format!("firekeeper: {}", for_terminal(&s.sentence())));
            }
        }
        Err(e) => err(&format!(
            "firekeeper: the calls an earlier run left open were not settled: {}",
            for_terminal(&e.to_string())
        )),
    }
}

/// Plans, confirms, sends and follows one change; the exit code.
pub async fn run(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    request: &Request,
    confirm: &ConfirmArgs,
    streams_on_key: impl Fn(&str) -> Option<usize>,
) -> u8 {
    let mut shown = None;
    match run_inner(cloud, ctx, request, confirm, streams_on_key, &mut shown).await {
        Ok(code) => code,
        // AWS's refusal of a stream's change is 4, as the help says: the
        // call failed and the stream is as it was.
        Err(e) => failed(e, shown.as_deref(), exit::REFUSED),
    }
}

/// The exit code of a change that ended in `e`, said on stderr: refused
/// here, nothing sent, is 4; refused by AWS, `rejected`; anything else 1.
pub fn failed(e: ChangeError, shown: Option<&str>, rejected: u8) -> u8 {
    if let ChangeError::Refused(why) = &e {
        say_refused(why, shown == Some(why.as_str()));
        return exit::REFUSED;
    }
    err(&format!("firekeeper: {}", for_terminal(&e.to_string())));
    if matches!(e, ChangeError::Rejected(_)) {
        rejected
    } else {
        exit::ERROR
    }
}

async fn run_inner(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    request: &Request,
    confirm: &ConfirmArgs,
    streams_on_key: impl Fn(&str) -> Option<usize>,
    shown: &mut Option<String>,
) -> Result<u8, ChangeError> {
    let plan = plan(cloud, ctx, request, streams_on_key).await?;
    prompt(&describe(&plan));
    *shown = Some(if plan.verdict.forceable() {
        plan.verdict.reasons() + crate::change::SEND_ANYWAY
    } else {
        plan.verdict.reasons()
    });
    if plan.verdict.sendable(ctx.force) && !ctx.read_only && !confirm.yes {
        confirmed(ctx, &plan).await?;
    }
    let mut last = None;
    let past_refused = crate::change::accepted_past_refused(&plan).filter(|_| ctx.force);
    let progress = |step: Step<'_>| match step {
        Step::Accepted => {
            out("AWS accepted the call.");
            if let Some(note) = &past_refused {
                out(&format!("{note}."));
            }
            if !confirm.no_wait {
                out(&format!(
                    "Waiting for {} to settle…",
                    escape(&plan.stream.name)
                ));
            }
        }
        Step::Unclear(e) => out(&format!(
            "{}.\nAWS may have applied this; checking…",
            for_terminal(&e.to_string())
        )),
        Step::Confirmed => out("AWS had applied the call."),
        Step::Seen(s) => {
            if last.as_ref() != Some(&s.encryption.status) {
                last = Some(s.encryption.status.clone());
                out(&format!("  {}", s.encryption.status));
            }
        }
    };
    // A signal meanwhile drops this future (see `cli::signals`): its guards
    // audit the change as it stands, so the record is never lost.
    let outcome = carry_out(
        cloud,
        ctx,
        &plan,
        ChangeTiming::default(),
        !confirm.no_wait,
        progress,
    )
    .await?;
    let Some((ending, stream)) = outcome else {
        out(&format!(
            "Not waiting: follow it with `firekeeper status --stream {}`.",
            escape(&plan.stream.name)
        ));
        return Ok(exit::DONE);
    };
    out(&for_terminal(&explain(&plan, &ending, &stream)));
    Ok(match ending {
        Ending::Done => exit::DONE,
        Ending::Failed(_) => exit::FAILED,
        Ending::TimedOut | Ending::Unconfirmed | Ending::Superseded { .. } => exit::ERROR,
    })
}

/// The last word on a refused change, on stderr. When the plan printed just
/// before already lists the refusals and stdout is the terminal, they are not
/// said twice; when stdout goes to a pipe or a file, stderr's reader would not
/// see them, so they are.
pub fn say_refused(why: &str, in_plan: bool) {
    if in_plan && std::io::stdout().is_terminal() {
        err("firekeeper: refused, nothing was sent (the reasons are above)");
    } else {
        err(&format!(
            "firekeeper: refused, nothing was sent: {}",
            for_terminal(why)
        ));
    }
}

/// The plan in words, as the confirmation shows it, safe to print: names and
/// labels come from AWS and are escaped.
pub fn describe(plan: &Plan) -> String {
    let s = &plan.stream;
    let q = &plan.quota;
    let refused = if q.refused > 0 {
        format!(
            " ({} of them calls AWS refused: {} left if those do not count)",
            q.refused, q.remaining_at_most
        )
    } else {
        String::new()
    };
    let source = match plan.quota_source.reason() {
        Some(_) => ", counted by this machine's ledger alone",
        None => "",
    };
    let mut out = format!(
        "Stream   {} ({}, {}, encryption {})\nChange   {}: {} -> {}\nQuota    {} of {} Start/Stop calls left in 24 h{refused}{source}; {} after this call\n",
        escape(&s.name),
        escape(s.source.as_str()),
        escape(&s.status),
        s.encryption.status,
        plan.action,
        escape(&plan.old_label),
        escape(&plan.new_label),
        q.remaining,
        q.limit,
        plan.quota_after(),
    );
    for w in &plan.verdict.warnings {
        out.push_str(&format!("Warning  {}\n", escape(w)));
    }
    for r in &plan.verdict.refusals {
        out.push_str(&format!("Refused  {}\n", escape(r)));
    }
    for r in &plan.verdict.overridable {
        out.push_str(&format!("Refused  {}\n", escape(r)));
    }
    if plan.verdict.forceable() {
        out.push_str("Force    --force sends it anyway; AWS's answer settles it and is recorded\n");
    }
    for_terminal(&out).into_owned()
}

/// Asks at the terminal; without one, refuses (scripts pass --yes).
async fn confirmed(ctx: &ChangeContext, plan: &Plan) -> Result<(), ChangeError> {
    if !std::io::stdin().is_terminal() {
        return Err(refuse(
            ctx,
            plan,
            "no terminal to confirm at: pass --yes to change without a prompt",
        ));
    }
    if plan.action == "disable" {
        prompt(&format!(
            "Type the stream name ({}) to stop its encryption: ",
            escape(&plan.stream.name)
        ));
        if read_line().await.trim() != plan.stream.name {
            return Err(refuse(ctx, plan, "the name typed did not match; cancelled"));
        }
    } else {
        prompt("Proceed? [y/N] ");
        if !matches!(read_line().await.trim(), "y" | "Y" | "yes" | "YES") {
            return Err(refuse(ctx, plan, "cancelled at the prompt"));
        }
    }
    Ok(())
}
