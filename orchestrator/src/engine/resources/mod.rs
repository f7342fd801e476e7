//! One module per kind of AWS resource the hub holds: bucket (with its policy and the prefix
//! marker), KMS key (with alias and key policy), SNS topic (with its policy), bucket notification,
//! organization trail, the hub role and its managed policies; and in each member account
//! (`member.rs`) the member role, the detector of each Region and its publishing destination,
//! whose work `account-worker` does.
//!
//! Every resource value knows its [`Place`] (the clients of its account, its Region, the run's
//! mode) and offers the same operations: `read` (current state, or absent), `ensure` (plan or
//! apply: compare with what the configuration wants and write only what differs, through the
//! shared read-merge-write-read-back loop for policies) and `remove` (what offboard does to it:
//! only what the product created or added). Phases (`hub.rs`, `patch.rs`, `verify.rs`,
//! `offboard.rs`) decide the order; they never talk to AWS about these resources themselves.

pub(crate) mod bucket;
pub(crate) mod hardening;
pub(crate) mod key;
pub(crate) mod log_options;
pub(crate) mod managed_policy;
pub(crate) mod member;
pub(crate) mod notification;
pub(crate) mod role;
pub(crate) mod shared;
pub(crate) mod stackset;
pub(crate) mod topic;
pub(crate) mod trail;

use account_worker::{Consistency, MANAGED_TAG_KEY, MANAGED_TAG_VALUE, Mode};
use policy_model::{AccountId, Partition, Region};

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::aws::AccountClients;
use crate::outcome::ResourceStatus;

/// Control Tower's resources (trail, bucket, topics) start with this; its mandatory guardrails
/// deny changing them (`aws-facts.md`, "Landing zones").
pub(crate) const CONTROL_TOWER_PREFIX: &str = "aws-controltower";

/// Where a resource lives (the clients of its account, its Region) and how the run treats it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place<'a> {
    /// Clients with the credentials of the resource's account.
    pub(crate) clients: &'a AccountClients,
    /// The resource's account.
    pub(crate) account: &'a AccountId,
    /// The resource's Region (IAM: the Region whose endpoint signs).
    pub(crate) region: &'a Region,
    /// Plan (read only) or apply.
    pub(crate) mode: Mode,
    /// How long writes wait for principals and policies to become visible.
    pub(crate) consistency: &'a Consistency,
}

impl Place<'_> {
    /// The partition of the resource's Region.
    pub(crate) fn partition(&self) -> Partition {
        self.region.partition()
    }

    /// True when the run may write.
    pub(crate) fn apply(&self) -> bool {
        self.mode == Mode::Apply
    }

    /// `done` in apply mode, `Planned` in a plan.
    pub(crate) fn status(&self, done: ResourceStatus) -> ResourceStatus {
        if self.apply() {
            done
        } else {
            ResourceStatus::Planned
        }
    }
}

/// True when `tags` carry the product's tag (offboard deletes only such resources).
pub(crate) fn tagged(tags: impl IntoIterator<Item = (String, String)>) -> bool {
    tags.into_iter()
        .any(|(k, v)| k == MANAGED_TAG_KEY && v == MANAGED_TAG_VALUE)
}

/// The answer of a read for which AWS's "not found" means the resource is absent: `None` then,
/// the answer otherwise; any other error stops the hub step (naming `resource`).
pub(crate) fn found<T, E, R>(
    op: &'static str,
    resource: &str,
    answer: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, super::EngineError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match answer {
        Ok(out) => Ok(Some(out)),
        Err(e) => {
            let err = account_worker::WorkerError::from_sdk(op, &e);
            if err.is_not_found() {
                Ok(None)
            } else {
                Err(super::common::hub_worker(resource)(err))
            }
        }
    }
}

/// The answer of a read of a configuration that may not be set (S3 answers a code of its own
/// for each: `NoSuchTagSet`, `NoSuchLifecycleConfiguration`, ...): `None` when the error's code
/// is one of `unset_codes`, the answer otherwise; any other error stops the hub step.
pub(crate) fn unset<T, E, R>(
    op: &'static str,
    resource: &str,
    unset_codes: &[&str],
    answer: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, super::EngineError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match answer {
        Ok(out) => Ok(Some(out)),
        Err(e)
            if e.as_service_error()
                .and_then(ProvideErrorMetadata::code)
                .is_some_and(|c| unset_codes.contains(&c)) =>
        {
            Ok(None)
        }
        Err(e) => Err(super::common::hub_sdk(op, resource)(e)),
    }
}

/// A builder error of the SDK (a required field missing), as a worker error.
pub(crate) fn build_err(op: &str, e: impl std::fmt::Display) -> account_worker::WorkerError {
    account_worker::WorkerError::new(
        account_worker::ErrorKind::Other,
        op,
        "BuildError",
        e.to_string(),
    )
}

/// A configuration value that cannot form a valid name or ARN.
pub(crate) fn invalid(what: &str, e: impl std::fmt::Display) -> super::EngineError {
    super::EngineError::Preflight {
        message: format!("{what} is not valid: {e}; fix it in onboard.toml"),
    }
}
