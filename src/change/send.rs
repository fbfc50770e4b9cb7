//! Sending a change once, in steps: the checks that need no AWS, a slot
//! reserved in the quota ledger, a last look at the stream, the call audited
//! as sent, the call, the answer recorded with AWS's request id. The ledger
//! and audit writes run off the async runtime; the slot is guarded so that
//! it is given back whenever the call does not leave, however the send stops.
//! A call that reached AWS keeps its slot whatever AWS answered: AWS does
//! not say that a refused call is free.

use chrono::Utc;

use super::{
    audit_entry, ledger_call, ledger_entry, on_disk, refused, write_down, ChangeContext,
    ChangeError, InFlight, Plan, Sent, Watch,
};
use crate::audit::{AuditEntry, AuditLog, AuditOutcome, CallMark};
use crate::cloud::{CallAnswer, Cloud, CloudError};
use crate::model::EncryptionCall;
use crate::model::{KeyRef, Stream, TrailEvent};
use crate::quota::{Call, Entry, Ledger, LedgerError, Outcome, Quota};

/// Sends the change once, unless firekeeper must refuse it. The call is in
/// the ledger, synced, before it leaves, so a crash cannot hide a spent slot.
/// A lost answer is not an error: the returned `Sent` says the outcome is
/// unclear, and `confirm_by_reading` finds out what AWS did.
pub async fn send(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &Plan,
) -> Result<Sent, ChangeError> {
    let mut call = sendable(ctx, plan).await?;
    // Recorded with the reservation: if AWS's answer is lost, CloudTrail's
    // copy of the call is recognised by its access key and time.
    call.access_key_id = cloud.credentials().await.access_key_id;
    let (heard, counted) = heard(cloud, ctx, plan).await?;
    let slot = reserve(ctx, plan, call, heard).await?;
    let slot = last_look(cloud, ctx, plan, slot).await?;
    // The call's turn at the Firehose pace, taken before it is audited as
    // sent: stopped while waiting, it has not left and its slot goes back.
    cloud.change_turn().await;
    // The last moment the user's "send no more" can keep this call home:
    // the checks above waited their turn at the Firehose pace.
    if ctx.stop.stopped() {
        return Err(give_back(
            ctx,
            plan,
            slot,
            "stopped before sending; nothing was sent".into(),
        )
        .await);
    }
    let slot = announce(ctx, plan, slot, &counted).await?;
    // From here the call may reach AWS: the slot is spent whatever happens,
    // and until the answer is written down, stopping here (a signal, the
    // dashboard quitting) audits the call as unknown, never leaving `sent`.
    let (call, mark) = slot.spend();
    let line = audit_entry(ctx, plan, AuditOutcome::Unknown, super::IN_FLIGHT);
    let flight = InFlight::new(ctx.audit.clone(), line, mark.clone());
    let answer = call_aws(cloud, plan).await;
    record_answer(ctx, plan, &call, mark, flight, answer).await
}

/// The call to count in the ledger, unless the change may not be sent at all.
async fn sendable(ctx: &ChangeContext, plan: &Plan) -> Result<Call, ChangeError> {
    if ctx.read_only {
        return Err(refused(
            ctx,
            plan,
            "firekeeper is in read-only mode (--read-only or read_only = true)",
        )
        .await);
    }
    if !plan.verdict.sendable(ctx.force) {
        let mut why = plan.verdict.reasons();
        if plan.verdict.forceable() {
            why.push_str(SEND_ANYWAY);
        }
        return Err(refused(ctx, plan, &why).await);
    }
    // A call recorded under an unknown account would be counted apart from
    // every other call on the stream.
    let Some(account) = ctx.account.clone().filter(|a| !a.is_empty()) else {
        return Err(refused(
            ctx,
            plan,
            "the AWS account is not known yet (STS has not answered), so the call cannot be counted against the stream's quota; try again when the header shows the account",
        )
        .await);
    };
    Ok(ledger_call(ctx, plan, account))
}

