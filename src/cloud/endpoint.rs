//! Where AWS calls go: checks of endpoint URLs, shared by the flag and the
//! environment variables, so that a bad one is refused with a message rather
//! than reaching the SDK. Region names are checked in `model`, below the
//! config file that lists them too.

/// An endpoint the AWS SDK can send to: an absolute http or https URL with a
/// host. The SDK panics on an empty one and dumps its request on a relative
/// one, so both are refused here, for the flag and the variables alike.
pub fn url(value: &str) -> Result<String, String> {
    const USE: &str =
        "use an absolute http:// or https:// URL with a host, like http://localhost:4566";
    if value.is_empty() {
        return Err(format!("the endpoint is empty: {USE}"));
    }
    let uri: http::Uri = value
        .parse()
        .map_err(|e| format!("not a URL ({e}): {USE}"))?;
    let http = uri
        .scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"));
    if !http {
        return Err(format!("not an http or https URL: {USE}"));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("the URL names no host: {USE}"));
    }
    // `http::Uri` keeps a port it cannot read as "no port".
    let authority = uri.authority().map_or("", |a| a.as_str());
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let port = host_port.rsplit_once(']').map_or(host_port, |(_, p)| p);
    if port.contains(':') && uri.port_u16().is_none() {
        return Err(format!("the port is not a port number: {USE}"));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_absolute_http_urls_with_a_host() {
        for good in [
            "http://localhost:4566",
            "https://firehose.eu-west-1.amazonaws.com",
            "http://127.0.0.1:9/",
            "http://[::1]:4566",
            "HTTPS://example.com/path?x=1",
            "http://user:secret@host",
        ] {
            assert_eq!(url(good).as_deref(), Ok(good));
        }
        for bad in [
            "",
            " ",
            "notaurl",
            "localhost:4566",
            "ftp://host",
            "http://",
            "http:///path",
            "http://host:99999",
            "http://host:port",
            "http://[::1]:70000",
            "http://a b",
            "/relative",
        ] {
            let err = url(bad).unwrap_err();
            assert!(err.contains("use an absolute http"), "{bad:?}: {err}");
        }
    }
}
