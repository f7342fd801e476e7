"""A Control Tower landing zone: the seeded shared accounts and organization trail, the mandatory
guardrails as SCP denials, cross-account trail resources and the existing notification rules."""

import json
import urllib.error

import pytest
from botocore.exceptions import ClientError

from conftest import MGMT
from radiant_emulator.__main__ import parse_args, seed_body

REGION = "us-east-1"
SCP = "with an explicit deny in a service control policy"


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response


@pytest.fixture()
def lz(emu):
    return emu.seed(accounts=3, ous=2, regions=[REGION, "eu-west-1"], landing_zone=True, seed=21)


def as_role(emu, account, role):
    creds = emu.member_creds(account, role=role)
    return lambda service, region=REGION: emu.client(service, region, creds)


# -- seeding ---------------------------------------------------------------------------------------


def test_landing_zone_seed_shape_accounts_and_ous(emu, lz):
    zone = lz["landing_zone"]
    org_id = lz["organization_id"]
    assert zone["management"] == MGMT
    assert zone["trail_name"] == "aws-controltower-BaselineCloudTrail"
    assert zone["trail_arn"] == f"arn:aws:cloudtrail:{REGION}:{MGMT}:trail/aws-controltower-BaselineCloudTrail"
    assert zone["trail_bucket"] == f"aws-controltower-logs-{zone['log_archive']}-{REGION}"
    assert zone["trail_prefix"] == org_id
    assert zone["trail_key_arn"].startswith(f"arn:aws:kms:{REGION}:{MGMT}:key/")
    assert zone["config_topic_arn"] == f"arn:aws:sns:{REGION}:{zone['audit']}:aws-controltower-AllConfigNotifications"
    # The shared accounts come first, in the Security OU; the workloads stay in ou-NN.
    names = [(a["name"], a["ou_id"]) for a in lz["accounts"]]
    assert names[:2] == [("Log Archive", zone["security_ou"]), ("Audit", zone["security_ou"])]
    assert [a["id"] for a in lz["accounts"][:2]] == [zone["log_archive"], zone["audit"]]
    assert len(lz["accounts"]) == 5
    assert {a["ou_id"] for a in lz["accounts"][2:]} <= {o["id"] for o in lz["ous"]}
    assert [o["name"] for o in lz["ous"]] == ["ou-01", "ou-02"]
    orgs = emu.client("organizations")
    assert orgs.describe_organizational_unit(OrganizationalUnitId=zone["security_ou"])["OrganizationalUnit"]["Name"] == "Security"
    in_security = {a["Id"]: a["Name"] for a in orgs.list_accounts_for_parent(ParentId=zone["security_ou"])["Accounts"]}
    assert in_security == {zone["log_archive"]: "Log Archive", zone["audit"]: "Audit"}
    enabled = [s["ServicePrincipal"] for s in orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]]
    assert enabled == ["cloudtrail.amazonaws.com"]
    # The organization access role works in the shared accounts like in any member.
    for account in (zone["log_archive"], zone["audit"]):
        assert emu.as_member(account)("sts").get_caller_identity()["Account"] == account


def test_landing_zone_seed_is_deterministic_and_off_by_default(emu):
    spec = dict(accounts=2, ous=1, landing_zone=True, seed=8)
    first = emu.seed(**spec)
    emu.control("POST", "reset")
    assert emu.seed(**spec) == first
    emu.control("POST", "reset")
    plain = emu.seed(accounts=2, ous=1, seed=8)
    assert plain["landing_zone"] is None and plain["guardduty_admin"] is None
    assert plain["existing_notification_rules"] == []
    assert len(plain["accounts"]) == 2
    # Without a landing zone the workload ids are those of any seed with the same value.
    assert [a["name"] for a in plain["accounts"]] == ["member-0001", "member-0002"]


def test_cli_flags_build_the_seed_body():
    body = seed_body(parse_args(["--accounts", "4", "--landing-zone", "--guardduty-admin", "audit"]))
    assert body["accounts"] == 4 and body["landing_zone"] is True and body["guardduty_admin"] == "audit"
    assert "landing_zone" not in seed_body(parse_args(["--accounts", "4"]))


