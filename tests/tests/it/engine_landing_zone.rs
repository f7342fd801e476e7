//! Landing-zone organizations: the hub (the account that centralizes the logs, e.g. Log
//! Archive) is not the caller (the management account). Every hub resource is written in the hub
//! through the access role; the organization trail stays with the management account, which is
//! then a member like any other (member role, detectors).

use crate::engine_support::*;
use integration_tests::{DEFAULT_REGION, MANAGEMENT_ACCOUNT_ID, SeedSpec, emulator};
use orchestrator::engine::{self, OffboardOptions, VerifyOptions};
use orchestrator::outcome::AccountRole;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_in_another_account_is_built_there_from_the_management_account() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 3,
        regions: vec![DEFAULT_REGION.to_owned()],
        ..SeedSpec::default()
    });
    let hub_id = seeded.accounts[0].id.clone();
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let mut cfg = config(&[DEFAULT_REGION], "");
    cfg.organization.hub_account_id = Some(hub_id.parse().expect("an account ID"));
    let ctx = context(aws.clone(), 4);

    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(
        !applied.has_failures(),
        "{:#?} {:#?}",
        applied.hub,
        applied.accounts
    );
    assert_eq!(applied.hub_account_id, hub_id);
    assert_eq!(
        applied.handoff.role_arn,
        format!("arn:aws:iam::{hub_id}:role/{}", cfg.radiant.role_name)
    );

    // The hub's resources are in the hub, none in the management account.
    let hub_clients = member(&aws, &hub_id).await;
    let s3 = hub_clients.s3(DEFAULT_REGION);
    for bucket in [CT_BUCKET, GD_BUCKET] {
        s3.head_bucket()
            .bucket(bucket)
            .expected_bucket_owner(&hub_id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{bucket} is the hub's: {e:?}"));
    }
    hub_clients
        .iam(DEFAULT_REGION)
        .get_role()
        .role_name(&cfg.radiant.role_name)
        .send()
        .await
        .expect("the hub role is in the hub");
    let mgmt = hub(&aws);
    let mgmt_buckets = mgmt
        .s3(DEFAULT_REGION)
        .list_buckets()
        .send()
        .await
        .expect("list");
    assert!(
        mgmt_buckets.buckets().is_empty(),
        "nothing of the hub in the management account: {:?}",
        mgmt_buckets.buckets()
    );

    // The organization trail is the management account's, writing to the hub's bucket.
    let trail = mgmt
        .cloudtrail(DEFAULT_REGION)
        .get_trail()
        .name("management-events")
        .send()
        .await
        .expect("trail")
        .trail
        .expect("a trail");
    assert_eq!(trail.s3_bucket_name(), Some(CT_BUCKET));
    assert!(
        trail
            .trail_arn()
            .is_some_and(|a| a.contains(&format!(":{MANAGEMENT_ACCOUNT_ID}:trail/"))),
        "{trail:?}"
    );
    assert!(
        trail
            .sns_topic_arn()
            .is_some_and(|a| a.contains(&format!(":{hub_id}:"))),
        "the trail notifies the hub's topic: {trail:?}"
    );

    // The management account is a member (member role, detector); the hub has no member role.
    let roles: Vec<(&str, AccountRole, Option<&str>)> = applied
        .accounts
        .iter()
        .map(|a| (a.id.as_str(), a.role, a.member_role_arn.as_deref()))
        .collect();
    let management = roles
        .iter()
        .find(|(id, ..)| *id == MANAGEMENT_ACCOUNT_ID)
        .expect("the management account is covered");
    assert_eq!(management.1, AccountRole::Member);
    assert_eq!(
        management.2,
        Some(
            format!(
                "arn:aws:iam::{MANAGEMENT_ACCOUNT_ID}:role/{}",
                cfg.radiant.member_role_name
            )
            .as_str()
        )
    );
    let hub_row = roles
        .iter()
        .find(|(id, ..)| *id == hub_id)
        .expect("the hub is covered");
    assert_eq!(hub_row.1, AccountRole::Hub);
    assert_eq!(hub_row.2, None);

    // A second run changes nothing; verify passes; offboard leaves nothing of ours.
    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
    let verified = engine::verify(
        &cfg,
        &ctx,
        &VerifyOptions {
            sample_findings: false,
            wait: std::time::Duration::ZERO,
        },
    )
    .await
    .expect("verify");
    let failed: Vec<_> = verified.checks.iter().filter(|c| !c.ok).collect();
    assert!(failed.is_empty(), "{failed:#?}");

    let opts = OffboardOptions { keep_data: false };
    let off = engine::offboard(&cfg, &ctx, &opts).await.expect("offboard");
    assert!(!off.has_failures(), "{:#?}", off.accounts);
    let left = engine::plan_offboard(&cfg, &ctx, &opts)
        .await
        .expect("plan --offboard");
    assert!(!left.has_changes(), "{:#?}", left.changes);
    assert!(
        s3.head_bucket().bucket(GD_BUCKET).send().await.is_err(),
        "the hub's findings bucket is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_elsewhere_needs_the_management_account() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 3,
        regions: vec![DEFAULT_REGION.to_owned()],
        ..SeedSpec::default()
    });
    let (caller, hub_id) = (seeded.accounts[1].id.clone(), seeded.accounts[0].id.clone());
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    // Credentials of a member account that is not the hub.
    let (key, secret) = emu.credentials_for(&format!(
        "arn:aws:iam::{caller}:role/OrganizationAccountAccessRole"
    ));
    let opts = orchestrator::aws::AwsOptions {
        endpoint_url: Some(emu.endpoint().to_owned()),
        profile: None,
        region: Some(DEFAULT_REGION.to_owned()),
    };
    let aws = orchestrator::aws::SdkFactory::load_with_static_credentials(&opts, &key, &secret)
        .await
        .expect("factory");
    let mut cfg = config(&[DEFAULT_REGION], "");
    cfg.organization.hub_account_id = Some(hub_id.parse().expect("an account ID"));
    emu.reset_counters();
    let err = engine::plan(&cfg, &context(aws, 2))
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("hub_account_id") && text.contains("management account"),
        "{text}"
    );
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
}

