//! Gathering the fleet: every stream name, every description, the keys they use
//! and their KMS error metrics, paced to Firehose's limits.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;

use crate::cloud::{Cloud, CloudError};
use crate::health;
use crate::model::Window;
use crate::model::{
    key_id_of, Alias, EncryptionStatus, KeyRef, KeyType, KmsKey, KmsMetrics, KmsSeries,
    MetricRange, RotationRecord, Source, Stream,
};

mod selection;

pub use selection::{
    can_fail, customer_key, look_back, on_keys, recent_listing_covers, select, that_can_fail,
    unusable_keys, Catalog, Selection,
};

/// Every stream name, following `HasMoreDeliveryStreams` page by page.
pub async fn list_names(cloud: &dyn Cloud, page_size: u32) -> Result<Vec<String>, CloudError> {
    let mut names: Vec<String> = Vec::new();
    loop {
        let page = cloud
            .list_streams(names.last().map(String::as_str), page_size)
            .await?;
        let progressed = !page.names.is_empty();
        names.extend(page.names);
        if !page.has_more || !progressed {
            return Ok(names);
        }
    }
}

/// Describes streams concurrently (the pacing lives in the cloud's limiter),
/// returning one result per name, in the order given. One stream that cannot
/// be described never stops the others.
pub async fn describe_all(
    cloud: &dyn Cloud,
    names: &[String],
    concurrency: usize,
) -> Vec<(String, Result<Stream, CloudError>)> {
    futures::stream::iter(names)
        .map(|name| async move { (name.clone(), cloud.describe_stream(name).await) })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// `describe_all`, telling `seen` of each description as it arrives (in the
/// order AWS answers), so that reads needing only some descriptions (a
/// key's, whether any stream exists) start before the last describe ends.
pub async fn describe_all_seen(
    cloud: &dyn Cloud,
    names: &[String],
    concurrency: usize,
    seen: impl Fn(&Stream),
) -> Vec<(String, Result<Stream, CloudError>)> {
    let seen = &seen;
    futures::stream::iter(names)
        .map(|name| async move {
            let result = cloud.describe_stream(name).await;
            if let Ok(stream) = &result {
                seen(stream);
            }
            (name.clone(), result)
        })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// The customer keys in use and the aliases that name them.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct KeyBook {
    /// By key id.
    pub keys: HashMap<String, KmsKey>,
    /// Alias names by target key id, sorted.
    pub aliases: HashMap<String, Vec<String>>,
    /// What KMS would not tell us, by key id.
    #[serde(skip)]
    pub errors: HashMap<String, CloudError>,
    /// Rotations of each rotatable key's material, newest first, by key id;
    /// absent when KMS would not list them.
    #[serde(default)]
    pub rotations: HashMap<String, Vec<RotationRecord>>,
}

impl KeyBook {
    /// A book of aliases only (no key descriptions), sorted per key.
    pub fn from_aliases(aliases: Vec<Alias>) -> KeyBook {
        let mut book = KeyBook::default();
        for alias in aliases {
            if let Some(target) = alias.target_key_id {
                book.aliases.entry(target).or_default().push(alias.name);
            }
        }
        for names in book.aliases.values_mut() {
            names.sort();
        }
        book
    }

    pub fn key(&self, arn_or_id: &str) -> Option<&KmsKey> {
        filed(&self.keys, arn_or_id)
    }

    /// The first alias of a key, if it has one.
    pub fn alias(&self, arn_or_id: &str) -> Option<&str> {
        filed(&self.aliases, arn_or_id)
            .and_then(|a| a.first())
            .map(String::as_str)
    }

    /// What KMS would not tell of a key, if it would not.
    pub fn error(&self, arn_or_id: &str) -> Option<&CloudError> {
        filed(&self.errors, arn_or_id)
    }

    /// The key's rotations, newest first, when KMS listed them.
    pub fn rotations_of(&self, arn_or_id: &str) -> Option<&Vec<RotationRecord>> {
        filed(&self.rotations, arn_or_id)
    }

    /// `other`'s keys, aliases, errors and rotations added to this book;
    /// `region` is `other`'s. Every replica of a multi-Region key has the
    /// same id in each region, with a state of its own (disabled in one,
    /// enabled in another): in a book of several regions each is filed
    /// under its region, so that one never stands for the other.
    pub fn absorb(&mut self, other: &KeyBook, region: Option<&str>) {
        let file = |id: &str| match region {
            Some(r) if is_multi_region(id) => format!("{r}/{id}"),
            _ => id.to_string(),
        };
        for (id, key) in &other.keys {
            let slot = match key.region() {
                Some(r) if is_multi_region(id) => format!("{r}/{id}"),
                _ => file(id),
            };
            self.keys.insert(slot, key.clone());
        }
        for (id, names) in &other.aliases {
            self.aliases.insert(file(id), names.clone());
        }
        for (id, error) in &other.errors {
            self.errors.insert(file(id), error.clone());
        }
        for (id, list) in &other.rotations {
            self.rotations.insert(file(id), list.clone());
        }
    }

    /// The one name of a key, wherever it is shown (table, detail, picker,
    /// confirmation, messages, audit, `status`): "AWS owned key", else the
    /// key's first alias, else the first block of its id.
    pub fn name_of(&self, key: KeyRef<&str>) -> String {
        match key {
            KeyRef::AwsOwned => AWS_OWNED.to_string(),
            KeyRef::Customer(arn_or_id) => self
                .alias(arn_or_id)
                .map_or_else(|| short_id(key_id_of(arn_or_id)), str::to_string),
        }
    }

    /// A customer key's name (see `name_of`).
    pub fn key_label(&self, arn_or_id: &str) -> String {
        self.name_of(KeyRef::Customer(arn_or_id))
    }

    /// What a stream is encrypted with, in the same words everywhere: the
    /// key's name, or "no encryption". A stream whose source owns encryption
    /// shows "-": Firehose SSE does not apply. "?" when no key is named and a
    /// value firekeeper does not know (source, status, key type) leaves it
    /// open whether one is used.
    ///
    /// An ENABLING_FAILED stream is never shown as surely on a key or
    /// surely unencrypted: AWS says a stream that was encrypted before a
    /// failed change keeps its old key, but a description does not say what
    /// the stream had before, nor which key its KeyARN names after a
    /// failure. So "? (enabling with KEY failed)" when the failure names the
    /// key shown (that key never took; whether an old one is still in use is
    /// not known), else "KEY?" (perhaps the old key still in use).
    pub fn label(&self, stream: &Stream) -> String {
        let enc = &stream.encryption;
        let key = match (&enc.key_type, enc.key_arn.as_deref()) {
            (Some(KeyType::AwsOwned), _) => self.name_of(KeyRef::AwsOwned),
            (_, Some(arn)) => self.key_label(arn),
            _ if stream.source.owns_encryption() == Some(true) => return "-".to_string(),
            (Some(KeyType::Other(_)), None) => return UNKNOWN_KEY.to_string(),
            _ if matches!(stream.source, Source::Other(_))
                || matches!(enc.status, EncryptionStatus::Other(_)) =>
            {
                return UNKNOWN_KEY.to_string();
            }
            _ => return NO_ENCRYPTION.to_string(),
        };
        if never_got_key(enc) {
            format!("{UNKNOWN_KEY} (enabling with {key} failed)")
        } else if enc.status == EncryptionStatus::EnablingFailed {
            format!("{key}?")
        } else if enc.status == EncryptionStatus::Disabled {
            NO_ENCRYPTION.to_string()
        } else {
            key
        }
    }
}

/// Whether a key id is a multi-Region key's (`mrk-…`), whose replicas
/// share it across regions.
fn is_multi_region(id: &str) -> bool {
    id.starts_with("mrk-")
}

/// A key's entry in one of a book's maps: a multi-Region key's replica
/// under its region when the book holds several (see `absorb`), else
/// under its id.
fn filed<'a, T>(map: &'a HashMap<String, T>, arn_or_id: &str) -> Option<&'a T> {
    let id = key_id_of(arn_or_id);
    let scoped = crate::model::region_of_arn(arn_or_id)
        .filter(|_| is_multi_region(id))
        .and_then(|r| map.get(&format!("{r}/{id}")));
    scoped.or_else(|| map.get(id))
}

