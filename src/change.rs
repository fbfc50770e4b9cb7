//! Changing a stream's encryption, the one way both the command line and the
//! dashboard do it: plan (describe, resolve the key, pre-flight), send (quota
//! ledger and audit around the call), follow (until AWS settles), explain.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;

use crate::audit::{AuditEntry, AuditError, AuditLog, AuditOutcome, CallMark};
use crate::cloud::{Cloud, CloudError};
use crate::inventory::{never_got_key, KeyBook, AWS_OWNED, NO_ENCRYPTION};
use crate::model::{
    region_of_arn, EncryptionStatus, Failure, KeyRef, KeyType, MetricRange, Stream,
};
use crate::preflight::{self, Change, Verdict};
use crate::quota::{
    Call, Entry, Ledger, LedgerError, Operation, Outcome, Quota, QuotaSource, RefusedCalls,
};
use crate::trail::Trail;

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
    /// CloudTrail's Start/Stop events, counted with the ledger's calls.
    pub trail: Trail,
    pub audit: AuditLog,
    pub read_only: bool,
    /// Set by the user to stop a run of changes (a move off a key): a change
    /// not yet sent when it is set stays unsent, its slot given back.
    pub stop: StopSwitch,
    /// The user chose to send past refusals AWS may not share (calls AWS
    /// refused counted against the quota, a grant dry run KMS denied):
    /// `--force`, or `send` typed in the dashboard.
    pub force: bool,
}

/// The user's "send no more": shared by every change of a run.
#[derive(Debug, Clone, Default)]
pub struct StopSwitch(Arc<std::sync::atomic::AtomicBool>);

