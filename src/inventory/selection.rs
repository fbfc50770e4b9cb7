//! Which KMS error series to ask GetMetricData for. Asking for all four of
//! every stream every minute costs $0.01 per 1,000 metrics: $58 a day over
//! 1,000 streams.
//!
//! Coverage comes first: a saving never buys a blind window. Every stream
//! that can have KMS errors (`can_fail`: a DirectPut stream with a customer
//! managed key attached, in any encryption status) is asked for all four
//! metrics whatever ListMetrics says, because the CloudWatch API reference
//! for ListMetrics says "After you create a metric, allow up to 15 minutes
//! for the metric to appear. To see metric statistics sooner, use
//! GetMetricData.": a stream that starts failing now, on a key that never
//! failed before, is not listed yet. `status` asks every such stream every
//! time; the dashboard asks some of them every minute (those ListMetrics
//! lists, those erring, those whose key is unusable or was just changed in
//! CloudTrail, those never asked) and sweeps the rest every `[cloudwatch]
//! sweep_secs`: a stream not asked in a fetch keeps its last figure, which
//! says how old it is (`KmsMetrics::not_asked`).
//!
//! Streams that cannot have KMS errors (an AWS owned key, no encryption, a
//! source that owns encryption) are asked only for the series ListMetrics
//! lists: a stream that left a customer key within the window may still
//! have some. A stream ListMetrics did not answer for is unknown, not clean.

use std::collections::{BTreeMap, BTreeSet};

use crate::cloud::{Cloud, CloudError};
use crate::inventory::KeyBook;
use crate::model::Window;
use crate::model::{
    key_id_of, KeyState, KeyType, KmsSeries, MetricSet, SeriesAsk, SeriesListing, Source, Stream,
};

/// What to ask GetMetricData for, and the streams that cannot be answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub ask: SeriesAsk,
    /// Streams ListMetrics could not clear, with the reason.
    pub unknown: BTreeMap<String, String>,
    /// Streams that can fail but are left for a later sweep: their last
    /// figure stands, as old as it is.
    pub not_asked: BTreeSet<String>,
}

/// Which streams to ask for: those in `in_full` for all four metrics; the
/// others that can fail (`can_fail`) for all four when ListMetrics lists any
/// of their series, else left for the sweep; the rest for the series
/// ListMetrics lists, a stream it does not list having none (known zero:
/// it cannot have KMS errors). When ListMetrics failed, every stream that
/// cannot fail and is not asked in full is unknown.
pub fn select(
    names: &[String],
    listing: &Result<SeriesListing, CloudError>,
    in_full: &BTreeSet<String>,
    can_fail: &BTreeSet<String>,
) -> Selection {
    let mut out = Selection::default();
    for name in names {
        if in_full.contains(name) {
            out.ask.insert(name.clone(), MetricSet::ALL);
            continue;
        }
        let listed = listing
            .as_ref()
            .map(|l| l.streams.get(name).copied().filter(|s| !s.is_empty()));
        match listed {
            // A stream that can fail is asked for all four or not at all, so
            // that its figure has one age.
            Ok(Some(_)) if can_fail.contains(name) => {
                out.ask.insert(name.clone(), MetricSet::ALL);
            }
            Ok(Some(set)) => {
                out.ask.insert(name.clone(), set);
            }
            _ if can_fail.contains(name) => {
                out.not_asked.insert(name.clone());
            }
            Ok(None) => {}
            Err(e) => {
                let why = format!("ListMetrics could not say which KMS error series exist ({e})");
                out.unknown.insert(name.clone(), why);
            }
        }
    }
    out
}

/// The 24 h look back at streams with errors in the window: the series the
/// two-week listing has, and always those that erred in the window (a cached
/// listing may be older than they are); all four when asked in full or
/// unlisted.
pub fn look_back(
    erring: &BTreeMap<String, KmsSeries>,
    listing: &Result<SeriesListing, CloudError>,
    in_full: &BTreeSet<String>,
) -> SeriesAsk {
    erring
        .iter()
        .map(|(name, series)| {
            let listed = match listing {
                Ok(l) if !in_full.contains(name) => {
                    l.streams.get(name).copied().unwrap_or_default()
                }
                _ => MetricSet::ALL,
            };
            let mut seen = MetricSet::default();
            for m in crate::model::KmsMetric::ALL {
                if series.total(m) > 0.0 {
                    seen.insert(m);
                }
            }
            (name.clone(), listed.union(seen))
        })
        .collect()
}

/// The ids of the keys of `book` Firehose cannot use as KMS last said:
/// disabled, pending deletion or another state than Enabled, or not
/// described.
pub fn unusable_keys(book: &KeyBook) -> BTreeSet<String> {
    let described = book
        .keys
        .iter()
        .filter(|(_, k)| k.state != KeyState::Enabled);
    described
        .map(|(id, _)| id.clone())
        .chain(book.errors.keys().cloned())
        .collect()
}

