"""Fault injection gives each service's real errors; counters count; seeding is deterministic."""

import json
import socket
import urllib.error

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from conftest import MGMT

# (service, call, expected code, expected HTTP status)
CALLS = [
    ("iam", lambda c: c.list_roles(), "Throttling", 400),
    ("sts", lambda c: c.get_caller_identity(), "Throttling", 400),
    ("kms", lambda c: c.list_keys(), "ThrottlingException", 400),
    ("organizations", lambda c: c.list_roots(), "TooManyRequestsException", 400),
    ("s3", lambda c: c.list_buckets(), "SlowDown", 503),
    ("guardduty", lambda c: c.list_detectors(), "TooManyRequestsException", 429),
    ("cloudtrail", lambda c: c.describe_trails(), "ThrottlingException", 400),
    ("sns", lambda c: c.list_topics(), "Throttling", 400),
    ("cloudformation", lambda c: c.list_stack_sets(), "Throttling", 400),
]


@pytest.mark.parametrize("service,call,code,status", CALLS, ids=[c[0] for c in CALLS])
def test_throttling_error_per_service(emu, service, call, code, status):
    emu.seed(accounts=1, ous=0)
    emu.faults(throttle_rps=0.001, throttle_burst=2, seed=1)
    client = emu.client(service)
    call(client)
    call(client)
    with pytest.raises(ClientError) as info:
        call(client)
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_throttling_is_per_account(emu):
    org = emu.seed(accounts=1, ous=0)
    emu.faults(throttle_rps=0.001, throttle_burst=1)
    member_iam = emu.as_member(org["accounts"][0]["id"])  # uses the management account's STS token
    emu.client("iam").list_roles()
    member_iam("iam").list_roles()  # another account: its own bucket
    with pytest.raises(ClientError):
        emu.client("iam").list_roles()
    # Throttled attempts (boto3 retries once) are counted as calls, and apart as faulted: only
    # the first call got an answer.
    snap = emu.counters()
    [iam] = [c for c in snap["calls"] if c["account"] == MGMT and c["operation"] == "ListRoles"]
    assert iam["faulted"] >= 1
    assert iam["count"] - iam["faulted"] == 1
    assert snap["faulted"] == iam["faulted"]


def test_a_rate_for_one_service_across_its_operations(emu):
    """`service_rps`: one bucket per (caller, service) for all of the service's operations
    (aws-facts.md, "Large organizations": Organizations throttles at a few requests a second)."""
    org = emu.seed(accounts=2, ous=0)
    emu.faults(service_rps={"organizations": 1.0}, service_burst={"organizations": 2})
    orgs = emu.client("organizations")
    orgs.list_roots()
    orgs.describe_organization()
    with pytest.raises(ClientError) as info:
        orgs.list_accounts()
    err = info.value.response
    code, status, message = err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Message"]
    assert (code, status) == ("TooManyRequestsException", 400)
    assert message == "AWS Organizations can't complete your request because another request is already in progress. Try again later."
    # Other services, and other callers, have buckets of their own.
    for _ in range(5):
        emu.client("sts").get_caller_identity()
    member = emu.as_member(org["accounts"][0]["id"])("organizations")
    member.describe_organization()
    faulted = {(c["account"], c["operation"]): c["faulted"] for c in emu.counters()["calls"] if c["service"] == "organizations"}
    # Only the call over the rate was refused (boto3 may have retried it).
    assert {k for k, v in faulted.items() if v} == {("123456789012", "ListAccounts")}
    emu.faults()
    orgs.list_accounts()


def test_service_rate_validation(emu):
    for bad in ({"service_rps": {"organizations": 0}}, {"service_rps": {"organizations": True}},
                {"service_rps": "organizations"}, {"service_burst": {"organizations": 2}}):
        with pytest.raises(Exception):
            emu.faults(**bad)


def test_internal_errors_and_dropped_connections(emu):
    emu.faults(error_rate=1.0, seed=5)
    with pytest.raises(ClientError) as info:
        emu.client("kms").list_keys()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    with pytest.raises(ClientError) as info:
        emu.client("s3").list_buckets()
    assert info.value.response["Error"]["Code"] == "InternalError"
    emu.faults(drop_rate=1.0, seed=5)
    with pytest.raises((ConnectionClosedError, EndpointConnectionError, ConnectionError)):
        emu.client("iam").list_roles()
    emu.faults()  # all off again
    emu.client("iam").list_roles()


def test_fault_decisions_are_deterministic_under_a_seed(emu):
    def run():
        emu.faults(error_rate=0.5, seed=42)
        outcomes = []
        iam = emu.client("iam")
        for _ in range(20):
            try:
                iam.list_roles()
                outcomes.append(True)
            except ClientError:
                outcomes.append(False)
        return outcomes

    first = run()
    assert first == run()
    assert True in first and False in first


