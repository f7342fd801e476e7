"""Partitions: in a GovCloud (`us-gov-*`) or China (`cn-*`) Region every ARN is the partition's
(`arn:aws-us-gov:`, `arn:aws-cn:`): moto's answers, our identities, the `aws:SourceArn` of our
checks, the seeded organization. The commercial answers are in the other test files."""

import gzip
import json

import pytest
from botocore.exceptions import ClientError

from conftest import MGMT
from radiant_emulator.policy import ALLOW, IMPLICIT_DENY, Principal, Request, evaluate
from radiant_emulator.protocol import partition_of, with_partition

GOV = "us-gov-west-1"
P = "aws-us-gov"


def code_of(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"]


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assert_partition(arn, partition=P):
    assert arn.startswith(f"arn:{partition}:"), arn


# -- the helper and the evaluator ---------------------------------------------------------------


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "us-gov-west-1", "us-gov-east-1", "cn-north-1",
                                    "cn-northwest-1", "us-iso-east-1", "us-isob-east-1", "aws-us-gov", "", None])
def test_partition_of_agrees_with_moto(region):
    from moto.utilities.utils import get_partition

    assert partition_of(region) == get_partition(region)


def test_partition_of_the_three_product_partitions():
    assert partition_of("us-gov-west-1") == "aws-us-gov"
    assert partition_of("cn-northwest-1") == "aws-cn"
    assert partition_of("ap-southeast-2") == "aws"
    assert with_partition("arn:aws:iam::111111111111:role/x/y", P) == "arn:aws-us-gov:iam::111111111111:role/x/y"
    assert with_partition("111111111111", P) == "111111111111"


def test_account_root_principal_in_any_partition_but_the_callers():
    trust = lambda value: doc({"Effect": "Allow", "Principal": {"AWS": value}, "Action": "sts:AssumeRole"})
    gov = Principal(kind="AWS", account="111111111111", arn="arn:aws-us-gov:iam::111111111111:user/u")
    cn = Principal(kind="AWS", account="111111111111", arn="arn:aws-cn:sts::111111111111:assumed-role/r/s")
    ask = lambda p: Request(p, "sts:AssumeRole", "arn:aws-us-gov:iam::222222222222:role/r")
    assert evaluate(trust("arn:aws-us-gov:iam::111111111111:root"), ask(gov)) == ALLOW
    assert evaluate(trust("arn:aws-cn:iam::111111111111:root"), ask(cn)) == ALLOW
    assert evaluate(trust("111111111111"), ask(gov)) == ALLOW
    # Another partition's root of the same account id is another account.
    assert evaluate(trust("arn:aws:iam::111111111111:root"), ask(gov)) == IMPLICIT_DENY
    assert evaluate(trust("arn:aws-us-gov:iam::333333333333:root"), ask(gov)) == IMPLICIT_DENY


# -- what moto (with our fixes) answers in us-gov-west-1 ------------------------------------------------


@pytest.fixture()
def gov_org(emu):
    return emu.seed(accounts=3, ous=1, regions=[GOV], existing_detectors=1, foreign_destinations=1,
                    hub_customer_buckets=["gov-customer-logs"], hub_customer_key_alias="gov-customer-key",
                    existing_notification_bucket="gov-customer-events", seed=11)


