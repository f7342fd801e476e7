"""CloudFormation StackSets with service-managed permissions: trusted access, CallAs, targets
(descendant OUs, the root, account filters, never the management account), real deployment of
AWS::IAM::Role, failures and failure tolerance, operation time and queueing, updates,
deletions, automatic deployment. Every call goes through boto3 (the query protocol, XML
answers), as the Rust SDK sends it."""

import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import MGMT

REGION = "us-east-1"
PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"
ROLE = "RadiantMemberRole"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "sts:AssumeRole",
     "Condition": {"StringEquals": {"sts:ExternalId": "radiant-ext"}}}]}
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}


def template(role=ROLE, policy=READ, description="Radiant member role", extra_tags=None):
    tags = [{"Key": "managed-by", "Value": "radiant-onboard"}] + (extra_tags or [])
    return json.dumps({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Radiant member role",
        "Resources": {
            "MemberRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": role,
                    "AssumeRolePolicyDocument": TRUST,
                    "Description": description,
                    "MaxSessionDuration": 7200,
                    "Policies": [{"PolicyName": "radiant-read", "PolicyDocument": policy}],
                    "Tags": tags,
                },
            }
        },
        "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": ["MemberRole", "Arn"]}}},
    })


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    err = info.value.response["Error"]
    return err["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"], err["Message"]


def activate(emu, region=REGION):
    emu.client("cloudformation", region).activate_organizations_access()


def create_set(cfn, name="radiant", body=None, auto=True, managed=True, caps=("CAPABILITY_NAMED_IAM",), **kw):
    args = dict(
        StackSetName=name, TemplateBody=body or template(), PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": auto, "RetainStacksOnAccountRemoval": False},
        ManagedExecution={"Active": managed}, Capabilities=list(caps),
        Tags=[{"Key": "owner", "Value": "radiant"}], Description="Radiant member role everywhere",
    )
    args.update(kw)
    return cfn.create_stack_set(**args)["StackSetId"]


def op_status(cfn, name, op_id, **kw):
    return cfn.describe_stack_set_operation(StackSetName=name, OperationId=op_id, **kw)["StackSetOperation"]["Status"]


def instances(cfn, name, **kw):
    out, token = [], None
    while True:
        page = cfn.list_stack_instances(StackSetName=name, **({"NextToken": token} if token else {}), **kw)
        out += page["Summaries"]
        token = page.get("NextToken")
        if not token:
            return out


def role_of(emu, account, name=ROLE):
    iam = emu.client("iam") if account == MGMT else emu.as_member(account)("iam")
    return iam.get_role(RoleName=name)["Role"]


def has_role(emu, account, name=ROLE):
    try:
        role_of(emu, account, name)
        return True
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchEntity"
        return False


def wait_for(check, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if check():
            return
        time.sleep(0.1)
    assert check()


@pytest.fixture()
def org(emu):
    return emu.seed(accounts=6, ous=2, regions=[REGION], suspended=1, seed=11)


def active(org):
    return [a["id"] for a in org["accounts"] if a["status"] == "ACTIVE"]


# -- trusted access and who may call -----------------------------------------------------------


def test_trusted_access_and_service_principal(emu, org):
    cfn = emu.client("cloudformation")
    orgs = emu.client("organizations")
    assert cfn.describe_organizations_access()["Status"] == "DISABLED"
    # Enabling the principal through Organizations alone is not CloudFormation's trusted access.
    orgs.enable_aws_service_access(ServicePrincipal=PRINCIPAL)
    assert cfn.describe_organizations_access()["Status"] == "DISABLED"
    code, status, message = error_of(lambda: create_set(cfn))
    assert (code, status) == ("ValidationError", 400)
    assert message == "You must enable organizations access to operate a service managed stack set"
    cfn.activate_organizations_access()
    assert cfn.describe_organizations_access()["Status"] == "ENABLED"
    principals = [s["ServicePrincipal"] for s in orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]]
    assert PRINCIPAL in principals
    create_set(cfn)
    # Organizations' DisableAWSServiceAccess turns it off again.
    orgs.disable_aws_service_access(ServicePrincipal=PRINCIPAL)
    assert cfn.describe_organizations_access()["Status"] == "DISABLED"


