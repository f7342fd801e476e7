//! The hardening of a log key: automatic rotation, read (`gap`) and turned on (`ensure`) for a
//! key the product owns.

use policy_model::Arn;

use super::{Gap, Setting, gap};
use crate::engine::EngineError;
use crate::engine::common::{HubLog, changed_status, hub_sdk};
use crate::engine::resources::Place;
use crate::outcome::{Change, ChangeAction};

/// Automatic rotation of a key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyRotation<'a> {
    pub(crate) place: Place<'a>,
    pub(crate) key: &'a Arn,
}

impl KeyRotation<'_> {
    pub(super) fn resource(&self) -> String {
        format!("{}#{}", self.key, Setting::KeyRotation.name())
    }

    /// The gap, if rotation is off (`exists`: false for a key a plan would create).
    pub(crate) async fn gap(&self, exists: bool) -> Result<Option<Gap>, EngineError> {
        let wanted = serde_json::json!(true);
        if !exists {
            return Ok(Some(gap(
                Setting::KeyRotation,
                serde_json::Value::Null,
                wanted,
            )));
        }
        let kms = self.place.clients.kms(self.place.region.as_str());
        let out = kms
            .get_key_rotation_status()
            .key_id(self.key.to_string())
            .send()
            .await
            .map_err(hub_sdk("kms:GetKeyRotationStatus", self.resource()))?;
        Ok((!out.key_rotation_enabled)
            .then(|| gap(Setting::KeyRotation, serde_json::json!(false), wanted)))
    }

    /// Turns rotation on (the product's own key).
    pub(crate) async fn ensure(&self, log: &mut HubLog, exists: bool) -> Result<(), EngineError> {
        let Some(g) = self.gap(exists).await? else {
            return Ok(());
        };
        let resource = self.resource();
        log.journal.changes.push(Change::new(
            &resource,
            if exists {
                ChangeAction::Update
            } else {
                ChangeAction::Create
            },
            (!g.before.is_null()).then(|| g.before.clone()),
            Some(g.after.clone()),
            format!("hardening: {}", Setting::KeyRotation.advice()),
        ));
        if self.place.apply() {
            self.place
                .clients
                .kms(self.place.region.as_str())
                .enable_key_rotation()
                .key_id(self.key.to_string())
                .send()
                .await
                .map_err(hub_sdk("kms:EnableKeyRotation", &resource))?;
        }
        log.record(
            &resource,
            "kms-key-rotation",
            changed_status(self.place.mode, !exists),
            None,
        );
        Ok(())
    }
}