/// The name of Firehose's own key.
pub const AWS_OWNED: &str = "AWS owned key";
/// What a stream without Firehose encryption is encrypted with.
pub const NO_ENCRYPTION: &str = "no encryption";
/// What a stream is encrypted with when firekeeper cannot tell.
pub const UNKNOWN_KEY: &str = "?";

/// Whether the stream may store records without Firehose encryption: off,
/// or an enable that failed before the key took (whether an older key is
/// still in use AWS does not say, so it is listed to be looked at, never
/// called unencrypted in words). Only a DirectPut stream's own answer: a
/// source that owns encryption is never "unencrypted" here.
pub fn unencrypted_direct_put(stream: &Stream) -> bool {
    stream.source == Source::DirectPut
        && (stream.encryption.status == EncryptionStatus::Disabled
            || never_got_key(&stream.encryption))
}

/// Whether an ENABLING_FAILED description shows the key that failed rather
/// than a key still in use: the failure is about the very key shown (or the
/// AWS owned key is shown with no customer key named), so that key never
/// took. This reads the failure's text, whose form AWS does not document:
/// it tells which key failed, never whether the stream still has its old
/// one (see [`crate::health::OLD_KEY_UNSAID`]).
pub fn never_got_key(enc: &crate::model::Encryption) -> bool {
    if enc.status != crate::model::EncryptionStatus::EnablingFailed {
        return false;
    }
    let Some(failure) = &enc.failure else {
        return false;
    };
    match enc.key_arn.as_deref() {
        Some(arn) => failure.details.contains(key_id_of(arn)),
        None => enc.key_type == Some(KeyType::AwsOwned) && !failure.details.contains("key/"),
    }
}

