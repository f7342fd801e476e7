//! The organization's trails, read in preflight (nothing is written before): the trail that
//! `cloudtrail.existing_trail` reuses (its bucket, prefix and key, wherever they live), and the
//! refusal to create a second organization trail next to one that exists.

use account_worker::{Mode, WorkerError};
use policy_model::{AccountId, Arn, Region};

use super::EngineError;
use super::resources::bucket::Bucket;
use super::resources::{CONTROL_TOWER_PREFIX, Place};
use super::run::Run;
use crate::config::{ExistingTrail, TrailChoice};

/// The organization trail that is reused, as CloudTrail describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoundTrail {
    pub(crate) arn: Arn,
    pub(crate) bucket: String,
    /// `S3KeyPrefix`, `""` for none.
    pub(crate) prefix: String,
    /// The trail's KMS key, when it encrypts with one.
    pub(crate) key: Option<Arn>,
    /// The account that owns the bucket: the hub or the caller.
    pub(crate) bucket_account: AccountId,
    /// The bucket's Region (`GetBucketLocation`): the topic it notifies must be in it.
    pub(crate) bucket_region: Region,
    /// The key's Region (from its ARN), where its policy is read and written.
    pub(crate) key_region: Option<Region>,
}

impl FoundTrail {
    /// The prefix under which CloudTrail writes: `PREFIX/AWSLogs/` (or `AWSLogs/`).
    pub(crate) fn logs_prefix(&self) -> String {
        if self.prefix.is_empty() {
            "AWSLogs/".to_owned()
        } else {
            format!("{}/AWSLogs/", self.prefix.trim_end_matches('/'))
        }
    }

    /// Where the trail's bucket (and the topic it notifies) lives: its owner's clients, its
    /// Region.
    pub(crate) fn bucket_place<'a>(&'a self, run: &'a Run<'_>, mode: Mode) -> Place<'a> {
        run.place_in(self.bucket_account.as_str(), &self.bucket_region, mode)
    }

    /// Where the trail's key lives: its account's clients (the hub or the caller), its Region.
    pub(crate) fn key_place<'a>(
        &'a self,
        run: &'a Run<'_>,
        mode: Mode,
    ) -> Option<(Place<'a>, &'a Arn)> {
        let key = self.key.as_ref()?;
        let region = self.key_region.as_ref()?;
        Some((run.place_in(key.account(), region, mode), key))
    }

    /// True when the bucket is Control Tower's: its policy is guarded by an SCP.
    pub(crate) fn guarded_bucket(&self) -> bool {
        self.bucket.starts_with(CONTROL_TOWER_PREFIX)
    }
}

fn pre(message: String) -> EngineError {
    EngineError::Preflight { message }
}

