//! One builder per policy (or per set of owned statements) the product writes.
//!
//! Inputs are typed (validated ARNs and identifiers), so the seed defects (empty ARNs,
//! `GetBucketLocation` on `bucket/*`, trailing commas, `ForAnyValue:` on single-valued keys) cannot
//! be reproduced. Every statement carries a Sid from [`sid`], all starting with
//! [`crate::OWNED_SID_PREFIX`], so shared documents can be patched without touching foreign
//! statements. Size-dependent forms (member role lists, detector lists) are chosen by
//! [`crate::planner`]; the builders here write one given form.

use serde::Serialize;

use crate::arn::{AccountId, Arn, ArnError, ExternalId, OrgId, Partition, Region};
use crate::document::PolicyDocument;
use crate::statement::Statement;

/// The Sids of every statement the product writes.
pub mod sid {
    /// Hub role: s3:Get*/s3:List* (also used in the member role).
    pub const S3_READ: &str = "RadiantOnboardS3Read";
    /// Hub role: SNS Subscribe/Unsubscribe/ConfirmSubscription on the topics in use.
    pub const SNS_SUBSCRIPTIONS: &str = "RadiantOnboardSnsSubscriptions";
    /// Hub role: kms:Decrypt on the keys in use.
    pub const KMS_DECRYPT: &str = "RadiantOnboardKmsDecrypt";
    /// Hub role: the five organizations read actions.
    pub const ORGANIZATIONS_READ: &str = "RadiantOnboardOrganizationsRead";
    /// Hub role: sts:AssumeRole on the member roles.
    pub const ASSUME_MEMBER_ROLES: &str = "RadiantOnboardAssumeMemberRoles";
    /// Hub role trust: Radiant's principal with the external ID.
    pub const TRUST_RADIANT: &str = "RadiantOnboardTrustRadiant";
    /// Member role trust: the hub role with the external ID.
    pub const TRUST_HUB_ROLE: &str = "RadiantOnboardTrustHubRole";
    /// CloudTrail bucket: GetBucketAcl on the bucket.
    pub const CLOUDTRAIL_ACL_CHECK: &str = "RadiantOnboardCloudTrailAclCheck";
    /// CloudTrail bucket: PutObject under `AWSLogs/MGMT_ACCOUNT/` and `AWSLogs/o-ORGID/`.
    pub const CLOUDTRAIL_WRITE: &str = "RadiantOnboardCloudTrailWrite";
    /// CloudTrail key: GenerateDataKey* for the trail.
    pub const CLOUDTRAIL_ENCRYPT: &str = "RadiantOnboardCloudTrailEncrypt";
    /// CloudTrail key: DescribeKey for the trail.
    pub const CLOUDTRAIL_DESCRIBE_KEY: &str = "RadiantOnboardCloudTrailDescribeKey";
    /// CloudTrail key: Decrypt of log files for the readers (the hub role).
    pub const CLOUDTRAIL_DECRYPT: &str = "RadiantOnboardCloudTrailDecrypt";
    /// CloudTrail topic: SNS:Publish for the trail.
    pub const CLOUDTRAIL_PUBLISH: &str = "RadiantOnboardCloudTrailPublish";
    /// Topic of an existing trail's bucket: SNS:Publish for S3 event notifications of it.
    pub const CLOUDTRAIL_BUCKET_NOTIFICATIONS: &str = "RadiantOnboardCloudTrailBucketNotifications";
    /// Bucket of an existing trail in another account than the hub: the hub role reads logs.
    pub const CLOUDTRAIL_READ_LOGS: &str = "RadiantOnboardCloudTrailReadLogs";
    /// Bucket of an existing trail in another account than the hub: the hub role lists the
    /// log prefix.
    pub const CLOUDTRAIL_LIST_LOGS: &str = "RadiantOnboardCloudTrailListLogs";
    /// A log bucket the product owns: deny every request that is not over TLS.
    pub const DENY_INSECURE_TRANSPORT: &str = "RadiantOnboardDenyInsecureTransport";
    /// The access logs bucket: S3's logging service delivers the CloudTrail bucket's server
    /// access logs (`cloudtrail.access_logs_bucket`).
    pub const SERVER_ACCESS_LOGS: &str = "RadiantOnboardServerAccessLogs";
    /// A topic in another account than the hub: the hub role may subscribe to it.
    pub const HUB_ROLE_SUBSCRIBE: &str = "RadiantOnboardHubRoleSubscribe";
    /// Key policy of a key the product creates: the owner account's root administers it.
    pub const KEY_ADMIN: &str = "RadiantOnboardKeyAdministration";
    /// GuardDuty topic: SNS:Publish for S3 event notifications of the findings bucket.
    pub const GUARDDUTY_BUCKET_NOTIFICATIONS: &str = "RadiantOnboardGuardDutyBucketNotifications";
    /// GuardDuty bucket: GetBucketLocation on the bucket.
    pub const GUARDDUTY_GET_BUCKET_LOCATION: &str = "RadiantOnboardGuardDutyGetBucketLocation";
    /// GuardDuty bucket: PutObject on `bucket/prefix/*`.
    pub const GUARDDUTY_PUT_OBJECT: &str = "RadiantOnboardGuardDutyPutObject";
    /// GuardDuty bucket, merged form: GetBucketLocation and PutObject in one statement (on the
    /// bucket and `bucket/prefix/*`), so the `aws:SourceAccount` list is written once.
    pub const GUARDDUTY_EXPORT: &str = "RadiantOnboardGuardDutyExport";
    /// Every Sid the GuardDuty bucket planner may write; a plan keeps only those of its form.
    pub const GUARDDUTY_BUCKET: [&str; 3] = [
        GUARDDUTY_GET_BUCKET_LOCATION,
        GUARDDUTY_PUT_OBJECT,
        GUARDDUTY_EXPORT,
    ];
    /// GuardDuty key: GenerateDataKey.
    pub const GUARDDUTY_GENERATE_DATA_KEY: &str = "RadiantOnboardGuardDutyGenerateDataKey";
}

