//! GuardDuty topology with a delegated administrator (only the administrator exports, and only
//! its detectors are admitted by the hub bucket and key policies), and the hub role's managed
//! policy at IAM's 5-version limit, against the emulator.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failed AWS call or a missing field must fail the test loudly"
)]

use std::collections::BTreeSet;

use crate::engine_support::*;
use integration_tests::{EmulatorGuard, SeedSpec, emulator};
use orchestrator::aws::SdkFactory;
use orchestrator::engine;
use orchestrator::outcome::{AccountRole, AccountStatus, RunOutcome};
use policy_model::PolicyDocument;
use policy_model::builders::sid;

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

fn failures(outcome: &RunOutcome) -> String {
    format!(
        "{:#?}",
        outcome
            .accounts
            .iter()
            .filter(|a| a.status == AccountStatus::Failed)
            .collect::<Vec<_>>()
    )
}

/// The detector ARNs that `sid` admits through `aws:SourceArn`.
fn admitted(doc: &PolicyDocument, statement: &str) -> BTreeSet<String> {
    doc.statement(statement)
        .map(|s| s.condition_values("StringEquals", "aws:SourceArn"))
        .unwrap_or_default()
        .into_iter()
        .collect()
}

async fn findings_key_policy(aws: &SdkFactory) -> PolicyDocument {
    let kms = hub(aws).kms("us-east-1");
    let key = kms
        .describe_key()
        .key_id("alias/guardduty-findings")
        .send()
        .await
        .unwrap();
    let key_id = key.key_metadata().unwrap().key_id().to_owned();
    let out = kms
        .get_key_policy()
        .key_id(key_id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    PolicyDocument::parse(out.policy().unwrap()).unwrap()
}

/// Seeds 6 members over 2 Regions and makes the first one the GuardDuty delegated
/// administrator in every Region, from the management account, as a customer would.
async fn org_with_delegated_admin(emu: &EmulatorGuard) -> (SdkFactory, String) {
    let seed = emu.seed(&SeedSpec {
        accounts: 6,
        ous: 2,
        regions: REGIONS.iter().map(|r| r.to_string()).collect(),
        ..SeedSpec::default()
    });
    let aws = factory(emu).await;
    enable_trusted_access(&aws).await;
    let admin = seed.accounts[0].id.clone();
    for region in REGIONS {
        hub(&aws)
            .guardduty(region)
            .enable_organization_admin_account()
            .admin_account_id(&admin)
            .send()
            .await
            .unwrap();
    }
    let listed = hub(&aws)
        .guardduty("us-east-1")
        .list_organization_admin_accounts()
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed
            .admin_accounts()
            .iter()
            .filter_map(|a| a.admin_account_id())
            .collect::<Vec<_>>(),
        vec![admin.as_str()]
    );
    (aws, admin)
}

