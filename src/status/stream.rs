//! One stream's entry in the report, judged from what the gather learned.

use super::{
    EncryptionReport, KeyReport, ManagedBy, QuotaReport, SinceReport, Stamp, StreamReport,
};
use crate::cloud::CloudError;
use crate::fleet::{Knowledge, Seen};
use crate::health::Outage;
use crate::inventory;
use crate::model::{KeyType, KmsMetric, Stream};
use crate::quota::{QuotaSource, RefusedCalls};

/// Where the streams of one gather are: its target's account and region.
pub(super) struct Place<'a> {
    pub(super) account: Option<&'a str>,
    pub(super) region: &'a str,
}

impl Place<'_> {
    pub(super) fn stamp(&self, mut s: StreamReport) -> StreamReport {
        s.account = self.account.map(str::to_string);
        s.region = self.region.to_string();
        s.target = self.region.to_string();
        s
    }
}

pub(super) fn stream_report(k: &Knowledge<'_>, s: &Stream) -> StreamReport {
    let seen = Seen {
        name: &s.name,
        stream: Some(s),
        error: None,
    };
    let (health, problems) = k.judge(seen);
    let (errors_since, discard_from) = since_and_discard(k.outages.get(&s.name));
    StreamReport {
        name: s.name.clone(),
        account: None,
        region: String::new(),
        arn: Some(s.arn.clone()),
        source: Some(s.source.clone()),
        source_label: Some(s.source.short().to_string()),
        stream_status: Some(s.status.clone()),
        encryption: Some(encryption_report(k, s)),
        kms_errors: k.kms_sums(&s.name).ok().map(|sums| {
            KmsMetric::ALL
                .iter()
                .map(|m| (m.name(), sums[m.index()].round() as u64))
                .collect()
        }),
        kms_asked: Some(if inventory::can_fail(s) {
            "all_metrics"
        } else {
            "listed_series"
        }),
        kms_errors_as_of: k.kms_as_of(&s.name).map(Stamp),
        errors_since,
        discard_from,
        quota: quota_report(k, s),
        health,
        problems,
        error: None,
        provenance: "described",
        as_of: None,
        read_only: false,
        key_label: k.keys.label(s),
        target: String::new(),
    }
}

/// How the stream is encrypted, and its customer key as KMS describes it.
fn encryption_report(k: &Knowledge<'_>, s: &Stream) -> EncryptionReport {
    let enc = &s.encryption;
    let customer_key = match enc.key_type {
        Some(KeyType::CustomerManaged) => enc.key_arn.as_deref(),
        _ => None,
    };
    EncryptionReport {
        status: enc.status.clone(),
        key_type: enc.key_type.clone(),
        key_arn: enc.key_arn.clone(),
        key_alias: customer_key
            .and_then(|a| k.keys.alias(a))
            .map(str::to_string),
        failure: enc.failure.clone(),
        managed_by: match s.source.owns_encryption() {
            Some(false) => ManagedBy::Firehose,
            Some(true) => ManagedBy::Source,
            None => ManagedBy::Unknown,
        },
        key: customer_key
            .and_then(|a| k.keys.key(a))
            .map(|key| KeyReport::of(key, k.keys, k.history)),
    }
}

/// The stream's Start/Stop quota with the calls behind it; `None` when it
/// does not apply or cannot be known.
fn quota_report(k: &Knowledge<'_>, s: &Stream) -> Option<QuotaReport> {
    k.quota(s).ok().flatten().map(|counts| QuotaReport {
        counts,
        refused: RefusedCalls::of(k.calls_of(&s.name)),
        calls: k.calls_of(&s.name).to_vec(),
        source: k.quota_source().map_or("ledger", QuotaSource::name),
        source_reason: k
            .quota_source()
            .and_then(QuotaSource::reason)
            .map(str::to_string),
    })
}

pub(super) fn error_report(k: &Knowledge<'_>, name: &str, e: &CloudError) -> StreamReport {
    let text = e.to_string();
    let seen = Seen {
        name,
        stream: None,
        error: Some(&text),
    };
    let (health, problems) = k.judge(seen);
    StreamReport {
        name: name.to_string(),
        account: None,
        region: String::new(),
        arn: None,
        source: None,
        source_label: None,
        stream_status: None,
        encryption: None,
        kms_errors: None,
        kms_asked: None,
        kms_errors_as_of: None,
        errors_since: None,
        discard_from: None,
        quota: None,
        health,
        problems,
        error: Some(text),
        provenance: "described",
        as_of: None,
        read_only: false,
        key_label: "?".to_string(),
        target: String::new(),
    }
}

/// The current run's bucket and discard time, as the JSON says them.
fn since_and_discard(o: Option<&Outage>) -> (Option<SinceReport>, Option<Stamp>) {
    let Some(o) = o else {
        return (None, None);
    };
    let (from, to) = o.began();
    let since = SinceReport {
        from: (!o.older).then_some(Stamp(from)),
        to: Stamp(to),
    };
    let discard = (o.ongoing && !o.older).then(|| Stamp(o.discard_from()));
    (Some(since), discard)
}
