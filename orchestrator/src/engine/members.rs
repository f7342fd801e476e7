//! How each covered account gets its member role (`[members] deploy`): the fan-out creates it
//! in each account (`direct`), or the member role's StackSet (`resources/stackset.rs`) deploys
//! it to the covered OUs, also to accounts that join later (`stackset`); and the switch between
//! the two, a planned change like any other:
//!
//! - **direct to stackset**: an account whose role the fan-out created earlier keeps it until
//!   right before its stack instance is created (CloudFormation cannot create a role whose name
//!   is taken): the roles are deleted, then the one operation that creates the instances runs,
//!   so no account is without a working role for longer than that operation;
//! - **stackset to direct**: the StackSet's instances are deleted (their roles with them), then
//!   the StackSet, then the fan-out creates each role directly.
//!
//! StackSets never deploys to the management account: it gets its role directly in both modes.

use std::time::Duration;

use account_worker::{ErrorKind, MemberRoleSpec, Mode, RoleOrigin, WorkerError};
use futures::future::join_all;

use super::common::HubLog;
use super::fanout::AccountWork;
use super::resources::member::{Member, MemberRole};
use super::resources::stackset::{
    Administrator, Instance, MemberStackSet, OperationOutcome, StackSetState, StackSetWants,
    instance_failure,
};
use super::run::Run;
use super::{DiscoveredAccount, EngineError};
use crate::config::MemberDeploy;
use crate::outcome::{ActionRecord, Change, ChangeAction, ResourceStatus};

fn pre(message: String) -> EngineError {
    EngineError::Preflight { message }
}

/// Who administers the StackSet and whether StackSets' trusted access is on (preflight).
#[derive(Debug, Clone)]
pub(crate) struct StackSetAdmin {
    pub(crate) admin: Administrator,
    pub(crate) access: bool,
    /// The organization's root (the target when `include_ous` is empty).
    pub(crate) root: String,
}

/// Preflight of `deploy = "stackset"` (nothing is written): the caller is the management
/// account, or a StackSets delegated administrator (detected by `DescribeOrganizationsAccess`
/// with `CallAs = DELEGATED_ADMIN`, which only a registered one may call); trusted access is on,
/// or the caller is the management account, which apply lets turn it on.
pub(crate) async fn preflight(run: &Run<'_>) -> Result<Option<StackSetAdmin>, EngineError> {
    if run.cfg.members.deploy != MemberDeploy::Stackset {
        return Ok(None);
    }
    let admin = if run.pf.caller == run.pf.management {
        Administrator::Management
    } else {
        Administrator::DelegatedAdmin
    };
    let set = stack_set(run, admin, Mode::Plan);
    let access = set.access().await.map_err(|e| match admin {
        Administrator::DelegatedAdmin => pre(format!(
            "`[members] deploy = \"stackset\"` needs the management account or a StackSets delegated administrator, and the caller `{}` is neither: {} failed ({}): {}; run with the management account's credentials, or register this account (`aws organizations register-delegated-administrator --account-id {} --service-principal {}`)",
            run.pf.caller,
            e.operation,
            e.code,
            e.message,
            run.pf.caller,
            super::resources::stackset::STACKSETS_PRINCIPAL
        )),
        Administrator::Management => pre(format!(
            "StackSets' trusted access cannot be read: {} failed ({}): {}; give the caller the permissions listed by `radiant-onboard permissions`",
            e.operation, e.code, e.message
        )),
    })?;
    if !access && admin == Administrator::DelegatedAdmin {
        return Err(pre(format!(
            "StackSets' trusted access with Organizations is off, and only the management account may turn it on: run once with its credentials, or turn it on in the CloudFormation console (StackSets, \"Activate trusted access\"); the delegated administrator `{}` cannot",
            run.pf.caller
        )));
    }
    let roots = run
        .caller
        .organizations(run.home())
        .list_roots()
        .send()
        .await
        .map_err(|e| WorkerError::from_sdk("organizations:ListRoots", &e))
        .map_err(|e| {
            pre(format!(
                "the organization's root cannot be read: {} failed ({}): {}",
                e.operation, e.code, e.message
            ))
        })?;
    let root = roots
        .roots()
        .first()
        .and_then(|r| r.id())
        .unwrap_or_default()
        .to_owned();
    Ok(Some(StackSetAdmin {
        admin,
        access,
        root,
    }))
}

/// The member role's StackSet, administered by the caller in the home Region.
pub(crate) fn stack_set<'r>(
    run: &'r Run<'_>,
    admin: Administrator,
    mode: Mode,
) -> MemberStackSet<'r> {
    MemberStackSet {
        place: run.caller_place(mode),
        name: &run.cfg.members.stackset_name,
        admin,
        only: run.only.as_deref(),
    }
}

