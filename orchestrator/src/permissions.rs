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

use serde_json::{Value, json};

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
    }
}

use Scope::{Both, Caller, Member};

/// Every API operation the product calls, and nothing else (kept in sync with the engine, both
/// ways, by the permissions test).
pub const OPERATIONS: &[Operation] = &[
    // STS
    op(
        "sts",
        "GetCallerIdentity",
        "sts:GetCallerIdentity",
        Caller,
        ALL,
    ),
    op(
        "sts",
        "AssumeRole",
        "sts:AssumeRole",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    // Organizations (preflight and discovery)
    op(
        "organizations",
        "DescribeOrganization",
        "organizations:DescribeOrganization",
        Caller,
        ALL,
    ),
    op(
        "organizations",
        "ListAccounts",
        "organizations:ListAccounts",
        Caller,
        ALL,
    ),
    op(
        "organizations",
        "ListRoots",
        "organizations:ListRoots",
        Caller,
        ALL,
    ),
    op(
        "organizations",
        "ListOrganizationalUnitsForParent",
        "organizations:ListOrganizationalUnitsForParent",
        Caller,
        ALL,
    ),
    op(
        "organizations",
        "ListAccountsForParent",
        "organizations:ListAccountsForParent",
        Caller,
        ALL,
    ),
    op(
        "organizations",
        "ListDelegatedAdministrators",
        "organizations:ListDelegatedAdministrators",
        Caller,
        ALL,
    ),
    op(
        "organizations",
        "ListAWSServiceAccessForOrganization",
        "organizations:ListAWSServiceAccessForOrganization",
        Caller,
        ALL,
    ),
    // IAM (hub role and its managed policies, member roles)
    op(
        "iam",
        "GetAccountSummary",
        "iam:GetAccountSummary",
        Caller,
        PLAN | APPLY,
    ),
    op(
        "iam",
        "GetRole",
        "iam:GetRole",
        Both,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op("iam", "CreateRole", "iam:CreateRole", Both, APPLY),
    op(
        "iam",
        "UpdateAssumeRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        Both,
        APPLY,
    ),
    op("iam", "DeleteRole", "iam:DeleteRole", Both, OFFBOARD),
    op("iam", "PutRolePolicy", "iam:PutRolePolicy", Member, APPLY),
    op(
        "iam",
        "GetRolePolicy",
        "iam:GetRolePolicy",
        Member,
        PLAN | APPLY,
    ),
    op(
        "iam",
        "DeleteRolePolicy",
        "iam:DeleteRolePolicy",
        Member,
        OFFBOARD,
    ),
    op("iam", "CreatePolicy", "iam:CreatePolicy", Caller, APPLY),
    op(
        "iam",
        "GetPolicy",
        "iam:GetPolicy",
        Caller,
        PLAN | APPLY | VERIFY,
    ),
    op(
        "iam",
        "GetPolicyVersion",
        "iam:GetPolicyVersion",
        Caller,
        PLAN | APPLY | VERIFY,
    ),
    op(
        "iam",
        "CreatePolicyVersion",
        "iam:CreatePolicyVersion",
        Caller,
        APPLY,
    ),
    op(
        "iam",
        "DeletePolicyVersion",
        "iam:DeletePolicyVersion",
        Caller,
        OFFBOARD,
    ),
    op(
        "iam",
        "ListPolicyVersions",
        "iam:ListPolicyVersions",
        Caller,
        PLAN | APPLY | OFFBOARD,
    ),
    op("iam", "DeletePolicy", "iam:DeletePolicy", Caller, OFFBOARD),
    op(
        "iam",
        "AttachRolePolicy",
        "iam:AttachRolePolicy",
        Caller,
        APPLY,
    ),
    op(
        "iam",
        "DetachRolePolicy",
        "iam:DetachRolePolicy",
        Caller,
        OFFBOARD,
    ),
    op(
        "iam",
        "ListAttachedRolePolicies",
        "iam:ListAttachedRolePolicies",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    // S3 (hub buckets)
    op(
        "s3",
        "HeadBucket",
        "s3:ListBucket",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op("s3", "CreateBucket", "s3:CreateBucket", Caller, APPLY),
    op("s3", "DeleteBucket", "s3:DeleteBucket", Caller, OFFBOARD),
    op(
        "s3",
        "GetBucketPolicy",
        "s3:GetBucketPolicy",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "s3",
        "PutBucketPolicy",
        "s3:PutBucketPolicy",
        Caller,
        APPLY | OFFBOARD,
    ),
    op(
        "s3",
        "DeleteBucketPolicy",
        "s3:DeleteBucketPolicy",
        Caller,
        OFFBOARD,
    ),
    op(
        "s3",
        "GetBucketNotificationConfiguration",
        "s3:GetBucketNotification",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "s3",
        "PutBucketNotificationConfiguration",
        "s3:PutBucketNotification",
        Caller,
        APPLY | OFFBOARD,
    ),
    op(
        "s3",
        "GetBucketTagging",
        "s3:GetBucketTagging",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    // The Region of an adopted findings bucket (its topic and key go there).
    op(
        "s3",
        "GetBucketLocation",
        "s3:GetBucketLocation",
        Caller,
        ALL,
    ),
    // Hardening of the log buckets (`resources/hardening.rs`).
    op(
        "s3",
        "GetBucketPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
        Caller,
        PLAN | APPLY | VERIFY,
    ),
    op(
        "s3",
        "PutBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        Caller,
        APPLY | OFFBOARD,
    ),
    op(
        "s3",
        "GetBucketOwnershipControls",
        "s3:GetBucketOwnershipControls",
        Caller,
        PLAN | APPLY | VERIFY,
    ),
    op(
        "s3",
        "PutBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
        Caller,
        APPLY | OFFBOARD,
    ),
    op(
        "s3",
        "GetBucketEncryption",
        "s3:GetEncryptionConfiguration",
        Caller,
        PLAN | APPLY | VERIFY,
    ),
    op(
        "s3",
        "PutBucketEncryption",
        "s3:PutEncryptionConfiguration",
        Caller,
        APPLY | OFFBOARD,
    ),
    op(
        "s3",
        "GetBucketVersioning",
        "s3:GetBucketVersioning",
        Caller,
        PLAN | APPLY | VERIFY,
    ),
    op(
        "s3",
        "PutBucketVersioning",
        "s3:PutBucketVersioning",
        Caller,
        APPLY | OFFBOARD,
    ),
    op(
        "s3",
        "PutBucketTagging",
        "s3:PutBucketTagging",
        Caller,
        APPLY | OFFBOARD,
    ),
    // `hardening = "enforce"` undone by offboard: what a customer's bucket did not have goes.
    op(
        "s3",
        "DeleteBucketTagging",
        "s3:PutBucketTagging",
        Caller,
        OFFBOARD,
    ),
    op(
        "s3",
        "DeleteBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        Caller,
        OFFBOARD,
    ),
    op(
        "s3",
        "DeleteBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
        Caller,
        OFFBOARD,
    ),
    // `[retention]`: the lifecycle rule of the product's buckets.
    op(
        "s3",
        "GetBucketLifecycleConfiguration",
        "s3:GetLifecycleConfiguration",
        Caller,
        PLAN | APPLY | VERIFY,
    ),
    op(
        "s3",
        "PutBucketLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
        Caller,
        APPLY,
    ),
    op(
        "s3",
        "DeleteBucketLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
        Caller,
        APPLY,
    ),
    // `cloudtrail.access_logs_bucket`: server access logging of the CloudTrail bucket.
    op(
        "s3",
        "GetBucketLogging",
        "s3:GetBucketLogging",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "s3",
        "PutBucketLogging",
        "s3:PutBucketLogging",
        Caller,
        APPLY | OFFBOARD,
    ),
    op("s3", "ListObjectsV2", "s3:ListBucket", Caller, VERIFY),
    op(
        "s3",
        "ListObjectVersions",
        "s3:ListBucketVersions",
        Caller,
        PLAN | OFFBOARD,
    ),
    op("s3", "HeadObject", "s3:GetObject", Caller, PLAN | APPLY),
    op("s3", "PutObject", "s3:PutObject", Caller, APPLY),
    op("s3", "DeleteObject", "s3:DeleteObject", Caller, OFFBOARD),
    // KMS (hub keys)
    op("kms", "CreateKey", "kms:CreateKey", Caller, APPLY),
    op(
        "kms",
        "DescribeKey",
        "kms:DescribeKey",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op("kms", "CreateAlias", "kms:CreateAlias", Caller, APPLY),
    op("kms", "DeleteAlias", "kms:DeleteAlias", Caller, OFFBOARD),
    op(
        "kms",
        "GetKeyPolicy",
        "kms:GetKeyPolicy",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "kms",
        "PutKeyPolicy",
        "kms:PutKeyPolicy",
        Caller,
        APPLY | OFFBOARD,
    ),
    op(
        "kms",
        "ListResourceTags",
        "kms:ListResourceTags",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "kms",
        "GetKeyRotationStatus",
        "kms:GetKeyRotationStatus",
        Caller,
        PLAN | APPLY | VERIFY,
    ),
    op(
        "kms",
        "EnableKeyRotation",
        "kms:EnableKeyRotation",
        Caller,
        APPLY,
    ),
    // `hardening = "enforce"`: a customer's key's previous rotation, recorded in a tag and
    // restored by offboard (the same action also tags the keys CreateKey makes).
    op("kms", "TagResource", "kms:TagResource", Caller, APPLY),
    op(
        "kms",
        "UntagResource",
        "kms:UntagResource",
        Caller,
        OFFBOARD,
    ),
    op(
        "kms",
        "DisableKeyRotation",
        "kms:DisableKeyRotation",
        Caller,
        OFFBOARD,
    ),
    op(
        "kms",
        "ScheduleKeyDeletion",
        "kms:ScheduleKeyDeletion",
        Caller,
        OFFBOARD,
    ),
    // SNS (hub topics)
    op("sns", "CreateTopic", "sns:CreateTopic", Caller, APPLY),
    op(
        "sns",
        "GetTopicAttributes",
        "sns:GetTopicAttributes",
        Caller,
        PLAN | APPLY | OFFBOARD,
    ),
    op(
        "sns",
        "SetTopicAttributes",
        "sns:SetTopicAttributes",
        Caller,
        APPLY | OFFBOARD,
    ),
    op(
        "sns",
        "ListTagsForResource",
        "sns:ListTagsForResource",
        Caller,
        PLAN | OFFBOARD,
    ),
    op("sns", "DeleteTopic", "sns:DeleteTopic", Caller, OFFBOARD),
    // CloudTrail (organization trail)
    op(
        "cloudtrail",
        "GetTrail",
        "cloudtrail:GetTrail",
        Caller,
        PLAN | APPLY | OFFBOARD,
    ),
    // The organization's trails: the one `existing_trail` reuses, or a second trail refused.
    op(
        "cloudtrail",
        "DescribeTrails",
        "cloudtrail:DescribeTrails",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "cloudtrail",
        "CreateTrail",
        "cloudtrail:CreateTrail",
        Caller,
        APPLY,
    ),
    op(
        "cloudtrail",
        "UpdateTrail",
        "cloudtrail:UpdateTrail",
        Caller,
        APPLY,
    ),
    op(
        "cloudtrail",
        "DeleteTrail",
        "cloudtrail:DeleteTrail",
        Caller,
        OFFBOARD,
    ),
    op(
        "cloudtrail",
        "GetTrailStatus",
        "cloudtrail:GetTrailStatus",
        Caller,
        PLAN | APPLY | VERIFY,
    ),
    op(
        "cloudtrail",
        "StartLogging",
        "cloudtrail:StartLogging",
        Caller,
        APPLY,
    ),
    op(
        "cloudtrail",
        "GetEventSelectors",
        "cloudtrail:GetEventSelectors",
        Caller,
        PLAN | APPLY,
    ),
    op(
        "cloudtrail",
        "PutEventSelectors",
        "cloudtrail:PutEventSelectors",
        Caller,
        APPLY,
    ),
    op(
        "cloudtrail",
        "ListTags",
        "cloudtrail:ListTags",
        Caller,
        PLAN | OFFBOARD,
    ),
    // GuardDuty (every covered account and Region)
    op(
        "guardduty",
        "ListDetectors",
        "guardduty:ListDetectors",
        Both,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "guardduty",
        "CreateDetector",
        "guardduty:CreateDetector",
        Both,
        APPLY,
    ),
    op(
        "guardduty",
        "GetDetector",
        "guardduty:GetDetector",
        Both,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "guardduty",
        "UpdateDetector",
        "guardduty:UpdateDetector",
        Both,
        APPLY | OFFBOARD,
    ),
    op(
        "guardduty",
        "DeleteDetector",
        "guardduty:DeleteDetector",
        Both,
        OFFBOARD,
    ),
    op(
        "guardduty",
        "ListPublishingDestinations",
        "guardduty:ListPublishingDestinations",
        Both,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "guardduty",
        "DescribePublishingDestination",
        "guardduty:DescribePublishingDestination",
        Both,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "guardduty",
        "CreatePublishingDestination",
        "guardduty:CreatePublishingDestination",
        Both,
        APPLY,
    ),
    op(
        "guardduty",
        "UpdatePublishingDestination",
        "guardduty:UpdatePublishingDestination",
        Both,
        APPLY,
    ),
    op(
        "guardduty",
        "DeletePublishingDestination",
        "guardduty:DeletePublishingDestination",
        Both,
        OFFBOARD,
    ),
    op(
        "guardduty",
        "CreateSampleFindings",
        "guardduty:CreateSampleFindings",
        Caller,
        VERIFY,
    ),
    op(
        "guardduty",
        "ListOrganizationAdminAccounts",
        "guardduty:ListOrganizationAdminAccounts",
        Caller,
        ALL,
    ),
    // GuardDuty through a managed delegated administrator (`guardduty.admin_account_id`): the
    // management account designates it; the rest runs in the administrator.
    op(
        "guardduty",
        "EnableOrganizationAdminAccount",
        "guardduty:EnableOrganizationAdminAccount",
        Caller,
        APPLY,
    ),
    op(
        "guardduty",
        "DescribeOrganizationConfiguration",
        "guardduty:DescribeOrganizationConfiguration",
        Member,
        PLAN | APPLY | VERIFY,
    ),
    op(
        "guardduty",
        "UpdateOrganizationConfiguration",
        "guardduty:UpdateOrganizationConfiguration",
        Member,
        APPLY,
    ),
    op(
        "guardduty",
        "ListMembers",
        "guardduty:ListMembers",
        Member,
        PLAN | APPLY | VERIFY,
    ),
    // The members' S3 protection, read and set through the delegated administrator.
    op(
        "guardduty",
        "GetMemberDetectors",
        "guardduty:GetMemberDetectors",
        Member,
        PLAN | APPLY | VERIFY,
    ),
    op(
        "guardduty",
        "UpdateMemberDetectors",
        "guardduty:UpdateMemberDetectors",
        Member,
        APPLY,
    ),
    // The Regions each account has enabled, when an opt-in Region is configured (from the
    // management account, with the member's AccountId).
    op(
        "account",
        "ListRegions",
        "account:ListRegions",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "guardduty",
        "CreateMembers",
        "guardduty:CreateMembers",
        Member,
        APPLY,
    ),
    op(
        "guardduty",
        "TagResource",
        "guardduty:TagResource",
        Both,
        APPLY,
    ),
    op(
        "guardduty",
        "UntagResource",
        "guardduty:UntagResource",
        Both,
        OFFBOARD,
    ),
];

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
        .filter(|o| wanted(o.scope) && o.called_by(command))
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

/// The least-privilege IAM policy for the identity that runs the tool (the caller).
///
/// `access_role_name` is the role assumed in member accounts; the `sts:AssumeRole` statement is
/// limited to it and to the hub role (used by verify to prove the ExternalId works).
pub fn caller_policy(
    partition: policy_model::Partition,
    access_role_name: &str,
    hub_role_name: &str,
    member_role_name: &str,
) -> Value {
    caller_policy_for(
        partition,
        access_role_name,
        hub_role_name,
        member_role_name,
        None,
    )
}

/// The names the caller's policy is scoped to: `None` for a kind means any name (no
/// configuration given, or a name only known at run time, such as a reused trail's bucket).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// The log buckets (`cloudtrail.bucket`, `guardduty.bucket`, `access_logs_bucket`).
    pub buckets: Option<Vec<String>>,
    /// The SNS topics (`cloudtrail.sns_topic`, `guardduty.sns_topic`).
    pub topics: Option<Vec<String>>,
}

/// The resource an action of the caller is scoped to (Service Authorization Reference: the
/// resource types each action supports); `Any` for an action that takes no resource ARN, or
/// whose resource is only known at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Resource {
    Any,
    Bucket,
    Object,
    HubRole,
    HubPolicy,
    Topic,
    Key,
}

fn resource_of(action: &str) -> Resource {
    let (service, name) = action.split_once(':').unwrap_or(("", action));
    match service {
        "s3" if matches!(
            name,
            "GetObject" | "PutObject" | "DeleteObject" | "DeleteObjectVersion"
        ) =>
        {
            Resource::Object
        }
        "s3" => Resource::Bucket,
        "iam" if name == "CreateServiceLinkedRole" || name == "GetAccountSummary" => Resource::Any,
        "iam" if name.contains("Role") => Resource::HubRole,
        "iam" if name.contains("Policy") => Resource::HubPolicy,
        "sns" if name.starts_with("List") => Resource::Any,
        "sns" => Resource::Topic,
        "kms" if name == "CreateKey" || name.starts_with("List") && name != "ListResourceTags" => {
            Resource::Any
        }
        "kms" => Resource::Key,
        _ => Resource::Any,
    }
}

/// [`caller_policy`] for one command (`permissions --for COMMAND`; `None`: every command).
pub fn caller_policy_for(
    partition: policy_model::Partition,
    access_role_name: &str,
    hub_role_name: &str,
    member_role_name: &str,
    command: Option<Command>,
) -> Value {
    let all = actions_for(Scope::Caller, command);
    let assume = all.contains(&"sts:AssumeRole");
    let others: Vec<&str> = all.into_iter().filter(|a| *a != "sts:AssumeRole").collect();
    let mut statements = vec![json!({
        "Sid": "RadiantOnboardManage",
        "Effect": "Allow",
        "Action": others,
        "Resource": "*"
    })];
    if assume {
        statements.push(assume_statement(
            partition,
            access_role_name,
            hub_role_name,
            member_role_name,
        ));
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// The `sts:AssumeRole` statement: the access role, the hub role (verify proves its
/// ExternalId) and the member roles, by name.
fn assume_statement(
    partition: policy_model::Partition,
    access_role_name: &str,
    hub_role_name: &str,
    member_role_name: &str,
) -> Value {
    json!({
        "Sid": "RadiantOnboardAssumeRoles",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": [
            format!("arn:{partition}:iam::*:role/{access_role_name}"),
            format!("arn:{partition}:iam::*:role/{hub_role_name}"),
            format!("arn:{partition}:iam::*:role/{member_role_name}")
        ]
    })
}

/// [`caller_policy_for`] with each action scoped to the resources it acts on: the log buckets
/// and their objects, the hub role and its managed policies, the topics, the keys; `*` only for
/// the actions that take no resource ARN (listing, creating a key, Organizations, STS's
/// GetCallerIdentity, ...).
pub fn caller_policy_scoped(
    partition: policy_model::Partition,
    access_role_name: &str,
    hub_role_name: &str,
    member_role_name: &str,
    command: Option<Command>,
    names: &Names,
) -> Value {
    let all = actions_for(Scope::Caller, command);
    let assume = all.contains(&"sts:AssumeRole");
    let mut by_resource: std::collections::BTreeMap<Resource, Vec<&str>> =
        std::collections::BTreeMap::new();
    for a in all.into_iter().filter(|a| *a != "sts:AssumeRole") {
        by_resource.entry(resource_of(a)).or_default().push(a);
    }
    let each = |names: &Option<Vec<String>>, f: &dyn Fn(&str) -> String| -> Vec<String> {
        match names {
            Some(list) if !list.is_empty() => list.iter().map(|n| f(n)).collect(),
            _ => vec![f("*")],
        }
    };
    let mut statements = Vec::new();
    for (resource, actions) in by_resource {
        let (sid, resources): (&str, Vec<String>) = match resource {
            Resource::Any => ("RadiantOnboardManage", vec!["*".to_owned()]),
            Resource::Bucket => (
                "RadiantOnboardLogBuckets",
                each(&names.buckets, &|b| format!("arn:{partition}:s3:::{b}")),
            ),
            Resource::Object => (
                "RadiantOnboardLogObjects",
                each(&names.buckets, &|b| format!("arn:{partition}:s3:::{b}/*")),
            ),
            // The member role too: with a hub elsewhere the management account is a member,
            // whose member role is written with the caller's own credentials.
            Resource::HubRole => (
                "RadiantOnboardRoles",
                vec![
                    format!("arn:{partition}:iam::*:role/{hub_role_name}"),
                    format!("arn:{partition}:iam::*:role/{member_role_name}"),
                ],
            ),
            Resource::HubPolicy => (
                "RadiantOnboardHubRolePolicies",
                vec![format!(
                    "arn:{partition}:iam::*:policy/{hub_role_name}-permissions*"
                )],
            ),
            Resource::Topic => (
                "RadiantOnboardTopics",
                each(&names.topics, &|t| format!("arn:{partition}:sns:*:*:{t}")),
            ),
            Resource::Key => (
                "RadiantOnboardKeys",
                vec![
                    format!("arn:{partition}:kms:*:*:key/*"),
                    format!("arn:{partition}:kms:*:*:alias/*"),
                ],
            ),
        };
        statements.push(json!({
            "Sid": sid,
            "Effect": "Allow",
            "Action": actions,
            "Resource": if resources.len() == 1 { json!(resources[0]) } else { json!(resources) },
        }));
    }
    if assume {
        // Second, after the unscoped statement, as in the unscoped policy.
        statements.insert(
            1.min(statements.len()),
            assume_statement(partition, access_role_name, hub_role_name, member_role_name),
        );
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// The policy the access role needs inside each member account (a custom access role only:
/// OrganizationAccountAccessRole already grants it).
pub fn member_policy() -> Value {
    member_policy_for(None)
}

/// [`member_policy`] for one command (`None`: every command).
pub fn member_policy_for(command: Option<Command>) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RadiantOnboardMember",
                "Effect": "Allow",
                "Action": actions_for(Scope::Member, command),
                "Resource": "*"
            }
        ]
    })
}

/// One row of the seeds' permissions table for Radiant's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RadiantPermission {
    /// `S3`, `SNS`, `KMS`, `STS`, `Organizations`.
    pub service: &'static str,
    /// The IAM action.
    pub permission: &'static str,
    /// `All` (hub and members) or `Main` (the hub).
    pub account: &'static str,
    /// Connectors that need it.
    pub connector: &'static str,
    /// Why Radiant needs it.
    pub details: &'static str,
}

const fn row(
    service: &'static str,
    permission: &'static str,
    account: &'static str,
    details: &'static str,
) -> RadiantPermission {
    RadiantPermission {
        service,
        permission,
        account,
        connector: "CloudTrail, GuardDuty",
        details,
    }
}

/// The seeds' permissions table (plus the organizations read actions the hub policy carries).
pub const RADIANT_PERMISSIONS: &[RadiantPermission] = &[
    row(
        "S3",
        "s3:Get*",
        "All",
        "Allows access to files and information from buckets.",
    ),
    row(
        "S3",
        "s3:List*",
        "All",
        "Allow a list of all buckets and files.",
    ),
    row(
        "SNS",
        "sns:Subscribe",
        "Main",
        "Allow our queue to subscribe on SNS.",
    ),
    row(
        "SNS",
        "sns:Unsubscribe",
        "Main",
        "Allow our queue to unsubscribe on SNS.",
    ),
    row(
        "SNS",
        "sns:ConfirmSubscription",
        "Main",
        "Allow your system to confirm the subscription.",
    ),
    row(
        "KMS",
        "kms:Decrypt",
        "Main",
        "Allow to get the key and decrypt log files.",
    ),
    row(
        "STS",
        "sts:AssumeRole",
        "Main",
        "Allow assuming a role in other accounts in the organization.",
    ),
    row(
        "Organizations",
        "organizations:ListPolicies",
        "Main",
        "Read the organization's policies.",
    ),
    row(
        "Organizations",
        "organizations:DescribePolicy",
        "Main",
        "Read the organization's policies.",
    ),
    row(
        "Organizations",
        "organizations:ListPoliciesForTarget",
        "Main",
        "Read the organization's policies.",
    ),
    row(
        "Organizations",
        "organizations:DescribeResourcePolicy",
        "Main",
        "Read the organization's resource policy.",
    ),
    row(
        "Organizations",
        "organizations:DescribeOrganization",
        "Main",
        "Read the organization's description.",
    ),
];

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
    fn the_caller_policy_scopes_each_action_to_its_resources() {
        let names = Names {
            buckets: Some(vec!["acme-ct".to_owned(), "acme-gd".to_owned()]),
            topics: Some(vec!["acme-topic".to_owned()]),
        };
        let p = caller_policy_scoped(
            policy_model::Partition::Aws,
            "OrganizationAccountAccessRole",
            "radiant-aws-access-role",
            "radiant-aws-member-role",
            None,
            &names,
        );
        let statements = p["Statement"].as_array().unwrap();
        let of = |sid: &str| {
            statements
                .iter()
                .find(|s| s["Sid"] == sid)
                .unwrap_or_else(|| panic!("{sid}: {p:#}"))
                .clone()
        };
        assert_eq!(
            of("RadiantOnboardLogBuckets")["Resource"],
            json!(["arn:aws:s3:::acme-ct", "arn:aws:s3:::acme-gd"])
        );
        assert_eq!(
            of("RadiantOnboardLogObjects")["Resource"],
            json!(["arn:aws:s3:::acme-ct/*", "arn:aws:s3:::acme-gd/*"])
        );
        assert!(
            of("RadiantOnboardLogObjects")["Action"]
                .as_array()
                .unwrap()
                .contains(&json!("s3:DeleteObjectVersion"))
        );
        assert_eq!(
            of("RadiantOnboardRoles")["Resource"],
            json!([
                "arn:aws:iam::*:role/radiant-aws-access-role",
                "arn:aws:iam::*:role/radiant-aws-member-role"
            ])
        );
        assert_eq!(
            of("RadiantOnboardTopics")["Resource"],
            "arn:aws:sns:*:*:acme-topic"
        );
        // Every action is granted once, and the `*` statement has no S3, role or topic action.
        let mut seen = std::collections::BTreeSet::new();
        for s in statements {
            for a in s["Action"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![s["Action"].clone()])
            {
                assert!(seen.insert(a.as_str().unwrap().to_owned()), "{a} twice");
            }
        }
        let any = of("RadiantOnboardManage");
        for a in any["Action"].as_array().unwrap() {
            let a = a.as_str().unwrap();
            assert!(
                !a.starts_with("s3:")
                    && !a.starts_with("sns:Set")
                    && (!a.contains("Role") || a == "iam:CreateServiceLinkedRole"),
                "{a} is granted on *"
            );
        }
        let unscoped = caller_policy(
            policy_model::Partition::Aws,
            "OrganizationAccountAccessRole",
            "radiant-aws-access-role",
            "radiant-aws-member-role",
        );
        assert_eq!(unscoped["Statement"][0]["Sid"], "RadiantOnboardManage");
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
    fn caller_policy_limits_assume_role_to_named_roles() {
        let p = caller_policy(
            policy_model::Partition::Aws,
            "OrganizationAccountAccessRole",
            "hub",
            "member",
        );
        let s = &p["Statement"][1];
        assert_eq!(s["Action"], "sts:AssumeRole");
        assert_eq!(
            s["Resource"][0],
            "arn:aws:iam::*:role/OrganizationAccountAccessRole"
        );
        let manage = p["Statement"][0]["Action"].as_array().unwrap();
        assert!(!manage.iter().any(|a| a == "sts:AssumeRole"));
        assert!(manage.iter().any(|a| a == "s3:PutBucketPolicy"));
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
