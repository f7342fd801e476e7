//! The seeds' permissions table for Radiant's roles: what Radiant's hub and member roles are
//! granted, per service and account, and why (plus the Organizations reads the hub policy
//! carries). `permissions` prints it after the tool's own policies.

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
