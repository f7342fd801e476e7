//! Typed, lossless AWS policy documents and everything the product computes on them, with no
//! I/O and no AWS SDK.
//!
//! - [`PolicyDocument`] / [`Statement`]: parse what AWS returns (plain or URL-encoded JSON),
//!   keep it losslessly, serialize it back; semantic equality.
//! - Ownership patches on [`PolicyDocument`]: the product only changes statements whose Sid
//!   starts with [`OWNED_SID_PREFIX`]; foreign statements keep their content and position.
//! - [`arn`]: validated ARNs and identifiers. [`builders`]: every policy the product writes.
//! - [`size`]: measuring as AWS does. [`planner`]: the most precise form that fits.
//! - [`diff()`]: a structured diff for the plan output.
//! - [`template`]: the CloudFormation template of the member role's StackSet, from the same
//!   documents as the member role the fan-out creates.

pub mod arn;
pub mod builders;
mod diff;
mod document;
mod error;
pub mod planner;
pub mod regions;
pub mod size;
mod statement;
pub mod template;

pub use arn::{
    AccountId, Arn, ArnError, BucketName, DetectorId, ExternalId, KmsAlias, OrgId, Partition,
    Region,
};
pub use diff::{FieldValues, PolicyDiff, StatementChange, diff};
pub use document::{POLICY_VERSION, PolicyDocument, REDACTED};
pub use error::{ParseError, PatchError};
pub use planner::{PlanError, PolicyForm, SizeDecision};
pub use size::{PolicyKind, SizeError};
pub use statement::{Effect, Statement, is_owned_sid};

/// Radiant Security's own principal, the one that assumes the hub role (the seed documents
/// name it). It is a fixed identity of Radiant's in the commercial partition, not an ARN the
/// product builds; `radiant.principal_arn` replaces it where Radiant gives another.
pub const RADIANT_PRINCIPAL: &str =
    "arn:aws:sts::649384204969:assumed-role/tenant-aws-access-role/radiant-security";

/// Every statement the product writes has a Sid starting with this prefix; statements without
/// it are foreign and never changed.
pub const OWNED_SID_PREFIX: &str = "RadiantOnboard";
