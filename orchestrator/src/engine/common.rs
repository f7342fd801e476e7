//! Shared plumbing of the engine: the run's journal, error conversion, policy read-merge-write.

use account_worker::{ErrorKind, Journal, Mode, WorkerError};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use policy_model::planner::{PlanError, PlannedDocument};
use policy_model::{Partition, PolicyDocument};

use super::EngineError;
use crate::config::{Config, GuardDuty};
use crate::outcome::{ActionRecord, Change, ResourceStatus, SizeDecision};

/// The partition of the configured home Region: every ARN the engine builds carries it.
pub(crate) fn partition(cfg: &Config) -> Partition {
    Partition::of_region(&cfg.organization.home_region)
}

/// The publishing destination of the findings: `arn:PARTITION:s3:::BUCKET[/PREFIX]`.
pub(crate) fn findings_destination(cfg: &Config, gd: &GuardDuty) -> String {
    policy_model::Arn::findings_destination(partition(cfg), &gd.bucket, &gd.prefix).map_or_else(
        // Configuration validation checked both names; keep the shape for the report.
        |_| format!("arn:{}:s3:::{}/{}", partition(cfg), gd.bucket, gd.prefix),
        |a| a.to_string(),
    )
}

/// Placeholder for identifiers AWS assigns on creation, in plan output.
pub(crate) const KNOWN_AFTER_APPLY_DETECTOR: &str = "knownafterapply";
/// Placeholder KMS key ID in plan output.
pub(crate) const KNOWN_AFTER_APPLY_KEY: &str = "known-after-apply";

/// Attempts of the read-merge-write loop when a concurrent writer keeps changing a document.
const MERGE_ATTEMPTS: usize = 3;

/// Hub-level records of a run: the same [`Journal`] of actions and changes as an account's,
/// plus how the size planner fit each shared document.
#[derive(Debug, Default, Clone)]
pub(crate) struct HubLog {
    pub(crate) journal: Journal,
    pub(crate) size_decisions: Vec<SizeDecision>,
    /// Hardening the customer's own resources lack (`resources/hardening/`).
    pub(crate) advisories: Vec<String>,
}

impl HubLog {
    pub(crate) fn record(
        &mut self,
        resource: &str,
        kind: &str,
        status: ResourceStatus,
        detail: Option<String>,
    ) {
        self.journal
            .actions
            .push(ActionRecord::hub(resource, kind, status, detail));
    }

    /// Appends `other`'s records after this log's (parts that ran concurrently are merged in a
    /// fixed order, so reports and plans read the same on every run).
    pub(crate) fn extend(&mut self, other: HubLog) {
        self.journal.extend(other.journal);
        self.size_decisions.extend(other.size_decisions);
        self.advisories.extend(other.advisories);
    }

    pub(crate) fn decision(&mut self, document: &str, d: &policy_model::SizeDecision) {
        let form = serde_json::to_value(d.form)
            .ok()
            .and_then(|v| v.get("form").and_then(|f| f.as_str()).map(str::to_owned))
            .unwrap_or_else(|| format!("{:?}", d.form));
        self.size_decisions.push(SizeDecision {
            document: document.to_owned(),
            form,
            size: d.size,
            limit: d.limit,
            reason: d.reason.clone(),
        });
    }
}

/// The status of a step that made (or, in plan mode, would make) a change.
pub(crate) fn changed_status(mode: Mode, created: bool) -> ResourceStatus {
    match (mode, created) {
        (Mode::Plan, _) => ResourceStatus::Planned,
        (Mode::Apply, true) => ResourceStatus::Created,
        (Mode::Apply, false) => ResourceStatus::Updated,
    }
}

/// Converts an SDK error of a hub step into a fatal engine error.
pub(crate) fn hub_sdk<E, R>(
    op: &'static str,
    resource: impl Into<String>,
) -> impl FnOnce(SdkError<E, R>) -> EngineError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let resource = resource.into();
    move |e| hub_worker(&resource)(WorkerError::from_sdk(op, &e))
}

/// Converts a classified error of a hub step into a fatal engine error with advice.
pub(crate) fn hub_worker(resource: &str) -> impl FnOnce(WorkerError) -> EngineError + '_ {
    move |e| {
        let advice = match e.kind {
            ErrorKind::AccessDenied => {
                "; give the caller the permissions listed by `radiant-onboard permissions`"
            }
            ErrorKind::ScpDenied => {
                "; a service control policy denies it: exempt the caller or the hub account"
            }
            ErrorKind::Throttled => {
                "; AWS kept throttling: run again later (the run resumes where it stopped)"
            }
            ErrorKind::LimitExceeded => "; a quota was reached: raise it or free room",
            _ => "",
        };
        EngineError::Hub {
            operation: e.operation,
            resource: resource.to_owned(),
            kind: e.kind,
            message: format!("{} ({}){advice}", e.message, e.code),
        }
    }
}

/// Converts a planner error.
pub(crate) fn plan_err(document: &str) -> impl FnOnce(PlanError) -> EngineError + '_ {
    move |e| EngineError::PolicySize {
        document: document.to_owned(),
        message: e.to_string(),
    }
}

