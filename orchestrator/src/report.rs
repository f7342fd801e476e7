//! The JSON run report (`--report FILE`); its schema is documented in `docs/report.md`.
//!
//! The report is built from the engine's outcome types plus run metadata. It is data only: the
//! binary writes it. `schema_version` changes whenever a field is removed or changes meaning.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::outcome::{
    AccountResult, AccountStatus, ActionRecord, Check, Handoff, RunOutcome, SizeDecision,
    VerifyOutcome,
};

/// The report format's version.
pub const SCHEMA_VERSION: u32 = 1;

/// Facts about the run itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunMetadata {
    /// `radiant-onboard`'s version.
    pub tool_version: String,
    /// The command (`apply`, `verify`, `offboard`, `plan`).
    pub command: String,
    /// Start time, RFC 3339 UTC.
    pub started_at: String,
    /// Wall-clock duration in milliseconds.
    pub duration_ms: u64,
    /// sha256 of the configuration file's bytes (lowercase hex).
    pub config_digest: String,
}

/// Account counts by status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Totals {
    /// Every account of the organization.
    pub accounts: usize,
    /// Accounts onboarded by this run.
    pub onboarded: usize,
    /// Accounts already in place.
    pub unchanged: usize,
    /// Accounts with pending changes (plan).
    pub planned: usize,
    /// Accounts offboarded.
    pub offboarded: usize,
    /// Accounts left out.
    pub skipped: usize,
    /// Accounts with a failure.
    pub failed: usize,
    /// Changes made or intended.
    pub changes: usize,
    /// Failed verification checks (verify only).
    pub failed_checks: usize,
    /// Orphaned ARNs found (verify only).
    pub orphans: usize,
}

impl Totals {
    /// Counts `accounts` by status.
    pub fn of_accounts(accounts: &[AccountResult]) -> Self {
        let mut t = Self {
            accounts: accounts.len(),
            ..Self::default()
        };
        for a in accounts {
            match a.status {
                AccountStatus::Onboarded => t.onboarded += 1,
                AccountStatus::Unchanged => t.unchanged += 1,
                AccountStatus::Planned => t.planned += 1,
                AccountStatus::Offboarded => t.offboarded += 1,
                AccountStatus::Skipped => t.skipped += 1,
                AccountStatus::Failed => t.failed += 1,
            }
        }
        t
    }
}

/// The verification section of a `verify` report.
#[derive(Debug, Clone, Serialize)]
pub struct VerifySection {
    /// Every check made.
    pub checks: Vec<Check>,
    /// ARNs in shared policies that belong to no current account.
    pub orphans: Vec<String>,
    /// Covered accounts that are not covered yet.
    pub gaps: Vec<crate::outcome::EnrolmentGap>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Run metadata.
    pub run: RunMetadata,
    /// The organization (`o-…`), when known.
    pub organization_id: Option<String>,
    /// The hub account, when known.
    pub hub_account_id: Option<String>,
    /// Hub resources and their state.
    pub hub: Vec<ActionRecord>,
    /// Every account.
    pub accounts: Vec<AccountResult>,
    /// Counts.
    pub totals: Totals,
    /// Changes made (apply, offboard) or intended (plan).
    pub changes: Vec<crate::outcome::Change>,
    /// Size form chosen for each shared document.
    pub size_decisions: Vec<SizeDecision>,
    /// API calls by service.
    pub api_calls: BTreeMap<String, u64>,
    /// SDK retries seen.
    pub retries: u64,
    /// Throttling responses seen.
    pub throttles: u64,
    /// What the user should act on but is not a failure (advisories included).
    pub warnings: Vec<String>,
    /// Information about how the run fits the organization: nothing to act on.
    pub notes: Vec<String>,
    /// What covers an account that joins later (plan and apply).
    pub new_accounts: Option<crate::outcome::NewAccounts>,
    /// The values to enter in Radiant (absent for verify and offboard).
    pub handoff: Option<Handoff>,
    /// Verification results (verify only).
    pub verify: Option<VerifySection>,
}