def test_only_the_management_account_or_a_registered_delegated_admin(emu, org):
    activate(emu)
    member = active(org)[0]
    mcfn = emu.as_member(member)("cloudformation")
    # A member calling as itself: not the management account.
    code, status, message = error_of(lambda: create_set(mcfn))
    assert (code, status, message) == ("ValidationError", 400, "You must be the management account or delegated admin account of an organization before operating a SERVICE_MANAGED stack set")
    # As a delegated administrator before it is registered.
    code, _, message = error_of(lambda: create_set(mcfn, CallAs="DELEGATED_ADMIN"))
    assert (code, message) == ("ValidationError", "Account used is not a delegated administrator")
    assert error_of(lambda: mcfn.activate_organizations_access())[0] == "ValidationError"

    emu.client("organizations").register_delegated_administrator(AccountId=member, ServicePrincipal=PRINCIPAL)
    admins = emu.client("organizations").list_delegated_administrators(ServicePrincipal=PRINCIPAL)["DelegatedAdministrators"]
    assert [a["Id"] for a in admins] == [member]
    assert mcfn.describe_organizations_access(CallAs="DELEGATED_ADMIN")["Status"] == "ENABLED"
    set_id = create_set(mcfn, CallAs="DELEGATED_ADMIN")
    # The stack set lives in the management account ("Stack sets with service-managed
    # permissions are created in the management account, including stack sets created by
    # delegated administrators").
    described = mcfn.describe_stack_set(StackSetName="radiant", CallAs="DELEGATED_ADMIN")["StackSet"]
    assert described["StackSetId"] == set_id
    assert described["StackSetARN"].startswith(f"arn:aws:cloudformation:{REGION}:{MGMT}:stackset/radiant:")
    assert emu.client("cloudformation").describe_stack_set(StackSetName="radiant")["StackSet"]["StackSetId"] == set_id
    # The delegated administrator calling as itself does not see it.
    code, status, _ = error_of(lambda: mcfn.describe_stack_set(StackSetName="radiant"))
    assert (code, status) == ("StackSetNotFoundException", 404)
    code, _, message = error_of(lambda: create_set(mcfn, name="other"))
    assert message.startswith("You must be the management account or delegated admin account")
    # Deployment through the delegated administrator.
    roots = emu.client("organizations").list_roots()["Roots"]
    op = mcfn.create_stack_instances(StackSetName="radiant", CallAs="DELEGATED_ADMIN", Regions=[REGION],
                                     DeploymentTargets={"OrganizationalUnitIds": [roots[0]["Id"]]},
                                     OperationPreferences={"FailureTolerancePercentage": 100, "MaxConcurrentPercentage": 100})["OperationId"]
    assert op_status(mcfn, "radiant", op, CallAs="DELEGATED_ADMIN") == "SUCCEEDED"
    assert has_role(emu, active(org)[1])
    assert error_of(lambda: mcfn.describe_stack_set(StackSetName="nope", CallAs="DELEGATED_ADMIN"))[:2] == ("StackSetNotFoundException", 404)
    assert error_of(lambda: mcfn.describe_stack_set(StackSetName="radiant", CallAs="OTHER"))[0] == "ValidationError"


# -- targets -----------------------------------------------------------------------------------


