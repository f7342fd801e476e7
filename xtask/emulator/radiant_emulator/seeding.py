"""A simulated organization, created straight in moto's backends (no HTTP round trips), the same
for the same seed: account ids, names, emails, OU names, organization and detector ids.

The organization lives in the partition of its Regions (`us-gov-*` -> `aws-us-gov`, `cn-*` ->
`aws-cn`, else `aws`): moto's backends of that partition, and every ARN of the seeded roles,
policies and destinations in that partition.

With `landing_zone`, the organization is a Control Tower landing zone (aws-facts.md, "Landing
zones"): the shared accounts Log Archive and Audit in an OU `Security`, the organization trail
`aws-controltower-BaselineCloudTrail` of the management account writing to a bucket of Log Archive
with the organization ID as prefix, encrypted with a key of the management account and notifying
the topic `aws-controltower-AllConfigNotifications` of Audit, and the mandatory guardrails
(`guardrails`) enforced from then on.

With `disabled_regions`, some accounts have not enabled some opt-in Regions (every opt-in Region
is enabled otherwise, see `regions`); with `region_deny`, Control Tower's Region deny control is
attached to one OU (see `guardrails`)."""

from __future__ import annotations

import hashlib
import json
import random
import re
import uuid
from typing import Any

from .extensions import (
    NotificationRule,
    _iam,
    find_bucket,
    find_overlap,
    notification_rules_from_moto,
    place_org_access_role,
)
from .extensions import guardduty_principal
from .guardrails import CT_EXECUTION_ROLE, RegionDeny
from .protocol import DEFAULT_ACCOUNT, DEFAULT_PARTITION, partition_of
from .regions import OPT_IN_REGIONS, is_opt_in, partition_regions

MANAGEMENT_ACCOUNT = DEFAULT_ACCOUNT

SPEC_FIELDS = {
    "accounts": 5,
    "ous": 2,
    "regions": ["us-east-1"],
    "suspended": 0,
    "existing_detectors": 0,
    "foreign_destinations": 0,
    "management_detector": False,
    "hub_customer_buckets": [],
    "hub_customer_key_alias": None,
    "existing_notification_bucket": None,
    "existing_notification_rules": [],
    "trusted_services": [],
    "landing_zone": False,
    "guardduty_admin": None,
    "disabled_regions": {},
    "region_deny": None,
    "seed": 0,
}

# Control Tower's names (aws-facts.md, "Landing zones").
LZ_TRAIL = "aws-controltower-BaselineCloudTrail"
LZ_CONFIG_TOPIC = "aws-controltower-AllConfigNotifications"
LZ_SECURITY_OU = "Security"
LZ_ACCOUNTS = (("log_archive", "Log Archive", "log-archive"), ("audit", "Audit", "audit"))
CLOUDTRAIL_PRINCIPAL = "cloudtrail.amazonaws.com"
NOTIFICATION_RULE_FIELDS = {"bucket", "account", "id", "events", "prefix", "suffix", "destination"}
# `disabled_regions` keys besides a 12-digit account id: these names, or `first:N`.
DISABLED_REGION_REFS = ("*", "management", "log_archive", "audit")


