//! The rules that turn what AWS reports into ok / warning / critical, and into
//! sentences an on-call engineer can act on.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::cloud::{EncryptionStatus, KeyState, KmsKey, KmsMetric, KmsSeries, Stream};
use crate::quota::Quota;

/// How long Firehose keeps records it cannot decrypt before discarding them.
pub const RETENTION_HOURS: i64 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Ok,
    Warning,
    Critical,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Warning => "warning",
            Health::Critical => "critical",
        }
    }
}

/// A run of KMS errors, and when Firehose starts throwing data away because of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outage {
    /// The first error of the current run.
    pub since: DateTime<Utc>,
    /// The latest datapoint with errors.
    pub last: DateTime<Utc>,
    /// Errors are still arriving.
    pub ongoing: bool,
    /// The run began before the data looked at: it is older than `since`.
    pub older: bool,
}

impl Outage {
    /// Records that failed at `since` and are still undecryptable are
    /// discarded from this moment on.
    pub fn discard_at(&self) -> DateTime<Utc> {
        self.since + Duration::hours(RETENTION_HOURS)
    }
}

/// Finds the current run of KMS errors: from the latest datapoint with errors
/// back to the first one with no gap longer than `max_gap` before it. `from` is
/// where the data starts: a run reaching it may be older.
pub fn outage(
    series: &KmsSeries,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
    period_secs: i32,
) -> Option<Outage> {
    let points: Vec<DateTime<Utc>> = series
        .combined()
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(t, _)| t)
        .collect();
    let last = *points.last()?;
    let max_gap = Duration::seconds(period_secs as i64 * 2).max(Duration::minutes(15));
    let since = points
        .windows(2)
        .rev()
        .take_while(|w| w[1] - w[0] <= max_gap)
        .last()
        .map_or(last, |w| w[0]);
    Some(Outage {
        since,
        last,
        ongoing: now - last <= max_gap + Duration::seconds(period_secs as i64),
        older: since - from <= Duration::seconds(period_secs as i64),
    })
}

/// Everything the rules look at for one stream.
pub struct Facts<'a> {
    pub stream: &'a Stream,
    /// The customer key in use, if KMS described it.
    pub key: Option<&'a KmsKey>,
    pub key_label: &'a str,
    /// Per-metric sums over the window; `None` when CloudWatch could not say.
    pub kms_errors: Option<[f64; 4]>,
    pub window: &'a str,
    pub outage: Option<Outage>,
    pub quota: Quota,
    pub quota_warning_at: u32,
    pub now: DateTime<Utc>,
}

/// One thing wrong with a stream, before it is put into words.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Finding {
    Failed,
    KmsErrors(f64),
    Transition,
    KeyDisabled,
    KeyPendingDeletion,
    LowQuota,
}

impl Finding {
    fn health(self) -> Health {
        match self {
            Finding::Failed | Finding::KmsErrors(_) => Health::Critical,
            _ => Health::Warning,
        }
    }
}

/// What is wrong, critical findings first.
fn findings(f: &Facts<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let enc = &f.stream.encryption;
    if enc.status.is_failed() {
        out.push(Finding::Failed);
    }
    let total: f64 = f.kms_errors.map_or(0.0, |e| e.iter().sum());
    if total > 0.0 {
        out.push(Finding::KmsErrors(total));
    }
    if enc.status.is_transition() {
        out.push(Finding::Transition);
    }
    match f.key.map(|k| &k.state) {
        Some(KeyState::Disabled) => out.push(Finding::KeyDisabled),
        Some(KeyState::PendingDeletion) => out.push(Finding::KeyPendingDeletion),
        _ => {}
    }
    if f.quota.remaining <= f.quota_warning_at {
        out.push(Finding::LowQuota);
    }
    out
}

/// Health alone, without building the sentences: what the table needs for
/// every visible row of every frame. `key_label` is not read.
pub fn level(f: &Facts<'_>) -> Health {
    findings(f)
        .iter()
        .map(|x| x.health())
        .max()
        .unwrap_or(Health::Ok)
}