def test_landing_zone_trail_as_describe_trails_answers_it(emu, lz):
    zone = lz["landing_zone"]
    ct = emu.client("cloudtrail")
    [trail] = ct.describe_trails(trailNameList=[zone["trail_name"]])["trailList"]
    assert trail["TrailARN"] == zone["trail_arn"]
    assert trail["S3BucketName"] == zone["trail_bucket"]
    assert trail["S3KeyPrefix"] == lz["organization_id"]
    assert trail["KmsKeyId"] == zone["trail_key_arn"]
    assert trail["SnsTopicARN"] == zone["config_topic_arn"]
    assert trail["IsOrganizationTrail"] is True and trail["IsMultiRegionTrail"] is True
    assert ct.get_trail(Name=zone["trail_arn"])["Trail"]["S3BucketName"] == zone["trail_bucket"]
    assert ct.get_trail_status(Name=zone["trail_name"])["IsLogging"] is True
    # Its resources live where Control Tower puts them.
    log_archive = emu.as_member(zone["log_archive"])
    assert zone["trail_bucket"] in [b["Name"] for b in log_archive("s3").list_buckets()["Buckets"]]
    assert zone["trail_bucket"] not in [b["Name"] for b in emu.client("s3").list_buckets()["Buckets"]]
    policy = json.loads(log_archive("s3").get_bucket_policy(Bucket=zone["trail_bucket"])["Policy"])
    resources = {s["Sid"]: s["Resource"] for s in policy["Statement"]}
    org_id = lz["organization_id"]
    assert resources["AWSBucketDeliveryForManagementAccount"] == f"arn:aws:s3:::{zone['trail_bucket']}/{org_id}/AWSLogs/{MGMT}/*"
    assert resources["AWSBucketDeliveryForOrganizationTrail"] == f"arn:aws:s3:::{zone['trail_bucket']}/{org_id}/AWSLogs/{org_id}/*"
    key_policy = emu.client("kms").get_key_policy(KeyId=zone["trail_key_arn"], PolicyName="default")["Policy"]
    assert "kms:GenerateDataKey*" in key_policy and f"arn:aws:iam::{MGMT}:root" in key_policy
    attrs = emu.as_member(zone["audit"])("sns").get_topic_attributes(TopicArn=zone["config_topic_arn"])["Attributes"]
    assert attrs["Owner"] == zone["audit"]
    # The seeded policies pass CloudTrail's checks: the management account (no SCP applies to it)
    # may update the trail with its cross-account bucket, topic and key.
    updated = ct.update_trail(Name=zone["trail_name"], S3BucketName=zone["trail_bucket"], KmsKeyId=zone["trail_key_arn"],
                              SnsTopicName=zone["config_topic_arn"])
    assert updated["SnsTopicARN"] == zone["config_topic_arn"]


# -- guardrails ------------------------------------------------------------------------------------