/// Parses a policy text AWS returned (plain or URL-encoded).
pub(crate) fn parse_policy(
    resource: &str,
    op: &'static str,
    text: &str,
) -> Result<PolicyDocument, EngineError> {
    PolicyDocument::parse(text)
        .or_else(|_| {
            let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
            PolicyDocument::parse(&decoded)
        })
        .map_err(|e| EngineError::Hub {
            operation: op.to_owned(),
            resource: resource.to_owned(),
            kind: ErrorKind::InvalidState,
            message: format!(
                "the policy AWS returned cannot be read: {e}; fix the document by hand"
            ),
        })
}

/// True when `doc` already holds the product's `statements` in the fixed form: the rule by which
/// `ensure` of such a document (bucket, key or topic policy) writes nothing, and `verify` finds it
/// as configured.
pub(crate) fn holds_fixed(
    doc: &PolicyDocument,
    statements: &[policy_model::Statement],
    kind: policy_model::PolicyKind,
) -> bool {
    policy_model::planner::plan_fixed(doc, statements.to_vec(), kind)
        .is_ok_and(|p| doc.semantically_equal(&p.document))
}

/// Read-merge-write of a shared policy document.
///
/// `read` fetches the live document (`None`: no policy yet), `plan` merges the product's
/// statements into it (foreign statements untouched), `write` stores a minified document.
///
/// S3, KMS and SNS policies have no conditional write, so the document is read again right before
/// each write: if it changed since it was planned (a concurrent foreign edit), the product's
/// statements are merged into the new version first. After the write it is read back: if a
/// writer that read before us replaced it meanwhile, our statements are merged into that version
/// and written again. A document that keeps changing after [`MERGE_ATTEMPTS`] writes is an error
/// (run again), never a silent loss. The only edit this cannot see is one written in the
/// milliseconds between the pre-write read and the write itself.
pub(crate) async fn ensure_policy(
    log: &mut HubLog,
    mode: Mode,
    resource: &str,
    kind: &str,
    read: impl AsyncFn() -> Result<Option<PolicyDocument>, EngineError>,
    plan: impl Fn(&PolicyDocument) -> Result<PlannedDocument, EngineError>,
    write: impl AsyncFn(String) -> Result<(), EngineError>,
) -> Result<ResourceStatus, EngineError> {
    let current = read().await?;
    let empty = PolicyDocument::new();
    let planned = plan(current.as_ref().unwrap_or(&empty))?;
    log.decision(resource, &planned.decision);
    if current
        .as_ref()
        .is_some_and(|c| c.semantically_equal(&planned.document))
    {
        log.record(resource, kind, ResourceStatus::Unchanged, None);
        return Ok(ResourceStatus::Unchanged);
    }
    let mut change = Change::policy(
        resource,
        current.as_ref(),
        &planned.document,
        format!("the {kind} lacks the product's statements"),
    );
    if current.is_some() {
        change.action = crate::outcome::ChangeAction::Update;
    }
    log.journal.changes.push(change);
    if mode == Mode::Plan {
        log.record(resource, kind, ResourceStatus::Planned, None);
        return Ok(ResourceStatus::Planned);
    }
    // `base`: the document as we last knew it (planned from, then as written); `live`: the
    // latest read.
    let mut base = current.clone();
    let mut target = planned.document;
    let mut live = read().await?;
    let mut settled = false;
    for _ in 0..MERGE_ATTEMPTS {
        if !same_document(live.as_ref(), base.as_ref()) {
            // Someone else wrote since we planned: merge our statements into their version.
            let replanned = plan(live.as_ref().unwrap_or(&empty))?;
            if live
                .as_ref()
                .is_some_and(|l| l.semantically_equal(&replanned.document))
            {
                settled = true;
                break;
            }
            target = replanned.document;
        }
        write(target.to_json_minified()).await?;
        base = Some(target.clone());
        live = read().await?;
        if same_document(live.as_ref(), base.as_ref()) {
            settled = true;
            break;
        }
    }
    // The last read-back differed from our write: fine if it still holds everything we need.
    let holds_ours =
        |doc: &PolicyDocument| plan(doc).is_ok_and(|p| doc.semantically_equal(&p.document));
    if !settled && !live.as_ref().is_some_and(holds_ours) {
        return Err(EngineError::Hub {
            operation: "read-merge-write".to_owned(),
            resource: resource.to_owned(),
            kind: ErrorKind::InvalidState,
            message: format!(
                "another writer replaced the {kind} after each of {MERGE_ATTEMPTS} merges; \
                 pause the other automation and run again"
            ),
        });
    }
    let status = if current.is_some() {
        ResourceStatus::Updated
    } else {
        ResourceStatus::Created
    };
    log.record(resource, kind, status, None);
    Ok(status)
}

fn same_document(a: Option<&PolicyDocument>, b: Option<&PolicyDocument>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.semantically_equal(b),
        _ => false,
    }
}
