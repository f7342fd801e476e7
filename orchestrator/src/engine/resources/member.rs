//! The resources inside a member account: the member role, the GuardDuty detector of each
//! Region and its publishing destination. What is done to them lives in `account-worker` (which
//! works with the member's own credentials and never prints); these values bind each one to its
//! account and Region, with the same `ensure` / `verify` / `remove` (and `read`) as the hub's
//! resources, so the phases (fan-out, verify, offboard) treat every resource alike.

use account_worker::{
    Consistency, DestinationReport, DestinationSpec, DetectorReport, DetectorSpec,
    ExistingDestination, Journal, MemberRoleSpec, Mode, RoleReport, WorkerError,
};
use policy_model::Arn;

use crate::aws::AccountClients;
use crate::config::Config;
use crate::outcome::Check;

/// A member account as the run works in it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member<'a> {
    /// Clients with the member's credentials (the access role assumed).
    pub(crate) clients: &'a AccountClients,
    /// The member's account ID.
    pub(crate) account: &'a str,
    /// The home Region (IAM's signing Region).
    pub(crate) home: &'a str,
    pub(crate) mode: Mode,
}

/// The member role.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemberRole<'a> {
    pub(crate) member: Member<'a>,
    pub(crate) spec: &'a MemberRoleSpec,
}

impl MemberRole<'_> {
    /// The member role the configuration describes (pure): trusted by `hub_role` with the
    /// external ID, with the seeds' read permissions. `ensure` creates or merges it; `verify`
    /// compares with it.
    pub(crate) fn desired(
        cfg: &Config,
        hub_role: &Arn,
        consistency: &Consistency,
    ) -> MemberRoleSpec {
        let partition = hub_role.partition();
        MemberRoleSpec {
            role_name: cfg.radiant.member_role_name.clone(),
            policy_name: format!("{}-permissions", cfg.radiant.member_role_name),
            trust: policy_model::builders::member_trust(hub_role, &cfg.radiant.external_id),
            permissions: policy_model::builders::member_role_permissions(partition),
            consistency: consistency.clone(),
            partition,
        }
    }

    /// `member-role-trusts-hub-role`: the role exists and trusts the hub role as `spec` says
    /// (the rule `ensure` writes by).
    pub(crate) async fn verify(&self) -> Check {
        let m = self.member;
        let (ok, detail) =
            match account_worker::verify_member_role(&m.clients.iam(m.home), self.spec).await {
                Ok(true) => (true, "trust statement present".to_owned()),
                Ok(false) => (
                    false,
                    "the member role or its trust statement is missing: run apply".to_owned(),
                ),
                Err(e) => (false, e.to_string()),
            };
        Check::new(m.account, None, "member-role-trusts-hub-role", ok, detail)
    }

    /// Creates the role or merges its trust and permissions.
    pub(crate) async fn ensure(&self) -> Result<RoleReport, WorkerError> {
        let m = self.member;
        account_worker::ensure_member_role(&m.clients.iam(m.home), m.account, self.spec, m.mode)
            .await
    }

    /// Offboard: deletes the role when tagged, else only the product's policy and statements.
    pub(crate) async fn remove(&self) -> Result<Journal, WorkerError> {
        let m = self.member;
        account_worker::remove_member_role(&m.clients.iam(m.home), self.spec, m.mode).await
    }
}

/// The GuardDuty detector of one Region (with its publishing destinations).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Detector<'a> {
    pub(crate) member: Member<'a>,
    pub(crate) region: &'a str,
}

