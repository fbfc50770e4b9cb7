//! Rotating a customer key's material, as KMS means it: `RotateKeyOnDemand`
//! now, or automatic rotation on a schedule. It costs no Firehose call and
//! does not touch the streams: KMS keeps the old material to decrypt what
//! it encrypted. Like a stream's change: checked first (each refusal says
//! why, nothing is sent), confirmed, audited, sent once, and when the answer
//! is lost, found out by reading the key, never by sending again.

pub mod cli;
mod said;

pub use said::consequences;
use said::erring;

use chrono::{DateTime, Duration, Utc};

use crate::audit::{AuditEntry, AuditOutcome, CallMark};
use crate::change::{ChangeContext, ChangeError};
use crate::cloud::{
    Cloud, CloudError, KeyManager, KeyOrigin, KeySpec, KeyState, KmsKey, MultiRegion, RotationKind,
    RotationRecord,
};
use crate::inventory::{self, KeyBook};
use crate::preflight::Verdict;

/// The period KMS uses when none is given.
pub const DEFAULT_PERIOD_DAYS: u32 = 365;
/// On-demand rotations a key may have: "You can perform on-demand key
/// rotation a maximum of 25 times per KMS key" (KMS developer guide,
/// "Perform on-demand key rotation", and the current RotateKeyOnDemand API
/// reference; earlier editions of the API reference said 10). Shown, not
/// enforced: KMS enforces it.
pub const ON_DEMAND_DOCUMENTED: usize = 25;

/// The periods the dashboard offers, in days: KMS takes 90 to 2560.
pub const PERIODS: [u32; 7] = [90, 180, 365, 730, 1095, 1825, 2560];

/// What is asked of the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    /// Rotate the material now.
    RotateNow,
    /// Rotate automatically every so many days.
    AutoOn(u32),
    AutoOff,
}

impl KeyChange {
    /// The audit log's name for it.
    pub fn action(self) -> &'static str {
        match self {
            KeyChange::RotateNow => "rotate-material",
            KeyChange::AutoOn(_) => "auto-rotation-on",
            KeyChange::AutoOff => "auto-rotation-off",
        }
    }

    /// The next choice of automatic rotation, `longer` or shorter: the
    /// periods the dashboard offers, with off below the shortest for a key
    /// that rotates already. Other changes stay as they are.
    pub fn step_period(self, longer: bool, rotating: bool) -> KeyChange {
        let mut options: Vec<KeyChange> = Vec::new();
        if rotating {
            options.push(KeyChange::AutoOff);
        }
        options.extend(PERIODS.iter().map(|d| KeyChange::AutoOn(*d)));
        let at = match self {
            KeyChange::RotateNow => return self,
            KeyChange::AutoOff => 0,
            // A period from the command line may lie between two offered.
            KeyChange::AutoOn(days) => options
                .iter()
                .position(|o| matches!(o, KeyChange::AutoOn(d) if *d >= days))
                .unwrap_or(options.len() - 1),
        };
        let to = if longer {
            (at + 1).min(options.len() - 1)
        } else {
            at.saturating_sub(1)
        };
        options[to]
    }

    fn describe(self) -> String {
        match self {
            KeyChange::RotateNow => "rotate the key material now (RotateKeyOnDemand)".into(),
            KeyChange::AutoOn(days) => {
                format!("rotate the key material automatically every {days} days")
            }
            KeyChange::AutoOff => "stop rotating the key material automatically".into(),
        }
    }
}

/// A key change ready to confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPlan {
    pub key: KmsKey,
    /// The key as people know it: its alias, or its id.
    pub label: String,
    pub change: KeyChange,
    /// The streams encrypted with the key, by name.
    pub streams: Vec<String>,
    /// Rotations so far, newest first; `None` when KMS would not list them.
    pub rotations: Option<Vec<RotationRecord>>,
    /// Which of `streams` have KMS errors in the window, or why that is not
    /// known: a dialog never says streams work that may not.
    pub erring: Result<Vec<String>, String>,
    /// The window `erring` covers ("3h").
    pub window: String,
    pub verdict: Verdict,
}

impl KeyPlan {
    /// On-demand rotations so far, when known.
    pub fn on_demand_done(&self) -> Option<usize> {
        self.rotations.as_ref().map(|r| {
            r.iter()
                .filter(|x| x.kind == RotationKind::OnDemand)
                .count()
        })
    }
}

/// How a key change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyEnding {
    /// KMS shows what was asked (for a rotation now: when it finished).
    Done(Option<DateTime<Utc>>),
    /// Accepted, not waited for.
    Sent,
    /// Still rotating when firekeeper stopped waiting.
    TimedOut,
    /// The answer was lost, or was a server error, and the key never showed
    /// the change. `seen`: the key was read and does not show it (KMS
    /// probably did not apply it); otherwise it could not be read. `cause`
    /// says what made the outcome unclear.
    Unconfirmed { seen: bool, cause: String },
}