/// The five organizations read actions Radiant uses.
pub const ORGANIZATIONS_READ_ACTIONS: [&str; 5] = [
    "organizations:ListPolicies",
    "organizations:DescribePolicy",
    "organizations:ListPoliciesForTarget",
    "organizations:DescribeResourcePolicy",
    "organizations:DescribeOrganization",
];

/// Where the hub role may read S3 objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum S3ReadScope {
    /// Every bucket (`arn:aws:s3:::*` and `arn:aws:s3:::*/*`), as the seeds grant.
    AllBuckets,
    /// Opt-in least privilege: only these buckets (the CloudTrail and GuardDuty log buckets).
    Buckets(Vec<String>),
}

/// The input of the hub role's permissions, except the member roles (see
/// [`crate::planner::plan_hub_role`], which adds them in the form that fits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubRolePermissions {
    /// The partition of the hub account.
    pub partition: Partition,
    /// Which buckets s3:Get*/s3:List* cover.
    pub s3_scope: S3ReadScope,
    /// The SNS topics in use (CloudTrail's and GuardDuty's); the statement is dropped when empty.
    pub topics: Vec<Arn>,
    /// The KMS keys in use; the kms:Decrypt statement is dropped when empty.
    pub kms_keys: Vec<Arn>,
}

fn s3_read_statement(partition: Partition, scope: &S3ReadScope) -> Result<Statement, ArnError> {
    let resources: Vec<String> = match scope {
        S3ReadScope::AllBuckets => vec![
            format!("arn:{partition}:s3:::*"),
            format!("arn:{partition}:s3:::*/*"),
        ],
        S3ReadScope::Buckets(buckets) => {
            if buckets.is_empty() {
                return Err(ArnError::Name {
                    kind: "bucket",
                    value: String::new(),
                    expected: "the least-privilege S3 scope needs at least one log bucket",
                });
            }
            let mut resources = Vec::new();
            for bucket in buckets {
                let whole = Arn::bucket(partition, bucket)?.to_string();
                let objects = Arn::bucket_objects(partition, bucket, "")?.to_string();
                for r in [whole, objects] {
                    if !resources.contains(&r) {
                        resources.push(r);
                    }
                }
            }
            resources
        }
    };
    Ok(Statement::allow(sid::S3_READ)
        .actions(["s3:Get*", "s3:List*"])
        .resources(resources))
}

