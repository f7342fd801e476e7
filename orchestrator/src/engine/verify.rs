//! Verification: the order of the checks and the account and Region loops, nothing else. Each
//! check is its resource's `verify` (`resources/`, GuardDuty's administrator in `gd_admin.rs`,
//! the member's resources in `resources/member.rs` and `account-worker`), which compares what
//! the resource's `read` returns with the same desired value its `ensure` writes, so the two
//! cannot disagree about what "as configured" means.
//!
//! The order: the trail (the product's, or the reused one with its notification, topic and
//! key), the findings bucket's notification, the hub role, then each covered account (its
//! member role, and per Region its detector and destination), GuardDuty's administrator, the
//! sample findings when asked for, and the hardening of the log buckets and keys. The orphans
//! of the shared documents and the advisories come beside the checks.

use std::collections::BTreeMap;

use account_worker::Mode;
use policy_model::Arn;

use super::discovery;
use super::resources::bucket::Bucket;
use super::resources::hardening::LogBucket;
use super::resources::key::KeyPolicy;
use super::resources::log_options::AccessLogging;
use super::resources::member::{Detector, Member, MemberRole};
use super::resources::notification::Notification;
use super::resources::role::HubRole;
use super::resources::topic::Topic;
use super::resources::trail::Trail;
use super::resources::{invalid, shared};
use super::run::Run;
use super::{DiscoveredAccount, EngineError, RunContext, Topology, VerifyOptions, is_exporter};
use crate::config::{Config, HardeningMode};
use crate::outcome::{Check, EnrolmentGap, VerifyOutcome};
use account_worker::MemberRoleSpec;

/// Runs every check.
pub(crate) async fn run(
    cfg: &Config,
    ctx: &RunContext,
    opts: &VerifyOptions,
) -> Result<VerifyOutcome, EngineError> {
    let run = Run::start(cfg, ctx).await?;
    let disc = match &run.only {
        None => discovery::discover_accounts(cfg, &run.caller, &run.pf).await?,
        Some(ids) => discovery::discover_only(cfg, &run.caller, &run.pf, ids).await?,
    };
    let hub_role = Arn::role(
        run.pf.home_region.partition(),
        &run.pf.hub,
        &cfg.radiant.role_name,
    )
    .map_err(|e| invalid("`radiant.role_name`", e))?;
    let mut checks = trail_checks(&run, &hub_role).await?;
    if let Some(gd) = &cfg.guardduty {
        let place = run.findings_place(Mode::Plan);
        let bucket = Bucket {
            place,
            name: &gd.bucket,
        };
        let topic = Topic {
            place,
            name: &gd.sns_topic,
        }
        .arn();
        checks.push(Notification::findings(bucket).verify_findings(topic).await);
    }
    checks.push(
        HubRole {
            place: run.hub_place(Mode::Plan),
            name: &cfg.radiant.role_name,
        }
        .verify(&cfg.radiant)
        .await,
    );

    // Orphans: accounts named by a shared policy that are no longer covered.
    let covered: Vec<&str> = disc
        .accounts
        .iter()
        .filter(|a| a.included())
        .map(|a| a.id.as_str())
        .collect();
    // A run of some accounts cannot tell the others' entries from orphans: none are reported.
    let orphans = if run.only.is_some() {
        Vec::new()
    } else {
        shared::orphans(cfg, run.findings_place(Mode::Plan), &covered).await
    };

    let member_role = MemberRole::desired(cfg, &hub_role, &run.consistency);
    let included: Vec<DiscoveredAccount> = disc
        .accounts
        .iter()
        .filter(|a| a.included())
        .cloned()
        .collect();
    // `deploy = "stackset"`: the StackSet itself, and each covered account's stack instance.
    let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now()).secs();
    let mut instances = BTreeMap::new();
    if let Some(admin) = super::members::preflight(&run).await? {
        let set = super::members::stack_set(&run, admin.admin, Mode::Plan);
        let wants = super::members::wants(&run, &admin, &member_role);
        let covered: Vec<(String, Option<String>)> = included
            .iter()
            .filter(|a| super::members::by_stack_set(&run, a))
            .map(|a| (a.id.clone(), a.joined_ago(now)))
            .collect();
        let (set_check, per_account) = set.verify(&wants, &covered).await;
        checks.push(set_check);
        instances = per_account;
    }
    let per_account: Vec<Vec<Check>> = run
        .for_each_account("verify", included, |a| {
            let instance = instances.get(&a.id).cloned();
            account_checks(&run, &disc.topology, &member_role, instance, a)
        })
        .await;
    checks.extend(per_account.into_iter().flatten());
    let mut not_members = super::gd_admin::NotMembers::new();
    if let Some(admin) = cfg
        .guardduty
        .as_ref()
        .and_then(|g| g.admin_account_id.as_ref())
        && let Some(a) = disc.accounts.iter().find(|a| a.id == admin.as_str())
    {
        let (admin_checks, missing) = super::gd_admin::verify(&run, a, &covered).await;
        checks.extend(admin_checks);
        not_members = missing;
    }
    if let (true, Some(findings)) = (opts.sample_findings, &cfg.guardduty) {
        let prefix = if findings.prefix.is_empty() {
            format!("AWSLogs/{}/GuardDuty/", run.pf.hub)
        } else {
            format!("{}/AWSLogs/{}/GuardDuty/", findings.prefix, run.pf.hub)
        };
        let hub = Member {
            clients: &run.hub,
            account: run.pf.hub.as_str(),
            home: run.home(),
            mode: Mode::Plan,
        };
        let bucket = Bucket {
            place: run.findings_place(Mode::Plan),
            name: &findings.bucket,
        };
        let detector = Detector {
            member: hub,
            region: run.home(),
        };
        checks.push(detector.verify_delivery(&bucket, &prefix, opts.wait).await);
    }
    if let Some(nt) = cfg.cloudtrail.as_ref().and_then(|c| c.new_trail())
        && let Some(logs) = &nt.access_logs_bucket
    {
        let prefix = format!("{}/", nt.bucket);
        let logging = AccessLogging {
            source: Bucket {
                place: run.hub_place(Mode::Plan),
                name: &nt.bucket,
            },
            target: logs,
            prefix: &prefix,
        };
        checks.push(logging.verify().await);
    }
    let mut advisories = Vec::new();
    let enforce = cfg.hardening == HardeningMode::Enforce;
    for bucket in log_buckets(&run) {
        let (c, a) = bucket.verify(enforce, cfg.retention_days).await;
        checks.extend(c);
        advisories.extend(a);
    }
    let gaps = enrolment_gaps(&disc.accounts, &checks, &not_members, now);
    Ok(VerifyOutcome {
        checks,
        orphans,
        advisories,
        gaps,
        api_calls: run.totals().api_calls,
    })
}

