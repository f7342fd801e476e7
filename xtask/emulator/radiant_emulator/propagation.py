"""Eventual consistency of IAM and of resource policies: a propagation delay, off by default,
switched at run time (`POST /_radiant/propagation`).

On AWS a change to IAM or to a resource policy is not visible everywhere at once ("Changes that
I make are not always immediately visible", IAM User Guide, Troubleshooting IAM):

- `policy_delay_s`: GuardDuty's permission check of a publishing destination sees the bucket
  policy and the key policy as they were before any write made less than `policy_delay_s`
  seconds ago (a policy that did not exist then counts as absent). The policy's own API stays
  read-after-write consistent: GetBucketPolicy and GetKeyPolicy answer the live document.
- `principal_delay_s`: an IAM role created less than `principal_delay_s` seconds ago cannot be
  assumed (`sts:AssumeRole` is denied) and is an invalid principal when a trust policy, a key
  policy or a bucket policy names it.

Every bucket policy and key policy write made through the API (and the concurrent writer's) is
kept with its time, as is every role created through the API, whether the delay is on or not:
the checks use the write or creation time, whatever the time the setting was switched on.
Seeded resources have no history: they count as written long ago. Times are `time.monotonic`,
so a client that retries converges once the delay has passed.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import asdict, dataclass, fields
from typing import Any, Callable

from .faults import only_known_fields

# The longest delay accepted; history older than this is never needed and is dropped.
MAX_DELAY_S = 120.0
BUCKET = "s3"
KEY = "kms"
_LONG_AGO = float("-inf")


@dataclass
class PropagationSpec:
    policy_delay_s: float = 0.0
    principal_delay_s: float = 0.0

    @staticmethod
    def from_json(data: dict[str, Any]) -> "PropagationSpec":
        only_known_fields(PropagationSpec, data, "propagation")
        values: dict[str, float] = {}
        for f in fields(PropagationSpec):
            raw = data.get(f.name)
            if raw is None:
                raw = 0.0
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) or not 0 <= raw <= MAX_DELAY_S:
                raise ValueError(f"`{f.name}` must be a number of seconds from 0 to {MAX_DELAY_S:g}")
            values[f.name] = float(raw)
        return PropagationSpec(**values)


class Propagation:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Off again, and every history forgotten (the resources went with moto's reset)."""
        with self._lock:
            self.spec = PropagationSpec()
            # (BUCKET, bucket name) or (KEY, key ARN) -> [(write time, document or None)], oldest
            # first; the first entry is the version in force before the first recorded write.
            self._policies: dict[tuple[str, str], list[tuple[float, str | None]]] = {}
            # role ARN -> creation time
            self._roles: dict[str, float] = {}
            self._prune_roles_at = 256

    def configure(self, spec: PropagationSpec) -> None:
        with self._lock:
            self.spec = spec

    def settings(self) -> dict[str, float]:
        return asdict(self.spec)

    # -- policies --------------------------------------------------------------------------------

    def record_policy(self, kind: str, name: str, before: str | None, after: str | None) -> None:
        """A write of the policy of `name`: `before` is the document it replaced (used only when
        this is the first recorded write), `after` the one written (None: deleted)."""
        now = self._clock()
        with self._lock:
            history = self._policies.setdefault((kind, name), [(_LONG_AGO, before)])
            if history[-1][1] == after:
                return  # the same document again: what anyone sees does not change
            history.append((now, after))
            # Keep the version in force MAX_DELAY_S ago and every later one.
            horizon = now - MAX_DELAY_S
            while len(history) > 1 and history[1][0] <= horizon:
                history.pop(0)

    def forget_policy(self, kind: str, name: str) -> None:
        with self._lock:
            self._policies.pop((kind, name), None)

    def visible_policy(self, kind: str, name: str, live: str | None) -> str | None:
        """The document another service sees now: the newest version written at least
        `policy_delay_s` ago (`live` when that is the newest one, or the delay is off)."""
        delay = self.spec.policy_delay_s
        if delay <= 0:
            return live
        cutoff = self._clock() - delay
        with self._lock:
            history = self._policies.get((kind, name))
            if not history or history[-1][0] <= cutoff:
                return live
            for written, document in reversed(history):
                if written <= cutoff:
                    return document
        return None

    # -- principals ------------------------------------------------------------------------------

    def record_role(self, arn: str) -> None:
        now = self._clock()
        with self._lock:
            self._roles[arn] = now
            if len(self._roles) >= self._prune_roles_at:
                horizon = now - MAX_DELAY_S
                self._roles = {a: t for a, t in self._roles.items() if t > horizon}
                self._prune_roles_at = max(256, 2 * len(self._roles))

    def fresh_role(self, arn: str) -> bool:
        """Whether the role was created less than `principal_delay_s` ago (not yet visible)."""
        delay = self.spec.principal_delay_s
        if delay <= 0:
            return False
        with self._lock:
            created = self._roles.get(arn)
        return created is not None and self._clock() - created < delay

    def fresh_principal(self, document: str | bytes | None) -> str | None:
        """The first `AWS` principal of the policy document that names a role not yet visible."""
        if self.spec.principal_delay_s <= 0 or not document:
            return None
        for arn in aws_principals(document):
            if self.fresh_role(arn):
                return arn
        return None


def aws_principals(document: str | bytes) -> list[str]:
    """Every `AWS` value of the `Principal` / `NotPrincipal` blocks (nothing if not a policy)."""
    try:
        doc = json.loads(document)
    except (TypeError, ValueError):
        return []
    if not isinstance(doc, dict):
        return []
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    out: list[str] = []
    for stmt in statements if isinstance(statements, list) else []:
        if not isinstance(stmt, dict):
            continue
        for block in (stmt.get("Principal"), stmt.get("NotPrincipal")):
            if not isinstance(block, dict):
                continue
            values = block.get("AWS")
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, str):
                    out.append(value)
    return out
