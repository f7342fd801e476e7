"""A small, explicit IAM policy evaluator.

It answers one question for the emulator's checks: does this resource or trust policy admit
this principal doing this action on this resource, given this request context? It knows:

- principals: `*`, `{"AWS": ...}` (account id, `arn:PARTITION:iam::ACCOUNT:root` in any
  partition, `aws`, `aws-us-gov`, `aws-cn`..., as long as it is the caller's; role/user ARN,
  assumed-role session ARN), `{"Service": ...}`; `NotPrincipal` is treated as "matches when
  the principal is not listed";
- actions and `NotAction` with `*`/`?` wildcards, case-insensitive;
- resources and `NotResource` with wildcards, case-sensitive (no `Resource` = any resource,
  as in trust policies);
- condition operators String*, Arn*, Bool, Null, with the `ForAnyValue:` / `ForAllValues:`
  prefixes and the `IfExists` suffix; keys are case-insensitive.

Evaluation follows IAM: an explicit Deny wins, then an Allow, otherwise an implicit deny.
Parsed documents are cached by their text, so a policy is parsed once, not per request.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any

ALLOW = "Allow"
DENY = "Deny"
IMPLICIT_DENY = "ImplicitDeny"


@dataclass(frozen=True)
class Principal:
    """Who asks: a service (`guardduty.amazonaws.com`) or an AWS identity."""

    kind: str  # "Service" or "AWS"
    name: str = ""  # service principal name, for kind == "Service"
    account: str = ""  # account of the identity, for kind == "AWS"
    arn: str = ""  # the caller ARN (user, root or assumed-role session)
    role_arn: str = ""  # the role ARN behind an assumed-role session

    @staticmethod
    def service(name: str) -> "Principal":
        return Principal(kind="Service", name=name)

    @property
    def partition(self) -> str:
        """The partition of the caller's ARN (`aws-us-gov`...), "" when it has no ARN."""
        parts = self.arn.split(":", 2)
        return parts[1] if len(parts) == 3 and parts[0] == "arn" else ""


@dataclass
class Request:
    principal: Principal
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)


class PolicyError(ValueError):
    """The document is not a policy (bad JSON or no statements)."""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


