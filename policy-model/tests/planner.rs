//! The size planner: the chosen form never exceeds the limit and never loses an account, for
//! 1 to 5,000 accounts; the most precise form that fits is chosen; foreign statements are kept;
//! a change of form leaves no statement of the previous form behind.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers build fixed, known-valid inputs"
)]

use policy_model::builders::{
    self, DetectorScope, FindingsBucket, HubRolePermissions, S3ReadScope, sid,
};
use policy_model::planner::{
    self, AttachmentBudget, GuardDutySources, MemberRoles, PlanError, PlannedDocument,
};
use policy_model::size::{self, PolicyKind};
use policy_model::{
    AccountId, Arn, DetectorId, OrgId, Partition, PolicyDocument, PolicyForm, Region, Statement,
};
use proptest::prelude::*;

const ROLE: &str = "radiant-member-role";
const REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"];

fn hub() -> AccountId {
    AccountId::new("111111111111").unwrap()
}
fn org() -> OrgId {
    OrgId::new("o-a1b2c3d4e5").unwrap()
}
fn account(i: usize) -> AccountId {
    AccountId::new(&format!("{:012}", 200_000_000_000usize + i * 7_919)).unwrap()
}
fn member_roles(n: usize) -> Vec<Arn> {
    (0..n)
        .map(|i| Arn::role(Partition::Aws, &account(i), ROLE).unwrap())
        .collect()
}
/// `n` detectors over `n.div_ceil(per_account)` accounts, in several Regions.
fn detectors(n: usize, per_account: usize) -> Vec<Arn> {
    (0..n)
        .map(|i| {
            let region = Region::new(REGIONS[i % per_account % REGIONS.len()]).unwrap();
            let id =
                DetectorId::new(&format!("{:032x}", i as u128 * 0x9e37_79b9_7f4a_7c15)).unwrap();
            Arn::detector(&region, &account(i / per_account), &id)
        })
        .collect()
}
fn hub_input() -> HubRolePermissions {
    let region = Region::new("us-east-1").unwrap();
    HubRolePermissions {
        partition: Partition::Aws,
        s3_scope: S3ReadScope::AllBuckets,
        topics: vec![
            Arn::sns_topic(&region, &hub(), "radiant-cloudtrail").unwrap(),
            Arn::sns_topic(&region, &hub(), "radiant-guardduty").unwrap(),
        ],
        kms_keys: vec![
            Arn::kms_key(&region, &hub(), "1234abcd-12ab-34cd-56ef-1234567890ab").unwrap(),
        ],
    }
}
fn bucket() -> FindingsBucket {
    FindingsBucket {
        partition: Partition::Aws,
        bucket: "radiant-guardduty-findings".to_owned(),
        prefix: "guardduty".to_owned(),
    }
}
fn key() -> Arn {
    Arn::kms_key(
        &Region::new("us-east-1").unwrap(),
        &hub(),
        "0987dcba-09fe-87dc-65ba-ab0987654321",
    )
    .unwrap()
}
/// A foreign statement of roughly `bytes` bytes.
fn foreign(i: usize, bytes: usize) -> Statement {
    let per = 60;
    Statement::deny(format!("CustomerStatement{i}"))
        .principal_any()
        .action("s3:DeleteObject")
        .resources((0..bytes / per).map(|j| format!("arn:aws:s3:::customer-data/p{i}/{j:024}/*")))
}
fn existing(foreign_bytes: usize) -> PolicyDocument {
    let chunks = foreign_bytes.div_ceil(4_000);
    PolicyDocument::from_statements((0..chunks).map(|i| foreign(i, foreign_bytes / chunks.max(1))))
}

/// `*`-glob match (IAM's ArnLike / StringLike without `?`).
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len()).any(|i| tail.is_char_boundary(i) && glob(rest, &tail[i..]))
        }
    }
}

