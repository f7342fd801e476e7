//! Results as data: what a run did or would do, per hub resource, account and Region.
//!
//! Everything here is `serde::Serialize`; the CLI's JSON report embeds these types and its human
//! report renders them. Nothing here prints.

use std::collections::BTreeMap;

use serde::Serialize;

pub use account_worker::{
    ActionRecord, Change, ChangeAction, ErrorKind, ErrorRecord, ResourceStatus,
};

/// What a run was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RunMode {
    /// Read-only: every intended change is listed, nothing is written.
    #[default]
    Plan,
    /// Onboarding.
    Apply,
    /// Removal of what the product created or added.
    Offboard,
    /// Read-only: what `offboard` would delete or change, nothing is written.
    OffboardPlan,
}

/// The outcome of `plan`, `apply` or `offboard`.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RunOutcome {
    /// What the run did.
    pub mode: RunMode,
    /// The organization (`o-…`).
    pub organization_id: String,
    /// The hub account.
    pub hub_account_id: String,
    /// Hub resources (buckets, keys, topics, trail, hub role) and what happened to each.
    pub hub: Vec<ActionRecord>,
    /// Every account of the organization (including skipped ones and the hub).
    pub accounts: Vec<AccountResult>,
    /// Every change made (apply, offboard) or intended (plan), with its diff.
    pub changes: Vec<Change>,
    /// How the size planner fit each shared document.
    pub size_decisions: Vec<SizeDecision>,
    /// The values the user types into Radiant.
    pub handoff: Handoff,
    /// API calls per service (`iam`, `s3`, ...).
    pub api_calls: BTreeMap<String, u64>,
    /// SDK retries and throttling responses seen.
    pub retries: u64,
    /// Throttling responses seen.
    pub throttles: u64,
    /// What the user should act on but is not a failure (advisories included).
    pub warnings: Vec<String>,
    /// Information about how the run fits the organization (a reused trail or topic, the
    /// GuardDuty administrator exporting for its members): nothing to act on.
    pub notes: Vec<String>,
    /// What covers an account that joins later (`None` for offboard).
    pub new_accounts: Option<NewAccounts>,
}

impl RunOutcome {
    /// True when a hub resource, an account or a Region failed.
    pub fn has_failures(&self) -> bool {
        self.hub.iter().any(|r| r.status == ResourceStatus::Failed)
            || self.accounts.iter().any(|a| {
                a.status == AccountStatus::Failed || a.regions.iter().any(|r| r.error.is_some())
            })
    }

    /// True when something was (or, for a plan, would be) changed.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }
}

/// How the size planner fit one shared document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SizeDecision {
    /// The document (e.g. the hub bucket policy's ARN).
    pub document: String,
    /// The form chosen (e.g. `explicit`, `split`, `compact`).
    pub form: String,
    /// Size of the planned document in bytes or characters, as AWS counts it.
    pub size: usize,
    /// The limit it must fit.
    pub limit: usize,
    /// Why this form.
    pub reason: String,
}

/// Overall state of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountStatus {
    /// Something was created or changed and the account is done.
    Onboarded,
    /// Everything was already in place.
    Unchanged,
    /// Plan: changes are pending.
    Planned,
    /// Offboard: the product's resources were removed.
    Offboarded,
    /// Not touched (suspended, excluded, outside the included OUs...), with a reason.
    Skipped,
    /// At least one step failed; see `error` and the Regions.
    Failed,
}

/// The role an account plays in the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountRole {
    /// The hub: handled with the caller's credentials, no member role.
    Hub,
    /// A member account reached through the access role.
    Member,
}

/// One account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountResult {
    /// 12-digit account ID.
    pub id: String,
    /// Account name.
    pub name: String,
    /// Parent OU (or root) ID.
    pub ou: Option<String>,
    /// Hub or member.
    pub role: AccountRole,
    /// Overall state.
    pub status: AccountStatus,
    /// The member role's ARN (members only).
    pub member_role_arn: Option<String>,
    /// Per-Region results.
    pub regions: Vec<RegionResult>,
    /// Everything done (or intended) in this account, in order.
    pub actions: Vec<ActionRecord>,
    /// The account-level failure (e.g. the access role could not be assumed).
    pub error: Option<ErrorRecord>,
    /// Why the account was skipped.
    pub skip_reason: Option<String>,
}

/// One account in one Region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionResult {
    /// The Region.
    pub region: String,
    /// The GuardDuty detector.
    pub detector_id: Option<String>,
    /// The publishing destination.
    pub destination_id: Option<String>,
    /// The destination's status (`PUBLISHING`, ...), when known.
    pub destination_status: Option<String>,
    /// Why the destination was left alone (e.g. it points elsewhere), when it was.
    pub destination_note: Option<String>,
    /// The failure of this Region.
    pub error: Option<ErrorRecord>,
    /// Why this Region was skipped in this account, not failed: `region-disabled: …` (an opt-in
    /// Region the account has not enabled, or whose token it refuses) or `scp-denied: …` (a
    /// service control policy denies the Region). Picked up by the next run once allowed.
    pub skip_reason: Option<String>,
}

