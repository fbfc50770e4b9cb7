//! Which stream to describe next. Firehose allows 5 describes a second for the
//! whole account, so the order matters: what the user sees first, then what is
//! a page away, then everything else round-robin. Streams changing encryption
//! are re-described every few seconds until they settle.

use std::collections::{HashMap, HashSet};

use tokio::time::{Duration, Instant};

/// How stale a description may get, by kind of stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    pub transition: Duration,
    pub visible: Duration,
    pub background: Duration,
}

#[derive(Debug, Default, Clone, Copy)]
struct LastDescribe {
    last: Option<Instant>,
    transitioning: bool,
}

pub struct Scheduler {
    intervals: Intervals,
    names: Vec<String>,
    entries: HashMap<String, LastDescribe>,
    visible: Vec<String>,
    nearby: Vec<String>,
    in_flight: HashSet<String>,
    /// Expired while a describe was in flight: that answer may predate the
    /// change, so the stream stays due.
    again: HashSet<String>,
    /// Asked for by name, a change waiting on them: before anything else.
    urgent: Vec<String>,
    cursor: usize,
}

impl Scheduler {
    pub fn new(intervals: Intervals) -> Scheduler {
        Scheduler {
            intervals,
            names: Vec::new(),
            entries: HashMap::new(),
            visible: Vec::new(),
            nearby: Vec::new(),
            in_flight: HashSet::new(),
            again: HashSet::new(),
            urgent: Vec::new(),
            cursor: 0,
        }
    }

    /// The fleet changed: new streams are due at once, deleted ones forgotten.
    pub fn set_names(&mut self, names: &[String]) {
        self.names = names.to_vec();
        let keep: HashSet<&String> = names.iter().collect();
        self.entries.retain(|n, _| keep.contains(n));
        self.urgent.retain(|n| keep.contains(n));
        for n in names {
            self.entries.entry(n.clone()).or_default();
        }
        self.cursor %= self.names.len().max(1);
    }

    pub fn set_interest(&mut self, visible: Vec<String>, nearby: Vec<String>) {
        self.visible = visible;
        self.nearby = nearby;
    }

    /// "Refresh now": what is on screen is due again.
    pub fn expire_visible(&mut self) {
        for n in &self.visible {
            if let Some(e) = self.entries.get_mut(n) {
                e.last = None;
            }
        }
    }

    /// Someone changed this stream: it is due now, on screen or not.
    pub fn expire(&mut self, name: &str) {
        if self.in_flight.contains(name) {
            self.again.insert(name.to_string());
        }
        if let Some(e) = self.entries.get_mut(name) {
            e.last = None;
        }
    }

    /// Someone waits for this stream's description: it goes next. One in
    /// flight already will do.
    pub fn hurry(&mut self, name: &str) {
        let known = self.entries.contains_key(name);
        if known && !self.in_flight.contains(name) && !self.urgent.iter().any(|n| n == name) {
            self.urgent.push(name.to_string());
        }
    }

    pub fn finished(&mut self, name: &str, transitioning: bool, now: Instant) {
        self.in_flight.remove(name);
        let again = self.again.remove(name);
        if let Some(e) = self.entries.get_mut(name) {
            e.last = (!again).then_some(now);
            e.transitioning = transitioning;
        }
    }

    fn due(&self, name: &str, interval: Duration, now: Instant) -> bool {
        !self.in_flight.contains(name)
            && self
                .entries
                .get(name)
                .is_some_and(|e| e.last.is_none_or(|t| now.duration_since(t) >= interval))
    }

    /// The stream to describe now, if any is due; it counts as in flight
    /// until `finished`.
    pub fn next(&mut self, now: Instant) -> Option<String> {
        let pick = self.pick(now)?;
        self.in_flight.insert(pick.clone());
        Some(pick)
    }

