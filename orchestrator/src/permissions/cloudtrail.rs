//! The CloudTrail operations, with the caller's credentials: the organization trail (created,
//! updated, logging, its event selectors and tags, deleted) and the organization's trails (the
//! one `existing_trail` reuses, or a second trail refused).

use super::{APPLY, OFFBOARD, Operation, PLAN, Scope::Caller, VERIFY, op};

/// CloudTrail (organization trail).
pub(super) const OPERATIONS: &[Operation] = &[
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
];