/// How long a StackSet operation may take (`[members] operation_timeout_s`).
pub(crate) fn timeout(run: &Run<'_>) -> Duration {
    Duration::from_secs(run.cfg.members.operation_timeout_s)
}

/// What the StackSet is to be (pure): the documents' template, the covered OUs (or the root),
/// the excluded accounts and the hub (whose role is the hub role) left out.
pub(crate) fn wants(run: &Run<'_>, admin: &StackSetAdmin, spec: &MemberRoleSpec) -> StackSetWants {
    let org = &run.cfg.organization;
    let targets = if org.include_ous.is_empty() {
        vec![admin.root.clone()]
    } else {
        org.include_ous.clone()
    };
    let mut excluded: Vec<String> = org
        .exclude_accounts
        .iter()
        .map(|a| a.as_str().to_owned())
        .collect();
    if run.pf.hub != run.pf.management && !excluded.iter().any(|a| a == run.pf.hub.as_str()) {
        excluded.push(run.pf.hub.to_string());
    }
    MemberStackSet::desired(spec, targets, excluded)
}

/// The StackSet of a run in `deploy = "stackset"`: the resource, what it is to be and what it
/// is after its template was ensured.
pub(crate) struct StackSetRun<'r> {
    pub(crate) set: MemberStackSet<'r>,
    pub(crate) wants: StackSetWants,
    pub(crate) state: Option<StackSetState>,
    /// What the update of the template left: each account whose instance was not updated.
    pub(crate) updated: OperationOutcome,
}

impl StackSetRun<'_> {
    /// The account's stack instance, when it has one.
    pub(crate) fn instance(&self, account: &str) -> Option<&Instance> {
        self.state.as_ref().and_then(|s| s.instances.get(account))
    }
}

/// Trusted access, the StackSet and its template (after the hub step: the template's trust
/// names the hub role).
pub(crate) async fn ensure_stack_set<'r>(
    run: &'r Run<'_>,
    admin: &StackSetAdmin,
    spec: &MemberRoleSpec,
    mode: Mode,
    log: &mut HubLog,
) -> Result<StackSetRun<'r>, EngineError> {
    let set = stack_set(run, admin.admin, mode);
    let wants = wants(run, admin, spec);
    let (state, updated) = set
        .ensure_stack_set(
            log,
            &wants,
            admin.access,
            timeout(run),
            run.ctx.progress.as_ref(),
        )
        .await?;
    Ok(StackSetRun {
        set,
        wants,
        state,
        updated,
    })
}

/// True when the StackSet, not the fan-out, gives `account` its role: a covered account other
/// than the hub and the management account (which StackSets never deploys to).
pub(crate) fn by_stack_set(run: &Run<'_>, account: &DiscoveredAccount) -> bool {
    !account.is_hub && account.id != run.pf.management.as_str()
}

/// Fan-out 1 of an account the StackSet covers: its role's ARN is known; without a current
/// instance, its role is read (one `GetRole`): the fan-out's own from an earlier `direct` run is
/// to be replaced (deleted right before the instance is created), a role of that name the tool
/// did not create is this account's failure (CloudFormation could not create its own).
pub(crate) async fn first_pass(
    stackset: &StackSetRun<'_>,
    member: Member<'_>,
    spec: &MemberRoleSpec,
    work: &mut AccountWork,
) {
    let arn = format!(
        "arn:{}:iam::{}:role/{}",
        spec.partition, member.account, spec.role_name
    );
    work.member_role_arn = Some(arn.clone());
    // The template's update did not reach this account's instance: its failure, with the
    // stack's reason (the others are updated).
    let updating = stackset.updated.failed.contains_key(member.account)
        || (stackset.updated.operation_failed.is_some()
            && stackset.instance(member.account).is_some());
    if updating && let Some(reason) = stackset.updated.failure_of(member.account) {
        work.error = Some(instance_failure("cloudformation:UpdateStackSet", &reason));
        return;
    }
    if stackset
        .instance(member.account)
        .is_some_and(Instance::current)
    {
        work.journal.actions.push(ActionRecord::new(
            &arn,
            None,
            ResourceStatus::Unchanged,
            Some(format!("deployed by the StackSet `{}`", stackset.set.name)),
        ));
        return;
    }
    match account_worker::member_role_origin(&member.clients.iam(member.home), spec).await {
        Ok(Some(RoleOrigin::Direct)) => {
            work.replace_direct_role = true;
            work.journal.changes.push(Change::new(
                &arn,
                ChangeAction::Delete,
                None,
                None,
                format!(
                    "created directly by an earlier run: replaced by the StackSet `{}`'s, deleted right before its stack instance is created",
                    stackset.set.name
                ),
            ));
        }
        Ok(Some(RoleOrigin::Foreign)) => {
            work.error = Some(WorkerError::new(
                ErrorKind::InvalidState,
                "iam:GetRole",
                "RoleNameTaken",
                format!(
                    "a role `{}` that radiant-onboard did not create exists in this account: the StackSet cannot create its own there; delete or rename it, or set `radiant.member_role_name` to another name",
                    spec.role_name
                ),
            ));
        }
        Ok(Some(RoleOrigin::StackSet) | None) => {}
        Err(e) => work.error = Some(e),
    }
}

