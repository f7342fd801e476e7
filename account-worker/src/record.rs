//! What the worker did or would do, as data (the orchestrator's report embeds these).

use serde::Serialize;

/// What happened to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceStatus {
    /// Created by this run.
    Created,
    /// Existed and was changed.
    Updated,
    /// Existed and already matched.
    Unchanged,
    /// Removed (offboard).
    Deleted,
    /// Would be created, updated or deleted (plan).
    Planned,
    /// Left alone, with a reason.
    Skipped,
    /// The step failed.
    Failed,
}

/// Kind of a [`Change`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeAction {
    /// A new resource.
    Create,
    /// A changed resource or document.
    Update,
    /// A removed resource or statement.
    Delete,
}

/// One change, made or intended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The resource's ARN (a policy's owner: bucket, key, role, ...).
    pub resource: String,
    /// Create, update or delete.
    pub action: ChangeAction,
    /// The document or settings before (absent for a create).
    pub before: Option<serde_json::Value>,
    /// The document or settings after (absent for a delete).
    pub after: Option<serde_json::Value>,
    /// Statement-level diff of a policy document.
    pub diff: Option<policy_model::PolicyDiff>,
    /// Why the change is needed.
    pub reason: Option<String>,
}

impl Change {
    /// A policy document change with its statement-level diff.
    pub fn policy(
        resource: impl Into<String>,
        before: Option<&policy_model::PolicyDocument>,
        after: &policy_model::PolicyDocument,
        reason: impl Into<String>,
    ) -> Change {
        let empty = policy_model::PolicyDocument::new();
        Change {
            resource: resource.into(),
            action: if before.is_some() {
                ChangeAction::Update
            } else {
                ChangeAction::Create
            },
            before: before.map(policy_model::PolicyDocument::to_value),
            after: Some(after.to_value()),
            diff: Some(policy_model::diff(before.unwrap_or(&empty), after)),
            reason: Some(reason.into()),
        }
    }

    /// A change without a diff.
    pub fn new(
        resource: impl Into<String>,
        action: ChangeAction,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            resource: resource.into(),
            action,
            before,
            after,
            diff: None,
            reason: Some(reason.into()),
        }
    }
}

/// What was done (or intended) to one resource, in a member account or in the hub: the one
/// record of "what happened" the reports carry (the report's `action` and `hub_resource`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionRecord {
    /// ARN or name.
    pub resource: String,
    /// The kind of resource (`s3-bucket`, `kms-key-policy`, ...), for hub resources.
    pub kind: Option<String>,
    /// The Region, for regional resources of an account.
    pub region: Option<String>,
    /// What happened.
    pub status: ResourceStatus,
    /// Extra facts.
    pub detail: Option<String>,
    /// The failure, when `status` is `failed`.
    pub error: Option<ErrorRecord>,
}

impl ActionRecord {
    /// A record of a resource in an account.
    pub fn new(
        resource: impl Into<String>,
        region: Option<&str>,
        status: ResourceStatus,
        detail: Option<String>,
    ) -> Self {
        Self {
            resource: resource.into(),
            kind: None,
            region: region.map(str::to_owned),
            status,
            detail,
            error: None,
        }
    }

    /// A record of a hub resource of `kind`.
    pub fn hub(
        resource: impl Into<String>,
        kind: &str,
        status: ResourceStatus,
        detail: Option<String>,
    ) -> Self {
        Self {
            resource: resource.into(),
            kind: Some(kind.to_owned()),
            region: None,
            status,
            detail,
            error: None,
        }
    }
}

/// A classified failure with AWS's own message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorRecord {
    /// The classification.
    pub kind: crate::ErrorKind,
    /// The failed operation, e.g. `iam:CreateRole`.
    pub operation: String,
    /// AWS's error code.
    pub code: String,
    /// AWS's message.
    pub message: String,
}

impl From<&crate::WorkerError> for ErrorRecord {
    fn from(e: &crate::WorkerError) -> Self {
        Self {
            kind: e.kind,
            operation: e.operation.clone(),
            code: e.code.clone(),
            message: e.message.clone(),
        }
    }
}

/// Actions and changes collected by one step.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Journal {
    /// Per-resource records.
    pub actions: Vec<ActionRecord>,
    /// Changes made or intended.
    pub changes: Vec<Change>,
}

impl Journal {
    /// Appends another journal.
    pub fn extend(&mut self, other: Journal) {
        self.actions.extend(other.actions);
        self.changes.extend(other.changes);
    }

    /// True when a change was made or is intended.
    pub fn changed(&self) -> bool {
        !self.changes.is_empty()
    }
}
