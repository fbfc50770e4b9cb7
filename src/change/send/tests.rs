//! Sending with the ledger and the audit log off the async runtime: a locked
//! ledger neither hangs the change nor stops the runtime, and a send dropped
//! while its slot is being taken still gives the slot back.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::super::{plan, ChangeContext, Plan, Request, Watch};
use super::*;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::model::EncryptionStatus;

struct Setup {
    sim: SimCloud,
    ctx: ChangeContext,
    dir: tempfile::TempDir,
}

fn setup(patience: Duration) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ChangeContext {
        account: Some("123456789012".into()),
        caller: None,
        region: "us-east-1".into(),
        ledger: Ledger::at(dir.path().join("ledger.jsonl")).lock_patience(patience),
        trail: crate::trail::Trail::off(),
        audit: AuditLog::at(dir.path().join("audit.jsonl")),
        read_only: false,
        stop: Default::default(),
        force: false,
    };
    Setup {
        sim: SimCloud::new(Scenario::builtin()),
        ctx,
        dir,
    }
}

impl Setup {
    async fn plan(&self) -> Plan {
        let request = Request::Switch {
            stream: "dev-scratch".into(),
            key: KeyRef::AwsOwned,
        };
        plan(&self.sim, &self.ctx, &request, |_| None)
            .await
            .unwrap()
    }

    /// The ledger's lock, held as another process would hold it.
    fn hold_lock(&self) -> File {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(Path::new(self.dir.path()).join("ledger.lock"))
            .unwrap();
        file.lock().unwrap();
        file
    }

    async fn status(&self) -> EncryptionStatus {
        let s = self.sim.describe_stream("dev-scratch").await.unwrap();
        s.encryption.status
    }
}

