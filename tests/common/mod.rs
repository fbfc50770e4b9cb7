//! Seeding moto through the real AWS SDK, and running the real binary against it.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

pub mod config_service;
pub mod schema;
pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::Output;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_firehose::config::Credentials;
use aws_sdk_firehose::types as fh;

/// The moto server started by `scripts/test`. Tests that need it fail loudly
/// without it: a skipped cloud test is a test that lies.
pub fn moto_endpoint() -> String {
    std::env::var("FIREKEEPER_MOTO_ENDPOINT").expect(
        "FIREKEEPER_MOTO_ENDPOINT is not set: moto is not running. Run the suite with ./scripts/test",
    )
}

pub async fn sdk_config(region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(moto_endpoint())
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}

pub struct Seeder {
    pub firehose: aws_sdk_firehose::Client,
    pub kms: aws_sdk_kms::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

/// How a seeded stream is encrypted.
pub enum Enc<'a> {
    None,
    AwsOwned,
    Customer(&'a str),
}

impl Seeder {
    pub async fn new(region: &str) -> Seeder {
        let c = sdk_config(region).await;
        Seeder {
            firehose: aws_sdk_firehose::Client::new(&c),
            kms: aws_sdk_kms::Client::new(&c),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&c),
        }
    }

    /// A symmetric key with an alias; returns its ARN.
    pub async fn key(&self, alias: Option<&str>) -> String {
        let key = self.kms.create_key().send().await.unwrap();
        let meta = key.key_metadata().unwrap();
        if let Some(alias) = alias {
            self.kms
                .create_alias()
                .alias_name(alias)
                .target_key_id(meta.key_id())
                .send()
                .await
                .unwrap();
        }
        meta.arn().unwrap().to_string()
    }

    pub async fn disable_key(&self, arn: &str) {
        // moto looks keys up by id here, not ARN.
        let id = arn.rsplit_once("key/").map_or(arn, |(_, id)| id);
        self.kms.disable_key().key_id(id).send().await.unwrap();
    }

    fn s3(complete: bool) -> fh::ExtendedS3DestinationConfiguration {
        let b = fh::ExtendedS3DestinationConfiguration::builder()
            .role_arn("arn:aws:iam::123456789012:role/firehose")
            .bucket_arn("arn:aws:s3:::firekeeper-test");
        // moto echoes only what it was sent, and the SDK requires these
        // fields in a description: leaving them out makes a stream the SDK
        // cannot read, which is how the tests make a "bad" stream.
        let b = if complete {
            b.compression_format(fh::CompressionFormat::Uncompressed)
                .buffering_hints(
                    fh::BufferingHints::builder()
                        .size_in_mbs(5)
                        .interval_in_seconds(300)
                        .build(),
                )
                .encryption_configuration(
                    fh::EncryptionConfiguration::builder()
                        .no_encryption_config(fh::NoEncryptionConfig::NoEncryption)
                        .build(),
                )
        } else {
            b
        };
        b.build().unwrap()
    }

    /// A DirectPut stream. moto stores the encryption input without a status,
    /// so encryption is switched on afterwards, as AWS reports it: ENABLED.
    pub async fn direct_put(&self, name: &str, enc: Enc<'_>) {
        let input = match enc {
            Enc::None => None,
            Enc::AwsOwned => Some(
                fh::DeliveryStreamEncryptionConfigurationInput::builder()
                    .key_type(fh::KeyType::AwsOwnedCmk)
                    .build()
                    .unwrap(),
            ),
            Enc::Customer(arn) => Some(
                fh::DeliveryStreamEncryptionConfigurationInput::builder()
                    .key_type(fh::KeyType::CustomerManagedCmk)
                    .key_arn(arn)
                    .build()
                    .unwrap(),
            ),
        };
        self.firehose
            .create_delivery_stream()
            .delivery_stream_name(name)
            .delivery_stream_type(fh::DeliveryStreamType::DirectPut)
            .extended_s3_destination_configuration(Self::s3(true))
            .send()
            .await
            .unwrap();
        if input.is_some() {
            self.firehose
                .start_delivery_stream_encryption()
                .delivery_stream_name(name)
                .set_delivery_stream_encryption_configuration_input(input)
                .send()
                .await
                .unwrap();
        }
    }

