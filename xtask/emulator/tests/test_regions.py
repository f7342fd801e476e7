"""Opt-in Regions per account (a token refused in a Region the account has not enabled), the
Region status reads (Account Management ListRegions / GetRegionOptStatus, EC2 DescribeRegions),
Control Tower's Region deny control, GuardDuty export from and to opt-in Regions, S3
notifications to another Region and GetBucketLocation."""

import json
import urllib.error

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import MGMT
from radiant_emulator.regions import OPT_IN_REGIONS, partition_regions

OPT_IN = "af-south-1"
SCP = "with an explicit deny in a service control policy"
TOKEN = "The security token included in the request is invalid."


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"].get("Message", "")


def control_error(emu, method, path, body):
    with pytest.raises(urllib.error.HTTPError) as info:
        emu.control(method, path, body)
    assert info.value.code == 400
    return json.loads(info.value.read())["error"]


# -- the Regions ----------------------------------------------------------------------------------


def test_opt_in_regions_are_commercial_regions_the_sdk_knows():
    commercial = partition_regions("aws")
    assert len(OPT_IN_REGIONS) == 17 and OPT_IN_REGIONS <= set(commercial)
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(commercial) - OPT_IN_REGIONS
    assert partition_regions("aws-us-gov") == ("us-gov-east-1", "us-gov-west-1")
    assert partition_regions("aws-cn") == ("cn-north-1", "cn-northwest-1")


def test_opt_in_regions_are_enabled_by_default(emu):
    org = emu.seed(accounts=1, ous=0, seed=1)
    member = emu.as_member(org["accounts"][0]["id"], region=OPT_IN)
    assert member("sts").get_caller_identity()["Account"] == org["accounts"][0]["id"]
    assert member("guardduty").list_detectors()["DetectorIds"] == []
    assert org["disabled_regions"] == [] and org["region_deny"] is None
    assert emu.control("GET", "regions") == {"disabled": []}


# -- a disabled opt-in Region refuses the account's tokens -----------------------------------------


@pytest.fixture()
def disabled(emu):
    org = emu.seed(accounts=3, ous=1, disabled_regions={"first:1": [OPT_IN, "me-south-1"]}, seed=2)
    return org, [a["id"] for a in org["accounts"]]


def test_requests_in_a_disabled_region_are_refused_per_protocol(emu, disabled):
    org, (first, second, _third) = disabled
    assert org["disabled_regions"] == [{"account": first, "region": OPT_IN}, {"account": first, "region": "me-south-1"}]
    creds = emu.member_creds(first)  # STS in us-east-1: enabled
    client = lambda service: emu.client(service, OPT_IN, creds)
    assert error_of(lambda: client("sts").get_caller_identity()) == ("InvalidClientTokenId", 403, TOKEN)
    assert error_of(lambda: client("sns").list_topics()) == ("InvalidClientTokenId", 403, TOKEN)
    assert error_of(lambda: client("iam").list_roles()) == ("InvalidClientTokenId", 403, TOKEN)
    assert error_of(lambda: client("guardduty").list_detectors()) == ("UnrecognizedClientException", 403, TOKEN)
    assert error_of(lambda: client("kms").list_keys()) == ("UnrecognizedClientException", 400, TOKEN)
    assert error_of(lambda: client("cloudtrail").describe_trails()) == ("UnrecognizedClientException", 400, TOKEN)
    assert error_of(lambda: client("ec2").describe_regions()) == ("AuthFailure", 401, "AWS was not able to validate the provided access credentials")
    assert error_of(lambda: client("s3").list_buckets()) == ("InvalidToken", 400, "The provided token is malformed or otherwise invalid.")
    # The refused calls are calls: they are counted.
    counted = {(c["account"], c["service"], c["operation"]) for c in emu.counters()["calls"]}
    assert (first, "guardduty", "ListDetectors") in counted
    # The same account in an enabled Region, another account in that Region: answered.
    assert emu.client("guardduty", "us-east-1", creds).list_detectors()["DetectorIds"] == []
    assert emu.as_member(second, region=OPT_IN)("guardduty").list_detectors()["DetectorIds"] == []
    assert emu.client("sts", OPT_IN).get_caller_identity()["Account"] == MGMT


