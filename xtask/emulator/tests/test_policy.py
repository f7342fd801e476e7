"""The policy evaluator alone: each operator admits what IAM admits and refuses the rest."""

import json

from radiant_emulator.policy import ALLOW, DENY, IMPLICIT_DENY, Principal, Request, evaluate

DET = "arn:aws:guardduty:us-east-1:111111111111:detector/abc"
GD = Principal.service("guardduty.amazonaws.com")


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(condition=None, action="s3:PutObject", resource="arn:aws:s3:::hub/*", principal=None):
    stmt = {"Effect": "Allow", "Principal": principal or {"Service": "guardduty.amazonaws.com"},
            "Action": action, "Resource": resource}
    if condition:
        stmt["Condition"] = condition
    return stmt


def req(ctx=None, action="s3:PutObject", resource="arn:aws:s3:::hub/AWSLogs/x", principal=GD):
    return Request(principal, action, resource, ctx or {"aws:SourceArn": DET, "aws:SourceAccount": "111111111111"})


def test_string_equals_source_arn_exact():
    p = policy(allow({"StringEquals": {"aws:SourceArn": DET}}))
    assert evaluate(p, req()) == ALLOW
    other = {"aws:SourceArn": DET.replace("abc", "xyz"), "aws:SourceAccount": "111111111111"}
    assert evaluate(p, req(other)) == IMPLICIT_DENY


def test_arn_like_patterns_and_source_account_list():
    p = policy(allow({"ArnLike": {"aws:SourceArn": "arn:aws:guardduty:*:*:detector/*"},
                      "StringEquals": {"aws:SourceAccount": ["222222222222", "111111111111"]}}))
    assert evaluate(p, req()) == ALLOW
    assert evaluate(p, req({"aws:SourceArn": DET, "aws:SourceAccount": "333333333333"})) == IMPLICIT_DENY
    assert evaluate(p, req({"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111111111111:trail/t",
                            "aws:SourceAccount": "111111111111"})) == IMPLICIT_DENY


def test_for_any_value_and_source_org_id():
    p = policy(allow({"ForAnyValue:StringEquals": {"aws:SourceArn": [DET, "arn:aws:guardduty:eu-west-1:1:detector/z"]},
                      "StringEquals": {"aws:SourceOrgID": "o-abc"}}))
    assert evaluate(p, req({"aws:SourceArn": DET, "aws:SourceOrgID": "o-abc"})) == ALLOW
    assert evaluate(p, req({"aws:SourceArn": DET, "aws:SourceOrgID": "o-other"})) == IMPLICIT_DENY
    assert evaluate(p, req({"aws:SourceArn": DET})) == IMPLICIT_DENY  # key missing


def test_explicit_deny_wins():
    p = policy(allow(), {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::hub/*",
                         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}})
    assert evaluate(p, req()) == DENY  # header missing: StringNotEquals holds
    ctx = {"aws:SourceArn": DET, "s3:x-amz-server-side-encryption": "aws:kms"}
    assert evaluate(p, req(ctx)) == ALLOW


def test_actions_are_case_insensitive_wildcards_resources_are_not():
    p = policy(allow(action="S3:Put*", resource="arn:aws:s3:::hub/AWSLogs/*"))
    assert evaluate(p, req()) == ALLOW
    assert evaluate(p, req(resource="arn:aws:s3:::HUB/AWSLogs/x")) == IMPLICIT_DENY
    assert evaluate(p, req(action="s3:GetObject")) == IMPLICIT_DENY
    assert evaluate(policy({"Effect": "Allow", "Principal": "*", "NotAction": "s3:Delete*", "Resource": "*"}),
                    req()) == ALLOW


def test_bool_null_if_exists():
    deny_insecure = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    p = policy(allow(), deny_insecure)
    assert evaluate(p, req({"aws:SecureTransport": "true"})) == ALLOW
    assert evaluate(p, req({"aws:SecureTransport": "false"})) == DENY
    null = policy(allow({"Null": {"aws:SourceOrgID": "true"}}))
    assert evaluate(null, req({})) == ALLOW
    assert evaluate(null, req({"aws:SourceOrgID": "o-1"})) == IMPLICIT_DENY
    if_exists = policy(allow({"StringEqualsIfExists": {"aws:SourceAccount": "111111111111"}}))
    assert evaluate(if_exists, req({})) == ALLOW
    assert evaluate(if_exists, req({"aws:SourceAccount": "9"})) == IMPLICIT_DENY


def test_aws_principals():
    session = Principal(kind="AWS", account="111111111111",
                        arn="arn:aws:sts::111111111111:assumed-role/hub/s", role_arn="arn:aws:iam::111111111111:role/hub")
    trust = lambda who: policy({"Effect": "Allow", "Principal": {"AWS": who}, "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"sts:ExternalId": "ext"}}})
    ctx = {"sts:ExternalId": "ext"}
    for who in ("arn:aws:iam::111111111111:root", "111111111111", "arn:aws:iam::111111111111:role/hub"):
        assert evaluate(trust(who), Request(session, "sts:AssumeRole", "arn:aws:iam::2:role/m", ctx)) == ALLOW
    assert evaluate(trust("arn:aws:iam::111111111111:role/other"),
                    Request(session, "sts:AssumeRole", "r", ctx)) == IMPLICIT_DENY
    assert evaluate(trust("111111111111"), Request(session, "sts:AssumeRole", "r", {"sts:ExternalId": "bad"})) == IMPLICIT_DENY
    assert evaluate(trust("111111111111"), Request(GD, "sts:AssumeRole", "r", ctx)) == IMPLICIT_DENY
