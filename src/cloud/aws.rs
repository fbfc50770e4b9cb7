//! The real cloud: the AWS SDK for Firehose, KMS, CloudWatch, CloudTrail and
//! STS. SDK types are converted to our model here and go no further.

use std::fmt::Debug;

use async_trait::async_trait;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_firehose::error::ProvideErrorMetadata;
use aws_sdk_firehose::types as fh;
use aws_types::service_config::ServiceConfigKey;
use chrono::{DateTime, Utc};

use crate::cloud::series::UsageCounter;
use crate::cloud::{CallAnswer, Cloud, CloudError, GrantCheck};
use crate::model::trail;
use crate::model::{Aggregated, RecordPage, RecordedStream, Recording};
use crate::model::{
    Alias, CloudWatchUsage, EventPage, EventQuery, Identity, KeyManager, KeyRef, KeyRotation,
    KeySpec, KmsKey, KmsMetrics, Lookup, MetricRange, RotationKind, RotationRecord, SeriesAsk,
    SeriesListing, Stream, StreamPage,
};
#[cfg(test)]
use cloudwatch::parse_query_id;

mod cloudwatch;
mod config;
mod convert;
mod endpoints;
mod errors;

use convert::{event_of, from_smithy, to_smithy};
pub use errors::classify;

/// How to reach AWS: the same knobs as the aws CLI, and how long to wait.
#[derive(Debug, Clone)]
pub struct Connection {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// The longest any one call may take, retries included.
    pub call_timeout: Duration,
}

impl Default for Connection {
    fn default() -> Self {
        Connection {
            profile: None,
            region: None,
            endpoint_url: None,
            call_timeout: Duration::from_secs(20),
        }
    }
}

/// Connecting is quick or it is not happening: a black-holed address should
/// not eat the whole call budget before the request is even sent.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Every call ends by its deadline: without one, an endpoint that accepts
/// connections and never answers hangs `status` and the dashboard forever.
fn timeouts(call: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(call))
        .read_timeout(call)
        .operation_attempt_timeout(call)
        .operation_timeout(call)
        .build()
}

pub struct AwsCloud {
    region: String,
    /// Where each service's calls go, for messages that name where we asked.
    endpoints: endpoints::Endpoints,
    call_timeout: Duration,
    credentials: Option<aws_sdk_firehose::config::SharedCredentialsProvider>,
    firehose: aws_sdk_firehose::Client,
    kms: aws_sdk_kms::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    cloudtrail: aws_sdk_cloudtrail::Client,
    sts: aws_sdk_sts::Client,
    config: aws_sdk_config::Client,
    /// What was asked of CloudWatch, counted where the calls are made.
    usage: UsageCounter,
}

impl AwsCloud {
    /// Loads credentials and region through aws-config's default chain (env,
    /// shared config and credentials files, SSO, web identity, IMDS).
    pub async fn connect(conn: &Connection) -> Result<AwsCloud, CloudError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::adaptive().with_max_attempts(5))
            .timeout_config(timeouts(conn.call_timeout));
        // Named in every call's user agent, which CloudTrail records: a
        // later run knows its own lost calls from another tool's calls made
        // with the same access key.
        if let Ok(name) = aws_types::app_name::AppName::new(trail::APP_NAME) {
            loader = loader.app_name(name);
        }
        if let Some(profile) = &conn.profile {
            loader = loader.profile_name(profile);
        }
        let named = conn
            .profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok())
            .filter(|p| !p.is_empty());
        if let Some(profile) = named {
            check_profile(&profile).await?;
        }
        if let Some(region) = &conn.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &conn.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        if conn.endpoint_url.is_none() {
            check_configured_endpoints(&config)?;
        }
        let mut cloud = AwsCloud::from_config(&config)?;
        cloud.call_timeout = conn.call_timeout;
        Ok(cloud)
    }

    /// A client on an SDK config made elsewhere; its timeouts are the config's.
    pub fn from_config(config: &SdkConfig) -> Result<AwsCloud, CloudError> {
        let region = config
            .region()
            .map(std::string::ToString::to_string)
            .ok_or_else(|| {
                CloudError::Other(
                    "no AWS region: pass --region, set AWS_REGION, or set region in the profile"
                        .into(),
                )
            })?;
        let call_timeout = config
            .timeout_config()
            .and_then(aws_config::timeout::TimeoutConfig::operation_timeout)
            .unwrap_or(Duration::from_secs(20));
        Ok(AwsCloud {
            endpoints: endpoints::Endpoints::of(config, &region),
            call_timeout,
            region,
            credentials: config.credentials_provider(),
            firehose: aws_sdk_firehose::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            cloudtrail: aws_sdk_cloudtrail::Client::from_conf(
                aws_sdk_cloudtrail::config::Builder::from(config)
                    .retry_config(history_retries())
                    .build(),
            ),
            sts: aws_sdk_sts::Client::new(config),
            config: aws_sdk_config::Client::new(config),
            usage: UsageCounter::new(Utc::now()),
        })
    }
}

