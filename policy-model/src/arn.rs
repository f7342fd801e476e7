//! ARNs and the AWS identifiers the product puts in policies: account IDs, Regions (with their
//! partition), GuardDuty detector IDs and organization IDs.
//!
//! Every type here is validated on construction, so a value of the type is always well formed.
//! A bad value is an [`ArnError`] that quotes it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A malformed ARN or identifier. The message quotes the bad value and says what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// The text is not `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
    #[error("`{value}` is not an ARN: expected `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`")]
    Malformed {
        /// The rejected text.
        value: String,
    },
    /// The partition is not one the product supports.
    #[error("`{value}` is not a supported partition: use `aws`, `aws-cn` or `aws-us-gov`")]
    Partition {
        /// The rejected partition.
        value: String,
    },
    /// Not a 12-digit account ID.
    #[error("`{value}` is not an AWS account ID: expected exactly 12 digits")]
    AccountId {
        /// The rejected account ID.
        value: String,
    },
    /// Not a Region name such as `us-east-1`.
    #[error("`{value}` is not an AWS Region name: expected a name such as `us-east-1`")]
    Region {
        /// The rejected Region.
        value: String,
    },
    /// Not a GuardDuty detector ID.
    #[error(
        "`{value}` is not a GuardDuty detector ID: expected 1 to 300 lowercase letters or digits"
    )]
    DetectorId {
        /// The rejected detector ID.
        value: String,
    },
    /// Not an organization ID such as `o-a1b2c3d4e5`.
    #[error(
        "`{value}` is not an organization ID: expected `o-` and 10 to 32 lowercase letters or digits"
    )]
    OrgId {
        /// The rejected organization ID.
        value: String,
    },
    /// Not a valid `sts:ExternalId`.
    /// The value is not quoted: it is a shared secret and must never reach logs.
    #[error(
        "the external ID ({length} characters) is not valid: expected 2 to 1,224 letters, digits or `+=,.@:/-_`; copy it again from Radiant"
    )]
    ExternalId {
        /// The length of the rejected value.
        length: usize,
    },
    /// A resource name (role, bucket, topic, trail, key, alias, prefix) is invalid.
    #[error("`{value}` is not a valid {kind} name: {expected}")]
    Name {
        /// What kind of name was expected (`role`, `bucket`, ...).
        kind: &'static str,
        /// The rejected name.
        value: String,
        /// What a valid name looks like.
        expected: &'static str,
    },
}

/// An AWS partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Partition {
    /// The commercial partition, `aws`.
    Aws,
    /// China, `aws-cn`.
    AwsCn,
    /// GovCloud (US), `aws-us-gov`.
    AwsUsGov,
}

impl Partition {
    /// The partition of the Region named `region` (`cn-*` is `aws-cn`, `us-gov-*` is
    /// `aws-us-gov`, every other Region is `aws`).
    pub fn of_region(region: &str) -> Self {
        if region.starts_with("cn-") {
            Partition::AwsCn
        } else if region.starts_with("us-gov-") {
            Partition::AwsUsGov
        } else {
            Partition::Aws
        }
    }

    /// The partition as it appears in ARNs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::AwsCn => "aws-cn",
            Self::AwsUsGov => "aws-us-gov",
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Partition {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "aws" => Ok(Self::Aws),
            "aws-cn" => Ok(Self::AwsCn),
            "aws-us-gov" => Ok(Self::AwsUsGov),
            _ => Err(ArnError::Partition {
                value: s.to_owned(),
            }),
        }
    }
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.to_string())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
        impl TryFrom<&str> for $name {
            type Error = ArnError;
            fn try_from(value: &str) -> Result<Self, Self::Error> {
                value.parse()
            }
        }
        /// A valid identifier reads as the text it is (`&AccountId` where `&str` is expected).
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

/// A 12-digit AWS account ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);
string_newtype!(AccountId);

impl AccountId {
    /// Validates a 12-digit account ID.
    pub fn new(value: &str) -> Result<Self, ArnError> {
        value.parse()
    }
}

impl FromStr for AccountId {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(ArnError::AccountId {
                value: s.to_owned(),
            })
        }
    }
}

/// An AWS Region name such as `us-east-1`, `cn-north-1` or `us-gov-west-1`, with its partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(String);
string_newtype!(Region);

impl Region {
    /// Validates a Region name.
    pub fn new(value: &str) -> Result<Self, ArnError> {
        value.parse()
    }

    /// The partition the Region belongs to.
    pub fn partition(&self) -> Partition {
        Partition::of_region(&self.0)
    }
}

