"""The CloudFormation templates a stack set deploys, as far as the emulator deploys them: the
template is parsed and checked as CloudFormation checks it when the stack set is created, and a
stack instance's stack really creates, updates and deletes its resources in the target account.

Deployed resource types: `AWS::IAM::Role` (RoleName, AssumeRolePolicyDocument as an object or a
string, Policies [{PolicyName, PolicyDocument}], ManagedPolicyArns, Tags, Description,
MaxSessionDuration, Path, PermissionsBoundary). Any other type fails its stack instance with a
reason saying so (the emulator does not pretend to create what it does not model).

Intrinsic functions resolved: `Ref` (parameters, the pseudo parameters AWS::AccountId,
AWS::Region, AWS::Partition, AWS::URLSuffix, AWS::StackName, AWS::StackId, AWS::NoValue, and a
role: its name), `Fn::Sub` (string and [string, {vars}] forms), `Fn::Join`, `Fn::Select`,
`Fn::Split`, `Fn::GetAtt` of a role (`Arn`, `RoleId`). Conditions, `Fn::If` and other
functions fail the instance ("not supported by the emulator").

Why not moto's own stack (moto.cloudformation `Stack`, which moto's stack sets use): moto 5.2.5's
`AWS::IAM::Role` handler keeps an inline `PolicyDocument` object as a dict rather than the
document's text, and its update changes only the description: `update_from_cloudformation_json`
reads `MaxSessionDuration` from `RoleDescription` (an update resets it to 3600) and ignores the
trust policy, the inline policies and the tags (checked: an updated inline policy stays as it
was); a role name that already exists makes CreateStack itself fail with IAM's
`EntityAlreadyExists` instead of failing the stack.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import yaml

ROLE = "AWS::IAM::Role"

# IAM resource types (CloudFormation User Guide, "Acknowledging IAM resources in CloudFormation
# templates"): a template with any of them needs CAPABILITY_IAM or CAPABILITY_NAMED_IAM, with a
# custom name CAPABILITY_NAMED_IAM.
IAM_TYPES = {
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::UserToGroupAddition": None,
}

# AWS::IAM::Role's schema: RoleName 1 to 64 of [\w+=,.@-]; MaxSessionDuration 3600 to 43200.
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
ROLE_PROPERTIES = {
    "RoleName", "AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns", "Tags", "Description",
    "MaxSessionDuration", "Path", "PermissionsBoundary",
}


class TemplateError(Exception):
    """The template is refused when the stack set is created or updated (CloudFormation's
    ValidationError, "Template format error: ...")."""


class DeployError(Exception):
    """A stack of a stack instance failed: the message is the instance's StatusReason."""