/// Whether the conditions of `statement` admit a request from `detector` (for the conditions the
/// planner writes: StringEquals and ArnLike on the source keys).
fn admits(statement: &Statement, detector: &Arn) -> bool {
    let context = |key: &str| match key {
        "aws:SourceArn" => Some(detector.to_string()),
        "aws:SourceAccount" => Some(detector.account().to_owned()),
        "aws:SourceOrgID" => Some(org().to_string()),
        _ => None,
    };
    let condition = statement.raw().get("Condition").and_then(|c| c.as_object());
    let Some(condition) = condition else {
        return false; // the planner never writes an unconditioned GuardDuty statement
    };
    condition.iter().all(|(operator, block)| {
        block.as_object().unwrap().keys().all(|key| {
            let Some(actual) = context(key) else {
                return false;
            };
            let allowed = statement.condition_values(operator, key);
            match operator.as_str() {
                "StringEquals" => allowed.contains(&actual),
                "ArnLike" => allowed.iter().any(|p| glob(p, &actual)),
                // An operator the evaluator does not know admits nothing, so the test fails.
                _ => false,
            }
        })
    })
}

/// A request GuardDuty may make: an action on a resource of the action's resource type (S3
/// authorizes `s3:GetBucketLocation` only against a bucket ARN and `s3:PutObject` only against
/// an object ARN, so only such pairs are requests at all).
type Request = (&'static str, String);

/// Whether the owned statements of `doc` allow `guardduty.amazonaws.com` the request from
/// `detector`: some Allow statement for that service principal whose Action and Resource match
/// (`*` globs) and whose conditions admit the detector. The product writes no Deny statement.
fn allows(doc: &PolicyDocument, (action, resource): &Request, detector: &Arn) -> bool {
    doc.owned_statements().any(|statement| {
        statement.effect() == policy_model::Effect::Allow
            && statement
                .principals("Service")
                .contains(&"guardduty.amazonaws.com")
            && statement.action_values().iter().any(|a| glob(a, action))
            && statement
                .resource_values()
                .iter()
                .any(|r| glob(r, resource))
            && admits(statement, detector)
    })
}

fn stranger() -> Arn {
    Arn::detector(
        &Region::new("us-east-1").unwrap(),
        &AccountId::new("999999999999").unwrap(),
        &DetectorId::new("ffff").unwrap(),
    )
}

/// What GuardDuty needs from the findings bucket (exporting a finding to `guardduty/`).
fn bucket_requests() -> Vec<Request> {
    vec![
        (
            "s3:GetBucketLocation",
            "arn:aws:s3:::radiant-guardduty-findings".to_owned(),
        ),
        (
            "s3:PutObject",
            "arn:aws:s3:::radiant-guardduty-findings/guardduty/AWSLogs/200000000000/GuardDuty/us-east-1/f.jsonl.gz".to_owned(),
        ),
    ]
}

/// Valid requests (action on its resource type) that no form may allow anyone.
fn bucket_requests_never_allowed() -> Vec<Request> {
    let bucket = "arn:aws:s3:::radiant-guardduty-findings";
    vec![
        (
            "s3:GetBucketLocation",
            "arn:aws:s3:::customer-data".to_owned(),
        ),
        ("s3:ListBucket", bucket.to_owned()),
        ("s3:PutBucketPolicy", bucket.to_owned()),
        ("s3:PutObject", format!("{bucket}/other/f.jsonl.gz")),
        ("s3:PutObject", format!("{bucket}/guardduty-x/f.jsonl.gz")),
        (
            "s3:PutObject",
            "arn:aws:s3:::customer-data/guardduty/f".to_owned(),
        ),
        ("s3:GetObject", format!("{bucket}/guardduty/f.jsonl.gz")),
        ("s3:DeleteObject", format!("{bucket}/guardduty/f.jsonl.gz")),
        ("s3:PutObjectAcl", format!("{bucket}/guardduty/f.jsonl.gz")),
    ]
}

fn key_requests() -> Vec<Request> {
    vec![("kms:GenerateDataKey", key().to_string())]
}

/// The owned Sids each GuardDuty bucket form writes (and no other).
fn bucket_sids(form: PolicyForm) -> Vec<&'static str> {
    match form {
        PolicyForm::Omitted => Vec::new(),
        PolicyForm::SourceAccountListMerged => vec![sid::GUARDDUTY_EXPORT],
        _ => vec![
            sid::GUARDDUTY_GET_BUCKET_LOCATION,
            sid::GUARDDUTY_PUT_OBJECT,
        ],
    }
}