impl FromStr for Region {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Shape: AREA(-gov)?-DIRECTION-DIGITS, e.g. `us-east-1`, `ap-southeast-2`, `us-gov-west-1`.
        let bad = || ArnError::Region {
            value: s.to_owned(),
        };
        let parts: Vec<&str> = s.split('-').collect();
        let (area, middle, number) = match parts.as_slice() {
            [area, direction, number] => (*area, vec![*direction], *number),
            [area, "gov", direction, number] => (*area, vec!["gov", *direction], *number),
            _ => return Err(bad()),
        };
        let letters = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
        let ok = area.len() == 2
            && letters(area)
            && middle.iter().all(|p| letters(p))
            && !number.is_empty()
            && number.len() <= 2
            && number.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(bad())
        }
    }
}

/// An S3 bucket name (3 to 63 lowercase letters, digits, dots or hyphens, starting and ending
/// with a letter or digit).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BucketName(String);
string_newtype!(BucketName);

impl BucketName {
    /// Validates a bucket name.
    pub fn new(value: &str) -> Result<Self, ArnError> {
        value.parse()
    }
}

impl FromStr for BucketName {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check_bucket(s)?;
        Ok(Self(s.to_owned()))
    }
}

/// A KMS alias, `alias/NAME` (1 to 250 letters, digits or `/_-`; `alias/aws/...` is reserved
/// for AWS managed keys).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KmsAlias(String);
string_newtype!(KmsAlias);

impl KmsAlias {
    /// Validates an alias.
    pub fn new(value: &str) -> Result<Self, ArnError> {
        value.parse()
    }
}

impl FromStr for KmsAlias {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some(name) = s.strip_prefix("alias/") else {
            return Err(name_error(
                "KMS alias",
                s,
                "`alias/NAME`, e.g. `alias/cloudtrail-log-encryption`",
            ));
        };
        check_chars(
            "KMS alias",
            name,
            250,
            "1 to 250 letters, digits or `/_-`, e.g. `alias/cloudtrail-log-encryption`",
            |c| c.is_ascii_alphanumeric() || "/_-".contains(c),
        )?;
        if name.starts_with("aws/") {
            return Err(name_error(
                "KMS alias",
                s,
                "`alias/aws/...` is reserved for AWS managed keys; choose another alias",
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

/// A GuardDuty detector ID (`[a-z0-9]{1,300}`, in practice 32 hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DetectorId(String);
string_newtype!(DetectorId);

impl DetectorId {
    /// Validates a detector ID.
    pub fn new(value: &str) -> Result<Self, ArnError> {
        value.parse()
    }
}

impl FromStr for DetectorId {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=300).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ArnError::DetectorId {
                value: s.to_owned(),
            })
        }
    }
}

/// An AWS Organizations organization ID such as `o-a1b2c3d4e5`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgId(String);
string_newtype!(OrgId);

impl OrgId {
    /// Validates an organization ID.
    pub fn new(value: &str) -> Result<Self, ArnError> {
        value.parse()
    }
}

impl FromStr for OrgId {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = s.strip_prefix("o-").is_some_and(|rest| {
            (10..=32).contains(&rest.len())
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ArnError::OrgId {
                value: s.to_owned(),
            })
        }
    }
}

/// The `sts:ExternalId` value Radiant shows (RS_CREDENTIAL_ID). Its `Debug` output is redacted:
/// it is a shared secret, so it must never reach logs.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    /// Validates an external ID (2 to 1,224 characters of `[\w+=,.@:/-]`).
    pub fn new(value: &str) -> Result<Self, ArnError> {
        let ok = (2..=1_224).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c));
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(ArnError::ExternalId {
                length: value.chars().count(),
            })
        }
    }

    /// The value, for the trust policy condition.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExternalId(<redacted>)")
    }
}

/// A parsed, validated ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
///
/// The Region is empty or a valid Region name, the account is empty, 12 digits or `aws` (AWS
/// managed policies), the service and resource are non-empty. ARN patterns with wildcards in the
/// Region or account (`arn:aws:iam::*:role/x`) are not ARNs; the builders write them as strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arn {
    partition: Partition,
    service: String,
    region: String,
    account: String,
    resource: String,
}

fn name_error(kind: &'static str, value: &str, expected: &'static str) -> ArnError {
    ArnError::Name {
        kind,
        value: value.to_owned(),
        expected,
    }
}

fn check_chars(
    kind: &'static str,
    value: &str,
    max: usize,
    expected: &'static str,
    allowed: impl Fn(char) -> bool,
) -> Result<(), ArnError> {
    if value.is_empty() || value.chars().count() > max || !value.chars().all(allowed) {
        return Err(name_error(kind, value, expected));
    }
    Ok(())
}