/// A landing-zone configuration: the hub in Log Archive, the organization trail reused.
fn landing_zone_config(log_archive: &str, cloudtrail: &str) -> orchestrator::config::Config {
    landing_zone_config_with(log_archive, cloudtrail, "")
}

/// [`landing_zone_config`] with extra `[guardduty]` lines.
#[expect(
    clippy::expect_used,
    reason = "test fixture: a broken fixture must fail the test loudly"
)]
fn landing_zone_config_with(
    log_archive: &str,
    cloudtrail: &str,
    guardduty: &str,
) -> orchestrator::config::Config {
    let text = format!(
        r#"
[organization]
hub_account_id = "{log_archive}"
home_region = "{DEFAULT_REGION}"
regions = ["{DEFAULT_REGION}"]

[radiant]
external_id = "{EXTERNAL_ID}"

[cloudtrail]
sns_topic = "radiant-cloudtrail"
{cloudtrail}

[guardduty]
bucket = "{GD_BUCKET}"
kms_alias = "alias/guardduty-findings"
sns_topic = "radiant-guardduty"
{guardduty}
"#
    );
    orchestrator::config::Config::from_toml_str_with_env(&text, None).expect("valid")
}

fn landing_zone_seed() -> SeedSpec {
    SeedSpec {
        accounts: 3,
        regions: vec![DEFAULT_REGION.to_owned()],
        landing_zone: true,
        ..SeedSpec::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organization_trail_is_reused_and_nothing_of_control_tower_is_changed() {
    let emu = emulator();
    let seeded = emu.seed(&landing_zone_seed());
    let lz = seeded.landing_zone.clone().expect("a landing zone");
    let aws = factory(&emu).await;
    let cfg = landing_zone_config(&lz.log_archive, "existing_trail = \"auto\"");
    let ctx = context(aws.clone(), 4);

    let planned = engine::plan(&cfg, &ctx).await.expect("plan");
    assert!(
        !planned
            .changes
            .iter()
            .any(|c| c.resource.contains(":trail/")),
        "no trail is planned: {:#?}",
        planned.changes
    );
    assert!(
        planned
            .notes
            .iter()
            .any(|w| w.contains(&lz.trail_arn) && w.contains("reused")),
        "{:#?}",
        planned.notes
    );

    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(
        !applied.has_failures(),
        "{:#?} {:#?}",
        applied.hub,
        applied.accounts
    );
    assert_eq!(emu.guardrail_denials(), 0, "no guardrail was hit");
    let mgmt = hub(&aws);
    let trails = mgmt
        .cloudtrail(DEFAULT_REGION)
        .describe_trails()
        .send()
        .await
        .expect("trails");
    let names: Vec<_> = trails
        .trail_list()
        .iter()
        .filter_map(|t| t.name())
        .collect();
    assert_eq!(names, vec![lz.trail_name.as_str()], "no second trail");

    // The wiring, in Log Archive (bucket, topic) and in the management account (key).
    let log_archive = member(&aws, &lz.log_archive).await;
    let rules = log_archive
        .s3(DEFAULT_REGION)
        .get_bucket_notification_configuration()
        .bucket(&lz.trail_bucket)
        .send()
        .await
        .expect("notification");
    let ours = rules
        .topic_configurations()
        .iter()
        .find(|t| t.id() == Some("radiant-onboard-cloudtrail-logs"))
        .expect("the product's entry");
    assert!(
        ours.topic_arn()
            .contains(&format!(":{}:radiant-cloudtrail", lz.log_archive))
    );
    let prefix = format!("{:?}", ours.filter());
    assert!(
        prefix.contains(&format!("{}/AWSLogs/", lz.trail_prefix)),
        "{prefix}"
    );
    let key_policy = mgmt
        .kms(DEFAULT_REGION)
        .get_key_policy()
        .key_id(&lz.trail_key_arn)
        .policy_name("default")
        .send()
        .await
        .expect("key policy")
        .policy
        .unwrap_or_default();
    let hub_role = format!(
        "arn:aws:iam::{}:role/{}",
        lz.log_archive, cfg.radiant.role_name
    );
    assert!(
        key_policy.contains("RadiantOnboardCloudTrailDecrypt") && key_policy.contains(&hub_role),
        "the hub role may decrypt the trail's logs: {key_policy}"
    );
    assert_eq!(
        applied.handoff.role_arn, hub_role,
        "the hand-off names the hub's role"
    );

    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));

    let verified = engine::verify(
        &cfg,
        &ctx,
        &VerifyOptions {
            sample_findings: false,
            wait: std::time::Duration::ZERO,
        },
    )
    .await
    .expect("verify");
    let failed: Vec<_> = verified.checks.iter().filter(|c| !c.ok).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    for name in [
        "trail-logging",
        "trail-bucket-notification",
        "trail-key-decrypt",
    ] {
        assert!(
            verified.checks.iter().any(|c| c.name == name),
            "verify checks {name}"
        );
    }

    let opts = OffboardOptions { keep_data: false };
    let off = engine::offboard(&cfg, &ctx, &opts).await.expect("offboard");
    assert!(!off.has_failures(), "{:#?}", off.accounts);
    assert_eq!(emu.guardrail_denials(), 0, "offboard hit no guardrail");
    let status = mgmt
        .cloudtrail(DEFAULT_REGION)
        .get_trail_status()
        .name(&lz.trail_arn)
        .send()
        .await
        .expect("the trail is still there");
    assert_eq!(status.is_logging, Some(true));
    let rules = log_archive
        .s3(DEFAULT_REGION)
        .get_bucket_notification_configuration()
        .bucket(&lz.trail_bucket)
        .send()
        .await
        .expect("notification");
    assert!(
        !rules
            .topic_configurations()
            .iter()
            .any(|t| t.id() == Some("radiant-onboard-cloudtrail-logs")),
        "our entry is gone"
    );
    let key_policy = mgmt
        .kms(DEFAULT_REGION)
        .get_key_policy()
        .key_id(&lz.trail_key_arn)
        .policy_name("default")
        .send()
        .await
        .expect("key policy")
        .policy
        .unwrap_or_default();
    assert!(!key_policy.contains("RadiantOnboard"), "{key_policy}");
}