def normalize_spec(body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - set(SPEC_FIELDS)
    if unknown:
        raise ValueError(f"unknown seed fields: {sorted(unknown)}")
    spec = {k: body.get(k, v) for k, v in SPEC_FIELDS.items()}
    for field in ("hub_customer_buckets", "regions", "trusted_services", "existing_notification_rules"):
        if spec[field] is None:
            spec[field] = list(SPEC_FIELDS[field])  # type: ignore[arg-type]
    if spec["disabled_regions"] is None:
        spec["disabled_regions"] = {}
    if not spec["regions"]:
        raise ValueError("`regions` must name at least one Region")
    partitions = sorted({partition_of(str(r)) for r in spec["regions"]})
    if len(partitions) > 1:
        raise ValueError(f"`regions` must all be in one partition (an organization lives in one), got {partitions}")
    if spec["accounts"] < 0 or spec["ous"] < 0:
        raise ValueError("`accounts` and `ous` must not be negative")
    if spec["suspended"] > spec["accounts"]:
        raise ValueError("`suspended` cannot exceed `accounts`")
    active = spec["accounts"] - spec["suspended"]
    if spec["existing_detectors"] > active or spec["foreign_destinations"] > active:
        raise ValueError("`existing_detectors` and `foreign_destinations` cannot exceed the active accounts")
    if not isinstance(spec["landing_zone"], bool):
        raise ValueError("`landing_zone` must be true or false")
    admin = spec["guardduty_admin"]
    if admin is not None and admin != "audit" and not re.fullmatch(r"\d{12}", str(admin)):
        raise ValueError('`guardduty_admin` must be null, "audit" or a 12-digit account id')
    if admin == "audit" and not spec["landing_zone"]:
        raise ValueError('`guardduty_admin: "audit"` needs `landing_zone: true`')
    rules = spec["existing_notification_rules"]
    if not isinstance(rules, list):
        raise ValueError("`existing_notification_rules` must be a list")
    for rule in rules:
        if not isinstance(rule, dict):
            raise ValueError("each `existing_notification_rules` entry must be an object")
        unknown = set(rule) - NOTIFICATION_RULE_FIELDS
        if unknown:
            raise ValueError(f"unknown `existing_notification_rules` fields: {sorted(unknown)}")
        if not rule.get("bucket") or not rule.get("id"):
            raise ValueError("each `existing_notification_rules` entry needs `bucket` and `id`")
        events = rule.get("events")
        if not isinstance(events, list) or not events:
            raise ValueError("each `existing_notification_rules` entry needs a non-empty `events` list")
        if rule.get("destination", "sns") not in ("sns", "sqs"):
            raise ValueError('`destination` must be "sns" or "sqs"')
        if rule.get("account") in ("log_archive", "audit") and not spec["landing_zone"]:
            raise ValueError(f'`account: "{rule["account"]}"` needs `landing_zone: true`')
    _check_disabled_regions(spec, partitions[0])
    _check_region_deny(spec, partitions[0])
    return spec


def _check_disabled_regions(spec: dict[str, Any], partition: str) -> None:
    """`disabled_regions`: {ACCOUNT | "first:N" | "*" | "management" | "log_archive" | "audit":
    [opt-in Region, ...]}; only opt-in Regions can be disabled (aws-facts.md, "Opt-in Regions and
    partitions": they are all commercial)."""
    disabled = spec["disabled_regions"]
    if not isinstance(disabled, dict):
        raise ValueError("`disabled_regions` must be an object: {account id | \"first:N\" | \"*\" | \"management\": [Region, ...]}")
    for ref, names in disabled.items():
        first = re.fullmatch(r"first:(\d+)", ref)
        if not (re.fullmatch(r"\d{12}", ref) or first or ref in DISABLED_REGION_REFS):
            raise ValueError(f'`disabled_regions`: `{ref}` is not an account id, "first:N", "*", "management", "log_archive" or "audit"')
        if first and int(first.group(1)) > spec["accounts"]:
            raise ValueError(f"`disabled_regions`: `{ref}` names more than the {spec['accounts']} member accounts")
        if ref in ("log_archive", "audit") and not spec["landing_zone"]:
            raise ValueError(f"`disabled_regions`: `{ref}` needs `landing_zone: true`")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"`disabled_regions`: `{ref}` must map to a list of Regions")
        bad = sorted(n for n in names if not is_opt_in(n))
        if bad:
            raise ValueError(f"`disabled_regions`: {bad} are not opt-in Regions; only these can be disabled: {sorted(OPT_IN_REGIONS)}")
        if names and partition != DEFAULT_PARTITION:
            raise ValueError(f"`disabled_regions`: opt-in Regions are commercial; the organization is in {partition}")


def _check_region_deny(spec: dict[str, Any], partition: str) -> None:
    """`region_deny`: null or {"ou": OU id | "ou-index:N" (1 = the first of the `ous`) |
    "security" (with `landing_zone`), "regions": [Region, ...] (the Regions denied)}."""
    deny = spec["region_deny"]
    if deny is None:
        return
    if not isinstance(deny, dict) or set(deny) != {"ou", "regions"}:
        raise ValueError('`region_deny` must be null or {"ou": OU id | "ou-index:N" | "security", "regions": [Region, ...]}')
    ou, names = deny["ou"], deny["regions"]
    index = re.fullmatch(r"ou-index:(\d+)", str(ou))
    if index and not 1 <= int(index.group(1)) <= spec["ous"]:
        raise ValueError(f"`region_deny`: `{ou}` is not one of the {spec['ous']} seeded OUs (ou-index:1 is the first)")
    if ou == "security" and not spec["landing_zone"]:
        raise ValueError('`region_deny`: `"ou": "security"` needs `landing_zone: true`')
    if not index and ou != "security" and not re.fullmatch(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}", str(ou)):
        raise ValueError(f'`region_deny`: `{ou}` is not an OU id, "ou-index:N" or "security"')
    known = partition_regions(partition)
    if not isinstance(names, list) or not names or any(n not in known for n in names):
        raise ValueError(f"`region_deny`: `regions` must be a non-empty list of Regions of {partition}: {list(known)}")