fn check_bucket(bucket: &str) -> Result<(), ArnError> {
    const EXPECTED: &str = "3 to 63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit";
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edge_ok(bucket.chars().next())
        && edge_ok(bucket.chars().last());
    if ok {
        Ok(())
    } else {
        Err(name_error("bucket", bucket, EXPECTED))
    }
}

impl Arn {
    fn build(
        partition: Partition,
        service: &str,
        region: &str,
        account: &str,
        resource: String,
    ) -> Self {
        Self {
            partition,
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource,
        }
    }

    /// An IAM role: `arn:PARTITION:iam::ACCOUNT:role/NAME`.
    pub fn role(partition: Partition, account: &AccountId, name: &str) -> Result<Self, ArnError> {
        check_role_name(name)?;
        Ok(Self::build(
            partition,
            "iam",
            "",
            account.as_str(),
            format!("role/{name}"),
        ))
    }

    /// An account's root principal: `arn:PARTITION:iam::ACCOUNT:root`.
    pub fn account_root(partition: Partition, account: &AccountId) -> Self {
        Self::build(partition, "iam", "", account.as_str(), "root".to_owned())
    }

    /// A GuardDuty detector: `arn:PARTITION:guardduty:REGION:ACCOUNT:detector/ID`.
    pub fn detector(region: &Region, account: &AccountId, detector: &DetectorId) -> Self {
        Self::build(
            region.partition(),
            "guardduty",
            region.as_str(),
            account.as_str(),
            format!("detector/{detector}"),
        )
    }

    /// An S3 bucket: `arn:PARTITION:s3:::BUCKET`.
    pub fn bucket(partition: Partition, bucket: &str) -> Result<Self, ArnError> {
        check_bucket(bucket)?;
        Ok(Self::build(partition, "s3", "", "", bucket.to_owned()))
    }

    /// A GuardDuty publishing destination in S3: `arn:PARTITION:s3:::BUCKET` or
    /// `arn:PARTITION:s3:::BUCKET/PREFIX` (the form `CreatePublishingDestination` takes).
    pub fn findings_destination(
        partition: Partition,
        bucket: &str,
        prefix: &str,
    ) -> Result<Self, ArnError> {
        check_bucket(bucket)?;
        let resource = if prefix.is_empty() {
            bucket.to_owned()
        } else {
            check_prefix(prefix)?;
            format!("{bucket}/{prefix}")
        };
        Ok(Self::build(partition, "s3", "", "", resource))
    }

    /// The objects of a bucket under a key prefix: `arn:PARTITION:s3:::BUCKET/PREFIX/*`, or
    /// `arn:PARTITION:s3:::BUCKET/*` when the prefix is empty. The prefix has no leading or
    /// trailing `/` and no wildcard.
    pub fn bucket_objects(
        partition: Partition,
        bucket: &str,
        prefix: &str,
    ) -> Result<Self, ArnError> {
        check_bucket(bucket)?;
        let resource = if prefix.is_empty() {
            format!("{bucket}/*")
        } else {
            check_prefix(prefix)?;
            format!("{bucket}/{prefix}/*")
        };
        Ok(Self::build(partition, "s3", "", "", resource))
    }

    /// A KMS key: `arn:PARTITION:kms:REGION:ACCOUNT:key/KEY_ID`.
    pub fn kms_key(region: &Region, account: &AccountId, key_id: &str) -> Result<Self, ArnError> {
        check_chars(
            "KMS key ID",
            key_id,
            128,
            "letters, digits and hyphens, e.g. `1234abcd-12ab-34cd-56ef-1234567890ab`",
            |c| c.is_ascii_alphanumeric() || c == '-',
        )?;
        Ok(Self::build(
            region.partition(),
            "kms",
            region.as_str(),
            account.as_str(),
            format!("key/{key_id}"),
        ))
    }

    /// A KMS alias: `arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME`; `alias` may be given with or
    /// without its `alias/` prefix.
    pub fn kms_alias(region: &Region, account: &AccountId, alias: &str) -> Result<Self, ArnError> {
        let name = alias.strip_prefix("alias/").unwrap_or(alias);
        check_chars(
            "KMS alias",
            name,
            250,
            "1 to 250 letters, digits or `/_-`, e.g. `alias/cloudtrail-log-encryption`",
            |c| c.is_ascii_alphanumeric() || "/_-".contains(c),
        )?;
        if name.starts_with("aws/") {
            return Err(name_error(
                "KMS alias",
                alias,
                "`alias/aws/...` is reserved for AWS managed keys; choose another alias",
            ));
        }
        Ok(Self::build(
            region.partition(),
            "kms",
            region.as_str(),
            account.as_str(),
            format!("alias/{name}"),
        ))
    }