def test_arns_the_product_reads_carry_the_govcloud_partition(emu, gov_org):
    iam, kms, sns, ct, sts, org = (emu.client(s, GOV) for s in ("iam", "kms", "sns", "cloudtrail", "sts", "organizations"))
    created = iam.create_role(RoleName="radiant-hub", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:{P}:iam::{MGMT}:root"}, "Action": "sts:AssumeRole"}))
    assert created["Role"]["Arn"] == f"arn:{P}:iam::{MGMT}:role/radiant-hub"
    assert iam.get_role(RoleName="radiant-hub")["Role"]["Arn"] == created["Role"]["Arn"]
    key = kms.create_key()["KeyMetadata"]
    assert_partition(key["Arn"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"] == key["Arn"]
    assert_partition(sns.create_topic(Name="gov-topic")["TopicArn"])
    assert sts.get_caller_identity()["Arn"].startswith(f"arn:{P}:sts::{MGMT}:")
    described = org.describe_organization()["Organization"]
    assert described["Id"] == gov_org["organization_id"]
    assert described["Arn"] == gov_org["organization_arn"]
    assert_partition(described["Arn"])
    assert_partition(described["MasterAccountArn"])
    assert all(a["Arn"].startswith(f"arn:{P}:") for a in org.list_accounts()["Accounts"])
    assert gov_org["partition"] == P
    assert all(ou["arn"].startswith(f"arn:{P}:") for ou in gov_org["ous"])
    s3 = emu.client("s3", GOV)
    s3.create_bucket(Bucket="gov-trail-logs", CreateBucketConfiguration={"LocationConstraint": GOV})
    s3.put_bucket_policy(Bucket="gov-trail-logs", Policy=trail_bucket_policy("gov-trail-logs", gov_org["organization_id"], "plain"))
    trail = ct.create_trail(Name="plain", S3BucketName="gov-trail-logs")
    assert trail["TrailARN"] == f"arn:{P}:cloudtrail:{GOV}:{MGMT}:trail/plain"
    assert [t["TrailARN"] for t in ct.describe_trails()["trailList"]] == [trail["TrailARN"]]
    gd = emu.client("guardduty", GOV)
    det = gd.create_detector(Enable=True)["DetectorId"]
    assert_partition(gd.get_detector(DetectorId=det)["ServiceRole"])


def test_create_role_and_assume_it_in_govcloud(emu, gov_org):
    iam, sts = emu.client("iam", GOV), emu.client("sts", GOV)
    iam.create_role(RoleName="gov-role", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:{P}:iam::{MGMT}:root"}, "Action": "sts:AssumeRole"}))
    role_arn = f"arn:{P}:iam::{MGMT}:role/gov-role"
    assumed = sts.assume_role(RoleArn=role_arn, RoleSessionName="gov-session")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:{P}:sts::{MGMT}:assumed-role/gov-role/gov-session"
    session = emu.client("sts", GOV, assumed["Credentials"])
    assert session.get_caller_identity()["Arn"] == f"arn:{P}:sts::{MGMT}:assumed-role/gov-role/gov-session"
    # The session's identity as our checks see it: a refused AssumeRole names it, in GovCloud's partition.
    with pytest.raises(ClientError) as info:
        session.assume_role(RoleArn=f"arn:{P}:iam::{MGMT}:role/missing", RoleSessionName="again")
    assert f"User: arn:{P}:sts::{MGMT}:assumed-role/gov-role/gov-session is not" in info.value.response["Error"]["Message"]
    # The commercial ARN of the role names no role GovCloud's STS knows; nor does the commercial
    # partition know the GovCloud role.
    assert code_of(lambda: sts.assume_role(RoleArn=f"arn:aws:iam::{MGMT}:role/gov-role", RoleSessionName="ab")) == "AccessDenied"
    assert code_of(lambda: emu.client("iam").get_role(RoleName="gov-role")) == "NoSuchEntity"
    # A trust policy naming the commercial account root does not admit the GovCloud account.
    iam.create_role(RoleName="commercial-trust", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "sts:AssumeRole"}))
    assert code_of(lambda: sts.assume_role(RoleArn=f"arn:{P}:iam::{MGMT}:role/commercial-trust", RoleSessionName="ab")) == "AccessDenied"


def test_seeded_member_role_lives_in_govcloud_and_trusts_the_govcloud_root(emu, gov_org):
    member = gov_org["accounts"][0]["id"]
    creds = emu.member_creds(member, region=GOV)
    as_member = lambda s: emu.client(s, GOV, creds)
    assert as_member("sts").get_caller_identity()["Arn"] == f"arn:{P}:sts::{member}:assumed-role/OrganizationAccountAccessRole/pytest"
    role = as_member("iam").get_role(RoleName="OrganizationAccountAccessRole")["Role"]
    assert role["Arn"] == f"arn:{P}:iam::{member}:role/OrganizationAccountAccessRole"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": f"arn:{P}:iam::{MGMT}:root"}
    # Not left in the commercial partition by moto.
    commercial = emu.control("POST", "credentials", {"principal_arn": f"arn:aws:iam::{member}:user/probe"})
    probe = emu.client("iam", "us-east-1", {"AccessKeyId": commercial["access_key_id"], "SecretAccessKey": "x"})
    assert code_of(lambda: probe.get_role(RoleName="OrganizationAccountAccessRole")) == "NoSuchEntity"
    # The member's organization is the GovCloud one.
    assert as_member("organizations").describe_organization()["Organization"]["Id"] == gov_org["organization_id"]


def test_create_account_through_the_api_puts_the_role_in_govcloud(emu):
    org = emu.client("organizations", GOV)
    org.create_organization(FeatureSet="ALL")
    account = org.create_account(AccountName="api-member", Email="api@example.com", RoleName="CustomAccess")["CreateAccountStatus"]["AccountId"]
    creds = emu.member_creds(account, role="CustomAccess", region=GOV)
    role = emu.client("iam", GOV, creds).get_role(RoleName="CustomAccess")["Role"]
    assert role["Arn"] == f"arn:{P}:iam::{account}:role/CustomAccess"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": f"arn:{P}:iam::{MGMT}:root"}


def test_seeded_policies_and_destinations_use_the_govcloud_partition(emu, gov_org):
    s3, kms = emu.client("s3", GOV), emu.client("kms", GOV)
    customer = s3.get_bucket_policy(Bucket="gov-customer-logs")["Policy"]
    assert "arn:aws:" not in customer and f"arn:{P}:iam::{MGMT}:root" in customer and f"arn:{P}:s3:::gov-customer-logs" in customer
    key_policy = kms.get_key_policy(KeyId=gov_org["hub_customer_key"]["key_id"], PolicyName="default")["Policy"]
    assert "arn:aws:" not in key_policy and f"arn:{P}:iam::{MGMT}:role/customer-log-reader" in key_policy
    assert_partition(gov_org["hub_customer_key"]["arn"])
    assert_partition(gov_org["existing_notification"]["topic_arn"])
    topic_policy = emu.client("sns", GOV).get_topic_attributes(TopicArn=gov_org["existing_notification"]["topic_arn"])["Attributes"]["Policy"]
    assert f"arn:{P}:s3:*:*:gov-customer-events" in topic_policy
    foreign = gov_org["foreign_destinations"][0]
    assert_partition(foreign["kms_key_arn"])
    member = emu.as_member(foreign["account"], GOV)
    foreign_policy = member("s3").get_bucket_policy(Bucket=foreign["bucket"])["Policy"]
    assert "arn:aws:" not in foreign_policy and f"arn:{P}:guardduty:*:{foreign['account']}:detector/*" in foreign_policy
    described = member("guardduty").describe_publishing_destination(DetectorId=foreign["detector_id"], DestinationId=foreign["destination_id"])
    assert described["DestinationProperties"]["DestinationArn"] == f"arn:{P}:s3:::{foreign['bucket']}"
    # The seeded destination really publishes: its policies admit the GovCloud detector.
    member("guardduty").create_sample_findings(DetectorId=foreign["detector_id"])
    listed = member("s3").list_objects_v2(Bucket=foreign["bucket"], Prefix=f"AWSLogs/{foreign['account']}/GuardDuty/{GOV}/")
    assert listed["KeyCount"] == 1


def test_seed_refuses_regions_of_two_partitions(emu):
    with pytest.raises(Exception) as info:
        emu.seed(accounts=1, regions=["us-east-1", GOV])
    assert "one partition" in info.value.read().decode()


# -- GuardDuty publishing destination in GovCloud -------------------------------------------------


def gd_bucket_policy(bucket, detector_arn, account):
    gd = {"Service": "guardduty.amazonaws.com"}
    cond = {"StringEquals": {"aws:SourceAccount": account, "aws:SourceArn": detector_arn}}
    return doc(
        {"Sid": "Loc", "Effect": "Allow", "Principal": gd, "Action": "s3:GetBucketLocation", "Resource": f"arn:{P}:s3:::{bucket}", "Condition": cond},
        {"Sid": "Put", "Effect": "Allow", "Principal": gd, "Action": "s3:PutObject", "Resource": f"arn:{P}:s3:::{bucket}/*", "Condition": cond},
    )


def gd_key_policy(key_arn, detector_arn, account):
    return doc(
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:{P}:iam::{MGMT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "GD", "Effect": "Allow", "Principal": {"Service": "guardduty.amazonaws.com"}, "Action": "kms:GenerateDataKey",
         "Resource": key_arn, "Condition": {"StringEquals": {"aws:SourceAccount": account, "aws:SourceArn": detector_arn}}},
    )


def test_guardduty_destination_in_govcloud_needs_the_govcloud_detector_arn(emu, gov_org):
    member = gov_org["accounts"][1]["id"]
    s3, kms = emu.client("s3", GOV), emu.client("kms", GOV)
    s3.create_bucket(Bucket="gov-findings", CreateBucketConfiguration={"LocationConstraint": GOV})
    key = kms.create_key()["KeyMetadata"]
    gd = emu.as_member(member, GOV)("guardduty")
    det = gd.create_detector(Enable=True)["DetectorId"]
    gov_detector = f"arn:{P}:guardduty:{GOV}:{member}:detector/{det}"
    commercial_detector = f"arn:aws:guardduty:{GOV}:{member}:detector/{det}"
    create = lambda dest=f"arn:{P}:s3:::gov-findings", key_arn=key["Arn"]: gd.create_publishing_destination(
        DetectorId=det, DestinationType="S3", DestinationProperties={"DestinationArn": dest, "KmsKeyArn": key_arn})

    # The commercial detector ARN in the conditions: GuardDuty's aws:SourceArn is GovCloud's.
    s3.put_bucket_policy(Bucket="gov-findings", Policy=gd_bucket_policy("gov-findings", commercial_detector, member))
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=gd_key_policy(key["Arn"], gov_detector, member))
    assert code_of(create) == "BadRequestException"
    s3.put_bucket_policy(Bucket="gov-findings", Policy=gd_bucket_policy("gov-findings", gov_detector, member))
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=gd_key_policy(key["Arn"], commercial_detector, member))
    with pytest.raises(ClientError) as info:
        create()
    assert "kms:GenerateDataKey" in info.value.response["Error"]["Message"]
    assert gov_detector in info.value.response["Error"]["Message"]
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=gd_key_policy(key["Arn"], gov_detector, member))
    # Destination and key ARNs of the commercial partition name nothing in GovCloud.
    assert code_of(lambda: create(dest="arn:aws:s3:::gov-findings")) == "BadRequestException"
    assert code_of(lambda: create(key_arn=with_partition(key["Arn"], "aws"))) == "BadRequestException"

    dest = create()["DestinationId"]
    assert gd.describe_publishing_destination(DetectorId=det, DestinationId=dest)["Status"] == "PUBLISHING"
    gd.create_sample_findings(DetectorId=det)
    listed = s3.list_objects_v2(Bucket="gov-findings", Prefix=f"AWSLogs/{member}/GuardDuty/{GOV}/")
    assert listed["KeyCount"] == 1
    body = s3.get_object(Bucket="gov-findings", Key=listed["Contents"][0]["Key"])["Body"].read()
    assert json.loads(gzip.decompress(body).decode().splitlines()[0])["accountId"] == member
    # Detector tags take the GovCloud ARN, not the commercial one.
    gd.tag_resource(ResourceArn=gov_detector, Tags={"team": "sec"})
    assert gd.list_tags_for_resource(ResourceArn=gov_detector)["Tags"] == {"team": "sec"}
    assert code_of(lambda: gd.tag_resource(ResourceArn=commercial_detector, Tags={"x": "y"})) == "BadRequestException"