def test_root_target_deploys_the_role_everywhere_but_the_management_account(emu, org):
    activate(emu)
    cfn = emu.client("cloudformation")
    set_id = create_set(cfn)
    root = org["root_id"]
    op = cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={"OrganizationalUnitIds": [root]},
                                    OperationPreferences={"FailureToleranceCount": 0, "MaxConcurrentCount": 10})["OperationId"]
    assert op_status(cfn, "radiant", op) == "SUCCEEDED"
    found = {i["Account"]: i for i in instances(cfn, "radiant")}
    members = [a["id"] for a in org["accounts"]]
    assert sorted(found) == sorted(members)  # the management account is never a target
    assert MGMT not in found
    suspended = [a["id"] for a in org["accounts"] if a["status"] == "SUSPENDED"]
    for account in active(org):
        inst = found[account]
        assert inst["Status"] == "CURRENT"
        assert inst["StackInstanceStatus"]["DetailedStatus"] == "SUCCEEDED"
        assert inst["StackSetId"] == set_id
        assert inst["LastOperationId"] == op
        assert inst["Region"] == REGION
        assert inst["OrganizationalUnitId"] == root
        assert inst["StackId"].startswith(f"arn:aws:cloudformation:{REGION}:{account}:stack/StackSet-radiant-")
        role = role_of(emu, account)
        assert role["Description"] == "Radiant member role"
        assert role["MaxSessionDuration"] == 7200
        assert role["AssumeRolePolicyDocument"] == TRUST
        tags = {t["Key"]: t["Value"] for t in role["Tags"]}
        # The stack set's tags reach the stack's resources too.
        assert tags == {"managed-by": "radiant-onboard", "owner": "radiant"}
        iam = emu.as_member(account)("iam")
        assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == ["radiant-read"]
        assert iam.get_role_policy(RoleName=ROLE, PolicyName="radiant-read")["PolicyDocument"] == READ
    # A suspended account is skipped, not failed.
    assert found[suspended[0]]["StackInstanceStatus"]["DetailedStatus"] == "SKIPPED_SUSPENDED_ACCOUNT"
    assert not has_role(emu, MGMT)
    described = cfn.describe_stack_set(StackSetName="radiant")["StackSet"]
    assert described["OrganizationalUnitIds"] == [root]
    assert described["Regions"] == [REGION]
    assert described["PermissionModel"] == "SERVICE_MANAGED"
    assert described["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert described["ManagedExecution"] == {"Active": True}
    assert described["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert described["Description"] == "Radiant member role everywhere"
    one = cfn.describe_stack_instance(StackSetName="radiant", StackInstanceAccount=active(org)[0], StackInstanceRegion=REGION)["StackInstance"]
    assert one["Status"] == "CURRENT" and one["StackInstanceStatus"]["DetailedStatus"] == "SUCCEEDED"
    results = cfn.list_stack_set_operation_results(StackSetName="radiant", OperationId=op)["Summaries"]
    assert {r["Account"] for r in results} == set(members)
    assert all(r["Status"] == "SUCCEEDED" for r in results if r["Account"] in active(org))
    assert error_of(lambda: cfn.describe_stack_instance(StackSetName="radiant", StackInstanceAccount=MGMT, StackInstanceRegion=REGION))[:2] == ("StackInstanceNotFoundException", 404)


def test_ou_target_includes_every_descendant_ou(emu, org):
    activate(emu)
    orgs = emu.client("organizations")
    top = org["ous"][0]["id"]
    child = orgs.create_organizational_unit(ParentId=top, Name="child")["OrganizationalUnit"]["Id"]
    grandchild = orgs.create_organizational_unit(ParentId=child, Name="grandchild")["OrganizationalUnit"]["Id"]
    deep = active(org)[1]  # in ou-02 at first
    orgs.move_account(AccountId=deep, SourceParentId=org["ous"][1]["id"], DestinationParentId=grandchild)
    in_top = [a["id"] for a in org["accounts"] if a["ou_id"] == top and a["status"] == "ACTIVE"]
    cfn = emu.client("cloudformation")
    create_set(cfn, auto=False)
    op = cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={"OrganizationalUnitIds": [top]},
                                    OperationPreferences={"MaxConcurrentPercentage": 100})["OperationId"]
    assert op_status(cfn, "radiant", op) == "SUCCEEDED"
    found = {i["Account"]: i["OrganizationalUnitId"] for i in instances(cfn, "radiant")}
    assert sorted(found) == sorted(in_top + [deep])
    assert found[deep] == top
    assert has_role(emu, deep)


def test_account_filters(emu, org):
    activate(emu)
    cfn = emu.client("cloudformation")
    create_set(cfn, auto=False)
    root = org["root_id"]
    a, b, c = active(org)[:3]
    # INTERSECTION: only the named accounts of the targets.
    op = cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={
        "OrganizationalUnitIds": [root], "Accounts": [a, MGMT], "AccountFilterType": "INTERSECTION"})["OperationId"]
    assert op_status(cfn, "radiant", op) == "SUCCEEDED"
    assert [i["Account"] for i in instances(cfn, "radiant")] == [a]
    # DIFFERENCE: every account of the targets but the named ones.
    cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={
        "OrganizationalUnitIds": [root], "Accounts": [b, c], "AccountFilterType": "DIFFERENCE"},
        OperationPreferences={"MaxConcurrentPercentage": 100})
    listed = {i["Account"] for i in instances(cfn, "radiant")}
    assert b not in listed and c not in listed and a in listed and MGMT not in listed
    assert not has_role(emu, b)
    # UNION is not supported by CreateStackInstances; accounts need a filter type.
    code, status, _ = error_of(lambda: cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={
        "OrganizationalUnitIds": [root], "Accounts": [b], "AccountFilterType": "UNION"}))
    assert (code, status) == ("ValidationError", 400)
    code, _, message = error_of(lambda: cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={
        "OrganizationalUnitIds": [root], "Accounts": [b]}))
    assert (code, message) == ("ValidationError", "AccountFilterType should be specified when both OrganizationalUnitIds and Accounts are provided")
    assert error_of(lambda: cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], Accounts=[b]))[0] == "ValidationError"
    assert error_of(lambda: cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION],
                                                       DeploymentTargets={"OrganizationalUnitIds": ["ou-zzzz-zzzzzzzz"]}))[0] == "ValidationError"