/// The hub role's statements other than sts:AssumeRole, in this order: S3 read, SNS
/// subscriptions (when topics are used), KMS decrypt (when keys are used), organizations read.
pub fn hub_role_base_statements(input: &HubRolePermissions) -> Result<Vec<Statement>, ArnError> {
    let mut statements = vec![s3_read_statement(input.partition, &input.s3_scope)?];
    if !input.topics.is_empty() {
        statements.push(
            Statement::allow(sid::SNS_SUBSCRIPTIONS)
                .actions([
                    "sns:Subscribe",
                    "sns:Unsubscribe",
                    "sns:ConfirmSubscription",
                ])
                .resources(dedup(input.topics.iter().map(Arn::to_string))),
        );
    }
    if !input.kms_keys.is_empty() {
        statements.push(
            Statement::allow(sid::KMS_DECRYPT)
                .actions(["kms:Decrypt"])
                .resources(dedup(input.kms_keys.iter().map(Arn::to_string))),
        );
    }
    statements.push(
        Statement::allow(sid::ORGANIZATIONS_READ)
            .actions(ORGANIZATIONS_READ_ACTIONS)
            .resources(["*"]),
    );
    Ok(statements)
}

/// The values without duplicates, in first-seen order.
fn dedup(values: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    values
        .into_iter()
        .filter(|v| seen.insert(v.clone()))
        .collect()
}

/// sts:AssumeRole on an explicit list of member role ARNs (always written as a list).
pub fn assume_member_roles_explicit(roles: &[Arn]) -> Statement {
    Statement::allow(sid::ASSUME_MEMBER_ROLES)
        .actions(["sts:AssumeRole"])
        .resources(dedup(roles.iter().map(Arn::to_string)))
}

/// The compact form: sts:AssumeRole on `arn:PARTITION:iam::*:role/NAME` restricted to roles of
/// the organization by `aws:ResourceOrgID`.
pub fn assume_member_roles_org_scoped(
    partition: Partition,
    member_role_name: &str,
    org_id: &OrgId,
) -> Result<Statement, ArnError> {
    crate::arn::check_role_name(member_role_name)?;
    Ok(Statement::allow(sid::ASSUME_MEMBER_ROLES)
        .actions(["sts:AssumeRole"])
        .resources([format!("arn:{partition}:iam::*:role/{member_role_name}")])
        .condition("StringEquals", "aws:ResourceOrgID", [org_id.as_str()]))
}

/// The hub role's `sts:AssumeRole` on the member role name in every account of the organization
/// below `ou_paths` (`aws:ResourceOrgPaths` patterns such as `o-ORG/*/ou-ID/*`, for an OU at any
/// depth), besides `aws:ResourceOrgID`: the fixed-size grant for member roles that a StackSet
/// deploys to the covered OUs only (`aws-facts.md`, "Fixed-size grants").
pub fn assume_member_roles_org_paths(
    partition: Partition,
    member_role_name: &str,
    org_id: &OrgId,
    ou_paths: &[String],
) -> Result<Statement, ArnError> {
    Ok(
        assume_member_roles_org_scoped(partition, member_role_name, org_id)?.condition(
            "ForAnyValue:StringLike",
            "aws:ResourceOrgPaths",
            ou_paths.iter().map(String::as_str),
        ),
    )
}

/// The `aws:ResourceOrgPaths` pattern of an OU or root ID of the organization `org_id`: the
/// accounts in it and in every OU below it (StringLike's `*` spans `/`).
pub fn org_path_pattern(org_id: &OrgId, ou_or_root: &str) -> String {
    if ou_or_root.starts_with("r-") {
        format!("{org_id}/{ou_or_root}/*")
    } else {
        format!("{org_id}/*/{ou_or_root}/*")
    }
}

/// The hub role's trust policy: Radiant's principal may assume it with the external ID.
pub fn radiant_trust(radiant_principal: &Arn, external_id: &ExternalId) -> PolicyDocument {
    trust(sid::TRUST_RADIANT, radiant_principal, external_id)
}

/// A member role's trust policy: the hub role may assume it with the same external ID.
pub fn member_trust(hub_role: &Arn, external_id: &ExternalId) -> PolicyDocument {
    trust(sid::TRUST_HUB_ROLE, hub_role, external_id)
}

