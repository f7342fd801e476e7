//! The permissions the tool itself needs, and the seeds' permissions table for Radiant's roles.
//!
//! [`OPERATIONS`] lists every AWS API operation the product calls, with the IAM action that
//! authorizes it and where it runs; [`DEPENDENT_ACTIONS`] the few actions AWS checks for a
//! parameter of one of those operations without a call of their own (tags on create, a
//! service-linked role created on the caller's behalf). The list is *derived from the calls the
//! tool makes* and checked both ways by `tests/tests/it/cli_permissions.rs`: every command that
//! calls AWS runs against the emulator over scenarios that reach the code paths that matter, and
//! every (service, operation) seen must be listed here with the scope it was called in, and every
//! operation listed here must have been called. `radiant-onboard permissions` prints the
//! least-privilege policies built from both lists.
//!
//! The rows are kept per service, one module each (`organization` for STS, Organizations and
//! Account; `iam`, `s3`, `kms`, `sns`, `cloudtrail`, `guardduty`, `cloudformation`), so that a change to what the
//! engine calls of one service is a change to one short file; they are put together at compile
//! time into the one [`OPERATIONS`] table, in an order that does not change what `permissions`
//! prints. The policies built from the tables are in `policy` (the caller's and the access role's)
//! and `scoped` (the caller's, scoped to the configuration's names); `radiant` is the table for
//! Radiant's roles.

mod cloudformation;
mod cloudtrail;
mod guardduty;
mod iam;
mod kms;
mod organization;
mod policy;
mod radiant;
mod s3;
mod scoped;
mod sns;

pub use policy::{caller_policy, caller_policy_for, member_policy, member_policy_for};
pub use radiant::{RADIANT_PERMISSIONS, RadiantPermission};
pub use scoped::{Names, caller_policy_scoped};

/// Where an operation is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// With the caller's credentials (the management account, which is also the hub by default):
    /// discovery, the hub resources, the shared policies and the assume-role hops.
    Caller,
    /// Inside each member account, through `organization.access_role_name`
    /// (OrganizationAccountAccessRole already has these; a custom access role needs them).
    Member,
    /// Both.
    Both,
}

/// One API operation the tool calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Operation {
    /// SDK service name as counted in reports (`iam`, `s3`, ...).
    pub service: &'static str,
    /// API operation name (`CreateRole`).
    pub operation: &'static str,
    /// The IAM action that authorizes it (`iam:CreateRole`).
    pub action: &'static str,
    /// Where it is called.
    pub scope: Scope,
    /// The commands that call it ([`Command`] bits; `permissions --for COMMAND`).
    #[serde(skip)]
    pub command_bits: u8,
    /// Of those, the commands that call it only inside member accounts (a `Both` operation whose
    /// caller side belongs to other commands): the caller's policy for them leaves it out.
    #[serde(skip)]
    pub member_only_bits: u8,
}

/// A command that calls AWS, for `permissions --for COMMAND`: `plan` also covers
/// `plan --offboard` and `policies` (all read-only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    Plan,
    Apply,
    Verify,
    Offboard,
    Accounts,
}

impl Command {
    /// Every command.
    pub const ALL: [Command; 5] = [
        Command::Plan,
        Command::Apply,
        Command::Verify,
        Command::Offboard,
        Command::Accounts,
    ];

    const fn bit(self) -> u8 {
        match self {
            Command::Plan => PLAN,
            Command::Apply => APPLY,
            Command::Verify => VERIFY,
            Command::Offboard => OFFBOARD,
            Command::Accounts => ACCOUNTS,
        }
    }
}

const PLAN: u8 = 1;
const APPLY: u8 = 2;
const VERIFY: u8 = 4;
const OFFBOARD: u8 = 8;
const ACCOUNTS: u8 = 16;
const ALL: u8 = PLAN | APPLY | VERIFY | OFFBOARD | ACCOUNTS;

/// True for an operation that only reads (`Get…`, `List…`, `Describe…`, `Head…`). `plan` and
/// `plan --offboard` make the reads of `apply` and `offboard` without their writes, so a read of
/// `apply` or `offboard` is granted to `plan` too, whether or not a test scenario planned over
/// the state that makes it.
pub fn is_read(operation: &str) -> bool {
    ["Get", "List", "Describe", "Head", "Lookup"]
        .iter()
        .any(|p| operation.starts_with(p))
}

impl Operation {
    /// The commands that call this operation.
    pub fn commands(&self) -> impl Iterator<Item = Command> + '_ {
        Command::ALL
            .into_iter()
            .filter(|c| self.command_bits & c.bit() != 0)
    }

    /// True when `command` calls it (`None`: any command).
    pub fn called_by(&self, command: Option<Command>) -> bool {
        command.is_none_or(|c| self.command_bits & c.bit() != 0)
    }

    /// True when `command` calls it with the caller's credentials (`None`: any command).
    fn called_as_caller_by(&self, command: Option<Command>) -> bool {
        self.called_by(command) && command.is_none_or(|c| self.member_only_bits & c.bit() == 0)
    }
}

