//! The member role's StackSet (`[members] deploy = "stackset"`): one service-managed
//! CloudFormation StackSet with automatic deployment to the covered OUs, administered by the
//! caller (the management account with `CallAs = SELF`, or a StackSets delegated administrator
//! with `CallAs = DELEGATED_ADMIN`), deployed in the home Region only (IAM is global: a second
//! Region would fail with "already exists"). An account that joins a covered OU gets its role
//! from CloudFormation within minutes, without a run of the tool (`aws-facts.md`, "New
//! accounts"). Its template is `policy_model::template`, built from the direct role's documents.
//!
//! The parts: this module (the types, `read`, `desired`, `verify`) and `ensure.rs` (what changes
//! the StackSet, and its removal).
//!
//! `read` (DescribeStackSet and its stack instances), `desired` (pure), `ensure` (trusted access,
//! the StackSet, its template, the instances of covered accounts that have none, each failed
//! instance reported as that account's failure), `verify` (the template and automatic
//! deployment; each covered account's instance `CURRENT`) and `remove` (the instances, then the
//! StackSet). Every operation is waited for, bounded by `[members] operation_timeout_s`.

mod ensure;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::types::{
    AccountFilterType, AutoDeployment, CallAs, Capability, DeploymentTargets, ManagedExecution,
    OrganizationStatus, PermissionModels, RegionConcurrencyType, StackSetOperationPreferences,
    StackSetOperationResultStatus, StackSetOperationStatus,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use policy_model::template::{MemberRoleTemplate, same_template};

use super::Place;
use crate::engine::EngineError;
use crate::engine::common::{HubLog, changed_status, hub_sdk};
use crate::outcome::{Change, ChangeAction, Check, ResourceStatus};
use crate::progress::Progress;
use account_worker::{
    DEPLOYMENT_TAG_KEY, DEPLOYMENT_TAG_STACKSET, MANAGED_TAG_KEY, MANAGED_TAG_VALUE,
    MemberRoleSpec, WorkerError,
};

/// StackSets' service principal in Organizations (trusted access, delegated administrators).
pub(crate) const STACKSETS_PRINCIPAL: &str = "member.org.stacksets.cloudformation.amazonaws.com";

/// The member role's description, word for word the direct fan-out's.
const ROLE_DESCRIPTION: &str = "Radiant Security read access (managed by radiant-onboard)";

/// The StackSet's description: how a reader of the console knows whose it is.
const STACKSET_DESCRIPTION: &str =
    "Radiant Security's member role in every covered account (managed by radiant-onboard)";

/// A list call's page (the service model's maximum).
const PAGE: i32 = 100;

/// Who administers the StackSet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Administrator {
    /// The organization's management account (`CallAs = SELF`).
    Management,
    /// A registered StackSets delegated administrator (`CallAs = DELEGATED_ADMIN` on every call).
    DelegatedAdmin,
}

impl Administrator {
    pub(super) fn call_as(self) -> CallAs {
        match self {
            Self::Management => CallAs::SelfValue,
            Self::DelegatedAdmin => CallAs::DelegatedAdmin,
        }
    }
}

/// What the configuration asks of the StackSet (pure, [`MemberStackSet::desired`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StackSetWants {
    /// The template (JSON).
    pub(crate) template: serde_json::Value,
    /// The OU or root IDs it deploys to (`organization.include_ous`, or the root).
    pub(crate) targets: Vec<String>,
    /// Accounts of those OUs it leaves out (`DeploymentTargets.AccountFilterType = DIFFERENCE`):
    /// the excluded accounts and the hub (whose role is the hub role).
    pub(crate) excluded: Vec<String>,
}

/// One stack instance (the home Region's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Instance {
    /// `CURRENT`, `OUTDATED` or `INOPERABLE`.
    pub(crate) status: String,
    /// `SUCCEEDED`, `FAILED`, `CANCELLED`, `RUNNING`, `PENDING`, `SKIPPED_SUSPENDED_ACCOUNT`, ...
    pub(crate) detailed: Option<String>,
    /// Why, when it is not `CURRENT`.
    pub(crate) reason: Option<String>,
}

