//! Changing a stream's encryption, the one way both the command line and the
//! dashboard do it: plan (describe, resolve the key, pre-flight), send (quota
//! ledger and audit around the call), follow (until AWS settles), explain.

use std::time::Duration;

use chrono::Utc;

use crate::audit::{AuditEntry, AuditError, AuditLog, AuditOutcome};
use crate::cloud::{
    region_of_arn, Cloud, CloudError, EncryptionStatus, Failure, KeyRef, KeyType, MetricRange,
    Stream,
};
use crate::inventory::{never_got_key, KeyBook, AWS_OWNED, NO_ENCRYPTION};
use crate::preflight::{self, Change, Verdict};
use crate::quota::{self, Call, Entry, Ledger, LedgerError, Operation, Outcome, Quota};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Rotate { stream: String, key: KeyRef },
    Disable { stream: String },
}

impl Request {
    pub fn stream(&self) -> &str {
        match self {
            Request::Rotate { stream, .. } | Request::Disable { stream } => stream,
        }
    }
}

/// Where changes are recorded and who makes them.
#[derive(Debug, Clone)]
pub struct ChangeContext {
    pub account: Option<String>,
    pub caller: Option<String>,
    pub region: String,
    pub ledger: Ledger,
    pub audit: AuditLog,
    pub read_only: bool,
}

/// A change ready to confirm: what it does and what the checks said.
#[derive(Debug, Clone)]
pub struct Plan {
    pub stream: Stream,
    pub change: Change,
    /// `rotate`, `enable` or `disable`.
    pub action: &'static str,
    pub old_label: String,
    pub new_label: String,
    pub quota: Quota,
    pub verdict: Verdict,
}

impl Plan {
    /// Quota left once this call is made.
    pub fn quota_after(&self) -> u32 {
        self.quota.remaining.saturating_sub(1)
    }

    /// Whether Firehose encrypted the stream before this change: a failed
    /// change leaves such a stream on its old key, and any other not encrypted.
    pub fn was_encrypted(&self) -> bool {
        is_encrypted(&self.stream)
    }
}

/// Whether Firehose encrypts this stream's records now, by its description.
pub fn is_encrypted(stream: &Stream) -> bool {
    let enc = &stream.encryption;
    match enc.status {
        EncryptionStatus::Enabled
        | EncryptionStatus::Disabling
        | EncryptionStatus::DisablingFailed => true,
        EncryptionStatus::EnablingFailed => !never_got_key(enc),
        EncryptionStatus::Enabling | EncryptionStatus::Disabled => false,
    }
}

/// A call that left firekeeper: AWS accepted it, or its answer was lost and
/// only reading the stream can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The ledger's id for the call.
    pub id: String,
    /// Why the outcome is not known, when it is not.
    pub unclear: Option<CloudError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// Refused by firekeeper: nothing was sent.
    #[error("refused, nothing was sent: {0}")]
    Refused(String),
    /// AWS refused the call, in words that say what to do instead.
    #[error("AWS refused: {0}")]
    Rejected(String),
    #[error(transparent)]
    Cloud(#[from] CloudError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// How a change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Done,
    Failed(Option<Failure>),
    /// Still changing when firekeeper stopped waiting.
    TimedOut,
    /// The call's answer was lost and the stream never showed it: AWS
    /// probably did not apply it, but firekeeper cannot be sure.
    Unconfirmed,
    /// Someone else changed the stream while it was followed; `now` names
    /// what it is encrypted with (or "no encryption") as it stands.
    Superseded {
        now: String,
    },
}

/// How often and how long to watch a change, for the CLI and the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub poll: Duration,
    /// How long to follow an accepted change before giving up waiting.
    pub patience: Duration,
    /// How long to look for a sign of a call whose answer was lost.
    pub confirm_within: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            poll: Duration::from_secs(3),
            patience: Duration::from_secs(15 * 60),
            confirm_within: Duration::from_secs(60),
        }
    }
}