    pub async fn kinesis_sourced(&self, name: &str) {
        self.firehose
            .create_delivery_stream()
            .delivery_stream_name(name)
            .delivery_stream_type(fh::DeliveryStreamType::KinesisStreamAsSource)
            .kinesis_stream_source_configuration(
                fh::KinesisStreamSourceConfiguration::builder()
                    .kinesis_stream_arn("arn:aws:kinesis:us-east-1:123456789012:stream/src")
                    .role_arn("arn:aws:iam::123456789012:role/firehose")
                    .build()
                    .unwrap(),
            )
            .extended_s3_destination_configuration(Self::s3(true))
            .send()
            .await
            .unwrap();
    }

    /// A stream whose description the SDK cannot parse.
    pub async fn unreadable(&self, name: &str) {
        self.firehose
            .create_delivery_stream()
            .delivery_stream_name(name)
            .delivery_stream_type(fh::DeliveryStreamType::DirectPut)
            .extended_s3_destination_configuration(Self::s3(false))
            .send()
            .await
            .unwrap();
    }

    /// Publishes `count` KMS errors of `metric` for `stream`, `mins_ago` minutes ago.
    pub async fn kms_errors(&self, stream: &str, metric: &str, count: f64, mins_ago: i64) {
        use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
        let at =
            std::time::SystemTime::now() - std::time::Duration::from_secs(mins_ago as u64 * 60);
        self.cloudwatch
            .put_metric_data()
            .namespace("AWS/Firehose")
            .metric_data(
                MetricDatum::builder()
                    .metric_name(metric)
                    .dimensions(
                        Dimension::builder()
                            .name("DeliveryStreamName")
                            .value(stream)
                            .build(),
                    )
                    .value(count)
                    .timestamp(at.into())
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
}

/// A home of its own for each run, so no test touches the real user's files.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write_config(&self, text: &str) -> PathBuf {
        let p = self.path("config.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_firekeeper"));
        let home = self.dir.path();
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("AWS_CONFIG_FILE", home.join("aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true");
        cmd
    }

    /// The binary with dummy credentials, pointed at moto.
    pub fn against_moto(&self, region: &str) -> std::process::Command {
        let mut cmd = self.command();
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .args(["--endpoint-url", &moto_endpoint(), "--region", region]);
        cmd
    }
}

pub fn run(cmd: &mut std::process::Command) -> Output {
    cmd.output().expect("the firekeeper binary runs")
}

pub fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}; stdout: {}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}

/// The fault injector in `tests/moto/launch.py`, in front of moto: faults
/// are scoped by region, so tests running side by side never meet them.
pub struct Faults {
    pub region: String,
}

impl Faults {
    pub fn new(region: &str) -> Faults {
        let f = Faults {
            region: region.to_string(),
        };
        f.clear();
        f
    }

    fn http(method: &str, path: &str, body: Option<&str>) -> String {
        use std::io::{Read, Write};
        let url = moto_endpoint();
        let addr = url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).expect("moto launcher answers");
        let body = body.unwrap_or("");
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(
            out.starts_with("HTTP/1.1 200") || out.starts_with("HTTP/1.0 200"),
            "{out}"
        );
        out.split("\r\n\r\n").nth(1).unwrap_or("").to_string()
    }

    /// Adds a fault for this region: `spec` holds the kind and its
    /// parameters (`{"service": "firehose", "fault": "hang"}`).
    pub fn add(&self, mut spec: serde_json::Value) {
        spec["region"] = self.region.clone().into();
        Self::http("POST", "/_firekeeper/faults", Some(&spec.to_string()));
    }

    /// Removes this region's faults and releases held requests.
    pub fn clear(&self) {
        Self::http(
            "DELETE",
            &format!("/_firekeeper/faults?region={}", self.region),
            None,
        );
    }

    /// How many calls of `operation` reached the launcher, and how many of
    /// them were passed on to moto.
    pub fn calls(&self, operation: &str) -> (u64, u64) {
        let body = Self::http(
            "GET",
            &format!(
                "/_firekeeper/calls?region={}&operation={operation}",
                self.region
            ),
            None,
        );
        let v: serde_json::Value = serde_json::from_str(&body).expect("JSON counts");
        (
            v["received"].as_u64().unwrap_or(0),
            v["forwarded"].as_u64().unwrap_or(0),
        )
    }
}