/// The streams encrypted with the key `arn`, from fresh descriptions of the
/// whole fleet (the command line; the dashboard knows them already).
pub async fn streams_using(
    cloud: &dyn Cloud,
    arn: &str,
    concurrency: usize,
) -> Result<Vec<String>, CloudError> {
    let names = inventory::list_names(cloud, 100).await?;
    Ok(inventory::describe_all(cloud, &names, concurrency)
        .await
        .into_iter()
        .filter_map(|(name, s)| {
            s.ok()
                .filter(|s| s.encryption.key_arn.as_deref() == Some(arn))
                .map(|_| name)
        })
        .collect())
}

/// The key, the streams on it and the checks, from a fresh description.
pub async fn plan(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    key: &str,
    change: KeyChange,
    streams: Vec<String>,
) -> Result<KeyPlan, ChangeError> {
    let described = crate::change::named_key(cloud, &ctx.region, key).await?;
    let book = KeyBook::from_aliases(cloud.list_aliases().await.unwrap_or_default());
    let label = book.key_label(&described.arn);
    let rotations = if described.rotation.is_some() {
        cloud.key_rotations(&described.arn).await.ok()
    } else {
        None
    };
    let erring = erring(cloud, &streams).await;
    let mine = ctx.account.as_deref();
    let verdict = verdict(
        &described,
        &label,
        change,
        (mine, ctx.read_only),
        Utc::now(),
    );
    Ok(KeyPlan {
        key: described,
        label,
        change,
        streams,
        rotations,
        erring,
        window: "1h".into(),
        verdict,
    })
}

/// The checks, and read-only mode's refusal; `account` is the caller's,
/// when known.
pub fn verdict(
    key: &KmsKey,
    label: &str,
    change: KeyChange,
    (account, read_only): (Option<&str>, bool),
    now: DateTime<Utc>,
) -> Verdict {
    let mut v = checks(key, label, change, now);
    let owner = crate::preflight::account_of_arn(&key.arn);
    if let (Some(owner), Some(mine)) = (owner, account.filter(|a| !a.is_empty())) {
        if owner != mine {
            // RotateKeyOnDemand, EnableKeyRotation, DisableKeyRotation: "Cross-account
            // use: No. You cannot perform this operation on a KMS key in a
            // different AWS account" (KMS API reference).
            v.refusals.push(format!(
                "{label} belongs to account {owner}, not yours ({mine}): KMS rotates a key only for callers of its own account; run this with credentials of {owner}"
            ));
        }
    }
    if read_only {
        v.refusals
            .push("firekeeper is in read-only mode (--read-only or read_only = true)".into());
    }
    v
}

/// What KMS would refuse, said before anything is sent.
pub fn checks(key: &KmsKey, label: &str, change: KeyChange, now: DateTime<Utc>) -> Verdict {
    let mut v = Verdict::default();
    let id = label;
    if key.manager != KeyManager::Customer {
        v.refusals.push(format!(
            "{id} is not a customer managed key: AWS rotates its own keys"
        ));
    }
    if key.spec != KeySpec::SymmetricDefault {
        v.refusals.push(format!(
            "{id} is {}: KMS rotates only symmetric (SYMMETRIC_DEFAULT) keys",
            key.spec.as_str()
        ));
    }
    if key.state != KeyState::Enabled {
        v.refusals.push(format!(
            "{id} is {}: KMS rotates only enabled keys",
            key.state.as_str()
        ));
    }
    match &key.origin {
        KeyOrigin::AwsKms | KeyOrigin::Unreported => {}
        KeyOrigin::External => imported_rules(&mut v, key, id, change),
        other => v.refusals.push(format!(
            "{id} is in a custom key store ({}): KMS cannot rotate it",
            other.as_str()
        )),
    }
    if let MultiRegion::Replica { primary_region } = &key.multi_region {
        v.refusals.push(format!(
            "{id} is a multi-Region replica: rotate the primary in {primary_region}"
        ));
    }
    if change == KeyChange::RotateNow {
        if let Some(since) = key.rotation.as_ref().and_then(|r| r.on_demand_since) {
            v.refusals.push(format!(
                "an on-demand rotation of {id} has been in progress since {} ({})",
                crate::model::stamp(since),
                crate::model::ago(now - since)
            ));
        }
    }
    v
}

