//! `firekeeper key rotate` and `firekeeper key auto-rotation`: the plan,
//! a confirmation, the call, and the outcome followed to the end.

use std::io::IsTerminal;

use super::change::{change_context, failed};
use super::connect::{connect_one, Usage};
use super::signals::{err, out, prompt, read_line};
use super::{exit, Cli, ConfirmArgs, KeyCommand, OnOff};
use crate::change::{ChangeContext, ChangeError};
use crate::cloud::Cloud;
use crate::config::Config;
use crate::key_rotation::{
    self, carry_out, describe, plan, refuse, KeyChange, KeyEnding, KeyProgress, RotationTiming,
};
use crate::model::stamp;
use crate::text::{escape, for_terminal};

/// What the command line asks of a key.
pub struct KeyAsk<'a> {
    /// A key id, key ARN, alias/NAME or alias ARN.
    pub key: &'a str,
    pub change: KeyChange,
    pub confirm: &'a ConfirmArgs,
    /// Streams described at once to find those on the key.
    pub concurrency: usize,
}

/// `firekeeper key …`: a change to a key's material rotation.
pub async fn command(cli: &Cli, config: &Config, command: &KeyCommand) -> anyhow::Result<u8> {
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
    let ask = KeyAsk {
        key,
        change,
        confirm,
        concurrency: config.aws.describe_concurrency.0,
    };
    Ok(run(cloud.as_ref(), &ctx, &ask).await)
}

/// Plans, confirms, sends and follows the change; the exit code.
pub async fn run(cloud: &dyn Cloud, ctx: &ChangeContext, ask: &KeyAsk<'_>) -> u8 {
    let mut shown = None;
    match run_inner(cloud, ctx, ask, &mut shown).await {
        Ok(code) => code,
        // `key` documents 1 for AWS's refusal: no quota of its own is at stake.
        Err(e) => failed(e, shown.as_deref(), exit::ERROR),
    }
}

async fn run_inner(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    ask: &KeyAsk<'_>,
    shown: &mut Option<String>,
) -> Result<u8, ChangeError> {
    // The key's ARN first, to find its streams; the plan describes it again.
    let arn = crate::change::named_key(cloud, &ctx.region, ask.key)
        .await?
        .arn;
    let streams = key_rotation::streams_using(cloud, &arn, ask.concurrency).await?;
    let plan = plan(cloud, ctx, ask.key, ask.change, streams).await?;
    prompt(&describe(&plan));
    *shown = Some(plan.verdict.refusals.join("; "));
    if !plan.verdict.allowed() {
        return Err(refuse(ctx, &plan, &plan.verdict.refusals.join("; ")).await);
    }
    if !ask.confirm.yes {
        if let Err(why) = confirmed().await {
            return Err(refuse(ctx, &plan, why).await);
        }
    }
    let ending = carry_out(
        cloud,
        ctx,
        &plan,
        RotationTiming::default(),
        !ask.confirm.no_wait,
        |progress| match progress {
            KeyProgress::Said(step) => out(&for_terminal(step)),
            KeyProgress::NotAudited(why) => err(&format!("firekeeper: {}", for_terminal(why))),
        },
    )
    .await?;
    Ok(said_ending(&escape(&plan.label), ask.change, ending))
}

/// The last word on a change that was sent, and its exit code.
fn said_ending(label: &str, change: KeyChange, ending: KeyEnding) -> u8 {
    match ending {
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
    }
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
