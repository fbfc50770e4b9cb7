//! Which stream to describe next. Firehose allows 5 describes a second for the
//! whole account, so the order matters: what the user sees first, then what is
//! a page away, then everything else round-robin. Streams changing encryption
//! are re-described every few seconds until they settle.

use std::collections::{HashMap, HashSet};

use tokio::time::{Duration, Instant};

/// How stale a description may get, by kind of stream, and the pace of
/// the describes that only refresh or verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    pub transition: Duration,
    pub visible: Duration,
    /// The slow sweep: every stream at least this often, pace allowing.
    pub background: Duration,
    /// The least time between two idle describes (an on-screen refresh or
    /// the sweep's): `[firehose] idle_describes_per_minute`.
    pub idle_every: Duration,
}

/// Firehose settles a change of encryption within minutes; one that has
/// not settled in this long is described once a minute, not every few
/// seconds all night.
const LONG_TRANSITION: Duration = Duration::from_secs(300);
const LONG_TRANSITION_EVERY: Duration = Duration::from_secs(60);

impl Intervals {
    /// How often a stream in transition since `since` is described.
    fn following(&self, since: Option<Instant>, now: Instant) -> Duration {
        match since {
            Some(t) if now.duration_since(t) >= LONG_TRANSITION => {
                self.transition.max(LONG_TRANSITION_EVERY)
            }
            _ => self.transition,
        }
    }

