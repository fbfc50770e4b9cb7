use std::sync::{Arc, Mutex};

use chrono::Utc;

use super::*;
use crate::audit::AuditOutcome;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::wrap::Wrapped;
use crate::cloud::Cloud;
use crate::inventory::KeyBook;
use crate::model::KeyType;
use crate::quota;
use crate::quota::{Call, Operation, Outcome};
use crate::trail::Trail;

struct Harness {
    sim: SimCloud,
    ctx: ChangeContext,
    _dir: tempfile::TempDir,
    now: Arc<Mutex<chrono::DateTime<Utc>>>,
}

fn harness() -> Harness {
    let now = Arc::new(Mutex::new(Utc::now()));
    let clock = now.clone();
    let sim = SimCloud::with_clock(
        Scenario::builtin(),
        Arc::new(move || *clock.lock().unwrap()),
    );
    let dir = tempfile::tempdir().unwrap();
    let ctx = ChangeContext {
        account: Some("123456789012".into()),
        caller: Some("arn:aws:sts::123456789012:assumed-role/ops/me".into()),
        region: "us-east-1".into(),
        ledger: Ledger::at(dir.path().join("ledger.jsonl")),
        trail: crate::trail::Trail::off(),
        audit: AuditLog::at(dir.path().join("audit.jsonl")),
        read_only: false,
        stop: Default::default(),
        force: false,
    };
    Harness {
        sim,
        ctx,
        _dir: dir,
        now,
    }
}

fn switch(stream: &str, key: &str) -> Request {
    Request::Switch {
        stream: stream.into(),
        key: KeyRef::parse(key),
    }
}

impl Harness {
    async fn plan(&self, r: &Request) -> Result<Plan, ChangeError> {
        plan(&self.sim, &self.ctx, r, |_| None).await
    }

    fn advance(&self, secs: i64) {
        *self.now.lock().unwrap() += chrono::Duration::seconds(secs);
    }

    async fn run(&self, r: &Request) -> Result<(Ending, Stream, String), ChangeError> {
        let p = self.plan(r).await?;
        send(&self.sim, &self.ctx, &p).await?;
        self.advance(5);
        let (ending, s) = self.follow(&p).await?;
        let msg = explain(&p, &ending, &s);
        Ok((ending, s, msg))
    }

    /// Follows a sent change, polling at once, for up to 5 s.
    async fn follow(&self, p: &Plan) -> Result<(Ending, Stream), ChangeError> {
        follow(
            &self.sim,
            &self.ctx,
            p,
            Duration::from_millis(1),
            Duration::from_secs(5),
            |_| {},
        )
        .await
    }

    fn outcomes(&self) -> Vec<AuditOutcome> {
        self.ctx.audit.read().iter().map(|e| e.outcome).collect()
    }
}

#[tokio::test]
async fn a_switch_goes_enabling_to_enabled_and_says_so() {
    let h = harness();
    let (ending, s, msg) = h
        .run(&switch("order-events", "alias/orders-events-2026"))
        .await
        .unwrap();
    assert_eq!(ending, Ending::Done);
    assert_eq!(s.encryption.status, EncryptionStatus::Enabled);
    assert_eq!(
        msg,
        "order-events is now encrypted with alias/orders-events-2026 (was alias/orders-events)."
    );
    assert_eq!(
        h.outcomes(),
        [
            AuditOutcome::Sent,
            AuditOutcome::Accepted,
            AuditOutcome::Succeeded
        ]
    );
    let entry = &h.ctx.audit.read()[0];
    assert_eq!(entry.action, "rotate");
    assert_eq!(entry.old_key.as_deref(), Some("alias/orders-events"));
    let q = quota::quotas(
        &h.ctx.ledger.read().unwrap(),
        "123456789012",
        "us-east-1",
        Utc::now() + chrono::Duration::seconds(10),
    );
    assert_eq!(q["order-events"].used, 1);
}