    /// An SNS topic: `arn:PARTITION:sns:REGION:ACCOUNT:NAME`.
    pub fn sns_topic(region: &Region, account: &AccountId, name: &str) -> Result<Self, ArnError> {
        check_chars(
            "SNS topic",
            name,
            256,
            "1 to 256 letters, digits, `_` or `-` (and `.fifo` at the end)",
            |c| c.is_ascii_alphanumeric() || "_-.".contains(c),
        )?;
        if name.contains('.') && !name.ends_with(".fifo") || name.matches('.').count() > 1 {
            return Err(name_error(
                "SNS topic",
                name,
                "1 to 256 letters, digits, `_` or `-` (and `.fifo` at the end)",
            ));
        }
        Ok(Self::build(
            region.partition(),
            "sns",
            region.as_str(),
            account.as_str(),
            name.to_owned(),
        ))
    }

    /// A CloudTrail trail: `arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME`.
    pub fn cloudtrail_trail(
        region: &Region,
        account: &AccountId,
        name: &str,
    ) -> Result<Self, ArnError> {
        check_chars(
            "trail",
            name,
            128,
            "3 to 128 letters, digits, `.`, `_` or `-`",
            |c| c.is_ascii_alphanumeric() || "._-".contains(c),
        )?;
        if name.len() < 3 {
            return Err(name_error(
                "trail",
                name,
                "3 to 128 letters, digits, `.`, `_` or `-`",
            ));
        }
        Ok(Self::build(
            region.partition(),
            "cloudtrail",
            region.as_str(),
            account.as_str(),
            format!("trail/{name}"),
        ))
    }

    /// The partition.
    pub fn partition(&self) -> Partition {
        self.partition
    }
    /// The service, e.g. `iam`.
    pub fn service(&self) -> &str {
        &self.service
    }
    /// The Region; empty for global resources.
    pub fn region(&self) -> &str {
        &self.region
    }
    /// The account; empty for S3 buckets.
    pub fn account(&self) -> &str {
        &self.account
    }
    /// The account as a validated [`AccountId`], when it is one.
    pub fn account_id(&self) -> Option<AccountId> {
        self.account.parse().ok()
    }
    /// The resource part, e.g. `role/NAME`.
    pub fn resource(&self) -> &str {
        &self.resource
    }
}

/// Validates an IAM role name (1 to 64 letters, digits or `+=,.@_-`).
pub fn check_role_name(name: &str) -> Result<(), ArnError> {
    check_chars(
        "role",
        name,
        64,
        "1 to 64 letters, digits or `+=,.@_-`",
        |c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c),
    )
}

fn check_prefix(prefix: &str) -> Result<(), ArnError> {
    const EXPECTED: &str =
        "an object key prefix without leading or trailing `/` and without `*` or `?`";
    let ok = !prefix.starts_with('/')
        && !prefix.ends_with('/')
        && !prefix.contains(['*', '?'])
        && !prefix.contains("//")
        && !prefix.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(name_error("prefix", prefix, EXPECTED))
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

impl FromStr for Arn {
    type Err = ArnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || ArnError::Malformed {
            value: s.to_owned(),
        };
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
            return Err(malformed());
        };
        if *prefix != "arn"
            || service.is_empty()
            || !service
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            || resource.is_empty()
        {
            return Err(malformed());
        }
        let partition: Partition = partition.parse()?;
        if !region.is_empty() {
            Region::new(region)?;
        }
        if !account.is_empty() && *account != "aws" {
            AccountId::new(account)?;
        }
        Ok(Self::build(
            partition,
            service,
            region,
            account,
            (*resource).to_owned(),
        ))
    }
}

impl From<Arn> for String {
    fn from(arn: Arn) -> Self {
        arn.to_string()
    }
}

impl Serialize for Arn {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Arn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> AccountId {
        AccountId::new("111122223333").unwrap()
    }

