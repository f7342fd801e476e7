//! The SNS operations, with the caller's credentials: the hub's topics (where the buckets'
//! notifications go), their policies and their tags.

use super::{APPLY, OFFBOARD, Operation, PLAN, Scope::Caller, op};

/// SNS (hub topics).
pub(super) const OPERATIONS: &[Operation] = &[
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
];