impl Faults {
    /// The metrics this region's GetMetricData requests asked for, each
    /// request (each page) counted, as CloudWatch bills them.
    pub fn metrics_requested(&self) -> u64 {
        let body = Self::http(
            "GET",
            &format!(
                "/_firekeeper/calls?region={}&operation=GetMetricData",
                self.region
            ),
            None,
        );
        let v: serde_json::Value = serde_json::from_str(&body).expect("JSON counts");
        v["metrics"].as_u64().unwrap_or(0)
    }
}

/// Everything the binary printed, stdout then stderr.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The sandbox's audit log, one JSON value a line.
pub fn audit(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    std::fs::read_to_string(sandbox.path("data/firekeeper/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Whether the tests run as root, and so can act as other Unix users.
pub fn root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `cmd` run as another Unix user (with `setpriv`) when the tests run as
/// root, with `umask` set first; without root, as this user with that umask.
/// The program must be reachable by that user: see `reachable_copy`.
pub fn as_user(
    cmd: &std::process::Command,
    program: &Path,
    user: Option<(u32, u32, &[u32])>,
    umask: &str,
) -> std::process::Command {
    let mut out = match user.filter(|_| root()) {
        Some((uid, gid, groups)) => {
            let mut c = std::process::Command::new("setpriv");
            let groups: Vec<String> = groups.iter().map(u32::to_string).collect();
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"));
            if groups.is_empty() {
                c.arg("--clear-groups");
            } else {
                c.arg(format!("--groups={}", groups.join(",")));
            }
            c.arg("sh");
            c
        }
        None => std::process::Command::new("sh"),
    };
    out.arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(program)
        .args(cmd.get_args())
        .env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            out.env(k, v);
        }
    }
    out
}

/// The firekeeper binary, linked (or copied) into `dir` so that another user
/// can run it even when the checkout lives in a private directory.
pub fn reachable_copy(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let to = dir.join("firekeeper");
    let from = Path::new(env!("CARGO_BIN_EXE_firekeeper"));
    if std::fs::hard_link(from, &to).is_err() {
        std::fs::copy(from, &to).unwrap();
    }
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
    to
}

/// SDK settings for moto signed with another access key: CloudTrail in the
/// launcher names the caller after it (see `Faults::identity`).
pub async fn sdk_config_as(region: &str, access_key: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(moto_endpoint())
        .credentials_provider(Credentials::new(access_key, "testing", None, None, "other"))
        .load()
        .await
}

/// The launcher's CloudTrail event history, region by region.
impl Faults {
    /// Adds events made by someone else (see `/_firekeeper/events` in
    /// `launch.py`); each spec gets this region.
    pub fn events(&self, specs: &[serde_json::Value]) {
        let specs: Vec<serde_json::Value> = specs
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s["region"] = self.region.clone().into();
                s
            })
            .collect();
        Self::http(
            "POST",
            "/_firekeeper/events",
            Some(&serde_json::Value::from(specs).to_string()),
        );
    }

    /// Names the person behind an access key, in this region.
    pub fn identity(&self, mut spec: serde_json::Value) {
        spec["region"] = self.region.clone().into();
        Self::http("POST", "/_firekeeper/identities", Some(&spec.to_string()));
    }

    /// This region's CloudTrail settings (`lookup_delay_seconds`,
    /// `lookups_per_second`, `record_reads`; see `launch.py`).
    pub fn trail_settings(&self, mut spec: serde_json::Value) {
        spec["region"] = self.region.clone().into();
        Self::http("POST", "/_firekeeper/trail", Some(&spec.to_string()));
    }

    /// Makes KMS deny CreateGrant dry runs on `key` (id, ARN or alias) in
    /// this region, as a key policy that does not let the caller grant on it
    /// would (see `/_firekeeper/grants` in `launch.py`).
    pub fn deny_grant(&self, key: &str) {
        let spec = serde_json::json!({"region": self.region, "keyId": key, "denied": true});
        Self::http("POST", "/_firekeeper/grants", Some(&spec.to_string()));
    }

    /// Firehose's rate in this region, as AWS's: more calls of one API a
    /// second than `per_second` are throttled (see `/_firekeeper/rates`).
    pub fn firehose_rate(&self, per_second: u32) {
        let spec = serde_json::json!({"region": self.region, "firehose_per_second": per_second});
        Self::http("POST", "/_firekeeper/rates", Some(&spec.to_string()));
    }

    /// Forgets this region's event history and trail settings.
    pub fn forget_events(&self) {
        Self::http(
            "DELETE",
            &format!("/_firekeeper/events?region={}", self.region),
            None,
        );
    }
}
