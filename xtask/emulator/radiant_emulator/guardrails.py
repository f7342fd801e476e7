"""Control Tower's mandatory guardrails, enforced as the SCP denials AWS answers, once a landing
zone was seeded (`landing_zone: true`).

Source: /work/shared/aws-facts.md, "Landing zones" (the mandatory controls deny, exempting only
`AWSControlTowerExecution`): `s3:PutBucketPolicy`, `s3:DeleteBucketPolicy`, the encryption,
logging and lifecycle configuration on `arn:aws:s3:::aws-controltower*`;
`cloudtrail:DeleteTrail|PutEventSelectors|StopLogging|UpdateTrail` on `trail/aws-controltower-*`;
`sns:AddPermission|CreateTopic|DeleteTopic|RemovePermission|SetTopicAttributes` on
`aws-controltower-*` topics; `s3:PutBucketNotification` is not denied. The Control Tower controls
reference ("Disallow changes to bucket policy / encryption / logging / lifecycle configuration for
Amazon S3 buckets created by AWS Control Tower", "Disallow configuration changes to CloudTrail",
"Disallow changes to Amazon SNS set up by AWS Control Tower") names the same actions, each with
an `ArnNotLike aws:PrincipalARN arn:aws:iam::*:role/AWSControlTowerExecution` condition.

What AWS does that this follows:
- SCPs do not apply to the management account ("SCPs don't affect users or roles in the
  management account. They affect only the member accounts in your organization.", AWS
  Organizations User Guide, Service control policies): only callers of member accounts are denied.
- An SCP deny is decided before the resource is looked up: the answer is the same whether the
  bucket, trail or topic exists or not.
- The answer per protocol, with the message "User: CALLER is not authorized to perform: ACTION on
  resource: ARN with an explicit deny in a service control policy":
  S3 `AccessDenied` 403 (S3 quotes the resource: `on resource: "arn:aws:s3:::BUCKET"`, as S3's
  access-denied messages do since 2023), CloudTrail (JSON 1.1) `AccessDeniedException` 400, SNS
  (query) `AuthorizationError` 403 with the action spelled `SNS:CreateTopic` (SNS API Reference,
  Common Errors: AuthorizationError, 403; SNS's messages write the action so).

Control Tower's Region deny control, once seeded (`region_deny`), for the accounts of one OU and
its child OUs: aws-facts.md, "Landing zones" ("The optional Region deny control denies
`guardduty:*`, `cloudtrail:*`, `sns:*` outside governed Regions (error: '... with an explicit deny
in a service control policy')"). Its SCP (Control Tower controls reference, "Deny access to AWS
based on the requested AWS Region", and the OU Region deny control CT.MULTISERVICE.PV.1) is a
`Deny` with a `NotAction` of global services that names `cloudtrail:LookupEvents` (so that one
is allowed), on `aws:RequestedRegion` (the Region the request is signed for), exempting
`AWSControlTowerExecution` through `ArnNotLike aws:PrincipalARN`. Its `Resource` is `*`: the
message names no resource ("User: CALLER is not authorized to perform: ACTION with an explicit
deny in a service control policy"), GuardDuty (REST-JSON) answers `AccessDeniedException` 403
(GuardDuty API Reference, Common Errors: AccessDeniedException, 403), CloudTrail and SNS as above.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Callable

from .protocol import JSON, QUERY, REST_JSON, REST_XML, AwsRequest, Identity, Response, error

CT_EXECUTION_ROLE = "AWSControlTowerExecution"
_EXEMPT_ROLE = re.compile(r"^arn:[^:]+:iam::\d{12}:role/" + CT_EXECUTION_ROLE + "$")

SCP_DENY = "with an explicit deny in a service control policy"

# Our S3 operation name -> the IAM action S3 authorizes it with (S3 API Reference: the Delete
# calls of encryption and lifecycle need the Put permission).
S3_ACTIONS = {
    "PutBucketPolicy": "s3:PutBucketPolicy",
    "DeleteBucketPolicy": "s3:DeleteBucketPolicy",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "PutBucketLogging": "s3:PutBucketLogging",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "DeleteBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
}
# CloudTrail operation -> the request field naming the trail (name or ARN).
CLOUDTRAIL_ACTIONS = {"DeleteTrail": "Name", "PutEventSelectors": "TrailName", "StopLogging": "Name", "UpdateTrail": "Name"}
SNS_ACTIONS = ("AddPermission", "CreateTopic", "DeleteTopic", "RemovePermission", "SetTopicAttributes")

S3_PREFIX = "aws-controltower"
TRAIL_PREFIX = "aws-controltower-"
TOPIC_PREFIX = "aws-controltower-"

# The Region deny control: the services it denies here and the operation its NotAction allows.
REGION_DENY_SERVICES = ("guardduty", "cloudtrail", "sns")
REGION_DENY_ALLOWED = frozenset([("cloudtrail", "LookupEvents")])


@dataclass(frozen=True)
class RegionDeny:
    """The Region deny control attached to one OU: its accounts may not call the denied
    services in these Regions."""

    management: str
    ou: str
    regions: frozenset[str]


def guarded_target(req: AwsRequest, ident: Identity) -> tuple[str, str, str] | None:
    """(IAM action, resource ARN, action as the service's message spells it) when the request is
    one the mandatory guardrails deny, else None."""
    partition = req.partition
    if req.service == "s3":
        action = S3_ACTIONS.get(req.operation)
        if action is None or not req.s3_bucket.startswith(S3_PREFIX):
            return None
        return action, f"arn:{partition}:s3:::{req.s3_bucket}", action
    if req.service == "cloudtrail":
        field = CLOUDTRAIL_ACTIONS.get(req.operation)
        if field is None:
            return None
        name = str(req.json().get(field) or "")
        if name.startswith("arn:"):
            arn = name
            name = name.rsplit("trail/", 1)[-1] if "trail/" in name else ""
        else:
            arn = f"arn:{partition}:cloudtrail:{req.region}:{ident.account}:trail/{name}"
        if not name.startswith(TRAIL_PREFIX):
            return None
        return f"cloudtrail:{req.operation}", arn, f"cloudtrail:{req.operation}"
    if req.service == "sns" and req.operation in SNS_ACTIONS:
        if req.operation == "CreateTopic":
            name = req.param("Name") or ""
            arn = f"arn:{partition}:sns:{req.region}:{ident.account}:{name}"
        else:
            arn = req.param("TopicArn") or ""
            name = arn.rsplit(":", 1)[-1]
        if not name.startswith(TOPIC_PREFIX):
            return None
        return f"sns:{req.operation}", arn, f"SNS:{req.operation}"
    return None


class Guardrails:
    """Off until a landing zone (the mandatory guardrails) or a Region deny control is seeded;
    then every denial is counted until `reset`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.management: str | None = None
            self.region_denies: list[RegionDeny] = []
            self._events: list[dict[str, str]] = []

    def enable(self, management: str) -> None:
        with self._lock:
            self.management = management

    def enable_region_deny(self, deny: RegionDeny) -> None:
        with self._lock:
            self.region_denies.append(deny)

    @property
    def active(self) -> bool:
        return self.management is not None

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            events = [dict(e) for e in self._events]
        return {"denials": len(events), "events": events}

    def check(
        self,
        req: AwsRequest,
        ident: Identity,
        master_of: Callable[[str, str], str | None],
        in_ou: Callable[[str, str, str], bool] | None = None,
    ) -> Response | None:
        """AWS's SCP-deny answer when a mandatory guardrail or the Region deny control denies
        this call, else None. `in_ou(account, ou, partition)`: the account is in that OU or below."""
        denied = self._check_mandatory(req, ident, master_of)
        if denied is None and in_ou is not None:
            denied = self._check_region_deny(req, ident, master_of, in_ou)
        return denied

    @staticmethod
    def _member_of(ident: Identity, req: AwsRequest, management: str, master_of: Callable[[str, str], str | None]) -> bool:
        # SCPs apply to the organization's member accounts, never to its management account.
        return ident.account != management and master_of(ident.account, req.partition) == management

    def _check_mandatory(self, req: AwsRequest, ident: Identity, master_of: Callable[[str, str], str | None]) -> Response | None:
        management = self.management
        if management is None:
            return None
        target = guarded_target(req, ident)
        if target is None:
            return None
        if _EXEMPT_ROLE.match(ident.role_arn or ""):
            return None
        if not self._member_of(ident, req, management, master_of):
            return None
        action, resource, spelled = target
        with self._lock:
            self._events.append({"account": ident.account, "action": action, "resource": resource})
        if req.service == "s3":
            message = f'User: {ident.arn} is not authorized to perform: {spelled} on resource: "{resource}" {SCP_DENY}'
            return error(REST_XML, 403, "AccessDenied", message)
        message = f"User: {ident.arn} is not authorized to perform: {spelled} on resource: {resource} {SCP_DENY}"
        if req.service == "sns":
            return error(QUERY, 403, "AuthorizationError", message)
        return error(JSON, 400, "AccessDeniedException", message)

    def _check_region_deny(
        self,
        req: AwsRequest,
        ident: Identity,
        master_of: Callable[[str, str], str | None],
        in_ou: Callable[[str, str, str], bool],
    ) -> Response | None:
        with self._lock:
            denies = list(self.region_denies)
        if not denies or req.service not in REGION_DENY_SERVICES or (req.service, req.operation) in REGION_DENY_ALLOWED:
            return None
        if _EXEMPT_ROLE.match(ident.role_arn or ""):
            return None
        for deny in denies:
            if req.region not in deny.regions or not self._member_of(ident, req, deny.management, master_of):
                continue
            if not in_ou(ident.account, deny.ou, req.partition):
                continue
            spelled = f"SNS:{req.operation}" if req.service == "sns" else f"{req.service}:{req.operation}"
            with self._lock:
                self._events.append({"account": ident.account, "action": f"{req.service}:{req.operation}", "resource": "*", "region": req.region})
            message = f"User: {ident.arn} is not authorized to perform: {spelled} {SCP_DENY}"
            if req.service == "sns":
                return error(QUERY, 403, "AuthorizationError", message)
            if req.service == "guardduty":
                return error(REST_JSON, 403, "AccessDeniedException", message)
            return error(JSON, 400, "AccessDeniedException", message)
        return None
