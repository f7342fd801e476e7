"""Organizations' page sizes (aws-facts.md, "Large organizations"): every Organizations list
operation takes `MaxResults` from 1 to 20 (the Organizations API Reference, e.g. ListAccounts:
"Valid Range: Minimum value of 1. Maximum value of 20."; the service model's MaxResults shape
`"min": 1, "max": 20`), and a page holds at most 20 items: ListAccounts without MaxResults
answers 20 accounts a page (moto 5.2.5 answered 100), ListChildren and ListParents are paged
(moto answered every child in one page and ignored MaxResults and NextToken).

A MaxResults outside 1..20 is InvalidInputException (400) with Reason MAX_VALUE_EXCEEDED or
MIN_VALUE_EXCEEDED and the API Reference's text for that reason ("You provided a numeric
parameter that has a larger value than allowed."); AWS's exact wire text was not found. A
NextToken this module did not issue is InvalidInputException, Reason INVALID_NEXT_TOKEN.

A member account reading the organization's structure (ADMIN_READS) is refused unless it is a
delegated administrator (AccessDeniedException), and a delegated administrator reads the
organization, as AWS answers both.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from .protocol import JSON, AwsRequest, Identity, Response, error

PAGE = 20
MAX_VALUE = "You provided a numeric parameter that has a larger value than allowed."
MIN_VALUE = "You provided a numeric parameter that has a smaller value than allowed."
BAD_TOKEN = "The specified NextToken is not valid. Get the value for the NextToken parameter from the response to a previous call of the operation."

# Every Organizations operation with a MaxResults (the service model).
LIST_OPERATIONS = (
    "ListAccounts", "ListAccountsForParent", "ListAccountsWithInvalidEffectivePolicy", "ListAWSServiceAccessForOrganization",
    "ListChildren", "ListCreateAccountStatus", "ListDelegatedAdministrators", "ListDelegatedServicesForAccount",
    "ListEffectivePolicyValidationErrors", "ListHandshakesForAccount", "ListHandshakesForOrganization",
    "ListOrganizationalUnitsForParent", "ListParents", "ListPolicies", "ListPoliciesForTarget", "ListRoots",
    "ListTargetsForPolicy",
)
# moto pages these itself, from the MaxResults it is given (default 100 for ListAccounts).
MOTO_PAGED = ("ListAccounts", "ListAccountsForParent", "ListOrganizationalUnitsForParent")
# moto answers these in one page: paged here, after moto's answer.
PAGED_AFTER = {"ListChildren": "Children", "ListParents": "Parents"}


def _invalid(message: str, reason: str) -> Response:
    return error(JSON, 400, "InvalidInputException", message, extra={"Reason": reason})


def max_results(req: AwsRequest) -> tuple[int, Response | None]:
    value = req.json().get("MaxResults")
    if value is None:
        return PAGE, None
    if isinstance(value, bool) or not isinstance(value, int):
        return PAGE, _invalid("You specified an invalid value.", "INVALID_ENUM")
    if value > PAGE:
        return PAGE, _invalid(MAX_VALUE, "MAX_VALUE_EXCEEDED")
    if value < 1:
        return PAGE, _invalid(MIN_VALUE, "MIN_VALUE_EXCEEDED")
    return value, None


def _token(offset: int, operation: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "op": operation}).encode()).decode()


def _offset(token: Any, operation: str) -> int | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("op") != operation or not isinstance(data.get("o"), int) or data["o"] < 0:
        return None
    return int(data["o"])


def page_token(req: AwsRequest, items: list[Any]) -> tuple[list[Any], str | None, Response | None]:
    """A page of `items` for the request's MaxResults / NextToken (tokens of this module)."""
    size, err = max_results(req)
    if err is not None:
        return [], None, err
    token = req.json().get("NextToken")
    offset = 0
    if token:
        found = _offset(token, req.operation)
        if found is None:
            return [], None, _invalid(BAD_TOKEN, "INVALID_NEXT_TOKEN")
        offset = found
    page = items[offset:offset + size]
    nxt = _token(offset + size, req.operation) if offset + size < len(items) else None
    return page, nxt, None