# -- failures ----------------------------------------------------------------------------------


def test_existing_role_fails_that_instance_others_continue_within_tolerance(emu, org):
    activate(emu)
    taken = active(org)[0]
    emu.as_member(taken)("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    cfn = emu.client("cloudformation")
    create_set(cfn, auto=False)
    op = cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={"OrganizationalUnitIds": [org["root_id"]]},
                                    OperationPreferences={"FailureTolerancePercentage": 100, "MaxConcurrentPercentage": 100})["OperationId"]
    described = cfn.describe_stack_set_operation(StackSetName="radiant", OperationId=op)["StackSetOperation"]
    assert described["Status"] == "SUCCEEDED"
    assert described["StatusDetails"]["FailedStackInstancesCount"] == 1
    found = {i["Account"]: i for i in instances(cfn, "radiant")}
    bad = found[taken]
    assert bad["Status"] == "OUTDATED"
    assert bad["StackInstanceStatus"]["DetailedStatus"] == "FAILED"
    assert f"Resource of type 'AWS::IAM::Role' with identifier '{ROLE}' already exists." in bad["StatusReason"]
    assert bad["StatusReason"].startswith("ResourceLogicalId:MemberRole, ResourceType:AWS::IAM::Role, ResourceStatusReason:")
    for account in active(org)[1:]:
        assert found[account]["Status"] == "CURRENT"
    # The hand-made role is untouched: no inline policy added.
    assert emu.as_member(taken)("iam").list_role_policies(RoleName=ROLE)["PolicyNames"] == []
    failed = cfn.list_stack_set_operation_results(StackSetName="radiant", OperationId=op,
                                                  Filters=[{"Name": "OPERATION_RESULT_STATUS", "Values": "FAILED"}])["Summaries"]
    assert [(r["Account"], r["Status"]) for r in failed] == [(taken, "FAILED")]


def test_default_tolerance_cancels_the_rest(emu, org):
    """FailureToleranceCount 0 and MaxConcurrentCount 1 by default: the first failure stops the
    operation, the accounts not yet deployed are CANCELLED."""
    activate(emu)
    first = active(org)[0]
    emu.control("POST", "stacksets/fail", {"account": first, "reason": "Injected: account gate says no"})
    cfn = emu.client("cloudformation")
    create_set(cfn, auto=False)
    op = cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={"OrganizationalUnitIds": [org["root_id"]]})["OperationId"]
    described = cfn.describe_stack_set_operation(StackSetName="radiant", OperationId=op)["StackSetOperation"]
    assert described["Status"] == "FAILED"
    results = {r["Account"]: r for r in cfn.list_stack_set_operation_results(StackSetName="radiant", OperationId=op)["Summaries"]}
    assert results[first]["Status"] == "FAILED"
    assert results[first]["StatusReason"] == "Injected: account gate says no"
    rest = [a for a in results if a != first]
    assert rest and all(results[a]["Status"] == "CANCELLED" for a in rest)
    found = {i["Account"]: i for i in instances(cfn, "radiant")}
    for account in rest:
        assert found[account]["StackInstanceStatus"]["DetailedStatus"] == "CANCELLED"
        assert found[account]["StatusReason"] == "Cancelled since failure tolerance has exceeded"
        assert not has_role(emu, account)
    assert not has_role(emu, first)
    # The injected failure stays until reset; then a retry (a new operation) deploys everywhere.
    emu.control("POST", "stacksets/fail/reset")
    assert emu.control("GET", "stacksets")["fail"] == []
    op = cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={"OrganizationalUnitIds": [org["root_id"]]},
                                    OperationPreferences={"MaxConcurrentPercentage": 100})["OperationId"]
    assert op_status(cfn, "radiant", op) == "SUCCEEDED"
    assert all(has_role(emu, a) for a in active(org))