def test_control_call_enables_and_disables_one_region(emu, disabled):
    _org, (first, second, _third) = disabled
    creds = emu.member_creds(first)
    gd = emu.client("guardduty", OPT_IN, creds)
    assert emu.control("POST", "regions", {"account": first, "region": OPT_IN, "enabled": True}) == \
        {"account": first, "region": OPT_IN, "status": "ENABLED"}
    assert gd.list_detectors()["DetectorIds"] == []
    assert emu.control("GET", "regions") == {"disabled": [{"account": first, "region": "me-south-1"}]}
    emu.control("POST", "regions", {"account": second, "region": "il-central-1", "enabled": False})
    assert error_of(lambda: emu.as_member(second, region="il-central-1")("sns").list_topics())[0] == "InvalidClientTokenId"
    # Any account id may be switched, the management account's too.
    emu.control("POST", "regions", {"account": MGMT, "region": OPT_IN, "enabled": False})
    assert error_of(lambda: emu.client("sts", OPT_IN).get_caller_identity())[0] == "InvalidClientTokenId"
    # Reset enables everything again.
    emu.control("POST", "reset")
    assert emu.control("GET", "regions") == {"disabled": []}
    assert emu.client("sts", OPT_IN).get_caller_identity()["Account"] == MGMT


def test_control_call_and_seed_refuse_what_is_not_an_opt_in_region(emu):
    assert "not an opt-in Region" in control_error(emu, "POST", "regions", {"account": MGMT, "region": "us-east-1", "enabled": False})
    assert "12-digit" in control_error(emu, "POST", "regions", {"account": "mgmt", "region": OPT_IN, "enabled": False})
    assert "true or false" in control_error(emu, "POST", "regions", {"account": MGMT, "region": OPT_IN, "enabled": "no"})
    assert "unknown" in control_error(emu, "POST", "regions", {"account": MGMT, "region": OPT_IN, "enabled": True, "x": 1})
    assert "not opt-in Regions" in control_error(emu, "POST", "seed", {"disabled_regions": {"first:1": ["eu-west-1"]}})
    assert "more than" in control_error(emu, "POST", "seed", {"accounts": 2, "disabled_regions": {"first:3": [OPT_IN]}})
    assert "not an account id" in control_error(emu, "POST", "seed", {"disabled_regions": {"member-1": [OPT_IN]}})
    assert "commercial" in control_error(emu, "POST", "seed", {"regions": ["us-gov-west-1"], "disabled_regions": {"*": [OPT_IN]}})
    assert "landing_zone" in control_error(emu, "POST", "seed", {"disabled_regions": {"audit": [OPT_IN]}})
    assert "not an account of the seeded organization" in control_error(
        emu, "POST", "seed", {"disabled_regions": {"999999999999": [OPT_IN]}})


def test_seed_refs_management_all_and_shared_accounts(emu):
    org = emu.seed(accounts=2, ous=1, landing_zone=True, seed=4,
                   disabled_regions={"management": ["ca-west-1"], "audit": ["eu-south-2"], "*": ["mx-central-1"]})
    zone = org["landing_zone"]
    everyone = [MGMT] + [a["id"] for a in org["accounts"]]
    expected = {(MGMT, "ca-west-1"), (zone["audit"], "eu-south-2")} | {(a, "mx-central-1") for a in everyone}
    assert {(d["account"], d["region"]) for d in org["disabled_regions"]} == expected
    assert error_of(lambda: emu.client("sts", "ca-west-1").get_caller_identity())[0] == "InvalidClientTokenId"


# -- Account Management ListRegions / GetRegionOptStatus --------------------------------------------


def statuses(answer):
    return {r["RegionName"]: r["RegionOptStatus"] for r in answer["Regions"]}