    pub fn from_config(config: &crate::config::Config) -> Intervals {
        let (r, f) = (&config.refresh, &config.firehose);
        let visible = r.visible_secs.map_or(f.visible_refresh_secs.0, |s| s.0);
        let sweep = r.background_secs.map_or(f.sweep_minutes.0 * 60, |s| s.0);
        Intervals {
            transition: Duration::from_secs(r.transition_secs.0),
            visible: Duration::from_secs(visible),
            background: Duration::from_secs(sweep),
            idle_every: Duration::from_secs(60) / f.idle_describes_per_minute.0.max(1),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct LastDescribe {
    /// This run's last describe; `None`: never, or due again at once.
    last: Option<Instant>,
    transitioning: bool,
    /// Since when it has been in transition (or failing to describe), as
    /// far as this run saw.
    moving_since: Option<Instant>,
    /// Shown from an earlier run's cache while CloudTrail is read: not
    /// described unless on screen or named.
    held: bool,
    /// From the cache, and CloudTrail showed no change: verified by a
    /// describe at the idle pace.
    confirmed: bool,
    /// Describes that failed in a row: retried later each time.
    failures: u32,
}

impl LastDescribe {
    /// Waits for CloudTrail, or for the idle pace, rather than for a
    /// describe at full pace.
    fn waits(&self) -> bool {
        self.held || self.confirmed
    }
}

/// The idle describes (an on-screen refresh, the sweep) share one pace, and
/// take turns when both are due, so neither starves the other.
#[derive(Debug, Default, Clone, Copy)]
struct IdlePace {
    /// The earliest the next idle describe may start; `None`: now.
    next: Option<Instant>,
    /// The on-screen refresh had the last turn.
    visible_last: bool,
}

/// When a stream whose describe failed `failures` times in a row is asked
/// again: 15 s, doubling to 5 minutes. A failure says nothing of the
/// stream (a throttle, a timeout, access denied on it): it is shown
/// unknown meanwhile, and many failing streams cannot take every describe.
fn retry_after(failures: u32) -> Duration {
    let secs = 15u64.saturating_mul(1 << failures.saturating_sub(1).min(5));
    Duration::from_secs(secs.min(300))
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
    idle: IdlePace,
    /// A retry of a failed describe had the last turn against the first
    /// pass: they take turns, so neither starves the other.
    retry_last: bool,
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
            idle: IdlePace::default(),
            retry_last: false,
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

    /// A restart from the cache: these streams are shown as cached and
    /// wait for CloudTrail to say which changed (`confirm`), unless on
    /// screen, in transition (`transitioning`) or named meanwhile.
    pub fn hold(&mut self, names: &[String], transitioning: &[String]) {
        for n in names {
            let e = self.entries.entry(n.clone()).or_default();
            e.held = true;
        }
        for n in transitioning {
            let e = self.entries.entry(n.clone()).or_default();
            e.held = false;
            e.transitioning = true;
        }
    }

    /// CloudTrail shows no change to the streams still held: each is
    /// known as of `now`, and verified by a describe when the sweep reaches
    /// it (on screen, when the screen's refresh does), at the idle pace.
    pub fn confirm(&mut self, now: Instant) -> Vec<String> {
        let mut names = Vec::new();
        for (n, e) in self.entries.iter_mut().filter(|(_, e)| e.held) {
            e.held = false;
            e.confirmed = true;
            e.last = Some(now);
            names.push(n.clone());
        }
        names.sort();
        names
    }

    /// Whether the stream is one of the fleet (listed, or shown from the
    /// cache).
    pub fn knows(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// CloudTrail could not say: the streams held are described at the full
    /// pace, as on a start without a cache.
    pub fn release(&mut self) {
        for e in self.entries.values_mut() {
            e.held = false;
        }
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
            e.held = false;
            e.confirmed = false;
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
            e.moving_since = transitioning.then(|| e.moving_since.unwrap_or(now));
            e.held = false;
            e.confirmed = false;
            e.failures = 0;
        }
    }

    /// The describe failed: asked again after `retry_after`, taking turns
    /// with the first pass.
    pub fn failed(&mut self, name: &str, now: Instant) {
        self.in_flight.remove(name);
        let again = self.again.remove(name);
        if let Some(e) = self.entries.get_mut(name) {
            e.failures = if again { 0 } else { e.failures + 1 };
            e.last = (!again).then_some(now);
            e.transitioning = false;
            e.moving_since = None;
        }
    }

    /// Streams held or confirmed and not yet described: shown from the
    /// cache.
    #[cfg(test)]
    pub fn waiting(&self) -> usize {
        self.entries.values().filter(|e| e.waits()).count()
    }

    fn free(&self, name: &str) -> bool {
        !self.in_flight.contains(name)
    }

    fn older(&self, name: &str, interval: Duration, now: Instant) -> bool {
        self.free(name)
            && self
                .entries
                .get(name)
                .and_then(|e| e.last)
                .is_some_and(|t| now.duration_since(t) >= interval)
    }

    /// Never described by this run (or due again at once), and not waiting
    /// for CloudTrail or the idle pace.
    fn fresh(&self, name: &str) -> bool {
        self.free(name)
            && self
                .entries
                .get(name)
                .is_some_and(|e| e.last.is_none() && !e.waits())
    }

    /// The stream to describe now, if any is due; it counts as in flight
    /// until `finished`.
    pub fn next(&mut self, now: Instant) -> Option<String> {
        let pick = self.pick(now)?;
        self.in_flight.insert(pick.clone());
        Some(pick)
    }

    /// What goes at the full pace first: asked for, in transition, on
    /// screen and not described by this run, then never described; then,
    /// when the idle pace allows, a refresh of the screen or the sweep.
    fn pick(&mut self, now: Instant) -> Option<String> {
        if !self.urgent.is_empty() {
            return Some(self.urgent.remove(0));
        }
        let i = self.intervals;
        let transitioning = self.names.iter().find(|n| {
            self.entries.get(*n).is_some_and(|e| {
                e.transitioning
                    && self.free(n)
                    && e.last
                        .is_none_or(|t| now - t >= i.following(e.moving_since, now))
            })
        });
        if let Some(n) = transitioning {
            return Some(n.clone());
        }
        // On screen and not described by this run: at once, even from the
        // cache (what the user looks at is read first).
        let unseen = self
            .visible
            .iter()
            .find(|n| self.free(n) && self.entries.get(*n).is_some_and(|e| e.last.is_none()));
        if let Some(n) = unseen {
            return Some(n.clone());
        }
        if let Some(n) = self.nearby.iter().find(|n| self.fresh(n)) {
            return Some(n.clone());
        }
        if let Some(n) = self.first_pass_or_retry(now) {
            return Some(n);
        }
        self.idle_pick(now)
    }

    /// The first pass's next stream, or a failed describe due again; turns
    /// alternate when both are waiting.
    fn first_pass_or_retry(&mut self, now: Instant) -> Option<String> {
        let retry = |s: &Scheduler, n: &str| {
            s.free(n)
                && s.entries.get(n).is_some_and(|e| {
                    e.failures > 0 && e.last.is_some_and(|t| now - t >= retry_after(e.failures))
                })
        };
        let pick = if self.retry_last {
            self.round_robin(Scheduler::fresh)
                .map(|n| (n, false))
                .or_else(|| self.round_robin(retry).map(|n| (n, true)))
        } else {
            self.round_robin(retry)
                .map(|n| (n, true))
                .or_else(|| self.round_robin(Scheduler::fresh).map(|n| (n, false)))
        };
        let (name, retried) = pick?;
        self.retry_last = retried;
        Some(name)
    }

    /// A refresh of a row on screen or the sweep's next stream, if the
    /// idle pace has room; turns alternate when both are due.
    fn idle_pick(&mut self, now: Instant) -> Option<String> {
        if self.idle.next.is_some_and(|t| now < t) {
            return None;
        }
        let visible = self.intervals.visible;
        // The stalest row on screen: with more rows than the pace allows,
        // each gets its turn.
        let on_screen = |s: &Scheduler| {
            s.visible
                .iter()
                .filter(|n| s.older(n, visible, now))
                .min_by_key(|n| s.entries.get(*n).and_then(|e| e.last))
                .cloned()
        };
        let pick = if self.idle.visible_last {
            self.sweep_pick(now)
                .map(|n| (n, false))
                .or_else(|| on_screen(self).map(|n| (n, true)))
        } else {
            on_screen(self)
                .map(|n| (n, true))
                .or_else(|| self.sweep_pick(now).map(|n| (n, false)))
        };
        let (name, was_visible) = pick?;
        self.idle.visible_last = was_visible;
        self.idle.next = Some(now + self.intervals.idle_every);
        Some(name)
    }

    /// The sweep: any stream older than the sweep's interval, round-robin
    /// (those confirmed from the cache count from their confirmation).
    fn sweep_pick(&mut self, now: Instant) -> Option<String> {
        let background = self.intervals.background;
        self.round_robin(|s, n| s.older(n, background, now))
    }

    /// The next stream from the cursor on that `due` accepts; the cursor
    /// moves past it.
    fn round_robin(&mut self, due: impl Fn(&Scheduler, &str) -> bool) -> Option<String> {
        let count = self.names.len();
        for k in 0..count {
            let idx = (self.cursor + k) % count;
            if due(self, &self.names[idx]) {
                self.cursor = (idx + 1) % count;
                return Some(self.names[idx].clone());
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

    fn intervals() -> Intervals {
        Intervals {
            transition: Duration::from_secs(5),
            visible: Duration::from_secs(30),
            background: Duration::from_secs(600),
            idle_every: Duration::from_secs(4),
        }
    }

    fn scheduler() -> Scheduler {
        Scheduler::new(intervals())
    }

    fn describe(s: &mut Scheduler, transitioning: &[&str]) -> Option<String> {
        let now = Instant::now();
        let n = s.next(now)?;
        s.finished(&n, transitioning.contains(&n.as_str()), now);
        Some(n)
    }

    /// Every describe due over `secs` seconds, a second at a time.
    async fn run_for(s: &mut Scheduler, secs: u64) -> Vec<String> {
        let mut out = Vec::new();
        for _ in 0..secs {
            while let Some(n) = describe(s, &[]) {
                out.push(n);
            }
            tokio::time::advance(Duration::from_secs(1)).await;
        }
        out
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
    async fn visible_rows_refresh_sooner_than_the_rest_at_the_idle_pace() {
        let mut s = scheduler();
        s.set_names(&names(4));
        s.set_interest(vec!["s002".into()], vec![]);
        while describe(&mut s, &[]).is_some() {}
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(describe(&mut s, &[]).as_deref(), Some("s002"));
        assert_eq!(describe(&mut s, &[]), None);
        tokio::time::advance(Duration::from_secs(600)).await;
        let rest = run_for(&mut s, 16).await;
        assert_eq!(
            rest.len(),
            4,
            "one every 4 s once the sweep is due: {rest:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_idle_pace_holds_however_many_rows_are_on_screen() {
        let mut s = scheduler();
        s.set_names(&names(150));
        s.set_interest(names(40), vec![]);
        let first = run_for(&mut s, 1).await;
        assert_eq!(first.len(), 150, "the first pass goes at the full pace");
        let idle = run_for(&mut s, 1200).await;
        // One every 4 s at most, the screen's refresh and the sweep taking
        // turns once both are due (the sweep from 600 s on).
        assert!(idle.len() <= 301, "{} idle describes in 1200 s", idle.len());
        let swept = idle.iter().filter(|n| n.as_str() >= "s040").count();
        assert!(
            swept >= 70,
            "the sweep is not starved by the screen: {swept}"
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
    async fn failing_describes_back_off_and_never_starve_the_first_pass() {
        let mut s = scheduler();
        s.set_names(&names(100));
        // The first 25 fail every time, as streams the SDK cannot read.
        let mut described = Vec::new();
        let start = Instant::now();
        for _ in 0..600 {
            let now = Instant::now();
            // Four a second, as the limiter allows.
            for _ in 0..4 {
                let Some(n) = s.next(now) else { break };
                if n.as_str() < "s025" {
                    s.failed(&n, now);
                } else {
                    s.finished(&n, false, now);
                    described.push(n);
                }
            }
            tokio::time::advance(Duration::from_secs(1)).await;
            if described.len() == 75 {
                break;
            }
        }
        assert_eq!(described.len(), 75, "the first pass ends");
        // 75 at 4 a second, with the 25 failures' retries taking turns:
        // well within a minute.
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{:?}",
            start.elapsed()
        );
        // Then each failing stream is asked at 15, 30, 60, ... 300 s.
        assert_eq!(retry_after(1), Duration::from_secs(15));
        assert_eq!(retry_after(2), Duration::from_secs(30));
        assert_eq!(retry_after(9), Duration::from_secs(300));
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

    #[tokio::test(start_paused = true)]
    async fn a_restart_describes_only_the_screen_the_named_and_the_moving() {
        let mut s = scheduler();
        let all = names(20);
        s.hold(&all, &["s010".to_string()]);
        s.set_names(&all);
        s.set_interest(vec!["s000".into(), "s001".into()], vec!["s002".into()]);
        s.expire("s015");
        let mut first: Vec<String> = std::iter::from_fn(|| describe(&mut s, &[])).collect();
        first.sort();
        assert_eq!(first, ["s000", "s001", "s010", "s015"]);
        assert_eq!(s.waiting(), 16);
        // CloudTrail shows nothing else: the rest are known as of now, and
        // verified when the sweep reaches them, one every 4 s.
        s.confirm(Instant::now());
        s.set_interest(vec![], vec![]);
        assert_eq!(run_for(&mut s, 40).await, Vec::<String>::new());
        tokio::time::advance(Duration::from_secs(600)).await;
        let verified = run_for(&mut s, 40).await;
        assert_eq!(verified.len(), 10, "{verified:?}");
        assert!(s.waiting() <= 10, "{}", s.waiting());
    }

    #[tokio::test(start_paused = true)]
    async fn when_cloudtrail_cannot_say_the_restart_is_a_full_pass() {
        let mut s = scheduler();
        let all = names(20);
        s.hold(&all, &[]);
        s.set_names(&all);
        assert_eq!(describe(&mut s, &[]), None, "held: nothing on screen");
        s.release();
        let all_at_once = run_for(&mut s, 1).await;
        assert_eq!(all_at_once.len(), 20);
        assert_eq!(s.waiting(), 0);
    }
}
