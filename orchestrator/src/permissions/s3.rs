//! The S3 operations, all with the caller's credentials: the hub's buckets with their policies,
//! notifications and tags, the log buckets' hardening, `[retention]`'s lifecycle rule, the
//! CloudTrail bucket's access logging, and objects (the prefix marker, the findings verify looks
//! for, offboard emptying a bucket). S3's IAM actions are not named after its operations
//! (`HeadBucket` is `s3:ListBucket`, `GetBucketEncryption` is `s3:GetEncryptionConfiguration`),
//! which is why each row names both.

use super::{ALL, APPLY, OFFBOARD, Operation, PLAN, Scope::Caller, VERIFY, op};

/// S3 (hub buckets).
pub(super) const OPERATIONS: &[Operation] = &[
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
];