#[tokio::test]
async fn a_failed_change_says_the_old_key_stays() {
    let h = harness();
    // The ENABLING_FAILED path needs a key AWS accepts but cannot use; our own
    // pre-flight would refuse a disabled key, so plan, then force the send.
    let mut p = h
        .plan(&switch("order-events", "alias/legacy-billing"))
        .await
        .unwrap();
    assert!(!p.verdict.allowed(), "pre-flight refuses a disabled key");
    p.verdict = Verdict::default();
    send(&h.sim, &h.ctx, &p).await.unwrap();
    h.advance(5);
    let (ending, s) = h.follow(&p).await.unwrap();
    assert!(matches!(ending, Ending::Failed(Some(ref f)) if f.kind == "DISABLED_KMS_KEY"));
    let msg = explain(&p, &ending, &s);
    assert!(
        msg.starts_with(
            "Key change FAILED: order-events stays encrypted with its old key, alias/orders-events;"
        ),
        "{msg}"
    );
    assert!(msg.contains("AWS said DISABLED_KMS_KEY"), "{msg}");
    assert_eq!(h.outcomes().last(), Some(&AuditOutcome::Failed));
}

#[tokio::test]
async fn enable_and_disable_name_themselves() {
    let h = harness();
    let (_, _, msg) = h.run(&switch("dev-scratch", "aws-owned")).await.unwrap();
    assert_eq!(msg, "dev-scratch is now encrypted with AWS owned key.");
    assert_eq!(h.ctx.audit.read()[0].action, "enable");
    let (ending, s, msg) = h
        .run(&Request::Disable {
            stream: "dev-scratch".into(),
        })
        .await
        .unwrap();
    assert_eq!(ending, Ending::Done);
    assert_eq!(s.encryption.status, EncryptionStatus::Disabled);
    assert_eq!(
        msg,
        "dev-scratch is no longer encrypted by Firehose (was AWS owned key)."
    );
}

#[tokio::test]
async fn refusals_send_nothing_and_are_audited() {
    let h = harness();
    for (request, words) in [
        (switch("clickstream-raw", "aws-owned"), "DirectPut"),
        (switch("order-events", "alias/signing-rsa"), "symmetric"),
        (
            switch("order-events", "alias/orders-events"),
            "already encrypted",
        ),
        (switch("fraud-signals", "aws-owned"), "settles"),
    ] {
        let p = h.plan(&request).await.unwrap();
        let err = send(&h.sim, &h.ctx, &p).await.unwrap_err();
        assert!(
            matches!(&err, ChangeError::Refused(m) if m.contains(words)),
            "{err}"
        );
    }
    assert!(h.outcomes().iter().all(|o| *o == AuditOutcome::Refused));
    assert!(h.ctx.ledger.read().unwrap().is_empty(), "no quota spent");
    let err = h.plan(&switch("nope", "aws-owned")).await.unwrap_err();
    assert!(matches!(err, ChangeError::Refused(ref m) if m.contains("no delivery stream nope")));
    let err = h
        .plan(&switch("order-events", "alias/nope"))
        .await
        .unwrap_err();
    assert!(matches!(err, ChangeError::Refused(ref m) if m.contains("no key alias/nope")));
    let err = h
        .plan(&switch(
            "order-events",
            "arn:aws:kms:us-west-2:123456789012:key/91825ea3-c395-4067-92b4-d5e6f708192a",
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, ChangeError::Refused(ref m) if m.contains("in us-west-2")));
}

#[tokio::test]
async fn read_only_refuses_everything() {
    let mut h = harness();
    h.ctx.read_only = true;
    let p = h.plan(&switch("dev-scratch", "aws-owned")).await.unwrap();
    let err = send(&h.sim, &h.ctx, &p).await.unwrap_err();
    assert!(matches!(err, ChangeError::Refused(ref m) if m.contains("read-only")));
    assert_eq!(h.outcomes(), [AuditOutcome::Refused]);
}