/// The checks whose failure means an account is not covered (yet), rather than drifted.
const COVERAGE_CHECKS: [&str; 4] = [
    "access-role-assumable",
    "member-role-trusts-hub-role",
    "member-role-stack-instance",
    "detector-enabled",
];

/// The covered accounts that are not covered yet, each with what it lacks and how long ago it
/// joined (the backstop of automatic enrolment: a scheduled verify lists them).
fn enrolment_gaps(
    accounts: &[DiscoveredAccount],
    checks: &[Check],
    not_members: &super::gd_admin::NotMembers,
    now: i64,
) -> Vec<EnrolmentGap> {
    accounts
        .iter()
        .filter(|a| a.included())
        .filter_map(|a| {
            let mut missing: Vec<String> = checks
                .iter()
                .filter(|c| c.scope == a.id && !c.ok && COVERAGE_CHECKS.contains(&c.name.as_str()))
                .map(|c| match &c.region {
                    Some(r) => format!("{} {r}", c.name),
                    None => c.name.clone(),
                })
                .collect();
            missing.extend(
                not_members
                    .get(&a.id)
                    .into_iter()
                    .flatten()
                    .map(|r| format!("guardduty-members {r}")),
            );
            (!missing.is_empty()).then(|| EnrolmentGap {
                account: a.id.clone(),
                name: a.name.clone(),
                joined: a.joined.and_then(|j| {
                    aws_smithy_types::DateTime::from_secs(j)
                        .fmt(aws_smithy_types::date_time::Format::DateTime)
                        .ok()
                }),
                waited_s: a.joined.map(|j| (now - j).max(0)),
                missing,
            })
        })
        .collect()
}

