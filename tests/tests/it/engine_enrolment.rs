//! Zero-touch enrolment (issue #21): a landing zone onboarded with `[members] deploy =
//! "stackset"` and GuardDuty through its managed delegated administrator covers the accounts
//! that join later without a run of the tool: created (in a covered OU, in a nested OU), moved
//! in from outside the covered OUs, invited; an account created outside stays out of scope; the
//! shared documents do not change; the next apply writes nothing; an account that leaves loses
//! its stack instance. A failed stack instance fails only its account.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test: a failed AWS call or a missing field must fail the test loudly"
)]

use std::collections::BTreeMap;

use crate::engine_support::*;
use integration_tests::{EmulatorGuard, SeedSpec, SeededLandingZone, emulator};
use orchestrator::aws::{AccountClients, SdkFactory};
use orchestrator::engine::{self, VerifyOptions};
use orchestrator::outcome::{AccountStatus, RunOutcome, VerifyOutcome};

const REGION: &str = "us-east-1";
const STACKSET: &str = "RadiantOnboardMemberRole";
const MEMBER_ROLE: &str = "radiant-aws-member-role";

fn verify_opts() -> VerifyOptions {
    VerifyOptions {
        sample_findings: false,
        wait: std::time::Duration::ZERO,
    }
}

fn failures(outcome: &RunOutcome) -> String {
    format!(
        "{:#?}\n{:#?}",
        outcome
            .hub
            .iter()
            .filter(|h| h.error.is_some())
            .collect::<Vec<_>>(),
        outcome
            .accounts
            .iter()
            .filter(|a| a.status == AccountStatus::Failed)
            .collect::<Vec<_>>()
    )
}

fn failed_checks(v: &VerifyOutcome) -> Vec<String> {
    v.checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{} {:?} {}: {}", c.scope, c.region, c.name, c.detail))
        .collect()
}

/// The landing zone's configuration: the hub in Log Archive, Control Tower's trail reused,
/// GuardDuty through Audit, member roles by the StackSet, the OUs `include_ous`.
fn stackset_config(lz: &SeededLandingZone, include_ous: &[&str]) -> orchestrator::config::Config {
    let ous = include_ous
        .iter()
        .map(|o| format!("\"{o}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        r#"
[organization]
hub_account_id = "{log_archive}"
home_region = "{REGION}"
regions = ["{REGION}"]
include_ous = [{ous}]

[radiant]
external_id = "{EXTERNAL_ID}"

[cloudtrail]
existing_trail = "auto"
sns_topic = "radiant-cloudtrail"

[guardduty]
bucket = "{GD_BUCKET}"
kms_alias = "alias/guardduty-findings"
sns_topic = "radiant-guardduty"
export = "delegated-admin"
admin_account_id = "{audit}"

[members]
deploy = "stackset"
"#,
        log_archive = lz.log_archive,
        audit = lz.audit,
    );
    orchestrator::config::Config::from_toml_str_with_env(&text, None).expect("valid")
}

/// Every document a newcomer could make the tool rewrite, as text: the findings bucket's and
/// key's policies and the hub role's managed policies (Log Archive), the trail key's policy
/// (management), the topics' policies.
async fn shared_documents(aws: &SdkFactory, lz: &SeededLandingZone) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let hub = member(aws, &lz.log_archive).await;
    let bucket = hub
        .s3(REGION)
        .get_bucket_policy()
        .bucket(GD_BUCKET)
        .send()
        .await
        .unwrap();
    out.insert(
        "findings bucket".to_owned(),
        bucket.policy().unwrap().to_owned(),
    );
    let kms = hub.kms(REGION);
    let key_id = kms
        .describe_key()
        .key_id("alias/guardduty-findings")
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_owned();
    let key = kms
        .get_key_policy()
        .key_id(key_id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    out.insert("findings key".to_owned(), key.policy().unwrap().to_owned());
    let iam = hub.iam(REGION);
    let attached = iam
        .list_attached_role_policies()
        .role_name("radiant-aws-access-role")
        .send()
        .await
        .unwrap();
    for p in attached.attached_policies() {
        let arn = p.policy_arn().unwrap();
        let policy = iam.get_policy().policy_arn(arn).send().await.unwrap();
        let version = policy.policy().unwrap().default_version_id().unwrap();
        let doc = iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .unwrap();
        out.insert(
            format!("managed policy {arn}"),
            doc.policy_version().unwrap().document().unwrap().to_owned(),
        );
    }
    let trail_key = hub_clients(aws)
        .kms(REGION)
        .get_key_policy()
        .key_id(&lz.trail_key_arn)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    out.insert(
        "trail key".to_owned(),
        trail_key.policy().unwrap().to_owned(),
    );
    for topic in ["radiant-cloudtrail", "radiant-guardduty"] {
        let arn = format!("arn:aws:sns:{REGION}:{}:{topic}", lz.log_archive);
        let attrs = hub
            .sns(REGION)
            .get_topic_attributes()
            .topic_arn(&arn)
            .send()
            .await
            .unwrap();
        out.insert(
            format!("topic {topic}"),
            attrs.attributes().unwrap()["Policy"].clone(),
        );
    }
    out
}

fn hub_clients(aws: &SdkFactory) -> AccountClients {
    hub(aws)
}

/// `CreateAccount` from the management account, then (when `ou` is given) moved there; the
/// new account's ID.
async fn create_account(aws: &SdkFactory, name: &str, ou: Option<&str>) -> String {
    let org = hub(aws).organizations(REGION);
    let created = org
        .create_account()
        .account_name(name)
        .email(format!("{name}@example.com"))
        .send()
        .await
        .unwrap();
    let request = created
        .create_account_status()
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let status = org
        .describe_create_account_status()
        .create_account_request_id(&request)
        .send()
        .await
        .unwrap();
    let id = status
        .create_account_status()
        .unwrap()
        .account_id()
        .unwrap()
        .to_owned();
    if let Some(ou) = ou {
        move_account(aws, &id, ou).await;
    }
    id
}

async fn move_account(aws: &SdkFactory, account: &str, to: &str) {
    let org = hub(aws).organizations(REGION);
    let parents = org.list_parents().child_id(account).send().await.unwrap();
    let from = parents.parents()[0].id().unwrap().to_owned();
    org.move_account()
        .account_id(account)
        .source_parent_id(from)
        .destination_parent_id(to)
        .send()
        .await
        .unwrap();
}

async fn root_id(aws: &SdkFactory) -> String {
    hub(aws)
        .organizations(REGION)
        .list_roots()
        .send()
        .await
        .unwrap()
        .roots()[0]
        .id()
        .unwrap()
        .to_owned()
}

/// An invited account accepting: it joins the root with no access role (AWS creates none),
/// which its administrators then create (as a customer does before onboarding it).
async fn invite_account(emu: &EmulatorGuard, aws: &SdkFactory, account: &str) {
    emu.invite_account(account, "invited-workload");
    let (key, secret) = emu.credentials_for(&format!("arn:aws:iam::{account}:root"));
    let invited = aws
        .for_account(
            account,
            aws_sdk_sts::config::Credentials::new(key, secret, None, None, "test"),
        )
        .iam(REGION);
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": "arn:aws:iam::123456789012:root" },
            "Action": "sts:AssumeRole",
        }],
    });
    invited
        .create_role()
        .role_name("OrganizationAccountAccessRole")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap();
    invited
        .attach_role_policy()
        .role_name("OrganizationAccountAccessRole")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .ok();
}

