//! GuardDuty in one (account, Region): the detector and its publishing destination.

use aws_sdk_guardduty::types::{
    DestinationProperties, DestinationType, DetectorFeature, DetectorFeatureConfiguration,
    DetectorFeatureResult, FeatureStatus, FindingPublishingFrequency,
};

use std::time::Instant;

use policy_model::Partition;

use crate::consistency::{Consistency, is_propagation_error, with_propagation_retries};
use crate::error::WorkerError;
use crate::record::{ActionRecord, Change, ChangeAction, Journal, ResourceStatus};
use crate::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE, Mode};

/// Tag on an adopted detector that remembers the settings it had before the product changed
/// them (`STATUS/FREQUENCY/S3`), so offboarding can restore them.
pub const PREVIOUS_SETTINGS_TAG: &str = "radiant-onboard:previous-settings";

/// The detector settings to ensure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectorSpec {
    /// `FIFTEEN_MINUTES`, `ONE_HOUR` or `SIX_HOURS`.
    pub frequency: String,
    /// Turn on the `S3_DATA_EVENTS` feature (never turned off by the product).
    pub s3_protection: bool,
    /// Create the detector when there is none, never update one: a member of GuardDuty's
    /// administrator takes its settings from it, and AWS refuses a member's `UpdateDetector`
    /// of the frequency ("member accounts cannot manage specified resources or properties").
    pub create_only: bool,
}

/// What [`ensure_detector`] found and did.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorReport {
    /// The detector (absent only in plan mode when one would be created).
    pub detector_id: Option<String>,
    /// True when this run created (or would create) the detector: it has no destinations yet.
    pub created: bool,
    /// Records and changes.
    pub journal: Journal,
}

fn sdk<E, R>(
    op: &str,
) -> impl Fn(aws_smithy_runtime_api::client::result::SdkError<E, R>) -> WorkerError + '_
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    move |e| WorkerError::from_sdk(op, &e)
}

/// `arn:PARTITION:guardduty:REGION:ACCOUNT:detector/ID`, the partition being the Region's.
fn detector_arn(region: &str, account: &str, id: &str) -> String {
    let partition = Partition::of_region(region);
    format!("arn:{partition}:guardduty:{region}:{account}:detector/{id}")
}

fn s3_feature(status: FeatureStatus) -> DetectorFeatureConfiguration {
    DetectorFeatureConfiguration::builder()
        .name(DetectorFeature::S3DataEvents)
        .status(status)
        .build()
}