/// The trail's checks: the product's trail logs and delivers; a reused trail logs, its bucket
/// notifies Radiant's topic of new log files (whose policy lets S3 publish, unless it is the
/// customer's topic that is reused), and its key lets the hub role decrypt.
async fn trail_checks(run: &Run<'_>, hub_role: &Arn) -> Result<Vec<Check>, EngineError> {
    let mut out = Vec::new();
    if let Some(nt) = run.cfg.cloudtrail.as_ref().and_then(|ct| ct.new_trail()) {
        let trail = Trail {
            place: run.caller_place(Mode::Plan),
            name: &nt.trail_name,
        };
        out.push(trail.verify().await);
    }
    let (Some(ct), Some(found)) = (
        &run.cfg.cloudtrail,
        super::org_trail::check(run, false).await?,
    ) else {
        return Ok(out);
    };
    let arn = found.arn.to_string();
    let trail = Trail {
        place: run.caller_place(Mode::Plan),
        name: &arn,
    };
    out.push(trail.verify_reused().await);
    let place = found.bucket_place(run, Mode::Plan);
    let bucket = Bucket {
        place,
        name: &found.bucket,
    };
    let prefix = found.logs_prefix();
    let topic = Topic {
        place,
        name: &ct.sns_topic,
    };
    let topic_arn = topic.arn();
    let (notification, reused) = Notification::trail_logs(bucket, &prefix)
        .verify_trail_logs(topic_arn.as_ref().map_err(ToString::to_string))
        .await;
    out.push(notification);
    if !reused && let Ok(t) = &topic_arn {
        let cross_account = found.bucket_account != run.pf.hub;
        let wanted = Topic::desired_for_reused_trail(
            t,
            &found.bucket,
            &found.bucket_account,
            cross_account.then_some(hub_role),
        )?;
        out.push(
            topic
                .verify_policy(
                    "trail-topic-policy",
                    &wanted,
                    format!("S3 may publish new log files to `{t}`"),
                    format!("the policy of `{t}` does not let S3 publish: run apply"),
                )
                .await,
        );
    }
    if let Some((place, key)) = found.key_place(run, Mode::Plan) {
        out.push(KeyPolicy { place, key }.verify_reader(hub_role).await);
    }
    Ok(out)
}

/// The checks of one covered account: it can be reached, its member role (not the hub's), and
/// per configured Region its detector and, when it exports its own findings, its destination. A
/// Region the account has not enabled, or that an SCP denies, is skipped (as apply skips it).
async fn account_checks(
    run: &Run<'_>,
    topology: &Topology,
    member_role: &MemberRoleSpec,
    stack_instance: Option<Check>,
    a: DiscoveredAccount,
) -> Vec<Check> {
    let cfg = run.cfg;
    let clients = match run.clients_of(&a).await {
        Ok(c) => c,
        Err(e) => {
            return vec![Check::new(
                &a.id,
                None,
                "access-role-assumable",
                false,
                e.to_string(),
            )];
        }
    };
    let member = Member {
        clients: &clients,
        account: &a.id,
        home: run.home(),
        mode: Mode::Plan,
    };
    let mut out = Vec::new();
    if !a.is_hub {
        let role = MemberRole {
            member,
            spec: member_role,
        };
        out.push(role.verify().await);
    }
    out.extend(stack_instance);
    let Some(gd) = &cfg.guardduty else {
        return out;
    };
    let dest = super::common::findings_destination(cfg, gd);
    let exports = is_exporter(topology, &a.id).then_some(dest.as_str());
    let enabled = super::regions::enabled(run, &a.id).await;
    for region in &cfg.organization.regions {
        if let Some(reason) = super::regions::skip_before(region.as_str(), enabled.as_ref()) {
            out.push(Check::new(
                &a.id,
                Some(region.as_str()),
                "region-skipped",
                true,
                reason,
            ));
            continue;
        }
        let detector = Detector {
            member,
            region: region.as_str(),
        };
        out.extend(detector.verify(exports).await);
    }
    out
}

/// The log buckets the configuration names, in the order of their checks: the product's
/// trail's bucket and its access logs bucket, then the findings bucket.
fn log_buckets<'r>(run: &'r Run<'_>) -> Vec<LogBucket<'r>> {
    let cfg = run.cfg;
    let mut buckets = Vec::new();
    if let Some(nt) = cfg.cloudtrail.as_ref().and_then(|c| c.new_trail()) {
        buckets.push(LogBucket {
            place: run.hub_place(Mode::Plan),
            name: nt.bucket.as_str(),
            alias: nt.kms_alias.as_ref().map(|a| a.as_str()),
            retention_prefix: "AWSLogs/".to_owned(),
        });
        if let Some(logs) = &nt.access_logs_bucket {
            buckets.push(LogBucket {
                place: run.hub_place(Mode::Plan),
                name: logs.as_str(),
                alias: None,
                retention_prefix: format!("{}/", nt.bucket),
            });
        }
    }
    if let Some(gd) = &cfg.guardduty {
        buckets.push(LogBucket {
            place: run.findings_place(Mode::Plan),
            name: gd.bucket.as_str(),
            alias: Some(gd.kms_alias.as_str()),
            retention_prefix: if gd.prefix.is_empty() {
                "AWSLogs/".to_owned()
            } else {
                format!("{}/AWSLogs/", gd.prefix)
            },
        });
    }
    buckets
}
