//! The onboarding engine: preflight, hub resources, discovery, fan-out, shared-policy patching,
//! publishing destinations, verify and offboard.
//!
//! Every step reads before it writes and writes only what differs, so a second run makes no
//! write call and a failed run is finished by running again. One account's failure is recorded in
//! the outcome and never stops the others. See `docs/engine.md`.

use std::sync::Arc;
use std::time::Duration;

mod common;
mod discovery;
mod fanout;
mod gd_admin;
mod handoff;
mod hub;
mod members;
mod offboard;
mod org_trail;
mod patch;
mod regions;
mod resources;
mod run;
mod verify;

use serde::Serialize;

use account_worker::Mode;

use crate::aws::SdkFactory;
use crate::config::Config;
use crate::outcome::{
    AccountResult, AccountRole, AccountStatus, ErrorKind, Handoff, RunMode, RunOutcome,
    VerifyOutcome,
};
use crate::progress::Progress;
use common::HubLog;
use policy_model::AccountId;

/// Everything a run needs besides the configuration.
#[derive(Clone)]
pub struct RunContext {
    /// Builds every SDK client.
    pub aws: SdkFactory,
    /// Receives progress events.
    pub progress: Arc<dyn Progress>,
    /// Accounts worked on at the same time (1 to 512).
    pub concurrency: usize,
    /// `--accounts`: the run works on these accounts only (found with `DescribeAccount` and their
    /// parent chain, not the organization's listing), and keeps what the shared documents say of
    /// every other account. `None`: the whole organization.
    pub only: Option<Vec<AccountId>>,
    /// Receives each account's result as soon as it is final (`--report`'s JSON Lines, so a
    /// killed run still has every account that completed).
    pub sink: Option<Arc<dyn AccountSink>>,
}

/// Where each account's final result goes as soon as it is known, before the run ends.
pub trait AccountSink: Send + Sync {
    /// `result` is final: nothing later in the run changes it.
    fn completed(&self, result: &AccountResult);
}

impl RunContext {
    /// Hands `result` to the sink, when there is one.
    pub(crate) fn completed(&self, result: &AccountResult) {
        if let Some(sink) = &self.sink {
            sink.completed(result);
        }
    }

    /// How long steps wait for eventual consistency (`run.consistency_timeout_s`), reporting
    /// the waiting to the progress display.
    pub(crate) fn consistency(&self, cfg: &Config) -> account_worker::Consistency {
        let progress = Arc::clone(&self.progress);
        account_worker::Consistency {
            timeout: Duration::from_secs(cfg.run.consistency_timeout_s),
            observer: Some(Arc::new(move |what: &str, waited: Duration| {
                progress.waiting(what, waited);
            })),
        }
    }
}

/// Options of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Create GuardDuty sample findings and wait for them to reach the bucket.
    pub sample_findings: bool,
    /// How long to wait for sample findings.
    pub wait: Duration,
}

/// Options of [`offboard`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OffboardOptions {
    /// Keep the hub buckets, keys and topics (and their data); remove only roles, destinations,
    /// trail and the product's policy statements.
    pub keep_data: bool,
}

/// A failure that stops the whole run (per-account failures are data in the outcome instead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// A precondition is not met; nothing was written.
    #[error("preflight failed: {message}")]
    Preflight {
        /// What is wrong and what to do about it.
        message: String,
    },
    /// A hub step failed; the run cannot go on without it.
    #[error("{operation} failed on `{resource}` ({kind:?}): {message}")]
    Hub {
        /// The failed operation, e.g. `s3:PutBucketPolicy`.
        operation: String,
        /// The resource.
        resource: String,
        /// The classification.
        kind: ErrorKind,
        /// AWS's message and what to do.
        message: String,
    },
    /// The organization's accounts could not be listed after the listing had started (it runs
    /// alongside the hub step, so hub resources may have been written; accounts were not touched).
    #[error(
        "the organization's accounts cannot be listed: {operation} failed ({kind:?}): {message}"
    )]
    Discovery {
        /// The failed operation, e.g. `organizations:ListAccounts`.
        operation: String,
        /// The classification.
        kind: ErrorKind,
        /// AWS's message.
        message: String,
    },
    /// A shared policy cannot fit its size limit in any form.
    #[error("the policy of `{document}` cannot fit its limit: {message}")]
    PolicySize {
        /// The document's owner.
        document: String,
        /// What to do.
        message: String,
    },
}

