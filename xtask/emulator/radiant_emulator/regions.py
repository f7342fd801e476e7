"""Regions: those of each partition, the opt-in ones, and which opt-in Regions each account has
enabled; the refusal of a request signed for a Region the account has not enabled; the Region
status reads (Account Management `ListRegions` / `GetRegionOptStatus`, EC2 `DescribeRegions`).

Source: /work/shared/aws-facts.md, "Opt-in Regions and partitions".

- The opt-in Regions (disabled by default on AWS) are `OPT_IN_REGIONS`. In the emulator they are
  ENABLED in every account unless the seed (`disabled_regions`) or the control call `POST
  /_radiant/regions` disables them: an emulator seeded before this existed behaves as before.
- A request signed for a Region the account has not enabled is refused as AWS refuses a token
  there: "The security token included in the request is invalid." with `InvalidClientTokenId`
  (403) for the query APIs (STS `GetCallerIdentity` in eu-south-1, remotion-dev/github-unwrapped-2022
  issue #34; RDS in ap-east-1, status 403, ekristen/aws-nuke issue #774),
  `UnrecognizedClientException` for the JSON APIs: 403 for REST-JSON (Batch, OpenSearch in
  ap-east-1, ekristen/aws-nuke issue #774; Lambda's Common Errors: 403) and 400 for JSON 1.1
  (Kinesis, SageMaker in ap-east-1, same issue: "status code: 400"), EC2's `AuthFailure` (401) "AWS
  was not able to validate the provided access credentials" (turbot/steampipe-plugin-aws issue
  #75, fog/fog-aws issue #585, ekristen/aws-nuke issue #774: 401), and S3's `InvalidToken` (400)
  "The provided token is malformed or otherwise invalid." (cloud-custodian/cloud-custodian issue
  #9793, for S3 in ap-southeast-4; S3 API Reference, Error codes: InvalidToken, 400).
"""

from __future__ import annotations

import functools
import re
import threading
import uuid
from typing import Any
from xml.sax.saxutils import escape

from .policy import glob_match
from .protocol import EC2, JSON, QUERY, REST_JSON, REST_XML, AwsRequest, Identity, Response, error, json_response

# aws-facts.md, "Opt-in Regions and partitions" (Account Management guide, "Enable or disable
# AWS Regions in your account"): every one of them is in the commercial partition.
OPT_IN_REGIONS = frozenset([
    "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1",
    "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
])

TOKEN_INVALID = "The security token included in the request is invalid."
EC2_AUTH_FAILURE = "AWS was not able to validate the provided access credentials"
S3_INVALID_TOKEN = "The provided token is malformed or otherwise invalid."

# Account Management's Region statuses (RegionOptStatus in its service model); ENABLING and
# DISABLING are not emulated: a change is at once.
ENABLED, ENABLED_BY_DEFAULT, DISABLED = "ENABLED", "ENABLED_BY_DEFAULT", "DISABLED"
OPT_STATUSES = ("ENABLED", "ENABLING", "DISABLING", "DISABLED", "ENABLED_BY_DEFAULT")
# EC2 DescribeRegions OptInStatus (EC2 API Reference, Region): the same three states.
EC2_OPT_IN = {ENABLED_BY_DEFAULT: "opt-in-not-required", ENABLED: "opted-in", DISABLED: "not-opted-in"}

_ACCOUNT_ID = re.compile(r"\d{12}")


def is_opt_in(region: str) -> bool:
    return region in OPT_IN_REGIONS


@functools.lru_cache(maxsize=16)
def partition_regions(partition: str) -> tuple[str, ...]:
    """Every Region of the partition, sorted: the Regions of the pinned botocore's endpoint data
    (34 commercial Regions with botocore 1.44.5, the opt-in ones included), the list the AWS SDKs
    and moto's backends know."""
    import botocore.session

    data = botocore.session.get_session().get_data("endpoints")
    for entry in data.get("partitions", []):
        if entry.get("partition") == partition:
            return tuple(sorted(entry.get("regions", {})))
    return ()


