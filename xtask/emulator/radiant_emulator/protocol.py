"""Who is calling what: service, operation, account and region of an AWS request, and AWS-shaped
error responses for each wire protocol (query XML, JSON, REST-JSON, REST-XML)."""

from __future__ import annotations

import io
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

DEFAULT_ACCOUNT = "123456789012"

# --- partitions ------------------------------------------------------------------------------

DEFAULT_PARTITION = "aws"
# Region prefix -> partition, as moto 5.2.5 (`moto.utilities.utils.REGION_PREFIX_TO_PARTITION`)
# maps them: moto keeps one backend per partition for IAM, STS, Organizations and S3, so our
# lookups must agree with it. `tests/test_partitions.py` checks that they do.
REGION_PREFIX_TO_PARTITION = (
    ("us-gov-", "aws-us-gov"),
    ("cn-", "aws-cn"),
    ("us-isob-", "aws-iso-b"),
    ("us-iso-", "aws-iso"),
    ("eusc-", "aws-eusc"),
)
PARTITIONS = frozenset([DEFAULT_PARTITION] + [p for _, p in REGION_PREFIX_TO_PARTITION])


def partition_of(region: str | None) -> str:
    """The partition of a Region: `us-gov-*` -> `aws-us-gov`, `cn-*` -> `aws-cn`, else `aws`.
    A partition name stands for itself (moto names the backends of global services so)."""
    if not region:
        return DEFAULT_PARTITION
    if region in PARTITIONS:
        return region
    for prefix, partition in REGION_PREFIX_TO_PARTITION:
        if region.startswith(prefix):
            return partition
    return DEFAULT_PARTITION


def with_partition(arn: str, partition: str) -> str:
    """The ARN with its partition segment replaced (anything that is not an ARN is returned as is)."""
    parts = arn.split(":", 2)
    if len(parts) != 3 or parts[0] != "arn":
        return arn
    return f"arn:{partition}:{parts[2]}"


QUERY = "query"
JSON = "json"
REST_JSON = "rest-json"
REST_XML = "rest-xml"
# EC2's own query protocol: the same form-encoded requests as QUERY, but errors as
# `<Response><Errors><Error><Code>..</Code><Message>..</Message></Error></Errors><RequestID>..`
# (the wire answer quoted in aws/aws-sdk-java-v2 issue #2981; botocore's `ec2` protocol).
EC2 = "ec2"

PROTOCOLS = {
    "iam": QUERY,
    "sts": QUERY,
    "sns": QUERY,
    "sqs": QUERY,
    # CloudFormation speaks the query protocol (form-encoded requests, XML answers and
    # `<ErrorResponse>` errors), like IAM: its service model's `"protocol": "query"`.
    "cloudformation": QUERY,
    "kms": JSON,
    "organizations": JSON,
    "cloudtrail": JSON,
    "guardduty": REST_JSON,
    "account": REST_JSON,
    "s3": REST_XML,
    "ec2": EC2,
}

# Operations that read only, even though their names do not say so.
NON_MUTATING = {
    "AssumeRole",
    "AssumeRoleWithWebIdentity",
    "AssumeRoleWithSAML",
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "SimulatePrincipalPolicy",
    "SimulateCustomPolicy",
}
READ_PREFIXES = ("Get", "List", "Describe", "Head", "Lookup", "Search", "Select")

_CRED_RE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


def is_write(operation: str) -> bool:
    if operation in NON_MUTATING:
        return False
    return not operation.startswith(READ_PREFIXES)


S3_BUCKET_SUBRESOURCES = {
    "policy": "Policy",
    "notification": "NotificationConfiguration",
    "acl": "Acl",
    "versioning": "Versioning",
    "encryption": "Encryption",
    "lifecycle": "LifecycleConfiguration",
    "tagging": "Tagging",
    "cors": "Cors",
    "website": "Website",
    "logging": "Logging",
    "replication": "Replication",
    "ownershipControls": "OwnershipControls",
    "publicAccessBlock": "PublicAccessBlock",
    "object-lock": "ObjectLockConfiguration",
    "policyStatus": "PolicyStatus",
    "accelerate": "AccelerateConfiguration",
    "requestPayment": "RequestPayment",
}


