//! The size planner: for the documents whose size grows with the organization, pick the most
//! precise form that fits the limit, and say why.
//!
//! Forms, most precise first:
//! - hub role sts:AssumeRole: an explicit list of member role ARNs in one managed policy; the
//!   list split over several managed policies, up to the attachment quota; the
//!   `aws:ResourceOrgID` form over `arn:PARTITION:iam::*:role/MEMBER_ROLE_NAME`.
//! - GuardDuty bucket and key statements: exact `aws:SourceArn` detectors; `aws:SourceAccount`
//!   list plus ArnLike detector pattern; for the bucket only, the same account list in one
//!   merged statement (both actions, both resources) instead of two; `aws:SourceOrgID` only when
//!   the caller opted in.
//!
//! The planner works on the document as it is (foreign statements included), so the budget is
//! the room left in the document. A document that fits no form is a [`PlanError`], before any
//! API call.

use serde::Serialize;
use serde_json::Value;

use crate::arn::{AccountId, Arn, ArnError, OrgId};
use crate::builders::{
    self, DetectorScope, FindingsBucket, HubRolePermissions, detector_accounts, sid,
};
use crate::document::PolicyDocument;
use crate::error::PatchError;
use crate::size::{self, PolicyKind};
use crate::statement::Statement;

/// Default `AttachedPoliciesPerRoleQuota`.
pub const DEFAULT_ATTACHMENT_QUOTA: usize = 10;

/// The form the planner chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "form")]
pub enum PolicyForm {
    /// The document has one fixed form (nothing to choose).
    Fixed,
    /// Nothing to admit: no member roles / no detectors, so the statement is left out.
    Omitted,
    /// An explicit list in a single document.
    ExplicitList,
    /// The explicit list of member role ARNs split over several managed policies.
    SplitManagedPolicies {
        /// How many managed policies.
        count: usize,
    },
    /// sts:AssumeRole on `arn:PARTITION:iam::*:role/NAME` with `aws:ResourceOrgID`.
    ResourceOrgId,
    /// Exact detector ARNs in `aws:SourceArn` (and their accounts in `aws:SourceAccount`).
    ExactSourceArn,
    /// `aws:SourceAccount` list plus ArnLike `arn:PARTITION:guardduty:*:*:detector/*`.
    SourceAccountList,
    /// The [`PolicyForm::SourceAccountList`] conditions in one bucket statement for both
    /// `s3:GetBucketLocation` (bucket ARN) and `s3:PutObject` (`bucket/prefix/*`): the same
    /// grants, the account list written once instead of twice (GuardDuty bucket only).
    SourceAccountListMerged,
    /// `aws:SourceOrgID` plus the ArnLike detector pattern (opt-in).
    SourceOrgId,
}

/// What the planner chose and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SizeDecision {
    /// The chosen form.
    pub form: PolicyForm,
    /// Why, for people: the sizes of the forms tried.
    pub reason: String,
    /// The size of the chosen document (the largest one when there are several).
    pub size: usize,
    /// The limit it was measured against.
    pub limit: usize,
}

/// A planned single document.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedDocument {
    /// The document to write.
    pub document: PolicyDocument,
    /// Why it has this form.
    pub decision: SizeDecision,
}

/// The hub role's managed policies.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedPolicies {
    /// The documents, in order; the first holds the base statements.
    pub documents: Vec<PolicyDocument>,
    /// Why they have this form.
    pub decision: SizeDecision,
}

/// No form fits, or the input is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Every form was tried and none fits.
    #[error("no form of the {kind} fits: {tried}")]
    NoFormFits {
        /// [`PolicyKind::describe`].
        kind: &'static str,
        /// The forms tried with their sizes and what to do.
        tried: String,
    },
    /// A value that went into a statement is invalid.
    #[error(transparent)]
    Arn(#[from] ArnError),
    /// The existing document cannot be patched (e.g. a duplicated owned Sid).
    #[error(transparent)]
    Patch(#[from] PatchError),
}

/// How many managed policies the hub role may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AttachmentBudget {
    /// The account's `AttachedPoliciesPerRoleQuota` (10 by default, 20 at most).
    pub quota: usize,
    /// Managed policies attached to the role that are not the product's.
    pub already_attached: usize,
}

