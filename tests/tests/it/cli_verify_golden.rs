//! `verify`'s output, human and JSON, byte for byte, on the tests' organizations: a greenfield
//! organization (an opt-in Region one account has not enabled, retention, access logging) and a
//! Control Tower landing zone (the organization trail reused, GuardDuty's managed delegated
//! administrator, `hardening = "enforce"`), each once healthy and once after drift.
//!
//! The expected outputs are the files of `tests/fixtures/verify/`, recorded from the verify of
//! the release before each resource verified itself (issue #20): the reshaping must keep them.
//! Identifiers AWS draws at random (detector, destination and key IDs) are masked; everything
//! else, the API call counts of the JSON included, is compared as printed. To record them anew
//! after a deliberate change of verify's output, run the tests with
//! `RADIANT_BLESS_GOLDEN=1` and review the diff of the fixtures.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test: a failure must fail the test loudly"
)]

use std::path::{Path, PathBuf};

use integration_tests::{EmulatorGuard, SeedSpec, emulator};
use orchestrator::aws::sdk;
use policy_model::builders::sid;

use crate::cli_support::{TempDir, run};
use crate::engine_support::{enable_trusted_access, factory, hub, member};

const EXTERNAL_ID: &str = "rs-golden-credential-0001";
const GD_BUCKET: &str = "acme-guardduty-findings";
const CT_BUCKET: &str = "acme-cloudtrail-logs";
const ACCESS_LOGS_BUCKET: &str = "acme-cloudtrail-access-logs";
const MEMBER_ROLE: &str = "radiant-aws-member-role";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/verify")
        .join(name)
}

/// True for a run of `[0-9a-f]` that AWS draws at random: a UUID (key IDs) or 32 hex digits
/// (detector and destination IDs).
fn random_id(word: &str) -> bool {
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    let parts: Vec<&str> = word.split('-').collect();
    let uuid = parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts.iter().all(|p| hex(p));
    uuid || (word.len() == 32 && hex(word))
}

/// `text` with every random identifier replaced by `<id>`, and the times an enrolment gap shows
/// (when the account joined, how long ago) by `<time>` and `<n>`.
fn masked(text: &str) -> String {
    masked_ids(&masked_times(text))
}

