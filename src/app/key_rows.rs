//! The keys view's rows: every customer key the fleet uses, judged by the
//! rules the stream table uses, so "which key is hurting us" has one answer.

use super::{App, View};
use crate::health::Health;
use crate::model::{KeyId, Row, StreamId, TargetId};
use crate::model::{KeyState, KeyType, KmsKey};

/// How the keys view is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeySort {
    /// Worst health first, then the most streams with KMS errors.
    #[default]
    Problems,
    Name,
    Streams,
}

impl KeySort {
    pub fn next(self) -> KeySort {
        match self {
            KeySort::Problems => KeySort::Name,
            KeySort::Name => KeySort::Streams,
            KeySort::Streams => KeySort::Problems,
        }
    }
}

/// Where the keys view stands.
#[derive(Debug, Clone, Default)]
pub struct KeysView {
    pub selected: usize,
    pub sort: KeySort,
    pub filter: String,
}

/// One key the fleet uses.
#[derive(Debug, Clone)]
pub struct KeyRow {
    /// The key, under the target of its first stream: the one a change to
    /// it is sent through.
    pub id: KeyId,
    /// Its alias, or its id.
    pub label: String,
    /// As KMS described it; `None` until it does (or if it will not).
    pub key: Option<KmsKey>,
    pub streams: usize,
    /// Streams on the key with KMS errors in the window; `None` when
    /// CloudWatch could not say for one of them.
    pub erring: Option<usize>,
    pub health: Health,
}

impl App {
    /// Every customer key the streams use, filtered and sorted as the keys
    /// view says.
    pub fn key_rows(&self) -> Vec<KeyRow> {
        let mut by_key: std::collections::BTreeMap<&str, Vec<(&StreamId, &Row)>> =
            std::collections::BTreeMap::new();
        for (id, row) in self.fleet.rows() {
            let Some(s) = &row.stream else { continue };
            if s.encryption.key_type != Some(KeyType::CustomerManaged) {
                continue;
            }
            if let Some(arn) = s.encryption.key_arn.as_deref() {
                by_key.entry(arn).or_default().push((id, row));
            }
        }
        let needle = self.keys_view.filter.to_lowercase();
        let mut rows: Vec<KeyRow> = by_key
            .into_iter()
            .map(|(arn, streams)| {
                let target = streams
                    .first()
                    .map_or_else(TargetId::default, |(id, _)| id.target);
                let book = self.fleet.keys_of(target);
                let key = book.key(arn).cloned();
                let mut erring = Some(0);
                let mut health = Health::Ok;
                for (id, row) in &streams {
                    health = health.max(self.health_level(id, row));
                    match self.kms_sums(id) {
                        Ok(sums) if sums.iter().sum::<f64>() > 0.0 => {
                            erring = erring.map(|n| n + 1);
                        }
                        Ok(_) => {}
                        Err(_) => erring = None,
                    }
                }
                // A key Firehose cannot use, with streams on it, is what
                // breaks them: critical whatever the streams show yet.
                match key.as_ref().map(|k| &k.state) {
                    Some(KeyState::Enabled) => {}
                    Some(_) => health = Health::Critical,
                    None => health = health.max(Health::Unknown),
                }
                KeyRow {
                    id: KeyId {
                        target,
                        arn: arn.to_string(),
                    },
                    label: book.key_label(arn),
                    key,
                    streams: streams.len(),
                    erring,
                    health,
                }
            })
            .filter(|r| {
                needle.is_empty()
                    || r.label.to_lowercase().contains(&needle)
                    || r.id.arn.to_lowercase().contains(&needle)
                    || r.key
                        .as_ref()
                        .is_some_and(|k| k.state.as_str().to_lowercase().contains(&needle))
            })
            .collect();
        match self.keys_view.sort {
            KeySort::Problems => rows.sort_by(|a, b| {
                b.health
                    .cmp(&a.health)
                    .then(
                        b.erring
                            .unwrap_or(usize::MAX)
                            .cmp(&a.erring.unwrap_or(usize::MAX)),
                    )
                    .then(a.label.cmp(&b.label))
            }),
            KeySort::Name => rows.sort_by(|a, b| a.label.cmp(&b.label)),
            KeySort::Streams => {
                rows.sort_by(|a, b| b.streams.cmp(&a.streams).then(a.label.cmp(&b.label)));
            }
        }
        rows
    }

    /// The text the filter prompt edits: the keys view has its own.
    pub(super) fn filter_text(&mut self) -> &mut String {
        if matches!(self.screen.view, View::Keys) {
            &mut self.keys_view.filter
        } else {
            &mut self.table.filter
        }
    }
}