# -- CloudTrail and S3 notifications in GovCloud ---------------------------------------------------


def trail_bucket_policy(bucket, org_id, trail_name, partition=P):
    trail_arn = f"arn:{partition}:cloudtrail:{GOV}:{MGMT}:trail/{trail_name}"
    ct = {"Service": "cloudtrail.amazonaws.com"}
    cond = {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}}
    return doc(
        {"Sid": "Acl", "Effect": "Allow", "Principal": ct, "Action": "s3:GetBucketAcl", "Resource": f"arn:{P}:s3:::{bucket}",
         "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}},
        {"Sid": "Mgmt", "Effect": "Allow", "Principal": ct, "Action": "s3:PutObject", "Resource": f"arn:{P}:s3:::{bucket}/AWSLogs/{MGMT}/*", "Condition": cond},
        {"Sid": "Org", "Effect": "Allow", "Principal": ct, "Action": "s3:PutObject", "Resource": f"arn:{P}:s3:::{bucket}/AWSLogs/{org_id}/*", "Condition": cond},
    )


def test_organization_trail_in_govcloud(emu, gov_org):
    org_id = gov_org["organization_id"]
    s3, ct, sns, kms = (emu.client(s, GOV) for s in ("s3", "cloudtrail", "sns", "kms"))
    s3.create_bucket(Bucket="gov-org-trail", CreateBucketConfiguration={"LocationConstraint": GOV})
    create = lambda **kw: ct.create_trail(Name="org-events", S3BucketName="gov-org-trail", IsOrganizationTrail=True, IsMultiRegionTrail=True, **kw)
    # A policy naming the commercial trail ARN does not admit the GovCloud trail.
    s3.put_bucket_policy(Bucket="gov-org-trail", Policy=trail_bucket_policy("gov-org-trail", org_id, "org-events", partition="aws"))
    assert code_of(create) == "InsufficientS3BucketPolicyException"
    s3.put_bucket_policy(Bucket="gov-org-trail", Policy=trail_bucket_policy("gov-org-trail", org_id, "org-events"))
    trail_arn = f"arn:{P}:cloudtrail:{GOV}:{MGMT}:trail/org-events"

    topic = sns.create_topic(Name="gov-trail-topic")["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=doc(
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "SNS:Publish", "Resource": topic,
         "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}}))
    key = kms.create_key()["KeyMetadata"]
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:{P}:iam::{MGMT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceArn": trail_arn},
                       "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{P}:cloudtrail:*:{MGMT}:trail/*"}}},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:DescribeKey", "Resource": "*"}))
    # A key ARN of the commercial partition is no key.
    assert code_of(lambda: create(KmsKeyId=with_partition(key["Arn"], "aws"))) == "KmsKeyNotFoundException"
    created = create(SnsTopicName="gov-trail-topic", KmsKeyId=key["Arn"])
    assert created["TrailARN"] == trail_arn
    assert created["IsOrganizationTrail"] is True
    assert ct.describe_trails(trailNameList=["org-events"])["trailList"][0]["TrailARN"] == trail_arn
    # A member of the GovCloud organization is not its management account.
    member = emu.as_member(gov_org["accounts"][0]["id"], GOV)
    member("s3").create_bucket(Bucket="gov-member-logs", CreateBucketConfiguration={"LocationConstraint": GOV})
    assert code_of(lambda: member("cloudtrail").create_trail(Name="mine", S3BucketName="gov-member-logs", IsOrganizationTrail=True)) == "NotOrganizationMasterAccountException"