#[tokio::test]
async fn the_26th_call_is_refused_locally_even_when_aws_would_not_know() {
    let h = harness();
    for i in 0..25 {
        let r = if i % 2 == 0 {
            switch("waf-logs", "alias/app-logs")
        } else {
            switch("waf-logs", "aws-owned")
        };
        h.run(&r).await.unwrap();
    }
    let mut p = h.plan(&switch("waf-logs", "alias/payments")).await.unwrap();
    assert!(!p.verdict.allowed());
    let err = send(&h.sim, &h.ctx, &p).await.unwrap_err();
    assert!(
        matches!(err, ChangeError::Refused(ref m) if m.contains("no Start/Stop calls left")),
        "{err}"
    );
    // And the ledger refuses under its lock even when the checks were made
    // before the last call was taken (a colleague took it meanwhile).
    p.verdict = Verdict::default();
    let err = send(&h.sim, &h.ctx, &p).await.unwrap_err();
    assert!(
        matches!(err, ChangeError::Refused(ref m) if m.contains("no Start/Stop calls left")),
        "{err}"
    );
    assert_eq!(h.outcomes().last(), Some(&AuditOutcome::Refused));
}

#[tokio::test]
async fn limit_exceeded_from_aws_marks_the_stream_exhausted() {
    let h = harness();
    // Calls firekeeper never saw (another tool) used the stream's quota.
    for i in 0..25 {
        let choice = if i % 2 == 0 {
            KeyRef::AwsOwned
        } else {
            KeyRef::Customer("alias/app-logs".into())
        };
        h.sim
            .start_encryption("vpc-flow-logs", &choice)
            .await
            .result
            .unwrap();
        h.advance(5);
    }
    let p = h
        .plan(&switch("vpc-flow-logs", "alias/payments"))
        .await
        .unwrap();
    assert!(p.verdict.allowed(), "firekeeper cannot know");
    let err = send(&h.sim, &h.ctx, &p).await.unwrap_err();
    assert!(matches!(
        err,
        ChangeError::Cloud(CloudError::LimitExceeded(_))
    ));
    let q = quota::quotas(
        &h.ctx.ledger.read().unwrap(),
        "123456789012",
        "us-east-1",
        Utc::now() + chrono::Duration::minutes(5),
    );
    assert_eq!(q["vpc-flow-logs"].remaining, 0);
    assert_eq!(h.outcomes(), [AuditOutcome::Sent, AuditOutcome::Rejected]);
}

#[tokio::test]
async fn a_never_encrypted_stream_that_fails_to_enable_is_not_called_encrypted() {
    let h = harness();
    // dev-scratch is DISABLED; alias/locked-down denies Firehose.
    let mut p = h
        .plan(&switch("dev-scratch", "alias/locked-down"))
        .await
        .unwrap();
    p.verdict = Verdict::default();
    send(&h.sim, &h.ctx, &p).await.unwrap();
    h.advance(5);
    let (ending, s) = h.follow(&p).await.unwrap();
    assert!(matches!(ending, Ending::Failed(_)), "{ending:?}");
    let msg = explain(&p, &ending, &s);
    assert!(
        msg.starts_with(
            "Enabling encryption FAILED: dev-scratch is not encrypted (enabling with alias/locked-down failed)."
        ),
        "{msg}"
    );
    assert!(!msg.contains("stays encrypted"), "{msg}");
    // The change knew the stream was not encrypted before; a description
    // alone cannot tell whether an old key is still in use.
    let book = KeyBook::from_aliases(h.sim.list_aliases().await.unwrap());
    assert_eq!(book.label(&s), "? (enabling with alias/locked-down failed)");
}

