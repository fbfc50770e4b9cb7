//! How `status` reads one target. Every read starts as soon as what it needs
//! is known, so the report takes about as long as its slowest read, not the
//! sum of them:
//!
//! - STS first: an endpoint that does not answer stops everything, and its
//!   error is the one reported.
//! - Then, side by side: the listing and the describes (paced); CloudTrail's
//!   Start/Stop calls for the quota (they need no stream, only the region);
//!   KMS's aliases; ListMetrics, once one stream is described (the listing
//!   is for described streams only: with none, it is not asked).
//! - Each customer key is described as soon as a description first names
//!   it, and who disabled a key (CloudTrail) is read as soon as KMS says one
//!   is disabled or pending deletion.
//! - GetMetricData waits for the last description: which streams are asked
//!   for all four metrics depends on every stream's key.
//!
//! Every call keeps its own deadline, and every outcome is what the same
//! reads one after another would give: only the time changes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use futures::channel::{mpsc, oneshot};
use futures::FutureExt;

use super::stream::{error_report, stream_report, Place};
use super::{rules, Report, Stamp, SCHEMA_VERSION};
use crate::cloud::{Cloud, CloudError};
use crate::config::Config;
use crate::estate::TargetInfo;
use crate::fleet::{Knowledge, Metrics, Quotas};
use crate::health::Outage;
use crate::inventory::{self, Catalog, KeyBook};
use crate::model::{History, KeyState, KmsMetrics, SeriesListing, Stream, Window};
use crate::quota::{Ledger, QuotaBook};
use crate::trail::Trail;

/// Everything `status` learns, with every read started as soon as it can
/// be (see the module's notes).
pub async fn gather(
    cloud: &dyn Cloud,
    config: &Config,
    window: Window,
    only: &[String],
    ledger: &Ledger,
) -> Result<Report, anyhow::Error> {
    gather_at(cloud, config, window, only, ledger, Utc::now()).await
}

/// `gather` as of `now`: tests pin the clock.
pub async fn gather_at(
    cloud: &dyn Cloud,
    config: &Config,
    window: Window,
    only: &[String],
    ledger: &Ledger,
    now: DateTime<Utc>,
) -> Result<Report, anyhow::Error> {
    let account = account_of(cloud).await?;
    // The quota's CloudTrail read needs no description: it runs beside them.
    let quotas = quotas_of(cloud, config, &account, ledger, now).map(Ok);
    let read = read_streams(cloud, config, window, only, now);
    let (quotas, read) = futures::try_join!(quotas, read)?;
    let facts = Facts::from(read.learned, quotas);
    let knowledge = facts.knowledge(config, window, now);
    let account = account.ok().flatten();
    let place = Place {
        account: account.as_deref(),
        region: cloud.region(),
    };
    let streams = read
        .described
        .iter()
        .map(|(name, result)| match result {
            Ok(stream) => stream_report(&knowledge, stream),
            Err(e) => error_report(&knowledge, name, e),
        })
        .map(|s| place.stamp(s))
        .collect();
    let target = TargetInfo {
        target: crate::model::Target {
            profile: None,
            account: account.clone(),
            region: Some(cloud.region().to_string()),
            label: cloud.region().to_string(),
        },
        ..TargetInfo::default()
    };
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        generated_at: Stamp(now),
        region: Some(cloud.region().to_string()),
        account,
        window,
        streams,
        errors: facts.errors,
        cloudwatch: cloud.cloudwatch_usage(),
        targets: vec![target],
        missing: read.missing,
        quota_source: facts.quotas.ok().map(|book| book.source),
    })
}

