//! AWS Config's records in the fleet: the rows of a cold start, shown with
//! where they come from until a describe replaces them, and those whose
//! record or metrics show a problem, to describe first.

use chrono::{DateTime, Utc};

use super::apply::News;
use super::Fleet;
use crate::fleet::{Rules, Seen};
use crate::health::Health;
use crate::model::{EncryptionStatus, LoadingState, Provenance, RecordedStream, Row};
use crate::model::{StreamId, TargetId, Tone};

impl Fleet {
    /// A page of target `from`'s records: each stream not described yet
    /// shows its record, marked `Recorded` with its capture time. A
    /// description, or a failed describe, is never replaced by a record.
    pub(super) fn recorded(
        &mut self,
        from: TargetId,
        streams: Vec<RecordedStream>,
        now: DateTime<Utc>,
        news: &mut News,
    ) {
        let Some(p) = self.part_mut(from) else {
            return;
        };
        // Once the target has listed its streams, a record of one it did
        // not list (deleted since AWS Config captured it) adds no row; a
        // read-only target's records are its list.
        let adds = p.list != LoadingState::Loaded || p.read_only.is_some();
        let mut any = false;
        for r in streams {
            let name = r.stream.name.clone();
            if !adds && !p.rows.contains_key(&name) {
                continue;
            }
            let row = p.rows.entry(name.clone()).or_insert_with(|| Row {
                name,
                stream: None,
                error: None,
                described_at: None,
                provenance: Provenance::Described,
            });
            if row.stream.is_some() || row.error.is_some() {
                continue;
            }
            row.stream = Some(r.stream);
            row.provenance = Provenance::Recorded { as_of: r.captured };
            any = true;
        }
        if any {
            self.freshness.last_refresh.get_or_insert(now);
            self.reorder();
            news.changed = true;
        }
    }

    /// How the cold start went, or why there is none: said once.
    pub(super) fn cold_start_said(&mut self, from: TargetId, words: String, news: &mut News) {
        news.kept.push((self.about(from, words), Tone::Info));
    }

    /// Target `target`'s rows still shown from AWS Config's record (of
    /// `only` these names, when given: a page just read) whose record, read
    /// as if it took effect (encrypted with the key it names, or not
    /// encrypted), or whose metrics, show a problem: described before the
    /// others.
    pub fn recorded_problems(
        &self,
        target: TargetId,
        only: Option<&[String]>,
        rules: Rules,
        now: DateTime<Utc>,
    ) -> Vec<StreamId> {
        let Some(part) = self.part(target) else {
            return Vec::new();
        };
        let knowledge = self.knowledge(target, rules, now);
        let rows: Box<dyn Iterator<Item = &Row>> = match only {
            Some(names) => Box::new(names.iter().filter_map(|n| part.rows.get(n))),
            None => Box::new(part.rows.values()),
        };
        rows.filter(|row| matches!(row.provenance, Provenance::Recorded { .. }))
            .filter_map(|row| {
                let mut stream = row.stream.clone()?;
                stream.encryption.status = match stream.encryption.key_type {
                    Some(_) => EncryptionStatus::Enabled,
                    None => EncryptionStatus::Disabled,
                };
                let seen = Seen {
                    name: &row.name,
                    stream: Some(&stream),
                    error: None,
                };
                (knowledge.known_level(seen) > Health::Ok)
                    .then(|| StreamId::new(target, row.name.clone()))
            })
            .collect()
    }
}
