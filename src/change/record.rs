//! The audit and ledger lines of a change, and writing them down off the
//! async runtime.

use chrono::Utc;

use super::guard::Watch;
use super::{ChangeContext, ChangeError, Plan, Request};
use crate::audit::{AuditEntry, AuditError, AuditOutcome, CallMark};
use crate::inventory::{AWS_OWNED, NO_ENCRYPTION};
use crate::model::EncryptionCall;
use crate::model::KeyRef;
use crate::quota::{Call, Entry, Operation, Outcome};

impl ChangeContext {
    /// An audit line by this context's caller, in its account and region,
    /// about no stream or key yet: the caller fills in what it is about.
    pub(crate) fn audit_line(
        &self,
        action: &str,
        outcome: AuditOutcome,
        message: &str,
    ) -> AuditEntry {
        AuditEntry {
            time: Utc::now(),
            caller: self.caller.clone(),
            account: self.account.clone(),
            region: self.region.clone(),
            stream: String::new(),
            action: action.to_string(),
            old_key: None,
            new_key: None,
            key: None,
            outcome,
            message: message.to_string(),
            call: CallMark::default(),
        }
    }
}

/// One line of the audit log about this plan.
pub(super) fn audit_entry(
    ctx: &ChangeContext,
    plan: &Plan,
    outcome: AuditOutcome,
    message: &str,
) -> AuditEntry {
    AuditEntry {
        stream: plan.stream.name.clone(),
        old_key: Some(plan.old_label.clone()),
        new_key: Some(plan.new_label.clone()),
        ..ctx.audit_line(plan.action, outcome, message)
    }
}

/// Audits a step of the change, off the async runtime.
async fn audit(
    ctx: &ChangeContext,
    plan: &Plan,
    outcome: AuditOutcome,
    message: &str,
) -> Result<(), AuditError> {
    ctx.audit
        .append_async(audit_entry(ctx, plan, outcome, message))
        .await
}

/// Records a request refused before there was a plan to show.
pub(super) fn request_entry(ctx: &ChangeContext, request: &Request, why: &str) -> AuditEntry {
    let (action, new_key) = match request {
        Request::Switch { key, .. } => (
            "rotate",
            Some(match key {
                KeyRef::AwsOwned => AWS_OWNED.to_string(),
                KeyRef::Customer(k) => k.clone(),
            }),
        ),
        Request::Disable { .. } => ("disable", Some(NO_ENCRYPTION.to_string())),
    };
    AuditEntry {
        stream: request.stream().to_string(),
        new_key,
        ..ctx.audit_line(action, AuditOutcome::Refused, why)
    }
}

/// Records a refusal made before sending (for instance a declined prompt).
/// Blocks on the audit write: for the command line's prompt, which blocks
/// on the terminal anyway; async code uses `refused`.
pub fn refuse(ctx: &ChangeContext, plan: &Plan, why: &str) -> ChangeError {
    if let Err(e) = ctx
        .audit
        .append(&audit_entry(ctx, plan, AuditOutcome::Refused, why))
    {
        return e.into();
    }
    ChangeError::Refused(why.to_string())
}

/// `refuse`, off the async runtime.
pub(super) async fn refused(ctx: &ChangeContext, plan: &Plan, why: &str) -> ChangeError {
    if let Err(e) = audit(ctx, plan, AuditOutcome::Refused, why).await {
        return e.into();
    }
    ChangeError::Refused(why.to_string())
}

/// The call to count in the ledger for this plan, under `account`.
pub(super) fn ledger_call(ctx: &ChangeContext, plan: &Plan, account: String) -> Call {
    Call {
        account,
        region: ctx.region.clone(),
        stream: plan.stream.name.clone(),
        action: match plan.change {
            EncryptionCall::Stop => Operation::Stop,
            EncryptionCall::Start(_) => Operation::Start,
        },
        access_key_id: None,
        force: ctx.force,
    }
}

/// The ledger's line about this call, with AWS's request id when it gave one.
pub(super) fn ledger_entry(
    call: &Call,
    id: &str,
    outcome: Outcome,
    request_id: Option<String>,
) -> Entry {
    Entry {
        at: Utc::now(),
        id: id.to_string(),
        account: call.account.clone(),
        region: call.region.clone(),
        stream: call.stream.clone(),
        action: call.action,
        outcome,
        request_id,
        access_key_id: None,
        error: None,
    }
}

/// Ledger and audit writes of a change, on the blocking pool together (see
/// `journal::off_runtime`): what one closure writes is all written, in
/// order, even if the change is dropped while it runs.
pub(super) async fn on_disk<T: Send + 'static>(
    ctx: &ChangeContext,
    work: impl FnOnce() -> Result<T, ChangeError> + Send + 'static,
) -> Result<T, ChangeError> {
    ctx.ledger.off_runtime(move |_| work()).await
}

/// Records an outcome in the ledger (when there is one), then audits it,
/// under `watch` (see `Watch::write`).
pub(super) async fn write_down(
    ctx: &ChangeContext,
    watch: &Watch,
    ends: bool,
    record: Option<Entry>,
    line: AuditEntry,
) -> Result<(), ChangeError> {
    let (ledger, audit, watch) = (ctx.ledger.clone(), ctx.audit.clone(), watch.clone());
    let line = watch.stamp(line);
    on_disk(ctx, move || {
        watch.write(ends, || {
            // Both are attempted: a ledger that cannot be written must not
            // also cost the audit its line.
            let recorded = record.map_or(Ok(()), |r| ledger.record(&r));
            let audited = audit.append(&line);
            recorded?;
            audited?;
            Ok(())
        })
    })
    .await
}
