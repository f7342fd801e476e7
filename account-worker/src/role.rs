//! The member role: created with the trust and inline permissions policies the orchestrator built
//! (with policy-model), or adopted and merged when it already exists.

use aws_sdk_iam::types::Tag;
use policy_model::{Partition, PolicyDocument};

use std::time::Instant;

use crate::consistency::{Consistency, is_propagation_error, with_propagation_retries};
use crate::error::{ErrorKind, WorkerError};
use crate::record::{ActionRecord, Change, ChangeAction, Journal, ResourceStatus};
use crate::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE, Mode, is_current, merge_owned};

/// The member role to ensure in one account.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRoleSpec {
    /// Role name (e.g. `radiant-aws-member-role`).
    pub role_name: String,
    /// Name of the inline permissions policy.
    pub policy_name: String,
    /// Trust policy: the hub role with the ExternalId condition.
    pub trust: PolicyDocument,
    /// Inline permissions policy.
    pub permissions: PolicyDocument,
    /// How long IAM may take to accept the (fresh) hub role as the trust's principal.
    pub consistency: Consistency,
    /// The partition of the organization (the member role's ARN).
    pub partition: Partition,
}

/// What [`ensure_member_role`] found and did.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleReport {
    /// The role's ARN.
    pub arn: String,
    /// True when this run created (or, in plan mode, would create) the role.
    pub created: bool,
    /// Who made the role that exists (`None` when this run creates it): a role of the
    /// product's StackSet is left to the StackSet (the caller decides the switch).
    pub origin: Option<RoleOrigin>,
    /// Records and changes.
    pub journal: Journal,
}

fn sdk<E, R>(
    op: &str,
) -> impl Fn(aws_smithy_runtime_api::client::result::SdkError<E, R>) -> WorkerError + '_
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    move |e| WorkerError::from_sdk(op, &e)
}

/// Parses a policy IAM returned (URL-encoded in `GetRole` and `GetRolePolicy`).
fn parse_iam_document(op: &str, text: &str) -> Result<PolicyDocument, WorkerError> {
    PolicyDocument::parse(text)
        .or_else(|_| {
            let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
            PolicyDocument::parse(&decoded)
        })
        .map_err(|e| {
            WorkerError::new(
                ErrorKind::InvalidState,
                op,
                "UnparsablePolicy",
                format!("the policy IAM returned cannot be read: {e}"),
            )
        })
}

fn role_arn(partition: Partition, account: &str, name: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{name}")
}

