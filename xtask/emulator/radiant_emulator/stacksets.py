"""CloudFormation StackSets with service-managed permissions (`PermissionModel=SERVICE_MANAGED`),
answered here in CloudFormation's query protocol: moto 5.2.5's stack sets target only the direct
child OUs of an OU (not the deeper descendants, not the root as the whole organization), do
not skip the management account, ignore AccountFilterType, OperationPreferences, CallAs,
AutoDeployment and ManagedExecution, finish every operation at once, and deploy through moto's
own stack, whose AWS::IAM::Role handler mishandles inline policies and updates (see
`cfn_template`). Self-managed stack sets (and every call about a stack set this module does not
know, with CallAs SELF) are still moto's.

Sources (quoted where the code relies on them): CloudFormation API Reference (CreateStackSet,
CreateStackInstances, DeploymentTargets, StackSetOperationPreferences, AutoDeployment,
ManagedExecution, StackInstanceSummary, StackSetOperation); CloudFormation User Guide
("StackSets concepts", "Register a delegated administrator", "Activate trusted access with AWS
Organizations", "Enable or disable automatic deployments for StackSets in AWS Organizations");
aws-facts.md, "New accounts: how the anchors cover them"; the public threads named below for
AWS's error texts.

Time: an operation takes `operation_s` seconds (control API, default 0). Nothing runs in the
background: every request first lets due operations finish (`advance`), so a state is computed
from the clock when it is looked at. An operation's resources are written when it finishes.
"""

from __future__ import annotations

import math
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import cfn_template as cfn
from .protocol import QUERY, AwsRequest, Identity, Response, error

STACKSETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"

# AWS's texts (ValidationError, 400):
# - a member account that is not a registered delegated administrator, or calls with SELF:
#   hashicorp/terraform-provider-aws issue #22867 (older "master" wording),
#   ministryofjustice/aws-root-account PR #1173 and aws-solutions-library-samples/
#   cloud-intelligence-dashboards-data-collection issue #126 (this wording, CallAs SELF from a
#   delegated administrator);
NOT_ORG_ADMIN = "You must be the management account or delegated admin account of an organization before operating a SERVICE_MANAGED stack set"
# - CallAs DELEGATED_ADMIN from an account not registered for StackSets: hashicorp/
#   terraform-provider-aws PR #37069 ("ValidationError: Account used is not a delegated
#   administrator"), cdklabs/cdk-stacksets issue #265;
NOT_DELEGATED = "Account used is not a delegated administrator"
# - a service-managed stack set without trusted access: pepperize/cdk-organizations issue #1718
#   (also after EnableAWSServiceAccess of the principal through Organizations alone);
NO_TRUSTED_ACCESS = "You must enable organizations access to operate a service managed stack set"
# - both OUs and accounts without a filter: aws-cloudformation/aws-cloudformation-resource-
#   providers-cloudformation issue #100 ("AccountFilterType should be specified when both
#   OrganizationalUnitIds and Accounts are provided"); OUs missing: cdklabs/cdk-stacksets #286.
FILTER_REQUIRED = "AccountFilterType should be specified when both OrganizationalUnitIds and Accounts are provided"
OUS_REQUIRED = "OrganizationalUnitIds should be specified in SERVICE_MANAGED mode"
# A stack instance cancelled because its operation's failure tolerance was exceeded (the
# StatusReason StackSets gives such instances).
CANCELLED_REASON = "Cancelled since failure tolerance has exceeded"

FILTER_TYPES = ("NONE", "INTERSECTION", "DIFFERENCE", "UNION")
MAX_OUS = 50  # CreateStackInstances: "The maximum number of organizational unit (OUs) supported ... is 50."
LIST_MAX = 100  # MaxResults of the StackSets list operations: 1 to 100 (service model)
_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")
_TARGET = re.compile(r"(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})")
_ACCOUNT = re.compile(r"\d{12}")
_TOKEN = re.compile(r"[a-zA-Z0-9][-a-zA-Z0-9]{0,127}")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _validation(message: str) -> ApiError:
    return ApiError(400, "ValidationError", message)


def _not_found(name: str) -> ApiError:
    # moto's and AWS's StackSetNotFoundException (404): "StackSet NAME not found".
    return ApiError(404, "StackSetNotFoundException", f"StackSet {name} not found")


def _in_progress(ss: "StackSetRec") -> ApiError:
    # OperationInProgressException, 409: "Another Operation on StackSet ARN is in progress"
    # (hashicorp/terraform-provider-aws PR #11726 with "status code: 409",
    # ansible-collections/community.aws issue #103).
    return ApiError(409, "OperationInProgressException", f"Another Operation on StackSet {ss.arn} is in progress")


# -- the query protocol --------------------------------------------------------------------------


def form_struct(form: dict[str, list[str]]) -> dict[str, Any]:
    """A query-protocol request as nested values: `Regions.member.1=us-east-1` ->
    {"Regions": ["us-east-1"]}, `AutoDeployment.Enabled=true` -> {"AutoDeployment": {"Enabled":
    "true"}}."""
    tree: dict[str, Any] = {}
    for key, values in form.items():
        parts = key.split(".")
        node = tree
        for part in parts[:-1]:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = {}
                node[part] = nxt
            node = nxt
        node[parts[-1]] = values[0] if values else ""

    def normal(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"member"} and isinstance(value["member"], dict):
                members = value["member"]
                return [normal(members[k]) for k in sorted(members, key=lambda k: int(k) if k.isdigit() else 0)]
            return {k: normal(v) for k, v in value.items()}
        return value

    return normal(tree)


def _list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _bool(value: Any, what: str) -> bool | None:
    if value is None:
        return None
    text = str(value).lower()
    if text not in ("true", "false"):
        raise _validation(f"1 validation error detected: Value '{value}' at '{what}' failed to satisfy constraint: Member must be a boolean")
    return text == "true"


def _int(value: Any, what: str, low: int, high: int | None = None) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value))
    except ValueError as exc:
        raise _validation(f"1 validation error detected: Value '{value}' at '{what}' failed to satisfy constraint: Member must be an integer") from exc
    if number < low:
        raise _validation(f"1 validation error detected: Value '{number}' at '{what}' failed to satisfy constraint: Member must have value greater than or equal to {low}")
    if high is not None and number > high:
        raise _validation(f"1 validation error detected: Value '{number}' at '{what}' failed to satisfy constraint: Member must have value less than or equal to {high}")
    return number


_MODELS: dict[str, Any] = {}


def answer(operation: str, result: dict[str, Any]) -> Response:
    """The operation's XML answer, serialized from the CloudFormation service model by moto's
    query serializer (so the shapes are AWS's: `<member>` lists, ISO timestamps)."""
    from moto.core.responses import get_service_model
    from moto.core.serialize import QuerySerializer, SerializationContext

    model = _MODELS.get(operation)
    if model is None:
        model = get_service_model("cloudformation").operation_model(operation)
        _MODELS[operation] = model
    rid = str(uuid.uuid4())
    out = QuerySerializer(operation_model=model, context=SerializationContext(rid)).serialize(result)
    body = out["body"]
    return Response(200, body.encode() if isinstance(body, str) else body, [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)])


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


# -- the organization ----------------------------------------------------------------------------


def _org(master: str, partition: str) -> Any:
    from moto.organizations.models import organizations_backends

    return organizations_backends[master][partition]


def _ext() -> Any:
    from . import extensions

    return extensions