/// What happened so far, for whoever shows progress.
#[derive(Debug)]
pub enum Step<'a> {
    /// AWS accepted the call.
    Accepted,
    /// The call's answer was lost; the stream is being read to find out.
    Unclear(&'a CloudError),
    /// Reading showed that AWS had applied the call.
    Confirmed,
    /// A fresh description while following.
    Seen(&'a Stream),
}

/// Describes the stream, resolves the key and runs the pre-flight checks.
/// Sends nothing that changes anything. A request that cannot even be
/// planned (no such stream, no such key, AWS not answering) is audited as
/// refused: the log holds every change asked for.
pub async fn plan(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    request: &Request,
    streams_on_key: impl Fn(&str) -> Option<usize>,
) -> Result<Plan, ChangeError> {
    let planned = plan_request(cloud, ctx, request, streams_on_key).await;
    if let Err(e) = &planned {
        let why = match e {
            ChangeError::Refused(why) => why.clone(),
            other => format!("could not check the change: {other}"),
        };
        if let Err(audit_error) = audit_request(ctx, request, &why) {
            tracing::error!("cannot audit a refused request: {audit_error}");
        }
    }
    planned
}

async fn plan_request(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    request: &Request,
    streams_on_key: impl Fn(&str) -> Option<usize>,
) -> Result<Plan, ChangeError> {
    let name = request.stream();
    let stream = match cloud.describe_stream(name).await {
        Ok(s) => s,
        Err(CloudError::NotFound(_)) => {
            return Err(ChangeError::Refused(format!(
                "there is no delivery stream {name} in {}",
                ctx.region
            )))
        }
        Err(e) => return Err(e.into()),
    };
    let book = KeyBook::from_aliases(cloud.list_aliases().await.unwrap_or_default());
    let (change, new_label) = match request {
        Request::Disable { .. } => (Change::Stop, NO_ENCRYPTION.to_string()),
        Request::Rotate {
            key: KeyRef::AwsOwned,
            ..
        } => (Change::Start(KeyRef::AwsOwned), AWS_OWNED.to_string()),
        Request::Rotate {
            key: KeyRef::Customer(k),
            ..
        } => {
            let key = resolve_key(cloud, &ctx.region, k).await?;
            let label = book.key_label(&key.arn);
            (Change::Start(KeyRef::Customer(key)), label)
        }
    };
    let old_label = book.label(&stream);
    let action = match (&change, is_encrypted(&stream)) {
        (Change::Stop, _) => "disable",
        (_, true) => "rotate",
        (_, false) => "enable",
    };
    let now = Utc::now();
    let quota = quota_now(ctx, name, now)?;
    let kms_errors_now = kms_errors_lately(cloud, name, now).await;
    let on_key = match &change {
        Change::Start(KeyRef::Customer(k)) => streams_on_key(&k.arn),
        _ => None,
    };
    let facts = preflight::ChangeFacts {
        stream: &stream,
        change: &change,
        region: &ctx.region,
        quota: Some(quota),
        streams_on_key: on_key,
        kms_errors_now,
        errors_window: "1h",
        credentials: cloud.credentials().await,
        now,
    };
    let verdict = preflight::check(&facts, &new_label);
    Ok(Plan {
        stream,
        change,
        action,
        old_label,
        new_label,
        quota,
        verdict,
    })
}

/// What the ledger says is left of the stream's 25 calls.
fn quota_now(
    ctx: &ChangeContext,
    name: &str,
    now: chrono::DateTime<Utc>,
) -> Result<Quota, ChangeError> {
    let entries = ctx.ledger.read()?;
    let account = ctx.account.as_deref().unwrap_or("");
    Ok(quota::quotas(&entries, account, &ctx.region, now)
        .remove(name)
        .unwrap_or(Quota::unused()))
}

/// KMS errors on the stream in the last hour; zero when CloudWatch cannot say
/// (the warning is a courtesy, not a check).
async fn kms_errors_lately(cloud: &dyn Cloud, name: &str, now: chrono::DateTime<Utc>) -> f64 {
    let range = MetricRange {
        start: now - chrono::Duration::hours(1),
        end: now,
        period_secs: 60,
    };
    cloud
        .kms_metrics(&[name.to_string()], range)
        .await
        .ok()
        .and_then(|mut m| m.series.remove(name))
        .map_or(0.0, |s| s.grand_total())
}

/// Finds the key KMS knows by this id, ARN, alias or alias ARN.
async fn resolve_key(
    cloud: &dyn Cloud,
    region: &str,
    key: &str,
) -> Result<crate::cloud::KmsKey, ChangeError> {
    if let Some(other) = region_of_arn(key).filter(|r| *r != region) {
        return Err(ChangeError::Refused(format!(
            "key {key} is in {other}; the stream is in {region}, and Firehose uses keys of its own region only"
        )));
    }
    match cloud.describe_key(key).await {
        Ok(k) => Ok(k),
        Err(CloudError::NotFound(_)) => Err(ChangeError::Refused(format!(
            "KMS has no key {key} in {region} (use a key id, key ARN, alias/NAME, alias ARN or aws-owned)"
        ))),
        Err(e) => Err(e.into()),
    }
}

fn audit(
    ctx: &ChangeContext,
    plan: &Plan,
    outcome: AuditOutcome,
    message: &str,
) -> Result<(), AuditError> {
    ctx.audit.append(&AuditEntry {
        time: Utc::now(),
        caller: ctx.caller.clone(),
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        stream: plan.stream.name.clone(),
        action: plan.action.to_string(),
        old_key: Some(plan.old_label.clone()),
        new_key: Some(plan.new_label.clone()),
        outcome,
        message: message.to_string(),
    })
}

/// Records a request refused before there was a plan to show.
fn audit_request(ctx: &ChangeContext, request: &Request, why: &str) -> Result<(), AuditError> {
    let (action, new_key) = match request {
        Request::Rotate { key, .. } => (
            "rotate",
            Some(match key {
                KeyRef::AwsOwned => AWS_OWNED.to_string(),
                KeyRef::Customer(k) => k.clone(),
            }),
        ),
        Request::Disable { .. } => ("disable", Some(NO_ENCRYPTION.to_string())),
    };
    ctx.audit.append(&AuditEntry {
        time: Utc::now(),
        caller: ctx.caller.clone(),
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        stream: request.stream().to_string(),
        action: action.to_string(),
        old_key: None,
        new_key,
        outcome: AuditOutcome::Refused,
        message: why.to_string(),
    })
}

/// Records a refusal made before sending (for instance a declined prompt).
pub fn refuse(ctx: &ChangeContext, plan: &Plan, why: &str) -> ChangeError {
    if let Err(e) = audit(ctx, plan, AuditOutcome::Refused, why) {
        return e.into();
    }
    ChangeError::Refused(why.to_string())
}

/// Sends the change once, unless firekeeper must refuse it. The call is in
/// the ledger, synced, before it leaves, so a crash cannot hide a spent slot.
/// A lost answer is not an error: the returned `Sent` says the outcome is
/// unclear, and `confirm_by_reading` finds out what AWS did.
pub async fn send(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &Plan,
) -> Result<Sent, ChangeError> {
    if ctx.read_only {
        return Err(refuse(
            ctx,
            plan,
            "firekeeper is in read-only mode (--read-only or read_only = true)",
        ));
    }
    if !plan.verdict.allowed() {
        return Err(refuse(ctx, plan, &plan.verdict.refusals.join("; ")));
    }
    // A call recorded under an unknown account would be counted apart from
    // every other call on the stream.
    let Some(account) = ctx.account.clone().filter(|a| !a.is_empty()) else {
        return Err(refuse(
            ctx,
            plan,
            "the AWS account is not known yet (STS has not answered), so the call cannot be counted against the stream's quota; try again when the header shows the account",
        ));
    };
    let call = Call {
        account: account.clone(),
        region: ctx.region.clone(),
        stream: plan.stream.name.clone(),
        action: match plan.change {
            Change::Stop => Operation::Stop,
            Change::Start(_) => Operation::Start,
        },
    };
    // Checked before a slot is taken: a call that cannot be audited is not
    // sent.
    ctx.audit.writable()?;
    let id = match ctx.ledger.reserve(&call, Utc::now())? {
        Ok(id) => id,
        Err(q) => {
            let next = q
                .next_slot(Utc::now())
                .map_or(String::new(), |n| format!("; {n}"));
            return Err(refuse(
                ctx,
                plan,
                &format!(
                    "no Start/Stop calls left for {} in 24 hours{next}",
                    plan.stream.name
                ),
            ));
        }
    };
    let mut slot = Reservation {
        ctx,
        plan,
        account: account.clone(),
        id: id.clone(),
        action: call.action,
        held: true,
    };
    // Minutes may pass between the checks and "y" (a prompt, a dialog left
    // open): look once more, so a stream someone else has started changing
    // is not sent a second change.
    match cloud.describe_stream(&plan.stream.name).await {
        Ok(now) => {
            if let Some(why) = changed_since(&plan.stream, &now) {
                slot.give_back()?;
                return Err(refuse(ctx, plan, &why));
            }
        }
        Err(e) => {
            slot.give_back()?;
            return Err(refuse(
                ctx,
                plan,
                &format!(
                    "could not look at {} once more before sending: {e}",
                    plan.stream.name
                ),
            ));
        }
    }
    if let Err(e) = audit(ctx, plan, AuditOutcome::Sent, "sending to AWS") {
        slot.give_back()?;
        return Err(e.into());
    }
    // From here the call may reach AWS: the slot is spent whatever happens.
    slot.held = false;
    let result = match &plan.change {
        Change::Stop => cloud.stop_encryption(&plan.stream.name).await,
        Change::Start(key) => {
            cloud
                .start_encryption(&plan.stream.name, &key.by_arn())
                .await
        }
    };
    let record = |outcome| {
        ctx.ledger
            .record(&entry(ctx, &account, plan, &id, call.action, outcome))
    };
    let e = match result {
        Ok(()) => {
            record(Outcome::Accepted)?;
            audit(ctx, plan, AuditOutcome::Accepted, "AWS accepted the call")?;
            return Ok(Sent { id, unclear: None });
        }
        Err(e) => e,
    };
    match &e {
        CloudError::LimitExceeded(m) if key_is_full(plan, m) => {
            // The key, not the stream, is at its limit. AWS does not say
            // whether such a refusal spends one of the 25 calls, so it counts.
            record(Outcome::Rejected)?;
            let why = format!(
                "{} already encrypts the most streams AWS allows for one key ({}); choose another key. The stream's quota is not exhausted. AWS said: {m}",
                plan.new_label,
                crate::preflight::STREAMS_PER_KEY
            );
            audit(ctx, plan, AuditOutcome::Rejected, &why)?;
            Err(ChangeError::Rejected(why))
        }
        CloudError::LimitExceeded(_) => {
            record(Outcome::LimitExceeded)?;
            audit(ctx, plan, AuditOutcome::Rejected, &e.to_string())?;
            Err(e.into())
        }
        // Refused before acting: the slot was not used.
        CloudError::InvalidArgument(_)
        | CloudError::InUse(_)
        | CloudError::NotFound(_)
        | CloudError::InvalidKms(_)
        | CloudError::AccessDenied(_)
        | CloudError::Credentials(_)
        | CloudError::Throttled(_) => {
            record(Outcome::Refused)?;
            audit(ctx, plan, AuditOutcome::Rejected, &e.to_string())?;
            Err(e.into())
        }
        // No answer, or a broken one: the call may have landed. The slot
        // stays spent (the "sent" record stands) and only a read can tell.
        CloudError::Unreachable(_)
        | CloudError::NoAnswer(_)
        | CloudError::Server(_)
        | CloudError::Other(_) => {
            audit(
                ctx,
                plan,
                AuditOutcome::Unknown,
                &format!("{e}; AWS may have applied this; checking by describing the stream"),
            )?;
            Ok(Sent {
                id,
                unclear: Some(e),
            })
        }
    }
}

/// A slot taken in the ledger for a call not yet sent. Unless the call is
/// sent, the slot is given back (an `Unsent` record): on a refusal after
/// reserving, or when the future is dropped first (Ctrl-C, the dashboard
/// quitting).
struct Reservation<'a> {
    ctx: &'a ChangeContext,
    plan: &'a Plan,
    account: String,
    id: String,
    action: Operation,
    held: bool,
}