/// The customer key a stream's description names, if any.
pub fn customer_key(stream: &Stream) -> Option<&str> {
    let enc = &stream.encryption;
    (enc.key_type == Some(KeyType::CustomerManaged))
        .then_some(enc.key_arn.as_deref())
        .flatten()
}

/// Whether a stream can have KMS errors: a customer managed key is attached
/// (in any encryption status: ENABLING, ENABLED, ENABLING_FAILED,
/// DISABLING, DISABLING_FAILED all leave Firehose calling KMS with it) and
/// Firehose, not the source, owns encryption. A key type or source AWS
/// added later counts as able to fail: asking costs cents, missing costs
/// data.
pub fn can_fail(stream: &Stream) -> bool {
    let enc = &stream.encryption;
    let customer_key = enc.key_arn.is_some() && enc.key_type != Some(KeyType::AwsOwned);
    let source_owns = matches!(
        stream.source,
        Source::KinesisStreamAsSource | Source::MskAsSource | Source::DatabaseAsSource
    );
    customer_key && !source_owns
}

/// The names of the streams that can have KMS errors (see `can_fail`):
/// asked for in full, whatever ListMetrics says, by `status`.
pub fn that_can_fail<'a>(streams: impl Iterator<Item = &'a Stream>) -> BTreeSet<String> {
    streams
        .filter(|s| can_fail(s))
        .map(|s| s.name.clone())
        .collect()
}

/// The streams on one of these keys, from each stream's customer key ARN.
pub fn on_keys(
    stream_keys: &BTreeMap<String, String>,
    key_ids: &BTreeSet<String>,
) -> BTreeSet<String> {
    stream_keys
        .iter()
        .filter(|(_, arn)| key_ids.contains(key_id_of(arn)))
        .map(|(name, _)| name.clone())
        .collect()
}

/// Whether a window lies within ListMetrics' `RecentlyActive=PT3H`: the
/// window ends now, so one of 3 hours or less does.
pub fn recent_listing_covers(window: Window) -> bool {
    window.hours() <= 3
}

/// A ListMetrics answer kept from an earlier fetch, or asked during this one.
#[derive(Debug, Clone, Default)]
enum Slot {
    #[default]
    Empty,
    Kept(SeriesListing),
    Asked(Result<SeriesListing, CloudError>),
}

/// The two ListMetrics answers one fetch of the metrics may need: with
/// `RecentlyActive=PT3H` for windows of 3 hours or less, and without it
/// (two weeks) for longer windows and the 24 h look back. Each is asked at
/// most once a fetch; the worker keeps the answers for a few minutes.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    recent: Slot,
    all: Slot,
}

impl Catalog {
    /// A catalog starting from listings kept from earlier fetches.
    pub fn keeping(recent: Option<SeriesListing>, all: Option<SeriesListing>) -> Catalog {
        let slot = |l: Option<SeriesListing>| l.map_or(Slot::Empty, Slot::Kept);
        Catalog {
            recent: slot(recent),
            all: slot(all),
        }
    }

    /// A catalog holding the listing of this kind asked for just now, in
    /// this fetch (begun before the streams it is for were all described).
    pub fn asked(recently_active: bool, listing: Result<SeriesListing, CloudError>) -> Catalog {
        let mut catalog = Catalog::default();
        let slot = if recently_active {
            &mut catalog.recent
        } else {
            &mut catalog.all
        };
        *slot = Slot::Asked(listing);
        catalog
    }

    /// The listings CloudWatch answered during this fetch: worth keeping.
    pub fn answered(&self) -> impl Iterator<Item = &SeriesListing> {
        [&self.recent, &self.all]
            .into_iter()
            .filter_map(|s| match s {
                Slot::Asked(Ok(l)) => Some(l),
                _ => None,
            })
    }

    /// The listing of this kind, asked of CloudWatch unless kept or already
    /// asked in this fetch.
    pub async fn listing(
        &mut self,
        cloud: &dyn Cloud,
        recently_active: bool,
    ) -> Result<SeriesListing, CloudError> {
        let slot = if recently_active {
            &mut self.recent
        } else {
            &mut self.all
        };
        if let Slot::Empty = slot {
            *slot = Slot::Asked(cloud.list_metrics(recently_active).await);
        }
        match slot {
            Slot::Kept(l) | Slot::Asked(Ok(l)) => Ok(l.clone()),
            Slot::Asked(Err(e)) => Err(e.clone()),
            Slot::Empty => Err(CloudError::Other("ListMetrics was not asked".into())),
        }
    }
}

#[cfg(test)]
mod tests;