def _account_ids(rng: random.Random, n: int) -> list[str]:
    ids: list[str] = []
    seen = {MANAGEMENT_ACCOUNT}
    while len(ids) < n:
        candidate = str(rng.randrange(100_000_000_000, 999_999_999_999))
        if candidate not in seen:
            seen.add(candidate)
            ids.append(candidate)
    return ids


def _customer_bucket_policy(bucket: str, partition: str) -> str:
    arn = f"arn:{partition}:s3:::{bucket}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CustomerDenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [arn, f"{arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "CustomerAuditRead",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{MANAGEMENT_ACCOUNT}:root"},
                    "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": [arn, f"{arn}/*"],
                },
            ],
        }
    )


def _guardduty_bucket_policy(bucket: str, account: str, partition: str, service: str) -> str:
    arn = f"arn:{partition}:s3:::{bucket}"
    cond = {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": f"arn:{partition}:guardduty:*:{account}:detector/*"},
    }
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "GuardDutyLocation", "Effect": "Allow", "Principal": {"Service": service},
                 "Action": "s3:GetBucketLocation", "Resource": arn, "Condition": cond},
                {"Sid": "GuardDutyPut", "Effect": "Allow", "Principal": {"Service": service},
                 "Action": "s3:PutObject", "Resource": f"{arn}/*", "Condition": cond},
            ],
        }
    )


def _key_policy(account: str, partition: str, extra: list[dict[str, Any]]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
                *extra,
            ],
        }
    )


def _create_key(account: str, region: str, policy: str, description: str) -> Any:
    from moto.kms.models import kms_backends

    return kms_backends[account][region].create_key(
        policy=policy, key_usage="ENCRYPT_DECRYPT", key_spec="SYMMETRIC_DEFAULT", description=description, tags=None
    )


def _s3_publish_condition(bucket: str, owner: str, partition: str) -> dict[str, Any]:
    """S3 as a notification sender: aws-facts.md, "S3 event notifications to SNS"."""
    return {"ArnLike": {"aws:SourceArn": f"arn:{partition}:s3:*:*:{bucket}"}, "StringEquals": {"aws:SourceAccount": owner}}


# -- landing zone ---------------------------------------------------------------------------------


def _lz_bucket_policy(bucket: str, partition: str, org_id: str, prefix: str, trail_arn: str) -> str:
    """The log bucket's policy for the organization trail: `s3:GetBucketAcl` on the bucket and
    `s3:PutObject` on `BUCKET/PREFIX/AWSLogs/MGMT/*` and `BUCKET/PREFIX/AWSLogs/o-ORGID/*` with
    `s3:x-amz-acl` = `bucket-owner-full-control` and `aws:SourceArn` = the trail ARN (aws-facts.md,
    "Organization CloudTrail trail"), and Control Tower's deny of insecure transport."""
    arn = f"arn:{partition}:s3:::{bucket}"
    ct = {"Service": CLOUDTRAIL_PRINCIPAL}
    put = {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}}
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AllowSSLRequestsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "AWSBucketPermissionsCheck", "Effect": "Allow", "Principal": ct, "Action": "s3:GetBucketAcl",
             "Resource": arn, "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}},
            {"Sid": "AWSBucketDeliveryForManagementAccount", "Effect": "Allow", "Principal": ct, "Action": "s3:PutObject",
             "Resource": f"{arn}/{prefix}/AWSLogs/{MANAGEMENT_ACCOUNT}/*", "Condition": put},
            {"Sid": "AWSBucketDeliveryForOrganizationTrail", "Effect": "Allow", "Principal": ct, "Action": "s3:PutObject",
             "Resource": f"{arn}/{prefix}/AWSLogs/{org_id}/*", "Condition": put},
        ],
    })


def _lz_key_statements(partition: str, trail_arn: str) -> list[dict[str, Any]]:
    """CloudTrail may `kms:GenerateDataKey*` scoped by `kms:EncryptionContext:aws:cloudtrail:arn`
    and `aws:SourceArn`, and `kms:DescribeKey` (aws-facts.md, "Organization CloudTrail trail");
    the management account's root administers the key (`_key_policy`)."""
    ct = {"Service": CLOUDTRAIL_PRINCIPAL}
    return [
        {"Sid": "AllowCloudTrailToEncryptLogs", "Effect": "Allow", "Principal": ct, "Action": "kms:GenerateDataKey*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceArn": trail_arn},
                       "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{MANAGEMENT_ACCOUNT}:trail/*"}}},
        {"Sid": "AllowCloudTrailToDescribeKey", "Effect": "Allow", "Principal": ct, "Action": "kms:DescribeKey", "Resource": "*"},
    ]


def _ct_execution_role(account: str, partition: str) -> None:
    """`AWSControlTowerExecution`, the role Control Tower works through in an enrolled account
    (trusting the management account), the one principal its guardrails exempt."""
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:{partition}:iam::{MANAGEMENT_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
    _iam(account, partition).create_role(
        role_name=CT_EXECUTION_ROLE, assume_role_policy_document=json.dumps(trust), path="/",
        permissions_boundary=None, description="", tags=[], max_session_duration="3600",
    )


def _seed_landing_zone(lz: dict[str, Any], org_id: str, home: str, partition: str) -> dict[str, Any]:
    """The organization trail of the management account and its resources in the shared accounts."""
    from moto.cloudtrail.models import cloudtrail_backends
    from moto.s3.models import s3_backends
    from moto.sns.models import sns_backends

    log_archive, audit = lz["log_archive"], lz["audit"]
    trail_arn = f"arn:{partition}:cloudtrail:{home}:{MANAGEMENT_ACCOUNT}:trail/{LZ_TRAIL}"
    bucket = f"aws-controltower-logs-{log_archive}-{home}"
    prefix = org_id  # Control Tower's prefix is the organization ID.
    s3 = s3_backends[log_archive][partition]
    s3.create_bucket(bucket, home)
    s3.put_bucket_policy(bucket, _lz_bucket_policy(bucket, partition, org_id, prefix, trail_arn).encode())
    key = _create_key(MANAGEMENT_ACCOUNT, home, _key_policy(MANAGEMENT_ACCOUNT, partition, _lz_key_statements(partition, trail_arn)),
                      "AWS Control Tower CloudTrail encryption")
    topic = sns_backends[audit][home].create_topic(LZ_CONFIG_TOPIC)
    doc = json.loads(topic.policy)
    doc["Statement"].append({"Sid": "AWSCloudTrailSNSPolicy", "Effect": "Allow", "Principal": {"Service": CLOUDTRAIL_PRINCIPAL},
                             "Action": "SNS:Publish", "Resource": topic.arn, "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}})
    topic.policy = json.dumps(doc)
    trail = cloudtrail_backends[MANAGEMENT_ACCOUNT][home].create_trail(
        name=LZ_TRAIL, bucket_name=bucket, s3_key_prefix=prefix, sns_topic_name=topic.arn, is_global=True,
        is_multi_region=True, log_validation=True, is_org_trail=True, cw_log_group_arn=None, cw_role_arn=None,
        kms_key_id=key.arn, tags_list=[],
    )
    trail.start_logging()
    return dict(lz, trail_arn=trail.arn, trail_name=LZ_TRAIL, trail_bucket=bucket, trail_prefix=prefix,
                trail_key_arn=key.arn, config_topic_arn=topic.arn)


# -- existing notification rules ------------------------------------------------------------------


def _notification_config(rules: list[NotificationRule], event_bridge: Any) -> dict[str, Any]:
    """moto's form of a notification configuration (what its parser makes of the XML)."""
    config: dict[str, Any] = {}
    for r in rules:
        entry: dict[str, Any] = {"Id": r.rule_id, r.kind: r.destination, "Event": list(r.events)}
        affixes = [{"Name": n, "Value": v} for n, v in (("prefix", r.prefix), ("suffix", r.suffix)) if v]
        if affixes:
            entry["Filter"] = {"S3Key": {"FilterRule": affixes}}
        config.setdefault(f"{r.kind}Configuration", []).append(entry)
    if event_bridge is not None:
        config["EventBridgeConfiguration"] = event_bridge
    return config


def _seed_notification_rule(rule: dict[str, Any], account: str, home: str, partition: str) -> dict[str, Any]:
    from moto.s3 import notifications as s3_events
    from moto.s3.models import s3_backends
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    name, rule_id = str(rule["bucket"]), str(rule["id"])
    events = [str(e) for e in rule["events"]]
    bad = [e for e in events if not s3_events.S3NotificationEvent.is_event_valid(e)]
    if bad:
        raise ValueError(f"`existing_notification_rules`: unknown S3 event types {bad}")
    found = find_bucket(name)
    if found is not None and found.account_id != account:
        raise ValueError(f"`existing_notification_rules`: bucket {name} belongs to account {found.account_id}, not {account}")
    s3 = s3_backends[account][partition]
    if found is None:
        try:
            s3.create_bucket(name, home)
        except Exception as exc:  # noqa: BLE001 - moto's InvalidBucketName...: a bad seed, a 400
            raise ValueError(f"`existing_notification_rules`: bucket {name}: {exc}") from exc
    bucket = s3.buckets[name]
    region = bucket.region_name
    # A topic or queue of the bucket's account and Region, admitting S3 for this bucket.
    dest_name = f"{re.sub(r'[^A-Za-z0-9_-]', '-', rule_id)[:60]}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    condition = _s3_publish_condition(name, account, partition)
    if rule.get("destination", "sns") == "sns":
        topic = sns_backends[account][region].create_topic(dest_name)
        topic.policy = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "CustomerS3Publish", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
             "Action": "SNS:Publish", "Resource": topic.arn, "Condition": condition}]})
        kind, arn = "Topic", topic.arn
    else:
        queue_arn = f"arn:{partition}:sqs:{region}:{account}:{dest_name}"
        policy = {"Version": "2012-10-17", "Statement": [
            {"Sid": "CustomerS3Send", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
             "Action": "SQS:SendMessage", "Resource": queue_arn, "Condition": condition}]}
        queue = sqs_backends[account][region].create_queue(dest_name, Policy=json.dumps(policy))
        kind, arn = "Queue", queue.queue_arn
    current = bucket.notification_configuration
    rules = notification_rules_from_moto(current)
    if any(r.rule_id == rule_id for r in rules):
        raise ValueError(f"`existing_notification_rules`: bucket {name} already has a rule `{rule_id}`")
    new = NotificationRule(kind, rule_id, arn, tuple(events), str(rule.get("prefix") or ""), str(rule.get("suffix") or ""))
    overlap = find_overlap(rules + [new])
    if overlap is not None:
        a, b, _ = overlap
        raise ValueError(f"`existing_notification_rules`: rules `{a.rule_id}` and `{b.rule_id}` of bucket {name} overlap (S3 refuses that configuration)")
    s3.put_bucket_notification_configuration(name, _notification_config(rules + [new], getattr(current, "event_bridge", None)))
    return {
        "bucket": name, "account": account, "id": rule_id, "events": events, "prefix": new.prefix, "suffix": new.suffix,
        "destination": "sns" if kind == "Topic" else "sqs",
        "topic_arn": arn if kind == "Topic" else None, "queue_arn": arn if kind == "Queue" else None,
    }


def seed_organization(body: dict[str, Any], state: Any) -> dict[str, Any]:
    """Create the organization described by `body` and return what was created."""
    from moto.guardduty.models import guardduty_backends
    from moto.kms.models import kms_backends
    from moto.moto_api._internal import mock_random
    from moto.organizations import utils as org_utils
    from moto.organizations.models import organizations_backends
    from moto.s3.models import s3_backends
    from moto.sns.models import sns_backends

    spec = normalize_spec(body)
    seed = int(spec["seed"])
    rng = random.Random(seed)
    mock_random.seed(seed)
    regions: list[str] = list(spec["regions"])
    home = regions[0]
    partition = partition_of(home)
    with_lz = spec["landing_zone"]

    if any(b.org is not None for b in list(organizations_backends[MANAGEMENT_ACCOUNT].values())):
        raise ValueError("an organization already exists: call `POST /_radiant/reset` before seeding again")
    # Every id first, so that a bad reference is refused before anything is created. The landing
    # zone's shared accounts come first: Control Tower creates them before any workload account.
    shared = len(LZ_ACCOUNTS) if with_lz else 0
    all_ids = _account_ids(rng, shared + spec["accounts"])
    shared_ids, ids = all_ids[:shared], all_ids[shared:]
    lz_ids = {role: shared_ids[i] for i, (role, _name, _slug) in enumerate(LZ_ACCOUNTS)} if with_lz else {}
    active_ids = ids[: spec["accounts"] - spec["suspended"]]
    known = {MANAGEMENT_ACCOUNT, *shared_ids, *active_ids}

    def account_of(ref: Any, what: str) -> str:
        ref = "management" if ref is None else str(ref)
        account = MANAGEMENT_ACCOUNT if ref == "management" else lz_ids.get(ref, ref)
        if account not in known:
            raise ValueError(f"{what}: `{ref}` is not the management account, a shared account or an active member of the seeded organization")
        return account

    admin = account_of(spec["guardduty_admin"], "`guardduty_admin`") if spec["guardduty_admin"] is not None else None
    rule_accounts = [account_of(r.get("account"), "`existing_notification_rules`") for r in spec["existing_notification_rules"]]
    disabled: list[tuple[str, str]] = []
    for ref, names in spec["disabled_regions"].items():
        first = re.fullmatch(r"first:(\d+)", ref)
        if first:
            targets = ids[: int(first.group(1))]
        elif ref == "*":
            targets = [MANAGEMENT_ACCOUNT, *shared_ids, *ids]
        elif ref in ("management", "log_archive", "audit"):
            targets = [account_of(ref, "`disabled_regions`")]
        elif ref in {MANAGEMENT_ACCOUNT, *shared_ids, *ids}:
            targets = [ref]  # suspended members too
        else:
            raise ValueError(f"`disabled_regions`: `{ref}` is not an account of the seeded organization")
        disabled.extend((account, region) for account in targets for region in names)

    orgs = organizations_backends[MANAGEMENT_ACCOUNT][partition]
    # Organizations is global; the Region only gives the partition of its ARNs.
    orgs.create_organization(region="us-east-1" if partition == DEFAULT_PARTITION else home, FeatureSet="ALL")
    org = orgs.org
    root_id = org.root_id
    # Trusted access the organization already gave (e.g. `cloudtrail.amazonaws.com`); a landing
    # zone's organization trail needs CloudTrail's (aws-facts.md, "Organization CloudTrail trail").
    trusted = list(spec["trusted_services"])
    if with_lz and CLOUDTRAIL_PRINCIPAL not in trusted:
        trusted.append(CLOUDTRAIL_PRINCIPAL)
    for principal in trusted:
        orgs.enable_aws_service_access(ServicePrincipal=str(principal))

    security_ou = None
    if with_lz:
        security_ou = orgs.create_organizational_unit(ParentId=root_id, Name=LZ_SECURITY_OU)["OrganizationalUnit"]["Id"]
    ous = []
    for i in range(spec["ous"]):
        described = orgs.create_organizational_unit(ParentId=root_id, Name=f"ou-{i + 1:02d}")["OrganizationalUnit"]
        ous.append({"id": described["Id"], "name": described["Name"], "arn": described["Arn"]})
    deny_ou = None
    if spec["region_deny"] is not None:
        ref = str(spec["region_deny"]["ou"])
        index = re.fullmatch(r"ou-index:(\d+)", ref)
        deny_ou = ous[int(index.group(1)) - 1]["id"] if index else security_ou if ref == "security" else ref
        if deny_ou not in {o["id"] for o in ous} | {security_ou}:
            raise ValueError(f"`region_deny`: `{ref}` is not an OU of the seeded organization (call `POST /_radiant/reset` before seeding again)")

    pending = iter(all_ids)
    original = org_utils.make_random_account_id
    org_utils.make_random_account_id = lambda: next(pending)  # type: ignore[assignment]
    accounts = []
    try:
        for (role, name, slug), account_id in zip(LZ_ACCOUNTS, shared_ids):
            email = f"aws+{slug}-{account_id[-4:]}@example.com"
            orgs.create_account(AccountName=name, Email=email)
            place_org_access_role(account_id, MANAGEMENT_ACCOUNT, partition)
            _ct_execution_role(account_id, partition)
            orgs.get_account_by_id(account_id).parent_id = security_ou
            accounts.append({"id": account_id, "name": name, "email": email, "ou_id": security_ou, "status": "ACTIVE"})
        for i, account_id in enumerate(ids):
            name = f"member-{i + 1:04d}"
            email = f"aws+{name}-{account_id[-4:]}@example.com"
            orgs.create_account(AccountName=name, Email=email)
            place_org_access_role(account_id, MANAGEMENT_ACCOUNT, partition)
            fake = orgs.get_account_by_id(account_id)
            parent = ous[i % len(ous)]["id"] if ous else root_id
            fake.parent_id = parent
            status = "ACTIVE"
            if i >= spec["accounts"] - spec["suspended"]:
                status = "SUSPENDED"
                fake.status = "SUSPENDED"
                fake.state = "SUSPENDED"
            accounts.append({"id": account_id, "name": name, "email": email, "ou_id": parent, "status": status})
    finally:
        org_utils.make_random_account_id = original  # type: ignore[assignment]

    # `existing_detectors` and `foreign_destinations` are about the workload accounts.
    active = active_ids
    # With `management_detector`, the management account (the default hub) comes first: a
    # detector in every Region, exporting in the home Region to a bucket of its own.
    hub_first = [MANAGEMENT_ACCOUNT] if spec["management_detector"] else []
    detectors = []
    for account_id in hub_first + active[: spec["existing_detectors"]]:
        for region in regions:
            detector_id = guardduty_backends[account_id][region].create_detector(
                enable=True,
                finding_publishing_frequency="ONE_HOUR",
                data_sources={},
                tags={},
                features=[{"name": "S3_DATA_EVENTS", "status": "DISABLED"}],
            )
            detectors.append({"account": account_id, "region": region, "detector_id": detector_id})

    foreign = []
    for account_id in hub_first + active[: spec["foreign_destinations"]]:
        gd = guardduty_backends[account_id][home]
        detector_id = next(iter(gd.detectors), None) or gd.create_detector(
            enable=True, finding_publishing_frequency="ONE_HOUR", data_sources={}, tags={}, features=[]
        )
        bucket = f"foreign-findings-{account_id}"
        s3 = s3_backends[account_id][partition]
        s3.create_bucket(bucket, home)
        # In an opt-in home Region GuardDuty publishes as `guardduty.HOME.amazonaws.com`.
        gd_service = guardduty_principal(home)
        s3.put_bucket_policy(bucket, _guardduty_bucket_policy(bucket, account_id, partition, gd_service).encode())
        key = _create_key(
            account_id,
            home,
            _key_policy(account_id, partition, [{"Sid": "GuardDutyKey", "Effect": "Allow", "Principal": {"Service": gd_service},
                                       "Action": "kms:GenerateDataKey", "Resource": "*"}]),
            "findings of another security tool",
        )
        dest_id = uuid.UUID(int=rng.getrandbits(128)).hex
        record = {
            "destinationId": dest_id,
            "destinationType": "S3",
            "status": "PUBLISHING",
            "publishingFailureStartTimestamp": 0,
            "destinationProperties": {"destinationArn": f"arn:{partition}:s3:::{bucket}", "kmsKeyArn": key.arn},
        }
        with state.lock:
            state.destinations.setdefault((account_id, home, detector_id), {})[dest_id] = record
        foreign.append({"account": account_id, "region": home, "detector_id": detector_id,
                        "destination_id": dest_id, "bucket": bucket, "kms_key_arn": key.arn})

    gd_admin = None
    if admin is not None:
        # The GuardDuty delegated administrator in every Region, with a detector there, no members
        # yet (as `EnableOrganizationAdminAccount` from the management account leaves it).
        detectors_of_admin = []
        for region in regions:
            gd = guardduty_backends[admin][region]
            detector_id = next(iter(gd.detectors), None) or gd.create_detector(
                enable=True, finding_publishing_frequency="SIX_HOURS", data_sources={}, tags={},
                features=[{"name": "S3_DATA_EVENTS", "status": "DISABLED"}],
            )
            detectors_of_admin.append({"region": region, "detector_id": detector_id})
            with state.lock:
                state.gd_admins[(MANAGEMENT_ACCOUNT, region)] = admin
        gd_admin = {"account": admin, "detectors": detectors_of_admin}

    landing_zone = None
    if with_lz:
        landing_zone = _seed_landing_zone(
            {"management": MANAGEMENT_ACCOUNT, **lz_ids, "security_ou": security_ou}, org.id, home, partition
        )

    mgmt_s3 = s3_backends[MANAGEMENT_ACCOUNT][partition]
    hub_buckets = []
    for bucket in spec["hub_customer_buckets"]:
        mgmt_s3.create_bucket(bucket, home)
        mgmt_s3.put_bucket_policy(bucket, _customer_bucket_policy(bucket, partition).encode())
        hub_buckets.append(bucket)

    hub_key = None
    if spec["hub_customer_key_alias"]:
        alias = spec["hub_customer_key_alias"]
        alias = alias if alias.startswith("alias/") else f"alias/{alias}"
        key = _create_key(
            MANAGEMENT_ACCOUNT,
            home,
            _key_policy(MANAGEMENT_ACCOUNT, partition, [{"Sid": "CustomerKeyUsers", "Effect": "Allow",
                                              "Principal": {"AWS": f"arn:{partition}:iam::{MANAGEMENT_ACCOUNT}:role/customer-log-reader"},
                                              "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}]),
            "customer key already in use",
        )
        kms_backends[MANAGEMENT_ACCOUNT][home].create_alias(key.id, alias)
        hub_key = {"alias": alias, "key_id": key.id, "arn": key.arn}

    notification = None
    if spec["existing_notification_bucket"]:
        bucket = spec["existing_notification_bucket"]
        if bucket not in mgmt_s3.buckets:
            mgmt_s3.create_bucket(bucket, home)
        topic = sns_backends[MANAGEMENT_ACCOUNT][home].create_topic("customer-bucket-events")
        topic.policy = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "CustomerS3Publish", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                     "Action": "SNS:Publish", "Resource": topic.arn,
                     "Condition": {"ArnLike": {"aws:SourceArn": f"arn:{partition}:s3:*:*:{bucket}"},
                                   "StringEquals": {"aws:SourceAccount": MANAGEMENT_ACCOUNT}}}
                ],
            }
        )
        mgmt_s3.put_bucket_notification_configuration(
            bucket,
            {"TopicConfiguration": [{"Id": "customer-object-removed", "Topic": topic.arn, "Event": ["s3:ObjectRemoved:*"]}]},
        )
        notification = {"bucket": bucket, "topic_arn": topic.arn, "id": "customer-object-removed"}

    # After `existing_notification_bucket`: a rule may join that bucket's configuration.
    rules = [
        _seed_notification_rule(rule, account, home, partition)
        for rule, account in zip(spec["existing_notification_rules"], rule_accounts)
    ]

    if with_lz:
        # From now on the mandatory guardrails deny what they deny (see `guardrails`).
        state.guardrails.enable(MANAGEMENT_ACCOUNT)
    region_deny = None
    if deny_ou is not None:
        denied = frozenset(str(r) for r in spec["region_deny"]["regions"])
        state.guardrails.enable_region_deny(RegionDeny(MANAGEMENT_ACCOUNT, deny_ou, denied))
        region_deny = {"ou": deny_ou, "regions": sorted(denied),
                       "accounts": [a["id"] for a in accounts if a["ou_id"] == deny_ou]}
    for account, region in disabled:
        state.regions.set_enabled(account, region, False)

    return {
        "organization_id": org.id,
        "organization_arn": org.arn,
        "partition": partition,
        "management_account_id": MANAGEMENT_ACCOUNT,
        "root_id": root_id,
        "regions": regions,
        "ous": ous,
        "accounts": accounts,
        "existing_detectors": detectors,
        "foreign_destinations": foreign,
        "hub_customer_buckets": hub_buckets,
        "hub_customer_key": hub_key,
        "existing_notification": notification,
        "existing_notification_rules": rules,
        "landing_zone": landing_zone,
        "guardduty_admin": gd_admin,
        "disabled_regions": state.regions.snapshot()["disabled"],
        "region_deny": region_deny,
    }
