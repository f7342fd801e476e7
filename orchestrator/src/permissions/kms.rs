//! The KMS operations, with the caller's credentials: the hub's keys with their aliases, policies
//! and rotation (with `hardening = "enforce"`, a customer's key's previous rotation is kept in a
//! tag for offboard to restore), and their deletion, which KMS only schedules.

use super::{APPLY, OFFBOARD, Operation, PLAN, Scope::Caller, VERIFY, op};

/// KMS (hub keys).
pub(super) const OPERATIONS: &[Operation] = &[
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
];