/// A profile asked for by name must be in the shared config or credentials
/// file: the SDK would otherwise go on without it and fail later on a
/// missing region or IMDS, never naming the profile. A file that cannot be
/// read or parsed is left to the SDK, which says what is wrong with it.
async fn check_profile(name: &str) -> Result<(), CloudError> {
    use aws_types::os_shim_internal::{Env, Fs};
    // Credentials the default chain finds before any profile (the
    // environment's keys, a web identity, a container's role) work without
    // the profile's section; "default" needs none either (an instance role).
    let set = |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty());
    let elsewhere = [
        "AWS_ACCESS_KEY_ID",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];
    if name == "default" || elsewhere.iter().any(|v| set(v)) {
        return Ok(());
    }
    // The default files: AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE,
    // else those in ~/.aws.
    let files = Default::default();
    let Ok(set) = aws_config::profile::load(&Fs::real(), &Env::real(), &files, None).await else {
        return Ok(());
    };
    if set.get_profile(name).is_some() {
        return Ok(());
    }
    let file = |var: &str, home: &str| std::env::var(var).unwrap_or_else(|_| home.to_string());
    let mut known: Vec<&str> = set.profiles().collect();
    known.sort_unstable();
    let there = match known.len() {
        0 => "they hold no profile".to_string(),
        n if n <= 12 => format!("profiles there: {}", known.join(", ")),
        n => format!(
            "profiles there: {}, and {} more",
            known[..12].join(", "),
            n - 12
        ),
    };
    Err(CloudError::Credentials(format!(
        "profile {name} is in neither {} nor {}; {there}",
        file("AWS_CONFIG_FILE", "~/.aws/config"),
        file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    )))
}

/// Each service's endpoint as the SDK will take it from the profile (or the
/// environment, checked before this): the SDK panics on an empty one.
fn check_configured_endpoints(config: &SdkConfig) -> Result<(), CloudError> {
    let Some(source) = config.service_config() else {
        return Ok(());
    };
    for service in [
        "Firehose",
        "KMS",
        "CloudWatch",
        "CloudTrail",
        "STS",
        "Config Service",
    ] {
        let key = ServiceConfigKey::builder()
            .service_id(service)
            .env("AWS_ENDPOINT_URL")
            .profile("endpoint_url")
            .build();
        let Some(url) = key.ok().and_then(|k| source.load_config(k)) else {
            continue;
        };
        crate::cloud::endpoint::url(&url).map_err(|why| {
            CloudError::Other(format!(
                "invalid endpoint_url '{url}' for {service} in the AWS config file: {why}"
            ))
        })?;
    }
    Ok(())
}

/// Firehose's service principal: the grantee of the grant it makes on a
/// customer key.
const FIREHOSE_PRINCIPAL: &str = "firehose.amazonaws.com";