/// The first block of a key id, enough to tell keys apart at a glance.
pub fn short_id(id: &str) -> String {
    id.split('-').next().unwrap_or(id).to_string()
}

/// Describes every customer key the streams use, and lists aliases once.
pub async fn load_keys<'a>(
    cloud: &dyn Cloud,
    streams: impl Iterator<Item = &'a Stream>,
) -> Result<KeyBook, CloudError> {
    load_keys_for(cloud, &customer_keys(streams)).await
}

/// The customer key ARNs these streams use.
pub fn customer_keys<'a>(streams: impl Iterator<Item = &'a Stream>) -> BTreeSet<String> {
    streams
        .filter(|s| s.encryption.key_type == Some(KeyType::CustomerManaged))
        .filter_map(|s| s.encryption.key_arn.clone())
        .collect()
}

/// Describes these keys, and lists aliases once.
pub async fn load_keys_for(
    cloud: &dyn Cloud,
    arns: &BTreeSet<String>,
) -> Result<KeyBook, CloudError> {
    let mut book = KeyBook::from_aliases(cloud.list_aliases().await?);
    // Futures collected first: a closure inside the stream combinator would
    // not be Send for every lifetime, which the worker's boxed jobs need.
    let calls: Vec<_> = arns.iter().map(|arn| key_of(cloud, arn)).collect();
    let described: Vec<_> = futures::stream::iter(calls)
        .buffer_unordered(KEYS_IN_FLIGHT)
        .collect()
        .await;
    for (arn, result, rotations) in described {
        book.file(arn, result, rotations);
    }
    Ok(book)
}

/// KMS calls in flight at once while describing keys.
const KEYS_IN_FLIGHT: usize = 8;

/// `load_keys_for` over ARNs that arrive as descriptions name them: the
/// aliases are listed at once, and each key is described (with its
/// rotations) as soon as it is first named, `told` hearing of each key KMS
/// describes. As in `load_keys_for`, no key is described when the aliases
/// cannot be listed: the error comes back with every ARN named.
pub async fn load_keys_as_named(
    cloud: &dyn Cloud,
    arns: impl futures::Stream<Item = String>,
    told: impl Fn(&KmsKey),
) -> Result<KeyBook, (CloudError, BTreeSet<String>)> {
    let mut named = BTreeSet::new();
    let aliases = match cloud.list_aliases().await {
        Ok(aliases) => aliases,
        Err(e) => {
            named.extend(arns.collect::<Vec<_>>().await);
            return Err((e, named));
        }
    };
    let mut book = KeyBook::from_aliases(aliases);
    let first_named = arns.filter(|arn| std::future::ready(named.insert(arn.clone())));
    let mut described = std::pin::pin!(first_named
        .map(|arn| key_of(cloud, arn))
        .buffer_unordered(KEYS_IN_FLIGHT));
    while let Some((arn, result, rotations)) = described.next().await {
        if let Ok(key) = &result {
            told(key);
        }
        book.file(&arn, result, rotations);
    }
    Ok(book)
}

