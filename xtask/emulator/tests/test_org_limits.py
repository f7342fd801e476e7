"""Organizations at AWS's limits: pages of at most 20, MaxResults above 20 refused (the
throttling of one service's calls together: test_faults_counters_seed.py)."""

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    r = info.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message"), r.get("Reason")


def pages(call, key, **kw):
    out, sizes, token = [], [], None
    while True:
        page = call(**kw, **({"NextToken": token} if token else {}))
        out += page[key]
        sizes.append(len(page[key]))
        token = page.get("NextToken")
        if not token:
            return out, sizes


@pytest.fixture()
def org(emu):
    return emu.seed(accounts=45, ous=2, regions=["us-east-1"], seed=2)


def test_list_accounts_pages_of_twenty(emu, org):
    orgs = emu.client("organizations")
    accounts, sizes = pages(orgs.list_accounts, "Accounts")
    assert len(accounts) == 46 and len({a["Id"] for a in accounts}) == 46
    assert sizes == [20, 20, 6]
    accounts, sizes = pages(orgs.list_accounts, "Accounts", MaxResults=7)
    assert len(accounts) == 46 and max(sizes) == 7
    code, status, message, reason = error_of(lambda: orgs.list_accounts(MaxResults=21))
    assert (code, status, reason) == ("InvalidInputException", 400, "MAX_VALUE_EXCEEDED")
    assert message == "You provided a numeric parameter that has a larger value than allowed."
    raw = boto3.client("organizations", endpoint_url=emu.endpoint, region_name="us-east-1", aws_access_key_id="AKIARADIANTEMULATOR1",
                       aws_secret_access_key="secret", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    assert error_of(lambda: raw.list_accounts(MaxResults=0))[3] == "MIN_VALUE_EXCEEDED"


def test_lists_for_a_parent_page_too(emu, org):
    orgs = emu.client("organizations")
    ou = org["ous"][0]["id"]
    in_ou = [a["id"] for a in org["accounts"] if a["ou_id"] == ou]
    accounts, sizes = pages(orgs.list_accounts_for_parent, "Accounts", ParentId=ou)
    assert sorted(a["Id"] for a in accounts) == sorted(in_ou) and max(sizes) <= 20 and len(sizes) == 2
    children, sizes = pages(orgs.list_children, "Children", ParentId=ou, ChildType="ACCOUNT")
    assert sorted(c["Id"] for c in children) == sorted(in_ou)
    assert sizes == [20, 3]
    children, sizes = pages(orgs.list_children, "Children", ParentId=ou, ChildType="ACCOUNT", MaxResults=5)
    assert len(children) == 23 and sizes[0] == 5
    assert error_of(lambda: orgs.list_children(ParentId=ou, ChildType="ACCOUNT", MaxResults=50))[3] == "MAX_VALUE_EXCEEDED"
    assert error_of(lambda: orgs.list_children(ParentId=ou, ChildType="ACCOUNT", NextToken="bogus"))[3] == "INVALID_NEXT_TOKEN"
    units, _ = pages(orgs.list_organizational_units_for_parent, "OrganizationalUnits", ParentId=org["root_id"])
    assert len(units) == 2
    assert orgs.list_parents(ChildId=in_ou[0], MaxResults=1)["Parents"] == [{"Id": ou, "Type": "ORGANIZATIONAL_UNIT"}]
    for call in (lambda: orgs.list_parents(ChildId=in_ou[0], MaxResults=21),
                 lambda: orgs.list_organizational_units_for_parent(ParentId=ou, MaxResults=21),
                 lambda: orgs.list_accounts_for_parent(ParentId=ou, MaxResults=21),
                 lambda: orgs.list_roots(MaxResults=21),
                 lambda: orgs.list_delegated_administrators(MaxResults=21)):
        assert error_of(call)[:2] == ("InvalidInputException", 400)


def test_a_member_reads_the_organization_only_as_a_delegated_administrator(emu, org):
    """Organizations API Reference (ListAccounts, ListRoots, DescribeAccount, ...): "This
    operation can be called only from the organization's management account or by a member
    account that is a delegated administrator for an AWS service"; moto answered a member an
    empty organization."""
    member = org["accounts"][0]["id"]
    as_member = emu.as_member(member)("organizations")
    for call in (as_member.list_accounts, as_member.list_roots,
                 lambda: as_member.describe_account(AccountId=member)):
        code, status, message, _ = error_of(call)
        assert (code, status, message) == ("AccessDeniedException", 400, "You don't have permissions to access this resource.")
    # Any member may still describe its organization.
    assert as_member.describe_organization()["Organization"]["Id"].startswith("o-")
    emu.client("organizations").register_delegated_administrator(
        AccountId=member, ServicePrincipal="member.org.stacksets.cloudformation.amazonaws.com")
    accounts, _ = pages(as_member.list_accounts, "Accounts")
    assert len(accounts) == 46
    assert as_member.list_roots()["Roots"][0]["Id"].startswith("r-")
