//! KMS keys of the hub: the key behind an alias (created with the product's key policy and
//! tagged when missing; offboard schedules its deletion only when tagged) and its key policy (the
//! product's statements merged in).

use std::time::Instant;

use policy_model::builders;
use policy_model::planner::plan_fixed;
use policy_model::{Arn, PolicyDocument, PolicyKind, Statement};

use super::{Place, build_err, invalid, tagged};
use crate::engine::EngineError;
use crate::engine::common::{
    HubLog, KNOWN_AFTER_APPLY_KEY, ensure_policy, holds_fixed, hub_sdk, hub_worker, parse_policy,
    plan_err,
};
use crate::outcome::{Change, ChangeAction, Check, ResourceStatus};
use account_worker::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

/// The key behind an alias.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key<'a> {
    pub(crate) place: Place<'a>,
    /// `alias/NAME`.
    pub(crate) alias: &'a str,
}

impl Key<'_> {
    /// `arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME`.
    pub(crate) fn alias_arn(&self) -> String {
        format!(
            "arn:{}:kms:{}:{}:{}",
            self.place.partition(),
            self.place.region,
            self.place.account,
            self.alias
        )
    }

    /// The key's ARN and ID, when the alias exists.
    pub(crate) async fn read(&self) -> Result<Option<(Arn, String)>, EngineError> {
        let kms = self.place.clients.kms(self.place.region.as_str());
        let alias_arn = self.alias_arn();
        match kms.describe_key().key_id(self.alias).send().await {
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
                let id = meta.map(|m| m.key_id).unwrap_or_default();
                Ok(Some((arn, id)))
            }
            Err(e) => {
                let err = account_worker::WorkerError::from_sdk("kms:DescribeKey", &e);
                if err.is_not_found() {
                    Ok(None)
                } else {
                    Err(hub_worker(&alias_arn)(err))
                }
            }
        }
    }

    /// Finds or creates the key; returns its ARN (a placeholder in plan mode when it does not
    /// exist yet) and whether it exists.
    pub(crate) async fn ensure(
        &self,
        log: &mut HubLog,
        description: &str,
    ) -> Result<(Arn, bool), EngineError> {
        let place = self.place;
        let alias_arn = self.alias_arn();
        if let Some((arn, _)) = self.read().await? {
            log.record(
                &alias_arn,
                "kms-alias",
                ResourceStatus::Unchanged,
                Some(arn.to_string()),
            );
            return Ok((arn, true));
        }
        let policy = builders::new_key_policy(place.partition(), place.account);
        log.journal.changes.push(Change::policy(
            &alias_arn,
            None,
            &policy,
            "the key does not exist",
        ));
        if !place.apply() {
            log.record(&alias_arn, "kms-key", ResourceStatus::Planned, None);
            // One placeholder per alias: two keys planned in one Region stay apart in plans and
            // in `policies` (`key/known-after-apply-ALIAS`).
            let placeholder = format!(
                "{KNOWN_AFTER_APPLY_KEY}-{}",
                self.alias
                    .trim_start_matches("alias/")
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect::<String>()
            );
            let arn = Arn::kms_key(place.region, place.account, &placeholder)
                .map_err(|e| invalid("the KMS key", e))?;
            return Ok((arn, false));
        }
        let kms = place.clients.kms(place.region.as_str());
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
            .alias_name(self.alias)
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

    /// True when the key `key_id` carries the product's tag (it created the key).
    pub(crate) async fn is_ours(&self, key_id: &str) -> bool {
        self.place
            .clients
            .kms(self.place.region.as_str())
            .list_resource_tags()
            .key_id(key_id)
            .send()
            .await
            .map(|t| {
                tagged(
                    t.tags()
                        .iter()
                        .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned())),
                )
            })
            .unwrap_or(false)
    }

    /// Offboard: a key the product created is deleted (alias removed, deletion scheduled in 7
    /// days) unless `keep_data`; otherwise only the product's key-policy statements go.
    pub(crate) async fn remove(
        &self,
        log: &mut HubLog,
        keep_data: bool,
    ) -> Result<(), EngineError> {
        let place = self.place;
        let kms = place.clients.kms(place.region.as_str());
        let Ok(Some((key, key_id))) = self.read().await else {
            return Ok(());
        };
        let ours = self.is_ours(&key_id).await;
        if ours && !keep_data {
            if place.apply() {
                kms.delete_alias()
                    .alias_name(self.alias)
                    .send()
                    .await
                    .map_err(hub_sdk("kms:DeleteAlias", self.alias))?;
                kms.schedule_key_deletion()
                    .key_id(&key_id)
                    .pending_window_in_days(7)
                    .send()
                    .await
                    .map_err(hub_sdk("kms:ScheduleKeyDeletion", &key.to_string()))?;
            }
            log.journal.changes.push(Change::new(
                key.to_string(),
                ChangeAction::Delete,
                None,
                None,
                "the product created this key (deletion scheduled in 7 days)",
            ));
            log.record(
                &key.to_string(),
                "kms-key",
                place.status(ResourceStatus::Deleted),
                None,
            );
            return Ok(());
        }
        KeyPolicy { place, key: &key }.remove(log).await
    }
}

