//! `status` over every target at once. Each target has its own client and
//! pace, so they are read side by side and take as long as the slowest; one
//! that cannot be read is reported with its reason and does not hold back
//! the others.

use chrono::{DateTime, Utc};

use super::{gather_at, Report};
use crate::cloud::Cloud;
use crate::config::Config;
use crate::estate::TargetInfo;
use crate::health::Health;
use crate::model::exit;
use crate::model::CloudWatchUsage;
use crate::model::Window;
use crate::quota::Ledger;

/// One target to read: what is known of it, and its client, or `None`
/// when it could not be connected (`info.error` then says why).
pub struct Reader<'a> {
    pub info: TargetInfo,
    pub cloud: Option<&'a dyn Cloud>,
}

/// Every target's report in one. With a single target, what stops it is
/// the command's error, as it was before there could be several.
pub async fn gather_targets(
    parts: Vec<Reader<'_>>,
    config: &Config,
    window: Window,
    only: &[String],
    ledger: &Ledger,
) -> anyhow::Result<Report> {
    gather_targets_at(parts, config, window, only, ledger, Utc::now()).await
}

/// `gather_targets` as of `now`: tests pin the clock.
pub async fn gather_targets_at(
    parts: Vec<Reader<'_>>,
    config: &Config,
    window: Window,
    only: &[String],
    ledger: &Ledger,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    if let [Reader {
        info,
        cloud: Some(cloud),
    }] = parts.as_slice()
    {
        let report = gather_at(*cloud, config, window, only, ledger, now).await?;
        return Ok(merge(vec![(info.clone(), Ok(report))], window, now));
    }
    let reads = futures::future::join_all(parts.iter().map(|part| async move {
        match part.cloud {
            Some(cloud) => gather_at(cloud, config, window, only, ledger, now)
                .await
                .map_err(|e| crate::text::one_line(&e)),
            None => Err(part
                .info
                .error
                .clone()
                .unwrap_or_else(|| "not connected".to_string())),
        }
    }))
    .await;
    let infos = parts.into_iter().map(|p| p.info);
    Ok(merge(infos.zip(reads).collect(), window, now))
}

/// The targets' reports as one: streams in target order, fleet-wide errors
/// prefixed with their target's label when there are several, CloudWatch
/// usage summed, and a `--stream` name missing only if no target read has it.
pub fn merge(
    reads: Vec<(TargetInfo, Result<Report, String>)>,
    window: Window,
    now: DateTime<Utc>,
) -> Report {
    let many = reads.len() > 1;
    let mut out = Report {
        schema_version: super::SCHEMA_VERSION,
        generated_at: super::Stamp(now),
        region: None,
        account: None,
        window,
        streams: Vec::new(),
        errors: Vec::new(),
        cloudwatch: CloudWatchUsage {
            metrics_requested: 0,
            list_metrics_calls: 0,
            since: now,
        },
        targets: Vec::new(),
        missing: Vec::new(),
        quota_source: None,
    };
    let mut missing: Option<Vec<String>> = None;
    for (mut info, read) in reads {
        if !many {
            out.region = info.target.region.clone();
        }
        // Two profiles of one account in one region: its streams are
        // reported once, under the first, and the second says so.
        if let Ok(report) = &read {
            info.target.account.clone_from(&report.account);
        }
        let twin = read.as_ref().ok().and_then(|_| {
            out.targets
                .iter()
                .find(|t| t.error.is_none() && t.target.same_place(&info.target))
                .map(|t| t.target.label.clone())
        });
        match (read, twin) {
            (Ok(_), Some(first)) => info.twin = Some(first),
            (Err(why), _) => info.error = Some(why),
            (Ok(report), None) => absorb(&mut out, &mut missing, &info, report, many),
        }
        out.targets.push(info);
    }
    out.missing = missing.unwrap_or_default();
    out
}

/// One target's read report, taken into the whole: its streams named with
/// its target, its errors with its label when there are several, its usage
/// summed, a missing name kept only if every target misses it.
fn absorb(
    out: &mut Report,
    missing: &mut Option<Vec<String>>,
    info: &TargetInfo,
    report: Report,
    many: bool,
) {
    if !many {
        out.account.clone_from(&report.account);
        out.region.clone_from(&report.region);
    }
    out.streams.extend(report.streams.into_iter().map(|mut s| {
        s.target.clone_from(&info.target.label);
        s
    }));
    out.errors.extend(report.errors.into_iter().map(|e| {
        if many {
            format!("{}: {e}", info.target.label)
        } else {
            e
        }
    }));
    out.cloudwatch = crate::fleet::store::usage_sum(out.cloudwatch, report.cloudwatch);
    *missing = Some(match missing.take() {
        None => report.missing,
        Some(m) => m
            .into_iter()
            .filter(|n| report.missing.contains(n))
            .collect(),
    });
    // The table's note on the ledger-only counts needs a reason.
    if out
        .quota_source
        .as_ref()
        .is_none_or(|q| q.reason().is_none())
    {
        out.quota_source = report.quota_source.or(out.quota_source.take());
    }
}

impl Report {
    /// The targets that could not be read.
    pub fn failed(&self) -> impl Iterator<Item = &TargetInfo> {
        self.targets.iter().filter(|t| t.error.is_some())
    }

    /// Where a `--stream` name was looked for: the region, or every target
    /// that was read.
    pub fn searched(&self) -> String {
        if let (Some(region), [_]) = (&self.region, self.targets.as_slice()) {
            return region.clone();
        }
        let read: Vec<&str> = self
            .targets
            .iter()
            .filter(|t| t.error.is_none())
            .map(|t| t.target.label.as_str())
            .collect();
        format!("any of {}", read.join(", "))
    }

    /// The exit code, over every target: critical if any stream is; else
    /// unknown if any stream is, a name asked for is in no target, or a
    /// target could not be read (its streams are all unknown); else done.
    pub fn exit_code(&self) -> u8 {
        let (unknown, _) = self.unknowns();
        match self.worst() {
            Health::Critical => exit::CRITICAL,
            _ if unknown > 0 || !self.missing.is_empty() || self.failed().next().is_some() => {
                exit::UNKNOWN
            }
            _ => exit::DONE,
        }
    }
}

#[cfg(test)]
mod tests;
