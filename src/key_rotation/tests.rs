use std::sync::{Arc, Mutex};

use chrono::Duration;

use super::*;
use crate::audit::AuditLog;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::model::{KeyManager, KeyOrigin, KeySpec, KeyState, MultiRegion};
use crate::quota::Ledger;
use crate::trail::Trail;

struct Harness {
    sim: SimCloud,
    ctx: ChangeContext,
    dir: tempfile::TempDir,
}

fn harness() -> Harness {
    let now = Arc::new(Mutex::new(Utc::now()));
    let clock = now.clone();
    // Each look at the simulator's clock moves it a second on: a rotation
    // followed by polling finishes after a few looks.
    let sim = SimCloud::with_clock(
        Scenario::builtin(),
        Arc::new(move || {
            let mut t = clock.lock().unwrap();
            *t += chrono::Duration::seconds(1);
            *t
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let ctx = ChangeContext {
        account: Some("123456789012".into()),
        caller: Some("arn:aws:sts::123456789012:assumed-role/ops/me".into()),
        region: "us-east-1".into(),
        ledger: Ledger::in_memory(),
        trail: Trail::off(),
        audit: AuditLog::at(dir.path().join("audit.jsonl")),
        read_only: false,
        stop: Default::default(),
        force: false,
    };
    Harness { sim, ctx, dir }
}

impl Harness {
    /// The audit log's outcomes, in order.
    fn outcomes(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                format!(
                    "{} {}",
                    v["action"].as_str().unwrap(),
                    v["outcome"].as_str().unwrap()
                )
            })
            .collect()
    }
}

/// The demo's streams on `key`, as the command line finds them.
async fn on_key(sim: &SimCloud, key: &str) -> Vec<String> {
    let arn = sim.describe_key(key).await.unwrap().arn;
    streams_using(sim, &arn, 4).await.unwrap()
}

fn quick() -> RotationTiming {
    RotationTiming {
        poll: std::time::Duration::from_millis(1),
        patience: std::time::Duration::from_secs(5),
    }
}

#[tokio::test]
async fn rotating_now_adds_an_on_demand_rotation_and_is_audited() {
    let h = harness();
    let p = plan(
        &h.sim,
        &h.ctx,
        "alias/payments",
        KeyChange::RotateNow,
        on_key(&h.sim, "alias/payments").await,
    )
    .await
    .unwrap();
    assert!(p.verdict.allowed(), "{:?}", p.verdict);
    assert_eq!(p.label, "alias/payments");
    assert!(
        p.streams.contains(&"audit-trail".to_string()),
        "{:?}",
        p.streams
    );
    assert_eq!(p.on_demand_done(), Some(0));
    let said = consequences(&p).join(" ");
    assert!(
        said.contains("the 7 streams on it keep using alias/payments")
            && said.contains("no Firehose Start/Stop call is spent")
            && said.contains("1 of them has KMS errors in the last 1h (pii-redacted): rotating does not fix that")
            && said.contains("0 of the 25 on-demand rotations KMS allows per key"),
        "{said}"
    );
    assert!(!said.contains("keep working"), "{said}");

    let mut steps = Vec::new();
    let ending = carry_out(&h.sim, &h.ctx, &p, quick(), true, |s| match s {
        KeyProgress::Said(s) => steps.push(s.to_string()),
        other => steps.push(format!("{other:?}")),
    })
    .await
    .unwrap();
    assert_eq!(steps, ["KMS accepted the call.", "  rotating"]);
    assert!(matches!(ending, KeyEnding::Done(Some(_))), "{ending:?}");
    let rotations = h.sim.key_rotations("alias/payments").await.unwrap();
    assert_eq!(rotations[0].kind, RotationKind::OnDemand);
    assert_eq!(
        h.outcomes(),
        [
            "rotate-material sent",
            "rotate-material accepted",
            "rotate-material succeeded"
        ]
    );
}

#[tokio::test]
async fn every_refusal_says_why_and_sends_nothing() {
    let h = harness();
    let cases = [
        (
            "alias/legacy-billing",
            "alias/legacy-billing is Disabled: KMS rotates only enabled keys",
        ),
        ("alias/signing-rsa", "RSA_2048: KMS rotates only symmetric"),
        ("alias/retired-clickstream", "is PendingDeletion"),
    ];
    for (key, why) in cases {
        let p = plan(
            &h.sim,
            &h.ctx,
            key,
            KeyChange::RotateNow,
            on_key(&h.sim, key).await,
        )
        .await
        .unwrap();
        assert!(!p.verdict.allowed(), "{key}");
        assert!(
            p.verdict.refusals.join("; ").contains(why),
            "{key}: {:?}",
            p.verdict
        );
        let before = h.sim.key_rotations(key).await.map_or(0, |r| r.len());
        let err = carry_out(&h.sim, &h.ctx, &p, quick(), true, |_| {})
            .await
            .unwrap_err();
        assert!(matches!(err, ChangeError::Refused(_)), "{err}");
        assert_eq!(
            h.sim.key_rotations(key).await.map_or(0, |r| r.len()),
            before
        );
    }
    assert!(h.outcomes().iter().all(|o| o == "rotate-material refused"));

    // Read-only: refused whatever the key.
    let mut ctx = h.ctx.clone();
    ctx.read_only = true;
    let p = plan(
        &h.sim,
        &ctx,
        "alias/payments",
        KeyChange::RotateNow,
        on_key(&h.sim, "alias/payments").await,
    )
    .await
    .unwrap();
    assert!(p.verdict.refusals.join(" ").contains("read-only"));
}

#[test]
fn custom_stores_replicas_imported_multi_region_keys_and_a_rotation_under_way_are_refused() {
    let now = Utc::now();
    let base = KmsKey {
        id: "k".into(),
        arn: "arn:aws:kms:us-east-1:1:key/k".into(),
        state: KeyState::Enabled,
        spec: KeySpec::SymmetricDefault,
        usage: crate::model::KeyUsage::EncryptDecrypt,
        manager: KeyManager::Customer,
        description: String::new(),
        deletion_date: None,
        origin: KeyOrigin::AwsKms,
        multi_region: MultiRegion::Single,
        rotation: Some(crate::model::KeyRotation::default()),
    };
    assert!(checks(&base, "k", KeyChange::RotateNow, now).allowed());
    // Imported material: on demand, once new material is imported; never
    // a multi-Region key's, nor automatically (KMS API reference).
    let external = KmsKey {
        origin: KeyOrigin::External,
        ..base.clone()
    };
    let v = checks(&external, "k", KeyChange::RotateNow, now);
    assert!(v.allowed(), "{v:?}");
    assert!(v.warnings[0].contains("NEW_KEY_MATERIAL"), "{v:?}");
    assert!(
        checks(&external, "k", KeyChange::AutoOn(365), now).refusals[0]
            .contains("does not rotate it automatically")
    );
    let external_mrk = KmsKey {
        multi_region: MultiRegion::Primary,
        ..external.clone()
    };
    assert!(
        checks(&external_mrk, "k", KeyChange::RotateNow, now).refusals[0]
            .contains("multi-Region key with imported key material")
    );
    let hsm = KmsKey {
        origin: KeyOrigin::AwsCloudHsm,
        ..base.clone()
    };
    assert!(checks(&hsm, "k", KeyChange::AutoOn(365), now).refusals[0].contains("custom key store"));
    let replica = KmsKey {
        multi_region: MultiRegion::Replica {
            primary_region: "eu-west-1".into(),
        },
        ..base.clone()
    };
    assert!(checks(&replica, "k", KeyChange::RotateNow, now).refusals[0]
        .contains("rotate the primary in eu-west-1"));
    let busy = KmsKey {
        rotation: Some(crate::model::KeyRotation {
            on_demand_since: Some(now - Duration::minutes(3)),
            ..Default::default()
        }),
        ..base.clone()
    };
    assert!(checks(&busy, "k", KeyChange::RotateNow, now).refusals[0].contains("in progress since"));
    // A rotation under way does not stop the schedule from changing.
    assert!(checks(&busy, "k", KeyChange::AutoOff, now).allowed());
    let aws = KmsKey {
        manager: KeyManager::Aws,
        ..base
    };
    assert!(checks(&aws, "k", KeyChange::RotateNow, now).refusals[0]
        .contains("AWS rotates its own keys"));
}

#[tokio::test]
async fn automatic_rotation_is_turned_on_with_its_period_and_off() {
    let h = harness();
    let p = plan(
        &h.sim,
        &h.ctx,
        "alias/orders-events",
        KeyChange::AutoOn(180),
        on_key(&h.sim, "alias/orders-events").await,
    )
    .await
    .unwrap();
    let ending = carry_out(&h.sim, &h.ctx, &p, quick(), true, |_| {})
        .await
        .unwrap();
    assert!(matches!(ending, KeyEnding::Done(Some(_))), "{ending:?}");
    let r = h
        .sim
        .describe_key("alias/orders-events")
        .await
        .unwrap()
        .rotation
        .unwrap();
    assert_eq!((r.automatic, r.period_days), (true, Some(180)));

    let p = plan(
        &h.sim,
        &h.ctx,
        "alias/orders-events",
        KeyChange::AutoOff,
        on_key(&h.sim, "alias/orders-events").await,
    )
    .await
    .unwrap();
    carry_out(&h.sim, &h.ctx, &p, quick(), true, |_| {})
        .await
        .unwrap();
    let r = h
        .sim
        .describe_key("alias/orders-events")
        .await
        .unwrap()
        .rotation
        .unwrap();
    assert!(!r.automatic);
    assert_eq!(
        h.outcomes(),
        [
            "auto-rotation-on sent",
            "auto-rotation-on accepted",
            "auto-rotation-on succeeded",
            "auto-rotation-off sent",
            "auto-rotation-off accepted",
            "auto-rotation-off succeeded"
        ]
    );
}

#[test]
fn a_key_of_another_account_is_refused_before_sending() {
    let now = Utc::now();
    let key = KmsKey {
        id: "k".into(),
        arn: "arn:aws:kms:us-east-1:444455556666:key/k".into(),
        state: KeyState::Enabled,
        spec: KeySpec::SymmetricDefault,
        usage: crate::model::KeyUsage::EncryptDecrypt,
        manager: KeyManager::Customer,
        description: String::new(),
        deletion_date: None,
        origin: KeyOrigin::AwsKms,
        multi_region: MultiRegion::Single,
        rotation: Some(crate::model::KeyRotation::default()),
    };
    let v = verdict(
        &key,
        "k",
        KeyChange::RotateNow,
        (Some("123456789012"), false),
        now,
    );
    assert!(
        v.refusals[0].contains("belongs to account 444455556666, not yours (123456789012)"),
        "{v:?}"
    );
    let mine = verdict(
        &key,
        "k",
        KeyChange::RotateNow,
        (Some("444455556666"), false),
        now,
    );
    assert!(mine.allowed(), "{mine:?}");
    // Not known whose the caller is: not refused on a guess.
    assert!(verdict(&key, "k", KeyChange::RotateNow, (None, false), now).allowed());
}

#[test]
fn the_dialog_never_says_streams_keep_working() {
    let key = |state| KmsKey {
        id: "k".into(),
        arn: "arn:aws:kms:us-east-1:123456789012:key/k".into(),
        state,
        spec: KeySpec::SymmetricDefault,
        usage: crate::model::KeyUsage::EncryptDecrypt,
        manager: KeyManager::Customer,
        description: String::new(),
        deletion_date: None,
        origin: KeyOrigin::AwsKms,
        multi_region: MultiRegion::Single,
        rotation: Some(crate::model::KeyRotation::default()),
    };
    let plan = |state, streams: &[&str], erring: Result<Vec<String>, String>| KeyPlan {
        key: key(state),
        label: "alias/k".into(),
        change: KeyChange::AutoOn(365),
        streams: streams.iter().map(ToString::to_string).collect(),
        rotations: Some(Vec::new()),
        erring,
        window: "3h".into(),
        verdict: Verdict::default(),
    };
    let one = consequences(&plan(KeyState::Enabled, &["a"], Ok(Vec::new()))).join(" ");
    assert!(
        one.starts_with("the stream on it keeps using alias/k (rotation does not change its key)"),
        "{one}"
    );
    let erring = plan(
        KeyState::Enabled,
        &["a", "b", "c"],
        Ok(vec!["b".into(), "c".into()]),
    );
    let said = consequences(&erring).join(" ");
    assert!(
        said.contains("the 3 streams on it keep using alias/k"),
        "{said}"
    );
    assert!(
        said.contains("2 of them have KMS errors in the last 3h (b, c)"),
        "{said}"
    );
    let disabled = consequences(&plan(KeyState::Disabled, &["a", "b"], Ok(Vec::new()))).join(" ");
    assert!(
        disabled.contains("alias/k is Disabled: KMS refuses Firehose on it now"),
        "{disabled}"
    );
    let unknown = consequences(&plan(
        KeyState::Enabled,
        &["a", "b"],
        Err("CloudWatch: no answer".into()),
    ))
    .join(" ");
    assert!(
        unknown.contains("whether they work now is not known: CloudWatch: no answer"),
        "{unknown}"
    );
    for said in [one, said, disabled, unknown] {
        assert!(
            !said.contains("keep working") && !said.contains("keeps working"),
            "{said}"
        );
    }
}
