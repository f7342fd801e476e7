"""GuardDuty publishing destinations: AWS's permission checks, both sides, and findings export."""

import gzip
import json

import pytest
from botocore.exceptions import ClientError

from conftest import MGMT

REGION = "us-east-1"


def hub(emu, bucket="hub-findings", key_region=REGION, bucket_region=REGION):
    s3 = emu.client("s3", bucket_region)
    kw = {} if bucket_region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": bucket_region}}
    s3.create_bucket(Bucket=bucket, **kw)
    key = emu.client("kms", key_region).create_key()["KeyMetadata"]
    return s3, key


def bucket_policy(bucket, condition, prefix=""):
    path = f"{prefix}/" if prefix else ""
    gd = {"Service": "guardduty.amazonaws.com"}
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Loc", "Effect": "Allow", "Principal": gd, "Action": "s3:GetBucketLocation",
         "Resource": f"arn:aws:s3:::{bucket}", "Condition": condition},
        {"Sid": "Put", "Effect": "Allow", "Principal": gd, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/{path}*", "Condition": condition},
    ]})


def key_policy(key_arn, condition):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "GD", "Effect": "Allow", "Principal": {"Service": "guardduty.amazonaws.com"},
         "Action": "kms:GenerateDataKey", "Resource": key_arn, "Condition": condition},
    ]})


@pytest.fixture()
def org(emu):
    return emu.seed(accounts=3, ous=1, regions=[REGION], seed=3)


def member_detector(emu, account):
    client = emu.as_member(account)
    gd = client("guardduty")
    det = gd.create_detector(Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES")["DetectorId"]
    return client, gd, det


def exact(account, det):
    return {"StringEquals": {"aws:SourceAccount": account,
                             "aws:SourceArn": f"arn:aws:guardduty:{REGION}:{account}:detector/{det}"}}


def create(gd, det, bucket, key_arn, prefix=""):
    arn = f"arn:aws:s3:::{bucket}" + (f"/{prefix}" if prefix else "")
    return gd.create_publishing_destination(
        DetectorId=det, DestinationType="S3",
        DestinationProperties={"DestinationArn": arn, "KmsKeyArn": key_arn})


def assert_bad_request(call):
    with pytest.raises(ClientError) as info:
        call()
    assert info.value.response["Error"]["Code"] == "BadRequestException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return info.value.response["Error"]["Message"]


def test_accepts_exact_policies_then_publishes_sample_findings(emu, org):
    member = org["accounts"][0]["id"]
    s3, key = hub(emu)
    client, gd, det = member_detector(emu, member)
    s3.put_bucket_policy(Bucket="hub-findings", Policy=bucket_policy("hub-findings", exact(member, det)))
    emu.client("kms").put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(key["Arn"], exact(member, det)))
    dest = create(gd, det, "hub-findings", key["Arn"])["DestinationId"]
    described = gd.describe_publishing_destination(DetectorId=det, DestinationId=dest)
    assert described["Status"] == "PUBLISHING"
    assert described["DestinationProperties"]["KmsKeyArn"] == key["Arn"]
    assert gd.list_publishing_destinations(DetectorId=det)["Destinations"][0]["Status"] == "PUBLISHING"

    gd.create_sample_findings(DetectorId=det)
    objects = s3.list_objects_v2(Bucket="hub-findings", Prefix=f"AWSLogs/{member}/GuardDuty/{REGION}/")
    assert objects["KeyCount"] == 1
    body = s3.get_object(Bucket="hub-findings", Key=objects["Contents"][0]["Key"])["Body"].read()
    finding = json.loads(gzip.decompress(body).decode().splitlines()[0])
    assert finding["accountId"] == member


