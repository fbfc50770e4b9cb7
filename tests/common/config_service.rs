//! The launcher's AWS Config (`tests/moto/aws_config.py`): a region's
//! recorder, an aggregator, and a second account reached by its own access
//! key. Each is scoped by account and region.

use super::{sdk_config_as, Faults, Seeder};

/// Seeds moto in `account`: calls signed with `access_key` act there (the
/// launcher maps the key, as if it were that account's).
pub async fn seeder_in(account: &str, access_key: &str, region: &str) -> Seeder {
    map_account(access_key, account);
    let c = sdk_config_as(region, access_key).await;
    Seeder {
        firehose: aws_sdk_firehose::Client::new(&c),
        kms: aws_sdk_kms::Client::new(&c),
        cloudwatch: aws_sdk_cloudwatch::Client::new(&c),
    }
}

/// Calls signed with `access_key` act in `account` from now on.
pub fn map_account(access_key: &str, account: &str) {
    let spec = serde_json::json!({"accessKeyId": access_key, "accountId": account});
    Faults::http("POST", "/_firekeeper/accounts", Some(&spec.to_string()));
}

/// `account`'s AWS Config recorder in `region`: "none", "on", "stopped",
/// "excluded" or "daily".
pub fn recorder(account: &str, region: &str, mode: &str) {
    let spec = serde_json::json!({"region": region, "accountId": account, "recorder": mode});
    Faults::http("POST", "/_firekeeper/config", Some(&spec.to_string()));
}

/// An aggregator of `account` in `region`, over these (account, region)
/// pairs.
pub fn aggregator(account: &str, region: &str, name: &str, sources: &[(&str, &str)]) {
    let sources: Vec<serde_json::Value> = sources
        .iter()
        .map(|(a, r)| serde_json::json!({"accountId": a, "region": r}))
        .collect();
    let spec = serde_json::json!({"region": region, "accountId": account, "name": name, "sources": sources});
    Faults::http(
        "POST",
        "/_firekeeper/config/aggregators",
        Some(&spec.to_string()),
    );
}