def test_list_regions_of_the_callers_account(emu, disabled):
    _org, (first, second, _third) = disabled
    mine = statuses(emu.as_member(first)("account").list_regions())
    assert set(mine) == set(partition_regions("aws")) and len(mine) == 34
    assert mine[OPT_IN] == "DISABLED" and mine["me-south-1"] == "DISABLED"
    assert mine["ap-east-1"] == "ENABLED" and mine["us-east-1"] == "ENABLED_BY_DEFAULT"
    assert {r for r, s in mine.items() if s == "ENABLED_BY_DEFAULT"} == set(partition_regions("aws")) - OPT_IN_REGIONS
    other = emu.as_member(second)("account")
    assert statuses(other.list_regions())[OPT_IN] == "ENABLED"
    answer = other.get_region_opt_status(RegionName=OPT_IN)
    assert (answer["RegionName"], answer["RegionOptStatus"]) == (OPT_IN, "ENABLED")
    assert other.get_region_opt_status(RegionName="eu-west-1")["RegionOptStatus"] == "ENABLED_BY_DEFAULT"
    assert error_of(lambda: other.get_region_opt_status(RegionName="mars-east-1"))[:2] == ("ValidationException", 400)
    # The control call shows at once.
    emu.control("POST", "regions", {"account": first, "region": OPT_IN, "enabled": True})
    assert emu.as_member(first)("account").get_region_opt_status(RegionName=OPT_IN)["RegionOptStatus"] == "ENABLED"