/// One key as KMS describes it, and its rotations when it can rotate and
/// KMS lists them.
async fn key_of<A: AsRef<str>>(
    cloud: &dyn Cloud,
    arn: A,
) -> (A, Result<KmsKey, CloudError>, Option<Vec<RotationRecord>>) {
    let key = cloud.describe_key(arn.as_ref()).await;
    // Only keys that can rotate have rotations to list; a list KMS will not
    // give leaves the rest of the key known.
    let rotations = match &key {
        Ok(k) if k.rotation.is_some() => cloud.key_rotations(&k.id).await.ok(),
        _ => None,
    };
    (arn, key, rotations)
}

impl KeyBook {
    /// A key KMS described, with its rotations, or why it would not.
    fn file(
        &mut self,
        arn: &str,
        result: Result<KmsKey, CloudError>,
        rotations: Option<Vec<RotationRecord>>,
    ) {
        match result {
            Ok(key) => {
                if let Some(r) = rotations {
                    self.rotations.insert(key.id.clone(), r);
                }
                self.keys.insert(key.id.clone(), key);
            }
            Err(e) => {
                self.errors.insert(key_id_of(arn).to_string(), e);
            }
        }
    }
}

/// The metric range for a window ending now, aligned to whole periods so that
/// successive refreshes ask for the same buckets.
pub fn metric_range(window: Window, now: DateTime<Utc>) -> MetricRange {
    let period = i64::from(window.period_secs());
    let end_secs = (now.timestamp() / period + 1) * period;
    let end = DateTime::from_timestamp(end_secs, 0).unwrap_or(now);
    MetricRange {
        start: end - Duration::hours(window.hours()),
        end,
        period_secs: window.period_secs(),
    }
}

/// KMS error series for every stream over `window`: all four metrics of
/// the streams `in_full`, and of the others that can fail when ListMetrics
/// lists them (the rest of those are `not_asked`); the series ListMetrics
/// lists of the streams that cannot fail (see `selection`). Fails only when
/// nothing at all could be read.
pub async fn load_metrics(
    cloud: &dyn Cloud,
    names: &[String],
    in_full: &BTreeSet<String>,
    can_fail: &BTreeSet<String>,
    window: Window,
    now: DateTime<Utc>,
    catalog: &mut Catalog,
) -> Result<KmsMetrics, CloudError> {
    let recent = selection::recent_listing_covers(window);
    let listing = catalog.listing(cloud, recent).await;
    let pick = selection::select(names, &listing, in_full, can_fail);
    let mut out = KmsMetrics::default();
    let mut failure = listing.err();
    if !pick.ask.is_empty() {
        match cloud
            .kms_metrics(&pick.ask, metric_range(window, now))
            .await
        {
            Ok(m) => out = m,
            Err(e) => {
                for name in pick.ask.keys() {
                    out.unknown.insert(name.clone(), e.to_string());
                }
                failure.get_or_insert(e);
            }
        }
    }
    out.unknown.extend(pick.unknown);
    out.not_asked = pick.not_asked;
    match failure {
        Some(e) if !names.is_empty() && out.unknown.len() == names.len() => Err(e),
        _ => Ok(out),
    }
}

