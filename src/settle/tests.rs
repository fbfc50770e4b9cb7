use std::sync::{Arc, Mutex};

use super::*;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::model::KeyRef;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
/// The access key the simulator's calls are signed with.
const OURS: &str = "AKIAFIREKEEPERDEMO01";

struct Setup {
    sim: SimCloud,
    audit: AuditLog,
    ledger: Ledger,
    now: Arc<Mutex<DateTime<Utc>>>,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let now = Arc::new(Mutex::new(Utc::now()));
    let clock = now.clone();
    let mut scenario = Scenario::builtin();
    scenario.cloudtrail_lag_secs = 0;
    let sim = SimCloud::with_clock(scenario, Arc::new(move || *clock.lock().unwrap()));
    let dir = tempfile::tempdir().unwrap();
    Setup {
        sim,
        audit: AuditLog::at(dir.path().join("audit.jsonl")),
        ledger: Ledger::at(dir.path().join("ledger.jsonl")),
        now,
        _dir: dir,
    }
}

impl Setup {
    fn books(&self) -> Books<'_> {
        Books {
            audit: &self.audit,
            ledger: &self.ledger,
            account: Some(ACCOUNT),
            region: REGION,
            trail: Some(Duration::from_secs(30)),
        }
    }

    /// A call to `stream` as an earlier run (a process gone) recorded it,
    /// `mins_ago` minutes ago: its reservation, and its audit lines.
    fn left(&self, id: &str, stream: &str, mins_ago: i64, key: &str, lines: &[AuditOutcome]) {
        let at = Utc::now() - chrono::Duration::minutes(mins_ago);
        self.ledger
            .record(&Entry {
                at,
                id: id.into(),
                account: ACCOUNT.into(),
                region: REGION.into(),
                stream: stream.into(),
                action: if key.is_empty() {
                    Operation::Stop
                } else {
                    Operation::Start
                },
                outcome: Outcome::Sent,
                request_id: None,
                access_key_id: Some(OURS.into()),
                error: None,
            })
            .unwrap();
        for (i, outcome) in lines.iter().enumerate() {
            let mut call = CallMark {
                call_id: Some(id.into()),
                ..CallMark::default()
            };
            if i == 0 {
                call.access_key_id = Some(OURS.into());
                call.pid = Some(dead_pid());
                call.key_arn = (!key.is_empty()).then(|| key.to_string());
            }
            self.audit
                .append(&line(stream, key, at, *outcome, call))
                .unwrap();
        }
    }

    fn outcomes(&self, id: &str) -> Vec<AuditOutcome> {
        let log = self.audit.read();
        log.iter()
            .filter(|e| e.call.call_id.as_deref() == Some(id))
            .map(|e| e.outcome)
            .collect()
    }

    fn last_word(&self, id: &str) -> Entry {
        let entries = self.ledger.read().unwrap();
        entries.into_iter().rfind(|e| e.id == id).unwrap()
    }

    async fn settle(&self) -> Vec<Settled> {
        settle(&self.sim, self.books()).await.unwrap()
    }
}

fn line(
    stream: &str,
    key: &str,
    at: DateTime<Utc>,
    outcome: AuditOutcome,
    call: CallMark,
) -> AuditEntry {
    AuditEntry {
        time: at,
        caller: Some("arn:aws:sts::123456789012:assumed-role/ops/me".into()),
        account: Some(ACCOUNT.into()),
        region: REGION.into(),
        stream: stream.into(),
        action: if key.is_empty() { "disable" } else { "rotate" }.into(),
        old_key: Some("alias/old".into()),
        new_key: Some("alias/new".into()),
        key: None,
        outcome,
        message: "…".into(),
        call,
    }
}

/// A process id no process has: the earlier run is gone.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[tokio::test]
async fn a_start_left_at_sent_is_settled_accepted_from_cloudtrail_and_the_ledger_learns_its_id() {
    let s = setup();
    // The earlier run sent it, and was killed before any answer.
    s.left("c1", "dev-scratch", 0, "aws-owned", &[AuditOutcome::Sent]);
    let answer = s
        .sim
        .start_encryption("dev-scratch", &KeyRef::AwsOwned)
        .await;
    let settled = s.settle().await;
    assert_eq!(settled.len(), 1);
    let (outcome, message) = settled[0].verdict.line();
    assert_eq!(outcome, AuditOutcome::Accepted);
    assert!(
        message.starts_with("settled: accepted (CloudTrail has the call"),
        "{message}"
    );
    assert_eq!(
        s.outcomes("c1"),
        [AuditOutcome::Sent, AuditOutcome::Accepted]
    );
    let word = s.last_word("c1");
    assert_eq!(word.outcome, Outcome::Accepted);
    assert_eq!(
        word.request_id, answer.request_id,
        "CloudTrail's copy counts once"
    );
    // Settled once: the next run finds nothing open.
    assert!(s.settle().await.is_empty());
}

