//! The errors of parsing and patching policy documents.

/// A policy text that cannot be read as a policy document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not JSON (after URL-decoding, when the text was URL-encoded).
    #[error(
        "the policy is not valid JSON: {message}; pass the policy text exactly as AWS returns it"
    )]
    Json {
        /// serde_json's description of the problem.
        message: String,
    },
    /// The text looked URL-encoded but does not decode to UTF-8.
    #[error("the URL-encoded policy does not decode to UTF-8 text")]
    UrlEncoding,
    /// The top level is not a JSON object.
    #[error("a policy document must be a JSON object, found {found}")]
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
    /// `Statement` is neither an object nor a list of objects.
    #[error("`Statement` must be an object or a list of objects")]
    StatementShape,
    /// One statement has an invalid shape.
    #[error("statement {}is invalid: {reason}", sid.as_ref().map(|s| format!("`{s}` ")).unwrap_or_default())]
    Statement {
        /// The statement's Sid, when it has one.
        sid: Option<String>,
        /// What is wrong.
        reason: String,
    },
}

/// An ownership patch that was refused. The document is unchanged when a patch fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The Sid is missing or does not start with [`crate::OWNED_SID_PREFIX`].
    #[error(
        "statement Sid `{sid}` is not owned by radiant-onboard: only Sids starting with `RadiantOnboard` may be changed"
    )]
    NotOwned {
        /// The refused Sid (empty when the statement had none).
        sid: String,
    },
    /// No owned statement with this Sid exists in the document.
    #[error("the policy has no statement with Sid `{sid}`: ensure the statement first")]
    Missing {
        /// The Sid looked for.
        sid: String,
    },
    /// The document holds the same owned Sid twice, so the product cannot tell which to patch.
    #[error(
        "the policy holds {count} statements with Sid `{sid}`: remove the duplicates by hand, then run again"
    )]
    Duplicate {
        /// The duplicated Sid.
        sid: String,
        /// How many statements carry it.
        count: usize,
    },
    /// Removing the values would leave the field empty, which would widen the statement (for a
    /// condition) or make the document invalid (for `Resource`).
    #[error(
        "removing every value of `{field}` from statement `{sid}` would widen or invalidate it: remove the statement instead"
    )]
    WouldEmpty {
        /// The statement's Sid.
        sid: String,
        /// The field, e.g. `Resource` or `Condition.StringEquals.aws:SourceArn`.
        field: String,
    },
    /// The field holds something other than strings, so values cannot be added or removed.
    #[error("field `{field}` of statement `{sid}` is not a string or a list of strings")]
    NotAList {
        /// The statement's Sid.
        sid: String,
        /// The field.
        field: String,
    },
}
