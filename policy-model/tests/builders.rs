//! Snapshots of every builder's output for one fixed input. Each snapshot was read and checked
//! against the AWS documentation (see `docs/policies.md`); a change in a builder shows up here.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions build fixed, known-valid inputs"
)]

use policy_model::builders::{
    self, DetectorScope, FindingsBucket, HubRolePermissions, OrgTrail, S3ReadScope,
};
use policy_model::planner::{self, AttachmentBudget, MemberRoles};
use policy_model::{
    AccountId, Arn, DetectorId, ExternalId, OrgId, Partition, PolicyDocument, Region, Statement,
};

fn hub() -> AccountId {
    AccountId::new("111111111111").unwrap()
}
fn region() -> Region {
    Region::new("us-east-1").unwrap()
}
fn org() -> OrgId {
    OrgId::new("o-a1b2c3d4e5").unwrap()
}
fn external_id() -> ExternalId {
    ExternalId::new("rs-credential-0123456789").unwrap()
}
fn hub_role() -> Arn {
    Arn::role(Partition::Aws, &hub(), "radiant-aws-access-role").unwrap()
}
fn ct_topic() -> Arn {
    Arn::sns_topic(&region(), &hub(), "radiant-cloudtrail").unwrap()
}
fn gd_topic() -> Arn {
    Arn::sns_topic(&region(), &hub(), "radiant-guardduty").unwrap()
}
fn ct_key() -> Arn {
    Arn::kms_key(&region(), &hub(), "1234abcd-12ab-34cd-56ef-1234567890ab").unwrap()
}
fn gd_key() -> Arn {
    Arn::kms_key(&region(), &hub(), "0987dcba-09fe-87dc-65ba-ab0987654321").unwrap()
}
fn members() -> Vec<Arn> {
    ["222222222222", "333333333333"]
        .iter()
        .map(|a| {
            Arn::role(
                Partition::Aws,
                &AccountId::new(a).unwrap(),
                "radiant-member-role",
            )
            .unwrap()
        })
        .collect()
}
fn detectors() -> Vec<Arn> {
    [
        (
            "us-east-1",
            "111111111111",
            "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        ),
        (
            "eu-west-1",
            "222222222222",
            "0f9e8d7c6b5a49382716a5b4c3d2e1f0",
        ),
        (
            "us-east-1",
            "333333333333",
            "33333333333333333333333333333333",
        ),
    ]
    .iter()
    .map(|(r, a, d)| {
        Arn::detector(
            &Region::new(r).unwrap(),
            &AccountId::new(a).unwrap(),
            &DetectorId::new(d).unwrap(),
        )
    })
    .collect()
}
fn trail() -> OrgTrail {
    OrgTrail {
        region: region(),
        management_account: hub(),
        trail_name: "management-events".to_owned(),
        org_id: org(),
        bucket: "radiant-cloudtrail-logs".to_owned(),
        prefix: String::new(),
    }
}
fn findings_bucket() -> FindingsBucket {
    FindingsBucket {
        partition: Partition::Aws,
        bucket: "radiant-guardduty-findings".to_owned(),
        prefix: "guardduty".to_owned(),
    }
}
fn hub_input(scope: S3ReadScope, keys: Vec<Arn>) -> HubRolePermissions {
    HubRolePermissions {
        partition: Partition::Aws,
        s3_scope: scope,
        topics: vec![ct_topic(), gd_topic()],
        kms_keys: keys,
    }
}
fn doc(statements: Vec<Statement>) -> String {
    PolicyDocument::from_statements(statements).to_json_pretty()
}

#[test]
fn hub_role_with_members_keys_and_topics() {
    let planned = planner::plan_hub_role(
        &hub_input(S3ReadScope::AllBuckets, vec![ct_key(), gd_key()]),
        &MemberRoles {
            arns: members(),
            role_name: "radiant-member-role".to_owned(),
            org_id: Some(org()),
        },
        AttachmentBudget::default(),
    )
    .unwrap();
    assert_eq!(planned.documents.len(), 1);
    insta::assert_snapshot!(planned.documents[0].to_json_pretty());
}

#[test]
fn hub_role_for_stackset_members_is_organization_scoped_whatever_the_accounts() {
    let input = hub_input(S3ReadScope::AllBuckets, vec![ct_key(), gd_key()]);
    let whole = planner::plan_hub_role_org_scoped(
        &input,
        "radiant-member-role",
        &org(),
        &[],
        &[],
        AttachmentBudget::default(),
    )
    .unwrap();
    assert_eq!(whole.documents.len(), 1);
    assert_eq!(whole.decision.form, policy_model::PolicyForm::ResourceOrgId);
    let assume = whole.documents[0]
        .statement(builders::sid::ASSUME_MEMBER_ROLES)
        .unwrap();
    assert_eq!(
        assume.resource_values(),
        ["arn:aws:iam::*:role/radiant-member-role"]
    );
    assert_eq!(
        assume.condition_values("StringEquals", "aws:ResourceOrgID"),
        ["o-a1b2c3d4e5"]
    );
    // Some OUs only: their paths, at any depth below the root.
    let paths = vec![
        builders::org_path_pattern(&org(), "ou-ab12-11111111"),
        builders::org_path_pattern(&org(), "r-ab12"),
    ];
    assert_eq!(
        paths,
        ["o-a1b2c3d4e5/*/ou-ab12-11111111/*", "o-a1b2c3d4e5/r-ab12/*"]
    );
    let some = planner::plan_hub_role_org_scoped(
        &input,
        "radiant-member-role",
        &org(),
        &paths,
        &[],
        AttachmentBudget::default(),
    )
    .unwrap();
    insta::assert_snapshot!(some.documents[0].to_json_pretty());
    // Excluded accounts: out of reach by aws:ResourceAccount, whatever role they hold.
    let excluded = [policy_model::AccountId::new("222222222222").unwrap()];
    let without = planner::plan_hub_role_org_scoped(
        &input,
        "radiant-member-role",
        &org(),
        &[],
        &excluded,
        AttachmentBudget::default(),
    )
    .unwrap();
    let assume = without.documents[0]
        .statement(builders::sid::ASSUME_MEMBER_ROLES)
        .unwrap();
    assert_eq!(
        assume.condition_values("StringNotEquals", "aws:ResourceAccount"),
        ["222222222222"]
    );
    assert!(without.decision.reason.contains("1 excluded accounts"));
    // No attachment left: an error naming the quota, not a policy that cannot be attached.
    let full = AttachmentBudget {
        quota: 10,
        already_attached: 10,
    };
    assert!(
        planner::plan_hub_role_org_scoped(&input, "radiant-member-role", &org(), &[], &[], full)
            .is_err()
    );
}

#[test]
fn hub_role_single_account_without_keys_least_privilege() {
    let planned = planner::plan_hub_role(
        &hub_input(
            S3ReadScope::Buckets(vec![
                "radiant-cloudtrail-logs".to_owned(),
                "radiant-guardduty-findings".to_owned(),
            ]),
            Vec::new(),
        ),
        &MemberRoles {
            arns: Vec::new(),
            role_name: "radiant-member-role".to_owned(),
            org_id: Some(org()),
        },
        AttachmentBudget::default(),
    )
    .unwrap();
    insta::assert_snapshot!(planned.documents[0].to_json_pretty());
}

#[test]
fn hub_role_assume_role_compact_form() {
    let statement =
        builders::assume_member_roles_org_scoped(Partition::Aws, "radiant-member-role", &org())
            .unwrap();
    insta::assert_snapshot!(doc(vec![statement]));
}

#[test]
fn radiant_trust_policy() {
    let principal: Arn =
        "arn:aws:sts::649384204969:assumed-role/tenant-aws-access-role/radiant-security"
            .parse()
            .unwrap();
    insta::assert_snapshot!(builders::radiant_trust(&principal, &external_id()).to_json_pretty());
}

#[test]
fn member_trust_policy() {
    insta::assert_snapshot!(builders::member_trust(&hub_role(), &external_id()).to_json_pretty());
}

#[test]
fn member_role_permissions() {
    insta::assert_snapshot!(builders::member_role_permissions(Partition::Aws).to_json_pretty());
}

#[test]
fn member_role_stackset_template() {
    let trust = builders::member_trust(&hub_role(), &external_id());
    let permissions = builders::member_role_permissions(Partition::Aws);
    let template = policy_model::template::MemberRoleTemplate {
        role_name: "radiant-member-role",
        policy_name: "radiant-member-role-permissions",
        description: "Radiant Security read access (managed by radiant-onboard)",
        trust: &trust,
        permissions: &permissions,
        tags: &[
            ("radiant-onboard", "managed"),
            ("radiant-onboard:deployment", "stackset"),
        ],
    };
    let value = template.to_value();
    // The role carries exactly the direct fan-out's documents.
    let role = &value["Resources"][policy_model::template::MEMBER_ROLE_LOGICAL_ID]["Properties"];
    assert_eq!(role["AssumeRolePolicyDocument"], trust.to_value());
    assert_eq!(
        role["Policies"][0]["PolicyDocument"],
        permissions.to_value()
    );
    // Read back in another key order and with white space, it is the same template; another
    // external ID is not.
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    assert!(policy_model::template::same_template(&pretty, &value));
    let reversed: serde_json::Map<String, serde_json::Value> = value
        .as_object()
        .unwrap()
        .iter()
        .rev()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let reversed = serde_json::Value::Object(reversed).to_string();
    assert!(reversed.starts_with("{\"Outputs\""), "{reversed}");
    assert!(policy_model::template::same_template(&reversed, &value));
    let other = template
        .body()
        .replace("rs-credential-0123456789", "rs-credential-other");
    assert!(!policy_model::template::same_template(&other, &value));
    assert!(!policy_model::template::same_template(
        "Resources: {}",
        &value
    ));
    assert!(template.body().len() < policy_model::template::TEMPLATE_BODY_LIMIT);
    insta::assert_snapshot!(pretty);
}

#[test]
fn cloudtrail_bucket_statements() {
    insta::assert_snapshot!(doc(
        builders::cloudtrail_bucket_statements(&trail()).unwrap()
    ));
}

#[test]
fn cloudtrail_bucket_statements_with_prefix() {
    let mut trail = trail();
    trail.prefix = "org/cloudtrail".to_owned();
    insta::assert_snapshot!(doc(builders::cloudtrail_bucket_statements(&trail).unwrap()));
}

#[test]
fn cloudtrail_key_policy_for_a_new_key() {
    let mut policy = builders::new_key_policy(Partition::Aws, &hub());
    for statement in builders::cloudtrail_key_statements(&trail(), &[hub_role()]).unwrap() {
        policy.ensure_statement(statement).unwrap();
    }
    insta::assert_snapshot!(policy.to_json_pretty());
}

#[test]
fn cloudtrail_topic_statement() {
    let statement =
        builders::cloudtrail_topic_statement(&trail().trail_arn().unwrap(), &ct_topic());
    insta::assert_snapshot!(doc(vec![statement]));
}

#[test]
fn guardduty_topic_statement() {
    let statement =
        builders::guardduty_topic_statement(&gd_topic(), "radiant-guardduty-findings", &hub())
            .unwrap();
    insta::assert_snapshot!(doc(vec![statement]));
}

#[test]
fn guardduty_bucket_statements_exact_detectors() {
    let statements = builders::guardduty_bucket_statements(
        &findings_bucket(),
        &DetectorScope::Detectors(detectors()),
    )
    .unwrap();
    insta::assert_snapshot!(doc(statements));
}

#[test]
fn guardduty_bucket_statements_account_list() {
    let accounts = ["111111111111", "222222222222", "333333333333"]
        .iter()
        .map(|a| AccountId::new(a).unwrap())
        .collect();
    let statements = builders::guardduty_bucket_statements(
        &findings_bucket(),
        &DetectorScope::Accounts(accounts),
    )
    .unwrap();
    insta::assert_snapshot!(doc(statements));
}

#[test]
fn guardduty_bucket_merged_statement_account_list() {
    let accounts = ["111111111111", "222222222222", "333333333333"]
        .iter()
        .map(|a| AccountId::new(a).unwrap())
        .collect();
    let statement = builders::guardduty_bucket_merged_statement(
        &findings_bucket(),
        &DetectorScope::Accounts(accounts),
    )
    .unwrap();
    insta::assert_snapshot!(doc(vec![statement]));
}

#[test]
fn guardduty_bucket_statements_source_org_id() {
    let statements = builders::guardduty_bucket_statements(
        &findings_bucket(),
        &DetectorScope::Organization(org()),
    )
    .unwrap();
    insta::assert_snapshot!(doc(statements));
}

#[test]
fn guardduty_key_policy_for_a_new_key() {
    let mut policy = builders::new_key_policy(Partition::Aws, &hub());
    policy
        .ensure_statement(builders::guardduty_key_statement(
            &gd_key(),
            &DetectorScope::Detectors(detectors()),
        ))
        .unwrap();
    insta::assert_snapshot!(policy.to_json_pretty());
}

#[test]
fn reused_trail_statements() {
    // A landing zone's trail: the topic S3 notifies (bucket of Log Archive), the hub role's read
    // statement in a bucket of another account, and its decrypt statement in the trail's key.
    let log_archive = AccountId::new("222222222222").unwrap();
    let topic: Arn = "arn:aws:sns:us-east-1:222222222222:radiant-cloudtrail"
        .parse()
        .unwrap();
    let mut statements = vec![
        builders::trail_bucket_topic_statement(
            &topic,
            "aws-controltower-logs-222222222222-us-east-1",
            &log_archive,
        )
        .unwrap(),
    ];
    statements.extend(
        builders::trail_reader_bucket_statements(
            Partition::Aws,
            "org-trail-logs",
            "o-a1b2c3d4e5/AWSLogs/",
            &[hub_role()],
        )
        .unwrap(),
    );
    statements.push(builders::trail_reader_key_statement(&[hub_role()]));
    insta::assert_snapshot!(doc(statements));
}

#[test]
fn log_bucket_hardening_statements() {
    let statements = vec![
        builders::deny_insecure_transport(Partition::Aws, "org-cloudtrail-logs").unwrap(),
        builders::server_access_logs_statement(
            Partition::Aws,
            "org-s3-access-logs",
            "org-cloudtrail-logs/",
            "org-cloudtrail-logs",
            &hub(),
        )
        .unwrap(),
    ];
    insta::assert_snapshot!(doc(statements));
}