/// Reads the organization's trails in the home Region and decides: the trail to reuse
/// (`existing_trail`), or `None` (a trail is created; with `refuse_second`, as apply and plan
/// ask, refused when another organization trail exists, unless `allow_second_trail`).
pub(crate) async fn check(
    run: &Run<'_>,
    refuse_second: bool,
) -> Result<Option<FoundTrail>, EngineError> {
    let Some(ct) = &run.cfg.cloudtrail else {
        return Ok(None);
    };
    let home = run.home();
    let described = run
        .caller
        .cloudtrail(home)
        .describe_trails()
        .send()
        .await
        .map_err(|e| WorkerError::from_sdk("cloudtrail:DescribeTrails", &e))
        .map_err(|e| {
            pre(format!(
                "the organization's trails cannot be read: cloudtrail:DescribeTrails failed ({}): {}",
                e.code, e.message
            ))
        })?;
    let org_trails: Vec<_> = described
        .trail_list()
        .iter()
        .filter(|t| t.is_organization_trail() == Some(true))
        .collect();
    let existing = match &ct.trail {
        TrailChoice::Create(nt) => {
            let others: Vec<&str> = org_trails
                .iter()
                .filter(|t| t.name() != Some(nt.trail_name.as_str()))
                .filter_map(|t| t.trail_arn())
                .collect();
            if refuse_second && !others.is_empty() && !nt.allow_second_trail {
                return Err(pre(format!(
                    "the organization already has the organization trail {}; creating `{}` beside it would bill a second copy of every management event ($2.00 per 100,000 events, each Region) and Radiant would read each event twice. Set `cloudtrail.existing_trail = \"auto\"` (or the trail's ARN) to connect Radiant to that trail, or, to create a second trail anyway, `cloudtrail.allow_second_trail = true`",
                    others
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    nt.trail_name
                )));
            }
            return Ok(None);
        }
        TrailChoice::Existing(e) => e,
    };
    let trail = match existing {
        ExistingTrail::Auto => match org_trails.as_slice() {
            [one] => *one,
            [] => {
                return Err(pre(
                    "`cloudtrail.existing_trail = \"auto\"` but the organization has no organization trail; remove `existing_trail` to create one".to_owned(),
                ));
            }
            many => {
                return Err(pre(format!(
                    "`cloudtrail.existing_trail = \"auto\"` but the organization has {} organization trails ({}); set `existing_trail` to the ARN of the one Radiant reads",
                    many.len(),
                    many.iter()
                        .filter_map(|t| t.trail_arn())
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        },
        ExistingTrail::Arn(arn) => {
            let wanted = arn.to_string();
            let Some(t) = org_trails
                .iter()
                .find(|t| t.trail_arn() == Some(wanted.as_str()))
            else {
                return Err(pre(format!(
                    "`cloudtrail.existing_trail` is `{wanted}`, which is not an organization trail of the organization in `{home}`; use one of: {}",
                    org_trails
                        .iter()
                        .filter_map(|t| t.trail_arn())
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            *t
        }
    };
    let arn_text = trail.trail_arn().unwrap_or_default();
    let arn: Arn = arn_text.parse().map_err(|e| {
        pre(format!(
            "CloudTrail answered an unusable trail ARN `{arn_text}`: {e}"
        ))
    })?;
    let bucket = trail.s3_bucket_name().unwrap_or_default().to_owned();
    let key = match trail.kms_key_id() {
        None => None,
        Some(k) => Some(k.parse::<Arn>().map_err(|e| {
            pre(format!(
                "the trail `{arn}` names its key as `{k}`, which is not a key ARN: {e}"
            ))
        })?),
    };
    let key_region = match &key {
        None => None,
        Some(k) => Some(Region::new(k.region()).map_err(|e| {
            pre(format!(
                "the key `{k}` of the trail `{arn}` names no usable Region: {e}"
            ))
        })?),
    };
    // The bucket's Region first (`GetBucketLocation` answers from any Region's endpoint;
    // `HeadBucket` sent to another Region than the bucket's gets a 301 the SDK does not
    // follow), asked with the hub's credentials, then the caller's.
    let hub_place = run.hub_place(Mode::Plan);
    let caller_place = run.caller_place(Mode::Plan);
    let located = match (Bucket {
        place: hub_place,
        name: &bucket,
    })
    .region()
    .await
    {
        Ok(Some(r)) => Ok(Some(r)),
        first => {
            if run.pf.hub == run.pf.caller {
                first
            } else {
                (Bucket {
                    place: caller_place,
                    name: &bucket,
                })
                .region()
                .await
            }
        }
    };
    let bucket_region = match located {
        Ok(Some(r)) => r,
        Ok(None) => {
            return Err(pre(format!(
                "the bucket `{bucket}` of the trail `{arn}` does not exist (GetBucketLocation): the trail cannot deliver; fix the trail first"
            )));
        }
        Err(e) => {
            return Err(pre(format!(
                "the Region of the bucket `{bucket}` of the trail `{arn}` cannot be read ({e}); set `organization.hub_account_id` to the bucket's account (a landing zone's Log Archive account), or grant the access role `s3:GetBucketLocation` on it"
            )));
        }
    };
    // The bucket's owner: the hub (the landing zone's Log Archive, usually) or the caller.
    let bucket_account = if (Bucket {
        place: run.place_in(run.pf.hub.as_str(), &bucket_region, Mode::Plan),
        name: &bucket,
    })
    .owned_here()
    .await?
    {
        run.pf.hub.clone()
    } else if run.pf.hub != run.pf.caller
        && (Bucket {
            place: run.place_in(run.pf.caller.as_str(), &bucket_region, Mode::Plan),
            name: &bucket,
        })
        .owned_here()
        .await?
    {
        run.pf.caller.clone()
    } else {
        return Err(pre(format!(
            "the bucket `{bucket}` of the trail `{arn}` belongs to neither the hub `{}` nor the caller's account (or neither may `s3:ListBucket` it: HeadBucket answered 403 to both); set `organization.hub_account_id` to the bucket's account (a landing zone's Log Archive account), or grant the access role `s3:ListBucket` on it",
            run.pf.hub
        )));
    };
    let found = FoundTrail {
        arn,
        bucket,
        prefix: trail.s3_key_prefix().unwrap_or_default().to_owned(),
        key,
        bucket_account,
        bucket_region,
        key_region,
    };
    if found.bucket_account != run.pf.hub && found.guarded_bucket() {
        return Err(pre(format!(
            "the bucket `{}` of the trail `{}` is Control Tower's and belongs to `{}`, not to the hub `{}`: the hub role could read it only through a bucket-policy statement, and Control Tower's guardrails deny changing that policy. Set `organization.hub_account_id` to the bucket's account `{}`",
            found.bucket, found.arn, found.bucket_account, run.pf.hub, found.bucket_account
        )));
    }
    if let Some(k) = &found.key {
        let account = k.account();
        if account != run.pf.hub.as_str() && account != run.pf.caller.as_str() {
            return Err(pre(format!(
                "the key `{k}` of the trail `{}` belongs to `{account}`, neither the hub nor the caller's account: the tool cannot add the hub role's decrypt statement to its policy; run from that key's account or add the statement yourself",
                found.arn
            )));
        }
    }
    Ok(Some(found))
}