/// The member role of `account`, read through its access role: `Some(tags)` when it exists.
async fn member_role_tags(aws: &SdkFactory, account: &str) -> Option<Vec<(String, String)>> {
    let iam = member(aws, account).await.iam(REGION);
    let role = iam.get_role().role_name(MEMBER_ROLE).send().await.ok()?;
    Some(
        role.role()?
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect(),
    )
}

/// The stack instances of the StackSet, by account (the management account's view, every page).
async fn instances(aws: &SdkFactory) -> BTreeMap<String, String> {
    let cf = hub(aws).cloudformation(REGION);
    let mut out = BTreeMap::new();
    let mut token = None;
    loop {
        let page = cf
            .list_stack_instances()
            .stack_set_name(STACKSET)
            .set_next_token(token.take())
            .send()
            .await
            .unwrap();
        for s in page.summaries() {
            out.insert(
                s.account().unwrap().to_owned(),
                s.status().unwrap().as_str().to_owned(),
            );
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return out;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_that_join_later_are_covered_without_a_run_of_the_tool() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 4,
        ous: 2,
        regions: vec![REGION.to_owned()],
        landing_zone: true,
        seed: 21,
        ..SeedSpec::default()
    });
    let lz = seeded.landing_zone.clone().expect("a landing zone");
    let (covered_ou, outside_ou) = (seeded.ous[0].id.clone(), seeded.ous[1].id.clone());
    let aws = factory(&emu).await;
    let nested = hub(&aws)
        .organizations(REGION)
        .create_organizational_unit()
        .parent_id(&covered_ou)
        .name("nested")
        .send()
        .await
        .unwrap()
        .organizational_unit()
        .unwrap()
        .id()
        .unwrap()
        .to_owned();
    let cfg = stackset_config(&lz, &[&lz.security_ou, &covered_ou]);
    let ctx = context(aws.clone(), 8);

    // The plan shows the StackSet, its template and its targets, and what covers a newcomer.
    let planned = engine::plan(&cfg, &ctx).await.expect("plan");
    assert!(!planned.has_failures(), "{}", failures(&planned));
    let stackset = planned
        .changes
        .iter()
        .find(|c| c.resource.ends_with(&format!(":stackset/{STACKSET}")))
        .expect("the StackSet is planned");
    assert_eq!(
        stackset.after.as_ref().unwrap()["TemplateBody"]["Resources"]["RadiantMemberRole"]["Properties"]
            ["RoleName"],
        MEMBER_ROLE
    );
    let new_accounts = planned.new_accounts.clone().expect("new accounts");
    assert!(new_accounts.automatic(), "{new_accounts:#?}");

    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{}", failures(&applied));
    let before = shared_documents(&aws, &lz).await;
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    assert!(!verified.has_problems(), "{:#?}", failed_checks(&verified));

    // Five accounts join, and no run of the tool follows.
    let in_root_ou = create_account(&aws, "joined-covered", Some(&covered_ou)).await;
    let in_nested = create_account(&aws, "joined-nested", Some(&nested)).await;
    let moved = create_account(&aws, "joined-outside-then-moved", Some(&outside_ou)).await;
    move_account(&aws, &moved, &covered_ou).await;
    let outside = create_account(&aws, "joined-outside", Some(&outside_ou)).await;
    let invited = "444455556666";
    invite_account(&emu, &aws, invited).await;
    move_account(&aws, invited, &covered_ou).await;
    let newcomers = [&in_root_ou, &in_nested, &moved, &invited.to_owned()];

    // CloudFormation deployed each covered newcomer's role, GuardDuty enabled each as a member.
    let now = instances(&aws).await;
    for a in newcomers {
        assert_eq!(
            now.get(a.as_str()).map(String::as_str),
            Some("CURRENT"),
            "{a}: {now:#?}"
        );
        let tags = member_role_tags(&aws, a).await.expect("the role exists");
        assert!(
            tags.contains(&(
                "radiant-onboard:deployment".to_owned(),
                "stackset".to_owned()
            )),
            "{tags:?}"
        );
    }
    assert!(!now.contains_key(&outside), "{now:#?}");
    assert_eq!(member_role_tags(&aws, &outside).await, None);

    // verify: every covered newcomer covered, the one outside out of scope.
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    assert!(!verified.has_problems(), "{:#?}", failed_checks(&verified));
    for a in newcomers {
        for name in [
            "member-role-trusts-hub-role",
            "member-role-stack-instance",
            "detector-enabled",
        ] {
            assert!(
                verified
                    .checks
                    .iter()
                    .any(|c| c.scope == *a && c.name == name && c.ok),
                "{a} {name}: {:#?}",
                verified.checks
            );
        }
    }
    assert!(verified.checks.iter().all(|c| c.scope != outside));
    // Only the covered OUs are listed (issue #22): the account outside is not even read.
    let accounts = engine::discover(&cfg, &ctx).await.expect("discover");
    assert!(accounts.accounts.iter().all(|a| a.id != outside));
    for a in newcomers {
        assert!(
            accounts
                .accounts
                .iter()
                .any(|d| d.id == *a && d.skip_reason.is_none())
        );
    }

    // No shared document changed, and the next apply writes nothing.
    assert_eq!(shared_documents(&aws, &lz).await, before);
    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_failures(), "{}", failures(&again));
    assert_eq!(emu.counters().writes(), 0, "{:#?}", writes(&emu));

    // An account that leaves loses its instance and its role.
    hub(&aws)
        .organizations(REGION)
        .remove_account_from_organization()
        .account_id(&in_root_ou)
        .send()
        .await
        .unwrap();
    let now = instances(&aws).await;
    assert!(!now.contains_key(&in_root_ou), "{now:#?}");
    let _ = root_id(&aws).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_stack_instance_fails_only_its_account_and_the_next_run_finishes_it() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 4,
        ous: 1,
        regions: vec![REGION.to_owned()],
        landing_zone: true,
        seed: 22,
        ..SeedSpec::default()
    });
    let lz = seeded.landing_zone.clone().expect("a landing zone");
    let aws = factory(&emu).await;
    let cfg = stackset_config(&lz, &[]);
    let ctx = context(aws.clone(), 8);
    let broken = seeded
        .accounts
        .iter()
        .find(|a| a.status == "ACTIVE" && a.id != lz.log_archive && a.id != lz.audit)
        .unwrap()
        .id
        .clone();
    emu.fail_stack_instances(
        &broken,
        "Injected failure: the account's guardrail denies iam:CreateRole",
    );

    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    let failed: Vec<&str> = applied
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Failed)
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(failed, [broken.as_str()], "{}", failures(&applied));
    let error = applied
        .accounts
        .iter()
        .find(|a| a.id == broken)
        .and_then(|a| a.error.clone())
        .unwrap();
    assert!(
        error.message.contains("guardrail denies iam:CreateRole"),
        "{error:?}"
    );
    let now = instances(&aws).await;
    for a in seeded.accounts.iter().filter(|a| a.status == "ACTIVE") {
        if a.id == lz.log_archive || a.id == broken {
            continue;
        }
        assert_eq!(
            now.get(&a.id).map(String::as_str),
            Some("CURRENT"),
            "{}: {now:#?}",
            a.id
        );
    }
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    let failing = failed_checks(&verified);
    assert!(
        failing.iter().all(|c| c.starts_with(&broken)),
        "{failing:#?}"
    );
    assert!(
        failing
            .iter()
            .any(|c| c.contains("member-role-stack-instance")),
        "{failing:#?}"
    );

    // The guardrail is lifted: the next run deploys the one account left, and nothing else.
    emu.reset_stack_instance_failures();
    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_failures(), "{}", failures(&again));
    assert_eq!(
        emu.counters()
            .calls("cloudformation", "CreateStackInstances"),
        1
    );
    assert_eq!(
        instances(&aws).await.get(&broken).map(String::as_str),
        Some("CURRENT")
    );
}

