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
//!   AWS refuses a member's `UpdateDetector` of it;
//! - [`verify`]: per Region, the organization configuration enables every member, every covered
//!   account is a member, and (with `s3_protection`) every member's S3 protection is on.

use account_worker::{Mode, WorkerError};
use aws_sdk_guardduty::types::{
    AccountDetail, AutoEnableMembers, FeatureStatus, MemberFeaturesConfiguration, OrgFeature,
    OrgFeatureStatus, OrganizationFeatureConfiguration,
};
use futures::future::join_all;
use policy_model::{AccountId, Region};

use super::common::{HubLog, hub_sdk};
use super::fanout::AccountWork;
use super::run::Run;
use super::{DiscoveredAccount, EngineError};
use crate::outcome::{Change, ChangeAction, Check, ResourceStatus};

/// `CreateMembers`, `GetMemberDetectors` and `UpdateMemberDetectors` take 1 to 50 accounts
/// (GuardDuty API reference).
const MEMBER_BATCH: usize = 50;
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

/// What [`configure`] found and did, for the run's notes and warnings.
#[derive(Debug, Default)]
pub(crate) struct AdminReport {
    /// Accounts GuardDuty did not add as members: the user should look.
    pub(crate) warnings: Vec<String>,
    /// How GuardDuty is run (the administrator manages every member): information.
    pub(crate) notes: Vec<String>,
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
            let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
            let present = members_among(run, &gd, detector, &ids)
                .await
                .map_err(super::common::hub_worker(&resource))?;
            if s3_protection {
                // The members that already were: their S3 protection, read in batches of 50.
                let ids: Vec<&str> = members
                    .iter()
                    .map(|m| m.id.as_str())
                    .filter(|id| present.contains(*id))
                    .collect();
                s3_protection_of_members(&gd, detector, &prefix, &ids, mode, &mut part, &mut notices)
                    .await?;
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
                for batch in missing.chunks(MEMBER_BATCH) {
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
                report.warnings.extend(notices);
            }
            Err(e) => report.errors.push(e),
        }
    }
    report.notes.push(format!(
        "GuardDuty: the delegated administrator `{}` manages every covered account's GuardDuty (auto-enable for all members); only its detectors export, and members inherit its publishing frequency",
        admin.account.id
    ));
    Ok(report)
}

/// The enabled members among `accounts` in a run of some accounts only (`--accounts`:
/// `GetMembers`, 50 a call, a number of calls that does not depend on the organization's size),
/// else every enabled member ([`enabled_members`]).
pub(crate) async fn members_among(
    run: &Run<'_>,
    gd: &aws_sdk_guardduty::Client,
    detector: &str,
    accounts: &[&str],
) -> Result<std::collections::BTreeSet<String>, WorkerError> {
    if run.only.is_none() {
        return enabled_members(gd, detector).await;
    }
    let mut present = std::collections::BTreeSet::new();
    for batch in accounts.chunks(MEMBER_BATCH) {
        let out = gd
            .get_members()
            .detector_id(detector)
            .set_account_ids(Some(batch.iter().map(|a| (*a).to_owned()).collect()))
            .send()
            .await
            .map_err(|e| WorkerError::from_sdk("guardduty:GetMembers", &e))?;
        present.extend(
            out.members()
                .iter()
                .filter(|m| {
                    m.relationship_status()
                        .is_some_and(|s| s.eq_ignore_ascii_case("enabled"))
                })
                .filter_map(|m| m.account_id().map(str::to_owned)),
        );
    }
    Ok(present)
}

/// The members of the administrator's `detector` that it has enabled (`ListMembers`, 50 a
/// page): a removed, resigned or disabled member is not one.
pub(crate) async fn enabled_members(
    gd: &aws_sdk_guardduty::Client,
    detector: &str,
) -> Result<std::collections::BTreeSet<String>, WorkerError> {
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
            .map_err(|e| WorkerError::from_sdk("guardduty:ListMembers", &e))?;
        present.extend(
            page.members()
                .iter()
                .filter(|m| {
                    m.relationship_status()
                        .is_some_and(|s| s.eq_ignore_ascii_case("enabled"))
                })
                .filter_map(|m| m.account_id().map(str::to_owned)),
        );
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if token.is_none() {
            return Ok(present);
        }
    }
}