/// Ensures the one detector of `region`: `ListDetectors`, then `CreateDetector` when there is
/// none, or `GetDetector` (+ `UpdateDetector` when its settings differ). Never a second detector.
pub async fn ensure_detector(
    gd: &aws_sdk_guardduty::Client,
    account: &str,
    region: &str,
    spec: &DetectorSpec,
    mode: Mode,
) -> Result<DetectorReport, WorkerError> {
    let mut journal = Journal::default();
    let listed = gd
        .list_detectors()
        .send()
        .await
        .map_err(sdk("guardduty:ListDetectors"))?;
    let frequency = FindingPublishingFrequency::from(spec.frequency.as_str());
    let Some(id) = listed.detector_ids().first().cloned() else {
        let resource = detector_arn(region, account, "(new)");
        let after = serde_json::json!({
            "Enable": true,
            "FindingPublishingFrequency": spec.frequency,
            "Features": if spec.s3_protection { vec!["S3_DATA_EVENTS"] } else { vec![] },
        });
        journal.changes.push(Change::new(
            &resource,
            ChangeAction::Create,
            None,
            Some(after),
            "no detector in this Region",
        ));
        if mode == Mode::Plan {
            journal.actions.push(ActionRecord::new(
                &resource,
                Some(region),
                ResourceStatus::Planned,
                None,
            ));
            return Ok(DetectorReport {
                detector_id: None,
                created: true,
                journal,
            });
        }
        let mut req = gd
            .create_detector()
            .enable(true)
            .finding_publishing_frequency(frequency)
            .tags(MANAGED_TAG_KEY, MANAGED_TAG_VALUE);
        if spec.s3_protection {
            req = req.features(s3_feature(FeatureStatus::Enabled));
        }
        let out = req.send().await.map_err(sdk("guardduty:CreateDetector"))?;
        let id = out.detector_id.unwrap_or_default();
        if let Some(c) = journal.changes.last_mut() {
            c.resource = detector_arn(region, account, &id);
        }
        journal.actions.push(ActionRecord::new(
            detector_arn(region, account, &id),
            Some(region),
            ResourceStatus::Created,
            None,
        ));
        return Ok(DetectorReport {
            detector_id: Some(id),
            created: true,
            journal,
        });
    };

    if spec.create_only {
        journal.actions.push(ActionRecord::new(
            detector_arn(region, account, &id),
            Some(region),
            ResourceStatus::Unchanged,
            Some("its settings are GuardDuty's administrator's".to_owned()),
        ));
        return Ok(DetectorReport {
            detector_id: Some(id),
            created: false,
            journal,
        });
    }
    let det = gd
        .get_detector()
        .detector_id(&id)
        .send()
        .await
        .map_err(sdk("guardduty:GetDetector"))?;
    let enabled = det.status().is_some_and(|s| s.as_str() == "ENABLED");
    let freq_now = det
        .finding_publishing_frequency()
        .map(|f| f.as_str().to_owned())
        .unwrap_or_default();
    let s3_now = det
        .features()
        .iter()
        .find(|f| f.name() == Some(&DetectorFeatureResult::S3DataEvents))
        .and_then(|f| f.status())
        .map_or("DISABLED".to_owned(), |s| s.as_str().to_owned());
    let s3_ok = !spec.s3_protection || s3_now == "ENABLED";
    let arn = detector_arn(region, account, &id);
    let ours = det.tags().is_some_and(|t| {
        t.get(MANAGED_TAG_KEY)
            .is_some_and(|v| v == MANAGED_TAG_VALUE)
    });
    if enabled && freq_now == spec.frequency && s3_ok {
        let detail = (!ours).then(|| "existing detector adopted".to_owned());
        journal.actions.push(ActionRecord::new(
            &arn,
            Some(region),
            ResourceStatus::Unchanged,
            detail,
        ));
        return Ok(DetectorReport {
            detector_id: Some(id),
            created: false,
            journal,
        });
    }
    let status_now = det
        .status()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    journal.changes.push(Change::new(
        &arn,
        ChangeAction::Update,
        Some(serde_json::json!({"Status": status_now, "FindingPublishingFrequency": freq_now, "S3_DATA_EVENTS": s3_now})),
        Some(serde_json::json!({"Status": "ENABLED", "FindingPublishingFrequency": spec.frequency,
            "S3_DATA_EVENTS": if spec.s3_protection { "ENABLED" } else { s3_now.as_str() }})),
        "the existing detector's settings differ",
    ));
    if mode == Mode::Plan {
        journal.actions.push(ActionRecord::new(
            &arn,
            Some(region),
            ResourceStatus::Planned,
            None,
        ));
        return Ok(DetectorReport {
            detector_id: Some(id),
            created: false,
            journal,
        });
    }
    let has_previous = det
        .tags()
        .is_some_and(|t| t.contains_key(PREVIOUS_SETTINGS_TAG));
    let mut detail = None;
    if !ours && !has_previous {
        // Remember the customer's settings once, before the first change, so offboarding can
        // restore them. Best effort: without the tag, offboarding keeps the product's settings.
        let tagged = gd
            .tag_resource()
            .resource_arn(&arn)
            .tags(
                PREVIOUS_SETTINGS_TAG,
                format!("{status_now}/{freq_now}/{s3_now}"),
            )
            .send()
            .await;
        if let Err(e) = tagged {
            let e = WorkerError::from_sdk("guardduty:TagResource", &e);
            detail = Some(format!(
                "previous settings {status_now}/{freq_now}/{s3_now} could not be recorded on the detector ({}): offboarding will not restore them",
                e.code
            ));
        }
    }
    let mut req = gd
        .update_detector()
        .detector_id(&id)
        .enable(true)
        .finding_publishing_frequency(frequency);
    if spec.s3_protection {
        req = req.features(s3_feature(FeatureStatus::Enabled));
    }
    req.send().await.map_err(sdk("guardduty:UpdateDetector"))?;
    journal.actions.push(ActionRecord::new(
        &arn,
        Some(region),
        ResourceStatus::Updated,
        detail,
    ));
    Ok(DetectorReport {
        detector_id: Some(id),
        created: false,
        journal,
    })
}

