//! The emulator harness works: it starts the emulator, seeds, counts calls, and resets.

use aws_config::BehaviorVersion;
use integration_tests::{
    EmulatorGuard, FaultSpec, MANAGEMENT_ACCOUNT_ID, SeedSpec, emulator, http_request_with_headers,
};

async fn sdk_config(emu: &EmulatorGuard) -> aws_config::SdkConfig {
    let env: std::collections::HashMap<String, String> = emu.env().into_iter().collect();
    let creds = aws_sdk_sts::config::Credentials::new(
        env["AWS_ACCESS_KEY_ID"].clone(),
        env["AWS_SECRET_ACCESS_KEY"].clone(),
        None,
        None,
        "emulator",
    );
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emu.endpoint())
        .region(aws_config::Region::new(env["AWS_REGION"].clone()))
        .credentials_provider(creds)
        .load()
        .await
}

#[tokio::test]
async fn seeds_an_organization_the_sdk_can_read() {
    let emu = emulator();
    let info = emu.seed(&SeedSpec {
        accounts: 5,
        ous: 2,
        suspended: 1,
        seed: 7,
        ..SeedSpec::default()
    });
    assert_eq!(info.management_account_id, MANAGEMENT_ACCOUNT_ID);
    assert_eq!(info.accounts.len(), 5);
    assert_eq!(info.ous.len(), 2);
    assert_eq!(info.active_account_ids().len(), 4);
    assert!(info.organization_id.starts_with("o-"));

    let config = sdk_config(&emu).await;
    let orgs = aws_sdk_organizations::Client::new(&config);
    let listed = orgs.list_accounts().send().await.expect("list accounts");
    let mut ids: Vec<String> = listed
        .accounts()
        .iter()
        .filter_map(|a| a.id().map(str::to_owned))
        .collect();
    ids.sort();
    let mut expected: Vec<String> = info.accounts.iter().map(|a| a.id.clone()).collect();
    expected.push(MANAGEMENT_ACCOUNT_ID.to_owned());
    expected.sort();
    assert_eq!(ids, expected);

    // Assume the member role and act as the member account.
    let member = &info.active_account_ids()[0];
    let sts = aws_sdk_sts::Client::new(&config);
    let assumed = sts
        .assume_role()
        .role_arn(format!(
            "arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
        ))
        .role_session_name("harness")
        .send()
        .await
        .expect("assume the member role");
    let creds = assumed.credentials().expect("credentials");
    let member_config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emu.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_owned()),
            None,
            "assumed",
        ))
        .load()
        .await;
    let who = aws_sdk_sts::Client::new(&member_config)
        .get_caller_identity()
        .send()
        .await
        .expect("caller identity");
    assert_eq!(who.account(), Some(member.as_str()));

    // A role that does not exist cannot be assumed, as on AWS.
    let missing = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{member}:role/does-not-exist"))
        .role_session_name("harness")
        .send()
        .await;
    let err = missing.expect_err("a missing role must not be assumable");
    assert_eq!(err.into_service_error().meta().code(), Some("AccessDenied"));

    let counters = emu.counters();
    assert_eq!(counters.calls("organizations", "ListAccounts"), 1);
    assert_eq!(counters.calls("sts", "AssumeRole"), 2);
    assert_eq!(
        counters
            .for_account(member)
            .calls("sts", "GetCallerIdentity"),
        1
    );
    assert_eq!(counters.writes(), 0, "{:?}", counters.write_operations());
}

#[test]
fn counts_a_raw_request_and_resets() {
    let emu = emulator();
    assert_eq!(
        emu.counters().total(),
        0,
        "acquiring the emulator resets counters"
    );
    let auth = "AWS4-HMAC-SHA256 Credential=AKIARADIANTEMULATOR1/20240101/us-east-1/iam/aws4_request, \
                SignedHeaders=host, Signature=0";
    let body = "Action=CreateRole&Version=2010-05-08&RoleName=raw-role&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
    let (status, answer) = http_request_with_headers(
        emu.endpoint(),
        "POST",
        "/",
        &[
            ("Authorization", auth),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body,
    )
    .expect("raw request");
    assert_eq!(status, 200, "{answer}");
    let counters = emu.counters();
    assert_eq!(counters.calls("iam", "CreateRole"), 1);
    assert_eq!(counters.writes(), 1);
    assert_eq!(counters.for_account(MANAGEMENT_ACCOUNT_ID).total(), 1);

    emu.reset_counters();
    assert_eq!(emu.counters().total(), 0);
    drop(emu);

    // The next turn starts from an empty emulator: the role is gone.
    let emu = emulator();
    let get = "Action=GetRole&Version=2010-05-08&RoleName=raw-role";
    let (status, answer) = http_request_with_headers(
        emu.endpoint(),
        "POST",
        "/",
        &[
            ("Authorization", auth),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        get,
    )
    .expect("raw request");
    assert_eq!(status, 404, "{answer}");
    assert!(answer.contains("NoSuchEntity"), "{answer}");
}

#[test]
fn faults_throttle_with_the_service_error() {
    let emu = emulator();
    emu.set_faults(&FaultSpec {
        throttle_rps: Some(0.001),
        throttle_burst: 1,
        seed: 1,
        ..FaultSpec::default()
    });
    let auth = "AWS4-HMAC-SHA256 Credential=AKIARADIANTEMULATOR1/20240101/us-east-1/iam/aws4_request, \
                SignedHeaders=host, Signature=0";
    let headers = [
        ("Authorization", auth),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let list = "Action=ListRoles&Version=2010-05-08";
    let (first, _) =
        http_request_with_headers(emu.endpoint(), "POST", "/", &headers, list).expect("first");
    let (second, answer) =
        http_request_with_headers(emu.endpoint(), "POST", "/", &headers, list).expect("second");
    assert_eq!(first, 200);
    assert_eq!(second, 400, "{answer}");
    assert!(answer.contains("<Code>Throttling</Code>"), "{answer}");
}

/// The injected errors are ones the AWS SDK for Rust retries: with throttling, 500s and dropped
/// connections all on, every call still succeeds, after more attempts than calls.
#[tokio::test]
async fn the_rust_sdk_retries_injected_faults() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 1,
        ous: 0,
        ..SeedSpec::default()
    });
    emu.set_faults(&FaultSpec {
        throttle_rps: Some(20.0),
        throttle_burst: 1,
        error_rate: 0.2,
        drop_rate: 0.1,
        seed: 11,
        ..FaultSpec::default()
    });
    let base = sdk_config(&emu).await;
    let retry = aws_config::retry::RetryConfig::standard()
        .with_max_attempts(10)
        .with_initial_backoff(std::time::Duration::from_millis(20))
        .with_max_backoff(std::time::Duration::from_millis(200));
    let config = base.into_builder().retry_config(retry).build();
    let orgs = aws_sdk_organizations::Client::new(&config);
    let sts = aws_sdk_sts::Client::new(&config);
    for _ in 0..10 {
        orgs.list_roots()
            .send()
            .await
            .expect("list roots after retries");
        sts.get_caller_identity()
            .send()
            .await
            .expect("caller identity after retries");
    }
    let counters = emu.counters();
    let attempts =
        counters.calls("organizations", "ListRoots") + counters.calls("sts", "GetCallerIdentity");
    assert!(
        attempts > 20,
        "faults were injected, so some calls took several attempts ({attempts})"
    );
}