/// Radiant's chain, as in production: Radiant's principal assumes the hub role with the
/// external ID, the hub role each member role. The accounts whose member role cannot be assumed.
async fn not_assumable(
    emu: &EmulatorGuard,
    cfg: &orchestrator::config::Config,
    members: &[String],
) -> Vec<String> {
    let (key, secret) = emu.credentials_for(&cfg.radiant.principal_arn.to_string());
    let radiant = SdkFactory::load_with_static_credentials(
        &orchestrator::aws::AwsOptions {
            endpoint_url: Some(emu.endpoint().to_owned()),
            profile: None,
            region: Some(REGION.to_owned()),
        },
        &key,
        &secret,
    )
    .await
    .expect("Radiant's credentials");
    let mgmt = integration_tests::MANAGEMENT_ACCOUNT_ID;
    let from = radiant.caller("649384204969");
    let hub_role = format!("arn:aws:iam::{mgmt}:role/{}", cfg.radiant.role_name);
    let as_hub = radiant
        .assume_role(&from, REGION, mgmt, &hub_role, Some(EXTERNAL_ID))
        .await
        .expect("Radiant assumes the hub role");
    let mut refused = Vec::new();
    for m in members {
        let role = format!("arn:aws:iam::{m}:role/{MEMBER_ROLE}");
        if radiant
            .assume_role(&as_hub, REGION, m, &role, Some(EXTERNAL_ID))
            .await
            .is_err()
        {
            refused.push(m.clone());
        }
    }
    refused
}