def test_bucket_notification_in_govcloud_checks_the_govcloud_bucket_arn(emu):
    s3, sns = emu.client("s3", GOV), emu.client("sns", GOV)
    s3.create_bucket(Bucket="gov-events", CreateBucketConfiguration={"LocationConstraint": GOV})
    topic = sns.create_topic(Name="gov-events-topic")["TopicArn"]
    assert_partition(topic)
    config = {"TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]}
    policy = lambda source: doc({"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "SNS:Publish", "Resource": topic,
                                 "Condition": {"ArnEquals": {"aws:SourceArn": source}, "StringEquals": {"aws:SourceAccount": MGMT}}})
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=policy("arn:aws:s3:::gov-events"))
    assert code_of(lambda: s3.put_bucket_notification_configuration(Bucket="gov-events", NotificationConfiguration=config)) == "InvalidArgument"
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=policy(f"arn:{P}:s3:::gov-events"))
    s3.put_bucket_notification_configuration(Bucket="gov-events", NotificationConfiguration=config)
    assert s3.get_bucket_notification_configuration(Bucket="gov-events")["TopicConfigurations"][0]["TopicArn"] == topic


# -- registered principals, China ----------------------------------------------------------------------


def test_registered_govcloud_principal_assumes_a_role_trusting_its_role_arn(emu, gov_org):
    iam = emu.client("iam", GOV)
    iam.create_role(RoleName="radiant-aws-access-role", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:{P}:iam::649384204969:role/tenant-aws-access-role"},
         "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "cred-123"}}}))
    radiant = emu.control("POST", "credentials", {"principal_arn": f"arn:{P}:sts::649384204969:assumed-role/tenant-aws-access-role/radiant"})
    sts = emu.client("sts", GOV, {"AccessKeyId": radiant["access_key_id"], "SecretAccessKey": radiant["secret_access_key"]})
    role_arn = f"arn:{P}:iam::{MGMT}:role/radiant-aws-access-role"
    assert code_of(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="ab", ExternalId="wrong")) == "AccessDenied"
    hub = sts.assume_role(RoleArn=role_arn, RoleSessionName="ab", ExternalId="cred-123")
    assert hub["AssumedRoleUser"]["Arn"] == f"arn:{P}:sts::{MGMT}:assumed-role/radiant-aws-access-role/ab"


