//! A run that does not name every account (`--accounts`) keeps every other account's entries
//! in the shared documents whatever form they are in: the merged bucket statement
//! (`RadiantOnboardGuardDutyExport`), the opted-in `aws:SourceOrgID` form, and the hub role's
//! organization-scoped AssumeRole (`arn:aws:iam::*:role/NAME`). Each form is put in place the
//! way a large organization's earlier run leaves it, then one account is run alone.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test: a failed AWS call or a missing field must fail the test loudly"
)]

use crate::engine_support::*;
use integration_tests::{MANAGEMENT_ACCOUNT_ID, SeedInfo, SeedSpec, emulator};
use orchestrator::aws::SdkFactory;
use orchestrator::engine;
use orchestrator::outcome::RunOutcome;
use policy_model::builders::{self, DetectorScope, FindingsBucket, sid};
use policy_model::{AccountId, Partition, PolicyDocument};

const REGION: &str = "us-east-1";
const MEMBER_ROLE: &str = "radiant-aws-member-role";
const HUB_POLICY: &str = "radiant-aws-access-role-permissions";

fn failures(outcome: &RunOutcome) -> String {
    format!(
        "hub: {:#?}\naccounts: {:#?}",
        outcome.hub,
        outcome
            .accounts
            .iter()
            .filter(|a| a.error.is_some())
            .collect::<Vec<_>>()
    )
}

/// An organization of four members onboarded with per-account export (the shared documents
/// list accounts), and the context of a run of its first member alone.
async fn onboarded(
    extra: &str,
    seed: u64,
) -> (
    integration_tests::EmulatorGuard,
    SdkFactory,
    SeedInfo,
    orchestrator::config::Config,
) {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 4,
        ous: 1,
        regions: vec![REGION.to_owned()],
        seed,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&[REGION], extra);
    let applied = engine::apply(&cfg, &context(aws.clone(), 8))
        .await
        .expect("apply");
    assert!(!applied.has_failures(), "{}", failures(&applied));
    (emu, aws, seeded, cfg)
}

async fn run_one(aws: &SdkFactory, cfg: &orchestrator::config::Config, account: &str) {
    let mut ctx = context(aws.clone(), 8);
    ctx.only = Some(vec![account.parse().expect("an account ID")]);
    let one = engine::apply(cfg, &ctx).await.expect("apply --accounts");
    assert!(!one.has_failures(), "{}", failures(&one));
}

/// The findings bucket's policy with its GuardDuty statements replaced by `statements`.
async fn rewrite_guardduty_statements(aws: &SdkFactory, statements: Vec<policy_model::Statement>) {
    let mut doc = bucket_policy(aws, GD_BUCKET).await;
    for s in sid::GUARDDUTY_BUCKET {
        doc.remove_statement(s).unwrap();
    }
    for s in statements {
        doc.ensure_statement(s).unwrap();
    }
    hub(aws)
        .s3(REGION)
        .put_bucket_policy()
        .bucket(GD_BUCKET)
        .policy(doc.to_json_minified())
        .send()
        .await
        .unwrap();
}

fn findings_bucket() -> FindingsBucket {
    FindingsBucket {
        partition: Partition::Aws,
        bucket: GD_BUCKET.to_owned(),
        prefix: String::new(),
    }
}