impl Default for AttachmentBudget {
    fn default() -> Self {
        Self {
            quota: DEFAULT_ATTACHMENT_QUOTA,
            already_attached: 0,
        }
    }
}

impl AttachmentBudget {
    /// How many managed policies the product may attach.
    pub fn available(self) -> usize {
        self.quota.saturating_sub(self.already_attached)
    }
}

/// The member roles the hub role must be able to assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRoles {
    /// The member role ARNs (one per member account); empty when the hub is the only account.
    pub arns: Vec<Arn>,
    /// The member role name, for the compact form.
    pub role_name: String,
    /// The organization, for the compact form; `None` disables it.
    pub org_id: Option<OrgId>,
}

/// The hub role's managed policy when the member roles are deployed by a StackSet: always the
/// organization-scoped form (`aws:ResourceOrgID`, plus `aws:ResourceOrgPaths` for `ou_paths`
/// when the StackSet covers some OUs only), whatever the number of accounts, so that an account
/// that joins is assumable without this policy being rewritten.
pub fn plan_hub_role_org_scoped(
    input: &HubRolePermissions,
    member_role_name: &str,
    org_id: &OrgId,
    ou_paths: &[String],
    excluded: &[AccountId],
    budget: AttachmentBudget,
) -> Result<PlannedPolicies, PlanError> {
    let kind = PolicyKind::IamManaged;
    let no_room = |tried: String| PlanError::NoFormFits {
        kind: kind.describe(),
        tried,
    };
    if budget.available() == 0 {
        return Err(no_room(format!(
            "the role already has {} of its {} managed policy attachments; detach one or raise `AttachedPoliciesPerRoleQuota`",
            budget.already_attached, budget.quota
        )));
    }
    let mut statements = builders::hub_role_base_statements(input)?;
    let assume = if ou_paths.is_empty() {
        builders::assume_member_roles_org_scoped(input.partition, member_role_name, org_id)?
    } else {
        builders::assume_member_roles_org_paths(
            input.partition,
            member_role_name,
            org_id,
            ou_paths,
        )?
    };
    // The accounts the configuration excludes stay out of reach even if a role of that name
    // appears there (automatic deployment ignores the StackSet's account filter).
    let assume = if excluded.is_empty() {
        assume
    } else {
        assume.condition(
            "StringNotEquals",
            "aws:ResourceAccount",
            excluded.iter().map(AccountId::as_str),
        )
    };
    statements.push(assume);
    let doc = PolicyDocument::from_statements(statements);
    let size = size::check(&doc, kind).map_err(|e| no_room(e.to_string()))?;
    let scope = if ou_paths.is_empty() {
        format!("in organization `{org_id}` (aws:ResourceOrgID)")
    } else {
        format!(
            "in organization `{org_id}` below {} (aws:ResourceOrgID, aws:ResourceOrgPaths)",
            ou_paths.join(", ")
        )
    };
    let scope = if excluded.is_empty() {
        scope
    } else {
        format!(
            "{scope} except the {} excluded accounts (aws:ResourceAccount)",
            excluded.len()
        )
    };
    Ok(PlannedPolicies {
        documents: vec![doc],
        decision: SizeDecision {
            form: PolicyForm::ResourceOrgId,
            reason: format!(
                "the member roles are deployed by a StackSet, so sts:AssumeRole covers `arn:{}:iam::*:role/{member_role_name}` {scope}: an account that joins needs no change of this policy, {size} characters",
                input.partition
            ),
            size,
            limit: size::limit(kind),
        },
    })
}