#[tokio::test]
async fn a_locked_ledger_refuses_in_seconds_and_the_runtime_keeps_running() {
    let s = setup(Duration::from_millis(300));
    let p = s.plan().await;
    let _held = s.hold_lock();
    // Another task on this one-thread runtime: it runs only if the wait for
    // the lock does not block the runtime.
    let ticks = Arc::new(AtomicU32::new(0));
    let counter = ticks.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let err = send(&s.sim, &s.ctx, &p).await.unwrap_err();
    ticker.abort();
    assert!(
        matches!(err, ChangeError::Ledger(LedgerError::Locked { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("is locked by another process"));
    assert!(
        ticks.load(Ordering::SeqCst) >= 5,
        "the runtime ran other work while the lock was awaited"
    );
    assert_eq!(s.status().await, EncryptionStatus::Disabled, "nothing sent");
}

#[tokio::test]
async fn a_send_dropped_while_its_slot_is_taken_still_gives_it_back() {
    let s = setup(Duration::from_secs(5));
    let p = s.plan().await;
    let held = s.hold_lock();
    // The user quits while the slot is being taken (the ledger is busy).
    let stopped = tokio::time::timeout(Duration::from_millis(50), send(&s.sim, &s.ctx, &p)).await;
    assert!(stopped.is_err(), "still waiting for the lock when dropped");
    drop(held);
    // The reservation finishes on the blocking pool, after the drop.
    let mut outcomes = Vec::new();
    for _ in 0..200 {
        outcomes = s
            .ctx
            .ledger
            .read()
            .unwrap()
            .iter()
            .map(|e| e.outcome)
            .collect();
        // The guard writes the ledger, then the audit line.
        if outcomes.len() == 2 && !s.ctx.audit.read().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(outcomes, [Outcome::Sent, Outcome::Unsent]);
    let last = s.ctx.audit.read().pop().unwrap();
    assert_eq!(last.outcome, AuditOutcome::Refused);
    assert!(
        last.message.contains("nothing was sent"),
        "{}",
        last.message
    );
    assert_eq!(s.status().await, EncryptionStatus::Disabled, "nothing sent");
}

#[test]
fn the_guard_and_the_last_line_of_a_change_take_turns() {
    let written = std::cell::RefCell::new(Vec::new());
    let written = &written;
    let write = |line: &'static str| {
        move || {
            written.borrow_mut().push(line);
            Ok(())
        }
    };
    // The change ended first: the guard has nothing to add.
    let w = Watch::armed(CallMark::default());
    w.write(false, write("accepted")).unwrap();
    w.write(true, write("succeeded")).unwrap();
    w.write(true, write("left before AWS finished")).unwrap();
    assert_eq!(*written.borrow(), ["accepted", "succeeded"]);

    // The guard wrote first: a write that starts later is not made.
    written.borrow_mut().clear();
    let w = Watch::armed(CallMark::default());
    w.write(true, write("left before AWS finished")).unwrap();
    w.write(true, write("succeeded")).unwrap();
    assert_eq!(*written.borrow(), ["left before AWS finished"]);

    // A last line that could not be written leaves the guard to try.
    written.borrow_mut().clear();
    let w = Watch::armed(CallMark::default());
    let failed = w.write(true, || Err(ChangeError::Refused("disk full".into())));
    assert!(failed.is_err());
    w.write(true, write("left before AWS finished")).unwrap();
    assert_eq!(*written.borrow(), ["left before AWS finished"]);

    // Nobody watching: every write is made.
    written.borrow_mut().clear();
    let w = Watch::default();
    w.write(true, write("succeeded")).unwrap();
    w.write(true, write("again")).unwrap();
    assert_eq!(*written.borrow(), ["succeeded", "again"]);
}

/// The ledger's last word on each call, with its request id.
fn answers(ctx: &ChangeContext) -> Vec<(Outcome, Option<String>)> {
    ctx.ledger
        .read()
        .unwrap()
        .into_iter()
        .filter(|e| e.outcome != Outcome::Sent)
        .map(|e| (e.outcome, e.request_id))
        .collect()
}

/// The request ids CloudTrail (here, the simulator's) has for the stream.
async fn trail_ids(sim: &SimCloud, stream: &str) -> Vec<Option<String>> {
    let now = chrono::Utc::now();
    let query = crate::model::EventQuery {
        lookup: crate::model::Lookup::ResourceName(stream.into()),
        start: now - chrono::Duration::hours(1),
        end: now,
        next_token: None,
    };
    let page = sim.lookup_events(&query).await.unwrap();
    page.events.into_iter().map(|e| e.request_id).collect()
}

#[tokio::test]
async fn the_ledger_keeps_the_request_id_of_every_answer() {
    let mut s = setup(Duration::from_secs(5));
    // A CloudTrail that shows calls at once.
    let mut scenario = Scenario::builtin();
    scenario.cloudtrail_lag_secs = 0;
    s.sim = SimCloud::new(scenario);
    let p = s.plan().await;
    send(&s.sim, &s.ctx, &p).await.unwrap();
    let ids = trail_ids(&s.sim, "dev-scratch").await;
    assert_eq!(answers(&s.ctx), vec![(Outcome::Accepted, ids[0].clone())]);
    assert!(ids[0].is_some());
}

#[tokio::test]
async fn every_call_that_reached_aws_counts_whatever_it_answered() {
    let s = setup(Duration::from_secs(5));
    let p = s.plan().await;
    let answer = |e: CloudError, id: Option<&str>| CallAnswer {
        result: Err(e),
        request_id: id.map(str::to_string),
        answered: id.is_some(),
        code: None,
    };
    let refusals = [
        CloudError::InUse("busy".into()),
        CloudError::InvalidArgument("bad".into()),
        CloudError::NotFound("gone".into()),
        CloudError::InvalidKms("no grant".into()),
        CloudError::AccessDenied("no".into()),
        CloudError::Throttled("slow down".into()),
        CloudError::Credentials("ExpiredToken: expired".into()),
    ];
    for e in refusals {
        let judged = judge(&p, answer(e.clone(), Some("req-1")));
        assert_eq!(judged.ledger, Some(Outcome::Rejected), "{e}: counts");
        assert_eq!(judged.audit, AuditOutcome::Rejected, "{e}");
    }
    // No credentials to sign with: nothing left this machine.
    let local = judge(
        &p,
        CallAnswer::unanswered(CloudError::Credentials("none".into())),
    );
    assert_eq!(local.ledger, Some(Outcome::Unsent));
    assert!(
        local.message.contains("nothing was sent"),
        "{}",
        local.message
    );
    // Lost or broken answers: the "sent" line stands; a request id AWS gave
    // with a broken answer is kept on a second one.
    let lost = judge(&p, CallAnswer::unanswered(CloudError::NoAnswer("x".into())));
    assert_eq!((lost.ledger, lost.audit), (None, AuditOutcome::Unknown));
    let broken = judge(&p, answer(CloudError::Server("500".into()), Some("req-2")));
    assert_eq!(
        (broken.ledger, broken.audit),
        (Some(Outcome::Sent), AuditOutcome::Unknown)
    );
    assert!(matches!(broken.then, Ok(Some(_))), "unclear, not an error");
    let accepted = judge(&p, CallAnswer::answered(Ok(()), Some("req-3".into())));
    assert_eq!(accepted.ledger, Some(Outcome::Accepted));
}

/// The demo, except that a Start never answers: the call has left and no
/// word comes back, as when the network drops mid-call.
struct Silent(SimCloud);

#[async_trait::async_trait]
impl crate::cloud::wrap::Wrapped for Silent {
    fn inner(&self) -> &dyn crate::cloud::Cloud {
        &self.0
    }
    async fn start_encryption(&self, name: &str, key: &KeyRef) -> CallAnswer {
        // AWS carries it out; the answer never arrives.
        let _ = self.0.start_encryption(name, key).await;
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_send_stopped_while_its_call_is_in_flight_audits_it_unknown_never_sent() {
    let s = setup(Duration::from_secs(5));
    let p = s.plan().await;
    let cloud = Silent(SimCloud::new(Scenario::builtin()));
    // A signal, or the dashboard's double Ctrl-c, lands while the call is
    // on its way.
    let stopped = tokio::time::timeout(Duration::from_millis(200), send(&cloud, &s.ctx, &p)).await;
    assert!(stopped.is_err(), "no answer came");
    let log = s.ctx.audit.read();
    let outcomes: Vec<AuditOutcome> = log.iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, [AuditOutcome::Sent, AuditOutcome::Unknown]);
    let (sent, last) = (&log[0], &log[1]);
    assert!(
        last.message.contains("on its way to AWS"),
        "{}",
        last.message
    );
    assert!(sent.call.call_id.is_some());
    assert_eq!(last.call.call_id, sent.call.call_id, "one call, one id");
    assert_eq!(sent.call.pid, Some(std::process::id()));
    assert_eq!(sent.call.key_arn.as_deref(), Some("aws-owned"));
    // The slot stays spent: the call may have reached AWS.
    let ledger = s.ctx.ledger.read().unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].outcome, Outcome::Sent);
    assert_eq!(Some(&ledger[0].id), sent.call.call_id.as_ref());
}

#[tokio::test]
async fn an_answered_call_is_not_audited_unknown_when_its_change_is_dropped_after() {
    let s = setup(Duration::from_secs(5));
    let p = s.plan().await;
    let sent = send(&s.sim, &s.ctx, &p).await.unwrap();
    let log = s.ctx.audit.read();
    let outcomes: Vec<AuditOutcome> = log.iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, [AuditOutcome::Sent, AuditOutcome::Accepted]);
    assert_eq!(log[1].call.call_id.as_ref(), Some(&sent.id));
    assert!(log[1].call.request_id.is_some(), "the answer's request id");
}

#[tokio::test]
async fn a_change_stopped_while_it_waits_its_turn_at_the_pace_never_leaves() {
    use crate::cloud::Paced;
    use std::num::NonZeroU32;
    let s = setup(Duration::from_secs(5));
    let p = s.plan().await;
    // One Firehose call a second, and a describe just made: the last look
    // waits a second for its turn, the Start another.
    let paced = Paced::new(
        SimCloud::new(Scenario::builtin()),
        NonZeroU32::MIN,
        NonZeroU32::MIN,
    );
    paced.describe_stream("waf-logs").await.unwrap();
    let stopped = tokio::time::timeout(Duration::from_millis(1500), send(&paced, &s.ctx, &p)).await;
    assert!(stopped.is_err(), "stopped while the Start waited its turn");
    let outcomes: Vec<AuditOutcome> = s.ctx.audit.read().iter().map(|e| e.outcome).collect();
    assert_eq!(outcomes, [AuditOutcome::Refused], "never audited as sent");
    let ledger: Vec<Outcome> = s
        .ctx
        .ledger
        .read()
        .unwrap()
        .iter()
        .map(|e| e.outcome)
        .collect();
    assert_eq!(
        ledger,
        [Outcome::Sent, Outcome::Unsent],
        "its slot is given back"
    );
    let now = paced.describe_stream("dev-scratch").await.unwrap();
    assert_eq!(
        now.encryption.status,
        EncryptionStatus::Disabled,
        "nothing reached AWS"
    );
}

#[tokio::test]
async fn a_forced_call_aws_refuses_for_its_limit_says_the_refused_calls_counted() {
    let s = setup(Duration::from_secs(5));
    let mut plan = s.plan().await;
    plan.quota = Quota {
        used: 9,
        refused: 16,
        remaining: 0,
        remaining_at_most: 16,
        ..Quota::unused()
    };
    let mut answer = Answer {
        ledger: Some(Outcome::LimitExceeded),
        audit: AuditOutcome::Rejected,
        message: "limit exceeded: the 25 calls a day".into(),
        then: Ok(None),
    };
    settle_refused(&plan, &mut answer);
    assert!(
        answer.message.ends_with(
            "AWS settled it: the 16 refused calls did count against the 25 calls of dev-scratch in 24 hours"
        ),
        "{}",
        answer.message
    );
    assert!(matches!(answer.then, Err(ChangeError::Rejected(_))));
    // Accepted: they did not all count.
    let mut answer = Answer {
        ledger: Some(Outcome::Accepted),
        audit: AuditOutcome::Accepted,
        message: "AWS accepted the call".into(),
        then: Ok(None),
    };
    settle_refused(&plan, &mut answer);
    assert!(
        answer
            .message
            .contains("only by counting 16 calls AWS had refused, and AWS took this one"),
        "{}",
        answer.message
    );
}