# The operations about the organization's structure that "can be called only from the
# organization's management account or by a member account that is a delegated administrator
# for an AWS service" (Organizations API Reference, ListAccounts, ListAccountsForParent,
# ListChildren, ListParents, ListRoots, ListOrganizationalUnitsForParent, DescribeAccount,
# ListDelegatedAdministrators, ListAWSServiceAccessForOrganization). moto answered a member an
# empty organization (its own, empty backend) instead.
ADMIN_READS = (
    "ListAccounts", "ListAccountsForParent", "ListChildren", "ListParents", "ListRoots",
    "ListOrganizationalUnitsForParent", "DescribeAccount", "DescribeOrganizationalUnit",
    "ListDelegatedAdministrators", "ListAWSServiceAccessForOrganization",
)
# AccessDeniedException, 400 (Organizations' common error; "You don't have permissions to access
# this resource.").
NOT_ADMIN = "You don't have permissions to access this resource."
# An access key the emulator maps to the default management account (any key moto does not know).
MANAGEMENT_VIEW_KEY = "AKIARADIANTMGMTVIEW0"


def _delegated_admin(member: str, management: str, partition: str) -> bool:
    from moto.organizations.models import organizations_backends

    try:
        backend = organizations_backends[management][partition]
    except KeyError:
        return False
    return any(a.account.id == member for a in backend.admins)


def org_member_reads(state: Any, req: AwsRequest, ident: Identity) -> Response | None:
    """A member account's read of the organization's structure: refused unless it is a
    delegated administrator, answered from the organization (the management account's view, as
    AWS answers a delegated administrator) when it is."""
    from .extensions import org_master_of
    from .protocol import DEFAULT_ACCOUNT

    caller = ident.account
    management = org_master_of(caller, req.partition)
    if management is None or management == caller:
        return None
    if not _delegated_admin(caller, management, req.partition):
        return error(JSON, 400, "AccessDeniedException", NOT_ADMIN)
    if management == DEFAULT_ACCOUNT:
        # moto keeps the organization in the management account's backend: read it there.
        auth = req.environ.get("HTTP_AUTHORIZATION", "")
        req.environ["HTTP_AUTHORIZATION"] = auth.replace(req.access_key, MANAGEMENT_VIEW_KEY, 1)
    return None


def org_list_limits(state: Any, req: AwsRequest, ident: Identity) -> Response | None:
    """Refuses a MaxResults above 20 (or below 1); gives moto's own paginators a page of 20 when
    the caller names none; checks the NextToken of the operations paged here."""
    if req.operation in ADMIN_READS:
        denied = org_member_reads(state, req, ident)
        if denied is not None:
            return denied
    size, err = max_results(req)
    if err is not None:
        return err
    body = req.json()
    if req.operation in MOTO_PAGED and "MaxResults" not in body:
        req.set_body(json.dumps(dict(body, MaxResults=size)).encode())
    if req.operation in PAGED_AFTER and body.get("NextToken") and _offset(body["NextToken"], req.operation) is None:
        return _invalid(BAD_TOKEN, "INVALID_NEXT_TOKEN")
    return None


def org_page_after(state: Any, req: AwsRequest, ident: Identity, body: bytes) -> bytes | None:
    """Pages moto's one-page answer of ListChildren / ListParents."""
    key = PAGED_AFTER[req.operation]
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    items = answer.get(key) or []
    page, nxt, err = page_token(req, items)
    if err is not None:
        return None
    out: dict[str, Any] = {key: page}
    if nxt:
        out["NextToken"] = nxt
    return json.dumps(out).encode()


PRE_HOOKS: dict[tuple[str, str], Any] = {("organizations", op): org_list_limits for op in LIST_OPERATIONS + ADMIN_READS}
POST_HOOKS: dict[tuple[str, str], Any] = {("organizations", op): org_page_after for op in PAGED_AFTER}
