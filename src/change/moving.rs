//! `firekeeper rotate --from-key OLD --key NEW`: every stream off a key that
//! is being retired, compromised or scheduled for deletion. Planned first,
//! each stream checked against NEW like a single change and refused ones
//! shown and skipped; then every call goes through the one path a single
//! change takes (ledger reservation, last look, audit, sent once), at the
//! Firehose pace, several followed at once. A re-run re-plans from fresh
//! descriptions: streams already on NEW are no longer on OLD, so none is
//! sent twice.

use std::collections::HashMap;

use super::{
    carry_out, explain, named_key, plan, refuse, ChangeContext, ChangeError, ChangeTiming, Ending,
    Plan, Request, Step,
};
use crate::cloud::{Cloud, CloudError};
use crate::inventory::{self, KeyBook};
use crate::model::{KeyRef, KmsKey, Stream};

use crate::preflight::STREAMS_PER_KEY;

/// Streams moved at once: each is sent (at the Firehose pace, one limiter
/// for every call) and followed until it settles before the next starts.
pub const AT_ONCE: usize = 4;

/// The move, ready to confirm.
pub struct MovePlan {
    pub from: KmsKey,
    pub from_label: String,
    pub to_label: String,
    /// Each stream on OLD, in name order: its plan against NEW (the verdict
    /// inside says whether it may be sent), or why it could not be planned.
    pub streams: Streams,
    /// Why nothing may be sent at all, if so.
    pub refusal: Option<String>,
}

impl MovePlan {
    pub fn sendable(&self) -> impl Iterator<Item = &Plan> {
        self.streams
            .iter()
            .filter_map(|(_, p)| p.as_ref().ok())
            .filter(|p| p.verdict.allowed())
    }
}

/// Plans the move from fresh descriptions of the whole fleet.
pub async fn plan_move(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    from: &str,
    to: &KeyRef,
    concurrency: usize,
) -> Result<MovePlan, ChangeError> {
    let old = named_key(cloud, &ctx.region, from).await?;
    let new_arn = match to {
        KeyRef::AwsOwned => None,
        KeyRef::Customer(k) => Some(named_key(cloud, &ctx.region, k).await?.arn),
    };
    if new_arn.as_deref() == Some(old.arn.as_str()) {
        return Err(ChangeError::Refused(
            "the new key is the old key: nothing to move".into(),
        ));
    }
    let book = KeyBook::from_aliases(cloud.list_aliases().await.unwrap_or_default());
    let names = inventory::list_names(cloud, 100).await?;
    let fleet = inventory::describe_all(cloud, &names, concurrency).await;
    let (on_key, unread) = tally(&fleet);
    let moving = on_old(&fleet, &old.arn);
    // Unknown when a stream could not be described: it may use the key.
    let count = |arn: &str| {
        unread
            .is_empty()
            .then(|| on_key.get(arn).copied().unwrap_or(0))
    };
    let mut streams = plan_each(cloud, ctx, &moving, to, count).await;
    // Streams that could not be described are listed, never counted moved.
    streams.extend(unread);
    let sending = streams
        .iter()
        .filter(|(_, p)| p.as_ref().is_ok_and(|p| p.verdict.allowed()))
        .count();
    let on_new = new_arn
        .as_deref()
        .map_or(0, |a| on_key.get(a).copied().unwrap_or(0));
    let refusal = match new_arn {
        Some(_) if on_new + sending > STREAMS_PER_KEY => Some(format!(
            "the new key already encrypts {on_new} streams; {sending} more would pass KMS's limit of {STREAMS_PER_KEY} streams a key"
        )),
        _ if moving.is_empty() && streams.is_empty() => Some(format!(
            "no stream is encrypted with {}: nothing to move",
            book.key_label(&old.arn)
        )),
        // Only streams that could not be described: they may be on OLD.
        _ if moving.is_empty() => Some(format!(
            "no stream described uses {}, but {} could not be described; try again when they can be",
            book.key_label(&old.arn),
            streams.len()
        )),
        _ => None,
    };
    Ok(MovePlan {
        from_label: book.key_label(&old.arn),
        to_label: match to {
            KeyRef::AwsOwned => crate::inventory::AWS_OWNED.to_string(),
            KeyRef::Customer(k) => book.key_label(new_arn.as_deref().unwrap_or(k)),
        },
        from: old,
        streams,
        refusal,
    })
}