fn accounts(seeded: &SeedInfo) -> Vec<AccountId> {
    seeded
        .active_account_ids()
        .iter()
        .map(|a| AccountId::new(a).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_of_one_account_keeps_the_others_in_the_merged_bucket_statement() {
    let (_emu, aws, seeded, cfg) = onboarded("", 61).await;
    let all = accounts(&seeded);
    let merged = builders::guardduty_bucket_merged_statement_in(
        &findings_bucket(),
        &DetectorScope::Accounts(all.clone()),
        &[],
    )
    .unwrap();
    rewrite_guardduty_statements(&aws, vec![merged]).await;

    run_one(&aws, &cfg, all[0].as_str()).await;

    let doc = bucket_policy(&aws, GD_BUCKET).await;
    let text = doc.to_json_minified();
    // Whichever form the run chose, every account is still admitted.
    for a in &all {
        assert!(text.contains(&format!("\"{a}\"")), "{a}: {text}");
    }
    let export = doc
        .statement(sid::GUARDDUTY_EXPORT)
        .or_else(|| doc.statement(sid::GUARDDUTY_PUT_OBJECT))
        .expect("a GuardDuty statement");
    let listed = export.condition_values("StringEquals", "aws:SourceAccount");
    for a in &all {
        assert!(listed.iter().any(|l| l == a.as_str()), "{a}: {listed:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_of_one_account_keeps_the_opted_in_source_org_id_form() {
    let (_emu, aws, seeded, cfg) = onboarded("allow_source_org_id = true", 62).await;
    let all = accounts(&seeded);
    let org = hub(&aws)
        .organizations(REGION)
        .describe_organization()
        .send()
        .await
        .unwrap()
        .organization
        .unwrap()
        .id
        .unwrap();
    let org = policy_model::OrgId::new(&org).unwrap();
    let statements = builders::guardduty_bucket_statements_in(
        &findings_bucket(),
        &DetectorScope::Organization(org.clone()),
        &[],
    )
    .unwrap();
    rewrite_guardduty_statements(&aws, statements).await;

    run_one(&aws, &cfg, all[0].as_str()).await;

    let doc = bucket_policy(&aws, GD_BUCKET).await;
    let put = doc
        .statement(sid::GUARDDUTY_PUT_OBJECT)
        .expect("the PutObject statement");
    assert_eq!(
        put.condition_values("StringEquals", "aws:SourceOrgID"),
        vec![org.as_str().to_owned()],
        "{}",
        doc.to_json_minified()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_of_one_account_keeps_the_hub_roles_organization_scoped_assume_role() {
    let (_emu, aws, seeded, cfg) = onboarded("", 63).await;
    let all = accounts(&seeded);
    let iam = hub(&aws).iam(REGION);
    let arn = format!("arn:aws:iam::{MANAGEMENT_ACCOUNT_ID}:policy/{HUB_POLICY}");
    let current = managed_document(&aws, &arn).await;
    // The form an organization too large for the explicit list has.
    let org = hub(&aws)
        .organizations(REGION)
        .describe_organization()
        .send()
        .await
        .unwrap()
        .organization
        .unwrap()
        .id
        .unwrap();
    let org = policy_model::OrgId::new(&org).unwrap();
    let mut scoped = current.clone();
    scoped
        .ensure_statement(
            builders::assume_member_roles_org_scoped(Partition::Aws, MEMBER_ROLE, &org).unwrap(),
        )
        .unwrap();
    iam.create_policy_version()
        .policy_arn(&arn)
        .policy_document(scoped.to_json_minified())
        .set_as_default(true)
        .send()
        .await
        .unwrap();

    run_one(&aws, &cfg, all[0].as_str()).await;

    let after = managed_document(&aws, &arn).await;
    let assume = after
        .statement(sid::ASSUME_MEMBER_ROLES)
        .expect("the AssumeRole statement");
    assert_eq!(
        assume.resource_values(),
        vec![format!("arn:aws:iam::*:role/{MEMBER_ROLE}").as_str()],
        "{}",
        after.to_json_minified()
    );
}

/// The default version of a managed policy.
async fn managed_document(aws: &SdkFactory, arn: &str) -> PolicyDocument {
    let iam = hub(aws).iam(REGION);
    let version = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .default_version_id()
        .unwrap()
        .to_owned();
    let doc = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .unwrap();
    let text =
        percent_encoding::percent_decode_str(doc.policy_version().unwrap().document().unwrap())
            .decode_utf8()
            .unwrap()
            .into_owned();
    PolicyDocument::parse(&text).unwrap()
}

/// An ID of `--accounts` that the organization does not have is that account's skip, with the
/// reason; the other accounts named are onboarded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_account_id_is_skipped_and_the_others_go_on() {
    let (_emu, aws, seeded, cfg) = onboarded("", 64).await;
    let all = accounts(&seeded);
    let unknown = "999999999999";
    let mut ctx = context(aws.clone(), 8);
    ctx.only = Some(vec![
        unknown.parse().expect("an account ID"),
        all[1].as_str().parse().expect("an account ID"),
    ]);
    let run = engine::apply(&cfg, &ctx).await.expect("apply --accounts");
    assert!(!run.has_failures(), "{}", failures(&run));
    let skipped = run
        .accounts
        .iter()
        .find(|a| a.id == unknown)
        .expect("the unknown ID is reported");
    assert!(
        skipped
            .skip_reason
            .as_deref()
            .is_some_and(|r| r.contains("not an account of the organization")),
        "{skipped:#?}"
    );
    let known = run
        .accounts
        .iter()
        .find(|a| a.id == all[1].as_str())
        .unwrap();
    assert!(
        known.skip_reason.is_none() && known.error.is_none(),
        "{known:#?}"
    );
}
