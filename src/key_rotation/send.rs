//! Sending a key change once, finding out what a lost answer hid by reading
//! the key, and following the key until KMS shows the change done.

use chrono::{DateTime, Duration, Utc};

use super::{KeyChange, KeyEnding, KeyPlan, ON_DEMAND_DOCUMENTED};
use crate::audit::{AuditEntry, AuditOutcome, CallMark};
use crate::change::{ChangeContext, ChangeError};
use crate::cloud::{CallAnswer, Cloud, CloudError};
use crate::model::{RotationKind, RotationRecord};

/// One line of the audit log about this key change.
fn entry(ctx: &ChangeContext, plan: &KeyPlan, outcome: AuditOutcome, message: &str) -> AuditEntry {
    marked(ctx, plan, &CallMark::default(), outcome, message)
}

/// One line of the audit log about this key change's call.
fn marked(
    ctx: &ChangeContext,
    plan: &KeyPlan,
    mark: &CallMark,
    outcome: AuditOutcome,
    message: &str,
) -> AuditEntry {
    AuditEntry {
        key: Some(plan.key.arn.clone()),
        call: mark.clone(),
        ..ctx.audit_line(plan.change.action(), outcome, message)
    }
}

async fn audit(
    ctx: &ChangeContext,
    plan: &KeyPlan,
    outcome: AuditOutcome,
    message: &str,
) -> Result<(), ChangeError> {
    Ok(ctx
        .audit
        .append_async(entry(ctx, plan, outcome, message))
        .await?)
}

/// Records a refusal before sending (a declined prompt, a failed check).
pub async fn refuse(ctx: &ChangeContext, plan: &KeyPlan, why: &str) -> ChangeError {
    if let Err(e) = audit(ctx, plan, AuditOutcome::Refused, why).await {
        return e;
    }
    ChangeError::Refused(why.to_string())
}

/// How often a rotation under way is looked at, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct RotationTiming {
    pub poll: std::time::Duration,
    pub patience: std::time::Duration,
}

impl Default for RotationTiming {
    fn default() -> RotationTiming {
        RotationTiming {
            poll: std::time::Duration::from_secs(2),
            patience: std::time::Duration::from_secs(15 * 60),
        }
    }
}

/// Sends the change once and, if `wait`, follows it to the end. `progress`
/// hears each step in words. Once the call has left, an audit line that
/// cannot be written is logged and told to `progress`, never allowed to
/// hide what KMS answered.
pub async fn carry_out(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &KeyPlan,
    timing: RotationTiming,
    wait: bool,
    mut progress: impl FnMut(KeyProgress<'_>),
) -> Result<KeyEnding, ChangeError> {
    if !plan.verdict.allowed() {
        return Err(refuse(ctx, plan, &plan.verdict.refusals.join("; ")).await);
    }
    ctx.audit.writable()?;
    let (call, sent_at, answer) = send_once(cloud, ctx, plan).await?;
    let note = |outcome, message: &str| note(ctx, plan, &call, outcome, message.to_string());
    match answer.result {
        Ok(()) => {
            let failed = note(AuditOutcome::Accepted, "KMS accepted the call").await;
            unaudited(&mut progress, failed);
            progress(KeyProgress::Said("KMS accepted the call."));
        }
        // A refusal KMS stands by; a server error or an answer that could
        // not be read may hide a change KMS made, like a lost answer.
        Err(e) if answer.answered && !matches!(e, CloudError::Server(_) | CloudError::Other(_)) => {
            let why = explain_refusal(plan, &e);
            unaudited(&mut progress, note(AuditOutcome::Rejected, &why).await);
            return Err(ChangeError::Rejected(why));
        }
        Err(e) => {
            let said = format!("{e}; KMS may have applied this, checking by reading the key");
            unaudited(&mut progress, note(AuditOutcome::Unknown, &said).await);
            progress(KeyProgress::Said(&format!(
                "{e}.\nKMS may have applied this; checking…"
            )));
            let unclear = Unclear {
                call: &call,
                sent_at,
                error: &e,
            };
            if let Some(ending) = confirm(cloud, ctx, plan, timing, &unclear, &mut progress).await {
                return Ok(ending);
            }
        }
    }
    if !wait {
        return Ok(KeyEnding::Sent);
    }
    let ending = follow(cloud, plan, timing, &mut |step| {
        progress(KeyProgress::Said(step));
    })
    .await;
    let (outcome, message) = match &ending {
        KeyEnding::Done(_) => (AuditOutcome::Succeeded, "done"),
        _ => (
            AuditOutcome::Unknown,
            "not shown done when firekeeper stopped waiting",
        ),
    };
    unaudited(&mut progress, note(outcome, message).await);
    Ok(ending)
}

/// Audits the call as sent, then sends it once: the call's mark (with
/// KMS's request id), when it left, and KMS's answer.
async fn send_once(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &KeyPlan,
) -> Result<(CallMark, DateTime<Utc>, CallAnswer), ChangeError> {
    let mark = CallMark {
        call_id: Some(format!(
            "{}-{}-key",
            Utc::now().timestamp_micros(),
            std::process::id()
        )),
        access_key_id: cloud.credentials().await.access_key_id,
        pid: Some(std::process::id()),
        ..CallMark::default()
    };
    let sent = marked(
        ctx,
        plan,
        &mark,
        AuditOutcome::Sent,
        &plan.change.describe(),
    );
    ctx.audit.append_async(sent).await?;
    let sent_at = Utc::now();
    // Until KMS answers, stopping here audits the call as unknown (a later
    // run settles it), never leaving the log at `sent`.
    let flight = crate::change::InFlight::new(
        ctx.audit.clone(),
        marked(
            ctx,
            plan,
            &mark,
            AuditOutcome::Unknown,
            crate::change::IN_FLIGHT,
        ),
        mark.clone(),
    );
    let answer = match plan.change {
        KeyChange::RotateNow => cloud.rotate_key_now(&plan.key.arn).await,
        KeyChange::AutoOn(days) => cloud.set_auto_rotation(&plan.key.arn, Some(days)).await,
        KeyChange::AutoOff => cloud.set_auto_rotation(&plan.key.arn, None).await,
    };
    flight.land();
    let call = CallMark {
        request_id: answer.request_id.clone(),
        ..mark
    };
    Ok((call, sent_at, answer))
}

/// A call whose answer did not say whether KMS applied it.
struct Unclear<'a> {
    call: &'a CallMark,
    sent_at: DateTime<Utc>,
    error: &'a CloudError,
}