/// Each stream's plan against the new key, in order, or why it could not
/// be planned; a refused plan is audited as refused.
async fn plan_each(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    moving: &[String],
    to: &KeyRef,
    count: impl Fn(&str) -> Option<usize> + Copy,
) -> Streams {
    let mut streams = Vec::new();
    for name in moving {
        let request = Request::Switch {
            stream: name.clone(),
            key: to.clone(),
        };
        let planned = match plan(cloud, ctx, &request, count).await {
            Ok(mut p) => {
                forced(ctx, &mut p);
                if !p.verdict.allowed() {
                    // Skipped, and on record like any refused change.
                    let _ = refuse(ctx, &p, &p.verdict.reasons());
                }
                Ok(p)
            }
            Err(ChangeError::Refused(why)) => Err(why),
            Err(e) => Err(e.to_string()),
        };
        streams.push((name.clone(), planned));
    }
    streams
}

/// How many streams each key encrypts, and the streams that could not be
/// described (listed as skipped: they may be on the key).
fn tally(fleet: &[(String, Result<Stream, CloudError>)]) -> (HashMap<String, usize>, Streams) {
    let mut on_key: HashMap<String, usize> = HashMap::new();
    let mut unread = Vec::new();
    for (name, s) in fleet {
        match s {
            Ok(s) => {
                if let Some(arn) = &s.encryption.key_arn {
                    *on_key.entry(arn.clone()).or_default() += 1;
                }
            }
            Err(e) => unread.push((name.clone(), Err(format!("could not be described ({e})")))),
        }
    }
    (on_key, unread)
}

/// The streams on the key.
fn on_old(fleet: &[(String, Result<Stream, CloudError>)], arn: &str) -> Vec<String> {
    fleet
        .iter()
        .filter_map(|(name, s)| {
            s.as_ref()
                .ok()
                .filter(|s| is_on(s, arn))
                .map(|_| name.clone())
        })
        .collect()
}

/// Whether the stream is on the key as Firehose uses it: a stopped stream may
/// still name its last key, and a failed enable the key it never got.
pub fn is_on(s: &Stream, arn: &str) -> bool {
    s.encryption.key_arn.as_deref() == Some(arn)
        && s.encryption.status != crate::model::EncryptionStatus::Disabled
        && !inventory::never_got_key(&s.encryption)
}

/// Each stream's plan against NEW, or why it has none.
type Streams = Vec<(String, Result<Plan, String>)>;

/// With `--force`, a refusal AWS may not share is sent past: it stays
/// said, as a warning, and the stream is sent.
fn forced(ctx: &ChangeContext, p: &mut Plan) {
    if ctx.force {
        let past = std::mem::take(&mut p.verdict.overridable);
        p.verdict.warnings.extend(
            past.into_iter()
                .map(|r| format!("sent anyway (--force): {r}")),
        );
    }
}

/// Where one stream of a move stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Not sent yet.
    Waiting,
    /// Taken up: read once more and its call on its way; AWS has not
    /// answered yet.
    Sending,
    /// Never to be sent: the checks refused it, or it is no longer on OLD.
    Skipped,
    /// AWS accepted the call.
    Sent,
    /// The call's answer was lost; reading the stream to find out.
    Checking,
    Enabling,
    /// On NEW.
    Done,
    /// ENABLING_FAILED: the stream kept OLD.
    Failed,
    /// AWS refused the call: the stream stays on OLD.
    Rejected,
    /// The user stopped the move before this stream's call.
    NotSent,
    /// Sent, not waited for (`--no-wait`).
    NotWaited,
    /// Neither done nor failed as far as firekeeper can tell.
    Unclear,
}

