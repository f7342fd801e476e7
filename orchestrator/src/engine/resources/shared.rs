//! The shared documents that name accounts: the findings bucket's policy, the findings key's
//! policy and the hub role's managed policies. The patch step is their single writer
//! (`patch.rs`); what `verify` asks of them lives here: which accounts they still name that the
//! run no longer covers (orphans, left by accounts that left the organization or the scope).

use policy_model::builders::sid;
use policy_model::{Arn, PolicyDocument};

use super::Place;
use super::bucket::{Bucket, BucketPolicy};
use super::key::{Key, KeyPolicy};
use super::managed_policy::{ManagedPolicy, is_hub_policy_name};
use crate::config::Config;

/// The shared documents as they are now. A document that cannot be read is skipped (the
/// resources' own checks report what is missing).
async fn documents(cfg: &Config, place: Place<'_>) -> Vec<PolicyDocument> {
    let mut docs = Vec::new();
    if let Some(gd) = &cfg.guardduty {
        let bucket = Bucket {
            place,
            name: &gd.bucket,
        };
        docs.extend(BucketPolicy { bucket }.read().await.ok().flatten());
        let alias = &gd.kms_alias;
        if let Ok(Some((key, _))) = (Key { place, alias }).read().await {
            docs.extend(KeyPolicy { place, key: &key }.read().await.ok().flatten());
        }
    }
    let iam = place.clients.iam(place.region.as_str());
    let attached = iam
        .list_attached_role_policies()
        .role_name(&cfg.radiant.role_name)
        .max_items(100)
        .send()
        .await
        .map(|o| o.attached_policies().to_vec())
        .unwrap_or_default();
    for p in attached {
        let (Some(name), Some(arn)) = (p.policy_name(), p.policy_arn()) else {
            continue;
        };
        if !is_hub_policy_name(&cfg.radiant.role_name, name) {
            continue;
        }
        docs.extend(ManagedPolicy { place, arn }.read().await.ok().flatten());
    }
    docs
}

/// ARNs that name an account in the product's statements of `doc`: detector ARNs in
/// `aws:SourceArn` conditions and member-role ARNs in `sts:AssumeRole` resources (the compact
/// `iam::*:role/...` form names no account and is filtered out by the caller).
fn named_accounts(doc: &PolicyDocument) -> Vec<String> {
    let mut out = Vec::new();
    for s in doc.owned_statements() {
        out.extend(s.condition_values("StringEquals", "aws:SourceArn"));
        if s.sid() == Some(sid::ASSUME_MEMBER_ROLES) {
            out.extend(s.resource_values().into_iter().map(str::to_owned));
        }
    }
    out
}

/// The ARNs the shared documents (read in `place`, the findings store's) name for an account
/// that is not in `covered`, each once, in the documents' order.
pub(crate) async fn orphans(cfg: &Config, place: Place<'_>, covered: &[&str]) -> Vec<String> {
    let mut orphans = Vec::new();
    for doc in documents(cfg, place).await {
        for v in named_accounts(&doc) {
            let orphan = v.parse::<Arn>().is_ok_and(|a| {
                let account = a.account();
                account.len() == 12
                    && account.bytes().all(|b| b.is_ascii_digit())
                    && !covered.contains(&account)
            });
            if orphan && !orphans.contains(&v) {
                orphans.push(v);
            }
        }
    }
    orphans
}