def test_guardrails_deny_members_as_an_scp_does(emu, lz):
    zone = lz["landing_zone"]
    bucket, topic, trail = zone["trail_bucket"], zone["config_topic_arn"], zone["trail_arn"]
    log_archive = emu.as_member(zone["log_archive"])
    audit = emu.as_member(zone["audit"])
    workload = emu.as_member(lz["accounts"][2]["id"])

    s3 = log_archive("s3")
    err = error_of(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": []})))
    assert err["Error"]["Code"] == "AccessDenied" and err["ResponseMetadata"]["HTTPStatusCode"] == 403
    message = err["Error"]["Message"]
    assert message.startswith(f"User: arn:aws:sts::{zone['log_archive']}:assumed-role/OrganizationAccountAccessRole/")
    assert message.endswith(f'is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::{bucket}" {SCP}')
    assert "s3:DeleteBucketPolicy" in error_of(lambda: s3.delete_bucket_policy(Bucket=bucket))["Error"]["Message"]
    enc = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    assert "s3:PutEncryptionConfiguration" in error_of(
        lambda: s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=enc))["Error"]["Message"]
    assert "s3:PutBucketLogging" in error_of(lambda: s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={}))["Error"]["Message"]
    lifecycle = {"Rules": [{"ID": "x", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]}
    assert "s3:PutLifecycleConfiguration" in error_of(
        lambda: s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=lifecycle))["Error"]["Message"]
    # Reads and PutBucketNotification are not denied.
    s3.get_bucket_policy(Bucket=bucket)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})

    err = error_of(lambda: log_archive("cloudtrail").stop_logging(Name=trail))
    assert err["Error"]["Code"] == "AccessDeniedException" and err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Message"].endswith(f"cloudtrail:StopLogging on resource: {trail} {SCP}")
    # Decided before the trail is looked up: a member's own aws-controltower-* name is denied too.
    assert error_of(lambda: workload("cloudtrail").delete_trail(Name="aws-controltower-Mine"))["Error"]["Code"] == "AccessDeniedException"

    err = error_of(lambda: audit("sns").set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="x"))
    assert err["Error"]["Code"] == "AuthorizationError" and err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err["Error"]["Message"].endswith(f"SNS:SetTopicAttributes on resource: {topic} {SCP}")
    created = error_of(lambda: workload("sns").create_topic(Name="aws-controltower-Custom"))
    assert created["Error"]["Code"] == "AuthorizationError"
    workload("sns").create_topic(Name="not-control-tower")

    snapshot = emu.control("GET", "guardrails")
    assert snapshot["denials"] == 9
    assert snapshot["events"][0] == {"account": zone["log_archive"], "action": "s3:PutBucketPolicy", "resource": f"arn:aws:s3:::{bucket}"}
    assert {"account": zone["audit"], "action": "sns:SetTopicAttributes", "resource": topic} in snapshot["events"]


def test_guardrails_exempt_control_tower_and_the_management_account(emu, lz):
    zone = lz["landing_zone"]
    bucket = zone["trail_bucket"]
    executor = as_role(emu, zone["log_archive"], "AWSControlTowerExecution")
    policy = executor("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    executor("s3").put_bucket_policy(Bucket=bucket, Policy=policy)
    as_role(emu, zone["audit"], "AWSControlTowerExecution")("sns").set_topic_attributes(
        TopicArn=zone["config_topic_arn"], AttributeName="DisplayName", AttributeValue="AWS Control Tower")
    # SCPs never apply to the management account.
    ct = emu.client("cloudtrail")
    ct.put_event_selectors(TrailName=zone["trail_name"], EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}])
    emu.client("sns").create_topic(Name="aws-controltower-ManagementOwn")
    assert emu.control("GET", "guardrails") == {"denials": 0, "events": []}


def test_guardrails_only_with_a_landing_zone_and_reset_clears_them(emu, lz):
    workload = emu.as_member(lz["accounts"][2]["id"])
    error_of(lambda: workload("sns").create_topic(Name="aws-controltower-X"))
    assert emu.control("GET", "guardrails")["denials"] == 1
    emu.control("POST", "reset")
    assert emu.control("GET", "guardrails") == {"denials": 0, "events": []}
    org = emu.seed(accounts=1, ous=0, seed=3)
    emu.as_member(org["accounts"][0]["id"])("sns").create_topic(Name="aws-controltower-X")
    assert emu.control("GET", "guardrails")["denials"] == 0


# -- cross-account trail resources ----------------------------------------------------------------


def trail_policy(bucket, org_id, trail_arn):
    ct = {"Service": "cloudtrail.amazonaws.com"}
    cond = {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}}
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": ct, "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}"},
        {"Effect": "Allow", "Principal": ct, "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{MGMT}/*", "Condition": cond},
        {"Effect": "Allow", "Principal": ct, "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{org_id}/*", "Condition": cond},
    ]})


