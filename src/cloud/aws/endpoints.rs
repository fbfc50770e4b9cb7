//! Where each service's calls really go, for the messages that name it when
//! a call does not answer: resolved as the SDK resolves it, so a deadline
//! message never names a default endpoint the call did not go to.

use aws_config::SdkConfig;
use aws_types::service_config::ServiceConfigKey;
use futures::FutureExt;

/// Each service's endpoint, as a person would recognise it.
#[derive(Debug, Clone, Default)]
pub(super) struct Endpoints {
    firehose: String,
    kms: String,
    monitoring: String,
    cloudtrail: String,
    sts: String,
    config: String,
}

/// The AWS default for one service, from its SDK's own endpoint rules (the
/// partition's domain, FIPS and dual-stack included); `None` if the rules
/// give none for this region.
macro_rules! default_endpoint {
    ($sdk:ident, $region:expr, $fips:expr, $dual:expr) => {{
        use $sdk::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
        Params::builder()
            .region($region)
            .use_fips($fips)
            .use_dual_stack($dual)
            .build()
            .ok()
            .and_then(|p| DefaultResolver::new().resolve_endpoint(&p).now_or_never())
            .and_then(Result::ok)
            .map(|e| e.url().to_string())
    }};
}

impl Endpoints {
    /// As the SDK picks them, first found: an endpoint given to the client
    /// itself (`--endpoint-url`), the service's own or the global one from the
    /// environment or the profile (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`,
    /// a profile's `services` section or `endpoint_url`), else AWS's default
    /// for the region.
    pub(super) fn of(config: &SdkConfig, region: &str) -> Endpoints {
        let given = config
            .endpoint_url()
            .filter(|_| config.get_origin("endpoint_url").is_client_config());
        let fips = config.use_fips().unwrap_or(false);
        let dual = config.use_dual_stack().unwrap_or(false);
        let pick = |service_id: &str, default: Option<String>| {
            given
                .map(str::to_string)
                .or_else(|| configured(config, service_id))
                .or_else(|| config.endpoint_url().map(str::to_string))
                .or(default)
                .unwrap_or_else(|| format!("the {service_id} endpoint of {region}"))
        };
        Endpoints {
            firehose: pick(
                "Firehose",
                default_endpoint!(aws_sdk_firehose, region, fips, dual),
            ),
            kms: pick("KMS", default_endpoint!(aws_sdk_kms, region, fips, dual)),
            monitoring: pick(
                "CloudWatch",
                default_endpoint!(aws_sdk_cloudwatch, region, fips, dual),
            ),
            cloudtrail: pick(
                "CloudTrail",
                default_endpoint!(aws_sdk_cloudtrail, region, fips, dual),
            ),
            sts: pick("STS", default_endpoint!(aws_sdk_sts, region, fips, dual)),
            config: pick(
                "Config Service",
                default_endpoint!(aws_sdk_config, region, fips, dual),
            ),
        }
    }

    /// The endpoint of `service`, by the name firekeeper's messages use
    /// (`sts`, `firehose`, `kms`, `monitoring`, `cloudtrail`, `config`).
    pub(super) fn get(&self, service: &str) -> &str {
        match service {
            "firehose" => &self.firehose,
            "kms" => &self.kms,
            "monitoring" => &self.monitoring,
            "cloudtrail" => &self.cloudtrail,
            "config" => &self.config,
            _ => &self.sts,
        }
    }
}

/// The service's endpoint from the environment or the shared config file,
/// as the SDK's client reads it.
fn configured(config: &SdkConfig, service_id: &str) -> Option<String> {
    let key = ServiceConfigKey::builder()
        .service_id(service_id)
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()?;
    config.service_config()?.load_config(key)
}
