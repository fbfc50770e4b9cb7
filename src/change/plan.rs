//! Planning a change: the stream described, the key resolved, the quota
//! counted and the pre-flight checks run, before anything is sent.

use chrono::Utc;

use super::{is_encrypted, request_entry, ChangeContext, ChangeError, Plan, Request};
use crate::cloud::{Cloud, CloudError};
use crate::inventory::{KeyBook, AWS_OWNED, NO_ENCRYPTION};
use crate::model::EncryptionCall;
use crate::model::{region_of_arn, KeyRef, MetricRange};
use crate::preflight;
use crate::quota::{Quota, QuotaSource, RefusedCalls};

/// Describes the stream, resolves the key and runs the pre-flight checks.
/// Sends nothing that changes anything. A request that cannot even be
/// planned (no such stream, no such key, AWS not answering) is audited as
/// refused: the log holds every change asked for.
pub async fn plan(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    request: &Request,
    streams_on_key: impl Fn(&str) -> Option<usize>,
) -> Result<Plan, ChangeError> {
    let planned = plan_request(cloud, ctx, request, streams_on_key).await;
    if let Err(e) = &planned {
        let why = match e {
            ChangeError::Refused(why) => why.clone(),
            other => format!("could not check the change: {other}"),
        };
        let line = request_entry(ctx, request, &why);
        if let Err(audit_error) = ctx.audit.append_async(line).await {
            tracing::error!("cannot audit a refused request: {audit_error}");
        }
    }
    planned
}

async fn plan_request(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    request: &Request,
    streams_on_key: impl Fn(&str) -> Option<usize>,
) -> Result<Plan, ChangeError> {
    let name = request.stream();
    let stream = match cloud.describe_stream(name).await {
        Ok(s) => s,
        Err(CloudError::NotFound(_)) => {
            return Err(ChangeError::Refused(format!(
                "there is no delivery stream {name} in {}",
                ctx.region
            )))
        }
        Err(e) => return Err(e.into()),
    };
    let book = KeyBook::from_aliases(cloud.list_aliases().await.unwrap_or_default());
    let (change, new_label) = asked_for(cloud, ctx, request, &book).await?;
    let old_label = book.label(&stream);
    let action = match (&change, is_encrypted(&stream)) {
        (EncryptionCall::Stop, _) => "disable",
        (_, true) => "rotate",
        (_, false) => "enable",
    };
    let now = Utc::now();
    let (quota, refused, source) = quota_now(cloud, ctx, name, now).await?;
    let kms_errors_now = kms_errors_lately(cloud, name, now).await;
    let on_key = match &change {
        EncryptionCall::Start(KeyRef::Customer(k)) => streams_on_key(&k.arn),
        _ => None,
    };
    let grant = match &change {
        EncryptionCall::Start(KeyRef::Customer(k))
            if preflight::key_problem(k, &ctx.region).is_none() =>
        {
            Some(cloud.grant_check(&k.arn).await)
        }
        _ => None,
    };
    let facts = preflight::ChangeFacts {
        stream: &stream,
        change: &change,
        region: &ctx.region,
        quota: Some(quota),
        refused: Some(&refused),
        grant: grant.as_ref(),
        account: ctx.account.as_deref(),
        streams_on_key: on_key,
        kms_errors_now,
        errors_window: "1h",
        credentials: cloud.credentials().await,
        now,
    };
    let mut verdict = preflight::check(&facts, &new_label);
    // Said before "y": the count may be short of AWS's by others' calls.
    verdict.warnings.extend(source.warning());
    Ok(Plan {
        stream,
        change,
        action,
        old_label,
        new_label,
        quota,
        refused,
        quota_source: source,
        verdict,
    })
}

/// The change a request asks for, its key resolved, and that key's label.
async fn asked_for(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    request: &Request,
    book: &KeyBook,
) -> Result<(EncryptionCall, String), ChangeError> {
    Ok(match request {
        Request::Disable { .. } => (EncryptionCall::Stop, NO_ENCRYPTION.to_string()),
        Request::Switch {
            key: KeyRef::AwsOwned,
            ..
        } => (
            EncryptionCall::Start(KeyRef::AwsOwned),
            AWS_OWNED.to_string(),
        ),
        Request::Switch {
            key: KeyRef::Customer(k),
            ..
        } => {
            let key = resolve_key(cloud, &ctx.region, k).await?;
            let label = book.key_label(&key.arn);
            (EncryptionCall::Start(KeyRef::Customer(key)), label)
        }
    })
}

/// What is left of the stream's 25 calls, by the ledger and CloudTrail, and
/// why CloudTrail was not read, when it was not.
async fn quota_now(
    cloud: &dyn Cloud,
    ctx: &ChangeContext,
    name: &str,
    now: chrono::DateTime<Utc>,
) -> Result<(Quota, RefusedCalls, QuotaSource), ChangeError> {
    let entries = ctx.ledger.read_async().await?;
    let account = ctx.account.as_deref().unwrap_or("");
    let book = ctx
        .trail
        .book(cloud, &entries, account, now)
        .await
        .map_err(|why| ChangeError::Refused(format!("the quota cannot be counted: {why}")))?;
    let refused = RefusedCalls::of(book.calls(name));
    Ok((book.quota(name), refused, book.source))
}

/// KMS errors on the stream in the last hour; zero when CloudWatch cannot say
/// (the warning is a courtesy, not a check).
async fn kms_errors_lately(cloud: &dyn Cloud, name: &str, now: chrono::DateTime<Utc>) -> f64 {
    let range = MetricRange {
        start: now - chrono::Duration::hours(1),
        end: now,
        period_secs: 60,
    };
    cloud
        .kms_metrics(&crate::model::every_series(&[name.to_string()]), range)
        .await
        .ok()
        .and_then(|mut m| m.series.remove(name))
        .map_or(0.0, |s| s.grand_total())
}

/// Finds the key KMS knows by this id, ARN, alias or alias ARN.
async fn resolve_key(
    cloud: &dyn Cloud,
    region: &str,
    key: &str,
) -> Result<crate::model::KmsKey, ChangeError> {
    if let Some(other) = region_of_arn(key).filter(|r| *r != region) {
        return Err(ChangeError::Refused(format!(
            "key {key} is in {other}; the stream is in {region}, and Firehose uses keys of its own region only"
        )));
    }
    match cloud.describe_key(key).await {
        Ok(k) => Ok(k),
        Err(CloudError::NotFound(_)) => Err(ChangeError::Refused(format!(
            "KMS has no key {key} in {region} (use a key id, key ARN, alias/NAME, alias ARN or aws-owned)"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The key a user named (id, ARN, alias or alias ARN) as KMS describes it,
/// or a refusal saying no such key exists here.
pub(crate) async fn named_key(
    cloud: &dyn Cloud,
    region: &str,
    key: &str,
) -> Result<crate::model::KmsKey, ChangeError> {
    match cloud.describe_key(key).await {
        Ok(k) => Ok(k),
        Err(CloudError::NotFound(_)) => Err(ChangeError::Refused(format!(
            "KMS has no key {key} in {region} (use a key id, key ARN, alias/NAME or alias ARN)"
        ))),
        Err(e) => Err(e.into()),
    }
}
