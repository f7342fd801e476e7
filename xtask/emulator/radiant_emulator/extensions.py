"""AWS behaviour moto 5.2.5 lacks or does not enforce, run inside moto's process.

`State.handle` sees every identified request before moto: it either answers (an AWS error, or
an operation moto does not implement) or returns None to let moto answer. `State.before` runs
right before moto answers the operations that have a post hook, `State.after` after moto answered
them successfully (post hooks).
"""

from __future__ import annotations

import gzip
import json
import time
import re
import threading
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from . import hardening, joins, org_limits, stacksets
from .guardrails import Guardrails
from .joins import Joins
from .policy import Principal, Request, evaluate, ALLOW, DENY
from .propagation import BUCKET, KEY, Propagation
from .protocol import (
    DEFAULT_PARTITION,
    JSON,
    QUERY,
    REST_JSON,
    REST_XML,
    AwsRequest,
    Identity,
    IdentityCache,
    Response,
    error,
    json_response,
    partition_of,
)
from .regions import PRE_HOOKS as REGION_HOOKS, RegionStates, is_opt_in
from .stacksets import StackSets

MANAGED_POLICY_LIMIT = 6144
INLINE_ROLE_LIMIT = 10240
TRUST_POLICY_LIMIT = 2048
ATTACHED_PER_ROLE_LIMIT = 10
BUCKET_POLICY_LIMIT = 20 * 1024
KEY_POLICY_LIMIT = 32 * 1024
TOPIC_POLICY_LIMIT = 30 * 1024

GUARDDUTY = "guardduty.amazonaws.com"
CLOUDTRAIL = "cloudtrail.amazonaws.com"
S3_SERVICE = "s3.amazonaws.com"


def guardduty_principal(region: str) -> str:
    """The service principal GuardDuty publishes findings of this Region as: in an opt-in Region
    the regional `guardduty.REGION.amazonaws.com`, which the bucket and key policies must name
    (aws-facts.md, "Opt-in Regions and partitions"; GuardDuty User Guide, "Exporting findings"),
    elsewhere `guardduty.amazonaws.com`."""
    return f"guardduty.{region}.amazonaws.com" if is_opt_in(region) else GUARDDUTY


GD_PERMISSION_MESSAGE = (
    "The request failed because the GuardDuty service principal does not have proper permissions "
    "for the given KMS or destination: {detail}"
)


def non_whitespace_len(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def gd_bad_request(message: str) -> Response:
    return error(REST_JSON, 400, "BadRequestException", message)


# GuardDuty's answer to a value it does not accept (verbatim in hashicorp/terraform-provider-aws
# issue #34765 and aws-samples/aws-security-reference-architecture-examples issues #178, #185,
# the latter two for EnableOrganizationAdminAccount).
GD_INVALID_INPUT = "The request is rejected because an invalid or out-of-range value is specified as an input parameter."


def _iam(account: str, partition: str = DEFAULT_PARTITION) -> Any:
    """The account's IAM in a partition (moto keeps one IAM backend per partition)."""
    from moto.iam.models import iam_backends

    return iam_backends[account][partition]


def _s3() -> Any:
    from moto.s3.models import s3_backends

    return s3_backends


def s3_expected_owner(req: AwsRequest) -> Response | None:
    """`x-amz-expected-bucket-owner` (every S3 bucket operation's `ExpectedBucketOwner`): S3
    answers 403 AccessDenied when the bucket belongs to another account (S3 user guide,
    "Verifying bucket ownership with bucket owner condition"; aws-facts.md, "CloudTrail across
    accounts"). moto ignores the header."""
    expected = req.headers.get("x-amz-expected-bucket-owner")
    if req.service != "s3" or not expected or not req.s3_bucket:
        return None
    from moto.s3.models import s3_backends

    located = s3_backends.bucket_accounts.get(req.s3_bucket)
    if located is None or located[1] == expected:
        return None
    return error(REST_XML, 403, "AccessDenied", "Access Denied")


def find_bucket(name: str, partition: str | None = None) -> Any | None:
    """The bucket of that name; with `partition`, only a bucket of that partition (a GovCloud
    trail or detector does not see a commercial bucket)."""
    from moto.s3.models import s3_backends

    located = s3_backends.bucket_accounts.get(name)
    if located is None:
        return None
    bucket_partition, account = located
    if partition is not None and bucket_partition != partition:
        return None
    partition = bucket_partition
    try:
        return s3_backends[account][partition].buckets.get(name)
    except KeyError:
        return None


def bucket_policy_text(bucket: Any) -> str | None:
    policy = getattr(bucket, "policy", None)
    if policy is None:
        return None
    return policy.decode("utf-8") if isinstance(policy, bytes) else str(policy)


def org_master_of(account: str, partition: str = DEFAULT_PARTITION) -> str | None:
    """The management account of the account's organization in that partition, if any (moto
    keeps members as `master_accounts[member] = (management account, partition)`)."""
    from moto.organizations.models import organizations_backends

    found = organizations_backends.master_accounts.get(account)
    if found is not None:
        return found[0] if found[1] == partition else None
    try:
        backend = organizations_backends[account][partition]
    except KeyError:
        return None
    return account if backend.org is not None else None


def org_in_ou(account: str, ou: str, partition: str = DEFAULT_PARTITION) -> bool:
    """Whether the account is in the OU or in one of its child OUs (an SCP attached to an OU
    applies to everything below it), as the organization is now (MoveAccount included)."""
    from moto.organizations.models import organizations_backends

    master = org_master_of(account, partition)
    if master is None:
        return False
    try:
        org = organizations_backends[master][partition]
        parent = org.get_account_by_id(account).parent_id
    except Exception:  # noqa: BLE001 - moto raises AccountNotFoundException
        return False
    parents = {o.id: o.parent_id for o in org.ou}
    seen: set[str] = set()
    while parent and parent not in seen:
        if parent == ou:
            return True
        seen.add(parent)
        parent = parents.get(parent)
    return False


def org_of(account: str, partition: str = DEFAULT_PARTITION) -> str | None:
    """The id of the organization the account belongs to in that partition, if any."""
    from moto.organizations.models import organizations_backends

    master = org_master_of(account, partition)
    if master is None:
        return None
    org = organizations_backends[master][partition].org
    return org.id if org is not None else None


ORG_ACCESS_ROLE = "OrganizationAccountAccessRole"


def _org_access_trust(master: str, partition: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:{partition}:iam::{master}:root"}, "Action": "sts:AssumeRole"}
        ],
    }


def place_org_access_role(account: str, master: str, partition: str, role_name: str = ORG_ACCESS_ROLE) -> None:
    """moto's CreateAccount creates the new account's `OrganizationAccountAccessRole` in the
    `aws` partition's IAM, trusting
    `arn:aws:iam::MASTER:root`, whatever the partition of the organization. In another partition
    the role belongs to that partition's IAM and trusts `arn:PARTITION:iam::MASTER:root`: moved
    there (moto's stray commercial copy is deleted when it is moto's, untouched)."""
    if partition == DEFAULT_PARTITION:
        return
    commercial = _iam(account)
    try:
        stray = commercial.get_role(role_name)
    except Exception:  # noqa: BLE001 - moto raises NoSuchEntity
        stray = None
    if stray is not None:
        doc = stray.assume_role_policy_document
        try:
            parsed = json.loads(doc) if isinstance(doc, str) else doc
        except ValueError:
            parsed = None
        if parsed == _org_access_trust(master, DEFAULT_PARTITION) and not stray.managed_policies and not stray.policies:
            commercial.delete_role(role_name)
    target = _iam(account, partition)
    try:
        target.get_role(role_name)
        return
    except Exception:  # noqa: BLE001 - not there yet
        pass
    target.create_role(
        role_name=role_name,
        assume_role_policy_document=json.dumps(_org_access_trust(master, partition)),
        path="",
        permissions_boundary=None,
        description="",
        tags=[],
        max_session_duration="3600",
    )


