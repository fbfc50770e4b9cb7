//! The streams of read-only targets (an aggregator's accounts and regions
//! this run has no credentials for), reported from AWS Config's records:
//! what a record holds (ARN, source, configured key), `provenance`
//! `recorded` with its capture time, statuses null, health unknown, and
//! first among the problems why they are read-only.

use std::collections::HashMap;

use super::stream::stream_report;
use super::{Report, Stamp, StreamReport};
use crate::config::Config;
use crate::estate::aggregator::{why_read_only, NO_CREDENTIALS};
use crate::estate::TargetInfo;
use crate::fleet::{Knowledge, Metrics, Quotas};
use crate::inventory::KeyBook;
use crate::model::{History, RecordedStream, Window};

/// `report` with each read-only target and its recorded streams (only the
/// names asked for, when some were): a name found there is no longer
/// missing; with more than one target the top-level account and region
/// are null, as for several targets read live.
pub fn with_recorded(
    mut report: Report,
    read_only: Vec<(TargetInfo, Vec<RecordedStream>)>,
    config: &Config,
    window: Window,
    only: &[String],
) -> Report {
    if read_only.is_empty() {
        return report;
    }
    for (info, mut streams) in read_only {
        streams.retain(|r| only.is_empty() || only.contains(&r.stream.name));
        streams.sort_by(|a, b| a.stream.name.cmp(&b.stream.name));
        report
            .missing
            .retain(|n| !streams.iter().any(|r| r.stream.name == *n));
        let now = report.generated_at.0;
        report.streams.extend(
            streams
                .iter()
                .map(|r| recorded_report(&info, r, config, window, now)),
        );
        report.targets.push(info);
    }
    report.account = None;
    report.region = None;
    report
}

/// One recorded stream of a read-only target.
fn recorded_report(
    info: &TargetInfo,
    r: &RecordedStream,
    config: &Config,
    window: Window,
    now: chrono::DateTime<chrono::Utc>,
) -> StreamReport {
    let why = why_read_only(info);
    let (keys, outages, history) = (KeyBook::default(), HashMap::new(), History::default());
    let knowledge = Knowledge {
        keys: &keys,
        metrics: Metrics::Missing(NO_CREDENTIALS),
        outages: &outages,
        quotas: Quotas::Missing(NO_CREDENTIALS),
        history: &history,
        rules: super::rules(config, window),
        now,
    };
    let mut s = stream_report(&knowledge, &r.stream);
    s.account.clone_from(&info.target.account);
    s.region = info.target.region.clone().unwrap_or_default();
    s.target.clone_from(&info.target.label);
    s.stream_status = None;
    s.kms_asked = None;
    s.provenance = "recorded";
    s.as_of = Some(Stamp(r.captured));
    s.read_only = true;
    let mut first = why;
    if let Some(c) = first.get_mut(0..1) {
        c.make_ascii_uppercase();
    }
    s.problems.insert(
        0,
        format!(
            "{first} (AWS Config's record as of {}).",
            crate::model::stamp(r.captured)
        ),
    );
    s
}