/// Reads the key to find out what an unclear answer hid: `None` when it
/// shows the change, or the ending that says it could not be confirmed.
async fn confirm(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &KeyPlan,
    timing: RotationTiming,
    unclear: &Unclear<'_>,
    progress: &mut impl FnMut(KeyProgress<'_>),
) -> Option<KeyEnding> {
    let note = |outcome, message: &str| note(ctx, plan, unclear.call, outcome, message.to_string());
    match applied(cloud, plan, unclear.sent_at, timing).await {
        Some(true) => {
            let failed = note(AuditOutcome::Accepted, "the key shows the change").await;
            unaudited(progress, failed);
            progress(KeyProgress::Said("KMS had applied the call."));
            None
        }
        seen => {
            let cause = unclear_cause(unclear.error);
            let why = if seen.is_some() {
                format!("{cause} and the key does not show the change: KMS probably did not apply it; nothing was sent again")
            } else {
                format!("{cause} and the key could not be read: the outcome is not known; nothing was sent again")
            };
            unaudited(progress, note(AuditOutcome::Unknown, &why).await);
            Some(KeyEnding::Unconfirmed {
                seen: seen.is_some(),
                cause,
            })
        }
    }
}

/// What `carry_out` reports as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProgress<'a> {
    /// A step, in words.
    Said(&'a str),
    /// An audit line that could not be written after the call left: why,
    /// in words. The change goes on being reported.
    NotAudited(&'a str),
}

/// Audits a step after the call left: a line that cannot be written is
/// logged, and what to say of it is returned.
async fn note(
    ctx: &ChangeContext,
    plan: &KeyPlan,
    mark: &CallMark,
    outcome: AuditOutcome,
    message: String,
) -> Option<String> {
    let line = marked(ctx, plan, mark, outcome, &message);
    let e = ctx.audit.append_async(line).await.err()?;
    tracing::error!("audit log not written after the call was sent: {e}");
    Some(format!(
        "the audit log could not be written ({e}); what KMS did is reported below"
    ))
}

/// Tells `progress` of an audit line `note` could not write.
fn unaudited(progress: &mut impl FnMut(KeyProgress<'_>), failed: Option<String>) {
    if let Some(why) = failed {
        progress(KeyProgress::NotAudited(&why));
    }
}

/// On-demand rotations KMS lists for the key; `None` if it would not say.
async fn on_demand_count(cloud: &dyn Cloud, plan: &KeyPlan) -> Option<usize> {
    cloud.key_rotations(&plan.key.arn).await.ok().map(|r| {
        r.iter()
            .filter(|x| x.kind == RotationKind::OnDemand)
            .count()
    })
}

/// Whether the key shows the change, for a call whose answer was lost:
/// compared with what the plan saw before sending, read for a minute (KMS
/// may show it a moment late). `None` when the key could not be read.
async fn applied(
    cloud: &dyn Cloud,
    plan: &KeyPlan,
    sent_at: DateTime<Utc>,
    timing: RotationTiming,
) -> Option<bool> {
    let tries = (60 / timing.poll.as_secs().max(1)).max(3);
    let mut read_once = false;
    for _ in 0..tries {
        tokio::time::sleep(timing.poll).await;
        let Ok(key) = cloud.describe_key(&plan.key.arn).await else {
            continue;
        };
        let Some(rotation) = key.rotation else {
            continue;
        };
        read_once = true;
        let shown = match plan.change {
            KeyChange::RotateNow => {
                // A rotation started after this call left (KMS's clock
                // may lag a little), or one more finished than before.
                rotation
                    .on_demand_since
                    .is_some_and(|t| t >= sent_at - Duration::minutes(1))
                    || match (on_demand_count(cloud, plan).await, plan.on_demand_done()) {
                        (Some(now), Some(before)) => now > before,
                        _ => false,
                    }
            }
            KeyChange::AutoOn(days) => {
                rotation.automatic && rotation.period_days.is_none_or(|d| d == days)
            }
            KeyChange::AutoOff => !rotation.automatic,
        };
        if shown {
            return Some(true);
        }
    }
    read_once.then_some(false)
}

/// Why the outcome of a call is unclear, for the sentence that says so.
fn unclear_cause(e: &CloudError) -> String {
    match e {
        CloudError::Server(m) => format!("KMS answered with a server error ({m})"),
        CloudError::Other(m) => format!("KMS's answer could not be read ({m})"),
        _ => "the answer was lost".to_string(),
    }
}

/// Reads the key until it shows the change done, or patience runs out. A
/// rotation is done when KMS lists one more on-demand rotation than before
/// and none is under way; a key whose rotation cannot be read is never
/// taken for done.
async fn follow(
    cloud: &dyn Cloud,
    plan: &KeyPlan,
    timing: RotationTiming,
    progress: &mut impl FnMut(&str),
) -> KeyEnding {
    let start = tokio::time::Instant::now();
    let mut said_rotating = false;
    loop {
        tokio::time::sleep(timing.poll).await;
        let rotation = cloud
            .describe_key(&plan.key.arn)
            .await
            .ok()
            .and_then(|k| k.rotation);
        match (plan.change, rotation) {
            (KeyChange::RotateNow, Some(r)) if r.on_demand_since.is_none() => {
                let before = plan.on_demand_done().unwrap_or(0);
                if let Ok(list) = cloud.key_rotations(&plan.key.arn).await {
                    let done: Vec<&RotationRecord> = list
                        .iter()
                        .filter(|x| x.kind == RotationKind::OnDemand)
                        .collect();
                    if done.len() > before {
                        return KeyEnding::Done(done.iter().map(|x| x.at).max());
                    }
                }
            }
            (KeyChange::RotateNow, Some(_)) if !said_rotating => {
                said_rotating = true;
                progress("  rotating");
            }
            (KeyChange::AutoOn(days), Some(r))
                if r.automatic && r.period_days.is_none_or(|d| d == days) =>
            {
                return KeyEnding::Done(r.next_at);
            }
            (KeyChange::AutoOff, Some(r)) if !r.automatic => return KeyEnding::Done(None),
            _ => {}
        }
        if start.elapsed() >= timing.patience {
            return KeyEnding::TimedOut;
        }
    }
}

/// AWS's refusal, in words that say what to do.
fn explain_refusal(plan: &KeyPlan, e: &CloudError) -> String {
    match e {
        CloudError::LimitExceeded(m) => format!(
            "KMS refused: {m}. A key may be rotated on demand at most {ON_DEMAND_DOCUMENTED} times ({} done so far). Automatic rotation has no such limit: `firekeeper key auto-rotation {} on`",
            plan.on_demand_done().map_or("?".to_string(), |n| n.to_string()),
            plan.label
        ),
        other => format!("KMS refused: {other}"),
    }
}