impl Instance {
    /// True when the account has the StackSet's current role.
    pub(crate) fn current(&self) -> bool {
        self.status == "CURRENT"
    }
}

/// The StackSet as CloudFormation has it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StackSetState {
    pub(crate) template_body: String,
    /// `AutoDeployment`: (enabled, retain stacks on account removal).
    pub(crate) auto_deployment: (bool, bool),
    /// The OUs its instances were made for.
    pub(crate) ou_ids: Vec<String>,
    /// The home Region's instances, by account.
    pub(crate) instances: BTreeMap<String, Instance>,
    /// True when its description says radiant-onboard made it: a StackSet of that name that
    /// the tool did not make is never updated nor removed.
    pub(crate) ours: bool,
}

impl StackSetState {
    /// The refusal to touch a StackSet of this name that radiant-onboard did not make.
    pub(crate) fn foreign(name: &str) -> String {
        format!(
            "a StackSet named `{name}` exists that radiant-onboard did not create (its description does not say \"managed by radiant-onboard\"): it is left alone; set `[members] stackset_name` to another name"
        )
    }
}

/// What a StackSet operation left: the accounts whose instance failed, with the reason, the
/// accounts whose instance succeeded, and, when the operation itself did not succeed (it ended
/// `FAILED` or `STOPPED`, or was still running at the deadline), why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OperationOutcome {
    pub(crate) failed: BTreeMap<String, String>,
    pub(crate) succeeded: std::collections::BTreeSet<String>,
    pub(crate) operation_failed: Option<String>,
}

impl OperationOutcome {
    /// Why `account`'s instance did not succeed in this operation: its own reason, else the
    /// operation's when the account has no success of its own (an account the operation
    /// finished is never failed by the operation's later timeout).
    pub(crate) fn failure_of(&self, account: &str) -> Option<String> {
        if let Some(reason) = self.failed.get(account) {
            return Some(reason.clone());
        }
        if self.succeeded.contains(account) {
            return None;
        }
        self.operation_failed.clone()
    }

    /// True when nothing failed.
    pub(crate) fn ok(&self) -> bool {
        self.failed.is_empty() && self.operation_failed.is_none()
    }

    /// The first failure, for a message: an account's, else the operation's.
    pub(crate) fn first_failure(&self) -> Option<(String, String)> {
        self.failed
            .iter()
            .next()
            .map(|(a, r)| (a.clone(), r.clone()))
            .or_else(|| {
                self.operation_failed
                    .clone()
                    .map(|r| ("(the operation)".to_owned(), r))
            })
    }
}

/// The member role's StackSet, administered from `place` (the caller's account, home Region).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemberStackSet<'a> {
    pub(crate) place: Place<'a>,
    pub(crate) name: &'a str,
    pub(crate) admin: Administrator,
    /// `--accounts`: only these accounts' instances are read (one call each), not the
    /// StackSet's whole list.
    pub(crate) only: Option<&'a [String]>,
}

fn not_found<E: ProvideErrorMetadata>(e: &E) -> bool {
    matches!(e.code(), Some("StackSetNotFoundException"))
}

