//! The onboarding engine: preflight, hub resources, discovery, fan-out, shared-policy patching,
//! publishing destinations, verify and offboard.
//!
//! Every step reads before it writes and writes only what differs, so a second run makes no
//! write call and a failed run is finished by running again. One account's failure is recorded in
//! the outcome and never stops the others. See `docs/engine.md`.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::aws::SdkFactory;
use crate::config::Config;
use crate::outcome::{ErrorKind, RunOutcome, VerifyOutcome};
use crate::progress::Progress;

/// Everything a run needs besides the configuration.
#[derive(Clone)]
pub struct RunContext {
    /// Builds every SDK client.
    pub aws: SdkFactory,
    /// Receives progress events.
    pub progress: Arc<dyn Progress>,
    /// Accounts worked on at the same time (1 to 512).
    pub concurrency: usize,
}

/// Options of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Create GuardDuty sample findings and wait for them to reach the bucket.
    pub sample_findings: bool,
    /// How long to wait for sample findings.
    pub wait: Duration,
}

/// Options of [`offboard`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OffboardOptions {
    /// Keep the hub buckets, keys and topics (and their data); remove only roles, destinations,
    /// trail and the product's policy statements.
    pub keep_data: bool,
}

/// A failure that stops the whole run (per-account failures are data in the outcome instead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// A precondition is not met; nothing was written. Exit code 3.
    #[error("preflight failed: {message}")]
    Preflight {
        /// What is wrong and what to do about it.
        message: String,
    },
    /// A hub step failed; the run cannot go on without it.
    #[error("{operation} failed on `{resource}` ({kind:?}): {message}")]
    Hub {
        /// The failed operation, e.g. `s3:PutBucketPolicy`.
        operation: String,
        /// The resource.
        resource: String,
        /// The classification.
        kind: ErrorKind,
        /// AWS's message and what to do.
        message: String,
    },
    /// A shared policy cannot fit its size limit in any form.
    #[error("the policy of `{document}` cannot fit its limit: {message}")]
    PolicySize {
        /// The document's owner.
        document: String,
        /// What to do.
        message: String,
    },
}

impl EngineError {
    /// The process exit code the CLI should use.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Preflight { .. } => 3,
            Self::Hub { .. } | Self::PolicySize { .. } => 1,
        }
    }
}

/// How GuardDuty findings of the organization reach the hub bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "mode")]
pub enum Topology {
    /// Every covered account exports its own findings.
    PerAccount,
    /// The GuardDuty delegated administrator exports for its members.
    DelegatedAdmin {
        /// The administrator account.
        admin_account_id: String,
    },
}

/// An account found in the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscoveredAccount {
    /// 12-digit ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`.
    pub status: String,
    /// Parent OU or root ID.
    pub ou: Option<String>,
    /// True for the hub account.
    pub is_hub: bool,
    /// Why the account is left out, when it is.
    pub skip_reason: Option<String>,
}

impl DiscoveredAccount {
    /// True when the run works on this account.
    pub fn included(&self) -> bool {
        self.skip_reason.is_none()
    }
}

/// The organization as the run sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discovery {
    /// `o-…`.
    pub organization_id: String,
    /// The management account.
    pub management_account_id: String,
    /// The hub account (the caller's).
    pub hub_account_id: String,
    /// Every account, in ListAccounts order.
    pub accounts: Vec<DiscoveredAccount>,
    /// How GuardDuty findings are exported.
    pub topology: Topology,
}

/// Lists the organization's accounts and decides which ones the run covers (`accounts` command).
pub async fn discover(cfg: &Config, ctx: &RunContext) -> Result<Discovery, EngineError> {
    let _ = (cfg, ctx);
    Err(EngineError::Preflight {
        message: "the engine is being built".to_owned(),
    })
}

/// Computes every change `apply` would make, without any write call.
pub async fn plan(cfg: &Config, ctx: &RunContext) -> Result<RunOutcome, EngineError> {
    let _ = (cfg, ctx);
    Err(EngineError::Preflight {
        message: "the engine is being built".to_owned(),
    })
}

/// Onboards the organization.
pub async fn apply(cfg: &Config, ctx: &RunContext) -> Result<RunOutcome, EngineError> {
    let _ = (cfg, ctx);
    Err(EngineError::Preflight {
        message: "the engine is being built".to_owned(),
    })
}

/// Checks that everything is in place and working.
pub async fn verify(
    cfg: &Config,
    ctx: &RunContext,
    opts: &VerifyOptions,
) -> Result<VerifyOutcome, EngineError> {
    let _ = (cfg, ctx, opts);
    Err(EngineError::Preflight {
        message: "the engine is being built".to_owned(),
    })
}

/// Removes what the product created or added, in reverse order.
pub async fn offboard(
    cfg: &Config,
    ctx: &RunContext,
    opts: &OffboardOptions,
) -> Result<RunOutcome, EngineError> {
    let _ = (cfg, ctx, opts);
    Err(EngineError::Preflight {
        message: "the engine is being built".to_owned(),
    })
}