/// A 30-account organization onboarded with direct roles, switched to the StackSet and back:
/// each switch is a plan first (which accounts hold a role of the other kind and what happens
/// to it), every member role is assumable after every step, and a re-run after each switch writes
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_between_direct_roles_and_the_stackset_keeps_every_role_assumable() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 30,
        ous: 3,
        regions: vec![REGION.to_owned()],
        seed: 23,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let members = seeded.active_account_ids();
    let direct = config(&[REGION], "");
    let mut stackset = direct.clone();
    stackset.members.deploy = orchestrator::config::MemberDeploy::Stackset;
    let ctx = context(aws.clone(), 16);

    let applied = engine::apply(&direct, &ctx).await.expect("apply direct");
    assert!(!applied.has_failures(), "{}", failures(&applied));
    assert_eq!(
        not_assumable(&emu, &direct, &members).await,
        Vec::<String>::new()
    );

    // To the StackSet: the plan names each directly created role that it replaces.
    let planned = engine::plan(&stackset, &ctx)
        .await
        .expect("plan the switch");
    assert!(!planned.has_failures(), "{}", failures(&planned));
    for m in &members {
        let role = format!("arn:aws:iam::{m}:role/{MEMBER_ROLE}");
        let change = planned
            .changes
            .iter()
            .find(|c| c.resource == role)
            .unwrap_or_else(|| panic!("no change of {role}: {:#?}", planned.changes));
        assert_eq!(change.action, orchestrator::outcome::ChangeAction::Delete);
        assert!(
            change
                .reason
                .as_deref()
                .unwrap()
                .contains("replaced by the StackSet")
        );
    }
    let switched = engine::apply(&stackset, &ctx)
        .await
        .expect("apply the switch");
    assert!(!switched.has_failures(), "{}", failures(&switched));
    assert_eq!(
        not_assumable(&emu, &stackset, &members).await,
        Vec::<String>::new()
    );
    let now = instances(&aws).await;
    assert_eq!(now.len(), members.len(), "{now:#?}");
    for m in &members {
        let tags = member_role_tags(&aws, m).await.expect("a role");
        assert!(
            tags.contains(&(
                "radiant-onboard:deployment".to_owned(),
                "stackset".to_owned()
            )),
            "{m}: {tags:?}"
        );
    }
    emu.reset_counters();
    let again = engine::apply(&stackset, &ctx).await.expect("re-run");
    assert!(!again.has_failures(), "{}", failures(&again));
    assert_eq!(emu.counters().writes(), 0, "{:#?}", writes(&emu));

    // And back: the StackSet goes, each role is created directly.
    let planned = engine::plan(&direct, &ctx)
        .await
        .expect("plan the way back");
    assert!(
        planned
            .changes
            .iter()
            .any(|c| c.resource.ends_with(&format!(":stackset/{STACKSET}"))
                && c.action == orchestrator::outcome::ChangeAction::Delete),
        "{:#?}",
        planned.changes
    );
    let back = engine::apply(&direct, &ctx)
        .await
        .expect("apply the way back");
    assert!(!back.has_failures(), "{}", failures(&back));
    assert_eq!(
        not_assumable(&emu, &direct, &members).await,
        Vec::<String>::new()
    );
    for m in &members {
        let tags = member_role_tags(&aws, m).await.expect("a role");
        assert!(
            !tags.iter().any(|(k, _)| k == "radiant-onboard:deployment"),
            "{m}: {tags:?}"
        );
    }
    emu.reset_counters();
    let again = engine::apply(&direct, &ctx).await.expect("re-run");
    assert!(!again.has_failures(), "{}", failures(&again));
    assert_eq!(emu.counters().writes(), 0, "{:#?}", writes(&emu));
}

/// An account the configuration excludes that joins a covered OU gets an instance anyway
/// (automatic deployment ignores account filters, AWS documents): verify says so, apply removes
/// the instance and its role, and the next run writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_excluded_account_reached_by_automatic_deployment_loses_its_role() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 3,
        ous: 1,
        regions: vec![REGION.to_owned()],
        landing_zone: true,
        seed: 24,
        ..SeedSpec::default()
    });
    let lz = seeded.landing_zone.clone().expect("a landing zone");
    let aws = factory(&emu).await;
    let cfg = stackset_config(&lz, &[]);
    let ctx = context(aws.clone(), 8);
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{}", failures(&applied));
    let joined = create_account(&aws, "joined-then-excluded", Some(&seeded.ous[0].id)).await;
    assert!(instances(&aws).await.contains_key(&joined));

    let mut narrowed = cfg.clone();
    narrowed
        .organization
        .exclude_accounts
        .push(joined.parse().expect("an account ID"));
    let verified = engine::verify(&narrowed, &ctx, &verify_opts())
        .await
        .expect("verify");
    let failing = failed_checks(&verified);
    assert!(
        failing
            .iter()
            .any(|c| c.contains("member-role-stackset") && c.contains(&joined)),
        "{failing:#?}"
    );
    let applied = engine::apply(&narrowed, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{}", failures(&applied));
    // The hub role may not assume a role there either, whatever appears in the account.
    assert!(
        applied
            .changes
            .iter()
            .any(|c| c.resource.contains(":policy/")
                && c.after.as_ref().is_some_and(|a| {
                    let text = a.to_string();
                    text.contains("\"StringNotEquals\":{\"aws:ResourceAccount\"")
                        && text.contains(&joined)
                })),
        "{:#?}",
        applied.changes
    );
    assert!(!instances(&aws).await.contains_key(&joined));
    assert_eq!(member_role_tags(&aws, &joined).await, None);
    let verified = engine::verify(&narrowed, &ctx, &verify_opts())
        .await
        .expect("verify");
    assert!(!verified.has_problems(), "{:#?}", failed_checks(&verified));
    emu.reset_counters();
    let again = engine::apply(&narrowed, &ctx).await.expect("re-run");
    assert!(!again.has_failures(), "{}", failures(&again));
    assert_eq!(emu.counters().writes(), 0, "{:#?}", writes(&emu));
}