def test_trail_with_bucket_topic_and_key_of_other_accounts(emu):
    org = emu.seed(accounts=2, ous=0, trusted_services=["cloudtrail.amazonaws.com"], seed=13)
    logs, security = (emu.as_member(a["id"]) for a in org["accounts"])
    logs_id, security_id = org["accounts"][0]["id"], org["accounts"][1]["id"]
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{MGMT}:trail/org-events"
    logs("s3").create_bucket(Bucket="central-trail-logs")
    topic = security("sns").create_topic(Name="trail-notifications")["TopicArn"]
    key = logs("kms").create_key()["KeyMetadata"]
    ct = emu.client("cloudtrail")
    create = lambda **kw: ct.create_trail(Name="org-events", S3BucketName="central-trail-logs", IsOrganizationTrail=True,
                                          IsMultiRegionTrail=True, **kw)
    assert error_of(create)["Error"]["Code"] == "InsufficientS3BucketPolicyException"
    logs("s3").put_bucket_policy(Bucket="central-trail-logs", Policy=trail_policy("central-trail-logs", org["organization_id"], trail_arn))
    assert error_of(lambda: create(SnsTopicName=topic))["Error"]["Code"] == "InsufficientSnsTopicPolicyException"
    security("sns").set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "SNS:Publish", "Resource": topic,
         "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}}]}))
    assert error_of(lambda: create(SnsTopicName=topic, KmsKeyId=key["Arn"]))["Error"]["Code"] == "InsufficientEncryptionPolicyException"
    missing = key["Arn"].replace(key["KeyId"], "00000000-0000-0000-0000-000000000000")
    assert error_of(lambda: create(SnsTopicName=topic, KmsKeyId=missing))["Error"]["Code"] == "KmsKeyNotFoundException"
    logs("kms").put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{logs_id}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*",
         "Resource": "*", "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{MGMT}:trail/*"}}},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:DescribeKey", "Resource": "*"}]}))
    # The key must be in the bucket's Region.
    other_region = logs("kms", "eu-west-1").create_key()["KeyMetadata"]["Arn"]
    assert error_of(lambda: create(SnsTopicName=topic, KmsKeyId=other_region))["Error"]["Code"] == "KmsKeyNotFoundException"
    created = create(SnsTopicName=topic, KmsKeyId=key["Arn"])
    assert created["SnsTopicARN"] == topic and created["KmsKeyId"] == key["Arn"]
    [trail] = ct.describe_trails(trailNameList=["org-events"])["trailList"]
    assert (trail["S3BucketName"], trail["SnsTopicARN"], trail["KmsKeyId"]) == ("central-trail-logs", topic, key["Arn"])
    assert security_id in trail["SnsTopicARN"] and logs_id in trail["KmsKeyId"]


def test_trail_key_given_by_alias_is_kept_as_its_arn(emu):
    emu.seed(accounts=1, ous=0, seed=14)
    s3, kms, ct = emu.client("s3"), emu.client("kms"), emu.client("cloudtrail")
    s3.create_bucket(Bucket="own-trail-logs")
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{MGMT}:trail/own"
    s3.put_bucket_policy(Bucket="own-trail-logs", Policy=trail_policy("own-trail-logs", "o-none", trail_arn))
    key = kms.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"}]}))["KeyMetadata"]
    kms.create_alias(AliasName="alias/own-trail", TargetKeyId=key["KeyId"])
    assert ct.create_trail(Name="own", S3BucketName="own-trail-logs", KmsKeyId="alias/own-trail")["KmsKeyId"] == key["Arn"]
    assert ct.get_trail(Name="own")["Trail"]["KmsKeyId"] == key["Arn"]


# -- existing notification rules -------------------------------------------------------------------