#[tokio::test]
async fn a_call_cloudtrail_refused_is_settled_refused_with_its_code() {
    let s = setup();
    s.left(
        "c1",
        "order-events",
        0,
        "",
        &[AuditOutcome::Sent, AuditOutcome::Unknown],
    );
    // Stopping a stream twice: the second is refused (ResourceInUse).
    let _ = s.sim.stop_encryption("order-events").await;
    let refused = s.sim.stop_encryption("order-events").await;
    assert!(refused.result.is_err());
    // The first Stop was someone else's: only ours is signed... both are the
    // simulator's key, so the nearest in time is taken. Make ours the one
    // the ledger already knows by its request id.
    let first = s
        .sim
        .lookup_events(&query(crate::model::trail::STOP))
        .await
        .unwrap();
    let other = first
        .events
        .iter()
        .find(|e| e.error_code.is_none())
        .unwrap();
    s.ledger
        .record(&Entry {
            request_id: other.request_id.clone(),
            outcome: Outcome::Accepted,
            id: "someone-else".into(),
            ..s.last_word("c1")
        })
        .unwrap();
    let settled = s.settle().await;
    assert_eq!(
        settled[0].verdict.line().1,
        "settled: refused (ResourceInUseException): CloudTrail has the call, refused by AWS"
    );
    assert_eq!(s.last_word("c1").outcome, Outcome::Rejected);
}

fn query(name: &str) -> crate::model::EventQuery {
    crate::model::EventQuery {
        lookup: crate::model::Lookup::EventName(name.into()),
        start: Utc::now() - chrono::Duration::hours(1),
        end: Utc::now() + chrono::Duration::minutes(1),
        next_token: None,
    }
}

#[tokio::test]
async fn a_call_cloudtrail_never_heard_of_after_an_hour_never_reached_aws_and_frees_its_slot() {
    let s = setup();
    s.left(
        "c1",
        "dev-scratch",
        90,
        "aws-owned",
        &[AuditOutcome::Sent, AuditOutcome::Unknown],
    );
    let settled = s.settle().await;
    let (outcome, message) = settled[0].verdict.line();
    assert_eq!(outcome, AuditOutcome::NeverReached);
    assert!(message.contains("over an hour past the call"), "{message}");
    assert!(
        message.contains("dev-scratch does not show it"),
        "{message}"
    );
    assert_eq!(
        s.last_word("c1").outcome,
        Outcome::Unsent,
        "the slot is given back"
    );
}

#[tokio::test]
async fn a_recent_call_cloudtrail_does_not_show_yet_stays_unknown_with_why_once() {
    let s = setup();
    s.left("c1", "dev-scratch", 10, "aws-owned", &[AuditOutcome::Sent]);
    let settled = s.settle().await;
    let message = settled[0].verdict.line().1;
    assert!(
        message.starts_with("not settled yet: CloudTrail does not show the call yet"),
        "{message}"
    );
    assert!(message.contains("an hour after the call"), "{message}");
    assert_eq!(
        s.outcomes("c1"),
        [AuditOutcome::Sent, AuditOutcome::Unknown],
        "never left at sent"
    );
    assert_eq!(
        s.last_word("c1").outcome,
        Outcome::Sent,
        "the slot stays counted"
    );
    // The next run tries again, and writes nothing it would only repeat.
    assert_eq!(s.settle().await.len(), 1);
    assert_eq!(s.outcomes("c1").len(), 2);
}

#[tokio::test]
async fn a_call_the_stream_shows_is_accepted_by_reading_when_cloudtrail_is_off() {
    let s = setup();
    let arn = s.sim.describe_key("alias/payments").await.unwrap().arn;
    s.left("c1", "dev-scratch", 5, &arn, &[AuditOutcome::Sent]);
    let _ = s
        .sim
        .start_encryption("dev-scratch", &KeyRef::Customer(arn))
        .await;
    let books = Books {
        trail: None,
        ..s.books()
    };
    let settled = settle(&s.sim, books).await.unwrap();
    let message = settled[0].verdict.line().1;
    assert!(
        message.starts_with("settled: accepted (dev-scratch is"),
        "{message}"
    );
    assert!(
        message.contains("CloudTrail does not show the call yet"),
        "{message}"
    );
    assert_eq!(s.last_word("c1").outcome, Outcome::Accepted);
}

