//! `firekeeper key rotate` and `key auto-rotation` through the real SDK
//! against moto: the rotation KMS records, the period read back, every
//! refusal with nothing sent, and a lost answer settled by reading.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{audit, run, text, Enc, Faults, Sandbox, Seeder};
use serde_json::json;

/// The key's rotations as KMS lists them.
async fn rotations(seed: &Seeder, key: &str) -> Vec<String> {
    let id = key.rsplit_once("key/").map_or(key, |(_, id)| id);
    seed.kms
        .list_key_rotations()
        .key_id(id)
        .send()
        .await
        .unwrap()
        .rotations()
        .iter()
        .map(|r| r.rotation_type().unwrap().as_str().to_string())
        .collect()
}

#[tokio::test]
async fn rotating_key_material_adds_one_on_demand_rotation() {
    let region = "ap-southeast-3";
    let seed = Seeder::new(region).await;
    let key = seed.key(Some("alias/km-rotate")).await;
    seed.direct_put("km-stream", Enc::Customer(&key)).await;
    let faults = Faults::new(region);
    let starts = faults.calls("StartDeliveryStreamEncryption");
    let sandbox = Sandbox::new();
    let out = run(sandbox
        .against_moto(region)
        .args(["key", "rotate", "alias/km-rotate", "--yes"]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("Streams  km-stream"), "{said}");
    assert!(
        said.contains("no Firehose Start/Stop call is spent"),
        "{said}"
    );
    assert!(
        said.contains("The key material of alias/km-rotate was rotated"),
        "{said}"
    );
    assert_eq!(rotations(&seed, &key).await, ["ON_DEMAND"]);
    assert_eq!(faults.calls("RotateKeyOnDemand"), (1, 1));
    assert_eq!(
        faults.calls("StartDeliveryStreamEncryption"),
        starts,
        "no Firehose call"
    );
    let actions: Vec<String> = audit(&sandbox)
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["action"].as_str().unwrap(),
                e["outcome"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            "rotate-material sent",
            "rotate-material accepted",
            "rotate-material succeeded"
        ]
    );
    assert_eq!(audit(&sandbox)[0]["key"], key.as_str());

    // The answer is lost: KMS did rotate; firekeeper reads, never resends.
    faults.add(json!({"service": "kms", "operation": "RotateKeyOnDemand",
                      "fault": "lose_answer", "delay": 8}));
    let config = sandbox.write_config("[aws]\ncall_timeout_secs = 3\n");
    let out = run(sandbox
        .against_moto(region)
        .arg("--config")
        .arg(&config)
        .args(["key", "rotate", "alias/km-rotate", "--yes"]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("KMS may have applied this; checking"),
        "{said}"
    );
    assert_eq!(faults.calls("RotateKeyOnDemand"), (2, 2), "sent once");
    assert_eq!(rotations(&seed, &key).await, ["ON_DEMAND", "ON_DEMAND"]);
    faults.clear();
}

#[tokio::test]
async fn every_refusal_exits_4_and_sends_nothing() {
    let region = "ap-south-2";
    let seed = Seeder::new(region).await;
    let disabled = seed.key(Some("alias/km-disabled")).await;
    seed.disable_key(&disabled).await;
    let asymmetric = seed
        .kms
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Rsa2048)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_string();
    let external = seed
        .kms
        .create_key()
        .origin(aws_sdk_kms::types::OriginType::External)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_string();
    // Imported material is rotated on demand, except a multi-Region key's,
    // and never automatically (KMS API reference).
    let external_mrk = seed
        .kms
        .create_key()
        .origin(aws_sdk_kms::types::OriginType::External)
        .multi_region(true)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_string();
    seed.key(Some("alias/km-fine")).await;
    let faults = Faults::new(region);
    let sandbox = Sandbox::new();
    let cases: [(Vec<&str>, &str); 6] = [
        (
            vec!["key", "rotate", "alias/km-disabled", "--yes"],
            "is Disabled",
        ),
        (
            vec!["key", "rotate", &asymmetric, "--yes"],
            "KMS rotates only symmetric",
        ),
        (
            vec!["key", "auto-rotation", &external, "on", "--yes"],
            "imported key material (EXTERNAL): KMS does not rotate it automatically",
        ),
        (
            vec!["key", "rotate", &external_mrk, "--yes"],
            "multi-Region key with imported key material",
        ),
        (
            vec!["key", "auto-rotation", "alias/km-disabled", "on", "--yes"],
            "is Disabled",
        ),
        (
            vec!["--read-only", "key", "rotate", "alias/km-fine", "--yes"],
            "read-only",
        ),
    ];
    for (args, why) in cases {
        let out = run(sandbox.against_moto(region).args(&args));
        let said = text(&out);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {said}");
        assert!(said.contains(why), "{args:?}: {said}");
        assert!(said.contains("nothing was sent"), "{args:?}: {said}");
    }
    for op in [
        "RotateKeyOnDemand",
        "EnableKeyRotation",
        "DisableKeyRotation",
    ] {
        assert_eq!(faults.calls(op).0, 0, "{op} never sent");
    }
    let outcomes: Vec<String> = audit(&sandbox)
        .iter()
        .map(|e| e["outcome"].as_str().unwrap().to_string())
        .collect();
    assert!(outcomes.iter().all(|o| o == "refused"), "{outcomes:?}");
    assert_eq!(outcomes.len(), 6);

    // A period out of KMS's range is a usage error, before any call.
    let out = run(sandbox.against_moto(region).args([
        "key",
        "auto-rotation",
        "alias/km-fine",
        "on",
        "--period-days",
        "30",
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("30"), "{}", text(&out));
}

#[tokio::test]
async fn automatic_rotation_is_set_with_its_period_and_read_back() {
    let region = "ap-southeast-4";
    let seed = Seeder::new(region).await;
    let key = seed.key(Some("alias/km-auto")).await;
    let sandbox = Sandbox::new();
    let out = run(sandbox.against_moto(region).args([
        "key",
        "auto-rotation",
        "alias/km-auto",
        "on",
        "--period-days",
        "180",
        "--yes",
    ]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("now rotates automatically every 180 days; next on"),
        "{said}"
    );
    let id = key.rsplit_once("key/").unwrap().1;
    let status = seed
        .kms
        .get_key_rotation_status()
        .key_id(id)
        .send()
        .await
        .unwrap();
    assert!(status.key_rotation_enabled());
    assert_eq!(status.rotation_period_in_days(), Some(180));

    let out = run(sandbox.against_moto(region).args([
        "key",
        "auto-rotation",
        "alias/km-auto",
        "off",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let status = seed
        .kms
        .get_key_rotation_status()
        .key_id(id)
        .send()
        .await
        .unwrap();
    assert!(!status.key_rotation_enabled());
}

/// KMS answers 500 InternalFailure: it may or may not have rotated (AWS says
/// a 5xx may hide a change made). firekeeper reads the key for a minute,
/// finds no new rotation, says so and exits 1; it never sends again.
#[tokio::test]
async fn a_server_error_on_rotate_is_settled_by_reading_never_sent_again() {
    let region = "mx-central-1";
    let seed = Seeder::new(region).await;
    let key = seed.key(Some("alias/km-500")).await;
    seed.direct_put("km-500-stream", Enc::Customer(&key)).await;
    let faults = Faults::new(region);
    faults.add(json!({"service": "kms", "operation": "RotateKeyOnDemand",
                      "fault": "error", "status": 500, "times": 1}));
    let sandbox = Sandbox::new();
    let out = run(sandbox
        .against_moto(region)
        .args(["key", "rotate", "alias/km-500", "--yes"]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("KMS may have applied this; checking"),
        "{said}"
    );
    assert!(
        said.contains("KMS answered with a server error")
            && said.contains("does not show the change: KMS probably did not apply it")
            && said.contains("Nothing was sent again"),
        "{said}"
    );
    assert_eq!(faults.calls("RotateKeyOnDemand"), (1, 0), "sent once");
    assert!(rotations(&seed, &key).await.is_empty());
    let outcomes: Vec<String> = audit(&sandbox)
        .iter()
        .map(|e| e["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(outcomes, ["sent", "unknown", "unknown"], "{outcomes:?}");
    faults.clear();
}
