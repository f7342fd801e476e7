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
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

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


def _iam(account: str, partition: str = DEFAULT_PARTITION) -> Any:
    """The account's IAM in a partition (moto keeps one IAM backend per partition)."""
    from moto.iam.models import iam_backends

    return iam_backends[account][partition]


def _s3() -> Any:
    from moto.s3.models import s3_backends

    return s3_backends


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
    """Our state next to moto's: publishing destinations, GuardDuty members and organization
    configuration, issued credentials, the propagation delay and its history."""

    def __init__(self, identities: IdentityCache) -> None:
        self.identities = identities
        self.lock = threading.RLock()
        self.propagation = Propagation()
        self.reset()

    def reset(self) -> None:
        self.propagation.reset()
        with self.lock:
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
        principal = Principal.service(GUARDDUTY)
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
                return GD_PERMISSION_MESSAGE.format(detail=f"bucket policy of {bucket_name} does not allow {action} on {resource} for {detector_arn}")
        if evaluate(policy, Request(principal, "s3:PutObjectAcl", object_arn, context)) == DENY:
            return GD_PERMISSION_MESSAGE.format(detail=f"bucket policy of {bucket_name} denies s3:PutObjectAcl")
        key_context = {k: v for k, v in context.items() if k.startswith("aws:")}
        if evaluate(key_policy, Request(principal, "kms:GenerateDataKey", key.arn, key_context)) != ALLOW:
            return GD_PERMISSION_MESSAGE.format(detail=f"key policy of {key.arn} does not allow kms:GenerateDataKey for {detector_arn}")
        return None

    def admin_destinations(self, member: str, region: str) -> list[tuple[str, dict[str, Any]]]:
        """Destinations of the GuardDuty administrator that exports this member's findings."""
        from moto.guardduty.models import guardduty_backends

        admins: set[str] = set()
        with self.lock:
            for (admin, reg), members in self.members.items():
                if reg == region and member in members and admin != member:
                    admins.add(admin)
        master = org_master_of(member, partition_of(region))
        if master is not None:
            for admin in guardduty_backends[master][region].admin_account_ids:
                conf = self.org_config.get((admin, region), {})
                if admin != member and conf.get("autoEnableOrganizationMembers") == "ALL":
                    admins.add(admin)
        out = []
        with self.lock:
            for (acct, reg, _det), dests in self.destinations.items():
                if acct in admins and reg == region:
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
        return gd_bad_request("The request is rejected because an invalid or out-of-range value is specified as an input parameter.")
    if "enable" in body:
        det.enabled = bool(body["enable"])
    if freq is not None:
        det.finding_publish_freq = freq
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