impl Stage {
    pub fn word(self) -> &'static str {
        match self {
            Stage::Waiting => "waiting",
            Stage::Sending => "sending",
            Stage::Skipped => "skipped",
            Stage::Sent => "sent",
            Stage::Checking => "checking",
            Stage::Enabling => "ENABLING",
            Stage::Done => "done",
            Stage::Failed => "failed",
            Stage::Rejected => "refused",
            Stage::NotSent => "not sent",
            Stage::NotWaited => "sent",
            Stage::Unclear => "unclear",
        }
    }

    /// Whether nothing more will happen to the stream in this run.
    pub fn ended(self) -> bool {
        !matches!(
            self,
            Stage::Waiting | Stage::Sending | Stage::Sent | Stage::Checking | Stage::Enabling
        )
    }
}

/// What `send_one` reports as it goes.
pub enum Update<'a> {
    /// The stream reached this stage; the words say it for a person.
    Stage(Stage, String),
    /// A fresh description while following.
    Seen(&'a Stream),
}

/// One stream of a move, through the single change's path: sent once (unless
/// the context's stop switch is set first), followed if `wait`. Returns the
/// stage it ended at.
pub async fn send_one(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    plan: &Plan,
    wait: bool,
    mut report: impl FnMut(Update<'_>),
) -> Stage {
    if ctx.stop.stopped() {
        report(Update::Stage(Stage::NotSent, "not sent".into()));
        return Stage::NotSent;
    }
    let mut last = None;
    let progress = |step: Step<'_>| match step {
        Step::Accepted => report(Update::Stage(
            Stage::Sent,
            "sent; AWS accepted the call".into(),
        )),
        Step::Unclear(e) => report(Update::Stage(Stage::Checking, format!("{e}; checking…"))),
        Step::Confirmed => report(Update::Stage(
            Stage::Sent,
            "AWS had applied the call".into(),
        )),
        Step::Seen(s) => {
            report(Update::Seen(s));
            if last.as_ref() != Some(&s.encryption.status) {
                last = Some(s.encryption.status.clone());
                let status = &s.encryption.status;
                let (stage, words) = if *status == crate::model::EncryptionStatus::Enabling {
                    (Stage::Enabling, format!("{status} (following)"))
                } else {
                    (Stage::Sent, status.to_string())
                };
                report(Update::Stage(stage, words));
            }
        }
    };
    let (stage, words) =
        match carry_out(cloud, ctx, plan, ChangeTiming::default(), wait, progress).await {
            Ok(None) => (Stage::NotWaited, "sent, not waited for".to_string()),
            Ok(Some((ending, stream))) => {
                let stage = match ending {
                    Ending::Done => Stage::Done,
                    Ending::Failed(_) => Stage::Failed,
                    _ => Stage::Unclear,
                };
                (stage, explain(plan, &ending, &stream))
            }
            Err(e) => {
                let stage = match e {
                    ChangeError::Refused(_) => Stage::NotSent,
                    ChangeError::Rejected(_) => Stage::Rejected,
                    _ => Stage::Unclear,
                };
                (stage, e.to_string())
            }
        };
    report(Update::Stage(stage, words));
    stage
}

/// One stream of a move the dashboard planned from what it knew: planned
/// again from a fresh description right before sending. `Err` says why it is
/// skipped (no longer on OLD, or refused by the checks, audited as such).
pub async fn plan_one(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    from_arn: &str,
    request: &Request,
    streams_on_new: Option<usize>,
) -> Result<Plan, String> {
    let p = match plan(cloud, ctx, request, |_| streams_on_new).await {
        Ok(p) => p,
        Err(e @ ChangeError::Refused(_)) => return Err(e.to_string()),
        Err(e) => return Err(format!("could not be planned: {e}")),
    };
    if !is_on(&p.stream, from_arn) {
        return Err(format!("no longer on the old key (now {})", p.old_label));
    }
    if !p.verdict.allowed() {
        let why = p.verdict.reasons();
        let _ = refuse(ctx, &p, &why);
        return Err(why);
    }
    Ok(p)
}
