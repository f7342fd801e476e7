//! The hub role `radiant-aws-access-role`: created (tagged) with Radiant's trust, or its trust
//! merged; offboard deletes the product's managed policies and, when tagged, the role (an adopted
//! role keeps existing without the product's trust statement). Its managed permission policies
//! are written by the patch step (`patch.rs`, single writer); the member roles live in
//! `account-worker`.

use policy_model::{Arn, PolicyDocument};

use super::managed_policy::{ManagedPolicy, is_hub_policy_name};
use super::{Place, build_err, found, tagged};
use crate::engine::EngineError;
use crate::engine::common::{HubLog, changed_status, hub_sdk, hub_worker, parse_policy};
use crate::outcome::{Change, ChangeAction, Check, ResourceStatus};
use account_worker::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

/// The trust policy of `role` as IAM returned it (URL-encoded or not); an empty document when it
/// has none.
pub(crate) fn trust_policy(role: &aws_sdk_iam::types::Role) -> Result<PolicyDocument, EngineError> {
    match role.assume_role_policy_document() {
        Some(t) => parse_policy(&role.arn, "iam:GetRole", t),
        None => Ok(PolicyDocument::new()),
    }
}

/// The hub role.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HubRole<'a> {
    pub(crate) place: Place<'a>,
    pub(crate) name: &'a str,
}

impl HubRole<'_> {
    /// The hub role's trust (pure): Radiant's principal with the external ID.
    pub(crate) fn desired_trust(radiant: &crate::config::RadiantConfig) -> PolicyDocument {
        policy_model::builders::radiant_trust(&radiant.principal_arn, &radiant.external_id)
    }

    /// The role as IAM has it, when it exists.
    pub(crate) async fn read(
        &self,
        resource: &str,
    ) -> Result<Option<aws_sdk_iam::types::Role>, EngineError> {
        let iam = self.place.clients.iam(self.place.region.as_str());
        let answer = iam.get_role().role_name(self.name).send().await;
        Ok(found("iam:GetRole", resource, answer)?.and_then(|out| out.role))
    }

    /// Creates the role with `trust`, or merges `trust`'s statements into its trust policy.
    pub(crate) async fn ensure(
        &self,
        log: &mut HubLog,
        arn: &Arn,
        trust: &PolicyDocument,
    ) -> Result<(), EngineError> {
        let place = self.place;
        let iam = place.clients.iam(place.region.as_str());
        let resource = arn.to_string();
        match self.read(&resource).await? {
            None => {
                log.journal.changes.push(Change::policy(
                    format!("{resource}#trust"),
                    None,
                    trust,
                    "the hub role does not exist",
                ));
                if place.apply() {
                    let tag = aws_sdk_iam::types::Tag::builder()
                        .key(MANAGED_TAG_KEY)
                        .value(MANAGED_TAG_VALUE)
                        .build()
                        .map_err(|e| hub_worker(&resource)(build_err("iam:CreateRole", e)))?;
                    iam.create_role()
                        .role_name(self.name)
                        .assume_role_policy_document(trust.to_json_minified())
                        .description("Radiant Security access (managed by radiant-onboard)")
                        .tags(tag)
                        .send()
                        .await
                        .map_err(hub_sdk("iam:CreateRole", &resource))?;
                }
                log.record(
                    &resource,
                    "iam-role",
                    changed_status(place.mode, true),
                    None,
                );
            }
            Some(role) => {
                let current = trust_policy(&role)?;
                if account_worker::is_current(&current, trust) {
                    log.record(&resource, "iam-role", ResourceStatus::Unchanged, None);
                } else {
                    let merged = account_worker::merge_owned(&current, trust);
                    log.journal.changes.push(Change::policy(
                        format!("{resource}#trust"),
                        Some(&current),
                        &merged,
                        "the hub role's trust policy lacks Radiant's principal with the external ID",
                    ));
                    if place.apply() {
                        iam.update_assume_role_policy()
                            .role_name(self.name)
                            .policy_document(merged.to_json_minified())
                            .send()
                            .await
                            .map_err(hub_sdk("iam:UpdateAssumeRolePolicy", &resource))?;
                    }
                    log.record(
                        &resource,
                        "iam-role",
                        changed_status(place.mode, false),
                        None,
                    );
                }
            }
        }
        Ok(())
    }

    /// `hub-role-trusts-radiant`: the role exists and its trust holds Radiant's principal with
    /// the external ID as [`HubRole::desired_trust`] has it (the rule `ensure` writes by).
    pub(crate) async fn verify(&self, radiant: &crate::config::RadiantConfig) -> Check {
        let desired = Self::desired_trust(radiant);
        let ok = self
            .read(self.name)
            .await
            .ok()
            .flatten()
            .and_then(|r| trust_policy(&r).ok())
            .is_some_and(|current| account_worker::is_current(&current, &desired));
        Check::hub(
            None,
            "hub-role-trusts-radiant",
            ok,
            if ok {
                "Radiant's principal with the external ID"
            } else {
                "the hub role or its trust statement is missing: run apply"
            },
        )
    }

    /// Offboard: the product's managed policies (detached, versions and policy deleted), then
    /// the role when tagged, or only the product's trust statements of an adopted role.
    pub(crate) async fn remove(&self, log: &mut HubLog) -> Result<(), EngineError> {
        let place = self.place;
        let iam = place.clients.iam(place.region.as_str());
        let name = self.name;
        let Ok(Some(role)) = self.read(name).await else {
            return Ok(());
        };
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
            log.journal.changes.push(Change::new(
                parn,
                ChangeAction::Delete,
                None,
                None,
                "the hub role's permissions",
            ));
            log.record(
                parn,
                "iam-managed-policy",
                place.status(ResourceStatus::Deleted),
                None,
            );
            if place.apply() {
                ManagedPolicy { place, arn: parn }.remove(name).await?;
            }
        }
        if tagged(
            role.tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned())),
        ) {
            if place.apply() {
                iam.delete_role()
                    .role_name(name)
                    .send()
                    .await
                    .map_err(hub_sdk("iam:DeleteRole", &role.arn))?;
            }
            log.journal.changes.push(Change::new(
                &role.arn,
                ChangeAction::Delete,
                None,
                None,
                "the product created this role",
            ));
            log.record(
                &role.arn,
                "iam-role",
                place.status(ResourceStatus::Deleted),
                None,
            );
        } else if role.assume_role_policy_document().is_some() {
            let before = trust_policy(&role)?;
            let mut doc = before.clone();
            if !doc.remove_owned_statements().is_empty() && !doc.statements().is_empty() {
                if place.apply() {
                    iam.update_assume_role_policy()
                        .role_name(name)
                        .policy_document(doc.to_json_minified())
                        .send()
                        .await
                        .map_err(hub_sdk("iam:UpdateAssumeRolePolicy", &role.arn))?;
                }
                log.journal.changes.push(Change::policy(
                    format!("{}#trust", role.arn),
                    Some(&before),
                    &doc,
                    "the product's trust statements of an adopted role",
                ));
                log.record(
                    &role.arn,
                    "iam-role",
                    place.status(ResourceStatus::Updated),
                    None,
                );
            }
        }
        Ok(())
    }
}