/// Keys with imported material (EXTERNAL). RotateKeyOnDemand: "You cannot
/// perform on-demand rotation of asymmetric KMS keys, HMAC KMS keys,
/// multi-Region KMS keys with imported key material, or KMS keys in a custom
/// key store", and for imported material "you must have already imported
/// new key material and that key material's state should be
/// PENDING_ROTATION" (KMS API reference). EnableKeyRotation does not
/// rotate imported material automatically.
fn imported_rules(v: &mut Verdict, key: &KmsKey, id: &str, change: KeyChange) {
    match change {
        KeyChange::RotateNow if key.multi_region != MultiRegion::Single => v.refusals.push(format!(
            "{id} is a multi-Region key with imported key material (EXTERNAL): KMS does not rotate those on demand"
        )),
        KeyChange::RotateNow => v.warnings.push(format!(
            "{id} has imported key material (EXTERNAL): KMS rotates it only to new material imported first (ImportKeyMaterial with ImportType NEW_KEY_MATERIAL, in state PENDING_ROTATION), and refuses otherwise"
        )),
        KeyChange::AutoOn(_) | KeyChange::AutoOff => v.refusals.push(format!(
            "{id} has imported key material (EXTERNAL): KMS does not rotate it automatically; rotate it on demand after importing new material"
        )),
    }
}

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
pub struct Timing {
    pub poll: std::time::Duration,
    pub patience: std::time::Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            poll: std::time::Duration::from_secs(2),
            patience: std::time::Duration::from_secs(15 * 60),
        }
    }
}

/// Sends the change once and, if `wait`, follows it to the end. `progress`
/// hears each step in words. Once the call has left, an audit line that
/// cannot be written is logged, never allowed to hide what KMS answered.
pub async fn carry_out(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &KeyPlan,
    timing: Timing,
    wait: bool,
    mut progress: impl FnMut(&str),
) -> Result<KeyEnding, ChangeError> {
    if !plan.verdict.allowed() {
        return Err(refuse(ctx, plan, &plan.verdict.refusals.join("; ")).await);
    }
    ctx.audit.writable()?;
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
    let note = |outcome, message: &str| note(ctx, plan, &call, outcome, message.to_string());
    match answer.result {
        Ok(()) => {
            note(AuditOutcome::Accepted, "KMS accepted the call").await;
            progress("KMS accepted the call.");
        }
        // A refusal KMS stands by; a server error or an answer that could
        // not be read may hide a change KMS made, like a lost answer.
        Err(e) if answer.answered && !matches!(e, CloudError::Server(_) | CloudError::Other(_)) => {
            let why = explain_refusal(plan, &e);
            note(AuditOutcome::Rejected, &why).await;
            return Err(ChangeError::Rejected(why));
        }
        Err(e) => {
            let said = format!("{e}; KMS may have applied this, checking by reading the key");
            note(AuditOutcome::Unknown, &said).await;
            progress(&format!("{e}.\nKMS may have applied this; checking…"));
            match applied(cloud, plan, sent_at, timing).await {
                Some(true) => {
                    note(AuditOutcome::Accepted, "the key shows the change").await;
                    progress("KMS had applied the call.");
                }
                seen => {
                    let cause = unclear_cause(&e);
                    let why = if seen.is_some() {
                        format!("{cause} and the key does not show the change: KMS probably did not apply it; nothing was sent again")
                    } else {
                        format!("{cause} and the key could not be read: the outcome is not known; nothing was sent again")
                    };
                    note(AuditOutcome::Unknown, &why).await;
                    return Ok(KeyEnding::Unconfirmed {
                        seen: seen.is_some(),
                        cause,
                    });
                }
            }
        }
    }
    if !wait {
        return Ok(KeyEnding::Sent);
    }
    let ending = follow(cloud, plan, timing, &mut progress).await;
    let (outcome, message) = match &ending {
        KeyEnding::Done(_) => (AuditOutcome::Succeeded, "done"),
        _ => (
            AuditOutcome::Unknown,
            "not shown done when firekeeper stopped waiting",
        ),
    };
    note(outcome, message).await;
    Ok(ending)
}

/// Audits a step after the call left: a line that cannot be written is
/// logged and said, and the change goes on being reported.
async fn note(
    ctx: &ChangeContext,
    plan: &KeyPlan,
    mark: &CallMark,
    outcome: AuditOutcome,
    message: String,
) {
    let line = marked(ctx, plan, mark, outcome, &message);
    if let Err(e) = ctx.audit.append_async(line).await {
        tracing::error!("audit log not written after the call was sent: {e}");
        crate::cli::signals::err(&format!(
            "firekeeper: the audit log could not be written ({e}); what KMS did is reported below"
        ));
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
    timing: Timing,
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
    timing: Timing,
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

#[cfg(test)]
mod tests;