    #[test]
    fn bucket_names_and_kms_aliases_are_parsed_once() {
        assert_eq!(BucketName::new("acme-logs").unwrap(), "acme-logs");
        assert!(BucketName::new("Acme").is_err() && BucketName::new("").is_err());
        let alias = KmsAlias::new("alias/cloudtrail-log-encryption").unwrap();
        assert_eq!(&*alias, "alias/cloudtrail-log-encryption");
        for bad in ["cloudtrail", "alias/", "alias/aws/s3", "alias/bad name"] {
            assert!(KmsAlias::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn partitions_follow_the_region_and_destinations_carry_them() {
        assert_eq!(Partition::of_region("us-gov-west-1"), Partition::AwsUsGov);
        assert_eq!(Partition::of_region("cn-north-1"), Partition::AwsCn);
        assert_eq!(Partition::of_region("eu-west-1"), Partition::Aws);
        assert_eq!(
            Arn::findings_destination(Partition::AwsUsGov, "findings", "")
                .unwrap()
                .to_string(),
            "arn:aws-us-gov:s3:::findings"
        );
        assert_eq!(
            Arn::findings_destination(Partition::Aws, "findings", "gd/export")
                .unwrap()
                .to_string(),
            "arn:aws:s3:::findings/gd/export"
        );
        assert!(Arn::findings_destination(Partition::Aws, "findings", "/x").is_err());
    }

    #[test]
    fn constructors_write_the_documented_shapes() {
        let region = Region::new("eu-west-1").unwrap();
        let detector = DetectorId::new("12abc34d567e8fa901bc2d34e56789f0").unwrap();
        assert_eq!(
            Arn::role(Partition::Aws, &account(), "radiant-aws-access-role")
                .unwrap()
                .to_string(),
            "arn:aws:iam::111122223333:role/radiant-aws-access-role"
        );
        assert_eq!(
            Arn::detector(&region, &account(), &detector).to_string(),
            "arn:aws:guardduty:eu-west-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0"
        );
        assert_eq!(
            Arn::bucket(Partition::Aws, "my-logs").unwrap().to_string(),
            "arn:aws:s3:::my-logs"
        );
        assert_eq!(
            Arn::bucket_objects(Partition::Aws, "my-logs", "gd/findings")
                .unwrap()
                .to_string(),
            "arn:aws:s3:::my-logs/gd/findings/*"
        );
        assert_eq!(
            Arn::bucket_objects(Partition::Aws, "my-logs", "")
                .unwrap()
                .to_string(),
            "arn:aws:s3:::my-logs/*"
        );
        assert_eq!(
            Arn::kms_alias(&region, &account(), "alias/ct")
                .unwrap()
                .to_string(),
            "arn:aws:kms:eu-west-1:111122223333:alias/ct"
        );
        assert_eq!(
            Arn::sns_topic(&region, &account(), "ct-topic")
                .unwrap()
                .to_string(),
            "arn:aws:sns:eu-west-1:111122223333:ct-topic"
        );
        assert_eq!(
            Arn::cloudtrail_trail(&region, &account(), "management-events")
                .unwrap()
                .to_string(),
            "arn:aws:cloudtrail:eu-west-1:111122223333:trail/management-events"
        );
    }

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(
            Region::new("cn-north-1").unwrap().partition(),
            Partition::AwsCn
        );
        assert_eq!(
            Region::new("us-gov-west-1").unwrap().partition(),
            Partition::AwsUsGov
        );
        assert_eq!(
            Region::new("ap-southeast-2").unwrap().partition(),
            Partition::Aws
        );
    }

    #[test]
    fn bad_values_are_quoted_in_errors() {
        let cases = [
            AccountId::new("12345").unwrap_err().to_string(),
            Region::new("useast1").unwrap_err().to_string(),
            DetectorId::new("ABC").unwrap_err().to_string(),
            OrgId::new("o-x").unwrap_err().to_string(),
            "arn:aws:guardduty:us-east-1:1234:detector/x"
                .parse::<Arn>()
                .unwrap_err()
                .to_string(),
            Arn::bucket(Partition::Aws, "Bad_Bucket")
                .unwrap_err()
                .to_string(),
            Arn::bucket_objects(Partition::Aws, "ok-bucket", "/lead")
                .unwrap_err()
                .to_string(),
        ];
        for (message, quoted) in cases.iter().zip([
            "`12345`",
            "`useast1`",
            "`ABC`",
            "`o-x`",
            "`1234`",
            "`Bad_Bucket`",
            "`/lead`",
        ]) {
            assert!(message.contains(quoted), "{message}");
        }
    }

    #[test]
    fn parse_and_display_round_trip() {
        for text in [
            "arn:aws:sts::649384204969:assumed-role/tenant-aws-access-role/radiant-security",
            "arn:aws-us-gov:iam::111122223333:role/x",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:sns:us-east-1:111122223333:topic",
            "arn:aws:s3:::bucket/prefix/*",
        ] {
            assert_eq!(text.parse::<Arn>().unwrap().to_string(), text);
        }
        assert!("arn:aws:iam::*:role/x".parse::<Arn>().is_err());
        assert!("arn:aws:s3:::".parse::<Arn>().is_err());
        assert!("arn:aws-iso:s3:::b".parse::<Arn>().is_err());
    }
}