fn trust(sid: &str, principal: &Arn, external_id: &ExternalId) -> PolicyDocument {
    // INVARIANT: every trust policy the product writes carries the sts:ExternalId condition.
    PolicyDocument::from_statements([Statement::allow(sid)
        .principal_aws(principal.to_string())
        .action("sts:AssumeRole")
        .condition("StringEquals", "sts:ExternalId", [external_id.as_str()])])
}

/// A member role's permissions: s3:Get*/s3:List* on every bucket, as the seeds grant.
pub fn member_role_permissions(partition: Partition) -> PolicyDocument {
    PolicyDocument::from_statements([Statement::allow(sid::S3_READ)
        .actions(["s3:Get*", "s3:List*"])
        .resources([
            format!("arn:{partition}:s3:::*"),
            format!("arn:{partition}:s3:::*/*"),
        ])])
}

/// An organization trail and where it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgTrail {
    /// The trail's home Region.
    pub region: Region,
    /// The management account that owns the trail.
    pub management_account: AccountId,
    /// The trail name, e.g. `management-events`.
    pub trail_name: String,
    /// The organization.
    pub org_id: OrgId,
    /// The log bucket.
    pub bucket: String,
    /// The object key prefix of the logs (no leading/trailing `/`); empty for none.
    pub prefix: String,
}

impl OrgTrail {
    /// The trail ARN.
    pub fn trail_arn(&self) -> Result<Arn, ArnError> {
        Arn::cloudtrail_trail(&self.region, &self.management_account, &self.trail_name)
    }

    fn logs_path(&self, owner: &str) -> String {
        if self.prefix.is_empty() {
            format!("AWSLogs/{owner}")
        } else {
            format!("{}/AWSLogs/{owner}", self.prefix)
        }
    }
}

/// The organization trail's bucket statements: GetBucketAcl on the bucket, PutObject under
/// `[PREFIX/]AWSLogs/MGMT_ACCOUNT/*` and `[PREFIX/]AWSLogs/o-ORGID/*`, both for
/// `cloudtrail.amazonaws.com` with `aws:SourceArn` = the trail (PutObject also with
/// `s3:x-amz-acl` = `bucket-owner-full-control`).
pub fn cloudtrail_bucket_statements(trail: &OrgTrail) -> Result<Vec<Statement>, ArnError> {
    let partition = trail.region.partition();
    let trail_arn = trail.trail_arn()?.to_string();
    let bucket = Arn::bucket(partition, &trail.bucket)?;
    let account_path = Arn::bucket_objects(
        partition,
        &trail.bucket,
        &trail.logs_path(trail.management_account.as_str()),
    )?;
    let org_path = Arn::bucket_objects(
        partition,
        &trail.bucket,
        &trail.logs_path(trail.org_id.as_str()),
    )?;
    Ok(vec![
        Statement::allow(sid::CLOUDTRAIL_ACL_CHECK)
            .principal_service("cloudtrail.amazonaws.com")
            .action("s3:GetBucketAcl")
            .resource(bucket.to_string())
            .condition("StringEquals", "aws:SourceArn", [trail_arn.clone()]),
        Statement::allow(sid::CLOUDTRAIL_WRITE)
            .principal_service("cloudtrail.amazonaws.com")
            .action("s3:PutObject")
            .resources([account_path.to_string(), org_path.to_string()])
            .condition(
                "StringEquals",
                "s3:x-amz-acl",
                ["bucket-owner-full-control"],
            )
            .condition("StringEquals", "aws:SourceArn", [trail_arn]),
    ])
}

/// The key owner's root may administer the key (`kms:*`): every new key policy needs it, or
/// the key becomes unmanageable.
pub fn key_admin_statement(partition: Partition, owner: &AccountId) -> Statement {
    Statement::allow(sid::KEY_ADMIN)
        .principal_aws(Arn::account_root(partition, owner).to_string())
        .action("kms:*")
        .resource("*")
}

/// The policy of a key the product creates: only [`key_admin_statement`]; the product then
/// ensures the CloudTrail or GuardDuty statements in it.
pub fn new_key_policy(partition: Partition, owner: &AccountId) -> PolicyDocument {
    PolicyDocument::from_statements([key_admin_statement(partition, owner)])
}

