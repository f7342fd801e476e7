//! GuardDuty through the delegated administrator (`guardduty.admin_account_id` with
//! `export = "delegated-admin"`), as AWS, the Security Reference Architecture, Control Tower and
//! LZA manage GuardDuty at scale (`aws-facts.md`, "GuardDuty delegated administrator"):
//!
//! - preflight ([`check`], no write): the caller is the management account (only it may
//!   designate); a different administrator already designated in a Region stops the run naming
//!   it; the Regions without one are designated by [`designate`];
//! - after fan-out 1 made the administrator's detectors ([`configure`]): per Region, the
//!   organization configuration (`AutoEnableOrganizationMembers = ALL`, and the S3 protection
//!   feature for all members when `s3_protection`), and every covered account that is not a
//!   member yet added (`CreateMembers`, at most 50 per call). Members' detectors are read through
//!   `ListMembers` and never written one by one: members inherit the publishing frequency, and
//!   AWS refuses a member's `UpdateDetector` of it.

use account_worker::{Mode, WorkerError};
use aws_sdk_guardduty::types::{
    AccountDetail, AutoEnableMembers, OrgFeature, OrgFeatureStatus,
    OrganizationFeatureConfiguration,
};
use futures::future::join_all;
use policy_model::{AccountId, Region};

use super::common::{HubLog, hub_sdk};
use super::fanout::AccountWork;
use super::run::Run;
use super::{DiscoveredAccount, EngineError};
use crate::outcome::{Change, ChangeAction, ResourceStatus};

/// `CreateMembers` takes 1 to 50 accounts (GuardDuty API reference).
const CREATE_MEMBERS_BATCH: usize = 50;
/// `ListMembers` returns at most 50 per page.
const LIST_MEMBERS_PAGE: i32 = 50;

fn pre(message: String) -> EngineError {
    EngineError::Preflight { message }
}

/// The administrator's label in plans and reports, per Region.
fn admin_resource(region: &str, admin: &str) -> String {
    format!("guardduty:{region}:delegated-administrator/{admin}")
}

/// Preflight: the Regions where `admin` must still be designated. Refuses a caller that is not
/// the management account and a different administrator already designated.
pub(crate) async fn check(run: &Run<'_>, admin: &AccountId) -> Result<Vec<Region>, EngineError> {
    if run.pf.caller != run.pf.management {
        return Err(pre(format!(
            "`guardduty.admin_account_id` needs the management account `{}`'s credentials (only it may designate GuardDuty's delegated administrator); the caller is `{}`",
            run.pf.management, run.pf.caller
        )));
    }
    let regions = &run.cfg.organization.regions;
    let listed = join_all(regions.iter().map(|region| async move {
        let out = run
            .caller
            .guardduty(region.as_str())
            .list_organization_admin_accounts()
            .send()
            .await
            .map_err(|e| WorkerError::from_sdk("guardduty:ListOrganizationAdminAccounts", &e));
        (region, out)
    }))
    .await;
    let mut missing = Vec::new();
    for (region, out) in listed {
        let out = out.map_err(|e| {
            pre(format!(
                "GuardDuty's administrator in `{region}` cannot be read: {} failed ({}): {}",
                e.operation, e.code, e.message
            ))
        })?;
        let enabled: Vec<&str> = out
            .admin_accounts()
            .iter()
            .filter(|a| a.admin_status().is_some_and(|s| s.as_str() == "ENABLED"))
            .filter_map(|a| a.admin_account_id())
            .collect();
        if let Some(other) = enabled.iter().find(|a| **a != admin.as_str()) {
            return Err(pre(format!(
                "GuardDuty's delegated administrator in `{region}` is `{other}`, not `guardduty.admin_account_id` `{admin}`; set `admin_account_id = \"{other}\"` to use it, or remove it first (`aws guardduty disable-organization-admin-account --admin-account-id {other}` from the management account)"
            )));
        }
        if enabled.is_empty() {
            missing.push(region.clone());
        }
    }
    Ok(missing)
}

