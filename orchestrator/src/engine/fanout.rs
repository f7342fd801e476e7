//! The per-account fan-outs: bounded concurrency over accounts, each account assumed once.
//!
//! Fan-out 1 (per account): assume the access role, ensure the member role, and per Region
//! ensure the detector and read its publishing destinations. Fan-out 2 (per account and
//! Region, after the shared policies admit every detector): ensure the publishing destination.

use account_worker::{
    DestinationSpec, DetectorSpec, ExistingDestination, Journal, MemberRoleSpec, Mode, WorkerError,
};
use futures::StreamExt;
use futures::future::join_all;

use super::DiscoveredAccount;
use crate::aws::{AccountClients, AssumedRole, SESSION_NAME, SdkFactory, credentials_from_sts};
use crate::outcome::{AccountResult, AccountRole, AccountStatus, ErrorRecord, RegionResult};
use crate::progress::Progress;

/// Everything the fan-outs share.
pub(crate) struct FanoutEnv<'a> {
    pub(crate) factory: &'a SdkFactory,
    pub(crate) hub: &'a AccountClients,
    /// The hub's STS client in the home Region, built once: every member's credential provider
    /// keeps a clone (cheap) instead of a client of its own (which, at 1,000 accounts, was the
    /// largest part of the peak memory).
    pub(crate) hub_sts: crate::aws::sdk::sts::Client,
    pub(crate) home_region: &'a str,
    pub(crate) regions: &'a [String],
    pub(crate) access_role_name: &'a str,
    pub(crate) consistency: &'a account_worker::Consistency,
    pub(crate) member_role: Option<&'a MemberRoleSpec>,
    pub(crate) detector: Option<&'a DetectorSpec>,
    pub(crate) mode: Mode,
    pub(crate) progress: &'a dyn Progress,
    pub(crate) concurrency: usize,
}

/// One Region of one account between the fan-outs.
#[derive(Debug, Clone)]
pub(crate) struct RegionWork {
    pub(crate) region: String,
    pub(crate) detector_id: Option<String>,
    pub(crate) detector_created: bool,
    pub(crate) destinations: Vec<ExistingDestination>,
    pub(crate) destination_id: Option<String>,
    pub(crate) destination_status: Option<String>,
    pub(crate) destination_note: Option<String>,
    pub(crate) error: Option<WorkerError>,
}

/// One account between the fan-outs.
#[derive(Debug, Clone)]
pub(crate) struct AccountWork {
    pub(crate) account: DiscoveredAccount,
    pub(crate) clients: Option<AccountClients>,
    pub(crate) member_role_arn: Option<String>,
    pub(crate) regions: Vec<RegionWork>,
    pub(crate) journal: Journal,
    pub(crate) error: Option<WorkerError>,
}

impl AccountWork {
    pub(crate) fn new(account: DiscoveredAccount) -> Self {
        Self {
            account,
            clients: None,
            member_role_arn: None,
            regions: Vec::new(),
            journal: Journal::default(),
            error: None,
        }
    }

    /// True when any step of this account failed.
    pub(crate) fn failed(&self) -> bool {
        self.error.is_some() || self.regions.iter().any(|r| r.error.is_some())
    }

    /// The report entry.
    pub(crate) fn to_result(&self, mode: Mode, offboard: bool) -> AccountResult {
        let status = if self.failed() {
            AccountStatus::Failed
        } else if !self.journal.changed() {
            AccountStatus::Unchanged
        } else if mode == Mode::Plan {
            AccountStatus::Planned
        } else if offboard {
            AccountStatus::Offboarded
        } else {
            AccountStatus::Onboarded
        };
        AccountResult {
            id: self.account.id.clone(),
            name: self.account.name.clone(),
            ou: self.account.ou.clone(),
            role: if self.account.is_hub {
                AccountRole::Hub
            } else {
                AccountRole::Member
            },
            status,
            member_role_arn: self.member_role_arn.clone(),
            regions: self
                .regions
                .iter()
                .map(|r| RegionResult {
                    region: r.region.clone(),
                    detector_id: r.detector_id.clone(),
                    destination_id: r.destination_id.clone(),
                    destination_status: r.destination_status.clone(),
                    destination_note: r.destination_note.clone(),
                    error: r.error.as_ref().map(ErrorRecord::from),
                })
                .collect(),
            actions: self.journal.actions.clone(),
            error: self.error.as_ref().map(ErrorRecord::from),
            skip_reason: None,
        }
    }
}

/// Assumes `access_role_name` in a member account through the hub's STS client (once per run;
/// the provider refreshes the credentials before they expire). Used by every command that works
/// inside member accounts (apply, plan, verify, offboard).
pub(crate) async fn assume_access_role(
    factory: &SdkFactory,
    hub_sts: crate::aws::sdk::sts::Client,
    partition: policy_model::Partition,
    access_role_name: &str,
    account: &str,
    consistency: &account_worker::Consistency,
) -> Result<AccountClients, WorkerError> {
    let role_arn = format!("arn:{partition}:iam::{account}:role/{access_role_name}");
    let sts = hub_sts;
    // Every member account goes through the hub's STS: when it throttles beyond the SDK's own
    // attempts, this account waits (bounded, jittered) and asks again rather than failing.
    let out = account_worker::with_propagation_retries(
        consistency,
        "the hub's STS to stop throttling",
        std::time::Instant::now(),
        || async {
            sts.assume_role()
                .role_arn(&role_arn)
                .role_session_name(SESSION_NAME)
                .send()
                .await
                .map_err(|e| WorkerError::from_sdk("sts:AssumeRole", &e))
        },
        |e| e.kind == account_worker::ErrorKind::Throttled,
    )
    .await?;
    let creds = out.credentials.ok_or_else(|| {
        WorkerError::new(
            account_worker::ErrorKind::Other,
            "sts:AssumeRole",
            "NoCredentials",
            "STS returned no credentials",
        )
    })?;
    let provider = AssumedRole::new(
        sts,
        role_arn,
        SESSION_NAME.to_owned(),
        credentials_from_sts(&creds),
    );
    Ok(factory.for_account(account, provider))
}