/// The CloudTrail statements of the log key: GenerateDataKey* for the trail (scoped by
/// `aws:SourceArn` and the encryption context), DescribeKey for the trail, and kms:Decrypt of
/// CloudTrail log files for the readers (the seed grants it to `"*"` in the account; here only
/// the given principals, typically the hub role). The Decrypt statement is dropped when there
/// are no readers.
pub fn cloudtrail_key_statements(
    trail: &OrgTrail,
    readers: &[Arn],
) -> Result<Vec<Statement>, ArnError> {
    let partition = trail.region.partition();
    let trail_arn = trail.trail_arn()?.to_string();
    let context = format!(
        "arn:{partition}:cloudtrail:*:{}:trail/*",
        trail.management_account
    );
    let mut statements = vec![
        Statement::allow(sid::CLOUDTRAIL_ENCRYPT)
            .principal_service("cloudtrail.amazonaws.com")
            .action("kms:GenerateDataKey*")
            .resource("*")
            .condition("StringEquals", "aws:SourceArn", [trail_arn.clone()])
            .condition(
                "StringLike",
                "kms:EncryptionContext:aws:cloudtrail:arn",
                [context.clone()],
            ),
        Statement::allow(sid::CLOUDTRAIL_DESCRIBE_KEY)
            .principal_service("cloudtrail.amazonaws.com")
            .action("kms:DescribeKey")
            .resource("*")
            .condition("StringEquals", "aws:SourceArn", [trail_arn]),
    ];
    if !readers.is_empty() {
        let mut decrypt = Statement::allow(sid::CLOUDTRAIL_DECRYPT);
        for reader in dedup(readers.iter().map(Arn::to_string)) {
            decrypt = decrypt.principal_aws(reader);
        }
        statements.push(decrypt.action("kms:Decrypt").resource("*").condition(
            "StringLike",
            "kms:EncryptionContext:aws:cloudtrail:arn",
            [context],
        ));
    }
    Ok(statements)
}

/// The CloudTrail topic statement: `cloudtrail.amazonaws.com` may `SNS:Publish` to the topic
/// for this trail only.
pub fn cloudtrail_topic_statement(trail: &Arn, topic: &Arn) -> Statement {
    Statement::allow(sid::CLOUDTRAIL_PUBLISH)
        .principal_service("cloudtrail.amazonaws.com")
        .action("SNS:Publish")
        .resource(topic.to_string())
        .condition("StringEquals", "aws:SourceArn", [trail.to_string()])
}

/// The GuardDuty topic statement: S3 may publish event notifications of the findings bucket
/// (ArnLike `aws:SourceArn` `arn:PARTITION:s3:*:*:BUCKET`, `aws:SourceAccount` = bucket owner).
pub fn guardduty_topic_statement(
    topic: &Arn,
    bucket: &str,
    bucket_owner: &AccountId,
) -> Result<Statement, ArnError> {
    s3_publish_statement(
        sid::GUARDDUTY_BUCKET_NOTIFICATIONS,
        topic,
        bucket,
        bucket_owner,
    )
}

/// The topic statement of an existing trail's bucket: S3 may publish its event notifications
/// (the same conditions as [`guardduty_topic_statement`], its own Sid).
pub fn trail_bucket_topic_statement(
    topic: &Arn,
    bucket: &str,
    bucket_owner: &AccountId,
) -> Result<Statement, ArnError> {
    s3_publish_statement(
        sid::CLOUDTRAIL_BUCKET_NOTIFICATIONS,
        topic,
        bucket,
        bucket_owner,
    )
}

/// S3 may publish event notifications of `bucket` (owned by `bucket_owner`) to `topic`.
fn s3_publish_statement(
    sid: &str,
    topic: &Arn,
    bucket: &str,
    bucket_owner: &AccountId,
) -> Result<Statement, ArnError> {
    let partition = topic.partition();
    Arn::bucket(partition, bucket)?;
    // An opt-in Region's topic admits S3's regional principal too (IAM user guide: requests
    // across Regions from an opt-in Region use `SERVICE.REGION.amazonaws.com`).
    let mut principals = vec!["s3.amazonaws.com".to_owned()];
    if let Ok(region) = Region::new(topic.region()) {
        principals.extend(crate::regions::regional_principal("s3", &region));
    }
    Ok(with_services(Statement::allow(sid), &principals)
        .action("SNS:Publish")
        .resource(topic.to_string())
        .condition(
            "ArnLike",
            "aws:SourceArn",
            [format!("arn:{partition}:s3:*:*:{bucket}")],
        )
        .condition("StringEquals", "aws:SourceAccount", [bucket_owner.as_str()]))
}

