//! What a key change means for the streams on the key, said as it is:
//! which key they keep using, which of them KMS is refusing now, and what
//! the change costs.

use chrono::{Duration, Utc};

use super::{KeyChange, KeyPlan, ON_DEMAND_DOCUMENTED};
use crate::cloud::Cloud;
use crate::model::{stamp, KeyState};
use crate::text::{escape, for_terminal};

/// The streams among `streams` with KMS errors in the last hour, by one
/// CloudWatch read; why not known when it cannot say.
pub(super) async fn erring(cloud: &dyn Cloud, streams: &[String]) -> Result<Vec<String>, String> {
    if streams.is_empty() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let range = crate::model::MetricRange {
        start: now - Duration::hours(1),
        end: now,
        period_secs: 60,
    };
    let asks = crate::model::every_series(streams);
    let read = cloud
        .kms_metrics(&asks, range)
        .await
        .map_err(|e| format!("CloudWatch: {e}"))?;
    if let Some((name, why)) = read.unknown.iter().next() {
        return Err(format!("CloudWatch gave incomplete data for {name}: {why}"));
    }
    Ok(streams
        .iter()
        .filter(|s| read.series.get(*s).is_some_and(|x| x.grand_total() > 0.0))
        .cloned()
        .collect())
}

/// What the change will mean, for the confirmation: true of the streams
/// as they are. Rotating the material does not change which key a stream
/// uses; it does not make a stream work that KMS refuses now, and nothing
/// is said to "keep working" that is not known to work.
pub fn consequences(plan: &KeyPlan) -> Vec<String> {
    let mut out = vec![streams_sentence(plan)];
    out.extend(now_sentence(plan));
    out.push(match (plan.change, plan.on_demand_done()) {
        (KeyChange::RotateNow, Some(done)) => format!(
            "no Firehose Start/Stop call is spent; {done} of the {ON_DEMAND_DOCUMENTED} on-demand rotations KMS allows per key used so far"
        ),
        (KeyChange::RotateNow, None) => format!(
            "no Firehose Start/Stop call is spent; on-demand rotations so far unknown (KMS would not list them), of the {ON_DEMAND_DOCUMENTED} KMS allows per key"
        ),
        _ => "no Firehose Start/Stop call is spent".to_string(),
    });
    out
}

/// Which key the streams use: this one, before and after.
fn streams_sentence(plan: &KeyPlan) -> String {
    let label = &plan.label;
    match plan.streams.len() {
        0 => "no stream uses this key, by the latest descriptions".to_string(),
        1 => format!(
            "the stream on it keeps using {label} (rotation does not change its key); KMS keeps the old material to decrypt what it encrypted"
        ),
        n => format!(
            "the {n} streams on it keep using {label} (rotation does not change their key); KMS keeps the old material to decrypt what it encrypted"
        ),
    }
}

/// What is known of the streams now: a key KMS will not use, streams with
/// KMS errors, or that it is not known; nothing when they are clean.
fn now_sentence(plan: &KeyPlan) -> Option<String> {
    let n = plan.streams.len();
    if n == 0 {
        return None;
    }
    if plan.key.state != KeyState::Enabled {
        return Some(format!(
            "{} is {}: KMS refuses Firehose on it now, and rotating does not change that",
            plan.label,
            plan.key.state.as_str()
        ));
    }
    match &plan.erring {
        Ok(erring) if erring.is_empty() => None,
        Ok(erring) => Some(format!(
            "{} {} KMS errors in the last {} ({}): rotating does not fix that",
            if n == 1 {
                "it".to_string()
            } else {
                format!("{} of them", erring.len())
            },
            if erring.len() == 1 { "has" } else { "have" },
            plan.window,
            erring.join(", ")
        )),
        Err(why) => Some(format!(
            "whether {} now is not known: {why}",
            if n == 1 { "it works" } else { "they work" }
        )),
    }
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
