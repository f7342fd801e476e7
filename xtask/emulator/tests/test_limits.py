"""Size limits with AWS's error codes: over the limit is refused, at the limit is accepted."""

import json

import pytest
from botocore.exceptions import ClientError

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def doc_of_size(n, action_prefix="s3:GetObject"):
    """A policy with exactly n non-whitespace characters."""
    base = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/"}]}
    size = len(json.dumps(base, separators=(",", ":")))
    base["Statement"][0]["Resource"] += "x" * (n - size)
    text = json.dumps(base, indent=4)  # whitespace must not count
    assert sum(1 for c in text if not c.isspace()) == n
    return text


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_managed_policy_6144(emu):
    iam = emu.client("iam")
    iam.create_policy(PolicyName="at-limit", PolicyDocument=doc_of_size(6144))
    assert error_of(lambda: iam.create_policy(PolicyName="over", PolicyDocument=doc_of_size(6145))) == ("LimitExceeded", 409)
    arn = iam.create_policy(PolicyName="v", PolicyDocument=doc_of_size(200))["Policy"]["Arn"]
    assert error_of(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc_of_size(6145))) == ("LimitExceeded", 409)


def test_trust_policy_2048_and_account_summary(emu):
    iam = emu.client("iam")
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["AssumeRolePolicySizeQuota"] == 2048
    assert summary["AttachedPoliciesPerRoleQuota"] == 10
    long_trust = json.loads(json.dumps(TRUST))
    long_trust["Statement"][0]["Condition"] = {"StringEquals": {"sts:ExternalId": "x" * 1900}}
    assert error_of(lambda: iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(long_trust))) == ("LimitExceeded", 409)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST, indent=8))
    assert error_of(lambda: iam.update_assume_role_policy(RoleName="r", PolicyDocument=json.dumps(long_trust))) == ("LimitExceeded", 409)


def test_inline_policies_10240_together(emu):
    iam = emu.client("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName="r", PolicyName="a", PolicyDocument=doc_of_size(5000))
    iam.put_role_policy(RoleName="r", PolicyName="b", PolicyDocument=doc_of_size(5240))
    assert error_of(lambda: iam.put_role_policy(RoleName="r", PolicyName="c", PolicyDocument=doc_of_size(200))) == ("LimitExceeded", 409)
    # Replacing a policy counts its new size, not both.
    iam.put_role_policy(RoleName="r", PolicyName="b", PolicyDocument=doc_of_size(5200))


def test_attached_policies_per_role(emu):
    iam = emu.client("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    arns = [iam.create_policy(PolicyName=f"p{i}", PolicyDocument=doc_of_size(200))["Policy"]["Arn"] for i in range(11)]
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    iam.attach_role_policy(RoleName="r", PolicyArn=arns[0])  # already attached: fine
    assert error_of(lambda: iam.attach_role_policy(RoleName="r", PolicyArn=arns[10])) == ("LimitExceeded", 409)


def test_bucket_key_topic_policy_sizes(emu):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="big-bucket")
    big = lambda n: json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "S", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::big-bucket/" + "x" * n}]})
    s3.put_bucket_policy(Bucket="big-bucket", Policy=big(20000))
    code, status = error_of(lambda: s3.put_bucket_policy(Bucket="big-bucket", Policy=big(21000)))
    assert (code, status) == ("PolicyTooLarge", 400)

    kms = emu.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms_doc = lambda n: json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "x" * n, "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]})
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=kms_doc(32000))
    assert error_of(lambda: kms.put_key_policy(KeyId=key, PolicyName="default", Policy=kms_doc(33000)))[0] == "LimitExceededException"

    sns = emu.client("sns")
    arn = sns.create_topic(Name="t")["TopicArn"]
    sns_doc = lambda n: json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "x" * n, "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "SNS:Publish", "Resource": arn}]})
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=sns_doc(30000))
    assert error_of(lambda: sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=sns_doc(31000))) == ("InvalidParameter", 400)
    assert error_of(lambda: sns.create_topic(Name="t2", Attributes={"Policy": sns_doc(31000)}))[0] == "InvalidParameter"