/// What `GetMemberDetectors` says of the members' S3 protection.
#[derive(Debug, Default)]
pub(crate) struct MembersS3 {
    /// Members whose `S3_DATA_EVENTS` feature is not `ENABLED`.
    pub(crate) off: Vec<String>,
    /// Accounts GuardDuty did not answer for, with its reason.
    pub(crate) unprocessed: Vec<(String, String)>,
}

/// Reads the S3 protection feature of the members `ids` of the administrator's `detector`
/// (`GetMemberDetectors`, at most 50 accounts a call).
pub(crate) async fn read_members_s3(
    gd: &aws_sdk_guardduty::Client,
    detector: &str,
    ids: &[&str],
) -> Result<MembersS3, WorkerError> {
    let mut out = MembersS3::default();
    for batch in ids.chunks(MEMBER_BATCH) {
        let got = gd
            .get_member_detectors()
            .detector_id(detector)
            .set_account_ids(Some(batch.iter().map(|s| (*s).to_owned()).collect()))
            .send()
            .await
            .map_err(|e| WorkerError::from_sdk("guardduty:GetMemberDetectors", &e))?;
        for m in got.member_data_source_configurations() {
            let on = m.features().iter().any(|f| {
                f.name() == Some(&OrgFeature::S3DataEvents)
                    && f.status() == Some(&FeatureStatus::Enabled)
            });
            if !on {
                out.off.push(m.account_id().unwrap_or_default().to_owned());
            }
        }
        out.unprocessed
            .extend(got.unprocessed_accounts().iter().map(|u| {
                (
                    u.account_id().unwrap_or_default().to_owned(),
                    u.result().unwrap_or_default().to_owned(),
                )
            }));
    }
    // GetMemberDetectors answers in no stated order: sorted, a plan reads the same every time.
    out.off.sort();
    out.unprocessed.sort();
    Ok(out)
}

