//! The real cloud: the AWS SDK for Firehose, KMS, CloudWatch and STS. SDK types
//! are converted to our model here and go no further.

use std::collections::BTreeMap;
use std::fmt::Debug;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_firehose::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_firehose::types as fh;
use aws_smithy_types::DateTime as SmithyTime;
use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::{
    Alias, Cloud, CloudError, Encryption, EncryptionStatus, Failure, Identity, KeyChoice, KeyState,
    KeyType, KmsKey, KmsMetric, KmsSeries, MetricRange, Source, Stream, StreamPage,
};

/// GetMetricData takes at most 500 queries a call.
pub const QUERIES_PER_CALL: usize = 500;
const NAMESPACE: &str = "AWS/Firehose";
const DIMENSION: &str = "DeliveryStreamName";

/// How to reach AWS: the same knobs as the aws CLI.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

pub struct AwsCloud {
    region: String,
    credentials: Option<aws_sdk_firehose::config::SharedCredentialsProvider>,
    firehose: aws_sdk_firehose::Client,
    kms: aws_sdk_kms::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    sts: aws_sdk_sts::Client,
}

impl AwsCloud {
    /// Loads credentials and region through aws-config's default chain (env,
    /// shared config and credentials files, SSO, web identity, IMDS).
    pub async fn connect(conn: &Connection) -> Result<AwsCloud, CloudError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::adaptive().with_max_attempts(5));
        if let Some(profile) = &conn.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &conn.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &conn.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        AwsCloud::from_config(&config)
    }

    pub fn from_config(config: &SdkConfig) -> Result<AwsCloud, CloudError> {
        let region = config.region().map(|r| r.to_string()).ok_or_else(|| {
            CloudError::Other(
                "no AWS region: pass --region, set AWS_REGION, or set region in the profile".into(),
            )
        })?;
        Ok(AwsCloud {
            region,
            credentials: config.credentials_provider(),
            firehose: aws_sdk_firehose::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
        })
    }
}

/// Turns any SDK error into one the person at the terminal can act on.
fn map_err<E, R>(err: SdkError<E, R>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug + 'static,
{
    let text = chain(&err);
    match &err {
        SdkError::ServiceError(_) => {
            let code = err.code().unwrap_or("").to_string();
            let message = err.message().unwrap_or(&code).to_string();
            classify(&code, message)
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)
            if text.to_lowercase().contains("credentials") =>
        {
            CloudError::Credentials(first_line(&text))
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            CloudError::Unreachable(first_line(&text))
        }
        _ if text.to_lowercase().contains("credentials") => {
            CloudError::Credentials(first_line(&text))
        }
        _ => CloudError::Other(first_line(&text)),
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).to_string()
}

/// The error and its causes, "outer: inner: innermost", without debug dumps.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// Maps an AWS error code to our error kinds.
pub fn classify(code: &str, message: String) -> CloudError {
    match code {
        "ResourceNotFoundException" | "NotFoundException" | "ResourceNotFound" => {
            CloudError::NotFound(message)
        }
        "ResourceInUseException" => CloudError::InUse(message),
        "InvalidArgumentException"
        | "ValidationException"
        | "ValidationError"
        | "InvalidParameterValue"
        | "InvalidParameterCombination" => CloudError::InvalidArgument(message),
        "LimitExceededException" => CloudError::LimitExceeded(message),
        "InvalidKMSResourceException" => CloudError::InvalidKms(message),
        "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "InvalidSignatureException" => CloudError::Credentials(format!("{code}: {message}")),
        c if c.contains("Throttl")
            || c == "TooManyRequestsException"
            || c == "RequestLimitExceeded" =>
        {
            CloudError::Throttled(message)
        }
        c if c.contains("AccessDenied") || c == "UnauthorizedOperation" => {
            CloudError::AccessDenied(message)
        }
        "" => CloudError::Other(message),
        c => CloudError::Other(format!("{c}: {message}")),
    }
}

impl From<&fh::DeliveryStreamDescription> for Stream {
    fn from(d: &fh::DeliveryStreamDescription) -> Stream {
        Stream {
            name: d.delivery_stream_name().to_string(),
            arn: d.delivery_stream_arn().to_string(),
            source: Source::parse(d.delivery_stream_type().as_str()),
            status: d.delivery_stream_status().as_str().to_string(),
            encryption: d
                .delivery_stream_encryption_configuration()
                .map(Encryption::from)
                .unwrap_or_default(),
        }
    }
}

impl From<&fh::DeliveryStreamEncryptionConfiguration> for Encryption {
    fn from(c: &fh::DeliveryStreamEncryptionConfiguration) -> Encryption {
        Encryption {
            status: c
                .status()
                .and_then(|s| EncryptionStatus::parse(s.as_str()))
                .unwrap_or(EncryptionStatus::Disabled),
            key_type: c.key_type().and_then(|t| match t {
                fh::KeyType::AwsOwnedCmk => Some(KeyType::AwsOwned),
                fh::KeyType::CustomerManagedCmk => Some(KeyType::CustomerManaged),
                _ => None,
            }),
            key_arn: c.key_arn().map(str::to_string),
            failure: c.failure_description().map(|f| Failure {
                kind: f.r#type().as_str().to_string(),
                details: f.details().to_string(),
            }),
        }
    }
}

fn to_smithy(t: DateTime<Utc>) -> SmithyTime {
    SmithyTime::from_millis(t.timestamp_millis())
}

fn from_smithy(t: &SmithyTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(t.to_millis().ok()?)
}

fn query(id: String, stream: &str, metric: KmsMetric, period: i32) -> MetricDataQuery {
    let metric = Metric::builder()
        .namespace(NAMESPACE)
        .metric_name(metric.name())
        .dimensions(Dimension::builder().name(DIMENSION).value(stream).build())
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(period)
                .stat("Sum")
                .build(),
        )
        .return_data(true)
        .build()
}