/// Offboarding `deploy = "stackset"` in a landing zone: the plan lists the StackSet's instances
/// and the StackSet, and the management account's role (which StackSets never deploys); offboard
/// removes them in that order and leaves no member role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offboard_removes_the_instances_the_stackset_and_the_management_accounts_role() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 3,
        ous: 1,
        regions: vec![REGION.to_owned()],
        landing_zone: true,
        seed: 25,
        ..SeedSpec::default()
    });
    let lz = seeded.landing_zone.clone().expect("a landing zone");
    let aws = factory(&emu).await;
    let cfg = stackset_config(&lz, &[]);
    let ctx = context(aws.clone(), 8);
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{}", failures(&applied));
    let mgmt = integration_tests::MANAGEMENT_ACCOUNT_ID;
    let mgmt_role = format!("arn:aws:iam::{mgmt}:role/{MEMBER_ROLE}");
    assert!(
        applied
            .accounts
            .iter()
            .any(|a| a.id == mgmt && a.member_role_arn.as_deref() == Some(mgmt_role.as_str())),
        "{:#?}",
        applied.accounts
    );
    let role_of_management = || async {
        hub(&aws)
            .iam(REGION)
            .get_role()
            .role_name(MEMBER_ROLE)
            .send()
            .await
            .ok()
            .and_then(|r| r.role)
    };
    let direct = role_of_management()
        .await
        .expect("the management account's role");
    assert!(
        !direct
            .tags()
            .iter()
            .any(|t| t.key() == "radiant-onboard:deployment"),
        "created directly: {direct:?}"
    );

    let opts = engine::OffboardOptions::default();
    emu.reset_counters();
    let planned = engine::plan_offboard(&cfg, &ctx, &opts)
        .await
        .expect("plan --offboard");
    assert_eq!(emu.counters().writes(), 0);
    let deletes: Vec<&str> = planned
        .changes
        .iter()
        .filter(|c| c.action == orchestrator::outcome::ChangeAction::Delete)
        .map(|c| c.resource.as_str())
        .collect();
    let stackset = format!("arn:aws:cloudformation:{REGION}:{mgmt}:stackset/{STACKSET}");
    let position = |r: &str| deletes.iter().position(|d| *d == r);
    let (instances_at, set_at, role_at) = (
        position(&format!("{stackset}#instances")).expect("the instances"),
        position(&stackset).expect("the StackSet"),
        position(&mgmt_role).expect("the management account's role"),
    );
    assert!(instances_at < set_at && set_at < role_at, "{deletes:#?}");

    let off = engine::offboard(&cfg, &ctx, &opts).await.expect("offboard");
    assert!(!off.has_failures(), "{}", failures(&off));
    let gone = hub(&aws)
        .cloudformation(REGION)
        .describe_stack_set()
        .stack_set_name(STACKSET)
        .send()
        .await;
    assert!(
        gone.as_ref().map_or(true, |d| d
            .stack_set()
            .and_then(|s| s.status())
            .is_some_and(|s| s.as_str() == "DELETED")),
        "{gone:?}"
    );
    assert!(role_of_management().await.is_none());
    for a in seeded.accounts.iter().filter(|a| a.status == "ACTIVE") {
        assert_eq!(member_role_tags(&aws, &a.id).await, None, "{}", a.id);
    }
}

/// A caller that is neither the management account nor a registered StackSets delegated
/// administrator is refused in preflight with the fix, before any write; once registered
/// (Organizations `RegisterDelegatedAdministrator`), it is detected, every StackSets call it
/// makes passes `CallAs = DELEGATED_ADMIN` (the emulator refuses any other), and its apply
/// deploys the member roles (through an access role the members give it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stacksets_delegated_administrator_is_detected_and_an_unregistered_caller_refused() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 3,
        ous: 1,
        regions: vec![REGION.to_owned()],
        seed: 26,
        ..SeedSpec::default()
    });
    let mgmt_aws = factory(&emu).await;
    enable_trusted_access(&mgmt_aws).await;
    // Trusted access for StackSets, as the management account turns it on once.
    hub(&mgmt_aws)
        .cloudformation(REGION)
        .activate_organizations_access()
        .send()
        .await
        .unwrap();
    let admin = seeded.accounts[0].id.clone();
    let (key, secret) = emu.credentials_for(&format!(
        "arn:aws:iam::{admin}:role/OrganizationAccountAccessRole"
    ));
    let aws = SdkFactory::load_with_static_credentials(
        &orchestrator::aws::AwsOptions {
            endpoint_url: Some(emu.endpoint().to_owned()),
            profile: None,
            region: Some(REGION.to_owned()),
        },
        &key,
        &secret,
    )
    .await
    .expect("factory");
    let mut cfg = config(&[REGION], "");
    cfg.members.deploy = orchestrator::config::MemberDeploy::Stackset;
    cfg.cloudtrail = None;
    emu.reset_counters();
    let refused = engine::plan(&cfg, &context(aws.clone(), 4)).await;
    let text = format!("{refused:?}");
    assert!(
        text.contains("StackSets delegated administrator")
            && text.contains("register-delegated-administrator"),
        "{text}"
    );
    assert_eq!(emu.counters().writes(), 0);

    hub(&mgmt_aws)
        .organizations(REGION)
        .register_delegated_administrator()
        .account_id(&admin)
        .service_principal("member.org.stacksets.cloudformation.amazonaws.com")
        .send()
        .await
        .unwrap();
    // The members' access role for the delegated administrator (the management account's
    // trusts only the management account); the management account has none: left out.
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": format!("arn:aws:iam::{admin}:root") },
            "Action": "sts:AssumeRole",
        }],
    })
    .to_string();
    for a in seeded
        .accounts
        .iter()
        .filter(|a| a.status == "ACTIVE" && a.id != admin)
    {
        member(&mgmt_aws, &a.id)
            .await
            .iam(REGION)
            .create_role()
            .role_name("StackSetsAdminAccess")
            .assume_role_policy_document(&trust)
            .send()
            .await
            .unwrap();
    }
    cfg.organization.access_role_name = "StackSetsAdminAccess".to_owned();
    cfg.organization
        .exclude_accounts
        .push(integration_tests::MANAGEMENT_ACCOUNT_ID.parse().unwrap());
    let applied = engine::apply(&cfg, &context(aws.clone(), 4))
        .await
        .expect("apply as the delegated administrator");
    assert!(!applied.has_failures(), "{}", failures(&applied));
    // The StackSet deployed to the other members (read as the delegated administrator does).
    let listed = aws
        .caller(&admin)
        .cloudformation(REGION)
        .list_stack_instances()
        .stack_set_name(STACKSET)
        .call_as(orchestrator::aws::sdk::cloudformation::types::CallAs::DelegatedAdmin)
        .send()
        .await
        .unwrap();
    let now: BTreeMap<String, String> = listed
        .summaries()
        .iter()
        .map(|s| {
            (
                s.account().unwrap().to_owned(),
                s.status().unwrap().as_str().to_owned(),
            )
        })
        .collect();
    for a in seeded
        .accounts
        .iter()
        .filter(|a| a.status == "ACTIVE" && a.id != admin)
    {
        assert_eq!(
            now.get(&a.id).map(String::as_str),
            Some("CURRENT"),
            "{}: {now:#?}",
            a.id
        );
    }
    assert!(
        !now.contains_key(&admin),
        "the hub gets no member role: {now:#?}"
    );
}

