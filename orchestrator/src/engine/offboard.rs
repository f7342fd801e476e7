//! Offboarding, in reverse order: destinations and detectors, member roles, the product's
//! statements in shared policies, the hub role, the trail, notification entries, and (unless
//! `keep_data`) the buckets, keys and topics the product created. Only what carries the
//! product's tag or Sid is removed; customer statements and adopted resources stay.

use std::sync::Arc;

use account_worker::{
    DestinationSpec, Journal, MANAGED_TAG_KEY, MANAGED_TAG_VALUE, MemberRoleSpec, Mode,
};
use futures::StreamExt;
use policy_model::{Arn, PolicyDocument};

use super::common::{HubLog, hub_sdk, parse_policy};
use super::discovery;
use super::fanout::AccountWork;
use super::hub::{
    NOTIFICATION_ID, read_bucket_policy, read_key_policy, write_bucket_policy, write_key_policy,
};
use super::patch::is_hub_policy_name;
use super::{DiscoveredAccount, EngineError, OffboardOptions, RunContext, skipped_result};
use crate::aws::AccountClients;
use crate::config::Config;
use crate::outcome::{Change, ChangeAction, Handoff, ResourceStatus, RunMode, RunOutcome};

fn tagged(tags: impl IntoIterator<Item = (String, String)>) -> bool {
    tags.into_iter()
        .any(|(k, v)| k == MANAGED_TAG_KEY && v == MANAGED_TAG_VALUE)
}

struct HubOff<'a> {
    cfg: &'a Config,
    consistency: &'a account_worker::Consistency,
    partition: policy_model::Partition,
    c: &'a AccountClients,
    account: String,
    region: String,
    keep_data: bool,
    mode: Mode,
}