def test_counters_count_per_account_service_operation(emu):
    org = emu.seed(accounts=2, ous=1)
    member = org["accounts"][0]["id"]
    client = emu.as_member(member)
    client("guardduty").create_detector(Enable=True)
    client("guardduty").list_detectors()
    emu.client("s3").create_bucket(Bucket="counted")
    emu.client("s3").get_bucket_location(Bucket="counted")
    emu.client("organizations").list_accounts()
    snap = emu.counters()
    got = {(c["account"], c["service"], c["operation"]): (c["write"], c["count"]) for c in snap["calls"]}
    assert got[(member, "guardduty", "CreateDetector")] == (True, 1)
    assert got[(member, "guardduty", "ListDetectors")] == (False, 1)
    assert got[(MGMT, "sts", "AssumeRole")] == (False, 1)
    assert got[(MGMT, "s3", "CreateBucket")] == (True, 1)
    assert got[(MGMT, "s3", "GetBucketLocation")] == (False, 1)
    assert got[(MGMT, "organizations", "ListAccounts")] == (False, 1)
    assert snap["writes"] == 2
    assert not any(c["service"] == "_radiant" for c in snap["calls"])
    emu.control("POST", "counters/reset")
    assert emu.counters()["total"] == 0


def test_management_detector_seeds_the_hub_like_an_adopted_member(emu):
    info = emu.seed(accounts=2, ous=0, regions=["us-east-1", "eu-west-1"], management_detector=True, seed=7)
    assert [(d["account"], d["region"]) for d in info["existing_detectors"]] == [
        (MGMT, "us-east-1"), (MGMT, "eu-west-1")]
    foreign = info["foreign_destinations"]
    assert [(f["account"], f["region"], f["bucket"]) for f in foreign] == [
        (MGMT, "us-east-1", f"foreign-findings-{MGMT}")]
    gd = emu.client("guardduty")
    assert gd.get_detector(DetectorId=foreign[0]["detector_id"])["FindingPublishingFrequency"] == "ONE_HOUR"
    dests = gd.list_publishing_destinations(DetectorId=foreign[0]["detector_id"])["Destinations"]
    assert [(d["DestinationId"], d["Status"]) for d in dests] == [(foreign[0]["destination_id"], "PUBLISHING")]
    # Members are untouched unless asked for.
    member = info["accounts"][0]["id"]
    assert emu.as_member(member)("guardduty").list_detectors()["DetectorIds"] == []


def test_seeding_is_deterministic_and_complete(emu):
    spec = dict(accounts=12, ous=3, regions=["us-east-1", "eu-west-1"], suspended=2, existing_detectors=3,
                foreign_destinations=1, hub_customer_buckets=["hub-cloudtrail"], hub_customer_key_alias="customer-key",
                existing_notification_bucket="hub-guardduty", trusted_services=["cloudtrail.amazonaws.com"], seed=99)
    other = emu.seed(**dict(spec, seed=100))
    emu.control("POST", "reset")
    first = emu.seed(**spec)
    emu.control("POST", "reset")
    second = emu.seed(**spec)
    assert first == second
    assert [a["id"] for a in other["accounts"]] != [a["id"] for a in first["accounts"]]

    info = second
    assert len({a["email"] for a in info["accounts"]}) == 12
    assert [a["status"] for a in info["accounts"]].count("SUSPENDED") == 2
    orgs = emu.client("organizations")
    listed = orgs.get_paginator("list_accounts").paginate().build_full_result()["Accounts"]
    assert {a["Id"]: a["Status"] for a in listed if a["Id"] != MGMT} == {a["id"]: a["status"] for a in info["accounts"]}
    enabled = orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert [s["ServicePrincipal"] for s in enabled] == ["cloudtrail.amazonaws.com"]
    ou = info["ous"][1]["id"]
    in_ou = orgs.list_accounts_for_parent(ParentId=ou)["Accounts"]
    assert {a["Id"] for a in in_ou} == {a["id"] for a in info["accounts"] if a["ou_id"] == ou}

    det = info["existing_detectors"][0]
    gd = emu.as_member(det["account"], det["region"])("guardduty", det["region"])
    assert gd.get_detector(DetectorId=det["detector_id"])["FindingPublishingFrequency"] == "ONE_HOUR"
    assert len(info["existing_detectors"]) == 6
    foreign = info["foreign_destinations"][0]
    fgd = emu.as_member(foreign["account"])("guardduty")
    dests = fgd.list_publishing_destinations(DetectorId=foreign["detector_id"])["Destinations"]
    assert dests[0]["Status"] == "PUBLISHING"

    s3 = emu.client("s3")
    assert "CustomerDenyInsecureTransport" in s3.get_bucket_policy(Bucket="hub-cloudtrail")["Policy"]
    key = emu.client("kms").describe_key(KeyId="alias/customer-key")["KeyMetadata"]
    assert "CustomerKeyUsers" in emu.client("kms").get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]
    notif = s3.get_bucket_notification_configuration(Bucket="hub-guardduty")
    assert notif["TopicConfigurations"][0]["TopicArn"] == info["existing_notification"]["topic_arn"]


