//! The GuardDuty operations: in every covered account and Region the detector and its publishing
//! destination (in both scopes: the hub's with the caller's credentials, a member's through the
//! access role), the sample findings verify creates, and GuardDuty through a managed delegated
//! administrator. They are two tables because [`OPERATIONS`](super::OPERATIONS) lists the last
//! rows (the members, the detectors' tags) after Account's.

use super::{
    ALL, APPLY, OFFBOARD, Operation, PLAN,
    Scope::{Both, Caller, Member},
    VERIFY, op,
};

/// GuardDuty (every covered account and Region).
pub(super) const OPERATIONS: &[Operation] = &[
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
    // `--accounts`: the given accounts' membership, without listing every member.
    op(
        "guardduty",
        "GetMembers",
        "guardduty:GetMembers",
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
];

/// GuardDuty's members through the delegated administrator, and the detectors' tags (listed
/// after Account's row).
pub(super) const MEMBERS_AND_TAGS: &[Operation] = &[
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