/// A publishing destination that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingDestination {
    /// Destination ID.
    pub id: String,
    /// `arn:aws:s3:::BUCKET[/PREFIX]`.
    pub destination_arn: Option<String>,
    /// The KMS key.
    pub kms_key_arn: Option<String>,
    /// `PUBLISHING`, `PENDING_VERIFICATION`, ...
    pub status: Option<String>,
}

/// Reads the detector's publishing destinations (`List` + one `Describe` each).
pub async fn read_destinations(
    gd: &aws_sdk_guardduty::Client,
    detector_id: &str,
) -> Result<Vec<ExistingDestination>, WorkerError> {
    let listed = gd
        .list_publishing_destinations()
        .detector_id(detector_id)
        .send()
        .await
        .map_err(sdk("guardduty:ListPublishingDestinations"))?;
    let mut found = Vec::new();
    for d in listed.destinations() {
        let Some(id) = d.destination_id() else {
            continue;
        };
        let out = gd
            .describe_publishing_destination()
            .detector_id(detector_id)
            .destination_id(id)
            .send()
            .await
            .map_err(sdk("guardduty:DescribePublishingDestination"))?;
        let props = out.destination_properties();
        found.push(ExistingDestination {
            id: id.to_owned(),
            destination_arn: props.and_then(|p| p.destination_arn()).map(str::to_owned),
            kms_key_arn: props.and_then(|p| p.kms_key_arn()).map(str::to_owned),
            status: out.status().map(|s| s.as_str().to_owned()),
        });
    }
    Ok(found)
}

/// Where findings must go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationSpec {
    /// `arn:aws:s3:::BUCKET[/PREFIX]`.
    pub destination_arn: String,
    /// The hub's GuardDuty KMS key.
    pub kms_key_arn: String,
    /// Take over a destination that points elsewhere (opt-in).
    pub take_over: bool,
    /// How long GuardDuty's permission check may lag behind the bucket and key policies.
    pub consistency: Consistency,
    /// When the bucket and key policies that admit the detectors were written (the deadline
    /// of the destination's propagation retries counts from here).
    pub policies_written: Instant,
}

/// What [`ensure_destination`] found and did.
#[derive(Debug, Clone, PartialEq)]
pub struct DestinationReport {
    /// The destination.
    pub destination_id: Option<String>,
    /// Its status when known.
    pub status: Option<String>,
    /// Why it was left alone, when it was.
    pub note: Option<String>,
    /// Records and changes.
    pub journal: Journal,
}