/// How the user sends past a refusal AWS may not share, said with it.
pub const SEND_ANYWAY: &str =
    " (to send anyway: `--force` on the command line; in the dashboard, type send)";

/// Other people's calls, as CloudTrail shows them (the last read, if
/// fresh), for the reservation to count with the ledger's; and how the
/// count is made, for the audit. A plan counted with CloudTrail is not sent
/// on a count without it: the confirmation said more than this count knows.
async fn heard(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &Plan,
) -> Result<(std::sync::Arc<Vec<TrailEvent>>, String), ChangeError> {
    match ctx.trail.calls(cloud, Utc::now()).await {
        Ok(events) => Ok((events, "counted with CloudTrail".into())),
        Err(why) if plan.quota_source.reason().is_none() => {
            let why = format!(
                "the quota could not be counted with CloudTrail just before sending ({why}), as it was for the confirmation; nothing was sent: check the change again"
            );
            Err(refused(ctx, plan, &why).await)
        }
        Err(why) => Ok((
            Default::default(),
            format!("counted by this machine's ledger alone: {why}"),
        )),
    }
}

/// Takes one of the stream's calls in the ledger, counting those CloudTrail
/// shows (`heard`) too, or refuses with when the next frees.
async fn reserve(
    ctx: &ChangeContext,
    plan: &Plan,
    call: Call,
    heard: std::sync::Arc<Vec<TrailEvent>>,
) -> Result<Reservation, ChangeError> {
    let stopped = audit_entry(
        ctx,
        plan,
        AuditOutcome::Refused,
        "stopped before sending; nothing was sent",
    );
    let audit = ctx.audit.clone();
    let key_arn = match &plan.change {
        EncryptionCall::Stop => None,
        EncryptionCall::Start(key) => Some(match key.by_arn() {
            KeyRef::AwsOwned => "aws-owned".to_string(),
            KeyRef::Customer(arn) => arn,
        }),
    };
    // All on the blocking pool, the guard made where the slot is taken: if
    // the send is dropped meanwhile, the work still ends as it would have,
    // and the guard, dropped with the result, gives the slot back.
    ctx.ledger
        .off_runtime(move |ledger| {
            // Checked before a slot is taken: a call that cannot be audited
            // is not sent.
            audit.writable()?;
            match ledger.reserve_counting(&call, Utc::now(), &heard)? {
                Ok(id) => Ok(Reservation {
                    mark: CallMark {
                        call_id: Some(id.clone()),
                        access_key_id: call.access_key_id.clone(),
                        pid: Some(std::process::id()),
                        key_arn,
                        request_id: None,
                    },
                    stopped: AuditEntry {
                        call: CallMark {
                            call_id: Some(id.clone()),
                            ..CallMark::default()
                        },
                        ..stopped
                    },
                    ledger,
                    audit,
                    call,
                    id,
                    held: true,
                }),
                Err(quota) => {
                    // A refusal like `stopped`, for its own reason.
                    let why = no_calls_left(&call.stream, &quota);
                    audit.append(&AuditEntry {
                        time: Utc::now(),
                        message: why.clone(),
                        ..stopped
                    })?;
                    Err(ChangeError::Refused(why))
                }
            }
        })
        .await
}

fn no_calls_left(stream: &str, quota: &Quota) -> String {
    let others = quota
        .by_others()
        .map_or(String::new(), |o| format!(" ({o}, by CloudTrail)"));
    let next = quota
        .next_slot(Utc::now())
        .map_or(String::new(), |n| format!("; {n}"));
    let refused = if quota.only_refused_in_the_way() {
        format!(
            "; {} of the calls counted are calls AWS refused, and AWS does not document whether they count{SEND_ANYWAY}",
            quota.refused
        )
    } else {
        String::new()
    };
    format!("no Start/Stop calls left for {stream} in 24 hours{others}{next}{refused}")
}