def test_accepts_compact_org_form(emu, org):
    member = org["accounts"][1]["id"]
    s3, key = hub(emu)
    client, gd, det = member_detector(emu, member)
    cond = {"StringEquals": {"aws:SourceAccount": [a["id"] for a in org["accounts"]]},
            "ArnLike": {"aws:SourceArn": "arn:aws:guardduty:*:*:detector/*"}}
    s3.put_bucket_policy(Bucket="hub-findings", Policy=bucket_policy("hub-findings", cond, prefix="gd"))
    s3.put_object(Bucket="hub-findings", Key="gd/", Body=b"")
    org_cond = {"StringEquals": {"aws:SourceOrgID": org["organization_id"]}}
    emu.client("kms").put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(key["Arn"], org_cond))
    dest = create(gd, det, "hub-findings", key["Arn"], prefix="gd")["DestinationId"]
    assert gd.describe_publishing_destination(DetectorId=det, DestinationId=dest)["Status"] == "PUBLISHING"
    gd.create_sample_findings(DetectorId=det)
    assert s3.list_objects_v2(Bucket="hub-findings", Prefix=f"gd/AWSLogs/{member}/GuardDuty/{REGION}/")["KeyCount"] == 1


def test_rejects_what_aws_rejects(emu, org):
    member = org["accounts"][0]["id"]
    s3, key = hub(emu)
    client, gd, det = member_detector(emu, member)
    kms = emu.client("kms")
    # No bucket policy, no key policy statement.
    assert "permissions" in assert_bad_request(lambda: create(gd, det, "hub-findings", key["Arn"]))
    # Policies that name another detector (the seeds' empty-ARN defect looks like this).
    wrong = exact(member, "0" * 32)
    s3.put_bucket_policy(Bucket="hub-findings", Policy=bucket_policy("hub-findings", wrong))
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(key["Arn"], exact(member, det)))
    assert_bad_request(lambda: create(gd, det, "hub-findings", key["Arn"]))
    # Bucket right, key wrong.
    s3.put_bucket_policy(Bucket="hub-findings", Policy=bucket_policy("hub-findings", exact(member, det)))
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(key["Arn"], wrong))
    assert "kms:GenerateDataKey" in assert_bad_request(lambda: create(gd, det, "hub-findings", key["Arn"]))
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(key["Arn"], exact(member, det)))
    # GetBucketLocation granted on bucket/* only (another seed defect).
    bad = json.loads(bucket_policy("hub-findings", exact(member, det)))
    bad["Statement"][0]["Resource"] = "arn:aws:s3:::hub-findings/*"
    s3.put_bucket_policy(Bucket="hub-findings", Policy=json.dumps(bad))
    assert "GetBucketLocation" in assert_bad_request(lambda: create(gd, det, "hub-findings", key["Arn"]))
    # An explicit deny on PutObjectAcl stops publishing.
    deny = json.loads(bucket_policy("hub-findings", exact(member, det)))
    deny["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObjectAcl", "Resource": "arn:aws:s3:::hub-findings/*"})
    s3.put_bucket_policy(Bucket="hub-findings", Policy=json.dumps(deny))
    assert_bad_request(lambda: create(gd, det, "hub-findings", key["Arn"]))
    # Prefix without its marker object.
    s3.put_bucket_policy(Bucket="hub-findings", Policy=bucket_policy("hub-findings", exact(member, det)))
    assert "prefix" in assert_bad_request(lambda: create(gd, det, "hub-findings", key["Arn"], prefix="p"))
    # Missing bucket.
    assert_bad_request(lambda: create(gd, det, "no-such-bucket", key["Arn"]))
    # Key in another Region than the bucket.
    other_key = emu.client("kms", "eu-west-1").create_key()["KeyMetadata"]
    assert "Region" in assert_bad_request(lambda: create(gd, det, "hub-findings", other_key["Arn"]))
    # Unknown detector.
    assert_bad_request(lambda: create(gd, "f" * 32, "hub-findings", key["Arn"]))
    # Now everything is right: accepted; a second destination is refused.
    create(gd, det, "hub-findings", key["Arn"])
    assert_bad_request(lambda: create(gd, det, "hub-findings", key["Arn"]))