def parse_arn(arn: str) -> tuple[str, str, str, str, str] | None:
    """(partition, service, region, account, resource) of an ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts[1], parts[2], parts[3], parts[4], parts[5]


def resolve_key(key_ref: str, account: str, region: str) -> Any | None:
    """A KMS key from its id, key ARN, alias name or alias ARN."""
    from moto.kms.models import kms_backends

    ref = key_ref
    parsed = parse_arn(key_ref)
    if parsed is not None:
        partition, service, region, account, resource = parsed
        if service != "kms" or partition != partition_of(region):
            return None  # not a KMS ARN, or one of another partition than its Region's
        ref = resource
    try:
        backend = kms_backends[account][region]
    except KeyError:
        return None
    if ref.startswith("alias/"):
        for key in backend.keys.values():
            if ref in getattr(key, "aliases", {}):
                return key
        return None
    if ref.startswith("key/"):
        ref = ref[len("key/"):]
    return backend.keys.get(ref)


def find_queue(arn: str) -> Any | None:
    from moto.sqs.models import sqs_backends

    parsed = parse_arn(arn)
    if parsed is None or parsed[1] != "sqs":
        return None
    _, _, region, account, name = parsed
    try:
        return sqs_backends[account][region].queues.get(name)
    except KeyError:
        return None


def find_topic(arn: str) -> Any | None:
    from moto.sns.models import sns_backends

    parsed = parse_arn(arn)
    if parsed is None or parsed[1] != "sns":
        return None
    _, _, region, account, _ = parsed
    try:
        return sns_backends[account][region].topics.get(arn)
    except KeyError:
        return None


class State:
    """Our state next to moto's: publishing destinations, GuardDuty delegated administrators,
    members and organization configuration, issued credentials, the propagation delay and its
    history, the landing zone's guardrails and the Region deny control, the opt-in Regions each
    account has disabled."""

    def __init__(self, identities: IdentityCache) -> None:
        self.identities = identities
        self.lock = threading.RLock()
        self.propagation = Propagation()
        self.guardrails = Guardrails()
        self.regions = RegionStates()
        # CloudFormation StackSets (service-managed) and the organization's joins (handshakes,
        # the StackSets automatic deployments and GuardDuty's auto-enable they start).
        self.stacksets = StackSets(self)
        self.joins = Joins(self)
        self.reset()

    def reset(self) -> None:
        self.propagation.reset()
        self.guardrails.reset()
        self.regions.reset()
        self.stacksets.reset()
        self.joins.reset()
        with self.lock:
            # (management account, region) -> the GuardDuty delegated administrator there
            self.gd_admins: dict[tuple[str, str], str] = {}
            # (account, region, detector_id) -> destination_id -> record
            self.destinations: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
            # (admin account, region) -> member account -> record
            self.members: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
            # (admin account, region) -> organization configuration
            self.org_config: dict[tuple[str, str], dict[str, Any]] = {}

    # -- control API: credentials for a principal outside the emulated organization ---------

    def issue_credentials(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = str(body.get("principal_arn", ""))
        parsed = parse_arn(arn)
        if parsed is None or parsed[1] not in ("iam", "sts"):
            raise ValueError("`principal_arn` must be an IAM or STS ARN")
        partition, account = parsed[0], parsed[3]
        role_arn = ""
        if parsed[4].startswith("assumed-role/"):
            role_name = parsed[4].split("/")[1]
            role_arn = f"arn:{partition}:iam::{account}:role/{role_name}"
        key = "AKIARAD" + uuid.uuid4().hex[:13].upper()
        self.identities.register(key, Identity(account, arn, role_arn))
        return {"access_key_id": key, "secret_access_key": uuid.uuid4().hex, "principal_arn": arn}

    # -- dispatch ------------------------------------------------------------------------------

    def handle(self, req: AwsRequest, ident: Identity) -> Response | None:
        # What the clock made due since the last request: stack set operations that finish or
        # start, GuardDuty's auto-enable of accounts that joined (nothing runs in the background).
        self.stacksets.advance()
        self.joins.advance()
        # A token for a Region the account has not enabled is refused before any authorization
        # (aws-facts.md, "Opt-in Regions and partitions"; see `regions`).
        refused = self.regions.refusal(req, ident)
        if refused is not None:
            return refused
        # An SCP is evaluated before anything else answers (the landing zone's guardrails, the
        # Region deny control).
        denied = self.guardrails.check(req, ident, org_master_of, org_in_ou)
        if denied is not None:
            return denied
        mismatch = s3_expected_owner(req)
        if mismatch is not None:
            return mismatch
        # A bucket policy's explicit Deny is authorization: before the request is validated.
        denied = hardening.s3_policy_denial(req, ident)
        if denied is not None:
            return denied
        if req.service == "cloudformation":
            answered = self.stacksets.handle(req, ident)
            if answered is not None:
                return answered
        handler = PRE_HOOKS.get((req.service, req.operation))
        if handler is None:
            return None
        return handler(self, req, ident)

    def before(self, req: AwsRequest, ident: Identity) -> None:
        """Keeps in `req.snapshot` what a post hook needs to know of the state before moto's answer."""
        snap = BEFORE_HOOKS.get((req.service, req.operation))
        if snap is not None:
            req.snapshot = snap(self, req, ident)

    def after(self, req: AwsRequest, ident: Identity, body: bytes) -> bytes | None:
        """Runs the post hook of a successful moto answer; a hook may return a corrected body."""
        hook = POST_HOOKS.get((req.service, req.operation))
        if hook is not None:
            return hook(self, req, ident, body)
        return None

    # -- GuardDuty -----------------------------------------------------------------------------

    def detector(self, account: str, region: str, detector_id: str) -> Any | None:
        from moto.guardduty.models import guardduty_backends

        return guardduty_backends[account][region].detectors.get(detector_id)

    def check_destination(self, account: str, region: str, detector_id: str, props: dict[str, Any], delayed: bool = False) -> str | None:
        """None when GuardDuty could publish to this destination, otherwise AWS's message.
        `delayed`: the policies as GuardDuty's permission check sees them, i.e. without the writes
        made less than the propagation delay ago (see `propagation`)."""
        dest_arn = str(props.get("destinationArn") or "")
        key_arn = str(props.get("kmsKeyArn") or "")
        # The detector's partition: ARNs of another partition name nothing GuardDuty can reach.
        partition = partition_of(region)
        parsed = parse_arn(dest_arn)
        if parsed is None or parsed[1] != "s3" or not parsed[4] or parsed[0] != partition:
            return "The request is rejected because an invalid or out-of-range value is specified as an input parameter: destinationArn"
        bucket_name, _, prefix = parsed[4].partition("/")
        prefix = prefix.strip("/")
        key_parsed = parse_arn(key_arn)
        if key_parsed is None or key_parsed[1] != "kms" or not key_parsed[4].startswith("key/") or key_parsed[0] != partition:
            return "The request is rejected because an invalid or out-of-range value is specified as an input parameter: kmsKeyArn"
        bucket = find_bucket(bucket_name, partition)
        if bucket is None:
            return GD_PERMISSION_MESSAGE.format(detail=f"the destination bucket {bucket_name} does not exist")
        key = resolve_key(key_arn, key_parsed[3], key_parsed[2])
        if key is None:
            return GD_PERMISSION_MESSAGE.format(detail=f"the KMS key {key_arn} does not exist")
        if key_parsed[2] != bucket.region_name:
            return (
                "The request failed because the KMS key and the destination bucket are not in the same Region: "
                f"key in {key_parsed[2]}, bucket in {bucket.region_name}"
            )
        # The bucket's Region (aws-facts.md, "GuardDuty findings export" and "Opt-in Regions and
        # partitions"): findings of a Region enabled by default may go to a bucket in another
        # such Region but not to an opt-in Region; findings of an opt-in Region go to a bucket in
        # the same Region or in a Region enabled by default, not in another opt-in Region. The
        # texts are ours: AWS's were not found.
        bucket_region = bucket.region_name
        if is_opt_in(bucket_region) and bucket_region != region:
            if is_opt_in(region):
                return (
                    "The request failed because findings of the opt-in Region "
                    f"{region} cannot be exported to a bucket in another opt-in Region: bucket {bucket_name} is in {bucket_region}"
                )
            return (
                f"The request failed because findings of {region} cannot be exported to a bucket in an opt-in Region: "
                f"bucket {bucket_name} is in {bucket_region}"
            )
        if prefix and f"{prefix}/" not in bucket.keys:
            return GD_PERMISSION_MESSAGE.format(detail=f"the prefix {prefix}/ does not exist in bucket {bucket_name}")
        detector_arn = f"arn:{partition}:guardduty:{region}:{account}:detector/{detector_id}"
        context: dict[str, Any] = {
            "aws:SourceArn": detector_arn,
            "aws:SourceAccount": account,
            "aws:SecureTransport": "true",
            "s3:x-amz-server-side-encryption": "aws:kms",
            "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn,
        }
        org_id = org_of(account, partition)
        if org_id:
            context["aws:SourceOrgID"] = org_id
        service = guardduty_principal(region)
        principal = Principal.service(service)
        path = f"{prefix}/" if prefix else ""
        object_arn = f"arn:{partition}:s3:::{bucket_name}/{path}AWSLogs/{account}/GuardDuty/{region}/2024/01/01/finding.jsonl.gz"
        policy = bucket_policy_text(bucket)
        key_policy = key.policy
        if delayed:
            policy = self.propagation.visible_policy(BUCKET, bucket_name, policy)
            key_policy = self.propagation.visible_policy(KEY, key.arn, key_policy)
        checks = [
            ("s3:GetBucketLocation", f"arn:{partition}:s3:::{bucket_name}"),
            ("s3:PutObject", object_arn),
        ]
        for action, resource in checks:
            if evaluate(policy, Request(principal, action, resource, context)) != ALLOW:
                return GD_PERMISSION_MESSAGE.format(detail=f"bucket policy of {bucket_name} does not allow {action} on {resource} to {service} for {detector_arn}")
        if evaluate(policy, Request(principal, "s3:PutObjectAcl", object_arn, context)) == DENY:
            return GD_PERMISSION_MESSAGE.format(detail=f"bucket policy of {bucket_name} denies s3:PutObjectAcl")
        key_context = {k: v for k, v in context.items() if k.startswith("aws:")}
        if evaluate(key_policy, Request(principal, "kms:GenerateDataKey", key.arn, key_context)) != ALLOW:
            return GD_PERMISSION_MESSAGE.format(detail=f"key policy of {key.arn} does not allow kms:GenerateDataKey to {service} for {detector_arn}")
        return None

    def gd_org_admin(self, account: str, region: str) -> str | None:
        """The GuardDuty delegated administrator of the account's organization in the Region."""
        master = org_master_of(account, partition_of(region))
        if master is None:
            return None
        with self.lock:
            return self.gd_admins.get((master, region))

    def gd_administrator_of(self, member: str, region: str) -> str | None:
        """The GuardDuty administrator this account is a member of in the Region: an `Enabled`
        member relationship (CreateMembers by the administrator), or, when the organization's
        administrator auto-enables `ALL`, every other account of the organization
        (UpdateOrganizationConfiguration API Reference: ALL covers the organization's existing
        accounts too; aws-facts.md: AWS takes up to 24 h, here at once; no detector is created)."""
        with self.lock:
            for (admin, reg), members in self.members.items():
                record = members.get(member)
                if reg == region and admin != member and record is not None and record["relationshipStatus"] == "Enabled":
                    return admin
        admin = self.gd_org_admin(member, region)
        if admin is not None and admin != member:
            with self.lock:
                mode = self.org_config.get((admin, region), {}).get("autoEnableOrganizationMembers")
            if mode == "ALL":
                return admin
        return None

    def admin_destinations(self, member: str, region: str) -> list[tuple[str, dict[str, Any]]]:
        """Destinations of the GuardDuty administrator that exports this member's findings
        ("all the findings from the associated member accounts that are generated in the same
        Region are also exported to the same location", aws-facts.md)."""
        admin = self.gd_administrator_of(member, region)
        if admin is None:
            return []
        out = []
        with self.lock:
            for (acct, reg, _det), dests in self.destinations.items():
                if acct == admin and reg == region:
                    out.extend((acct, d) for d in dests.values())
        return out