def s3_operation(method: str, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> tuple[str, str, str]:
    """(operation, bucket, key) of a path-style S3 request."""
    parts = path.lstrip("/").split("/", 1)
    bucket = parts[0] if parts and parts[0] else ""
    key = parts[1] if len(parts) > 1 else ""
    if not bucket:
        return ("ListBuckets", "", "")
    if not key:
        if "location" in query:
            return ("GetBucketLocation", bucket, "")
        if "uploads" in query:
            return ("ListMultipartUploads", bucket, "")
        if "versions" in query:
            return ("ListObjectVersions", bucket, "")
        if method == "POST" and "delete" in query:
            return ("DeleteObjects", bucket, "")
        for sub, name in S3_BUCKET_SUBRESOURCES.items():
            if sub in query:
                verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method, method.title())
                return (f"{verb}Bucket{name}", bucket, "")
        if method == "GET":
            return ("ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects", bucket, "")
        return (
            {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket"}.get(method, f"{method}Bucket"),
            bucket,
            "",
        )
    if "uploadId" in query:
        if method == "PUT":
            return ("UploadPart", bucket, key)
        if method == "POST":
            return ("CompleteMultipartUpload", bucket, key)
        if method == "DELETE":
            return ("AbortMultipartUpload", bucket, key)
        return ("ListParts", bucket, key)
    if method == "POST" and "uploads" in query:
        return ("CreateMultipartUpload", bucket, key)
    for sub, name in (("tagging", "Tagging"), ("acl", "Acl")):
        if sub in query:
            verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method, method.title())
            return (f"{verb}Object{name}", bucket, key)
    if method == "PUT":
        return ("CopyObject" if "x-amz-copy-source" in headers else "PutObject", bucket, key)
    return (
        {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method, f"{method}Object"),
        bucket,
        key,
    )


_D = r"(?P<detector>[^/]+)"
GUARDDUTY_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile("^" + p + "$"), op)
    for m, p, op in [
        ("POST", "/detector", "CreateDetector"),
        ("GET", "/detector", "ListDetectors"),
        ("GET", f"/detector/{_D}", "GetDetector"),
        ("POST", f"/detector/{_D}", "UpdateDetector"),
        ("DELETE", f"/detector/{_D}", "DeleteDetector"),
        ("POST", f"/detector/{_D}/publishingDestination", "CreatePublishingDestination"),
        ("GET", f"/detector/{_D}/publishingDestination", "ListPublishingDestinations"),
        ("GET", f"/detector/{_D}/publishingDestination/(?P<dest>[^/]+)", "DescribePublishingDestination"),
        ("POST", f"/detector/{_D}/publishingDestination/(?P<dest>[^/]+)", "UpdatePublishingDestination"),
        ("DELETE", f"/detector/{_D}/publishingDestination/(?P<dest>[^/]+)", "DeletePublishingDestination"),
        ("POST", f"/detector/{_D}/findings/create", "CreateSampleFindings"),
        ("POST", f"/detector/{_D}/findings/get", "GetFindings"),
        ("POST", f"/detector/{_D}/findings", "ListFindings"),
        ("POST", f"/detector/{_D}/member", "CreateMembers"),
        ("GET", f"/detector/{_D}/member", "ListMembers"),
        ("POST", f"/detector/{_D}/member/get", "GetMembers"),
        ("POST", f"/detector/{_D}/member/detector/get", "GetMemberDetectors"),
        ("POST", f"/detector/{_D}/member/detector/update", "UpdateMemberDetectors"),
        ("POST", f"/detector/{_D}/member/delete", "DeleteMembers"),
        ("POST", f"/detector/{_D}/member/disassociate", "DisassociateMembers"),
        ("GET", f"/detector/{_D}/administrator", "GetAdministratorAccount"),
        ("GET", f"/detector/{_D}/master", "GetMasterAccount"),
        ("GET", f"/detector/{_D}/admin", "DescribeOrganizationConfiguration"),
        ("POST", f"/detector/{_D}/admin", "UpdateOrganizationConfiguration"),
        ("POST", f"/detector/{_D}/filter", "CreateFilter"),
        ("GET", f"/detector/{_D}/filter", "ListFilters"),
        ("GET", f"/detector/{_D}/filter/[^/]+", "GetFilter"),
        ("POST", f"/detector/{_D}/filter/[^/]+", "UpdateFilter"),
        ("DELETE", f"/detector/{_D}/filter/[^/]+", "DeleteFilter"),
        ("POST", "/admin/enable", "EnableOrganizationAdminAccount"),
        ("POST", "/admin/disable", "DisableOrganizationAdminAccount"),
        ("GET", "/admin", "ListOrganizationAdminAccounts"),
        ("POST", "/tags/(?P<arn>arn:.+)", "TagResource"),
        ("DELETE", "/tags/(?P<arn>arn:.+)", "UntagResource"),
        ("GET", "/tags/(?P<arn>arn:.+)", "ListTagsForResource"),
    ]
]


