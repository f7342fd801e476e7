//! The per-account fan-outs: bounded concurrency over accounts, each account assumed once.
//!
//! Fan-out 1 (per account): assume the access role, ensure the member role, and per Region
//! ensure the detector and read its publishing destinations. Fan-out 2 (per account and
//! Region, after the shared policies admit every detector): ensure the publishing destination.

use account_worker::{
    DestinationSpec, DetectorSpec, ExistingDestination, Journal, MemberRoleSpec, Mode, WorkerError,
};
use futures::future::join_all;

use super::DiscoveredAccount;
use super::resources::member::{Detector, Member, MemberRole};
use super::run::Run;
use crate::aws::AccountClients;
use crate::outcome::{AccountResult, AccountRole, AccountStatus, ErrorRecord, RegionResult};

/// Everything the fan-outs share.
pub(crate) struct FanoutEnv<'a> {
    pub(crate) run: &'a Run<'a>,
    pub(crate) member_role: Option<&'a MemberRoleSpec>,
    pub(crate) detector: Option<&'a DetectorSpec>,
    /// GuardDuty's managed administrator, when there is one: then only its detectors are
    /// ensured, and the management account's is created when missing (GuardDuty adds it as a
    /// member only once it has one) but never updated; the other members' are the
    /// administrator's to run.
    pub(crate) admin: Option<&'a str>,
    /// True when GuardDuty has a delegated administrator the tool does not manage
    /// (`export = "auto"` found one): then no detector's settings are ever written, only a
    /// missing detector created (AWS refuses a member's `UpdateDetector`; the frequency and
    /// features are the administrator's to set).
    pub(crate) unmanaged_admin: bool,
    /// The member role's StackSet (`deploy = "stackset"`): the accounts it covers get no role
    /// from the fan-out (`members.rs`).
    pub(crate) stackset: Option<&'a super::members::StackSetRun<'a>>,
    pub(crate) mode: Mode,
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
    /// Why the Region is skipped in this account (`regions.rs`), not failed.
    pub(crate) skip_reason: Option<String>,
}

impl RegionWork {
    /// A Region with nothing done yet.
    pub(crate) fn new(region: &str) -> Self {
        Self {
            region: region.to_owned(),
            detector_id: None,
            detector_created: false,
            destinations: Vec::new(),
            destination_id: None,
            destination_status: None,
            destination_note: None,
            error: None,
            skip_reason: None,
        }
    }

    /// Records `e`, or the reason the Region is skipped when `e` says it is disabled or denied.
    pub(crate) fn fail(&mut self, e: WorkerError) {
        match super::regions::skip_after(&self.region, &e) {
            Some(reason) => self.skip_reason = Some(reason),
            None => self.error = Some(e),
        }
    }
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
    /// `deploy = "stackset"`: the role the fan-out created in an earlier run, to be deleted
    /// right before the StackSet's instance is created.
    pub(crate) replace_direct_role: bool,
    /// `deploy = "direct"`: the role was deployed by the StackSet of an earlier run, to be
    /// created directly once the StackSet is removed.
    pub(crate) held_by_stack_set: bool,
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
            replace_direct_role: false,
            held_by_stack_set: false,
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
                    skip_reason: r.skip_reason.clone(),
                })
                .collect(),
            actions: self.journal.actions.clone(),
            error: self.error.as_ref().map(ErrorRecord::from),
            skip_reason: None,
        }
    }
}

/// Fan-out 1 for one account.
async fn first_pass(env: &FanoutEnv<'_>, account: DiscoveredAccount) -> AccountWork {
    let mut work = AccountWork::new(account);
    let id = work.account.id.clone();
    let clients = match env.run.clients_of(&work.account).await {
        Ok(c) => c,
        Err(e) => {
            work.error = Some(e);
            return work;
        }
    };
    let member = Member {
        clients: &clients,
        account: &id,
        home: env.run.home(),
        mode: env.mode,
    };
    let by_stack_set = super::members::by_stack_set(env.run, &work.account);
    if let (Some(stackset), Some(spec), true) = (env.stackset, env.member_role, by_stack_set) {
        super::members::first_pass(stackset, member, spec, &mut work).await;
        if work.error.is_some() {
            work.clients = Some(clients);
            return work;
        }
    } else if let (false, Some(spec)) = (work.account.is_hub, env.member_role) {
        match (MemberRole { member, spec }).ensure().await {
            Ok(report) => {
                work.held_by_stack_set =
                    report.origin == Some(account_worker::RoleOrigin::StackSet);
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
    let create_only;
    let spec = match (env.detector, env.admin) {
        (Some(spec), None) if env.unmanaged_admin => {
            create_only = account_worker::DetectorSpec {
                create_only: true,
                ..spec.clone()
            };
            Some(&create_only)
        }
        (Some(spec), None) => Some(spec),
        (Some(spec), Some(admin)) if admin == id => Some(spec),
        (Some(spec), Some(_)) if id == env.run.pf.management.as_str() => {
            create_only = account_worker::DetectorSpec {
                create_only: true,
                ..spec.clone()
            };
            Some(&create_only)
        }
        _ => None,
    };
    if let Some(spec) = spec {
        let enabled = super::regions::enabled(env.run, &id).await;
        let enabled = enabled.as_ref();
        let regions = env.run.cfg.organization.regions.iter().map(|region| {
            let detector = Detector {
                member,
                region: region.as_str(),
            };
            async move {
                let mut rw = RegionWork::new(region.as_str());
                let mut journal = Journal::default();
                if let Some(reason) = super::regions::skip_before(region.as_str(), enabled) {
                    rw.skip_reason = Some(reason);
                    return (rw, journal);
                }
                match detector.ensure(spec).await {
                    Ok(report) => {
                        rw.detector_id = report.detector_id;
                        rw.detector_created = report.created;
                        journal.extend(report.journal);
                    }
                    Err(e) => {
                        rw.fail(e);
                        return (rw, journal);
                    }
                }
                // A detector created a moment ago has no destinations: no read needed.
                if let (false, Some(det)) = (rw.detector_created, rw.detector_id.as_deref()) {
                    match detector.read_destinations(det).await {
                        Ok(found) => rw.destinations = found,
                        Err(e) => rw.fail(e),
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
    env.run
        .for_each_account("accounts", accounts, |a| first_pass(env, a))
        .await
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
    let member = Member {
        clients: &clients,
        account: &id,
        home: env.run.home(),
        mode: env.mode,
    };
    let tasks = work
        .regions
        .iter_mut()
        .filter(|r| r.error.is_none() && r.skip_reason.is_none())
        .map(|rw| async move {
            let region = rw.region.clone();
            let detector = Detector {
                member,
                region: &region,
            };
            let res = detector
                .ensure_destination(rw.detector_id.as_deref(), &rw.destinations, spec)
                .await;
            match res {
                Ok(report) => {
                    rw.destination_id = report.destination_id;
                    rw.destination_status = report.status;
                    rw.destination_note = report.note;
                    Some(report.journal)
                }
                Err(e) => {
                    rw.fail(e);
                    None
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
    done: &(dyn Fn(&AccountWork) + Sync),
) {
    let targets: Vec<&mut AccountWork> = works.iter_mut().filter(|w| exporter(w)).collect();
    env.run
        .for_each_account("destinations", targets, |w| async move {
            second_pass(env, w, spec).await;
            done(w);
        })
        .await;
}
