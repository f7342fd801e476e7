//! Hub resources: the CloudTrail bucket, key, topic and organization trail; the GuardDuty
//! findings bucket, key, topic and bucket notification; the hub role. Each is read, compared and
//! written only where it differs; existing resources with the configured names are adopted and
//! merged into, never recreated.

use futures::FutureExt;

use std::time::Instant;

use account_worker::{Consistency, MANAGED_TAG_KEY, MANAGED_TAG_VALUE, Mode};
use aws_sdk_cloudtrail::types::{DataResource, EventSelector, ReadWriteType};
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Event, NotificationConfiguration, Tagging,
    TopicConfiguration,
};
use policy_model::builders::{self, OrgTrail};
use policy_model::planner::plan_fixed;
use policy_model::{AccountId, Arn, OrgId, Partition, PolicyDocument, PolicyKind, Region};

use super::EngineError;
use super::common::{
    HubLog, KNOWN_AFTER_APPLY_KEY, changed_status, ensure_policy, hub_sdk, hub_worker,
    parse_policy, plan_err,
};
use crate::aws::AccountClients;
use crate::config::Config;
use crate::outcome::{Change, ChangeAction, ResourceStatus};

/// Applies the organization trail's settings to a `CreateTrail` or an `UpdateTrail` request
/// (two builder types with the same setters), so both always ask for the same trail.
macro_rules! with_trail_settings {
    ($req:expr, $ct:expr, $key:expr) => {{
        let req = $req
            .name(&$ct.trail_name)
            .s3_bucket_name(&$ct.bucket)
            .sns_topic_name(&$ct.sns_topic)
            .is_multi_region_trail(true)
            .is_organization_trail(true)
            .include_global_service_events(true)
            .enable_log_file_validation(true);
        match $key {
            Some(k) => req.kms_key_id(k.to_string()),
            None => req,
        }
    }};
}

/// Id of the product's entry in the findings bucket's notification configuration.
pub(crate) const NOTIFICATION_ID: &str = "radiant-onboard-guardduty-findings";

/// What the hub step established, for the later steps.
#[derive(Debug, Clone)]
pub(crate) struct HubFacts {
    pub(crate) partition: Partition,
    pub(crate) account: AccountId,
    pub(crate) region: Region,
    pub(crate) org_id: OrgId,
    pub(crate) hub_role_arn: Arn,
    pub(crate) cloudtrail_topic: Option<Arn>,
    pub(crate) cloudtrail_key: Option<Arn>,
    pub(crate) guardduty_topic: Option<Arn>,
    pub(crate) guardduty_key: Option<Arn>,
    /// `arn:PARTITION:s3:::BUCKET[/PREFIX]`.
    pub(crate) findings_destination: Option<String>,
}

/// What the CloudTrail part of the hub step established.
struct CloudTrailPart {
    log: HubLog,
    topic: Arn,
    key: Option<Arn>,
}

/// What the GuardDuty part of the hub step established.
struct GuardDutyPart {
    log: HubLog,
    topic: Arn,
    key: Arn,
    destination: String,
}

/// Where and how the hub step runs.
pub(crate) struct Hub<'a> {
    pub(crate) cfg: &'a Config,
    pub(crate) consistency: &'a Consistency,
    pub(crate) clients: &'a AccountClients,
    pub(crate) mode: Mode,
    pub(crate) account: AccountId,
    pub(crate) management: AccountId,
    pub(crate) region: Region,
    pub(crate) org_id: OrgId,
}

fn invalid(what: &str, e: impl std::fmt::Display) -> EngineError {
    EngineError::Preflight {
        message: format!("{what} is not valid: {e}; fix it in onboard.toml"),
    }
}

