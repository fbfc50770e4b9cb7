//! `firekeeper status`: the whole fleet in one report, as JSON for scripts or as
//! a table for people. The JSON shape is a contract other tools rely on.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::cloud::{Cloud, CloudError, Failure, KeyType, KmsMetric, KmsSeries, Source, Stream};
use crate::config::{Config, Window};
use crate::health::{self, Facts, Health};
use crate::inventory::{self, KeyBook};
use crate::quota::{self, Ledger, Quota};

#[derive(Debug, Serialize)]
pub struct Report {
    pub generated_at: String,
    pub region: String,
    pub account: Option<String>,
    pub window: Window,
    pub streams: Vec<StreamReport>,
    /// What could not be learned for the whole fleet (metrics, aliases); each
    /// affected stream says so too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct StreamReport {
    pub name: String,
    pub arn: Option<String>,
    pub source: Option<Source>,
    pub stream_status: Option<String>,
    pub encryption: Option<EncryptionReport>,
    /// Sums over the window; `null` when CloudWatch could not be read.
    pub kms_errors: Option<BTreeMap<&'static str, u64>>,
    pub quota: Quota,
    pub health: Health,
    pub problems: Vec<String>,
    /// Set when the stream could not be described; the other fields are then
    /// unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct EncryptionReport {
    pub status: crate::cloud::EncryptionStatus,
    pub key_type: Option<KeyType>,
    pub key_arn: Option<String>,
    pub key_alias: Option<String>,
    pub failure: Option<Failure>,
}

impl Report {
    pub fn worst(&self) -> Health {
        self.streams
            .iter()
            .map(|s| s.health)
            .max()
            .unwrap_or(Health::Ok)
    }
}

/// Everything `status` learns, in the order that keeps calls few: identity,
/// names, descriptions (paced), keys, metrics in batches, the ledger.
pub async fn gather(
    cloud: &dyn Cloud,
    config: &Config,
    window: Window,
    only: &[String],
    ledger: &Ledger,
) -> Result<Report, anyhow::Error> {
    let now = Utc::now();
    let account = match cloud.identity().await {
        Ok(id) => Some(id.account).filter(|a| !a.is_empty()),
        Err(e @ (CloudError::Credentials(_) | CloudError::Unreachable(_))) => return Err(e.into()),
        Err(e) => {
            tracing::warn!("cannot tell the account: {e}");
            None
        }
    };
    let names = if only.is_empty() {
        inventory::list_names(cloud, config.aws.list_page_size.0).await?
    } else {
        let mut names = only.to_vec();
        names.sort();
        names.dedup();
        names
    };
    let described = inventory::describe_all(cloud, &names, config.aws.describe_concurrency.0).await;
    if let Some(e) = all_failed_the_same_way(&described) {
        return Err(e.into());
    }
    let streams: Vec<&Stream> = described
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .collect();
    let mut errors = Vec::new();
    let book = inventory::load_keys(cloud, streams.iter().copied())
        .await
        .unwrap_or_else(|e| {
            errors.push(format!("KMS aliases and keys unavailable: {e}"));
            KeyBook::default()
        });
    let described_names: Vec<String> = streams.iter().map(|s| s.name.clone()).collect();
    let metrics = match inventory::load_metrics(cloud, &described_names, window, now).await {
        Ok(m) => Some(m),
        Err(e) => {
            errors.push(format!("KMS error metrics unavailable: {e}"));
            None
        }
    };
    let outages = inventory::outages(cloud, window, metrics.as_ref(), now).await;
    let entries = ledger.read()?;
    let quotas = quota::quotas(
        &entries,
        account.as_deref().unwrap_or(""),
        cloud.region(),
        now,
    );
    let ctx = Context {
        book: &book,
        metrics: metrics.as_ref(),
        outages: &outages,
        quotas: &quotas,
        config,
        window,
        now,
    };
    let streams = described
        .iter()
        .map(|(name, result)| match result {
            Ok(stream) => ctx.stream_report(stream),
            Err(e) => error_report(name, e, &quotas),
        })
        .collect();
    Ok(Report {
        generated_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        region: cloud.region().to_string(),
        account,
        window,
        streams,
        errors,
    })
}

/// When no stream could be described for a reason that is not about the
/// stream (no credentials, no network), that is the answer, not N error rows.
fn all_failed_the_same_way(
    described: &[(String, Result<Stream, CloudError>)],
) -> Option<CloudError> {
    let first = described.first()?.1.as_ref().err()?.clone();
    let fleet_wide = matches!(
        first,
        CloudError::Credentials(_) | CloudError::Unreachable(_) | CloudError::AccessDenied(_)
    );
    let all = described.iter().all(
        |(_, r)| matches!(r, Err(e) if std::mem::discriminant(e) == std::mem::discriminant(&first)),
    );
    (fleet_wide && all && described.len() > 1).then_some(first)
}

struct Context<'a> {
    book: &'a KeyBook,
    metrics: Option<&'a BTreeMap<String, KmsSeries>>,
    outages: &'a HashMap<String, health::Outage>,
    quotas: &'a HashMap<String, Quota>,
    config: &'a Config,
    window: Window,
    now: DateTime<Utc>,
}

