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
"""

from __future__ import annotations

import re
import threading
from typing import Any, Callable

from .protocol import JSON, QUERY, REST_XML, AwsRequest, Identity, Response, error

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
    """Off until a landing zone is seeded; then every denial is counted until `reset`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.management: str | None = None
            self._events: list[dict[str, str]] = []

    def enable(self, management: str) -> None:
        with self._lock:
            self.management = management

    @property
    def active(self) -> bool:
        return self.management is not None

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            events = [dict(e) for e in self._events]
        return {"denials": len(events), "events": events}

    def check(self, req: AwsRequest, ident: Identity, master_of: Callable[[str, str], str | None]) -> Response | None:
        """AWS's SCP-deny answer when a mandatory guardrail denies this call, else None."""
        management = self.management
        if management is None:
            return None
        target = guarded_target(req, ident)
        if target is None:
            return None
        if _EXEMPT_ROLE.match(ident.role_arn or ""):
            return None
        # SCPs apply to the organization's member accounts, never to its management account.
        if ident.account == management or master_of(ident.account, req.partition) != management:
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