const fn op(
    service: &'static str,
    operation: &'static str,
    action: &'static str,
    scope: Scope,
    command_bits: u8,
) -> Operation {
    Operation {
        service,
        operation,
        action,
        scope,
        command_bits,
        member_only_bits: 0,
    }
}

impl Operation {
    /// This operation, called only inside member accounts by the commands `member_only`.
    const fn member_only_for(mut self, member_only: u8) -> Operation {
        self.member_only_bits = member_only;
        self
    }
}

use Scope::Both;

/// The per-service tables, in the order of [`OPERATIONS`] (which is the order `permissions
/// --output json` lists the operations in: Account's row sits between GuardDuty's).
const TABLES: &[&[Operation]] = &[
    organization::STS,
    organization::ORGANIZATIONS,
    iam::OPERATIONS,
    s3::OPERATIONS,
    kms::OPERATIONS,
    sns::OPERATIONS,
    cloudtrail::OPERATIONS,
    guardduty::OPERATIONS,
    organization::ACCOUNT,
    guardduty::MEMBERS_AND_TAGS,
    cloudformation::OPERATIONS,
];

/// Every API operation the product calls, and nothing else (kept in sync with the engine, both
/// ways, by the permissions test): the per-service tables, one after the other.
pub const OPERATIONS: &[Operation] = &concat::<{ rows(TABLES) }>(TABLES);

/// The number of rows of `tables`.
const fn rows(tables: &[&[Operation]]) -> usize {
    let mut n = 0;
    let mut t = 0;
    while t < tables.len() {
        n += tables[t].len();
        t += 1;
    }
    n
}

/// `tables`, one after the other (`N` is their [`rows`]). A `const fn`, so that [`OPERATIONS`]
/// stays a `const` slice that every user reads as before.
const fn concat<const N: usize>(tables: &[&[Operation]]) -> [Operation; N] {
    // A placeholder in every slot, each overwritten below: `N` is the number of rows.
    let mut out = [op("", "", "", Scope::Caller, 0); N];
    let mut n = 0;
    let mut t = 0;
    while t < tables.len() {
        let mut r = 0;
        while r < tables[t].len() {
            out[n] = tables[t][r];
            n += 1;
            r += 1;
        }
        t += 1;
    }
    out
}

/// An IAM action that AWS authorizes as part of another operation the tool calls, which has no
/// call of its own for the emulator to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DependentAction {
    /// The IAM action (`iam:TagRole`).
    pub action: &'static str,
    /// SDK service name of the operation that needs it (an entry of [`OPERATIONS`], whose scope
    /// is this action's scope).
    pub service: &'static str,
    /// That operation (`CreateRole`).
    pub operation: &'static str,
    /// Why AWS checks it.
    pub reason: &'static str,
}

const fn dep(
    action: &'static str,
    service: &'static str,
    operation: &'static str,
    reason: &'static str,
) -> DependentAction {
    DependentAction {
        action,
        service,
        operation,
        reason,
    }
}

/// The actions AWS checks for a parameter of an operation in [`OPERATIONS`] (tag-on-create, a
/// service-linked role created for the caller), in the scope of that operation.
pub const DEPENDENT_ACTIONS: &[DependentAction] = &[
    dep(
        "s3:DeleteObjectVersion",
        "s3",
        "DeleteObject",
        "offboard empties a versioned bucket: DeleteObject with a versionId is authorized by s3:DeleteObjectVersion",
    ),
    dep(
        "iam:TagRole",
        "iam",
        "CreateRole",
        "the hub and member roles are created with the managed-by tag",
    ),
    dep(
        "iam:TagPolicy",
        "iam",
        "CreatePolicy",
        "the hub role's managed policies are created with the managed-by tag",
    ),
    dep(
        "sns:TagResource",
        "sns",
        "CreateTopic",
        "the topics are created with the managed-by tag",
    ),
    dep(
        "cloudtrail:AddTags",
        "cloudtrail",
        "CreateTrail",
        "the trail is created with the managed-by tag",
    ),
    dep(
        "iam:CreateServiceLinkedRole",
        "cloudtrail",
        "CreateTrail",
        "an organization trail needs CloudTrail's service-linked role, created on first use",
    ),
    dep(
        "organizations:EnableAWSServiceAccess",
        "cloudtrail",
        "CreateTrail",
        "part of CloudTrail's documented minimum for creating an organization trail",
    ),
    dep(
        "iam:CreateServiceLinkedRole",
        "guardduty",
        "CreateDetector",
        "a detector needs GuardDuty's service-linked role, created with the first detector",
    ),
];

/// The scope of the operation `service`'s `operation` in [`OPERATIONS`].
pub fn scope_of(service: &str, operation: &str) -> Option<Scope> {
    OPERATIONS
        .iter()
        .find(|o| o.service == service && o.operation == operation)
        .map(|o| o.scope)
}