impl Hub<'_> {
    /// Runs the whole hub step. Its three parts (the hub role, the CloudTrail resources, the
    /// GuardDuty findings store) run concurrently, and so do the bucket, key and topic within a
    /// part: each is a chain of dependent calls, and waiting for one another would only add
    /// their latencies. The edges that remain: the CloudTrail key policy names the hub role (a
    /// principal must exist), the trail needs its bucket, key and topic policies, and the
    /// findings notification needs its bucket and topic. Every part runs to its end even when
    /// another failed (no write is abandoned halfway); the first failure in the fixed order
    /// role, CloudTrail, GuardDuty is the one reported.
    pub(crate) async fn ensure(&self, log: &mut HubLog) -> Result<HubFacts, EngineError> {
        let partition = self.region.partition();
        let hub_role_arn = Arn::role(partition, &self.account, &self.cfg.radiant.role_name)
            .map_err(|e| invalid("`radiant.role_name`", e))?;
        // The parts are boxed: joined inline, their state machines would all live on the stack.
        let role = Box::pin(async {
            let mut part = HubLog::default();
            self.ensure_hub_role(&mut part, &hub_role_arn).await?;
            Ok::<_, EngineError>(part)
        })
        .shared();
        let role_ready = role.clone().map(|r| r.map(drop));
        let cloudtrail = Box::pin(async {
            if self.cfg.cloudtrail.enabled {
                self.ensure_cloudtrail(&hub_role_arn, role_ready)
                    .await
                    .map(Some)
            } else {
                Ok(None)
            }
        });
        let guardduty = Box::pin(async {
            if self.cfg.guardduty.enabled {
                self.ensure_guardduty_store().await.map(Some)
            } else {
                Ok(None)
            }
        });
        let (role, cloudtrail, guardduty) = futures::join!(role, cloudtrail, guardduty);
        log.extend(role?);
        let mut facts = HubFacts {
            partition,
            account: self.account.clone(),
            region: self.region.clone(),
            org_id: self.org_id.clone(),
            hub_role_arn,
            cloudtrail_topic: None,
            cloudtrail_key: None,
            guardduty_topic: None,
            guardduty_key: None,
            findings_destination: None,
        };
        if let Some(ct) = cloudtrail? {
            log.extend(ct.log);
            facts.cloudtrail_topic = Some(ct.topic);
            facts.cloudtrail_key = ct.key;
        }
        if let Some(gd) = guardduty? {
            log.extend(gd.log);
            facts.guardduty_topic = Some(gd.topic);
            facts.guardduty_key = Some(gd.key);
            facts.findings_destination = Some(gd.destination);
        }
        Ok(facts)
    }

    // -- hub role ---------------------------------------------------------------------------

    async fn ensure_hub_role(&self, log: &mut HubLog, arn: &Arn) -> Result<(), EngineError> {
        let iam = self.clients.iam(self.region.as_str());
        let name = &self.cfg.radiant.role_name;
        let principal: Arn = self
            .cfg
            .radiant
            .principal_arn
            .parse()
            .map_err(|e| invalid("`radiant.principal_arn`", e))?;
        let external = policy_model::ExternalId::new(
            self.cfg.radiant.external_id.as_deref().unwrap_or_default(),
        )
        .map_err(|e| invalid("`radiant.external_id`", e))?;
        let trust = builders::radiant_trust(&principal, &external);
        let resource = arn.to_string();
        let existing = match iam.get_role().role_name(name).send().await {
            Ok(out) => out.role,
            Err(e) => {
                let err = account_worker::WorkerError::from_sdk("iam:GetRole", &e);
                if !err.is_not_found() {
                    return Err(hub_worker(&resource)(err));
                }
                None
            }
        };
        match existing {
            None => {
                log.changes.push(Change::policy(
                    format!("{resource}#trust"),
                    None,
                    &trust,
                    "the hub role does not exist",
                ));
                if self.mode == Mode::Apply {
                    let tag = aws_sdk_iam::types::Tag::builder()
                        .key(MANAGED_TAG_KEY)
                        .value(MANAGED_TAG_VALUE)
                        .build()
                        .map_err(|e| hub_worker(&resource)(build_err("iam:CreateRole", e)))?;
                    iam.create_role()
                        .role_name(name)
                        .assume_role_policy_document(trust.to_json_minified())
                        .description("Radiant Security access (managed by radiant-onboard)")
                        .tags(tag)
                        .send()
                        .await
                        .map_err(hub_sdk("iam:CreateRole", &resource))?;
                }
                log.record(&resource, "iam-role", changed_status(self.mode, true), None);
            }
            Some(role) => {
                let current = match role.assume_role_policy_document() {
                    Some(t) => parse_policy(&resource, "iam:GetRole", t)?,
                    None => PolicyDocument::new(),
                };
                let merged = account_worker::merge_owned(&current, &trust);
                if merged.semantically_equal(&current) {
                    log.record(&resource, "iam-role", ResourceStatus::Unchanged, None);
                } else {
                    log.changes.push(Change::policy(
                        format!("{resource}#trust"),
                        Some(&current),
                        &merged,
                        "the hub role's trust policy lacks Radiant's principal with the external ID",
                    ));
                    if self.mode == Mode::Apply {
                        iam.update_assume_role_policy()
                            .role_name(name)
                            .policy_document(merged.to_json_minified())
                            .send()
                            .await
                            .map_err(hub_sdk("iam:UpdateAssumeRolePolicy", &resource))?;
                    }
                    log.record(
                        &resource,
                        "iam-role",
                        changed_status(self.mode, false),
                        None,
                    );
                }
            }
        }
        Ok(())
    }

    // -- S3 buckets -------------------------------------------------------------------------

    /// Ensures the bucket exists (created and tagged when missing). Returns true when it exists
    /// (or, in plan mode, would exist only after apply: false).
    async fn ensure_bucket(&self, log: &mut HubLog, bucket: &str) -> Result<bool, EngineError> {
        let s3 = self.clients.s3(self.region.as_str());
        let resource = format!("arn:{}:s3:::{bucket}", self.region.partition());
        match s3.head_bucket().bucket(bucket).send().await {
            Ok(_) => {
                log.record(&resource, "s3-bucket", ResourceStatus::Unchanged, None);
                return Ok(true);
            }
            Err(e) => {
                let err = account_worker::WorkerError::from_sdk("s3:HeadBucket", &e);
                let missing = err.is_not_found()
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404);
                if !missing {
                    return Err(hub_worker(&resource)(err));
                }
            }
        }
        log.changes.push(Change::new(
            &resource,
            ChangeAction::Create,
            None,
            None,
            "the bucket does not exist",
        ));
        if self.mode == Mode::Plan {
            log.record(&resource, "s3-bucket", ResourceStatus::Planned, None);
            return Ok(false);
        }
        let mut req = s3.create_bucket().bucket(bucket);
        if self.region.as_str() != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.region.as_str()))
                    .build(),
            );
        }
        req.send()
            .await
            .map_err(hub_sdk("s3:CreateBucket", &resource))?;
        let tag = aws_sdk_s3::types::Tag::builder()
            .key(MANAGED_TAG_KEY)
            .value(MANAGED_TAG_VALUE)
            .build()
            .map_err(|e| hub_worker(&resource)(build_err("s3:PutBucketTagging", e)))?;
        let tagging = Tagging::builder()
            .tag_set(tag)
            .build()
            .map_err(|e| hub_worker(&resource)(build_err("s3:PutBucketTagging", e)))?;
        s3.put_bucket_tagging()
            .bucket(bucket)
            .tagging(tagging)
            .send()
            .await
            .map_err(hub_sdk("s3:PutBucketTagging", &resource))?;
        log.record(&resource, "s3-bucket", ResourceStatus::Created, None);
        Ok(true)
    }

    /// Read-merge-write of a bucket policy with `statements`.
    async fn ensure_bucket_statements(
        &self,
        log: &mut HubLog,
        bucket: &str,
        exists: bool,
        statements: Vec<policy_model::Statement>,
    ) -> Result<(), EngineError> {
        let s3 = self.clients.s3(self.region.as_str());
        let resource = format!("arn:{}:s3:::{bucket}#policy", self.region.partition());
        ensure_policy(
            log,
            self.mode,
            &resource,
            "s3-bucket-policy",
            async || {
                if !exists {
                    return Ok(None);
                }
                read_bucket_policy(&s3, bucket, &resource).await
            },
            |doc| {
                plan_fixed(doc, statements.clone(), PolicyKind::S3Bucket)
                    .map_err(plan_err(&resource))
            },
            async |text| write_bucket_policy(&s3, self.consistency, bucket, &resource, text).await,
        )
        .await?;
        Ok(())
    }

    // -- KMS --------------------------------------------------------------------------------

    /// Finds or creates the key behind `alias`; returns its ARN (a placeholder in plan mode
    /// when it does not exist yet) and whether it exists.
    async fn ensure_key(
        &self,
        log: &mut HubLog,
        alias: &str,
        description: &str,
    ) -> Result<(Arn, bool), EngineError> {
        let kms = self.clients.kms(self.region.as_str());
        let alias_arn = format!(
            "arn:{}:kms:{}:{}:{alias}",
            self.region.partition(),
            self.region,
            self.account
        );
        match kms.describe_key().key_id(alias).send().await {
            Ok(out) => {
                let meta = out.key_metadata;
                let arn_text = meta
                    .as_ref()
                    .and_then(|m| m.arn.clone())
                    .unwrap_or_default();
                let arn: Arn = arn_text.parse().map_err(|e| EngineError::Hub {
                    operation: "kms:DescribeKey".into(),
                    resource: alias_arn.clone(),
                    kind: account_worker::ErrorKind::InvalidState,
                    message: format!("unexpected key ARN `{arn_text}`: {e}"),
                })?;
                log.record(
                    &alias_arn,
                    "kms-alias",
                    ResourceStatus::Unchanged,
                    Some(arn.to_string()),
                );
                return Ok((arn, true));
            }
            Err(e) => {
                let err = account_worker::WorkerError::from_sdk("kms:DescribeKey", &e);
                if !err.is_not_found() {
                    return Err(hub_worker(&alias_arn)(err));
                }
            }
        }
        let policy = builders::new_key_policy(self.region.partition(), &self.account);
        log.changes.push(Change::policy(
            &alias_arn,
            None,
            &policy,
            "the key does not exist",
        ));
        if self.mode == Mode::Plan {
            log.record(&alias_arn, "kms-key", ResourceStatus::Planned, None);
            let arn = Arn::kms_key(&self.region, &self.account, KNOWN_AFTER_APPLY_KEY)
                .map_err(|e| invalid("the KMS key", e))?;
            return Ok((arn, false));
        }
        let tag = aws_sdk_kms::types::Tag::builder()
            .tag_key(MANAGED_TAG_KEY)
            .tag_value(MANAGED_TAG_VALUE)
            .build()
            .map_err(|e| hub_worker(&alias_arn)(build_err("kms:CreateKey", e)))?;
        let out = kms
            .create_key()
            .policy(policy.to_json_minified())
            .description(description)
            .tags(tag)
            .send()
            .await
            .map_err(hub_sdk("kms:CreateKey", &alias_arn))?;
        let meta = out.key_metadata.ok_or_else(|| EngineError::Hub {
            operation: "kms:CreateKey".into(),
            resource: alias_arn.clone(),
            kind: account_worker::ErrorKind::Other,
            message: "KMS returned no key metadata".into(),
        })?;
        kms.create_alias()
            .alias_name(alias)
            .target_key_id(meta.key_id())
            .send()
            .await
            .map_err(hub_sdk("kms:CreateAlias", &alias_arn))?;
        let arn_text = meta.arn.clone().unwrap_or_default();
        let arn: Arn = arn_text
            .parse()
            .map_err(|e| invalid("the new key's ARN", e))?;
        log.record(
            &alias_arn,
            "kms-key",
            ResourceStatus::Created,
            Some(arn.to_string()),
        );
        Ok((arn, true))
    }

    /// Read-merge-write of a key policy with `statements`.
    pub(crate) async fn ensure_key_statements(
        &self,
        log: &mut HubLog,
        key: &Arn,
        exists: bool,
        statements: Vec<policy_model::Statement>,
    ) -> Result<(), EngineError> {
        let kms = self.clients.kms(self.region.as_str());
        let resource = format!("{key}#policy");
        let fresh = builders::new_key_policy(self.region.partition(), &self.account);
        ensure_policy(
            log,
            self.mode,
            &resource,
            "kms-key-policy",
            async || {
                if !exists {
                    return Ok(Some(fresh.clone()));
                }
                read_key_policy(&kms, key, &resource).await
            },
            |doc| {
                plan_fixed(doc, statements.clone(), PolicyKind::KmsKey).map_err(plan_err(&resource))
            },
            async |text| write_key_policy(&kms, self.consistency, key, &resource, text).await,
        )
        .await?;
        Ok(())
    }

    // -- SNS --------------------------------------------------------------------------------

    async fn ensure_topic(
        &self,
        log: &mut HubLog,
        name: &str,
        statement: impl Fn(&Arn) -> Result<policy_model::Statement, EngineError>,
    ) -> Result<Arn, EngineError> {
        let sns = self.clients.sns(self.region.as_str());
        let arn = Arn::sns_topic(&self.region, &self.account, name)
            .map_err(|e| invalid("the SNS topic name", e))?;
        let resource = arn.to_string();
        let current = match sns.get_topic_attributes().topic_arn(&resource).send().await {
            Ok(out) => {
                log.record(&resource, "sns-topic", ResourceStatus::Unchanged, None);
                let policy = out
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get("Policy"))
                    .cloned();
                Some(policy)
            }
            Err(e) => {
                let err = account_worker::WorkerError::from_sdk("sns:GetTopicAttributes", &e);
                if !err.is_not_found() {
                    return Err(hub_worker(&resource)(err));
                }
                None
            }
        };
        let exists = current.is_some();
        if !exists {
            log.changes.push(Change::new(
                &resource,
                ChangeAction::Create,
                None,
                None,
                "the topic does not exist",
            ));
            if self.mode == Mode::Apply {
                let tag = aws_sdk_sns::types::Tag::builder()
                    .key(MANAGED_TAG_KEY)
                    .value(MANAGED_TAG_VALUE)
                    .build()
                    .map_err(|e| hub_worker(&resource)(build_err("sns:CreateTopic", e)))?;
                sns.create_topic()
                    .name(name)
                    .tags(tag)
                    .send()
                    .await
                    .map_err(hub_sdk("sns:CreateTopic", &resource))?;
            }
            log.record(
                &resource,
                "sns-topic",
                changed_status(self.mode, true),
                None,
            );
        }
        let stmt = statement(&arn)?;
        let policy_resource = format!("{resource}#policy");
        let first = current.flatten();
        let used_first = std::sync::atomic::AtomicBool::new(false);
        ensure_policy(
            log,
            self.mode,
            &policy_resource,
            "sns-topic-policy",
            async || {
                if !exists && self.mode == Mode::Plan {
                    return Ok(None);
                }
                // The first read reuses GetTopicAttributes' answer; later reads go to AWS.
                if exists && !used_first.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    return first
                        .as_deref()
                        .map(|t| parse_policy(&policy_resource, "sns:GetTopicAttributes", t))
                        .transpose();
                }
                let out = sns
                    .get_topic_attributes()
                    .topic_arn(&resource)
                    .send()
                    .await
                    .map_err(hub_sdk("sns:GetTopicAttributes", &policy_resource))?;
                out.attributes
                    .as_ref()
                    .and_then(|a| a.get("Policy"))
                    .map(|t| parse_policy(&policy_resource, "sns:GetTopicAttributes", t))
                    .transpose()
            },
            |doc| {
                plan_fixed(doc, vec![stmt.clone()], PolicyKind::SnsTopic)
                    .map_err(plan_err(&policy_resource))
            },
            async |text| {
                sns.set_topic_attributes()
                    .topic_arn(&resource)
                    .attribute_name("Policy")
                    .attribute_value(text)
                    .send()
                    .await
                    .map_err(hub_sdk("sns:SetTopicAttributes", &policy_resource))?;
                Ok(())
            },
        )
        .await?;
        Ok(arn)
    }

    // -- CloudTrail -------------------------------------------------------------------------

    async fn ensure_cloudtrail(
        &self,
        hub_role_arn: &Arn,
        role_ready: impl Future<Output = Result<(), EngineError>>,
    ) -> Result<CloudTrailPart, EngineError> {
        let ct = &self.cfg.cloudtrail;
        let trail = OrgTrail {
            region: self.region.clone(),
            management_account: self.management.clone(),
            trail_name: ct.trail_name.clone(),
            org_id: self.org_id.clone(),
            bucket: ct.bucket.clone(),
            prefix: String::new(),
        };
        let trail_arn = trail
            .trail_arn()
            .map_err(|e| invalid("`cloudtrail.trail_name`", e))?;
        let bucket_statements = builders::cloudtrail_bucket_statements(&trail)
            .map_err(|e| invalid("`cloudtrail.bucket`", e))?;
        let key_statements =
            builders::cloudtrail_key_statements(&trail, std::slice::from_ref(hub_role_arn))
                .map_err(|e| invalid("the CloudTrail key", e))?;
        let bucket = Box::pin(async {
            let mut part = HubLog::default();
            let exists = self.ensure_bucket(&mut part, &ct.bucket).await?;
            self.ensure_bucket_statements(&mut part, &ct.bucket, exists, bucket_statements)
                .await?;
            Ok::<_, EngineError>(part)
        });
        let key = Box::pin(async {
            let mut part = HubLog::default();
            let Some(alias) = &ct.kms_alias else {
                return Ok((part, None));
            };
            let (key, exists) = self
                .ensure_key(
                    &mut part,
                    alias,
                    "CloudTrail log encryption (radiant-onboard)",
                )
                .await?;
            role_ready.await?;
            self.ensure_key_statements(&mut part, &key, exists, key_statements)
                .await?;
            Ok::<_, EngineError>((part, Some(key)))
        });
        let topic = Box::pin(async {
            let mut part = HubLog::default();
            let topic = self
                .ensure_topic(&mut part, &ct.sns_topic, |t| {
                    Ok(builders::cloudtrail_topic_statement(&trail_arn, t))
                })
                .await?;
            Ok::<_, EngineError>((part, topic))
        });
        let (bucket, key, topic) = futures::join!(bucket, key, topic);
        let mut log = bucket?;
        let (key_log, key) = key?;
        log.extend(key_log);
        let (topic_log, topic) = topic?;
        log.extend(topic_log);
        self.ensure_trail(&mut log, &trail_arn, &topic, key.as_ref())
            .await?;
        Ok(CloudTrailPart { log, topic, key })
    }

    // -- GuardDuty findings store -----------------------------------------------------------

    async fn ensure_guardduty_store(&self) -> Result<GuardDutyPart, EngineError> {
        let gd = &self.cfg.guardduty;
        let bucket = Box::pin(async {
            let mut part = HubLog::default();
            let exists = self.ensure_bucket(&mut part, &gd.bucket).await?;
            if !gd.prefix.is_empty() {
                self.ensure_prefix_marker(&mut part, &gd.bucket, &gd.prefix, exists)
                    .await?;
            }
            Ok::<_, EngineError>((part, exists))
        });
        let key = Box::pin(async {
            let mut part = HubLog::default();
            let alias = gd.kms_alias.clone().unwrap_or_default();
            let (key, _exists) = self
                .ensure_key(
                    &mut part,
                    &alias,
                    "GuardDuty findings encryption (radiant-onboard)",
                )
                .await?;
            Ok::<_, EngineError>((part, key))
        });
        let topic = Box::pin(async {
            let mut part = HubLog::default();
            let topic = self
                .ensure_topic(&mut part, &gd.sns_topic, |t| {
                    builders::guardduty_topic_statement(t, &gd.bucket, &self.account)
                        .map_err(|e| invalid("`guardduty.bucket`", e))
                })
                .await?;
            Ok::<_, EngineError>((part, topic))
        });
        let (bucket, key, topic) = futures::join!(bucket, key, topic);
        let (mut log, bucket_exists) = bucket?;
        let (key_log, key) = key?;
        log.extend(key_log);
        let (topic_log, topic) = topic?;
        log.extend(topic_log);
        self.ensure_notification(&mut log, &gd.bucket, &topic, bucket_exists)
            .await?;
        let destination = super::common::findings_destination(self.cfg);
        Ok(GuardDutyPart {
            log,
            topic,
            key,
            destination,
        })
    }

    fn desired_selectors(&self) -> Vec<EventSelector> {
        let mut sel = EventSelector::builder()
            .read_write_type(ReadWriteType::All)
            .include_management_events(true);
        if self.cfg.cloudtrail.data_events {
            sel = sel.data_resources(
                DataResource::builder()
                    .r#type("AWS::S3::Object")
                    .values(format!("arn:{}:s3", self.region.partition()))
                    .build(),
            );
        }
        vec![sel.build()]
    }

    async fn ensure_trail(
        &self,
        log: &mut HubLog,
        trail_arn: &Arn,
        topic: &Arn,
        key: Option<&Arn>,
    ) -> Result<(), EngineError> {
        let ct = &self.cfg.cloudtrail;
        let client = self.clients.cloudtrail(self.region.as_str());
        let resource = trail_arn.to_string();
        let desired = serde_json::json!({
            "S3BucketName": ct.bucket,
            "SnsTopicName": ct.sns_topic,
            "IsMultiRegionTrail": true,
            "IsOrganizationTrail": true,
            "IncludeGlobalServiceEvents": true,
            "LogFileValidationEnabled": true,
            "KmsKeyId": key.map(ToString::to_string),
        });
        let existing = match client.get_trail().name(&ct.trail_name).send().await {
            Ok(out) => out.trail,
            Err(e) => {
                let err = account_worker::WorkerError::from_sdk("cloudtrail:GetTrail", &e);
                if !err.is_not_found() {
                    return Err(hub_worker(&resource)(err));
                }
                None
            }
        };
        let Some(trail) = existing else {
            log.changes.push(Change::new(
                &resource,
                ChangeAction::Create,
                None,
                Some(desired),
                "the organization trail does not exist",
            ));
            if self.mode == Mode::Plan {
                log.record(&resource, "cloudtrail-trail", ResourceStatus::Planned, None);
                return Ok(());
            }
            let tag = aws_sdk_cloudtrail::types::Tag::builder()
                .key(MANAGED_TAG_KEY)
                .value(MANAGED_TAG_VALUE)
                .build()
                .map_err(|e| hub_worker(&resource)(build_err("cloudtrail:CreateTrail", e)))?;
            let req = with_trail_settings!(client.create_trail().tags_list(tag), ct, key);
            req.send()
                .await
                .map_err(hub_sdk("cloudtrail:CreateTrail", &resource))?;
            client
                .put_event_selectors()
                .trail_name(&ct.trail_name)
                .set_event_selectors(Some(self.desired_selectors()))
                .send()
                .await
                .map_err(hub_sdk("cloudtrail:PutEventSelectors", &resource))?;
            client
                .start_logging()
                .name(&ct.trail_name)
                .send()
                .await
                .map_err(hub_sdk("cloudtrail:StartLogging", &resource))?;
            log.record(&resource, "cloudtrail-trail", ResourceStatus::Created, None);
            return Ok(());
        };
        let mut changed = false;
        let topic_ok = trail.sns_topic_arn.as_deref() == Some(topic.to_string().as_str());
        let key_ok = match key {
            Some(k) => trail
                .kms_key_id
                .as_deref()
                .is_some_and(|id| id == k.to_string() || k.to_string().ends_with(id)),
            None => true,
        };
        let settings_ok = trail.s3_bucket_name.as_deref() == Some(ct.bucket.as_str())
            && topic_ok
            && key_ok
            && trail.is_multi_region_trail == Some(true)
            && trail.is_organization_trail == Some(true)
            && trail.include_global_service_events == Some(true)
            && trail.log_file_validation_enabled == Some(true);
        if !settings_ok {
            changed = true;
            let before = serde_json::json!({
                "S3BucketName": trail.s3_bucket_name,
                "SnsTopicArn": trail.sns_topic_arn,
                "IsMultiRegionTrail": trail.is_multi_region_trail,
                "IsOrganizationTrail": trail.is_organization_trail,
                "IncludeGlobalServiceEvents": trail.include_global_service_events,
                "LogFileValidationEnabled": trail.log_file_validation_enabled,
                "KmsKeyId": trail.kms_key_id,
            });
            log.changes.push(Change::new(
                &resource,
                ChangeAction::Update,
                Some(before),
                Some(desired),
                "the trail's settings differ",
            ));
            if self.mode == Mode::Apply {
                let req = with_trail_settings!(client.update_trail(), ct, key);
                req.send()
                    .await
                    .map_err(hub_sdk("cloudtrail:UpdateTrail", &resource))?;
            }
        }
        let selectors = client
            .get_event_selectors()
            .trail_name(&ct.trail_name)
            .send()
            .await
            .map_err(hub_sdk("cloudtrail:GetEventSelectors", &resource))?;
        if !selectors_cover(
            selectors.event_selectors(),
            self.cfg.cloudtrail.data_events,
            self.region.partition(),
        ) {
            changed = true;
            log.changes.push(Change::new(
                format!("{resource}#event-selectors"),
                ChangeAction::Update,
                Some(serde_json::json!(format!("{:?}", selectors.event_selectors()))),
                Some(serde_json::json!({"ReadWriteType": "All", "IncludeManagementEvents": true,
                    "DataResources": if self.cfg.cloudtrail.data_events { serde_json::json!([{"Type": "AWS::S3::Object", "Values": [format!("arn:{}:s3", self.region.partition())]}]) } else { serde_json::json!([]) }})),
                "management events Read+Write and S3 data events are not all selected",
            ));
            if self.mode == Mode::Apply {
                client
                    .put_event_selectors()
                    .trail_name(&ct.trail_name)
                    .set_event_selectors(Some(self.desired_selectors()))
                    .send()
                    .await
                    .map_err(hub_sdk("cloudtrail:PutEventSelectors", &resource))?;
            }
        }
        let status = client
            .get_trail_status()
            .name(&ct.trail_name)
            .send()
            .await
            .map_err(hub_sdk("cloudtrail:GetTrailStatus", &resource))?;
        if status.is_logging != Some(true) {
            changed = true;
            log.changes.push(Change::new(
                &resource,
                ChangeAction::Update,
                Some(serde_json::json!({"IsLogging": false})),
                Some(serde_json::json!({"IsLogging": true})),
                "logging is stopped",
            ));
            if self.mode == Mode::Apply {
                client
                    .start_logging()
                    .name(&ct.trail_name)
                    .send()
                    .await
                    .map_err(hub_sdk("cloudtrail:StartLogging", &resource))?;
            }
        }
        let status = if changed {
            changed_status(self.mode, false)
        } else {
            ResourceStatus::Unchanged
        };
        log.record(&resource, "cloudtrail-trail", status, None);
        Ok(())
    }

    /// GuardDuty needs the `prefix/` marker object to exist for a destination with a prefix.
    async fn ensure_prefix_marker(
        &self,
        log: &mut HubLog,
        bucket: &str,
        prefix: &str,
        exists: bool,
    ) -> Result<(), EngineError> {
        let s3 = self.clients.s3(self.region.as_str());
        let key = format!("{prefix}/");
        let resource = format!("arn:{}:s3:::{bucket}/{key}", self.region.partition());
        if exists
            && s3
                .head_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .is_ok()
        {
            log.record(
                &resource,
                "s3-prefix-marker",
                ResourceStatus::Unchanged,
                None,
            );
            return Ok(());
        }
        log.changes.push(Change::new(
            &resource,
            ChangeAction::Create,
            None,
            None,
            "GuardDuty needs the prefix marker object",
        ));
        if self.mode == Mode::Apply {
            s3.put_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .map_err(hub_sdk("s3:PutObject", &resource))?;
        }
        log.record(
            &resource,
            "s3-prefix-marker",
            changed_status(self.mode, true),
            None,
        );
        Ok(())
    }

    /// Adds the product's "all object-created events to the topic" entry to the bucket's
    /// notification configuration: read, merge, write (never replace what is there).
    async fn ensure_notification(
        &self,
        log: &mut HubLog,
        bucket: &str,
        topic: &Arn,
        exists: bool,
    ) -> Result<(), EngineError> {
        let s3 = self.clients.s3(self.region.as_str());
        let resource = format!("arn:{}:s3:::{bucket}#notification", self.region.partition());
        let current = if exists {
            match s3
                .get_bucket_notification_configuration()
                .bucket(bucket)
                .send()
                .await
            {
                Ok(out) => Some(out),
                Err(e) => {
                    return Err(hub_sdk("s3:GetBucketNotificationConfiguration", &resource)(
                        e,
                    ));
                }
            }
        } else {
            None
        };
        let topics = current
            .as_ref()
            .map(|c| c.topic_configurations().to_vec())
            .unwrap_or_default();
        let topic_text = topic.to_string();
        let ours_ok = topics.iter().any(|t| {
            t.topic_arn() == topic_text
                && t.events()
                    .iter()
                    .any(|e| e.as_str() == "s3:ObjectCreated:*")
        });
        if ours_ok {
            log.record(
                &resource,
                "s3-bucket-notification",
                ResourceStatus::Unchanged,
                None,
            );
            return Ok(());
        }
        let mut merged: Vec<TopicConfiguration> = topics
            .iter()
            .filter(|t| t.id() != Some(NOTIFICATION_ID))
            .cloned()
            .collect();
        let ours = TopicConfiguration::builder()
            .id(NOTIFICATION_ID)
            .topic_arn(&topic_text)
            .events(Event::from("s3:ObjectCreated:*"))
            .build()
            .map_err(|e| {
                hub_worker(&resource)(build_err("s3:PutBucketNotificationConfiguration", e))
            })?;
        merged.push(ours);
        log.changes.push(Change::new(
            &resource,
            if topics.is_empty() {
                ChangeAction::Create
            } else {
                ChangeAction::Update
            },
            Some(serde_json::json!(
                topics
                    .iter()
                    .map(|t| serde_json::json!({"Id": t.id(), "TopicArn": t.topic_arn()}))
                    .collect::<Vec<_>>()
            )),
            Some(serde_json::json!(
                merged
                    .iter()
                    .map(|t| serde_json::json!({"Id": t.id(), "TopicArn": t.topic_arn()}))
                    .collect::<Vec<_>>()
            )),
            "object-created events of the findings bucket must reach the GuardDuty topic",
        ));
        if self.mode == Mode::Apply {
            let mut config =
                NotificationConfiguration::builder().set_topic_configurations(Some(merged));
            if let Some(c) = &current {
                config = config
                    .set_queue_configurations(Some(c.queue_configurations().to_vec()))
                    .set_lambda_function_configurations(Some(
                        c.lambda_function_configurations().to_vec(),
                    ))
                    .set_event_bridge_configuration(c.event_bridge_configuration().cloned());
            }
            s3.put_bucket_notification_configuration()
                .bucket(bucket)
                .notification_configuration(config.build())
                .send()
                .await
                .map_err(hub_sdk("s3:PutBucketNotificationConfiguration", &resource))?;
        }
        log.record(
            &resource,
            "s3-bucket-notification",
            changed_status(self.mode, topics.is_empty()),
            None,
        );
        Ok(())
    }
}

