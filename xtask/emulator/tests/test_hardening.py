"""The hardening settings of log resources as S3 and KMS answer them (aws-facts.md, "Hardening that
CIS / AWS FSBP checks expect of log resources"; `radiant_emulator/hardening.py`): new buckets'
defaults, the getters and setters, ACLs on `BucketOwnerEnforced` buckets, server access logging,
key rotation, and bucket policies' `aws:SecureTransport`."""

import gzip
import json

import pytest
from botocore.exceptions import ClientError

from conftest import MGMT
from test_guardduty import bucket_policy, create, exact, hub, key_policy, member_detector

REGION = "us-east-1"
INSECURE = "x-radiant-insecure-transport"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"


def refused(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response


def code_status(call):
    resp = refused(call)
    return resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]


def insecure(client):
    """The client as a plain-HTTP caller: every request carries `x-radiant-insecure-transport`."""
    def add(request, **_kw):
        request.headers[INSECURE] = "true"
    client.meta.events.register("before-sign.s3.*", add)
    return client


def tls_policy(bucket, *extra):
    arn = f"arn:aws:s3:::{bucket}"
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "RadiantOnboardDenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        *extra,
    ]})


# -- new buckets ---------------------------------------------------------------------------------


def test_a_new_bucket_has_aws_defaults(emu):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="fresh-bucket")
    assert s3.get_bucket_ownership_controls(Bucket="fresh-bucket")["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_public_access_block(Bucket="fresh-bucket")["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    assert s3.get_bucket_encryption(Bucket="fresh-bucket")["ServerSideEncryptionConfiguration"]["Rules"] == [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
    versioning = s3.get_bucket_versioning(Bucket="fresh-bucket")
    assert "Status" not in versioning and "MFADelete" not in versioning
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket="fresh-bucket")
    assert code_status(lambda: s3.get_bucket_lifecycle_configuration(Bucket="fresh-bucket")) == ("NoSuchLifecycleConfiguration", 404)
    # Objects are SSE-S3 without asking.
    s3.put_object(Bucket="fresh-bucket", Key="a", Body=b"x")
    assert s3.head_object(Bucket="fresh-bucket", Key="a")["ServerSideEncryption"] == "AES256"


def test_seeded_buckets_have_the_defaults_too(emu):
    emu.seed(accounts=1, ous=0, hub_customer_buckets=["customer-logs"], seed=4)
    s3 = emu.client("s3")
    assert s3.get_bucket_ownership_controls(Bucket="customer-logs")["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
    assert s3.get_public_access_block(Bucket="customer-logs")["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True


def test_create_bucket_object_ownership_and_acls(emu):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="writer-owned", ObjectOwnership="ObjectWriter")
    assert s3.get_bucket_ownership_controls(Bucket="writer-owned")["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "ObjectWriter"}]
    # With ACLs enabled a bucket ACL is accepted at creation.
    s3.create_bucket(Bucket="acl-logs", ObjectOwnership="BucketOwnerPreferred", ACL="log-delivery-write")
    # By default (BucketOwnerEnforced) it is not; `private` is.
    resp = refused(lambda: s3.create_bucket(Bucket="acl-default", ACL="log-delivery-write"))
    assert (resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidBucketAclWithObjectOwnership", 400)
    assert resp["Error"]["Message"] == "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"
    assert code_status(lambda: s3.create_bucket(Bucket="acl-grant", GrantRead=f'uri="{LOG_DELIVERY}"'))[0] == "InvalidBucketAclWithObjectOwnership"
    s3.create_bucket(Bucket="acl-private", ACL="private")


# -- getters and setters -------------------------------------------------------------------------


def test_versioning_enabled_suspended_and_schema(emu):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="versioned")
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket="versioned")["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket="versioned")["Status"] == "Suspended"
    assert code_status(lambda: s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "On"})) == ("MalformedXML", 400)
    assert s3.get_bucket_versioning(Bucket="versioned")["Status"] == "Suspended"


def test_ownership_controls_put_get_delete(emu):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="owned")
    s3.delete_bucket_ownership_controls(Bucket="owned")
    resp = refused(lambda: s3.get_bucket_ownership_controls(Bucket="owned"))
    assert (resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]) == ("OwnershipControlsNotFoundError", 404)
    s3.put_bucket_ownership_controls(Bucket="owned", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
    assert s3.get_bucket_ownership_controls(Bucket="owned")["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    assert code_status(lambda: s3.put_bucket_ownership_controls(
        Bucket="owned", OwnershipControls={"Rules": [{"ObjectOwnership": "Everyone"}]})) == ("MalformedXML", 400)
    # ACLs back on: a bucket ACL granting the log-delivery group blocks BucketOwnerEnforced.
    s3.put_bucket_acl(Bucket="owned", ACL="log-delivery-write")
    enforce = lambda: s3.put_bucket_ownership_controls(Bucket="owned", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    assert code_status(enforce) == ("InvalidBucketAclWithObjectOwnership", 400)
    s3.put_bucket_acl(Bucket="owned", ACL="private")
    enforce()
    assert s3.get_bucket_ownership_controls(Bucket="owned")["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_public_access_block_put_get_delete(emu):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="blocked")
    s3.delete_public_access_block(Bucket="blocked")
    resp = refused(lambda: s3.get_public_access_block(Bucket="blocked"))
    assert (resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]) == ("NoSuchPublicAccessBlockConfiguration", 404)
    partial = {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": False}
    s3.put_public_access_block(Bucket="blocked", PublicAccessBlockConfiguration=partial)
    assert s3.get_public_access_block(Bucket="blocked")["PublicAccessBlockConfiguration"] == partial


def test_encryption_sse_kms_round_trip_and_delete_resets_to_sse_s3(emu):
    s3, kms = emu.client("s3"), emu.client("kms")
    s3.create_bucket(Bucket="encrypted")
    key = kms.create_key()["KeyMetadata"]
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}, "BucketKeyEnabled": True}
    s3.put_bucket_encryption(Bucket="encrypted", ServerSideEncryptionConfiguration={"Rules": [rule]})
    assert s3.get_bucket_encryption(Bucket="encrypted")["ServerSideEncryptionConfiguration"]["Rules"] == [rule]
    s3.put_object(Bucket="encrypted", Key="a", Body=b"x")
    head = s3.head_object(Bucket="encrypted", Key="a")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"], head["BucketKeyEnabled"]) == ("aws:kms", key["Arn"], True)
    s3.delete_bucket_encryption(Bucket="encrypted")
    assert s3.get_bucket_encryption(Bucket="encrypted")["ServerSideEncryptionConfiguration"]["Rules"] == [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]