/// Size in characters of `value` as a JSON string (quotes and escapes included).
fn json_string_chars(value: &str) -> usize {
    Value::String(value.to_owned()).to_string().chars().count()
}

/// Plans the hub role's managed policies: base statements plus sts:AssumeRole on the member
/// roles in the most precise form that fits.
pub fn plan_hub_role(
    input: &HubRolePermissions,
    members: &MemberRoles,
    budget: AttachmentBudget,
) -> Result<PlannedPolicies, PlanError> {
    let kind = PolicyKind::IamManaged;
    let limit = size::limit(kind);
    let base = builders::hub_role_base_statements(input)?;
    let available = budget.available();
    let no_room = |tried: String| PlanError::NoFormFits {
        kind: kind.describe(),
        tried,
    };
    if available == 0 {
        return Err(no_room(format!(
            "the role already has {} of its {} managed policy attachments; detach one or raise `AttachedPoliciesPerRoleQuota`",
            budget.already_attached, budget.quota
        )));
    }
    let arns: Vec<String> = {
        let mut seen = std::collections::HashSet::new();
        members
            .arns
            .iter()
            .map(Arn::to_string)
            .filter(|a| seen.insert(a.clone()))
            .collect()
    };
    let base_doc = PolicyDocument::from_statements(base.clone());
    let base_size = size::measure(&base_doc, kind);
    if arns.is_empty() {
        size::check(&base_doc, kind).map_err(|e| no_room(e.to_string()))?;
        return Ok(PlannedPolicies {
            documents: vec![base_doc],
            decision: SizeDecision {
                form: PolicyForm::Omitted,
                reason: "no member accounts: the sts:AssumeRole statement is left out".to_owned(),
                size: base_size,
                limit,
            },
        });
    }

    // Explicit list, possibly split. Sizes are computed incrementally: each ARN adds its JSON
    // string plus a comma after the first; every document is measured again at the end.
    let empty_assume = builders::assume_member_roles_explicit(&[]);
    let with_assume = |statements: Vec<Statement>| {
        let mut all = statements;
        all.push(empty_assume.clone());
        size::measure(&PolicyDocument::from_statements(all), kind)
    };
    let first_empty = with_assume(base.clone());
    let other_empty = with_assume(Vec::new());
    let mut chunks: Vec<Vec<String>> = vec![Vec::new()];
    let mut current = first_empty;
    let mut overflow = false;
    for arn in &arns {
        let Some(chunk) = chunks.last_mut() else {
            break;
        };
        let cost = json_string_chars(arn) + usize::from(!chunk.is_empty());
        if current + cost <= limit {
            chunk.push(arn.clone());
            current += cost;
            continue;
        }
        let fresh_cost = json_string_chars(arn);
        if chunk.is_empty() || other_empty + fresh_cost > limit || chunks.len() >= available {
            overflow = true;
            break;
        }
        chunks.push(vec![arn.clone()]);
        current = other_empty + fresh_cost;
    }
    let explicit_size =
        first_empty + arns.iter().map(|a| json_string_chars(a) + 1).sum::<usize>() - 1;
    let explicit_reason = format!(
        "an explicit list of {} member role ARNs is {explicit_size} characters in one managed policy (limit {limit})",
        arns.len()
    );
    if !overflow {
        let documents: Vec<PolicyDocument> = chunks
            .iter()
            .enumerate()
            .map(|(i, chunk)| {
                let mut statements = if i == 0 { base.clone() } else { Vec::new() };
                statements.push(
                    Statement::allow(sid::ASSUME_MEMBER_ROLES)
                        .actions(["sts:AssumeRole"])
                        .resources(chunk.clone()),
                );
                PolicyDocument::from_statements(statements)
            })
            .collect();
        let mut largest = 0;
        for doc in &documents {
            largest = largest.max(size::check(doc, kind).map_err(|e| no_room(e.to_string()))?);
        }
        let (form, reason) = if documents.len() == 1 {
            (
                PolicyForm::ExplicitList,
                format!("{explicit_reason}: it fits"),
            )
        } else {
            (
                PolicyForm::SplitManagedPolicies {
                    count: documents.len(),
                },
                format!(
                    "{explicit_reason}: too large, so the list is split over {} managed policies ({available} attachments available)",
                    documents.len()
                ),
            )
        };
        return Ok(PlannedPolicies {
            documents,
            decision: SizeDecision {
                form,
                reason,
                size: largest,
                limit,
            },
        });
    }
    let split_reason = format!(
        "{explicit_reason}; split over the {available} available managed policy attachments it still does not fit"
    );
    let Some(org_id) = &members.org_id else {
        return Err(no_room(format!(
            "{split_reason}, and the organization ID needed for the `aws:ResourceOrgID` form is unknown; raise `AttachedPoliciesPerRoleQuota` or detach other policies"
        )));
    };
    let mut statements = base;
    statements.push(builders::assume_member_roles_org_scoped(
        input.partition,
        &members.role_name,
        org_id,
    )?);
    let doc = PolicyDocument::from_statements(statements);
    let compact_size = size::check(&doc, kind).map_err(|e| {
        no_room(format!(
            "{split_reason}; the `aws:ResourceOrgID` form does not fit either: {e}"
        ))
    })?;
    Ok(PlannedPolicies {
        documents: vec![doc],
        decision: SizeDecision {
            form: PolicyForm::ResourceOrgId,
            reason: format!(
                "{split_reason}, so sts:AssumeRole covers `arn:{}:iam::*:role/{}` in organization `{org_id}` (aws:ResourceOrgID), {compact_size} characters",
                input.partition, members.role_name
            ),
            size: compact_size,
            limit,
        },
    })
}