def account_operation(path: str) -> str:
    """Account Management (REST-JSON) names its routes after the operation, lower camel case:
    `POST /listRegions` is ListRegions, `POST /getRegionOptStatus` GetRegionOptStatus (the
    service model's `requestUri`s)."""
    name = path.strip("/")
    return name[:1].upper() + name[1:] if name and "/" not in name else f"POST {path}"


def guardduty_operation(method: str, path: str) -> tuple[str, dict[str, str]]:
    for m, pattern, op in GUARDDUTY_ROUTES:
        if m == method:
            found = pattern.match(path)
            if found:
                return op, found.groupdict()
    return f"{method} {path}", {}


@dataclass
class AwsRequest:
    """One incoming AWS API request, identified."""

    environ: dict[str, Any]
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    access_key: str
    service: str
    region: str
    operation: str = ""
    account: str = DEFAULT_ACCOUNT
    route: dict[str, str] = field(default_factory=dict)
    s3_bucket: str = ""
    s3_key: str = ""
    snapshot: Any = None  # what `State.before` kept of the state before moto's answer
    _body: bytes | None = None
    _form: dict[str, list[str]] | None = None

    @property
    def protocol(self) -> str:
        return PROTOCOLS.get(self.service, JSON)

    @property
    def partition(self) -> str:
        """The partition of the request's Region (its SigV4 credential scope): a global service
        (IAM, STS, Organizations) called in `us-gov-west-1` is GovCloud's."""
        return partition_of(self.region)

    @property
    def write(self) -> bool:
        return is_write(self.operation)

    def body(self) -> bytes:
        """Read the body once and put it back for moto."""
        if self._body is None:
            env = self.environ
            stream = env.get("wsgi.input")
            length = env.get("CONTENT_LENGTH")
            data = b""
            if stream is not None:
                if length:
                    try:
                        data = stream.read(int(length))
                    except ValueError:
                        data = b""
                elif env.get("wsgi.input_terminated"):
                    data = stream.read()
            self._body = data
            env["wsgi.input"] = io.BytesIO(data)
            env["CONTENT_LENGTH"] = str(len(data))
        return self._body

    def form(self) -> dict[str, list[str]]:
        if self._form is None:
            try:
                self._form = parse_qs(self.body().decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                self._form = {}
        return self._form

    def param(self, name: str) -> str | None:
        """A query-protocol parameter (body form or query string)."""
        values = self.form().get(name) or self.query.get(name)
        return values[0] if values else None

    def set_body(self, data: bytes) -> None:
        """Replace the body moto will read (a check that normalizes a parameter, as AWS does)."""
        self._body = data
        self._form = None
        self.environ["wsgi.input"] = io.BytesIO(data)
        self.environ["CONTENT_LENGTH"] = str(len(data))

    def json(self) -> dict[str, Any]:
        raw = self.body()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


def identify(environ: dict[str, Any]) -> AwsRequest | None:
    """Identify a request, or None when it carries no SigV4 credential scope."""
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    auth = headers.get("authorization", "")
    found = _CRED_RE.search(auth)
    if found:
        access_key, region, service = found.group(1), found.group(2), found.group(3)
    elif "X-Amz-Credential" in query:
        cred = query["X-Amz-Credential"][0].split("/")
        if len(cred) < 4:
            return None
        access_key, region, service = cred[0], cred[2], cred[3]
    else:
        return None
    path = environ.get("PATH_INFO", "/")
    method = environ.get("REQUEST_METHOD", "GET")
    req = AwsRequest(environ, method, path, query, headers, access_key, service, region)
    target = headers.get("x-amz-target")
    if target:
        req.operation = target.rsplit(".", 1)[-1]
    elif service == "s3":
        req.operation, req.s3_bucket, req.s3_key = s3_operation(method, path, query, headers)
    elif service == "guardduty":
        req.operation, req.route = guardduty_operation(method, path.rstrip("/") or "/")
    elif service == "account":
        req.operation = account_operation(path)
    else:
        action = req.query.get("Action")
        if action:
            req.operation = action[0]
        elif headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            req.operation = req.param("Action") or f"{method} {path}"
        else:
            req.operation = f"{method} {path}"
    return req


# --- responses ---------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]]


_STATUS_TEXT = {200: "OK", 301: "Moved Permanently", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
                429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


def status_line(status: int) -> str:
    return f"{status} {_STATUS_TEXT.get(status, 'Status')}"


def json_response(payload: Any, status: int = 200, content_type: str = "application/json") -> Response:
    body = json.dumps(payload).encode()
    rid = str(uuid.uuid4())
    return Response(status, body, [("Content-Type", content_type), ("x-amzn-RequestId", rid)])


def error(protocol: str, status: int, code: str, message: str, sender: bool = True, extra: dict[str, str] | None = None) -> Response:
    """An AWS error in the given protocol, shaped the way the AWS SDKs parse it."""
    rid = str(uuid.uuid4())
    if protocol == QUERY:
        kind = "Sender" if sender else "Receiver"
        body = (
            f'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>{kind}</Type>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{rid}</RequestId></ErrorResponse>"
        )
        return Response(status, body.encode(), [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)])
    if protocol == EC2:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message></Error></Errors><RequestID>{rid}</RequestID></Response>"
        )
        return Response(status, body.encode(), [("Content-Type", "text/xml;charset=UTF-8")])
    if protocol == REST_XML:
        more = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in (extra or {}).items())
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message>{more}<RequestId>{rid}</RequestId>"
            f"<HostId>{rid}</HostId></Error>"
        )
        return Response(status, body.encode(), [("Content-Type", "application/xml"), ("x-amz-request-id", rid)])
    if protocol == REST_JSON:
        payload = {"__type": code, "message": message, "Message": message}
        return Response(
            status,
            json.dumps(payload).encode(),
            [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", rid)],
        )
    # JSON 1.1: `extra` adds members of the error shape (Organizations' `Reason` of
    # InvalidInputException or ConstraintViolationException, for instance).
    payload = {"__type": code, "message": message, **(extra or {})}
    return Response(
        status,
        json.dumps(payload).encode(),
        [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", rid)],
    )


# --- identities ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    role_arn: str = ""


class IdentityCache:
    """Maps an access key to the identity moto gives it; cached because moto's own lookup walks
    every account. Extra identities can be registered (the control API's credentials).

    The identity's ARN carries the partition of the request's Region (`arn:aws-us-gov:sts::...`
    for a call in `us-gov-west-1`), so identities are cached per (access key, partition). A
    registered identity keeps the ARN it was registered with, in every partition."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], Identity] = {}
        self._registered: dict[str, Identity] = {}

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._registered.clear()

    def register(self, access_key: str, identity: Identity) -> None:
        with self._lock:
            self._registered[access_key] = identity

    def lookup(self, access_key: str, partition: str = DEFAULT_PARTITION) -> Identity:
        with self._lock:
            hit = self._registered.get(access_key) or self._cache.get((access_key, partition))
        if hit is not None:
            return hit
        ident = _resolve(access_key, partition)
        with self._lock:
            self._cache[(access_key, partition)] = ident
        return ident


def _resolve(access_key: str, partition: str) -> Identity:
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for account_id, backends in list(iam_backends.items()):
        # moto keeps one IAM backend per partition: AssumeRole in `us-gov-west-1` puts its key
        # into the account's `aws-us-gov` backend.
        for iam in list(backends.values()):
            key = iam.access_keys.get(access_key)
            if key is not None:
                return _identity_of(key, access_key, account_id, partition, sts_backends)
    return Identity(DEFAULT_ACCOUNT, f"arn:{partition}:iam::{DEFAULT_ACCOUNT}:user/moto")


def _identity_of(key: Any, access_key: str, account_id: str, partition: str, sts_backends: Any) -> Identity:
    role_arn = getattr(key, "role_arn", None)
    if role_arn:
        session = "session"
        try:
            for sts in list(sts_backends[account_id].values()):
                found = next((a for a in sts.assumed_roles if a.access_key_id == access_key), None)
                if found is not None:
                    session = found.session_name
                    break
        except (KeyError, AttributeError):
            pass
        role_name = role_arn.rsplit("/", 1)[-1]
        return Identity(
            account_id,
            f"arn:{partition}:sts::{account_id}:assumed-role/{role_name}/{session}",
            with_partition(role_arn, partition),
        )
    user = getattr(key, "user_name", None) or "user"
    return Identity(account_id, f"arn:{partition}:iam::{account_id}:user/{user}")
