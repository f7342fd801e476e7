//! Verification: the trail logs, the hub role trusts Radiant with the external ID, every
//! covered detector is enabled and exports to the hub bucket, member roles trust the hub role,
//! no shared policy names an account that is no longer covered, and (optionally) sample
//! findings reach the bucket.

use std::time::{Duration, Instant};

use policy_model::builders::sid;
use policy_model::{Arn, PolicyDocument};

use super::discovery;
use super::resources::Place;
use super::resources::bucket::{Bucket, BucketPolicy};
use super::resources::key::{Key, KeyPolicy};
use super::resources::managed_policy::ManagedPolicy;
use super::resources::role::{HubRole, trust_policy};
use super::run::Run;
use super::{DiscoveredAccount, EngineError, RunContext, Topology, VerifyOptions, is_exporter};
use crate::config::Config;
use crate::outcome::{Check, VerifyOutcome};
use account_worker::Mode;

fn check(
    scope: &str,
    region: Option<&str>,
    name: &str,
    ok: bool,
    detail: impl Into<String>,
) -> Check {
    Check {
        scope: scope.to_owned(),
        region: region.map(str::to_owned),
        name: name.to_owned(),
        ok,
        detail: detail.into(),
    }
}

async fn account_checks(run: &Run<'_>, topology: &Topology, a: DiscoveredAccount) -> Vec<Check> {
    let (cfg, home) = (run.cfg, run.home());
    let mut out = Vec::new();
    let clients = match run.clients_of(&a).await {
        Ok(c) => c,
        Err(e) => {
            out.push(check(
                &a.id,
                None,
                "access-role-assumable",
                false,
                e.to_string(),
            ));
            return out;
        }
    };
    if !a.is_hub {
        let iam = clients.iam(home);
        let role = iam
            .get_role()
            .role_name(&cfg.radiant.member_role_name)
            .send()
            .await;
        let ok = role
            .as_ref()
            .ok()
            .and_then(|r| r.role.as_ref())
            .and_then(|r| trust_policy(r).ok())
            .is_some_and(|d| d.statement(sid::TRUST_HUB_ROLE).is_some());
        out.push(check(
            &a.id,
            None,
            "member-role-trusts-hub-role",
            ok,
            if ok {
                "trust statement present".into()
            } else {
                "the member role or its trust statement is missing: run apply".to_owned()
            },
        ));
    }
    let Some(gd) = &cfg.guardduty else {
        return out;
    };
    let dest = super::common::findings_destination(cfg, gd);
    let enabled = super::regions::enabled(run, &a.id).await;
    for region in &cfg.organization.regions {
        // A Region the account has not enabled, or that an SCP denies, is skipped (as apply
        // skips it), not failed.
        if let Some(reason) = super::regions::skip_before(region.as_str(), enabled.as_ref()) {
            out.push(check(&a.id, Some(region), "region-skipped", true, reason));
            continue;
        }
        let gd = clients.guardduty(region);
        let ids = match gd.list_detectors().send().await {
            Ok(o) => o.detector_ids().to_vec(),
            Err(e) => {
                let e = account_worker::WorkerError::from_sdk("guardduty:ListDetectors", &e);
                match super::regions::skip_after(region.as_str(), &e) {
                    Some(reason) => {
                        out.push(check(&a.id, Some(region), "region-skipped", true, reason));
                        continue;
                    }
                    None => Vec::new(),
                }
            }
        };
        let Some(id) = ids.first() else {
            out.push(check(
                &a.id,
                Some(region),
                "detector-enabled",
                false,
                "no detector: run apply",
            ));
            continue;
        };
        let enabled = gd
            .get_detector()
            .detector_id(id)
            .send()
            .await
            .ok()
            .and_then(|d| d.status().map(|s| s.as_str() == "ENABLED"))
            .unwrap_or(false);
        out.push(check(
            &a.id,
            Some(region),
            "detector-enabled",
            enabled,
            format!("detector {id}"),
        ));
        if !is_exporter(topology, &a.id) {
            continue;
        }
        let found = account_worker::read_destinations(&gd, id)
            .await
            .unwrap_or_default();
        let ours = found.iter().find(|d| {
            d.destination_arn
                .as_deref()
                .is_some_and(|x| x.trim_end_matches('/') == dest)
        });
        let (ok, detail) = match ours {
            Some(d) => (
                d.status.as_deref() == Some("PUBLISHING"),
                format!(
                    "destination {} is {}",
                    d.id,
                    d.status.as_deref().unwrap_or("?")
                ),
            ),
            None => match found.first().and_then(|d| d.destination_arn.as_deref()) {
                // GuardDuty allows one destination per detector: the customer's stays unless
                // the user opts in to redirect it.
                Some(elsewhere) => (
                    false,
                    format!(
                        "the detector exports to {elsewhere}, not the hub bucket; it was left \
                         alone: set `guardduty.take_over_destinations = true` to redirect it"
                    ),
                ),
                None => (
                    false,
                    "no destination to the hub bucket: run apply".to_owned(),
                ),
            },
        };
        out.push(check(
            &a.id,
            Some(region),
            "destination-publishing",
            ok,
            detail,
        ));
    }
    out
}

