//! Offboarding, in reverse order: destinations and detectors, member roles, the product's
//! statements in shared policies, the hub role, the trail, notification entries, and (unless
//! `keep_data`) the buckets, keys and topics the product created. Only what carries the
//! product's tag or Sid is removed; customer statements and adopted resources stay.

use account_worker::{DestinationSpec, Journal, MemberRoleSpec, Mode};
use policy_model::PolicyDocument;

use super::common::HubLog;
use super::discovery;
use super::fanout::AccountWork;
use super::resources::bucket::{Bucket, BucketPolicy};
use super::resources::hardening::{BucketHardening, KeyRotation};
use super::resources::key::{Key, KeyPolicy};
use super::resources::log_options::AccessLogging;
use super::resources::member::{Detector, Member, MemberRole};
use super::resources::notification::Notification;
use super::resources::role::HubRole;
use super::resources::topic::Topic;
use super::resources::trail::Trail;
use super::run::Run;
use super::{DiscoveredAccount, EngineError, OffboardOptions, RunContext, skipped_result};
use crate::config::Config;
use crate::outcome::{Handoff, RunMode, RunOutcome};

/// Offboards one account (member or hub).
async fn offboard_account(
    run: &Run<'_>,
    spec: &MemberRoleSpec,
    dest: &DestinationSpec,
    account: DiscoveredAccount,
    mode: Mode,
) -> AccountWork {
    let cfg = run.cfg;
    let mut work = AccountWork::new(account);
    let id = work.account.id.clone();
    let home = run.home();
    let clients = match run.clients_of(&work.account).await {
        Ok(c) => c,
        Err(e) => {
            work.error = Some(e);
            return work;
        }
    };
    let member = Member {
        clients: &clients,
        account: &id,
        home,
        mode,
    };
    let mut journal = Journal::default();
    // Through a managed administrator, members' GuardDuty is the administrator's: left as it
    // is; the administrator keeps its detector (only our destination goes).
    let admin = cfg
        .guardduty
        .as_ref()
        .and_then(|g| g.admin_account_id.as_ref());
    let regions: &[policy_model::Region] = match admin {
        Some(a) if a.as_str() != id => &[],
        _ => &cfg.organization.regions,
    };
    let enabled = super::regions::enabled(run, &id).await;
    for region in regions {
        // Nothing of ours can be in a Region the account has not enabled or an SCP denies.
        if super::regions::skip_before(region.as_str(), enabled.as_ref()).is_some() {
            continue;
        }
        match (Detector { member, region })
            .remove(dest, admin.is_some())
            .await
        {
            Ok(j) => journal.extend(j),
            Err(e) if super::regions::skip_after(region.as_str(), &e).is_some() => {}
            Err(e) => {
                work.error = Some(e);
                work.journal = journal;
                return work;
            }
        }
    }
    // The StackSet's roles went with its instances (removed before the accounts).
    let by_stack_set = cfg.members.deploy == crate::config::MemberDeploy::Stackset
        && super::members::by_stack_set(run, &work.account);
    if !work.account.is_hub && !by_stack_set {
        match (MemberRole { member, spec }).remove().await {
            Ok(j) => journal.extend(j),
            Err(e) => work.error = Some(e),
        }
    }
    work.journal = journal;
    work
}