FOREIGN = {"Sid": "CustomerConcurrentEdit", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket",
           "Resource": "arn:aws:s3:::race-bucket"}
OURS = {"Sid": "Ours", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::race-bucket/*"}


def _sids(s3) -> list[str]:
    return [s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket="race-bucket")["Policy"])["Statement"]]


def test_concurrent_edit_lands_right_after_the_nth_read(emu):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="race-bucket")
    emu.control("POST", "concurrent-edit", {"bucket": "race-bucket", "operation": "GetBucketPolicy", "nth": 1,
                                            "statement": FOREIGN})
    # The triggering read answers the document as it was (none yet); the edit lands right after.
    with pytest.raises(ClientError) as info:
        s3.get_bucket_policy(Bucket="race-bucket")
    assert info.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    assert emu.control("GET", "concurrent-edit") == {"armed": False, "fired": True}
    assert _sids(s3) == ["CustomerConcurrentEdit"]
    # It fires once: a blind write now replaces it (the race the product must not lose).
    s3.put_bucket_policy(Bucket="race-bucket", Policy=json.dumps({"Version": "2012-10-17", "Statement": [OURS]}))
    assert _sids(s3) == ["Ours"]


def test_stale_concurrent_writer_replaces_the_write_it_follows(emu):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="race-bucket")
    emu.control("POST", "concurrent-edit", {"bucket": "race-bucket", "operation": "PutBucketPolicy", "nth": 1,
                                            "stale": True, "statement": FOREIGN})
    s3.put_bucket_policy(Bucket="race-bucket", Policy=json.dumps({"Version": "2012-10-17", "Statement": [OURS]}))
    assert _sids(s3) == ["CustomerConcurrentEdit"]


def test_concurrent_edit_rejects_a_bad_spec(emu):
    with pytest.raises(urllib.error.HTTPError) as info:
        emu.control("POST", "concurrent-edit", {"bucket": "b", "operation": "DeleteBucket", "statement": FOREIGN})
    assert info.value.code == 400


# (service, call, operation, expected code, expected HTTP status): AWS's access-denied answer
DENIALS = [
    ("organizations", lambda c: c.list_accounts(), "ListAccounts", "AccessDeniedException", 400),
    ("iam", lambda c: c.list_roles(), "ListRoles", "AccessDenied", 403),
    ("s3", lambda c: c.list_buckets(), "ListBuckets", "AccessDenied", 403),
    ("guardduty", lambda c: c.list_detectors(), "ListDetectors", "AccessDeniedException", 403),
]


@pytest.mark.parametrize("service,call,operation,code,status", DENIALS, ids=[d[0] for d in DENIALS])
def test_denial_after_n_answered_calls(emu, service, call, operation, code, status):
    emu.seed(accounts=1, ous=0)
    emu.control("POST", "deny", {"service": service, "operation": operation, "after": 1})
    client = emu.client(service)
    call(client)  # the first call is answered
    for _ in range(2):  # then every call is denied, like a permission removed mid-run
        with pytest.raises(ClientError) as info:
            call(client)
        assert info.value.response["Error"]["Code"] == code
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
        assert f"{service}:{operation}" in info.value.response["Error"]["Message"]


def test_denial_is_scoped_to_an_account_and_cleared_by_reset(emu):
    org = emu.seed(accounts=1, ous=0)
    member = org["accounts"][0]["id"]
    emu.control("POST", "deny", {"service": "iam", "operation": "ListRoles", "account": member})
    emu.client("iam").list_roles()  # the management account is not denied
    with pytest.raises(ClientError):
        emu.as_member(member)("iam").list_roles()
    emu.control("POST", "deny/reset")  # the rules go, the state stays
    emu.as_member(member)("iam").list_roles()
    emu.control("POST", "deny", {"service": "iam", "operation": "ListRoles", "account": member})
    emu.control("POST", "reset")
    emu.seed(accounts=1, ous=0)
    emu.as_member(member)("iam").list_roles()


def test_denial_rejects_unknown_fields(emu):
    with pytest.raises(urllib.error.HTTPError) as info:
        emu.control("POST", "deny", {"service": "iam", "operation": "ListRoles", "nth": 2})
    assert info.value.code == 400