/// Health and the problems behind it, worst first.
pub fn assess(f: &Facts<'_>) -> (Health, Vec<String>) {
    let found = findings(f);
    let health = found.iter().map(|x| x.health()).max().unwrap_or(Health::Ok);
    let problems = found.into_iter().map(|x| sentence(x, f)).collect();
    (health, problems)
}

fn sentence(finding: Finding, f: &Facts<'_>) -> String {
    let enc = &f.stream.encryption;
    match finding {
        Finding::Failed => {
            let what = if enc.status == EncryptionStatus::EnablingFailed {
                "Enabling or changing encryption failed"
            } else {
                "Stopping encryption failed"
            };
            let why = enc.failure.as_ref().map_or(String::new(), |fd| {
                format!(" ({}): {}", fd.kind, fd.details.trim())
            });
            format!("{what}{why}")
        }
        Finding::KmsErrors(total) => kms_sentence(&f.kms_errors.unwrap_or_default(), total, f),
        Finding::Transition if enc.status == EncryptionStatus::Enabling => {
            "Encryption is ENABLING: records written now are not yet encrypted.".to_string()
        }
        Finding::Transition => "Encryption is DISABLING.".to_string(),
        Finding::KeyDisabled => format!(
            "Key {} is disabled: Firehose cannot use it until it is enabled.",
            f.key_label
        ),
        Finding::KeyPendingDeletion => format!(
            "Key {} is pending deletion{}: Firehose cannot use it.",
            f.key_label,
            f.key
                .and_then(|k| k.deletion_date)
                .map_or(String::new(), |d| format!(
                    " (deleted {})",
                    d.format("%Y-%m-%d %H:%M UTC")
                ))
        ),
        Finding::LowQuota => {
            let next = f.quota.next_slot_at.map_or(String::new(), |t| {
                format!(
                    "; the next frees at {} (in {})",
                    t.format("%H:%M UTC"),
                    human(t - f.now)
                )
            });
            format!(
                "{} of {} Start/Stop calls left in 24 h{next}.",
                f.quota.remaining, f.quota.limit
            )
        }
    }
}

fn kms_sentence(errors: &[f64; 4], total: f64, f: &Facts<'_>) -> String {
    let parts: Vec<String> = KmsMetric::ALL
        .iter()
        .zip(errors)
        .filter(|(_, v)| **v > 0.0)
        .map(|(m, v)| format!("{} {}", m.name(), *v as u64))
        .collect();
    let mut s = format!(
        "KMS refused Firehose {} times in the last {} ({}).",
        total as u64,
        f.window,
        parts.join(", ")
    );
    if let Some(o) = f.outage {
        let discard = o.discard_at();
        if o.ongoing && o.older {
            s.push_str(&format!(
                " Errors since before {}: records older than {RETENTION_HOURS} h may already be discarded.",
                o.since.format("%Y-%m-%d %H:%M UTC"),
            ));
        } else if o.ongoing {
            s.push_str(&format!(
                " Errors since {} ({} ago); {}",
                o.since.format("%Y-%m-%d %H:%M UTC"),
                human(f.now - o.since),
                if discard > f.now {
                    format!(
                        "Firehose starts discarding undecryptable records at {} (in {}).",
                        discard.format("%Y-%m-%d %H:%M UTC"),
                        human(discard - f.now)
                    )
                } else {
                    "records older than 24 h are being discarded now.".to_string()
                }
            ));
        } else {
            s.push_str(&format!(
                " The errors stopped at {}.",
                o.last.format("%Y-%m-%d %H:%M UTC")
            ));
        }
    }
    s
}

/// "3h 12m", "45m", "2d 4h": durations the way people read them.
pub fn human(d: Duration) -> String {
    let mins = d.num_minutes().max(0);
    match mins {
        0 => "<1m".to_string(),
        m if m < 60 => format!("{m}m"),
        m if m < 48 * 60 => format!("{}h {:02}m", m / 60, m % 60),
        m => format!("{}d {}h", m / 1440, (m % 1440) / 60),
    }
}

#[cfg(test)]
mod tests;