/// The GuardDuty detectors that must be admitted, and which compact forms are allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardDutySources {
    /// Detector ARNs (`arn:PARTITION:guardduty:REGION:ACCOUNT:detector/ID`).
    pub detectors: Vec<Arn>,
    /// The organization, for the `aws:SourceOrgID` form.
    pub org_id: Option<OrgId>,
    /// Opt-in: allow the `aws:SourceOrgID` form (unconfirmed for GuardDuty).
    pub allow_source_org_id: bool,
    /// Accounts the document admits already whose detectors this run does not know (a run of
    /// some accounts only, or accounts that failed): kept in the account-list forms, which then
    /// are the only ones possible (their detector ARNs are not known).
    pub retained_accounts: Vec<AccountId>,
    /// The Regions whose regional principal the document admits already for those accounts.
    pub retained_regions: Vec<crate::arn::Region>,
    /// The document is in the `aws:SourceOrgID` form and this run does not know every account's
    /// detectors (a run of some accounts only, or accounts that failed): only that form is
    /// planned, since any other would drop the accounts it admits and this run does not name.
    pub keep_org_form: bool,
}

impl GuardDutySources {
    /// The Regions of the detectors (the builders admit the regional principals of the opt-in
    /// ones, in every form: the Regions do not depend on how the detectors are scoped), and the
    /// retained ones.
    pub fn regions(&self) -> Vec<crate::arn::Region> {
        let mut out: Vec<crate::arn::Region> = self
            .detectors
            .iter()
            .filter_map(|d| crate::arn::Region::new(d.region()).ok())
            .chain(self.retained_regions.iter().cloned())
            .collect();
        out.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        out.dedup();
        out
    }

