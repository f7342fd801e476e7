//! The hub step: the dependency order of the hub's resources (the hub role, the CloudTrail
//! bucket, key, topic and organization trail, the GuardDuty findings bucket, key, topic and
//! bucket notification). What each resource is and how it is read, compared and written lives
//! in `resources/`; this module only decides what runs after what, and what runs side by side.

use futures::FutureExt;

use account_worker::Mode;
use policy_model::builders::{self, OrgTrail};
use policy_model::{AccountId, Arn, OrgId, Partition, Region};

use super::EngineError;
use super::common::HubLog;
use super::org_trail::FoundTrail;
use super::resources::bucket::{Bucket, BucketPolicy, BucketPolicyWants, PrefixMarker};
use super::resources::hardening::{BucketHardening, KeyRotation, advisory};
use super::resources::key::{Key, KeyPolicy};
use super::resources::log_options::{AccessLogging, Retention};
use super::resources::notification::{Notification, Wiring, overlap_error};
use super::resources::role::HubRole;
use super::resources::topic::Topic;
use super::resources::trail::{Trail, TrailSettings};
use super::resources::{Place, invalid};
use super::run::Run;
use crate::config::{CloudTrail, Config, GuardDuty, HardeningMode, TrailChoice};
use crate::outcome::ResourceStatus;

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
    /// The findings bucket's Region (its key and topic are there too).
    pub(crate) findings_region: Region,
    /// The bucket Radiant reads CloudTrail logs from (the product's or the reused trail's).
    pub(crate) cloudtrail_bucket: Option<String>,
    /// What the run should tell the user about the wiring (a reused topic or trail).
    pub(crate) notices: Vec<String>,
}

/// What the hub step found before writing anything: the trail that is reused and how each
/// bucket notification the product adds fits the bucket's existing rules.
#[derive(Debug, Clone, Default)]
pub(crate) struct HubChecks {
    /// `cloudtrail.existing_trail`, as CloudTrail describes it.
    pub(crate) trail: Option<FoundTrail>,
    /// The existing trail's bucket notification.
    pub(crate) trail_wiring: Option<Wiring>,
    /// The findings bucket notification.
    pub(crate) findings_wiring: Option<Wiring>,
}

/// What the CloudTrail part of the hub step established.
struct CloudTrailPart {
    log: HubLog,
    topic: Arn,
    key: Option<Arn>,
    bucket: String,
    notices: Vec<String>,
}

/// What the GuardDuty part of the hub step established.
struct GuardDutyPart {
    log: HubLog,
    topic: Arn,
    key: Arn,
    destination: String,
    notices: Vec<String>,
}

/// Where and how the hub step runs: the hub's resources in the hub account, the organization
/// trail in the caller's (the management account, or a CloudTrail delegated administrator that
/// is the hub itself).
pub(crate) struct Hub<'a> {
    pub(crate) run: &'a Run<'a>,
    pub(crate) mode: Mode,
    /// From [`Hub::check`].
    pub(crate) checks: HubChecks,
}

