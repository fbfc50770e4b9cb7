//! What the worker keeps between metrics fetches so that each asks
//! CloudWatch for as little as gives the same answers: the ListMetrics
//! listings for a few minutes, and which streams to ask for in full because
//! their customer key is known to be unusable.

use std::collections::{BTreeMap, BTreeSet};

use tokio::time::{Duration, Instant};

use crate::cloud::{SeriesListing, Stream};
use crate::inventory::{self, Catalog, KeyBook};

/// How long a ListMetrics listing is used before it is asked again: a
/// series that appears meanwhile is seen at the next listing, and streams
/// whose key becomes unusable are asked for in full until then.
pub(super) const LIST_EVERY: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
pub(super) struct SeriesState {
    recent: Option<(Instant, SeriesListing)>,
    all: Option<(Instant, SeriesListing)>,
    /// Each described stream's customer key ARN.
    stream_keys: BTreeMap<String, String>,
    /// Ids of the keys KMS said Firehose cannot use, or would not describe.
    unusable: BTreeSet<String>,
    /// The streams the last fetch asked for in full.
    asked_in_full: BTreeSet<String>,
}

impl SeriesState {
    /// The listings still fresh at `now`, for the next fetch.
    pub(super) fn catalog(&self, now: Instant) -> Catalog {
        let fresh = |kept: &Option<(Instant, SeriesListing)>| {
            kept.as_ref()
                .filter(|(at, _)| now.saturating_duration_since(*at) < LIST_EVERY)
                .map(|(_, l)| l.clone())
        };
        Catalog::keeping(fresh(&self.recent), fresh(&self.all))
    }

    /// Keeps the listings a fetch asked for and got.
    pub(super) fn keep(&mut self, catalog: &Catalog, now: Instant) {
        for listing in catalog.answered() {
            let slot = if listing.recently_active {
                &mut self.recent
            } else {
                &mut self.all
            };
            *slot = Some((now, listing.clone()));
        }
    }

    /// The streams to ask for in full now; remembered, to tell when more
    /// come.
    pub(super) fn hedge(&mut self) -> BTreeSet<String> {
        self.asked_in_full = inventory::hedged_by_key(&self.stream_keys, &self.unusable);
        self.asked_in_full.clone()
    }

    pub(super) fn described(&mut self, stream: &Stream) {
        match inventory::customer_key(stream) {
            Some(arn) => self
                .stream_keys
                .insert(stream.name.clone(), arn.to_string()),
            None => self.stream_keys.remove(&stream.name),
        };
    }

    pub(super) fn gone(&mut self, name: &str) {
        self.stream_keys.remove(name);
    }

    pub(super) fn keys(&mut self, book: &KeyBook) {
        self.unusable = inventory::unusable_keys(book);
    }

    /// A stream not asked for in full by the last fetch now should be: its
    /// key just became unusable, and its errors should not wait a minute.
    pub(super) fn hedge_grew(&self) -> bool {
        !inventory::hedged_by_key(&self.stream_keys, &self.unusable).is_subset(&self.asked_in_full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::{Encryption, EncryptionStatus, KeyType, Source};

    fn on_key(name: &str, arn: &str) -> Stream {
        Stream {
            name: name.into(),
            arn: format!("arn:aws:firehose:us-east-1:1:deliverystream/{name}"),
            source: Source::DirectPut,
            status: "ACTIVE".into(),
            encryption: Encryption {
                status: EncryptionStatus::Enabled,
                key_type: Some(KeyType::CustomerManaged),
                key_arn: Some(arn.into()),
                failure: None,
            },
        }
    }

    #[test]
    fn a_key_that_becomes_unusable_asks_for_its_streams_in_full_at_once() {
        let arn = "arn:aws:kms:us-east-1:1:key/k1";
        let mut state = SeriesState::default();
        state.described(&on_key("orders", arn));
        state.described(&on_key("clicks", "arn:aws:kms:us-east-1:1:key/k2"));
        assert!(state.hedge().is_empty());
        assert!(!state.hedge_grew());
        let mut book = KeyBook::default();
        book.errors
            .insert("k1".into(), crate::cloud::CloudError::NotFound("k1".into()));
        state.keys(&book);
        assert!(state.hedge_grew(), "the next fetch is due now");
        assert_eq!(state.hedge(), BTreeSet::from(["orders".to_string()]));
        assert!(!state.hedge_grew(), "once asked for, not again and again");
        state.gone("orders");
        assert!(state.hedge().is_empty());
    }
}