    /// The forms to try, most precise first, with their names for the reason text.
    /// `merged_account_list` adds [`PolicyForm::SourceAccountListMerged`] after the account list
    /// (documents with two statements only).
    fn scopes(&self, merged_account_list: bool) -> Vec<(PolicyForm, DetectorScope, &'static str)> {
        let mut listed: Vec<AccountId> = detector_accounts(&self.detectors)
            .iter()
            .filter_map(|a| AccountId::new(a).ok())
            .collect();
        for a in &self.retained_accounts {
            if !listed.contains(a) {
                listed.push(a.clone());
            }
        }
        let accounts = DetectorScope::Accounts(listed);
        let mut scopes = Vec::new();
        if let (true, true, Some(org)) =
            (self.keep_org_form, self.allow_source_org_id, &self.org_id)
        {
            scopes.push((
                PolicyForm::SourceOrgId,
                DetectorScope::Organization(org.clone()),
                "aws:SourceOrgID (opted in; kept: this run does not name every account it admits)",
            ));
            return scopes;
        }
        // Exact detector ARNs only when every admitted account's detectors are known.
        if self.retained_accounts.is_empty() {
            scopes.push((
                PolicyForm::ExactSourceArn,
                DetectorScope::Detectors(self.detectors.clone()),
                "exact aws:SourceArn detector list",
            ));
        }
        scopes.push((
            PolicyForm::SourceAccountList,
            accounts.clone(),
            "aws:SourceAccount list with an ArnLike detector pattern",
        ));
        if merged_account_list {
            scopes.push((
                PolicyForm::SourceAccountListMerged,
                accounts,
                "aws:SourceAccount list with an ArnLike detector pattern in one statement for s3:GetBucketLocation and s3:PutObject (the same grants, the list written once)",
            ));
        }
        if let (true, Some(org)) = (self.allow_source_org_id, &self.org_id) {
            scopes.push((
                PolicyForm::SourceOrgId,
                DetectorScope::Organization(org.clone()),
                "aws:SourceOrgID (opted in)",
            ));
        }
        scopes
    }

    fn validate(&self) -> Result<(), ArnError> {
        for detector in &self.detectors {
            let is_detector = detector.service() == "guardduty"
                && !detector.region().is_empty()
                && detector.account_id().is_some()
                && detector.resource().starts_with("detector/")
                && detector.resource().len() > "detector/".len();
            if !is_detector {
                return Err(ArnError::Malformed {
                    value: detector.to_string(),
                });
            }
        }
        Ok(())
    }
}

/// Plans the GuardDuty statements of one document. `sids` are every Sid any form of this
/// document may write; `build` writes the statements of one form.
fn plan_statements(
    existing: &PolicyDocument,
    kind: PolicyKind,
    sids: &[&str],
    sources: &GuardDutySources,
    merged_account_list: bool,
    build: impl Fn(PolicyForm, &DetectorScope) -> Result<Vec<Statement>, ArnError>,
) -> Result<PlannedDocument, PlanError> {
    sources.validate()?;
    let limit = size::limit(kind);
    if sources.detectors.is_empty() && sources.retained_accounts.is_empty() {
        let mut document = existing.clone();
        for sid in sids {
            document.remove_statement(sid)?;
        }
        let size = size::check(&document, kind).map_err(|e| PlanError::NoFormFits {
            kind: kind.describe(),
            tried: format!("without the GuardDuty statements: {e}"),
        })?;
        return Ok(PlannedDocument {
            document,
            decision: SizeDecision {
                form: PolicyForm::Omitted,
                reason: "no GuardDuty detectors to admit: the GuardDuty statements are left out"
                    .to_owned(),
                size,
                limit,
            },
        });
    }
    let mut tried = Vec::new();
    for (form, scope, name) in sources.scopes(merged_account_list) {
        let statements = build(form, &scope)?;
        let mut document = existing.clone();
        // INVARIANT: the document holds the statements of exactly one form. Statements of the
        // other forms (e.g. the two bucket statements when switching to the merged one, or the
        // merged one when switching back) are removed; the form's own are replaced in place.
        for sid in sids {
            if !statements.iter().any(|s| s.sid() == Some(*sid)) {
                document.remove_statement(sid)?;
            }
        }
        for statement in statements {
            document.ensure_statement(statement)?;
        }
        let size = size::measure(&document, kind);
        match size::check(&document, kind) {
            Ok(_) => {
                let reason = if tried.is_empty() {
                    format!(
                        "{name} for {} detectors{}: {size} of {limit} bytes with the statements already in the policy",
                        sources.detectors.len(),
                        if sources.retained_accounts.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " and {} accounts admitted already",
                                sources.retained_accounts.len()
                            )
                        }
                    )
                } else {
                    format!(
                        "{}; so the {name}: {size} of {limit} bytes",
                        tried.join("; ")
                    )
                };
                return Ok(PlannedDocument {
                    document,
                    decision: SizeDecision {
                        form,
                        reason,
                        size,
                        limit,
                    },
                });
            }
            Err(_) => tried.push(format!(
                "the {name} would make the policy {size} bytes, over {limit}"
            )),
        }
    }
    let hint = if sources.allow_source_org_id {
        "remove foreign statements from the policy"
    } else {
        "remove foreign statements from the policy, or opt in to `allow_source_org_id`"
    };
    Err(PlanError::NoFormFits {
        kind: kind.describe(),
        tried: format!("{}; {hint}", tried.join("; ")),
    })
}