def test_update_delete_and_broken_policy_stops_publishing(emu, org):
    member = org["accounts"][0]["id"]
    s3, key = hub(emu)
    client, gd, det = member_detector(emu, member)
    s3.put_bucket_policy(Bucket="hub-findings", Policy=bucket_policy("hub-findings", exact(member, det)))
    emu.client("kms").put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(key["Arn"], exact(member, det)))
    dest = create(gd, det, "hub-findings", key["Arn"])["DestinationId"]
    assert_bad_request(lambda: gd.update_publishing_destination(
        DetectorId=det, DestinationId=dest, DestinationProperties={"DestinationArn": "arn:aws:s3:::hub-findings/nomarker"}))
    s3.delete_bucket_policy(Bucket="hub-findings")
    gd.create_sample_findings(DetectorId=det)
    described = gd.describe_publishing_destination(DetectorId=det, DestinationId=dest)
    assert described["Status"] == "UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY"
    assert s3.list_objects_v2(Bucket="hub-findings").get("KeyCount", 0) == 0
    gd.delete_publishing_destination(DetectorId=det, DestinationId=dest)
    assert gd.list_publishing_destinations(DetectorId=det)["Destinations"] == []


def test_delegated_admin_exports_members_findings(emu, org):
    admin, member = org["accounts"][0]["id"], org["accounts"][1]["id"]
    emu.client("guardduty").enable_organization_admin_account(AdminAccountId=admin)
    s3, key = hub(emu)
    _, admin_gd, admin_det = member_detector(emu, admin)
    _, member_gd, member_det = member_detector(emu, member)
    s3.put_bucket_policy(Bucket="hub-findings", Policy=bucket_policy("hub-findings", exact(admin, admin_det)))
    emu.client("kms").put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(key["Arn"], exact(admin, admin_det)))
    create(admin_gd, admin_det, "hub-findings", key["Arn"])
    # Not yet a member: nothing is exported for the member.
    member_gd.create_sample_findings(DetectorId=member_det)
    assert s3.list_objects_v2(Bucket="hub-findings").get("KeyCount", 0) == 0
    admin_gd.update_organization_configuration(DetectorId=admin_det, AutoEnableOrganizationMembers="ALL")
    member_gd.create_sample_findings(DetectorId=member_det)
    listed = s3.list_objects_v2(Bucket="hub-findings", Prefix=f"AWSLogs/{admin}/GuardDuty/{REGION}/")
    assert listed["KeyCount"] == 1
    body = s3.get_object(Bucket="hub-findings", Key=listed["Contents"][0]["Key"])["Body"].read()
    assert json.loads(gzip.decompress(body).decode().splitlines()[0])["accountId"] == member


def test_detector_features_and_frequency_round_trip(emu, org):
    member = org["accounts"][0]["id"]
    _, gd, det = member_detector(emu, member)
    with pytest.raises(ClientError) as info:
        gd.create_detector(Enable=True)
    assert info.value.response["Error"]["Code"] == "BadRequestException"
    gd.update_detector(DetectorId=det, FindingPublishingFrequency="ONE_HOUR",
                       Features=[{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}])
    gd.update_detector(DetectorId=det, Features=[{"Name": "EKS_AUDIT_LOGS", "Status": "DISABLED"}])
    got = gd.get_detector(DetectorId=det)
    assert got["FindingPublishingFrequency"] == "ONE_HOUR"
    features = {f["Name"]: f["Status"] for f in got["Features"]}
    assert features == {"S3_DATA_EVENTS": "ENABLED", "EKS_AUDIT_LOGS": "DISABLED"}