/// The S3 protection of the members `ids`: read through the administrator and, where it is
/// off, turned on for them in batches (`UpdateMemberDetectors`, from the administrator; a
/// member's own detector is never written).
async fn s3_protection_of_members(
    gd: &aws_sdk_guardduty::Client,
    detector: &str,
    prefix: &str,
    ids: &[&str],
    mode: Mode,
    part: &mut HubLog,
    notices: &mut Vec<String>,
) -> Result<(), EngineError> {
    let resource = format!("{prefix}#members-s3-protection");
    if ids.is_empty() {
        return Ok(());
    }
    let read = read_members_s3(gd, detector, ids)
        .await
        .map_err(super::common::hub_worker(&resource))?;
    for (account, why) in &read.unprocessed {
        notices.push(format!(
            "GuardDuty: the member `{account}`'s detector could not be read through the administrator: {why}"
        ));
    }
    if read.off.is_empty() {
        part.record(
            &resource,
            "guardduty-member-features",
            ResourceStatus::Unchanged,
            None,
        );
        return Ok(());
    }
    part.journal.changes.push(Change::new(
        &resource,
        ChangeAction::Update,
        Some(serde_json::json!({ "S3_DATA_EVENTS": "DISABLED", "Accounts": read.off })),
        Some(serde_json::json!({ "S3_DATA_EVENTS": "ENABLED", "Accounts": read.off })),
        "members whose S3 protection is off (the organization configuration turns it on for new members)",
    ));
    if mode == Mode::Apply {
        for batch in read.off.chunks(MEMBER_BATCH) {
            let out = gd
                .update_member_detectors()
                .detector_id(detector)
                .set_account_ids(Some(batch.to_vec()))
                .features(
                    MemberFeaturesConfiguration::builder()
                        .name(OrgFeature::S3DataEvents)
                        .status(FeatureStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .map_err(hub_sdk("guardduty:UpdateMemberDetectors", &resource))?;
            for u in out.unprocessed_accounts() {
                notices.push(format!(
                    "GuardDuty: S3 protection was not turned on for the member `{}`: {}",
                    u.account_id().unwrap_or_default(),
                    u.result().unwrap_or_default()
                ));
            }
        }
    }
    part.record(
        &resource,
        "guardduty-member-features",
        super::common::changed_status(mode, false),
        Some(format!("S3 protection for {} members", read.off.len())),
    );
    Ok(())
}

/// The organization configuration the product asks for, as plans show it.
fn desired_org_json(s3_protection: bool) -> serde_json::Value {
    let mut v = serde_json::json!({ "AutoEnableOrganizationMembers": "ALL" });
    if s3_protection {
        v["Features"] = serde_json::json!([{ "Name": "S3_DATA_EVENTS", "AutoEnable": "ALL" }]);
    }
    v
}

/// The accounts that are not (enabled) members yet, with the Regions where they are not.
pub(crate) type NotMembers = std::collections::BTreeMap<String, Vec<String>>;

/// `verify` of GuardDuty's managed administrator, per Region: `organization-auto-enable` (the
/// organization configuration enables every member), `guardduty-members` (every covered account
/// is a member) and, with `s3_protection`, `members-s3-protection`; what `configure` ensures.
/// Also the covered accounts that are not members, per Region (enrolment gaps).
pub(crate) async fn verify(
    run: &Run<'_>,
    admin: &DiscoveredAccount,
    covered: &[&str],
) -> (Vec<Check>, NotMembers) {
    let mut out = Vec::new();
    let mut not_members = NotMembers::new();
    let scope = admin.id.as_str();
    let s3_protection = run.cfg.guardduty.as_ref().is_some_and(|g| g.s3_protection);
    let clients = match run.clients_of(admin).await {
        Ok(c) => c,
        Err(e) => {
            out.push(Check::new(
                scope,
                None,
                "access-role-assumable",
                false,
                e.to_string(),
            ));
            return (out, not_members);
        }
    };
    for region in &run.cfg.organization.regions {
        let region_name = Some(region.as_str());
        let gd = clients.guardduty(region.as_str());
        let ids = gd
            .list_detectors()
            .send()
            .await
            .map(|o| o.detector_ids().to_vec())
            .unwrap_or_default();
        let Some(detector) = ids.first() else {
            out.push(Check::new(
                scope,
                region_name,
                "organization-auto-enable",
                false,
                "the administrator has no detector: run apply",
            ));
            continue;
        };
        let all = gd
            .describe_organization_configuration()
            .detector_id(detector)
            .send()
            .await
            .ok()
            .is_some_and(|c| c.auto_enable_organization_members() == Some(&AutoEnableMembers::All));
        out.push(Check::new(
            scope,
            region_name,
            "organization-auto-enable",
            all,
            if all {
                "AutoEnableOrganizationMembers = ALL"
            } else {
                "members are not all enabled by the administrator: run apply"
            },
        ));
        let members = match members_among(run, &gd, detector, covered).await {
            Ok(m) => m,
            Err(e) => {
                out.push(Check::new(
                    scope,
                    region_name,
                    "guardduty-members",
                    false,
                    format!("{} failed ({}): {}", e.operation, e.code, e.message),
                ));
                continue;
            }
        };
        let missing: Vec<&str> = covered
            .iter()
            .copied()
            .filter(|c| *c != admin.id && !members.contains(*c))
            .collect();
        for m in &missing {
            not_members
                .entry((*m).to_owned())
                .or_default()
                .push(region.to_string());
        }
        out.push(Check::new(
            scope,
            region_name,
            "guardduty-members",
            missing.is_empty(),
            if missing.is_empty() {
                format!("{} members", members.len())
            } else {
                format!("not members: {}: run apply", missing.join(", "))
            },
        ));
        if s3_protection {
            let ids: Vec<&str> = covered
                .iter()
                .copied()
                .filter(|c| *c != admin.id && members.contains(*c))
                .collect();
            let (ok, detail) = match read_members_s3(&gd, detector, &ids).await {
                Ok(read) if read.off.is_empty() && read.unprocessed.is_empty() => {
                    (true, format!("S3 protection on for {} members", ids.len()))
                }
                Ok(read) => (
                    false,
                    format!(
                        "S3 protection off for: {}{}: run apply",
                        read.off.join(", "),
                        read.unprocessed
                            .iter()
                            .map(|(a, why)| format!("; `{a}` unreadable ({why})"))
                            .collect::<String>()
                    ),
                ),
                Err(e) => (
                    false,
                    format!("{} failed ({}): {}", e.operation, e.code, e.message),
                ),
            };
            out.push(Check::new(
                scope,
                region_name,
                "members-s3-protection",
                ok,
                detail,
            ));
        }
    }
    (out, not_members)
}