/// RFC 3339 times (`2026-12-07T02:00:00Z`) by `<time>`; the number after `"waited_s": ` and
/// before ` min ago` by `<n>`.
fn masked_times(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    let is_time = |b: &[u8]| {
        b.len() >= 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'Z'
            && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
                .iter()
                .all(|&k| b[k].is_ascii_digit())
    };
    while i < bytes.len() {
        if is_time(&bytes[i..]) {
            out.push_str("<time>");
            i += 20;
            continue;
        }
        let rest = &text[i..];
        if let Some(after) = rest.strip_prefix("\"waited_s\": ") {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                out.push_str("\"waited_s\": <n>");
                i += "\"waited_s\": ".len() + digits;
                continue;
            }
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with(" min ago") {
            out.push_str("<n>");
            i += digits;
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// `text` with every random identifier replaced by `<id>`.
fn masked_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if random_id(word) {
            out.push_str("<id>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Runs `verify` human and JSON with `config` and returns both, as the fixture holds them.
fn verify_outputs(emu: &EmulatorGuard, config: &Path) -> String {
    let c = config.to_str().unwrap();
    let human = run(emu, &["verify", "-c", c]);
    let json = run(emu, &["verify", "-c", c, "--output", "json"]);
    masked(&format!(
        "$ radiant-onboard verify (exit {})\n{}$ radiant-onboard verify --output json (exit {})\n{}",
        human.code, human.stdout, json.code, json.stdout
    ))
}

/// Compares `actual` with the fixture `name` (or records it with `RADIANT_BLESS_GOLDEN=1`).
fn assert_golden(name: &str, actual: &str) {
    let path = fixture(name);
    if std::env::var_os("RADIANT_BLESS_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .find(|(_, (e, a))| e != a)
            .map(|(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1))
            .unwrap_or_else(|| "one output is a prefix of the other".to_owned());
        panic!(
            "verify's output differs from {} ({first})\n--- actual\n{actual}",
            path.display()
        );
    }
}

fn greenfield_config(dir: &Path, exclude: Option<&str>) -> PathBuf {
    let exclude = exclude.map_or_else(String::new, |a| format!("exclude_accounts = [\"{a}\"]"));
    let text = format!(
        r#"[organization]
home_region = "us-east-1"
regions = ["us-east-1", "af-south-1"]
{exclude}

[radiant]
external_id = "{EXTERNAL_ID}"

[cloudtrail]
bucket = "{CT_BUCKET}"
sns_topic = "acme-cloudtrail-delivery"
kms_alias = "alias/cloudtrail-log-encryption"
access_logs_bucket = "{ACCESS_LOGS_BUCKET}"

[guardduty]
bucket = "{GD_BUCKET}"
sns_topic = "acme-guardduty-findings"
kms_alias = "alias/guardduty-findings"

[retention]
days = 400

[run]
concurrency = 1
"#
    );
    let path = dir.join(if exclude.is_empty() {
        "onboard.toml"
    } else {
        "narrowed.toml"
    });
    std::fs::write(&path, text).unwrap();
    path
}

/// The policy document `text` without the statement whose `Sid` is `drop`.
fn without_statement(text: &str, drop: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
    let statements = value["Statement"].as_array_mut().unwrap();
    statements.retain(|s| s["Sid"] != drop);
    value.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_output_of_a_greenfield_organization_healthy_and_drifted() {
    let emu = emulator();
    let mut disabled = serde_json::Map::new();
    disabled.insert("first:1".to_owned(), serde_json::json!(["af-south-1"]));
    let seeded = emu.seed(&SeedSpec {
        accounts: 4,
        ous: 2,
        suspended: 1,
        regions: vec!["us-east-1".to_owned(), "af-south-1".to_owned()],
        disabled_regions: disabled,
        seed: 2020,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let dir = TempDir::new("verify-golden");
    let config = greenfield_config(dir.path(), None);
    let r = run(&emu, &["apply", "--yes", "-c", config.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_golden("greenfield-healthy.txt", &verify_outputs(&emu, &config));

    // Drift: someone else's changes after the apply.
    let active = seeded.active_account_ids();
    let (gone_role, gone_destination, excluded) = (&active[1], &active[2], &active[0]);
    // A member role deleted.
    let iam = member(&aws, gone_role).await.iam("us-east-1");
    iam.delete_role_policy()
        .role_name(MEMBER_ROLE)
        .policy_name(format!("{MEMBER_ROLE}-permissions"))
        .send()
        .await
        .unwrap();
    iam.delete_role()
        .role_name(MEMBER_ROLE)
        .send()
        .await
        .unwrap();
    // A publishing destination deleted.
    let gd = member(&aws, gone_destination).await.guardduty("us-east-1");
    let detector = gd.list_detectors().send().await.unwrap().detector_ids()[0].clone();
    for d in gd
        .list_publishing_destinations()
        .detector_id(&detector)
        .send()
        .await
        .unwrap()
        .destinations()
    {
        gd.delete_publishing_destination()
            .detector_id(&detector)
            .destination_id(d.destination_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    let mgmt = hub(&aws);
    // The hub role trusts Radiant with another external ID.
    let hub_iam = mgmt.iam("us-east-1");
    let role = hub_iam
        .get_role()
        .role_name("radiant-aws-access-role")
        .send()
        .await
        .unwrap();
    let trust = percent_encoding::percent_decode_str(
        role.role().unwrap().assume_role_policy_document().unwrap(),
    )
    .decode_utf8()
    .unwrap()
    .into_owned();
    hub_iam
        .update_assume_role_policy()
        .role_name("radiant-aws-access-role")
        .policy_document(trust.replace(EXTERNAL_ID, "rs-someone-elses-credential"))
        .send()
        .await
        .unwrap();
    // The findings bucket's versioning suspended and its notification removed; the CloudTrail
    // bucket's access logging turned off; the CloudTrail key's rotation turned off.
    let s3 = mgmt.s3("us-east-1");
    s3.put_bucket_versioning()
        .bucket(GD_BUCKET)
        .versioning_configuration(
            sdk::s3::types::VersioningConfiguration::builder()
                .status(sdk::s3::types::BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_notification_configuration()
        .bucket(GD_BUCKET)
        .notification_configuration(sdk::s3::types::NotificationConfiguration::builder().build())
        .send()
        .await
        .unwrap();
    s3.put_bucket_logging()
        .bucket(CT_BUCKET)
        .bucket_logging_status(sdk::s3::types::BucketLoggingStatus::builder().build())
        .send()
        .await
        .unwrap();
    let kms = mgmt.kms("us-east-1");
    let key = kms
        .describe_key()
        .key_id("alias/cloudtrail-log-encryption")
        .send()
        .await
        .unwrap();
    kms.disable_key_rotation()
        .key_id(key.key_metadata().unwrap().key_id())
        .send()
        .await
        .unwrap();
    // An account the configuration no longer covers: its detectors are orphans of the shared
    // policies.
    let narrowed = greenfield_config(dir.path(), Some(excluded));
    assert_golden("greenfield-drifted.txt", &verify_outputs(&emu, &narrowed));
}

fn landing_zone_config(dir: &Path, log_archive: &str, audit: &str) -> PathBuf {
    let text = format!(
        r#"[organization]
hub_account_id = "{log_archive}"
home_region = "us-east-1"
regions = ["us-east-1", "eu-west-1"]

[radiant]
external_id = "{EXTERNAL_ID}"

[cloudtrail]
existing_trail = "auto"
sns_topic = "acme-cloudtrail-delivery"

[guardduty]
bucket = "{GD_BUCKET}"
sns_topic = "acme-guardduty-findings"
kms_alias = "alias/guardduty-findings"
export = "delegated-admin"
admin_account_id = "{audit}"

hardening = "enforce"

[run]
concurrency = 1
"#
    );
    // `hardening` is a top-level key: it must come before the first table.
    let text = text.replace("\nhardening = \"enforce\"\n", "\n");
    let text = format!("hardening = \"enforce\"\n{text}");
    let path = dir.join("onboard.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_output_of_a_landing_zone_healthy_and_drifted() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 4,
        ous: 2,
        regions: vec!["us-east-1".to_owned(), "eu-west-1".to_owned()],
        landing_zone: true,
        seed: 2021,
        ..SeedSpec::default()
    });
    let lz = seeded.landing_zone.clone().unwrap();
    let dir = TempDir::new("verify-golden-lz");
    let config = landing_zone_config(dir.path(), &lz.log_archive, &lz.audit);
    let r = run(&emu, &["apply", "--yes", "-c", config.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_golden("landing-zone-healthy.txt", &verify_outputs(&emu, &config));

    // Drift: the administrator turns S3 protection off for one member and removes another from
    // its members; the trail's key loses the hub role's decrypt statement; the trail bucket's
    // notification is removed.
    let aws = factory(&emu).await;
    let workloads: Vec<String> = seeded
        .accounts
        .iter()
        .filter(|a| a.status == "ACTIVE" && a.id != lz.audit && a.id != lz.log_archive)
        .map(|a| a.id.clone())
        .collect();
    let admin = member(&aws, &lz.audit).await.guardduty("us-east-1");
    let detector = admin.list_detectors().send().await.unwrap().detector_ids()[0].clone();
    admin
        .update_member_detectors()
        .detector_id(&detector)
        .account_ids(&workloads[0])
        .features(
            sdk::guardduty::types::MemberFeaturesConfiguration::builder()
                .name(sdk::guardduty::types::OrgFeature::S3DataEvents)
                .status(sdk::guardduty::types::FeatureStatus::Disabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    admin
        .disassociate_members()
        .detector_id(&detector)
        .account_ids(&workloads[1])
        .send()
        .await
        .unwrap();
    admin
        .delete_members()
        .detector_id(&detector)
        .account_ids(&workloads[1])
        .send()
        .await
        .unwrap();
    let kms = hub(&aws).kms("us-east-1");
    let policy = kms
        .get_key_policy()
        .key_id(&lz.trail_key_arn)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    kms.put_key_policy()
        .key_id(&lz.trail_key_arn)
        .policy_name("default")
        .policy(without_statement(
            policy.policy().unwrap(),
            sid::CLOUDTRAIL_DECRYPT,
        ))
        .send()
        .await
        .unwrap();
    member(&aws, &lz.log_archive)
        .await
        .s3("us-east-1")
        .put_bucket_notification_configuration()
        .bucket(&lz.trail_bucket)
        .notification_configuration(sdk::s3::types::NotificationConfiguration::builder().build())
        .send()
        .await
        .unwrap();
    assert_golden("landing-zone-drifted.txt", &verify_outputs(&emu, &config));
}