/// Minutes may pass between the checks and "y" (a prompt, a dialog left
/// open): looks once more, so a stream someone else has started changing is
/// not sent a second change.
async fn last_look(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &Plan,
    slot: Reservation,
) -> Result<Reservation, ChangeError> {
    let name = &plan.stream.name;
    let why = match cloud.describe_stream(name).await {
        Ok(now) => changed_since(&plan.stream, &now),
        Err(e) => Some(format!(
            "could not look at {name} once more before sending: {e}"
        )),
    };
    match why {
        None => Ok(slot),
        Some(why) => Err(give_back(ctx, plan, slot, why).await),
    }
}

/// The slot given back and the refusal audited in one trip: both are
/// written even if the send is dropped in between.
async fn give_back(
    ctx: &ChangeContext,
    plan: &Plan,
    slot: Reservation,
    why: String,
) -> ChangeError {
    let line = Watch::marked(slot.stopped.call.clone()).stamp(audit_entry(
        ctx,
        plan,
        AuditOutcome::Refused,
        &why,
    ));
    let written = on_disk(ctx, move || {
        let mut slot = slot;
        slot.give_back()?;
        slot.audit.append(&line)?;
        Ok(())
    })
    .await;
    match written {
        Ok(()) => ChangeError::Refused(why),
        Err(e) => e,
    }
}

/// Audits the call as being sent. The slot goes along into the write and
/// comes back still held, so a send dropped meanwhile gives it back after
/// the line rather than racing it.
async fn announce(
    ctx: &ChangeContext,
    plan: &Plan,
    slot: Reservation,
    counted: &str,
) -> Result<Reservation, ChangeError> {
    let forced = if ctx.force && plan.quota.only_refused_in_the_way() {
        format!(
            "; sent by the user's choice although {}",
            crate::quota::refused_sentence(&plan.stream.name, &plan.quota, &plan.refused)
        )
    } else {
        String::new()
    };
    let message = format!("sending to AWS (quota {counted}){forced}");
    let line = AuditEntry {
        call: slot.mark.clone(),
        ..audit_entry(ctx, plan, AuditOutcome::Sent, &message)
    };
    on_disk(ctx, move || {
        let mut slot = slot;
        if let Err(e) = slot.audit.append(&line) {
            slot.give_back()?;
            return Err(e.into());
        }
        Ok(slot)
    })
    .await
}

async fn call_aws(cloud: &dyn Cloud, plan: &Plan) -> CallAnswer {
    let name = &plan.stream.name;
    match &plan.change {
        EncryptionCall::Stop => cloud.stop_encryption(name).await,
        EncryptionCall::Start(key) => cloud.start_encryption(name, &key.by_arn()).await,
    }
}

/// What one answer from AWS means: for the ledger (`None` when the "sent"
/// line must stand, and AWS gave no request id to add to it), for the audit
/// log, and for the caller (`Ok(Some(e))` when the outcome is unclear).
struct Answer {
    ledger: Option<Outcome>,
    audit: AuditOutcome,
    message: String,
    then: Result<Option<CloudError>, ChangeError>,
}

/// Records AWS's answer in the ledger and the audit log, and says what it
/// means for the caller.
async fn record_answer(
    ctx: &ChangeContext,
    plan: &Plan,
    call: &Call,
    mark: CallMark,
    flight: InFlight,
    reply: CallAnswer,
) -> Result<Sent, ChangeError> {
    let request_id = reply.request_id.clone();
    let code = reply
        .code
        .clone()
        .or_else(|| reply.result.as_ref().err().and_then(CloudError::code));
    let mut answer = judge(plan, reply);
    if ctx.force {
        settle_refused(plan, &mut answer);
    }
    let line = AuditEntry {
        call: CallMark {
            request_id: request_id.clone(),
            ..CallMark::default()
        },
        ..audit_entry(ctx, plan, answer.audit, &answer.message)
    };
    let id = mark.call_id.clone().unwrap_or_default();
    let record = answer.ledger.map(|o| Entry {
        error: code.filter(|_| matches!(o, Outcome::Rejected | Outcome::LimitExceeded)),
        ..ledger_entry(call, &id, o, request_id)
    });
    // The answer's line ends the call's time in flight. AWS has answered: a
    // failure to write it down must not hide the answer (the user would
    // think nothing happened and try again). The ledger's "sent" line
    // stands, so the call still counts.
    if let Err(e) = write_down(ctx, &flight.watch, true, record, line).await {
        tracing::error!(
            "AWS answered {}, but it could not be written down: {e}",
            plan.stream.name
        );
    }
    flight.land();
    answer.then.map(|unclear| Sent { id, unclear, mark })
}