/// A stream already ENABLING_FAILED before a change that fails again: which
/// key it held was not known before, nor is it after, and the outcome says
/// so instead of "stays encrypted with its old key".
#[tokio::test]
async fn a_change_that_fails_after_an_earlier_failure_does_not_guess_the_old_key() {
    let h = harness();
    let mut p = h
        .plan(&switch("profile-updates", "alias/locked-down"))
        .await
        .unwrap();
    p.verdict = Verdict::default();
    send(&h.sim, &h.ctx, &p).await.unwrap();
    h.advance(5);
    let (ending, s) = h.follow(&p).await.unwrap();
    assert!(matches!(ending, Ending::Failed(_)), "{ending:?}");
    let msg = explain(&p, &ending, &s);
    assert!(
        msg.starts_with(
            "Key change FAILED: alias/locked-down was not applied to profile-updates, which was ENABLING_FAILED before"
        ),
        "{msg}"
    );
    assert!(msg.contains(crate::health::OLD_KEY_UNSAID), "{msg}");
    assert!(!msg.contains("stays encrypted"), "{msg}");
    assert!(!msg.contains("is not encrypted"), "{msg}");
}

#[tokio::test]
async fn a_leftover_enabling_failed_does_not_end_the_follow_early() {
    let h = harness();
    // profile-updates is ENABLING_FAILED from before; a good key is asked for.
    let p = h
        .plan(&switch("profile-updates", "alias/orders-events-2026"))
        .await
        .unwrap();
    assert_eq!(p.stream.encryption.status, EncryptionStatus::EnablingFailed);
    // Described before AWS shows the call: the old failure must not count.
    let before = p.stream.clone();
    assert!(settled(&p, &before).is_some(), "it looks settled");
    assert!(!moved(&p.stream, &before));
    send(&h.sim, &h.ctx, &p).await.unwrap();
    h.advance(5);
    let (ending, _) = h.follow(&p).await.unwrap();
    assert_eq!(ending, Ending::Done);
}

#[tokio::test]
async fn leaving_mid_follow_audits_the_change_as_unknown() {
    let h = harness();
    let p = h
        .plan(&switch("order-events", "alias/orders-events-2026"))
        .await
        .unwrap();
    let timing = ChangeTiming {
        poll: Duration::from_secs(3600),
        patience: Duration::from_secs(7200),
        confirm_within: Duration::from_secs(60),
    };
    let work = carry_out(&h.sim, &h.ctx, &p, timing, true, |_| {});
    // The user quits while the change is being followed: the future is dropped.
    let left = tokio::time::timeout(Duration::from_millis(50), work).await;
    assert!(left.is_err(), "still following");
    let last = h.ctx.audit.read().pop().unwrap();
    assert_eq!(last.outcome, AuditOutcome::Unknown);
    assert!(
        last.message.starts_with("left before AWS finished"),
        "{}",
        last.message
    );
}

#[tokio::test]
async fn no_change_is_recorded_under_an_unknown_account() {
    let mut h = harness();
    h.ctx.account = None;
    let p = h.plan(&switch("dev-scratch", "aws-owned")).await.unwrap();
    let err = send(&h.sim, &h.ctx, &p).await.unwrap_err();
    assert!(
        matches!(&err, ChangeError::Refused(why) if why.contains("account is not known")),
        "{err}"
    );
    assert!(h.ctx.ledger.read().unwrap().is_empty(), "nothing reserved");
}

/// The simulator, with a hook run before each describe (the n-th, from 1),
/// which may also make that describe hang, as an endpoint that stops
/// answering does.
struct Hooked<'a> {
    sim: &'a SimCloud,
    describes: std::sync::atomic::AtomicU32,
    hook: Box<dyn Fn(u32) -> bool + Send + Sync + 'a>,
}

impl<'a> Hooked<'a> {
    fn new(sim: &'a SimCloud, hook: impl Fn(u32) -> bool + Send + Sync + 'a) -> Self {
        Hooked {
            sim,
            describes: Default::default(),
            hook: Box::new(hook),
        }
    }
}

#[async_trait::async_trait]
impl Wrapped for Hooked<'_> {
    fn inner(&self) -> &dyn Cloud {
        self.sim
    }
    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError> {
        let n = self
            .describes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        if (self.hook)(n) {
            std::future::pending::<()>().await;
        }
        self.sim.describe_stream(name).await
    }
}