/// Plans the GuardDuty statements of the findings bucket's policy, starting from the policy as
/// it is now (foreign statements kept). Forms: [`PolicyForm::ExactSourceArn`],
/// [`PolicyForm::SourceAccountList`] (two statements), [`PolicyForm::SourceAccountListMerged`]
/// (one statement), [`PolicyForm::SourceOrgId`] (opt-in). The statements of the forms not
/// chosen are removed; with no detectors all of them are.
pub fn plan_guardduty_bucket(
    existing: &PolicyDocument,
    bucket: &FindingsBucket,
    sources: &GuardDutySources,
) -> Result<PlannedDocument, PlanError> {
    plan_statements(
        existing,
        PolicyKind::S3Bucket,
        &sid::GUARDDUTY_BUCKET,
        sources,
        true,
        |form, scope| {
            let regions = sources.regions();
            if form == PolicyForm::SourceAccountListMerged {
                Ok(vec![builders::guardduty_bucket_merged_statement_in(
                    bucket, scope, &regions,
                )?])
            } else {
                builders::guardduty_bucket_statements_in(bucket, scope, &regions)
            }
        },
    )
}

/// Plans the GuardDuty statement of the findings key's policy, starting from the policy as it
/// is now (foreign statements kept). With no detectors the statement is removed.
pub fn plan_guardduty_key(
    existing: &PolicyDocument,
    key: &Arn,
    sources: &GuardDutySources,
) -> Result<PlannedDocument, PlanError> {
    plan_statements(
        existing,
        PolicyKind::KmsKey,
        &[sid::GUARDDUTY_GENERATE_DATA_KEY],
        sources,
        // The key has a single statement: there is nothing to merge.
        false,
        |_, scope| {
            Ok(vec![builders::guardduty_key_statement_in(
                key,
                scope,
                &sources.regions(),
            )])
        },
    )
}

/// Ensures fixed-form owned statements in an existing document and checks the result's size
/// (CloudTrail bucket, key and topic statements, trust policies).
pub fn plan_fixed(
    existing: &PolicyDocument,
    statements: Vec<Statement>,
    kind: PolicyKind,
) -> Result<PlannedDocument, PlanError> {
    let mut document = existing.clone();
    for statement in statements {
        document.ensure_statement(statement)?;
    }
    let limit = size::limit(kind);
    let size = size::check(&document, kind).map_err(|e| PlanError::NoFormFits {
        kind: kind.describe(),
        tried: e.to_string(),
    })?;
    Ok(PlannedDocument {
        document,
        decision: SizeDecision {
            form: PolicyForm::Fixed,
            reason: format!("{size} of {limit} {}", kind.unit()),
            size,
            limit,
        },
    })
}
