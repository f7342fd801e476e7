//! How a plan reads (issue #23): each shared document once under "Shared policy sizes", with the
//! form it will finally have, and notes (information) apart from warnings (what to act on), in
//! the human output and in the JSON.

#![expect(
    clippy::unwrap_used,
    reason = "test: a failure must fail the test loudly"
)]

use std::collections::BTreeSet;

use integration_tests::{SeedSpec, emulator};

use crate::cli_support::{Schema, TempDir, enable_trusted_access, run, write_config};
use crate::engine_support::{factory, hub};

/// The lines of the human plan's "Shared policy sizes:" section, by document.
fn size_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("Shared policy sizes:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| {
            l.trim()
                .split(": form")
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn the_plan_lists_each_shared_document_once_with_the_form_it_will_have() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 4,
        ous: 1,
        seed: 23,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new("plan-sizes");
    let config = write_config(dir.path(), "");
    let c = config.to_str().unwrap();

    let human = run(&emu, &["plan", "-c", c]);
    assert_eq!(human.code, 0, "{human:?}");
    let documents = size_lines(&human.stdout);
    let unique: BTreeSet<&String> = documents.iter().collect();
    assert!(!documents.is_empty(), "{}", human.stdout);
    assert_eq!(documents.len(), unique.len(), "{}", human.stdout);
    // The findings bucket's policy is written by the hub step (its TLS statement) and by the
    // patch step (the detectors): listed once, in the patch's form, which admits the detectors.
    let bucket = "arn:aws:s3:::acme-guardduty-findings#policy";
    assert_eq!(
        documents.iter().filter(|d| d.as_str() == bucket).count(),
        1,
        "{}",
        human.stdout
    );

    // What covers a new account: with direct roles and per-account export, nothing by itself.
    assert!(human.stdout.contains("New accounts:"), "{}", human.stdout);
    assert!(
        human
            .stdout
            .contains("member role  not automatic with `[members] deploy = \"direct\"`"),
        "{}",
        human.stdout
    );

    let json = run(&emu, &["plan", "-c", c, "--output", "json"]);
    assert_eq!(json.code, 0, "{json:?}");
    let plan = json.json();
    Schema::load().check("plan", &plan);
    Schema::load().check_new_accounts(&plan["new_accounts"]);
    assert_eq!(plan["new_accounts"]["member_role"]["automatic"], false);
    assert_eq!(plan["new_accounts"]["guardduty"]["automatic"], false);
    assert_eq!(plan["new_accounts"]["cloudtrail"]["automatic"], true);
    let decisions = plan["size_decisions"].as_array().unwrap();
    let names: Vec<&str> = decisions
        .iter()
        .map(|d| d["document"].as_str().unwrap())
        .collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(names.len(), unique.len(), "{names:?}");
    let findings = decisions.iter().find(|d| d["document"] == bucket).unwrap();
    assert_ne!(findings["form"], "fixed", "{findings}");

    // What apply reports is the same list.
    let report = dir.path().join("apply.json");
    let r = run(
        &emu,
        &[
            "apply",
            "--yes",
            "-c",
            c,
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let applied: Vec<&str> = report["size_decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["document"].as_str().unwrap())
        .collect();
    // The same documents (the keys' IDs are known now), each once.
    assert_eq!(applied.len(), names.len(), "{applied:?} / {names:?}");
    assert_eq!(
        applied.iter().collect::<BTreeSet<_>>().len(),
        applied.len(),
        "{applied:?}"
    );
}

fn landing_zone_config(
    dir: &std::path::Path,
    log_archive: &str,
    audit: &str,
) -> std::path::PathBuf {
    let text = format!(
        r#"[organization]
hub_account_id = "{log_archive}"
home_region = "us-east-1"
regions = ["us-east-1"]

[radiant]
external_id = "rs-notes-credential-0001"

[cloudtrail]
existing_trail = "auto"
sns_topic = "acme-cloudtrail-delivery"

[guardduty]
bucket = "acme-guardduty-findings"
sns_topic = "acme-guardduty-findings"
kms_alias = "alias/guardduty-findings"
export = "delegated-admin"
admin_account_id = "{audit}"
"#
    );
    let path = dir.join("onboard.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Control Tower's log bucket and key hardened as the CIS checks want (versioning, SSE-KMS with
/// the trail's key and a Bucket Key, rotation): a landing zone with nothing to advise.
async fn harden_control_tower(
    emu: &integration_tests::EmulatorGuard,
    lz: &integration_tests::SeededLandingZone,
) {
    use orchestrator::aws::sdk::s3::types::{
        BucketVersioningStatus, ServerSideEncryption, ServerSideEncryptionByDefault,
        ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
    };
    let aws = factory(emu).await;
    // Control Tower's guardrails exempt only its own execution role.
    let log_archive = aws
        .assume_role(
            &hub(&aws),
            "us-east-1",
            &lz.log_archive,
            &format!(
                "arn:aws:iam::{}:role/AWSControlTowerExecution",
                lz.log_archive
            ),
            None,
        )
        .await
        .unwrap();
    let s3 = log_archive.s3("us-east-1");
    s3.put_bucket_versioning()
        .bucket(&lz.trail_bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let by_default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(ServerSideEncryption::AwsKms)
        .kms_master_key_id(&lz.trail_key_arn)
        .build()
        .unwrap();
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(by_default)
        .bucket_key_enabled(true)
        .build();
    s3.put_bucket_encryption()
        .bucket(&lz.trail_bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    hub(&aws)
        .kms("us-east-1")
        .enable_key_rotation()
        .key_id(&lz.trail_key_arn)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_landing_zone_plans_with_notes_and_no_warnings() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 3,
        ous: 1,
        landing_zone: true,
        seed: 24,
        ..SeedSpec::default()
    });
    let lz = seeded.landing_zone.unwrap();
    harden_control_tower(&emu, &lz).await;
    let dir = TempDir::new("plan-notes");
    let config = landing_zone_config(dir.path(), &lz.log_archive, &lz.audit);
    let c = config.to_str().unwrap();

    let human = run(&emu, &["plan", "-c", c]);
    assert_eq!(human.code, 0, "{human:?}");
    let notes: Vec<&str> = human
        .stdout
        .lines()
        .filter(|l| l.starts_with("note: "))
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains(&lz.trail_arn) && n.contains("is reused")),
        "{}",
        human.stdout
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains(&lz.audit) && n.contains("only its detectors export")),
        "{}",
        human.stdout
    );
    assert!(
        !human.stdout.contains("warning:"),
        "a healthy landing zone has nothing to act on:\n{}",
        human.stdout
    );

    let json = run(&emu, &["plan", "-c", c, "--output", "json"]);
    assert_eq!(json.code, 0, "{json:?}");
    let plan = json.json();
    Schema::load().check("plan", &plan);
    assert_eq!(plan["warnings"], serde_json::json!([]), "{plan}");
    // GuardDuty through the managed administrator and the organization trail cover a new
    // account; the member role does not with `deploy = "direct"`.
    assert_eq!(
        plan["new_accounts"]["guardduty"]["automatic"], true,
        "{plan}"
    );
    assert_eq!(
        plan["new_accounts"]["cloudtrail"]["automatic"], true,
        "{plan}"
    );
    assert_eq!(
        plan["new_accounts"]["member_role"]["automatic"], false,
        "{plan}"
    );
    let json_notes: Vec<&str> = plan["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(json_notes.len(), notes.len(), "{json_notes:?} / {notes:?}");
    for n in &json_notes {
        assert!(notes.contains(&format!("note: {n}").as_str()), "{n}");
    }

    // apply prints the same notes once, and its report keeps them apart from the warnings.
    let report = dir.path().join("apply.json");
    let r = run(
        &emu,
        &[
            "apply",
            "--yes",
            "-c",
            c,
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stdout.contains("warning:"), "{}", r.stdout);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    Schema::load().check_report(&report);
    assert_eq!(report["warnings"], serde_json::json!([]), "{report}");
    assert!(!report["notes"].as_array().unwrap().is_empty(), "{report}");
}