fn selectors_cover(selectors: &[EventSelector], data_events: bool, partition: Partition) -> bool {
    let s3_all = format!("arn:{partition}:s3");
    let mgmt = selectors.iter().any(|s| {
        s.read_write_type() == Some(&ReadWriteType::All)
            && s.include_management_events() == Some(true)
    });
    let data = !data_events
        || selectors.iter().any(|s| {
            s.data_resources().iter().any(|d| {
                d.r#type() == Some("AWS::S3::Object")
                    && d.values()
                        .iter()
                        .any(|v| v == &s3_all || v == &format!("{s3_all}:::"))
            }) && s.read_write_type() == Some(&ReadWriteType::All)
        });
    mgmt && data
}

fn build_err(op: &str, e: impl std::fmt::Display) -> account_worker::WorkerError {
    account_worker::WorkerError::new(
        account_worker::ErrorKind::Other,
        op,
        "BuildError",
        e.to_string(),
    )
}

/// Reads a bucket policy (`None` when the bucket has none).
pub(crate) async fn read_bucket_policy(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    resource: &str,
) -> Result<Option<PolicyDocument>, EngineError> {
    match s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => out
            .policy
            .as_deref()
            .map(|t| parse_policy(resource, "s3:GetBucketPolicy", t))
            .transpose(),
        Err(e) => {
            let err = account_worker::WorkerError::from_sdk("s3:GetBucketPolicy", &e);
            if err.is_not_found() {
                Ok(None)
            } else {
                Err(hub_worker(resource)(err))
            }
        }
    }
}