impl From<crate::aws::LoadError> for EngineError {
    /// Without credentials nothing can be called: a preflight failure.
    fn from(e: crate::aws::LoadError) -> Self {
        Self::Preflight {
            message: e.to_string(),
        }
    }
}

/// How GuardDuty findings of the organization reach the hub bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "mode")]
pub enum Topology {
    /// Every covered account exports its own findings.
    PerAccount,
    /// The GuardDuty delegated administrator exports for its members.
    DelegatedAdmin {
        /// The administrator account.
        admin_account_id: String,
    },
}

/// An account found in the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscoveredAccount {
    /// 12-digit ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`.
    pub status: String,
    /// Parent OU or root ID.
    pub ou: Option<String>,
    /// True for the hub account.
    pub is_hub: bool,
    /// Why the account is left out, when it is.
    pub skip_reason: Option<String>,
    /// The account's email (GuardDuty's CreateMembers needs it); not shown in reports.
    #[serde(skip)]
    pub email: String,
    /// When it joined the organization (`JoinedTimestamp`, seconds since the Unix epoch):
    /// `verify` says how long an account that is not covered yet has waited.
    #[serde(skip)]
    pub joined: Option<i64>,
}

impl DiscoveredAccount {
    /// "joined 2026-12-07T10:00:00Z, 12 min ago" (with `now` in seconds since the epoch), or
    /// nothing when the organization did not say.
    pub fn joined_ago(&self, now: i64) -> Option<String> {
        let joined = self.joined?;
        let at = aws_smithy_types::DateTime::from_secs(joined)
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .ok()?;
        let minutes = (now - joined).max(0) / 60;
        let ago = match minutes {
            0 => "under a minute ago".to_owned(),
            m if m < 120 => format!("{m} min ago"),
            m if m < 48 * 60 => format!("{} h ago", m / 60),
            m => format!("{} days ago", m / (24 * 60)),
        };
        Some(format!("joined {at}, {ago}"))
    }
}

impl DiscoveredAccount {
    /// True when the run works on this account.
    pub fn included(&self) -> bool {
        self.skip_reason.is_none()
    }
}

/// The organization as the run sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discovery {
    /// `o-…`.
    pub organization_id: String,
    /// The management account.
    pub management_account_id: String,
    /// The hub account (the caller's).
    pub hub_account_id: String,
    /// Every account, in ListAccounts order.
    pub accounts: Vec<DiscoveredAccount>,
    /// How GuardDuty findings are exported.
    pub topology: Topology,
}

/// Lists the organization's accounts and decides which ones the run covers (`accounts` command).
pub async fn discover(cfg: &Config, ctx: &RunContext) -> Result<Discovery, EngineError> {
    let run = run::Run::start(cfg, ctx).await?;
    discovery::discover_accounts(cfg, &run.caller, &run.pf).await
}

/// Computes every change `apply` would make, without any write call.
pub async fn plan(cfg: &Config, ctx: &RunContext) -> Result<RunOutcome, EngineError> {
    onboard(cfg, ctx, Mode::Plan).await
}

/// Onboards the organization.
pub async fn apply(cfg: &Config, ctx: &RunContext) -> Result<RunOutcome, EngineError> {
    onboard(cfg, ctx, Mode::Apply).await
}

