//! Classification of AWS errors into the kinds the report shows.
//!
//! The SDK's error types never leave this crate's public API: every failure becomes a
//! [`WorkerError`] that carries an [`ErrorKind`], the AWS error code and AWS's message.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;

/// What went wrong, in the terms the report and the exit code use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The service throttled us and the SDK's retries were exhausted.
    Throttled,
    /// The caller lacks a permission (IAM policy or resource policy).
    AccessDenied,
    /// A service control policy denies the call.
    ScpDenied,
    /// The Region is not enabled for the account (opt-in Region) or the token is not valid there.
    RegionDisabled,
    /// The account is suspended or closing.
    Suspended,
    /// The resource is in a state that does not allow the call.
    InvalidState,
    /// A quota or document size limit was hit.
    LimitExceeded,
    /// The resource does not exist.
    NotFound,
    /// A transport failure, timeout or any other error.
    Other,
}

/// One failed AWS call, classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{operation} failed ({code}): {message}")]
pub struct WorkerError {
    /// The classification.
    pub kind: ErrorKind,
    /// The API operation, e.g. `iam:CreateRole`.
    pub operation: String,
    /// The AWS error code, or a short transport description.
    pub code: String,
    /// AWS's message (or the transport error's text).
    pub message: String,
}

impl WorkerError {
    /// Builds an error that did not come from the SDK (e.g. a size plan that cannot fit).
    pub fn new(kind: ErrorKind, operation: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            kind,
            operation: operation.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// Converts an SDK error of `operation` into a classified error.
    pub fn from_sdk<E, R>(operation: &str, err: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let status = format!("{:?}", service.raw());
                let code = e.code().map(str::to_owned).unwrap_or_else(|| {
                    // An error without a modelled code: keep the HTTP status for the report.
                    status
                        .split("StatusCode(")
                        .nth(1)
                        .and_then(|s| s.split(')').next())
                        .map_or_else(|| "Unknown".to_owned(), |s| format!("Http{s}"))
                });
                let message = match e.message() {
                    Some(m) if !m.is_empty() => m.to_owned(),
                    _ => aws_smithy_types::error::display::DisplayErrorContext(e).to_string(),
                };
                let kind = classify(&code, &message);
                Self {
                    kind,
                    operation: operation.to_owned(),
                    code,
                    message,
                }
            }
            SdkError::TimeoutError(_) => {
                Self::new(ErrorKind::Other, operation, "Timeout", "the call timed out")
            }
            SdkError::DispatchFailure(d) => {
                let message = format!("{d:?}");
                Self::new(ErrorKind::Other, operation, "DispatchFailure", message)
            }
            SdkError::ResponseError(r) => Self::new(
                ErrorKind::Other,
                operation,
                "ResponseError",
                format!("{r:?}"),
            ),
            other => {
                let code = other.code().unwrap_or("Unknown").to_owned();
                let message = other
                    .message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{other}"));
                let kind = classify(&code, &message);
                Self {
                    kind,
                    operation: operation.to_owned(),
                    code,
                    message,
                }
            }
        }
    }

    /// True when the error code says the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }
}

/// Classifies an AWS error code and message.
///
/// SCP denials are AccessDenied errors whose message names a service control policy; they are
/// reported apart because the fix is in the organization, not in the account.
pub fn classify(code: &str, message: &str) -> ErrorKind {
    let lower = message.to_ascii_lowercase();
    match code {
        "Throttling"
        | "ThrottlingException"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "SlowDown"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "ProvisionedThroughputExceededException"
        | "PriorRequestNotComplete"
        | "ConcurrentModificationException" => ErrorKind::Throttled,
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "AuthorizationError"
        | "Forbidden" => {
            if lower.contains("service control policy")
                || lower.contains("explicit deny in a service control")
            {
                ErrorKind::ScpDenied
            } else {
                ErrorKind::AccessDenied
            }
        }
        "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "OptInRequired"
        | "RegionDisabledException"
        | "AuthFailure" => {
            if lower.contains("suspended") {
                ErrorKind::Suspended
            } else {
                ErrorKind::RegionDisabled
            }
        }
        "AccountSuspendedException" | "AccountNotFoundException" if lower.contains("suspend") => {
            ErrorKind::Suspended
        }
        "LimitExceeded"
        | "LimitExceededException"
        | "ServiceQuotaExceededException"
        | "MalformedPolicyDocument"
        | "PolicySizeLimitExceeded"
        | "TooManyTagsException" => {
            if code == "MalformedPolicyDocument" && !lower.contains("size") {
                ErrorKind::Other
            } else {
                ErrorKind::LimitExceeded
            }
        }
        "NoSuchEntity"
        | "NoSuchBucket"
        | "NoSuchKey"
        | "NotFoundException"
        | "NotFound"
        | "ResourceNotFoundException"
        | "TrailNotFoundException"
        | "NoSuchBucketPolicy"
        | "StackSetNotFoundException"
        | "OperationNotFoundException"
        | "AccountNotFoundException" => ErrorKind::NotFound,
        "InvalidStateException"
        | "IncorrectStateException"
        | "BadRequestException"
        | "InvalidRequestException"
        | "KMSInvalidStateException"
        | "AWSOrganizationsNotInUseException"
        | "EntityAlreadyExists"
        | "InvalidArgument"
        | "OperationAborted" => ErrorKind::InvalidState,
        _ => {
            if lower.contains("service control policy") {
                ErrorKind::ScpDenied
            } else if lower.contains("not authorized") || lower.contains("access denied") {
                ErrorKind::AccessDenied
            } else if lower.contains("suspended") {
                ErrorKind::Suspended
            } else if lower.contains("throttl") || lower.contains("rate exceeded") {
                ErrorKind::Throttled
            } else {
                ErrorKind::Other
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_codes_of_every_service_are_throttled() {
        for code in [
            "Throttling",
            "ThrottlingException",
            "TooManyRequestsException",
            "SlowDown",
        ] {
            assert_eq!(
                classify(code, "Rate exceeded"),
                ErrorKind::Throttled,
                "{code}"
            );
        }
    }

    #[test]
    fn scp_denial_is_told_apart_from_a_plain_access_denial() {
        let scp = "User: arn:aws:sts::1:assumed-role/x is not authorized to perform: \
                   guardduty:CreateDetector with an explicit deny in a service control policy";
        assert_eq!(classify("AccessDeniedException", scp), ErrorKind::ScpDenied);
        assert_eq!(
            classify(
                "AccessDenied",
                "User is not authorized to perform: iam:CreateRole"
            ),
            ErrorKind::AccessDenied
        );
    }

    #[test]
    fn missing_resources_and_limits() {
        assert_eq!(
            classify("NoSuchEntity", "role not found"),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify("LimitExceeded", "Cannot exceed quota"),
            ErrorKind::LimitExceeded
        );
        assert_eq!(
            classify("OptInRequired", "region not enabled"),
            ErrorKind::RegionDisabled
        );
        assert_eq!(classify("Mystery", "something odd"), ErrorKind::Other);
    }
}
