//! The HTTPS path: firekeeper's one TLS stack (rustls with hyper 1, the
//! platform's roots) against the launcher's HTTPS port, which serves the same
//! moto behind a certificate from a CA of the test run's own. AWS's endpoints
//! are HTTPS only; every other moto test speaks plain HTTP.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{run, stdout_json, Enc, Sandbox, Seeder};

fn tls_endpoint() -> String {
    std::env::var("FIREKEEPER_MOTO_TLS_ENDPOINT").expect(
        "FIREKEEPER_MOTO_TLS_ENDPOINT is not set: the launcher's HTTPS port is not running. Run the suite with ./scripts/test",
    )
}

fn test_ca() -> String {
    std::env::var("FIREKEEPER_MOTO_CA").expect("FIREKEEPER_MOTO_CA is not set: run ./scripts/test")
}

/// The HTTPS listener starts beside the plain one: wait until it accepts.
fn wait_for_listener(endpoint: &str) {
    let addr = endpoint.trim_start_matches("https://");
    let start = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the launcher's HTTPS port {addr} never accepted"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn status_over_tls(sandbox: &Sandbox, region: &str, ca: Option<&str>) -> std::process::Output {
    let endpoint = tls_endpoint();
    wait_for_listener(&endpoint);
    let mut cmd = sandbox.command();
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["--endpoint-url", &endpoint, "--region", region])
        .args(["status", "--output", "json"]);
    if let Some(ca) = ca {
        // rustls-native-certs reads SSL_CERT_FILE, as OpenSSL does.
        cmd.env("SSL_CERT_FILE", ca);
    }
    run(&mut cmd)
}

#[tokio::test]
async fn status_reads_the_fleet_over_https_with_the_certificate_verified() {
    let region = "ap-east-1";
    let seed = Seeder::new(region).await;
    let key = seed.key(Some("alias/over-tls")).await;
    seed.direct_put("tls-orders", Enc::Customer(&key)).await;

    let sandbox = Sandbox::new();
    let out = status_over_tls(&sandbox, region, Some(&test_ca()));
    let report = stdout_json(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let streams = report["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 1, "{report:#}");
    assert_eq!(streams[0]["name"], "tls-orders");
    assert_eq!(streams[0]["encryption"]["key_alias"], "alias/over-tls");
}

#[tokio::test]
async fn a_certificate_no_root_vouches_for_is_refused_not_trusted() {
    let sandbox = Sandbox::new();
    let out = status_over_tls(&sandbox, "ap-east-1", None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("certificate"), "{err}");
    assert!(out.stdout.is_empty() || !String::from_utf8_lossy(&out.stdout).contains("tls-orders"));
}
