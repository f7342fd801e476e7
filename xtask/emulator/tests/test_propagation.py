"""The propagation delay (eventual consistency), off by default: GuardDuty's permission check sees
the policies as they were before the recent writes; a new role cannot be assumed and is an
invalid principal until the delay has passed; a retry after the delay succeeds."""

import json
import re
import time
import urllib.error

import pytest
from botocore.exceptions import ClientError

from conftest import MGMT
from test_guardduty import assert_bad_request, bucket_policy, create, exact, hub, key_policy, member_detector

DELAY = 1.0
OFF = {"policy_delay_s": 0.0, "principal_delay_s": 0.0}


def propagation(emu, **spec):
    return emu.control("POST", "propagation", spec)


def wait_out(since):
    """Sleeps until the delay has passed since the monotonic time `since`."""
    time.sleep(max(0.0, since + DELAY + 0.1 - time.monotonic()))


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    err = info.value.response["Error"]
    return err["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"], err["Message"]


def trust(*principals):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": list(principals) if len(principals) > 1 else principals[0]},
         "Action": "sts:AssumeRole"}]})


ROOT = f"arn:aws:iam::{MGMT}:root"


def test_control_api_is_off_by_default_and_reset_turns_it_off(emu):
    assert emu.control("GET", "propagation") == OFF
    assert propagation(emu, policy_delay_s=5, principal_delay_s=2.5) == {"policy_delay_s": 5.0, "principal_delay_s": 2.5}
    assert emu.control("GET", "propagation") == {"policy_delay_s": 5.0, "principal_delay_s": 2.5}
    assert propagation(emu, principal_delay_s=1) == {"policy_delay_s": 0.0, "principal_delay_s": 1.0}  # omitted = 0
    assert propagation(emu) == OFF
    propagation(emu, policy_delay_s=5, principal_delay_s=5)
    emu.control("POST", "reset")
    assert emu.control("GET", "propagation") == OFF
    for bad in ({"policy_delay_s": -1}, {"principal_delay_s": "5"}, {"policy_delay_s": True},
                {"policy_delay_s": 121}, {"delay_s": 1}):
        with pytest.raises(urllib.error.HTTPError) as info:
            emu.control("POST", "propagation", bad)
        assert info.value.code == 400, bad
    assert emu.control("GET", "propagation") == OFF


def setup_destination(emu):
    org = emu.seed(accounts=1, ous=0, seed=7)
    member = org["accounts"][0]["id"]
    s3, key = hub(emu)
    _, gd, det = member_detector(emu, member)
    return member, s3, key, gd, det


def test_policy_delay_refuses_the_destination_right_after_the_writes_then_converges(emu):
    member, s3, key, gd, det = setup_destination(emu)
    kms = emu.client("kms")
    propagation(emu, policy_delay_s=DELAY)
    s3.put_bucket_policy(Bucket="hub-findings", Policy=bucket_policy("hub-findings", exact(member, det)))
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(key["Arn"], exact(member, det)))
    written = time.monotonic()
    # S3 and KMS read their own writes at once; GuardDuty does not see them yet.
    assert "guardduty.amazonaws.com" in s3.get_bucket_policy(Bucket="hub-findings")["Policy"]
    assert "guardduty.amazonaws.com" in kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]
    message = assert_bad_request(lambda: create(gd, det, "hub-findings", key["Arn"]))
    assert "does not have proper permissions" in message and "bucket policy of hub-findings" in message
    assert gd.list_publishing_destinations(DetectorId=det)["Destinations"] == []
    wait_out(written)
    dest = create(gd, det, "hub-findings", key["Arn"])["DestinationId"]  # the same call, retried
    assert gd.describe_publishing_destination(DetectorId=det, DestinationId=dest)["Status"] == "PUBLISHING"


def test_policy_delay_a_key_created_with_its_policy_has_none_yet(emu):
    member, s3, old_key, gd, det = setup_destination(emu)
    s3.put_bucket_policy(Bucket="hub-findings", Policy=bucket_policy("hub-findings", exact(member, det)))
    written = time.monotonic()
    # The bucket policy was written before the delay was switched on: its write time counts.
    propagation(emu, policy_delay_s=DELAY)
    assert "bucket policy" in assert_bad_request(lambda: create(gd, det, "hub-findings", old_key["Arn"]))
    wait_out(written)
    key = emu.client("kms").create_key(Policy=key_policy("*", exact(member, det)))["KeyMetadata"]
    created = time.monotonic()
    message = assert_bad_request(lambda: create(gd, det, "hub-findings", key["Arn"]))
    assert "key policy of" in message and "kms:GenerateDataKey" in message
    wait_out(created)
    create(gd, det, "hub-findings", key["Arn"])