fn same_destination(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// True when `existing` is the product's destination (it points to the hub bucket and prefix).
pub fn is_ours(existing: &ExistingDestination, spec: &DestinationSpec) -> bool {
    exports_to(existing, &spec.destination_arn)
}

/// True when `existing` exports to `destination_arn` (`arn:PARTITION:s3:::BUCKET[/PREFIX]`, a
/// trailing `/` either way).
pub fn exports_to(existing: &ExistingDestination, destination_arn: &str) -> bool {
    existing
        .destination_arn
        .as_deref()
        .is_some_and(|a| same_destination(a, destination_arn))
}

/// Ensures the detector exports to the hub: creates the destination (no read needed after a
/// fresh detector), updates ours when its key differs, and leaves one that points elsewhere
/// unless `take_over`.
pub async fn ensure_destination(
    gd: &aws_sdk_guardduty::Client,
    account: &str,
    region: &str,
    detector_id: Option<&str>,
    existing: &[ExistingDestination],
    spec: &DestinationSpec,
    mode: Mode,
) -> Result<DestinationReport, WorkerError> {
    let mut journal = Journal::default();
    let det = detector_id.unwrap_or("(new)");
    let resource = format!(
        "{}/publishingDestination",
        detector_arn(region, account, det)
    );
    let desired = serde_json::json!({
        "DestinationType": "S3",
        "DestinationArn": spec.destination_arn,
        "KmsKeyArn": spec.kms_key_arn,
    });
    let target = existing
        .iter()
        .find(|d| is_ours(d, spec))
        .or_else(|| existing.first());
    if let Some(cur) = target {
        let before = serde_json::json!({
            "DestinationType": "S3",
            "DestinationArn": cur.destination_arn,
            "KmsKeyArn": cur.kms_key_arn,
        });
        let ours = is_ours(cur, spec);
        if ours && cur.kms_key_arn.as_deref() == Some(spec.kms_key_arn.as_str()) {
            journal.actions.push(ActionRecord::new(
                format!("{resource}/{}", cur.id),
                Some(region),
                ResourceStatus::Unchanged,
                None,
            ));
            return Ok(DestinationReport {
                destination_id: Some(cur.id.clone()),
                status: cur.status.clone(),
                note: None,
                journal,
            });
        }
        if !ours && !spec.take_over {
            let note = format!(
                "an existing destination exports to `{}`; left alone (set guardduty.take_over_destinations = true to redirect it)",
                cur.destination_arn.as_deref().unwrap_or("?")
            );
            journal.actions.push(ActionRecord::new(
                format!("{resource}/{}", cur.id),
                Some(region),
                ResourceStatus::Skipped,
                Some(note.clone()),
            ));
            return Ok(DestinationReport {
                destination_id: Some(cur.id.clone()),
                status: cur.status.clone(),
                note: Some(note),
                journal,
            });
        }
        let rid = format!("{resource}/{}", cur.id);
        journal.changes.push(Change::new(
            &rid,
            ChangeAction::Update,
            Some(before),
            Some(desired),
            if ours {
                "the destination's KMS key differs"
            } else {
                "taking over a destination that points elsewhere (opted in)"
            },
        ));
        if mode == Mode::Apply {
            let Some(detector_id) = detector_id else {
                return Err(WorkerError::new(
                    crate::ErrorKind::InvalidState,
                    "guardduty:UpdatePublishingDestination",
                    "NoDetector",
                    "no detector to update the destination of",
                ));
            };
            with_propagation_retries(
                &spec.consistency,
                "the findings bucket and key policies to reach GuardDuty",
                spec.policies_written,
                || async {
                    gd.update_publishing_destination()
                        .detector_id(detector_id)
                        .destination_id(&cur.id)
                        .destination_properties(props(spec))
                        .send()
                        .await
                        .map_err(sdk("guardduty:UpdatePublishingDestination"))
                },
                is_propagation_error,
            )
            .await?;
        }
        let status = if mode == Mode::Apply {
            ResourceStatus::Updated
        } else {
            ResourceStatus::Planned
        };
        journal
            .actions
            .push(ActionRecord::new(rid, Some(region), status, None));
        return Ok(DestinationReport {
            destination_id: Some(cur.id.clone()),
            status: cur.status.clone(),
            note: None,
            journal,
        });
    }
    journal.changes.push(Change::new(
        &resource,
        ChangeAction::Create,
        None,
        Some(desired),
        "the detector does not export findings to the hub bucket",
    ));
    let (Mode::Apply, Some(detector_id)) = (mode, detector_id) else {
        journal.actions.push(ActionRecord::new(
            &resource,
            Some(region),
            ResourceStatus::Planned,
            None,
        ));
        return Ok(DestinationReport {
            destination_id: None,
            status: None,
            note: None,
            journal,
        });
    };
    let out = with_propagation_retries(
        &spec.consistency,
        "the findings bucket and key policies to reach GuardDuty",
        spec.policies_written,
        || async {
            gd.create_publishing_destination()
                .detector_id(detector_id)
                .destination_type(DestinationType::S3)
                .destination_properties(props(spec))
                .tags(MANAGED_TAG_KEY, MANAGED_TAG_VALUE)
                .send()
                .await
                .map_err(sdk("guardduty:CreatePublishingDestination"))
        },
        is_propagation_error,
    )
    .await?;
    let id = out.destination_id.unwrap_or_default();
    let rid = format!("{resource}/{id}");
    if let Some(c) = journal.changes.last_mut() {
        c.resource = rid.clone();
    }
    journal.actions.push(ActionRecord::new(
        rid,
        Some(region),
        ResourceStatus::Created,
        None,
    ));
    Ok(DestinationReport {
        destination_id: Some(id),
        status: None,
        note: None,
        journal,
    })
}

fn props(spec: &DestinationSpec) -> DestinationProperties {
    DestinationProperties::builder()
        .destination_arn(&spec.destination_arn)
        .kms_key_arn(&spec.kms_key_arn)
        .build()
}

/// Offboards one (account, Region): deletes the product's destination, then the detector when
/// the product created it, or restores an adopted detector's previous settings. With
/// `keep_detector` (GuardDuty's delegated administrator, whose detector runs the organization's
/// GuardDuty) only the destination goes.
pub async fn remove_guardduty(
    gd: &aws_sdk_guardduty::Client,
    account: &str,
    region: &str,
    spec: &DestinationSpec,
    mode: Mode,
    keep_detector: bool,
) -> Result<Journal, WorkerError> {
    let mut journal = Journal::default();
    let done = if mode == Mode::Apply {
        ResourceStatus::Deleted
    } else {
        ResourceStatus::Planned
    };
    let listed = gd
        .list_detectors()
        .send()
        .await
        .map_err(sdk("guardduty:ListDetectors"))?;
    let Some(id) = listed.detector_ids().first().cloned() else {
        return Ok(journal);
    };
    let arn = detector_arn(region, account, &id);
    let det = gd
        .get_detector()
        .detector_id(&id)
        .send()
        .await
        .map_err(sdk("guardduty:GetDetector"))?;
    let tags = det.tags().cloned().unwrap_or_default();
    let ours = tags
        .get(MANAGED_TAG_KEY)
        .is_some_and(|v| v == MANAGED_TAG_VALUE);
    if ours && !keep_detector {
        if mode == Mode::Apply {
            gd.delete_detector()
                .detector_id(&id)
                .send()
                .await
                .map_err(sdk("guardduty:DeleteDetector"))?;
        }
        journal.changes.push(Change::new(
            &arn,
            ChangeAction::Delete,
            None,
            None,
            "the product created this detector",
        ));
        journal
            .actions
            .push(ActionRecord::new(&arn, Some(region), done, None));
        return Ok(journal);
    }
    for d in read_destinations(gd, &id).await? {
        if !is_ours(&d, spec) {
            continue;
        }
        if mode == Mode::Apply {
            gd.delete_publishing_destination()
                .detector_id(&id)
                .destination_id(&d.id)
                .send()
                .await
                .map_err(sdk("guardduty:DeletePublishingDestination"))?;
        }
        let rid = format!("{arn}/publishingDestination/{}", d.id);
        journal.changes.push(Change::new(
            &rid,
            ChangeAction::Delete,
            None,
            None,
            "the product's findings export",
        ));
        journal
            .actions
            .push(ActionRecord::new(rid, Some(region), done, None));
    }
    if let (false, Some(prev)) = (keep_detector, tags.get(PREVIOUS_SETTINGS_TAG)) {
        let mut parts = prev.split('/');
        let status = parts.next().unwrap_or("ENABLED");
        let freq = parts.next().unwrap_or("SIX_HOURS");
        let s3 = parts.next().unwrap_or("DISABLED");
        if mode == Mode::Apply {
            gd.update_detector()
                .detector_id(&id)
                .enable(status == "ENABLED")
                .finding_publishing_frequency(FindingPublishingFrequency::from(freq))
                .features(s3_feature(FeatureStatus::from(s3)))
                .send()
                .await
                .map_err(sdk("guardduty:UpdateDetector"))?;
            gd.untag_resource()
                .resource_arn(&arn)
                .tag_keys(PREVIOUS_SETTINGS_TAG)
                .send()
                .await
                .map_err(sdk("guardduty:UntagResource"))?;
        }
        journal.changes.push(Change::new(
            &arn,
            ChangeAction::Update,
            None,
            Some(serde_json::json!({
                "Enable": status == "ENABLED",
                "FindingPublishingFrequency": freq,
                "S3_DATA_EVENTS": s3,
            })),
            "adopted detector: the settings it had before onboarding are restored",
        ));
        journal.actions.push(ActionRecord::new(
            &arn,
            Some(region),
            if mode == Mode::Apply {
                ResourceStatus::Updated
            } else {
                ResourceStatus::Planned
            },
            Some("adopted detector kept; its previous settings restored".into()),
        ));
    }
    Ok(journal)
}