/// A call sent although only refused calls filled the day: what AWS's
/// answer says about them. Accepted: they did not all count. The stream's
/// LimitExceededException: they did. Said in the audit and to the user.
fn settle_refused(plan: &Plan, answer: &mut Answer) {
    match answer.ledger {
        Some(Outcome::Accepted) => {
            if let Some(note) = accepted_past_refused(plan) {
                answer.message = format!("{}: {note}", answer.message);
            }
        }
        Some(Outcome::LimitExceeded) => {
            let n = plan.quota.refused;
            let why = format!(
                "{}. AWS settled it: the {n} refused call{} did count against the {} calls of {} in 24 hours",
                answer.message,
                if n == 1 { "" } else { "s" },
                crate::quota::LIMIT,
                plan.stream.name
            );
            answer.message.clone_from(&why);
            answer.then = Err(ChangeError::Rejected(why));
        }
        _ => {}
    }
}

/// What an accepted call sent past refused calls shows: they did not all
/// count. `None` for any other call.
pub fn accepted_past_refused(plan: &Plan) -> Option<String> {
    plan.quota.only_refused_in_the_way().then(|| {
        format!(
            "the 24 hours were full only by counting {} call{} AWS had refused, and AWS took this one: refused calls did not all count against the limit",
            plan.quota.refused,
            if plan.quota.refused == 1 { "" } else { "s" }
        )
    })
}

fn judge(plan: &Plan, reply: CallAnswer) -> Answer {
    let e = match reply.result {
        Ok(()) => {
            return Answer {
                ledger: Some(Outcome::Accepted),
                audit: AuditOutcome::Accepted,
                message: "AWS accepted the call".into(),
                then: Ok(None),
            }
        }
        Err(e) => e,
    };
    match &e {
        CloudError::LimitExceeded(m) if key_is_full(plan, m) => {
            // The key, not the stream, is at its limit.
            let why = format!(
                "{} already encrypts the most streams AWS allows for one key ({}); choose another key. The stream's quota is not exhausted. AWS said: {m}",
                plan.new_label,
                crate::preflight::STREAMS_PER_KEY
            );
            Answer {
                ledger: Some(Outcome::Rejected),
                audit: AuditOutcome::Rejected,
                message: why.clone(),
                then: Err(ChangeError::Rejected(why)),
            }
        }
        CloudError::LimitExceeded(_) => Answer {
            ledger: Some(Outcome::LimitExceeded),
            audit: AuditOutcome::Rejected,
            message: e.to_string(),
            then: Err(e.into()),
        },
        // No credentials to sign it with: the call never left.
        CloudError::Credentials(_) if !reply.answered => Answer {
            ledger: Some(Outcome::Unsent),
            audit: AuditOutcome::Refused,
            message: format!("{e}; nothing was sent"),
            then: Err(e.into()),
        },
        // AWS answered with a refusal: the call reached it and counts.
        CloudError::InvalidArgument(_)
        | CloudError::InUse(_)
        | CloudError::NotFound(_)
        | CloudError::InvalidKms(_)
        | CloudError::AccessDenied(_)
        | CloudError::Credentials(_)
        | CloudError::Throttled(_) => Answer {
            ledger: Some(Outcome::Rejected),
            audit: AuditOutcome::Rejected,
            message: e.to_string(),
            then: Err(e.into()),
        },
        // No answer, or a broken one: the call may have landed. The slot
        // stays spent and only a read can tell; a request id AWS gave with
        // a broken answer is kept on a second "sent" line.
        CloudError::Unreachable(_)
        | CloudError::NoAnswer(_)
        | CloudError::Server(_)
        | CloudError::Other(_) => Answer {
            ledger: reply.request_id.is_some().then_some(Outcome::Sent),
            audit: AuditOutcome::Unknown,
            message: format!("{e}; AWS may have applied this; checking by describing the stream"),
            then: Ok(Some(e)),
        },
    }
}