#[tokio::test]
async fn an_accepted_change_left_while_followed_is_settled_by_how_the_stream_ended() {
    let s = setup();
    s.left(
        "c1",
        "dev-scratch",
        5,
        "aws-owned",
        &[
            AuditOutcome::Sent,
            AuditOutcome::Accepted,
            AuditOutcome::Unknown,
        ],
    );
    let _ = s
        .sim
        .start_encryption("dev-scratch", &KeyRef::AwsOwned)
        .await;
    // Still ENABLING: not yet.
    let settled = s.settle().await;
    assert!(
        matches!(settled[0].verdict, Settlement::NotYet(_)),
        "{:?}",
        settled[0].verdict
    );
    *s.now.lock().unwrap() += chrono::Duration::minutes(5);
    let settled = s.settle().await;
    assert_eq!(
        settled[0].verdict.line().1,
        "settled: succeeded (dev-scratch is ENABLED with the AWS owned key)"
    );
    assert_eq!(
        s.last_word("c1").outcome,
        Outcome::Sent,
        "the ledger had it right"
    );
    assert!(s.settle().await.is_empty());
}

#[test]
fn open_calls_are_those_of_this_account_and_region_left_by_a_process_gone() {
    let at = Utc::now() - chrono::Duration::minutes(3);
    let mark = |id: &str, pid: u32| CallMark {
        call_id: Some(id.into()),
        pid: Some(pid),
        ..CallMark::default()
    };
    let gone = dead_pid();
    let mut log = vec![
        line("a", "k", at, AuditOutcome::Sent, mark("1", gone)),
        line("a", "k", at, AuditOutcome::Accepted, mark("1", gone)),
        line("a", "k", at, AuditOutcome::Succeeded, mark("1", gone)),
        line("b", "k", at, AuditOutcome::Sent, mark("2", gone)),
        // This process's own call, in flight: not an earlier run's.
        line(
            "c",
            "k",
            at,
            AuditOutcome::Sent,
            mark("3", std::process::id()),
        ),
        // Another process still at it (pid 1 is always there).
        line("d", "k", at, AuditOutcome::Sent, mark("4", 1)),
    ];
    let mut elsewhere = line("e", "k", at, AuditOutcome::Sent, mark("5", gone));
    elsewhere.region = "eu-west-1".into();
    log.push(elsewhere);
    // A line from before calls had ids: its later lines go with it.
    log.push(line("f", "k", at, AuditOutcome::Sent, CallMark::default()));
    log.push(line(
        "f",
        "k",
        at,
        AuditOutcome::Unknown,
        CallMark::default(),
    ));
    let open: Vec<String> = pending(&log, Some(ACCOUNT), REGION, Utc::now())
        .iter()
        .map(|p| p.sent.stream.clone())
        .collect();
    assert_eq!(open, ["b", "f"]);
    // An hour on, a process still running has long stopped following.
    let later = Utc::now() + chrono::Duration::hours(1);
    let open: Vec<String> = pending(&log, Some(ACCOUNT), REGION, later)
        .iter()
        .map(|p| p.sent.stream.clone())
        .collect();
    assert_eq!(open, ["b", "d", "f"]);
}

/// The simulator, whose calls CloudTrail shows as another tool's (the aws
/// CLI) made with the same access key.
struct OtherTool<'a>(&'a SimCloud);

#[async_trait::async_trait]
impl crate::cloud::wrap::Wrapped for OtherTool<'_> {
    fn inner(&self) -> &dyn crate::cloud::Cloud {
        self.0
    }
    async fn lookup_events(
        &self,
        query: &crate::model::EventQuery,
    ) -> Result<crate::model::EventPage, crate::cloud::CloudError> {
        let mut page = self.0.lookup_events(query).await?;
        for e in &mut page.events {
            e.user_agent = Some("aws-cli/2.22.0 md/command#firehose".into());
        }
        Ok(page)
    }
}

#[tokio::test]
async fn another_tools_call_with_the_same_access_key_is_never_taken_for_ours() {
    let s = setup();
    let arn = s.sim.describe_key("alias/payments").await.unwrap().arn;
    s.left("c1", "dev-scratch", 90, &arn, &[AuditOutcome::Sent]);
    // A minute after ours was sent, someone ran the aws CLI with the same
    // credentials on the same stream.
    let now = *s.now.lock().unwrap();
    *s.now.lock().unwrap() = now - chrono::Duration::minutes(89);
    let _ = s
        .sim
        .start_encryption("dev-scratch", &KeyRef::AwsOwned)
        .await;
    *s.now.lock().unwrap() = now;
    let settled = settle(&OtherTool(&s.sim), s.books()).await.unwrap();
    let (outcome, message) = settled[0].verdict.line();
    assert_eq!(outcome, AuditOutcome::NeverReached, "{message}");
    assert!(
        message.contains("dev-scratch does not show it"),
        "{message}"
    );
}
