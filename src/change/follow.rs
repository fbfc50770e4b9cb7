//! After the call: confirming a lost answer by reading, and following the
//! stream until AWS settles the change.

use std::time::Duration;

use super::guard::{Abandoned, Watch};
use super::record::{audit_entry, ledger_call, ledger_entry, write_down};
use super::{explain, send, ChangeContext, ChangeError, ChangeTiming, Ending, Plan, Sent, Step};
use crate::audit::AuditOutcome;
use crate::cloud::{Cloud, CloudError};
use crate::inventory::KeyBook;
use crate::model::EncryptionCall;
use crate::model::{EncryptionStatus, KeyRef, KeyType, Stream};
use crate::quota::Outcome;

/// After a call whose answer was lost: describes the stream until it shows
/// the call took effect (status or key moved from what the plan saw), or
/// `within` passes. Never sends the call again. True when AWS had accepted it.
pub async fn confirm_by_reading(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &Plan,
    sent: &Sent,
    poll: Duration,
    within: Duration,
) -> Result<bool, ChangeError> {
    let unwatched = Watch::marked(sent.mark.clone());
    confirm_watched(cloud, ctx, plan, sent, (poll, within), &unwatched).await
}

async fn confirm_watched(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &Plan,
    sent: &Sent,
    (poll, within): (Duration, Duration),
    watch: &Watch,
) -> Result<bool, ChangeError> {
    let start = tokio::time::Instant::now();
    loop {
        match cloud.describe_stream(&plan.stream.name).await {
            Ok(now) if moved(&plan.stream, &now) => {
                let call = ledger_call(ctx, plan, ctx.account.clone().unwrap_or_default());
                let record = ledger_entry(&call, &sent.id, Outcome::Accepted, None);
                let line = audit_entry(
                    ctx,
                    plan,
                    AuditOutcome::Accepted,
                    &format!(
                        "AWS had applied the call: encryption is now {}",
                        now.encryption.status
                    ),
                );
                write_down(ctx, watch, false, Some(record), line).await?;
                return Ok(true);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("checking {}: {e}", plan.stream.name),
        }
        if start.elapsed() >= within {
            let line = audit_entry(
                ctx,
                plan,
                AuditOutcome::Unknown,
                &format!(
                    "no sign after {} s that AWS applied the call; it may still, and it counts against the quota",
                    within.as_secs()
                ),
            );
            write_down(ctx, watch, true, None, line).await?;
            return Ok(false);
        }
        tokio::time::sleep(poll).await;
    }
}

/// Whether the stream's encryption differs from what was described before.
pub fn moved(before: &Stream, now: &Stream) -> bool {
    let (a, b) = (&before.encryption, &now.encryption);
    (&a.status, &a.key_type, &a.key_arn, &a.failure)
        != (&b.status, &b.key_type, &b.key_arn, &b.failure)
}

/// Sends the change once, finds out by reading what a lost answer hid, and
/// follows the stream until it settles (unless `wait` is false). Every step
/// is audited; if this future is dropped part-way (the user quit), the audit
/// says firekeeper left before AWS finished.
pub async fn carry_out(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &Plan,
    timing: ChangeTiming,
    wait: bool,
    mut step: impl FnMut(Step<'_>),
) -> Result<Option<(Ending, Stream)>, ChangeError> {
    let sent = send(cloud, ctx, plan).await?;
    let mut watch = Abandoned::new(ctx, plan, sent.mark.clone());
    match &sent.unclear {
        None => step(Step::Accepted),
        Some(e) => {
            step(Step::Unclear(e));
            let patience = (timing.poll, timing.confirm_within);
            let applied = confirm_watched(cloud, ctx, plan, &sent, patience, &watch.watch).await?;
            if !applied {
                watch.disarm();
                return Ok(Some((Ending::Unconfirmed, plan.stream.clone())));
            }
            step(Step::Confirmed);
        }
    }
    if !wait {
        watch.disarm();
        return Ok(None);
    }
    let patience = (timing.poll, timing.patience);
    let result = follow_watched(cloud, ctx, plan, patience, &watch.watch, |s| {
        step(Step::Seen(s));
    })
    .await;
    // A follow that stopped on an error leaves the guard armed, so the audit
    // still ends with "left before AWS finished" rather than "accepted".
    if result.is_ok() {
        watch.disarm();
    }
    result.map(Some)
}

/// Re-describes the stream until its encryption settles, calling `seen` with
/// each description, then records and returns how it ended.
pub async fn follow(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &Plan,
    poll: Duration,
    timeout: Duration,
    seen: impl FnMut(&Stream),
) -> Result<(Ending, Stream), ChangeError> {
    let unwatched = Watch::default();
    follow_watched(cloud, ctx, plan, (poll, timeout), &unwatched, seen).await
}

async fn follow_watched(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &Plan,
    (poll, timeout): (Duration, Duration),
    watch: &Watch,
    mut seen: impl FnMut(&Stream),
) -> Result<(Ending, Stream), ChangeError> {
    let finish = |ending, stream| finish(ctx, plan, watch, ending, stream);
    let start = tokio::time::Instant::now();
    // What was described before the call may itself look settled (a leftover
    // ENABLING_FAILED): only a state that moved, or came through a
    // transition, is this change's answer.
    let mut through_transition = false;
    let mut showed_target = false;
    loop {
        tokio::time::sleep(poll).await;
        let stream = match cloud.describe_stream(&plan.stream.name).await {
            Ok(s) => s,
            Err(
                e @ (CloudError::Throttled(_)
                | CloudError::Unreachable(_)
                | CloudError::NoAnswer(_)
                | CloudError::Server(_)),
            ) => {
                tracing::warn!("following {}: {e}", plan.stream.name);
                if start.elapsed() >= timeout {
                    return finish(Ending::TimedOut, plan.stream.clone()).await;
                }
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        seen(&stream);
        through_transition |= stream.encryption.status.is_transition();
        showed_target |= shows_target(plan, &stream);
        let answered = through_transition || moved(&plan.stream, &stream);
        if let Some(ending) = settled(plan, &stream).filter(|_| answered) {
            return finish(ending, stream).await;
        }
        if overtaken(plan, showed_target, &stream) {
            let book = KeyBook::from_aliases(cloud.list_aliases().await.unwrap_or_default());
            let now = book.label(&stream);
            return finish(Ending::Superseded { now }, stream).await;
        }
        if start.elapsed() >= timeout {
            return finish(Ending::TimedOut, stream).await;
        }
    }
}

/// Whether the stream shows the key this change asks for (a Start), or no
/// encryption (a Stop).
fn shows_target(plan: &Plan, s: &Stream) -> bool {
    let e = &s.encryption;
    match &plan.change {
        EncryptionCall::Stop => matches!(
            e.status,
            EncryptionStatus::Disabling | EncryptionStatus::Disabled
        ),
        EncryptionCall::Start(KeyRef::AwsOwned) => e.key_type == Some(KeyType::AwsOwned),
        EncryptionCall::Start(KeyRef::Customer(k)) => e.key_arn.as_deref() == Some(k.arn.as_str()),
    }
}

/// Whether someone else has changed the stream while this change was
/// followed: it moved to a state this change cannot lead to. A key that is
/// neither the old nor the new one, the opposite change (a Stop while
/// starting, a Start while stopping), or, once the new key was shown,
/// anything but the new key.
pub fn overtaken(plan: &Plan, showed_target: bool, s: &Stream) -> bool {
    if !moved(&plan.stream, s) && !showed_target {
        return false;
    }
    let e = &s.encryption;
    match &plan.change {
        EncryptionCall::Stop => matches!(
            e.status,
            EncryptionStatus::Enabling
                | EncryptionStatus::Enabled
                | EncryptionStatus::EnablingFailed
        ),
        EncryptionCall::Start(_) => match e.status {
            EncryptionStatus::Disabling
            | EncryptionStatus::Disabled
            | EncryptionStatus::DisablingFailed => true,
            // A failed start leaves the old key: that is this change's own
            // failure, which `settled` reports.
            // Not this change's state, but not known to be another's either:
            // followed until it settles or times out, never called superseded.
            EncryptionStatus::EnablingFailed
            | EncryptionStatus::Other(_)
            | EncryptionStatus::NotRecorded => false,
            EncryptionStatus::Enabling | EncryptionStatus::Enabled => {
                let old = &plan.stream.encryption;
                let is_old = (&e.key_type, &e.key_arn) == (&old.key_type, &old.key_arn)
                    && old.status != EncryptionStatus::Disabled;
                !shows_target(plan, s) && (showed_target || !is_old)
            }
        },
    }
}

/// Whether this description shows the change finished, and how.
pub fn settled(plan: &Plan, s: &Stream) -> Option<Ending> {
    let e = &s.encryption;
    match (&plan.change, &e.status) {
        (_, EncryptionStatus::Enabling | EncryptionStatus::Disabling) => None,
        (EncryptionCall::Start(_), EncryptionStatus::EnablingFailed) => {
            Some(Ending::Failed(e.failure.clone()))
        }
        (EncryptionCall::Stop, EncryptionStatus::DisablingFailed) => {
            Some(Ending::Failed(e.failure.clone()))
        }
        (EncryptionCall::Stop, EncryptionStatus::Disabled) => Some(Ending::Done),
        (EncryptionCall::Start(KeyRef::AwsOwned), EncryptionStatus::Enabled)
            if e.key_type == Some(KeyType::AwsOwned) =>
        {
            Some(Ending::Done)
        }
        (EncryptionCall::Start(KeyRef::Customer(k)), EncryptionStatus::Enabled)
            if e.key_arn.as_deref() == Some(k.arn.as_str()) =>
        {
            Some(Ending::Done)
        }
        // AWS has not shown the change yet.
        _ => None,
    }
}

async fn finish(
    ctx: &ChangeContext,
    plan: &Plan,
    watch: &Watch,
    ending: Ending,
    stream: Stream,
) -> Result<(Ending, Stream), ChangeError> {
    let outcome = match ending {
        Ending::Done => AuditOutcome::Succeeded,
        Ending::Failed(_) => AuditOutcome::Failed,
        Ending::TimedOut | Ending::Unconfirmed => AuditOutcome::Unknown,
        Ending::Superseded { .. } => AuditOutcome::Superseded,
    };
    let line = audit_entry(ctx, plan, outcome, &explain(plan, &ending, &stream));
    write_down(ctx, watch, true, None, line).await?;
    Ok((ending, stream))
}