/// For streams with errors in the window, looks back a whole retention period
/// to find when the current run of errors began.
pub async fn outages(
    cloud: &dyn Cloud,
    window: Window,
    metrics: Option<&BTreeMap<String, KmsSeries>>,
    in_full: &BTreeSet<String>,
    now: DateTime<Utc>,
    catalog: &mut Catalog,
) -> HashMap<String, health::Outage> {
    let Some(metrics) = metrics else {
        return HashMap::new();
    };
    let erring: BTreeMap<String, KmsSeries> = metrics
        .iter()
        .filter(|(_, s)| s.grand_total() > 0.0)
        .map(|(n, s)| (n.clone(), s.clone()))
        .collect();
    if erring.is_empty() {
        return HashMap::new();
    }
    let from = metric_range(Window::H24, now).start;
    let mut long = erring.clone();
    if window != Window::H24 {
        let listing = catalog.listing(cloud, false).await;
        let ask = selection::look_back(&erring, &listing, in_full);
        match cloud
            .kms_metrics(&ask, metric_range(Window::H24, now))
            .await
        {
            // A stream the look back could not read keeps the window's series.
            Ok(m) => long.extend(
                m.series
                    .into_iter()
                    .filter(|(n, _)| !m.unknown.contains_key(n)),
            ),
            Err(e) => tracing::warn!("cannot look back 24 h for KMS errors: {e}"),
        }
    }
    let period = Window::H24.period_secs().max(window.period_secs());
    long.iter()
        .filter_map(|(n, s)| {
            let run = health::outage(s, from, now, period)?;
            let run = match erring.get(n) {
                Some(fine) => health::refined(run, fine, window.period_secs()),
                None => run,
            };
            Some((n.clone(), run))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::scenario::Scenario;
    use crate::cloud::sim::SimCloud;

    #[tokio::test]
    async fn lists_every_page_and_describes_in_order() {
        let sim = SimCloud::new(Scenario::builtin().scaled(95));
        let names = list_names(&sim, 10).await.unwrap();
        assert_eq!(names.len(), 95);
        let described = describe_all(&sim, &names, 4).await;
        let order: Vec<_> = described.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(order, names);
        assert!(described.iter().all(|(_, r)| r.is_ok()));
    }

    #[tokio::test]
    async fn keys_show_by_alias_then_short_id() {
        let sim = SimCloud::new(Scenario::builtin());
        let names = list_names(&sim, 100).await.unwrap();
        let streams: Vec<Stream> = describe_all(&sim, &names, 4)
            .await
            .into_iter()
            .filter_map(|(_, r)| r.ok())
            .collect();
        let book = load_keys(&sim, streams.iter()).await.unwrap();
        let label = |n: &str| book.label(streams.iter().find(|s| s.name == n).unwrap());
        assert_eq!(label("order-events"), "alias/orders-events");
        assert_eq!(
            label("pii-redacted"),
            "alias/payments",
            "first alias, sorted"
        );
        assert_eq!(label("session-replay"), "a2936fb4");
        assert_eq!(label("waf-logs"), "AWS owned key");
        assert_eq!(label("dev-scratch"), "no encryption");
        assert_eq!(label("clickstream-raw"), "-", "the Kinesis source owns it");
    }

    /// A value firekeeper does not know never reads as "no encryption" or
    /// as a source that owns it, and is never counted unencrypted.
    #[test]
    fn an_unknown_value_labels_the_key_unknown_not_none() {
        let book = KeyBook::default();
        let plain = Stream {
            name: "s".into(),
            arn: "arn".into(),
            source: Source::DirectPut,
            status: "ACTIVE".into(),
            encryption: crate::model::Encryption::default(),
        };
        assert_eq!(book.label(&plain), NO_ENCRYPTION);
        let mut status = plain.clone();
        status.encryption.status = EncryptionStatus::parse("FOO");
        let mut key_type = plain.clone();
        key_type.encryption.status = EncryptionStatus::Enabled;
        key_type.encryption.key_type = Some(KeyType::parse("QUANTUM_CMK"));
        let mut source = plain.clone();
        source.source = Source::parse("IcebergAsSource");
        for s in [&status, &key_type, &source] {
            assert_eq!(book.label(s), UNKNOWN_KEY, "{s:?}");
            assert!(!unencrypted_direct_put(s), "{s:?}");
        }
        let mut named = status.clone();
        named.encryption.key_arn = Some("arn:aws:kms:us-east-1:1:key/abcd-1234".into());
        assert_eq!(
            book.label(&named),
            "abcd",
            "the key it names, whatever the status"
        );
    }

    #[test]
    fn metric_ranges_are_aligned_and_cover_the_window() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T12:34:56Z")
            .unwrap()
            .to_utc();
        let r = metric_range(Window::H3, now);
        assert_eq!(r.end.to_rfc3339(), "2026-11-21T12:35:00+00:00");
        assert_eq!(r.end - r.start, Duration::hours(3));
        assert_eq!(metric_range(Window::H24, now).period_secs, 300);
    }
}