impl HubOff<'_> {
    fn apply(&self) -> bool {
        self.mode == Mode::Apply
    }

    /// The status of a resource the offboarding changes (`Planned` in a plan).
    fn status(&self, done: ResourceStatus) -> ResourceStatus {
        if self.apply() {
            done
        } else {
            ResourceStatus::Planned
        }
    }

    async fn strip_bucket_policy(&self, log: &mut HubLog, bucket: &str) -> Result<(), EngineError> {
        let s3 = self.c.s3(&self.region);
        let resource = format!("arn:{}:s3:::{bucket}#policy", self.partition);
        if s3.head_bucket().bucket(bucket).send().await.is_err() {
            return Ok(());
        }
        let Some(mut doc) = read_bucket_policy(&s3, bucket, &resource).await? else {
            return Ok(());
        };
        let before = doc.clone();
        if doc.remove_owned_statements().is_empty() {
            return Ok(());
        }
        log.changes.push(Change::policy(
            &resource,
            Some(&before),
            &doc,
            "the product's statements",
        ));
        if self.apply() {
            if doc.statements().is_empty() {
                s3.delete_bucket_policy()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(hub_sdk("s3:DeleteBucketPolicy", &resource))?;
            } else {
                write_bucket_policy(
                    &s3,
                    self.consistency,
                    bucket,
                    &resource,
                    doc.to_json_minified(),
                )
                .await?;
            }
        }
        log.record(
            &resource,
            "s3-bucket-policy",
            self.status(ResourceStatus::Updated),
            None,
        );
        Ok(())
    }

    async fn remove_notification(&self, log: &mut HubLog, bucket: &str) -> Result<(), EngineError> {
        let s3 = self.c.s3(&self.region);
        let resource = format!("arn:{}:s3:::{bucket}#notification", self.partition);
        let Ok(cur) = s3
            .get_bucket_notification_configuration()
            .bucket(bucket)
            .send()
            .await
        else {
            return Ok(());
        };
        let topics = cur.topic_configurations().to_vec();
        if !topics.iter().any(|t| t.id() == Some(NOTIFICATION_ID)) {
            return Ok(());
        }
        let kept: Vec<_> = topics
            .into_iter()
            .filter(|t| t.id() != Some(NOTIFICATION_ID))
            .collect();
        let config = aws_sdk_s3::types::NotificationConfiguration::builder()
            .set_topic_configurations(Some(kept))
            .set_queue_configurations(Some(cur.queue_configurations().to_vec()))
            .set_lambda_function_configurations(Some(cur.lambda_function_configurations().to_vec()))
            .set_event_bridge_configuration(cur.event_bridge_configuration().cloned())
            .build();
        if self.apply() {
            s3.put_bucket_notification_configuration()
                .bucket(bucket)
                .notification_configuration(config)
                .send()
                .await
                .map_err(hub_sdk("s3:PutBucketNotificationConfiguration", &resource))?;
        }
        log.changes.push(Change::new(
            &resource,
            ChangeAction::Delete,
            None,
            None,
            "the product's notification entry",
        ));
        log.record(
            &resource,
            "s3-bucket-notification",
            self.status(ResourceStatus::Updated),
            None,
        );
        Ok(())
    }

    async fn delete_bucket_if_ours(
        &self,
        log: &mut HubLog,
        bucket: &str,
    ) -> Result<(), EngineError> {
        let s3 = self.c.s3(&self.region);
        let resource = format!("arn:{}:s3:::{bucket}", self.partition);
        let Ok(tags) = s3.get_bucket_tagging().bucket(bucket).send().await else {
            return Ok(());
        };
        if !tagged(
            tags.tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned())),
        ) {
            return Ok(());
        }
        while self.apply() {
            let page = s3
                .list_object_versions()
                .bucket(bucket)
                .send()
                .await
                .map_err(hub_sdk("s3:ListObjectVersions", &resource))?;
            let mut keys: Vec<(String, Option<String>)> = page
                .versions()
                .iter()
                .filter_map(|v| {
                    v.key()
                        .map(|k| (k.to_owned(), v.version_id().map(str::to_owned)))
                })
                .collect();
            keys.extend(page.delete_markers().iter().filter_map(|v| {
                v.key()
                    .map(|k| (k.to_owned(), v.version_id().map(str::to_owned)))
            }));
            if keys.is_empty() {
                break;
            }
            for (key, version) in keys {
                s3.delete_object()
                    .bucket(bucket)
                    .key(&key)
                    .set_version_id(version.filter(|v| v != "null"))
                    .send()
                    .await
                    .map_err(hub_sdk("s3:DeleteObject", &resource))?;
            }
        }
        if self.apply() {
            s3.delete_bucket()
                .bucket(bucket)
                .send()
                .await
                .map_err(hub_sdk("s3:DeleteBucket", &resource))?;
        }
        log.changes.push(Change::new(
            &resource,
            ChangeAction::Delete,
            None,
            None,
            "the product created this bucket (and the logs in it)",
        ));
        log.record(
            &resource,
            "s3-bucket",
            self.status(ResourceStatus::Deleted),
            None,
        );
        Ok(())
    }

    async fn key_or_policy(&self, log: &mut HubLog, alias: &str) -> Result<(), EngineError> {
        let kms = self.c.kms(&self.region);
        let Ok(out) = kms.describe_key().key_id(alias).send().await else {
            return Ok(());
        };
        let Some(meta) = out.key_metadata else {
            return Ok(());
        };
        let Ok(key) = meta.arn().unwrap_or_default().parse::<Arn>() else {
            return Ok(());
        };
        let resource = format!("{key}#policy");
        let ours = kms
            .list_resource_tags()
            .key_id(meta.key_id())
            .send()
            .await
            .map(|t| {
                tagged(
                    t.tags()
                        .iter()
                        .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned())),
                )
            })
            .unwrap_or(false);
        if ours && !self.keep_data {
            if self.apply() {
                kms.delete_alias()
                    .alias_name(alias)
                    .send()
                    .await
                    .map_err(hub_sdk("kms:DeleteAlias", alias))?;
                kms.schedule_key_deletion()
                    .key_id(meta.key_id())
                    .pending_window_in_days(7)
                    .send()
                    .await
                    .map_err(hub_sdk("kms:ScheduleKeyDeletion", &key.to_string()))?;
            }
            log.changes.push(Change::new(
                key.to_string(),
                ChangeAction::Delete,
                None,
                None,
                "the product created this key (deletion scheduled in 7 days)",
            ));
            log.record(
                &key.to_string(),
                "kms-key",
                self.status(ResourceStatus::Deleted),
                None,
            );
            return Ok(());
        }
        let Some(mut doc) = read_key_policy(&kms, &key, &resource).await? else {
            return Ok(());
        };
        let before = doc.clone();
        let removed = doc.remove_owned_statements();
        // The administration statement stays on a key the product created and keeps.
        for s in removed
            .iter()
            .filter(|s| s.sid() == Some(policy_model::builders::sid::KEY_ADMIN))
        {
            let _ = doc.ensure_statement(s.clone());
        }
        if doc.semantically_equal(&before) {
            return Ok(());
        }
        log.changes.push(Change::policy(
            &resource,
            Some(&before),
            &doc,
            "the product's statements",
        ));
        if self.apply() {
            write_key_policy(
                &kms,
                self.consistency,
                &key,
                &resource,
                doc.to_json_minified(),
            )
            .await?;
        }
        log.record(
            &resource,
            "kms-key-policy",
            self.status(ResourceStatus::Updated),
            None,
        );
        Ok(())
    }

    async fn topic(&self, log: &mut HubLog, name: &str) -> Result<(), EngineError> {
        let sns = self.c.sns(&self.region);
        let arn = format!(
            "arn:{}:sns:{}:{}:{name}",
            self.partition, self.region, self.account
        );
        let Ok(attrs) = sns.get_topic_attributes().topic_arn(&arn).send().await else {
            return Ok(());
        };
        let ours = sns
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map(|t| {
                tagged(
                    t.tags()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().to_owned())),
                )
            })
            .unwrap_or(false);
        if ours && !self.keep_data {
            if self.apply() {
                sns.delete_topic()
                    .topic_arn(&arn)
                    .send()
                    .await
                    .map_err(hub_sdk("sns:DeleteTopic", &arn))?;
            }
            log.changes.push(Change::new(
                &arn,
                ChangeAction::Delete,
                None,
                None,
                "the product created this topic",
            ));
            log.record(
                &arn,
                "sns-topic",
                self.status(ResourceStatus::Deleted),
                None,
            );
            return Ok(());
        }
        let resource = format!("{arn}#policy");
        let Some(text) = attrs.attributes().and_then(|a| a.get("Policy")) else {
            return Ok(());
        };
        let mut doc = parse_policy(&resource, "sns:GetTopicAttributes", text)?;
        let before = doc.clone();
        if doc.remove_owned_statements().is_empty() {
            return Ok(());
        }
        if self.apply() {
            sns.set_topic_attributes()
                .topic_arn(&arn)
                .attribute_name("Policy")
                .attribute_value(doc.to_json_minified())
                .send()
                .await
                .map_err(hub_sdk("sns:SetTopicAttributes", &resource))?;
        }
        log.changes.push(Change::policy(
            &resource,
            Some(&before),
            &doc,
            "the product's statements",
        ));
        log.record(
            &resource,
            "sns-topic-policy",
            self.status(ResourceStatus::Updated),
            None,
        );
        Ok(())
    }

    async fn trail(&self, log: &mut HubLog) -> Result<(), EngineError> {
        let ct = self.c.cloudtrail(&self.region);
        let name = &self.cfg.cloudtrail.trail_name;
        let Ok(out) = ct.get_trail().name(name).send().await else {
            return Ok(());
        };
        let Some(arn) = out.trail.and_then(|t| t.trail_arn) else {
            return Ok(());
        };
        let ours =
            ct.list_tags()
                .resource_id_list(&arn)
                .send()
                .await
                .map(|t| {
                    t.resource_tag_list().iter().any(|r| {
                        tagged(r.tags_list().iter().map(|t| {
                            (t.key().to_owned(), t.value().unwrap_or_default().to_owned())
                        }))
                    })
                })
                .unwrap_or(false);
        if !ours {
            return Ok(());
        }
        if self.apply() {
            ct.delete_trail()
                .name(name)
                .send()
                .await
                .map_err(hub_sdk("cloudtrail:DeleteTrail", &arn))?;
        }
        log.changes.push(Change::new(
            &arn,
            ChangeAction::Delete,
            None,
            None,
            "the product created this trail",
        ));
        log.record(
            &arn,
            "cloudtrail-trail",
            self.status(ResourceStatus::Deleted),
            None,
        );
        Ok(())
    }

    async fn hub_role(&self, log: &mut HubLog) -> Result<(), EngineError> {
        let iam = self.c.iam(&self.region);
        let name = &self.cfg.radiant.role_name;
        let Ok(out) = iam.get_role().role_name(name).send().await else {
            return Ok(());
        };
        let Some(role) = out.role else { return Ok(()) };
        let attached = iam
            .list_attached_role_policies()
            .role_name(name)
            .send()
            .await
            .map_err(hub_sdk("iam:ListAttachedRolePolicies", &role.arn))?;
        for p in attached.attached_policies() {
            let (Some(pname), Some(parn)) = (p.policy_name(), p.policy_arn()) else {
                continue;
            };
            if !is_hub_policy_name(name, pname) {
                continue;
            }
            log.changes.push(Change::new(
                parn,
                ChangeAction::Delete,
                None,
                None,
                "the hub role's permissions",
            ));
            log.record(
                parn,
                "iam-managed-policy",
                self.status(ResourceStatus::Deleted),
                None,
            );
            if !self.apply() {
                continue;
            }
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(parn)
                .send()
                .await
                .map_err(hub_sdk("iam:DetachRolePolicy", parn))?;
            let versions = iam
                .list_policy_versions()
                .policy_arn(parn)
                .send()
                .await
                .map_err(hub_sdk("iam:ListPolicyVersions", parn))?;
            for v in versions
                .versions()
                .iter()
                .filter(|v| !v.is_default_version())
            {
                iam.delete_policy_version()
                    .policy_arn(parn)
                    .version_id(v.version_id().unwrap_or_default())
                    .send()
                    .await
                    .map_err(hub_sdk("iam:DeletePolicyVersion", parn))?;
            }
            iam.delete_policy()
                .policy_arn(parn)
                .send()
                .await
                .map_err(hub_sdk("iam:DeletePolicy", parn))?;
        }
        if tagged(
            role.tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned())),
        ) {
            if self.apply() {
                iam.delete_role()
                    .role_name(name)
                    .send()
                    .await
                    .map_err(hub_sdk("iam:DeleteRole", &role.arn))?;
            }
            log.changes.push(Change::new(
                &role.arn,
                ChangeAction::Delete,
                None,
                None,
                "the product created this role",
            ));
            log.record(
                &role.arn,
                "iam-role",
                self.status(ResourceStatus::Deleted),
                None,
            );
        } else if let Some(text) = role.assume_role_policy_document() {
            let before: PolicyDocument = parse_policy(&role.arn, "iam:GetRole", text)?;
            let mut doc = before.clone();
            if !doc.remove_owned_statements().is_empty() && !doc.statements().is_empty() {
                if self.apply() {
                    iam.update_assume_role_policy()
                        .role_name(name)
                        .policy_document(doc.to_json_minified())
                        .send()
                        .await
                        .map_err(hub_sdk("iam:UpdateAssumeRolePolicy", &role.arn))?;
                }
                log.changes.push(Change::policy(
                    format!("{}#trust", role.arn),
                    Some(&before),
                    &doc,
                    "the product's trust statements of an adopted role",
                ));
                log.record(
                    &role.arn,
                    "iam-role",
                    self.status(ResourceStatus::Updated),
                    None,
                );
            }
        }
        Ok(())
    }
}