def test_detector_tags_round_trip_and_stay_in_their_account(emu, org):
    member, other = org["accounts"][0]["id"], org["accounts"][1]["id"]
    _, gd, det = member_detector(emu, member)
    arn = f"arn:aws:guardduty:{REGION}:{member}:detector/{det}"
    gd.tag_resource(ResourceArn=arn, Tags={"team": "sec", "prev": "ENABLED/ONE_HOUR/DISABLED"})
    assert gd.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "sec", "prev": "ENABLED/ONE_HOUR/DISABLED"}
    assert gd.get_detector(DetectorId=det)["Tags"] == {"team": "sec", "prev": "ENABLED/ONE_HOUR/DISABLED"}
    gd.untag_resource(ResourceArn=arn, TagKeys=["prev"])
    assert gd.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "sec"}
    # Another account cannot tag it; an unknown detector is refused.
    with pytest.raises(ClientError) as info:
        emu.as_member(other)("guardduty").tag_resource(ResourceArn=arn, Tags={"x": "y"})
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"
    assert_bad_request(lambda: gd.tag_resource(ResourceArn=f"arn:aws:guardduty:{REGION}:{member}:detector/nope", Tags={"x": "y"}))


# -- delegated administrator ------------------------------------------------------------------------

NOT_ADMIN = "The request failed because you do not have required AWS Organization master permission."
RESTRICTED = "The request is rejected because member accounts cannot manage specified resources or properties."


def test_delegated_admin_only_from_the_management_account_one_per_organization(emu):
    org = emu.seed(accounts=3, ous=0, regions=[REGION, "eu-west-1"], seed=31)
    admin, other, member = (a["id"] for a in org["accounts"])
    mgmt = emu.client("guardduty")
    # Only the management account designates or lists administrators.
    assert assert_bad_request(lambda: emu.as_member(member)("guardduty").enable_organization_admin_account(AdminAccountId=admin)) == NOT_ADMIN
    assert assert_bad_request(lambda: emu.as_member(member)("guardduty").list_organization_admin_accounts()) == NOT_ADMIN
    # An account outside the organization cannot be designated.
    assert_bad_request(lambda: mgmt.enable_organization_admin_account(AdminAccountId="999999999999"))
    mgmt.enable_organization_admin_account(AdminAccountId=admin)
    mgmt.enable_organization_admin_account(AdminAccountId=admin)  # the same again: nothing changes
    assert mgmt.list_organization_admin_accounts()["AdminAccounts"] == [{"AdminAccountId": admin, "AdminStatus": "ENABLED"}]
    # Per Region: not yet designated in eu-west-1.
    eu = emu.client("guardduty", "eu-west-1")
    assert eu.list_organization_admin_accounts()["AdminAccounts"] == []
    # One delegated administrator per organization, in this Region and in the others.
    assert "only one delegated" in assert_bad_request(lambda: mgmt.enable_organization_admin_account(AdminAccountId=other))
    assert "only one delegated" in assert_bad_request(lambda: eu.enable_organization_admin_account(AdminAccountId=other))
    eu.enable_organization_admin_account(AdminAccountId=admin)
    assert eu.list_organization_admin_accounts()["AdminAccounts"][0]["AdminAccountId"] == admin
    # Removing it in a Region frees that Region only.
    assert_bad_request(lambda: eu.disable_organization_admin_account(AdminAccountId=other))
    eu.disable_organization_admin_account(AdminAccountId=admin)
    assert eu.list_organization_admin_accounts()["AdminAccounts"] == []
    assert mgmt.list_organization_admin_accounts()["AdminAccounts"][0]["AdminAccountId"] == admin