fn owned_sids(doc: &PolicyDocument) -> Vec<String> {
    let mut sids: Vec<String> = doc
        .owned_statements()
        .map(|s| s.sid().unwrap().to_owned())
        .collect();
    sids.sort();
    sids
}

/// Checks a GuardDuty plan: within the limit, every detector allowed every request, no
/// stranger allowed (except in the organization-wide form), `denied` allowed to nobody, exactly
/// `sids` owned, foreign statements unchanged.
fn check_guardduty_plan(
    planned: &PlannedDocument,
    kind: PolicyKind,
    requests: &[Request],
    denied: &[Request],
    sids: &[&str],
    detectors: &[Arn],
    before: &PolicyDocument,
) {
    let measured = size::measure(&planned.document, kind);
    assert!(measured <= size::limit(kind), "{measured} > limit");
    assert_eq!(planned.decision.size, measured);
    let mut expected: Vec<String> = sids.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(
        owned_sids(&planned.document),
        expected,
        "{:?}",
        planned.decision.form
    );
    for request in requests {
        for detector in detectors {
            assert!(
                allows(&planned.document, request, detector),
                "{request:?} is denied to {detector}"
            );
        }
        // A stranger is admitted only by the organization-wide form.
        if planned.decision.form != PolicyForm::SourceOrgId {
            assert!(
                !allows(&planned.document, request, &stranger()),
                "{request:?} is allowed to a stranger"
            );
        }
    }
    for request in denied {
        for detector in detectors.iter().take(3).chain([&stranger()]) {
            assert!(
                !allows(&planned.document, request, detector),
                "{request:?} is allowed to {detector}"
            );
        }
    }
    let foreign = |d: &PolicyDocument| {
        d.foreign_statements()
            .map(|s| serde_json::to_string(s).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(foreign(&planned.document), foreign(before));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn hub_role_never_exceeds_the_limit_nor_loses_a_member(
        n in prop_oneof![1usize..=200, 1usize..=5_000],
        already_attached in 0usize..10,
    ) {
        let members = member_roles(n);
        let budget = AttachmentBudget { quota: 10, already_attached };
        let planned = planner::plan_hub_role(
            &hub_input(),
            &MemberRoles { arns: members.clone(), role_name: ROLE.to_owned(), org_id: Some(org()) },
            budget,
        ).unwrap();
        prop_assert!(planned.documents.len() <= budget.available());
        for doc in &planned.documents {
            prop_assert!(size::measure(doc, PolicyKind::IamManaged) <= 6_144);
        }
        let statements: Vec<&Statement> = planned
            .documents
            .iter()
            .filter_map(|d| d.statement(sid::ASSUME_MEMBER_ROLES))
            .collect();
        for member in &members {
            let text = member.to_string();
            let admitted = statements.iter().any(|s| {
                s.resource_values().iter().any(|r| glob(r, &text))
                    && s.condition_values("StringEquals", "aws:ResourceOrgID")
                        .iter()
                        .all(|o| o == org().as_str())
            });
            prop_assert!(admitted, "{} is lost", text);
        }
        match planned.decision.form {
            PolicyForm::ExplicitList => prop_assert_eq!(planned.documents.len(), 1),
            PolicyForm::SplitManagedPolicies { count } => {
                prop_assert_eq!(count, planned.documents.len());
                prop_assert!(count > 1);
            }
            PolicyForm::ResourceOrgId => {
                // Chosen only when the explicit list cannot fit the available attachments:
                // per policy at most ~130 characters of overhead and one ARN wasted by packing,
                // plus the base statements once.
                let needed: usize = members.iter().map(|m| m.to_string().len() + 3).sum();
                let base = size::measure(
                    &PolicyDocument::from_statements(builders::hub_role_base_statements(&hub_input()).unwrap()),
                    PolicyKind::IamManaged,
                );
                let room = budget.available() * (6_144 - 130 - 60);
                prop_assert!(needed + base > room, "n = {}, needed {} + {} <= {}", n, needed, base, room);
            }
            other => prop_assert!(false, "unexpected form {:?}", other),
        }
    }

    #[test]
    fn guardduty_bucket_never_exceeds_the_limit_nor_loses_a_detector(
        n in prop_oneof![1usize..=300, 1usize..=5_000],
        per_account in 1usize..=4,
        foreign_bytes in prop_oneof![Just(0usize), 0usize..19_000],
        opt_in in any::<bool>(),
    ) {
        let detectors = detectors(n, per_account);
        let before = existing(foreign_bytes);
        let sources = GuardDutySources {
            detectors: detectors.clone(),
            org_id: Some(org()),
            allow_source_org_id: opt_in,
            retained_accounts: Vec::new(),
            retained_regions: Vec::new(),
            keep_org_form: false,
        };
        match planner::plan_guardduty_bucket(&before, &bucket(), &sources) {
            Ok(planned) => check_guardduty_plan(
                &planned,
                PolicyKind::S3Bucket,
                &bucket_requests(),
                &bucket_requests_never_allowed(),
                &bucket_sids(planned.decision.form),
                &detectors,
                &before,
            ),
            Err(PlanError::NoFormFits { .. }) => {
                // Only when even the most compact allowed form is too large.
                let statements = if opt_in {
                    builders::guardduty_bucket_statements(
                        &bucket(),
                        &DetectorScope::Organization(org()),
                    )
                    .unwrap()
                } else {
                    vec![builders::guardduty_bucket_merged_statement(
                        &bucket(),
                        &DetectorScope::Accounts(distinct_accounts(&detectors)),
                    )
                    .unwrap()]
                };
                let mut doc = before.clone();
                for s in statements {
                    doc.ensure_statement(s).unwrap();
                }
                prop_assert!(size::measure(&doc, PolicyKind::S3Bucket) > 20_480);
            }
            Err(other) => prop_assert!(false, "{}", other),
        }
    }

    #[test]
    fn guardduty_key_never_exceeds_the_limit_nor_loses_a_detector(
        n in 1usize..=5_000,
        per_account in 1usize..=4,
        opt_in in any::<bool>(),
    ) {
        let detectors = detectors(n, per_account);
        let before = builders::new_key_policy(Partition::Aws, &hub());
        let sources = GuardDutySources {
            detectors: detectors.clone(),
            org_id: Some(org()),
            allow_source_org_id: opt_in,
            retained_accounts: Vec::new(),
            retained_regions: Vec::new(),
            keep_org_form: false,
        };
        match planner::plan_guardduty_key(&before, &key(), &sources) {
            Ok(planned) => {
                prop_assert!(planned.decision.form != PolicyForm::SourceAccountListMerged);
                check_guardduty_plan(
                    &planned,
                    PolicyKind::KmsKey,
                    &key_requests(),
                    &[("kms:Decrypt", key().to_string())],
                    &[sid::GUARDDUTY_GENERATE_DATA_KEY, sid::KEY_ADMIN],
                    &detectors,
                    &before,
                );
            }
            Err(PlanError::NoFormFits { .. }) => {
                // Only without the opt-in, and only when the account list is too large.
                prop_assert!(!opt_in);
                let mut doc = before.clone();
                doc.ensure_statement(builders::guardduty_key_statement(
                    &key(),
                    &DetectorScope::Accounts(distinct_accounts(&detectors)),
                ))
                .unwrap();
                prop_assert!(size::measure(&doc, PolicyKind::KmsKey) > 32_768);
            }
            Err(other) => prop_assert!(false, "{}", other),
        }
    }

    #[test]
    fn guardduty_bucket_replanning_keeps_one_form_and_is_idempotent(
        first in prop_oneof![0usize..=150, 0usize..=1_500],
        second in prop_oneof![0usize..=150, 0usize..=1_500],
        foreign_bytes in prop_oneof![Just(0usize), 0usize..6_000],
        opt_in in any::<bool>(),
    ) {
        let before = existing(foreign_bytes);
        let plan = |doc: &PolicyDocument, n: usize| {
            planner::plan_guardduty_bucket(doc, &bucket(), &sources(n, opt_in))
        };
        // A first plan that fits no form changes nothing: the next one starts from `before`.
        let start = plan(&before, first).map_or_else(|_| before.clone(), |p| p.document);
        match plan(&start, second) {
            Ok(planned) => {
                let requests = if second == 0 { Vec::new() } else { bucket_requests() };
                check_guardduty_plan(
                    &planned,
                    PolicyKind::S3Bucket,
                    &requests,
                    &bucket_requests_never_allowed(),
                    &bucket_sids(planned.decision.form),
                    &sources(second, opt_in).detectors,
                    &before,
                );
                // The same form as planning from scratch, and planning again changes nothing.
                let fresh = plan(&before, second).unwrap();
                prop_assert_eq!(fresh.decision.form, planned.decision.form);
                let again = plan(&planned.document, second).unwrap();
                prop_assert_eq!(again.document.to_json_minified(), planned.document.to_json_minified());
            }
            Err(PlanError::NoFormFits { .. }) => {
                prop_assert!(plan(&before, second).is_err());
            }
            Err(other) => prop_assert!(false, "{}", other),
        }
    }
}

fn distinct_accounts(detectors: &[Arn]) -> Vec<AccountId> {
    let mut accounts: Vec<AccountId> = detectors.iter().map(|d| d.account_id().unwrap()).collect();
    accounts.dedup();
    accounts
}

fn plan_hub(
    n: usize,
    budget: AttachmentBudget,
    org_id: Option<OrgId>,
) -> Result<planner::PlannedPolicies, PlanError> {
    planner::plan_hub_role(
        &hub_input(),
        &MemberRoles {
            arns: member_roles(n),
            role_name: ROLE.to_owned(),
            org_id,
        },
        budget,
    )
}

#[test]
fn hub_role_forms_go_from_explicit_to_split_to_org_scoped() {
    let small = plan_hub(20, AttachmentBudget::default(), Some(org())).unwrap();
    assert_eq!(small.decision.form, PolicyForm::ExplicitList);
    assert!(
        small.decision.reason.contains("it fits"),
        "{}",
        small.decision.reason
    );

    let medium = plan_hub(250, AttachmentBudget::default(), Some(org())).unwrap();
    assert!(
        matches!(medium.decision.form, PolicyForm::SplitManagedPolicies { count } if count == 3),
        "{:?}",
        medium.decision
    );
    // Only the first document holds the base statements.
    assert!(medium.documents[0].statement(sid::S3_READ).is_some());
    assert!(medium.documents[1].statement(sid::S3_READ).is_none());

    let large = plan_hub(2_000, AttachmentBudget::default(), Some(org())).unwrap();
    assert_eq!(large.decision.form, PolicyForm::ResourceOrgId);
    assert_eq!(large.documents.len(), 1);
    assert!(
        large.decision.reason.contains("aws:ResourceOrgID"),
        "{}",
        large.decision.reason
    );

    // With 9 of 10 attachments taken, 250 members no longer split: compact form.
    let crowded = plan_hub(
        250,
        AttachmentBudget {
            quota: 10,
            already_attached: 9,
        },
        Some(org()),
    )
    .unwrap();
    assert_eq!(crowded.decision.form, PolicyForm::ResourceOrgId);
}

#[test]
fn hub_role_without_members_has_no_assume_role_statement() {
    let planned = plan_hub(0, AttachmentBudget::default(), None).unwrap();
    assert_eq!(planned.decision.form, PolicyForm::Omitted);
    assert!(
        planned.documents[0]
            .statement(sid::ASSUME_MEMBER_ROLES)
            .is_none()
    );
}

#[test]
fn hub_role_that_fits_no_form_is_an_error_before_any_call() {
    let err = plan_hub(2_000, AttachmentBudget::default(), None).unwrap_err();
    assert!(matches!(err, PlanError::NoFormFits { .. }));
    assert!(err.to_string().contains("organization ID"), "{err}");

    let err = plan_hub(
        3,
        AttachmentBudget {
            quota: 10,
            already_attached: 10,
        },
        Some(org()),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("AttachedPoliciesPerRoleQuota"),
        "{err}"
    );
}

fn sources(n: usize, opt_in: bool) -> GuardDutySources {
    GuardDutySources {
        detectors: detectors(n, 1),
        org_id: Some(org()),
        allow_source_org_id: opt_in,
        retained_accounts: Vec::new(),
        retained_regions: Vec::new(),
        keep_org_form: false,
    }
}

#[test]
fn guardduty_bucket_forms_go_from_exact_to_accounts_to_merged_to_org_only_on_opt_in() {
    let empty = PolicyDocument::new();
    let exact = planner::plan_guardduty_bucket(&empty, &bucket(), &sources(10, false)).unwrap();
    assert_eq!(exact.decision.form, PolicyForm::ExactSourceArn);

    let accounts = planner::plan_guardduty_bucket(&empty, &bucket(), &sources(300, false)).unwrap();
    assert_eq!(accounts.decision.form, PolicyForm::SourceAccountList);
    assert!(
        accounts.decision.reason.contains("over 20480"),
        "{}",
        accounts.decision.reason
    );

    // 700 accounts do not fit as an account list twice (2 statements x 15 bytes x 700), but do
    // in one merged statement.
    let merged = planner::plan_guardduty_bucket(&empty, &bucket(), &sources(700, false)).unwrap();
    assert_eq!(merged.decision.form, PolicyForm::SourceAccountListMerged);
    assert_eq!(merged.document.statements().len(), 1);
    let reason = &merged.decision.reason;
    assert!(
        reason.contains("aws:SourceAccount list with an ArnLike detector pattern would make")
            && reason.contains("in one statement"),
        "{reason}"
    );
    // The opt-in does not skip the more precise merged form.
    let still_merged =
        planner::plan_guardduty_bucket(&empty, &bucket(), &sources(700, true)).unwrap();
    assert_eq!(
        still_merged.decision.form,
        PolicyForm::SourceAccountListMerged
    );

    // 1,400 accounts do not fit even once.
    let err =
        planner::plan_guardduty_bucket(&empty, &bucket(), &sources(1_400, false)).unwrap_err();
    assert!(err.to_string().contains("in one statement"), "{err}");
    assert!(err.to_string().contains("allow_source_org_id"), "{err}");
    let org_form =
        planner::plan_guardduty_bucket(&empty, &bucket(), &sources(1_400, true)).unwrap();
    assert_eq!(org_form.decision.form, PolicyForm::SourceOrgId);
}

/// The capacities `docs/policies.md` states (empty bucket policy, one detector per account).
#[test]
fn guardduty_bucket_capacities_match_the_documentation() {
    let form = |n: usize| {
        planner::plan_guardduty_bucket(&PolicyDocument::new(), &bucket(), &sources(n, false))
            .map(|p| p.decision.form)
            .ok()
    };
    assert_eq!(form(95), Some(PolicyForm::ExactSourceArn));
    assert_eq!(form(105), Some(PolicyForm::SourceAccountList));
    assert_eq!(form(650), Some(PolicyForm::SourceAccountList));
    assert_eq!(form(670), Some(PolicyForm::SourceAccountListMerged));
    assert_eq!(form(1_330), Some(PolicyForm::SourceAccountListMerged));
    assert_eq!(form(1_345), None);
}

#[test]
fn guardduty_bucket_merged_statement_grants_what_the_two_statements_grant() {
    let detectors = detectors(40, 2);
    let scopes = [
        DetectorScope::Detectors(detectors.clone()),
        DetectorScope::Accounts(distinct_accounts(&detectors)),
        DetectorScope::Organization(org()),
    ];
    let mut probes = bucket_requests();
    probes.extend(bucket_requests_never_allowed());
    let callers: Vec<Arn> = detectors.iter().cloned().chain([stranger()]).collect();
    for scope in scopes {
        let two = PolicyDocument::from_statements(
            builders::guardduty_bucket_statements(&bucket(), &scope).unwrap(),
        );
        let one = PolicyDocument::from_statements([builders::guardduty_bucket_merged_statement(
            &bucket(),
            &scope,
        )
        .unwrap()]);
        for request in &probes {
            for caller in &callers {
                assert_eq!(
                    allows(&one, request, caller),
                    allows(&two, request, caller),
                    "{scope:?}: {request:?} from {caller}"
                );
            }
        }
        assert!(
            size::measure(&one, PolicyKind::S3Bucket) < size::measure(&two, PolicyKind::S3Bucket)
        );
    }
}

#[test]
fn guardduty_bucket_form_changes_leave_no_stale_statements() {
    let before = existing(3_000);
    let mut doc = before.clone();
    // exact -> two-statement list -> merged -> org -> merged -> exact -> none, from each result.
    for (n, opt_in, form) in [
        (10, false, PolicyForm::ExactSourceArn),
        (300, false, PolicyForm::SourceAccountList),
        (700, false, PolicyForm::SourceAccountListMerged),
        (1_400, true, PolicyForm::SourceOrgId),
        (700, false, PolicyForm::SourceAccountListMerged),
        (10, false, PolicyForm::ExactSourceArn),
        (700, true, PolicyForm::SourceAccountListMerged),
        (300, false, PolicyForm::SourceAccountList),
        (0, false, PolicyForm::Omitted),
    ] {
        let s = sources(n, opt_in);
        let planned = planner::plan_guardduty_bucket(&doc, &bucket(), &s).unwrap();
        assert_eq!(planned.decision.form, form, "{n} accounts");
        let denied = bucket_requests_never_allowed();
        let requests = if n == 0 {
            Vec::new()
        } else {
            bucket_requests()
        };
        check_guardduty_plan(
            &planned,
            PolicyKind::S3Bucket,
            &requests,
            &denied,
            &bucket_sids(form),
            &s.detectors,
            &before,
        );
        doc = planned.document;
    }
    assert_eq!(doc.statements().len(), before.statements().len());
}

#[test]
fn guardduty_budget_is_the_room_left_by_foreign_statements() {
    let crowded = existing(17_000);
    assert!(size::measure(&crowded, PolicyKind::S3Bucket) > 16_000);
    let planned = planner::plan_guardduty_bucket(&crowded, &bucket(), &sources(30, false)).unwrap();
    // 30 detectors fit an empty policy exactly, but not next to 16 KB of customer statements.
    let alone =
        planner::plan_guardduty_bucket(&PolicyDocument::new(), &bucket(), &sources(30, false))
            .unwrap();
    assert_eq!(alone.decision.form, PolicyForm::ExactSourceArn);
    assert_eq!(planned.decision.form, PolicyForm::SourceAccountList);
    assert_eq!(
        planned.document.foreign_statements().count(),
        crowded.statements().len()
    );
}

#[test]
fn guardduty_statements_are_replaced_in_place_and_removed_without_detectors() {
    let mut before = existing(2_000);
    let first = planner::plan_guardduty_bucket(&before, &bucket(), &sources(2, false)).unwrap();
    let mut statements = first.document.statements().to_vec();
    statements.push(foreign(99, 100));
    before = PolicyDocument::from_statements(statements);
    let second = planner::plan_guardduty_bucket(&before, &bucket(), &sources(3, false)).unwrap();
    let sids: Vec<_> = second
        .document
        .statements()
        .iter()
        .map(|s| s.sid().unwrap().to_owned())
        .collect();
    let sids_before: Vec<_> = before
        .statements()
        .iter()
        .map(|s| s.sid().unwrap().to_owned())
        .collect();
    assert_eq!(sids, sids_before, "replaced in place, order kept");

    let none =
        planner::plan_guardduty_bucket(&second.document, &bucket(), &sources(0, false)).unwrap();
    assert_eq!(none.decision.form, PolicyForm::Omitted);
    assert!(none.document.owned_statements().next().is_none());
    assert_eq!(none.document.statements().len(), 2);
}

#[test]
fn empty_detector_arns_from_the_seeds_are_refused() {
    // The seed's `arn:aws:guardduty:::detector/` is syntactically an ARN, but not a detector.
    let mut s = sources(1, false);
    s.detectors
        .push("arn:aws:guardduty:::detector/".parse().unwrap());
    let err = planner::plan_guardduty_key(&PolicyDocument::new(), &key(), &s).unwrap_err();
    assert!(
        err.to_string().contains("`arn:aws:guardduty:::detector/`"),
        "{err}"
    );
    s.detectors = vec!["arn:aws:s3:::not-a-detector".parse().unwrap()];
    assert!(planner::plan_guardduty_key(&PolicyDocument::new(), &key(), &s).is_err());
    s.detectors = vec![
        "arn:aws:guardduty:us-east-1:111111111111:detector/x"
            .parse()
            .unwrap(),
    ];
    assert!(planner::plan_guardduty_key(&PolicyDocument::new(), &key(), &s).is_ok());
}

#[test]
fn fixed_documents_are_checked_against_their_limit() {
    let trust = builders::member_trust(
        &Arn::role(Partition::Aws, &hub(), "radiant-aws-access-role").unwrap(),
        &policy_model::ExternalId::new("abc-123").unwrap(),
    );
    let ok = planner::plan_fixed(&trust, Vec::new(), PolicyKind::default_trust()).unwrap();
    assert_eq!(ok.decision.form, PolicyForm::Fixed);
    let err =
        planner::plan_fixed(&trust, Vec::new(), PolicyKind::IamTrust { quota: 100 }).unwrap_err();
    assert!(
        err.to_string().contains("over the limit of 100 characters"),
        "{err}"
    );
}

/// Detectors of `accounts` accounts in us-east-1 and the opt-in Regions af-south-1 and
/// me-south-1.
fn opt_in_detectors(accounts: usize) -> Vec<Arn> {
    let regions = ["us-east-1", "af-south-1", "me-south-1"];
    (0..accounts * regions.len())
        .map(|i| {
            let region = Region::new(regions[i % regions.len()]).unwrap();
            let id =
                DetectorId::new(&format!("{:032x}", i as u128 * 0x9e37_79b9_7f4a_7c15)).unwrap();
            Arn::detector(&region, &account(i / regions.len()), &id)
        })
        .collect()
}

#[test]
fn opt_in_regions_regional_principals_are_admitted_in_every_form_and_fit_at_300_accounts() {
    let empty = PolicyDocument::new();
    let regional = [
        "guardduty.af-south-1.amazonaws.com",
        "guardduty.me-south-1.amazonaws.com",
    ];
    // From the exact form (few accounts) to the account list (300 accounts) and the compact
    // organization form (allowed): each admits the global and the regional principals.
    let mut forms = Vec::new();
    for (accounts, allow_org) in [(3, false), (300, false), (300, true)] {
        let sources = GuardDutySources {
            detectors: opt_in_detectors(accounts),
            org_id: Some(org()),
            allow_source_org_id: allow_org,
            retained_accounts: Vec::new(),
            retained_regions: Vec::new(),
            keep_org_form: false,
        };
        let planned = planner::plan_guardduty_bucket(&empty, &bucket(), &sources)
            .unwrap_or_else(|e| panic!("{accounts} accounts: {e}"));
        let key = planner::plan_guardduty_key(&empty, &key(), &sources)
            .unwrap_or_else(|e| panic!("{accounts} accounts: {e}"));
        for doc in [&planned.document, &key.document] {
            let text = doc.to_json_minified();
            assert!(text.contains("\"guardduty.amazonaws.com\""), "{text}");
            for p in regional {
                assert!(text.contains(p), "{accounts} accounts: {p} missing");
            }
        }
        forms.push(planned.decision.form);
        // The same detectors give the same document (Sids and principal order are stable).
        let again = planner::plan_guardduty_bucket(&planned.document, &bucket(), &sources).unwrap();
        assert!(again.document.semantically_equal(&planned.document));
    }
    assert_eq!(forms[0], PolicyForm::ExactSourceArn);
    assert_ne!(
        forms[1],
        PolicyForm::ExactSourceArn,
        "300 accounts need a compact form"
    );
}

#[test]
fn commercial_regions_get_no_regional_principal() {
    let sources = GuardDutySources {
        detectors: detectors(6, 2),
        org_id: Some(org()),
        allow_source_org_id: false,
        retained_accounts: Vec::new(),
        retained_regions: Vec::new(),
        keep_org_form: false,
    };
    let planned =
        planner::plan_guardduty_bucket(&PolicyDocument::new(), &bucket(), &sources).unwrap();
    assert!(
        !planned
            .document
            .to_json_minified()
            .contains("guardduty.us-east-1")
    );
}
