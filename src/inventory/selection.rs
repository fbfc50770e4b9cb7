//! Which KMS error series to ask GetMetricData for. Asking for all four of
//! every stream every minute costs $0.01 per 1,000 metrics: $58 a day over
//! 1,000 streams. Only series that exist can hold errors, and ListMetrics
//! (not billed per metric) says which exist, so only those are asked for.
//!
//! The saving never buys a wrong answer: a stream ListMetrics did not answer
//! for is unknown, not clean, and a stream whose key is known to be unusable
//! is asked for in full whatever ListMetrics says (see `hedged`).

use std::collections::{BTreeMap, BTreeSet};

use crate::cloud::{
    key_id_of, Cloud, CloudError, KeyState, KeyType, KmsSeries, MetricSet, SeriesAsk,
    SeriesListing, Stream,
};
use crate::inventory::KeyBook;
use crate::model::Window;

/// What to ask GetMetricData for, and the streams that cannot be answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub ask: SeriesAsk,
    /// Streams ListMetrics could not clear, with the reason.
    pub unknown: BTreeMap<String, String>,
}

/// Which streams to ask for: those hedged in full, the others for the series
/// ListMetrics lists for them; a stream it does not list has none (known
/// zero). When ListMetrics failed, every stream not hedged is unknown.
pub fn select(
    names: &[String],
    listing: &Result<SeriesListing, CloudError>,
    hedge: &BTreeSet<String>,
) -> Selection {
    let mut out = Selection::default();
    for name in names {
        if hedge.contains(name) {
            out.ask.insert(name.clone(), MetricSet::ALL);
            continue;
        }
        match listing {
            Ok(l) => {
                if let Some(set) = l.streams.get(name).filter(|s| !s.is_empty()) {
                    out.ask.insert(name.clone(), *set);
                }
            }
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
/// listing may be older than they are); all four when hedged or unlisted.
pub fn look_back(
    erring: &BTreeMap<String, KmsSeries>,
    listing: &Result<SeriesListing, CloudError>,
    hedge: &BTreeSet<String>,
) -> SeriesAsk {
    erring
        .iter()
        .map(|(name, series)| {
            let listed = match listing {
                Ok(l) if !hedge.contains(name) => l.streams.get(name).copied().unwrap_or_default(),
                _ => MetricSet::ALL,
            };
            let mut seen = MetricSet::default();
            for m in crate::cloud::KmsMetric::ALL {
                if series.total(m) > 0.0 {
                    seen.insert(m);
                }
            }
            (name.clone(), listed.union(seen))
        })
        .collect()
}

/// Whether Firehose cannot use this key as KMS last said: disabled, pending
/// deletion or another state than Enabled, not found, or not described.
fn unusable(book: &KeyBook, arn: &str) -> bool {
    match book.key(arn) {
        Some(k) => k.state != KeyState::Enabled,
        None => book.error(arn).is_some(),
    }
}

/// The ids of the keys of `book` Firehose cannot use (see `unusable`).
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

/// The streams to ask for in full whatever ListMetrics says: those whose
/// customer key is known to be unusable. Their errors begin the moment the
/// key goes, and AWS documents that a new metric can take up to 15 minutes
/// to appear in ListMetrics: listed alone, such a stream would look clean
/// exactly when it is failing.
pub fn hedged<'a>(streams: impl Iterator<Item = &'a Stream>, book: &KeyBook) -> BTreeSet<String> {
    streams
        .filter(|s| customer_key(s).is_some_and(|arn| unusable(book, arn)))
        .map(|s| s.name.clone())
        .collect()
}

/// `hedged` from what the worker keeps: each stream's customer key, and the
/// ids of the keys found unusable.
pub fn hedged_by_key(
    stream_keys: &BTreeMap<String, String>,
    unusable: &BTreeSet<String>,
) -> BTreeSet<String> {
    stream_keys
        .iter()
        .filter(|(_, arn)| unusable.contains(key_id_of(arn)))
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