def test_existing_notification_rules_are_seeded_and_block_an_overlapping_rule(emu):
    info = emu.seed(accounts=1, ous=0, landing_zone=True, seed=6, existing_notification_bucket="hub-events",
                    existing_notification_rules=[
                        {"bucket": "hub-events", "id": "new-findings", "events": ["s3:ObjectCreated:Put"], "prefix": "findings/"},
                        {"bucket": "ingest-logs", "account": "log_archive", "id": "siem", "events": ["s3:ObjectCreated:*"], "destination": "sqs"},
                    ])
    zone = info["landing_zone"]
    hub_rule, siem = info["existing_notification_rules"]
    assert hub_rule["account"] == MGMT and hub_rule["topic_arn"].startswith(f"arn:aws:sns:{REGION}:{MGMT}:") and hub_rule["queue_arn"] is None
    assert siem["account"] == zone["log_archive"] and siem["queue_arn"].startswith(f"arn:aws:sqs:{REGION}:{zone['log_archive']}:")
    # Both the older single-rule field and a rule on the same bucket.
    got = emu.client("s3").get_bucket_notification_configuration(Bucket="hub-events")["TopicConfigurations"]
    assert {c["Id"] for c in got} == {"customer-object-removed", "new-findings"}
    log_archive = emu.as_member(zone["log_archive"])
    s3 = log_archive("s3")
    current = s3.get_bucket_notification_configuration(Bucket="ingest-logs")
    assert current["QueueConfigurations"][0]["QueueArn"] == siem["queue_arn"]
    # The product's merge (theirs + a rule of its own on the same events) is refused like S3 does.
    topic = log_archive("sns").create_topic(Name="radiant-events")["TopicArn"]
    log_archive("sns").set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "SNS:Publish", "Resource": topic,
         "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:*:*:ingest-logs"}, "StringEquals": {"aws:SourceAccount": zone["log_archive"]}}}]}))
    merged = {"QueueConfigurations": current["QueueConfigurations"],
              "TopicConfigurations": [{"Id": "radiant", "TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]}
    err = error_of(lambda: s3.put_bucket_notification_configuration(Bucket="ingest-logs", NotificationConfiguration=merged))
    assert err["Error"]["Code"] == "InvalidArgument"
    assert err["Error"]["Message"].startswith("Configurations overlap.")
    # A disjoint prefix is fine, and the seeded queue admits S3.
    merged["TopicConfigurations"][0]["Filter"] = {"Key": {"FilterRules": [{"Name": "prefix", "Value": "radiant/"}]}}
    merged["QueueConfigurations"][0]["Filter"] = {"Key": {"FilterRules": [{"Name": "prefix", "Value": "siem/"}]}}
    s3.put_bucket_notification_configuration(Bucket="ingest-logs", NotificationConfiguration=merged)


def test_existing_notification_rules_refuse_what_s3_refuses(emu):
    for rules in (
        [{"bucket": "bucket-one", "id": "a", "events": ["s3:ObjectCreated:*"]}, {"bucket": "bucket-one", "id": "b", "events": ["s3:ObjectCreated:Put"]}],
        [{"bucket": "bucket-one", "id": "a", "events": ["s3:NoSuchEvent"]}],
        [{"bucket": "b1", "id": "a", "events": ["s3:ObjectCreated:*"]}],
        [{"bucket": "bucket-one", "account": "log_archive", "id": "a", "events": ["s3:ObjectCreated:*"]}],
        [{"bucket": "bucket-one", "account": "999999999999", "id": "a", "events": ["s3:ObjectCreated:*"]}],
    ):
        emu.control("POST", "reset")
        with pytest.raises(urllib.error.HTTPError) as info:
            emu.seed(accounts=1, ous=0, existing_notification_rules=rules)
        assert info.value.code == 400, rules


def test_guardduty_admin_seed_designates_audit_in_every_region(emu):
    info = emu.seed(accounts=2, ous=0, regions=[REGION, "eu-west-1"], landing_zone=True, guardduty_admin="audit", seed=9)
    audit = info["landing_zone"]["audit"]
    assert info["guardduty_admin"]["account"] == audit
    assert [d["region"] for d in info["guardduty_admin"]["detectors"]] == [REGION, "eu-west-1"]
    for d in info["guardduty_admin"]["detectors"]:
        listed = emu.client("guardduty", d["region"]).list_organization_admin_accounts()["AdminAccounts"]
        assert listed == [{"AdminAccountId": audit, "AdminStatus": "ENABLED"}]
        gd = emu.as_member(audit, d["region"])("guardduty", d["region"])
        assert gd.list_detectors()["DetectorIds"] == [d["detector_id"]]
        assert gd.list_members(DetectorId=d["detector_id"])["Members"] == []
    with pytest.raises(urllib.error.HTTPError):
        emu.control("POST", "reset")
        emu.seed(accounts=1, ous=0, guardduty_admin="audit")
