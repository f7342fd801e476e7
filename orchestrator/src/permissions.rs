//! The permissions the tool itself needs, and the seeds' permissions table for Radiant's roles.
//!
//! [`OPERATIONS`] lists every AWS API operation the product calls, with the IAM action that
//! authorizes it and where it runs. It is *derived from the calls the tool makes*: an integration
//! test runs apply, verify and offboard against the emulator and checks that every
//! (service, operation) the emulator saw is listed here (`tests/tests/it/cli_permissions.rs`).
//! `radiant-onboard permissions` prints the least-privilege policies built from this list.

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
}

const fn op(
    service: &'static str,
    operation: &'static str,
    action: &'static str,
    scope: Scope,
) -> Operation {
    Operation {
        service,
        operation,
        action,
        scope,
    }
}

use Scope::{Both, Caller};

/// Every API operation the product calls (kept in sync with the engine by the permissions test).
pub const OPERATIONS: &[Operation] = &[
    // STS
    op("sts", "GetCallerIdentity", "sts:GetCallerIdentity", Both),
    op("sts", "AssumeRole", "sts:AssumeRole", Caller),
    // Organizations (discovery, trusted access for the organization trail)
    op(
        "organizations",
        "DescribeOrganization",
        "organizations:DescribeOrganization",
        Caller,
    ),
    op(
        "organizations",
        "ListAccounts",
        "organizations:ListAccounts",
        Caller,
    ),
    op(
        "organizations",
        "DescribeAccount",
        "organizations:DescribeAccount",
        Caller,
    ),
    op(
        "organizations",
        "ListRoots",
        "organizations:ListRoots",
        Caller,
    ),
    op(
        "organizations",
        "ListParents",
        "organizations:ListParents",
        Caller,
    ),
    op(
        "organizations",
        "ListChildren",
        "organizations:ListChildren",
        Caller,
    ),
    op(
        "organizations",
        "ListOrganizationalUnitsForParent",
        "organizations:ListOrganizationalUnitsForParent",
        Caller,
    ),
    op(
        "organizations",
        "ListAccountsForParent",
        "organizations:ListAccountsForParent",
        Caller,
    ),
    op(
        "organizations",
        "DescribeOrganizationalUnit",
        "organizations:DescribeOrganizationalUnit",
        Caller,
    ),
    op(
        "organizations",
        "ListDelegatedAdministrators",
        "organizations:ListDelegatedAdministrators",
        Caller,
    ),
    op(
        "organizations",
        "ListAWSServiceAccessForOrganization",
        "organizations:ListAWSServiceAccessForOrganization",
        Caller,
    ),
    op(
        "organizations",
        "EnableAWSServiceAccess",
        "organizations:EnableAWSServiceAccess",
        Caller,
    ),
    // IAM (hub role, member roles, service-linked roles)
    op("iam", "GetAccountSummary", "iam:GetAccountSummary", Both),
    op("iam", "GetRole", "iam:GetRole", Both),
    op("iam", "CreateRole", "iam:CreateRole", Both),
    op("iam", "UpdateRole", "iam:UpdateRole", Both),
    op(
        "iam",
        "UpdateAssumeRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        Both,
    ),
    op("iam", "DeleteRole", "iam:DeleteRole", Both),
    op("iam", "TagRole", "iam:TagRole", Both),
    op("iam", "ListRoleTags", "iam:ListRoleTags", Both),
    op("iam", "PutRolePolicy", "iam:PutRolePolicy", Both),
    op("iam", "GetRolePolicy", "iam:GetRolePolicy", Both),
    op("iam", "ListRolePolicies", "iam:ListRolePolicies", Both),
    op("iam", "DeleteRolePolicy", "iam:DeleteRolePolicy", Both),
    op("iam", "CreatePolicy", "iam:CreatePolicy", Both),
    op("iam", "GetPolicy", "iam:GetPolicy", Both),
    op("iam", "GetPolicyVersion", "iam:GetPolicyVersion", Both),
    op(
        "iam",
        "CreatePolicyVersion",
        "iam:CreatePolicyVersion",
        Both,
    ),
    op(
        "iam",
        "DeletePolicyVersion",
        "iam:DeletePolicyVersion",
        Both,
    ),
    op("iam", "ListPolicyVersions", "iam:ListPolicyVersions", Both),
    op("iam", "DeletePolicy", "iam:DeletePolicy", Both),
    op("iam", "AttachRolePolicy", "iam:AttachRolePolicy", Both),
    op("iam", "DetachRolePolicy", "iam:DetachRolePolicy", Both),
    op(
        "iam",
        "ListAttachedRolePolicies",
        "iam:ListAttachedRolePolicies",
        Both,
    ),
    op(
        "iam",
        "CreateServiceLinkedRole",
        "iam:CreateServiceLinkedRole",
        Both,
    ),
    // S3 (hub buckets)
    op("s3", "ListBuckets", "s3:ListAllMyBuckets", Caller),
    op("s3", "HeadBucket", "s3:ListBucket", Caller),
    op("s3", "CreateBucket", "s3:CreateBucket", Caller),
    op("s3", "DeleteBucket", "s3:DeleteBucket", Caller),
    op("s3", "GetBucketLocation", "s3:GetBucketLocation", Caller),
    op("s3", "GetBucketPolicy", "s3:GetBucketPolicy", Caller),
    op("s3", "PutBucketPolicy", "s3:PutBucketPolicy", Caller),
    op("s3", "DeleteBucketPolicy", "s3:DeleteBucketPolicy", Caller),
    op(
        "s3",
        "GetBucketNotificationConfiguration",
        "s3:GetBucketNotification",
        Caller,
    ),
    op(
        "s3",
        "PutBucketNotificationConfiguration",
        "s3:PutBucketNotification",
        Caller,
    ),
    op(
        "s3",
        "GetBucketEncryption",
        "s3:GetEncryptionConfiguration",
        Caller,
    ),
    op(
        "s3",
        "PutBucketEncryption",
        "s3:PutEncryptionConfiguration",
        Caller,
    ),
    op(
        "s3",
        "GetPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
        Caller,
    ),
    op(
        "s3",
        "PutPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        Caller,
    ),
    op(
        "s3",
        "GetBucketVersioning",
        "s3:GetBucketVersioning",
        Caller,
    ),
    op(
        "s3",
        "PutBucketVersioning",
        "s3:PutBucketVersioning",
        Caller,
    ),
    op("s3", "GetBucketTagging", "s3:GetBucketTagging", Caller),
    op("s3", "PutBucketTagging", "s3:PutBucketTagging", Caller),
    op(
        "s3",
        "GetBucketOwnershipControls",
        "s3:GetBucketOwnershipControls",
        Caller,
    ),
    op(
        "s3",
        "PutBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
        Caller,
    ),
    op("s3", "ListObjects", "s3:ListBucket", Caller),
    op("s3", "ListObjectsV2", "s3:ListBucket", Caller),
    op("s3", "ListObjectVersions", "s3:ListBucketVersions", Caller),
    op("s3", "HeadObject", "s3:GetObject", Caller),
    op("s3", "GetObject", "s3:GetObject", Caller),
    op("s3", "PutObject", "s3:PutObject", Caller),
    op("s3", "DeleteObject", "s3:DeleteObject", Caller),
    op("s3", "DeleteObjects", "s3:DeleteObject", Caller),
    // KMS (hub keys)
    op("kms", "CreateKey", "kms:CreateKey", Caller),
    op("kms", "DescribeKey", "kms:DescribeKey", Caller),
    op("kms", "ListAliases", "kms:ListAliases", Caller),
    op("kms", "CreateAlias", "kms:CreateAlias", Caller),
    op("kms", "DeleteAlias", "kms:DeleteAlias", Caller),
    op("kms", "GetKeyPolicy", "kms:GetKeyPolicy", Caller),
    op("kms", "PutKeyPolicy", "kms:PutKeyPolicy", Caller),
    op("kms", "EnableKeyRotation", "kms:EnableKeyRotation", Caller),
    op(
        "kms",
        "GetKeyRotationStatus",
        "kms:GetKeyRotationStatus",
        Caller,
    ),
    op("kms", "TagResource", "kms:TagResource", Caller),
    op("kms", "ListResourceTags", "kms:ListResourceTags", Caller),
    op(
        "kms",
        "ScheduleKeyDeletion",
        "kms:ScheduleKeyDeletion",
        Caller,
    ),
    // SNS (hub topics)
    op("sns", "CreateTopic", "sns:CreateTopic", Caller),
    op("sns", "ListTopics", "sns:ListTopics", Caller),
    op(
        "sns",
        "GetTopicAttributes",
        "sns:GetTopicAttributes",
        Caller,
    ),
    op(
        "sns",
        "SetTopicAttributes",
        "sns:SetTopicAttributes",
        Caller,
    ),
    op("sns", "TagResource", "sns:TagResource", Caller),
    op(
        "sns",
        "ListTagsForResource",
        "sns:ListTagsForResource",
        Caller,
    ),
    op(
        "sns",
        "ListSubscriptionsByTopic",
        "sns:ListSubscriptionsByTopic",
        Caller,
    ),
    op("sns", "DeleteTopic", "sns:DeleteTopic", Caller),
    // CloudTrail (organization trail)
    op(
        "cloudtrail",
        "DescribeTrails",
        "cloudtrail:DescribeTrails",
        Caller,
    ),
    op("cloudtrail", "GetTrail", "cloudtrail:GetTrail", Caller),
    op(
        "cloudtrail",
        "CreateTrail",
        "cloudtrail:CreateTrail",
        Caller,
    ),
    op(
        "cloudtrail",
        "UpdateTrail",
        "cloudtrail:UpdateTrail",
        Caller,
    ),
    op(
        "cloudtrail",
        "DeleteTrail",
        "cloudtrail:DeleteTrail",
        Caller,
    ),
    op(
        "cloudtrail",
        "GetTrailStatus",
        "cloudtrail:GetTrailStatus",
        Caller,
    ),
    op(
        "cloudtrail",
        "StartLogging",
        "cloudtrail:StartLogging",
        Caller,
    ),
    op(
        "cloudtrail",
        "StopLogging",
        "cloudtrail:StopLogging",
        Caller,
    ),
    op(
        "cloudtrail",
        "GetEventSelectors",
        "cloudtrail:GetEventSelectors",
        Caller,
    ),
    op(
        "cloudtrail",
        "PutEventSelectors",
        "cloudtrail:PutEventSelectors",
        Caller,
    ),
    op("cloudtrail", "AddTags", "cloudtrail:AddTags", Caller),
    op("cloudtrail", "ListTags", "cloudtrail:ListTags", Caller),
    // GuardDuty (every covered account and Region)
    op(
        "guardduty",
        "ListDetectors",
        "guardduty:ListDetectors",
        Both,
    ),
    op(
        "guardduty",
        "CreateDetector",
        "guardduty:CreateDetector",
        Both,
    ),
    op("guardduty", "GetDetector", "guardduty:GetDetector", Both),
    op(
        "guardduty",
        "UpdateDetector",
        "guardduty:UpdateDetector",
        Both,
    ),
    op(
        "guardduty",
        "DeleteDetector",
        "guardduty:DeleteDetector",
        Both,
    ),
    op(
        "guardduty",
        "ListPublishingDestinations",
        "guardduty:ListPublishingDestinations",
        Both,
    ),
    op(
        "guardduty",
        "DescribePublishingDestination",
        "guardduty:DescribePublishingDestination",
        Both,
    ),
    op(
        "guardduty",
        "CreatePublishingDestination",
        "guardduty:CreatePublishingDestination",
        Both,
    ),
    op(
        "guardduty",
        "UpdatePublishingDestination",
        "guardduty:UpdatePublishingDestination",
        Both,
    ),
    op(
        "guardduty",
        "DeletePublishingDestination",
        "guardduty:DeletePublishingDestination",
        Both,
    ),
    op(
        "guardduty",
        "CreateSampleFindings",
        "guardduty:CreateSampleFindings",
        Both,
    ),
    op("guardduty", "ListFindings", "guardduty:ListFindings", Both),
    op(
        "guardduty",
        "ListOrganizationAdminAccounts",
        "guardduty:ListOrganizationAdminAccounts",
        Caller,
    ),
    op(
        "guardduty",
        "GetAdministratorAccount",
        "guardduty:GetAdministratorAccount",
        Both,
    ),
    op("guardduty", "ListMembers", "guardduty:ListMembers", Both),
    op("guardduty", "TagResource", "guardduty:TagResource", Both),
];