/// The backstop: an account that joined moments ago, before automatic deployment and
/// GuardDuty's auto-enable reached it, is an enrolment gap in verify (what it lacks, when it
/// joined); once they did, it is covered, with no run of the tool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_lists_an_account_not_covered_yet_with_when_it_joined() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 3,
        ous: 1,
        regions: vec![REGION.to_owned()],
        landing_zone: true,
        seed: 27,
        ..SeedSpec::default()
    });
    let lz = seeded.landing_zone.clone().expect("a landing zone");
    let aws = factory(&emu).await;
    let cfg = stackset_config(&lz, &[]);
    let ctx = context(aws.clone(), 8);
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{}", failures(&applied));
    // StackSets and GuardDuty take their time with a newcomer.
    emu.set_stacksets(0.0, 3.0);
    emu.set_guardduty_auto_enable_delay(3.0);
    let joined = create_account(&aws, "joined-just-now", Some(&seeded.ous[0].id)).await;

    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    assert!(verified.has_problems());
    let gap = verified
        .gaps
        .iter()
        .find(|g| g.account == joined)
        .unwrap_or_else(|| panic!("no gap for {joined}: {:#?}", verified.gaps));
    assert_eq!(verified.gaps.len(), 1, "{:#?}", verified.gaps);
    assert_eq!(gap.name, "joined-just-now");
    assert!(
        gap.joined.is_some() && gap.waited_s.is_some_and(|s| s < 60),
        "{gap:?}"
    );
    for lacks in [
        &format!("member-role-stack-instance {REGION}"),
        "member-role-trusts-hub-role",
        &format!("detector-enabled {REGION}"),
        &format!("guardduty-members {REGION}"),
    ] {
        assert!(gap.missing.iter().any(|m| m == lacks), "{lacks}: {gap:?}");
    }

    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    assert!(!verified.has_problems(), "{:#?}", failed_checks(&verified));
    assert!(verified.gaps.is_empty());
}

/// `apply --accounts NEW` (an EventBridge rule's run for an account that just joined, before
/// automatic deployment and auto-enable reached it) in an organization of `accounts` members:
/// every call it makes, by operation, and the newcomer covered after it.
async fn calls_of_apply_for_one_account(accounts: usize) -> BTreeMap<String, u64> {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts,
        ous: 3,
        regions: vec![REGION.to_owned()],
        landing_zone: true,
        seed: 28,
        ..SeedSpec::default()
    });
    let lz = seeded.landing_zone.clone().expect("a landing zone");
    let aws = factory(&emu).await;
    let cfg = stackset_config(&lz, &[]);
    let applied = engine::apply(&cfg, &context(aws.clone(), 16))
        .await
        .expect("apply");
    assert!(!applied.has_failures(), "{}", failures(&applied));
    // Automatic deployment failed for the newcomer (its one attempt), and GuardDuty's
    // auto-enable has not reached it yet.
    emu.set_stacksets(0.0, 1.0);
    emu.set_guardduty_auto_enable_delay(600.0);
    let joined = create_account(&aws, "joined", Some(&seeded.ous[0].id)).await;
    emu.fail_stack_instance_once(
        &joined,
        "Injected failure: throttled while the account was new",
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_ne!(
        instances(&aws).await.get(&joined).map(String::as_str),
        Some("CURRENT")
    );
    let mut ctx = context(aws.clone(), 16);
    ctx.only = Some(vec![joined.parse().expect("an account ID")]);
    emu.reset_counters();
    let one = engine::apply(&cfg, &ctx).await.expect("apply --accounts");
    assert!(!one.has_failures(), "{}", failures(&one));
    let calls = emu.counters().by_operation();
    assert_eq!(
        instances(&aws).await.get(&joined).map(String::as_str),
        Some("CURRENT")
    );
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify --accounts");
    assert!(!verified.has_problems(), "{:#?}", failed_checks(&verified));
    assert!(verified.checks.iter().any(|c| c.scope == joined));
    // Only the newcomer (and the administrator, which adds it as a member) were worked on.
    let worked: Vec<&str> = one.accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(worked.len(), 2, "{worked:?}");
    assert!(worked.contains(&joined.as_str()) && worked.contains(&lz.audit.as_str()));
    calls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_for_one_account_makes_the_same_calls_at_30_and_300_accounts() {
    let small = calls_of_apply_for_one_account(30).await;
    let large = calls_of_apply_for_one_account(300).await;
    assert_eq!(
        small, large,
        "30 accounts: {small:#?}\n300 accounts: {large:#?}"
    );
    assert!(
        !small.contains_key("organizations:ListAccounts"),
        "{small:#?}"
    );
    assert!(!small.contains_key("guardduty:ListMembers"), "{small:#?}");
    assert_eq!(
        small.get("cloudformation:CreateStackInstances"),
        Some(&1),
        "{small:#?}"
    );
    assert_eq!(small.get("guardduty:CreateMembers"), Some(&1), "{small:#?}");
}

/// `apply --accounts NEW` with direct roles and per-account export (the shared documents list
/// accounts): the newcomer is added to the bucket and key policies and to the hub role's
/// AssumeRole list, and every other account's entry stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_for_one_account_keeps_every_other_accounts_entries() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 4,
        ous: 1,
        regions: vec![REGION.to_owned()],
        seed: 29,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&[REGION], "");
    let applied = engine::apply(&cfg, &context(aws.clone(), 8))
        .await
        .expect("apply");
    assert!(!applied.has_failures(), "{}", failures(&applied));
    let joined = create_account(&aws, "joined", Some(&seeded.ous[0].id)).await;
    let mut ctx = context(aws.clone(), 8);
    ctx.only = Some(vec![joined.parse().expect("an account ID")]);
    let one = engine::apply(&cfg, &ctx).await.expect("apply --accounts");
    assert!(!one.has_failures(), "{}", failures(&one));
    let bucket = bucket_policy(&aws, GD_BUCKET).await.to_json_minified();
    let managed = hub(&aws)
        .iam(REGION)
        .get_policy_version()
        .policy_arn(format!(
            "arn:aws:iam::{}:policy/radiant-aws-access-role-permissions",
            integration_tests::MANAGEMENT_ACCOUNT_ID
        ))
        .version_id(
            hub(&aws)
                .iam(REGION)
                .get_policy()
                .policy_arn(format!(
                    "arn:aws:iam::{}:policy/radiant-aws-access-role-permissions",
                    integration_tests::MANAGEMENT_ACCOUNT_ID
                ))
                .send()
                .await
                .unwrap()
                .policy()
                .unwrap()
                .default_version_id()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let managed =
        percent_encoding::percent_decode_str(managed.policy_version().unwrap().document().unwrap())
            .decode_utf8()
            .unwrap()
            .into_owned();
    for a in seeded.active_account_ids().iter().chain([&joined]) {
        assert!(
            bucket.contains(&format!("{REGION}:{a}:detector/")),
            "{a}: {bucket}"
        );
        assert!(
            managed.contains(&format!("iam::{a}:role/{MEMBER_ROLE}")),
            "{a}: {managed}"
        );
    }
    // A whole-organization run after it changes nothing.
    emu.reset_counters();
    let again = engine::apply(&cfg, &context(aws.clone(), 8))
        .await
        .expect("re-run");
    assert!(!again.has_failures(), "{}", failures(&again));
    assert_eq!(emu.counters().writes(), 0, "{:#?}", writes(&emu));
}

