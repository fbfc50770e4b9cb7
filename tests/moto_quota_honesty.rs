//! Quota honesty against moto through the launcher: calls AWS refused are
//! counted apart from the calls that spent a slot, the CLI refuses on the
//! safe reading and `--force` sends exactly one call whose answer settles
//! it; and a key KMS would not let the caller grant on is refused before any
//! Start is sent.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{audit, run, stdout_json, text, Enc, Faults, Sandbox, Seeder};
use serde_json::{json, Value};

const START: &str = "StartDeliveryStreamEncryption";

fn quota(sandbox: &Sandbox, region: &str, stream: &str) -> Value {
    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--output", "json", "--stream", stream]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    stdout_json(&out)["streams"][0]["quota"].clone()
}

/// 16 Starts of `stream` another principal was refused (AccessDenied), and
/// 9 Terraform's role made, in the last hours, as CloudTrail records them.
fn refused_and_accepted(stream: &str) -> Vec<Value> {
    let refused = (0..16).map(|i| {
        json!({"eventName": START, "resourceName": stream, "user": "intruder",
               "at": 600 + i * 60, "errorCode": "AccessDeniedException",
               "errorMessage": "User: arn:aws:iam::123456789012:user/intruder is not authorized to perform: firehose:StartDeliveryStreamEncryption"})
    });
    let accepted = (0..9).map(|i| {
        json!({"eventName": START, "resourceName": stream, "user": "terraform",
               "at": 3 * 3600 + i * 60})
    });
    refused.chain(accepted).collect()
}

#[tokio::test]
async fn refused_calls_are_counted_apart_and_force_sends_exactly_one_call() {
    let region = "us-isof-east-1";
    let seed = Seeder::new(region).await;
    seed.key(Some("alias/qh-key")).await;
    seed.direct_put("qh-refused", Enc::None).await;
    seed.direct_put("qh-limit", Enc::None).await;
    let trail = Faults::new(region);
    trail.forget_events();
    trail.events(&refused_and_accepted("qh-refused"));
    trail.events(&refused_and_accepted("qh-limit"));
    let sandbox = Sandbox::new();

    // The count: 9 spent, 16 refused apart, none left by the safe reading.
    let q = quota(&sandbox, region, "qh-refused");
    assert_eq!(
        (&q["used"], &q["remaining"], &q["remaining_at_most"]),
        (&json!(9), &json!(0), &json!(16)),
        "{q:#}"
    );
    assert_eq!(
        q["refused"],
        json!({"count": 16, "codes": {"AccessDeniedException": 16}}),
        "{q:#}"
    );
    assert_eq!(q["source"], "ledger+cloudtrail");
    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--stream", "qh-refused"]));
    assert!(text(&out).contains(" 0/25 (16 refused) "), "{}", text(&out));

    // Refused on the safe reading, saying why; nothing reaches AWS.
    let before = trail.calls(START);
    let rotate = [
        "rotate",
        "qh-refused",
        "--key",
        "alias/qh-key",
        "--yes",
        "--no-wait",
    ];
    let out = run(sandbox.against_moto(region).args(rotate));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(4), "{said}");
    assert!(
        said.contains("16 of the 25 calls counted against qh-refused in 24 hours are calls AWS refused (AccessDeniedException 16); AWS does not document whether refused calls count"),
        "{said}"
    );
    assert!(said.contains("--force"), "{said}");
    assert_eq!(trail.calls(START), before, "nothing was sent");

    // --force: exactly one call, and AWS's answer is recorded.
    let out = run(sandbox.against_moto(region).args(rotate).arg("--force"));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    let after = trail.calls(START);
    assert_eq!((after.0 - before.0, after.1 - before.1), (1, 1), "{said}");
    assert!(
        said.contains("did not all count against the limit"),
        "{said}"
    );
    let lines = audit(&sandbox);
    let sent = lines.iter().find(|l| l["outcome"] == "sent").unwrap();
    assert!(
        sent["message"]
            .as_str()
            .unwrap()
            .contains("sent by the user's choice although 16 of the 25 calls"),
        "{sent:#}"
    );
    let accepted = lines.iter().find(|l| l["outcome"] == "accepted").unwrap();
    assert!(
        accepted["message"]
            .as_str()
            .unwrap()
            .contains("AWS took this one: refused calls did not all count"),
        "{accepted:#}"
    );

    limit_exceeded_says_the_refused_calls_counted(&sandbox, &trail, region);
    trail.clear();
}