def test_lifecycle_round_trip(emu):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="expiring")
    rule = {"ID": "RadiantOnboardRetention", "Status": "Enabled", "Filter": {"Prefix": "AWSLogs/"},
            "Expiration": {"Days": 365}, "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}
    s3.put_bucket_lifecycle_configuration(Bucket="expiring", LifecycleConfiguration={"Rules": [rule]})
    assert s3.get_bucket_lifecycle_configuration(Bucket="expiring")["Rules"] == [rule]
    s3.delete_bucket_lifecycle(Bucket="expiring")
    assert code_status(lambda: s3.get_bucket_lifecycle_configuration(Bucket="expiring")) == ("NoSuchLifecycleConfiguration", 404)


# -- key rotation --------------------------------------------------------------------------------


def test_key_rotation_enable_disable_status(emu):
    kms = emu.client("kms")
    key = kms.create_key()["KeyMetadata"]
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert (status["KeyId"], status["KeyRotationEnabled"]) == (key["Arn"], False)
    assert "RotationPeriodInDays" not in status
    kms.enable_key_rotation(KeyId=key["Arn"])
    status = kms.get_key_rotation_status(KeyId=key["Arn"])
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 365)
    assert status["NextRotationDate"] > key["CreationDate"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=180)
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["RotationPeriodInDays"] == 180
    kms.disable_key_rotation(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
    missing = "11111111-2222-3333-4444-555555555555"
    for call in (kms.enable_key_rotation, kms.disable_key_rotation, kms.get_key_rotation_status):
        resp = refused(lambda: call(KeyId=missing))
        assert resp["Error"]["Code"] == "NotFoundException"
        assert resp["Error"]["Message"] == f"Key 'arn:aws:kms:{REGION}:{MGMT}:key/{missing}' does not exist"


def test_key_rotation_of_another_accounts_key(emu):
    org = emu.seed(accounts=1, ous=0, seed=5)
    member_account = org["accounts"][0]["id"]
    member_kms = emu.as_member(member_account)("kms")
    key = member_kms.create_key()["KeyMetadata"]
    member_kms.enable_key_rotation(KeyId=key["KeyId"])
    kms = emu.client("kms")
    # Not in the caller's account (moto looked the key ID up there).
    ghost = key["Arn"].replace(key["KeyId"], "11111111-2222-3333-4444-555555555555")
    assert refused(lambda: kms.get_key_rotation_status(KeyId=ghost))["Error"]["Code"] == "NotFoundException"
    # The key's default policy trusts only its own account.
    resp = refused(lambda: kms.get_key_rotation_status(KeyId=key["Arn"]))
    assert resp["Error"]["Code"] == "AccessDeniedException"
    assert resp["Error"]["Message"].endswith(
        f"is not authorized to perform: kms:GetKeyRotationStatus on resource: {key['Arn']} "
        "because no resource-based policy allows the kms:GetKeyRotationStatus action")
    member_kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{member_account}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "kms:GetKeyRotationStatus", "Resource": "*"},
    ]}))
    status = kms.get_key_rotation_status(KeyId=key["Arn"])
    assert (status["KeyId"], status["KeyRotationEnabled"]) == (key["Arn"], True)
    # Enable / Disable: "Cross-account use: No", whatever the key policy says.
    for call in (kms.enable_key_rotation, kms.disable_key_rotation):
        assert refused(lambda: call(KeyId=key["Arn"]))["Error"]["Code"] == "AccessDeniedException"
    assert member_kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True