impl Harness {
    fn remaining(&self, stream: &str) -> u32 {
        quota::quotas(
            &self.ctx.ledger.read().unwrap(),
            "123456789012",
            "us-east-1",
            Utc::now() + chrono::Duration::minutes(1),
        )
        .get(stream)
        .map_or(25, |q| q.remaining)
    }
}

#[tokio::test]
async fn an_audit_log_that_cannot_be_written_takes_no_slot() {
    let h = harness();
    let p = h.plan(&switch("dev-scratch", "aws-owned")).await.unwrap();
    // Unwritable from the start: refused before a slot is taken.
    std::fs::remove_file(h.ctx.audit.path()).ok();
    std::fs::create_dir(h.ctx.audit.path()).unwrap();
    for _ in 0..3 {
        let err = send(&h.sim, &h.ctx, &p).await.unwrap_err();
        assert!(matches!(err, ChangeError::Audit(_)), "{err}");
    }
    assert_eq!(h.remaining("dev-scratch"), 25);
    assert!(!h
        .sim
        .describe_stream("dev-scratch")
        .await
        .unwrap()
        .encryption
        .status
        .is_transition());

    // Unwritable only once the slot is taken (the last look at the stream
    // happens in between): the slot is given back.
    std::fs::remove_dir(h.ctx.audit.path()).unwrap();
    let audit_path = h.ctx.audit.path().to_path_buf();
    let cloud = Hooked::new(&h.sim, move |_| {
        std::fs::remove_file(&audit_path).ok();
        std::fs::create_dir(&audit_path).ok();
        false
    });
    let err = send(&cloud, &h.ctx, &p).await.unwrap_err();
    assert!(matches!(err, ChangeError::Audit(_)), "{err}");
    assert_eq!(h.remaining("dev-scratch"), 25, "the slot was given back");
    let entries = h.ctx.ledger.read().unwrap();
    assert_eq!(
        entries.iter().map(|e| e.outcome).collect::<Vec<_>>(),
        [Outcome::Sent, Outcome::Unsent]
    );
}

#[tokio::test]
async fn a_stream_someone_started_changing_since_the_checks_is_not_sent_a_change() {
    let h = harness();
    let p = h
        .plan(&switch("order-events", "alias/orders-events-2026"))
        .await
        .unwrap();
    assert!(p.verdict.allowed());
    // A colleague starts a change while the confirmation is open.
    h.sim
        .start_encryption("order-events", &KeyRef::AwsOwned)
        .await
        .result
        .unwrap();
    let err = send(&h.sim, &h.ctx, &p).await.unwrap_err();
    assert!(
        matches!(&err, ChangeError::Refused(m) if m.contains("someone else is changing it")),
        "{err}"
    );
    assert_eq!(h.remaining("order-events"), 25, "the slot was given back");
    assert_eq!(h.outcomes(), [AuditOutcome::Refused]);
}

#[tokio::test]
async fn a_change_stopped_before_it_was_sent_gives_its_slot_back() {
    let h = harness();
    let p = h.plan(&switch("dev-scratch", "aws-owned")).await.unwrap();
    // The last look before sending never answers; the user presses Ctrl-C.
    let cloud = Hooked::new(&h.sim, |_| true);
    let stopped = tokio::time::timeout(Duration::from_millis(50), send(&cloud, &h.ctx, &p)).await;
    assert!(stopped.is_err(), "still waiting when stopped");
    assert_eq!(h.remaining("dev-scratch"), 25);
    let last = h.ctx.audit.read().pop().unwrap();
    assert_eq!(last.outcome, AuditOutcome::Refused);
    assert!(
        last.message.contains("nothing was sent"),
        "{}",
        last.message
    );
    assert_eq!(
        h.sim
            .describe_stream("dev-scratch")
            .await
            .unwrap()
            .encryption
            .status,
        EncryptionStatus::Disabled,
        "nothing reached AWS"
    );
}

