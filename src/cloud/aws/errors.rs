//! AWS's errors and answers in words the person at the terminal can act on.

use aws_sdk_firehose::config::http::HttpResponse;
use aws_sdk_firehose::error::{ProvideErrorMetadata, SdkError};
use aws_types::request_id::RequestId;

use super::AwsCloud;
use crate::cloud::{CallAnswer, CloudError};

impl AwsCloud {
    /// Where a service's calls go, as the user would recognise it.
    pub(super) fn endpoint(&self, service: &str) -> &str {
        self.endpoints.get(service)
    }

    /// Turns any SDK error into one the person at the terminal can act on.
    /// `service` and `operation` name what was asked, for "no answer" messages.
    pub(super) fn fail<E>(
        &self,
        service: &str,
        operation: &str,
        err: SdkError<E, HttpResponse>,
    ) -> CloudError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let no_answer = || {
            CloudError::NoAnswer(format!(
                "{} ({service} {operation}) within {} s: it did not answer. Check the network, --region and --endpoint-url",
                self.endpoint(service),
                self.call_timeout.as_secs()
            ))
        };
        let text = chain(&err);
        let credentials = text.to_lowercase().contains("credentials");
        match &err {
            SdkError::ServiceError(service_err) => {
                let code = err.code().unwrap_or("").to_string();
                let message = err.message().unwrap_or(&code).to_string();
                let status = service_err.raw().status();
                if status.is_server_error() {
                    let code = if code.is_empty() {
                        format!("HTTP {}", status.as_u16())
                    } else {
                        code
                    };
                    return CloudError::Server(if message.is_empty() {
                        code
                    } else {
                        format!("{code}: {message}")
                    });
                }
                classify(&code, message)
            }
            // Only a failure before the request was built can be about
            // credentials: a send refused as "credentials" gives its quota
            // slot back, which must never happen to a request that may have
            // left. Timeouts, dispatch and response errors stay unclear.
            SdkError::ConstructionFailure(_) if credentials => {
                CloudError::Credentials(first_line(&text))
            }
            SdkError::TimeoutError(_) => no_answer(),
            SdkError::DispatchFailure(d) if d.is_timeout() => no_answer(),
            // The credential chain fails in the dispatch phase, before any
            // connection (an "other" connector error); an I/O error may
            // have come after the request left, so it is never this.
            SdkError::DispatchFailure(d) if d.is_other() && credentials => {
                CloudError::Credentials(first_line(&text))
            }
            SdkError::DispatchFailure(_) => CloudError::Unreachable(first_line(&text)),
            _ => CloudError::Other(first_line(&text)),
        }
    }
}

impl AwsCloud {
    /// What a Start, Stop or key rotation came to, with AWS's request id
    /// when it answered.
    pub(super) fn answer<O, E>(
        &self,
        service: &str,
        operation: &str,
        sent: Result<O, SdkError<E, HttpResponse>>,
    ) -> CallAnswer
    where
        O: RequestId,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match sent {
            Ok(out) => CallAnswer::answered(Ok(()), out.request_id().map(str::to_string)),
            Err(err) => {
                let request_id = err.request_id().map(str::to_string);
                let answered =
                    matches!(err, SdkError::ServiceError(_) | SdkError::ResponseError(_));
                let code = match &err {
                    SdkError::ServiceError(_) => err.code().map(str::to_string),
                    _ => None,
                };
                CallAnswer {
                    result: Err(self.fail(service, operation, err)),
                    request_id,
                    answered,
                    code,
                }
            }
        }
    }
}

pub(super) fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).to_string()
}

/// The error and its causes, "outer: inner: innermost", without debug dumps.
pub(super) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
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