fn skipped_result(a: &DiscoveredAccount) -> AccountResult {
    AccountResult {
        id: a.id.clone(),
        name: a.name.clone(),
        ou: a.ou.clone(),
        role: if a.is_hub {
            AccountRole::Hub
        } else {
            AccountRole::Member
        },
        status: AccountStatus::Skipped,
        member_role_arn: None,
        regions: Vec::new(),
        actions: Vec::new(),
        error: None,
        skip_reason: a.skip_reason.clone(),
    }
}

/// True when `work` exports its own findings under `topology`.
fn is_exporter(topology: &Topology, account: &str) -> bool {
    match topology {
        Topology::PerAccount => true,
        Topology::DelegatedAdmin { admin_account_id } => admin_account_id == account,
    }
}

async fn onboard(cfg: &Config, ctx: &RunContext, mode: Mode) -> Result<RunOutcome, EngineError> {
    let progress = ctx.progress.as_ref();
    let started = std::time::Instant::now();
    let step_done = |step: &str| {
        tracing::info!(
            step,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "step done"
        );
    };

    // Preflight: nothing is written until the caller, the organization, the topology, the
    // external ID and the first page of each Organizations listing have been read.
    progress.phase("preflight", 1);
    let run = run::Run::start(cfg, ctx).await?;
    let (pf, caller, consistency) = (&run.pf, &run.caller, &run.consistency);
    let topology = discovery::choose_topology(cfg, caller, pf).await?;
    let external = &cfg.radiant.external_id;
    // Who may administer the member role's StackSet, before the listing (whose refusal would
    // not say what a StackSets delegated administrator needs).
    let stackset_admin = members::preflight(&run).await?;
    let admin = cfg
        .guardduty
        .as_ref()
        .and_then(|g| g.admin_account_id.as_ref());
    let discoverer = discovery::Discoverer::start(cfg, caller, pf, run.only.as_deref()).await?;
    step_done("preflight");
    progress.advance(1);
    progress.finish();

    // Hub resources, with the rest of discovery alongside: the Organizations listing is paced
    // (its rates are low), the hub step is a chain of dependent calls; neither waits for the
    // other. The OU walk is needed first only when `organization.include_ous` filters on it;
    // otherwise it only names each account's OU and runs alongside fan-out 1 instead.
    progress.phase("hub", 1);
    let mut log = HubLog::default();
    let checks = hub::Hub::check(&run).await?;
    let designate = match admin {
        Some(a) => gd_admin::check(&run, a).await?,
        None => Vec::new(),
    };
    let hub = hub::Hub {
        run: &run,
        mode,
        checks,
    };
    let (facts, found) = futures::join!(
        Box::pin(hub.ensure(&mut log)),
        Box::pin(discoverer.finish(caller, pf))
    );
    // The hub's own failure is the one to report when both failed.
    let facts = facts?;
    let discovery::Found {
        raw,
        parent_of,
        mut pending_walk,
    } = found.map_err(discovery::discovery_failed)?;
    let mut disc = discovery::decide(cfg, pf, &raw, &parent_of, topology);
    step_done("hub and discovery");
    progress.advance(1);
    progress.finish();

    // The member role's StackSet (`deploy = "stackset"`): its template names the hub role.
    let member_spec = resources::member::MemberRole::desired(cfg, &facts.hub_role_arn, consistency);
    let stackset = match &stackset_admin {
        Some(a) => Some(members::ensure_stack_set(&run, a, &member_spec, mode, &mut log).await?),
        None => None,
    };

    // Fan-out 1.
    let detector_spec = cfg
        .guardduty
        .as_ref()
        .map(|gd| account_worker::DetectorSpec {
            frequency: gd.publishing_frequency.as_str().to_owned(),
            s3_protection: gd.s3_protection,
            create_only: false,
        });
    let env = fanout::FanoutEnv {
        run: &run,
        member_role: Some(&member_spec),
        detector: detector_spec.as_ref(),
        // Through a managed administrator, members' detectors are GuardDuty's to run.
        admin: admin.map(AccountId::as_str),
        unmanaged_admin: admin.is_none()
            && matches!(disc.topology, Topology::DelegatedAdmin { .. }),
        stackset: stackset.as_ref(),
        mode,
    };
    let included: Vec<DiscoveredAccount> = disc
        .accounts
        .iter()
        .filter(|a| a.included())
        .cloned()
        .collect();
    if let Some(a) = admin
        && !included.iter().any(|i| i.id == a.as_str())
    {
        return Err(EngineError::Preflight {
            message: format!(
                "`guardduty.admin_account_id` `{a}` is not a covered ACTIVE account of the organization; choose one of its accounts (a landing zone's Audit account) or widen `organization.include_ous`"
            ),
        });
    }
    // Designated only now that the administrator is known to be covered: nothing of GuardDuty's
    // is written for an administrator the run would then refuse.
    if let Some(a) = admin {
        gd_admin::designate(&run, a, &designate, mode, &mut log).await?;
    }
    let mut warnings = Vec::new();
    let mut notes = Vec::new();
    let mut works = match pending_walk.take() {
        None => fanout::fan_out_first(&env, included.clone()).await,
        Some(walk) => {
            let (mut works, parents) = futures::join!(
                Box::pin(fanout::fan_out_first(&env, included.clone())),
                Box::pin(walk.finish())
            );
            match parents {
                Ok(parent_of) => {
                    for a in &mut disc.accounts {
                        a.ou = parent_of.get(&a.id).cloned();
                    }
                    for w in &mut works {
                        w.account.ou = parent_of.get(&w.account.id).cloned();
                    }
                }
                Err(e) => warnings.push(format!(
                    "the OU of each account is not shown: {} failed ({}): {}",
                    e.operation, e.code, e.message
                )),
            }
            works
        }
    };
    step_done("fan-out 1");

    // The member roles that are not the fan-out's: the StackSet's instances, or (back to
    // `direct`) the StackSet removed and its roles created directly.
    match &stackset {
        Some(s) => {
            members::deploy_instances(&run, s, &mut works, &member_spec, mode, &mut log).await?
        }
        None => members::switch_to_direct(&run, &mut works, &member_spec, mode, &mut log).await?,
    }

    // GuardDuty's administrator: the organization configuration and the members, per Region.
    if let Some(a) = admin
        && let Some(i) = works.iter().position(|w| w.account.id == a.as_str())
    {
        if works[i].failed() {
            warnings.push(format!(
                "GuardDuty's administrator `{a}` failed in fan-out 1: its organization configuration and members are left as they are this run"
            ));
        } else {
            let report =
                gd_admin::configure(&run, &works[i], &included, &designate, mode, &mut log).await?;
            warnings.extend(report.warnings);
            notes.extend(report.notes);
            // A Region that failed is the administrator account's failure (exit 1); the other
            // Regions and every account go on.
            if !report.errors.is_empty() {
                works[i].error = Some(account_worker::WorkerError::new(
                    account_worker::ErrorKind::Other,
                    "guardduty:organization",
                    "AdministratorFailed",
                    report
                        .errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                ));
            }
        }
        step_done("guardduty administrator");
    }

    // Patch once.
    progress.phase("policies", 1);
    let failed_accounts: Vec<String> = works
        .iter()
        .filter(|w| w.failed())
        .map(|w| w.account.id.clone())
        .collect();
    let keep = patch::Keep {
        failed: &failed_accounts,
        only: run.only.as_deref(),
    };
    let patcher = patch::Patcher {
        cfg,
        consistency,
        hub: &run.hub,
        facts: &facts,
        mode,
    };
    let detectors = if cfg.guardduty.is_some() {
        let mut detectors = Vec::new();
        for w in works
            .iter()
            .filter(|w| is_exporter(&disc.topology, &w.account.id))
        {
            let Ok(account) = policy_model::AccountId::new(&w.account.id) else {
                continue;
            };
            // A Region skipped in the account (not enabled, or denied by an SCP) has no
            // detector to admit; only a plan shows a detector that is yet to be created.
            for r in w
                .regions
                .iter()
                .filter(|r| r.error.is_none() && r.skip_reason.is_none())
            {
                let id = r
                    .detector_id
                    .as_deref()
                    .unwrap_or(common::KNOWN_AFTER_APPLY_DETECTOR);
                let (Ok(region), Ok(det)) = (
                    policy_model::Region::new(&r.region),
                    policy_model::DetectorId::new(id),
                ) else {
                    continue;
                };
                detectors.push(policy_model::Arn::detector(&region, &account, &det));
            }
        }
        detectors
    } else {
        Vec::new()
    };
    let member_roles: Vec<policy_model::Arn> = works
        .iter()
        .filter_map(|w| w.member_role_arn.as_deref())
        .filter_map(|a| a.parse().ok())
        .collect();
    // Each shared document has one writer; different documents are patched concurrently and
    // their records merged in a fixed order (findings bucket, findings key, hub role).
    let bucket_exists = cfg
        .guardduty
        .as_ref()
        .is_some_and(|gd| patcher.findings_bucket_exists(gd, &log));
    let role_exists = patcher.hub_role_exists(&log);
    let findings_part = Box::pin(async {
        let mut part = HubLog::default();
        if let Some(gd) = &cfg.guardduty {
            patcher
                .admit_detectors(gd, &mut part, bucket_exists, &detectors, keep)
                .await?;
        }
        Ok::<_, EngineError>(part)
    });
    let role_part = Box::pin(async {
        let mut part = HubLog::default();
        patcher
            .hub_role_permissions(&mut part, role_exists, &member_roles, keep)
            .await?;
        Ok::<_, EngineError>(part)
    });
    let (findings_part, role_part) = futures::join!(findings_part, role_part);
    log.extend(findings_part?);
    log.extend(role_part?);
    step_done("policies");
    progress.advance(1);
    progress.finish();

    // Every result that fan-out 2 does not change is final now: written out at once.
    let second = cfg.guardduty.is_some()
        && facts.findings_destination.is_some()
        && facts.guardduty_key.is_some();
    {
        let index: std::collections::HashMap<&str, &fanout::AccountWork> =
            works.iter().map(|w| (w.account.id.as_str(), w)).collect();
        for a in &disc.accounts {
            match index.get(a.id.as_str()) {
                Some(w) if second && is_exporter(&disc.topology, &w.account.id) => {}
                Some(w) => ctx.completed(&w.to_result(mode, false)),
                None => ctx.completed(&skipped_result(a)),
            }
        }
    }

    // Fan-out 2.
    if let (Some(gd), Some(dest), Some(key)) = (
        &cfg.guardduty,
        &facts.findings_destination,
        &facts.guardduty_key,
    ) {
        let spec = account_worker::DestinationSpec {
            destination_arn: dest.clone(),
            kms_key_arn: key.to_string(),
            take_over: gd.take_over_destinations,
            consistency: consistency.clone(),
            policies_written: std::time::Instant::now(),
        };
        let topology = disc.topology.clone();
        fanout::fan_out_second(
            &env,
            &mut works,
            |w| is_exporter(&topology, &w.account.id),
            &spec,
            &|w| ctx.completed(&w.to_result(mode, false)),
        )
        .await;
        step_done("fan-out 2");
    }

    // Results as data.
    let mut accounts = Vec::new();
    let mut changes = log.journal.changes;
    // Each account's work is consumed as its result is made: its changes move into the
    // outcome and its clients are dropped, so the results are not held twice.
    let mut by_id: std::collections::HashMap<String, _> = works
        .into_iter()
        .map(|w| (w.account.id.clone(), w))
        .collect();
    for a in &disc.accounts {
        match by_id.remove(&a.id) {
            Some(mut w) => {
                accounts.push(w.to_result(mode, false));
                changes.append(&mut w.journal.changes);
            }
            None => accounts.push(skipped_result(a)),
        }
    }
    notes.extend(facts.notices.iter().cloned());
    warnings.extend(log.advisories.iter().cloned());
    // A managed administrator's note says it already (`gd_admin::configure`).
    if let (Topology::DelegatedAdmin { admin_account_id }, None) = (&disc.topology, admin) {
        notes.push(format!(
            "GuardDuty's delegated administrator `{admin_account_id}` is not managed by radiant-onboard (`guardduty.admin_account_id` is not set): a detector is only created where one is missing, and no detector's publishing frequency or features are changed: they are the administrator's to set"
        ));
        notes.push(format!(
            "GuardDuty delegated administrator `{admin_account_id}` exports for its members: member accounts get no destination of their own"
        ));
    }
    let totals = run.totals();
    Ok(RunOutcome {
        mode: match mode {
            Mode::Plan => RunMode::Plan,
            Mode::Apply => RunMode::Apply,
        },
        organization_id: disc.organization_id.clone(),
        hub_account_id: disc.hub_account_id.clone(),
        hub: log.journal.actions,
        accounts,
        changes,
        size_decisions: final_size_decisions(log.size_decisions),
        handoff: {
            let topic = |t: &Option<policy_model::Arn>| {
                t.as_ref()
                    .map(|t| handoff::topic(t, &facts.account, &facts.region))
            };
            let (ct, gd) = (
                topic(&facts.cloudtrail_topic),
                topic(&facts.guardduty_topic),
            );
            Handoff {
                cloudtrail_sns_topic: ct.as_ref().map(|t| t.enter.clone()),
                cloudtrail_sns_topic_arn: ct.as_ref().map(|t| t.arn.clone()),
                cloudtrail_sns_topic_note: ct.and_then(|t| t.note),
                guardduty_sns_topic: gd.as_ref().map(|t| t.enter.clone()),
                guardduty_sns_topic_arn: gd.as_ref().map(|t| t.arn.clone()),
                guardduty_sns_topic_note: gd.and_then(|t| t.note),
                role_arn: facts.hub_role_arn.to_string(),
                external_id: external.as_str().to_owned(),
            }
        },
        new_accounts: Some(handoff::new_accounts(cfg, &disc.topology)),
        api_calls: totals.api_calls,
        retries: totals.retries,
        throttles: totals.throttles,
        warnings,
        notes,
    })
}