#[tokio::test]
async fn requests_refused_before_a_plan_are_audited() {
    let h = harness();
    h.plan(&switch("nope", "aws-owned")).await.unwrap_err();
    h.plan(&switch("order-events", "alias/nope"))
        .await
        .unwrap_err();
    let log = h.ctx.audit.read();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|e| e.outcome == AuditOutcome::Refused));
    assert_eq!(log[0].stream, "nope");
    assert!(log[0].message.contains("no delivery stream nope"));
    assert_eq!(log[1].new_key.as_deref(), Some("alias/nope"));
    assert!(log[1].message.contains("no key alias/nope"));
}

#[tokio::test]
async fn a_change_overtaken_by_someone_else_ends_at_once_and_says_so() {
    let h = harness();
    let p = h
        .plan(&switch("order-events", "alias/orders-events-2026"))
        .await
        .unwrap();
    send(&h.sim, &h.ctx, &p).await.unwrap();
    h.advance(5);
    // A colleague switches the stream to another key meanwhile.
    h.sim
        .start_encryption("order-events", &KeyRef::Customer("alias/app-logs".into()))
        .await
        .result
        .unwrap();
    h.advance(5);
    let mut polls = 0;
    let (ending, s) = follow(
        &h.sim,
        &h.ctx,
        &p,
        Duration::from_millis(1),
        Duration::from_secs(5),
        |_| polls += 1,
    )
    .await
    .unwrap();
    assert_eq!(polls, 1, "ended at the first look");
    assert!(
        matches!(&ending, Ending::Superseded { now } if now == "alias/app-logs"),
        "{ending:?}"
    );
    let msg = explain(&p, &ending, &s);
    assert!(
        msg.starts_with(
            "order-events was changed by someone else to alias/app-logs while firekeeper was following"
        ),
        "{msg}"
    );
    assert_eq!(h.outcomes().last(), Some(&AuditOutcome::Superseded));
}

#[test]
fn only_a_state_this_change_cannot_lead_to_is_someone_elses() {
    use crate::model::{Encryption, Source};
    let key = |arn: &str| crate::model::KmsKey {
        id: arn.into(),
        arn: arn.into(),
        state: crate::model::KeyState::Enabled,
        spec: crate::model::KeySpec::SymmetricDefault,
        usage: crate::model::KeyUsage::EncryptDecrypt,
        manager: crate::model::KeyManager::Customer,
        description: String::new(),
        deletion_date: None,
        origin: crate::model::KeyOrigin::AwsKms,
        multi_region: crate::model::MultiRegion::Single,
        rotation: None,
    };
    let stream = |status, arn: Option<&str>| Stream {
        name: "s".into(),
        arn: String::new(),
        source: Source::DirectPut,
        status: "ACTIVE".into(),
        encryption: Encryption {
            status,
            key_type: arn.map(|_| KeyType::CustomerManaged),
            key_arn: arn.map(String::from),
            failure: None,
        },
    };
    use EncryptionStatus::*;
    let plan = |change, before: Stream| Plan {
        stream: before,
        change,
        action: "rotate",
        old_label: String::new(),
        new_label: String::new(),
        quota: Quota::unused(),
        refused: Default::default(),
        quota_source: crate::quota::QuotaSource::LedgerAndCloudTrail,
        verdict: Verdict::default(),
    };
    let rotating = plan(
        EncryptionCall::Start(KeyRef::Customer(key("new"))),
        stream(Enabled, Some("old")),
    );
    // Still the old key, or AWS's own steps towards the new one: not overtaken.
    assert!(!overtaken(&rotating, false, &stream(Enabled, Some("old"))));
    assert!(!overtaken(&rotating, false, &stream(Enabling, Some("old"))));
    assert!(!overtaken(&rotating, false, &stream(Enabling, Some("new"))));
    assert!(!overtaken(
        &rotating,
        true,
        &stream(EnablingFailed, Some("old"))
    ));
    // A third key, a stop, or the old key back after the new one showed.
    assert!(overtaken(&rotating, false, &stream(Enabled, Some("third"))));
    assert!(overtaken(&rotating, false, &stream(Disabling, None)));
    assert!(overtaken(&rotating, true, &stream(Enabled, Some("old"))));

    let stopping = plan(EncryptionCall::Stop, stream(Enabled, Some("old")));
    assert!(!overtaken(
        &stopping,
        false,
        &stream(Disabling, Some("old"))
    ));
    assert!(overtaken(
        &stopping,
        false,
        &stream(Enabling, Some("third"))
    ));
}