def test_missing_capability_fails_the_instances(emu, org):
    activate(emu)
    cfn = emu.client("cloudformation")
    create_set(cfn, caps=(), auto=False)
    op = cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={"OrganizationalUnitIds": [org["ous"][0]["id"]]})["OperationId"]
    assert op_status(cfn, "radiant", op) == "FAILED"
    reasons = {i.get("StatusReason") for i in instances(cfn, "radiant") if i["StackInstanceStatus"]["DetailedStatus"] == "FAILED"}
    assert reasons == {"Requires capabilities : [CAPABILITY_NAMED_IAM]"}


def test_named_role_in_two_regions_collides_in_the_second(emu, org):
    """IAM is global: a named role deployed to two Regions of one account fails in the second."""
    activate(emu)
    cfn = emu.client("cloudformation")
    create_set(cfn, auto=False)
    ou = org["ous"][0]["id"]
    op = cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION, "eu-west-1"], DeploymentTargets={"OrganizationalUnitIds": [ou]},
                                    OperationPreferences={"FailureTolerancePercentage": 100, "MaxConcurrentPercentage": 100})["OperationId"]
    assert op_status(cfn, "radiant", op) == "SUCCEEDED"
    for inst in instances(cfn, "radiant"):
        if inst["Region"] == REGION:
            assert inst["Status"] == "CURRENT"
        else:
            assert inst["StackInstanceStatus"]["DetailedStatus"] == "FAILED"
            assert "already exists" in inst["StatusReason"]


def test_template_and_request_validation(emu, org):
    activate(emu)
    cfn = emu.client("cloudformation")
    code, status, message = error_of(lambda: create_set(cfn, body="{not json"))
    assert (code, status) == ("ValidationError", 400) and message.startswith("Template format error: JSON not well-formed.")
    assert error_of(lambda: create_set(cfn, body=json.dumps({"Resources": {}})))[2] == "Template format error: At least one Resources member must be defined."
    first = create_set(cfn, ClientRequestToken="req-1")
    # The same request again (an SDK retry) is the same stack set; another is a conflict.
    assert create_set(cfn, ClientRequestToken="req-1") == first
    code, status, message = error_of(lambda: create_set(cfn))
    assert (code, status, message) == ("NameAlreadyExistsException", 409, "StackSet radiant already exists")
    assert error_of(lambda: cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={"OrganizationalUnitIds": [org["root_id"]]},
                                                       OperationPreferences={"FailureToleranceCount": 1, "FailureTolerancePercentage": 10}))[0] == "ValidationError"
    assert error_of(lambda: cfn.describe_stack_set(StackSetName="missing"))[:2] == ("StackSetNotFoundException", 404)


# -- time, queueing, updates -------------------------------------------------------------------


def test_operations_take_time_and_queue_with_managed_execution(emu, org):
    activate(emu)
    emu.control("POST", "stacksets", {"operation_s": 1.0})
    cfn = emu.client("cloudformation")
    create_set(cfn, auto=False)
    target = {"OrganizationalUnitIds": [org["ous"][0]["id"]]}
    prefs = {"MaxConcurrentPercentage": 100}
    first = cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets=target, OperationPreferences=prefs,
                                       OperationId="op-1")["OperationId"]
    assert first == "op-1"
    assert op_status(cfn, "radiant", first) == "RUNNING"
    # A retried request (same OperationId, the SDK's idempotency token) is the same operation.
    assert cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets=target, OperationPreferences=prefs,
                                      OperationId="op-1")["OperationId"] == "op-1"
    assert len(cfn.list_stack_set_operations(StackSetName="radiant")["Summaries"]) == 1
    pending = instances(cfn, "radiant")
    assert pending and all(i["Status"] == "OUTDATED" for i in pending)
    account = pending[0]["Account"]
    assert not has_role(emu, account)
    second = cfn.update_stack_set(StackSetName="radiant", TemplateBody=template(description="v2"), Capabilities=["CAPABILITY_NAMED_IAM"])["OperationId"]
    assert op_status(cfn, "radiant", second) == "QUEUED"
    listed = cfn.list_stack_set_operations(StackSetName="radiant")["Summaries"]
    assert [s["OperationId"] for s in listed] == [second, first]
    wait_for(lambda: op_status(cfn, "radiant", first) == "SUCCEEDED", 5)
    assert role_of(emu, account)["Description"] == "Radiant member role"
    wait_for(lambda: op_status(cfn, "radiant", second) == "SUCCEEDED", 5)
    assert role_of(emu, account)["Description"] == "v2"
    assert all(i["Status"] == "CURRENT" for i in instances(cfn, "radiant"))
    described = cfn.describe_stack_set_operation(StackSetName="radiant", OperationId=second)["StackSetOperation"]
    assert described["Action"] == "UPDATE"
    assert described["EndTimestamp"] > described["CreationTimestamp"]