/// Writes a bucket policy (minified).
pub(crate) async fn write_bucket_policy(
    s3: &aws_sdk_s3::Client,
    consistency: &Consistency,
    bucket: &str,
    resource: &str,
    text: String,
) -> Result<(), EngineError> {
    account_worker::with_propagation_retries(
        consistency,
        "the principals of the bucket policy to be accepted",
        Instant::now(),
        || async {
            s3.put_bucket_policy()
                .bucket(bucket)
                .policy(&text)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| account_worker::WorkerError::from_sdk("s3:PutBucketPolicy", &e))
        },
        account_worker::is_propagation_error,
    )
    .await
    .map_err(hub_worker(resource))
}

/// Reads a key policy.
pub(crate) async fn read_key_policy(
    kms: &aws_sdk_kms::Client,
    key: &Arn,
    resource: &str,
) -> Result<Option<PolicyDocument>, EngineError> {
    let out = kms
        .get_key_policy()
        .key_id(key.to_string())
        .policy_name("default")
        .send()
        .await
        .map_err(hub_sdk("kms:GetKeyPolicy", resource))?;
    out.policy
        .as_deref()
        .map(|t| parse_policy(resource, "kms:GetKeyPolicy", t))
        .transpose()
}

/// Writes a key policy (minified).
pub(crate) async fn write_key_policy(
    kms: &aws_sdk_kms::Client,
    consistency: &Consistency,
    key: &Arn,
    resource: &str,
    text: String,
) -> Result<(), EngineError> {
    account_worker::with_propagation_retries(
        consistency,
        "the principals of the key policy to be accepted",
        Instant::now(),
        || async {
            kms.put_key_policy()
                .key_id(key.to_string())
                .policy_name("default")
                .policy(&text)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| account_worker::WorkerError::from_sdk("kms:PutKeyPolicy", &e))
        },
        account_worker::is_propagation_error,
    )
    .await
    .map_err(hub_worker(resource))
}
