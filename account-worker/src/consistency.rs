//! Bounded, jittered retries for IAM's eventual consistency (never fixed sleeps).
//!
//! A role created a moment ago may be rejected as a principal (by IAM, KMS, S3 or GuardDuty) for
//! a few seconds, and a bucket or key policy just written may not yet admit a new detector. Only
//! those specific errors are retried, with exponential backoff and full jitter, a bounded number
//! of times; anything else is returned at once.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use crate::error::WorkerError;

/// Attempts for an eventually consistent step (the first one included).
pub const CONSISTENCY_ATTEMPTS: u32 = 8;
const BASE: Duration = Duration::from_millis(100);
const CAP: Duration = Duration::from_secs(4);

/// True for errors that mean "a principal or policy written a moment ago is not visible yet".
pub fn is_propagation_error(err: &WorkerError) -> bool {
    let msg = err.message.to_ascii_lowercase();
    match err.code.as_str() {
        // iam:CreateRole / UpdateAssumeRolePolicy naming a fresh role.
        "MalformedPolicyDocument" => msg.contains("invalid principal"),
        // kms:PutKeyPolicy naming a fresh role.
        "MalformedPolicyDocumentException" => msg.contains("principal"),
        // s3:PutBucketPolicy naming a fresh role.
        "MalformedPolicy" => msg.contains("invalid principal"),
        // guardduty:CreatePublishingDestination before the bucket/key policy is visible.
        "BadRequestException" => {
            msg.contains("permission") || msg.contains("not have proper") || msg.contains("kms")
        }
        // sts:AssumeRole of a fresh role.
        "AccessDenied" => msg.contains("not authorized to perform: sts:assumerole"),
        _ => false,
    }
}

/// Runs `op` until it succeeds, fails with an error `retryable` rejects, or the attempts run out.
pub async fn with_propagation_retries<T, F, Fut>(
    mut op: F,
    retryable: impl Fn(&WorkerError) -> bool,
) -> Result<T, WorkerError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, WorkerError>>,
{
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt < CONSISTENCY_ATTEMPTS && retryable(&e) => {
                tokio::time::sleep(backoff(attempt)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Full-jitter exponential backoff: uniform in `[0, min(CAP, BASE * 2^attempt)]`.
fn backoff(attempt: u32) -> Duration {
    let ceiling = BASE
        .saturating_mul(1u32 << attempt.min(16))
        .min(CAP)
        .as_millis();
    let ceiling = u64::try_from(ceiling).unwrap_or(u64::MAX).max(1);
    Duration::from_millis(rand::rng().random_range(0..=ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn only_propagation_errors_are_retried() {
        let fresh = WorkerError::new(
            ErrorKind::Other,
            "iam:CreateRole",
            "MalformedPolicyDocument",
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::1:role/x\"",
        );
        assert!(is_propagation_error(&fresh));
        let syntax = WorkerError::new(
            ErrorKind::Other,
            "iam:CreateRole",
            "MalformedPolicyDocument",
            "Syntax errors in policy",
        );
        assert!(!is_propagation_error(&syntax));
    }

    #[test]
    fn backoff_is_bounded() {
        for attempt in 1..40 {
            assert!(backoff(attempt) <= CAP);
        }
    }
}