/// One decision per document, with the form it will finally have: a document written by both
/// the hub step and the patch step in one run (the findings bucket's policy: the hub step's
/// TLS statement, then the detectors) is sized twice, and only the second is what it becomes.
fn final_size_decisions(
    decisions: Vec<crate::outcome::SizeDecision>,
) -> Vec<crate::outcome::SizeDecision> {
    let mut out: Vec<crate::outcome::SizeDecision> = Vec::with_capacity(decisions.len());
    for d in decisions {
        match out.iter_mut().find(|o| o.document == d.document) {
            Some(first) => *first = d,
            None => out.push(d),
        }
    }
    out
}

/// Checks that everything is in place and working.
pub async fn verify(
    cfg: &Config,
    ctx: &RunContext,
    opts: &VerifyOptions,
) -> Result<VerifyOutcome, EngineError> {
    verify::run(cfg, ctx, opts).await
}

/// Removes what the product created or added, in reverse order.
pub async fn offboard(
    cfg: &Config,
    ctx: &RunContext,
    opts: &OffboardOptions,
) -> Result<RunOutcome, EngineError> {
    offboard::run(cfg, ctx, opts, Mode::Apply).await
}

/// Computes everything [`offboard`] would delete or change, without any write call.
pub async fn plan_offboard(
    cfg: &Config,
    ctx: &RunContext,
    opts: &OffboardOptions,
) -> Result<RunOutcome, EngineError> {
    offboard::run(cfg, ctx, opts, Mode::Plan).await
}
