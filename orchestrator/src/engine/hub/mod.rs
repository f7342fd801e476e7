//! The hub step: the dependency order of the hub's resources (the hub role, the CloudTrail
//! bucket, key, topic and organization trail, the GuardDuty findings bucket, key, topic and
//! bucket notification). What each resource is and how it is read, compared, written and
//! verified lives in `resources/`; this module only decides what runs after what, and what runs
//! side by side. Its parts: `check.rs` (the reads that must pass before any write),
//! `cloudtrail.rs` (the product's trail and its bucket, key, topic, retention and access logs),
//! `reused_trail.rs` (Radiant wired to a trail that exists) and `guardduty.rs` (the findings
//! store).

mod check;
mod cloudtrail;
mod guardduty;
mod reused_trail;

use futures::FutureExt;

use account_worker::Mode;
use policy_model::builders::{self, OrgTrail};
use policy_model::{AccountId, Arn, OrgId, Partition, Region};

use super::EngineError;
use super::common::HubLog;
use super::org_trail::FoundTrail;
use super::resources::bucket::{Bucket, BucketPolicy, BucketPolicyWants, PrefixMarker};
use super::resources::hardening::{BucketHardening, Holder, KeyRotation};
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
    /// What the run should tell the user about the wiring (a reused topic or trail): notes.
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

    /// Who holds the hardening of the log bucket `name` (`ours`: created or tagged by the
    /// product).
    fn bucket_holder(&self, ours: bool, name: &str) -> Holder {
        Holder::of_bucket(ours, self.cfg().hardening == HardeningMode::Enforce, name)
    }

    /// True when `hardening = "enforce"` hardens the customer's `bucket` too (never Control
    /// Tower's: its guardrails deny it).
    fn enforces(&self, bucket: &str) -> bool {
        self.bucket_holder(false, bucket).hardens()
    }

    /// Hardens a log bucket as its holder asks (`resources/hardening/log_bucket.rs`).
    async fn harden_bucket(
        &self,
        log: &mut HubLog,
        bucket: Bucket<'_>,
        exists: bool,
        ours: bool,
        key: Option<&Arn>,
    ) -> Result<(), EngineError> {
        BucketHardening { bucket, key }
            .harden(log, exists, self.bucket_holder(ours, bucket.name))
            .await
    }

    /// Turns on a log key's rotation as its holder asks.
    async fn harden_key(
        &self,
        log: &mut HubLog,
        place: Place<'_>,
        key: &Arn,
        exists: bool,
        ours: bool,
    ) -> Result<(), EngineError> {
        let enforce = self.cfg().hardening == HardeningMode::Enforce;
        KeyRotation { place, key }
            .harden(log, exists, Holder::of_key(ours, enforce))
            .await
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
}

/// The product's statement refusing plain HTTP in `bucket`'s policy.
fn deny_insecure(bucket: &Bucket<'_>) -> Result<policy_model::Statement, EngineError> {
    builders::deny_insecure_transport(bucket.place.partition(), bucket.name)
        .map_err(|e| invalid("the bucket", e))
}

/// True when the key is the product's: created (or planned) by this run (`before`: the log's
/// length before [`Key::ensure`]) or tagged by an earlier one.
async fn key_is_ours(k: &Key<'_>, log: &HubLog, before: usize, key: &Arn) -> bool {
    log.journal.actions[before..]
        .iter()
        .any(|a| matches!(a.status, ResourceStatus::Created | ResourceStatus::Planned))
        || k.is_ours(key.resource().trim_start_matches("key/")).await
}
