"""CloudTrail's policy checks, S3's notification validation and STS's trust evaluation."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import MGMT

REGION = "us-east-1"


def code_of(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"]


def trail_bucket_policy(bucket, org_id, trail_arn):
    cond = {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}}
    ct = {"Service": "cloudtrail.amazonaws.com"}
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Acl", "Effect": "Allow", "Principal": ct, "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}},
        {"Sid": "Mgmt", "Effect": "Allow", "Principal": ct, "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{MGMT}/*", "Condition": cond},
        {"Sid": "Org", "Effect": "Allow", "Principal": ct, "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{org_id}/*", "Condition": cond},
    ]})


def test_org_trail_checks_bucket_topic_key(emu):
    org = emu.seed(accounts=2, ous=1, seed=1)
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{MGMT}:trail/management-events"
    s3, sns, kms, ct = (emu.client(s) for s in ("s3", "sns", "kms", "cloudtrail"))
    s3.create_bucket(Bucket="trail-logs")
    create = lambda **kw: ct.create_trail(Name="management-events", S3BucketName="trail-logs", IsOrganizationTrail=True, IsMultiRegionTrail=True, **kw)
    assert code_of(create) == "InsufficientS3BucketPolicyException"
    # Only the management account's prefix: an organization trail also writes under o-ORGID.
    partial = json.loads(trail_bucket_policy("trail-logs", org["organization_id"], trail_arn))
    partial["Statement"].pop()
    s3.put_bucket_policy(Bucket="trail-logs", Policy=json.dumps(partial))
    assert code_of(create) == "InsufficientS3BucketPolicyException"
    s3.put_bucket_policy(Bucket="trail-logs", Policy=trail_bucket_policy("trail-logs", org["organization_id"], trail_arn))

    topic = sns.create_topic(Name="trail-topic")["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": []}))
    assert code_of(lambda: create(SnsTopicName="trail-topic")) == "InsufficientSnsTopicPolicyException"
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "SNS:Publish", "Resource": topic,
         "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}}]}))

    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/cloudtrail-log-encryption", TargetKeyId=key["KeyId"])
    assert code_of(lambda: create(SnsTopicName="trail-topic", KmsKeyId="alias/cloudtrail-log-encryption")) == "InsufficientEncryptionPolicyException"
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}, "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{MGMT}:trail/*"}}},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:DescribeKey", "Resource": "*"}]}))
    created = create(SnsTopicName="trail-topic", KmsKeyId="alias/cloudtrail-log-encryption")
    assert created["IsOrganizationTrail"] is True
    # UpdateTrail re-checks with the merged settings.
    s3.create_bucket(Bucket="other-logs")
    assert code_of(lambda: ct.update_trail(Name="management-events", S3BucketName="other-logs")) == "InsufficientS3BucketPolicyException"


def test_org_trail_only_from_management_account(emu):
    org = emu.seed(accounts=1, ous=0, seed=2)
    member = emu.as_member(org["accounts"][0]["id"])
    member("s3").create_bucket(Bucket="member-logs")
    assert code_of(lambda: member("cloudtrail").create_trail(Name="t", S3BucketName="member-logs", IsOrganizationTrail=True)) == "NotOrganizationMasterAccountException"


def test_bucket_notification_needs_a_topic_that_admits_s3(emu):
    s3, sns = emu.client("s3"), emu.client("sns")
    s3.create_bucket(Bucket="findings")
    config = lambda arn: {"TopicConfigurations": [{"TopicArn": arn, "Events": ["s3:ObjectCreated:*"]}]}
    missing = f"arn:aws:sns:{REGION}:{MGMT}:nope"
    assert code_of(lambda: s3.put_bucket_notification_configuration(Bucket="findings", NotificationConfiguration=config(missing))) == "InvalidArgument"
    topic = sns.create_topic(Name="findings-topic")["TopicArn"]
    assert code_of(lambda: s3.put_bucket_notification_configuration(Bucket="findings", NotificationConfiguration=config(topic))) == "InvalidArgument"
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "SNS:Publish", "Resource": topic,
         "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:*:*:findings"}, "StringEquals": {"aws:SourceAccount": MGMT}}}]}))
    s3.put_bucket_notification_configuration(Bucket="findings", NotificationConfiguration=config(topic))
    got = s3.get_bucket_notification_configuration(Bucket="findings")
    assert got["TopicConfigurations"][0]["TopicArn"] == topic


def test_assume_role_checks_existence_and_external_id(emu):
    org = emu.seed(accounts=1, ous=0, seed=4)
    member = org["accounts"][0]["id"]
    iam = emu.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:role/radiant-aws-access-role"},
                                                     "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "cred-123"}}}]}
    iam.create_role(RoleName="radiant-aws-access-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:sts::649384204969:assumed-role/tenant-aws-access-role/radiant-security"},
         "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "cred-123"}}}]}))
    emu.as_member(member)("iam").create_role(RoleName="radiant-member", AssumeRolePolicyDocument=json.dumps(trust))
    sts = emu.client("sts")
    assert code_of(lambda: sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/missing", RoleSessionName="ab")) == "AccessDenied"
    # The management account's user is not the hub role.
    assert code_of(lambda: sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/radiant-member", RoleSessionName="ab", ExternalId="cred-123")) == "AccessDenied"
    assert code_of(lambda: sts.assume_role(RoleArn=f"arn:aws:iam::{MGMT}:role/radiant-aws-access-role", RoleSessionName="ab", ExternalId="cred-123")) == "AccessDenied"
    radiant = emu.control("POST", "credentials", {"principal_arn": "arn:aws:sts::649384204969:assumed-role/tenant-aws-access-role/radiant-security"})
    as_radiant = emu.client("sts", creds={"AccessKeyId": radiant["access_key_id"], "SecretAccessKey": radiant["secret_access_key"]})
    assert code_of(lambda: as_radiant.assume_role(RoleArn=f"arn:aws:iam::{MGMT}:role/radiant-aws-access-role", RoleSessionName="ab", ExternalId="wrong")) == "AccessDenied"
    hub = as_radiant.assume_role(RoleArn=f"arn:aws:iam::{MGMT}:role/radiant-aws-access-role", RoleSessionName="ab", ExternalId="cred-123")["Credentials"]
    hub_sts = emu.client("sts", creds=hub)
    assert code_of(lambda: hub_sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/radiant-member", RoleSessionName="ab")) == "AccessDenied"
    assumed = hub_sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/radiant-member", RoleSessionName="ab", ExternalId="cred-123")
    assert assumed["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::{member}:assumed-role/radiant-member/")



def raw_body_of(client, operation):
    """Captures the raw HTTP body of the next `operation` call of `client`."""
    seen = {}
    client.meta.events.register(
        f"after-call.{client.meta.service_model.endpoint_prefix}.{operation}",
        lambda http_response, **_: seen.setdefault("body", http_response.content),
    )
    return seen


def test_empty_bucket_notification_reads_back_as_s3_answers_it(emu):
    emu.seed(accounts=1, ous=0, seed=5)
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="no-notifications-yet")
    seen = raw_body_of(s3, "GetBucketNotificationConfiguration")
    s3.get_bucket_notification_configuration(Bucket="no-notifications-yet")
    assert b"<NotificationConfiguration" in seen["body"], seen
    assert b"GetBucketNotificationResponse" not in seen["body"], seen


def test_detector_feature_timestamps_are_epoch_seconds(emu):
    gd = emu.client("guardduty")
    det = gd.create_detector(Enable=True)["DetectorId"]
    gd.update_detector(DetectorId=det, Features=[{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}])
    seen = raw_body_of(gd, "GetDetector")
    out = gd.get_detector(DetectorId=det)
    features = json.loads(seen["body"])["features"]
    assert all(isinstance(f["updatedAt"], (int, float)) for f in features), features
    assert any(f["Name"] == "S3_DATA_EVENTS" and f["Status"] == "ENABLED" for f in out["Features"])


def s3_topic(emu, bucket, name="events-topic"):
    sns = emu.client("sns")
    topic = sns.create_topic(Name=name)["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "SNS:Publish", "Resource": topic,
         "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:*:*:{bucket}"}, "StringEquals": {"aws:SourceAccount": MGMT}}}]}))
    return topic


def rule(topic, events, prefix=None, suffix=None, rule_id=None):
    out = {"TopicArn": topic, "Events": events}
    if rule_id:
        out["Id"] = rule_id
    filters = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v is not None]
    if filters:
        out["Filter"] = {"Key": {"FilterRules": filters}}
    return out


def test_bucket_notification_rules_must_not_overlap(emu):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="shared-events")
    one, two = s3_topic(emu, "shared-events", "one"), s3_topic(emu, "shared-events", "two")
    put = lambda *rules: s3.put_bucket_notification_configuration(
        Bucket="shared-events", NotificationConfiguration={"TopicConfigurations": list(rules)})

    def refused(*rules):
        with pytest.raises(ClientError) as info:
            put(*rules)
        response = info.value.response
        assert response["Error"]["Code"] == "InvalidArgument" and response["ResponseMetadata"]["HTTPStatusCode"] == 400
        return response["Error"]

    # The same event type, no filter on either: S3's "Configurations overlap".
    err = refused(rule(one, ["s3:ObjectCreated:*"]), rule(two, ["s3:ObjectCreated:*"]))
    assert err["Message"] == "Configurations overlap. Configurations on the same bucket cannot share a common event type."
    assert err["ArgumentName"] == "Event"
    # A wildcard covers the events it names; identical prefixes overlap.
    assert refused(rule(one, ["s3:ObjectCreated:*"], prefix="logs/"), rule(two, ["s3:ObjectCreated:Put"], prefix="logs/"))[
        "Message"].startswith("Configurations overlap.")
    # Different filters that still overlap: S3's "ambiguously defined".
    for a, b in (
        (rule(one, ["s3:ObjectCreated:*"]), rule(two, ["s3:ObjectCreated:Put"], prefix="a/")),
        (rule(one, ["s3:ObjectCreated:Put"], prefix="logs/"), rule(two, ["s3:ObjectCreated:Put"], prefix="logs/2024/")),
        (rule(one, ["s3:ObjectRemoved:*"], suffix=".json.gz"), rule(two, ["s3:ObjectRemoved:Delete"], suffix=".gz")),
    ):
        assert refused(a, b)["Message"].startswith("Configuration is ambiguously defined.")
    # Also across configuration kinds (a queue rule against a topic rule).
    sqs = emu.client("sqs")
    queue_url = sqs.create_queue(QueueName="events-queue")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    mixed = {"TopicConfigurations": [rule(one, ["s3:ObjectCreated:*"])],
             "QueueConfigurations": [{"QueueArn": queue, "Events": ["s3:ObjectCreated:Post"]}]}
    with pytest.raises(ClientError) as info:
        s3.put_bucket_notification_configuration(Bucket="shared-events", NotificationConfiguration=mixed)
    assert info.value.response["Error"]["Message"].startswith("Configurations overlap.")

    # Accepted: disjoint prefixes, disjoint suffixes, different event types.
    put(rule(one, ["s3:ObjectCreated:*"], prefix="a/", rule_id="a"), rule(two, ["s3:ObjectCreated:*"], prefix="b/", rule_id="b"))
    assert {c["Id"] for c in s3.get_bucket_notification_configuration(Bucket="shared-events")["TopicConfigurations"]} == {"a", "b"}
    put(rule(one, ["s3:ObjectCreated:*"], suffix=".json"), rule(two, ["s3:ObjectCreated:*"], suffix=".csv"))
    put(rule(one, ["s3:ObjectCreated:*"]), rule(two, ["s3:ObjectRemoved:*"]))


def test_bucket_notification_needs_a_queue_that_admits_s3(emu):
    s3, sqs = emu.client("s3"), emu.client("sqs")
    s3.create_bucket(Bucket="queued-events")
    url = sqs.create_queue(QueueName="queued-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    config = {"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]}
    with pytest.raises(ClientError) as info:
        s3.put_bucket_notification_configuration(Bucket="queued-events", NotificationConfiguration=config)
    assert info.value.response["Error"]["Code"] == "InvalidArgument"
    assert "queue" in info.value.response["Error"]["ArgumentValue"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "SQS:SendMessage", "Resource": arn,
         "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:*:*:queued-events"}, "StringEquals": {"aws:SourceAccount": MGMT}}}]})})
    s3.put_bucket_notification_configuration(Bucket="queued-events", NotificationConfiguration=config)


def test_expected_bucket_owner_is_checked_as_s3_does(emu):
    # S3 answers 403 when `ExpectedBucketOwner` names another account than the bucket's owner
    # (S3 user guide, "Verifying bucket ownership with bucket owner condition").
    emu.seed(accounts=1, ous=0, seed=1)
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="owned-by-management")
    s3.head_bucket(Bucket="owned-by-management", ExpectedBucketOwner=MGMT)
    try:
        s3.head_bucket(Bucket="owned-by-management", ExpectedBucketOwner="210987654321")
    except Exception as e:  # noqa: BLE001 - botocore's ClientError
        assert e.response["Error"]["Code"] in ("403", "AccessDenied")
    else:
        raise AssertionError("a bucket of another owner must be refused")
