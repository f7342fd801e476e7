//! The resources inside a member account: the member role, the GuardDuty detector of each
//! Region and its publishing destination. What is done to them lives in `account-worker` (which
//! works with the member's own credentials and never prints); these values bind each one to its
//! account and Region, with the same `ensure` / `remove` (and `read`) as the hub's resources, so
//! the phases (fan-out, offboard) treat every resource alike.

use account_worker::{
    DestinationReport, DestinationSpec, DetectorReport, DetectorSpec, ExistingDestination, Journal,
    MemberRoleSpec, Mode, RoleReport, WorkerError,
};

use crate::aws::AccountClients;

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