/// The statement of an existing trail's key that lets `readers` decrypt its log files: the
/// form CloudTrail's key policy documentation gives for cross-account readers (`Null`
/// `kms:EncryptionContext:aws:cloudtrail:arn` = false, so the key decrypts CloudTrail's files
/// only).
pub fn trail_reader_key_statement(readers: &[Arn]) -> Statement {
    let mut decrypt = Statement::allow(sid::CLOUDTRAIL_DECRYPT);
    for reader in dedup(readers.iter().map(Arn::to_string)) {
        decrypt = decrypt.principal_aws(reader);
    }
    decrypt.action("kms:Decrypt").resource("*").condition(
        "Null",
        "kms:EncryptionContext:aws:cloudtrail:arn",
        ["false"],
    )
}

/// The statements of an existing trail's bucket, when it is in another account than the hub:
/// `readers` may read the objects under `logs_prefix` (`PREFIX/AWSLogs/`) and locate the bucket
/// (one statement: `s3:GetBucketLocation` applies only to the bucket, `s3:GetObject` only to the
/// objects), and list the bucket only under that prefix (`s3:prefix` condition); nothing else.
pub fn trail_reader_bucket_statements(
    partition: Partition,
    bucket: &str,
    logs_prefix: &str,
    readers: &[Arn],
) -> Result<Vec<Statement>, ArnError> {
    let bucket_arn = Arn::bucket(partition, bucket)?.to_string();
    let readers = dedup(readers.iter().map(Arn::to_string));
    let mut read = Statement::allow(sid::CLOUDTRAIL_READ_LOGS);
    let mut list = Statement::allow(sid::CLOUDTRAIL_LIST_LOGS);
    for reader in &readers {
        read = read.principal_aws(reader.clone());
        list = list.principal_aws(reader.clone());
    }
    Ok(vec![
        read.actions(["s3:GetObject", "s3:GetBucketLocation"])
            .resources([format!("{bucket_arn}/{logs_prefix}*"), bucket_arn.clone()]),
        list.action("s3:ListBucket").resource(bucket_arn).condition(
            "StringLike",
            "s3:prefix",
            [format!("{logs_prefix}*")],
        ),
    ])
}

/// The bucket policy statement that refuses plain HTTP (AWS FSBP S3.5, CIS): Deny `s3:*` on the
/// bucket and its objects to anyone when `aws:SecureTransport` is false.
pub fn deny_insecure_transport(partition: Partition, bucket: &str) -> Result<Statement, ArnError> {
    let bucket_arn = Arn::bucket(partition, bucket)?.to_string();
    Ok(Statement::deny(sid::DENY_INSECURE_TRANSPORT)
        .principal_any()
        .action("s3:*")
        .resources([bucket_arn.clone(), format!("{bucket_arn}/*")])
        .condition("Bool", "aws:SecureTransport", ["false"]))
}

/// The access logs bucket's statement: S3's logging service (`logging.s3.amazonaws.com`) may
/// write the server access logs of `source` (a bucket of `account`) under `prefix` (S3 User
/// Guide, "Permissions for log delivery": a bucket policy, since ACLs are off with
/// `BucketOwnerEnforced`).
pub fn server_access_logs_statement(
    partition: Partition,
    logs_bucket: &str,
    prefix: &str,
    source: &str,
    account: &AccountId,
) -> Result<Statement, ArnError> {
    let logs_arn = Arn::bucket(partition, logs_bucket)?.to_string();
    let source_arn = Arn::bucket(partition, source)?.to_string();
    Ok(Statement::allow(sid::SERVER_ACCESS_LOGS)
        .principal_service("logging.s3.amazonaws.com")
        .action("s3:PutObject")
        .resource(format!("{logs_arn}/{prefix}*"))
        .condition("ArnLike", "aws:SourceArn", [source_arn])
        .condition("StringEquals", "aws:SourceAccount", [account.as_str()]))
}

