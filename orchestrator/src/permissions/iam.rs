//! The IAM operations: the hub role and its managed policies (with the caller's credentials) and
//! the member roles with their inline policy (through the access role). Reading, creating,
//! re-trusting and deleting a role are in both scopes: the hub role is the caller's, a member role
//! the access role's.

use super::{
    APPLY, OFFBOARD, Operation, PLAN,
    Scope::{Both, Caller, Member},
    VERIFY, op,
};

/// IAM (hub role and its managed policies, member roles).
pub(super) const OPERATIONS: &[Operation] = &[
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
    // Apply deletes a member role the fan-out created when the StackSet replaces it
    // (`[members] deploy` switched to "stackset"): in member accounts only.
    op(
        "iam",
        "DeleteRole",
        "iam:DeleteRole",
        Both,
        APPLY | OFFBOARD,
    )
    .member_only_for(APPLY),
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
        APPLY | OFFBOARD,
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
];