impl Hub<'_> {
    fn cfg(&self) -> &Config {
        self.run.cfg
    }

    /// Reads, before anything is written, what could make a write of the hub step fail
    /// halfway: the organization's trails (the one reused; a second trail refused) and the
    /// rules of each bucket that gets a notification (a rule that overlaps and cannot be shared
    /// stops the run here, naming it).
    pub(crate) async fn check(run: &Run<'_>) -> Result<HubChecks, EngineError> {
        let mut checks = HubChecks {
            trail: super::org_trail::check(run, true).await?,
            ..HubChecks::default()
        };
        if let (Some(ct), Some(found)) = (&run.cfg.cloudtrail, &checks.trail) {
            let place = found.bucket_place(run, Mode::Plan);
            let topic = Topic {
                place,
                name: &ct.sns_topic,
            }
            .arn()?;
            let prefix = found.logs_prefix();
            let n = Notification::trail_logs(
                Bucket {
                    place,
                    name: &found.bucket,
                },
                &prefix,
            );
            let mut wiring = n.check(&topic, true).await?;
            // A customer's topic of another account than the hub: the hub role could subscribe
            // only through a change of the customer's topic policy, which the tool never makes.
            if let (Wiring::Reuse { rule, .. }, true) =
                (&wiring, found.bucket_account != run.pf.hub)
            {
                wiring = Wiring::Refuse { rule: rule.clone() };
            }
            if let Wiring::Refuse { rule } = &wiring {
                return Err(overlap_error(&n.resource(), rule));
            }
            checks.trail_wiring = Some(wiring);
        }
        // A bucket the product adopts in another Region than the home Region: its topic and
        // key go with it; a key already in the home Region cannot serve it (GuardDuty needs the
        // key in the bucket's Region), nor can the product's trail use such a bucket's Region.
        let home = &run.pf.home_region;
        if let Some(gd) = &run.cfg.guardduty
            && run.findings_region != *home
        {
            let in_home = Key {
                place: run.hub_place(Mode::Plan),
                alias: &gd.kms_alias,
            }
            .read()
            .await?;
            let elsewhere = Key {
                place: run.findings_place(Mode::Plan),
                alias: &gd.kms_alias,
            }
            .read()
            .await?;
            if let (Some((key, _)), None) = (&in_home, &elsewhere) {
                return Err(EngineError::Preflight {
                    message: format!(
                        "the findings bucket `{}` is in `{}` but the key `{}` (`{key}`) is in the home Region `{home}`: GuardDuty needs the key in the bucket's Region; point `{}` at a key in `{}` (or remove the alias there to let the tool create one), or use a findings bucket in `{home}`",
                        gd.bucket,
                        run.findings_region,
                        gd.kms_alias,
                        gd.kms_alias,
                        run.findings_region
                    ),
                });
            }
        }
        if let Some(nt) = run.cfg.cloudtrail.as_ref().and_then(|c| c.new_trail())
            && let Some(region) = (Bucket {
                place: run.hub_place(Mode::Plan),
                name: &nt.bucket,
            })
            .region()
            .await?
            && region != *home
        {
            return Err(EngineError::Preflight {
                message: format!(
                    "the CloudTrail bucket `{}` is in `{region}`, not in the home Region `{home}` where the tool creates the trail's key and topic: set `organization.home_region = \"{region}\"` or use a CloudTrail bucket in `{home}`",
                    nt.bucket
                ),
            });
        }
        if let Some(gd) = &run.cfg.guardduty {
            let place = run.findings_place(Mode::Plan);
            let topic = Topic {
                place,
                name: &gd.sns_topic,
            }
            .arn()?;
            let bucket = Bucket {
                place,
                name: &gd.bucket,
            };
            let n = Notification::findings(bucket);
            let wiring = n.check(&topic, run.findings_bucket_found).await?;
            if let Wiring::Refuse { rule } = &wiring {
                return Err(overlap_error(&n.resource(), rule));
            }
            checks.findings_wiring = Some(wiring);
        }
        Ok(checks)
    }

    /// Runs the whole hub step. Its three parts (the hub role, the CloudTrail resources, the
    /// GuardDuty findings store) run concurrently, and so do the bucket, key and topic within a
    /// part: each is a chain of dependent calls, and waiting for one another would only add
    /// their latencies. The edges that remain: the CloudTrail key policy names the hub role (a
    /// principal must exist), the trail needs its bucket, key and topic policies, and the
    /// findings notification needs its bucket and topic. Every part runs to its end even when
    /// another failed (no write is abandoned halfway); the first failure in the fixed order
    /// role, CloudTrail, GuardDuty is the one reported.
    pub(crate) async fn ensure(&self, log: &mut HubLog) -> Result<HubFacts, EngineError> {
        let pf = &self.run.pf;
        let partition = pf.home_region.partition();
        let hub_role_arn = Arn::role(partition, &pf.hub, &self.cfg().radiant.role_name)
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
            match &self.cfg().cloudtrail {
                Some(ct) => self
                    .ensure_cloudtrail(ct, &hub_role_arn, role_ready)
                    .await
                    .map(Some),
                None => Ok(None),
            }
        });
        let guardduty = Box::pin(async {
            match &self.cfg().guardduty {
                Some(gd) => self.ensure_guardduty_store(gd).await.map(Some),
                None => Ok(None),
            }
        });
        let (role, cloudtrail, guardduty) = futures::join!(role, cloudtrail, guardduty);
        log.extend(role?);
        let mut facts = HubFacts {
            partition,
            account: pf.hub.clone(),
            region: pf.home_region.clone(),
            org_id: pf.org_id.clone(),
            hub_role_arn,
            cloudtrail_topic: None,
            cloudtrail_key: None,
            guardduty_topic: None,
            guardduty_key: None,
            findings_destination: None,
            findings_region: self.run.findings_region.clone(),
            cloudtrail_bucket: None,
            notices: Vec::new(),
        };
        if let Some(ct) = cloudtrail? {
            log.extend(ct.log);
            facts.cloudtrail_topic = Some(ct.topic);
            facts.cloudtrail_key = ct.key;
            facts.cloudtrail_bucket = Some(ct.bucket);
            facts.notices.extend(ct.notices);
        }
        if let Some(gd) = guardduty? {
            log.extend(gd.log);
            facts.guardduty_topic = Some(gd.topic);
            facts.guardduty_key = Some(gd.key);
            facts.findings_destination = Some(gd.destination);
            facts.notices.extend(gd.notices);
        }
        Ok(facts)
    }

    /// Where the hub's resources live: the hub account, the home Region.
    fn place(&self) -> Place<'_> {
        self.run.hub_place(self.mode)
    }

    /// A bucket of the findings store (in the findings bucket's Region).
    fn findings_bucket<'b>(&'b self, name: &'b str) -> Bucket<'b> {
        Bucket {
            place: self.run.findings_place(self.mode),
            name,
        }
    }

    fn bucket<'b>(&'b self, name: &'b str) -> Bucket<'b> {
        Bucket {
            place: self.place(),
            name,
        }
    }

    /// True when `hardening = "enforce"` hardens the customer's `bucket` too (never Control
    /// Tower's: its guardrails deny it).
    fn enforces(&self, bucket: &str) -> bool {
        self.cfg().hardening == HardeningMode::Enforce
            && !bucket.starts_with(super::org_trail::CONTROL_TOWER_PREFIX)
    }

    /// Hardens the product's own bucket; for the customer's, records what it lacks as advisories.
    async fn harden_bucket(
        &self,
        log: &mut HubLog,
        bucket: Bucket<'_>,
        exists: bool,
        ours: bool,
        key: Option<&Arn>,
    ) -> Result<(), EngineError> {
        let hardening = BucketHardening { bucket, key };
        if ours {
            return hardening.ensure(log, exists).await;
        }
        if self.enforces(bucket.name) {
            return hardening.enforce(log).await;
        }
        let gaps = if exists {
            hardening.customer_gaps().await?
        } else {
            Vec::new()
        };
        for g in gaps {
            log.advisories.push(advisory(&bucket.arn(), &g));
        }
        let policy = BucketPolicy { bucket }.read().await?;
        if !policy
            .as_ref()
            .is_some_and(builders::denies_insecure_transport)
        {
            log.advisories
                .push(insecure_transport_advisory(&bucket.arn()));
        }
        Ok(())
    }

    /// Turns on rotation of the product's own key; for the customer's, an advisory.
    async fn harden_key(
        &self,
        log: &mut HubLog,
        place: Place<'_>,
        key: &Arn,
        exists: bool,
        ours: bool,
    ) -> Result<(), EngineError> {
        let rotation = KeyRotation { place, key };
        if ours {
            return rotation.ensure(log, exists).await;
        }
        if self.cfg().hardening == HardeningMode::Enforce {
            return rotation.enforce(log).await;
        }
        if let Some(g) = rotation.gap(exists).await? {
            log.advisories.push(advisory(&key.to_string(), &g));
        }
        Ok(())
    }

    async fn ensure_hub_role(&self, log: &mut HubLog, arn: &Arn) -> Result<(), EngineError> {
        let trust = HubRole::desired_trust(&self.cfg().radiant);
        HubRole {
            place: self.place(),
            name: &self.cfg().radiant.role_name,
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
        let nt = match &ct.trail {
            TrailChoice::Create(nt) => nt,
            TrailChoice::Existing(_) => {
                return self.wire_existing_trail(ct, hub_role_arn, role_ready).await;
            }
        };
        let pf = &self.run.pf;
        let trail = OrgTrail {
            region: pf.home_region.clone(),
            management_account: pf.management.clone(),
            trail_name: nt.trail_name.clone(),
            org_id: pf.org_id.clone(),
            bucket: nt.bucket.to_string(),
            prefix: String::new(),
        };
        let trail_arn = trail
            .trail_arn()
            .map_err(|e| invalid("`cloudtrail.trail_name`", e))?;
        let bucket_statements = BucketPolicy::desired(&BucketPolicyWants::TrailDelivery(&trail))?;
        let key_statements =
            KeyPolicy::desired_for_trail(&trail, std::slice::from_ref(hub_role_arn))?;
        let bucket = Box::pin(async {
            let mut part = HubLog::default();
            let bucket = self.bucket(&nt.bucket);
            let (exists, ours) = bucket.ensure_owned(&mut part).await?;
            let mut statements = bucket_statements;
            if ours || self.enforces(&nt.bucket) {
                // The product's own bucket refuses plain HTTP (hardening).
                statements.push(deny_insecure(&bucket)?);
            }
            BucketPolicy { bucket }
                .ensure(&mut part, exists, statements)
                .await?;
            Ok::<_, EngineError>((part, exists, ours))
        });
        let key = Box::pin(async {
            let mut part = HubLog::default();
            let Some(alias) = &nt.kms_alias else {
                return Ok((part, None));
            };
            let k = Key {
                place: self.place(),
                alias,
            };
            let before = part.journal.actions.len();
            let (key, exists) = k
                .ensure(&mut part, "CloudTrail log encryption (radiant-onboard)")
                .await?;
            let ours = key_is_ours(&k, &part, before, &key).await;
            role_ready.await?;
            KeyPolicy {
                place: self.place(),
                key: &key,
            }
            .ensure(&mut part, exists, key_statements)
            .await?;
            self.harden_key(&mut part, self.place(), &key, exists, ours)
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
        let (mut log, bucket_exists, bucket_ours) = bucket?;
        let (key_log, key) = key?;
        log.extend(key_log);
        let (topic_log, topic) = topic?;
        log.extend(topic_log);
        // Default encryption names the trail's key, so the bucket is hardened after it.
        self.harden_bucket(
            &mut log,
            self.bucket(&nt.bucket),
            bucket_exists,
            bucket_ours,
            key.as_ref(),
        )
        .await?;
        let mut notices = Vec::new();
        self.retain(
            &mut log,
            self.bucket(&nt.bucket),
            "AWSLogs/",
            bucket_exists,
            bucket_ours,
        )
        .await?;
        if let Some(logs) = &nt.access_logs_bucket {
            notices.extend(
                self.ensure_access_logs(&mut log, nt, logs, bucket_exists)
                    .await?,
            );
        }
        let topic_arn = topic.to_string();
        let settings = TrailSettings::desired(
            nt,
            &ct.sns_topic,
            &topic,
            &topic_arn,
            key.as_ref(),
            pf.caller.as_str(),
        );
        Trail {
            place: self.run.caller_place(self.mode),
            name: &nt.trail_name,
        }
        .ensure(&mut log, &trail_arn, &settings)
        .await?;
        Ok(CloudTrailPart {
            log,
            topic,
            key,
            bucket: nt.bucket.to_string(),
            notices,
        })
    }

    /// `[retention]` on one of the product's own buckets (a customer's bucket never gets it; a
    /// notice says so when retention is asked for).
    async fn retain(
        &self,
        log: &mut HubLog,
        bucket: Bucket<'_>,
        prefix: &str,
        exists: bool,
        ours: bool,
    ) -> Result<(), EngineError> {
        if !ours {
            if self.cfg().retention_days.is_some() {
                log.advisories.push(format!(
                    "advisory: `{}` retention: `[retention]` applies to the tool's own buckets only; the customer's bucket keeps its lifecycle (the tool does not change the customer's resources)",
                    bucket.arn()
                ));
            }
            return Ok(());
        }
        Retention {
            bucket,
            prefix,
            days: self.cfg().retention_days,
        }
        .ensure(log, exists)
        .await
    }

    /// `cloudtrail.access_logs_bucket`: the access logs bucket (created and hardened with SSE-S3,
    /// or adopted), its statement admitting S3's logging service for the CloudTrail bucket, and
    /// the CloudTrail bucket's server access logging to it.
    async fn ensure_access_logs(
        &self,
        log: &mut HubLog,
        nt: &crate::config::NewTrail,
        logs: &policy_model::BucketName,
        trail_bucket_exists: bool,
    ) -> Result<Option<String>, EngineError> {
        let prefix = format!("{}/", nt.bucket);
        let target = self.bucket(logs);
        let (exists, ours) = target.ensure_owned(log).await?;
        let mut statements = vec![
            builders::server_access_logs_statement(
                target.place.partition(),
                logs,
                &prefix,
                &nt.bucket,
                &self.run.pf.hub,
            )
            .map_err(|e| invalid("`cloudtrail.access_logs_bucket`", e))?,
        ];
        if ours || self.enforces(logs) {
            statements.push(deny_insecure(&target)?);
        }
        BucketPolicy { bucket: target }
            .ensure(log, exists, statements)
            .await?;
        // S3 delivers server access logs only to a bucket with SSE-S3 default encryption.
        self.harden_bucket(log, target, exists, ours, None).await?;
        self.retain(log, target, &prefix, exists, ours).await?;
        AccessLogging {
            source: self.bucket(&nt.bucket),
            target: logs,
            prefix: &prefix,
        }
        .ensure(log, trail_bucket_exists)
        .await
    }

    /// `cloudtrail.existing_trail`: the trail, its bucket and key stay as they are; Radiant is
    /// wired to them. A topic in the bucket's account and Region (S3 may publish from that
    /// bucket only), the bucket's notification of new log files under `PREFIX/AWSLogs/` to it
    /// (or the customer's topic that already gets them), the hub role's read access (a
    /// bucket-policy statement only when the bucket is in another account than the hub) and a
    /// decrypt statement in the trail key's policy, in the key's account.
    async fn wire_existing_trail(
        &self,
        ct: &CloudTrail,
        hub_role_arn: &Arn,
        role_ready: impl Future<Output = Result<(), EngineError>>,
    ) -> Result<CloudTrailPart, EngineError> {
        let Some(found) = &self.checks.trail else {
            return Err(EngineError::Preflight {
                message: "`cloudtrail.existing_trail` is set but the trail was not read".to_owned(),
            });
        };
        let run = self.run;
        let place = found.bucket_place(run, self.mode);
        let bucket = Bucket {
            place,
            name: &found.bucket,
        };
        let mut log = HubLog::default();
        let mut notices = vec![format!(
            "CloudTrail: the organization trail `{}` is reused (bucket `{}`, prefix `{}`, key {}); no trail is created and it is not changed",
            found.arn,
            found.bucket,
            found.prefix,
            found
                .key
                .as_ref()
                .map_or_else(|| "none (SSE-S3)".to_owned(), |k| format!("`{k}`"))
        )];
        let topic = match &self.checks.trail_wiring {
            Some(Wiring::Reuse { rule, topic }) => {
                notices.push(format!(
                    "CloudTrail: the bucket's {rule} already sends new log files to `{topic}`: Radiant subscribes to that topic; nothing is added to the bucket's notifications"
                ));
                log.record(
                    &format!("{}#notification", bucket.arn()),
                    "s3-bucket-notification",
                    ResourceStatus::Unchanged,
                    Some(format!("the customer's rule `{}` is reused", rule.id)),
                );
                topic.clone()
            }
            _ => {
                // A topic of another account than the hub also lets the hub role subscribe.
                let cross_account = found.bucket_account != run.pf.hub;
                let topic = Topic {
                    place,
                    name: &ct.sns_topic,
                }
                .ensure_all(&mut log, |t| {
                    let mut wanted = vec![
                        builders::trail_bucket_topic_statement(
                            t,
                            &found.bucket,
                            &found.bucket_account,
                        )
                        .map_err(|e| invalid("the trail's bucket", e))?,
                    ];
                    if cross_account {
                        wanted.push(builders::topic_subscriber_statement(t, hub_role_arn));
                    }
                    Ok(wanted)
                })
                .await?;
                let prefix = found.logs_prefix();
                Notification::trail_logs(bucket, &prefix)
                    .ensure(&mut log, &topic, true)
                    .await?;
                topic
            }
        };
        let mut statements = if found.bucket_account == run.pf.hub {
            Vec::new()
        } else {
            BucketPolicy::desired(&BucketPolicyWants::TrailReaders {
                bucket: &found.bucket,
                logs_prefix: &found.logs_prefix(),
                readers: std::slice::from_ref(hub_role_arn),
                partition: place.partition(),
            })?
        };
        if self.enforces(&found.bucket) {
            statements.push(deny_insecure(&bucket)?);
        }
        role_ready.await?;
        if !statements.is_empty() {
            BucketPolicy { bucket }
                .ensure(&mut log, true, statements)
                .await?;
        }
        if let Some((place, key)) = found.key_place(run, self.mode) {
            admit_reader(&mut log, place, key, hub_role_arn).await?;
        }
        // The trail's bucket and key are the customer's: what they lack is an advisory.
        self.harden_bucket(&mut log, bucket, true, false, found.key.as_ref())
            .await?;
        if let Some((place, key)) = found.key_place(run, self.mode) {
            self.harden_key(&mut log, place, key, true, false).await?;
        }
        Ok(CloudTrailPart {
            log,
            topic,
            key: found.key.clone(),
            bucket: found.bucket.clone(),
            notices,
        })
    }

    // -- GuardDuty findings store -----------------------------------------------------------

    async fn ensure_guardduty_store(&self, gd: &GuardDuty) -> Result<GuardDutyPart, EngineError> {
        let bucket = Box::pin(async {
            let mut part = HubLog::default();
            let bucket = self.findings_bucket(&gd.bucket);
            let (exists, ours) = bucket.ensure_owned(&mut part).await?;
            if ours || self.enforces(&gd.bucket) {
                // The product's own bucket refuses plain HTTP; the patch keeps the statement.
                BucketPolicy { bucket }
                    .ensure(&mut part, exists, vec![deny_insecure(&bucket)?])
                    .await?;
            }
            if !gd.prefix.is_empty() {
                PrefixMarker {
                    bucket,
                    prefix: &gd.prefix,
                }
                .ensure(&mut part, exists)
                .await?;
            }
            Ok::<_, EngineError>((part, exists, ours))
        });
        let key = Box::pin(async {
            let mut part = HubLog::default();
            let k = Key {
                place: self.run.findings_place(self.mode),
                alias: &gd.kms_alias,
            };
            let before = part.journal.actions.len();
            let (key, exists) = k
                .ensure(&mut part, "GuardDuty findings encryption (radiant-onboard)")
                .await?;
            let ours = key_is_ours(&k, &part, before, &key).await;
            self.harden_key(
                &mut part,
                self.run.findings_place(self.mode),
                &key,
                exists,
                ours,
            )
            .await?;
            Ok::<_, EngineError>((part, key))
        });
        let reused = match &self.checks.findings_wiring {
            Some(Wiring::Reuse { rule, topic }) => Some((rule, topic)),
            _ => None,
        };
        let topic = Box::pin(async {
            let mut part = HubLog::default();
            if let Some((_, topic)) = reused {
                return Ok::<_, EngineError>((part, topic.clone()));
            }
            let topic = Topic {
                place: self.run.findings_place(self.mode),
                name: &gd.sns_topic,
            }
            .ensure(&mut part, |t| {
                builders::guardduty_topic_statement(t, &gd.bucket, &self.run.pf.hub)
                    .map_err(|e| invalid("`guardduty.bucket`", e))
            })
            .await?;
            Ok::<_, EngineError>((part, topic))
        });
        let (bucket, key, topic) = futures::join!(bucket, key, topic);
        let (mut log, bucket_exists, bucket_ours) = bucket?;
        let (key_log, key) = key?;
        log.extend(key_log);
        let (topic_log, topic) = topic?;
        log.extend(topic_log);
        self.harden_bucket(
            &mut log,
            self.findings_bucket(&gd.bucket),
            bucket_exists,
            bucket_ours,
            Some(&key),
        )
        .await?;
        // GuardDuty writes under `PREFIX/AWSLogs/`; the prefix marker `PREFIX/` stays.
        let findings_prefix = if gd.prefix.is_empty() {
            "AWSLogs/".to_owned()
        } else {
            format!("{}/AWSLogs/", gd.prefix)
        };
        self.retain(
            &mut log,
            self.findings_bucket(&gd.bucket),
            &findings_prefix,
            bucket_exists,
            bucket_ours,
        )
        .await?;
        let mut notices = Vec::new();
        let notification = Notification::findings(self.findings_bucket(&gd.bucket));
        if let Some((rule, topic)) = reused {
            notices.push(format!(
                "GuardDuty: the findings bucket's {rule} already sends new objects to `{topic}`: Radiant subscribes to that topic; nothing is added to the bucket's notifications"
            ));
            log.record(
                &notification.resource(),
                "s3-bucket-notification",
                ResourceStatus::Unchanged,
                Some(format!("the customer's rule `{}` is reused", rule.id)),
            );
        } else {
            notification.ensure(&mut log, &topic, bucket_exists).await?;
        }
        let destination = super::common::findings_destination(self.cfg(), gd);
        Ok(GuardDutyPart {
            log,
            topic,
            key,
            destination,
            notices,
        })
    }
}

/// The product's statement refusing plain HTTP in `bucket`'s policy.
fn deny_insecure(bucket: &Bucket<'_>) -> Result<policy_model::Statement, EngineError> {
    builders::deny_insecure_transport(bucket.place.partition(), bucket.name)
        .map_err(|e| invalid("the bucket", e))
}

/// The advisory of a customer's bucket that accepts plain HTTP.
pub(crate) fn insecure_transport_advisory(bucket: &str) -> String {
    format!(
        "advisory: `{bucket}` deny-insecure-transport: S3.5: add a bucket-policy statement denying `s3:*` when `aws:SecureTransport` is false (the tool does not change the customer's resources)"
    )
}

/// True when the key is the product's: created (or planned) by this run (`before`: the log's
/// length before [`Key::ensure`]) or tagged by an earlier one.
async fn key_is_ours(k: &Key<'_>, log: &HubLog, before: usize, key: &Arn) -> bool {
    log.journal.actions[before..]
        .iter()
        .any(|a| matches!(a.status, ResourceStatus::Created | ResourceStatus::Planned))
        || k.is_ours(key.resource().trim_start_matches("key/")).await
}

/// The hub role's decrypt statement in the policy of the trail's `key`, in its account and
/// Region (`place`).
async fn admit_reader(
    log: &mut HubLog,
    place: Place<'_>,
    key: &Arn,
    reader: &Arn,
) -> Result<(), EngineError> {
    KeyPolicy { place, key }
        .ensure(
            log,
            true,
            KeyPolicy::desired_for_reused_trail(std::slice::from_ref(reader)),
        )
        .await
}