impl StopSwitch {
    pub fn stop(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn stopped(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
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
    /// The calls AWS refused among the quota's, with their codes.
    pub refused: RefusedCalls,
    /// Whether the quota was counted with CloudTrail, or by the ledger
    /// alone and why: the send must count the same way.
    pub quota_source: QuotaSource,
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
        // Preflight refuses a change to a stream in a status firekeeper does
        // not know, so no sentence is built on this answer.
        EncryptionStatus::Enabling | EncryptionStatus::Disabled | EncryptionStatus::Other(_) => {
            false
        }
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
    /// What every later audit line of the call carries.
    pub mark: CallMark,
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
        let line = request_entry(ctx, request, &why);
        if let Err(audit_error) = ctx.audit.append_async(line).await {
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
    let (quota, refused, source) = quota_now(cloud, ctx, name, now).await?;
    let kms_errors_now = kms_errors_lately(cloud, name, now).await;
    let on_key = match &change {
        Change::Start(KeyRef::Customer(k)) => streams_on_key(&k.arn),
        _ => None,
    };
    let grant = match &change {
        Change::Start(KeyRef::Customer(k)) if preflight::key_problem(k, &ctx.region).is_none() => {
            Some(cloud.grant_check(&k.arn).await)
        }
        _ => None,
    };
    let facts = preflight::ChangeFacts {
        stream: &stream,
        change: &change,
        region: &ctx.region,
        quota: Some(quota),
        refused: Some(&refused),
        grant: grant.as_ref(),
        account: ctx.account.as_deref(),
        streams_on_key: on_key,
        kms_errors_now,
        errors_window: "1h",
        credentials: cloud.credentials().await,
        now,
    };
    let mut verdict = preflight::check(&facts, &new_label);
    // Said before "y": the count may be short of AWS's by others' calls.
    verdict.warnings.extend(source.warning());
    Ok(Plan {
        stream,
        change,
        action,
        old_label,
        new_label,
        quota,
        refused,
        quota_source: source,
        verdict,
    })
}

/// What is left of the stream's 25 calls, by the ledger and CloudTrail, and
/// why CloudTrail was not read, when it was not.
async fn quota_now(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    name: &str,
    now: chrono::DateTime<Utc>,
) -> Result<(Quota, RefusedCalls, QuotaSource), ChangeError> {
    let entries = ctx.ledger.read_async().await?;
    let account = ctx.account.as_deref().unwrap_or("");
    let book = ctx
        .trail
        .book(cloud, &entries, account, now)
        .await
        .map_err(|why| ChangeError::Refused(format!("the quota cannot be counted: {why}")))?;
    let refused = RefusedCalls::of(book.calls(name));
    Ok((book.quota(name), refused, book.source))
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
        .kms_metrics(&crate::model::every_series(&[name.to_string()]), range)
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
) -> Result<crate::model::KmsKey, ChangeError> {
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

/// The key a user named (id, ARN, alias or alias ARN) as KMS describes it,
/// or a refusal saying no such key exists here.
pub(crate) async fn named_key(
    cloud: &dyn Cloud,
    region: &str,
    key: &str,
) -> Result<crate::model::KmsKey, ChangeError> {
    match cloud.describe_key(key).await {
        Ok(k) => Ok(k),
        Err(CloudError::NotFound(_)) => Err(ChangeError::Refused(format!(
            "KMS has no key {key} in {region} (use a key id, key ARN, alias/NAME or alias ARN)"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// One line of the audit log about this plan.
fn audit_entry(
    ctx: &ChangeContext,
    plan: &Plan,
    outcome: AuditOutcome,
    message: &str,
) -> AuditEntry {
    AuditEntry {
        time: Utc::now(),
        caller: ctx.caller.clone(),
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        stream: plan.stream.name.clone(),
        action: plan.action.to_string(),
        old_key: Some(plan.old_label.clone()),
        new_key: Some(plan.new_label.clone()),
        key: None,
        outcome,
        message: message.to_string(),
        call: CallMark::default(),
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
fn request_entry(ctx: &ChangeContext, request: &Request, why: &str) -> AuditEntry {
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
    AuditEntry {
        time: Utc::now(),
        caller: ctx.caller.clone(),
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        stream: request.stream().to_string(),
        action: action.to_string(),
        old_key: None,
        new_key,
        key: None,
        outcome: AuditOutcome::Refused,
        message: why.to_string(),
        call: CallMark::default(),
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
async fn refused(ctx: &ChangeContext, plan: &Plan, why: &str) -> ChangeError {
    if let Err(e) = audit(ctx, plan, AuditOutcome::Refused, why).await {
        return e.into();
    }
    ChangeError::Refused(why.to_string())
}

/// The ledger's line about this call, with AWS's request id when it gave one.
fn ledger_entry(call: &Call, id: &str, outcome: Outcome, request_id: Option<String>) -> Entry {
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
async fn on_disk<T: Send + 'static>(
    ctx: &ChangeContext,
    work: impl FnOnce() -> Result<T, ChangeError> + Send + 'static,
) -> Result<T, ChangeError> {
    ctx.ledger.off_runtime(move |_| work()).await
}

/// Records an outcome in the ledger (when there is one), then audits it,
/// under `watch` (see `Watch::write`).
async fn write_down(
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

/// The `unknown` line of a call stopped in flight.
pub(crate) const IN_FLIGHT: &str = "firekeeper stopped while the call was on its way to AWS, before any answer: AWS may have applied it; the next run settles it from CloudTrail or by reading";

/// A call that has left, until its answer is written down: dropped before
/// that (a signal, the dashboard quitting), it audits the call as unknown,
/// so the log never ends a call at `sent` and a later run settles it.
pub(crate) struct InFlight {
    audit: AuditLog,
    line: AuditEntry,
    watch: Watch,
}

impl InFlight {
    /// `line` is the `unknown` line to write if dropped; it is given the
    /// call's mark.
    pub(crate) fn new(audit: AuditLog, line: AuditEntry, mark: CallMark) -> InFlight {
        let watch = Watch::armed(mark);
        InFlight {
            audit,
            line: watch.stamp(line),
            watch,
        }
    }

    /// The answer came: nothing to say on drop. Writes of the answer made
    /// under `watch` with `ends` land it as well.
    pub(crate) fn land(self) {
        self.watch.disarm();
    }
}

impl Drop for InFlight {
    /// Written on whichever thread drops the guard, as `Abandoned`'s line
    /// is: rare (stopped mid-call) and short, and the record must not be
    /// lost. The watch's lock makes it wait for an answer being written.
    fn drop(&mut self) {
        let line = AuditEntry {
            time: Utc::now(),
            ..self.line.clone()
        };
        if let Err(e) = self.watch.write(true, || Ok(self.audit.append(&line)?)) {
            tracing::error!("cannot audit a call stopped in flight: {e}");
        }
    }
}

/// Whether a change is still being followed, shared by the `Abandoned`
/// guard and the writes made meanwhile (`None`: nobody watches). The writes
/// run on the blocking pool, where one may be under way when the change is
/// dropped: the lock makes the guard's line and theirs take turns, so it
/// lands neither inside nor after the line that ends the change, and a
/// write that starts after the guard has written is skipped, as it would
/// never have been made.
/// It also carries the call's mark, so every line written under it names
/// the call (`CallMark::call_id`).
#[derive(Debug, Clone, Default)]
struct Watch {
    armed: Option<Arc<Mutex<bool>>>,
    mark: CallMark,
}

impl Watch {
    fn armed(mark: CallMark) -> Watch {
        Watch {
            armed: Some(Arc::new(Mutex::new(true))),
            mark,
        }
    }

    /// Nobody watches, but the lines still name the call.
    fn marked(mark: CallMark) -> Watch {
        Watch { armed: None, mark }
    }

    /// `line`, naming the call this watch is about.
    fn stamp(&self, mut line: AuditEntry) -> AuditEntry {
        if line.call.call_id.is_none() {
            line.call.call_id.clone_from(&self.mark.call_id);
        }
        line
    }

    /// Runs `write` (it blocks) unless the change was abandoned. When it
    /// `ends` the change and succeeds, the guard has nothing left to say.
    fn write(
        &self,
        ends: bool,
        write: impl FnOnce() -> Result<(), ChangeError>,
    ) -> Result<(), ChangeError> {
        let Some(armed) = &self.armed else {
            return write();
        };
        let mut armed = armed.lock().unwrap_or_else(PoisonError::into_inner);
        if !*armed {
            return Ok(());
        }
        let written = write();
        if ends && written.is_ok() {
            *armed = false;
        }
        written
    }

    fn disarm(&self) {
        if let Some(armed) = &self.armed {
            *armed.lock().unwrap_or_else(PoisonError::into_inner) = false;
        }
    }
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
                let call = Call {
                    account: ctx.account.clone().unwrap_or_default(),
                    region: ctx.region.clone(),
                    stream: plan.stream.name.clone(),
                    action: match plan.change {
                        Change::Stop => Operation::Stop,
                        Change::Start(_) => Operation::Start,
                    },
                    access_key_id: None,
                    force: ctx.force,
                };
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
    timing: Timing,
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

/// Audits "left before AWS finished" if dropped while still armed: the
/// dashboard quitting, or Ctrl-C at the command line, mid-follow.
struct Abandoned<'a> {
    ctx: &'a ChangeContext,
    plan: &'a Plan,
    watch: Watch,
}

impl<'a> Abandoned<'a> {
    fn new(ctx: &'a ChangeContext, plan: &'a Plan, mark: CallMark) -> Self {
        Abandoned {
            ctx,
            plan,
            watch: Watch::armed(mark),
        }
    }

    fn disarm(&mut self) {
        self.watch.disarm();
    }
}

impl Drop for Abandoned<'_> {
    /// Drop cannot await, so this line is written on whichever thread drops
    /// the guard, the async runtime's included, after any write of the
    /// change still under way: rare (the user quitting mid-follow) and
    /// short, and the record must not be lost.
    fn drop(&mut self) {
        let why = format!(
            "left before AWS finished: firekeeper stopped following; check with `firekeeper status --stream {}`",
            self.plan.stream.name
        );
        let line = self.watch.stamp(audit_entry(
            self.ctx,
            self.plan,
            AuditOutcome::Unknown,
            &why,
        ));
        let written = self.watch.write(true, || Ok(self.ctx.audit.append(&line)?));
        if let Err(e) = written {
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
            // Not this change's state, but not known to be another's either:
            // followed until it settles or times out, never called superseded.
            EncryptionStatus::EnablingFailed | EncryptionStatus::Other(_) => false,
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
        // Before this change the stream had a failed one of its own: which
        // key it then held was not known, nor is it now.
        (Change::Start(_), Ending::Failed(f))
            if plan.stream.encryption.status == EncryptionStatus::EnablingFailed =>
        {
            format!(
                "Key change FAILED: {} was not applied to {name}, which was ENABLING_FAILED before (shown as {}). {}{}",
                plan.new_label,
                plan.old_label,
                crate::health::OLD_KEY_UNSAID,
                why(f)
            )
        }
        // The Firehose API reference: "If a Firehose stream already has
        // encryption enabled [...] and you get ENABLING_FAILED, this only
        // means that the attempt to change the CMK failed. In this case,
        // encryption remains enabled with the old CMK."
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

pub mod moving;
mod send;

pub use send::{accepted_past_refused, changed_since, key_is_full, send, SEND_ANYWAY};

#[cfg(test)]
mod tests;