def test_organization_configuration_only_by_the_administrator(emu):
    org = emu.seed(accounts=2, ous=0, seed=32)
    admin, member = (a["id"] for a in org["accounts"])
    _, admin_gd, admin_det = member_detector(emu, admin)
    _, member_gd, member_det = member_detector(emu, member)
    update = lambda gd, det, **kw: gd.update_organization_configuration(DetectorId=det, **kw)
    # Not yet designated: refused like AWS refuses it.
    assert assert_bad_request(lambda: update(admin_gd, admin_det, AutoEnableOrganizationMembers="NEW")) == NOT_ADMIN
    emu.client("guardduty").enable_organization_admin_account(AdminAccountId=admin)
    assert assert_bad_request(lambda: update(member_gd, member_det, AutoEnableOrganizationMembers="NEW")) == NOT_ADMIN
    assert assert_bad_request(lambda: member_gd.describe_organization_configuration(DetectorId=member_det)) == NOT_ADMIN
    # The deprecated autoEnable is not accepted together with autoEnableOrganizationMembers.
    assert "autoEnable" in assert_bad_request(lambda: update(admin_gd, admin_det, AutoEnable=True, AutoEnableOrganizationMembers="ALL"))
    assert_bad_request(lambda: update(admin_gd, admin_det, AutoEnableOrganizationMembers="SOME"))
    assert_bad_request(lambda: update(admin_gd, admin_det, AutoEnableOrganizationMembers="NEW",
                                      Features=[{"Name": "S3_DATA_EVENTS", "AutoEnable": "MAYBE"}]))
    update(admin_gd, admin_det, AutoEnableOrganizationMembers="NEW", Features=[{"Name": "S3_DATA_EVENTS", "AutoEnable": "NEW"}])
    described = admin_gd.describe_organization_configuration(DetectorId=admin_det)
    assert described["AutoEnableOrganizationMembers"] == "NEW" and described["AutoEnable"] is True
    assert {f["Name"]: f["AutoEnable"] for f in described["Features"]}["S3_DATA_EVENTS"] == "NEW"
    assert described["DataSources"]["S3Logs"]["AutoEnable"] is True
    update(admin_gd, admin_det, AutoEnable=False)
    assert admin_gd.describe_organization_configuration(DetectorId=admin_det)["AutoEnableOrganizationMembers"] == "NONE"