def gd_create_members(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    _det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    details = req.json().get("accountDetails") or []
    if len(details) > 50:
        return gd_bad_request("The request is rejected because the accountDetails list exceeds 50 accounts.")
    with state.lock:
        members = state.members.setdefault((ident.account, req.region), {})
        for d in details:
            acct = str(d.get("accountId", ""))
            members[acct] = {
                "accountId": acct,
                "email": d.get("email", ""),
                "administratorId": ident.account,
                "masterId": ident.account,
                "relationshipStatus": "Enabled",
                "invitedAt": now_iso(),
                "updatedAt": now_iso(),
            }
    return json_response({"unprocessedAccounts": []})


def gd_list_members(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    from moto.guardduty.models import guardduty_backends

    _det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    with state.lock:
        members = [dict(m) for m in state.members.get((ident.account, req.region), {}).values()]
    for m in members:
        dets = list(guardduty_backends[m["accountId"]][req.region].detectors)
        if dets:
            m["detectorId"] = dets[0]
    return json_response({"members": members})


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
    _det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    body = req.json()
    with state.lock:
        conf = state.org_config.setdefault((ident.account, req.region), {"autoEnableOrganizationMembers": "NONE"})
        if "autoEnableOrganizationMembers" in body:
            conf["autoEnableOrganizationMembers"] = body["autoEnableOrganizationMembers"]
        elif body.get("autoEnable") is True:
            conf["autoEnableOrganizationMembers"] = "NEW"
        if body.get("features") is not None:
            conf["features"] = body["features"]
    return json_response({})


def gd_describe_org_config(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    _det, err = _gd_detector_or_error(state, req, ident)
    if err is not None:
        return err
    with state.lock:
        conf = dict(state.org_config.get((ident.account, req.region), {"autoEnableOrganizationMembers": "NONE"}))
    conf.setdefault("features", [])
    conf["autoEnable"] = conf["autoEnableOrganizationMembers"] != "NONE"
    conf["memberAccountLimitReached"] = False
    return json_response(conf)


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


def s3_put_notification(state: State, req: AwsRequest, ident: Identity) -> Response | None:
    bucket = find_bucket(req.s3_bucket)
    if bucket is None:
        return None
    try:
        root = ET.fromstring(req.body() or b"<NotificationConfiguration/>")
    except ET.ParseError:
        return None
    failed: list[str] = []
    for element in root.iter():
        if _strip_ns(element.tag) != "TopicConfiguration":
            continue
        topic_arn = ""
        for child in element:
            if _strip_ns(child.tag) == "Topic":
                topic_arn = (child.text or "").strip()
        topic = find_topic(topic_arn)
        parsed = parse_arn(topic_arn)
        ok = topic is not None and parsed is not None and parsed[2] == bucket.region_name
        if ok:
            context = {"aws:SourceArn": f"arn:{bucket.partition}:s3:::{bucket.name}", "aws:SourceAccount": bucket.account_id}
            ok = evaluate(topic.policy, Request(Principal.service(S3_SERVICE), "SNS:Publish", topic_arn, context)) == ALLOW
        if not ok:
            failed.append(topic_arn)
    if failed:
        return error(
            REST_XML,
            400,
            "InvalidArgument",
            "Unable to validate the following destination configurations",
            extra={"ArgumentName": failed[0], "ArgumentValue": "Permissions on the destination topic do not allow S3 to publish notifications from this bucket"},
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
    if bucket_name:
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
        topic_arn = topic if topic.startswith("arn:") else f"arn:{partition}:sns:{region}:{account}:{topic}"
        found = find_topic(topic_arn)
        ok = found is not None and evaluate(found.policy, Request(principal, "SNS:Publish", topic_arn, context)) == ALLOW
        if not ok:
            return error("json", 400, "InsufficientSnsTopicPolicyException", "SNS Topic does not exist or the topic policy is incorrect!")
    if key_id:
        key = resolve_key(str(key_id), account, region)
        if key is None:
            return error("json", 400, "KmsKeyNotFoundException", f"KMS key {key_id} not found")
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
    return None


PRE_HOOKS: dict[tuple[str, str], Any] = {
    ("guardduty", "CreateDetector"): gd_create_detector,
    ("guardduty", "UpdateDetector"): gd_update_detector,
    ("guardduty", "CreatePublishingDestination"): gd_create_destination,
    ("guardduty", "ListPublishingDestinations"): gd_list_destinations,
    ("guardduty", "DescribePublishingDestination"): gd_describe_destination,
    ("guardduty", "UpdatePublishingDestination"): gd_update_destination,
    ("guardduty", "DeletePublishingDestination"): gd_delete_destination,
    ("guardduty", "CreateSampleFindings"): gd_create_sample_findings,
    ("guardduty", "CreateMembers"): gd_create_members,
    ("guardduty", "ListMembers"): gd_list_members,
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
}

def s3_get_notification_after(state: State, req: AwsRequest, ident: Identity, body: bytes) -> bytes | None:
    """moto answers an empty configuration with `<GetBucketNotificationResponse/>`; S3 answers
    `<NotificationConfiguration/>` (which is what the SDKs decode)."""
    root = ET.fromstring(body or b"<NotificationConfiguration/>")
    if root.tag.split("}")[-1] != "NotificationConfiguration" and len(root) == 0:
        return b'<?xml version="1.0" encoding="UTF-8"?>\n<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
    return None


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
    `place_org_access_role`)."""
    try:
        account = json.loads(body)["CreateAccountStatus"]["AccountId"]
    except (ValueError, KeyError, TypeError):
        return
    place_org_access_role(str(account), ident.account, req.partition, str(req.snapshot or ORG_ACCESS_ROLE))


BEFORE_HOOKS: dict[tuple[str, str], Any] = {
    ("s3", "PutBucketPolicy"): s3_policy_before,
    ("s3", "DeleteBucketPolicy"): s3_policy_before,
    ("kms", "PutKeyPolicy"): kms_policy_before,
    ("organizations", "CreateAccount"): org_account_role_name,
}


POST_HOOKS: dict[tuple[str, str], Any] = {
    ("guardduty", "DeleteDetector"): gd_delete_detector_after,
    ("s3", "GetBucketNotificationConfiguration"): s3_get_notification_after,
    ("s3", "PutBucketPolicy"): s3_policy_written,
    ("s3", "DeleteBucketPolicy"): s3_policy_written,
    ("s3", "DeleteBucket"): s3_bucket_deleted,
    ("kms", "PutKeyPolicy"): kms_policy_written,
    ("kms", "CreateKey"): kms_key_created,
    ("iam", "CreateRole"): iam_role_created,
    ("organizations", "CreateAccount"): org_account_created,
}


def wants_post_hook(req: AwsRequest) -> bool:
    return (req.service, req.operation) in POST_HOOKS
