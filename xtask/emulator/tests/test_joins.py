"""Accounts joining the organization: CreateAccount (JoinedMethod CREATED, the access role),
invitations (InviteAccountToOrganization / AcceptHandshake: INVITED, no access role), and what
follows: GuardDuty's auto-enable of the newcomers."""

import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import MGMT

REGION = "us-east-1"
OUTSIDER = "210987654321"


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    err = info.value.response["Error"]
    return err["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Message"), info.value.response.get("Reason")


def outsider_client(emu, service="organizations", account=OUTSIDER):
    """Credentials of a standalone account (outside any organization)."""
    creds = emu.control("POST", "credentials", {"principal_arn": f"arn:aws:iam::{account}:root"})
    return emu.client(service, REGION, {"AccessKeyId": creds["access_key_id"], "SecretAccessKey": creds["secret_access_key"]})


@pytest.fixture()
def org(emu):
    return emu.seed(accounts=3, ous=1, regions=[REGION], seed=5)


def test_create_account_joins_the_root_with_its_access_role(emu, org):
    orgs = emu.client("organizations")
    before = time.time()
    status = orgs.create_account(AccountName="fresh", Email="fresh@example.com", RoleName="BreakGlass")["CreateAccountStatus"]
    assert status["State"] == "SUCCEEDED"
    account = status["AccountId"]
    described = orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    assert described["AccountId"] == account and described["State"] == "SUCCEEDED"
    acct = orgs.describe_account(AccountId=account)["Account"]
    assert acct["JoinedMethod"] == "CREATED"
    assert acct["JoinedTimestamp"].timestamp() >= before - 1
    assert orgs.list_parents(ChildId=account)["Parents"] == [{"Id": org["root_id"], "Type": "ROOT"}]
    creds = emu.member_creds(account, role="BreakGlass")
    assert emu.client("sts", creds=creds).get_caller_identity()["Account"] == account
    trust = emu.client("iam", creds=creds).get_role(RoleName="BreakGlass")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{MGMT}:root"}