/// A slot taken in the ledger for a call not yet sent. Unless the call is
/// sent, the slot is given back (an `Unsent` record): on a refusal after
/// reserving, or when the send is dropped first (Ctrl-C, the dashboard
/// quitting). It owns what it writes with, so it can go along into work on
/// the blocking pool.
struct Reservation {
    ledger: Ledger,
    audit: AuditLog,
    call: Call,
    id: String,
    /// What the call's audit lines carry.
    mark: CallMark,
    /// Audited when the slot is given back because the send was dropped.
    stopped: AuditEntry,
    held: bool,
}

impl Reservation {
    /// Blocks: call it on the blocking pool, or from `drop`.
    fn give_back(&mut self) -> Result<(), LedgerError> {
        self.held = false;
        self.ledger
            .record(&ledger_entry(&self.call, &self.id, Outcome::Unsent, None))
    }

    /// The call is about to leave: the slot stays taken.
    fn spend(mut self) -> (Call, CallMark) {
        self.held = false;
        (self.call.clone(), std::mem::take(&mut self.mark))
    }
}

impl Drop for Reservation {
    /// Drop cannot await, so these two writes block whichever thread drops
    /// the guard, the async runtime's included: rare (a send stopped before
    /// its call left) and short (one lock wait at most, bounded by
    /// `quota::LOCK_PATIENCE`), and the slot must not stay taken.
    fn drop(&mut self) {
        if !self.held {
            return;
        }
        if let Err(e) = self.give_back() {
            tracing::error!("cannot give back an unsent call's slot: {e}");
        }
        let line = AuditEntry {
            time: Utc::now(),
            ..self.stopped.clone()
        };
        if let Err(e) = self.audit.append(&line) {
            tracing::error!("cannot audit an unsent change: {e}");
        }
    }
}

/// Why a stream described again just before sending no longer matches what
/// the checks and the confirmation saw; `None` when nothing that matters moved.
pub fn changed_since(before: &Stream, now: &Stream) -> Option<String> {
    let name = &now.name;
    if now.encryption.status.is_transition() {
        return Some(format!(
            "{name} is now {} (someone else is changing it); nothing was sent: look again when it settles",
            now.encryption.status
        ));
    }
    if now.status != before.status {
        return Some(format!(
            "{name} is now {} (was {} when checked); nothing was sent",
            now.status, before.status
        ));
    }
    if super::moved(before, now) {
        return Some(format!(
            "{name} changed since it was checked (encryption now {}); nothing was sent: check the change again",
            now.encryption.status
        ));
    }
    None
}

/// Whether a `LimitExceededException` is about the key (one customer key
/// serves at most 500 streams) rather than the stream's 25 calls. AWS uses the
/// one exception for both; only a Start with a customer key can hit the key's
/// limit, and its message names the key rather than the daily calls.
pub fn key_is_full(plan: &Plan, message: &str) -> bool {
    if !matches!(plan.change, EncryptionCall::Start(KeyRef::Customer(_))) {
        return false;
    }
    let m = message.to_lowercase();
    let about_calls = m.contains("24 hour")
        || m.contains("24-hour")
        || m.contains("per day")
        || m.contains("startdeliverystreamencryption")
        || m.contains("stopdeliverystreamencryption");
    let about_key = m.contains("key") || m.contains("cmk") || m.contains("kms");
    about_key && !about_calls
}

#[cfg(test)]
mod tests;
