//! A snapshot of everything onboarding touches, read with the SDK, in a form that two runs can
//! be compared by: identifiers AWS picks at random (detector, key and destination IDs) are
//! replaced by what they stand for, and documents are minified.

use std::collections::BTreeMap;

use orchestrator::aws::SdkFactory;
use orchestrator::aws::sdk::iam::types::PolicyScopeType;

use super::{hub, member};

/// Name -> value of every observed item.
pub type Snapshot = BTreeMap<String, String>;

fn minify(text: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
    let text = if text.trim_start().starts_with('{') {
        text
    } else {
        decoded.as_ref()
    };
    serde_json::from_str::<serde_json::Value>(text)
        .map_or_else(|_| text.to_owned(), |v| v.to_string())
}

/// Reads the hub's buckets, keys, topics, trails and IAM roles and policies, and each account's
/// roles, detectors (settings and tags) and publishing destinations in `regions`.
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a failed read must fail the test"
)]
pub async fn snapshot(aws: &SdkFactory, accounts: &[String], regions: &[&str]) -> Snapshot {
    let mut snap = Snapshot::new();
    // Random identifier -> stable name, applied to every value at the end.
    let mut names: Vec<(String, String)> = Vec::new();
    let h = hub(aws);

    let kms = h.kms("us-east-1");
    let mut aliases: Vec<String> = Vec::new();
    for a in kms.list_aliases().send().await.unwrap().aliases() {
        let Some(name) = a.alias_name() else { continue };
        if name.starts_with("alias/aws/") {
            continue;
        }
        aliases.push(name.to_owned());
        if let Some(id) = a.target_key_id() {
            names.push((id.to_owned(), format!("<key {name}>")));
        }
        let policy = kms
            .get_key_policy()
            .key_id(name)
            .policy_name("default")
            .send()
            .await
            .ok()
            .and_then(|p| p.policy().map(minify));
        snap.insert(format!("key {name} policy"), format!("{policy:?}"));
    }
    // Listing order follows creation order, which concurrent hub steps do not fix: not state.
    aliases.sort();
    snap.insert("key aliases".into(), format!("{aliases:?}"));

    let s3 = h.s3("us-east-1");
    let mut buckets: Vec<String> = s3
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect();
    for b in &buckets {
        // Whitespace aside (the product writes minified JSON), the text must be identical:
        // same statements, same order, same keys.
        let policy = s3
            .get_bucket_policy()
            .bucket(b)
            .send()
            .await
            .ok()
            .and_then(|p| p.policy().map(minify));
        snap.insert(format!("bucket {b} policy"), format!("{policy:?}"));
        let notif = s3
            .get_bucket_notification_configuration()
            .bucket(b)
            .send()
            .await
            .ok()
            .map(|n| format!("{:?}", n.topic_configurations()));
        snap.insert(format!("bucket {b} notifications"), format!("{notif:?}"));
    }
    buckets.sort();
    snap.insert("buckets".into(), format!("{buckets:?}"));

    let sns = h.sns("us-east-1");
    let mut topics: Vec<String> = sns
        .list_topics()
        .send()
        .await
        .unwrap()
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn().map(str::to_owned))
        .collect();
    topics.sort();
    for t in &topics {
        let attrs = sns
            .get_topic_attributes()
            .topic_arn(t)
            .send()
            .await
            .unwrap();
        let policy = attrs
            .attributes()
            .and_then(|a| a.get("Policy"))
            .map(|p| minify(p));
        snap.insert(format!("topic {t} policy"), format!("{policy:?}"));
    }
    snap.insert("topics".into(), format!("{topics:?}"));

    let ct = h.cloudtrail("us-east-1");
    let trails = ct.describe_trails().send().await.unwrap();
    let mut trail_names = Vec::new();
    for t in trails.trail_list() {
        let Some(name) = t.name() else { continue };
        trail_names.push(name.to_owned());
        snap.insert(
            format!("trail {name} settings"),
            format!(
                "bucket={:?} topic={:?} multi_region={:?} organization={:?} kms={:?} validation={:?}",
                t.s3_bucket_name(),
                t.sns_topic_arn(),
                t.is_multi_region_trail(),
                t.is_organization_trail(),
                t.kms_key_id(),
                t.log_file_validation_enabled()
            ),
        );
        let selectors = ct
            .get_event_selectors()
            .trail_name(name)
            .send()
            .await
            .unwrap();
        snap.insert(
            format!("trail {name} selectors"),
            format!(
                "{:?} {:?}",
                selectors.event_selectors(),
                selectors.advanced_event_selectors()
            ),
        );
        let status = ct.get_trail_status().name(name).send().await.unwrap();
        snap.insert(
            format!("trail {name} logging"),
            format!("{:?}", status.is_logging()),
        );
    }
    snap.insert("trails".into(), format!("{trail_names:?}"));

    let iam = h.iam("us-east-1");
    let policies = iam
        .list_policies()
        .scope(PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    let mut policy_names = Vec::new();
    for p in policies.policies() {
        let (Some(name), Some(arn), Some(version)) =
            (p.policy_name(), p.arn(), p.default_version_id())
        else {
            continue;
        };
        policy_names.push(name.to_owned());
        let doc = iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .unwrap()
            .policy_version()
            .and_then(|v| v.document().map(minify));
        snap.insert(format!("hub policy {name}"), format!("{doc:?}"));
    }
    policy_names.sort();
    snap.insert("hub policies".into(), format!("{policy_names:?}"));

    for a in accounts {
        let is_hub = a == integration_tests::MANAGEMENT_ACCOUNT_ID;
        let m = if is_hub {
            hub(aws)
        } else {
            member(aws, a).await
        };
        let iam = m.iam("us-east-1");
        let roles = iam.list_roles().send().await.unwrap();
        let mut role_names = Vec::new();
        for r in roles.roles() {
            let name = r.role_name();
            role_names.push(name.to_owned());
            if name == "OrganizationAccountAccessRole" {
                continue;
            }
            let trust = r.assume_role_policy_document().map(minify);
            snap.insert(format!("{a} role {name} trust"), format!("{trust:?}"));
            let inline = iam
                .list_role_policies()
                .role_name(name)
                .send()
                .await
                .unwrap();
            for p in inline.policy_names() {
                let doc = iam
                    .get_role_policy()
                    .role_name(name)
                    .policy_name(p)
                    .send()
                    .await
                    .unwrap();
                snap.insert(
                    format!("{a} role {name} inline {p}"),
                    minify(doc.policy_document()),
                );
            }
            let attached: Vec<String> = iam
                .list_attached_role_policies()
                .role_name(name)
                .send()
                .await
                .unwrap()
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_name().map(str::to_owned))
                .collect();
            snap.insert(format!("{a} role {name} attached"), format!("{attached:?}"));
        }
        // ListRoles orders by role id, which AWS picks at random.
        role_names.sort();
        snap.insert(format!("{a} roles"), format!("{role_names:?}"));

        for r in regions {
            let gd = m.guardduty(r);
            let ids = gd
                .list_detectors()
                .send()
                .await
                .unwrap()
                .detector_ids()
                .to_vec();
            snap.insert(format!("{a} {r} detectors"), ids.len().to_string());
            for id in &ids {
                names.push((id.clone(), format!("<detector {a} {r}>")));
                let det = gd.get_detector().detector_id(id).send().await.unwrap();
                let features: BTreeMap<String, String> = det
                    .features()
                    .iter()
                    .filter_map(|f| {
                        Some((
                            f.name()?.as_str().to_owned(),
                            f.status()?.as_str().to_owned(),
                        ))
                    })
                    .collect();
                let tags: BTreeMap<String, String> = det
                    .tags()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default();
                snap.insert(
                    format!("{a} {r} detector"),
                    format!(
                        "status={:?} frequency={:?} features={features:?} tags={tags:?}",
                        det.status().map(|s| s.as_str().to_owned()),
                        det.finding_publishing_frequency()
                            .map(|f| f.as_str().to_owned()),
                    ),
                );
                let listed = gd
                    .list_publishing_destinations()
                    .detector_id(id)
                    .send()
                    .await
                    .unwrap();
                let mut destinations = Vec::new();
                for d in listed.destinations() {
                    let described = gd
                        .describe_publishing_destination()
                        .detector_id(id)
                        .set_destination_id(d.destination_id().map(str::to_owned))
                        .send()
                        .await
                        .unwrap();
                    let props = described.destination_properties();
                    destinations.push(format!(
                        "{:?} -> {:?} key {:?}",
                        described.status(),
                        props.and_then(|p| p.destination_arn()),
                        props.and_then(|p| p.kms_key_arn()),
                    ));
                }
                destinations.sort();
                snap.insert(format!("{a} {r} destinations"), format!("{destinations:?}"));
            }
        }
    }

    // Longest first, so that no identifier is replaced inside a longer one.
    names.sort_by_key(|(id, _)| std::cmp::Reverse(id.len()));
    for value in snap.values_mut() {
        for (id, name) in &names {
            if value.contains(id.as_str()) {
                *value = value.replace(id.as_str(), name);
            }
        }
    }
    snap
}

/// The entries of `a` and `b` that differ (`None`: missing on that side).
pub fn differences<'a>(
    a: &'a Snapshot,
    b: &'a Snapshot,
) -> Vec<(&'a str, Option<&'a str>, Option<&'a str>)> {
    let mut keys: Vec<&str> = a.keys().chain(b.keys()).map(String::as_str).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            (
                k,
                a.get(k).map(String::as_str),
                b.get(k).map(String::as_str),
            )
        })
        .collect()
}