def test_list_regions_filter_and_pages(emu, disabled):
    _org, (first, _second, _third) = disabled
    account = emu.as_member(first)("account")
    assert statuses(account.list_regions(RegionOptStatusContains=["DISABLED"])) == {OPT_IN: "DISABLED", "me-south-1": "DISABLED"}
    assert len(account.list_regions(RegionOptStatusContains=["ENABLED", "DISABLED"])["Regions"]) == 17
    seen, token, pages = [], None, 0
    while True:
        page = account.list_regions(MaxResults=10, **({"NextToken": token} if token else {}))
        pages += 1
        seen += [r["RegionName"] for r in page["Regions"]]
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 4 and seen == sorted(partition_regions("aws"))
    creds = emu.member_creds(first)
    unchecked = boto3.client(
        "account", endpoint_url=emu.endpoint, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"],
        config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    assert error_of(lambda: unchecked.list_regions(MaxResults=0))[:2] == ("ValidationException", 400)
    assert error_of(lambda: unchecked.list_regions(RegionOptStatusContains=["ON"]))[:2] == ("ValidationException", 400)
    assert error_of(lambda: unchecked.list_regions(NextToken="not-a-token"))[:2] == ("ValidationException", 400)


def test_list_regions_of_a_member_only_from_the_management_account(emu):
    org = emu.seed(accounts=2, ous=1, disabled_regions={"first:1": [OPT_IN]}, seed=5)
    first, second = (a["id"] for a in org["accounts"])
    mgmt = emu.client("account")
    # Trusted access for Account Management is needed (aws-facts.md).
    code, status, message = error_of(lambda: mgmt.list_regions(AccountId=first))
    assert (code, status) == ("AccessDeniedException", 403) and "account.amazonaws.com" in message
    emu.client("organizations").enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
    assert statuses(mgmt.list_regions(AccountId=first))[OPT_IN] == "DISABLED"
    assert statuses(mgmt.list_regions(AccountId=second))[OPT_IN] == "ENABLED"
    assert mgmt.get_region_opt_status(AccountId=first, RegionName=OPT_IN)["RegionOptStatus"] == "DISABLED"
    assert statuses(mgmt.list_regions())[OPT_IN] == "ENABLED"
    # Not its own id; not from a member; not an account outside the organization.
    assert error_of(lambda: mgmt.list_regions(AccountId=MGMT))[:2] == ("ValidationException", 400)
    code, status, message = error_of(lambda: emu.as_member(second)("account").list_regions(AccountId=first))
    assert (code, status) == ("AccessDeniedException", 403) and "account:ListRegions" in message
    assert error_of(lambda: mgmt.list_regions(AccountId="999999999999"))[:2] == ("AccessDeniedException", 403)
    # The operations are named in the counters like the API.
    ops = {(c["service"], c["operation"], c["write"]) for c in emu.counters()["calls"]}
    assert ("account", "ListRegions", False) in ops and ("account", "GetRegionOptStatus", False) in ops


def test_list_regions_in_govcloud(emu):
    emu.seed(accounts=1, ous=0, regions=["us-gov-west-1"], seed=6)
    assert statuses(emu.client("account", "us-gov-west-1").list_regions()) == \
        {"us-gov-east-1": "ENABLED_BY_DEFAULT", "us-gov-west-1": "ENABLED_BY_DEFAULT"}


# -- EC2 DescribeRegions ----------------------------------------------------------------------------


def opt_in_of(answer):
    return {r["RegionName"]: r["OptInStatus"] for r in answer["Regions"]}


def test_describe_regions_follows_the_accounts_state(emu, disabled):
    _org, (first, second, _third) = disabled
    ec2 = emu.as_member(first)("ec2")
    enabled = opt_in_of(ec2.describe_regions())
    assert OPT_IN not in enabled and "me-south-1" not in enabled
    assert enabled["ap-east-1"] == "opted-in" and enabled["us-east-1"] == "opt-in-not-required"
    every = opt_in_of(ec2.describe_regions(AllRegions=True))
    assert set(every) == set(partition_regions("aws"))
    assert every[OPT_IN] == "not-opted-in" and every["eu-south-1"] == "opted-in" and every["eu-west-1"] == "opt-in-not-required"
    # RegionNames lists disabled Regions too; filters by status and name.
    assert opt_in_of(ec2.describe_regions(RegionNames=[OPT_IN, "us-east-1"])) == {OPT_IN: "not-opted-in", "us-east-1": "opt-in-not-required"}
    assert set(opt_in_of(ec2.describe_regions(AllRegions=True, Filters=[{"Name": "opt-in-status", "Values": ["not-opted-in"]}]))) == {OPT_IN, "me-south-1"}
    assert set(opt_in_of(ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["eu-*"]}]))) == \
        {r for r in partition_regions("aws") if r.startswith("eu-")}
    [row] = ec2.describe_regions(RegionNames=["eu-west-1"])["Regions"]
    assert row["Endpoint"] == "ec2.eu-west-1.amazonaws.com"
    assert opt_in_of(emu.as_member(second)("ec2").describe_regions())[OPT_IN] == "opted-in"
    assert set(opt_in_of(emu.client("ec2", "us-gov-west-1").describe_regions(AllRegions=True))) == {"us-gov-east-1", "us-gov-west-1"}


# -- Control Tower's Region deny control ------------------------------------------------------------


@pytest.fixture()
def denied(emu):
    org = emu.seed(accounts=4, ous=2, regions=["us-east-1", "eu-west-1"], region_deny={"ou": "ou-index:1", "regions": ["eu-west-1", OPT_IN]}, seed=7)
    first_ou = org["ous"][0]["id"]
    inside = [a["id"] for a in org["accounts"] if a["ou_id"] == first_ou]
    outside = [a["id"] for a in org["accounts"] if a["ou_id"] != first_ou]
    return org, inside, outside


