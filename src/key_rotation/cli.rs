//! `firekeeper key rotate` and `firekeeper key auto-rotation`: the plan,
//! a confirmation, the call, and the outcome followed to the end.

use std::io::IsTerminal;

use super::{carry_out, consequences, plan, refuse, KeyChange, KeyEnding, KeyPlan, RotationTiming};
use crate::change::cli::say_refused;
use crate::change::{ChangeContext, ChangeError};
use crate::cli::signals::{err, out, prompt, read_line};
use crate::cli::{exit, ConfirmArgs};
use crate::cloud::Cloud;
use crate::model::stamp;
use crate::text::{escape, for_terminal};

pub async fn run(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    key: &str,
    change: KeyChange,
    confirm: &ConfirmArgs,
    concurrency: usize,
) -> u8 {
    let mut shown = None;
    match run_inner(cloud, ctx, key, change, confirm, concurrency, &mut shown).await {
        Ok(code) => code,
        Err(ChangeError::Refused(why)) => {
            say_refused(&why, shown.as_deref() == Some(why.as_str()));
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
    key: &str,
    change: KeyChange,
    confirm: &ConfirmArgs,
    concurrency: usize,
    shown: &mut Option<String>,
) -> Result<u8, ChangeError> {
    // The key's ARN first, to find its streams; the plan describes it again.
    let arn = crate::change::named_key(cloud, &ctx.region, key).await?.arn;
    let streams = super::streams_using(cloud, &arn, concurrency).await?;
    let plan = plan(cloud, ctx, key, change, streams).await?;
    prompt(&describe(&plan));
    *shown = Some(plan.verdict.refusals.join("; "));
    if !plan.verdict.allowed() {
        return Err(refuse(ctx, &plan, &plan.verdict.refusals.join("; ")).await);
    }
    if !confirm.yes {
        if let Err(why) = confirmed().await {
            return Err(refuse(ctx, &plan, why).await);
        }
    }
    let ending = carry_out(
        cloud,
        ctx,
        &plan,
        RotationTiming::default(),
        !confirm.no_wait,
        |step| out(&for_terminal(step)),
    )
    .await?;
    let label = escape(&plan.label);
    Ok(match ending {
        KeyEnding::Done(at) => {
            match (change, at) {
                (KeyChange::RotateNow, Some(at)) => {
                    out(&format!(
                        "The key material of {label} was rotated at {}.",
                        stamp(at)
                    ));
                }
                (KeyChange::RotateNow, None) => {
                    out(&format!("The key material of {label} was rotated."));
                }
                (KeyChange::AutoOn(days), next) => out(&format!(
                    "{label} now rotates automatically every {days} days{}.",
                    next.map_or(String::new(), |n| format!("; next on {}", stamp(n)))
                )),
                (KeyChange::AutoOff, _) => {
                    out(&format!("{label} no longer rotates automatically."));
                }
            }
            exit::DONE
        }
        KeyEnding::Sent => {
            out("Not waiting: follow it with `firekeeper status --output json` (encryption.key.rotation).");
            exit::DONE
        }
        KeyEnding::TimedOut => {
            err(&format!(
                "firekeeper: {label} did not show the change done when firekeeper stopped waiting; KMS may still be at it. Check with `firekeeper status --output json` before trying again"
            ));
            exit::ERROR
        }
        KeyEnding::Unconfirmed { seen: true, cause } => {
            err(&format!(
                "firekeeper: {} and {label} does not show the change: KMS probably did not apply it. Nothing was sent again",
                for_terminal(&cause)
            ));
            exit::ERROR
        }
        KeyEnding::Unconfirmed { seen: false, cause } => {
            err(&format!(
                "firekeeper: {} and {label} could not be read: the outcome is not known. Nothing was sent again; check with `firekeeper status --output json` before trying again",
                for_terminal(&cause)
            ));
            exit::ERROR
        }
    })
}

/// The plan in words, safe to print: names come from AWS and are escaped.
pub fn describe(plan: &KeyPlan) -> String {
    let k = &plan.key;
    let rotation = match &k.rotation {
        None => "unknown".to_string(),
        Some(r) if r.automatic => format!(
            "automatic every {} days{}",
            r.period_days.map_or("?".to_string(), |d| d.to_string()),
            r.next_at
                .map_or(String::new(), |n| format!(", next {}", stamp(n)))
        ),
        Some(_) => "not automatic".to_string(),
    };
    let mut out = format!(
        "Key      {} ({}, {}, origin {})\nRotation {rotation}\nChange   {}\n",
        escape(&plan.label),
        escape(k.state.as_str()),
        escape(k.spec.as_str()),
        escape(k.origin.as_str()),
        plan.change.describe(),
    );
    let last: Vec<String> = plan
        .rotations
        .iter()
        .flatten()
        .take(3)
        .map(|r| format!("{} {}", stamp(r.at), r.kind.as_str()))
        .collect();
    if !last.is_empty() {
        out.push_str(&format!("Rotated  {}\n", last.join("; ")));
    }
    out.push_str(&format!(
        "Streams  {}\n",
        if plan.streams.is_empty() {
            "none".to_string()
        } else {
            plan.streams
                .iter()
                .map(|s| escape(s).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        }
    ));
    for c in consequences(plan) {
        out.push_str(&format!("Note     {c}\n"));
    }
    for w in &plan.verdict.warnings {
        out.push_str(&format!("Warning  {}\n", escape(w)));
    }
    for r in &plan.verdict.refusals {
        out.push_str(&format!("Refused  {}\n", escape(r)));
    }
    for_terminal(&out).into_owned()
}

/// Asks at the terminal; without one, refuses (scripts pass --yes).
async fn confirmed() -> Result<(), &'static str> {
    if !std::io::stdin().is_terminal() {
        return Err("no terminal to confirm at: pass --yes to change without a prompt");
    }
    prompt("Proceed? [y/N] ");
    if matches!(read_line().await.trim(), "y" | "Y" | "yes" | "YES") {
        Ok(())
    } else {
        Err("cancelled at the prompt")
    }
}