/// Designates `admin` in `regions` (from the management account).
pub(crate) async fn designate(
    run: &Run<'_>,
    admin: &AccountId,
    regions: &[Region],
    mode: Mode,
    log: &mut HubLog,
) -> Result<(), EngineError> {
    for region in regions {
        let resource = admin_resource(region.as_str(), admin.as_str());
        log.journal.changes.push(Change::new(
            &resource,
            ChangeAction::Create,
            None,
            Some(serde_json::json!({ "AdminAccountId": admin.as_str() })),
            "GuardDuty has no delegated administrator in this Region",
        ));
        if mode == Mode::Apply {
            run.caller
                .guardduty(region.as_str())
                .enable_organization_admin_account()
                .admin_account_id(admin.as_str())
                .send()
                .await
                .map_err(hub_sdk(
                    "guardduty:EnableOrganizationAdminAccount",
                    &resource,
                ))?;
        }
        log.record(
            &resource,
            "guardduty-delegated-administrator",
            if mode == Mode::Apply {
                ResourceStatus::Created
            } else {
                ResourceStatus::Planned
            },
            None,
        );
    }
    Ok(())
}

/// What [`configure`] found and did, for the run's warnings.
#[derive(Debug, Default)]
pub(crate) struct AdminReport {
    pub(crate) notices: Vec<String>,
    /// The Regions whose configuration failed (the others went on).
    pub(crate) errors: Vec<EngineError>,
}