/// Start and Stop change the stream and spend quota: a retry after a lost
/// answer would send the change twice. They go out once; when the answer is
/// lost, firekeeper finds out what happened by describing the stream.
fn send_once() -> aws_sdk_firehose::config::Builder {
    aws_sdk_firehose::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// KMS's rotation calls are sent once too: a rotation whose answer was lost
/// is found out by reading the key's rotation status.
fn kms_once() -> aws_sdk_kms::config::Builder {
    aws_sdk_kms::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// The event history only adds to what the ledger knows, and a caller
/// falls back to the ledger when it cannot be read: one retry (LookupEvents
/// throttles at 2 calls a second), not five rounds of backoff that would hold
/// up `status` behind an endpoint that cannot answer it.
fn history_retries() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(2)
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
            .map_err(|e| self.fail("sts", "GetCallerIdentity", e))?;
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
            .map_err(|e| self.fail("firehose", "ListDeliveryStreams", e))?;
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
            .map_err(|e| self.fail("firehose", "DescribeDeliveryStream", e))?;
        out.delivery_stream_description()
            .map(Stream::from)
            .ok_or_else(|| CloudError::Other(format!("AWS described {name} with no description")))
    }

    async fn start_encryption(&self, name: &str, key: &KeyRef) -> CallAnswer {
        let input = match key {
            KeyRef::AwsOwned => fh::DeliveryStreamEncryptionConfigurationInput::builder()
                .key_type(fh::KeyType::AwsOwnedCmk),
            KeyRef::Customer(arn) => fh::DeliveryStreamEncryptionConfigurationInput::builder()
                .key_type(fh::KeyType::CustomerManagedCmk)
                .key_arn(arn),
        }
        .build();
        let input = match input {
            Ok(input) => input,
            Err(e) => return CallAnswer::unanswered(CloudError::InvalidArgument(e.to_string())),
        };
        let sent = self
            .firehose
            .start_delivery_stream_encryption()
            .delivery_stream_name(name)
            .delivery_stream_encryption_configuration_input(input)
            .customize()
            .config_override(send_once())
            .send()
            .await;
        self.answer("firehose", "StartDeliveryStreamEncryption", sent)
    }

    async fn stop_encryption(&self, name: &str) -> CallAnswer {
        let sent = self
            .firehose
            .stop_delivery_stream_encryption()
            .delivery_stream_name(name)
            .customize()
            .config_override(send_once())
            .send()
            .await;
        self.answer("firehose", "StopDeliveryStreamEncryption", sent)
    }

    async fn list_keys(&self) -> Result<Vec<String>, CloudError> {
        let mut pages = self.kms.list_keys().into_paginator().items().send();
        let mut ids = Vec::new();
        while let Some(key) = pages.next().await {
            ids.extend(
                key.map_err(|e| self.fail("kms", "ListKeys", e))?
                    .key_id()
                    .map(str::to_string),
            );
        }
        Ok(ids)
    }

    async fn list_aliases(&self) -> Result<Vec<Alias>, CloudError> {
        let mut pages = self.kms.list_aliases().into_paginator().items().send();
        let mut aliases = Vec::new();
        while let Some(alias) = pages.next().await {
            let alias = alias.map_err(|e| self.fail("kms", "ListAliases", e))?;
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
            .map_err(|e| self.fail("kms", "DescribeKey", e))?;
        let m = out
            .key_metadata()
            .ok_or_else(|| CloudError::Other(format!("KMS described {key} with no metadata")))?;
        let mut described = KmsKey::from(m);
        // Rotation status is a separate permission; a key we may describe but not
        // ask about rotation still shows everything else.
        if described.manager == KeyManager::Customer && described.spec == KeySpec::SymmetricDefault
        {
            described.rotation = self
                .kms
                .get_key_rotation_status()
                .key_id(m.key_id())
                .send()
                .await
                .ok()
                .map(|r| KeyRotation {
                    automatic: r.key_rotation_enabled(),
                    period_days: r
                        .rotation_period_in_days()
                        .and_then(|d| u32::try_from(d).ok()),
                    next_at: r.next_rotation_date().and_then(from_smithy),
                    on_demand_since: r.on_demand_rotation_start_date().and_then(from_smithy),
                });
        }
        Ok(described)
    }

    async fn key_rotations(&self, key: &str) -> Result<Vec<RotationRecord>, CloudError> {
        let mut out = Vec::new();
        let mut marker = None;
        // 1,000 a page: a key rotated yearly for centuries fits in one.
        for _ in 0..10 {
            let page = self
                .kms
                .list_key_rotations()
                .key_id(key)
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| self.fail("kms", "ListKeyRotations", e))?;
            out.extend(page.rotations().iter().filter_map(|r| {
                Some(RotationRecord {
                    at: r.rotation_date().and_then(from_smithy)?,
                    kind: r.rotation_type().map_or(RotationKind::Unreported, |t| {
                        RotationKind::parse(t.as_str())
                    }),
                })
            }));
            marker = page.next_marker().map(str::to_string);
            if !page.truncated() || marker.is_none() {
                break;
            }
        }
        out.sort_by_key(|r| std::cmp::Reverse(r.at));
        Ok(out)
    }

    async fn rotate_key_now(&self, key: &str) -> CallAnswer {
        let sent = self
            .kms
            .rotate_key_on_demand()
            .key_id(key)
            .customize()
            .config_override(kms_once())
            .send()
            .await;
        self.answer("kms", "RotateKeyOnDemand", sent)
    }

    async fn set_auto_rotation(&self, key: &str, period_days: Option<u32>) -> CallAnswer {
        match period_days {
            Some(days) => {
                let sent = self
                    .kms
                    .enable_key_rotation()
                    .key_id(key)
                    .rotation_period_in_days(i32::try_from(days).unwrap_or(i32::MAX))
                    .customize()
                    .config_override(kms_once())
                    .send()
                    .await;
                self.answer("kms", "EnableKeyRotation", sent)
            }
            None => {
                let sent = self
                    .kms
                    .disable_key_rotation()
                    .key_id(key)
                    .customize()
                    .config_override(kms_once())
                    .send()
                    .await;
                self.answer("kms", "DisableKeyRotation", sent)
            }
        }
    }

    async fn grant_check(&self, key_arn: &str) -> GrantCheck {
        use aws_sdk_kms::types::GrantOperation;
        // The grant Firehose makes: "a grant that allows the Firehose service
        // to use the customer managed CMK to perform encryption and
        // decryption" (Firehose API reference,
        // DeliveryStreamEncryptionConfigurationInput). KMS names a service
        // grantee by its service principal (developer guide, CreateGrant
        // CloudTrail example: "granteePrincipal": "SERVICE.amazonaws.com").
        let sent = self
            .kms
            .create_grant()
            .key_id(key_arn)
            .grantee_principal(FIREHOSE_PRINCIPAL)
            .operations(GrantOperation::Encrypt)
            .operations(GrantOperation::Decrypt)
            .dry_run(true)
            .send()
            .await;
        match sent {
            // A dry run never creates a grant at AWS: an endpoint that
            // answers with one did not honour DryRun.
            Ok(out) => GrantCheck::Unknown(format!(
                "the endpoint created grant {} instead of a dry run; revoke it (aws kms revoke-grant)",
                out.grant_id().unwrap_or("?")
            )),
            Err(err) => match err.code() {
                Some("DryRunOperationException") => GrantCheck::WouldSucceed,
                Some(code) if code.contains("AccessDenied") => GrantCheck::Denied(format!(
                    "{code}: {}",
                    err.message().unwrap_or("access denied")
                )),
                _ => GrantCheck::Unknown(self.fail("kms", "CreateGrant", err).to_string()),
            },
        }
    }

    async fn credentials(&self) -> crate::model::CredentialFacts {
        use aws_sdk_firehose::config::ProvideCredentials;
        let Some(provider) = &self.credentials else {
            return Default::default();
        };
        // The chain may ask an instance or SSO endpoint: it has a deadline too.
        let asked = tokio::time::timeout(self.call_timeout, provider.provide_credentials()).await;
        let Ok(Ok(c)) = asked else {
            return Default::default();
        };
        crate::model::CredentialFacts {
            temporary: c.session_token().is_some(),
            expires_at: c.expiry().map(DateTime::<Utc>::from),
            access_key_id: Some(c.access_key_id().to_string()),
        }
    }

    async fn kms_metrics(
        &self,
        asks: &SeriesAsk,
        range: MetricRange,
    ) -> Result<KmsMetrics, CloudError> {
        self.get_kms_metrics(asks, range).await
    }

    async fn list_metrics(&self, recently_active: bool) -> Result<SeriesListing, CloudError> {
        self.list_kms_series(recently_active).await
    }

    fn cloudwatch_usage(&self) -> CloudWatchUsage {
        self.usage.usage()
    }

    async fn lookup_events(&self, query: &EventQuery) -> Result<EventPage, CloudError> {
        use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
        let (key, value) = match &query.lookup {
            Lookup::EventName(v) => (LookupAttributeKey::EventName, v),
            Lookup::EventSource(v) => (LookupAttributeKey::EventSource, v),
            Lookup::ResourceName(v) => (LookupAttributeKey::ResourceName, v),
        };
        let attribute = LookupAttribute::builder()
            .attribute_key(key)
            .attribute_value(value)
            .build()
            .map_err(|e| CloudError::InvalidArgument(e.to_string()))?;
        let out = self
            .cloudtrail
            .lookup_events()
            .lookup_attributes(attribute)
            .start_time(to_smithy(query.start))
            .end_time(to_smithy(query.end))
            .max_results(trail::PAGE as i32)
            .set_next_token(query.next_token.clone())
            .send()
            .await
            .map_err(|e| self.fail("cloudtrail", "LookupEvents", e))?;
        Ok(EventPage {
            events: out.events().iter().filter_map(event_of).collect(),
            next_token: out
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        })
    }

    async fn config_recording(&self) -> Result<Recording, CloudError> {
        self.recording().await
    }

    async fn recorded_streams(
        &self,
        page: Option<&str>,
    ) -> Result<RecordPage<RecordedStream>, CloudError> {
        self.recorded_page(page).await
    }

    async fn aggregated_streams(
        &self,
        aggregator: &str,
        page: Option<&str>,
    ) -> Result<RecordPage<Aggregated>, CloudError> {
        self.aggregated_page(aggregator, page).await
    }
}

#[cfg(test)]
mod tests;