/// The harness, with CloudTrail read as it is by default.
fn harness_with_trail() -> Harness {
    let mut h = harness();
    h.ctx.trail = Trail::new(true, Duration::from_secs(60), Duration::from_secs(60));
    h
}

/// shipping-updates' calls as its key moves back and forth: 22 were made by
/// others before the demo began.
fn flip(i: usize) -> Request {
    let key = ["alias/orders-events-2026", "alias/orders-events"][i % 2];
    switch("shipping-updates", key)
}

#[tokio::test]
async fn a_day_filled_only_by_a_refused_call_is_refused_until_forced() {
    let h = harness_with_trail();
    for i in 0..3 {
        let (ending, _, msg) = h.run(&flip(i)).await.unwrap();
        assert_eq!(ending, Ending::Done, "{msg}");
    }
    // 3 ours and 22 by others, one of which AWS refused (the demo's
    // ResourceInUseException): 25 by the safe reading, 24 if it was free.
    let p = h.plan(&flip(3)).await.unwrap();
    assert_eq!((p.quota.used_here, p.quota.used_elsewhere), (3, 22));
    assert_eq!((p.quota.refused, p.quota.remaining), (1, 0));
    assert!(p.verdict.refusals.is_empty() && p.verdict.forceable());
    let why = p.verdict.reasons();
    assert!(
        why.contains("1 of the 25 calls counted against shipping-updates in 24 hours is a call AWS refused (ResourceInUseException 1); AWS does not document whether refused calls count"),
        "{why}"
    );
    let before = h.sim.describe_stream("shipping-updates").await.unwrap();
    let confirm = crate::cli::ConfirmArgs {
        yes: true,
        no_wait: true,
    };
    let code = crate::cli::change::run(&h.sim, &h.ctx, &flip(3), &confirm, |_| None).await;
    assert_eq!(code, crate::cli::exit::REFUSED);
    let after = h.sim.describe_stream("shipping-updates").await.unwrap();
    assert_eq!(before, after, "nothing was sent");
    assert_eq!(h.remaining("shipping-updates"), 22, "the ledger's 3 only");

    // Forced: one call leaves, and AWS's answer settles it (the simulator,
    // like AWS may, did not count the refused call).
    let forced = ChangeContext {
        force: true,
        ..h.ctx.clone()
    };
    let p = plan(&h.sim, &forced, &flip(3), |_| None).await.unwrap();
    let sent = send(&h.sim, &forced, &p).await.unwrap();
    assert!(sent.unclear.is_none());
    let audit = std::fs::read_to_string(h._dir.path().join("audit.jsonl")).unwrap();
    assert!(
        audit.contains("sent by the user's choice although 1 of the 25 calls"),
        "{audit}"
    );
    assert!(
        audit.contains("AWS took this one: refused calls did not all count"),
        "{audit}"
    );
}

#[tokio::test]
async fn the_reservation_counts_other_peoples_calls_under_the_lock() {
    let h = harness_with_trail();
    for i in 0..2 {
        h.run(&flip(i)).await.unwrap();
    }
    let p = h.plan(&flip(2)).await.unwrap();
    assert_eq!(p.quota.remaining, 1);
    assert!(p.verdict.allowed());
    // A colleague on this bastion takes the last call meanwhile.
    let call = Call {
        account: "123456789012".into(),
        region: "us-east-1".into(),
        stream: "shipping-updates".into(),
        action: Operation::Start,
        access_key_id: None,
        force: false,
    };
    h.ctx.ledger.reserve(&call, Utc::now()).unwrap().unwrap();
    let before = h.sim.describe_stream("shipping-updates").await.unwrap();
    let err = send(&h.sim, &h.ctx, &p).await.unwrap_err();
    let ChangeError::Refused(why) = &err else {
        panic!("refused locally: {err}");
    };
    assert!(
        why.starts_with("no Start/Stop calls left for shipping-updates in 24 hours (22 of them by others, by CloudTrail); the next frees at"),
        "{why}"
    );
    assert_eq!(
        h.sim.describe_stream("shipping-updates").await.unwrap(),
        before
    );
}