def _gd_detector_or_error(state: State, req: AwsRequest, ident: Identity) -> tuple[Any, Response | None]:
    detector_id = req.route.get("detector", "")
    det = state.detector(ident.account, req.region, detector_id)
    if det is None:
        return None, gd_bad_request("The request is rejected because the input detectorId is not owned by the current account.")
    return det, None


def gd_create_detector(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    from moto.guardduty.models import guardduty_backends

    if guardduty_backends[ident.account][req.region].detectors:
        return gd_bad_request("The request is rejected because a detector already exists for the current account.")
    return None


def _merge_features(existing: list[dict[str, Any]], updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged = {f.get("name") or f.get("Name"): dict(f) for f in existing}
    for f in updates:
        name = f.get("name")
        entry = merged.setdefault(name, {"name": name})
        entry.update(f)
        # GuardDuty's JSON protocol carries timestamps as epoch seconds (the SDKs reject ISO text).
        entry["updatedAt"] = time.time()
    return list(merged.values())


def gd_update_detector(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    body = req.json()
    freq = body.get("findingPublishingFrequency")
    if freq is not None and freq not in ("FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"):
        return gd_bad_request(GD_INVALID_INPUT)
    # A member inherits the frequency and the protection plans from its administrator; only
    # `enable` is its own (aws-facts.md, "GuardDuty delegated administrator").
    administrator = state.gd_administrator_of(ident.account, req.region)
    if administrator is not None and any(body.get(k) is not None for k in ("findingPublishingFrequency", "features", "dataSources")):
        return gd_bad_request(GD_MEMBER_RESTRICTED)
    if "enable" in body:
        det.enabled = bool(body["enable"])
    if freq is not None:
        det.finding_publish_freq = freq
        # ... so the administrator's frequency is its members' too.
        for member_det in _gd_member_detectors(state, ident.account, req.region):
            member_det.finding_publish_freq = freq
    if body.get("dataSources") is not None:
        det.datasources = body["dataSources"]
    if body.get("features") is not None:
        det.features = _merge_features(det.features, body["features"])
    det.updated_at = datetime.now()
    return json_response({})


def gd_delete_detector_after(state: State, req: AwsRequest, ident: Identity, _body: bytes) -> None:
    with state.lock:
        state.destinations.pop((ident.account, req.region, req.route.get("detector", "")), None)


def _gd_tagged_detector(state: State, req: AwsRequest, ident: Identity) -> tuple[Any, Response | None]:
    """The detector named by the `resourceArn` of a tagging call (moto has no tagging API)."""
    arn = unquote(req.route.get("arn", ""))
    parsed = parse_arn(arn)
    if parsed is None or parsed[1] != "guardduty" or not parsed[4].startswith("detector/"):
        return None, gd_bad_request("The request is rejected because an invalid or out-of-range value is specified as an input parameter: resourceArn")
    partition, _service, region, account, resource = parsed
    if partition != req.partition or partition != partition_of(region):
        return None, gd_bad_request("The request is rejected because an invalid or out-of-range value is specified as an input parameter: resourceArn")
    if account != ident.account:
        return None, error(REST_JSON, 403, "AccessDeniedException", "The request is rejected because the resourceArn belongs to another account.")
    det = state.detector(account, region, resource.split("/", 1)[1])
    if det is None:
        return None, gd_bad_request("The request is rejected because the input detectorId is not owned by the current account.")
    return det, None


def gd_tag_resource(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    det, err = _gd_tagged_detector(state, req, ident)
    if err is not None:
        return err
    tags = req.json().get("tags")
    if not isinstance(tags, dict) or not tags:
        return gd_bad_request("The request is rejected because an invalid or out-of-range value is specified as an input parameter: tags")
    merged = {**(det.tags or {}), **{str(k): str(v) for k, v in tags.items()}}
    if len(merged) > 50:
        return gd_bad_request("The request is rejected because the resource would have more than 50 tags.")
    det.tags = merged
    return json_response({})


def gd_untag_resource(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    det, err = _gd_tagged_detector(state, req, ident)
    if err is not None:
        return err
    keys = req.query.get("tagKeys", [])
    if not keys:
        return gd_bad_request("The request is rejected because an invalid or out-of-range value is specified as an input parameter: tagKeys")
    det.tags = {k: v for k, v in (det.tags or {}).items() if k not in keys}
    return json_response({})


def gd_list_tags(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    det, err = _gd_tagged_detector(state, req, ident)
    if err is not None:
        return err
    return json_response({"tags": dict(det.tags or {})})


def gd_create_destination(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    _det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    body = req.json()
    if body.get("destinationType") != "S3":
        return gd_bad_request("The request is rejected because an invalid or out-of-range value is specified as an input parameter: destinationType")
    props = body.get("destinationProperties") or {}
    detector_id = req.route["detector"]
    slot = (ident.account, req.region, detector_id)
    with state.lock:
        if state.destinations.get(slot):
            return gd_bad_request("The request is rejected because a publishing destination already exists for this detector.")
    problem = state.check_destination(ident.account, req.region, detector_id, props, delayed=True)
    if problem is not None:
        return gd_bad_request(problem)
    dest_id = uuid.uuid4().hex
    record = {
        "destinationId": dest_id,
        "destinationType": "S3",
        "status": "PUBLISHING",
        "publishingFailureStartTimestamp": 0,
        "destinationProperties": {"destinationArn": props["destinationArn"], "kmsKeyArn": props["kmsKeyArn"]},
    }
    with state.lock:
        state.destinations.setdefault(slot, {})[dest_id] = record
    return json_response({"destinationId": dest_id})


def _gd_destination(state: State, req: AwsRequest, ident: Identity) -> tuple[dict[str, Any] | None, Response | None]:
    _det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return None, err
    slot = (ident.account, req.region, req.route["detector"])
    with state.lock:
        record = state.destinations.get(slot, {}).get(req.route.get("dest", ""))
    if record is None:
        return None, gd_bad_request("The request is rejected because the one or more input parameters have invalid values: destinationId")
    return record, None


def gd_list_destinations(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    _det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    slot = (ident.account, req.region, req.route["detector"])
    with state.lock:
        dests = [
            {"destinationId": d["destinationId"], "destinationType": d["destinationType"], "status": d["status"]}
            for d in state.destinations.get(slot, {}).values()
        ]
    return json_response({"destinations": dests})


def gd_describe_destination(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    record, err = _gd_destination(state, req, ident)
    if err is not None:
        return err
    return json_response(json.loads(json.dumps(record)))


def gd_update_destination(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    record, err = _gd_destination(state, req, ident)
    if err is not None:
        return err
    assert record is not None
    props = dict(record["destinationProperties"])
    props.update({k: v for k, v in (req.json().get("destinationProperties") or {}).items() if v})
    problem = state.check_destination(ident.account, req.region, req.route["detector"], props, delayed=True)
    if problem is not None:
        return gd_bad_request(problem)
    with state.lock:
        record["destinationProperties"] = {"destinationArn": props["destinationArn"], "kmsKeyArn": props["kmsKeyArn"]}
        record["status"] = "PUBLISHING"
        record["publishingFailureStartTimestamp"] = 0
    return json_response({})


def gd_delete_destination(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    record, err = _gd_destination(state, req, ident)
    if err is not None:
        return err
    assert record is not None
    with state.lock:
        state.destinations.get((ident.account, req.region, req.route["detector"]), {}).pop(record["destinationId"], None)
    return json_response({})


def _publish(state: State, source_account: str, region: str, detector_id: str, path_account: str, record: dict[str, Any], findings: list[dict[str, Any]]) -> None:
    """Write findings into a destination, or mark it unable to publish if the policies changed."""
    props = record["destinationProperties"]
    problem = state.check_destination(path_account, region, detector_id, props)
    if problem is not None:
        with state.lock:
            record["status"] = "UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY"
            record["publishingFailureStartTimestamp"] = int(datetime.now(timezone.utc).timestamp())
        return
    parsed = parse_arn(props["destinationArn"])
    assert parsed is not None
    bucket_name, _, prefix = parsed[4].partition("/")
    prefix = prefix.strip("/")
    now = datetime.now(timezone.utc)
    key = (
        f"{prefix + '/' if prefix else ''}AWSLogs/{path_account}/GuardDuty/{region}/"
        f"{now:%Y/%m/%d}/{uuid.uuid4()}.jsonl.gz"
    )
    payload = gzip.compress("\n".join(json.dumps(f) for f in findings).encode())
    bucket = find_bucket(bucket_name)
    if bucket is None:
        return
    from moto.s3.models import s3_backends

    # Written as GuardDuty delivers, with no ACL (aws-facts.md, "Hardening that CIS / AWS FSBP
    # checks expect of log resources": GuardDuty delivers to a `BucketOwnerEnforced` bucket),
    # straight into moto's backend: `check_destination` above evaluated the bucket policy.
    s3_backends[bucket.account_id][bucket.partition].put_object(
        bucket_name, key, payload, encryption="aws:kms", kms_key_id=props["kmsKeyArn"], disable_notification=False
    )


def gd_create_sample_findings(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    detector_id = req.route["detector"]
    types = req.json().get("findingTypes") or ["Recon:EC2/PortProbeUnprotectedPort"]
    findings = [
        {
            "schemaVersion": "2.0",
            "accountId": ident.account,
            "region": req.region,
            "id": uuid.uuid4().hex,
            "type": t,
            "severity": 5,
            "createdAt": now_iso(),
            "service": {"detectorId": detector_id, "additionalInfo": {"sample": True}},
        }
        for t in types
    ]
    with state.lock:
        own = list(state.destinations.get((ident.account, req.region, detector_id), {}).values())
    for record in own:
        if record["status"] == "PUBLISHING":
            _publish(state, ident.account, req.region, detector_id, ident.account, record, findings)
    for admin, record in state.admin_destinations(ident.account, req.region):
        if record["status"] != "PUBLISHING":
            continue
        admin_detector = _destination_detector(state, admin, req.region, record)
        _publish(state, ident.account, req.region, admin_detector, admin, record, findings)
    return json_response({})


def _destination_detector(state: State, account: str, region: str, record: dict[str, Any]) -> str:
    with state.lock:
        for (acct, reg, det), dests in state.destinations.items():
            if acct == account and reg == region and record["destinationId"] in dests:
                return det
    return ""


# -- GuardDuty delegated administrator and members ------------------------------------------------
#
# GuardDuty User Guide, "Managing GuardDuty accounts with AWS Organizations": only the
# organization's management account designates the delegated GuardDuty administrator, per Region
# (EnableOrganizationAdminAccount); "an organization can have only one delegated administrator ...
# that account must be your delegated administrator in all other regions"; the administrator adds
# organization accounts with CreateMembers, which enables GuardDuty in them, "with the exception
# of the organization management account, which must first enable GuardDuty"; "if you remove the
# delegated administrator, all associated member accounts are removed as GuardDuty members, but
# GuardDuty is not disabled in those accounts". The newer page "Designating a delegated GuardDuty
# administrator account" asks to enable GuardDuty in the administrator yourself: designating it
# creates no detector here.

# AWS's answer when an organization call comes from an account that is not the management account
# (or not the delegated administrator): seen verbatim for UpdateOrganizationConfiguration in
# aws-samples/aws-security-reference-architecture-examples issue #141; used here for every call
# of that kind (AWS's text for EnableOrganizationAdminAccount from a member was not found).
GD_NOT_ORG_ADMIN = "The request failed because you do not have required AWS Organization master permission."
# aws-facts.md, "GuardDuty delegated administrator".
GD_MEMBER_RESTRICTED = "The request is rejected because member accounts cannot manage specified resources or properties."
# CreateMembers unprocessed results seen verbatim: cloud-custodian/cloud-custodian issue #3209
# (already a member), cloudposse/terraform-aws-components PR #822 (management account without
# GuardDuty). The others are ours, in GuardDuty's words.
GD_ALREADY_MEMBER = "The request is rejected because the given account ID is already a member or associated member of the current account."
GD_MASTER_NOT_ENABLED = "Operation failed because your organization master must first enable GuardDuty to be added as a member"
GD_NOT_IN_ORGANIZATION = "The request is rejected because the given account ID is not an account of the organization of the delegated administrator."
GD_OTHER_ADMINISTRATOR = "The request is rejected because the given account ID is already a member of another administrator account."
GD_SELF_MEMBER = "The request is rejected because the current account cannot be added as a member of itself."
GD_NOT_A_MEMBER = "The request is rejected because the given account ID is not a member of the current account."
# UpdateOrganizationConfiguration / OrganizationFeatureConfiguration (API Reference).
GD_AUTO_ENABLE = ("NEW", "ALL", "NONE")
GD_ORG_FEATURES = (
    "S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS",
    "EKS_RUNTIME_MONITORING", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING",
)
# CreateMembers accountDetails, GetMembers / GetMemberDetectors accountIds, ListMembers
# maxResults: 1 to 50 (API Reference).
GD_MAX_ACCOUNTS = 50


def _gd_list_length(field: str, items: Any) -> Response | None:
    """AWS's text for 51+ items: "The request failed because the length provided for the
    accountDetails array was 64. Max allowed length is 50." (aws-samples/aws-security-reference-
    architecture-examples issues #139, #291); the same form for other lists and for an empty one
    is ours."""
    count = len(items) if isinstance(items, list) else 0
    if count == 0:
        return gd_bad_request(f"The request failed because the length provided for the {field} array was 0. Min allowed length is 1.")
    if count > GD_MAX_ACCOUNTS:
        return gd_bad_request(f"The request failed because the length provided for the {field} array was {count}. Max allowed length is {GD_MAX_ACCOUNTS}.")
    return None


def _gd_account_id(value: Any) -> str | None:
    text = str(value or "")
    return text if re.fullmatch(r"\d{12}", text) else None


def _gd_management_only(req: AwsRequest, ident: Identity) -> Response | None:
    if org_master_of(ident.account, req.partition) != ident.account:
        return gd_bad_request(GD_NOT_ORG_ADMIN)
    return None


def _gd_admin_detector(state: State, req: AwsRequest, ident: Identity) -> tuple[Any, Response | None]:
    """The caller's detector, when the caller is its organization's delegated administrator in
    this Region."""
    det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return None, err
    if state.gd_org_admin(ident.account, req.region) != ident.account:
        return None, gd_bad_request(GD_NOT_ORG_ADMIN)
    return det, None


def _gd_first_detector(account: str, region: str) -> Any | None:
    from moto.guardduty.models import guardduty_backends

    return next(iter(guardduty_backends[account][region].detectors.values()), None)


def _gd_member_detectors(state: State, admin: str, region: str) -> list[Any]:
    """The detectors of the administrator's `Enabled` members in the Region."""
    with state.lock:
        members = [a for a, m in state.members.get((admin, region), {}).items() if m["relationshipStatus"] == "Enabled"]
    return [d for d in (_gd_first_detector(a, region) for a in members) if d is not None]


def _gd_org_features(state: State, admin: str, region: str) -> dict[str, str]:
    with state.lock:
        return dict(state.org_config.get((admin, region), {}).get("features", {}))


def gd_enable_org_admin(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    err = _gd_management_only(req, ident)
    if err is not None:
        return err
    admin = _gd_account_id(req.json().get("adminAccountId"))
    # The administrator must be an account of the organization (the management account itself
    # may be designated, "not recommended").
    if admin is None or org_master_of(admin, req.partition) != ident.account:
        return gd_bad_request(GD_INVALID_INPUT)
    with state.lock:
        others = sorted({a for (m, _r), a in state.gd_admins.items() if m == ident.account and a != admin})
        if others:
            # Our text: AWS's answer to a second, different administrator was not found.
            return gd_bad_request(
                f"The request is rejected because the organization already has a delegated administrator account ({others[0]}); "
                "an organization can have only one delegated GuardDuty administrator account."
            )
        state.gd_admins[(ident.account, req.region)] = admin
    return json_response({})


def gd_disable_org_admin(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    err = _gd_management_only(req, ident)
    if err is not None:
        return err
    admin = _gd_account_id(req.json().get("adminAccountId"))
    key = (ident.account, req.region)
    with state.lock:
        if admin is None or state.gd_admins.get(key) != admin:
            return gd_bad_request(GD_INVALID_INPUT)
        del state.gd_admins[key]
        # Its members stop being members (their detectors stay enabled); its organization
        # configuration goes with it.
        state.members.pop((admin, req.region), None)
        state.org_config.pop((admin, req.region), None)
    return json_response({})


def gd_list_org_admins(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    # "Only the organization's management account can run this API operation." (API Reference)
    err = _gd_management_only(req, ident)
    if err is not None:
        return err
    raw = (req.query.get("maxResults") or [""])[0]
    if raw and (not raw.isdigit() or not 1 <= int(raw) <= GD_MAX_ACCOUNTS):
        return gd_bad_request(GD_INVALID_INPUT)
    with state.lock:
        admin = state.gd_admins.get((ident.account, req.region))
    accounts = [{"adminAccountId": admin, "adminStatus": "ENABLED"}] if admin else []
    return json_response({"adminAccounts": accounts})


def gd_get_administrator(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    """GetAdministratorAccount (and the older GetMasterAccount): the administrator whose member
    the caller is in this Region; moto answered the management account's designation instead."""
    _det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    admin = state.gd_administrator_of(ident.account, req.region)
    if admin is None:
        return json_response({})
    with state.lock:
        record = dict(state.members.get((admin, req.region), {}).get(ident.account) or {})
    relationship = {
        "accountId": admin,
        "invitationId": uuid.uuid5(uuid.NAMESPACE_OID, f"{admin}/{ident.account}/{req.region}").hex,
        "relationshipStatus": "Enabled",
        "invitedAt": record.get("invitedAt") or now_iso(),
    }
    key = "administrator" if req.operation == "GetAdministratorAccount" else "master"
    return json_response({key: relationship})


def _gd_enable_member(state: State, admin_det: Any, admin: str, member: str, region: str) -> str:
    """GuardDuty enabled in the member by its administrator: a detector if it has none (the
    organization's auto-enable features applied to it), the administrator's frequency."""
    from moto.guardduty.models import guardduty_backends

    features = _gd_org_features(state, admin, region)
    s3_mode = features.get("S3_DATA_EVENTS", "NONE")
    det = _gd_first_detector(member, region)
    if det is None:
        s3_on = s3_mode in ("NEW", "ALL")
        return str(guardduty_backends[member][region].create_detector(
            enable=True,
            finding_publishing_frequency=admin_det.finding_publish_freq,
            data_sources={"s3Logs": {"enable": s3_on}},
            tags={},
            features=[{"name": "S3_DATA_EVENTS", "status": "ENABLED" if s3_on else "DISABLED", "updatedAt": time.time()}],
        ))
    det.enabled = True
    det.finding_publish_freq = admin_det.finding_publish_freq
    if s3_mode == "ALL":
        det.features = _merge_features(det.features, [{"name": "S3_DATA_EVENTS", "status": "ENABLED"}])
    return str(det.id)


def gd_create_members(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    admin_det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    details = req.json().get("accountDetails")
    err = _gd_list_length("accountDetails", details)
    if err is not None:
        return err
    region, caller = req.region, ident.account
    master = org_master_of(caller, req.partition)
    is_admin = state.gd_org_admin(caller, region) == caller
    unprocessed: list[dict[str, str]] = []
    for detail in details:
        detail = detail if isinstance(detail, dict) else {}
        acct = _gd_account_id(detail.get("accountId"))
        problem = None
        if acct is None:
            problem = GD_INVALID_INPUT
        elif acct == caller:
            problem = GD_SELF_MEMBER
        else:
            with state.lock:
                known = acct in state.members.get((caller, region), {})
            other = state.gd_administrator_of(acct, region)
            if known:
                problem = GD_ALREADY_MEMBER
            elif other is not None and other != caller:
                problem = GD_OTHER_ADMINISTRATOR
            elif is_admin and org_master_of(acct, req.partition) != master:
                problem = GD_NOT_IN_ORGANIZATION
            elif is_admin and acct == master and _gd_first_detector(acct, region) is None:
                problem = GD_MASTER_NOT_ENABLED
        if problem is not None:
            unprocessed.append({"accountId": str(detail.get("accountId") or ""), "result": problem})
            continue
        assert acct is not None
        if is_admin:
            # From the delegated administrator: the account becomes a member at once, GuardDuty
            # enabled in it (GuardDuty User Guide, "Managing GuardDuty accounts with AWS
            # Organizations").
            _gd_enable_member(state, admin_det, caller, acct, region)
            status = "Enabled"
        else:
            # From any other account it is the invitation method: the account is recorded, not yet
            # invited (GuardDuty User Guide, "Managing GuardDuty accounts by invitation": status
            # Created until InviteMembers and the member's acceptance, which are not emulated).
            status = "Created"
        with state.lock:
            state.members.setdefault((caller, region), {})[acct] = {
                "accountId": acct,
                "email": str(detail.get("email") or ""),
                "administratorId": caller,
                "masterId": caller,
                "relationshipStatus": status,
                "invitedAt": now_iso(),
                "updatedAt": now_iso(),
            }
    return json_response({"unprocessedAccounts": unprocessed})


def _gd_member_view(record: dict[str, Any], region: str) -> dict[str, Any]:
    member = dict(record)
    det = _gd_first_detector(member["accountId"], region)
    if det is not None:
        member["detectorId"] = det.id
    return member


def gd_list_members(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    _det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    query = req.query
    raw = (query.get("maxResults") or [str(GD_MAX_ACCOUNTS)])[0]
    token = (query.get("nextToken") or [""])[0]
    if not raw.isdigit() or not 1 <= int(raw) <= GD_MAX_ACCOUNTS or (token and not token.isdigit()):
        return gd_bad_request(GD_INVALID_INPUT)
    size, offset = int(raw), int(token or 0)
    # onlyAssociated (default true): only the members associated with the administrator.
    only_associated = (query.get("onlyAssociated") or ["true"])[0].lower() != "false"
    with state.lock:
        records = [dict(m) for m in state.members.get((ident.account, req.region), {}).values()]
    if only_associated:
        records = [m for m in records if m["relationshipStatus"] == "Enabled"]
    page = [_gd_member_view(m, req.region) for m in records[offset: offset + size]]
    out: dict[str, Any] = {"members": page}
    if offset + size < len(records):
        out["nextToken"] = str(offset + size)
    return json_response(out)


def _gd_account_ids(req: AwsRequest) -> tuple[list[str], Response | None]:
    ids = req.json().get("accountIds")
    err = _gd_list_length("accountIds", ids)
    return ([str(i) for i in ids] if err is None else []), err


def gd_get_members(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    _det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    ids, err = _gd_account_ids(req)
    if err is not None:
        return err
    with state.lock:
        known = dict(state.members.get((ident.account, req.region), {}))
    members = [_gd_member_view(known[a], req.region) for a in ids if a in known]
    unprocessed = [{"accountId": a, "result": GD_NOT_A_MEMBER} for a in ids if a not in known]
    return json_response({"members": members, "unprocessedAccounts": unprocessed})


def _gd_feature_results(det: Any) -> list[dict[str, Any]]:
    fallback = det.updated_at.timestamp() if isinstance(det.updated_at, datetime) else time.time()
    return [
        {"name": f.get("name"), "status": f.get("status"), "updatedAt": f.get("updatedAt", fallback)}
        for f in det.features
        if f.get("name")
    ]


def gd_get_member_detectors(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    """GetMemberDetectors: each member's protection plans (features) and data sources."""
    _det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    ids, err = _gd_account_ids(req)
    if err is not None:
        return err
    configs, unprocessed = [], []
    for acct in ids:
        with state.lock:
            record = state.members.get((ident.account, req.region), {}).get(acct)
        det = _gd_first_detector(acct, req.region) if record is not None and record["relationshipStatus"] == "Enabled" else None
        if det is None:
            unprocessed.append({"accountId": acct, "result": GD_NOT_A_MEMBER})
            continue
        features = _gd_feature_results(det)
        sources = json.loads(json.dumps(det.to_json()["dataSources"]))
        s3 = next((f["status"] for f in features if f["name"] == "S3_DATA_EVENTS"), None)
        if s3 is not None:
            sources["s3Logs"] = {"status": s3}
        configs.append({"accountId": acct, "dataSources": sources, "features": features})
    # `members` is the wire name of MemberDataSourceConfigurations (the service model).
    return json_response({"members": configs, "unprocessedAccounts": unprocessed})


def gd_update_member_detectors(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    """UpdateMemberDetectors: the administrator sets its members' protection plans."""
    _det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    ids, err = _gd_account_ids(req)
    if err is not None:
        return err
    body = req.json()
    unprocessed = []
    for acct in ids:
        with state.lock:
            record = state.members.get((ident.account, req.region), {}).get(acct)
        det = _gd_first_detector(acct, req.region) if record is not None and record["relationshipStatus"] == "Enabled" else None
        if det is None:
            unprocessed.append({"accountId": acct, "result": GD_NOT_A_MEMBER})
            continue
        if body.get("features") is not None:
            det.features = _merge_features(det.features, body["features"])
        if body.get("dataSources") is not None:
            det.datasources = body["dataSources"]
        det.updated_at = datetime.now()
    return json_response({"unprocessedAccounts": unprocessed})


def gd_delete_members(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    _det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    with state.lock:
        members = state.members.get((ident.account, req.region), {})
        for acct in req.json().get("accountIds") or []:
            members.pop(str(acct), None)
    return json_response({"unprocessedAccounts": []})


def gd_update_org_config(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    _det, err = _gd_admin_detector(state, req, ident)
    if err is not None:
        return err
    body = req.json()
    members_mode = body.get("autoEnableOrganizationMembers")
    legacy = body.get("autoEnable")
    # "You must provide a value for either autoEnableOrganizationMembers or autoEnable, but not
    # both." (UpdateOrganizationConfiguration, API Reference; aws-facts.md). The error texts are ours.
    if members_mode is not None and legacy is not None:
        return gd_bad_request("The request is rejected because autoEnable and autoEnableOrganizationMembers cannot be specified together; use autoEnableOrganizationMembers.")
    if members_mode is None and legacy is None:
        return gd_bad_request("The request is rejected because a value for either autoEnableOrganizationMembers or autoEnable is required.")
    if members_mode is not None and members_mode not in GD_AUTO_ENABLE:
        return gd_bad_request(GD_INVALID_INPUT)
    if legacy is not None and not isinstance(legacy, bool):
        return gd_bad_request(GD_INVALID_INPUT)
    updates: dict[str, str] = {}
    for feature in body.get("features") or []:
        if not isinstance(feature, dict) or feature.get("name") not in GD_ORG_FEATURES or feature.get("autoEnable") not in GD_AUTO_ENABLE:
            return gd_bad_request(GD_INVALID_INPUT)
        updates[feature["name"]] = feature["autoEnable"]
    s3_logs = ((body.get("dataSources") or {}).get("s3Logs") or {}).get("autoEnable")
    if s3_logs is not None and "S3_DATA_EVENTS" not in updates:
        # The older data-source form of the same setting.
        updates["S3_DATA_EVENTS"] = "NEW" if s3_logs else "NONE"
    with state.lock:
        conf = state.org_config.setdefault((ident.account, req.region), {"autoEnableOrganizationMembers": "NONE", "features": {}})
        conf["autoEnableOrganizationMembers"] = members_mode if members_mode is not None else ("NEW" if legacy else "NONE")
        conf["features"].update(updates)
    if updates.get("S3_DATA_EVENTS") == "ALL":
        # ALL reaches the existing members too.
        for det in _gd_member_detectors(state, ident.account, req.region):
            det.features = _merge_features(det.features, [{"name": "S3_DATA_EVENTS", "status": "ENABLED"}])
    return json_response({})


def gd_describe_org_config(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    # "Returns information about the account selected as the delegated administrator" (API
    # Reference): answered to the administrator, refused to others like UpdateOrganizationConfiguration.
    _det, err = _gd_admin_detector(state, req, ident)
    if err is not None:
        return err
    with state.lock:
        conf = state.org_config.get((ident.account, req.region), {})
        mode = conf.get("autoEnableOrganizationMembers", "NONE")
        features = {"S3_DATA_EVENTS": "NONE", **conf.get("features", {})}
    return json_response({
        "autoEnable": mode != "NONE",
        "autoEnableOrganizationMembers": mode,
        "memberAccountLimitReached": False,
        "dataSources": {
            "s3Logs": {"autoEnable": features["S3_DATA_EVENTS"] != "NONE"},
            "kubernetes": {"auditLogs": {"autoEnable": features.get("EKS_AUDIT_LOGS", "NONE") != "NONE"}},
        },
        "features": [{"name": name, "autoEnable": value} for name, value in features.items()],
    })


# -- IAM size limits ---------------------------------------------------------------------------


def iam_limit(message: str) -> Response:
    return error(QUERY, 409, "LimitExceeded", message)


def iam_managed_policy(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    doc = req.param("PolicyDocument") or ""
    if non_whitespace_len(doc) > MANAGED_POLICY_LIMIT:
        return iam_limit(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_LIMIT}")
    return None


def iam_trust_policy(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    name = "AssumeRolePolicyDocument" if req.operation == "CreateRole" else "PolicyDocument"
    doc = req.param(name) or ""
    if non_whitespace_len(doc) > TRUST_POLICY_LIMIT:
        return iam_limit(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_LIMIT}")
    fresh = state.propagation.fresh_principal(doc)
    if fresh is not None:
        return error(QUERY, 400, "MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{fresh}"')
    return None


def iam_put_role_policy(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    role_name = req.param("RoleName") or ""
    policy_name = req.param("PolicyName") or ""
    doc = req.param("PolicyDocument") or ""
    total = non_whitespace_len(doc)
    try:
        role = _iam(ident.account, req.partition).get_role(role_name)
    except Exception:  # noqa: BLE001 - moto answers NoSuchEntity itself
        return None
    for name, other in role.policies.items():
        if name != policy_name:
            total += non_whitespace_len(other if isinstance(other, str) else json.dumps(other))
    if total > INLINE_ROLE_LIMIT:
        return iam_limit(f"Maximum policy size of {INLINE_ROLE_LIMIT} bytes exceeded for role {role_name}")
    return None


def iam_attach_role_policy(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    role_name = req.param("RoleName") or ""
    arn = req.param("PolicyArn") or ""
    try:
        role = _iam(ident.account, req.partition).get_role(role_name)
    except Exception:  # noqa: BLE001
        return None
    attached = role.managed_policies
    if arn not in attached and len(attached) >= ATTACHED_PER_ROLE_LIMIT:
        return iam_limit(f"Cannot exceed quota for PoliciesPerRole: {ATTACHED_PER_ROLE_LIMIT}")
    return None


# -- STS -----------------------------------------------------------------------------------------


def sts_assume_role(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    role_arn = req.param("RoleArn") or ""
    denied = error(
        QUERY,
        403,
        "AccessDenied",
        f"User: {ident.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
    )
    parsed = parse_arn(role_arn)
    if parsed is None or parsed[1] != "iam" or not parsed[4].startswith("role/"):
        return error(QUERY, 400, "ValidationError", f"{role_arn} is invalid")
    if parsed[0] != req.partition:
        return denied  # a role of another partition does not exist for this partition's STS
    role_name = parsed[4].rsplit("/", 1)[-1]
    try:
        role = _iam(parsed[3], req.partition).get_role(role_name)
    except Exception:  # noqa: BLE001 - moto raises NoSuchEntity for a missing role
        return denied
    if state.propagation.fresh_role(role.arn):
        return denied  # created too recently: not yet visible to STS
    context: dict[str, Any] = {"aws:PrincipalAccount": ident.account, "aws:PrincipalArn": ident.role_arn or ident.arn}
    external_id = req.param("ExternalId")
    if external_id is not None:
        context["sts:ExternalId"] = external_id
    org_id = org_of(ident.account, req.partition)
    if org_id:
        context["aws:PrincipalOrgID"] = org_id
    principal = Principal(kind="AWS", account=ident.account, arn=ident.arn, role_arn=ident.role_arn)
    trust = role.assume_role_policy_document
    if not isinstance(trust, str):
        trust = json.dumps(trust)
    if evaluate(trust, Request(principal, "sts:AssumeRole", role.arn, context)) != ALLOW:
        return denied
    return None


# -- S3 ------------------------------------------------------------------------------------------


def s3_put_bucket_policy(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    if len(req.body()) > BUCKET_POLICY_LIMIT:
        return error(REST_XML, 400, "PolicyTooLarge", "Policy exceeds the maximum allowed document size.")
    if state.propagation.fresh_principal(req.body()) is not None:
        return error(REST_XML, 400, "MalformedPolicy", "Invalid principal in policy")
    return None


def _strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# -- S3 notification rules: overlap --------------------------------------------------------------
#
# S3 refuses two rules of one configuration (Topic, Queue and CloudFunction rules alike) that share
# an event type and whose key filters overlap (aws-facts.md, "S3 notifications and KMS checks";
# S3 User Guide, "Configuring event notifications using object key name filtering":
# "Notification configurations that use Filter cannot define filtering rules with overlapping
# prefixes, overlapping suffixes, or prefix and suffix overlapping"). S3 answers InvalidArgument (400) with one of two texts: rules with the same filter
# (both without one, say) get "Configurations overlap. ...", with ArgumentName `Event` and the two
# events as ArgumentValue (S3's answer quoted in minio/minio issue #2472); rules whose different
# filters overlap get "Configuration is ambiguously defined. ..." (S3's answer quoted in
# aws-solutions/aws-waf-security-automations issue #49 and awslabs/cdk-serverless-clamscan #612,
# for a rule without a filter next to one with a prefix/suffix; no ArgumentName was quoted).

NOTIFICATION_KINDS = ("Topic", "Queue", "CloudFunction")
NOTIFICATION_REGION_MESSAGE = "The notification destination service region is not valid for the bucket location constraint"
OVERLAP_MESSAGE = "Configurations overlap. Configurations on the same bucket cannot share a common event type."
AMBIGUOUS_MESSAGE = (
    "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes "
    "are overlapping for the same event type."
)


@dataclass(frozen=True)
class NotificationRule:
    kind: str  # "Topic", "Queue" or "CloudFunction"
    rule_id: str
    destination: str  # the topic, queue or function ARN
    events: tuple[str, ...]
    prefix: str = ""
    suffix: str = ""


def notification_rules_from_xml(root: ET.Element) -> list[NotificationRule]:
    """The rules of a PutBucketNotificationConfiguration body."""
    rules = []
    for element in root:
        kind = _strip_ns(element.tag).removesuffix("Configuration")
        if kind not in NOTIFICATION_KINDS:
            continue
        rule_id, destination, events, affixes = "", "", [], {"prefix": "", "suffix": ""}
        for child in element:
            tag = _strip_ns(child.tag)
            if tag == "Id":
                rule_id = (child.text or "").strip()
            elif tag == kind:
                destination = (child.text or "").strip()
            elif tag == "Event":
                events.append((child.text or "").strip())
            elif tag == "Filter":
                for fr in child.iter():
                    if _strip_ns(fr.tag) != "FilterRule":
                        continue
                    fields = {_strip_ns(c.tag): (c.text or "") for c in fr}
                    name = fields.get("Name", "").lower()
                    if name in affixes:
                        affixes[name] = fields.get("Value", "")
        rules.append(NotificationRule(kind, rule_id, destination, tuple(events), affixes["prefix"], affixes["suffix"]))
    return rules


def notification_rules_from_moto(config: Any) -> list[NotificationRule]:
    """The rules of a bucket's configuration as moto keeps it (`bucket.notification_configuration`)."""
    if config is None:
        return []
    rules = []
    for kind, attr in (("Topic", "topic"), ("Queue", "queue"), ("CloudFunction", "cloud_function")):
        for n in getattr(config, attr):
            affixes = {"prefix": "", "suffix": ""}
            for fr in ((n.filters or {}).get("S3Key") or {}).get("FilterRule") or []:
                name = str(fr.get("Name", "")).lower()
                if name in affixes:
                    affixes[name] = str(fr.get("Value", ""))
            rules.append(NotificationRule(kind, n.id, n.arn, tuple(n.events), affixes["prefix"], affixes["suffix"]))
    return rules


def _event_covers(wide: str, narrow: str) -> bool:
    """`s3:ObjectCreated:*` covers `s3:ObjectCreated:Put` (and itself)."""
    return wide == narrow or (wide.endswith("*") and narrow.startswith(wide[:-1]))


def rules_overlap(a: NotificationRule, b: NotificationRule) -> tuple[str, str] | None:
    """The two events through which the rules overlap, if they do: a shared event type, prefixes
    that overlap (one a prefix of the other; none overlaps every prefix) and suffixes that
    overlap (one a suffix of the other; none overlaps every suffix)."""
    shared = next(((x, y) for x in a.events for y in b.events if _event_covers(x, y) or _event_covers(y, x)), None)
    if shared is None:
        return None
    if not (a.prefix.startswith(b.prefix) or b.prefix.startswith(a.prefix)):
        return None
    if not (a.suffix.endswith(b.suffix) or b.suffix.endswith(a.suffix)):
        return None
    return shared


def find_overlap(rules: list[NotificationRule]) -> tuple[NotificationRule, NotificationRule, tuple[str, str]] | None:
    for i, a in enumerate(rules):
        for b in rules[i + 1:]:
            shared = rules_overlap(a, b)
            if shared is not None:
                return a, b, shared
    return None


def overlap_error(a: NotificationRule, b: NotificationRule, shared: tuple[str, str]) -> Response:
    if (a.prefix, a.suffix) == (b.prefix, b.suffix):
        return error(REST_XML, 400, "InvalidArgument", OVERLAP_MESSAGE,
                     extra={"ArgumentName": "Event", "ArgumentValue": f"{shared[0]}, {shared[1]}"})
    return error(REST_XML, 400, "InvalidArgument", AMBIGUOUS_MESSAGE)


def _destination_admits_s3(rule: NotificationRule, bucket: Any) -> bool:
    """S3 test-publishes to each SNS / SQS destination when the configuration is put: it must
    exist (in the bucket's Region, checked before) and admit `s3.amazonaws.com` with the bucket's
    `aws:SourceArn` / `aws:SourceAccount` (aws-facts.md, "S3 event notifications to SNS"; the
    same for an SQS queue policy and `SQS:SendMessage`, S3 User Guide, "Walkthrough: Configuring
    a bucket for notifications")."""
    found = find_topic(rule.destination) if rule.kind == "Topic" else find_queue(rule.destination)
    if found is None:
        return False
    action = "SNS:Publish" if rule.kind == "Topic" else "SQS:SendMessage"
    context = {"aws:SourceArn": f"arn:{bucket.partition}:s3:::{bucket.name}", "aws:SourceAccount": bucket.account_id}
    return evaluate(found.policy, Request(Principal.service(S3_SERVICE), action, rule.destination, context)) == ALLOW


def s3_put_notification(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    bucket = find_bucket(req.s3_bucket)
    if bucket is None:
        return None
    try:
        root = ET.fromstring(req.body() or b"<NotificationConfiguration/>")
    except ET.ParseError:
        return None
    rules = notification_rules_from_xml(root)
    # The configuration is validated before its destinations are tested.
    overlap = find_overlap(rules)
    if overlap is not None:
        return overlap_error(*overlap)
    # A destination in another Region than the bucket's is refused before any test publish
    # (aws-facts.md, "S3 event notifications to SNS": "Topic in the bucket's Region"; S3's answer
    # "InvalidArgument ... The notification destination service region is not valid for the
    # bucket location constraint" quoted in cloud-custodian/cloud-custodian issue #1720; the S3
    # User Guide asks the same of queues and functions). No ArgumentName was quoted.
    elsewhere = next((r for r in rules if (parse_arn(r.destination) or ("",) * 5)[2] != bucket.region_name), None)
    if elsewhere is not None:
        return error(REST_XML, 400, "InvalidArgument", NOTIFICATION_REGION_MESSAGE)
    failed = [r for r in rules if r.kind in ("Topic", "Queue") and not _destination_admits_s3(r, bucket)]
    if failed:
        what = "topic" if failed[0].kind == "Topic" else "queue"
        return error(
            REST_XML,
            400,
            "InvalidArgument",
            "Unable to validate the following destination configurations",
            extra={"ArgumentName": failed[0].destination, "ArgumentValue": f"Permissions on the destination {what} do not allow S3 to publish notifications from this bucket"},
        )
    return None


# -- KMS / SNS sizes ----------------------------------------------------------------------------


def kms_key_policy(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    policy = req.json().get("Policy")
    if isinstance(policy, str) and len(policy.encode()) > KEY_POLICY_LIMIT:
        return error(JSON, 400, "LimitExceededException", f"Policy exceeds the maximum allowed size of {KEY_POLICY_LIMIT} bytes")
    if isinstance(policy, str) and state.propagation.fresh_principal(policy) is not None:
        return error(JSON, 400, "MalformedPolicyDocumentException", "Policy contains a statement with one or more invalid principals.")
    return None


def sns_policy_size(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    policies: list[str] = []
    if req.operation == "SetTopicAttributes":
        if (req.param("AttributeName") or "") == "Policy":
            policies.append(req.param("AttributeValue") or "")
    else:
        form = req.form()
        for name, values in form.items():
            found = re.fullmatch(r"Attributes\.entry\.(\d+)\.key", name)
            if found and values and values[0] == "Policy":
                value = form.get(f"Attributes.entry.{found.group(1)}.value") or [""]
                policies.append(value[0])
    for policy in policies:
        if len(policy.encode()) > TOPIC_POLICY_LIMIT:
            return error(QUERY, 400, "InvalidParameter", "Invalid parameter: Policy Error: policy size exceeds the maximum of 30720 bytes")
    return None


# -- CloudTrail ---------------------------------------------------------------------------------


def cloudtrail_check(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    from moto.cloudtrail.models import cloudtrail_backends

    body = req.json()
    name = str(body.get("Name") or "")
    existing = None
    if req.operation == "UpdateTrail":
        try:
            existing = cloudtrail_backends[ident.account][req.region].get_trail(name)
        except Exception:  # noqa: BLE001 - moto answers TrailNotFound itself
            return None
        name = existing.trail_name

    def pick(key: str, attr: str) -> Any:
        if key in body:
            return body[key]
        return getattr(existing, attr, None) if existing is not None else None

    bucket_name = pick("S3BucketName", "bucket_name")
    prefix = (pick("S3KeyPrefix", "s3_key_prefix") or "").strip("/")
    topic = pick("SnsTopicName", "sns_topic_name")
    key_id = pick("KmsKeyId", "kms_key_id")
    is_org = bool(pick("IsOrganizationTrail", "is_org_trail"))
    account, region, partition = ident.account, req.region, req.partition
    trail_arn = f"arn:{partition}:cloudtrail:{region}:{account}:trail/{name}"
    org_id = org_of(account, partition)
    if is_org:
        if org_id is None:
            return error("json", 400, "OrganizationsNotInUseException", "This account is not part of an organization.")
        if org_master_of(account, partition) != account:
            return error(
                "json",
                400,
                "NotOrganizationMasterAccountException",
                "This operation can be performed only by the management account or a delegated administrator account of the organization.",
            )
    context: dict[str, Any] = {
        "aws:SourceArn": trail_arn,
        "aws:SourceAccount": account,
        "s3:x-amz-acl": "bucket-owner-full-control",
        "aws:SecureTransport": "true",
    }
    if org_id:
        context["aws:SourceOrgID"] = org_id
    principal = Principal.service(CLOUDTRAIL)
    bucket = None
    if bucket_name:
        # The bucket may belong to another account: its own policy decides.
        bucket = find_bucket(bucket_name, partition)
        if bucket is None:
            return error("json", 400, "S3BucketDoesNotExistException", f"S3 bucket {bucket_name} does not exist!")
        policy = bucket_policy_text(bucket)
        base = f"arn:{partition}:s3:::{bucket_name}/{prefix + '/' if prefix else ''}AWSLogs"
        targets = [f"{base}/{account}/CloudTrail/{region}/2024/01/01/log.json.gz"]
        if is_org and org_id:
            targets.append(f"{base}/{org_id}/{account}/CloudTrail/{region}/2024/01/01/log.json.gz")
        ok = evaluate(policy, Request(principal, "s3:GetBucketAcl", f"arn:{partition}:s3:::{bucket_name}", context)) == ALLOW
        ok = ok and all(evaluate(policy, Request(principal, "s3:PutObject", t, context)) == ALLOW for t in targets)
        if not ok:
            return error("json", 400, "InsufficientS3BucketPolicyException", f"Incorrect S3 bucket policy is detected for bucket: {bucket_name}")
    if topic:
        # A name is the caller's topic in this Region; an ARN may name another account's topic.
        topic_arn = topic if topic.startswith("arn:") else f"arn:{partition}:sns:{region}:{account}:{topic}"
        found = find_topic(topic_arn)
        ok = found is not None and evaluate(found.policy, Request(principal, "SNS:Publish", topic_arn, context)) == ALLOW
        if not ok:
            return error("json", 400, "InsufficientSnsTopicPolicyException", "SNS Topic does not exist or the topic policy is incorrect!")
    if key_id:
        # A key ARN may name a key of another account (checked against that key's policy).
        key = resolve_key(str(key_id), account, region)
        if key is None:
            return error("json", 400, "KmsKeyNotFoundException", f"KMS key {key_id} not found")
        # The key must be in the bucket's Region: KmsKeyNotFound otherwise (aws-facts.md,
        # "CloudTrail across accounts").
        key_region = (parse_arn(key.arn) or ("", "", region))[2]
        if bucket is not None and key_region != bucket.region_name:
            return error("json", 400, "KmsKeyNotFoundException", f"KMS key {key_id} not found in the Region of bucket {bucket_name}")
        kms_context = dict(context)
        kms_context["kms:EncryptionContext:aws:cloudtrail:arn"] = trail_arn
        ok = evaluate(key.policy, Request(principal, "kms:GenerateDataKey", key.arn, kms_context)) == ALLOW
        ok = ok and evaluate(key.policy, Request(principal, "kms:DescribeKey", key.arn, context)) == ALLOW
        if not ok:
            return error(
                "json",
                400,
                "InsufficientEncryptionPolicyException",
                f"Insufficient permissions to access S3 bucket {bucket_name} or KMS key {key.arn}.",
            )
        if "KmsKeyId" in body and body["KmsKeyId"] != key.arn:
            # CloudTrail keeps and answers the key as its full key ARN, whatever form was given
            # (CloudTrail API Reference, Trail: KmsKeyId "is a fully specified ARN to a KMS key").
            req.set_body(json.dumps(dict(body, KmsKeyId=key.arn)).encode())
    return None


def _shallow_version_copies() -> None:
    """moto's ListObjectVersions deep-copies every stored version, which recurses past Python's
    limit for the versioned log buckets the product hardens (their objects carry the backend's
    state), so S3's answer became a 500. A copy of each version object is what the listing
    needs (it sorts them and reads their fields); the stored versions stay untouched."""
    import copy as _copy
    import types

    import moto.s3.models as s3_models

    def copy_versions(value: Any, memo: Any = None) -> Any:
        if isinstance(value, list):
            return [_copy.copy(v) for v in value]
        return _copy.deepcopy(value, memo)

    s3_models.copy = types.SimpleNamespace(copy=_copy.copy, deepcopy=copy_versions)  # type: ignore[attr-defined]


def patch_moto() -> None:
    """moto's CloudTrail looks for a trail's bucket and topic in the trail's own account only, and
    builds the topic ARN from `SnsTopicName` even when it is an ARN. On AWS both may belong to
    another account and `SnsTopicName` accepts a name or an ARN (aws-facts.md, "CloudTrail across
    accounts"); `cloudtrail_check` has already checked their policies. Then `hardening`'s
    patches of moto's S3 (new buckets' defaults, bucket-policy enforcement)."""
    _shallow_version_copies()
    from moto.cloudtrail import models as ct
    from moto.cloudtrail.exceptions import InsufficientSnsTopicPolicyException, S3BucketDoesNotExistException

    def topic_arn(self: Any) -> str | None:
        name = self.sns_topic_name
        if not name:
            return None
        if str(name).startswith("arn:"):
            return str(name)
        return f"arn:{self.partition}:sns:{self.region_name}:{self.account_id}:{name}"

    def check_bucket_exists(self: Any) -> None:
        if find_bucket(self.bucket_name, self.partition) is None:
            raise S3BucketDoesNotExistException(f"S3 bucket {self.bucket_name} does not exist!")

    def check_topic_exists(self: Any) -> None:
        if self.topic_arn and find_topic(self.topic_arn) is None:
            raise InsufficientSnsTopicPolicyException("SNS Topic does not exist or the topic policy is incorrect!")

    ct.Trail.topic_arn = property(topic_arn)  # type: ignore[assignment]
    ct.Trail.check_bucket_exists = check_bucket_exists  # type: ignore[assignment]
    ct.Trail.check_topic_exists = check_topic_exists  # type: ignore[assignment]
    # S3's defaults for new buckets and its bucket-policy conditions (see `hardening`).
    hardening.patch_moto()
    # StackSets' principal for Organizations' delegated administrators (see `stacksets`).
    stacksets.patch_moto()


PRE_HOOKS: dict[tuple[str, str], Any] = {
    ("guardduty", "CreateDetector"): gd_create_detector,
    ("guardduty", "UpdateDetector"): gd_update_detector,
    ("guardduty", "CreatePublishingDestination"): gd_create_destination,
    ("guardduty", "ListPublishingDestinations"): gd_list_destinations,
    ("guardduty", "DescribePublishingDestination"): gd_describe_destination,
    ("guardduty", "UpdatePublishingDestination"): gd_update_destination,
    ("guardduty", "DeletePublishingDestination"): gd_delete_destination,
    ("guardduty", "CreateSampleFindings"): gd_create_sample_findings,
    ("guardduty", "EnableOrganizationAdminAccount"): gd_enable_org_admin,
    ("guardduty", "DisableOrganizationAdminAccount"): gd_disable_org_admin,
    ("guardduty", "ListOrganizationAdminAccounts"): gd_list_org_admins,
    ("guardduty", "GetAdministratorAccount"): gd_get_administrator,
    ("guardduty", "GetMasterAccount"): gd_get_administrator,
    ("guardduty", "CreateMembers"): gd_create_members,
    ("guardduty", "ListMembers"): gd_list_members,
    ("guardduty", "GetMembers"): gd_get_members,
    ("guardduty", "GetMemberDetectors"): gd_get_member_detectors,
    ("guardduty", "UpdateMemberDetectors"): gd_update_member_detectors,
    ("guardduty", "DeleteMembers"): gd_delete_members,
    ("guardduty", "DisassociateMembers"): gd_delete_members,
    ("guardduty", "UpdateOrganizationConfiguration"): gd_update_org_config,
    ("guardduty", "DescribeOrganizationConfiguration"): gd_describe_org_config,
    ("guardduty", "TagResource"): gd_tag_resource,
    ("guardduty", "UntagResource"): gd_untag_resource,
    ("guardduty", "ListTagsForResource"): gd_list_tags,
    ("iam", "CreatePolicy"): iam_managed_policy,
    ("iam", "CreatePolicyVersion"): iam_managed_policy,
    ("iam", "CreateRole"): iam_trust_policy,
    ("iam", "UpdateAssumeRolePolicy"): iam_trust_policy,
    ("iam", "PutRolePolicy"): iam_put_role_policy,
    ("iam", "AttachRolePolicy"): iam_attach_role_policy,
    ("sts", "AssumeRole"): sts_assume_role,
    ("s3", "PutBucketPolicy"): s3_put_bucket_policy,
    ("s3", "PutBucketNotificationConfiguration"): s3_put_notification,
    ("kms", "CreateKey"): kms_key_policy,
    ("kms", "PutKeyPolicy"): kms_key_policy,
    ("sns", "CreateTopic"): sns_policy_size,
    ("sns", "SetTopicAttributes"): sns_policy_size,
    ("cloudtrail", "CreateTrail"): cloudtrail_check,
    ("cloudtrail", "UpdateTrail"): cloudtrail_check,
    **REGION_HOOKS,
    **hardening.PRE_HOOKS,
    **org_limits.PRE_HOOKS,
    # After org_limits: the handshake lists are answered (and paged) by joins.
    **joins.PRE_HOOKS,
}

def s3_get_notification_after(state: State, req: AwsRequest, ident: Identity, body: bytes) -> bytes | None:
    """moto answers an empty configuration with `<GetBucketNotificationResponse/>`; S3 answers
    `<NotificationConfiguration/>` (which is what the SDKs decode)."""
    root = ET.fromstring(body or b"<NotificationConfiguration/>")
    if root.tag.split("}")[-1] != "NotificationConfiguration" and len(root) == 0:
        return b'<?xml version="1.0" encoding="UTF-8"?>\n<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
    return None


def s3_get_versioning_after(state: State, req: AwsRequest, ident: Identity, body: bytes) -> bytes | None:
    """moto answers GetBucketVersioning under the root `<GetBucketVersioningResponse>`; S3
    answers `<VersioningConfiguration>` (S3 API Reference, GetBucketVersioning; with no Status
    for a bucket never versioned), the root the SDKs decode. The children are kept."""
    root = ET.fromstring(body or b"<VersioningConfiguration/>")
    if root.tag.split("}")[-1] == "VersioningConfiguration":
        return None
    ns = "http://s3.amazonaws.com/doc/2006-03-01/"
    out = ET.Element("VersioningConfiguration", {"xmlns": ns})
    for child in root:
        element = ET.SubElement(out, child.tag.split("}")[-1])
        element.text = child.text
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(out)


# -- propagation history: what was written when (see `propagation`) ----------------------------


def _live_bucket_policy(name: str) -> str | None:
    bucket = find_bucket(name)
    return bucket_policy_text(bucket) if bucket is not None else None


def _live_key(req: AwsRequest, ident: Identity) -> Any | None:
    return resolve_key(str(req.json().get("KeyId") or ""), ident.account, req.region)


def s3_policy_before(state: State, req: AwsRequest, ident: Identity) -> Any:
    return _live_bucket_policy(req.s3_bucket)


def s3_policy_written(state: State, req: AwsRequest, ident: Identity, _body: bytes) -> None:
    state.propagation.record_policy(BUCKET, req.s3_bucket, req.snapshot, _live_bucket_policy(req.s3_bucket))


def s3_bucket_deleted(state: State, req: AwsRequest, ident: Identity, _body: bytes) -> None:
    state.propagation.forget_policy(BUCKET, req.s3_bucket)


def kms_policy_before(state: State, req: AwsRequest, ident: Identity) -> Any:
    key = _live_key(req, ident)
    return key.policy if key is not None else None


def kms_policy_written(state: State, req: AwsRequest, ident: Identity, _body: bytes) -> None:
    key = _live_key(req, ident)
    if key is not None:
        state.propagation.record_policy(KEY, key.arn, req.snapshot, key.policy)


def kms_key_created(state: State, req: AwsRequest, ident: Identity, body: bytes) -> None:
    try:
        arn = json.loads(body)["KeyMetadata"]["Arn"]
    except (ValueError, KeyError, TypeError):
        return
    key = resolve_key(str(arn), ident.account, req.region)
    if key is not None:
        state.propagation.record_policy(KEY, key.arn, None, key.policy)


def iam_role_created(state: State, req: AwsRequest, ident: Identity, _body: bytes) -> None:
    try:
        role = _iam(ident.account, req.partition).get_role(req.param("RoleName") or "")
    except Exception:  # noqa: BLE001 - nothing to record
        return
    state.propagation.record_role(role.arn)


def org_account_role_name(state: State, req: AwsRequest, ident: Identity) -> Any:
    # Read before moto consumes the request body.
    return str(req.json().get("RoleName") or ORG_ACCESS_ROLE)


def org_account_created(state: State, req: AwsRequest, ident: Identity, body: bytes) -> None:
    """CreateAccount: the new account's access role in the organization's partition (see
    `place_org_access_role`); then it has joined the organization (StackSets' automatic
    deployments, GuardDuty's auto-enable: `joins`)."""
    try:
        account = json.loads(body)["CreateAccountStatus"]["AccountId"]
    except (ValueError, KeyError, TypeError):
        return
    place_org_access_role(str(account), ident.account, req.partition, str(req.snapshot or ORG_ACCESS_ROLE))
    state.joins.joined(ident.account, req.partition, str(account))


BEFORE_HOOKS: dict[tuple[str, str], Any] = {
    ("s3", "PutBucketPolicy"): s3_policy_before,
    ("s3", "DeleteBucketPolicy"): s3_policy_before,
    ("kms", "PutKeyPolicy"): kms_policy_before,
    ("organizations", "CreateAccount"): org_account_role_name,
    **joins.BEFORE_HOOKS,
}


POST_HOOKS: dict[tuple[str, str], Any] = {
    ("guardduty", "DeleteDetector"): gd_delete_detector_after,
    ("s3", "GetBucketNotificationConfiguration"): s3_get_notification_after,
    ("s3", "GetBucketVersioning"): s3_get_versioning_after,
    ("s3", "PutBucketPolicy"): s3_policy_written,
    ("s3", "DeleteBucketPolicy"): s3_policy_written,
    ("s3", "DeleteBucket"): s3_bucket_deleted,
    ("kms", "PutKeyPolicy"): kms_policy_written,
    ("kms", "CreateKey"): kms_key_created,
    ("iam", "CreateRole"): iam_role_created,
    ("organizations", "CreateAccount"): org_account_created,
    **joins.POST_HOOKS,
    **org_limits.POST_HOOKS,
}


def wants_post_hook(req: AwsRequest) -> bool:
    return (req.service, req.operation) in POST_HOOKS