/// The organization trail and its bucket live in `us-east-1`, the hub's home Region is
/// `eu-west-1`: the topic is made in the bucket's Region and the decrypt statement in the key's,
/// verify reads them there, offboard removes them there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trail_of_another_region_is_wired_in_its_bucket_region() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        regions: vec![DEFAULT_REGION.to_owned(), "eu-west-1".to_owned()],
        ..landing_zone_seed()
    });
    let lz = seeded.landing_zone.clone().expect("a landing zone");
    let aws = factory(&emu).await;
    let mut cfg = landing_zone_config(&lz.log_archive, "existing_trail = \"auto\"");
    let home: policy_model::Region = "eu-west-1".parse().expect("a Region");
    cfg.organization.home_region = home.clone();
    cfg.organization.regions = vec![home];
    let ctx = context(aws.clone(), 4);

    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(
        !applied.has_failures(),
        "{:#?} {:#?}",
        applied.hub,
        applied.accounts
    );
    assert_eq!(emu.guardrail_denials(), 0, "no guardrail was hit");
    let log_archive = member(&aws, &lz.log_archive).await;
    let topic_arn = format!(
        "arn:aws:sns:{DEFAULT_REGION}:{}:radiant-cloudtrail",
        lz.log_archive
    );
    let attrs = log_archive
        .sns(DEFAULT_REGION)
        .get_topic_attributes()
        .topic_arn(&topic_arn)
        .send()
        .await
        .expect("the topic is in the bucket's Region");
    assert!(
        attrs
            .attributes()
            .and_then(|a| a.get("Policy"))
            .is_some_and(|p| p.contains(&lz.trail_bucket))
    );
    let rules = log_archive
        .s3(DEFAULT_REGION)
        .get_bucket_notification_configuration()
        .bucket(&lz.trail_bucket)
        .send()
        .await
        .expect("notification");
    assert!(
        rules
            .topic_configurations()
            .iter()
            .any(|t| t.topic_arn() == topic_arn),
        "{rules:?}"
    );
    let mgmt = hub(&aws);
    let key_policy = mgmt
        .kms(DEFAULT_REGION)
        .get_key_policy()
        .key_id(&lz.trail_key_arn)
        .policy_name("default")
        .send()
        .await
        .expect("key policy")
        .policy
        .unwrap_or_default();
    assert!(key_policy.contains("RadiantOnboardCloudTrailDecrypt"));
    // Nothing of the trail's wiring went to the home Region.
    let home_topics = log_archive
        .sns("eu-west-1")
        .list_topics()
        .send()
        .await
        .expect("topics");
    assert!(
        !home_topics.topics().iter().any(|t| t
            .topic_arn()
            .is_some_and(|a| a.ends_with(":radiant-cloudtrail"))),
        "{home_topics:?}"
    );

    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
    let verified = engine::verify(
        &cfg,
        &ctx,
        &VerifyOptions {
            sample_findings: false,
            wait: std::time::Duration::ZERO,
        },
    )
    .await
    .expect("verify");
    let failed: Vec<_> = verified.checks.iter().filter(|c| !c.ok).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    let topic_check = verified
        .checks
        .iter()
        .find(|c| c.name == "trail-topic-policy")
        .expect("the topic is checked");
    assert_eq!(topic_check.region.as_deref(), Some(DEFAULT_REGION));

    let opts = OffboardOptions { keep_data: false };
    let off = engine::offboard(&cfg, &ctx, &opts).await.expect("offboard");
    assert!(!off.has_failures(), "{:#?}", off.accounts);
    assert!(
        log_archive
            .sns(DEFAULT_REGION)
            .get_topic_attributes()
            .topic_arn(&topic_arn)
            .send()
            .await
            .is_err(),
        "the topic is removed from the bucket's Region"
    );
    let key_policy = mgmt
        .kms(DEFAULT_REGION)
        .get_key_policy()
        .key_id(&lz.trail_key_arn)
        .policy_name("default")
        .send()
        .await
        .expect("key policy")
        .policy
        .unwrap_or_default();
    assert!(!key_policy.contains("RadiantOnboard"), "{key_policy}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_organization_trail_is_refused_unless_asked_for() {
    let emu = emulator();
    let seeded = emu.seed(&landing_zone_seed());
    let lz = seeded.landing_zone.clone().expect("a landing zone");
    let aws = factory(&emu).await;
    let ctx = context(aws.clone(), 4);
    let create = format!("bucket = \"{CT_BUCKET}\"");
    let cfg = landing_zone_config(&lz.log_archive, &create);
    emu.reset_counters();
    let err = engine::plan(&cfg, &ctx).await.expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains(&lz.trail_arn)
            && text.contains("$2.00 per 100,000")
            && text.contains("existing_trail = \"auto\"")
            && text.contains("allow_second_trail = true"),
        "{text}"
    );
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));

    let cfg = landing_zone_config(
        &lz.log_archive,
        &format!("{create}\nallow_second_trail = true"),
    );
    let planned = engine::plan(&cfg, &ctx)
        .await
        .expect("plan with the opt-in");
    assert!(
        planned
            .changes
            .iter()
            .any(|c| c.resource.ends_with(":trail/management-events")),
        "{:#?}",
        planned.changes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guardduty_is_managed_through_the_delegated_administrator() {
    const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
    let emu = emulator();
    // 52 workloads + Log Archive + Audit + the management account: 54 members besides the
    // administrator, so CreateMembers is called in two batches (at most 50 each) per Region.
    let seeded = emu.seed(&SeedSpec {
        accounts: 52,
        ous: 2,
        regions: REGIONS.iter().map(|r| (*r).to_owned()).collect(),
        landing_zone: true,
        ..SeedSpec::default()
    });
    let lz = seeded.landing_zone.clone().expect("a landing zone");
    let aws = factory(&emu).await;
    let mut cfg = landing_zone_config_with(
        &lz.log_archive,
        "existing_trail = \"auto\"",
        &format!(
            "export = \"delegated-admin\"\nadmin_account_id = \"{}\"",
            lz.audit
        ),
    );
    cfg.organization.regions = REGIONS
        .iter()
        .map(|r| r.parse().expect("a Region"))
        .collect();
    let ctx = context(aws.clone(), 16);

    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(
        !applied.has_failures(),
        "{:#?} {:#?}",
        applied.hub,
        applied
            .accounts
            .iter()
            .filter(|a| a.error.is_some() || a.regions.iter().any(|r| r.error.is_some()))
            .collect::<Vec<_>>()
    );
    let w = writes(&emu);
    assert_eq!(
        w.get("guardduty:EnableOrganizationAdminAccount"),
        Some(&2),
        "{w:#?}"
    );
    assert_eq!(
        w.get("guardduty:UpdateOrganizationConfiguration"),
        Some(&2),
        "{w:#?}"
    );
    assert_eq!(
        w.get("guardduty:CreateMembers"),
        Some(&4),
        "two batches per Region: {w:#?}"
    );
    // No member's detector is written one by one (AWS refuses a member's frequency).
    let member_detector_writes: Vec<_> = emu
        .counters()
        .calls
        .into_iter()
        .filter(|c| c.write && c.service == "guardduty")
        .filter(|c| c.account != lz.audit && c.account != MANAGEMENT_ACCOUNT_ID)
        .collect();
    assert!(
        member_detector_writes.is_empty(),
        "{member_detector_writes:#?}"
    );
    // Destinations only on the administrator, one per Region.
    for a in &applied.accounts {
        let exported: Vec<_> = a
            .regions
            .iter()
            .filter(|r| r.destination_id.is_some())
            .collect();
        if a.id == lz.audit {
            assert_eq!(exported.len(), 2, "{a:#?}");
        } else {
            assert!(exported.is_empty(), "{a:#?}");
        }
    }
    let audit = member(&aws, &lz.audit).await;
    for region in REGIONS {
        let admins = hub(&aws)
            .guardduty(region)
            .list_organization_admin_accounts()
            .send()
            .await
            .expect("admins");
        assert!(
            admins
                .admin_accounts()
                .iter()
                .any(|a| a.admin_account_id() == Some(lz.audit.as_str())),
            "{region}: {admins:?}"
        );
    }

    // A re-run writes nothing; a workload member costs at most 3 calls.
    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
    // The members' S3 protection is read through the administrator, 50 accounts a call: two
    // GetMemberDetectors per Region for 54 members.
    let member_reads: u64 = emu
        .counters()
        .calls
        .iter()
        .filter(|c| c.operation == "GetMemberDetectors" && c.account == lz.audit)
        .map(|c| c.count)
        .sum();
    assert_eq!(member_reads, 4);
    let workload = &seeded.accounts[2].id;
    let (reads, writes_made) = calls_of(&emu, workload);
    assert!(
        reads + writes_made <= 3,
        "{workload}: {reads} reads, {writes_made} writes"
    );

    let verified = engine::verify(
        &cfg,
        &ctx,
        &VerifyOptions {
            sample_findings: false,
            wait: std::time::Duration::ZERO,
        },
    )
    .await
    .expect("verify");
    let failed: Vec<_> = verified.checks.iter().filter(|c| !c.ok).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(
        verified
            .checks
            .iter()
            .any(|c| c.name == "guardduty-members")
    );
    assert_eq!(
        verified
            .checks
            .iter()
            .filter(|c| c.name == "members-s3-protection" && c.ok)
            .count(),
        2
    );

    // A member's S3 protection turned off (by the administrator, as a console user would):
    // verify names the member, apply turns it on again through the administrator only.
    let off_member = seeded.accounts[5].id.clone();
    let gd = audit.guardduty(REGIONS[1]);
    let detector = gd
        .list_detectors()
        .send()
        .await
        .expect("detectors")
        .detector_ids()
        .first()
        .cloned()
        .expect("the administrator's detector");
    gd.update_member_detectors()
        .detector_id(&detector)
        .account_ids(&off_member)
        .features(
            orchestrator::aws::sdk::guardduty::types::MemberFeaturesConfiguration::builder()
                .name(orchestrator::aws::sdk::guardduty::types::OrgFeature::S3DataEvents)
                .status(orchestrator::aws::sdk::guardduty::types::FeatureStatus::Disabled)
                .build(),
        )
        .send()
        .await
        .expect("turn a member's S3 protection off");
    let drifted = engine::verify(
        &cfg,
        &ctx,
        &VerifyOptions {
            sample_findings: false,
            wait: std::time::Duration::ZERO,
        },
    )
    .await
    .expect("verify");
    let bad: Vec<_> = drifted.checks.iter().filter(|c| !c.ok).collect();
    assert_eq!(bad.len(), 1, "{bad:#?}");
    assert_eq!(bad[0].name, "members-s3-protection");
    assert!(bad[0].detail.contains(&off_member), "{bad:#?}");
    emu.reset_counters();
    let fixed = engine::apply(&cfg, &ctx).await.expect("repair");
    assert!(!fixed.has_failures());
    let w = writes(&emu);
    assert_eq!(
        w,
        std::iter::once(("guardduty:UpdateMemberDetectors".to_owned(), 1)).collect(),
        "{w:#?}"
    );
    assert!(
        emu.counters()
            .calls
            .iter()
            .filter(|c| c.write)
            .all(|c| c.account == lz.audit),
        "only the administrator writes"
    );
    emu.reset_counters();
    let settled = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!settled.has_changes(), "{:#?}", settled.changes);

    // Offboard leaves the administrator and the organization configuration in place.
    let opts = OffboardOptions { keep_data: false };
    let off = engine::offboard(&cfg, &ctx, &opts).await.expect("offboard");
    assert!(!off.has_failures(), "{:#?}", off.accounts);
    assert!(off.warnings.iter().any(|w| w.contains("left in place")));
    for region in REGIONS {
        let gd = audit.guardduty(region);
        let detector = gd
            .list_detectors()
            .send()
            .await
            .expect("detectors")
            .detector_ids()
            .first()
            .cloned()
            .expect("the administrator keeps its detector");
        let org = gd
            .describe_organization_configuration()
            .detector_id(&detector)
            .send()
            .await
            .expect("organization configuration");
        assert_eq!(
            org.auto_enable_organization_members().map(|a| a.as_str()),
            Some("ALL")
        );
        let dests = gd
            .list_publishing_destinations()
            .detector_id(&detector)
            .send()
            .await
            .expect("destinations");
        assert!(dests.destinations().is_empty(), "{region}: {dests:?}");
    }
}