/// Ensures the member role of `account`: one `GetRole` (plus `GetRolePolicy`) when it exists,
/// `CreateRole` + `PutRolePolicy` when it does not. In plan mode nothing is written.
pub async fn ensure_member_role(
    iam: &aws_sdk_iam::Client,
    account: &str,
    spec: &MemberRoleSpec,
    mode: Mode,
) -> Result<RoleReport, WorkerError> {
    let mut journal = Journal::default();
    let existing = match iam.get_role().role_name(&spec.role_name).send().await {
        Ok(out) => out.role,
        Err(e) => {
            let err = WorkerError::from_sdk("iam:GetRole", &e);
            if err.is_not_found() {
                None
            } else {
                return Err(err);
            }
        }
    };
    let Some(role) = existing else {
        let arn = role_arn(spec.partition, account, &spec.role_name);
        journal.changes.push(Change::new(
            &arn,
            ChangeAction::Create,
            None,
            Some(serde_json::json!({
                "AssumeRolePolicyDocument": spec.trust.to_value(),
                "InlinePolicies": { spec.policy_name.clone(): spec.permissions.to_value() },
            })),
            "the member role does not exist",
        ));
        if mode == Mode::Plan {
            journal
                .actions
                .push(ActionRecord::new(&arn, None, ResourceStatus::Planned, None));
            return Ok(RoleReport {
                arn,
                created: true,
                origin: None,
                journal,
            });
        }
        let trust = spec.trust.to_json_minified();
        let tag = Tag::builder()
            .key(MANAGED_TAG_KEY)
            .value(MANAGED_TAG_VALUE)
            .build()
            .map_err(|e| {
                WorkerError::new(
                    ErrorKind::Other,
                    "iam:CreateRole",
                    "BuildError",
                    e.to_string(),
                )
            })?;
        let created = with_propagation_retries(
            &spec.consistency,
            "the hub role to be accepted as a principal",
            Instant::now(),
            || async {
                iam.create_role()
                    .role_name(&spec.role_name)
                    .assume_role_policy_document(&trust)
                    .description("Radiant Security read access (managed by radiant-onboard)")
                    .tags(tag.clone())
                    .send()
                    .await
                    .map_err(sdk("iam:CreateRole"))
            },
            is_propagation_error,
        )
        .await;
        let arn = match created {
            Ok(out) => out.role.map_or(arn, |r| r.arn),
            // A concurrent or earlier half-finished create: adopt it on the next run's read.
            Err(e) if e.code == "EntityAlreadyExists" => arn,
            Err(e) => return Err(e),
        };
        put_policy(iam, spec).await?;
        journal
            .actions
            .push(ActionRecord::new(&arn, None, ResourceStatus::Created, None));
        return Ok(RoleReport {
            arn,
            created: true,
            origin: None,
            journal,
        });
    };

    let arn = role.arn.clone();
    let origin = origin_of(&role);
    if origin == RoleOrigin::StackSet {
        // The StackSet's role: CloudFormation owns its documents; the caller switches it.
        journal.actions.push(ActionRecord::new(
            &arn,
            None,
            ResourceStatus::Unchanged,
            Some("deployed by the StackSet".to_owned()),
        ));
        return Ok(RoleReport {
            arn,
            created: false,
            origin: Some(origin),
            journal,
        });
    }
    let mut updated = false;
    let current_trust = match role.assume_role_policy_document() {
        Some(text) => parse_iam_document("iam:GetRole", text)?,
        None => PolicyDocument::new(),
    };
    if !is_current(&current_trust, &spec.trust) {
        let merged = merge_owned(&current_trust, &spec.trust);
        journal.changes.push(Change::new(
            format!("{arn}#trust"),
            ChangeAction::Update,
            Some(current_trust.to_value()),
            Some(merged.to_value()),
            "the trust policy lacks the hub role with the external ID",
        ));
        if mode == Mode::Apply {
            let text = merged.to_json_minified();
            with_propagation_retries(
                &spec.consistency,
                "the hub role to be accepted as a principal",
                Instant::now(),
                || async {
                    iam.update_assume_role_policy()
                        .role_name(&spec.role_name)
                        .policy_document(&text)
                        .send()
                        .await
                        .map_err(sdk("iam:UpdateAssumeRolePolicy"))
                },
                is_propagation_error,
            )
            .await?;
        }
        updated = true;
    }

    let current_policy = match iam
        .get_role_policy()
        .role_name(&spec.role_name)
        .policy_name(&spec.policy_name)
        .send()
        .await
    {
        Ok(out) => Some(parse_iam_document(
            "iam:GetRolePolicy",
            &out.policy_document,
        )?),
        Err(e) => {
            let err = WorkerError::from_sdk("iam:GetRolePolicy", &e);
            if err.is_not_found() {
                None
            } else {
                return Err(err);
            }
        }
    };
    let desired = match &current_policy {
        Some(cur) => merge_owned(cur, &spec.permissions),
        None => spec.permissions.clone(),
    };
    if current_policy
        .as_ref()
        .is_none_or(|cur| !cur.semantically_equal(&desired))
    {
        journal.changes.push(Change::new(
            format!("{arn}#policy/{}", spec.policy_name),
            if current_policy.is_some() {
                ChangeAction::Update
            } else {
                ChangeAction::Create
            },
            current_policy.as_ref().map(PolicyDocument::to_value),
            Some(desired.to_value()),
            "the member role's permissions differ",
        ));
        if mode == Mode::Apply {
            let merged_spec = MemberRoleSpec {
                permissions: desired,
                ..spec.clone()
            };
            put_policy(iam, &merged_spec).await?;
        }
        updated = true;
    }
    let status = match (updated, mode) {
        (false, _) => ResourceStatus::Unchanged,
        (true, Mode::Plan) => ResourceStatus::Planned,
        (true, Mode::Apply) => ResourceStatus::Updated,
    };
    journal
        .actions
        .push(ActionRecord::new(&arn, None, status, None));
    Ok(RoleReport {
        arn,
        created: false,
        origin: Some(origin),
        journal,
    })
}