def parse_template(body: str) -> dict[str, Any]:
    """The template as a mapping, checked as CloudFormation checks its format: JSON or YAML
    (plain YAML; the short-form tags such as `!Sub` are not read), a `Resources` section with at
    least one resource, each with a `Type`. The texts are CloudFormation's."""
    text = body.strip()
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        if text.startswith("{"):
            line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
            raise TemplateError(f"Template format error: JSON not well-formed. (line {line},  column {col})") from exc
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError as yexc:
            mark = getattr(yexc, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            raise TemplateError(f"Template format error: YAML not well-formed. (line {line}, column {col})") from yexc
    if not isinstance(parsed, dict):
        raise TemplateError("Template format error: unsupported structure.")
    resources = parsed.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("Template format error: At least one Resources member must be defined.")
    for lid, res in resources.items():
        if not isinstance(res, dict) or not isinstance(res.get("Type"), str):
            raise TemplateError(f"Template format error: [/Resources/{lid}] Every Resources object must contain a Type member.")
    return parsed


def required_capability(template: dict[str, Any]) -> str | None:
    """CAPABILITY_NAMED_IAM when an IAM resource has a custom name, CAPABILITY_IAM when there are
    IAM resources without one, else None."""
    needed = None
    for res in template["Resources"].values():
        if res["Type"] not in IAM_TYPES:
            continue
        name_prop = IAM_TYPES[res["Type"]]
        if name_prop and name_prop in (res.get("Properties") or {}):
            return "CAPABILITY_NAMED_IAM"
        needed = "CAPABILITY_IAM"
    return needed


def capability_problem(template: dict[str, Any], capabilities: list[str]) -> str | None:
    """The reason an instance fails for missing capabilities, in CloudFormation's words
    ("Requires capabilities : [CAPABILITY_NAMED_IAM]", InsufficientCapabilitiesException's text;
    for a stack set the stack instance fails with it, aws-cloudformation/rain issue #455)."""
    needed = required_capability(template)
    if needed is None:
        return None
    if needed == "CAPABILITY_NAMED_IAM" and "CAPABILITY_NAMED_IAM" not in capabilities:
        return "Requires capabilities : [CAPABILITY_NAMED_IAM]"
    if needed == "CAPABILITY_IAM" and not {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"} & set(capabilities):
        return "Requires capabilities : [CAPABILITY_IAM]"
    return None


def check_parameters(template: dict[str, Any], given: dict[str, str]) -> None:
    """CreateStackSet's parameter checks (ValidationError texts of CloudFormation)."""
    declared = template.get("Parameters") or {}
    unknown = sorted(k for k in given if k not in declared)
    if unknown:
        raise TemplateError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    missing = sorted(k for k, p in declared.items() if k not in given and not (isinstance(p, dict) and "Default" in p))
    if missing:
        raise TemplateError(f"Parameters: [{', '.join(missing)}] must have values")


@dataclass
class StackContext:
    account: str
    region: str
    partition: str
    stack_name: str
    stack_id: str
    parameters: dict[str, str]
    tags: list[dict[str, str]]  # the stack set's tags, applied to the stack's resources
    # logical id -> {"type", "name", "arn", "id"} of the resources deployed so far
    deployed: dict[str, dict[str, Any]] = field(default_factory=dict)


_NO_VALUE = object()


def _url_suffix(partition: str) -> str:
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def _unsupported(fn: str) -> DeployError:
    return DeployError(f"Template error: {fn} is not supported by the radiant emulator")


class _Resolver:
    def __init__(self, template: dict[str, Any], ctx: StackContext) -> None:
        self.template = template
        self.ctx = ctx
        declared = template.get("Parameters") or {}
        self.params: dict[str, Any] = {}
        for name, spec in declared.items():
            value = ctx.parameters.get(name, (spec or {}).get("Default") if isinstance(spec, dict) else None)
            if isinstance(spec, dict) and spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
                value = [v.strip() for v in value.split(",")]
            self.params[name] = value

    def ref(self, name: str) -> Any:
        ctx = self.ctx
        pseudo = {
            "AWS::AccountId": ctx.account,
            "AWS::Region": ctx.region,
            "AWS::Partition": ctx.partition,
            "AWS::URLSuffix": _url_suffix(ctx.partition),
            "AWS::StackName": ctx.stack_name,
            "AWS::StackId": ctx.stack_id,
        }
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in self.params:
            return self.params[name]
        if name in ctx.deployed:
            return ctx.deployed[name]["name"]
        raise DeployError(f"Template format error: Unresolved resource dependencies [{name}] in the Resources block of the template")

    def get_att(self, lid: str, attr: str) -> Any:
        found = self.ctx.deployed.get(lid)
        if found is None:
            raise DeployError(f"Template error: instance of Fn::GetAtt references undefined resource {lid}")
        if found["type"] == ROLE and attr in ("Arn", "RoleId"):
            return found["arn"] if attr == "Arn" else found["id"]
        raise DeployError(f"Template error: resource {lid} does not support attribute type {attr} in Fn::GetAtt")

    def sub(self, text: str, variables: dict[str, Any]) -> str:
        def replace(found: re.Match[str]) -> str:
            name = found.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                lid, attr = name.split(".", 1)
                return str(self.get_att(lid, attr))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            out = [self.resolve(v) for v in value]
            return [v for v in out if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(str(arg))
            if key == "Fn::Sub":
                if isinstance(arg, str):
                    return self.sub(arg, {})
                if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
                    return self.sub(arg[0], arg[1])
                raise DeployError("Template error: Fn::Sub expects a string or an array of a string and an object")
            if key == "Fn::Join":
                if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
                    raise DeployError("Template error: every Fn::Join object requires two parameters")
                items = self.resolve(arg[1])
                if not isinstance(items, list):
                    raise DeployError("Template error: every Fn::Join object requires a list of values")
                return arg[0].join(str(i) for i in items)
            if key == "Fn::Select":
                index, items = self.resolve(arg[0]), self.resolve(arg[1])
                try:
                    return items[int(index)]
                except (IndexError, ValueError, TypeError) as exc:
                    raise DeployError("Template error: Fn::Select cannot select nonexistent value at index " + str(index)) from exc
            if key == "Fn::Split":
                return str(self.resolve(arg[1])).split(str(arg[0]))
            if key == "Fn::GetAtt":
                parts = arg.split(".", 1) if isinstance(arg, str) else list(arg)
                return self.get_att(str(parts[0]), str(parts[1]))
            if key.startswith("Fn::") or key == "Condition":
                raise _unsupported(key)
        out = {}
        for k, v in value.items():
            resolved = self.resolve(v)
            if resolved is not _NO_VALUE:
                out[k] = resolved
        return out


def _order(template: dict[str, Any]) -> list[str]:
    """The resources in an order that creates each one after those it references (Ref, GetAtt,
    Sub, DependsOn)."""
    resources = template["Resources"]

    def refs(value: Any, found: set[str]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "Ref" and isinstance(v, str) and v in resources:
                    found.add(v)
                elif k == "Fn::GetAtt":
                    target = v.split(".", 1)[0] if isinstance(v, str) else v[0] if isinstance(v, list) and v else None
                    if target in resources:
                        found.add(str(target))
                elif k == "Fn::Sub":
                    text = v if isinstance(v, str) else v[0] if isinstance(v, list) and v else ""
                    for name in re.findall(r"\$\{([^}!][^}]*)\}", str(text)):
                        if name.split(".", 1)[0] in resources:
                            found.add(name.split(".", 1)[0])
                    refs(v, found)
                else:
                    refs(v, found)
        elif isinstance(value, list):
            for v in value:
                refs(v, found)

    deps: dict[str, set[str]] = {}
    for lid, res in resources.items():
        found: set[str] = set()
        refs(res.get("Properties") or {}, found)
        depends = res.get("DependsOn")
        for d in [depends] if isinstance(depends, str) else depends or []:
            if d in resources:
                found.add(d)
        found.discard(lid)
        deps[lid] = found
    ordered: list[str] = []
    state: dict[str, int] = {}

    def visit(lid: str) -> None:
        if state.get(lid) == 2:
            return
        if state.get(lid) == 1:
            raise DeployError(f"Template format error: Circular dependency between resources: [{lid}]")
        state[lid] = 1
        for d in sorted(deps[lid]):
            visit(d)
        state[lid] = 2
        ordered.append(lid)

    for lid in resources:
        visit(lid)
    return ordered


def _handler_failure(lid: str, rtype: str, message: str, code: str, service_status: int | None = None) -> DeployError:
    """A resource failure as a stack instance's StatusReason: "ResourceLogicalId:ID,
    ResourceType:TYPE, ResourceStatusReason:..." (the StackSets summary of the failed resource), the
    reason being the resource handler's message ("Resource handler returned message: "..."
    (RequestToken: ..., HandlerErrorCode: AlreadyExists)", quoted for AWS::IAM::Role in
    awslabs/stable-diffusion-aws-extension issue #233)."""
    token = str(uuid.uuid4())
    inner = message if service_status is None else f"{message} (Service: Iam, Status Code: {service_status}, Request ID: {uuid.uuid4()})"
    reason = f'Resource handler returned message: "{inner}" (RequestToken: {token}, HandlerErrorCode: {code})'
    return DeployError(f"ResourceLogicalId:{lid}, ResourceType:{rtype}, ResourceStatusReason:{reason}")


def _generated_name(stack_name: str, lid: str) -> str:
    """CloudFormation's generated physical name: STACK-LOGICALID-RANDOM, at most 64 characters."""
    suffix = uuid.uuid4().hex[:12].upper()
    head = f"{stack_name}-{lid}"[: 64 - len(suffix) - 1]
    return f"{head}-{suffix}"


@dataclass
class _RoleSpec:
    lid: str
    name: str
    trust: str
    policies: dict[str, str]
    managed: list[str]
    tags: list[dict[str, str]]
    description: str
    max_session: int
    path: str
    boundary: str | None


def _doc_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _role_spec(lid: str, props: dict[str, Any], ctx: StackContext, previous: dict[str, Any] | None) -> _RoleSpec:
    rtype = ROLE
    unknown = sorted(set(props) - ROLE_PROPERTIES)
    if unknown:
        raise _handler_failure(lid, rtype, f"Properties validation failed for resource {lid} with message: #: extraneous key [{unknown[0]}] is not permitted", "InvalidRequest")
    if "AssumeRolePolicyDocument" not in props:
        raise _handler_failure(lid, rtype, f"Properties validation failed for resource {lid} with message: #: required key [AssumeRolePolicyDocument] not found", "InvalidRequest")
    name = props.get("RoleName")
    if name is None:
        name = previous["name"] if previous is not None and not previous.get("custom_name") else _generated_name(ctx.stack_name, lid)
    name = str(name)
    if not ROLE_NAME.fullmatch(name):
        raise _handler_failure(lid, rtype, f"Properties validation failed for resource {lid} with message: #/RoleName: failed validation constraint for keyword [pattern]", "InvalidRequest")
    max_session = props.get("MaxSessionDuration", 3600)
    try:
        max_session = int(max_session)
    except (TypeError, ValueError):
        max_session = -1
    if not 3600 <= max_session <= 43200:
        raise _handler_failure(lid, rtype, f"Properties validation failed for resource {lid} with message: #/MaxSessionDuration: {props.get('MaxSessionDuration')} is not within 3600 and 43200", "InvalidRequest")
    policies: dict[str, str] = {}
    for policy in props.get("Policies") or []:
        if not isinstance(policy, dict) or "PolicyName" not in policy or "PolicyDocument" not in policy:
            raise _handler_failure(lid, rtype, f"Properties validation failed for resource {lid} with message: #/Policies: required key [PolicyName, PolicyDocument] not found", "InvalidRequest")
        policies[str(policy["PolicyName"])] = _doc_text(policy["PolicyDocument"])
    # The stack set's tags reach every resource that supports tags (CloudFormation User Guide,
    # "StackSets concepts", Tags: "Tags that you apply to stack sets are applied to all stacks,
    # and the resources that are created by your stacks"); the resource's own tag wins.
    own = [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in props.get("Tags") or [] if isinstance(t, dict)]
    keys = {t["Key"] for t in own}
    tags = [t for t in ctx.tags if t["Key"] not in keys] + own
    return _RoleSpec(
        lid=lid,
        name=name,
        trust=_doc_text(props["AssumeRolePolicyDocument"]),
        policies=policies,
        managed=[str(a) for a in props.get("ManagedPolicyArns") or []],
        tags=tags,
        description=str(props.get("Description") or ""),
        max_session=max_session,
        path=str(props.get("Path") or "/"),
        boundary=str(props["PermissionsBoundary"]) if props.get("PermissionsBoundary") else None,
    )


def _iam(account: str, partition: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account][partition]


def _check_role(spec: _RoleSpec, iam: Any) -> None:
    """IAM's own checks before anything is written: the size limits the emulator enforces on
    IAM's API (extensions: trust policy 2,048, inline policies 10,240 together, non-whitespace
    characters), the policy documents' grammar (moto's validators), the managed policies'
    existence."""
    from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator

    from .extensions import INLINE_ROLE_LIMIT, TRUST_POLICY_LIMIT, non_whitespace_len

    if non_whitespace_len(spec.trust) > TRUST_POLICY_LIMIT:
        raise _handler_failure(spec.lid, ROLE, f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_LIMIT}", "ServiceLimitExceeded", 409)
    if sum(non_whitespace_len(d) for d in spec.policies.values()) > INLINE_ROLE_LIMIT:
        raise _handler_failure(spec.lid, ROLE, f"Maximum policy size of {INLINE_ROLE_LIMIT} bytes exceeded for role {spec.name}", "ServiceLimitExceeded", 409)
    try:
        IAMTrustPolicyDocumentValidator(spec.trust).validate()
        for doc in spec.policies.values():
            IAMPolicyDocumentValidator(doc).validate()
    except Exception as exc:  # noqa: BLE001 - moto's MalformedPolicyDocument
        raise _handler_failure(spec.lid, ROLE, getattr(exc, "message", None) or str(exc), "InvalidRequest", 400) from exc
    known = {p.arn for p in iam.managed_policies.values()}
    for arn in spec.managed:
        if arn not in known:
            raise _handler_failure(spec.lid, ROLE, f"Policy {arn} does not exist or is not attachable.", "NotFound", 404)


def _role_exists(iam: Any, name: str) -> bool:
    return any(r.name == name for r in iam.get_roles())


def _apply_role(spec: _RoleSpec, iam: Any, existing: bool) -> Any:
    """Creates the role, or brings an existing role of this stack to the spec (CloudFormation
    updates a role in place unless its name changes)."""
    if not existing:
        role = iam.create_role(
            role_name=spec.name,
            assume_role_policy_document=spec.trust,
            path=spec.path,
            permissions_boundary=spec.boundary,
            description=spec.description,
            tags=spec.tags,
            max_session_duration=str(spec.max_session),
        )
    else:
        role = iam.get_role(spec.name)
        role.assume_role_policy_document = spec.trust
        role.description = spec.description
        role.max_session_duration = str(spec.max_session)
        role.permissions_boundary_arn = spec.boundary
        role.tags = list(spec.tags)
        for name in list(role.policies):
            if name not in spec.policies:
                iam.delete_role_policy(spec.name, name)
        for arn in list(role.managed_policies):
            if arn not in spec.managed:
                iam.detach_role_policy(arn, spec.name)
    for name, doc in spec.policies.items():
        iam.put_role_policy(spec.name, name, doc)
    for arn in spec.managed:
        if arn not in role.managed_policies:
            iam.attach_role_policy(arn, spec.name)
    return role


def delete_role(iam: Any, name: str) -> None:
    """The role and what IAM asks to remove first (inline and managed policies); a role already
    gone is fine (CloudFormation's delete treats a missing resource as deleted)."""
    try:
        role = iam.get_role(name)
    except Exception:  # noqa: BLE001 - moto's NoSuchEntity
        return
    for policy in list(role.policies):
        iam.delete_role_policy(name, policy)
    for arn in list(role.managed_policies):
        iam.detach_role_policy(arn, name)
    for profile in iam.get_instance_profiles():
        profile.roles = [r for r in profile.roles if r.name != name]
    iam.delete_role(name)


def deploy(template: dict[str, Any], ctx: StackContext, previous: dict[str, dict[str, Any]], on_role_created: Any = None) -> dict[str, dict[str, Any]]:
    """Brings the stack of one stack instance to `template`: creates what is new, updates what
    changed in place, replaces a role whose name changed (new first, then the old one deleted),
    deletes what the template no longer has. Every check runs before anything is written, so a
    failed deployment leaves the stack's resources as they were (CloudFormation rolls a failed
    stack operation back). Returns the deployed resources, or raises DeployError."""
    resolver = _Resolver(template, ctx)
    resources = template["Resources"]
    iam = _iam(ctx.account, ctx.partition)
    ours = {d["name"] for d in previous.values() if d["type"] == ROLE}
    specs: list[_RoleSpec] = []
    planned_names: set[str] = set()
    ctx.deployed = {}
    for lid in _order(template):
        res = resources[lid]
        rtype = res["Type"]
        if rtype != ROLE:
            raise DeployError(f"ResourceLogicalId:{lid}, ResourceType:{rtype}, ResourceStatusReason:Resource type {rtype} is not deployed by the radiant emulator")
        props = resolver.resolve(res.get("Properties") or {})
        if not isinstance(props, dict):
            raise _handler_failure(lid, rtype, f"Properties validation failed for resource {lid} with message: #: expected type: JSONObject", "InvalidRequest")
        prev = previous.get(lid) if previous.get(lid, {}).get("type") == ROLE else None
        spec = _role_spec(lid, props, ctx, prev)
        if spec.name in planned_names or (spec.name not in ours and _role_exists(iam, spec.name)):
            # A role of that name that this stack does not own: created by hand, by another
            # stack, or by this stack set's instance in another Region (IAM is global).
            raise _handler_failure(lid, rtype, f"Resource of type '{ROLE}' with identifier '{spec.name}' already exists.", "AlreadyExists")
        _check_role(spec, iam)
        planned_names.add(spec.name)
        specs.append(spec)
        # What later resources may reference (Ref / GetAtt), before the role exists.
        role_id = None
        if spec.name in ours and _role_exists(iam, spec.name):
            role_id = iam.get_role(spec.name).id
        ctx.deployed[lid] = {"type": ROLE, "name": spec.name, "custom_name": "RoleName" in props,
                             "arn": f"arn:{ctx.partition}:iam::{ctx.account}:role{spec.path}{spec.name}", "id": role_id or ""}
    deployed: dict[str, dict[str, Any]] = {}
    for spec in specs:
        existing = spec.name in ours and _role_exists(iam, spec.name)
        role = _apply_role(spec, iam, existing)
        if not existing and on_role_created is not None:
            on_role_created(role.arn)
        entry = dict(ctx.deployed[spec.lid])
        entry.update(arn=role.arn, id=role.id)
        deployed[spec.lid] = entry
    keep = {d["name"] for d in deployed.values()}
    for d in previous.values():
        if d["type"] == ROLE and d["name"] not in keep:
            delete_role(iam, d["name"])
    return deployed


def undeploy(ctx: StackContext, deployed: dict[str, dict[str, Any]]) -> None:
    """Deletes the stack's resources (DeleteStackInstances with RetainStacks false)."""
    iam = _iam(ctx.account, ctx.partition)
    for d in deployed.values():
        if d["type"] == ROLE:
            delete_role(iam, d["name"])