impl AwsCloud {
    /// One GetMetricData call (following NextToken) for up to 125 streams.
    async fn metrics_batch(
        &self,
        streams: &[String],
        range: MetricRange,
    ) -> Result<BTreeMap<String, KmsSeries>, CloudError> {
        let queries: Vec<MetricDataQuery> = streams
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                KmsMetric::ALL
                    .into_iter()
                    .map(move |m| query(format!("s{i}m{}", m.index()), s, m, range.period_secs))
            })
            .collect();
        let mut out: BTreeMap<String, KmsSeries> = BTreeMap::new();
        let mut token = None;
        loop {
            let page = self
                .cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(to_smithy(range.start))
                .end_time(to_smithy(range.end))
                .set_next_token(token)
                .send()
                .await
                .map_err(map_err)?;
            for result in page.metric_data_results() {
                let Some((stream, metric)) = result.id().and_then(parse_query_id) else {
                    continue;
                };
                let Some(name) = streams.get(stream) else {
                    continue;
                };
                let points = result
                    .timestamps()
                    .iter()
                    .zip(result.values())
                    .filter_map(|(t, v)| Some((from_smithy(t)?, *v)));
                let series = &mut out.entry(name.clone()).or_default().series[metric];
                series.extend(points);
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        for series in out.values_mut() {
            for s in &mut series.series {
                s.sort_by_key(|(t, _)| *t);
            }
        }
        out.retain(|_, s| s.series.iter().any(|s| !s.is_empty()));
        Ok(out)
    }
}

fn parse_query_id(id: &str) -> Option<(usize, usize)> {
    let (stream, metric) = id.strip_prefix('s')?.split_once('m')?;
    let metric: usize = metric.parse().ok()?;
    (metric < 4).then_some(())?;
    Some((stream.parse().ok()?, metric))
}

#[async_trait]
impl Cloud for AwsCloud {
    fn region(&self) -> &str {
        &self.region
    }