/// The shared documents that name accounts: the findings bucket policy, the findings key
/// policy and the hub role's managed policies. A document that cannot be read is skipped (the
/// checks above report what is missing).
async fn shared_documents(cfg: &Config, place: Place<'_>) -> Vec<PolicyDocument> {
    let hub = place.clients;
    let home = place.region.as_str();
    let mut docs = Vec::new();
    // Unreadable documents are skipped: the checks report what is missing.
    if let Some(gd) = &cfg.guardduty {
        let bucket = Bucket {
            place,
            name: &gd.bucket,
        };
        docs.extend(BucketPolicy { bucket }.read().await.ok().flatten());
        let alias = &gd.kms_alias;
        if let Ok(Some((key, _))) = (Key { place, alias }).read().await {
            docs.extend(KeyPolicy { place, key: &key }.read().await.ok().flatten());
        }
    }
    let iam = hub.iam(home);
    let attached = iam
        .list_attached_role_policies()
        .role_name(&cfg.radiant.role_name)
        .max_items(100)
        .send()
        .await
        .map(|o| o.attached_policies().to_vec())
        .unwrap_or_default();
    for p in attached {
        let (Some(name), Some(arn)) = (p.policy_name(), p.policy_arn()) else {
            continue;
        };
        if !super::patch::is_hub_policy_name(&cfg.radiant.role_name, name) {
            continue;
        }
        // Unreadable: skipped (the checks above report what is missing).
        let doc = ManagedPolicy { place, arn }.read().await.ok().flatten();
        docs.extend(doc);
    }
    docs
}

/// ARNs that name an account in the product's statements of `doc`: detector ARNs in
/// `aws:SourceArn` conditions and member-role ARNs in `sts:AssumeRole` resources (the compact
/// `iam::*:role/...` form names no account and is filtered out by the caller).
fn named_accounts(doc: &PolicyDocument) -> Vec<String> {
    let mut out = Vec::new();
    for s in doc.owned_statements() {
        out.extend(s.condition_values("StringEquals", "aws:SourceArn"));
        if s.sid() == Some(sid::ASSUME_MEMBER_ROLES) {
            out.extend(s.resource_values().into_iter().map(str::to_owned));
        }
    }
    out
}