class RegionStates:
    """The (account, Region) pairs whose opt-in Region is disabled; everything else is enabled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._disabled: set[tuple[str, str]] = set()

    def reset(self) -> None:
        with self._lock:
            self._disabled.clear()

    def set_enabled(self, account: str, region: str, enabled: bool) -> None:
        if not is_opt_in(region):
            raise ValueError(f"`{region}` is not an opt-in Region: only opt-in Regions can be enabled or disabled ({sorted(OPT_IN_REGIONS)})")
        with self._lock:
            if enabled:
                self._disabled.discard((account, region))
            else:
                self._disabled.add((account, region))

    def enabled(self, account: str, region: str) -> bool:
        with self._lock:
            return (account, region) not in self._disabled

    def status(self, account: str, region: str) -> str:
        """Account Management's RegionOptStatus of the Region for the account."""
        if not is_opt_in(region):
            return ENABLED_BY_DEFAULT
        return ENABLED if self.enabled(account, region) else DISABLED

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            pairs = sorted(self._disabled)
        return {"disabled": [{"account": a, "region": r} for a, r in pairs]}

    def control(self, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /_radiant/regions {"account", "region", "enabled"}`: enables or disables one."""
        unknown = set(body) - {"account", "region", "enabled"}
        if unknown:
            raise ValueError(f"unknown region fields: {sorted(unknown)}")
        account, region, enabled = str(body.get("account") or ""), str(body.get("region") or ""), body.get("enabled")
        if not _ACCOUNT_ID.fullmatch(account):
            raise ValueError("`account` must be a 12-digit account id")
        if not isinstance(enabled, bool):
            raise ValueError("`enabled` must be true or false")
        self.set_enabled(account, region, enabled)
        return {"account": account, "region": region, "status": self.status(account, region)}

    def refusal(self, req: AwsRequest, ident: Identity) -> Response | None:
        """AWS's answer to a request signed for a Region the caller's account has not enabled."""
        if self.enabled(ident.account, req.region):
            return None
        return refused_token(req)


def refused_token(req: AwsRequest) -> Response:
    """The refused token in the request's protocol (sources in the module docstring)."""
    protocol = req.protocol
    if protocol == QUERY:
        return error(QUERY, 403, "InvalidClientTokenId", TOKEN_INVALID)
    if protocol == EC2:
        return error(EC2, 401, "AuthFailure", EC2_AUTH_FAILURE)
    if protocol == REST_XML:
        return error(REST_XML, 400, "InvalidToken", S3_INVALID_TOKEN)
    if protocol == REST_JSON:
        return error(REST_JSON, 403, "UnrecognizedClientException", TOKEN_INVALID)
    return error(JSON, 400, "UnrecognizedClientException", TOKEN_INVALID)


# -- Account Management: ListRegions, GetRegionOptStatus ------------------------------------------
#
# moto 5.2.5's `account` service has only the alternate contacts (Put/Get/DeleteAlternateContact,
# still answered by moto); the Region reads are added here. Account Management API Reference,
# ListRegions / GetRegionOptStatus: `AccountId` "defaults to the AWS account of the identity used
# to call the operation. To use this parameter, the caller must be an identity in the
# organization's management account ... The specified account ID must be a member account in the
# same organization ... the organization must have trusted access enabled for the Account
# Management service" (aws-facts.md: `account.amazonaws.com`); "The management account can't
# specify its own AccountId"; MaxResults 1 to 50; errors AccessDeniedException (403),
# ValidationException (400). A delegated administrator for Account Management is not emulated.

ACCOUNT_PRINCIPAL = "account.amazonaws.com"


def _validation(message: str) -> Response:
    return error(REST_JSON, 400, "ValidationException", message)


def _account_denied(req: AwsRequest, ident: Identity, owner: str, target: str, why: str) -> Response:
    # AWS's texts for these refusals were not found; the form is its access-denied form, naming
    # the account resource (`arn:PARTITION:account::MANAGEMENT:account/o-ORG/ACCOUNT` for a
    # member, Account Management's resource types) and why, in parentheses, like moto's own
    # account errors.
    return error(
        REST_JSON,
        403,
        "AccessDeniedException",
        f"User: {ident.arn} is not authorized to perform: account:{req.operation} on resource: "
        f"arn:{req.partition}:account::{owner}:account/{target} ({why})",
    )


def _target_account(req: AwsRequest, ident: Identity, body: dict[str, Any]) -> tuple[str, Response | None]:
    """The account the call is about: the caller's own, or `AccountId` when the caller is the
    management account of that account's organization with trusted access for Account Management."""
    from .extensions import org_master_of, org_of

    raw = body.get("AccountId")
    if raw is None:
        return ident.account, None
    account = str(raw)
    if not _ACCOUNT_ID.fullmatch(account):
        return "", _validation("1 validation error detected: Value at 'accountId' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}")
    partition = req.partition
    org_id = org_of(ident.account, partition) or "o-none"
    owner = org_master_of(ident.account, partition) or ident.account
    if owner != ident.account:
        return "", _account_denied(req, ident, owner, f"{org_id}/{account}", "only the management account of the organization may specify AccountId")
    if account == ident.account:
        return "", _validation("The management account can't specify its own AccountId; call the operation without AccountId.")
    if org_master_of(account, partition) != ident.account:
        return "", _account_denied(req, ident, owner, f"{org_id}/{account}", "the account is not a member of the caller's organization")
    if not _trusted_access(ident.account, partition):
        return "", _account_denied(req, ident, owner, f"{org_id}/{account}", f"the organization has not enabled trusted access for {ACCOUNT_PRINCIPAL}")
    return account, None


def _trusted_access(management: str, partition: str) -> bool:
    from moto.organizations.models import organizations_backends

    try:
        services = organizations_backends[management][partition].services
    except KeyError:
        return False
    return any(s.get("ServicePrincipal") == ACCOUNT_PRINCIPAL for s in services)


def account_list_regions(state: Any, req: AwsRequest, ident: Identity) -> Response | None:
    body = req.json()
    account, err = _target_account(req, ident, body)
    if err is not None:
        return err
    wanted = body.get("RegionOptStatusContains")
    if wanted is not None and (not isinstance(wanted, list) or any(s not in OPT_STATUSES for s in wanted)):
        return _validation(f"1 validation error detected: Value at 'regionOptStatusContains' failed to satisfy constraint: Member must satisfy enum value set: {list(OPT_STATUSES)}")
    size = body.get("MaxResults")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 50):
        return _validation("1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 50")
    token = body.get("NextToken")
    if token is not None and not (isinstance(token, str) and token.isdigit()):
        return _validation("The specified NextToken is not valid.")
    regions = [
        {"RegionName": r, "RegionOptStatus": state.regions.status(account, r)}
        for r in partition_regions(req.partition)
    ]
    if wanted:
        regions = [r for r in regions if r["RegionOptStatus"] in wanted]
    offset = int(token or 0)
    end = len(regions) if size is None else offset + size
    out: dict[str, Any] = {"Regions": regions[offset:end]}
    if end < len(regions):
        out["NextToken"] = str(end)
    return json_response(out)


def account_get_region_opt_status(state: Any, req: AwsRequest, ident: Identity) -> Response | None:
    body = req.json()
    account, err = _target_account(req, ident, body)
    if err is not None:
        return err
    region = str(body.get("RegionName") or "")
    if not region:
        return _validation("1 validation error detected: Value null at 'regionName' failed to satisfy constraint: Member must not be null")
    if region not in partition_regions(req.partition):
        return _validation(f"The Region {region} is not a valid Region.")
    return json_response({"RegionName": region, "RegionOptStatus": state.regions.status(account, region)})


# -- EC2 DescribeRegions ----------------------------------------------------------------------------
#
# EC2 API Reference, DescribeRegions: without `AllRegions` only the Regions enabled for the
# account; `AllRegions=true` all of them, "including Regions that are disabled for your account";
# `RegionNames` "any Regions, whether they are enabled and disabled"; filters `endpoint`,
# `opt-in-status`, `region-name`; OptInStatus `opt-in-not-required` | `opted-in` | `not-opted-in`.
# moto 5.2.5 answers every Region of every partition, ignores `AllRegions` and the filters, and
# marks af-south-1, ap-southeast-3 and eu-south-1 `opt-in-not-required`: it is answered here.

EC2_XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def _ec2_endpoint(region: str) -> str:
    # China's EC2 endpoints are `.amazonaws.com.cn` (aws-facts.md, "Opt-in Regions and partitions").
    return f"ec2.{region}.amazonaws.com.cn" if region.startswith("cn-") else f"ec2.{region}.amazonaws.com"


def _indexed(form: dict[str, list[str]], pattern: str) -> dict[int, str]:
    found = {}
    for name, values in form.items():
        match = re.fullmatch(pattern, name)
        if match and values:
            found[int(match.group(1))] = values[0]
    return found


def ec2_describe_regions(state: Any, req: AwsRequest, ident: Identity) -> Response | None:
    form = dict(req.query)
    form.update(req.form())
    all_regions = (form.get("AllRegions") or ["false"])[0].lower() == "true"
    names = list(_indexed(form, r"RegionName\.(\d+)").values())
    filters: dict[str, list[str]] = {}
    for i, name in _indexed(form, r"Filter\.(\d+)\.Name").items():
        filters[name] = list(_indexed(form, rf"Filter\.{i}\.Value\.(\d+)").values())
    rows = []
    for region in partition_regions(req.partition):
        status = EC2_OPT_IN[state.regions.status(ident.account, region)]
        if names and region not in names:
            continue
        if not names and not all_regions and status == "not-opted-in":
            continue
        row = {"region-name": region, "endpoint": _ec2_endpoint(region), "opt-in-status": status}
        # Filter values may hold `*` and `?` (EC2 API Reference, "List and filter your resources").
        if any(not any(glob_match(v, row[key]) for v in values) for key, values in filters.items() if key in row):
            continue
        rows.append(row)
    items = "".join(
        f"<item><regionName>{escape(r['region-name'])}</regionName><regionEndpoint>{escape(r['endpoint'])}</regionEndpoint>"
        f"<optInStatus>{r['opt-in-status']}</optInStatus></item>"
        for r in rows
    )
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeRegionsResponse xmlns="{EC2_XMLNS}">'
        f"<requestId>{uuid.uuid4()}</requestId><regionInfo>{items}</regionInfo></DescribeRegionsResponse>"
    )
    return Response(200, body.encode(), [("Content-Type", "text/xml;charset=UTF-8")])


PRE_HOOKS: dict[tuple[str, str], Any] = {
    ("account", "ListRegions"): account_list_regions,
    ("account", "GetRegionOptStatus"): account_get_region_opt_status,
    ("ec2", "DescribeRegions"): ec2_describe_regions,
}