    async fn identity(&self) -> Result<Identity, CloudError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(map_err)?;
        Ok(Identity {
            account: out.account().unwrap_or_default().to_string(),
            arn: out.arn().unwrap_or_default().to_string(),
        })
    }

    async fn list_streams(
        &self,
        start_after: Option<&str>,
        limit: u32,
    ) -> Result<StreamPage, CloudError> {
        let out = self
            .firehose
            .list_delivery_streams()
            .limit(limit.clamp(1, 10_000) as i32)
            .set_exclusive_start_delivery_stream_name(start_after.map(str::to_string))
            .send()
            .await
            .map_err(map_err)?;
        Ok(StreamPage {
            names: out.delivery_stream_names().to_vec(),
            has_more: out.has_more_delivery_streams(),
        })
    }

    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError> {
        let out = self
            .firehose
            .describe_delivery_stream()
            .delivery_stream_name(name)
            .send()
            .await
            .map_err(map_err)?;
        out.delivery_stream_description()
            .map(Stream::from)
            .ok_or_else(|| CloudError::Other(format!("AWS described {name} with no description")))
    }

    async fn start_encryption(&self, name: &str, key: &KeyChoice) -> Result<(), CloudError> {
        let input = match key {
            KeyChoice::AwsOwned => fh::DeliveryStreamEncryptionConfigurationInput::builder()
                .key_type(fh::KeyType::AwsOwnedCmk),
            KeyChoice::Customer { arn } => {
                fh::DeliveryStreamEncryptionConfigurationInput::builder()
                    .key_type(fh::KeyType::CustomerManagedCmk)
                    .key_arn(arn)
            }
        }
        .build()
        .map_err(|e| CloudError::InvalidArgument(e.to_string()))?;
        self.firehose
            .start_delivery_stream_encryption()
            .delivery_stream_name(name)
            .delivery_stream_encryption_configuration_input(input)
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn stop_encryption(&self, name: &str) -> Result<(), CloudError> {
        self.firehose
            .stop_delivery_stream_encryption()
            .delivery_stream_name(name)
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn list_keys(&self) -> Result<Vec<String>, CloudError> {
        let mut pages = self.kms.list_keys().into_paginator().items().send();
        let mut ids = Vec::new();
        while let Some(key) = pages.next().await {
            ids.extend(key.map_err(map_err)?.key_id().map(str::to_string));
        }
        Ok(ids)
    }

    async fn list_aliases(&self) -> Result<Vec<Alias>, CloudError> {
        let mut pages = self.kms.list_aliases().into_paginator().items().send();
        let mut aliases = Vec::new();
        while let Some(alias) = pages.next().await {
            let alias = alias.map_err(map_err)?;
            if let Some(name) = alias.alias_name() {
                aliases.push(Alias {
                    name: name.to_string(),
                    target_key_id: alias.target_key_id().map(str::to_string),
                });
            }
        }
        Ok(aliases)
    }

    async fn describe_key(&self, key: &str) -> Result<KmsKey, CloudError> {
        let out = self
            .kms
            .describe_key()
            .key_id(key)
            .send()
            .await
            .map_err(map_err)?;
        let m = out
            .key_metadata()
            .ok_or_else(|| CloudError::Other(format!("KMS described {key} with no metadata")))?;
        let customer = m.key_manager().is_some_and(|k| k.as_str() == "CUSTOMER");
        // Rotation status is a separate permission; a key we may describe but not
        // ask about rotation still shows everything else.
        let rotation_enabled = if customer
            && m.key_spec()
                .is_some_and(|s| s.as_str() == "SYMMETRIC_DEFAULT")
        {
            self.kms
                .get_key_rotation_status()
                .key_id(m.key_id())
                .send()
                .await
                .ok()
                .map(|r| r.key_rotation_enabled())
        } else {
            None
        };
        Ok(KmsKey {
            id: m.key_id().to_string(),
            arn: m.arn().unwrap_or_default().to_string(),
            state: m
                .key_state()
                .map_or(KeyState::Other("unknown".into()), |s| {
                    KeyState::parse(s.as_str())
                }),
            spec: m.key_spec().map_or("", |s| s.as_str()).to_string(),
            usage: m.key_usage().map_or("", |u| u.as_str()).to_string(),
            manager: m.key_manager().map_or("", |k| k.as_str()).to_string(),
            description: m.description().unwrap_or_default().to_string(),
            deletion_date: m.deletion_date().and_then(from_smithy),
            rotation_enabled,
        })
    }

    async fn credentials(&self) -> crate::preflight::CredentialFacts {
        use aws_sdk_firehose::config::ProvideCredentials;
        let Some(provider) = &self.credentials else {
            return Default::default();
        };
        match provider.provide_credentials().await {
            Ok(c) => crate::preflight::CredentialFacts {
                temporary: c.session_token().is_some(),
                expires_at: c.expiry().map(DateTime::<Utc>::from),
            },
            Err(_) => Default::default(),
        }
    }

    async fn kms_metrics(
        &self,
        streams: &[String],
        range: MetricRange,
    ) -> Result<BTreeMap<String, KmsSeries>, CloudError> {
        let per_call = QUERIES_PER_CALL / KmsMetric::ALL.len();
        let calls: Vec<_> = streams
            .chunks(per_call)
            .map(|chunk| self.metrics_batch(chunk, range))
            .collect();
        let mut batches = futures::stream::iter(calls).buffer_unordered(4);
        let mut out = BTreeMap::new();
        while let Some(batch) = batches.next().await {
            out.extend(batch?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