/// Checks of GuardDuty's managed administrator, per Region: the organization configuration
/// enables every member, and every covered account is a member.
async fn admin_checks(run: &Run<'_>, admin: &DiscoveredAccount, covered: &[&str]) -> Vec<Check> {
    let mut out = Vec::new();
    let s3_protection = run.cfg.guardduty.as_ref().is_some_and(|g| g.s3_protection);
    let clients = match run.clients_of(admin).await {
        Ok(c) => c,
        Err(e) => {
            out.push(check(
                &admin.id,
                None,
                "access-role-assumable",
                false,
                e.to_string(),
            ));
            return out;
        }
    };
    for region in &run.cfg.organization.regions {
        let gd = clients.guardduty(region.as_str());
        let ids = gd
            .list_detectors()
            .send()
            .await
            .map(|o| o.detector_ids().to_vec())
            .unwrap_or_default();
        let Some(detector) = ids.first() else {
            out.push(check(
                &admin.id,
                Some(region),
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
            .is_some_and(|c| {
                c.auto_enable_organization_members()
                    == Some(&aws_sdk_guardduty::types::AutoEnableMembers::All)
            });
        out.push(check(
            &admin.id,
            Some(region),
            "organization-auto-enable",
            all,
            if all {
                "AutoEnableOrganizationMembers = ALL"
            } else {
                "members are not all enabled by the administrator: run apply"
            },
        ));
        let members = match super::gd_admin::enabled_members(&gd, detector).await {
            Ok(m) => m,
            Err(e) => {
                out.push(check(
                    &admin.id,
                    Some(region),
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
        out.push(check(
            &admin.id,
            Some(region),
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
            let (ok, detail) = match super::gd_admin::read_members_s3(&gd, detector, &ids).await {
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
            out.push(check(
                &admin.id,
                Some(region),
                "members-s3-protection",
                ok,
                detail,
            ));
        }
    }
    out
}

/// The hardening of the log buckets and keys: the product's own are checked (a setting changed
/// by someone else is drift, a failed check); the customer's give advisories.
async fn hardening_checks(run: &Run<'_>) -> (Vec<Check>, Vec<String>) {
    use super::resources::hardening::{BucketHardening, KeyRotation, advisory, bucket_is_ours};
    let cfg = run.cfg;
    let mut checks = Vec::new();
    let mut advisories = Vec::new();
    use super::resources::log_options::{AccessLogging, LoggingNow, Retention};
    let enforce = cfg.hardening == crate::config::HardeningMode::Enforce;
    // (place, bucket, key alias, the prefix `[retention]` covers) of each log bucket the
    // configuration names.
    let mut buckets: Vec<(Place<'_>, &str, Option<&str>, String)> = Vec::new();
    if let Some(nt) = cfg.cloudtrail.as_ref().and_then(|c| c.new_trail()) {
        buckets.push((
            run.hub_place(Mode::Plan),
            nt.bucket.as_str(),
            nt.kms_alias.as_ref().map(|a| a.as_str()),
            "AWSLogs/".to_owned(),
        ));
        if let Some(logs) = &nt.access_logs_bucket {
            buckets.push((
                run.hub_place(Mode::Plan),
                logs.as_str(),
                None,
                format!("{}/", nt.bucket),
            ));
            let prefix = format!("{}/", nt.bucket);
            let logging = AccessLogging {
                source: Bucket {
                    place: run.hub_place(Mode::Plan),
                    name: &nt.bucket,
                },
                target: logs,
                prefix: &prefix,
            }
            .read()
            .await;
            let (ok, detail) = match logging {
                Ok(LoggingNow::Ours) => (
                    true,
                    format!("`{}` logs requests to `{logs}/{prefix}`", nt.bucket),
                ),
                Ok(LoggingNow::Elsewhere { target, prefix }) => (
                    true,
                    format!(
                        "`{}` logs requests to `{target}/{prefix}` (the customer's)",
                        nt.bucket
                    ),
                ),
                Ok(LoggingNow::Off) => (
                    false,
                    format!("`{}` has no server access logging: run apply", nt.bucket),
                ),
                Err(e) => (false, e.to_string()),
            };
            checks.push(check(
                "hub",
                Some(run.home()),
                "bucket-access-logging",
                ok,
                detail,
            ));
        }
    }
    if let Some(gd) = &cfg.guardduty {
        buckets.push((
            run.findings_place(Mode::Plan),
            gd.bucket.as_str(),
            Some(gd.kms_alias.as_str()),
            if gd.prefix.is_empty() {
                "AWSLogs/".to_owned()
            } else {
                format!("{}/AWSLogs/", gd.prefix)
            },
        ));
    }
    for (place, name, alias, retention_prefix) in buckets {
        let bucket = Bucket { place, name };
        if !bucket.read().await.unwrap_or(false) {
            continue;
        }
        let key = match alias {
            Some(alias) => (Key { place, alias }).read().await.ok().flatten(),
            None => None,
        };
        let key_arn = key.as_ref().map(|(arn, _)| arn);
        let own = bucket_is_ours(&bucket).await;
        if own && cfg.retention_days.is_some() {
            let ok = (Retention {
                bucket,
                prefix: &retention_prefix,
                days: cfg.retention_days,
            })
            .in_place()
            .await
            .unwrap_or(false);
            checks.push(check(
                "hub",
                Some(place.region.as_str()),
                "bucket-retention",
                ok,
                if ok {
                    format!("`{name}`: objects under `{retention_prefix}` expire after the configured days")
                } else {
                    format!("`{name}`'s lifecycle rule `radiant-onboard-retention` differs from `[retention]` (drift): run apply")
                },
            ));
        }
        // `hardening = "enforce"` holds the customer's buckets to the same settings (never
        // Control Tower's).
        let ours = own || (enforce && !name.starts_with(super::org_trail::CONTROL_TOWER_PREFIX));
        let tls_only = BucketPolicy { bucket }
            .read()
            .await
            .ok()
            .flatten()
            .is_some_and(|d| policy_model::builders::denies_insecure_transport(&d));
        if ours {
            checks.push(check(
                "hub",
                Some(place.region.as_str()),
                "bucket-denies-insecure-transport",
                tls_only,
                if tls_only {
                    format!("`{name}` refuses plain HTTP")
                } else {
                    format!("`{name}`'s policy lost its statement refusing plain HTTP (drift): run apply")
                },
            ));
        } else if !tls_only {
            advisories.push(super::hub::insecure_transport_advisory(&bucket.arn()));
        }
        let hardening = BucketHardening {
            bucket,
            key: key_arn,
        };
        let gaps = if own {
            hardening.gaps(true).await
        } else {
            hardening.customer_gaps().await
        };
        match gaps {
            Ok(gaps) if ours => checks.push(check(
                "hub",
                Some(place.region.as_str()),
                "bucket-hardening",
                gaps.is_empty(),
                if gaps.is_empty() {
                    format!("`{name}`: public access block, ACLs disabled, default encryption, versioning")
                } else {
                    format!(
                        "`{name}` drifted: {}; run apply",
                        gaps.iter()
                            .map(|g| format!("{} is {} (wanted {})", g.setting.name(), g.before, g.after))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            )),
            Ok(gaps) => advisories.extend(gaps.iter().map(|g| advisory(&bucket.arn(), g))),
            Err(e) => checks.push(check(
                "hub",
                Some(place.region.as_str()),
                "bucket-hardening",
                false,
                e.to_string(),
            )),
        }
        if let (Some((arn, id)), Some(alias)) = (&key, alias) {
            let ours = enforce || (Key { place, alias }).is_ours(id).await;
            match (KeyRotation { place, key: arn }).gap(true).await {
                Ok(gap) if ours => checks.push(check(
                    "hub",
                    Some(place.region.as_str()),
                    "key-rotation",
                    gap.is_none(),
                    if gap.is_none() {
                        format!("`{alias}` rotates automatically")
                    } else {
                        format!("`{alias}` has automatic rotation off (drift): run apply")
                    },
                )),
                Ok(gap) => advisories.extend(gap.iter().map(|g| advisory(&arn.to_string(), g))),
                Err(e) => checks.push(check(
                    "hub",
                    Some(place.region.as_str()),
                    "key-rotation",
                    false,
                    e.to_string(),
                )),
            }
        }
    }
    (checks, advisories)
}

/// The findings bucket notifies the GuardDuty topic of new objects (the product's entry, or a
/// customer's SNS rule that is reused).
async fn findings_notification_check(run: &Run<'_>, gd: &crate::config::GuardDuty) -> Check {
    use super::resources::notification::{Notification, Wiring};
    let place = run.findings_place(Mode::Plan);
    let bucket = Bucket {
        place,
        name: &gd.bucket,
    };
    let topic = super::resources::topic::Topic {
        place,
        name: &gd.sns_topic,
    }
    .arn();
    let wiring = match (&topic, bucket.read().await) {
        (Ok(t), Ok(true)) => Notification::findings(bucket)
            .check(t, true)
            .await
            .map_err(|e| e.to_string()),
        (Ok(_), Ok(false)) => Err(format!(
            "the findings bucket `{}` does not exist: run apply",
            gd.bucket
        )),
        (Err(e), _) => Err(e.to_string()),
        (_, Err(e)) => Err(e.to_string()),
    };
    let home = run.home();
    let (ok, detail) = match wiring {
        Ok(Wiring::Present) => (true, "new findings reach the GuardDuty topic".to_owned()),
        Ok(Wiring::Reuse { rule, topic }) => (
            true,
            format!("the customer's {rule} reaches `{topic}`, which Radiant reads"),
        ),
        Ok(other) => (
            false,
            format!(
                "the findings bucket does not notify the GuardDuty topic ({other:?}): run apply"
            ),
        ),
        Err(e) => (false, e),
    };
    check(
        "hub",
        Some(home),
        "findings-bucket-notification",
        ok,
        detail,
    )
}

/// Checks of a reused trail: it logs, its bucket notifies Radiant's topic of new log files, and
/// the trail's key lets the hub role decrypt them.
async fn reused_trail_checks(
    run: &Run<'_>,
    ct: &crate::config::CloudTrail,
    found: &super::org_trail::FoundTrail,
) -> Vec<Check> {
    let home = run.home().to_owned();
    let mut out = Vec::new();
    let status = run
        .caller
        .cloudtrail(&home)
        .get_trail_status()
        .name(found.arn.to_string())
        .send()
        .await;
    let (ok, detail) = match status {
        Ok(s) => (
            s.is_logging == Some(true),
            format!("`{}` logging: {:?}", found.arn, s.is_logging),
        ),
        Err(e) => (
            false,
            account_worker::WorkerError::from_sdk("cloudtrail:GetTrailStatus", &e).to_string(),
        ),
    };
    out.push(check("hub", Some(&home), "trail-logging", ok, detail));
    let place = found.bucket_place(run, Mode::Plan);
    let bucket = Bucket {
        place,
        name: &found.bucket,
    };
    let prefix = found.logs_prefix();
    let notification = super::resources::notification::Notification::trail_logs(bucket, &prefix);
    let topic = super::resources::topic::Topic {
        place,
        name: &ct.sns_topic,
    }
    .arn();
    let wiring = match &topic {
        Ok(t) => notification.check(t, true).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    use super::resources::notification::Wiring;
    let reused_topic = matches!(wiring, Ok(Wiring::Reuse { .. }));
    let (ok, detail) = match wiring {
        Ok(Wiring::Present) => (
            true,
            format!("new log files under `{prefix}` reach the topic"),
        ),
        Ok(Wiring::Reuse { rule, topic }) => {
            (true, format!("the customer's {rule} reaches `{topic}`"))
        }
        Ok(other) => (
            false,
            format!("no notification of new log files under `{prefix}` ({other:?}): run apply"),
        ),
        Err(e) => (false, e),
    };
    out.push(check(
        "hub",
        Some(found.bucket_region.as_str()),
        "trail-bucket-notification",
        ok,
        detail,
    ));
    if !reused_topic && let Ok(t) = &topic {
        let topic = super::resources::topic::Topic {
            place,
            name: &ct.sns_topic,
        };
        let ok = topic
            .read()
            .await
            .ok()
            .flatten()
            .flatten()
            .is_some_and(|text| {
                PolicyDocument::parse(&text)
                    .ok()
                    .is_some_and(|d| d.statement(sid::CLOUDTRAIL_BUCKET_NOTIFICATIONS).is_some())
            });
        out.push(check(
            "hub",
            Some(found.bucket_region.as_str()),
            "trail-topic-policy",
            ok,
            if ok {
                format!("S3 may publish new log files to `{t}`")
            } else {
                format!("the policy of `{t}` does not let S3 publish: run apply")
            },
        ));
    }
    if let Some((key_place, key)) = found.key_place(run, Mode::Plan) {
        let role = format!(
            "arn:{}:iam::{}:role/{}",
            run.pf.home_region.partition(),
            run.pf.hub,
            run.cfg.radiant.role_name
        );
        let doc = KeyPolicy {
            place: key_place,
            key,
        }
        .read()
        .await;
        let ok = doc.as_ref().ok().and_then(Option::as_ref).is_some_and(|d| {
            d.statement(sid::CLOUDTRAIL_DECRYPT)
                .is_some_and(|s| s.principals("AWS").contains(&role.as_str()))
        });
        out.push(check(
            "hub",
            Some(key_place.region.as_str()),
            "trail-key-decrypt",
            ok,
            if ok {
                format!("the hub role may decrypt with `{key}`")
            } else {
                format!("the policy of `{key}` does not let the hub role decrypt: run apply")
            },
        ));
    }
    out
}

/// Runs every check.
pub(crate) async fn run(
    cfg: &Config,
    ctx: &RunContext,
    opts: &VerifyOptions,
) -> Result<VerifyOutcome, EngineError> {
    let run = Run::start(cfg, ctx).await?;
    let (pf, hub) = (&run.pf, &run.hub);
    let disc = discovery::discover_accounts(cfg, &run.caller, pf).await?;
    let home = pf.home_region.as_str().to_owned();
    let mut checks = Vec::new();

    if let Some(nt) = cfg.cloudtrail.as_ref().and_then(|ct| ct.new_trail()) {
        let status = run
            .caller
            .cloudtrail(&home)
            .get_trail_status()
            .name(&nt.trail_name)
            .send()
            .await;
        let (ok, detail) = match status {
            Ok(s) => (
                s.is_logging == Some(true) && s.latest_delivery_error.is_none(),
                format!(
                    "logging: {:?}, latest delivery error: {:?}",
                    s.is_logging, s.latest_delivery_error
                ),
            ),
            Err(e) => (
                false,
                account_worker::WorkerError::from_sdk("cloudtrail:GetTrailStatus", &e).to_string(),
            ),
        };
        checks.push(check("hub", Some(&home), "trail-logging", ok, detail));
    }
    if let (Some(ct), Some(found)) = (&cfg.cloudtrail, super::org_trail::check(&run, false).await?)
    {
        checks.extend(reused_trail_checks(&run, ct, &found).await);
    }
    if let Some(gd) = &cfg.guardduty {
        checks.push(findings_notification_check(&run, gd).await);
    }
    let place = run.hub_place(Mode::Plan);
    let role = HubRole {
        place,
        name: &cfg.radiant.role_name,
    }
    .read(&cfg.radiant.role_name)
    .await;
    let trusted = role
        .as_ref()
        .ok()
        .and_then(Option::as_ref)
        .and_then(|r| trust_policy(r).ok());
    let ok = trusted
        .as_ref()
        .and_then(|d| d.statement(sid::TRUST_RADIANT))
        .is_some_and(|s| {
            s.condition_values("StringEquals", "sts:ExternalId")
                .iter()
                .any(|v| v.as_str() == cfg.radiant.external_id.as_str())
        });
    checks.push(check(
        "hub",
        None,
        "hub-role-trusts-radiant",
        ok,
        if ok {
            "Radiant's principal with the external ID"
        } else {
            "the hub role or its trust statement is missing: run apply"
        },
    ));

    // Orphans: accounts named by a shared policy (findings bucket and key policies, the hub
    // role's AssumeRole list) that are no longer covered.
    let covered: Vec<&str> = disc
        .accounts
        .iter()
        .filter(|a| a.included())
        .map(|a| a.id.as_str())
        .collect();
    let mut orphans = Vec::new();
    for doc in shared_documents(cfg, run.findings_place(Mode::Plan)).await {
        for v in named_accounts(&doc) {
            let orphan = v.parse::<Arn>().is_ok_and(|a| {
                let account = a.account();
                account.len() == 12
                    && account.bytes().all(|b| b.is_ascii_digit())
                    && !covered.contains(&account)
            });
            if orphan && !orphans.contains(&v) {
                orphans.push(v);
            }
        }
    }

    let included: Vec<DiscoveredAccount> = disc
        .accounts
        .iter()
        .filter(|a| a.included())
        .cloned()
        .collect();
    let per_account: Vec<Vec<Check>> = run
        .for_each_account("verify", included, |a| {
            account_checks(&run, &disc.topology, a)
        })
        .await;
    checks.extend(per_account.into_iter().flatten());
    if let Some(admin) = cfg
        .guardduty
        .as_ref()
        .and_then(|g| g.admin_account_id.as_ref())
        && let Some(a) = disc.accounts.iter().find(|a| a.id == admin.as_str())
    {
        checks.extend(admin_checks(&run, a, &covered).await);
    }

    if let (true, Some(findings)) = (opts.sample_findings, &cfg.guardduty) {
        let gd = hub.guardduty(&home);
        let ids = gd
            .list_detectors()
            .send()
            .await
            .map(|o| o.detector_ids().to_vec())
            .unwrap_or_default();
        let (ok, detail) = match ids.first() {
            None => (
                false,
                "the hub has no detector in its home Region".to_owned(),
            ),
            Some(id) => match gd.create_sample_findings().detector_id(id).send().await {
                Err(e) => (
                    false,
                    account_worker::WorkerError::from_sdk("guardduty:CreateSampleFindings", &e)
                        .to_string(),
                ),
                Ok(_) => {
                    let prefix = if findings.prefix.is_empty() {
                        format!("AWSLogs/{}/GuardDuty/", pf.hub)
                    } else {
                        format!("{}/AWSLogs/{}/GuardDuty/", findings.prefix, pf.hub)
                    };
                    let s3 = hub.s3(run.findings_region.as_str());
                    let start = Instant::now();
                    let mut seen = false;
                    loop {
                        let listed = s3
                            .list_objects_v2()
                            .bucket(findings.bucket.as_str())
                            .prefix(&prefix)
                            .max_keys(1)
                            .send()
                            .await;
                        if listed.is_ok_and(|l| l.key_count().unwrap_or(0) > 0) {
                            seen = true;
                            break;
                        }
                        if start.elapsed() >= opts.wait {
                            break;
                        }
                        // Polling an external effect (not a consistency workaround).
                        tokio::time::sleep(Duration::from_secs(5).min(opts.wait)).await;
                    }
                    (
                        seen,
                        if seen {
                            format!("sample findings arrived under `{prefix}`")
                        } else {
                            format!("no findings under `{prefix}` after {:?}", opts.wait)
                        },
                    )
                }
            },
        };
        checks.push(check(
            "hub",
            Some(&home),
            "sample-findings-delivered",
            ok,
            detail,
        ));
    }
    let (hardening, advisories) = hardening_checks(&run).await;
    checks.extend(hardening);
    Ok(VerifyOutcome {
        checks,
        orphans,
        advisories,
        api_calls: run.totals().api_calls,
    })
}