/// Applies `extra` (a `[guardduty]` setting) to the organization of
/// [`org_with_delegated_admin`] and checks the delegated-admin topology end to end.
async fn delegated_admin_exports_alone(extra: &str) {
    let emu = emulator();
    let (aws, admin) = org_with_delegated_admin(&emu).await;
    let cfg = config(&REGIONS, extra);
    let ctx = context(aws.clone(), 8);

    let outcome = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!outcome.has_failures(), "{}", failures(&outcome));
    assert!(
        outcome.notes.iter().any(|w| w.contains(&admin)),
        "{:?}",
        outcome.notes
    );
    assert_eq!(outcome.accounts.len(), 7, "6 members and the hub");

    let key_arn = hub(&aws)
        .kms("us-east-1")
        .describe_key()
        .key_id("alias/guardduty-findings")
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    let mut admin_detectors = BTreeSet::new();
    for account in &outcome.accounts {
        assert!(
            matches!(account.status, AccountStatus::Onboarded),
            "{account:?}"
        );
        assert_eq!(account.regions.len(), REGIONS.len(), "{account:?}");
        let clients = if account.role == AccountRole::Hub {
            hub(&aws)
        } else {
            member(&aws, &account.id).await
        };
        for r in &account.regions {
            let detector = r.detector_id.clone().expect("every account has a detector");
            let gd = clients.guardduty(&r.region);
            let live = gd
                .list_publishing_destinations()
                .detector_id(&detector)
                .send()
                .await
                .unwrap();
            if account.id == admin {
                // The administrator exports, once per Region, to the hub bucket and key.
                let dest = r.destination_id.clone().expect("admin destination");
                assert_eq!(live.destinations().len(), 1, "{}: {live:?}", r.region);
                let described = gd
                    .describe_publishing_destination()
                    .detector_id(&detector)
                    .destination_id(&dest)
                    .send()
                    .await
                    .unwrap();
                let props = described.destination_properties().unwrap();
                assert!(
                    props
                        .destination_arn()
                        .unwrap()
                        .starts_with(&format!("arn:aws:s3:::{GD_BUCKET}")),
                    "{props:?}"
                );
                assert_eq!(props.kms_key_arn(), Some(key_arn.as_str()), "{props:?}");
                admin_detectors.insert(format!(
                    "arn:aws:guardduty:{}:{}:detector/{detector}",
                    r.region, account.id
                ));
            } else {
                // Members (and the hub) get no destination of their own.
                assert_eq!(r.destination_id, None, "{} {}", account.id, r.region);
                assert!(
                    live.destinations().is_empty(),
                    "{} {}: {live:?}",
                    account.id,
                    r.region
                );
            }
        }
    }
    assert_eq!(admin_detectors.len(), REGIONS.len());

    // The hub bucket and key admit exactly the administrator's detectors.
    assert_eq!(
        admitted(
            &bucket_policy(&aws, GD_BUCKET).await,
            sid::GUARDDUTY_PUT_OBJECT
        ),
        admin_detectors
    );
    assert_eq!(
        admitted(
            &findings_key_policy(&aws).await,
            sid::GUARDDUTY_GENERATE_DATA_KEY
        ),
        admin_detectors
    );

    // The same again writes nothing.
    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_failures(), "{}", failures(&again));
    let counters = emu.counters();
    assert_eq!(
        counters.writes(),
        0,
        "a re-run writes nothing: {:?}",
        counters.write_operations()
    );
    assert!(!again.has_changes(), "{:#?}", again.changes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_export_delegated_admin_only_the_administrator_exports() {
    delegated_admin_exports_alone(r#"export = "delegated-admin""#).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_export_auto_a_delegated_administrator_is_detected() {
    delegated_admin_exports_alone(r#"export = "auto""#).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_delegated_admin_without_an_administrator_stops_in_preflight() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 2,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&["us-east-1"], r#"export = "delegated-admin""#);
    emu.reset_counters();
    let err = engine::apply(&cfg, &context(aws, 4))
        .await
        .expect_err("no administrator");
    assert!(
        matches!(err, engine::EngineError::Preflight { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("delegated administrator"), "{err}");
    assert_eq!(emu.counters().writes(), 0);
}

fn placeholder(n: usize) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Placeholder{n}","Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}}]}}"#
    )
}

/// Version ids of a managed policy, and the default one.
async fn versions(aws: &SdkFactory, arn: &str) -> (BTreeSet<String>, String) {
    let out = hub(aws)
        .iam("us-east-1")
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .unwrap();
    let ids = out
        .versions()
        .iter()
        .filter_map(|v| v.version_id().map(str::to_owned))
        .collect();
    let default = out
        .versions()
        .iter()
        .find(|v| v.is_default_version())
        .and_then(|v| v.version_id())
        .unwrap()
        .to_owned();
    (ids, default)
}

