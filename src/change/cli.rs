//! `firekeeper rotate` and `firekeeper disable`: the plan shown, a confirmation,
//! the call, and the outcome followed to the end.

use std::io::IsTerminal;

use super::{
    carry_out, explain, plan, refuse, ChangeContext, ChangeError, ChangeTiming, Ending, Plan,
    Request, Step,
};
use crate::cli::signals::{err, out, prompt, read_line};
use crate::cli::{exit, ConfirmArgs};
use crate::cloud::Cloud;
use crate::text::{escape, for_terminal};

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
        Err(ChangeError::Refused(why)) => {
            say_refused(&why, shown.as_deref() == Some(why.as_str()));
            exit::REFUSED
        }
        Err(e @ ChangeError::Rejected(_)) => {
            err(&format!("firekeeper: {}", for_terminal(&e.to_string())));
            exit::REFUSED
        }
        Err(e) => {
            err(&format!("firekeeper: {}", for_terminal(&e.to_string())));
            exit::ERROR
        }
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
        plan.verdict.reasons() + super::SEND_ANYWAY
    } else {
        plan.verdict.reasons()
    });
    if plan.verdict.sendable(ctx.force) && !ctx.read_only && !confirm.yes {
        confirmed(ctx, &plan).await?;
    }
    let mut last = None;
    let past_refused = super::accepted_past_refused(&plan).filter(|_| ctx.force);
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