def test_without_managed_execution_a_second_operation_is_refused(emu, org):
    activate(emu)
    emu.control("POST", "stacksets", {"operation_s": 2.0})
    cfn = emu.client("cloudformation")
    create_set(cfn, managed=False, auto=False)
    target = {"OrganizationalUnitIds": [org["ous"][0]["id"]]}
    cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets=target)
    code, status, message = error_of(lambda: cfn.create_stack_instances(StackSetName="radiant", Regions=["eu-west-1"], DeploymentTargets=target))
    assert (code, status) == ("OperationInProgressException", 409)
    assert message.startswith(f"Another Operation on StackSet arn:aws:cloudformation:{REGION}:{MGMT}:stackset/radiant:") and message.endswith(" is in progress")


def test_update_changes_every_instance_and_delete_removes_the_roles(emu, org):
    activate(emu)
    cfn = emu.client("cloudformation")
    create_set(cfn, auto=False)
    ou = org["ous"][0]["id"]
    prefs = {"MaxConcurrentPercentage": 100}
    cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={"OrganizationalUnitIds": [ou]}, OperationPreferences=prefs)
    accounts = [i["Account"] for i in instances(cfn, "radiant") if i["Status"] == "CURRENT"]
    wider = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}
    op = cfn.update_stack_set(StackSetName="radiant", TemplateBody=template(policy=wider), Capabilities=["CAPABILITY_NAMED_IAM"],
                              OperationPreferences=prefs)["OperationId"]
    assert op_status(cfn, "radiant", op) == "SUCCEEDED"
    for account in accounts:
        doc = emu.as_member(account)("iam").get_role_policy(RoleName=ROLE, PolicyName="radiant-read")["PolicyDocument"]
        assert doc == wider
    assert json.loads(cfn.describe_stack_set(StackSetName="radiant")["StackSet"]["TemplateBody"])["Resources"]["MemberRole"]["Properties"]["Policies"][0]["PolicyDocument"] == wider
    code, status, _ = error_of(lambda: cfn.delete_stack_set(StackSetName="radiant"))
    assert (code, status) == ("StackSetNotEmptyException", 409)
    op = cfn.delete_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={"OrganizationalUnitIds": [ou]},
                                    RetainStacks=False, OperationPreferences=prefs)["OperationId"]
    assert op_status(cfn, "radiant", op) == "SUCCEEDED"
    assert instances(cfn, "radiant") == []
    assert not any(has_role(emu, a) for a in accounts)
    cfn.delete_stack_set(StackSetName="radiant")
    assert error_of(lambda: cfn.describe_stack_set(StackSetName="radiant"))[0] == "StackSetNotFoundException"


def test_list_stack_instances_pages(emu, org):
    activate(emu)
    cfn = emu.client("cloudformation")
    create_set(cfn, auto=False)
    cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], DeploymentTargets={"OrganizationalUnitIds": [org["root_id"]]},
                               OperationPreferences={"MaxConcurrentPercentage": 100})
    first = cfn.list_stack_instances(StackSetName="radiant", MaxResults=2)
    assert len(first["Summaries"]) == 2 and first["NextToken"]
    assert len(instances(cfn, "radiant", MaxResults=2)) == 6
    assert error_of(lambda: cfn.list_stack_instances(StackSetName="radiant", MaxResults=101))[0] == "ValidationError"
    failed = cfn.list_stack_instances(StackSetName="radiant", Filters=[{"Name": "DETAILED_STATUS", "Values": "SKIPPED_SUSPENDED_ACCOUNT"}])["Summaries"]
    assert len(failed) == 1
    one = cfn.list_stack_instances(StackSetName="radiant", StackInstanceAccount=active(org)[0])["Summaries"]
    assert [i["Account"] for i in one] == [active(org)[0]]