impl Reservation<'_> {
    fn give_back(&mut self) -> Result<(), LedgerError> {
        self.held = false;
        self.ctx.ledger.record(&entry(
            self.ctx,
            &self.account,
            self.plan,
            &self.id,
            self.action,
            Outcome::Unsent,
        ))
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.held {
            return;
        }
        if let Err(e) = self.give_back() {
            tracing::error!("cannot give back an unsent call's slot: {e}");
        }
        if let Err(e) = audit(
            self.ctx,
            self.plan,
            AuditOutcome::Refused,
            "stopped before sending; nothing was sent",
        ) {
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
    if moved(before, now) {
        return Some(format!(
            "{name} changed since it was checked (encryption now {}); nothing was sent: check the change again",
            now.encryption.status
        ));
    }
    None
}

fn entry(
    ctx: &ChangeContext,
    account: &str,
    plan: &Plan,
    id: &str,
    action: Operation,
    outcome: Outcome,
) -> Entry {
    Entry {
        at: Utc::now(),
        id: id.to_string(),
        account: account.to_string(),
        region: ctx.region.clone(),
        stream: plan.stream.name.clone(),
        action,
        outcome,
    }
}

/// Whether a `LimitExceededException` is about the key (one customer key
/// serves at most 500 streams) rather than the stream's 25 calls. AWS uses the
/// one exception for both; only a Start with a customer key can hit the key's
/// limit, and its message names the key rather than the daily calls.
pub fn key_is_full(plan: &Plan, message: &str) -> bool {
    if !matches!(plan.change, Change::Start(KeyRef::Customer(_))) {
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
    let start = tokio::time::Instant::now();
    loop {
        match cloud.describe_stream(&plan.stream.name).await {
            Ok(now) if moved(&plan.stream, &now) => {
                let account = ctx.account.clone().unwrap_or_default();
                let action = match plan.change {
                    Change::Stop => Operation::Stop,
                    Change::Start(_) => Operation::Start,
                };
                ctx.ledger.record(&entry(
                    ctx,
                    &account,
                    plan,
                    &sent.id,
                    action,
                    Outcome::Accepted,
                ))?;
                audit(
                    ctx,
                    plan,
                    AuditOutcome::Accepted,
                    &format!(
                        "AWS had applied the call: encryption is now {}",
                        now.encryption.status
                    ),
                )?;
                return Ok(true);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("checking {}: {e}", plan.stream.name),
        }
        if start.elapsed() >= within {
            audit(
                ctx,
                plan,
                AuditOutcome::Unknown,
                &format!(
                    "no sign after {} s that AWS applied the call; it may still, and it counts against the quota",
                    within.as_secs()
                ),
            )?;
            return Ok(false);
        }
        tokio::time::sleep(poll).await;
    }
}

/// Whether the stream's encryption differs from what was described before.
pub fn moved(before: &Stream, now: &Stream) -> bool {
    let (a, b) = (&before.encryption, &now.encryption);
    (a.status, a.key_type, &a.key_arn, &a.failure) != (b.status, b.key_type, &b.key_arn, &b.failure)
}

/// Sends the change once, finds out by reading what a lost answer hid, and
/// follows the stream until it settles (unless `wait` is false). Every step
/// is audited; if this future is dropped part-way (the user quit), the audit
/// says firekeeper left before AWS finished.
pub async fn carry_out(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &Plan,
    timing: Timing,
    wait: bool,
    mut step: impl FnMut(Step<'_>),
) -> Result<Option<(Ending, Stream)>, ChangeError> {
    let sent = send(cloud, ctx, plan).await?;
    let mut watch = Abandoned::new(ctx, plan);
    match &sent.unclear {
        None => step(Step::Accepted),
        Some(e) => {
            step(Step::Unclear(e));
            let applied =
                confirm_by_reading(cloud, ctx, plan, &sent, timing.poll, timing.confirm_within)
                    .await?;
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
    let result = follow(cloud, ctx, plan, timing.poll, timing.patience, |s| {
        step(Step::Seen(s))
    })
    .await;
    watch.disarm();
    result.map(Some)
}

/// Audits "left before AWS finished" if dropped while still armed: the
/// dashboard quitting, or Ctrl-C at the command line, mid-follow.
struct Abandoned<'a> {
    ctx: &'a ChangeContext,
    plan: &'a Plan,
    armed: bool,
}

impl<'a> Abandoned<'a> {
    fn new(ctx: &'a ChangeContext, plan: &'a Plan) -> Self {
        Abandoned {
            ctx,
            plan,
            armed: true,
        }
    }

    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let why = format!(
            "left before AWS finished: firekeeper stopped following; check with `firekeeper status --stream {}`",
            self.plan.stream.name
        );
        if let Err(e) = audit(self.ctx, self.plan, AuditOutcome::Unknown, &why) {
            tracing::error!("cannot audit an abandoned change: {e}");
        }
    }
}

/// Re-describes the stream until its encryption settles, calling `seen` with
/// each description, then records and returns how it ended.
pub async fn follow(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &Plan,
    poll: Duration,
    timeout: Duration,
    mut seen: impl FnMut(&Stream),
) -> Result<(Ending, Stream), ChangeError> {
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
                    return finish(ctx, plan, Ending::TimedOut, plan.stream.clone());
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
            return finish(ctx, plan, ending, stream);
        }
        if overtaken(plan, showed_target, &stream) {
            let book = KeyBook::from_aliases(cloud.list_aliases().await.unwrap_or_default());
            let now = book.label(&stream);
            return finish(ctx, plan, Ending::Superseded { now }, stream);
        }
        if start.elapsed() >= timeout {
            return finish(ctx, plan, Ending::TimedOut, stream);
        }
    }
}

/// Whether the stream shows the key this change asks for (a Start), or no
/// encryption (a Stop).
fn shows_target(plan: &Plan, s: &Stream) -> bool {
    let e = &s.encryption;
    match &plan.change {
        Change::Stop => matches!(
            e.status,
            EncryptionStatus::Disabling | EncryptionStatus::Disabled
        ),
        Change::Start(KeyRef::AwsOwned) => e.key_type == Some(KeyType::AwsOwned),
        Change::Start(KeyRef::Customer(k)) => e.key_arn.as_deref() == Some(k.arn.as_str()),
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
        Change::Stop => matches!(
            e.status,
            EncryptionStatus::Enabling
                | EncryptionStatus::Enabled
                | EncryptionStatus::EnablingFailed
        ),
        Change::Start(_) => match e.status {
            EncryptionStatus::Disabling
            | EncryptionStatus::Disabled
            | EncryptionStatus::DisablingFailed => true,
            // A failed start leaves the old key: that is this change's own
            // failure, which `settled` reports.
            EncryptionStatus::EnablingFailed => false,
            EncryptionStatus::Enabling | EncryptionStatus::Enabled => {
                let old = &plan.stream.encryption;
                let is_old = (e.key_type, &e.key_arn) == (old.key_type, &old.key_arn)
                    && old.status != EncryptionStatus::Disabled;
                !shows_target(plan, s) && (showed_target || !is_old)
            }
        },
    }
}

/// Whether this description shows the change finished, and how.
pub fn settled(plan: &Plan, s: &Stream) -> Option<Ending> {
    let e = &s.encryption;
    match (&plan.change, e.status) {
        (_, EncryptionStatus::Enabling | EncryptionStatus::Disabling) => None,
        (Change::Start(_), EncryptionStatus::EnablingFailed) => {
            Some(Ending::Failed(e.failure.clone()))
        }
        (Change::Stop, EncryptionStatus::DisablingFailed) => {
            Some(Ending::Failed(e.failure.clone()))
        }
        (Change::Stop, EncryptionStatus::Disabled) => Some(Ending::Done),
        (Change::Start(KeyRef::AwsOwned), EncryptionStatus::Enabled)
            if e.key_type == Some(KeyType::AwsOwned) =>
        {
            Some(Ending::Done)
        }
        (Change::Start(KeyRef::Customer(k)), EncryptionStatus::Enabled)
            if e.key_arn.as_deref() == Some(k.arn.as_str()) =>
        {
            Some(Ending::Done)
        }
        // AWS has not shown the change yet.
        _ => None,
    }
}

fn finish(
    ctx: &ChangeContext,
    plan: &Plan,
    ending: Ending,
    stream: Stream,
) -> Result<(Ending, Stream), ChangeError> {
    let outcome = match ending {
        Ending::Done => AuditOutcome::Succeeded,
        Ending::Failed(_) => AuditOutcome::Failed,
        Ending::TimedOut | Ending::Unconfirmed => AuditOutcome::Unknown,
        Ending::Superseded { .. } => AuditOutcome::Superseded,
    };
    audit(ctx, plan, outcome, &explain(plan, &ending, &stream))?;
    Ok((ending, stream))
}

/// What happened, in one plain sentence or two.
pub fn explain(plan: &Plan, ending: &Ending, now: &Stream) -> String {
    let name = &plan.stream.name;
    let was_encrypted = plan.was_encrypted();
    // The outcome first: a status line cut at 80 columns must still say it.
    let why = |f: &Option<Failure>| {
        f.as_ref().map_or(String::new(), |f| {
            format!(" AWS said {}: {}", f.kind, f.details.trim())
        })
    };
    match (&plan.change, ending) {
        (Change::Start(_), Ending::Done) if was_encrypted => format!(
            "{name} is now encrypted with {} (was {}).",
            plan.new_label, plan.old_label
        ),
        (Change::Start(_), Ending::Done) => {
            format!("{name} is now encrypted with {}.", plan.new_label)
        }
        (Change::Start(_), Ending::Failed(f)) if was_encrypted => format!(
            "Key change FAILED: {name} stays encrypted with its old key, {}; {} was not applied.{}",
            plan.old_label,
            plan.new_label,
            why(f)
        ),
        (Change::Start(_), Ending::Failed(f)) => format!(
            "Enabling encryption FAILED: {name} is not encrypted (enabling with {} failed).{}",
            plan.new_label,
            why(f)
        ),
        (Change::Stop, Ending::Done) => {
            format!("{name} is no longer encrypted by Firehose (was {}).", plan.old_label)
        }
        (Change::Stop, Ending::Failed(f)) => format!(
            "Stopping encryption FAILED: {name} stays encrypted with {}.{}",
            plan.old_label,
            why(f)
        ),
        (_, Ending::Unconfirmed) => format!(
            "{name}: the answer from AWS was lost and the stream shows no change: AWS probably did not apply it, but may still. The call counts against the quota; check with `firekeeper status --stream {name}` before trying again."
        ),
        (_, Ending::Superseded { now }) => format!(
            "{name} was changed by someone else to {now} while firekeeper was following; {} was not kept. Check with `firekeeper status --stream {name}` before changing it again.",
            match &plan.change {
                Change::Stop => "stopping encryption".to_string(),
                Change::Start(_) => plan.new_label.clone(),
            }
        ),
        (_, Ending::TimedOut) => format!(
            "{name} is still {} after firekeeper stopped waiting; check with `firekeeper status --stream {name}`.",
            now.encryption.status
        ),
    }
}

pub mod cli;

#[cfg(test)]
mod tests;
