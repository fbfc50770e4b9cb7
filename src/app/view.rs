//! Which streams the table lists and in what order: the sort, and the quick
//! answers' filters (`e`, `u`) that sit on top of the typed one.

use super::{App, SortKey};
use crate::health::Health;
use crate::inventory::unencrypted_direct_put;
use crate::model::{Row, StreamId};

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
        self.table.quick = (self.table.quick != Some(quick)).then_some(quick);
        self.refresh_view();
    }

    /// Whether the quick filter, if any, lets the row through.
    pub(super) fn passes_quick(&self, id: &StreamId, row: &Row) -> bool {
        match self.table.quick {
            None => true,
            Some(Quick::KmsErrors) => self.kms_total(id) > 0.0,
            Some(Quick::Unencrypted) => row.stream.as_ref().is_some_and(unencrypted_direct_put),
        }
    }

    /// Orders `visible` (indices into the fleet's order, which is by name)
    /// by the sort; ties keep name order.
    pub(super) fn sort_rows(&self, visible: &mut [usize]) {
        let order = self.fleet.order();
        let row = |i: usize| self.fleet.row(&order[i]);
        match self.table.sort {
            SortKey::Name => {}
            SortKey::Problems => visible.sort_by_cached_key(|&i| {
                let id = &order[i];
                let urgency = row(i).map_or(urgency(Health::Unknown), |r| {
                    if r.loading() {
                        LOADING
                    } else {
                        urgency(self.health_level(id, r))
                    }
                });
                let errors = self.kms_total(id);
                (urgency, std::cmp::Reverse(Count(errors)), i)
            }),
            SortKey::Status => visible.sort_by_key(|&i| {
                let status = row(i).and_then(|r| r.stream.as_ref());
                (status.map(|s| s.encryption.status.clone()), i)
            }),
            SortKey::KmsErrors => visible.sort_by(|&a, &b| {
                let (ta, tb) = (self.kms_total(&order[a]), self.kms_total(&order[b]));
                tb.total_cmp(&ta).then(a.cmp(&b))
            }),
            // By target, in the order they were asked for, then name.
            SortKey::Region => visible.sort_by_key(|&i| (order[i].target, i)),
            SortKey::QuotaLeft => {
                // Unknown quota sorts first: it may be the lowest.
                visible.sort_by_key(|&i| {
                    let q = self.quota(&order[i]).ok();
                    (q.map_or(0, |q| q.remaining + 1), i)
                });
            }
        }
    }
}

/// A stream not described yet sorts after every judged one: nothing is
/// known against it yet, and rows arriving then slot in above it.
const LOADING: u8 = 4;

/// What on call looks at first: critical, then unknown (it may be critical),
/// then warning, then ok; streams still loading last.
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
