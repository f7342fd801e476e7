//! The reads of the hub step that must pass before anything is written: the trail that is
//! reused (and the refusal of a second one), the fit of each bucket notification the product adds
//! with the bucket's rules, and the Regions of the keys and buckets the product would use.

use super::*;

impl Hub<'_> {
    /// Reads, before anything is written, what could make a write of the hub step fail
    /// halfway: the organization's trails (the one reused; a second trail refused) and the
    /// rules of each bucket that gets a notification (a rule that overlaps and cannot be shared
    /// stops the run here, naming it).
    pub(crate) async fn check(run: &Run<'_>) -> Result<HubChecks, EngineError> {
        let mut checks = HubChecks {
            trail: super::super::org_trail::check(run, true).await?,
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
}
