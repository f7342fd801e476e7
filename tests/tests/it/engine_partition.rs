//! GovCloud and China end to end: with the home Region `us-gov-west-1` (partition `aws-us-gov`)
//! or `cn-north-1` (`aws-cn`), plan, apply, verify, `plan --offboard` and offboard work, and
//! every ARN the tool builds, writes or reports carries the partition (the emulator keeps one
//! IAM/STS/Organizations/S3 backend per partition and refuses ARNs of another partition, as AWS
//! does).

use crate::engine_support::*;
use integration_tests::{MANAGEMENT_ACCOUNT_ID, SeedSpec, emulator};
use orchestrator::config::Config;
use orchestrator::engine::{self, OffboardOptions, VerifyOptions};

const GOV: &str = "us-gov-west-1";
const CN: &str = "cn-north-1";

/// The engine tests' configuration, moved to `home` (partition `partition`), with a Radiant
/// principal of the same partition (a trust policy cannot name another partition's).
#[expect(
    clippy::expect_used,
    reason = "test fixture: a broken fixture must fail the test loudly"
)]
fn partition_config(home: &str, partition: &str) -> Config {
    let mut cfg = config_with_home(home, &[home], "");
    cfg.radiant.principal_arn = format!(
        "arn:{partition}:sts::649384204969:assumed-role/tenant-aws-access-role/radiant-security"
    )
    .parse()
    .expect("an ARN");
    cfg
}

/// Every string in `v` that starts with `arn:`.
fn arns(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => {
            // Plan output may carry an ARN inside a resource label (`ARN#policy`).
            for word in s.split([' ', '"', '\'', ',', '(', ')']) {
                if word.starts_with("arn:") {
                    out.push(word.to_owned());
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| arns(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| arns(x, out)),
        _ => {}
    }
}

fn assert_partition_only(partition: &str, what: &str, v: &serde_json::Value) {
    let mut found = Vec::new();
    arns(v, &mut found);
    assert!(!found.is_empty(), "{what}: no ARN at all");
    let prefix = format!("arn:{partition}:");
    let foreign: Vec<_> = found.iter().filter(|a| !a.starts_with(&prefix)).collect();
    assert!(
        foreign.is_empty(),
        "{what}: ARNs of another partition: {foreign:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govcloud_plan_apply_verify_and_offboard_use_the_aws_us_gov_partition() {
    end_to_end_in(GOV, "aws-us-gov").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn china_plan_apply_verify_and_offboard_use_the_aws_cn_partition() {
    end_to_end_in(CN, "aws-cn").await;
}

#[expect(
    clippy::expect_used,
    reason = "test body shared by two tests: a failure must fail the test loudly"
)]
async fn end_to_end_in(home: &str, partition: &str) {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 3,
        regions: vec![home.to_owned()],
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    aws.caller(MANAGEMENT_ACCOUNT_ID)
        .organizations(home)
        .enable_aws_service_access()
        .service_principal("cloudtrail.amazonaws.com")
        .send()
        .await
        .expect("enable trusted access");
    let cfg = partition_config(home, partition);
    let ctx = context(aws.clone(), 4);

    let planned = engine::plan(&cfg, &ctx).await.expect("plan");
    assert!(!planned.has_failures(), "{:#?}", planned.accounts);
    assert_partition_only(
        partition,
        "plan",
        &serde_json::to_value(&planned.changes).expect("json"),
    );

    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(
        !applied.has_failures(),
        "{:#?} {:#?}",
        applied.hub,
        applied.accounts
    );
    let outcome = serde_json::to_value(&applied).expect("json");
    assert_partition_only(partition, "apply", &outcome);
    assert!(
        applied
            .handoff
            .role_arn
            .starts_with(&format!("arn:{partition}:iam::"))
    );
    assert!(
        applied
            .accounts
            .iter()
            .flat_map(|a| a.regions.iter())
            .all(|r| r.destination_id.is_some()),
        "every detector exports: {:#?}",
        applied.accounts
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
            .any(|c| c.name == "destination-publishing"),
        "verify found the destinations"
    );

    let opts = OffboardOptions { keep_data: false };
    let off_plan = engine::plan_offboard(&cfg, &ctx, &opts)
        .await
        .expect("plan --offboard");
    assert!(off_plan.has_changes());
    assert_partition_only(
        partition,
        "plan --offboard",
        &serde_json::to_value(&off_plan.changes).expect("json"),
    );
    let off = engine::offboard(&cfg, &ctx, &opts).await.expect("offboard");
    assert!(!off.has_failures(), "{:#?}", off.accounts);
    assert!(
        off.changes
            .iter()
            .any(|c| c.resource.contains(":publishingDestination")
                || c.resource.contains(":detector/")),
        "offboard removed our GuardDuty resources: {:#?}",
        off.changes
    );
    let again = engine::plan_offboard(&cfg, &ctx, &opts)
        .await
        .expect("plan --offboard");
    assert!(!again.has_changes(), "{:#?}", again.changes);
}