/// The values the user types into Radiant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Handoff {
    /// What to enter as the CloudTrail "SNS Topic Name" (when CloudTrail is enabled): the
    /// topic's name when it lives in the hub's account and home Region, else its ARN.
    pub cloudtrail_sns_topic: Option<String>,
    /// The CloudTrail topic's ARN.
    pub cloudtrail_sns_topic_arn: Option<String>,
    /// Why the name alone will not do (`cloudtrail_sns_topic` is then the ARN).
    pub cloudtrail_sns_topic_note: Option<String>,
    /// What to enter as the GuardDuty "SNS Topic Name" (when GuardDuty is enabled), as for
    /// CloudTrail.
    pub guardduty_sns_topic: Option<String>,
    /// The GuardDuty topic's ARN.
    pub guardduty_sns_topic_arn: Option<String>,
    /// Why the name alone will not do.
    pub guardduty_sns_topic_note: Option<String>,
    /// The hub role's ARN.
    pub role_arn: String,
    /// The external ID Radiant uses (Radiant's credential ID; not a secret).
    pub external_id: String,
}

/// What covers an account that joins the organization after the run, per part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct NewAccounts {
    /// Its member role.
    pub member_role: Coverage,
    /// Its GuardDuty (`None` when GuardDuty is not onboarded).
    pub guardduty: Option<Coverage>,
    /// Its CloudTrail events (`None` when CloudTrail is not onboarded).
    pub cloudtrail: Option<Coverage>,
}

/// How one part of a new account is covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Coverage {
    /// True when AWS covers it without a run of the tool.
    pub automatic: bool,
    /// What covers it, or (not automatic) which setting prevents it and what to run instead.
    pub by: String,
}

impl NewAccounts {
    /// True when every onboarded part of a new account is covered without a run of the tool.
    pub fn automatic(&self) -> bool {
        self.member_role.automatic
            && self.guardduty.as_ref().is_none_or(|c| c.automatic)
            && self.cloudtrail.as_ref().is_none_or(|c| c.automatic)
    }
}

/// The outcome of `verify`.
#[derive(Debug, Clone, Serialize, Default)]
pub struct VerifyOutcome {
    /// Every check made.
    pub checks: Vec<Check>,
    /// ARNs or detector IDs in shared policies that belong to no current account.
    pub orphans: Vec<String>,
    /// Hardening the customer's own resources lack (one line each, with the check and the
    /// fix); never a failure.
    pub advisories: Vec<String>,
    /// Covered accounts that are not covered yet (an enrolment gap), each with how long ago it
    /// joined: what a scheduled `verify` watches for (`docs/runbook.md`, "Enrolment").
    pub gaps: Vec<EnrolmentGap>,
    /// API calls per service.
    pub api_calls: BTreeMap<String, u64>,
}

/// A covered account that is not covered yet: no member role or stack instance, no detector,
/// not a GuardDuty member, or not reachable at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnrolmentGap {
    /// The account.
    pub account: String,
    /// Its name.
    pub name: String,
    /// When it joined the organization (RFC 3339), when Organizations says.
    pub joined: Option<String>,
    /// Seconds since it joined.
    pub waited_s: Option<i64>,
    /// What it lacks: the failed checks (`member-role-trusts-hub-role`,
    /// `member-role-stack-instance`, `access-role-assumable`), with the Region for the regional
    /// ones (`detector-enabled us-east-1`, `guardduty-members us-east-1`).
    pub missing: Vec<String>,
}

impl VerifyOutcome {
    /// True when a check failed or orphans were found.
    pub fn has_problems(&self) -> bool {
        self.checks.iter().any(|c| !c.ok) || !self.orphans.is_empty()
    }
}

/// One verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `hub` or an account ID.
    pub scope: String,
    /// The Region, for regional checks.
    pub region: Option<String>,
    /// e.g. `trail-logging`, `destination-publishing`, `hub-role-assumable`.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was seen.
    pub detail: String,
}

impl Check {
    /// A check of `scope` (`hub` or an account ID) in `region` (`None`: a global resource).
    pub(crate) fn new(
        scope: &str,
        region: Option<&str>,
        name: &str,
        ok: bool,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            scope: scope.to_owned(),
            region: region.map(str::to_owned),
            name: name.to_owned(),
            ok,
            detail: detail.into(),
        }
    }

    /// A check of one of the hub's resources.
    pub(crate) fn hub(
        region: Option<&str>,
        name: &str,
        ok: bool,
        detail: impl Into<String>,
    ) -> Self {
        Self::new("hub", region, name, ok, detail)
    }
}
