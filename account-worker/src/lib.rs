//! What radiant-onboard does inside one account after assuming a role: the member role, the
//! GuardDuty detector of each Region and its publishing destination.
//!
//! **Architecture Invariant:** this crate never prints and never writes policy JSON by hand:
//! documents come from `policy-model`. Every function reads before it writes and, in
//! [`Mode::Plan`], makes no write call at all.

mod consistency;
mod error;
mod guardduty;
mod record;
mod role;

pub use consistency::{
    Consistency, DEFAULT_CONSISTENCY_TIMEOUT, WaitObserver, is_propagation_error,
    with_propagation_retries,
};
pub use error::{ErrorKind, WorkerError, classify};
pub use guardduty::{
    DestinationReport, DestinationSpec, DetectorReport, DetectorSpec, ExistingDestination,
    PREVIOUS_SETTINGS_TAG, ensure_destination, ensure_detector, exports_to, is_ours,
    read_destinations, remove_guardduty,
};
pub use record::{ActionRecord, Change, ChangeAction, ErrorRecord, Journal, ResourceStatus};
pub use role::{
    DEPLOYMENT_TAG_KEY, DEPLOYMENT_TAG_STACKSET, MemberRoleSpec, RoleOrigin, RoleReport,
    ensure_member_role, member_role_origin, remove_member_role, verify_member_role,
};

use policy_model::PolicyDocument;

/// Tag the product puts on resources it creates (roles, detectors, destinations); offboarding
/// deletes only resources that carry it.
pub const MANAGED_TAG_KEY: &str = "radiant-onboard";
/// Value of [`MANAGED_TAG_KEY`].
pub const MANAGED_TAG_VALUE: &str = "managed";

/// Whether a step may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Read-only: changes are computed and returned, nothing is written.
    Plan,
    /// Writes what differs.
    Apply,
}

/// True when `current` already holds the product's statements exactly as `desired` has them, so
/// that [`merge_owned`] would change nothing: the one rule by which `ensure` decides to write a
/// policy and `verify` decides that it is as configured (the two cannot disagree).
pub fn is_current(current: &PolicyDocument, desired: &PolicyDocument) -> bool {
    merge_owned(current, desired).semantically_equal(current)
}

/// `current` with the product's statements set to those of `desired`: foreign statements keep
/// their content and position, owned statements absent from `desired` are removed, the others
/// are replaced or appended.
pub fn merge_owned(current: &PolicyDocument, desired: &PolicyDocument) -> PolicyDocument {
    let mut merged = current.clone();
    let wanted: Vec<&str> = desired.owned_statements().filter_map(|s| s.sid()).collect();
    let stale: Vec<String> = merged
        .owned_statements()
        .filter_map(|s| s.sid())
        .filter(|sid| !wanted.contains(sid))
        .map(str::to_owned)
        .collect();
    for sid in stale {
        // INVARIANT: `sid` is owned (it came from `owned_statements`), so removal cannot fail.
        let _ = merged.remove_statement(&sid);
    }
    for stmt in desired.owned_statements() {
        // Owned Sids are valid for ensure_statement; a duplicate Sid in `current` is left as is.
        let _ = merged.ensure_statement(stmt.clone());
    }
    merged
}