def test_counters_name_the_operations(emu, org):
    activate(emu)
    cfn = emu.client("cloudformation")
    create_set(cfn, auto=False)
    emu.control("POST", "counters/reset")
    cfn.describe_stack_set(StackSetName="radiant")
    cfn.list_stack_instances(StackSetName="radiant")
    cfn.describe_organizations_access()
    cfn.update_stack_set(StackSetName="radiant", UsePreviousTemplate=True, Capabilities=["CAPABILITY_NAMED_IAM"])
    calls = {(c["service"], c["operation"]): c["write"] for c in emu.counters()["calls"]}
    assert calls == {("cloudformation", "DescribeStackSet"): False, ("cloudformation", "ListStackInstances"): False,
                     ("cloudformation", "DescribeOrganizationsAccess"): False, ("cloudformation", "UpdateStackSet"): True}


# -- automatic deployment ----------------------------------------------------------------------


def deploy_to_ou(emu, org, ou, regions=(REGION,), **kw):
    activate(emu)
    cfn = emu.client("cloudformation")
    create_set(cfn, **kw)
    op = cfn.create_stack_instances(StackSetName="radiant", Regions=list(regions), DeploymentTargets={"OrganizationalUnitIds": [ou]},
                                    OperationPreferences={"MaxConcurrentPercentage": 100})["OperationId"]
    assert op_status(cfn, "radiant", op) == "SUCCEEDED"
    return cfn


def test_auto_deployment_follows_created_moved_and_removed_accounts(emu, org):
    ou1, ou2 = org["ous"][0]["id"], org["ous"][1]["id"]
    cfn = deploy_to_ou(emu, org, ou1)
    orgs = emu.client("organizations")
    # A new account lands in the root: not a target.
    created = orgs.create_account(AccountName="newbie", Email="newbie@example.com")["CreateAccountStatus"]["AccountId"]
    assert not any(i["Account"] == created for i in instances(cfn, "radiant"))
    # Moved into the target OU: an instance and the role, by an automatic CREATE operation.
    orgs.move_account(AccountId=created, SourceParentId=org["root_id"], DestinationParentId=ou1)
    found = [i for i in instances(cfn, "radiant") if i["Account"] == created]
    assert [(i["Status"], i["Region"], i["OrganizationalUnitId"]) for i in found] == [("CURRENT", REGION, ou1)]
    assert has_role(emu, created)
    last = cfn.list_stack_set_operations(StackSetName="radiant")["Summaries"][0]
    assert (last["Action"], last["Status"]) == ("CREATE", "SUCCEEDED")
    # Moved out of the targets: instance and role removed (RetainStacksOnAccountRemoval false).
    orgs.move_account(AccountId=created, SourceParentId=ou1, DestinationParentId=ou2)
    assert not any(i["Account"] == created for i in instances(cfn, "radiant"))
    assert not has_role(emu, created)
    # Back in, then out of the organization.
    orgs.move_account(AccountId=created, SourceParentId=ou2, DestinationParentId=ou1)
    assert has_role(emu, created)
    orgs.remove_account_from_organization(AccountId=created)
    assert not any(i["Account"] == created for i in instances(cfn, "radiant"))
    assert not has_role(emu, created)


def test_auto_deployment_to_the_root_in_every_region_of_the_stack_set(emu, org):
    cfn = deploy_to_ou(emu, org, org["root_id"], regions=(REGION, "eu-west-1"),
                       body=template(role={"Fn::Sub": "RadiantRole-${AWS::Region}"}))
    created = emu.client("organizations").create_account(AccountName="newbie", Email="newbie@example.com")["CreateAccountStatus"]["AccountId"]
    found = sorted((i["Region"], i["Status"]) for i in instances(cfn, "radiant") if i["Account"] == created)
    assert found == [("eu-west-1", "CURRENT"), (REGION, "CURRENT")]
    assert has_role(emu, created, "RadiantRole-us-east-1") and has_role(emu, created, "RadiantRole-eu-west-1")