/// Every stream of the account, or the names asked for.
async fn names_to_report(
    cloud: &dyn Cloud,
    config: &Config,
    only: &[String],
) -> Result<Vec<String>, CloudError> {
    if only.is_empty() {
        return inventory::list_names(cloud, config.aws.list_page_size.0).await;
    }
    let mut names = only.to_vec();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Each stream's quota by the ledger and CloudTrail (or the ledger alone,
/// saying why), or why it cannot be known at all.
async fn quotas_of(
    cloud: &dyn Cloud,
    config: &Config,
    account: &Result<Option<String>, String>,
    ledger: &Ledger,
    now: chrono::DateTime<Utc>,
) -> Result<QuotaBook, String> {
    match (account, ledger.read_async().await) {
        (Ok(Some(account)), Ok(entries)) => {
            Trail::from_config(config)
                .book(cloud, &entries, account, now)
                .await
        }
        (Ok(None), _) => Err("STS named no account, so the ledger cannot be matched".to_string()),
        (Err(why), _) => Err(why.clone()),
        (_, Err(e)) => Err(format!("the ledger could not be read ({e})")),
    }
}

/// The account STS names, or why it cannot be read; no answer at all
/// (no network, no credentials) stops the whole gather.
async fn account_of(cloud: &dyn Cloud) -> Result<Result<Option<String>, String>, CloudError> {
    match cloud.identity().await {
        Ok(id) => Ok(Ok(Some(id.account).filter(|a| !a.is_empty()))),
        Err(e) if e.is_connection() => Err(e),
        Err(e) => {
            tracing::warn!("cannot tell the account: {e}");
            Ok(Err(format!("the AWS account could not be read (STS: {e})")))
        }
    }
}

/// Each stream to report with its description or why it has none.
type Described = Vec<(String, Result<Stream, CloudError>)>;

/// What reading the streams gave: the descriptions, the names asked for
/// that AWS does not have, and what else was learned of them.
struct Read {
    described: Described,
    missing: Vec<String>,
    learned: Learned,
}

/// What one gather learns of the described streams beyond their
/// descriptions, except the quota.
struct Learned {
    keys: Result<KeyBook, (CloudError, std::collections::BTreeSet<String>)>,
    metrics: Result<KmsMetrics, CloudError>,
    outages: HashMap<String, Outage>,
    history: History,
}

/// The streams, described, with their keys, metrics and the history of
/// their keys: each read started as soon as what it needs is known. Fails
/// as `described` does, dropping the reads still under way.
async fn read_streams(
    cloud: &dyn Cloud,
    config: &Config,
    window: Window,
    only: &[String],
    now: DateTime<Utc>,
) -> Result<Read, CloudError> {
    let (named_tx, named_rx) = mpsc::unbounded::<String>();
    let (state_tx, state_rx) = mpsc::unbounded::<KeyState>();
    let (first_tx, first_rx) = oneshot::channel::<()>();
    let first = Mutex::new(Some(first_tx));
    // Told of each description as it arrives; dropped (closing both
    // channels) when the describe pass ends.
    let seen = move |stream: &Stream| {
        let first = first.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(tx) = first {
            let _ = tx.send(());
        }
        if let Some(arn) = inventory::customer_key(stream) {
            let _ = named_tx.unbounded_send(arn.to_string());
        }
    };
    let recent = inventory::recent_listing_covers(window);
    let listing = first_rx.then(|described_one| async move {
        match described_one {
            Ok(()) => Some(cloud.list_metrics(recent).await),
            Err(oneshot::Canceled) => None,
        }
    });
    let measured = async {
        let pass = described(cloud, config, only, seen);
        let ((described, missing), listing) = futures::try_join!(pass, listing.map(Ok))?;
        let streams: Vec<&Stream> = described
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .collect();
        let (metrics, outages) = metrics_of(cloud, &streams, window, now, listing).await;
        Ok::<_, CloudError>((described, missing, metrics, outages))
    };
    let keys = inventory::load_keys_as_named(cloud, named_rx, move |key| {
        let _ = state_tx.unbounded_send(key.state.clone());
    });
    let trail = Trail::from_config(config);
    let history = crate::trail::who_broke_keys(cloud, &trail, state_rx, now);
    let keys_and_history = futures::future::join(keys, history).map(Ok);
    let ((described, missing, metrics, outages), (keys, history)) =
        futures::try_join!(measured, keys_and_history)?;
    Ok(Read {
        described,
        missing,
        learned: Learned {
            keys,
            metrics,
            outages,
            history,
        },
    })
}

/// The KMS errors of these streams over the window, and the outage behind
/// each erring one. One look with no history: every stream that can fail is
/// asked for all four metrics over the whole window (see
/// `inventory::selection`), whatever ListMetrics lists. `listing` is the
/// ListMetrics answer asked for while the streams were described.
async fn metrics_of(
    cloud: &dyn Cloud,
    streams: &[&Stream],
    window: Window,
    now: DateTime<Utc>,
    listing: Option<Result<SeriesListing, CloudError>>,
) -> (Result<KmsMetrics, CloudError>, HashMap<String, Outage>) {
    let names: Vec<String> = streams.iter().map(|s| s.name.clone()).collect();
    let in_full = inventory::that_can_fail(streams.iter().copied());
    let recent = inventory::recent_listing_covers(window);
    let mut catalog = listing.map_or_else(Catalog::default, |l| Catalog::asked(recent, l));
    let metrics = if names.is_empty() {
        Ok(KmsMetrics::default())
    } else {
        let c = &mut catalog;
        inventory::load_metrics(cloud, &names, &in_full, &in_full, window, now, c).await
    };
    let series = metrics.as_ref().ok().map(|m| &m.series);
    let outages = inventory::outages(cloud, window, series, &in_full, now, &mut catalog).await;
    (metrics, outages)
}

/// The streams to report, described, and the names asked for that AWS does
/// not have; an error when every describe failed for one fleet-wide reason.
/// `seen` is told of each description as it arrives.
async fn described(
    cloud: &dyn Cloud,
    config: &Config,
    only: &[String],
    seen: impl Fn(&Stream),
) -> Result<(Described, Vec<String>), CloudError> {
    let names = names_to_report(cloud, config, only).await?;
    let concurrency = config.aws.describe_concurrency.0;
    let mut described = inventory::describe_all_seen(cloud, &names, concurrency, seen).await;
    if let Some(e) = all_failed_the_same_way(&described) {
        return Err(e);
    }
    // A stream deleted between the listing and its describe is simply gone;
    // a name the user typed that AWS does not have is reported, not judged.
    let mut missing = Vec::new();
    described.retain(|(name, r)| match r {
        Err(CloudError::NotFound(_)) => {
            if !only.is_empty() {
                missing.push(name.clone());
            }
            false
        }
        _ => true,
    });
    Ok((described, missing))
}

/// What one gather learns of the described streams beyond their
/// descriptions, and what of it could not be learned.
struct Facts {
    book: KeyBook,
    metrics: Result<KmsMetrics, String>,
    outages: HashMap<String, Outage>,
    quotas: Result<QuotaBook, String>,
    history: History,
    /// Every stream was asked just now: none has an older figure.
    none_older: BTreeMap<String, DateTime<Utc>>,
    errors: Vec<String>,
}

impl Facts {
    /// The reads' outcomes, each failure said once, fleet-wide: keys, then
    /// metrics, then the quota.
    fn from(learned: Learned, quotas: Result<QuotaBook, String>) -> Facts {
        let mut errors = Vec::new();
        let book = match learned.keys {
            Ok(book) => book,
            // When KMS cannot say, each customer key carries the reason, so
            // its streams are judged unknown, not fine.
            Err((e, named)) => {
                errors.push(format!("KMS aliases and keys unavailable: {e}"));
                let mut book = KeyBook::default();
                for arn in named {
                    book.errors
                        .insert(crate::model::key_id_of(&arn).to_string(), e.clone());
                }
                book
            }
        };
        let metrics = learned.metrics.map_err(|e| {
            errors.push(format!("KMS error metrics unavailable: {e}"));
            e.to_string()
        });
        if let Err(why) = &quotas {
            errors.push(format!("quota unknown: {why}"));
        }
        Facts {
            book,
            metrics,
            outages: learned.outages,
            quotas,
            history: learned.history,
            none_older: BTreeMap::new(),
            errors,
        }
    }

    fn knowledge(&self, config: &Config, window: Window, now: DateTime<Utc>) -> Knowledge<'_> {
        Knowledge {
            keys: &self.book,
            metrics: match &self.metrics {
                Ok(m) => Metrics::Loaded {
                    series: &m.series,
                    unknown: &m.unknown,
                    at: Some(now),
                    as_of: &self.none_older,
                    stale_before: None,
                },
                Err(why) => Metrics::Missing(why),
            },
            outages: &self.outages,
            quotas: match &self.quotas {
                Ok(q) => Quotas::Loaded(q),
                Err(why) => Quotas::Missing(why),
            },
            history: &self.history,
            rules: rules(config, window),
            now,
        }
    }
}

/// When no stream could be described for a reason that is not about the
/// stream (no credentials, no network), that is the answer, not N error rows.
fn all_failed_the_same_way(
    described: &[(String, Result<Stream, CloudError>)],
) -> Option<CloudError> {
    let first = described.first()?.1.as_ref().err()?.clone();
    let fleet_wide = first.is_connection() || matches!(first, CloudError::AccessDenied(_));
    let all = described.iter().all(
        |(_, r)| matches!(r, Err(e) if std::mem::discriminant(e) == std::mem::discriminant(&first)),
    );
    (fleet_wide && all && described.len() > 1).then_some(first)
}