def test_create_members_enables_guardduty_and_members_inherit(emu):
    org = emu.seed(accounts=4, ous=0, seed=33)
    admin, m1, m2, m3 = (a["id"] for a in org["accounts"])
    emu.client("guardduty").enable_organization_admin_account(AdminAccountId=admin)
    _, gd, det = member_detector(emu, admin)
    gd.update_organization_configuration(DetectorId=det, AutoEnableOrganizationMembers="NEW",
                                         Features=[{"Name": "S3_DATA_EVENTS", "AutoEnable": "NEW"}])
    # 1 to 50 accounts per call, with AWS's text.
    too_many = [{"AccountId": f"{100000000000 + i}", "Email": "x@example.com"} for i in range(51)]
    assert assert_bad_request(lambda: gd.create_members(DetectorId=det, AccountDetails=too_many)) == (
        "The request failed because the length provided for the accountDetails array was 51. Max allowed length is 50.")
    out = gd.create_members(DetectorId=det, AccountDetails=[
        {"AccountId": a, "Email": f"{a}@example.com"} for a in (m1, m2, m3, "999999999999", MGMT)])
    unprocessed = {u["AccountId"]: u["Result"] for u in out["UnprocessedAccounts"]}
    assert set(unprocessed) == {"999999999999", MGMT}, unprocessed
    assert "must first enable GuardDuty" in unprocessed[MGMT]
    again = gd.create_members(DetectorId=det, AccountDetails=[{"AccountId": m1, "Email": "x@example.com"}])
    assert "already a member" in again["UnprocessedAccounts"][0]["Result"]

    # GuardDuty enabled in the members with the organization's features and the admin's frequency.
    m1_gd = emu.as_member(m1)("guardduty")
    [m1_det] = m1_gd.list_detectors()["DetectorIds"]
    got = m1_gd.get_detector(DetectorId=m1_det)
    assert got["Status"] == "ENABLED" and got["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
    assert {f["Name"]: f["Status"] for f in got["Features"]}["S3_DATA_EVENTS"] == "ENABLED"
    assert m1_gd.get_administrator_account(DetectorId=m1_det)["Administrator"]["AccountId"] == admin

    # Listed, paginated.
    page = gd.list_members(DetectorId=det, MaxResults=2)
    assert [m["RelationshipStatus"] for m in page["Members"]] == ["Enabled", "Enabled"] and page["NextToken"]
    rest = gd.list_members(DetectorId=det, MaxResults=2, NextToken=page["NextToken"])
    assert "NextToken" not in rest
    assert [m["AccountId"] for m in page["Members"] + rest["Members"]] == [m1, m2, m3]
    assert page["Members"][0]["DetectorId"] == m1_det
    listed = gd.get_member_detectors(DetectorId=det, AccountIds=[m1, "999999999999"])
    [config] = listed["MemberDataSourceConfigurations"]
    assert config["AccountId"] == m1
    assert {f["Name"]: f["Status"] for f in config["Features"]}["S3_DATA_EVENTS"] == "ENABLED"
    assert [u["AccountId"] for u in listed["UnprocessedAccounts"]] == ["999999999999"]

    # A member may not set its frequency or protection plans, only enable its detector.
    assert assert_bad_request(lambda: m1_gd.update_detector(DetectorId=m1_det, FindingPublishingFrequency="ONE_HOUR")) == RESTRICTED
    assert assert_bad_request(lambda: m1_gd.update_detector(
        DetectorId=m1_det, Features=[{"Name": "S3_DATA_EVENTS", "Status": "DISABLED"}])) == RESTRICTED
    m1_gd.update_detector(DetectorId=m1_det, Enable=True)
    # The administrator sets its own frequency, and its members follow.
    gd.update_detector(DetectorId=det, FindingPublishingFrequency="ONE_HOUR")
    assert m1_gd.get_detector(DetectorId=m1_det)["FindingPublishingFrequency"] == "ONE_HOUR"
    # ... and its members' protection plans.
    gd.update_member_detectors(DetectorId=det, AccountIds=[m2], Features=[{"Name": "S3_DATA_EVENTS", "Status": "DISABLED"}])
    m2_gd = emu.as_member(m2)("guardduty")
    [m2_det] = m2_gd.list_detectors()["DetectorIds"]
    assert {f["Name"]: f["Status"] for f in m2_gd.get_detector(DetectorId=m2_det)["Features"]}["S3_DATA_EVENTS"] == "DISABLED"

    # A member still keeps its own export destination.
    s3, key = hub(emu)
    s3.put_bucket_policy(Bucket="hub-findings", Policy=bucket_policy("hub-findings", exact(m1, m1_det)))
    emu.client("kms").put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(key["Arn"], exact(m1, m1_det)))
    create(m1_gd, m1_det, "hub-findings", key["Arn"])

    # Removing the administrator ends the memberships; GuardDuty stays enabled in the members.
    emu.client("guardduty").disable_organization_admin_account(AdminAccountId=admin)
    assert gd.list_members(DetectorId=det)["Members"] == []
    assert m1_gd.get_administrator_account(DetectorId=m1_det).get("Administrator") is None
    m1_gd.update_detector(DetectorId=m1_det, FindingPublishingFrequency="SIX_HOURS")
    assert m1_gd.get_detector(DetectorId=m1_det)["Status"] == "ENABLED"


def test_create_members_by_a_non_administrator_is_an_invitation(emu):
    org = emu.seed(accounts=2, ous=0, seed=34)
    owner, invited = (a["id"] for a in org["accounts"])
    _, gd, det = member_detector(emu, owner)
    assert gd.create_members(DetectorId=det, AccountDetails=[{"AccountId": invited, "Email": "i@example.com"}])["UnprocessedAccounts"] == []
    assert gd.list_members(DetectorId=det)["Members"] == []  # onlyAssociated defaults to true
    [created] = gd.list_members(DetectorId=det, OnlyAssociated="false")["Members"]
    assert created["RelationshipStatus"] == "Created"
    # Not a member yet: no detector was enabled for it, and it manages its own settings.
    invited_gd = emu.as_member(invited)("guardduty")
    assert invited_gd.list_detectors()["DetectorIds"] == []