def test_auto_deployment_ignores_the_account_filter_and_waits_its_delay(emu, org):
    """"Automatic deployments do not consider account level targeting filters": an account
    excluded by DIFFERENCE that moves out and back in gets its instance."""
    activate(emu)
    ou1, ou2 = org["ous"][0]["id"], org["ous"][1]["id"]
    excluded = next(a["id"] for a in org["accounts"] if a["ou_id"] == ou1 and a["status"] == "ACTIVE")
    cfn = emu.client("cloudformation")
    create_set(cfn)
    cfn.create_stack_instances(StackSetName="radiant", Regions=[REGION], OperationPreferences={"MaxConcurrentPercentage": 100},
                               DeploymentTargets={"OrganizationalUnitIds": [ou1], "Accounts": [excluded], "AccountFilterType": "DIFFERENCE"})
    assert not has_role(emu, excluded)
    emu.control("POST", "stacksets", {"auto_deployment_delay_s": 1.0})
    orgs = emu.client("organizations")
    orgs.move_account(AccountId=excluded, SourceParentId=ou1, DestinationParentId=ou2)
    orgs.move_account(AccountId=excluded, SourceParentId=ou2, DestinationParentId=ou1)
    assert not has_role(emu, excluded)
    queued = cfn.list_stack_set_operations(StackSetName="radiant")["Summaries"][0]
    assert (queued["Action"], queued["Status"]) == ("CREATE", "QUEUED")
    wait_for(lambda: has_role(emu, excluded), 5)
    assert emu.control("GET", "stacksets")["auto_deployment_delay_s"] == 1.0


def test_control_validation_and_reset(emu, org):
    with pytest.raises(Exception):
        emu.control("POST", "stacksets", {"operation_s": -1})
    with pytest.raises(Exception):
        emu.control("POST", "stacksets", {"bogus": 1})
    with pytest.raises(Exception):
        emu.control("POST", "stacksets/fail", {"account": "nope"})
    emu.control("POST", "stacksets", {"operation_s": 3})
    emu.control("POST", "stacksets/fail", {"account": active(org)[0], "region": REGION, "count": 1})
    assert emu.control("GET", "stacksets")["operation_s"] == 3.0
    emu.control("POST", "reset")
    assert emu.control("GET", "stacksets") == {"operation_s": 0.0, "auto_deployment_delay_s": 0.0, "fail": []}


def test_govcloud_stack_set_deploys_in_the_partition(emu):
    gov = "us-gov-west-1"
    seeded = emu.seed(accounts=2, ous=1, regions=[gov], seed=4)
    cfn = emu.client("cloudformation", gov)
    cfn.activate_organizations_access()
    body = json.loads(template())
    body["Resources"]["MemberRole"]["Properties"]["AssumeRolePolicyDocument"] = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::" + MGMT + ":root"}}, "Action": "sts:AssumeRole"}]}
    set_id = create_set(cfn, body=json.dumps(body), auto=False)
    described = cfn.describe_stack_set(StackSetName="radiant")["StackSet"]
    assert described["StackSetId"] == set_id
    assert described["StackSetARN"].startswith(f"arn:aws-us-gov:cloudformation:{gov}:{MGMT}:stackset/")
    op = cfn.create_stack_instances(StackSetName="radiant", Regions=[gov], DeploymentTargets={"OrganizationalUnitIds": [seeded["root_id"]]},
                                    OperationPreferences={"MaxConcurrentPercentage": 100})["OperationId"]
    assert op_status(cfn, "radiant", op) == "SUCCEEDED"
    account = seeded["accounts"][0]["id"]
    iam = emu.as_member(account, region=gov)("iam")
    role = iam.get_role(RoleName=ROLE)["Role"]
    assert role["Arn"] == f"arn:aws-us-gov:iam::{account}:role/{ROLE}"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": f"arn:aws-us-gov:iam::{MGMT}:root"}
    inst = cfn.describe_stack_instance(StackSetName="radiant", StackInstanceAccount=account, StackInstanceRegion=gov)["StackInstance"]
    assert inst["StackId"].startswith(f"arn:aws-us-gov:cloudformation:{gov}:{account}:stack/")
    # A commercial Region's CloudFormation does not see it.
    assert error_of(lambda: emu.client("cloudformation").describe_stack_set(StackSetName="radiant"))[0] == "StackSetNotFoundException"