/// Fan-out 1 for one account.
async fn first_pass(env: &FanoutEnv<'_>, account: DiscoveredAccount) -> AccountWork {
    let mut work = AccountWork::new(account);
    let id = work.account.id.clone();
    let clients = if work.account.is_hub {
        env.hub.clone()
    } else {
        let assumed = assume_access_role(
            env.factory,
            env.hub_sts.clone(),
            policy_model::Partition::of_region(env.home_region),
            env.access_role_name,
            &id,
            env.consistency,
        );
        match assumed.await {
            Ok(c) => c,
            Err(e) => {
                work.error = Some(e);
                return work;
            }
        }
    };
    if let (false, Some(spec)) = (work.account.is_hub, env.member_role) {
        let iam = clients.iam(env.home_region);
        match account_worker::ensure_member_role(&iam, &id, spec, env.mode).await {
            Ok(report) => {
                work.member_role_arn = Some(report.arn);
                work.journal.extend(report.journal);
            }
            Err(e) => {
                work.error = Some(e);
                work.clients = Some(clients);
                return work;
            }
        }
    }
    if let Some(spec) = env.detector {
        let regions = env.regions.iter().map(|region| {
            let gd = clients.guardduty(region);
            let id = id.clone();
            async move {
                let mut rw = RegionWork {
                    region: region.clone(),
                    detector_id: None,
                    detector_created: false,
                    destinations: Vec::new(),
                    destination_id: None,
                    destination_status: None,
                    destination_note: None,
                    error: None,
                };
                let mut journal = Journal::default();
                match account_worker::ensure_detector(&gd, &id, region, spec, env.mode).await {
                    Ok(report) => {
                        rw.detector_id = report.detector_id;
                        rw.detector_created = report.created;
                        journal.extend(report.journal);
                    }
                    Err(e) => {
                        rw.error = Some(e);
                        return (rw, journal);
                    }
                }
                // A detector created a moment ago has no destinations: no read needed.
                if let (false, Some(det)) = (rw.detector_created, rw.detector_id.as_deref()) {
                    match account_worker::read_destinations(&gd, det).await {
                        Ok(found) => rw.destinations = found,
                        Err(e) => rw.error = Some(e),
                    }
                }
                (rw, journal)
            }
        });
        for (rw, journal) in join_all(regions).await {
            work.regions.push(rw);
            work.journal.extend(journal);
        }
    }
    work.clients = Some(clients);
    work
}

/// Runs fan-out 1 over `accounts` with bounded concurrency; results keep the input order.
pub(crate) async fn fan_out_first(
    env: &FanoutEnv<'_>,
    accounts: Vec<DiscoveredAccount>,
) -> Vec<AccountWork> {
    env.progress.phase("accounts", accounts.len() as u64);
    let mut done: Vec<(usize, AccountWork)> =
        futures::stream::iter(accounts.into_iter().enumerate())
            .map(|(i, a)| async move {
                let w = first_pass(env, a).await;
                env.progress.advance(1);
                (i, w)
            })
            .buffer_unordered(env.concurrency.max(1))
            .collect()
            .await;
    env.progress.finish();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, w)| w).collect()
}

/// Fan-out 2 for one account: a destination per Region that has a detector.
async fn second_pass(env: &FanoutEnv<'_>, work: &mut AccountWork, spec: &DestinationSpec) {
    let Some(clients) = work.clients.clone() else {
        return;
    };
    if work.error.is_some() {
        return;
    }
    let id = work.account.id.clone();
    let tasks = work
        .regions
        .iter_mut()
        .filter(|r| r.error.is_none())
        .map(|rw| {
            let gd = clients.guardduty(&rw.region);
            let id = id.clone();
            async move {
                let region = rw.region.clone();
                let res = account_worker::ensure_destination(
                    &gd,
                    &id,
                    &region,
                    rw.detector_id.as_deref(),
                    &rw.destinations,
                    spec,
                    env.mode,
                )
                .await;
                match res {
                    Ok(report) => {
                        rw.destination_id = report.destination_id;
                        rw.destination_status = report.status;
                        rw.destination_note = report.note;
                        Some(report.journal)
                    }
                    Err(e) => {
                        rw.error = Some(e);
                        None
                    }
                }
            }
        });
    let journals = join_all(tasks).await;
    for j in journals.into_iter().flatten() {
        work.journal.extend(j);
    }
}

/// Runs fan-out 2 over the exporting accounts.
pub(crate) async fn fan_out_second(
    env: &FanoutEnv<'_>,
    works: &mut [AccountWork],
    exporter: impl Fn(&AccountWork) -> bool,
    spec: &DestinationSpec,
) {
    let targets: Vec<&mut AccountWork> = works.iter_mut().filter(|w| exporter(w)).collect();
    env.progress.phase("destinations", targets.len() as u64);
    futures::stream::iter(targets)
        .map(|w| async move {
            second_pass(env, w, spec).await;
            env.progress.advance(1);
        })
        .buffer_unordered(env.concurrency.max(1))
        .collect::<Vec<()>>()
        .await;
    env.progress.finish();
}