impl Detector<'_> {
    fn client(&self) -> aws_sdk_guardduty::Client {
        self.member.clients.guardduty(self.region)
    }

    /// Creates the detector or brings it to `spec` (never a second one).
    pub(crate) async fn ensure(&self, spec: &DetectorSpec) -> Result<DetectorReport, WorkerError> {
        let m = self.member;
        account_worker::ensure_detector(&self.client(), m.account, self.region, spec, m.mode).await
    }

    /// `detector-enabled` and, when the account exports its own findings (`destination`: the
    /// hub bucket's destination ARN), `destination-publishing`; a Region that refuses the
    /// account's token or that an SCP denies is `region-skipped` instead, as apply skips it.
    pub(crate) async fn verify(&self, destination: Option<&str>) -> Vec<Check> {
        let (scope, region) = (self.member.account, Some(self.region));
        let gd = self.client();
        let ids = match gd.list_detectors().send().await {
            Ok(o) => o.detector_ids().to_vec(),
            Err(e) => {
                let e = WorkerError::from_sdk("guardduty:ListDetectors", &e);
                match crate::engine::regions::skip_after(self.region, &e) {
                    Some(reason) => {
                        return vec![Check::new(scope, region, "region-skipped", true, reason)];
                    }
                    None => Vec::new(),
                }
            }
        };
        let Some(id) = ids.first() else {
            return vec![Check::new(
                scope,
                region,
                "detector-enabled",
                false,
                "no detector: run apply",
            )];
        };
        let enabled = gd
            .get_detector()
            .detector_id(id)
            .send()
            .await
            .ok()
            .and_then(|d| d.status().map(|s| s.as_str() == "ENABLED"))
            .unwrap_or(false);
        let mut out = vec![Check::new(
            scope,
            region,
            "detector-enabled",
            enabled,
            format!("detector {id}"),
        )];
        let Some(dest) = destination else {
            return out;
        };
        let found = self.read_destinations(id).await.unwrap_or_default();
        let ours = found.iter().find(|d| account_worker::exports_to(d, dest));
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
        out.push(Check::new(
            scope,
            region,
            "destination-publishing",
            ok,
            detail,
        ));
        out
    }

    /// `sample-findings-delivered`: GuardDuty's sample findings, created in this detector,
    /// reach `findings` (a bucket in this account) under `prefix` within `wait` (an external
    /// effect polled every 5 seconds, not a consistency wait).
    pub(crate) async fn verify_delivery(
        &self,
        findings: &super::bucket::Bucket<'_>,
        prefix: &str,
        wait: std::time::Duration,
    ) -> Check {
        let gd = self.client();
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
                    WorkerError::from_sdk("guardduty:CreateSampleFindings", &e).to_string(),
                ),
                Ok(_) => {
                    let s3 = findings.place.clients.s3(findings.place.region.as_str());
                    let start = std::time::Instant::now();
                    let mut seen = false;
                    loop {
                        let listed = s3
                            .list_objects_v2()
                            .bucket(findings.name)
                            .prefix(prefix)
                            .max_keys(1)
                            .send()
                            .await;
                        if listed.is_ok_and(|l| l.key_count().unwrap_or(0) > 0) {
                            seen = true;
                            break;
                        }
                        if start.elapsed() >= wait {
                            break;
                        }
                        // Polling an external effect (not a consistency workaround).
                        tokio::time::sleep(std::time::Duration::from_secs(5).min(wait)).await;
                    }
                    (
                        seen,
                        if seen {
                            format!("sample findings arrived under `{prefix}`")
                        } else {
                            format!("no findings under `{prefix}` after {wait:?}")
                        },
                    )
                }
            },
        };
        Check::hub(Some(self.region), "sample-findings-delivered", ok, detail)
    }

    /// The publishing destinations of the detector `id`.
    pub(crate) async fn read_destinations(
        &self,
        id: &str,
    ) -> Result<Vec<ExistingDestination>, WorkerError> {
        account_worker::read_destinations(&self.client(), id).await
    }

    /// Offboard: the detector when tagged; else the product's destination and the adopted
    /// detector's previous settings. `keep_detector`: only the destination (GuardDuty's
    /// administrator keeps its detector).
    pub(crate) async fn remove(
        &self,
        dest: &DestinationSpec,
        keep_detector: bool,
    ) -> Result<Journal, WorkerError> {
        let m = self.member;
        account_worker::remove_guardduty(
            &self.client(),
            m.account,
            self.region,
            dest,
            m.mode,
            keep_detector,
        )
        .await
    }

    /// The detector's destination to the hub bucket (`detector_id`: `None` in a plan that
    /// creates the detector; `existing`: what [`Detector::read_destinations`] found).
    pub(crate) async fn ensure_destination(
        &self,
        detector_id: Option<&str>,
        existing: &[ExistingDestination],
        spec: &DestinationSpec,
    ) -> Result<DestinationReport, WorkerError> {
        let m = self.member;
        account_worker::ensure_destination(
            &self.client(),
            m.account,
            self.region,
            detector_id,
            existing,
            spec,
            m.mode,
        )
        .await
    }
}