# -- server access logging -----------------------------------------------------------------------


def logging_policy(target, source, prefix, account=MGMT):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{target}/{prefix}*",
         "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source}"}, "StringEquals": {"aws:SourceAccount": account}}}]})


def test_logging_needs_a_target_that_admits_s3_log_delivery(emu):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="trail-logs")
    s3.create_bucket(Bucket="access-logs")
    put = lambda target="access-logs", prefix="trail-logs/", **kw: s3.put_bucket_logging(
        Bucket="trail-logs", BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": prefix, **kw}})
    resp = refused(lambda: put(target="no-such-logs"))
    assert (resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidTargetBucketForLogging", 400)
    assert resp["Error"]["TargetBucket"] == "no-such-logs"
    # BucketOwnerEnforced: only a bucket policy lets the logging service write.
    assert code_status(put) == ("InvalidTargetBucketForLogging", 400)
    s3.put_bucket_policy(Bucket="access-logs", Policy=logging_policy("access-logs", "other-source", "trail-logs/"))
    assert code_status(put) == ("InvalidTargetBucketForLogging", 400)
    s3.put_bucket_policy(Bucket="access-logs", Policy=logging_policy("access-logs", "trail-logs", "trail-logs/"))
    assert code_status(lambda: put(prefix="elsewhere/")) == ("InvalidTargetBucketForLogging", 400)
    put()
    assert s3.get_bucket_logging(Bucket="trail-logs")["LoggingEnabled"] == {"TargetBucket": "access-logs", "TargetPrefix": "trail-logs/"}
    # No target grants with BucketOwnerEnforced.
    grants = [{"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": "WRITE"}]
    resp = refused(lambda: put(TargetGrants=grants))
    assert (resp["Error"]["Code"], resp["Error"]["Message"]) == (
        "AccessControlListNotSupported", "Target grants not allowed for bucket owner enforced buckets")
    s3.put_bucket_logging(Bucket="trail-logs", BucketLoggingStatus={})
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket="trail-logs")


def test_logging_target_with_acls_enabled_same_owner_same_region(emu):
    org = emu.seed(accounts=1, ous=0, seed=6)
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="trail-logs")
    # ACLs enabled: the log-delivery group's ACL is enough.
    s3.create_bucket(Bucket="acl-access-logs", ObjectOwnership="BucketOwnerPreferred")
    put = lambda target: s3.put_bucket_logging(
        Bucket="trail-logs", BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": ""}})
    assert code_status(lambda: put("acl-access-logs")) == ("InvalidTargetBucketForLogging", 400)
    s3.put_bucket_acl(Bucket="acl-access-logs", ACL="log-delivery-write")
    put("acl-access-logs")
    # Another account's bucket, even one that admits the logging service.
    member_s3 = emu.as_member(org["accounts"][0]["id"])("s3")
    member_s3.create_bucket(Bucket="member-logs")
    member_s3.put_bucket_policy(Bucket="member-logs", Policy=logging_policy("member-logs", "trail-logs", ""))
    resp = refused(lambda: put("member-logs"))
    assert (resp["Error"]["Code"], resp["Error"]["Message"]) == (
        "InvalidTargetBucketForLogging", "The owner for the bucket to be logged and the target bucket must be the same.")
    # Another Region.
    emu.client("s3", "eu-west-1").create_bucket(Bucket="eu-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_policy(Bucket="eu-logs", Policy=logging_policy("eu-logs", "trail-logs", ""))
    resp = refused(lambda: put("eu-logs"))
    assert (resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]) == ("CrossLocationLoggingProhibitted", 403)
    assert s3.get_bucket_logging(Bucket="trail-logs")["LoggingEnabled"]["TargetBucket"] == "acl-access-logs"


# -- ACLs on BucketOwnerEnforced buckets ---------------------------------------------------------


def test_acls_refused_on_a_bucket_owner_enforced_bucket(emu):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="no-acls")
    resp = refused(lambda: s3.put_object(Bucket="no-acls", Key="a", Body=b"x", ACL="public-read"))
    assert (resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessControlListNotSupported", 400)
    assert resp["Error"]["Message"] == "The bucket does not allow ACLs"
    assert code_status(lambda: s3.put_object(Bucket="no-acls", Key="a", Body=b"x", ACL="private"))[0] == "AccessControlListNotSupported"
    assert code_status(lambda: s3.put_object(Bucket="no-acls", Key="a", Body=b"x", GrantRead=f'uri="{LOG_DELIVERY}"'))[0] == "AccessControlListNotSupported"
    # No ACL, or the bucket owner's full control: accepted (what CloudTrail and GuardDuty send).
    s3.put_object(Bucket="no-acls", Key="a", Body=b"x")
    s3.put_object(Bucket="no-acls", Key="b", Body=b"x", ACL="bucket-owner-full-control")
    copy = lambda **kw: s3.copy_object(Bucket="no-acls", Key="c", CopySource={"Bucket": "no-acls", "Key": "a"}, **kw)
    assert code_status(lambda: copy(ACL="authenticated-read")) == ("AccessControlListNotSupported", 400)
    copy(ACL="bucket-owner-full-control")
    for call in (lambda: s3.put_bucket_acl(Bucket="no-acls", ACL="private"),
                 lambda: s3.put_object_acl(Bucket="no-acls", Key="a", ACL="bucket-owner-full-control")):
        assert code_status(call) == ("AccessControlListNotSupported", 400)
    # Reading ACLs still works; with ACLs enabled, setting them does too.
    s3.get_bucket_acl(Bucket="no-acls")
    s3.put_bucket_ownership_controls(Bucket="no-acls", OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_object(Bucket="no-acls", Key="d", Body=b"x", ACL="private")
    s3.put_object_acl(Bucket="no-acls", Key="d", ACL="bucket-owner-read")


def test_guardduty_still_delivers_to_a_hardened_bucket(emu):
    org = emu.seed(accounts=1, ous=0, regions=[REGION], seed=7)
    member = org["accounts"][0]["id"]
    s3, key = hub(emu)
    _client, gd, det = member_detector(emu, member)
    assert s3.get_bucket_ownership_controls(Bucket="hub-findings")["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
    allow = json.loads(bucket_policy("hub-findings", exact(member, det)))["Statement"]
    s3.put_bucket_policy(Bucket="hub-findings", Policy=tls_policy("hub-findings", *allow))
    emu.client("kms").put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(key["Arn"], exact(member, det)))
    create(gd, det, "hub-findings", key["Arn"])
    gd.create_sample_findings(DetectorId=det)
    listed = s3.list_objects_v2(Bucket="hub-findings", Prefix=f"AWSLogs/{member}/GuardDuty/{REGION}/")["Contents"]
    assert len(listed) == 1
    body = s3.get_object(Bucket="hub-findings", Key=listed[0]["Key"])["Body"].read()
    assert json.loads(gzip.decompress(body).splitlines()[0])["accountId"] == member


# -- bucket policies: aws:SecureTransport and other conditions -----------------------------------


def test_secure_transport_deny_applies_only_to_plain_http(emu):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="tls-only")
    s3.put_bucket_policy(Bucket="tls-only", Policy=tls_policy("tls-only"))
    # "Over HTTPS": every object call works (moto answered 403 to all of them).
    s3.put_object(Bucket="tls-only", Key="AWSLogs/a", Body=b"x")
    assert s3.get_object(Bucket="tls-only", Key="AWSLogs/a")["Body"].read() == b"x"
    s3.head_object(Bucket="tls-only", Key="AWSLogs/a")
    s3.copy_object(Bucket="tls-only", Key="AWSLogs/b", CopySource={"Bucket": "tls-only", "Key": "AWSLogs/a"})
    assert s3.list_objects_v2(Bucket="tls-only")["KeyCount"] == 2
    s3.delete_objects(Bucket="tls-only", Delete={"Objects": [{"Key": "AWSLogs/b"}]})
    # Plain HTTP: denied, in S3's shape, object and bucket calls alike.
    plain = insecure(emu.client("s3"))
    for call in (lambda: plain.get_object(Bucket="tls-only", Key="AWSLogs/a"),
                 lambda: plain.put_object(Bucket="tls-only", Key="AWSLogs/c", Body=b"x"),
                 lambda: plain.list_objects_v2(Bucket="tls-only"),
                 lambda: plain.get_bucket_policy(Bucket="tls-only"),
                 lambda: plain.get_bucket_versioning(Bucket="tls-only")):
        resp = refused(call)
        assert (resp["Error"]["Code"], resp["Error"]["Message"], resp["ResponseMetadata"]["HTTPStatusCode"]) == (
            "AccessDenied", "Access Denied", 403)
    deleted = plain.delete_objects(Bucket="tls-only", Delete={"Objects": [{"Key": "AWSLogs/a"}]})
    assert [(e["Key"], e["Code"]) for e in deleted["Errors"]] == [("AWSLogs/a", "AccessDenied")]
    assert s3.list_objects_v2(Bucket="tls-only")["KeyCount"] == 1
    # The bucket owner's root may still read and replace the policy (S3's lockout exception).
    root = emu.control("POST", "credentials", {"principal_arn": f"arn:aws:iam::{MGMT}:root"})
    root_plain = insecure(emu.client("s3", creds={"AccessKeyId": root["access_key_id"], "SecretAccessKey": root["secret_access_key"]}))
    root_plain.get_bucket_policy(Bucket="tls-only")
    assert code_status(lambda: root_plain.get_object(Bucket="tls-only", Key="AWSLogs/a")) == ("AccessDenied", 403)


def test_other_deny_conditions_evaluated_or_left_to_moto(emu):
    org = emu.seed(accounts=1, ous=0, seed=8)
    s3, kms = emu.client("s3"), emu.client("kms")
    s3.create_bucket(Bucket="guarded")
    key = kms.create_key()["KeyMetadata"]
    arn = "arn:aws:s3:::guarded"
    s3.put_bucket_policy(Bucket="guarded", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        # Evaluated: the request's SSE header (absent means absent, whatever the bucket default).
        {"Sid": "DenyUnencrypted", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"{arn}/kms/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        # Evaluated: the caller's account.
        {"Sid": "DenyOthers", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*",
         "Condition": {"StringNotEquals": {"aws:PrincipalAccount": MGMT}}},
        # Not evaluable here (IpAddress): moto's behaviour, conditions ignored.
        {"Sid": "DenyFromOutside", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/ip/*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
    ]}))
    assert code_status(lambda: s3.put_object(Bucket="guarded", Key="kms/a", Body=b"x")) == ("AccessDenied", 403)
    s3.put_object(Bucket="guarded", Key="kms/a", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    s3.get_object(Bucket="guarded", Key="kms/a")
    member_s3 = emu.as_member(org["accounts"][0]["id"])("s3")
    assert code_status(lambda: member_s3.get_object(Bucket="guarded", Key="kms/a")) == ("AccessDenied", 403)
    s3.put_object(Bucket="guarded", Key="ip/a", Body=b"x")
    assert refused(lambda: s3.get_object(Bucket="guarded", Key="ip/a"))["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_reset_brings_the_defaults_back(emu):
    s3, kms = emu.client("s3"), emu.client("kms")
    s3.create_bucket(Bucket="reset-me")
    s3.delete_bucket_ownership_controls(Bucket="reset-me")
    s3.delete_public_access_block(Bucket="reset-me")
    s3.put_bucket_policy(Bucket="reset-me", Policy=tls_policy("reset-me"))
    kms.enable_key_rotation(KeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    emu.control("POST", "reset")
    assert kms.list_keys()["Keys"] == []
    s3.create_bucket(Bucket="reset-me")
    assert s3.get_bucket_ownership_controls(Bucket="reset-me")["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
    assert s3.get_public_access_block(Bucket="reset-me")["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    insecure(emu.client("s3")).put_object(Bucket="reset-me", Key="a", Body=b"x")


def test_a_never_versioned_bucket_answers_versioning_configuration_as_s3_does(emu):
    # The Rust SDK decodes the root element: S3's is VersioningConfiguration (moto's was
    # GetBucketVersioningResponse), with no Status for a bucket never versioned.
    emu.seed(accounts=1, ous=0, seed=1)
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="never-versioned")
    bodies = []
    s3.meta.events.register(
        "after-call.s3.GetBucketVersioning",
        lambda http_response, **_: bodies.append(http_response.content),
    )
    assert "Status" not in s3.get_bucket_versioning(Bucket="never-versioned")
    assert b"<VersioningConfiguration" in bodies[0], bodies


def test_a_versioned_bucket_answers_under_versioning_configuration_too(emu):
    emu.seed(accounts=1, ous=0, seed=1)
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="versioned")
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    bodies = []
    s3.meta.events.register(
        "after-call.s3.GetBucketVersioning",
        lambda http_response, **_: bodies.append(http_response.content),
    )
    assert s3.get_bucket_versioning(Bucket="versioned")["Status"] == "Enabled"
    assert b"<VersioningConfiguration" in bodies[0] and b"<Status>Enabled</Status>" in bodies[0], bodies


# -- HeadBucket from another Region; tag values --------------------------------------------------


def test_head_bucket_from_another_region_is_a_301_naming_the_region(emu):
    s3 = emu.client("s3", REGION)
    s3.create_bucket(Bucket="far-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    seen = []

    def first_answer(response, **_kw):
        if response is not None:
            seen.append((response[0].status_code, response[0].headers.get("x-amz-bucket-region")))

    # botocore follows the redirect by itself; the first answer is what the AWS SDK for Rust gets.
    s3.meta.events.register_first("needs-retry.s3.HeadBucket", first_answer)
    s3.head_bucket(Bucket="far-bucket")
    assert seen[0] == (301, "eu-west-1"), seen
    home = emu.client("s3", "eu-west-1")
    assert home.head_bucket(Bucket="far-bucket")["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_tag_values_outside_the_allowed_characters_are_refused(emu):
    s3 = emu.client("s3", REGION)
    s3.create_bucket(Bucket="tagged-bucket")
    code, status = code_status(lambda: s3.put_bucket_tagging(
        Bucket="tagged-bucket", Tagging={"TagSet": [{"Key": "k", "Value": '{"json": 1}'}]}))
    assert (code, status) == ("InvalidTag", 400)
    # The tool's record of previous settings uses only the allowed characters.
    fine = "public-access-block=none object-ownership=ObjectWriter default-encryption=aws:kms@arn:aws:kms:us-east-1:123456789012:key/1234@bk"
    s3.put_bucket_tagging(Bucket="tagged-bucket", Tagging={"TagSet": [{"Key": "radiant-onboard:previous-hardening", "Value": fine}]})
    kms = emu.client("kms", REGION)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    code, status = code_status(lambda: kms.tag_resource(KeyId=key, Tags=[{"TagKey": "k", "TagValue": "a,b"}]))
    assert (code, status) == ("TagException", 400)
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": "radiant-onboard:previous-hardening", "TagValue": "key-rotation=false"}])
    assert kms.list_resource_tags(KeyId=key)["Tags"][0]["TagValue"] == "key-rotation=false"