/// Offboards one account (member or hub).
async fn offboard_account(
    ctx: &RunContext,
    hub: &AccountClients,
    cfg: &Config,
    spec: &MemberRoleSpec,
    dest: &DestinationSpec,
    account: DiscoveredAccount,
    mode: Mode,
) -> AccountWork {
    let mut work = AccountWork::new(account);
    let id = work.account.id.clone();
    let home = cfg.organization.home_region.as_str();
    let clients = if work.account.is_hub {
        hub.clone()
    } else {
        let assumed = super::fanout::assume_access_role(
            &ctx.aws,
            hub.sts(home),
            super::common::partition(cfg),
            &cfg.organization.access_role_name,
            &id,
            &spec.consistency,
        );
        match assumed.await {
            Ok(c) => c,
            Err(e) => {
                work.error = Some(e);
                return work;
            }
        }
    };
    let mut journal = Journal::default();
    for region in &cfg.organization.regions {
        match account_worker::remove_guardduty(&clients.guardduty(region), &id, region, dest, mode)
            .await
        {
            Ok(j) => journal.extend(j),
            Err(e) => {
                work.error = Some(e);
                work.journal = journal;
                return work;
            }
        }
    }
    if !work.account.is_hub {
        match account_worker::remove_member_role(&clients.iam(home), spec, mode).await {
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
    ctx.aws.attach_progress(Arc::clone(&ctx.progress));
    let calls_before = ctx.aws.stats().calls();
    let consistency = ctx.consistency(cfg);
    let pf = discovery::preflight(cfg, &ctx.aws.caller("hub")).await?;
    let caller = ctx.aws.caller(pf.caller.as_str());
    let disc = discovery::discover_accounts(cfg, &caller, &pf).await?;
    let home = pf.home_region.as_str().to_owned();
    let partition = super::common::partition(cfg);
    let hub_role_arn = format!(
        "arn:{partition}:iam::{}:role/{}",
        pf.caller, cfg.radiant.role_name
    );
    let spec = MemberRoleSpec {
        role_name: cfg.radiant.member_role_name.clone(),
        policy_name: format!("{}-permissions", cfg.radiant.member_role_name),
        trust: PolicyDocument::new(),
        permissions: PolicyDocument::new(),
        consistency: consistency.clone(),
        partition,
    };
    let gd = &cfg.guardduty;
    let dest = DestinationSpec {
        destination_arn: super::common::findings_destination(cfg),
        kms_key_arn: String::new(),
        take_over: false,
        consistency: consistency.clone(),
        policies_written: std::time::Instant::now(),
    };

    // Accounts first (destinations, detectors, member roles).
    let included: Vec<DiscoveredAccount> = disc
        .accounts
        .iter()
        .filter(|a| a.included())
        .cloned()
        .collect();
    ctx.progress.phase("accounts", included.len() as u64);
    let mut works: Vec<(usize, AccountWork)> =
        futures::stream::iter(included.into_iter().enumerate())
            .map(|(i, a)| {
                let (caller, spec, dest) = (&caller, &spec, &dest);
                async move {
                    let w = offboard_account(ctx, caller, cfg, spec, dest, a, mode).await;
                    ctx.progress.advance(1);
                    (i, w)
                }
            })
            .buffer_unordered(ctx.concurrency.max(1))
            .collect()
            .await;
    ctx.progress.finish();
    works.sort_by_key(|(i, _)| *i);
    let works: Vec<AccountWork> = works.into_iter().map(|(_, w)| w).collect();

    // Then the hub, in reverse order of onboarding.
    let mut log = HubLog::default();
    let h = HubOff {
        cfg,
        consistency: &consistency,
        partition,
        c: &caller,
        account: pf.caller.to_string(),
        region: home.clone(),
        keep_data: opts.keep_data,
        mode,
    };
    h.hub_role(&mut log).await?;
    if gd.enabled {
        h.strip_bucket_policy(&mut log, &gd.bucket).await?;
        if let Some(alias) = &gd.kms_alias {
            h.key_or_policy(&mut log, alias).await?;
        }
        h.remove_notification(&mut log, &gd.bucket).await?;
        h.topic(&mut log, &gd.sns_topic).await?;
    }
    if cfg.cloudtrail.enabled {
        h.trail(&mut log).await?;
        h.strip_bucket_policy(&mut log, &cfg.cloudtrail.bucket)
            .await?;
        if let Some(alias) = &cfg.cloudtrail.kms_alias {
            h.key_or_policy(&mut log, alias).await?;
        }
        h.topic(&mut log, &cfg.cloudtrail.sns_topic).await?;
    }
    if !opts.keep_data {
        if gd.enabled {
            h.delete_bucket_if_ours(&mut log, &gd.bucket).await?;
        }
        if cfg.cloudtrail.enabled {
            h.delete_bucket_if_ours(&mut log, &cfg.cloudtrail.bucket)
                .await?;
        }
    }

    let mut accounts = Vec::new();
    let mut changes = log.changes;
    for a in &disc.accounts {
        match works.iter().find(|w| w.account.id == a.id) {
            Some(w) => {
                accounts.push(w.to_result(mode, true));
                changes.extend(w.journal.changes.iter().cloned());
            }
            None => accounts.push(skipped_result(a)),
        }
    }
    let calls_after = ctx.aws.stats().calls();
    let api_calls = calls_after
        .iter()
        .map(|(k, v)| (k.clone(), v - calls_before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect();
    Ok(RunOutcome {
        mode: match mode {
            Mode::Apply => RunMode::Offboard,
            Mode::Plan => RunMode::OffboardPlan,
        },
        organization_id: disc.organization_id.clone(),
        hub_account_id: disc.hub_account_id.clone(),
        hub: log.hub,
        accounts,
        changes,
        size_decisions: Vec::new(),
        handoff: Handoff {
            role_arn: hub_role_arn,
            external_id: cfg.radiant.external_id.clone().unwrap_or_default(),
            ..Handoff::default()
        },
        api_calls,
        retries: 0,
        throttles: 0,
        warnings: Vec::new(),
    })
}
