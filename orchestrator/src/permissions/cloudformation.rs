//! The CloudFormation operations, with the caller's credentials (the management account or a
//! StackSets delegated administrator): the member role's StackSet of `[members] deploy =
//! "stackset"`, its stack instances and their operations.

use super::{APPLY, OFFBOARD, Operation, PLAN, Scope::Caller, VERIFY, op};

/// CloudFormation (the member role's StackSet).
pub(super) const OPERATIONS: &[Operation] = &[
    op(
        "cloudformation",
        "DescribeOrganizationsAccess",
        "cloudformation:DescribeOrganizationsAccess",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "cloudformation",
        "ActivateOrganizationsAccess",
        "cloudformation:ActivateOrganizationsAccess",
        Caller,
        APPLY,
    ),
    op(
        "cloudformation",
        "DescribeStackSet",
        "cloudformation:DescribeStackSet",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "cloudformation",
        "ListStackInstances",
        "cloudformation:ListStackInstances",
        Caller,
        PLAN | APPLY | VERIFY | OFFBOARD,
    ),
    op(
        "cloudformation",
        "CreateStackSet",
        "cloudformation:CreateStackSet",
        Caller,
        APPLY,
    ),
    op(
        "cloudformation",
        "UpdateStackSet",
        "cloudformation:UpdateStackSet",
        Caller,
        APPLY,
    ),
    op(
        "cloudformation",
        "CreateStackInstances",
        "cloudformation:CreateStackInstances",
        Caller,
        APPLY,
    ),
    op(
        "cloudformation",
        "DescribeStackSetOperation",
        "cloudformation:DescribeStackSetOperation",
        Caller,
        PLAN | APPLY | OFFBOARD,
    ),
    op(
        "cloudformation",
        "ListStackSetOperationResults",
        "cloudformation:ListStackSetOperationResults",
        Caller,
        PLAN | APPLY | OFFBOARD,
    ),
    op(
        "cloudformation",
        "DeleteStackInstances",
        "cloudformation:DeleteStackInstances",
        Caller,
        APPLY | OFFBOARD,
    ),
    op(
        "cloudformation",
        "DeleteStackSet",
        "cloudformation:DeleteStackSet",
        Caller,
        APPLY | OFFBOARD,
    ),
];