/// After fan-out 1: the roles to replace are deleted, then the stack instances of every covered
/// account without a current one are created in one operation, waited for; an instance that
/// failed is its account's failure (with the stack's status reason), the others go on.
pub(crate) async fn deploy_instances(
    run: &Run<'_>,
    stackset: &StackSetRun<'_>,
    works: &mut [AccountWork],
    spec: &MemberRoleSpec,
    mode: Mode,
    log: &mut HubLog,
) -> Result<(), EngineError> {
    // Accounts the StackSet leaves out (excluded, the hub) that automatic deployment reached
    // anyway (it ignores account filters).
    let stray: Vec<String> = stackset
        .wants
        .excluded
        .iter()
        .filter(|a| stackset.instance(a).is_some())
        .cloned()
        .collect();
    if !stray.is_empty() {
        let outcome = stackset
            .set
            .remove_instances(
                log,
                &stackset.wants,
                &stray,
                timeout(run),
                run.ctx.progress.as_ref(),
            )
            .await?;
        if let Some((account, reason)) = outcome.first_failure() {
            return Err(EngineError::Hub {
                operation: "cloudformation:DeleteStackInstances".to_owned(),
                resource: format!("{}#instances", stackset.set.resource()),
                kind: ErrorKind::Other,
                message: format!(
                    "the stack instance of the excluded account `{account}` could not be removed: {reason}"
                ),
            });
        }
    }
    let covered: Vec<usize> = (0..works.len())
        .filter(|&i| by_stack_set(run, &works[i].account) && works[i].error.is_none())
        .collect();
    let missing: Vec<String> = covered
        .iter()
        .map(|&i| works[i].account.id.clone())
        .filter(|a| !stackset.instance(a).is_some_and(Instance::current))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if mode == Mode::Apply {
        let replaced = join_all(
            works
                .iter_mut()
                .filter(|w| w.replace_direct_role && w.error.is_none())
                .map(|w| async move {
                    let Some(clients) = w.clients.clone() else {
                        return;
                    };
                    let iam = clients.iam(run.home());
                    match account_worker::remove_member_role(&iam, spec, Mode::Apply).await {
                        Ok(journal) => w.journal.actions.extend(journal.actions),
                        Err(e) => w.error = Some(e),
                    }
                }),
        );
        replaced.await;
    }
    let missing: Vec<String> = missing
        .into_iter()
        .filter(|a| {
            works
                .iter()
                .any(|w| &w.account.id == a && w.error.is_none())
        })
        .collect();
    // A run of some accounts only deploys exactly these (their instances are all it read).
    let first = run.only.is_none()
        && stackset
            .state
            .as_ref()
            .is_none_or(|s| s.instances.is_empty());
    // The first deployment targets the OUs minus the accounts left out: the covered accounts
    // that failed this run are left out too, so it reaches no more than the plan shows.
    let mut targets = stackset.wants.clone();
    if first {
        targets.excluded.extend(
            works
                .iter()
                .filter(|w| by_stack_set(run, &w.account) && w.error.is_some())
                .map(|w| w.account.id.clone())
                .filter(|a| !stackset.wants.excluded.contains(a)),
        );
    }
    let outcome = match stackset
        .set
        .ensure_instances(
            log,
            &targets,
            &missing,
            first,
            timeout(run),
            run.ctx.progress.as_ref(),
        )
        .await
    {
        Ok(outcome) => outcome,
        Err(e) => {
            // CloudFormation refused the operation (no instance was created): the roles just
            // deleted for it are created again directly, so no account is left without one,
            // and each account it was for fails with the refusal.
            if mode == Mode::Apply {
                restore_direct_roles(run, works, spec).await;
            }
            OperationOutcome {
                operation_failed: Some(e.to_string()),
                ..OperationOutcome::default()
            }
        }
    };
    for w in works.iter_mut().filter(|w| missing.contains(&w.account.id)) {
        let arn = w.member_role_arn.clone().unwrap_or_default();
        match outcome.failure_of(&w.account.id) {
            Some(reason) => {
                w.error = Some(instance_failure(
                    "cloudformation:CreateStackInstances",
                    &reason,
                ));
            }
            None => w.journal.actions.push(ActionRecord::new(
                &arn,
                None,
                if mode == Mode::Apply {
                    ResourceStatus::Created
                } else {
                    ResourceStatus::Planned
                },
                Some(format!("deployed by the StackSet `{}`", stackset.set.name)),
            )),
        }
    }
    Ok(())
}