/// Offboards the organization.
pub(crate) async fn run(
    cfg: &Config,
    ctx: &RunContext,
    opts: &OffboardOptions,
    mode: Mode,
) -> Result<RunOutcome, EngineError> {
    let run = Run::start(cfg, ctx).await?;
    let (pf, consistency) = (&run.pf, &run.consistency);
    let disc = discovery::discover_accounts(cfg, &run.caller, pf).await?;
    let partition = super::common::partition(cfg);
    let hub_role_arn = format!(
        "arn:{partition}:iam::{}:role/{}",
        pf.hub, cfg.radiant.role_name
    );
    let spec = MemberRoleSpec {
        role_name: cfg.radiant.member_role_name.clone(),
        policy_name: format!("{}-permissions", cfg.radiant.member_role_name),
        trust: PolicyDocument::new(),
        permissions: PolicyDocument::new(),
        consistency: consistency.clone(),
        partition,
    };
    let dest = DestinationSpec {
        // Without a findings bucket, no destination is the product's.
        destination_arn: cfg
            .guardduty
            .as_ref()
            .map(|gd| super::common::findings_destination(cfg, gd))
            .unwrap_or_default(),
        kms_key_arn: String::new(),
        take_over: false,
        consistency: consistency.clone(),
        policies_written: std::time::Instant::now(),
    };

    // The member role's StackSet first (`deploy = "stackset"`): its instances (with the role
    // each deployed), then the StackSet; the management account's role, which StackSets never
    // deploys, goes with the accounts below.
    let mut stack_log = HubLog::default();
    let mut removal = super::resources::stackset::OperationOutcome::default();
    if let Some(admin) = super::members::preflight(&run).await? {
        let set = super::members::stack_set(&run, admin.admin, mode);
        // A refused StackSet call fails the accounts it deploys to; the others are offboarded.
        removal = match set
            .remove(
                &mut stack_log,
                super::members::timeout(&run),
                run.ctx.progress.as_ref(),
            )
            .await
        {
            Ok(outcome) => outcome,
            Err(e) => {
                stack_log.record(
                    &set.resource(),
                    "cloudformation-stackset",
                    crate::outcome::ResourceStatus::Failed,
                    Some(e.to_string()),
                );
                super::resources::stackset::OperationOutcome {
                    operation_failed: Some(e.to_string()),
                    ..Default::default()
                }
            }
        };
    }

    // Accounts first (destinations, detectors, member roles).
    let included: Vec<DiscoveredAccount> = disc
        .accounts
        .iter()
        .filter(|a| a.included())
        .cloned()
        .collect();
    let works = run
        .for_each_account("accounts", included, |a| {
            offboard_account(&run, &spec, &dest, a, mode)
        })
        .await;

    let mut works = works;
    for w in &mut works {
        if let Some(reason) = removal.failure_of(&w.account.id)
            && w.error.is_none()
            && super::members::by_stack_set(&run, &w.account)
        {
            w.error = Some(super::resources::stackset::instance_failure(
                "cloudformation:DeleteStackInstances",
                &reason,
            ));
        }
    }

    // Then the hub, in reverse order of onboarding.
    let mut log = stack_log;
    let mut warnings = Vec::new();
    if let Some(a) = cfg
        .guardduty
        .as_ref()
        .and_then(|g| g.admin_account_id.as_ref())
    {
        warnings.push(format!(
            "GuardDuty's delegated administrator `{a}`, its detectors, its organization configuration and its members are left in place (the organization keeps GuardDuty); only the product's destinations and policy statements are removed"
        ));
    }
    let place = run.hub_place(mode);
    let findings = run.findings_place(mode);
    let keep = opts.keep_data;
    let bucket = |name| Bucket { place, name };
    let key = |alias| Key { place, alias };
    let topic = |name| Topic { place, name };
    let findings_bucket = |name| Bucket {
        place: findings,
        name,
    };
    HubRole {
        place,
        name: &cfg.radiant.role_name,
    }
    .remove(&mut log)
    .await?;
    // `hardening = "enforce"` changed the customer's buckets and keys: their settings go back
    // to what the tag `radiant-onboard:previous-hardening` recorded (nothing without it).
    let mut adopted: Vec<(Bucket<'_>, Option<Key<'_>>)> = Vec::new();
    if let Some(gd) = &cfg.guardduty {
        adopted.push((
            findings_bucket(&gd.bucket),
            Some(Key {
                place: findings,
                alias: &gd.kms_alias,
            }),
        ));
    }
    if let Some(nt) = cfg.cloudtrail.as_ref().and_then(|ct| ct.new_trail()) {
        adopted.push((bucket(&nt.bucket), nt.kms_alias.as_ref().map(|a| key(a))));
        if let Some(logs) = &nt.access_logs_bucket {
            adopted.push((bucket(logs), None));
        }
    }
    for (b, k) in &adopted {
        warnings.extend(
            BucketHardening {
                bucket: *b,
                key: None,
            }
            .restore(&mut log)
            .await?,
        );
        if let Some(k) = k
            && let Some((arn, _)) = k.read().await?
        {
            warnings.extend(
                KeyRotation {
                    place: k.place,
                    key: &arn,
                }
                .restore(&mut log)
                .await?,
            );
        }
    }
    if let Some(gd) = &cfg.guardduty {
        BucketPolicy {
            bucket: findings_bucket(&gd.bucket),
        }
        .remove(&mut log)
        .await?;
        Key {
            place: findings,
            alias: &gd.kms_alias,
        }
        .remove(&mut log, keep)
        .await?;
        Notification::findings(findings_bucket(&gd.bucket))
            .remove(&mut log)
            .await?;
        Topic {
            place: findings,
            name: &gd.sns_topic,
        }
        .remove(&mut log, keep)
        .await?;
    }
    if let Some((ct, nt)) = cfg
        .cloudtrail
        .as_ref()
        .and_then(|ct| ct.new_trail().map(|nt| (ct, nt)))
    {
        Trail {
            place: run.caller_place(mode),
            name: &nt.trail_name,
        }
        .remove(&mut log)
        .await?;
        BucketPolicy {
            bucket: bucket(&nt.bucket),
        }
        .remove(&mut log)
        .await?;
        if let Some(logs) = &nt.access_logs_bucket {
            let prefix = format!("{}/", nt.bucket);
            AccessLogging {
                source: bucket(&nt.bucket),
                target: logs,
                prefix: &prefix,
            }
            .remove(&mut log)
            .await?;
            BucketPolicy {
                bucket: bucket(logs),
            }
            .remove(&mut log)
            .await?;
        }
        if let Some(alias) = &nt.kms_alias {
            key(alias).remove(&mut log, keep).await?;
        }
        topic(&ct.sns_topic).remove(&mut log, keep).await?;
    }
    // A reused trail: only what the product added (its topic, its notification entry, its
    // statements in the bucket's and the key's policies); the trail and the rest stay.
    let reused = match super::org_trail::check(&run, false).await {
        Ok(found) => found,
        Err(e) => {
            warnings.push(format!(
                "the reused trail's wiring (its topic, notification entry and statements) was not removed: {e}"
            ));
            None
        }
    };
    if let (Some(ct), Some(found)) = (&cfg.cloudtrail, reused) {
        let bucket_place = found.bucket_place(&run, mode);
        let trail_bucket = Bucket {
            place: bucket_place,
            name: &found.bucket,
        };
        let prefix = found.logs_prefix();
        warnings.extend(
            BucketHardening {
                bucket: trail_bucket,
                key: None,
            }
            .restore(&mut log)
            .await?,
        );
        if let Some((place, key)) = found.key_place(&run, mode) {
            warnings.extend(KeyRotation { place, key }.restore(&mut log).await?);
        }
        Notification::trail_logs(trail_bucket, &prefix)
            .remove(&mut log)
            .await?;
        // Only the product's statements go (a read, and a write only when there are some):
        // the readers' statement of a bucket elsewhere, or `enforce`'s TLS-only statement.
        BucketPolicy {
            bucket: trail_bucket,
        }
        .remove(&mut log)
        .await?;
        if let Some((place, key)) = found.key_place(&run, mode) {
            KeyPolicy { place, key }.remove(&mut log).await?;
        }
        Topic {
            place: bucket_place,
            name: &ct.sns_topic,
        }
        .remove(&mut log, false)
        .await?;
    }
    if !keep {
        if let Some(gd) = &cfg.guardduty {
            findings_bucket(&gd.bucket).remove(&mut log).await?;
        }
        if let Some(nt) = cfg.cloudtrail.as_ref().and_then(|ct| ct.new_trail()) {
            bucket(&nt.bucket).remove(&mut log).await?;
            if let Some(logs) = &nt.access_logs_bucket {
                bucket(logs).remove(&mut log).await?;
            }
        }
    }

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
                accounts.push(w.to_result(mode, true));
                changes.append(&mut w.journal.changes);
            }
            None => accounts.push(skipped_result(a)),
        }
    }
    let totals = run.totals();
    Ok(RunOutcome {
        mode: match mode {
            Mode::Apply => RunMode::Offboard,
            Mode::Plan => RunMode::OffboardPlan,
        },
        organization_id: disc.organization_id.clone(),
        hub_account_id: disc.hub_account_id.clone(),
        hub: log.journal.actions,
        accounts,
        changes,
        size_decisions: Vec::new(),
        handoff: Handoff {
            role_arn: hub_role_arn,
            external_id: cfg.radiant.external_id.as_str().to_owned(),
            ..Handoff::default()
        },
        api_calls: totals.api_calls,
        retries: totals.retries,
        throttles: totals.throttles,
        warnings,
        notes: Vec::new(),
        new_accounts: None,
    })
}