/// The switch from the StackSet back to direct roles removes every account's instance, so a
/// run of some accounts does not make it: those accounts fail saying why, the StackSet and every
/// instance stay, every role stays assumable; the run of the whole organization switches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_switch_to_direct_roles_waits_for_a_run_of_the_whole_organization() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 5,
        ous: 1,
        regions: vec![REGION.to_owned()],
        seed: 31,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let members = seeded.active_account_ids();
    let direct = config(&[REGION], "");
    let mut stackset = direct.clone();
    stackset.members.deploy = orchestrator::config::MemberDeploy::Stackset;
    let applied = engine::apply(&stackset, &context(aws.clone(), 8))
        .await
        .expect("apply stackset");
    assert!(!applied.has_failures(), "{}", failures(&applied));
    let before = instances(&aws).await;
    assert_eq!(before.len(), members.len(), "{before:#?}");

    let mut one = context(aws.clone(), 8);
    one.only = Some(vec![members[0].parse().expect("an account ID")]);
    let partial = engine::apply(&direct, &one)
        .await
        .expect("apply --accounts");
    let failed = partial
        .accounts
        .iter()
        .find(|a| a.id == members[0])
        .expect("the account is reported");
    let error = failed.error.as_ref().expect("the account fails");
    assert!(error.message.contains("without --accounts"), "{error:?}");
    assert_eq!(instances(&aws).await, before);
    assert_eq!(
        not_assumable(&emu, &stackset, &members).await,
        Vec::<String>::new()
    );

    let whole = engine::apply(&direct, &context(aws.clone(), 8))
        .await
        .expect("apply direct");
    assert!(!whole.has_failures(), "{}", failures(&whole));
    assert_eq!(
        not_assumable(&emu, &direct, &members).await,
        Vec::<String>::new()
    );
}

/// From direct roles to the StackSet, CloudFormation refuses the operation that creates the
/// instances (after the direct roles were deleted to make room): the roles are created again
/// directly, so every account keeps a working role, each account fails with the refusal, and
/// the next run makes the switch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_stack_instance_operation_gives_the_replaced_roles_back() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 5,
        ous: 1,
        regions: vec![REGION.to_owned()],
        seed: 32,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let members = seeded.active_account_ids();
    let direct = config(&[REGION], "");
    let mut stackset = direct.clone();
    stackset.members.deploy = orchestrator::config::MemberDeploy::Stackset;
    let ctx = context(aws.clone(), 8);
    let applied = engine::apply(&direct, &ctx).await.expect("apply direct");
    assert!(!applied.has_failures(), "{}", failures(&applied));

    emu.deny("cloudformation", "CreateStackInstances", 0);
    let refused = engine::apply(&stackset, &ctx)
        .await
        .expect("apply the switch");
    emu.allow_all();
    for m in &members {
        let result = refused.accounts.iter().find(|a| &a.id == m).unwrap();
        let error = result.error.as_ref().expect("the account fails");
        assert!(
            error.message.contains("CreateStackInstances"),
            "{m}: {error:?}"
        );
        let tags = member_role_tags(&aws, m).await.expect("the role is back");
        assert!(
            !tags.iter().any(|(k, _)| k == "radiant-onboard:deployment"),
            "{m}: {tags:?}"
        );
    }
    assert_eq!(
        not_assumable(&emu, &stackset, &members).await,
        Vec::<String>::new()
    );

    let switched = engine::apply(&stackset, &ctx).await.expect("run again");
    assert!(!switched.has_failures(), "{}", failures(&switched));
    let now = instances(&aws).await;
    assert!(
        members
            .iter()
            .all(|m| now.get(m).map(String::as_str) == Some("CURRENT")),
        "{now:#?}"
    );
}