def test_invitation_accepted_by_the_invited_account(emu, org):
    orgs = emu.client("organizations")
    hs = orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": OUTSIDER}, Notes="join us")["Handshake"]
    assert hs["State"] == "OPEN" and hs["Action"] == "INVITE"
    assert hs["Id"].startswith("h-")
    assert hs["Arn"] == f"arn:aws:organizations::{MGMT}:handshake/{org['organization_id']}/invite/{hs['Id']}"
    assert {"Id": OUTSIDER, "Type": "ACCOUNT"} in hs["Parties"]
    assert (hs["ExpirationTimestamp"] - hs["RequestedTimestamp"]).days == 15
    # The same target twice while the first is open.
    assert error_of(lambda: orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": OUTSIDER}))[:2] == ("DuplicateHandshakeException", 400)
    # A member of the organization cannot be invited again.
    member = org["accounts"][0]["id"]
    code, status, _msg, reason = error_of(lambda: orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": member}))
    assert (code, status, reason) == ("HandshakeConstraintViolationException", 400, "ALREADY_IN_AN_ORGANIZATION")
    outsider = outsider_client(emu)
    listed = outsider.list_handshakes_for_account()["Handshakes"]
    assert [h["Id"] for h in listed] == [hs["Id"]]
    # The management account cannot accept its own invitation.
    assert error_of(lambda: orgs.accept_handshake(HandshakeId=hs["Id"]))[0] == "AccessDeniedException"
    before = time.time()
    accepted = outsider.accept_handshake(HandshakeId=hs["Id"])["Handshake"]
    assert accepted["State"] == "ACCEPTED"
    assert error_of(lambda: outsider.accept_handshake(HandshakeId=hs["Id"]))[0] == "HandshakeAlreadyInStateException"
    acct = orgs.describe_account(AccountId=OUTSIDER)["Account"]
    assert acct["JoinedMethod"] == "INVITED"
    assert acct["JoinedTimestamp"].timestamp() >= before - 1
    assert acct["Status"] == "ACTIVE"
    assert orgs.list_parents(ChildId=OUTSIDER)["Parents"] == [{"Id": org["root_id"], "Type": "ROOT"}]
    assert OUTSIDER in [a["Id"] for a in orgs.list_accounts(MaxResults=20)["Accounts"]]
    # No OrganizationAccountAccessRole in an invited account.
    code = error_of(lambda: emu.member_creds(OUTSIDER))[0]
    assert code == "AccessDenied"
    assert outsider.describe_organization()["Organization"]["Id"] == org["organization_id"]
    assert orgs.describe_handshake(HandshakeId=hs["Id"])["Handshake"]["State"] == "ACCEPTED"
    assert [h["Id"] for h in orgs.list_handshakes_for_organization()["Handshakes"]] == [hs["Id"]]
    assert error_of(lambda: orgs.describe_handshake(HandshakeId="h-000000000000"))[0] == "HandshakeNotFoundException"


def test_declined_and_canceled_invitations(emu, org):
    orgs = emu.client("organizations")
    first = orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": OUTSIDER})["Handshake"]["Id"]
    outsider = outsider_client(emu)
    assert outsider.decline_handshake(HandshakeId=first)["Handshake"]["State"] == "DECLINED"
    assert error_of(lambda: outsider.accept_handshake(HandshakeId=first))[0] == "InvalidHandshakeTransitionException"
    second = orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": OUTSIDER})["Handshake"]["Id"]
    assert orgs.cancel_handshake(HandshakeId=second)["Handshake"]["State"] == "CANCELED"
    assert error_of(lambda: outsider.accept_handshake(HandshakeId=second))[0] == "InvalidHandshakeTransitionException"
    # Another standalone account does not see an invitation meant for OUTSIDER.
    other = outsider_client(emu, account="333333333333")
    third = orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": OUTSIDER})["Handshake"]["Id"]
    assert error_of(lambda: other.accept_handshake(HandshakeId=third))[0] == "HandshakeNotFoundException"
    # Only the management account invites.
    member = emu.as_member(org["accounts"][0]["id"])("organizations")
    assert error_of(lambda: member.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": "444444444444"}))[0] == "AccessDeniedException"
    assert error_of(lambda: orgs.invite_account_to_organization(Target={"Type": "ACCOUNT", "Id": "12"}))[3] == "INVALID_PARTY_TYPE_TARGET"


def test_invite_control_shortcut(emu, org):
    answer = emu.control("POST", "organizations/invite", {"account": OUTSIDER, "name": "Acquired", "email": "acq@example.com"})
    assert answer["joined_method"] == "INVITED"
    acct = emu.client("organizations").describe_account(AccountId=OUTSIDER)["Account"]
    assert (acct["Name"], acct["Email"], acct["JoinedMethod"]) == ("Acquired", "acq@example.com", "INVITED")
    with pytest.raises(Exception):
        emu.control("POST", "organizations/invite", {"account": OUTSIDER})


def test_invited_account_gets_the_stack_set_role(emu, org):
    """An invited account lands in the root: a stack set targeting the root deploys to it."""
    cfn = emu.client("cloudformation")
    cfn.activate_organizations_access()
    body = json.dumps({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "Radiant", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "sts:AssumeRole"}]}}}}})
    cfn.create_stack_set(StackSetName="s", TemplateBody=body, PermissionModel="SERVICE_MANAGED", Capabilities=["CAPABILITY_NAMED_IAM"],
                         AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False})
    cfn.create_stack_instances(StackSetName="s", Regions=[REGION], DeploymentTargets={"OrganizationalUnitIds": [org["root_id"]]},
                               OperationPreferences={"MaxConcurrentPercentage": 100})
    emu.control("POST", "organizations/invite", {"account": OUTSIDER})
    inst = cfn.describe_stack_instance(StackSetName="s", StackInstanceAccount=OUTSIDER, StackInstanceRegion=REGION)["StackInstance"]
    assert inst["Status"] == "CURRENT"
    iam = outsider_client(emu, "iam")
    assert iam.get_role(RoleName="Radiant")["Role"]["RoleName"] == "Radiant"


# -- GuardDuty auto-enable -------------------------------------------------------------------------