def test_policy_delay_check_sees_the_previous_versions(emu):
    member, s3, key, gd, det = setup_destination(emu)
    kms = emu.client("kms")
    s3.put_bucket_policy(Bucket="hub-findings", Policy=bucket_policy("hub-findings", exact(member, det)))
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(key["Arn"], exact(member, det)))
    dest = create(gd, det, "hub-findings", key["Arn"])["DestinationId"]  # delay off: visible at once
    propagation(emu, policy_delay_s=DELAY)
    time.sleep(DELAY + 0.1)
    # Both policies broken now; GuardDuty still sees the versions that admitted it.
    s3.delete_bucket_policy(Bucket="hub-findings")
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(key["Arn"], exact(member, "0" * 32)))
    written = time.monotonic()
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket="hub-findings")  # NoSuchBucketPolicy: S3 itself is consistent
    update = lambda: gd.update_publishing_destination(
        DetectorId=det, DestinationId=dest, DestinationProperties={"DestinationArn": "arn:aws:s3:::hub-findings", "KmsKeyArn": key["Arn"]})
    update()
    wait_out(written)
    assert "bucket policy of hub-findings" in assert_bad_request(update)
    s3.put_bucket_policy(Bucket="hub-findings", Policy=bucket_policy("hub-findings", exact(member, det)))
    wait_out(time.monotonic())
    assert "key policy of" in assert_bad_request(update)


def test_policy_delay_off_sees_writes_at_once(emu):
    member, s3, key, gd, det = setup_destination(emu)
    propagation(emu, policy_delay_s=60)
    propagation(emu)  # {} turns it off
    s3.put_bucket_policy(Bucket="hub-findings", Policy=bucket_policy("hub-findings", exact(member, det)))
    emu.client("kms").put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(key["Arn"], exact(member, det)))
    create(gd, det, "hub-findings", key["Arn"])


def test_principal_delay_a_new_role_cannot_be_assumed_until_it_has_passed(emu):
    propagation(emu, principal_delay_s=DELAY)
    arn = emu.client("iam").create_role(RoleName="fresh-role", AssumeRolePolicyDocument=trust(ROOT))["Role"]["Arn"]
    created = time.monotonic()
    sts = emu.client("sts")
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    err = info.value.response["Error"]
    assert (err["Code"], err["Type"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDenied", "Sender", 403)
    assert re.fullmatch(rf"User: arn:aws:\S+ is not authorized to perform: sts:AssumeRole on resource: {re.escape(arn)}", err["Message"]), err
    wait_out(created)
    assumed = sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{MGMT}:assumed-role/fresh-role/s1"


def test_principal_delay_a_new_role_is_an_invalid_principal_until_it_has_passed(emu):
    iam, kms, s3 = emu.client("iam"), emu.client("kms"), emu.client("s3")
    iam.create_role(RoleName="older-role", AssumeRolePolicyDocument=trust(ROOT))
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    s3.create_bucket(Bucket="principal-bucket")
    propagation(emu, principal_delay_s=DELAY)
    arn = iam.create_role(RoleName="fresh-hub", AssumeRolePolicyDocument=trust(ROOT))["Role"]["Arn"]
    created = time.monotonic()
    named = trust(ROOT, arn)  # a list of principals, one of them new
    key_doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "kms:Decrypt", "Resource": "*"}]})
    bucket_doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::principal-bucket/*"}]})
    calls = {
        "CreateRole": lambda: iam.create_role(RoleName="member-role", AssumeRolePolicyDocument=named),
        "UpdateAssumeRolePolicy": lambda: iam.update_assume_role_policy(RoleName="older-role", PolicyDocument=named),
        "PutKeyPolicy": lambda: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=key_doc),
        "CreateKey": lambda: kms.create_key(Policy=key_doc),
        "PutBucketPolicy": lambda: s3.put_bucket_policy(Bucket="principal-bucket", Policy=bucket_doc),
    }
    iam_answer = ("MalformedPolicyDocument", 400, f'Invalid principal in policy: "AWS":"{arn}"')
    kms_answer = ("MalformedPolicyDocumentException", 400, "Policy contains a statement with one or more invalid principals.")
    expected = {
        "CreateRole": iam_answer,
        "UpdateAssumeRolePolicy": iam_answer,
        "PutKeyPolicy": kms_answer,
        "CreateKey": kms_answer,
        "PutBucketPolicy": ("MalformedPolicy", 400, "Invalid principal in policy"),
    }
    for name, call in calls.items():
        assert error_of(call) == expected[name], name
    assert arn not in json.dumps(iam.get_role(RoleName="older-role")["Role"]["AssumeRolePolicyDocument"])
    wait_out(created)
    for call in calls.values():
        call()
    assert arn in json.dumps(iam.get_role(RoleName="member-role")["Role"]["AssumeRolePolicyDocument"])
    assert arn in s3.get_bucket_policy(Bucket="principal-bucket")["Policy"]
    assert arn in kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]


def test_principal_delay_counts_from_creation_spares_seeded_roles_and_reset_ends_it(emu):
    org = emu.seed(accounts=1, ous=0, seed=8)
    iam, sts = emu.client("iam"), emu.client("sts")
    arn = iam.create_role(RoleName="made-while-off", AssumeRolePolicyDocument=trust(ROOT))["Role"]["Arn"]
    sts.assume_role(RoleArn=arn, RoleSessionName="s1")  # off by default: at once
    propagation(emu, principal_delay_s=30)
    # Switched on after the creation: the creation time counts, not the switch's.
    assert error_of(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1"))[0] == "AccessDenied"
    # Seeded roles were not seen created: they count as old.
    emu.as_member(org["accounts"][0]["id"])("iam").list_roles()
    emu.control("POST", "reset")
    assert emu.control("GET", "propagation") == OFF
    arn = iam.create_role(RoleName="after-reset", AssumeRolePolicyDocument=trust(ROOT))["Role"]["Arn"]
    sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    iam.create_role(RoleName="names-it", AssumeRolePolicyDocument=trust(arn))