/// True when `doc` denies requests without TLS (the product's statement, or a customer's of the
/// same meaning: a Deny of `s3:*` with `Bool aws:SecureTransport = false`).
pub fn denies_insecure_transport(doc: &PolicyDocument) -> bool {
    doc.statements().iter().any(|s| {
        s.effect() == crate::statement::Effect::Deny
            && s.action_values().contains(&"s3:*")
            && s.condition_values("Bool", "aws:SecureTransport")
                .iter()
                .any(|v| v == "false")
    })
}

/// A topic of another account than the hub: the hub role may subscribe Radiant's endpoint to it.
pub fn topic_subscriber_statement(topic: &Arn, subscriber: &Arn) -> Statement {
    Statement::allow(sid::HUB_ROLE_SUBSCRIBE)
        .principal_aws(subscriber.to_string())
        .action("SNS:Subscribe")
        .resource(topic.to_string())
}

/// Which GuardDuty detectors a findings bucket or key admits: the three forms of
/// `aws-facts.md`, most precise first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectorScope {
    /// Exact detectors: StringEquals `aws:SourceAccount` (their accounts) and `aws:SourceArn`
    /// (their ARNs).
    Detectors(Vec<Arn>),
    /// StringEquals `aws:SourceAccount` (these accounts) plus ArnLike `aws:SourceArn`
    /// `arn:PARTITION:guardduty:*:*:detector/*`.
    Accounts(Vec<AccountId>),
    /// StringEquals `aws:SourceOrgID` plus the ArnLike detector pattern. Unconfirmed for
    /// GuardDuty: only on explicit opt-in.
    Organization(OrgId),
}

fn detector_pattern(partition: Partition) -> String {
    format!("arn:{partition}:guardduty:*:*:detector/*")
}

/// The distinct accounts of detector ARNs, in first-seen order.
pub fn detector_accounts(detectors: &[Arn]) -> Vec<String> {
    dedup(detectors.iter().map(|d| d.account().to_owned()))
}

fn scoped(statement: Statement, partition: Partition, scope: &DetectorScope) -> Statement {
    // Lists are always written as lists so that later patches keep one shape.
    match scope {
        DetectorScope::Detectors(detectors) => statement
            .condition_list(
                "StringEquals",
                "aws:SourceAccount",
                detector_accounts(detectors),
            )
            .condition_list(
                "StringEquals",
                "aws:SourceArn",
                dedup(detectors.iter().map(Arn::to_string)),
            ),
        DetectorScope::Accounts(accounts) => statement
            .condition_list(
                "StringEquals",
                "aws:SourceAccount",
                dedup(accounts.iter().map(|a| a.to_string())),
            )
            .condition("ArnLike", "aws:SourceArn", [detector_pattern(partition)]),
        DetectorScope::Organization(org) => statement
            .condition("StringEquals", "aws:SourceOrgID", [org.as_str()])
            .condition("ArnLike", "aws:SourceArn", [detector_pattern(partition)]),
    }
}

/// Where GuardDuty exports findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingsBucket {
    /// The partition of the bucket.
    pub partition: Partition,
    /// The bucket name.
    pub bucket: String,
    /// The object key prefix (no leading/trailing `/`); empty for none.
    pub prefix: String,
}

/// GuardDuty's service principals for detectors in `regions`: `guardduty.amazonaws.com`, and
/// `guardduty.REGION.amazonaws.com` for each opt-in Region among them (GuardDuty user guide,
/// "Exporting findings": a bucket and key policy must admit the regional principal of an opt-in
/// Region). Sorted and without duplicates, so the same detectors always give the same text.
pub fn guardduty_principals(regions: &[Region]) -> Vec<String> {
    let mut regional: Vec<String> = regions
        .iter()
        .filter_map(|r| crate::regions::regional_principal("guardduty", r))
        .collect();
    regional.sort();
    regional.dedup();
    std::iter::once("guardduty.amazonaws.com".to_owned())
        .chain(regional)
        .collect()
}

