"""A simulated organization, created straight in moto's backends (no HTTP round trips), the same
for the same seed: account ids, names, emails, OU names, organization and detector ids.

The organization lives in the partition of its Regions (`us-gov-*` -> `aws-us-gov`, `cn-*` ->
`aws-cn`, else `aws`): moto's backends of that partition, and every ARN of the seeded roles,
policies and destinations in that partition."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

from .extensions import place_org_access_role
from .protocol import DEFAULT_ACCOUNT, DEFAULT_PARTITION, partition_of

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
    "trusted_services": [],
    "seed": 0,
}


def normalize_spec(body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - set(SPEC_FIELDS)
    if unknown:
        raise ValueError(f"unknown seed fields: {sorted(unknown)}")
    spec = {k: body.get(k, v) for k, v in SPEC_FIELDS.items()}
    for field in ("hub_customer_buckets", "regions", "trusted_services"):
        if spec[field] is None:
            spec[field] = list(SPEC_FIELDS[field])  # type: ignore[arg-type]
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
    return spec


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


def _guardduty_bucket_policy(bucket: str, account: str, partition: str) -> str:
    arn = f"arn:{partition}:s3:::{bucket}"
    cond = {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": f"arn:{partition}:guardduty:*:{account}:detector/*"},
    }
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "GuardDutyLocation", "Effect": "Allow", "Principal": {"Service": "guardduty.amazonaws.com"},
                 "Action": "s3:GetBucketLocation", "Resource": arn, "Condition": cond},
                {"Sid": "GuardDutyPut", "Effect": "Allow", "Principal": {"Service": "guardduty.amazonaws.com"},
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

    if any(b.org is not None for b in list(organizations_backends[MANAGEMENT_ACCOUNT].values())):
        raise ValueError("an organization already exists: call `POST /_radiant/reset` before seeding again")
    orgs = organizations_backends[MANAGEMENT_ACCOUNT][partition]
    # Organizations is global; the Region only gives the partition of its ARNs.
    orgs.create_organization(region="us-east-1" if partition == DEFAULT_PARTITION else home, FeatureSet="ALL")
    org = orgs.org
    root_id = org.root_id
    # Trusted access the organization already gave (e.g. `cloudtrail.amazonaws.com`).
    for principal in spec["trusted_services"]:
        orgs.enable_aws_service_access(ServicePrincipal=str(principal))

    ous = []
    for i in range(spec["ous"]):
        described = orgs.create_organizational_unit(ParentId=root_id, Name=f"ou-{i + 1:02d}")["OrganizationalUnit"]
        ous.append({"id": described["Id"], "name": described["Name"], "arn": described["Arn"]})

    ids = _account_ids(rng, spec["accounts"])
    pending = iter(ids)
    original = org_utils.make_random_account_id
    org_utils.make_random_account_id = lambda: next(pending)  # type: ignore[assignment]
    accounts = []
    try:
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

    active = [a["id"] for a in accounts if a["status"] == "ACTIVE"]
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
        s3.put_bucket_policy(bucket, _guardduty_bucket_policy(bucket, account_id, partition).encode())
        key = _create_key(
            account_id,
            home,
            _key_policy(account_id, partition, [{"Sid": "GuardDutyKey", "Effect": "Allow", "Principal": {"Service": "guardduty.amazonaws.com"},
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
    }