/// The IAM action that authorizes `service`'s `operation`, if the tool calls it.
pub fn action_for(service: &str, operation: &str) -> Option<&'static str> {
    OPERATIONS
        .iter()
        .find(|o| o.service.eq_ignore_ascii_case(service) && o.operation == operation)
        .map(|o| o.action)
}

/// The sorted, de-duplicated actions needed in `scope` ([`Scope::Both`] operations count for both).
pub fn actions(scope: Scope) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = OPERATIONS
        .iter()
        .filter(|o| o.scope == scope || o.scope == Both || scope == Both)
        .map(|o| o.action)
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
    let others: Vec<&str> = actions(Scope::Caller)
        .into_iter()
        .filter(|a| *a != "sts:AssumeRole")
        .collect();
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RadiantOnboardManage",
                "Effect": "Allow",
                "Action": others,
                "Resource": "*"
            },
            {
                "Sid": "RadiantOnboardAssumeRoles",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": [
                    format!("arn:{partition}:iam::*:role/{access_role_name}"),
                    format!("arn:{partition}:iam::*:role/{hub_role_name}"),
                    format!("arn:{partition}:iam::*:role/{member_role_name}")
                ]
            }
        ]
    })
}

/// The policy the access role needs inside each member account (a custom access role only:
/// OrganizationAccountAccessRole already grants it).
pub fn member_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RadiantOnboardMember",
                "Effect": "Allow",
                "Action": actions(Scope::Member),
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
