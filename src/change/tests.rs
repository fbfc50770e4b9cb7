use std::sync::{Arc, Mutex};

use super::*;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;

struct Harness {
    sim: SimCloud,
    ctx: Context,
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
    let ctx = Context {
        account: Some("123456789012".into()),
        caller: Some("arn:aws:sts::123456789012:assumed-role/ops/me".into()),
        region: "us-east-1".into(),
        ledger: Ledger::at(dir.path().join("ledger.jsonl")),
        audit: AuditLog::at(dir.path().join("audit.jsonl")),
        read_only: false,
    };
    Harness {
        sim,
        ctx,
        _dir: dir,
        now,
    }
}

fn rotate(stream: &str, key: &str) -> Request {
    Request::Rotate {
        stream: stream.into(),
        key: KeyArg::parse(key),
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
        let (ending, s) = follow(
            &self.sim,
            &self.ctx,
            &p,
            Duration::from_millis(1),
            Duration::from_secs(5),
            |_| {},
        )
        .await?;
        let msg = explain(&p, &ending, &s);
        Ok((ending, s, msg))
    }

    fn outcomes(&self) -> Vec<AuditOutcome> {
        self.ctx.audit.read().iter().map(|e| e.outcome).collect()
    }
}

#[tokio::test]
async fn a_rotation_goes_enabling_to_enabled_and_says_so() {
    let h = harness();
    let (ending, s, msg) = h
        .run(&rotate("order-events", "alias/orders-events-2026"))
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
        .plan(&rotate("order-events", "alias/legacy-billing"))
        .await
        .unwrap();
    assert!(!p.verdict.allowed(), "pre-flight refuses a disabled key");
    p.verdict = Verdict::default();
    send(&h.sim, &h.ctx, &p).await.unwrap();
    h.advance(5);
    let (ending, s) = follow(
        &h.sim,
        &h.ctx,
        &p,
        Duration::from_millis(1),
        Duration::from_secs(5),
        |_| {},
    )
    .await
    .unwrap();
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
    let (_, _, msg) = h.run(&rotate("dev-scratch", "aws-owned")).await.unwrap();
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
        (rotate("clickstream-raw", "aws-owned"), "DirectPut"),
        (rotate("order-events", "alias/signing-rsa"), "symmetric"),
        (
            rotate("order-events", "alias/orders-events"),
            "already encrypted",
        ),
        (rotate("fraud-signals", "aws-owned"), "settles"),
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
    let err = h.plan(&rotate("nope", "aws-owned")).await.unwrap_err();
    assert!(matches!(err, ChangeError::Refused(ref m) if m.contains("no delivery stream nope")));
    let err = h
        .plan(&rotate("order-events", "alias/nope"))
        .await
        .unwrap_err();
    assert!(matches!(err, ChangeError::Refused(ref m) if m.contains("no key alias/nope")));
    let err = h
        .plan(&rotate(
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
    let p = h.plan(&rotate("dev-scratch", "aws-owned")).await.unwrap();
    let err = send(&h.sim, &h.ctx, &p).await.unwrap_err();
    assert!(matches!(err, ChangeError::Refused(ref m) if m.contains("read-only")));
    assert_eq!(h.outcomes(), [AuditOutcome::Refused]);
}

#[tokio::test]
async fn the_26th_call_is_refused_locally_even_when_aws_would_not_know() {
    let h = harness();
    for i in 0..25 {
        let r = if i % 2 == 0 {
            rotate("waf-logs", "alias/app-logs")
        } else {
            rotate("waf-logs", "aws-owned")
        };
        h.run(&r).await.unwrap();
    }
    let p = h.plan(&rotate("waf-logs", "alias/payments")).await.unwrap();
    assert!(!p.verdict.allowed());
    let err = send(&h.sim, &h.ctx, &p).await.unwrap_err();
    assert!(
        matches!(err, ChangeError::Refused(ref m) if m.contains("no Start/Stop calls left")),
        "{err}"
    );
}

#[tokio::test]
async fn limit_exceeded_from_aws_marks_the_stream_exhausted() {
    let h = harness();
    // Calls firekeeper never saw (another tool) used the stream's quota.
    for i in 0..25 {
        let choice = if i % 2 == 0 {
            KeyChoice::AwsOwned
        } else {
            KeyChoice::Customer {
                arn: "alias/app-logs".into(),
            }
        };
        h.sim
            .start_encryption("vpc-flow-logs", &choice)
            .await
            .unwrap();
        h.advance(5);
    }
    let p = h
        .plan(&rotate("vpc-flow-logs", "alias/payments"))
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
        .plan(&rotate("dev-scratch", "alias/locked-down"))
        .await
        .unwrap();
    p.verdict = Verdict::default();
    send(&h.sim, &h.ctx, &p).await.unwrap();
    h.advance(5);
    let (ending, s) = follow(
        &h.sim,
        &h.ctx,
        &p,
        Duration::from_millis(1),
        Duration::from_secs(5),
        |_| {},
    )
    .await
    .unwrap();
    assert!(matches!(ending, Ending::Failed(_)), "{ending:?}");
    let msg = explain(&p, &ending, &s);
    assert!(
        msg.starts_with(
            "Enabling encryption FAILED: dev-scratch is not encrypted (enabling with alias/locked-down failed)."
        ),
        "{msg}"
    );
    assert!(!msg.contains("stays encrypted"), "{msg}");
    let book = KeyBook::from_aliases(h.sim.list_aliases().await.unwrap());
    assert_eq!(
        book.label(&s),
        "not encrypted (enabling with alias/locked-down failed)"
    );
}

#[tokio::test]
async fn a_leftover_enabling_failed_does_not_end_the_follow_early() {
    let h = harness();
    // profile-updates is ENABLING_FAILED from before; a good key is asked for.
    let p = h
        .plan(&rotate("profile-updates", "alias/orders-events-2026"))
        .await
        .unwrap();
    assert_eq!(p.stream.encryption.status, EncryptionStatus::EnablingFailed);
    // Described before AWS shows the call: the old failure must not count.
    let before = p.stream.clone();
    assert!(settled(&p, &before).is_some(), "it looks settled");
    assert!(!moved(&p.stream, &before));
    send(&h.sim, &h.ctx, &p).await.unwrap();
    h.advance(5);
    let (ending, _) = follow(
        &h.sim,
        &h.ctx,
        &p,
        Duration::from_millis(1),
        Duration::from_secs(5),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(ending, Ending::Done);
}

#[tokio::test]
async fn leaving_mid_follow_audits_the_change_as_unknown() {
    let h = harness();
    let p = h
        .plan(&rotate("order-events", "alias/orders-events-2026"))
        .await
        .unwrap();
    let timing = Timing {
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
    let p = h.plan(&rotate("dev-scratch", "aws-owned")).await.unwrap();
    let err = send(&h.sim, &h.ctx, &p).await.unwrap_err();
    assert!(
        matches!(&err, ChangeError::Refused(why) if why.contains("account is not known")),
        "{err}"
    );
    assert!(h.ctx.ledger.read().unwrap().is_empty(), "nothing reserved");
}