/// A call sent with --force that AWS answers LimitExceededException: the
/// refused calls did count, and AWS's word leaves nothing to force.
fn limit_exceeded_says_the_refused_calls_counted(sandbox: &Sandbox, trail: &Faults, region: &str) {
    // AWS answering LimitExceededException settles it the other way.
    trail.add(json!({"service": "firehose", "operation": START, "fault": "error",
                     "status": 400, "type": "LimitExceededException", "times": 1,
                     "message": "Firehose qh-limit has reached the limit of 25 StartDeliveryStreamEncryption and StopDeliveryStreamEncryption calls in 24 hours."}));
    let before = trail.calls(START);
    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "qh-limit",
        "--key",
        "alias/qh-key",
        "--yes",
        "--no-wait",
        "--force",
    ]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(4), "{said}");
    assert!(
        said.contains("AWS settled it: the 16 refused calls did count against the 25 calls of qh-limit in 24 hours"),
        "{said}"
    );
    assert_eq!(trail.calls(START).0 - before.0, 1, "one call reached AWS");
    let rejected = audit(sandbox)
        .into_iter()
        .find(|l| l["outcome"] == "rejected" && l["stream"] == "qh-limit")
        .unwrap();
    assert!(
        rejected["message"].as_str().unwrap().contains("did count"),
        "{rejected:#}"
    );
    // AWS's word stands: nothing is left, and --force no longer sends.
    let q = quota(sandbox, region, "qh-limit");
    assert_eq!(
        (&q["remaining"], &q["remaining_at_most"]),
        (&json!(0), &json!(0)),
        "{q:#}"
    );
    let before = trail.calls(START);
    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "qh-limit",
        "--key",
        "alias/qh-key",
        "--yes",
        "--no-wait",
        "--force",
    ]));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert_eq!(trail.calls(START), before, "{}", text(&out));
}

#[tokio::test]
async fn a_key_kms_would_not_let_the_caller_grant_on_costs_no_start() {
    // moto_cloudtrail's region; every name here is this test's own.
    let region = "me-central-1";
    let seed = Seeder::new(region).await;
    let key = seed.key(Some("alias/qh-locked")).await;
    seed.key(Some("alias/qh-open")).await;
    seed.direct_put("qh-grant", Enc::None).await;
    let trail = Faults::new(region);
    trail.deny_grant(&key);
    let sandbox = Sandbox::new();
    let before = trail.calls(START);
    let grants = trail.calls("CreateGrant");
    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "qh-grant",
        "--key",
        "alias/qh-locked",
        "--yes",
    ]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(4), "{said}");
    // KMS's own words, and what it means.
    assert!(
        said.contains("KMS would not let you create the grant Firehose needs on alias/qh-locked (AccessDeniedException: User: arn:aws:iam::123456789012:user/testing is not authorized to perform: kms:CreateGrant"),
        "{said}"
    );
    assert!(said.contains("nothing was sent"), "{said}");
    assert_eq!(trail.calls(START), before, "0 Starts sent");
    assert_eq!(trail.calls("CreateGrant").0 - grants.0, 1, "one dry run");
    // No slot was reserved: the ledger has no call.
    let q = quota(&sandbox, region, "qh-grant");
    assert_eq!(
        (&q["used_here"], &q["remaining"]),
        (&json!(0), &json!(25)),
        "{q:#}"
    );
    let refused = audit(&sandbox);
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert_eq!(refused[0]["outcome"], "refused");

    // A key the caller may grant on goes through, one Start.
    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "qh-grant",
        "--key",
        "alias/qh-open",
        "--yes",
        "--no-wait",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(trail.calls(START).0 - before.0, 1);
}