/// From the administrator (`admin`, with its detectors from fan-out 1): per Region, the
/// organization configuration and the members. `pending`: the Regions where the administrator
/// is designated by this run (a plan cannot read there yet: it plans everything). One Region's
/// failure is reported and never stops the other Regions.
pub(crate) async fn configure(
    run: &Run<'_>,
    admin: &AccountWork,
    members: &[DiscoveredAccount],
    pending: &[Region],
    mode: Mode,
    log: &mut HubLog,
) -> Result<AdminReport, EngineError> {
    let Some(clients) = &admin.clients else {
        return Err(EngineError::Hub {
            operation: "sts:AssumeRole".to_owned(),
            resource: admin.account.id.clone(),
            kind: account_worker::ErrorKind::Other,
            message: "GuardDuty's administrator could not be reached; see its account's error"
                .to_owned(),
        });
    };
    let s3_protection = run.cfg.guardduty.as_ref().is_some_and(|g| g.s3_protection);
    let members: Vec<&DiscoveredAccount> = members
        .iter()
        .filter(|m| m.id != admin.account.id)
        .collect();
    let parts = join_all(admin.regions.iter().map(|rw| {
        let members = &members;
        async move {
            let mut part = HubLog::default();
            let mut notices = Vec::new();
            let region = rw.region.as_str();
            let gd = clients.guardduty(region);
            let not_yet = mode == Mode::Plan && pending.iter().any(|p| p.as_str() == region);
            let detector = rw.detector_id.as_deref().filter(|_| !not_yet);
            let Some(detector) = detector else {
                // Planned: the administrator's detector or its designation comes with apply; so
                // does the rest.
                let resource = format!("guardduty:{region}:organization-configuration");
                part.journal.changes.push(Change::new(
                    &resource,
                    ChangeAction::Create,
                    None,
                    Some(desired_org_json(s3_protection)),
                    "the administrator is designated and its detector created first",
                ));
                part.record(&resource, "guardduty-organization", ResourceStatus::Planned, None);
                return Ok::<_, EngineError>((part, notices));
            };
            let prefix = format!(
                "arn:{}:guardduty:{region}:{}:detector/{detector}",
                run.pf.home_region.partition(),
                admin.account.id
            );
            // The organization configuration.
            let resource = format!("{prefix}#organization-configuration");
            let current = gd
                .describe_organization_configuration()
                .detector_id(detector)
                .send()
                .await
                .map_err(hub_sdk(
                    "guardduty:DescribeOrganizationConfiguration",
                    &resource,
                ))?;
            let members_all = current.auto_enable_organization_members()
                == Some(&AutoEnableMembers::All);
            let s3_all = !s3_protection
                || current.features().iter().any(|f| {
                    f.name().map(|n| n.as_str()) == Some("S3_DATA_EVENTS")
                        && f.auto_enable() == Some(&OrgFeatureStatus::All)
                });
            if members_all && s3_all {
                part.record(&resource, "guardduty-organization", ResourceStatus::Unchanged, None);
            } else {
                part.journal.changes.push(Change::new(
                    &resource,
                    ChangeAction::Update,
                    Some(serde_json::json!({
                        "AutoEnableOrganizationMembers": current
                            .auto_enable_organization_members()
                            .map(|a| a.as_str().to_owned()),
                        "Features": current
                            .features()
                            .iter()
                            .map(|f| serde_json::json!({
                                "Name": f.name().map(|n| n.as_str().to_owned()),
                                "AutoEnable": f.auto_enable().map(|a| a.as_str().to_owned()),
                            }))
                            .collect::<Vec<_>>(),
                    })),
                    Some(desired_org_json(s3_protection)),
                    "every member account of the organization gets GuardDuty (and S3 protection) from the administrator",
                ));
                if mode == Mode::Apply {
                    let mut req = gd
                        .update_organization_configuration()
                        .detector_id(detector)
                        .auto_enable_organization_members(AutoEnableMembers::All);
                    if s3_protection {
                        req = req.features(
                            OrganizationFeatureConfiguration::builder()
                                .name(OrgFeature::S3DataEvents)
                                .auto_enable(OrgFeatureStatus::All)
                                .build(),
                        );
                    }
                    req.send().await.map_err(hub_sdk(
                        "guardduty:UpdateOrganizationConfiguration",
                        &resource,
                    ))?;
                }
                part.record(
                    &resource,
                    "guardduty-organization",
                    super::common::changed_status(mode, false),
                    None,
                );
            }
            // The members.
            let resource = format!("{prefix}#members");
            let mut present = std::collections::BTreeSet::new();
            let mut token: Option<String> = None;
            loop {
                let page = gd
                    .list_members()
                    .detector_id(detector)
                    .only_associated("false")
                    .max_results(LIST_MEMBERS_PAGE)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(hub_sdk("guardduty:ListMembers", &resource))?;
                // Only an enabled member counts (a removed, resigned or disabled one is added again).
                present.extend(
                    page.members()
                        .iter()
                        .filter(|m| {
                            m.relationship_status()
                                .is_some_and(|s| s.eq_ignore_ascii_case("enabled"))
                        })
                        .filter_map(|m| m.account_id().map(str::to_owned)),
                );
                token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
            let missing: Vec<&&DiscoveredAccount> = members
                .iter()
                .filter(|m| !present.contains(&m.id))
                .collect();
            if missing.is_empty() {
                part.record(&resource, "guardduty-members", ResourceStatus::Unchanged, None);
                return Ok((part, notices));
            }
            part.journal.changes.push(Change::new(
                &resource,
                ChangeAction::Update,
                Some(serde_json::json!({ "Members": present.len() })),
                Some(serde_json::json!({
                    "Add": missing.iter().map(|m| m.id.as_str()).collect::<Vec<_>>()
                })),
                "covered accounts that are not yet GuardDuty members of the administrator",
            ));
            if mode == Mode::Apply {
                for batch in missing.chunks(CREATE_MEMBERS_BATCH) {
                    let details: Vec<AccountDetail> = batch
                        .iter()
                        .map(|m| {
                            AccountDetail::builder()
                                .account_id(&m.id)
                                .email(&m.email)
                                .build()
                        })
                        .collect();
                    let out = gd
                        .create_members()
                        .detector_id(detector)
                        .set_account_details(Some(details))
                        .send()
                        .await
                        .map_err(hub_sdk("guardduty:CreateMembers", &resource))?;
                    for u in out.unprocessed_accounts() {
                        notices.push(format!(
                            "GuardDuty in `{region}`: account `{}` was not added as a member: {}",
                            u.account_id().unwrap_or_default(),
                            u.result().unwrap_or_default()
                        ));
                    }
                }
            }
            part.record(
                &resource,
                "guardduty-members",
                super::common::changed_status(mode, false),
                Some(format!("{} accounts added", missing.len())),
            );
            Ok((part, notices))
        }
    }))
    .await;
    let mut report = AdminReport::default();
    for part in parts {
        match part {
            Ok((part, notices)) => {
                log.extend(part);
                report.notices.extend(notices);
            }
            Err(e) => report.errors.push(e),
        }
    }
    report.notices.push(format!(
        "GuardDuty: the delegated administrator `{}` manages every covered account's GuardDuty (auto-enable for all members); only its detectors export, and members inherit its publishing frequency",
        admin.account.id
    ));
    Ok(report)
}

/// The organization configuration the product asks for, as plans show it.
fn desired_org_json(s3_protection: bool) -> serde_json::Value {
    let mut v = serde_json::json!({ "AutoEnableOrganizationMembers": "ALL" });
    if s3_protection {
        v["Features"] = serde_json::json!([{ "Name": "S3_DATA_EVENTS", "AutoEnable": "ALL" }]);
    }
    v
}