impl MemberStackSet<'_> {
    pub(super) fn cf(&self) -> aws_sdk_cloudformation::Client {
        self.place
            .clients
            .cloudformation(self.place.region.as_str())
    }

    /// `arn:PARTITION:cloudformation:REGION:ACCOUNT:stackset/NAME` (CloudFormation adds `:ID`).
    pub(crate) fn resource(&self) -> String {
        format!(
            "arn:{}:cloudformation:{}:{}:stackset/{}",
            self.place.partition(),
            self.place.region,
            self.place.account,
            self.name
        )
    }

    /// The template and targets the configuration asks for (pure): the direct role's documents.
    pub(crate) fn desired(
        spec: &MemberRoleSpec,
        targets: Vec<String>,
        excluded: Vec<String>,
    ) -> StackSetWants {
        let tags = [
            (MANAGED_TAG_KEY, MANAGED_TAG_VALUE),
            (DEPLOYMENT_TAG_KEY, DEPLOYMENT_TAG_STACKSET),
        ];
        let template = MemberRoleTemplate {
            role_name: &spec.role_name,
            policy_name: &spec.policy_name,
            description: ROLE_DESCRIPTION,
            trust: &spec.trust,
            permissions: &spec.permissions,
            tags: &tags,
        };
        StackSetWants {
            template: template.to_value(),
            targets,
            excluded,
        }
    }

    /// Whether StackSets' trusted access with Organizations is on (`DescribeOrganizationsAccess`
    /// as this administrator: a delegated administrator's call fails unless it is registered).
    pub(crate) async fn access(&self) -> Result<bool, WorkerError> {
        let out = self
            .cf()
            .describe_organizations_access()
            .call_as(self.admin.call_as())
            .send()
            .await
            .map_err(|e| WorkerError::from_sdk("cloudformation:DescribeOrganizationsAccess", &e))?;
        Ok(out.status() == Some(&OrganizationStatus::Enabled))
    }

    /// The StackSet and its instances, when it exists.
    pub(crate) async fn read(&self) -> Result<Option<StackSetState>, EngineError> {
        let resource = self.resource();
        let cf = self.cf();
        let described = cf
            .describe_stack_set()
            .stack_set_name(self.name)
            .call_as(self.admin.call_as())
            .send()
            .await;
        let set = match described {
            Ok(out) => out.stack_set,
            Err(e) if e.as_service_error().is_some_and(not_found) => return Ok(None),
            Err(e) => return Err(hub_sdk("cloudformation:DescribeStackSet", &resource)(e)),
        };
        let Some(set) = set.filter(|s| s.status().is_none_or(|s| s.as_str() != "DELETED")) else {
            return Ok(None);
        };
        let auto = set.auto_deployment();
        let mut state = StackSetState {
            template_body: set.template_body().unwrap_or_default().to_owned(),
            auto_deployment: (
                auto.and_then(AutoDeployment::enabled).unwrap_or(false),
                auto.and_then(AutoDeployment::retain_stacks_on_account_removal)
                    .unwrap_or(false),
            ),
            ou_ids: set.organizational_unit_ids().to_vec(),
            instances: BTreeMap::new(),
            ours: set
                .description()
                .is_some_and(|d| d.contains("managed by radiant-onboard")),
        };
        let accounts: Vec<Option<&str>> = match self.only {
            Some(ids) => ids.iter().map(|a| Some(a.as_str())).collect(),
            None => vec![None],
        };
        for account in accounts {
            self.read_instances(&mut state, account).await?;
        }
        Ok(Some(state))
    }

    /// The home Region's instances (of `account` only, when given) into `state`.
    async fn read_instances(
        &self,
        state: &mut StackSetState,
        account: Option<&str>,
    ) -> Result<(), EngineError> {
        let resource = self.resource();
        let cf = self.cf();
        let mut token = None;
        loop {
            let page = cf
                .list_stack_instances()
                .stack_set_name(self.name)
                .call_as(self.admin.call_as())
                .set_stack_instance_account(account.map(str::to_owned))
                .max_results(PAGE)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(hub_sdk("cloudformation:ListStackInstances", &resource))?;
            for s in page.summaries() {
                let (Some(account), Some(region)) = (s.account(), s.region()) else {
                    continue;
                };
                if region != self.place.region.as_str() {
                    continue;
                }
                state.instances.insert(
                    account.to_owned(),
                    Instance {
                        status: s
                            .status()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                        detailed: s
                            .stack_instance_status()
                            .and_then(|d| d.detailed_status())
                            .map(|d| d.as_str().to_owned()),
                        reason: s.status_reason().map(str::to_owned),
                    },
                );
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(());
            }
        }
    }

    /// `member-role-stackset`: the StackSet exists with the documents' template and automatic
    /// deployment on; and, per covered account in `covered`, `member-role-stack-instance`: its
    /// instance is `CURRENT` (with the time since the account joined when it has none yet, from
    /// `joined`).
    pub(crate) async fn verify(
        &self,
        wants: &StackSetWants,
        covered: &[(String, Option<String>)],
    ) -> (Check, BTreeMap<String, Check>) {
        let region = Some(self.place.region.as_str());
        let state = self.read().await;
        let (ok, detail) = match &state {
            Ok(Some(s)) if !s.ours => (false, StackSetState::foreign(self.name)),
            Ok(Some(s)) if !same_template(&s.template_body, &wants.template) => (
                false,
                format!(
                    "`{}`'s template differs from the member role's documents: run apply",
                    self.name
                ),
            ),
            Ok(Some(s)) if s.auto_deployment != (true, false) => (
                false,
                format!(
                    "`{}` has automatic deployment off: accounts that join get no role: run apply",
                    self.name
                ),
            ),
            Ok(Some(s)) if s.ou_ids.iter().any(|o| !wants.targets.contains(o)) => (
                false,
                format!(
                    "`{}` deploys to OUs the configuration no longer covers ({}): automatic deployment keeps giving accounts there the member role; remove their instances (`aws cloudformation delete-stack-instances --stack-set-name {} --deployment-targets OrganizationalUnitIds=OU --regions {} --no-retain-stacks`), keeping the covered OUs' (docs/runbook.md)",
                    self.name,
                    s.ou_ids
                        .iter()
                        .filter(|o| !wants.targets.contains(*o))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.name,
                    self.place.region
                ),
            ),
            Ok(Some(s)) if wants.excluded.iter().any(|a| s.instances.contains_key(a)) => (
                false,
                format!(
                    "`{}` has instances in accounts the configuration excludes ({}): automatic deployment ignores account filters; run apply to remove them",
                    self.name,
                    wants
                        .excluded
                        .iter()
                        .filter(|a| s.instances.contains_key(*a))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Ok(Some(s)) => (
                true,
                format!(
                    "`{}`: the member role's template, automatic deployment on, {} instances",
                    self.name,
                    s.instances.len()
                ),
            ),
            Ok(None) => (
                false,
                format!("the StackSet `{}` does not exist: run apply", self.name),
            ),
            Err(e) => (false, e.to_string()),
        };
        let set = Check::hub(region, "member-role-stackset", ok, detail);
        let mut per_account = BTreeMap::new();
        for (account, joined) in covered {
            let since = joined
                .as_deref()
                .map(|j| format!(" (joined {j})"))
                .unwrap_or_default();
            let (ok, detail) = match &state {
                Ok(Some(s)) => match s.instances.get(account) {
                    Some(i) if i.current() => (
                        true,
                        format!("stack instance of `{}` is CURRENT", self.name),
                    ),
                    Some(i) => (
                        false,
                        format!(
                            "stack instance is {}{}{}: run apply",
                            i.status,
                            i.detailed
                                .as_deref()
                                .map(|d| format!("/{d}"))
                                .unwrap_or_default(),
                            i.reason
                                .as_deref()
                                .map(|r| format!(" ({r})"))
                                .unwrap_or_default()
                        ),
                    ),
                    None => (
                        false,
                        format!(
                            "enrolment gap: no stack instance yet{since}; automatic deployment adds it within minutes of joining, else run apply"
                        ),
                    ),
                },
                _ => (
                    false,
                    format!(
                        "no stack instance: the StackSet `{}` cannot be read",
                        self.name
                    ),
                ),
            };
            per_account.insert(
                account.clone(),
                Check::new(account, region, "member-role-stack-instance", ok, detail),
            );
        }
        (set, per_account)
    }
}

/// Every account at once and every failure tolerated (one account's failure never stops the
/// others): StackSets' defaults (one account at a time, no failure tolerated) would cancel the
/// rest at the first failed account.
pub(super) fn preferences() -> StackSetOperationPreferences {
    StackSetOperationPreferences::builder()
        .failure_tolerance_percentage(100)
        .max_concurrent_percentage(100)
        .region_concurrency_type(RegionConcurrencyType::Parallel)
        .build()
}

/// The failure of an account's stack instance in the operation `operation`, as the fan-out
/// records it.
pub(crate) fn instance_failure(operation: &str, account_reason: &str) -> WorkerError {
    WorkerError::new(
        account_worker::ErrorKind::Other,
        operation,
        "StackInstanceFailed",
        account_reason.to_owned(),
    )
}
