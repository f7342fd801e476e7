//! Waiting for eventual consistency by deadline, with capped exponential backoff (never fixed
//! sleeps, never a fixed number of attempts).
//!
//! A role created a moment ago may be rejected as a principal (by IAM, KMS, S3 or GuardDuty) for
//! a few seconds, and a bucket or key policy just written reaches GuardDuty's destination check
//! seconds later (the most reported race of Terraform's GuardDuty resources: "first apply fails,
//! second succeeds"). How long that takes is not published and varies, so a count of attempts is
//! the wrong bound: eight quick attempts give up after about 9 s. Only the specific errors that
//! mean "not visible yet" are retried, until a deadline measured from the write they wait for
//! ([`Consistency::timeout`], `run.consistency_timeout_s`, default 120 s); anything else is
//! returned at once.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::error::WorkerError;

/// Default time allowed for a write to become visible.
pub const DEFAULT_CONSISTENCY_TIMEOUT: Duration = Duration::from_secs(120);
const BASE: Duration = Duration::from_millis(100);
const CAP: Duration = Duration::from_secs(5);

/// Told when a step waits for consistency: what it waits for and how long it has waited so far.
pub type WaitObserver = Arc<dyn Fn(&str, Duration) + Send + Sync>;

/// How long eventually consistent steps may wait, and who hears about the waiting.
#[derive(Clone)]
pub struct Consistency {
    /// Time allowed since the write a step waits for.
    pub timeout: Duration,
    /// Called before each backoff sleep (the progress display shows it).
    pub observer: Option<WaitObserver>,
}

impl Default for Consistency {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_CONSISTENCY_TIMEOUT,
            observer: None,
        }
    }
}

impl fmt::Debug for Consistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consistency")
            .field("timeout", &self.timeout)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

impl PartialEq for Consistency {
    fn eq(&self, other: &Self) -> bool {
        self.timeout == other.timeout
    }
}

impl Eq for Consistency {}

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

/// Runs `op` until it succeeds, fails with an error `retryable` rejects, or `consistency.timeout`
/// has passed since `since` (the write `op` waits for). `what` names what is awaited, for the
/// observer (e.g. ``the bucket policy of `b` ``).
pub async fn with_propagation_retries<T, F, Fut>(
    consistency: &Consistency,
    what: &str,
    since: Instant,
    mut op: F,
    retryable: impl Fn(&WorkerError) -> bool,
) -> Result<T, WorkerError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, WorkerError>>,
{
    // tokio's clock (the same as std's unless a test pauses it).
    let since = tokio::time::Instant::from_std(since);
    let deadline = since + consistency.timeout;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if retryable(&e) => {
                let now = tokio::time::Instant::now();
                let Some(left) = deadline
                    .checked_duration_since(now)
                    .filter(|d| !d.is_zero())
                else {
                    return Err(e);
                };
                if let Some(observer) = &consistency.observer {
                    observer(what, now.saturating_duration_since(since));
                }
                tracing::debug!(what, attempt, code = %e.code, "waiting for consistency");
                tokio::time::sleep(backoff(attempt).min(left)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Capped exponential backoff with jitter: uniform in `[c/2, c]` where
/// `c = min(CAP, BASE * 2^attempt)`. The lower half keeps the attempts spaced out (a full-jitter
/// draw near zero would only burn an attempt), the cap keeps a late success seen within seconds.
fn backoff(attempt: u32) -> Duration {
    let ceiling = BASE
        .saturating_mul(1u32 << attempt.min(16))
        .min(CAP)
        .as_millis();
    let ceiling = u64::try_from(ceiling).unwrap_or(u64::MAX).max(2);
    Duration::from_millis(rand::rng().random_range(ceiling / 2..=ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fresh_role_error() -> WorkerError {
        WorkerError::new(
            ErrorKind::Other,
            "iam:CreateRole",
            "MalformedPolicyDocument",
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::1:role/x\"",
        )
    }

    #[test]
    fn only_propagation_errors_are_retried() {
        assert!(is_propagation_error(&fresh_role_error()));
        let syntax = WorkerError::new(
            ErrorKind::Other,
            "iam:CreateRole",
            "MalformedPolicyDocument",
            "Syntax errors in policy",
        );
        assert!(!is_propagation_error(&syntax));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..40 {
            assert!(backoff(attempt) <= CAP);
        }
        assert!(backoff(30) >= CAP / 2);
        assert!(backoff(1) <= BASE * 2);
    }

    #[tokio::test]
    async fn retries_until_the_deadline_not_a_count() {
        let calls = AtomicU32::new(0);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let observer_seen = Arc::clone(&seen);
        let timeout = Duration::from_millis(700);
        let consistency = Consistency {
            timeout,
            observer: Some(Arc::new(move |what: &str, waited: Duration| {
                if let Ok(mut s) = observer_seen.lock() {
                    s.push((what.to_owned(), waited));
                }
            })),
        };
        let since = Instant::now();
        let out: Result<(), _> = with_propagation_retries(
            &consistency,
            "the role `x`",
            since,
            || async {
                calls.fetch_add(1, Ordering::Relaxed);
                Err(fresh_role_error())
            },
            is_propagation_error,
        )
        .await;
        assert!(out.is_err());
        // It gives up only once the deadline has passed, never before (a count of attempts
        // could end earlier).
        assert!(since.elapsed() >= timeout);
        let n = calls.load(Ordering::Relaxed);
        assert!(n >= 2, "{n} attempts");
        let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
        assert_eq!(seen.len() as u32, n - 1, "told before every wait");
        assert!(seen.iter().all(|(w, _)| w == "the role `x`"));
        assert!(
            seen.windows(2).all(|p| p[0].1 <= p[1].1),
            "waited time grows"
        );
    }

    #[tokio::test]
    async fn a_late_success_within_the_deadline_is_taken() {
        let calls = AtomicU32::new(0);
        let out = with_propagation_retries(
            &Consistency::default(),
            "x",
            Instant::now(),
            || async {
                // Visible from the fourth attempt on.
                if calls.fetch_add(1, Ordering::Relaxed) < 3 {
                    Err(fresh_role_error())
                } else {
                    Ok(7)
                }
            },
            is_propagation_error,
        )
        .await;
        assert_eq!(out.ok(), Some(7));
        assert_eq!(calls.load(Ordering::Relaxed), 4);
    }

    #[tokio::test]
    async fn other_errors_are_returned_at_once() {
        let calls = AtomicU32::new(0);
        let out: Result<(), _> = with_propagation_retries(
            &Consistency::default(),
            "x",
            Instant::now(),
            || async {
                calls.fetch_add(1, Ordering::Relaxed);
                Err(WorkerError::new(
                    ErrorKind::AccessDenied,
                    "iam:CreateRole",
                    "AccessDenied",
                    "no",
                ))
            },
            is_propagation_error,
        )
        .await;
        assert!(out.is_err());
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }
}