/// The policy of a hub key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyPolicy<'a> {
    pub(crate) place: Place<'a>,
    pub(crate) key: &'a Arn,
}

impl KeyPolicy<'_> {
    /// The product's statements in the key of its own trail (pure): CloudTrail encrypts, the
    /// `readers` (the hub role) decrypt.
    pub(crate) fn desired_for_trail(
        trail: &policy_model::builders::OrgTrail,
        readers: &[Arn],
    ) -> Result<Vec<Statement>, EngineError> {
        builders::cloudtrail_key_statements(trail, readers)
            .map_err(|e| super::invalid("the CloudTrail key", e))
    }

    /// The product's statement in a reused trail's key (pure): the `readers` decrypt its logs.
    pub(crate) fn desired_for_reused_trail(readers: &[Arn]) -> Vec<Statement> {
        vec![builders::trail_reader_key_statement(readers)]
    }

    /// `trail-key-decrypt`: the reused trail's key lets `reader` (the hub role) decrypt, as
    /// [`KeyPolicy::desired_for_reused_trail`] has it.
    pub(crate) async fn verify_reader(&self, reader: &Arn) -> Check {
        let wanted = Self::desired_for_reused_trail(std::slice::from_ref(reader));
        let ok = self
            .read()
            .await
            .ok()
            .flatten()
            .is_some_and(|d| holds_fixed(&d, &wanted, PolicyKind::KmsKey));
        let key = self.key;
        Check::hub(
            Some(self.place.region.as_str()),
            "trail-key-decrypt",
            ok,
            if ok {
                format!("the hub role may decrypt with `{key}`")
            } else {
                format!("the policy of `{key}` does not let the hub role decrypt: run apply")
            },
        )
    }

    /// `KEY_ARN#policy`.
    pub(crate) fn resource(&self) -> String {
        format!("{}#policy", self.key)
    }

    /// The key policy.
    pub(crate) async fn read(&self) -> Result<Option<PolicyDocument>, EngineError> {
        let kms = self.place.clients.kms(self.place.region.as_str());
        let resource = self.resource();
        let out = kms
            .get_key_policy()
            .key_id(self.key.to_string())
            .policy_name("default")
            .send()
            .await
            .map_err(hub_sdk("kms:GetKeyPolicy", &resource))?;
        out.policy
            .as_deref()
            .map(|t| parse_policy(&resource, "kms:GetKeyPolicy", t))
            .transpose()
    }

    /// Writes the key policy (minified), waiting while a principal it names is not visible yet.
    pub(crate) async fn write(&self, text: String) -> Result<(), EngineError> {
        let kms = self.place.clients.kms(self.place.region.as_str());
        account_worker::with_propagation_retries(
            self.place.consistency,
            "the principals of the key policy to be accepted",
            Instant::now(),
            || async {
                kms.put_key_policy()
                    .key_id(self.key.to_string())
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
        .map_err(hub_worker(&self.resource()))
    }

    /// Read-merge-write with the product's `statements` (fixed form); `exists` is false when
    /// the key is only planned (its policy would be the product's new-key policy).
    pub(crate) async fn ensure(
        &self,
        log: &mut HubLog,
        exists: bool,
        statements: Vec<Statement>,
    ) -> Result<(), EngineError> {
        let resource = self.resource();
        let fresh = builders::new_key_policy(self.place.partition(), self.place.account);
        ensure_policy(
            log,
            self.place.mode,
            &resource,
            "kms-key-policy",
            async || {
                if exists {
                    self.read().await
                } else {
                    Ok(Some(fresh.clone()))
                }
            },
            |doc| {
                plan_fixed(doc, statements.clone(), PolicyKind::KmsKey).map_err(plan_err(&resource))
            },
            async |text| self.write(text).await,
        )
        .await?;
        Ok(())
    }

    /// Offboard: removes the product's statements; the administration statement stays on a
    /// key the product created and keeps.
    pub(crate) async fn remove(&self, log: &mut HubLog) -> Result<(), EngineError> {
        let resource = self.resource();
        let Some(mut doc) = self.read().await? else {
            return Ok(());
        };
        let before = doc.clone();
        let removed = doc.remove_owned_statements();
        for s in removed
            .iter()
            .filter(|s| s.sid() == Some(builders::sid::KEY_ADMIN))
        {
            let _ = doc.ensure_statement(s.clone());
        }
        if doc.semantically_equal(&before) {
            return Ok(());
        }
        log.journal.changes.push(Change::policy(
            &resource,
            Some(&before),
            &doc,
            "the product's statements",
        ));
        if self.place.apply() {
            self.write(doc.to_json_minified()).await?;
        }
        log.record(
            &resource,
            "kms-key-policy",
            self.place.status(ResourceStatus::Updated),
            None,
        );
        Ok(())
    }
}