def test_china_region_identities_and_arns(emu):
    region = "cn-north-1"
    sts, kms, iam = emu.client("sts", region), emu.client("kms", region), emu.client("iam", region)
    assert sts.get_caller_identity()["Arn"].startswith(f"arn:aws-cn:sts::{MGMT}:")
    assert_partition(kms.create_key()["KeyMetadata"]["Arn"], "aws-cn")
    iam.create_role(RoleName="cn-role", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws-cn:iam::{MGMT}:root"}, "Action": "sts:AssumeRole"}))
    assumed = sts.assume_role(RoleArn=f"arn:aws-cn:iam::{MGMT}:role/cn-role", RoleSessionName="cn-session")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws-cn:sts::{MGMT}:assumed-role/cn-role/cn-session"


def test_registered_commercial_principal_named_exactly_still_assumes_a_govcloud_role(emu, gov_org):
    # The product's Radiant principal is a commercial ARN; a GovCloud hub role's trust policy that
    # names exactly that ARN admits the credentials issued for it (an explicit ARN keeps its partition).
    radiant_arn = "arn:aws:sts::649384204969:assumed-role/tenant-aws-access-role/radiant-security"
    emu.client("iam", GOV).create_role(RoleName="radiant-aws-access-role", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": radiant_arn}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "cred-123"}}}))
    radiant = emu.control("POST", "credentials", {"principal_arn": radiant_arn})
    sts = emu.client("sts", GOV, {"AccessKeyId": radiant["access_key_id"], "SecretAccessKey": radiant["secret_access_key"]})
    hub = sts.assume_role(RoleArn=f"arn:{P}:iam::{MGMT}:role/radiant-aws-access-role", RoleSessionName="ab", ExternalId="cred-123")
    assert hub["AssumedRoleUser"]["Arn"] == f"arn:{P}:sts::{MGMT}:assumed-role/radiant-aws-access-role/ab"
