//! The hub step: the dependency order of the hub's resources (the hub role, the CloudTrail
//! bucket, key, topic and organization trail, the GuardDuty findings bucket, key, topic and
//! bucket notification). What each resource is and how it is read, compared and written lives
//! in `resources/`; this module only decides what runs after what, and what runs side by side.

use futures::FutureExt;

use account_worker::{Consistency, Mode};
use policy_model::builders::{self, OrgTrail};
use policy_model::{AccountId, Arn, OrgId, Partition, Region};

use super::EngineError;
use super::common::HubLog;
use super::resources::bucket::{Bucket, BucketPolicy, PrefixMarker};
use super::resources::key::{Key, KeyPolicy};
use super::resources::notification::Notification;
use super::resources::role::HubRole;
use super::resources::topic::Topic;
use super::resources::trail::{Trail, TrailSettings};
use super::resources::{Place, invalid};
use crate::aws::AccountClients;
use crate::config::{CloudTrail, Config, GuardDuty};

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
            match &self.cfg.cloudtrail {
                Some(ct) => self
                    .ensure_cloudtrail(ct, &hub_role_arn, role_ready)
                    .await
                    .map(Some),
                None => Ok(None),
            }
        });
        let guardduty = Box::pin(async {
            match &self.cfg.guardduty {
                Some(gd) => self.ensure_guardduty_store(gd).await.map(Some),
                None => Ok(None),
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

    /// Where the hub's resources live: the caller's account, the home Region.
    fn place(&self) -> Place<'_> {
        Place {
            clients: self.clients,
            account: &self.account,
            region: &self.region,
            mode: self.mode,
            consistency: self.consistency,
        }
    }

    fn bucket<'b>(&'b self, name: &'b str) -> Bucket<'b> {
        Bucket {
            place: self.place(),
            name,
        }
    }

    async fn ensure_hub_role(&self, log: &mut HubLog, arn: &Arn) -> Result<(), EngineError> {
        let r = &self.cfg.radiant;
        let trust = builders::radiant_trust(&r.principal_arn, &r.external_id);
        HubRole {
            place: self.place(),
            name: &self.cfg.radiant.role_name,
        }
        .ensure(log, arn, &trust)
        .await
    }

    // -- CloudTrail -------------------------------------------------------------------------

    async fn ensure_cloudtrail(
        &self,
        ct: &CloudTrail,
        hub_role_arn: &Arn,
        role_ready: impl Future<Output = Result<(), EngineError>>,
    ) -> Result<CloudTrailPart, EngineError> {
        let trail = OrgTrail {
            region: self.region.clone(),
            management_account: self.management.clone(),
            trail_name: ct.trail_name.clone(),
            org_id: self.org_id.clone(),
            bucket: ct.bucket.to_string(),
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
            let bucket = self.bucket(&ct.bucket);
            let exists = bucket.ensure(&mut part).await?;
            BucketPolicy { bucket }
                .ensure(&mut part, exists, bucket_statements)
                .await?;
            Ok::<_, EngineError>(part)
        });
        let key = Box::pin(async {
            let mut part = HubLog::default();
            let Some(alias) = &ct.kms_alias else {
                return Ok((part, None));
            };
            let (key, exists) = Key {
                place: self.place(),
                alias,
            }
            .ensure(&mut part, "CloudTrail log encryption (radiant-onboard)")
            .await?;
            role_ready.await?;
            KeyPolicy {
                place: self.place(),
                key: &key,
            }
            .ensure(&mut part, exists, key_statements)
            .await?;
            Ok::<_, EngineError>((part, Some(key)))
        });
        let topic = Box::pin(async {
            let mut part = HubLog::default();
            let topic = Topic {
                place: self.place(),
                name: &ct.sns_topic,
            }
            .ensure(&mut part, |t| {
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
        let settings = TrailSettings {
            name: &ct.trail_name,
            bucket: &ct.bucket,
            topic_name: &ct.sns_topic,
            topic: &topic,
            key: key.as_ref(),
            data_events: ct.data_events,
        };
        Trail {
            place: self.place(),
            name: &ct.trail_name,
        }
        .ensure(&mut log, &trail_arn, &settings)
        .await?;
        Ok(CloudTrailPart { log, topic, key })
    }

    // -- GuardDuty findings store -----------------------------------------------------------

    async fn ensure_guardduty_store(&self, gd: &GuardDuty) -> Result<GuardDutyPart, EngineError> {
        let bucket = Box::pin(async {
            let mut part = HubLog::default();
            let bucket = self.bucket(&gd.bucket);
            let exists = bucket.ensure(&mut part).await?;
            if !gd.prefix.is_empty() {
                PrefixMarker {
                    bucket,
                    prefix: &gd.prefix,
                }
                .ensure(&mut part, exists)
                .await?;
            }
            Ok::<_, EngineError>((part, exists))
        });
        let key = Box::pin(async {
            let mut part = HubLog::default();
            let (key, _exists) = Key {
                place: self.place(),
                alias: &gd.kms_alias,
            }
            .ensure(&mut part, "GuardDuty findings encryption (radiant-onboard)")
            .await?;
            Ok::<_, EngineError>((part, key))
        });
        let topic = Box::pin(async {
            let mut part = HubLog::default();
            let topic = Topic {
                place: self.place(),
                name: &gd.sns_topic,
            }
            .ensure(&mut part, |t| {
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
        Notification {
            bucket: self.bucket(&gd.bucket),
        }
        .ensure(&mut log, &topic, bucket_exists)
        .await?;
        let destination = super::common::findings_destination(self.cfg, gd);
        Ok(GuardDutyPart {
            log,
            topic,
            key,
            destination,
        })
    }
}