def _is_delegated(master: str, partition: str, account: str) -> bool:
    """Registered with Organizations' RegisterDelegatedAdministrator for StackSets' principal."""
    backend = _org(master, partition)
    return any(a.account.id == account and STACKSETS_PRINCIPAL in a.services for a in backend.admins)


def _ancestors(backend: Any, account: str) -> list[str]:
    """The account's parent, its parent... up to the root (nearest first); [] if it is not in
    the organization."""
    try:
        parent = backend.get_account_by_id(account).parent_id
    except Exception:  # noqa: BLE001 - AccountNotFoundException
        return []
    parents = {o.id: o.parent_id for o in backend.ou}
    chain: list[str] = []
    while parent and parent not in chain:
        chain.append(parent)
        parent = parents.get(parent)
    return chain


def _target_exists(backend: Any, target: str) -> bool:
    return any(o.id == target for o in backend.ou)


def _accounts_under(backend: Any, targets: list[str]) -> list[tuple[str, str]]:
    """(account, the targeted OU or root that covers it, the nearest) for every account in the
    targets or in any OU below them (CreateStackInstances / DeploymentTargets: "CloudFormation will
    perform operations on accounts within these OUs and their child OUs"; the root ID is the whole
    organization), in the order the organization lists them, the management account excluded
    (DeploymentTargets: "StackSets doesn't deploy stack instances to the organization management
    account, even if the organization management account is in your organization or in an OU in
    your organization")."""
    master = backend.org.master_account_id
    wanted = set(targets)
    out = []
    for acct in sorted(backend.accounts, key=lambda a: a.create_time):
        if acct.id == master:
            continue
        chain = _ancestors(backend, acct.id)
        hit = next((p for p in chain if p in wanted), None)
        if hit is not None:
            out.append((acct.id, hit))
    return out


def _account_status(backend: Any, account: str) -> str | None:
    try:
        return str(backend.get_account_by_id(account).status)
    except Exception:  # noqa: BLE001
        return None


# -- the model -----------------------------------------------------------------------------------


@dataclass
class Settings:
    # Seconds an operation takes (RUNNING until then); 0: it finishes within its request.
    operation_s: float = 0.0
    # Seconds between an account's arrival in (or departure from) a target and the automatic
    # deployment operation's start.
    auto_deployment_delay_s: float = 0.0

    @staticmethod
    def from_json(body: dict[str, Any], current: "Settings") -> "Settings":
        unknown = set(body) - {"operation_s", "auto_deployment_delay_s"}
        if unknown:
            raise ValueError(f"unknown stacksets fields: {sorted(unknown)}")
        out = Settings(current.operation_s, current.auto_deployment_delay_s)
        for name in ("operation_s", "auto_deployment_delay_s"):
            if name in body:
                value = body[name]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 3600:
                    raise ValueError(f"`{name}` must be a number of seconds from 0 to 3600")
                setattr(out, name, float(value))
        return out


@dataclass
class FailRule:
    account: str
    region: str | None
    reason: str
    remaining: int | None  # None: every deployment until reset


@dataclass
class Version:
    body: str
    template: dict[str, Any]
    parameters: dict[str, str]
    capabilities: list[str]
    tags: list[dict[str, str]]


@dataclass
class Instance:
    account: str
    region: str
    ou: str
    stack_id: str
    status: str = "OUTDATED"
    detailed: str = "PENDING"
    reason: str | None = None
    last_op: str = ""
    deployed: dict[str, dict[str, Any]] = field(default_factory=dict)
    has_stack: bool = False
    attempted: bool = False


@dataclass
class Operation:
    id: str
    action: str  # CREATE | UPDATE | DELETE
    created: float
    not_before: float
    auto: bool
    prefs: dict[str, Any]
    retain: bool | None
    targets: dict[str, Any] | None
    work: list[tuple[str, str, str]]  # (account, region, OU) in order
    version: int | None  # the template version deployed; None: the stack set's at execution
    status: str = "QUEUED"
    start: float | None = None
    end: float | None = None
    duration: float = 0.0
    results: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    status_reason: str | None = None
    failed: int = 0

    @property
    def busy(self) -> bool:
        return self.status in ("QUEUED", "RUNNING")


@dataclass
class StackSetRec:
    name: str
    id: str
    arn: str
    owner: str
    region: str
    partition: str
    description: str | None
    auto_enabled: bool
    retain_on_removal: bool
    managed: bool
    versions: list[Version]
    status: str = "ACTIVE"
    client_token: str | None = None
    # Automatic deployment targets: OU or root id -> the Regions its instances were created in.
    targets: dict[str, set[str]] = field(default_factory=dict)
    instances: dict[tuple[str, str], Instance] = field(default_factory=dict)
    ops: list[Operation] = field(default_factory=list)

    @property
    def version(self) -> int:
        return len(self.versions) - 1

    @property
    def current(self) -> Version:
        return self.versions[-1]

    def stack_name(self) -> str:
        return f"StackSet-{self.name}-{self.id.split(':', 1)[1]}"