/// `statement` with every principal of `principals` as a service principal.
fn with_services(mut statement: Statement, principals: &[String]) -> Statement {
    for p in principals {
        statement = statement.principal_service(p.clone());
    }
    statement
}

/// The GuardDuty bucket statements: GetBucketLocation on the bucket ARN and PutObject on
/// `bucket/prefix/*`, both for `guardduty.amazonaws.com` with the scope's conditions.
pub fn guardduty_bucket_statements(
    bucket: &FindingsBucket,
    scope: &DetectorScope,
) -> Result<Vec<Statement>, ArnError> {
    guardduty_bucket_statements_in(bucket, scope, &[])
}

/// [`guardduty_bucket_statements`] for detectors in `regions`: the regional principals of the
/// opt-in ones are admitted too ([`guardduty_principals`]).
pub fn guardduty_bucket_statements_in(
    bucket: &FindingsBucket,
    scope: &DetectorScope,
    regions: &[Region],
) -> Result<Vec<Statement>, ArnError> {
    let partition = bucket.partition;
    let principals = guardduty_principals(regions);
    let bucket_arn = Arn::bucket(partition, &bucket.bucket)?;
    let objects = Arn::bucket_objects(partition, &bucket.bucket, &bucket.prefix)?;
    let location = with_services(
        Statement::allow(sid::GUARDDUTY_GET_BUCKET_LOCATION),
        &principals,
    )
    .action("s3:GetBucketLocation")
    .resource(bucket_arn.to_string());
    let put = with_services(Statement::allow(sid::GUARDDUTY_PUT_OBJECT), &principals)
        .action("s3:PutObject")
        .resource(objects.to_string());
    Ok(vec![
        scoped(location, partition, scope),
        scoped(put, partition, scope),
    ])
}

/// The GuardDuty bucket statements merged into one ([`sid::GUARDDUTY_EXPORT`]): Action
/// `s3:GetBucketLocation` and `s3:PutObject`, Resource the bucket ARN and `bucket/prefix/*`, for
/// `guardduty.amazonaws.com` with the scope's conditions.
///
/// It grants exactly what [`guardduty_bucket_statements`] grants: `s3:GetBucketLocation` applies
/// only to bucket resources (so only to the bucket ARN) and `s3:PutObject` only to object
/// resources (so only to `bucket/prefix/*`); the cross pairs authorize no request. It writes the
/// condition lists once instead of twice, so the `aws:SourceAccount` form fits about twice as
/// many accounts.
pub fn guardduty_bucket_merged_statement(
    bucket: &FindingsBucket,
    scope: &DetectorScope,
) -> Result<Statement, ArnError> {
    guardduty_bucket_merged_statement_in(bucket, scope, &[])
}

/// [`guardduty_bucket_merged_statement`] for detectors in `regions`.
pub fn guardduty_bucket_merged_statement_in(
    bucket: &FindingsBucket,
    scope: &DetectorScope,
    regions: &[Region],
) -> Result<Statement, ArnError> {
    let partition = bucket.partition;
    let bucket_arn = Arn::bucket(partition, &bucket.bucket)?;
    let objects = Arn::bucket_objects(partition, &bucket.bucket, &bucket.prefix)?;
    let export = with_services(
        Statement::allow(sid::GUARDDUTY_EXPORT),
        &guardduty_principals(regions),
    )
    .actions(["s3:GetBucketLocation", "s3:PutObject"])
    .resources([bucket_arn.to_string(), objects.to_string()]);
    Ok(scoped(export, partition, scope))
}

/// The GuardDuty key statement: `kms:GenerateDataKey` on the key for `guardduty.amazonaws.com`
/// with the scope's conditions.
pub fn guardduty_key_statement(key: &Arn, scope: &DetectorScope) -> Statement {
    guardduty_key_statement_in(key, scope, &[])
}

/// [`guardduty_key_statement`] for detectors in `regions`.
pub fn guardduty_key_statement_in(
    key: &Arn,
    scope: &DetectorScope,
    regions: &[Region],
) -> Statement {
    let statement = with_services(
        Statement::allow(sid::GUARDDUTY_GENERATE_DATA_KEY),
        &guardduty_principals(regions),
    )
    .action("kms:GenerateDataKey")
    .resource(key.to_string());
    scoped(statement, key.partition(), scope)
}
