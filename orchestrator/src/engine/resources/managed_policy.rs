//! Customer managed IAM policies of the hub role (its permissions, split over several when one
//! would exceed 6,144 characters): read (the default version's document), created tagged, given
//! a new default version (at IAM's fixed limit of 5 versions the oldest non-default one goes
//! first), and removed (detached, every version, then the policy).

use account_worker::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE, WorkerError};
use policy_model::PolicyDocument;

use super::{Place, build_err};
use crate::engine::EngineError;
use crate::engine::common::{hub_sdk, hub_worker, parse_policy};

/// Name of the `index`-th (0-based) managed policy of the hub role.
pub(crate) fn hub_policy_name(role_name: &str, index: usize) -> String {
    if index == 0 {
        format!("{role_name}-permissions")
    } else {
        format!("{role_name}-permissions-{}", index + 1)
    }
}

/// True for the names [`hub_policy_name`] produces.
pub(crate) fn is_hub_policy_name(role_name: &str, name: &str) -> bool {
    let base = format!("{role_name}-permissions");
    name == base
        || name
            .strip_prefix(&format!("{base}-"))
            .is_some_and(|n| n.parse::<usize>().is_ok_and(|n| n >= 2))
}

/// IAM keeps at most this many versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;

/// One managed policy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ManagedPolicy<'a> {
    pub(crate) place: Place<'a>,
    pub(crate) arn: &'a str,
}

impl ManagedPolicy<'_> {
    fn iam(&self) -> aws_sdk_iam::Client {
        self.place.clients.iam(self.place.region.as_str())
    }

    /// The default version's document (`None` when the policy does not exist).
    pub(crate) async fn read(&self) -> Result<Option<PolicyDocument>, EngineError> {
        let iam = self.iam();
        let arn = self.arn;
        let policy = match iam.get_policy().policy_arn(arn).send().await {
            Ok(out) => out.policy,
            Err(e) => {
                let err = WorkerError::from_sdk("iam:GetPolicy", &e);
                if err.is_not_found() {
                    return Ok(None);
                }
                return Err(hub_worker(arn)(err));
            }
        };
        let Some(version) = policy.as_ref().and_then(|p| p.default_version_id()) else {
            return Ok(None);
        };
        let out = iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(hub_sdk("iam:GetPolicyVersion", arn))?;
        out.policy_version
            .as_ref()
            .and_then(|v| v.document())
            .map(|t| parse_policy(arn, "iam:GetPolicyVersion", t))
            .transpose()
    }

    /// Creates the policy `name` (tagged) with `doc`.
    pub(crate) async fn create(&self, name: &str, doc: &PolicyDocument) -> Result<(), EngineError> {
        let tag = aws_sdk_iam::types::Tag::builder()
            .key(MANAGED_TAG_KEY)
            .value(MANAGED_TAG_VALUE)
            .build()
            .map_err(|e| hub_worker(self.arn)(build_err("iam:CreatePolicy", e)))?;
        self.iam()
            .create_policy()
            .policy_name(name)
            .policy_document(doc.to_json_minified())
            .description("Radiant Security access (managed by radiant-onboard)")
            .tags(tag)
            .send()
            .await
            .map_err(hub_sdk("iam:CreatePolicy", self.arn))?;
        Ok(())
    }

    /// A new default version with `doc`.
    pub(crate) async fn update(&self, doc: &PolicyDocument) -> Result<(), EngineError> {
        let iam = self.iam();
        let arn = self.arn;
        let versions = iam
            .list_policy_versions()
            .policy_arn(arn)
            .send()
            .await
            .map_err(hub_sdk("iam:ListPolicyVersions", arn))?;
        let all = versions.versions();
        if all.len() >= MAX_POLICY_VERSIONS {
            let oldest = all
                .iter()
                .filter(|v| !v.is_default_version())
                .min_by_key(|v| v.create_date().map(|d| (d.secs(), d.subsec_nanos())));
            if let Some(id) = oldest.and_then(|v| v.version_id()) {
                iam.delete_policy_version()
                    .policy_arn(arn)
                    .version_id(id)
                    .send()
                    .await
                    .map_err(hub_sdk("iam:DeletePolicyVersion", arn))?;
            }
        }
        iam.create_policy_version()
            .policy_arn(arn)
            .policy_document(doc.to_json_minified())
            .set_as_default(true)
            .send()
            .await
            .map_err(hub_sdk("iam:CreatePolicyVersion", arn))?;
        Ok(())
    }

    /// Detaches the policy from `role_name`, then deletes its versions and the policy (a
    /// policy or attachment already gone is fine: a half-done removal is finished).
    pub(crate) async fn remove(&self, role_name: &str) -> Result<(), EngineError> {
        let iam = self.iam();
        let arn = self.arn;
        if let Err(e) = iam
            .detach_role_policy()
            .role_name(role_name)
            .policy_arn(arn)
            .send()
            .await
        {
            let err = WorkerError::from_sdk("iam:DetachRolePolicy", &e);
            if !err.is_not_found() {
                return Err(hub_worker(arn)(err));
            }
        }
        let versions = match iam.list_policy_versions().policy_arn(arn).send().await {
            Ok(v) => v,
            Err(e) => {
                let err = WorkerError::from_sdk("iam:ListPolicyVersions", &e);
                if err.is_not_found() {
                    return Ok(());
                }
                return Err(hub_worker(arn)(err));
            }
        };
        for v in versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
        {
            if let Some(id) = v.version_id() {
                iam.delete_policy_version()
                    .policy_arn(arn)
                    .version_id(id)
                    .send()
                    .await
                    .map_err(hub_sdk("iam:DeletePolicyVersion", arn))?;
            }
        }
        iam.delete_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(hub_sdk("iam:DeletePolicy", arn))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_policy_names_round_trip() {
        for i in 0..12 {
            assert!(is_hub_policy_name(
                "radiant-aws-access-role",
                &hub_policy_name("radiant-aws-access-role", i)
            ));
        }
        assert!(!is_hub_policy_name(
            "radiant-aws-access-role",
            "radiant-aws-access-role-permissions-1"
        ));
        assert!(!is_hub_policy_name(
            "radiant-aws-access-role",
            "customer-policy"
        ));
    }
}