/// The roles deleted for a StackSet operation that CloudFormation then refused, created again
/// directly (each failure is its account's).
async fn restore_direct_roles(run: &Run<'_>, works: &mut [AccountWork], spec: &MemberRoleSpec) {
    let tasks = works
        .iter_mut()
        .filter(|w| w.replace_direct_role && w.error.is_none())
        .map(|w| async move {
            let Some(clients) = w.clients.clone() else {
                return;
            };
            let member = Member {
                clients: &clients,
                account: &w.account.id,
                home: run.home(),
                mode: Mode::Apply,
            };
            match (MemberRole { member, spec }).ensure().await {
                Ok(report) => w.journal.extend(report.journal),
                Err(e) => w.error = Some(e),
            }
        });
    join_all(tasks).await;
}

/// `deploy = "direct"` after a StackSet run: the accounts whose role the StackSet deployed
/// (fan-out 1 found its tag) get it directly once the StackSet's instances and the StackSet are
/// removed.
pub(crate) async fn switch_to_direct(
    run: &Run<'_>,
    works: &mut [AccountWork],
    spec: &MemberRoleSpec,
    mode: Mode,
    log: &mut HubLog,
) -> Result<(), EngineError> {
    if !works.iter().any(|w| w.held_by_stack_set) {
        return Ok(());
    }
    let admin = if run.pf.caller == run.pf.management {
        Administrator::Management
    } else {
        Administrator::DelegatedAdmin
    };
    let set = stack_set(run, admin, mode);
    let refusal = if run.only.is_some() {
        // Removing the StackSet removes every account's instance, not only these accounts'.
        Some(
            "the switch from the StackSet to direct roles removes the StackSet's instances in every account: run apply without --accounts"
                .to_owned(),
        )
    } else {
        // The StackSet goes only when every account holding its role gets a direct one now.
        let unreachable: Vec<&str> = works
            .iter()
            .filter(|w| w.error.is_some())
            .map(|w| w.account.id.as_str())
            .collect();
        (!unreachable.is_empty()).then(|| {
            format!(
                "the StackSet is kept (its roles with it) until every covered account can get its role directly; these failed in this run: {}; fix them and run apply again",
                unreachable.join(", ")
            )
        })
    };
    let outcome = match refusal {
        Some(reason) => OperationOutcome {
            operation_failed: Some(reason),
            ..OperationOutcome::default()
        },
        None => match set
            .remove(log, timeout(run), run.ctx.progress.as_ref())
            .await
        {
            Ok(outcome) => outcome,
            Err(e) => OperationOutcome {
                operation_failed: Some(e.to_string()),
                ..OperationOutcome::default()
            },
        },
    };
    let held = works.iter_mut().filter(|w| w.held_by_stack_set);
    let tasks = held.map(|w| {
        let failure = outcome.failure_of(&w.account.id);
        async move {
            if let Some(reason) = failure {
                w.error = Some(instance_failure(
                    "cloudformation:DeleteStackInstances",
                    &reason,
                ));
                return;
            }
            let Some(clients) = w.clients.clone() else {
                return;
            };
            let member = Member {
                clients: &clients,
                account: &w.account.id,
                home: run.home(),
                mode,
            };
            if mode == Mode::Plan {
                // The StackSet's role is still there in a plan: its direct successor is shown.
                let arn = w.member_role_arn.clone().unwrap_or_default();
                w.journal.changes.push(Change::new(
                    &arn,
                    ChangeAction::Create,
                    None,
                    Some(serde_json::json!({
                        "AssumeRolePolicyDocument": spec.trust.to_value(),
                        "InlinePolicies": { spec.policy_name.clone(): spec.permissions.to_value() },
                    })),
                    "the StackSet's role goes with the StackSet: created directly",
                ));
                w.journal.actions.push(ActionRecord::new(
                    &arn,
                    None,
                    ResourceStatus::Planned,
                    None,
                ));
                return;
            }
            match (MemberRole { member, spec }).ensure().await {
                Ok(report) => {
                    w.member_role_arn = Some(report.arn);
                    w.journal.extend(report.journal);
                }
                Err(e) => w.error = Some(e),
            }
        }
    });
    join_all(tasks).await;
    Ok(())
}