/// Puts a rule on the trail's bucket (from Log Archive) that sends every new object under
/// `prefix` to a new topic of `topic_owner` (whose policy admits S3 from that bucket).
#[expect(
    clippy::expect_used,
    reason = "test fixture: a broken fixture must fail the test loudly"
)]
async fn trail_bucket_rule(
    aws: &orchestrator::aws::SdkFactory,
    lz: &integration_tests::SeededLandingZone,
    topic_owner: &orchestrator::aws::AccountClients,
    prefix: &str,
) -> String {
    use orchestrator::aws::sdk::s3::types::{
        Event, FilterRule, FilterRuleName, NotificationConfiguration,
        NotificationConfigurationFilter, S3KeyFilter, TopicConfiguration,
    };
    let topic = customer_topic(
        topic_owner,
        "customer-log-events",
        &lz.trail_bucket,
        &lz.log_archive,
    )
    .await;
    let mut rule = TopicConfiguration::builder()
        .id("customer-log-events")
        .topic_arn(&topic)
        .events(Event::from("s3:ObjectCreated:*"));
    if !prefix.is_empty() {
        rule = rule.filter(
            NotificationConfigurationFilter::builder()
                .key(
                    S3KeyFilter::builder()
                        .filter_rules(
                            FilterRule::builder()
                                .name(FilterRuleName::Prefix)
                                .value(prefix)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        );
    }
    member(aws, &lz.log_archive)
        .await
        .s3(DEFAULT_REGION)
        .put_bucket_notification_configuration()
        .bucket(&lz.trail_bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .topic_configurations(rule.build().expect("rule"))
                .build(),
        )
        .send()
        .await
        .expect("the customer's rule");
    topic
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_topic_on_the_trail_bucket_is_reused_one_elsewhere_refused() {
    // Reused: a topic of Log Archive (the bucket's account) gets every new object.
    let emu = emulator();
    let seeded = emu.seed(&landing_zone_seed());
    let lz = seeded.landing_zone.clone().expect("a landing zone");
    let aws = factory(&emu).await;
    let log_archive = member(&aws, &lz.log_archive).await;
    let topic = trail_bucket_rule(&aws, &lz, &log_archive, "").await;
    let cfg = landing_zone_config(&lz.log_archive, "existing_trail = \"auto\"");
    let ctx = context(aws.clone(), 4);
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{:#?}", applied.hub);
    // The customer's topic is in Log Archive, the hub, and its home Region: its name.
    assert_eq!(
        applied.handoff.cloudtrail_sns_topic_arn.as_deref(),
        Some(topic.as_str())
    );
    assert_eq!(
        applied.handoff.cloudtrail_sns_topic.as_deref(),
        topic.rsplit(':').next()
    );
    let rules = log_archive
        .s3(DEFAULT_REGION)
        .get_bucket_notification_configuration()
        .bucket(&lz.trail_bucket)
        .send()
        .await
        .expect("rules");
    let ids: Vec<_> = rules
        .topic_configurations()
        .iter()
        .filter_map(|t| t.id())
        .collect();
    assert_eq!(ids, vec!["customer-log-events"], "nothing added");
    assert_eq!(emu.guardrail_denials(), 0);
    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_changes(), "{:#?}", again.changes);

    // Refused: the overlapping rule notifies a topic of another account.
    let emu = emulator();
    let seeded = emu.seed(&landing_zone_seed());
    let lz = seeded.landing_zone.clone().expect("a landing zone");
    let aws = factory(&emu).await;
    let prefix = format!("{}/AWSLogs/", lz.trail_prefix);
    trail_bucket_rule(&aws, &lz, &hub(&aws), &prefix).await;
    let cfg = landing_zone_config(&lz.log_archive, "existing_trail = \"auto\"");
    emu.reset_counters();
    let err = engine::apply(&cfg, &context(aws.clone(), 4))
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("customer-log-events") && text.contains(&lz.trail_bucket),
        "{text}"
    );
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managed_administrator_plans_before_it_is_designated_and_never_updates_a_member() {
    let emu = emulator();
    // The future administrator and the management account already run GuardDuty (ONE_HOUR).
    let seeded = emu.seed(&SeedSpec {
        accounts: 3,
        regions: vec![DEFAULT_REGION.to_owned()],
        existing_detectors: 1,
        management_detector: true,
        ..SeedSpec::default()
    });
    let admin = seeded.accounts[0].id.clone();
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let with_frequency = |f: &str| {
        config(
            &[DEFAULT_REGION],
            &format!(
                "export = \"delegated-admin\"\nadmin_account_id = \"{admin}\"\npublishing_frequency = \"{f}\""
            ),
        )
    };
    let cfg = with_frequency("FIFTEEN_MINUTES");
    let ctx = context(aws.clone(), 4);

    // Plan reads nothing the administrator could answer only once designated.
    emu.reset_counters();
    let planned = engine::plan(&cfg, &ctx).await.expect("plan");
    assert!(!planned.has_failures(), "{:#?}", planned.accounts);
    assert!(
        planned
            .changes
            .iter()
            .any(|c| c.resource.contains("delegated-administrator")),
        "{:#?}",
        planned.changes
    );
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));

    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{:#?}", applied.accounts);
    // The management account is a member now: its detector keeps the administrator's settings.
    emu.reset_counters();
    let changed = engine::apply(&with_frequency("SIX_HOURS"), &ctx)
        .await
        .expect("a new frequency");
    assert!(!changed.has_failures(), "{:#?}", changed.accounts);
    let detector_updates: Vec<_> = emu
        .counters()
        .calls
        .into_iter()
        .filter(|c| c.write && c.operation == "UpdateDetector")
        .map(|c| c.account)
        .collect();
    assert_eq!(
        detector_updates,
        vec![admin.clone()],
        "only the administrator's"
    );
    emu.reset_counters();
    let again = engine::apply(&with_frequency("SIX_HOURS"), &ctx)
        .await
        .expect("re-run");
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
}