@functools.lru_cache(maxsize=256)
def _glob(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    # IAM knows only * and ? (no character classes).
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("^" + "".join(parts) + "$", 0 if case_sensitive else re.IGNORECASE)


def glob_match(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern == value if case_sensitive else pattern.lower() == value.lower()
    return _glob(pattern, case_sensitive).match(value) is not None



@dataclass(frozen=True)
class Condition:
    operator: str  # base operator, e.g. "StringEquals"
    qualifier: str  # "", "ForAnyValue", "ForAllValues"
    if_exists: bool
    key: str  # lower-cased
    values: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    effect: str
    principal: Any  # None (absent), "*", or dict kind -> tuple of values
    not_principal: Any
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    conditions: tuple[Condition, ...]


def _principal_block(value: Any) -> Any:
    if value is None:
        return None
    if value == "*":
        return "*"
    if isinstance(value, dict):
        return {k: tuple(str(v) for v in _as_list(vs)) for k, vs in value.items()}
    raise PolicyError("principal must be `*` or an object")


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _conditions(block: Any) -> tuple[Condition, ...]:
    out: list[Condition] = []
    if not block:
        return ()
    if not isinstance(block, dict):
        raise PolicyError("condition must be an object")
    for op, entries in block.items():
        qualifier = ""
        base = op
        if ":" in op:
            qualifier, base = op.split(":", 1)
        if_exists = base.endswith("IfExists")
        if if_exists:
            base = base[: -len("IfExists")]
        if not isinstance(entries, dict):
            raise PolicyError("condition operator must map keys to values")
        for key, values in entries.items():
            out.append(
                Condition(
                    operator=base,
                    qualifier=qualifier,
                    if_exists=if_exists,
                    key=key.lower(),
                    values=tuple(_stringify(v) for v in _as_list(values)),
                )
            )
    return tuple(out)


def _opt_tuple(stmt: dict[str, Any], key: str) -> tuple[str, ...] | None:
    if key not in stmt:
        return None
    return tuple(str(v) for v in _as_list(stmt[key]))


@functools.lru_cache(maxsize=4096)
def parse_policy(text: str) -> tuple[Statement, ...]:
    """Parse a policy document (JSON text) into statements; cached by text."""
    try:
        doc = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise PolicyError(f"policy is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise PolicyError("policy must be a JSON object")
    statements = []
    for stmt in _as_list(doc.get("Statement")):
        if not isinstance(stmt, dict):
            raise PolicyError("statement must be an object")
        statements.append(
            Statement(
                effect=str(stmt.get("Effect", "")),
                principal=_principal_block(stmt.get("Principal")),
                not_principal=_principal_block(stmt.get("NotPrincipal")),
                actions=_opt_tuple(stmt, "Action"),
                not_actions=_opt_tuple(stmt, "NotAction"),
                resources=_opt_tuple(stmt, "Resource"),
                not_resources=_opt_tuple(stmt, "NotResource"),
                conditions=_conditions(stmt.get("Condition")),
            )
        )
    return tuple(statements)


_ROOT_RE = re.compile(r"^arn:([a-z0-9-]+):iam::(\d{12}):root$")


def _is_account_root(value: str, principal: Principal) -> bool:
    """`arn:PARTITION:iam::ACCOUNT:root` of the caller's account, in the caller's partition (any
    partition when the caller's ARN is unknown): a GovCloud principal is not the commercial
    partition's account root of the same id."""
    found = _ROOT_RE.match(value)
    if found is None or found.group(2) != principal.account:
        return False
    return principal.partition in ("", found.group(1))


def _principal_value_matches(kind: str, value: str, principal: Principal) -> bool:
    if value == "*":
        return kind in ("AWS", "*") or kind == principal.kind
    if kind == "Service":
        return principal.kind == "Service" and value.lower() == principal.name.lower()
    if kind == "AWS":
        if principal.kind != "AWS":
            return False
        if value == principal.account or _is_account_root(value, principal):
            return True
        return value in (principal.arn, principal.role_arn) and value != ""
    return False


def _principal_matches(block: Any, principal: Principal) -> bool:
    if block == "*":
        return True
    for kind, values in block.items():
        for value in values:
            if _principal_value_matches(kind, value, principal):
                return True
    return False


def _any_glob(patterns: tuple[str, ...], value: str, case_sensitive: bool) -> bool:
    return any(glob_match(p, value, case_sensitive) for p in patterns)


NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"}


def _value_matches(operator: str, pattern: str, value: str) -> bool:
    if operator in ("StringEquals", "StringNotEquals"):
        return pattern == value
    if operator in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return pattern.lower() == value.lower()
    if operator in ("StringLike", "StringNotLike"):
        return glob_match(pattern, value, True)
    if operator in ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"):
        # ARNs compare segment by segment; each segment may hold wildcards.
        p_parts = pattern.split(":", 5)
        v_parts = value.split(":", 5)
        if len(p_parts) != 6 or len(v_parts) != 6:
            return False
        return all(glob_match(p, v, True) for p, v in zip(p_parts, v_parts))
    if operator == "Bool":
        return pattern.lower() == value.lower()
    raise PolicyError(f"unsupported condition operator `{operator}`")


def _condition_holds(cond: Condition, context: dict[str, Any]) -> bool:
    present = cond.key in context and context[cond.key] is not None
    if cond.operator == "Null":
        wanted_absent = any(v.lower() == "true" for v in cond.values)
        return wanted_absent != present
    if not present:
        if cond.if_exists:
            return True
        if cond.qualifier == "ForAllValues":
            return True
        return cond.operator in NEGATED
    request_values = [_stringify(v) for v in _as_list(context[cond.key])]
    negated = cond.operator in NEGATED

    def one(value: str) -> bool:
        hit = any(_value_matches(cond.operator, p, value) for p in cond.values)
        return not hit if negated else hit

    if cond.qualifier == "ForAllValues":
        return all(one(v) for v in request_values)
    # ForAnyValue, and single-valued keys: any request value satisfying the condition.
    return any(one(v) for v in request_values)


def _statement_applies(stmt: Statement, req: Request) -> bool:
    if stmt.principal is not None and not _principal_matches(stmt.principal, req.principal):
        return False
    if stmt.not_principal is not None and _principal_matches(stmt.not_principal, req.principal):
        return False
    if stmt.actions is not None and not _any_glob(stmt.actions, req.action, False):
        return False
    if stmt.not_actions is not None and _any_glob(stmt.not_actions, req.action, False):
        return False
    if stmt.resources is not None and not _any_glob(stmt.resources, req.resource, True):
        return False
    if stmt.not_resources is not None and _any_glob(stmt.not_resources, req.resource, True):
        return False
    return all(_condition_holds(c, req.context) for c in stmt.conditions)


def evaluate(policy: str | bytes | None, req: Request) -> str:
    """Return ALLOW, DENY (explicit) or IMPLICIT_DENY for the request under the policy."""
    if policy is None:
        return IMPLICIT_DENY
    if isinstance(policy, bytes):
        policy = policy.decode("utf-8")
    statements = parse_policy(policy)
    ctx = {k.lower(): v for k, v in req.context.items()}
    lowered = Request(req.principal, req.action, req.resource, ctx)
    allowed = False
    for stmt in statements:
        if not _statement_applies(stmt, lowered):
            continue
        if stmt.effect == DENY:
            return DENY
        if stmt.effect == ALLOW:
            allowed = True
    return ALLOW if allowed else IMPLICIT_DENY


def allows(policy: str | bytes | None, req: Request) -> bool:
    return evaluate(policy, req) == ALLOW


def explicitly_denies(policy: str | bytes | None, req: Request) -> bool:
    return evaluate(policy, req) == DENY