def test_region_deny_refuses_guardduty_cloudtrail_sns_as_an_scp(emu, denied):
    org, inside, outside = denied
    assert org["region_deny"] == {"ou": org["ous"][0]["id"], "regions": sorted(["eu-west-1", OPT_IN]), "accounts": inside}
    member = emu.as_member(inside[0], region="eu-west-1")
    code, status, message = error_of(lambda: member("guardduty").list_detectors())
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == f"User: arn:aws:sts::{inside[0]}:assumed-role/OrganizationAccountAccessRole/pytest is not authorized to perform: guardduty:ListDetectors {SCP}"
    code, status, message = error_of(lambda: member("cloudtrail").describe_trails())
    assert (code, status) == ("AccessDeniedException", 400) and message.endswith(SCP) and "cloudtrail:DescribeTrails" in message
    code, status, message = error_of(lambda: member("sns").create_topic(Name="t"))
    assert (code, status) == ("AuthorizationError", 403) and "SNS:CreateTopic" in message and message.endswith(SCP)
    assert error_of(lambda: emu.as_member(inside[0], region=OPT_IN)("guardduty").list_detectors())[0] == "AccessDeniedException"
    # Other services, other Regions, other OUs and the management account are not denied;
    # the control's NotAction allows cloudtrail:LookupEvents.
    assert member("kms").list_keys()["Keys"] == []
    try:
        member("cloudtrail").lookup_events()
    except ClientError as exc:  # moto 5.2.5 has no LookupEvents: anything but the SCP's denial
        assert exc.response["Error"]["Code"] != "AccessDeniedException"
    assert emu.as_member(inside[0], region="us-east-1")("guardduty").list_detectors()["DetectorIds"] == []
    assert emu.as_member(outside[0], region="eu-west-1")("guardduty").list_detectors()["DetectorIds"] == []
    assert emu.client("guardduty", "eu-west-1").list_detectors()["DetectorIds"] == []
    snapshot = emu.control("GET", "guardrails")
    assert snapshot["denials"] == 4
    assert snapshot["events"][0] == {"account": inside[0], "action": "guardduty:ListDetectors", "resource": "*", "region": "eu-west-1"}
    assert {e["action"] for e in snapshot["events"]} == {"guardduty:ListDetectors", "cloudtrail:DescribeTrails", "sns:CreateTopic"}
    emu.control("POST", "reset")
    assert emu.control("GET", "guardrails") == {"denials": 0, "events": []}


def test_region_deny_follows_the_account_into_the_ou(emu, denied):
    org, inside, outside = denied
    orgs = emu.client("organizations")
    orgs.move_account(AccountId=outside[0], SourceParentId=org["ous"][1]["id"], DestinationParentId=org["ous"][0]["id"])
    assert error_of(lambda: emu.as_member(outside[0], region="eu-west-1")("sns").list_topics())[0] == "AuthorizationError"
    # A child OU of the denied OU is covered too (an SCP applies below its OU).
    child = orgs.create_organizational_unit(ParentId=org["ous"][0]["id"], Name="child")["OrganizationalUnit"]["Id"]
    orgs.move_account(AccountId=outside[0], SourceParentId=org["ous"][0]["id"], DestinationParentId=child)
    assert error_of(lambda: emu.as_member(outside[0], region="eu-west-1")("sns").list_topics())[0] == "AuthorizationError"
    orgs.move_account(AccountId=inside[0], SourceParentId=org["ous"][0]["id"], DestinationParentId=org["root_id"])
    assert emu.as_member(inside[0], region="eu-west-1")("sns").list_topics()["Topics"] == []


def test_region_deny_exempts_control_tower_execution(emu):
    org = emu.seed(accounts=1, ous=1, landing_zone=True, region_deny={"ou": "security", "regions": ["eu-west-1"]}, seed=8)
    audit = org["landing_zone"]["audit"]
    assert org["region_deny"]["ou"] == org["landing_zone"]["security_ou"]
    assert error_of(lambda: emu.as_member(audit, region="eu-west-1")("guardduty").list_detectors())[0] == "AccessDeniedException"
    creds = emu.member_creds(audit, role="AWSControlTowerExecution")
    assert emu.client("guardduty", "eu-west-1", creds).list_detectors()["DetectorIds"] == []


def test_region_deny_seed_errors(emu):
    assert "seeded OUs" in control_error(emu, "POST", "seed", {"ous": 1, "region_deny": {"ou": "ou-index:2", "regions": ["eu-west-1"]}})
    assert "landing_zone" in control_error(emu, "POST", "seed", {"region_deny": {"ou": "security", "regions": ["eu-west-1"]}})
    assert "non-empty" in control_error(emu, "POST", "seed", {"region_deny": {"ou": "ou-index:1", "regions": []}})
    assert "non-empty" in control_error(emu, "POST", "seed", {"region_deny": {"ou": "ou-index:1", "regions": ["mars-1"]}})
    assert "must be null" in control_error(emu, "POST", "seed", {"region_deny": {"ou": "ou-index:1"}})
    assert "not an OU of the seeded organization" in control_error(
        emu, "POST", "seed", {"region_deny": {"ou": "ou-abcd-12345678", "regions": ["eu-west-1"]}})


