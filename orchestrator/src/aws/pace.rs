//! Client-side rate limiting: governor limiters keyed per (service, account), plus global ones
//! for the hub's STS and Organizations calls.
//!
//! AWS throttles per account and per service; pacing ourselves below those rates keeps the SDK's
//! retries (and their backoff) for the rare cases, instead of provoking them on every large run.
//!
//! **Architecture Invariant:** nothing calls the pacer by hand. Every SDK client of
//! [`super::SdkFactory`] sends its requests through a paced HTTP connector that knows the
//! client's service and account, so no call (and no retry attempt) can forget its wait.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Jitter, Quota, RateLimiter};

/// A service the pacer keys on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// IAM (global, per account).
    Iam,
    /// GuardDuty (per account; the key does not include the Region, which is conservative).
    GuardDuty,
    /// STS calls made inside an account.
    Sts,
    /// S3 calls.
    S3,
    /// KMS calls.
    Kms,
    /// SNS calls.
    Sns,
    /// CloudTrail calls.
    CloudTrail,
    /// Any other service.
    Other,
}

/// The limiter one client's requests wait on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Limit {
    /// Keyed per (service, account).
    Account(Service, String),
    /// The caller's STS calls (`sts:AssumeRole` of every member account), all together.
    HubSts,
    /// The caller's Organizations calls, all together.
    Organizations,
}

impl Limit {
    /// The limiter of a client of `service` (the SDK's service name, e.g. `iam`) that uses the
    /// credentials of `account`; `caller` is true for the caller's own clients.
    pub(crate) fn of(service: &str, account: &str, caller: bool) -> Self {
        let keyed = |s| Limit::Account(s, account.to_owned());
        match service {
            "organizations" => Limit::Organizations,
            "sts" if caller => Limit::HubSts,
            "sts" => keyed(Service::Sts),
            "iam" => keyed(Service::Iam),
            "guardduty" => keyed(Service::GuardDuty),
            "s3" => keyed(Service::S3),
            "kms" => keyed(Service::Kms),
            "sns" => keyed(Service::Sns),
            "cloudtrail" => keyed(Service::CloudTrail),
            _ => keyed(Service::Other),
        }
    }
}

/// Calls per second allowed by the pacer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    /// IAM calls per account.
    pub iam_per_account: u32,
    /// GuardDuty calls per account.
    pub guardduty_per_account: u32,
    /// Any other service, per account.
    pub other_per_account: u32,
    /// The hub's `sts:AssumeRole` calls, all accounts together (AWS allows 600/s).
    pub hub_sts: u32,
    /// The hub's Organizations calls (AWS's rates are low and unpublished).
    pub organizations: u32,
}

impl Default for Rates {
    fn default() -> Self {
        Self {
            iam_per_account: 10,
            guardduty_per_account: 20,
            other_per_account: 20,
            hub_sts: 200,
            organizations: 8,
        }
    }
}

fn quota(per_second: u32) -> Quota {
    // INVARIANT: a zero rate is raised to one call per second, never "no calls at all".
    Quota::per_second(NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN))
}

/// The run's rate limiters.
#[derive(Debug)]
pub struct Pacer {
    iam: DefaultKeyedRateLimiter<String>,
    guardduty: DefaultKeyedRateLimiter<String>,
    other: DefaultKeyedRateLimiter<(Service, String)>,
    hub_sts: DefaultDirectRateLimiter,
    organizations: DefaultDirectRateLimiter,
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new(Rates::default())
    }
}

/// Small jitter so that many accounts released together do not hit AWS in lockstep.
fn jitter() -> Jitter {
    Jitter::up_to(Duration::from_millis(5))
}

impl Pacer {
    /// Limiters with these rates.
    pub fn new(rates: Rates) -> Self {
        Self {
            iam: RateLimiter::keyed(quota(rates.iam_per_account)),
            guardduty: RateLimiter::keyed(quota(rates.guardduty_per_account)),
            other: RateLimiter::keyed(quota(rates.other_per_account)),
            hub_sts: RateLimiter::direct(quota(rates.hub_sts)),
            organizations: RateLimiter::direct(quota(rates.organizations)),
        }
    }

    /// Waits until one request under `limit` is allowed.
    pub(crate) async fn wait_for(&self, limit: &Limit) {
        match limit {
            Limit::Account(service, account) => self.wait(*service, account).await,
            Limit::HubSts => self.wait_hub_sts().await,
            Limit::Organizations => self.wait_organizations().await,
        }
    }

    /// Waits until one call of `service` in `account` is allowed.
    async fn wait(&self, service: Service, account: &str) {
        match service {
            Service::Iam => {
                self.iam
                    .until_key_ready_with_jitter(&account.to_owned(), jitter())
                    .await
            }
            Service::GuardDuty => {
                self.guardduty
                    .until_key_ready_with_jitter(&account.to_owned(), jitter())
                    .await
            }
            other => {
                self.other
                    .until_key_ready_with_jitter(&(other, account.to_owned()), jitter())
                    .await
            }
        }
    }

    /// Waits until one `sts:AssumeRole` of the hub is allowed.
    async fn wait_hub_sts(&self) {
        self.hub_sts.until_ready_with_jitter(jitter()).await;
    }

    /// Waits until one Organizations call is allowed.
    async fn wait_organizations(&self) {
        self.organizations.until_ready_with_jitter(jitter()).await;
    }
}