class StackSets:
    def __init__(self, state: Any) -> None:
        self.state = state
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.settings = Settings()
            self.rules: list[FailRule] = []
            # (owner, Region) -> stack set id -> record
            self.sets: dict[tuple[str, str], dict[str, StackSetRec]] = {}
            # management accounts (and their partition) that activated trusted access
            self.trusted: set[tuple[str, str]] = set()
            self._next_due = math.inf

    # -- control API -----------------------------------------------------------------------

    def control(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if (method, path) == ("POST", ""):
                self.settings = Settings.from_json(body, self.settings)
                return self.snapshot()
            if (method, path) == ("GET", ""):
                return self.snapshot()
            if (method, path) == ("POST", "fail"):
                unknown = set(body) - {"account", "region", "reason", "count"}
                if unknown:
                    raise ValueError(f"unknown fail fields: {sorted(unknown)}")
                account = str(body.get("account") or "")
                if not _ACCOUNT.fullmatch(account):
                    raise ValueError("`account` must be a 12-digit account id")
                reason = body.get("reason") or "Injected failure (radiant emulator)"
                count = body.get("count")
                if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
                    raise ValueError("`count` must be null or a positive integer")
                region = body.get("region")
                if region is not None and not isinstance(region, str):
                    raise ValueError("`region` must be null or a Region name")
                self.rules.append(FailRule(account, region, str(reason), count))
                return self.snapshot()
            if (method, path) == ("POST", "fail/reset"):
                self.rules = []
                return self.snapshot()
        raise KeyError(f"unknown control call `{method} /_radiant/stacksets/{path}`")

    def snapshot(self) -> dict[str, Any]:
        return {
            "operation_s": self.settings.operation_s,
            "auto_deployment_delay_s": self.settings.auto_deployment_delay_s,
            "fail": [{"account": r.account, "region": r.region, "reason": r.reason, "count": r.remaining} for r in self.rules],
        }

    # -- the clock -------------------------------------------------------------------------

    def advance(self, now: float | None = None) -> None:
        """Lets every operation that is due start or finish (called before each request)."""
        now = time.time() if now is None else now
        if now < self._next_due:
            return
        with self.lock:
            for table in list(self.sets.values()):
                for ss in list(table.values()):
                    self._advance_set(ss, now)
            self._refresh_due()

    def _refresh_due(self) -> None:
        due = math.inf
        for table in self.sets.values():
            for ss in table.values():
                for op in ss.ops:
                    if op.status == "RUNNING":
                        due = min(due, (op.start or 0) + op.duration)
                    elif op.status == "QUEUED":
                        due = min(due, op.not_before)
        self._next_due = due

    def _advance_set(self, ss: StackSetRec, now: float) -> None:
        while True:
            running = next((op for op in ss.ops if op.status == "RUNNING"), None)
            if running is not None:
                if (running.start or 0) + running.duration > now:
                    return
                self._execute(ss, running)
                continue
            queued = next((op for op in ss.ops if op.status == "QUEUED"), None)
            if queued is None:
                return
            previous_end = max((op.end or 0 for op in ss.ops if op.end is not None), default=0.0)
            at = max(queued.not_before, previous_end)
            if at > now:
                return
            self._start(ss, queued, at)

    # -- dispatch --------------------------------------------------------------------------

    def handle(self, req: AwsRequest, ident: Identity) -> Response | None:
        handler = HANDLERS.get(req.operation)
        if handler is None:
            return None
        params = form_struct(req.form())
        try:
            with self.lock:
                return handler(self, req, ident, params)
        except ApiError as exc:
            return error(QUERY, exc.status, exc.code, exc.message)

    # -- who calls, for whom ---------------------------------------------------------------

    def _owner(self, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> tuple[str, str]:
        """(the account whose stack sets the call is about, CallAs). CallAs DELEGATED_ADMIN is
        only for an account registered as StackSets' delegated administrator, whose calls are
        about the management account's stack sets ("Stack sets with service-managed permissions
        are created in the management account, including stack sets created by delegated
        administrators": "Register a delegated administrator")."""
        call_as = params.get("CallAs") or "SELF"
        if call_as not in ("SELF", "DELEGATED_ADMIN"):
            raise _validation(f"1 validation error detected: Value '{call_as}' at 'callAs' failed to satisfy constraint: Member must satisfy enum value set: [SELF, DELEGATED_ADMIN]")
        if call_as == "SELF":
            return ident.account, call_as
        master = _ext().org_master_of(ident.account, req.partition)
        if master is None or master == ident.account or not _is_delegated(master, req.partition, ident.account):
            raise _validation(NOT_DELEGATED)
        return master, call_as

    def _management(self, req: AwsRequest, owner: str) -> str:
        """The owner must be its organization's management account (SERVICE_MANAGED)."""
        if _ext().org_master_of(owner, req.partition) != owner:
            raise _validation(NOT_ORG_ADMIN)
        return owner

    def trusted_access(self, master: str, partition: str) -> bool:
        """Activated through CloudFormation (ActivateOrganizationsAccess), and not disabled since
        through Organizations (DisableAWSServiceAccess of StackSets' principal)."""
        if (master, partition) not in self.trusted:
            return False
        try:
            services = _org(master, partition).services
        except KeyError:
            return False
        return any(s.get("ServicePrincipal") == STACKSETS_PRINCIPAL for s in services)

    def _require_trusted(self, master: str, partition: str) -> None:
        if not self.trusted_access(master, partition):
            raise _validation(NO_TRUSTED_ACCESS)

    def _find(self, owner: str, region: str, name: str) -> StackSetRec | None:
        for ss in self.sets.get((owner, region), {}).values():
            if ss.status == "ACTIVE" and name in (ss.name, ss.id):
                return ss
        return None

    def _lookup(self, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> tuple[StackSetRec | None, str]:
        """The named stack set of ours, or (None, CallAs) when moto may know it (CallAs SELF)."""
        owner, call_as = self._owner(req, ident, params)
        name = str(params.get("StackSetName") or "")
        if not name:
            raise _validation("1 validation error detected: Value null at 'stackSetName' failed to satisfy constraint: Member must not be null")
        ss = self._find(owner, req.region, name)
        if ss is None and call_as == "DELEGATED_ADMIN":
            raise _not_found(name)
        return ss, call_as

    # -- operations ------------------------------------------------------------------------

    def _new_op(self, ss: StackSetRec, action: str, params: dict[str, Any], work: list[tuple[str, str, str]],
                prefs: dict[str, Any], targets: dict[str, Any] | None, retain: bool | None = None,
                version: int | None = None) -> Operation:
        now = time.time()
        op_id = params.get("OperationId")
        if op_id:
            op_id = str(op_id)
            if not _TOKEN.fullmatch(op_id):
                raise _validation(f"1 validation error detected: Value '{op_id}' at 'operationId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9][-a-zA-Z0-9]*")
            for table in self.sets.values():
                for other in table.values():
                    for old in other.ops:
                        if old.id == op_id:
                            if other is ss and old.action == action:
                                return old  # a retried request (the SDK repeats its idempotency token)
                            raise ApiError(409, "OperationIdAlreadyExistsException", f"The operation ID {op_id} already exists.")
        busy = any(op.busy for op in ss.ops)
        if busy and not ss.managed:
            raise _in_progress(ss)
        op = Operation(
            id=op_id or str(uuid.uuid4()), action=action, created=now, not_before=now, auto=False,
            prefs=prefs, retain=retain, targets=targets, work=work, version=version,
        )
        ss.ops.append(op)
        self._advance_set(ss, now)
        self._refresh_due()
        return op

    def _start(self, ss: StackSetRec, op: Operation, at: float) -> None:
        op.status, op.start, op.duration = "RUNNING", at, self.settings.operation_s
        for account, region, ou in op.work:
            inst = ss.instances.get((account, region))
            if inst is None and op.action == "CREATE":
                inst = Instance(account, region, ou, stack_id=self._stack_id(ss, account, region))
                ss.instances[(account, region)] = inst
            if inst is not None:
                if op.action != "DELETE":
                    inst.status = "OUTDATED"
                inst.detailed = "PENDING"
                inst.last_op = op.id
            op.results[(account, region)] = {"status": "PENDING", "reason": None, "ou": ou}

    def _stack_id(self, ss: StackSetRec, account: str, region: str) -> str:
        return f"arn:{ss.partition}:cloudformation:{region}:{account}:stack/{ss.stack_name()}/{uuid.uuid4()}"

    def _execute(self, ss: StackSetRec, op: Operation) -> None:
        """Runs the operation as StackSets does ("StackSets concepts", "Stack set operation
        options"; StackSetOperationPreferences): one Region after another in RegionOrder
        (all at once with PARALLEL), in each Region at most MaxConcurrentCount accounts at a
        time (default 1; a percentage rounds down, but not to 0), the failure tolerance per
        Region (FailureToleranceCount, default 0; a percentage rounds down); with
        STRICT_FAILURE_TOLERANCE (the default) the concurrency starts at min(MaxConcurrentCount,
        FailureToleranceCount + 1) and drops with each failure. When a Region's failures exceed
        the tolerance, its remaining accounts and the Regions not yet started are cancelled and
        the operation FAILED. OperationPreferences "don't apply to AutoDeployment": an automatic
        deployment deploys every account on its own."""
        prefs = op.prefs
        regions: list[str] = []
        for _a, region, _o in op.work:
            if region not in regions:
                regions.append(region)
        order = [r for r in prefs.get("RegionOrder") or [] if r in regions]
        order += [r for r in regions if r not in order]
        parallel = prefs.get("RegionConcurrencyType") == "PARALLEL"
        strict = prefs.get("ConcurrencyMode", "STRICT_FAILURE_TOLERANCE") != "SOFT_FAILURE_TOLERANCE"
        failed_region: str | None = None
        for region in order:
            items = [w for w in op.work if w[1] == region]
            if failed_region is not None and not parallel:
                for w in items:
                    self._cancel(ss, op, w)
                continue
            n = len(items)
            if op.auto:
                tolerance, maxc = n, max(1, n)
            else:
                if prefs.get("FailureTolerancePercentage") is not None:
                    tolerance = int(math.floor(prefs["FailureTolerancePercentage"] * n / 100))
                else:
                    tolerance = int(prefs.get("FailureToleranceCount") or 0)
                if prefs.get("MaxConcurrentPercentage") is not None:
                    maxc = max(1, int(math.floor(prefs["MaxConcurrentPercentage"] * n / 100)))
                else:
                    maxc = int(prefs.get("MaxConcurrentCount") or 1)
            failures, i = 0, 0
            while i < n:
                size = max(1, min(maxc, tolerance + 1 - failures)) if strict else maxc
                batch, i = items[i:i + size], i + size
                for w in batch:
                    if not self._run_one(ss, op, w):
                        failures += 1
                if failures > tolerance:
                    for w in items[i:]:
                        self._cancel(ss, op, w)
                    failed_region = failed_region or region
                    break
        op.failed = sum(1 for r in op.results.values() if r["status"] == "FAILED")
        op.end = (op.start or time.time()) + op.duration
        if failed_region is not None:
            op.status = "FAILED"
            op.status_reason = f"The Operation {op.id} has failed: failure tolerance exceeded in {failed_region}"
        else:
            op.status = "SUCCEEDED"

    def _cancel(self, ss: StackSetRec, op: Operation, w: tuple[str, str, str]) -> None:
        account, region, ou = w
        op.results[(account, region)] = {"status": "CANCELLED", "reason": CANCELLED_REASON, "ou": ou}
        inst = ss.instances.get((account, region))
        if inst is not None:
            inst.detailed, inst.reason = "CANCELLED", CANCELLED_REASON
            if op.action != "DELETE":
                inst.status = "OUTDATED"

    def _fault(self, account: str, region: str) -> str | None:
        for rule in self.rules:
            if rule.account == account and rule.region in (None, region) and rule.remaining != 0:
                if rule.remaining is not None:
                    rule.remaining -= 1
                return rule.reason
        return None

    def _context(self, ss: StackSetRec, inst: Instance, version: Version) -> cfn.StackContext:
        return cfn.StackContext(
            account=inst.account, region=inst.region, partition=ss.partition, stack_name=ss.stack_name(),
            stack_id=inst.stack_id, parameters=dict(version.parameters), tags=list(version.tags),
        )

    def _run_one(self, ss: StackSetRec, op: Operation, w: tuple[str, str, str]) -> bool:
        """Deploys (CREATE, UPDATE) or deletes one stack instance; False when it failed."""
        account, region, ou = w
        result = op.results.setdefault((account, region), {"status": "PENDING", "reason": None, "ou": ou})
        inst = ss.instances.get((account, region))
        backend = _org(ss.owner, ss.partition)
        if op.action == "DELETE":
            if inst is not None:
                if not op.retain and inst.has_stack:
                    cfn.undeploy(self._context(ss, inst, ss.current), inst.deployed)
                del ss.instances[(account, region)]
            result.update(status="SUCCEEDED", reason=None)
            return True
        if inst is None:  # deleted meanwhile
            inst = Instance(account, region, ou, stack_id=self._stack_id(ss, account, region))
            ss.instances[(account, region)] = inst
        inst.last_op = op.id
        version = ss.versions[op.version if op.version is not None else ss.version]
        status = _account_status(backend, account)
        problem = None
        if status == "SUSPENDED":
            # "StackSets will skip target AWS accounts that are suspended, and flag the
            # corresponding stack instances as SKIPPED_SUSPENDED_ACCOUNT instead of FAILED" (AWS
            # What's New, 2023-06-07); not counted against the failure tolerance.
            inst.status, inst.detailed, inst.reason = "OUTDATED", "SKIPPED_SUSPENDED_ACCOUNT", f"Account {account} is suspended"
            result.update(status="CANCELLED", reason=inst.reason)
            return True
        if status is None:
            problem = f"Account {account} is not a member of the organization"
        elif not self.state.regions.enabled(account, region):
            problem = f"Region {region} is not enabled in account {account}"
        if problem is None:
            problem = self._fault(account, region)
        if problem is None:
            problem = cfn.capability_problem(version.template, version.capabilities)
        if problem is None:
            ctx = self._context(ss, inst, version)
            try:
                inst.deployed = cfn.deploy(version.template, ctx, inst.deployed, self.state.propagation.record_role)
                inst.has_stack = True
            except cfn.DeployError as exc:
                problem = str(exc)
        inst.attempted = True
        if problem is not None:
            inst.status, inst.detailed, inst.reason = "OUTDATED", "FAILED", problem
            result.update(status="FAILED", reason=problem)
            return False
        inst.status, inst.detailed, inst.reason = "CURRENT", "SUCCEEDED", None
        result.update(status="SUCCEEDED", reason=None)
        return True

    # -- automatic deployment --------------------------------------------------------------

    def organization_changed(self, master: str, partition: str, account: str) -> None:
        """An account was created in, invited into, moved within or removed from the
        organization of `master`: every service-managed stack set of that organization with
        automatic deployment brings the account's instances to where its targets say ("When
        automatic deployments are enabled, they're triggered when accounts are added to a target
        organization or OU, removed from a target organization or OU, or moved between target
        OUs"; a move "runs a delete operation ... and queues a create operation"), in the Regions
        of the targets that cover it, with the stack set's current template and default
        parameters. Account filters are not considered ("Automatic deployments do not consider
        account level targeting filters. If you target specific accounts and enable automatic
        deployments, your StackSet will continue to deploy to any newly added accounts within the
        deployed organization": "Enable or disable automatic deployments for StackSets in AWS
        Organizations", Considerations)."""
        with self.lock:
            now = time.time()
            backend = _org(master, partition)
            chain = _ancestors(backend, account) if account != master else []
            for (owner, _region), table in self.sets.items():
                if owner != master:
                    continue
                for ss in table.values():
                    if ss.status != "ACTIVE" or not ss.auto_enabled or ss.partition != partition:
                        continue
                    desired: dict[str, str] = {}
                    for target in chain:  # nearest first
                        for region in sorted(ss.targets.get(target, ())):
                            desired.setdefault(region, target)
                    current = {r for (a, r) in ss.instances if a == account}
                    queued = {(w[1], op.action) for op in ss.ops if op.busy and op.auto for w in op.work if w[0] == account}
                    delete = sorted(r for r in current if r not in desired and (r, "DELETE") not in queued)
                    create = sorted(r for r in desired if r not in current and (r, "CREATE") not in queued)
                    not_before = now + self.settings.auto_deployment_delay_s
                    if delete:
                        work = [(account, r, ss.instances[(account, r)].ou) for r in delete]
                        self._auto_op(ss, "DELETE", work, not_before, retain=ss.retain_on_removal)
                    if create:
                        self._auto_op(ss, "CREATE", [(account, r, desired[r]) for r in create], not_before)
                    self._advance_set(ss, now)
            self._refresh_due()

    def _auto_op(self, ss: StackSetRec, action: str, work: list[tuple[str, str, str]], not_before: float, retain: bool | None = None) -> None:
        op = Operation(
            id=str(uuid.uuid4()), action=action, created=time.time(), not_before=not_before, auto=True,
            prefs={}, retain=retain, targets=None, work=work, version=None,
        )
        ss.ops.append(op)


# -- views -----------------------------------------------------------------------------------------


def _prefs_view(prefs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in prefs.items() if v is not None}


def _set_view(ss: StackSetRec) -> dict[str, Any]:
    version = ss.current
    regions = {r for (_a, r) in ss.instances} | {r for rs in ss.targets.values() for r in rs}
    view: dict[str, Any] = {
        "StackSetName": ss.name,
        "StackSetId": ss.id,
        "Status": ss.status,
        "TemplateBody": version.body,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in version.parameters.items()],
        "Capabilities": list(version.capabilities),
        "Tags": list(version.tags),
        "StackSetARN": ss.arn,
        "AutoDeployment": {"Enabled": ss.auto_enabled, "RetainStacksOnAccountRemoval": ss.retain_on_removal},
        "PermissionModel": "SERVICE_MANAGED",
        "OrganizationalUnitIds": sorted(t for t, rs in ss.targets.items() if rs),
        "ManagedExecution": {"Active": ss.managed},
        "Regions": sorted(regions),
    }
    if ss.description is not None:
        view["Description"] = ss.description
    return view


def _op_view(ss: StackSetRec, op: Operation) -> dict[str, Any]:
    view: dict[str, Any] = {
        "OperationId": op.id,
        "StackSetId": ss.id,
        "Action": op.action,
        "Status": op.status,
        "OperationPreferences": _prefs_view(op.prefs),
        "CreationTimestamp": _ts(op.created),
        "StatusDetails": {"FailedStackInstancesCount": op.failed},
    }
    if op.action == "DELETE":
        view["RetainStacks"] = bool(op.retain)
    if op.end is not None:
        view["EndTimestamp"] = _ts(op.end)
    if op.targets is not None:
        view["DeploymentTargets"] = op.targets
    if op.status_reason:
        view["StatusReason"] = op.status_reason
    return view


def _op_summary(op: Operation) -> dict[str, Any]:
    view: dict[str, Any] = {
        "OperationId": op.id,
        "Action": op.action,
        "Status": op.status,
        "CreationTimestamp": _ts(op.created),
        "StatusDetails": {"FailedStackInstancesCount": op.failed},
        "OperationPreferences": _prefs_view(op.prefs),
    }
    if op.end is not None:
        view["EndTimestamp"] = _ts(op.end)
    if op.status_reason:
        view["StatusReason"] = op.status_reason
    return view


def _instance_view(ss: StackSetRec, inst: Instance, full: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "StackSetId": ss.id,
        "Region": inst.region,
        "Account": inst.account,
        "Status": inst.status,
        "StackInstanceStatus": {"DetailedStatus": inst.detailed},
        "OrganizationalUnitId": inst.ou,
        "DriftStatus": "NOT_CHECKED",
        "LastOperationId": inst.last_op,
    }
    if inst.has_stack or inst.attempted:
        view["StackId"] = inst.stack_id
    if inst.reason:
        view["StatusReason"] = inst.reason
    if full:
        view["ParameterOverrides"] = []
    return view


def _page(items: list[Any], params: dict[str, Any]) -> tuple[list[Any], str | None]:
    size = _int(params.get("MaxResults"), "maxResults", 1, LIST_MAX) or LIST_MAX
    token = params.get("NextToken")
    offset = 0
    if token:
        if not str(token).isdigit() or int(token) > len(items):
            raise _validation("Invalid NextToken")
        offset = int(token)
    page = items[offset:offset + size]
    nxt = str(offset + size) if offset + size < len(items) else None
    return page, nxt


def _paged(operation: str, items: list[Any], params: dict[str, Any]) -> Response:
    page, nxt = _page(items, params)
    out: dict[str, Any] = {"Summaries": page}
    if nxt is not None:
        out["NextToken"] = nxt
    return answer(operation, out)


# -- request checks ------------------------------------------------------------------------------


def _regions(req: AwsRequest, params: dict[str, Any], required: bool = True) -> list[str]:
    from .regions import partition_regions

    regions = [str(r) for r in _list(params.get("Regions"))]
    if required and not regions:
        raise _validation("1 validation error detected: Value null at 'regions' failed to satisfy constraint: Member must not be null")
    known = partition_regions(req.partition)
    bad = [r for r in regions if r not in known]
    if bad:
        raise _validation(f"Regions [{', '.join(bad)}] are not valid")
    out: list[str] = []
    for r in regions:
        if r not in out:
            out.append(r)
    return out


def _prefs(params: dict[str, Any]) -> dict[str, Any]:
    """OperationPreferences, checked as StackSetOperationPreferences documents them."""
    raw = params.get("OperationPreferences") or {}
    if not isinstance(raw, dict):
        raw = {}
    prefs: dict[str, Any] = {}
    ftc = _int(raw.get("FailureToleranceCount"), "operationPreferences.failureToleranceCount", 0)
    ftp = _int(raw.get("FailureTolerancePercentage"), "operationPreferences.failureTolerancePercentage", 0, 100)
    mcc = _int(raw.get("MaxConcurrentCount"), "operationPreferences.maxConcurrentCount", 1)
    mcp = _int(raw.get("MaxConcurrentPercentage"), "operationPreferences.maxConcurrentPercentage", 1, 100)
    if ftc is not None and ftp is not None:
        raise _validation("You can specify either FailureToleranceCount or FailureTolerancePercentage, but not both")
    if mcc is not None and mcp is not None:
        raise _validation("You can specify either MaxConcurrentCount or MaxConcurrentPercentage, but not both")
    rct = raw.get("RegionConcurrencyType")
    if rct is not None and rct not in ("SEQUENTIAL", "PARALLEL"):
        raise _validation(f"1 validation error detected: Value '{rct}' at 'operationPreferences.regionConcurrencyType' failed to satisfy constraint: Member must satisfy enum value set: [SEQUENTIAL, PARALLEL]")
    mode = raw.get("ConcurrencyMode")
    if mode is not None and mode not in ("STRICT_FAILURE_TOLERANCE", "SOFT_FAILURE_TOLERANCE"):
        raise _validation(f"1 validation error detected: Value '{mode}' at 'operationPreferences.concurrencyMode' failed to satisfy constraint: Member must satisfy enum value set: [STRICT_FAILURE_TOLERANCE, SOFT_FAILURE_TOLERANCE]")
    for key, value in (("FailureToleranceCount", ftc), ("FailureTolerancePercentage", ftp), ("MaxConcurrentCount", mcc),
                       ("MaxConcurrentPercentage", mcp), ("RegionConcurrencyType", rct), ("ConcurrencyMode", mode)):
        if value is not None:
            prefs[key] = value
    order = [str(r) for r in _list(raw.get("RegionOrder"))]
    if order:
        prefs["RegionOrder"] = order
    return prefs


def _deployment_targets(params: dict[str, Any], action: str) -> tuple[list[str], list[str], str]:
    """(OU and root ids, accounts, filter type) of DeploymentTargets for a service-managed stack
    set (DeploymentTargets, API Reference: OrganizationalUnitIds are required; "When performing
    create operations, if you specify both OrganizationalUnitIds and Accounts, you must also
    specify the AccountFilterType property"; "UNION is not supported for create operations when
    using StackSet as a resource or the CreateStackInstances API" (the Template Reference's
    DeploymentTargets))."""
    if _list(params.get("Accounts")):
        raise _validation(OUS_REQUIRED)
    raw = params.get("DeploymentTargets")
    if not isinstance(raw, dict):
        raise _validation(OUS_REQUIRED)
    ous = [str(o) for o in _list(raw.get("OrganizationalUnitIds"))]
    accounts = [str(a) for a in _list(raw.get("Accounts"))]
    if raw.get("AccountsUrl"):
        raise _validation("AccountsUrl is not supported by the radiant emulator; give Accounts")
    if not ous:
        raise _validation(OUS_REQUIRED)
    if len(ous) > MAX_OUS:
        raise _validation(f"The maximum number of organizational unit (OUs) supported by a {action} operation is {MAX_OUS}.")
    bad = [o for o in ous if not _TARGET.fullmatch(o)]
    if bad:
        raise _validation(f"1 validation error detected: Value '[{', '.join(bad)}]' at 'deploymentTargets.organizationalUnitIds' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(ou-[a-z0-9]{{4,32}}-[a-z0-9]{{8,32}}|r-[a-z0-9]{{4,32}})$")
    bad = [a for a in accounts if not _ACCOUNT.fullmatch(a)]
    if bad:
        raise _validation(f"1 validation error detected: Value '[{', '.join(bad)}]' at 'deploymentTargets.accounts' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9]{{12}}$")
    kind = raw.get("AccountFilterType")
    if kind is not None and kind not in FILTER_TYPES:
        raise _validation(f"1 validation error detected: Value '{kind}' at 'deploymentTargets.accountFilterType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, INTERSECTION, DIFFERENCE, UNION]")
    if accounts and kind is None:
        raise _validation(FILTER_REQUIRED)
    kind = kind or "NONE"
    if kind == "UNION" and action == "CreateStackInstances":
        raise _validation("AccountFilterType UNION is not supported for CreateStackInstances")
    if kind in ("INTERSECTION", "DIFFERENCE", "UNION") and not accounts:
        raise _validation(f"Accounts should be specified when AccountFilterType is {kind}")
    if kind == "NONE" and accounts:
        raise _validation("Accounts should not be specified when AccountFilterType is NONE")
    return ous, accounts, kind


def _targets_echo(ous: list[str], accounts: list[str], kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"OrganizationalUnitIds": ous, "AccountFilterType": kind}
    if accounts:
        out["Accounts"] = accounts
    return out


def _select(backend: Any, ous: list[str], accounts: list[str], kind: str) -> list[tuple[str, str]]:
    """The (account, covering target) pairs DeploymentTargets select, the management account
    never among them."""
    unknown = [o for o in ous if not _target_exists(backend, o)]
    if unknown:
        # Ours: AWS's text for an OU of no organization was not found.
        raise _validation(f"OrganizationalUnitIds [{', '.join(unknown)}] are not in the organization")
    under = _accounts_under(backend, ous)
    wanted = set(accounts)
    master = backend.org.master_account_id
    if kind == "INTERSECTION":
        return [(a, o) for a, o in under if a in wanted]
    if kind == "DIFFERENCE":
        return [(a, o) for a, o in under if a not in wanted]
    if kind == "UNION":
        covered = {a for a, _o in under}
        extra = []
        for a in accounts:
            if a in covered or a == master:
                continue
            chain = _ancestors(backend, a)
            if chain:
                extra.append((a, chain[0]))
        return under + extra
    return under


# -- handlers --------------------------------------------------------------------------------------


def describe_organizations_access(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response:
    owner, _call_as = ss._owner(req, ident, params)
    master = ss._management(req, owner)
    status = "ENABLED" if ss.trusted_access(master, req.partition) else "DISABLED"
    return answer("DescribeOrganizationsAccess", {"Status": status})


def activate_organizations_access(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response:
    """Only the management account ("Only an account administrator in the management account
    has permissions to activate trusted access"); it also gives Organizations' trusted access to
    StackSets' principal (Organizations User Guide, "AWS CloudFormation StackSets and AWS
    Organizations": member.org.stacksets.cloudformation.amazonaws.com), so the principal shows in
    ListAWSServiceAccessForOrganization."""
    master = ss._management(req, ident.account)
    _org(master, req.partition).enable_aws_service_access(ServicePrincipal=STACKSETS_PRINCIPAL)
    ss.trusted.add((master, req.partition))
    return answer("ActivateOrganizationsAccess", {})


def deactivate_organizations_access(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response:
    master = ss._management(req, ident.account)
    _org(master, req.partition).disable_aws_service_access(ServicePrincipal=STACKSETS_PRINCIPAL)
    ss.trusted.discard((master, req.partition))
    return answer("DeactivateOrganizationsAccess", {})


def create_stack_set(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response | None:
    owner, call_as = ss._owner(req, ident, params)
    if params.get("PermissionModel") != "SERVICE_MANAGED":
        if call_as == "DELEGATED_ADMIN":
            raise _validation(NOT_ORG_ADMIN)
        return None  # self-managed: moto's
    master = ss._management(req, owner)
    ss._require_trusted(master, req.partition)
    name = str(params.get("StackSetName") or "")
    if not _NAME.fullmatch(name):
        raise _validation(f"1 validation error detected: Value '{name}' at 'stackSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*")
    existing = ss._find(master, req.region, name)
    token = params.get("ClientRequestToken")
    if existing is not None and token and existing.client_token == token:
        # The same request again (ClientRequestToken: "A unique identifier for this
        # CreateStackSet request"; the SDKs repeat it on a retry).
        return answer("CreateStackSet", {"StackSetId": existing.id})
    if existing is not None:
        # NameAlreadyExistsException, 409.
        raise ApiError(409, "NameAlreadyExistsException", f"StackSet {name} already exists")
    version = _version(params, None)
    auto = params.get("AutoDeployment") or {}
    auto_enabled = bool(_bool(auto.get("Enabled"), "autoDeployment.enabled")) if isinstance(auto, dict) else False
    retain = bool(_bool(auto.get("RetainStacksOnAccountRemoval"), "autoDeployment.retainStacksOnAccountRemoval")) if isinstance(auto, dict) else False
    managed = params.get("ManagedExecution") or {}
    active = bool(_bool(managed.get("Active"), "managedExecution.active")) if isinstance(managed, dict) else False
    description = params.get("Description")
    set_id = f"{name}:{uuid.uuid4()}"
    rec = StackSetRec(
        name=name, id=set_id, arn=f"arn:{req.partition}:cloudformation:{req.region}:{master}:stackset/{set_id}",
        owner=master, region=req.region, partition=req.partition,
        description=str(description) if description is not None else None,
        auto_enabled=auto_enabled, retain_on_removal=retain, managed=active, versions=[version],
        client_token=str(token) if token else None,
    )
    ss.sets.setdefault((master, req.region), {})[set_id] = rec
    return answer("CreateStackSet", {"StackSetId": set_id})


def _version(params: dict[str, Any], previous: Version | None) -> Version:
    """The template, parameters, capabilities and tags of a CreateStackSet / UpdateStackSet."""
    use_previous = _bool(params.get("UsePreviousTemplate"), "usePreviousTemplate")
    body = params.get("TemplateBody")
    if params.get("TemplateURL"):
        raise _validation("TemplateURL is not supported by the radiant emulator; give TemplateBody")
    if use_previous and body:
        raise _validation("You cannot specify both usePreviousTemplate and Template Body/Template URL.")
    if previous is not None and (use_previous or body is None):
        body, template = previous.body, previous.template
    else:
        if not body:
            raise _validation("Either Template URL or Template Body must be specified.")
        try:
            template = cfn.parse_template(str(body))
        except cfn.TemplateError as exc:
            raise _validation(str(exc)) from exc
    given: dict[str, str] = {}
    old = previous.parameters if previous is not None else {}
    raw_params = params.get("Parameters")
    if raw_params is None and previous is not None:
        given = dict(old)
    for p in _list(raw_params):
        if not isinstance(p, dict) or not p.get("ParameterKey"):
            continue
        key = str(p["ParameterKey"])
        if _bool(p.get("UsePreviousValue"), "parameters.usePreviousValue") and key in old:
            given[key] = old[key]
        elif p.get("ParameterValue") is not None:
            given[key] = str(p["ParameterValue"])
    try:
        cfn.check_parameters(template, given)
    except cfn.TemplateError as exc:
        raise _validation(str(exc)) from exc
    raw_caps = params.get("Capabilities")
    capabilities = [str(c) for c in _list(raw_caps)] if raw_caps is not None or previous is None else list(previous.capabilities)
    for cap in capabilities:
        if cap not in ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"):
            raise _validation(f"1 validation error detected: Value '[{cap}]' at 'capabilities' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [CAPABILITY_AUTO_EXPAND, CAPABILITY_NAMED_IAM, CAPABILITY_IAM]]")
    raw_tags = params.get("Tags")
    if raw_tags is None and previous is not None:
        tags = list(previous.tags)
    else:
        tags = [{"Key": str(t.get("Key")), "Value": str(t.get("Value", ""))} for t in _list(raw_tags) if isinstance(t, dict)]
        if len(tags) > 50:
            raise _validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
    return Version(body=str(body), template=template, parameters=given, capabilities=capabilities, tags=tags)


def describe_stack_set(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response | None:
    rec, _ = ss._lookup(req, ident, params)
    if rec is None:
        return None
    return answer("DescribeStackSet", {"StackSet": _set_view(rec)})


def list_stack_sets(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response | None:
    owner, call_as = ss._owner(req, ident, params)
    wanted = params.get("Status")
    ours = [r for r in ss.sets.get((owner, req.region), {}).values() if wanted in (None, r.status)]
    if not ours and call_as == "SELF":
        return None
    summaries = [{
        "StackSetName": r.name, "StackSetId": r.id, "Status": r.status, "PermissionModel": "SERVICE_MANAGED",
        "AutoDeployment": {"Enabled": r.auto_enabled, "RetainStacksOnAccountRemoval": r.retain_on_removal},
        "ManagedExecution": {"Active": r.managed}, "DriftStatus": "NOT_CHECKED", **({"Description": r.description} if r.description else {}),
    } for r in ours]
    if call_as == "SELF":
        from moto.cloudformation.models import cloudformation_backends

        for other in cloudformation_backends[owner][req.region].stacksets.values():
            if wanted in (None, other.status):
                summaries.append({"StackSetName": other.name, "StackSetId": other.id, "Status": other.status,
                                  "PermissionModel": other.permission_model})
    return _paged("ListStackSets", summaries, params)


def create_stack_instances(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response | None:
    rec, _ = ss._lookup(req, ident, params)
    if rec is None:
        return None
    ss._require_trusted(rec.owner, rec.partition)
    ous, accounts, kind = _deployment_targets(params, "CreateStackInstances")
    regions = _regions(req, params)
    prefs = _prefs(params)
    if _list(params.get("ParameterOverrides")):
        raise _validation("ParameterOverrides are not supported by the radiant emulator")
    backend = _org(rec.owner, rec.partition)
    selected = _select(backend, ous, accounts, kind)
    work = [(a, r, o) for r in regions for a, o in selected]
    op = ss._new_op(rec, "CREATE", params, work, prefs, _targets_echo(ous, accounts, kind), version=rec.version)
    for o in ous:
        rec.targets.setdefault(o, set()).update(regions)
    return answer("CreateStackInstances", {"OperationId": op.id})


def delete_stack_instances(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response | None:
    rec, _ = ss._lookup(req, ident, params)
    if rec is None:
        return None
    ss._require_trusted(rec.owner, rec.partition)
    retain = _bool(params.get("RetainStacks"), "retainStacks")
    if retain is None:
        raise _validation("1 validation error detected: Value null at 'retainStacks' failed to satisfy constraint: Member must not be null")
    ous, accounts, kind = _deployment_targets(params, "DeleteStackInstances")
    regions = _regions(req, params)
    prefs = _prefs(params)
    backend = _org(rec.owner, rec.partition)
    selected = dict(_select(backend, ous, accounts, kind))
    # An instance whose account has left the target since still belongs to the OU it was made for.
    for (a, _r), inst in rec.instances.items():
        if inst.ou in ous and a not in selected and not (kind == "INTERSECTION" and a not in accounts) and not (kind == "DIFFERENCE" and a in accounts):
            selected[a] = inst.ou
    work = [(a, r, rec.instances[(a, r)].ou) for r in regions for a in selected if (a, r) in rec.instances]
    op = ss._new_op(rec, "DELETE", params, work, prefs, _targets_echo(ous, accounts, kind), retain=retain)
    if kind == "NONE":
        for o in ous:
            remaining = rec.targets.get(o, set()) - set(regions)
            if remaining:
                rec.targets[o] = remaining
            else:
                rec.targets.pop(o, None)
    return answer("DeleteStackInstances", {"OperationId": op.id})


def update_stack_set(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response | None:
    """A new template (or parameters, capabilities, tags) for the stack set and an UPDATE
    operation over its instances (all of them, or those of DeploymentTargets and Regions): "When
    you update a stack set, *all* associated stack instances are updated throughout all accounts
    and regions" ("StackSets concepts"); each is OUTDATED until the operation reaches it."""
    rec, _ = ss._lookup(req, ident, params)
    if rec is None:
        return None
    ss._require_trusted(rec.owner, rec.partition)
    if params.get("PermissionModel") not in (None, "SERVICE_MANAGED"):
        raise _validation("Changing the permission model of a stack set is not supported by the radiant emulator")
    auto = params.get("AutoDeployment")
    has_targets = params.get("DeploymentTargets") is not None or bool(_list(params.get("Regions")))
    if isinstance(auto, dict) and has_targets:
        # "If you specify --auto-deployment in your stack set update, you cannot specify
        # --deployment-targets or --regions" (Manage automatic deployments, AWS CLI).
        raise _validation("AutoDeployment cannot be specified together with DeploymentTargets or Regions")
    prefs = _prefs(params)
    version = _version(params, rec.current)
    targets_echo = None
    if has_targets:
        ous, accounts, kind = _deployment_targets(params, "UpdateStackSet")
        regions = _regions(req, params)
        chosen = {a for a, _o in _select(_org(rec.owner, rec.partition), ous, accounts, kind)}
        keys = [k for k in sorted(rec.instances) if k[0] in chosen and k[1] in regions]
        targets_echo = _targets_echo(ous, accounts, kind)
    else:
        keys = sorted(rec.instances)
    if any(op.busy for op in rec.ops) and not rec.managed:
        raise _in_progress(rec)
    rec.versions.append(version)
    if params.get("Description") is not None:
        rec.description = str(params["Description"])
    if isinstance(auto, dict):
        if auto.get("Enabled") is not None:
            rec.auto_enabled = bool(_bool(auto.get("Enabled"), "autoDeployment.enabled"))
        if auto.get("RetainStacksOnAccountRemoval") is not None:
            rec.retain_on_removal = bool(_bool(auto.get("RetainStacksOnAccountRemoval"), "autoDeployment.retainStacksOnAccountRemoval"))
    managed = params.get("ManagedExecution")
    if isinstance(managed, dict) and managed.get("Active") is not None:
        rec.managed = bool(_bool(managed.get("Active"), "managedExecution.active"))
    work = [(a, r, rec.instances[(a, r)].ou) for a, r in keys if rec.instances[(a, r)].detailed != "INOPERABLE"]
    # Instances left out of a targeted update are no longer up to date with the stack set.
    for key, inst in rec.instances.items():
        if key not in keys:
            inst.status = "OUTDATED"
    op = ss._new_op(rec, "UPDATE", params, work, prefs, targets_echo, version=rec.version)
    return answer("UpdateStackSet", {"OperationId": op.id})


def delete_stack_set(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response | None:
    rec, _ = ss._lookup(req, ident, params)
    if rec is None:
        return None
    if any(op.busy for op in rec.ops):
        raise _in_progress(rec)
    if rec.instances:
        # StackSetNotEmptyException, 409 ("You can delete your stack set only when there are no
        # stack instances in it", "StackSets concepts"); moto's text.
        raise ApiError(409, "StackSetNotEmptyException", "StackSet is not empty")
    rec.status = "DELETED"
    return answer("DeleteStackSet", {})


def _operation(rec: StackSetRec, params: dict[str, Any]) -> Operation:
    op_id = str(params.get("OperationId") or "")
    op = next((o for o in rec.ops if o.id == op_id), None)
    if op is None:
        # OperationNotFoundException, 404; the text is ours.
        raise ApiError(404, "OperationNotFoundException", f"Operation {op_id} not found for StackSet {rec.name}")
    return op


def describe_stack_set_operation(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response | None:
    rec, _ = ss._lookup(req, ident, params)
    if rec is None:
        return None
    return answer("DescribeStackSetOperation", {"StackSetOperation": _op_view(rec, _operation(rec, params))})


def list_stack_set_operations(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response | None:
    rec, _ = ss._lookup(req, ident, params)
    if rec is None:
        return None
    # Newest first.
    return _paged("ListStackSetOperations", [_op_summary(op) for op in reversed(rec.ops)], params)


def list_stack_set_operation_results(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response | None:
    rec, _ = ss._lookup(req, ident, params)
    if rec is None:
        return None
    op = _operation(rec, params)
    wanted: set[str] | None = None
    for f in _list(params.get("Filters")):
        if isinstance(f, dict) and f.get("Name") == "OPERATION_RESULT_STATUS":
            wanted = (wanted or set()) | {str(f.get("Values"))}
    out = []
    for (account, region), result in op.results.items():
        if wanted is not None and result["status"] not in wanted:
            continue
        entry: dict[str, Any] = {"Account": account, "Region": region, "Status": result["status"],
                                 "OrganizationalUnitId": result["ou"]}
        if result["reason"]:
            entry["StatusReason"] = result["reason"]
        if result["status"] in ("SUCCEEDED", "FAILED"):
            # No account gate function in the account (CloudFormation User Guide, "Configuring a
            # target account gate"): StackSets skips the gate.
            entry["AccountGateResult"] = {
                "Status": "SKIPPED",
                "StatusReason": f"Function not found: arn:{rec.partition}:lambda:{region}:{account}:function:AWSCloudFormationStackSetAccountGate",
            }
        out.append(entry)
    return _paged("ListStackSetOperationResults", out, params)


def list_stack_instances(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response | None:
    rec, _ = ss._lookup(req, ident, params)
    if rec is None:
        return None
    filters = _list(params.get("Filters"))
    if len(filters) > 3:
        raise _validation("1 validation error detected: Value at 'filters' failed to satisfy constraint: Member must have length less than or equal to 3")
    items = sorted(rec.instances.values(), key=lambda i: (i.account, i.region))
    account = params.get("StackInstanceAccount")
    region = params.get("StackInstanceRegion")
    if account:
        items = [i for i in items if i.account == account]
    if region:
        items = [i for i in items if i.region == region]
    for f in filters:
        if not isinstance(f, dict):
            continue
        name, value = f.get("Name"), str(f.get("Values") or "")
        if name == "DETAILED_STATUS":
            items = [i for i in items if i.detailed == value]
        elif name == "LAST_OPERATION_ID":
            items = [i for i in items if i.last_op == value]
        elif name == "DRIFT_STATUS":
            items = [i for i in items if value == "NOT_CHECKED"]
        else:
            raise _validation(f"1 validation error detected: Value '{name}' at 'filters.member.name' failed to satisfy constraint: Member must satisfy enum value set: [DETAILED_STATUS, LAST_OPERATION_ID, DRIFT_STATUS]")
    return _paged("ListStackInstances", [_instance_view(rec, i, False) for i in items], params)


def describe_stack_instance(ss: StackSets, req: AwsRequest, ident: Identity, params: dict[str, Any]) -> Response | None:
    rec, _ = ss._lookup(req, ident, params)
    if rec is None:
        return None
    account, region = str(params.get("StackInstanceAccount") or ""), str(params.get("StackInstanceRegion") or "")
    inst = rec.instances.get((account, region))
    if inst is None:
        # StackInstanceNotFoundException, 404; the text is ours.
        raise ApiError(404, "StackInstanceNotFoundException", f"Stack instance [{account}, {region}] of StackSet {rec.name} not found")
    return answer("DescribeStackInstance", {"StackInstance": _instance_view(rec, inst, True)})


HANDLERS: dict[str, Any] = {
    "DescribeOrganizationsAccess": describe_organizations_access,
    "ActivateOrganizationsAccess": activate_organizations_access,
    "DeactivateOrganizationsAccess": deactivate_organizations_access,
    "CreateStackSet": create_stack_set,
    "DescribeStackSet": describe_stack_set,
    "ListStackSets": list_stack_sets,
    "UpdateStackSet": update_stack_set,
    "DeleteStackSet": delete_stack_set,
    "CreateStackInstances": create_stack_instances,
    "DeleteStackInstances": delete_stack_instances,
    "DescribeStackSetOperation": describe_stack_set_operation,
    "ListStackSetOperations": list_stack_set_operations,
    "ListStackSetOperationResults": list_stack_set_operation_results,
    "ListStackInstances": list_stack_instances,
    "DescribeStackInstance": describe_stack_instance,
}


def patch_moto() -> None:
    """moto's Organizations does not accept StackSets' principal for
    RegisterDelegatedAdministrator ("You specified an unrecognized service principal."); AWS does
    ("aws organizations register-delegated-administrator --service-principal=
    member.org.stacksets.cloudformation.amazonaws.com": "Register a delegated administrator")."""
    from moto.organizations.models import FakeDelegatedAdministrator

    if STACKSETS_PRINCIPAL not in FakeDelegatedAdministrator.SUPPORTED_SERVICES:
        FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(STACKSETS_PRINCIPAL)