/// The tag the member role carries when CloudFormation deployed it through the product's
/// StackSet (`[members] deploy = "stackset"`), beside [`MANAGED_TAG_KEY`]: the direct fan-out
/// never adopts such a role, and a switch between the two ways knows who made each role.
pub const DEPLOYMENT_TAG_KEY: &str = "radiant-onboard:deployment";
/// Value of [`DEPLOYMENT_TAG_KEY`] on a role of the StackSet.
pub const DEPLOYMENT_TAG_STACKSET: &str = "stackset";

/// Who made the member role found in an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleOrigin {
    /// The product's direct fan-out (tagged, without the deployment tag).
    Direct,
    /// The product's StackSet (tagged with [`DEPLOYMENT_TAG_STACKSET`]).
    StackSet,
    /// Someone else: a role of that name the product did not create.
    Foreign,
}

/// The member role of the account, read with one `GetRole`: `None` when there is none.
pub async fn member_role_origin(
    iam: &aws_sdk_iam::Client,
    spec: &MemberRoleSpec,
) -> Result<Option<RoleOrigin>, WorkerError> {
    match iam.get_role().role_name(&spec.role_name).send().await {
        Ok(out) => Ok(out.role.as_ref().map(origin_of)),
        Err(e) => {
            let err = WorkerError::from_sdk("iam:GetRole", &e);
            if err.is_not_found() {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

fn origin_of(role: &aws_sdk_iam::types::Role) -> RoleOrigin {
    let tag = |key: &str, value: &str| {
        role.tags()
            .iter()
            .any(|t| t.key() == key && t.value() == value)
    };
    match (
        tag(MANAGED_TAG_KEY, MANAGED_TAG_VALUE),
        tag(DEPLOYMENT_TAG_KEY, DEPLOYMENT_TAG_STACKSET),
    ) {
        (true, true) => RoleOrigin::StackSet,
        (true, false) => RoleOrigin::Direct,
        (false, _) => RoleOrigin::Foreign,
    }
}

/// `verify`: whether the member role exists with the trust `spec` describes (the hub role with
/// the external ID), by the same rule [`ensure_member_role`] writes by, in one `GetRole`. A
/// role that is missing is `Ok(false)`; any other failure is the error.
pub async fn verify_member_role(
    iam: &aws_sdk_iam::Client,
    spec: &MemberRoleSpec,
) -> Result<bool, WorkerError> {
    let role = match iam.get_role().role_name(&spec.role_name).send().await {
        Ok(out) => out.role,
        Err(e) => {
            let err = WorkerError::from_sdk("iam:GetRole", &e);
            if err.is_not_found() {
                return Ok(false);
            }
            return Err(err);
        }
    };
    let Some(text) = role.as_ref().and_then(|r| r.assume_role_policy_document()) else {
        return Ok(false);
    };
    Ok(is_current(
        &parse_iam_document("iam:GetRole", text)?,
        &spec.trust,
    ))
}

async fn put_policy(iam: &aws_sdk_iam::Client, spec: &MemberRoleSpec) -> Result<(), WorkerError> {
    let text = spec.permissions.to_json_minified();
    iam.put_role_policy()
        .role_name(&spec.role_name)
        .policy_name(&spec.policy_name)
        .policy_document(text)
        .send()
        .await
        .map_err(sdk("iam:PutRolePolicy"))?;
    Ok(())
}

/// Removes what the product put in `account`: the role itself when the product created it
/// (tagged), otherwise only its inline policy and its trust statements.
pub async fn remove_member_role(
    iam: &aws_sdk_iam::Client,
    spec: &MemberRoleSpec,
    mode: Mode,
) -> Result<Journal, WorkerError> {
    let mut journal = Journal::default();
    let apply = mode == Mode::Apply;
    let role = match iam.get_role().role_name(&spec.role_name).send().await {
        Ok(out) => out.role,
        Err(e) => {
            let err = WorkerError::from_sdk("iam:GetRole", &e);
            if err.is_not_found() {
                None
            } else {
                return Err(err);
            }
        }
    };
    let Some(role) = role else {
        return Ok(journal);
    };
    let managed = role
        .tags()
        .iter()
        .any(|t| t.key() == MANAGED_TAG_KEY && t.value() == MANAGED_TAG_VALUE);
    // Apply deletes the inline policy blindly (not found is fine); plan reads whether it is
    // there. Either way the journal says whether it was (or would be) removed.
    let inline = if apply {
        iam.delete_role_policy()
            .role_name(&spec.role_name)
            .policy_name(&spec.policy_name)
            .send()
            .await
            .map(|_| true)
            .map_err(|e| WorkerError::from_sdk("iam:DeleteRolePolicy", &e))
    } else {
        iam.get_role_policy()
            .role_name(&spec.role_name)
            .policy_name(&spec.policy_name)
            .send()
            .await
            .map(|_| true)
            .map_err(|e| WorkerError::from_sdk("iam:GetRolePolicy", &e))
    };
    let inline = match inline {
        Ok(found) => found,
        Err(err) if err.is_not_found() => false,
        Err(err) => return Err(err),
    };
    let status = |changed| match (changed, apply) {
        (_, false) => ResourceStatus::Planned,
        (true, true) => ResourceStatus::Deleted,
        (false, true) => ResourceStatus::Updated,
    };
    if managed {
        if apply {
            iam.delete_role()
                .role_name(&spec.role_name)
                .send()
                .await
                .map_err(sdk("iam:DeleteRole"))?;
        }
        journal.changes.push(Change::new(
            &role.arn,
            ChangeAction::Delete,
            None,
            None,
            "the product created this role",
        ));
        journal
            .actions
            .push(ActionRecord::new(&role.arn, None, status(true), None));
    } else if let Some(text) = role.assume_role_policy_document() {
        if inline {
            journal.changes.push(Change::new(
                format!("{}#policy/{}", role.arn, spec.policy_name),
                ChangeAction::Delete,
                None,
                None,
                "the product's inline permissions of an adopted role",
            ));
        }
        let before = parse_iam_document("iam:GetRole", text)?;
        let mut trust = before.clone();
        let removed = trust.remove_owned_statements();
        if !removed.is_empty() && !trust.statements().is_empty() {
            if apply {
                iam.update_assume_role_policy()
                    .role_name(&spec.role_name)
                    .policy_document(trust.to_json_minified())
                    .send()
                    .await
                    .map_err(sdk("iam:UpdateAssumeRolePolicy"))?;
            }
            journal.changes.push(Change::new(
                format!("{}#trust", role.arn),
                ChangeAction::Update,
                Some(before.to_value()),
                Some(trust.to_value()),
                "the product's trust statements of an adopted role",
            ));
        }
        journal.actions.push(ActionRecord::new(
            &role.arn,
            None,
            status(false),
            Some("adopted role kept; the product's policy and trust statements removed".into()),
        ));
    }
    Ok(journal)
}