async fn default_document(aws: &SdkFactory, arn: &str, version: &str) -> PolicyDocument {
    let out = hub(aws)
        .iam("us-east-1")
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .unwrap();
    let text = out.policy_version().unwrap().document().unwrap();
    // IAM may answer the document URL-encoded.
    PolicyDocument::parse(text)
        .unwrap_or_else(|_| PolicyDocument::parse(&percent_decode(text)).unwrap())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn member_roles(doc: &PolicyDocument) -> BTreeSet<String> {
    doc.statement(sid::ASSUME_MEMBER_ROLES)
        .map(|s| s.resource_values().into_iter().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_role_policy_at_five_versions_drops_its_oldest_non_default_version() {
    let emu = emulator();
    let seed = emu.seed(&SeedSpec {
        accounts: 6,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let mut cfg = config(&["us-east-1"], "");
    let name = format!("{}-permissions", cfg.radiant.role_name);
    let arn = format!("arn:aws:iam::{}:policy/{name}", seed.management_account_id);

    // The policy exists with 5 versions: v1 default, v2..v5 not.
    let iam = hub(&aws).iam("us-east-1");
    iam.create_policy()
        .policy_name(&name)
        .policy_document(placeholder(1))
        .send()
        .await
        .unwrap();
    for n in 2..=5 {
        iam.create_policy_version()
            .policy_arn(&arn)
            .policy_document(placeholder(n))
            .set_as_default(false)
            .send()
            .await
            .unwrap();
    }
    let (ids, default) = versions(&aws, &arn).await;
    assert_eq!(ids.len(), 5);
    assert_eq!(default, "v1");

    let members = seed.active_account_ids();
    let role_of = |account: &str| {
        format!(
            "arn:aws:iam::{account}:role/{}",
            cfg.radiant.member_role_name
        )
    };

    // First apply, without the last two members.
    cfg.organization.exclude_accounts = members[4..]
        .iter()
        .map(|m| m.parse().expect("an account ID"))
        .collect();
    let ctx = context(aws.clone(), 8);
    let first = engine::apply(&cfg, &ctx)
        .await
        .expect("apply at 5 versions");
    assert!(!first.has_failures(), "{}", failures(&first));
    let (ids, default) = versions(&aws, &arn).await;
    // v2 is the oldest non-default version (v1 is the default): it goes, v1 stays.
    assert!(!["v1", "v2", "v3", "v4", "v5"].contains(&default.as_str()));
    let kept: BTreeSet<String> = ["v1", "v3", "v4", "v5", default.as_str()]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(ids, kept, "the oldest non-default goes first");
    let doc = default_document(&aws, &arn, &default).await;
    assert!(doc.statement("Placeholder1").is_none());
    let expected: BTreeSet<String> = members[..4].iter().map(|a| role_of(a)).collect();
    assert_eq!(member_roles(&doc), expected);
    let attached = iam
        .list_attached_role_policies()
        .role_name(&cfg.radiant.role_name)
        .send()
        .await
        .unwrap();
    assert!(
        attached
            .attached_policies()
            .iter()
            .any(|p| p.policy_arn() == Some(arn.as_str())),
        "{attached:?}"
    );

    // Every member now: the document changes again, still within 5 versions.
    cfg.organization.exclude_accounts.clear();
    let second = engine::apply(&cfg, &ctx)
        .await
        .expect("apply with every member");
    assert!(!second.has_failures(), "{}", failures(&second));
    let (ids2, default2) = versions(&aws, &arn).await;
    assert_eq!(ids2.len(), 5, "{ids2:?}");
    // v1 is now the oldest non-default version: it goes, the previous default stays.
    assert_ne!(default2, default);
    let kept: BTreeSet<String> = ["v3", "v4", "v5", default.as_str(), default2.as_str()]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(ids2, kept, "the oldest non-default goes first");
    let doc = default_document(&aws, &arn, &default2).await;
    let expected: BTreeSet<String> = members.iter().map(|a| role_of(a)).collect();
    assert_eq!(member_roles(&doc), expected);

    // And a re-run writes nothing.
    emu.reset_counters();
    let third = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!third.has_failures(), "{}", failures(&third));
    assert_eq!(
        emu.counters().writes(),
        0,
        "{:?}",
        emu.counters().write_operations()
    );
    assert_eq!(versions(&aws, &arn).await, (ids2, default2));
}

/// `export = "auto"` with a delegated administrator the tool does not manage, whose members are
/// enabled already (their detectors exist and follow the administrator): apply writes no member
/// detector (AWS refuses a member's `UpdateDetector` of its frequency), exports from the
/// administrator alone, and its plan says the frequency and features are the administrator's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmanaged_administrator_gets_no_member_detector_written() {
    let emu = emulator();
    let seed = emu.seed(&SeedSpec {
        accounts: 4,
        ous: 1,
        regions: REGIONS.iter().map(|r| r.to_string()).collect(),
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let admin = seed.accounts[0].id.clone();
    let admin_clients = member(&aws, &admin).await;
    for region in REGIONS {
        hub(&aws)
            .guardduty(region)
            .enable_organization_admin_account()
            .admin_account_id(&admin)
            .send()
            .await
            .unwrap();
        let gd = admin_clients.guardduty(region);
        let detector = gd
            .create_detector()
            .enable(true)
            .send()
            .await
            .unwrap()
            .detector_id()
            .unwrap()
            .to_owned();
        let details: Vec<_> = seed.accounts[1..]
            .iter()
            .map(|a| {
                orchestrator::aws::sdk::guardduty::types::AccountDetail::builder()
                    .account_id(&a.id)
                    .email(&a.email)
                    .build()
            })
            .collect();
        let out = gd
            .create_members()
            .detector_id(&detector)
            .set_account_details(Some(details))
            .send()
            .await
            .unwrap();
        assert!(out.unprocessed_accounts().is_empty(), "{out:?}");
    }
    let cfg = config(&REGIONS, "");
    let ctx = context(aws.clone(), 4);

    let planned = engine::plan(&cfg, &ctx).await.expect("plan");
    assert!(
        planned
            .notes
            .iter()
            .any(|n| n.contains(&admin) && n.contains("the administrator's to set")),
        "{:#?}",
        planned.notes
    );
    emu.reset_counters();
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{}", failures(&applied));
    let member_detector_writes: Vec<_> = emu
        .counters()
        .calls
        .into_iter()
        .filter(|c| c.write && c.service == "guardduty" && c.account != admin)
        .filter(|c| seed.accounts[1..].iter().any(|a| a.id == c.account))
        .collect();
    assert!(
        member_detector_writes.is_empty(),
        "{member_detector_writes:#?}"
    );
    for a in &applied.accounts {
        for r in &a.regions {
            assert_eq!(
                r.destination_id.is_some(),
                a.id == admin,
                "only the administrator exports: {a:#?}"
            );
        }
    }
}