impl Context<'_> {
    fn stream_report(&self, s: &Stream) -> StreamReport {
        let series = self
            .metrics
            .map(|m| m.get(&s.name).cloned().unwrap_or_default());
        let sums = series.as_ref().map(|series| {
            let mut sums = [0.0; 4];
            for m in KmsMetric::ALL {
                sums[m.index()] = series.total(m);
            }
            sums
        });
        let quota = self.quotas.get(&s.name).copied().unwrap_or(Quota::unused());
        let label = self.book.label(s);
        let key = s
            .encryption
            .key_arn
            .as_deref()
            .and_then(|a| self.book.key(a));
        let facts = Facts {
            stream: s,
            key,
            key_label: &label,
            kms_errors: sums,
            window: self.window.label(),
            outage: self.outages.get(&s.name).copied(),
            quota,
            quota_warning_at: self.config.status.quota_warning_at.0,
            now: self.now,
        };
        let (health, mut problems) = health::assess(&facts);
        if sums.is_none() {
            problems.push("KMS error metrics could not be read from CloudWatch.".into());
        }
        let enc = &s.encryption;
        StreamReport {
            name: s.name.clone(),
            arn: Some(s.arn.clone()),
            source: Some(s.source.clone()),
            stream_status: Some(s.status.clone()),
            encryption: Some(EncryptionReport {
                status: enc.status,
                key_type: enc.key_type,
                key_arn: enc.key_arn.clone(),
                key_alias: match enc.key_type {
                    Some(KeyType::CustomerManaged) => enc
                        .key_arn
                        .as_deref()
                        .and_then(|a| self.book.alias(a))
                        .map(str::to_string),
                    _ => None,
                },
                failure: enc.failure.clone(),
            }),
            kms_errors: sums.map(|sums| {
                KmsMetric::ALL
                    .iter()
                    .map(|m| (m.name(), sums[m.index()].round() as u64))
                    .collect()
            }),
            quota,
            health,
            problems,
            error: None,
        }
    }
}

fn error_report(name: &str, e: &CloudError, quotas: &HashMap<String, Quota>) -> StreamReport {
    StreamReport {
        name: name.to_string(),
        arn: None,
        source: None,
        stream_status: None,
        encryption: None,
        kms_errors: None,
        quota: quotas.get(name).copied().unwrap_or(Quota::unused()),
        health: Health::Critical,
        problems: vec![format!("Could not describe the stream: {e}")],
        error: Some(e.to_string()),
    }
}

/// The report as an aligned table that fits 100 columns, problems beneath.
pub fn table(report: &Report) -> String {
    let mut out = format!(
        "account {}  region {}  window {}  at {}\n\n",
        report.account.as_deref().unwrap_or("unknown"),
        report.region,
        report.window,
        report.generated_at
    );
    let widths = [26, 9, 16, 22, 7, 5, 8];
    let row = |cells: [&str; 7]| -> String {
        let mut line = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let cell = fit(cell, w);
            if i == 4 || i == 5 {
                line.push_str(&format!("{cell:>w$} "));
            } else {
                line.push_str(&format!("{cell:<w$} "));
            }
        }
        line.trim_end().to_string() + "\n"
    };
    out.push_str(&row([
        "NAME",
        "SOURCE",
        "ENCRYPTION",
        "KEY",
        "KMS ERR",
        "QUOTA",
        "HEALTH",
    ]));
    for s in &report.streams {
        let enc = s.encryption.as_ref();
        let key = enc.map_or("?".to_string(), |e| {
            match (e.key_type, &e.key_alias, &e.key_arn) {
                (Some(KeyType::AwsOwned), _, _) => "AWS owned".into(),
                (_, Some(alias), _) => alias.clone(),
                (_, None, Some(arn)) => inventory::short_id(crate::cloud::key_id_of(arn)),
                _ => "-".into(),
            }
        });
        let errors = s
            .kms_errors
            .as_ref()
            .map_or("?".to_string(), |m| m.values().sum::<u64>().to_string());
        let quota = format!("{}/{}", s.quota.remaining, s.quota.limit);
        let health = s.health.as_str().to_uppercase();
        out.push_str(&row([
            &s.name,
            s.source.as_ref().map_or("?", |x| x.short()),
            enc.map_or("ERROR", |e| e.status.as_str()),
            &key,
            &errors,
            &quota,
            &health,
        ]));
    }
    let with_problems: Vec<_> = report
        .streams
        .iter()
        .filter(|s| !s.problems.is_empty())
        .collect();
    if !with_problems.is_empty() {
        out.push_str("\nProblems\n");
        for s in with_problems {
            for p in &s.problems {
                out.push_str(&wrap(&format!("{}: {p}", s.name), 100, "    "));
            }
        }
    }
    for e in &report.errors {
        out.push_str(&wrap(&format!("error: {e}"), 100, "    "));
    }
    let count = |h: Health| report.streams.iter().filter(|s| s.health == h).count();
    out.push_str(&format!(
        "\n{} streams: {} ok, {} warning, {} critical\n",
        report.streams.len(),
        count(Health::Ok),
        count(Health::Warning),
        count(Health::Critical)
    ));
    out
}

/// Cuts a cell to `w` characters, marking the cut.
fn fit(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        s.chars().take(w - 1).collect::<String>() + "…"
    }
}

/// Word-wraps `text` to `width`, continuation lines indented.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = indent.to_string();
        } else if !line.is_empty() && !line.ends_with(' ') {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.trim().is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
