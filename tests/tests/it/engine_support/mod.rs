//! Shared helpers of the engine's integration tests (`engine_*.rs`).

#![expect(
    clippy::expect_used,
    reason = "test fixtures: a broken fixture must fail the test loudly"
)]

pub mod state;

use std::collections::BTreeMap;
use std::sync::Arc;

use integration_tests::{ACCESS_KEY_ID, DEFAULT_REGION, EmulatorGuard, SECRET_ACCESS_KEY};
use orchestrator::aws::{AccountClients, AwsOptions, SdkFactory};
use orchestrator::config::Config;
use orchestrator::engine::RunContext;
use orchestrator::progress::NoProgress;

pub const EXTERNAL_ID: &str = "rs-credential-0123456789";
pub const CT_BUCKET: &str = "org-cloudtrail-logs";
pub const GD_BUCKET: &str = "org-guardduty-findings";

/// The configuration of the tests: CloudTrail with a key, GuardDuty export, given Regions.
pub fn config(regions: &[&str], extra: &str) -> Config {
    config_with_home("us-east-1", regions, extra)
}

/// [`config`] with another home Region.
pub fn config_with_home(home: &str, regions: &[&str], extra: &str) -> Config {
    let regions = regions
        .iter()
        .map(|r| format!("\"{r}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        r#"
[organization]
home_region = "{home}"
regions = [{regions}]

[radiant]
external_id = "{EXTERNAL_ID}"

[cloudtrail]
bucket = "{CT_BUCKET}"
sns_topic = "radiant-cloudtrail"
kms_alias = "alias/cloudtrail-log-encryption"

[guardduty]
bucket = "{GD_BUCKET}"
kms_alias = "alias/guardduty-findings"
sns_topic = "radiant-guardduty"
{extra}
"#
    );
    Config::from_toml_str_with_env(&text, None).expect("test configuration is valid")
}

/// A factory that reaches the emulator as the management account.
pub async fn factory(emu: &EmulatorGuard) -> SdkFactory {
    let opts = AwsOptions {
        endpoint_url: Some(emu.endpoint().to_owned()),
        profile: None,
        region: Some(DEFAULT_REGION.to_owned()),
    };
    SdkFactory::load_with_static_credentials(&opts, ACCESS_KEY_ID, SECRET_ACCESS_KEY)
        .await
        .expect("factory")
}

pub fn context(aws: SdkFactory, concurrency: usize) -> RunContext {
    RunContext {
        aws,
        progress: Arc::new(NoProgress),
        concurrency,
        only: None,
        sink: None,
    }
}

/// Turns on trusted access for CloudTrail (a precondition the user meets once).
pub async fn enable_trusted_access(aws: &SdkFactory) {
    aws.caller(integration_tests::MANAGEMENT_ACCOUNT_ID)
        .organizations(DEFAULT_REGION)
        .enable_aws_service_access()
        .service_principal("cloudtrail.amazonaws.com")
        .send()
        .await
        .expect("enable trusted access");
}

/// The management account's clients.
pub fn hub(aws: &SdkFactory) -> AccountClients {
    aws.caller(integration_tests::MANAGEMENT_ACCOUNT_ID)
}

/// Clients of a member account through its OrganizationAccountAccessRole.
pub async fn member(aws: &SdkFactory, account: &str) -> AccountClients {
    aws.assume_role(
        &hub(aws),
        DEFAULT_REGION,
        account,
        &format!("arn:aws:iam::{account}:role/OrganizationAccountAccessRole"),
        None,
    )
    .await
    .expect("assume the access role")
}

/// Writes counted by the emulator, per operation.
pub fn writes(emu: &EmulatorGuard) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for c in emu.counters().calls.iter().filter(|c| c.write) {
        *out.entry(format!("{}:{}", c.service, c.operation))
            .or_default() += c.count;
    }
    out
}

/// Calls counted by the emulator for one account (all services).
pub fn calls_of(emu: &EmulatorGuard, account: &str) -> (u64, u64) {
    let counters = emu.counters();
    let mut reads = 0;
    let mut writes = 0;
    for c in counters.calls.iter().filter(|c| c.account == account) {
        if c.write {
            writes += c.count;
        } else {
            reads += c.count;
        }
    }
    (reads, writes)
}

/// The bucket policy of `bucket` in the management account.
#[expect(
    clippy::expect_used,
    reason = "test helper: a missing policy must fail the test"
)]
pub async fn bucket_policy(aws: &SdkFactory, bucket: &str) -> policy_model::PolicyDocument {
    let out = hub(aws)
        .s3("us-east-1")
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .expect("bucket policy");
    policy_model::PolicyDocument::parse(out.policy().expect("policy text")).expect("parse")
}

/// Creates the SNS topic `name` with `owner`'s clients, with a customer policy that lets S3
/// publish the event notifications of `bucket` (owned by `bucket_owner`); returns its ARN.
pub async fn customer_topic(
    owner: &AccountClients,
    name: &str,
    bucket: &str,
    bucket_owner: &str,
) -> String {
    let sns = owner.sns(integration_tests::DEFAULT_REGION);
    let topic = sns
        .create_topic()
        .name(name)
        .send()
        .await
        .expect("create the topic")
        .topic_arn
        .expect("an ARN");
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CustomerS3Publish",
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "SNS:Publish",
            "Resource": topic,
            "Condition": {
                "ArnLike": {"aws:SourceArn": format!("arn:aws:s3:*:*:{bucket}")},
                "StringEquals": {"aws:SourceAccount": bucket_owner}
            }
        }]
    });
    sns.set_topic_attributes()
        .topic_arn(&topic)
        .attribute_name("Policy")
        .attribute_value(policy.to_string())
        .send()
        .await
        .expect("the customer's topic policy");
    topic
}