impl Report {
    /// A report of a plan, apply or offboard run.
    pub fn from_run(run: RunMetadata, outcome: &RunOutcome) -> Self {
        let mut totals = Totals::of_accounts(&outcome.accounts);
        totals.changes = outcome.changes.len();
        let handoff = if matches!(
            outcome.mode,
            crate::outcome::RunMode::Offboard | crate::outcome::RunMode::OffboardPlan
        ) {
            None
        } else {
            Some(outcome.handoff.clone())
        };
        Self {
            schema_version: SCHEMA_VERSION,
            run,
            organization_id: non_empty(&outcome.organization_id),
            hub_account_id: non_empty(&outcome.hub_account_id),
            hub: outcome.hub.clone(),
            accounts: outcome.accounts.clone(),
            totals,
            changes: outcome.changes.clone(),
            size_decisions: outcome.size_decisions.clone(),
            api_calls: outcome.api_calls.clone(),
            retries: outcome.retries,
            throttles: outcome.throttles,
            warnings: outcome.warnings.clone(),
            notes: outcome.notes.clone(),
            new_accounts: outcome.new_accounts.clone(),
            handoff,
            verify: None,
        }
    }

    /// A report of a verify run.
    pub fn from_verify(run: RunMetadata, outcome: &VerifyOutcome) -> Self {
        let totals = Totals {
            failed_checks: outcome.checks.iter().filter(|c| !c.ok).count(),
            orphans: outcome.orphans.len(),
            ..Totals::default()
        };
        Self {
            schema_version: SCHEMA_VERSION,
            run,
            organization_id: None,
            hub_account_id: None,
            hub: Vec::new(),
            accounts: Vec::new(),
            totals,
            changes: Vec::new(),
            size_decisions: Vec::new(),
            api_calls: outcome.api_calls.clone(),
            retries: 0,
            throttles: 0,
            warnings: outcome.advisories.clone(),
            notes: Vec::new(),
            new_accounts: None,
            handoff: None,
            verify: Some(VerifySection {
                checks: outcome.checks.clone(),
                orphans: outcome.orphans.clone(),
                gaps: outcome.gaps.clone(),
            }),
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// Top-level keys every report has (checked by the CLI tests against `docs/report.md`).
pub const REPORT_KEYS: &[&str] = &[
    "schema_version",
    "run",
    "organization_id",
    "hub_account_id",
    "hub",
    "accounts",
    "totals",
    "changes",
    "size_decisions",
    "api_calls",
    "retries",
    "throttles",
    "warnings",
    "notes",
    "new_accounts",
    "handoff",
    "verify",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{AccountRole, RunMode};

    fn meta() -> RunMetadata {
        RunMetadata {
            tool_version: "0.1.0".into(),
            command: "apply".into(),
            started_at: "2026-01-01T00:00:00Z".into(),
            duration_ms: 5,
            config_digest: "ab".into(),
        }
    }

    fn account(id: &str, status: AccountStatus) -> AccountResult {
        AccountResult {
            id: id.into(),
            name: id.into(),
            ou: None,
            role: AccountRole::Member,
            status,
            member_role_arn: None,
            regions: Vec::new(),
            actions: Vec::new(),
            error: None,
            skip_reason: None,
        }
    }

    #[test]
    fn report_has_exactly_the_documented_keys_and_totals() {
        let outcome = RunOutcome {
            mode: RunMode::Apply,
            accounts: vec![
                account("111111111111", AccountStatus::Onboarded),
                account("222222222222", AccountStatus::Skipped),
                account("333333333333", AccountStatus::Failed),
            ],
            ..RunOutcome::default()
        };
        let v = serde_json::to_value(Report::from_run(meta(), &outcome)).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, REPORT_KEYS);
        assert_eq!(v["totals"]["onboarded"], 1);
        assert_eq!(v["totals"]["skipped"], 1);
        assert_eq!(v["totals"]["failed"], 1);
        assert!(v["handoff"].is_object());
        assert!(v["organization_id"].is_null());
    }

    #[test]
    fn offboard_report_carries_no_handoff() {
        let outcome = RunOutcome {
            mode: RunMode::Offboard,
            ..RunOutcome::default()
        };
        let r = Report::from_run(meta(), &outcome);
        assert!(r.handoff.is_none());
    }
}