# -- GuardDuty export from and to opt-in Regions ------------------------------------------------------


def gd_policies(emu, bucket, region, services, key_region=None):
    """A bucket of the management account in `region` and a key in `key_region` (default the
    bucket's), both admitting the GuardDuty principals `services`."""
    s3 = emu.client("s3", region)
    kw = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **kw)
    arn = f"arn:aws:s3:::{bucket}"
    principal = {"Service": services}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Loc", "Effect": "Allow", "Principal": principal, "Action": "s3:GetBucketLocation", "Resource": arn},
        {"Sid": "Put", "Effect": "Allow", "Principal": principal, "Action": "s3:PutObject", "Resource": f"{arn}/*"}]}))
    kms = emu.client("kms", key_region or region)
    key = kms.create_key()["KeyMetadata"]
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "GD", "Effect": "Allow", "Principal": principal, "Action": "kms:GenerateDataKey", "Resource": "*"}]}))
    return s3, key["Arn"]


def export(emu, region, bucket, key_arn):
    gd = emu.client("guardduty", region)
    detectors = gd.list_detectors()["DetectorIds"]
    det = detectors[0] if detectors else gd.create_detector(Enable=True)["DetectorId"]
    call = lambda: gd.create_publishing_destination(
        DetectorId=det, DestinationType="S3", DestinationProperties={"DestinationArn": f"arn:aws:s3:::{bucket}", "KmsKeyArn": key_arn})
    return gd, det, call


def bad_request(call):
    code, status, message = error_of(call)
    assert (code, status) == ("BadRequestException", 400)
    return message


def test_opt_in_region_export_needs_the_regional_principal(emu):
    emu.seed(accounts=1, ous=0, seed=9)
    regional = f"guardduty.{OPT_IN}.amazonaws.com"
    _s3, key = gd_policies(emu, "global-only", OPT_IN, "guardduty.amazonaws.com")
    _gd, _det, call = export(emu, OPT_IN, "global-only", key)
    message = bad_request(call)
    assert "bucket policy of global-only" in message and regional in message
    s3, key = gd_policies(emu, "regional", OPT_IN, regional)
    gd, det, call = export(emu, OPT_IN, "regional", key)
    dest = call()["DestinationId"]
    gd.create_sample_findings(DetectorId=det)
    assert s3.list_objects_v2(Bucket="regional", Prefix=f"AWSLogs/{MGMT}/GuardDuty/{OPT_IN}/")["KeyCount"] == 1
    # A policy that later names only the global principal stops publishing.
    s3.put_bucket_policy(Bucket="regional", Policy=s3.get_bucket_policy(Bucket="regional")["Policy"].replace(regional, "guardduty.amazonaws.com"))
    gd.create_sample_findings(DetectorId=det)
    assert gd.describe_publishing_destination(DetectorId=det, DestinationId=dest)["Status"] == "UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY"


def test_opt_in_region_exports_to_a_commercial_bucket_with_the_regional_principal(emu):
    emu.seed(accounts=1, ous=0, seed=10)
    regional = f"guardduty.{OPT_IN}.amazonaws.com"
    _s3, key = gd_policies(emu, "central-global", "us-east-1", "guardduty.amazonaws.com")
    assert regional in bad_request(export(emu, OPT_IN, "central-global", key)[2])
    _s3, key = gd_policies(emu, "central", "us-east-1", [regional, "guardduty.amazonaws.com"])
    assert export(emu, OPT_IN, "central", key)[2]()["DestinationId"]
    # ... and the commercial Region's detector needs only the global principal.
    assert export(emu, "eu-west-1", "central", key)[2]()["DestinationId"]