    fn pick(&mut self, now: Instant) -> Option<String> {
        if !self.urgent.is_empty() {
            return Some(self.urgent.remove(0));
        }
        let i = self.intervals;
        let transitioning = self.names.iter().find(|n| {
            self.entries.get(*n).is_some_and(|e| e.transitioning) && self.due(n, i.transition, now)
        });
        if let Some(n) = transitioning {
            return Some(n.clone());
        }
        for n in self.visible.iter().chain(&self.nearby) {
            if self.due(n, i.visible, now) {
                return Some(n.clone());
            }
        }
        // Never-described streams first, then the stalest, round-robin.
        let count = self.names.len();
        for pass in [None, Some(i.background)] {
            for k in 0..count {
                let idx = (self.cursor + k) % count;
                let n = &self.names[idx];
                let due = match pass {
                    None => !self.in_flight.contains(n) && self.entries[n].last.is_none(),
                    Some(interval) => self.due(n, interval, now),
                };
                if due {
                    self.cursor = (idx + 1) % count;
                    return Some(n.clone());
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("s{i:03}")).collect()
    }

    fn scheduler() -> Scheduler {
        Scheduler::new(Intervals {
            transition: Duration::from_secs(5),
            visible: Duration::from_secs(30),
            background: Duration::from_secs(600),
        })
    }

    fn describe(s: &mut Scheduler, transitioning: &[&str]) -> Option<String> {
        let now = Instant::now();
        let n = s.next(now)?;
        s.finished(&n, transitioning.contains(&n.as_str()), now);
        Some(n)
    }

    #[tokio::test(start_paused = true)]
    async fn visible_rows_first_then_nearby_then_the_rest_in_order() {
        let mut s = scheduler();
        s.set_names(&names(10));
        s.set_interest(vec!["s005".into(), "s006".into()], vec!["s007".into()]);
        let order: Vec<_> = (0..10).map(|_| describe(&mut s, &[]).unwrap()).collect();
        assert_eq!(&order[..3], ["s005", "s006", "s007"]);
        assert_eq!(
            &order[3..],
            ["s000", "s001", "s002", "s003", "s004", "s008", "s009"]
        );
        assert_eq!(describe(&mut s, &[]), None, "nothing is due");
    }

    #[tokio::test(start_paused = true)]
    async fn transitions_are_followed_every_few_seconds() {
        let mut s = scheduler();
        s.set_names(&names(3));
        for _ in 0..3 {
            describe(&mut s, &["s001"]);
        }
        assert_eq!(describe(&mut s, &[]), None);
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(describe(&mut s, &["s001"]).as_deref(), Some("s001"));
        tokio::time::advance(Duration::from_secs(5)).await;
        // Settled now: no longer followed closely.
        assert_eq!(describe(&mut s, &[]).as_deref(), Some("s001"));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(describe(&mut s, &[]), None);
    }

    #[tokio::test(start_paused = true)]
    async fn visible_rows_refresh_sooner_than_the_rest() {
        let mut s = scheduler();
        s.set_names(&names(4));
        s.set_interest(vec!["s002".into()], vec![]);
        while describe(&mut s, &[]).is_some() {}
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(describe(&mut s, &[]).as_deref(), Some("s002"));
        assert_eq!(describe(&mut s, &[]), None);
        tokio::time::advance(Duration::from_secs(600)).await;
        let rest: Vec<_> = std::iter::from_fn(|| describe(&mut s, &[])).collect();
        assert_eq!(
            rest.len(),
            4,
            "everything is due after the background interval"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_asked_for_goes_before_everything_due() {
        let mut s = scheduler();
        s.set_names(&names(10));
        s.set_interest(vec!["s001".into()], vec![]);
        s.hurry("s008");
        s.hurry("s008");
        s.hurry("nope");
        assert_eq!(describe(&mut s, &[]).as_deref(), Some("s008"));
        assert_eq!(describe(&mut s, &[]).as_deref(), Some("s001"));
        // In flight already: its answer is the one waited for.
        let now = Instant::now();
        let busy = s.next(now).unwrap();
        s.hurry(&busy);
        assert_ne!(s.next(now).as_deref(), Some(busy.as_str()));
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_streams_are_not_handed_out_twice() {
        let mut s = scheduler();
        s.set_names(&names(2));
        let now = Instant::now();
        let a = s.next(now).unwrap();
        let b = s.next(now).unwrap();
        assert_ne!(a, b);
        assert_eq!(s.next(now), None);
    }

    #[tokio::test(start_paused = true)]
    async fn new_streams_are_due_and_deleted_ones_forgotten() {
        let mut s = scheduler();
        s.set_names(&names(2));
        while describe(&mut s, &[]).is_some() {}
        s.set_names(&["s001".to_string(), "zzz".to_string()]);
        assert_eq!(describe(&mut s, &[]).as_deref(), Some("zzz"));
        assert_eq!(describe(&mut s, &[]), None);
    }
}
