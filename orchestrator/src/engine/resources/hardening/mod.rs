//! Hardening of the log resources (`aws-facts.md`, "Hardening that CIS / AWS FSBP checks expect
//! of log resources"): for a bucket, the public access block (all four settings), object
//! ownership `BucketOwnerEnforced` (ACLs off), default encryption (SSE-KMS with the key and an
//! S3 Bucket Key, or SSE-S3 without a key) and versioning; for a key, automatic rotation.
//!
//! The product hardens what it owns (created, or tagged by it) in the same read-diff-write way
//! as everything else: each setting is read, compared, written only when it differs, and shown
//! in the plan. What the customer owns (an adopted bucket or key) is never changed: what is
//! missing there is an **advisory**, one line with the check it maps to and the fix.
//!
//! The parts: `bucket.rs` (a log bucket's four settings: their gaps, `ensure`, the writes),
//! `key.rs` (a log key's rotation) and `enforce.rs` (`hardening = "enforce"` on the customer's
//! own: the previous values recorded in the tag `radiant-onboard:previous-hardening`, and their
//! restore by offboard), `log_bucket.rs` (whose hardening a bucket or key is, [`Holder`], and
//! what follows from it for `ensure` and `verify`). This module holds what they share: the
//! settings, a gap, the advisory line, and whether a bucket is the product's.

mod bucket;
mod enforce;
mod key;
mod log_bucket;

pub(crate) use bucket::BucketHardening;
pub(crate) use key::KeyRotation;
pub(crate) use log_bucket::{Holder, LogBucket};

use super::bucket::Bucket;
use super::tagged;

/// One hardening setting, as plans, verify and advisories name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setting {
    PublicAccessBlock,
    ObjectOwnership,
    DefaultEncryption,
    Versioning,
    KeyRotation,
}

impl Setting {
    /// The setting's name in plans and verify (`#public-access-block`, ...).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::PublicAccessBlock => "public-access-block",
            Self::ObjectOwnership => "object-ownership",
            Self::DefaultEncryption => "default-encryption",
            Self::Versioning => "versioning",
            Self::KeyRotation => "key-rotation",
        }
    }

    /// The AWS Foundational Security Best Practices / CIS check the setting maps to, and the
    /// fix, for an advisory.
    pub(crate) fn advice(self) -> &'static str {
        match self {
            Self::PublicAccessBlock => {
                "S3.8 / CIS 2.1.4: turn on all four settings of the bucket's public access block (`aws s3api put-public-access-block`)"
            }
            Self::ObjectOwnership => {
                "S3.12: disable ACLs with object ownership `BucketOwnerEnforced` (`aws s3api put-bucket-ownership-controls`)"
            }
            Self::DefaultEncryption => {
                "S3.17 / CIS 3.x: default encryption with the log key (SSE-KMS) and an S3 Bucket Key (`aws s3api put-bucket-encryption`)"
            }
            Self::Versioning => {
                "S3.14: enable versioning (`aws s3api put-bucket-versioning --versioning-configuration Status=Enabled`)"
            }
            Self::KeyRotation => {
                "KMS.4 / CIS 3.6: enable automatic key rotation (`aws kms enable-key-rotation`)"
            }
        }
    }
}

/// A setting that differs: what it is now and what the product wants.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Gap {
    pub(crate) setting: Setting,
    pub(crate) before: serde_json::Value,
    pub(crate) after: serde_json::Value,
}
fn gap(setting: Setting, before: serde_json::Value, after: serde_json::Value) -> Gap {
    Gap {
        setting,
        before,
        after,
    }
}
/// True when the tags of a bucket mark it as the product's.
pub(crate) async fn bucket_is_ours(bucket: &Bucket<'_>) -> bool {
    let place = bucket.place;
    let s3 = place.clients.s3(place.region.as_str());
    match s3.get_bucket_tagging().bucket(bucket.name).send().await {
        Ok(t) => tagged(
            t.tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned())),
        ),
        Err(_) => false,
    }
}

/// One advisory line for `gap` of the customer's `resource`.
pub(crate) fn advisory(resource: &str, gap: &Gap) -> String {
    format!(
        "advisory: `{resource}` {}: {} (the tool does not change the customer's resources)",
        gap.setting.name(),
        gap.setting.advice()
    )
}