def test_bucket_region_rules(emu):
    emu.seed(accounts=1, ous=0, seed=12)
    both = ["guardduty.amazonaws.com", f"guardduty.{OPT_IN}.amazonaws.com", "guardduty.me-south-1.amazonaws.com"]
    _s3, key = gd_policies(emu, "opt-in-bucket", OPT_IN, both)
    # A commercial Region's findings cannot go to an opt-in Region.
    message = bad_request(export(emu, "us-east-1", "opt-in-bucket", key)[2])
    assert "cannot be exported to a bucket in an opt-in Region" in message and OPT_IN in message
    # Nor one opt-in Region's to another.
    message = bad_request(export(emu, "me-south-1", "opt-in-bucket", key)[2])
    assert "another opt-in Region" in message
    # The key must be in the bucket's Region.
    _s3, key_elsewhere = gd_policies(emu, "split", OPT_IN, both, key_region="eu-west-1")
    assert "not in the same Region" in bad_request(export(emu, OPT_IN, "split", key_elsewhere)[2])


def test_seeded_foreign_destination_in_an_opt_in_home_publishes(emu):
    org = emu.seed(accounts=1, ous=0, regions=[OPT_IN], foreign_destinations=1, seed=13)
    [foreign] = org["foreign_destinations"]
    member = emu.as_member(foreign["account"], region=OPT_IN)
    policy = member("s3").get_bucket_policy(Bucket=foreign["bucket"])["Policy"]
    assert f"guardduty.{OPT_IN}.amazonaws.com" in policy
    gd = member("guardduty")
    gd.create_sample_findings(DetectorId=foreign["detector_id"])
    assert gd.describe_publishing_destination(DetectorId=foreign["detector_id"], DestinationId=foreign["destination_id"])["Status"] == "PUBLISHING"


# -- S3: notifications to another Region, GetBucketLocation -------------------------------------------


def test_notification_to_a_topic_of_another_region_is_refused(emu):
    emu.seed(accounts=1, ous=0, seed=14)
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="events-bucket")
    condition = {"ArnLike": {"aws:SourceArn": "arn:aws:s3:*:*:events-bucket"}, "StringEquals": {"aws:SourceAccount": MGMT}}

    def topic(region):
        sns = emu.client("sns", region)
        arn = sns.create_topic(Name=f"events-{region}")["TopicArn"]
        sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "SNS:Publish", "Resource": arn, "Condition": condition}]}))
        return arn

    put = lambda arn: s3.put_bucket_notification_configuration(Bucket="events-bucket", NotificationConfiguration={
        "TopicConfigurations": [{"Id": "r", "TopicArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    code, status, message = error_of(lambda: put(topic("eu-west-1")))
    assert (code, status, message) == ("InvalidArgument", 400, "The notification destination service region is not valid for the bucket location constraint")
    put(topic("us-east-1"))
    assert s3.get_bucket_notification_configuration(Bucket="events-bucket")["TopicConfigurations"][0]["Id"] == "r"


def test_get_bucket_location_answers_the_buckets_region(emu):
    org = emu.seed(accounts=1, ous=0, seed=15)
    for region in ("us-east-1", "eu-west-1", OPT_IN):
        kw = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        emu.client("s3", region).create_bucket(Bucket=f"loc-{region}", **kw)
    s3 = emu.client("s3")
    assert s3.get_bucket_location(Bucket="loc-us-east-1")["LocationConstraint"] is None
    assert s3.get_bucket_location(Bucket="loc-eu-west-1")["LocationConstraint"] == "eu-west-1"
    assert s3.get_bucket_location(Bucket=f"loc-{OPT_IN}")["LocationConstraint"] == OPT_IN
    # Asked from another account (whose policy here does not matter) and Region.
    member = emu.as_member(org["accounts"][0]["id"], region="eu-west-1")
    assert member("s3").get_bucket_location(Bucket="loc-eu-west-1")["LocationConstraint"] == "eu-west-1"
