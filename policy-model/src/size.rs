//! Measuring documents the way AWS does, against the limits in `aws-facts.md`.
//!
//! - IAM (managed, inline, trust): characters of the minified JSON, not counting whitespace
//!   outside JSON strings (the minified JSON has none). Whitespace *inside* strings is counted:
//!   AWS's own count is "non-whitespace characters" and may skip it, so counting it can only
//!   over-estimate, never let an oversized document through. Characters are Unicode scalar values.
//! - S3 bucket, KMS key and SNS topic policies: bytes of the minified JSON (UTF-8).

use serde::Serialize;

use crate::document::PolicyDocument;

/// Default IAM role trust policy quota (`AssumeRolePolicySizeQuota`), raisable to 4,096.
pub const DEFAULT_TRUST_POLICY_QUOTA: usize = 2_048;
/// Customer managed policy limit (non-whitespace characters).
pub const IAM_MANAGED_LIMIT: usize = 6_144;
/// All inline policies of one role together (non-whitespace characters).
pub const IAM_INLINE_LIMIT: usize = 10_240;
/// S3 bucket policy limit (bytes).
pub const S3_BUCKET_LIMIT: usize = 20 * 1_024;
/// KMS key policy limit (bytes).
pub const KMS_KEY_LIMIT: usize = 32 * 1_024;
/// SNS topic policy limit (bytes).
pub const SNS_TOPIC_LIMIT: usize = 30 * 1_024;
/// SNS topic policy statement limit.
pub const SNS_TOPIC_MAX_STATEMENTS: usize = 100;

/// Which kind of document is measured, which decides the unit and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum PolicyKind {
    /// A customer managed IAM policy (6,144 characters).
    IamManaged,
    /// The inline policies of one role, together (10,240 characters).
    IamInline,
    /// A role trust policy; `quota` is the account's `AssumeRolePolicySizeQuota`.
    IamTrust {
        /// The live quota (2,048 by default, 4,096 on request).
        quota: usize,
    },
    /// An S3 bucket policy (20 KB).
    S3Bucket,
    /// A KMS key policy (32 KB).
    KmsKey,
    /// An SNS topic policy (30 KB, 100 statements).
    SnsTopic,
}

impl PolicyKind {
    /// A trust policy with the default quota.
    pub fn default_trust() -> Self {
        Self::IamTrust {
            quota: DEFAULT_TRUST_POLICY_QUOTA,
        }
    }

    /// Whether the size is counted in characters (IAM) rather than bytes.
    pub fn counts_characters(self) -> bool {
        matches!(
            self,
            Self::IamManaged | Self::IamInline | Self::IamTrust { .. }
        )
    }

    /// The unit the size is counted in, for messages.
    pub fn unit(self) -> &'static str {
        if self.counts_characters() {
            "characters"
        } else {
            "bytes"
        }
    }

    /// A short human name of the kind, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::IamManaged => "IAM managed policy",
            Self::IamInline => "IAM inline policies",
            Self::IamTrust { .. } => "IAM trust policy",
            Self::S3Bucket => "S3 bucket policy",
            Self::KmsKey => "KMS key policy",
            Self::SnsTopic => "SNS topic policy",
        }
    }
}

/// A document over its limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// Too large.
    #[error(
        "the {kind} is {size} {unit}, over the limit of {limit} {unit}: remove statements or use a compact form"
    )]
    TooLarge {
        /// [`PolicyKind::describe`].
        kind: &'static str,
        /// Measured size.
        size: usize,
        /// The limit.
        limit: usize,
        /// `characters` or `bytes`.
        unit: &'static str,
    },
    /// Too many statements (SNS topic policies).
    #[error("the {kind} has {count} statements, over the limit of {limit}: remove statements")]
    TooManyStatements {
        /// [`PolicyKind::describe`].
        kind: &'static str,
        /// Statement count.
        count: usize,
        /// The limit.
        limit: usize,
    },
}

/// The size of `doc` as AWS counts it for `kind` (see the module documentation).
pub fn measure(doc: &PolicyDocument, kind: PolicyKind) -> usize {
    measure_text(&doc.to_json_minified(), kind)
}

/// The size of an already minified JSON text as AWS counts it for `kind`.
pub fn measure_text(minified: &str, kind: PolicyKind) -> usize {
    if kind.counts_characters() {
        count_iam_characters(minified)
    } else {
        minified.len()
    }
}

/// Characters of a JSON text, skipping whitespace outside strings.
fn count_iam_characters(json: &str) -> usize {
    let mut in_string = false;
    let mut escaped = false;
    let mut count = 0;
    for c in json.chars() {
        if in_string {
            count += 1;
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            count += 1;
        } else if !c.is_whitespace() {
            count += 1;
        }
    }
    count
}

/// The limit for `kind`, in its unit.
pub fn limit(kind: PolicyKind) -> usize {
    match kind {
        PolicyKind::IamManaged => IAM_MANAGED_LIMIT,
        PolicyKind::IamInline => IAM_INLINE_LIMIT,
        PolicyKind::IamTrust { quota } => quota,
        PolicyKind::S3Bucket => S3_BUCKET_LIMIT,
        PolicyKind::KmsKey => KMS_KEY_LIMIT,
        PolicyKind::SnsTopic => SNS_TOPIC_LIMIT,
    }
}

/// Checks `doc` against the limits of `kind`; returns its size when it fits.
pub fn check(doc: &PolicyDocument, kind: PolicyKind) -> Result<usize, SizeError> {
    let size = measure(doc, kind);
    let max = limit(kind);
    if size > max {
        return Err(SizeError::TooLarge {
            kind: kind.describe(),
            size,
            limit: max,
            unit: kind.unit(),
        });
    }
    if kind == PolicyKind::SnsTopic && doc.statements().len() > SNS_TOPIC_MAX_STATEMENTS {
        return Err(SizeError::TooManyStatements {
            kind: kind.describe(),
            count: doc.statements().len(),
            limit: SNS_TOPIC_MAX_STATEMENTS,
        });
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_counts_skip_whitespace_outside_strings_only() {
        assert_eq!(count_iam_characters("{ \"a b\" : [ 1 ,2 ] }"), 13);
        assert_eq!(count_iam_characters(r#"{"k":"a\" b"}"#), 13);
    }

    #[test]
    fn pretty_and_minified_measure_the_same_for_iam() {
        let doc = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}"#,
        )
        .unwrap();
        let pretty = doc.to_json_pretty();
        assert_eq!(
            measure_text(&pretty, PolicyKind::IamManaged),
            measure(&doc, PolicyKind::IamManaged)
        );
        assert_eq!(
            measure(&doc, PolicyKind::S3Bucket),
            doc.to_json_minified().len()
        );
    }

    #[test]
    fn over_limit_is_an_error_that_names_sizes() {
        let doc = PolicyDocument::new();
        let err = check(&doc, PolicyKind::IamTrust { quota: 10 }).unwrap_err();
        assert!(
            err.to_string().contains("over the limit of 10 characters"),
            "{err}"
        );
        assert!(check(&doc, PolicyKind::default_trust()).is_ok());
    }
}