/// A new template (another external ID) whose update fails in one account: that account fails
/// with the stack's reason, the others are updated, and the next run finishes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_update_that_fails_in_one_account_fails_only_that_account() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 4,
        ous: 1,
        regions: vec![REGION.to_owned()],
        seed: 33,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let members = seeded.active_account_ids();
    let mut cfg = config(&[REGION], "");
    cfg.members.deploy = orchestrator::config::MemberDeploy::Stackset;
    let ctx = context(aws.clone(), 8);
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{}", failures(&applied));

    cfg.radiant.external_id = policy_model::ExternalId::new("rs-credential-rotated").unwrap();
    emu.fail_stack_instance_once(
        &members[0],
        "Injected failure: the role update was throttled",
    );
    let updated = engine::apply(&cfg, &ctx)
        .await
        .expect("apply the new template");
    for m in &members {
        let result = updated.accounts.iter().find(|a| &a.id == m).unwrap();
        if m == &members[0] {
            let error = result.error.as_ref().expect("its instance was not updated");
            assert!(error.message.contains("throttled"), "{error:?}");
        } else {
            assert!(result.error.is_none(), "{m}: {result:#?}");
        }
    }
    let again = engine::apply(&cfg, &ctx).await.expect("run again");
    assert!(!again.has_failures(), "{}", failures(&again));
    let now = instances(&aws).await;
    assert!(
        members
            .iter()
            .all(|m| now.get(m).map(String::as_str) == Some("CURRENT")),
        "{now:#?}"
    );
}

/// A role of the member role's name that the tool did not create fails its account
/// ("RoleNameTaken") and is left alone; the first deployment leaves that account out, so it gets
/// no instance the plan did not show, and the others are deployed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_role_of_that_name_fails_its_account_and_gets_no_instance() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 4,
        ous: 1,
        regions: vec![REGION.to_owned()],
        seed: 34,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let members = seeded.active_account_ids();
    let taken = &members[0];
    member(&aws, taken)
        .await
        .iam(REGION)
        .create_role()
        .role_name(MEMBER_ROLE)
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let mut cfg = config(&[REGION], "");
    cfg.members.deploy = orchestrator::config::MemberDeploy::Stackset;
    let applied = engine::apply(&cfg, &context(aws.clone(), 8))
        .await
        .expect("apply");
    let failed = applied.accounts.iter().find(|a| &a.id == taken).unwrap();
    let error = failed.error.as_ref().expect("its account fails");
    assert_eq!(error.code, "RoleNameTaken", "{error:?}");
    let now = instances(&aws).await;
    assert!(!now.contains_key(taken.as_str()), "{now:#?}");
    for m in members.iter().filter(|m| *m != taken) {
        assert_eq!(
            now.get(m).map(String::as_str),
            Some("CURRENT"),
            "{m}: {now:#?}"
        );
    }
    // The customer's role is untouched.
    assert!(
        member_role_tags(&aws, taken)
            .await
            .is_some_and(|t| t.is_empty())
    );
}

/// A StackSet of the configured name that radiant-onboard did not create is never adopted:
/// apply stops naming it and the setting to change, verify fails it, offboard leaves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stackset_of_that_name_the_tool_did_not_create_is_left_alone() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 2,
        ous: 1,
        regions: vec![REGION.to_owned()],
        seed: 35,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cf = hub(&aws).cloudformation(REGION);
    cf.activate_organizations_access().send().await.unwrap();
    let template = r#"{"Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}}"#;
    cf.create_stack_set()
        .stack_set_name(STACKSET)
        .description("the platform team's own")
        .template_body(template)
        .permission_model(aws_sdk_cloudformation::types::PermissionModels::ServiceManaged)
        .auto_deployment(
            aws_sdk_cloudformation::types::AutoDeployment::builder()
                .enabled(false)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut cfg = config(&[REGION], "");
    cfg.members.deploy = orchestrator::config::MemberDeploy::Stackset;
    let ctx = context(aws.clone(), 8);

    let err = engine::apply(&cfg, &ctx)
        .await
        .expect_err("a foreign StackSet stops the run");
    let text = err.to_string();
    assert!(
        text.contains("did not create") && text.contains("stackset_name"),
        "{text}"
    );
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    assert!(
        failed_checks(&verified)
            .iter()
            .any(|c| c.contains("member-role-stackset") && c.contains("did not create")),
        "{:#?}",
        failed_checks(&verified)
    );
    engine::offboard(&cfg, &ctx, &engine::OffboardOptions::default())
        .await
        .expect("offboard");
    let still = cf
        .describe_stack_set()
        .stack_set_name(STACKSET)
        .send()
        .await
        .unwrap();
    let set = still.stack_set().unwrap();
    assert_eq!(set.description(), Some("the platform team's own"));
    assert_ne!(set.status().map(|s| s.as_str()), Some("DELETED"));
    assert_eq!(set.template_body(), Some(template));
}

/// `include_ous` narrowed after a StackSet run: verify says the StackSet still deploys to the
/// OU no longer covered (automatic deployment keeps adding the role there) and how to remove it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_an_ou_the_stackset_deploys_to_that_is_no_longer_covered() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 4,
        ous: 2,
        regions: vec![REGION.to_owned()],
        seed: 36,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let (kept, dropped) = (seeded.ous[0].id.clone(), seeded.ous[1].id.clone());
    let mut cfg = config(&[REGION], "");
    cfg.members.deploy = orchestrator::config::MemberDeploy::Stackset;
    cfg.organization.include_ous = vec![kept.clone(), dropped.clone()];
    let ctx = context(aws.clone(), 8);
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{}", failures(&applied));
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    assert!(!verified.has_problems(), "{:#?}", failed_checks(&verified));

    cfg.organization.include_ous = vec![kept];
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    let failing = failed_checks(&verified);
    assert!(
        failing.iter().any(|c| c.contains("member-role-stackset")
            && c.contains("no longer covers")
            && c.contains(&dropped)),
        "{failing:#?}"
    );
}