#[tokio::test]
async fn a_plan_counted_without_cloudtrail_says_so_before_y() {
    // CloudTrail off: the ledger alone counts, and the user is told.
    let h = harness();
    let p = h.plan(&flip(0)).await.unwrap();
    assert!(p.verdict.allowed());
    assert!(
        p.verdict.warnings.iter().any(|w| w
            .contains("the quota counts only calls in this machine's ledger: CloudTrail is off")),
        "{:?}",
        p.verdict.warnings
    );
    // Read: no such warning, and others' calls are in the count.
    let h = harness_with_trail();
    let p = h.plan(&flip(0)).await.unwrap();
    assert!(
        !p.verdict
            .warnings
            .iter()
            .any(|w| w.contains("this machine's ledger")),
        "{:?}",
        p.verdict.warnings
    );
    assert_eq!(p.quota.used_elsewhere, 22);
}

/// The simulator, with CloudTrail's event history unreadable from the
/// moment `lookups_allowed` reads have been made.
struct TrailGoesAway<'a> {
    sim: &'a SimCloud,
    lookups_allowed: u32,
    lookups: std::sync::atomic::AtomicU32,
}

#[async_trait::async_trait]
impl Wrapped for TrailGoesAway<'_> {
    fn inner(&self) -> &dyn Cloud {
        self.sim
    }
    async fn lookup_events(
        &self,
        query: &crate::model::EventQuery,
    ) -> Result<crate::model::EventPage, CloudError> {
        let n = self
            .lookups
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n >= self.lookups_allowed {
            return Err(CloudError::AccessDenied(
                "not authorized to perform: cloudtrail:LookupEvents".into(),
            ));
        }
        self.sim.lookup_events(query).await
    }
}

#[tokio::test]
async fn a_change_counted_with_cloudtrail_is_not_sent_on_a_count_without_it() {
    let mut h = harness();
    // Every read asks again (no reuse), so the send reads CloudTrail anew.
    h.ctx.trail = Trail::new(true, Duration::ZERO, Duration::from_secs(60));
    let cloud = TrailGoesAway {
        sim: &h.sim,
        lookups_allowed: 2,
        lookups: Default::default(),
    };
    let p = plan(&cloud, &h.ctx, &flip(0), |_| None).await.unwrap();
    assert_eq!(p.quota_source, quota::QuotaSource::LedgerAndCloudTrail);
    let before = h.sim.describe_stream("shipping-updates").await.unwrap();
    let err = send(&cloud, &h.ctx, &p).await.unwrap_err();
    let ChangeError::Refused(why) = &err else {
        panic!("refused locally: {err}");
    };
    assert!(
        why.starts_with("the quota could not be counted with CloudTrail just before sending (CloudTrail's event history could not be read (access denied"),
        "{why}"
    );
    assert_eq!(
        h.sim.describe_stream("shipping-updates").await.unwrap(),
        before
    );
    assert!(h.ctx.ledger.read().unwrap().is_empty(), "no slot was taken");

    // Confirmed on the ledger's count, it is sent, and the audit says how
    // the count was made.
    let p = plan(&cloud, &h.ctx, &flip(0), |_| None).await.unwrap();
    assert!(p.quota_source.reason().is_some());
    send(&cloud, &h.ctx, &p).await.unwrap();
    let audit = std::fs::read_to_string(h._dir.path().join("audit.jsonl")).unwrap();
    assert!(
        audit.contains("sending to AWS (quota counted by this machine's ledger alone: CloudTrail's event history could not be read"),
        "{audit}"
    );
}