/// The IAM action that authorizes `service`'s `operation`, if the tool calls it.
pub fn action_for(service: &str, operation: &str) -> Option<&'static str> {
    OPERATIONS
        .iter()
        .find(|o| o.service.eq_ignore_ascii_case(service) && o.operation == operation)
        .map(|o| o.action)
}

/// The sorted, de-duplicated actions needed in `scope` ([`Scope::Both`] operations count for
/// both), the dependent actions of those operations included.
pub fn actions(scope: Scope) -> Vec<&'static str> {
    actions_for(scope, None)
}

/// [`actions`] of the operations `command` calls (`None`: every command).
pub fn actions_for(scope: Scope, command: Option<Command>) -> Vec<&'static str> {
    let wanted = |s: Scope| s == scope || s == Both || scope == Both;
    let called = |service: &str, operation: &str| {
        OPERATIONS
            .iter()
            .any(|o| o.service == service && o.operation == operation && o.called_by(command))
    };
    let mut out: Vec<&'static str> = OPERATIONS
        .iter()
        .filter(|o| {
            wanted(o.scope)
                && if scope == Scope::Caller {
                    o.called_as_caller_by(command)
                } else {
                    o.called_by(command)
                }
        })
        .map(|o| o.action)
        .chain(
            DEPENDENT_ACTIONS
                .iter()
                .filter(|d| {
                    scope_of(d.service, d.operation).is_some_and(wanted)
                        && called(d.service, d.operation)
                })
                .map(|d| d.action),
        )
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_service_prefixed_and_operations_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for o in OPERATIONS {
            assert!(o.action.contains(':'), "{o:?}");
            assert!(seen.insert((o.service, o.operation)), "duplicate {o:?}");
        }
    }

    #[test]
    fn every_dependent_action_belongs_to_a_listed_operation_and_is_not_granted_otherwise() {
        for d in DEPENDENT_ACTIONS {
            assert!(d.action.contains(':'), "{d:?}");
            let scope = scope_of(d.service, d.operation)
                .unwrap_or_else(|| panic!("{d:?} depends on an operation not in OPERATIONS"));
            assert!(
                !OPERATIONS
                    .iter()
                    .any(|o| o.action == d.action && (o.scope == scope || o.scope == Both)),
                "{d:?} is already granted by an operation of OPERATIONS"
            );
        }
    }

    #[test]
    fn plan_is_read_only_and_each_command_gets_only_its_operations() {
        let plan = actions_for(Scope::Both, Some(Command::Plan));
        for a in &plan {
            let verb = a.split_once(':').map_or(*a, |(_, v)| v);
            assert!(
                is_read(verb)
                    || *a == "sts:AssumeRole"
                    || *a == "s3:ListBucket"
                    || *a == "s3:ListBucketVersions"
                    || *a == "s3:GetObject",
                "plan needs `{a}`, which is not a read"
            );
        }
        let all = actions(Scope::Both);
        for c in Command::ALL {
            let some = actions_for(Scope::Both, Some(c));
            assert!(!some.is_empty(), "{c:?}");
            assert!(some.iter().all(|a| all.contains(a)), "{c:?}");
        }
        assert!(actions_for(Scope::Both, Some(Command::Apply)).contains(&"iam:CreateRole"));
        assert!(!plan.contains(&"iam:CreateRole"));
        assert!(actions_for(Scope::Both, Some(Command::Offboard)).contains(&"iam:DeleteRole"));
    }

    #[test]
    fn member_policy_has_only_what_member_accounts_call() {
        let member = actions(Scope::Member);
        // The access role creates the member role (tagged) and the detectors.
        for a in [
            "iam:CreateRole",
            "iam:TagRole",
            "iam:PutRolePolicy",
            "guardduty:CreateDetector",
            "iam:CreateServiceLinkedRole",
        ] {
            assert!(member.contains(&a), "{a} missing from {member:?}");
        }
        // The hub's resources and the shared policies are the caller's alone.
        for a in [
            "iam:CreatePolicy",
            "iam:TagPolicy",
            "s3:PutBucketPolicy",
            "kms:CreateKey",
            "sts:GetCallerIdentity",
            "guardduty:CreateSampleFindings",
        ] {
            assert!(!member.contains(&a), "{a} in {member:?}");
        }
        let caller = actions(Scope::Caller);
        assert!(caller.contains(&"iam:TagPolicy") && caller.contains(&"cloudtrail:AddTags"));
        assert!(!caller.contains(&"iam:PutRolePolicy"), "{caller:?}");
    }

    #[test]
    fn s3_operations_map_to_their_iam_action_names() {
        assert_eq!(
            action_for("s3", "PutBucketNotificationConfiguration"),
            Some("s3:PutBucketNotification")
        );
        assert_eq!(action_for("s3", "ListObjectsV2"), Some("s3:ListBucket"));
        assert_eq!(action_for("s3", "NoSuchOperation"), None);
    }
}