def gd_admin_org(emu, mode="NEW", features=(("S3_DATA_EVENTS", "NEW"),)):
    seeded = emu.seed(accounts=3, ous=1, regions=[REGION, "eu-west-1"], guardduty_admin=None, seed=8)
    admin = seeded["accounts"][0]["id"]
    for region in (REGION, "eu-west-1"):
        emu.client("guardduty", region).enable_organization_admin_account(AdminAccountId=admin)
    client = emu.as_member(admin)
    gd = client("guardduty", REGION)
    det = gd.create_detector(Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES")["DetectorId"]
    gd.update_organization_configuration(DetectorId=det, AutoEnableOrganizationMembers=mode,
                                         Features=[{"Name": n, "AutoEnable": m} for n, m in features])
    return seeded, admin, gd, det


def test_guardduty_auto_enables_an_account_that_joins_later(emu):
    seeded, admin, gd, det = gd_admin_org(emu)
    existing = seeded["accounts"][1]["id"]
    emu.control("POST", "guardduty/auto-enable", {"delay_s": 1.0})
    account = emu.client("organizations").create_account(AccountName="late", Email="late@example.com")["CreateAccountStatus"]["AccountId"]
    # Not yet: the delay runs.
    assert gd.list_members(DetectorId=det)["Members"] == []
    assert emu.as_member(account)("guardduty").list_detectors()["DetectorIds"] == []
    assert emu.control("GET", "guardduty/auto-enable")["pending"][0]["account"] == account
    time.sleep(1.1)
    members = gd.list_members(DetectorId=det)["Members"]
    assert [(m["AccountId"], m["RelationshipStatus"]) for m in members] == [(account, "Enabled")]
    member_gd = emu.as_member(account)("guardduty")
    ids = member_gd.list_detectors()["DetectorIds"]
    assert len(ids) == 1
    features = {f["Name"]: f["Status"] for f in member_gd.get_detector(DetectorId=ids[0])["Features"]}
    assert features["S3_DATA_EVENTS"] == "ENABLED"
    got = gd.get_members(DetectorId=det, AccountIds=[account])["Members"]
    assert got[0]["DetectorId"] == ids[0]
    configs = gd.get_member_detectors(DetectorId=det, AccountIds=[account])["MemberDataSourceConfigurations"]
    assert {f["Name"]: f["Status"] for f in configs[0]["Features"]}["S3_DATA_EVENTS"] == "ENABLED"
    # Only where the administrator set the configuration: not in eu-west-1.
    assert emu.as_member(account)("guardduty", "eu-west-1").list_detectors()["DetectorIds"] == []
    # Existing accounts are not added (AWS: up to 24 hours; the product adds them itself).
    assert emu.as_member(existing)("guardduty").list_detectors()["DetectorIds"] == []
    assert existing not in [m["AccountId"] for m in members]


def test_guardduty_auto_enable_none_adds_nobody_and_invited_accounts_count(emu):
    seeded, admin, gd, det = gd_admin_org(emu, mode="ALL", features=(("S3_DATA_EVENTS", "NONE"),))
    emu.control("POST", "organizations/invite", {"account": OUTSIDER})
    members = gd.list_members(DetectorId=det)["Members"]
    assert [m["AccountId"] for m in members] == [OUTSIDER]
    outsider_gd = outsider_client(emu, "guardduty")
    ids = outsider_gd.list_detectors()["DetectorIds"]
    features = {f["Name"]: f["Status"] for f in outsider_gd.get_detector(DetectorId=ids[0])["Features"]}
    assert features.get("S3_DATA_EVENTS") == "DISABLED"
    gd.update_organization_configuration(DetectorId=det, AutoEnableOrganizationMembers="NONE")
    account = emu.client("organizations").create_account(AccountName="late", Email="late@example.com")["CreateAccountStatus"]["AccountId"]
    assert account not in [m["AccountId"] for m in gd.list_members(DetectorId=det)["Members"]]
    assert emu.control("POST", "guardduty/auto-enable", {"delay_s": 0})["delay_s"] == 0.0
    with pytest.raises(Exception):
        emu.control("POST", "guardduty/auto-enable", {"delay_s": -5})
