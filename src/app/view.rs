//! Which streams the table lists and in what order: the sort, and the quick
//! answers' filters (`e`, `u`) that sit on top of the typed one.

use super::{App, SortKey};
use crate::health::Health;
use crate::inventory::unencrypted_direct_put;
use crate::model::Row;

/// A one-key answer to an on-call question, as a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quick {
    /// Streams with KMS errors in the window (what KMS ERR counts).
    KmsErrors,
    /// DirectPut streams without Firehose encryption.
    Unencrypted,
}

impl Quick {
    /// What the status line says while it is on.
    pub fn label(self) -> &'static str {
        match self {
            Quick::KmsErrors => "KMS errors",
            Quick::Unencrypted => "unencrypted DirectPut",
        }
    }
}

impl App {
    /// `e` or `u`: the quick filter on, or off when it already was.
    pub(super) fn toggle_quick(&mut self, quick: Quick) {
        self.quick = (self.quick != Some(quick)).then_some(quick);
        self.refresh_view();
    }

    /// Whether the quick filter, if any, lets the row through.
    pub(super) fn passes_quick(&self, row: &Row) -> bool {
        match self.quick {
            None => true,
            Some(Quick::KmsErrors) => self.kms_total(&row.name) > 0.0,
            Some(Quick::Unencrypted) => row.stream.as_ref().is_some_and(unencrypted_direct_put),
        }
    }

    /// Orders `visible` (indices into `rows`, which are in name order) by the
    /// sort; ties keep name order.
    pub(super) fn sort_rows(&self, visible: &mut [usize]) {
        let name = |i: &usize| self.rows[*i].name.as_str();
        match self.sort {
            SortKey::Name => {}
            SortKey::Problems => visible.sort_by_cached_key(|&i| {
                let row = &self.rows[i];
                let errors = self.kms_total(&row.name);
                (
                    urgency(self.health_level(row)),
                    std::cmp::Reverse(Count(errors)),
                    i,
                )
            }),
            SortKey::Status => visible.sort_by_key(|&i| {
                let r = &self.rows[i];
                (r.stream.as_ref().map(|s| &s.encryption.status), i)
            }),
            SortKey::KmsErrors => visible.sort_by(|&a, &b| {
                let (ta, tb) = (
                    self.kms_total(&self.rows[a].name),
                    self.kms_total(&self.rows[b].name),
                );
                tb.total_cmp(&ta).then(a.cmp(&b))
            }),
            SortKey::Region => visible.sort_by_cached_key(|&i| {
                let (bare, label) = crate::estate::split(name(&i));
                let target = label.and_then(|l| self.targets.iter().position(|t| t.label == l));
                (target, bare.to_string(), i)
            }),
            SortKey::QuotaLeft => {
                // Unknown quota sorts first: it may be the lowest.
                visible.sort_by_key(|&i| {
                    let q = self.quota(name(&i)).ok();
                    (q.map_or(0, |q| q.remaining + 1), i)
                });
            }
        }
    }
}

/// What on call looks at first: critical, then unknown (it may be critical),
/// then warning, then ok.
fn urgency(health: Health) -> u8 {
    match health {
        Health::Critical => 0,
        Health::Unknown => 1,
        Health::Warning => 2,
        Health::Ok => 3,
    }
}

/// An error count, ordered as a number (counts are never NaN).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Count(f64);

impl Eq for Count {}

impl PartialOrd for Count {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Count {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
