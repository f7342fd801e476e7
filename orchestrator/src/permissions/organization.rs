//! The operations on the caller and its organization: STS (who the caller is; the assume-role hops
//! into the member accounts, and into the hub role for verify), Organizations (preflight and
//! discovery: the organization, its accounts and OUs, trusted access, delegated administrators)
//! and Account (the Regions each account has enabled). They are three tables because
//! [`OPERATIONS`](super::OPERATIONS) lists Account's row after GuardDuty's first ones.

use super::{ALL, APPLY, OFFBOARD, Operation, PLAN, Scope::Caller, VERIFY, op};

/// STS (the caller, the assume-role hops).
pub(super) const STS: &[Operation] = &[
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
];

/// Organizations (preflight and discovery).
pub(super) const ORGANIZATIONS: &[Operation] = &[
    // `--accounts`: each given account and its parent chain, instead of the listing.
    op(
        "organizations",
        "DescribeAccount",
        "organizations:DescribeAccount",
        Caller,
        PLAN | APPLY | VERIFY,
    ),
    op(
        "organizations",
        "ListParents",
        "organizations:ListParents",
        Caller,
        PLAN | APPLY | VERIFY,
    ),
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
];

/// Account (the Regions each account has enabled).
pub(super) const ACCOUNT: &[Operation] = &[
    // The Regions each account has enabled, when an opt-in Region is configured (from the
    // management account, with the member's AccountId).
    op(
        "account",
        "ListRegions",
        "account:ListRegions",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
];
