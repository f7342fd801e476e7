"""Fault injection: latency, token-bucket throttling per (account, service), 500s and dropped
connections. Off by default; random choices come from one generator seeded by the spec."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, fields
from typing import Any

from .protocol import EC2, JSON, QUERY, REST_JSON, REST_XML, Response, error

# Each service's real throttling error: (HTTP status, code, message). Every code is one the AWS
# SDK for Rust classifies as throttling (aws-runtime's THROTTLING_ERRORS), so it retries.
THROTTLING: dict[str, tuple[int, str, str]] = {
    "iam": (400, "Throttling", "Rate exceeded"),
    "sts": (400, "Throttling", "Rate exceeded"),
    "sns": (400, "Throttling", "Rate exceeded"),
    # CloudFormation (query protocol): `Throttling`, 400, "Rate exceeded" (the query APIs' common
    # throttling error, the same as IAM's and SNS's).
    "cloudformation": (400, "Throttling", "Rate exceeded"),
    "kms": (400, "ThrottlingException", "Rate exceeded"),
    "cloudtrail": (400, "ThrottlingException", "Rate exceeded"),
    "organizations": (400, "TooManyRequestsException", "AWS Organizations can't complete your request because another request is already in progress. Try again later."),
    "s3": (503, "SlowDown", "Please reduce your request rate."),
    "guardduty": (429, "TooManyRequestsException", "Rate exceeded"),
    # Account Management: TooManyRequestsException, 429 (its service model); EC2:
    # RequestLimitExceeded, 503 (EC2 API Reference, "Request throttling").
    "account": (429, "TooManyRequestsException", "Rate exceeded"),
    "ec2": (503, "RequestLimitExceeded", "Request limit exceeded."),
}


def throttling_error(service: str, protocol: str) -> Response:
    status, code, message = THROTTLING.get(service, (400, "ThrottlingException", "Rate exceeded"))
    return error(protocol, status, code, message)


def internal_error(service: str, protocol: str) -> Response:
    if protocol == REST_XML:
        return error(protocol, 500, "InternalError", "We encountered an internal error. Please try again.", sender=False)
    if protocol == QUERY:
        return error(protocol, 500, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", sender=False)
    if protocol == EC2:
        # EC2 API Reference, "Error codes": InternalError, 500.
        return error(protocol, 500, "InternalError", "An internal error has occurred.", sender=False)
    if protocol == REST_JSON:
        if service == "account":
            # Account Management's service model: InternalServerException, 500.
            return error(protocol, 500, "InternalServerException", "Internal server error", sender=False)
        return error(protocol, 500, "InternalServerErrorException", "Internal server error", sender=False)
    assert protocol == JSON
    return error(protocol, 500, "InternalFailure" if service != "kms" else "KMSInternalException", "Internal failure", sender=False)


def only_known_fields(cls: Any, data: dict[str, Any], what: str) -> dict[str, Any]:
    """`data` when every key is a field of the dataclass `cls`; a ValueError naming the others."""
    unknown = set(data) - {f.name for f in fields(cls)}
    if unknown:
        raise ValueError(f"unknown {what} fields: {sorted(unknown)}")
    return data


@dataclass
class FaultSpec:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    throttle_rps: float | None = None
    throttle_burst: int = 0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    seed: int = 0
    # A rate of one service's calls per caller account, all its operations together, on top of
    # (and independent of) `throttle_rps`: `{"organizations": 2.0}` throttles every caller above
    # 2 Organizations requests a second (aws-facts.md, "Large organizations": Organizations'
    # rates are unpublished and low). `service_burst` gives a service's bucket size (default:
    # its rate, at least 1).
    service_rps: dict[str, float] | None = None
    service_burst: dict[str, int] | None = None

    @staticmethod
    def from_json(data: dict[str, Any]) -> "FaultSpec":
        spec = FaultSpec(**only_known_fields(FaultSpec, data, "fault"))
        for rate in (spec.error_rate, spec.drop_rate):
            if not 0.0 <= float(rate) <= 1.0:
                raise ValueError("rates must be between 0 and 1")
        if spec.throttle_rps is not None and spec.throttle_rps <= 0:
            raise ValueError("throttle_rps must be positive")
        for name, table in (("service_rps", spec.service_rps), ("service_burst", spec.service_burst)):
            if table is None:
                continue
            if not isinstance(table, dict) or not all(isinstance(k, str) and k for k in table):
                raise ValueError(f"`{name}` must be an object: {{service: number}}")
            if any(isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0 for v in table.values()):
                raise ValueError(f"`{name}` values must be positive numbers")
        unknown = sorted(set(spec.service_burst or {}) - set(spec.service_rps or {}))
        if unknown:
            raise ValueError(f"`service_burst` names services without a `service_rps`: {unknown}")
        return spec

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.jitter_ms or self.throttle_rps or self.error_rate or self.drop_rate
                    or self.service_rps)


@dataclass
class Decision:
    delay_s: float = 0.0
    outcome: str = "pass"  # "pass", "throttle", "error", "drop"


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.spec = FaultSpec()
        self._rng = random.Random(0)
        self._buckets: dict[tuple[str, str], list[float]] = {}

    def configure(self, spec: FaultSpec) -> None:
        with self._lock:
            self.spec = spec
            self._rng = random.Random(spec.seed)
            self._buckets = {}

    def reset(self) -> None:
        self.configure(FaultSpec())

    def decide(self, account: str, service: str) -> Decision:
        spec = self.spec
        if not spec.active:
            return Decision()
        # INVARIANT: the lock only guards the generator and the buckets; nobody sleeps under it.
        with self._lock:
            delay = spec.latency_ms / 1000.0
            if spec.jitter_ms:
                delay += self._rng.uniform(0, spec.jitter_ms) / 1000.0
            if spec.throttle_rps:
                now = time.monotonic()
                burst = float(spec.throttle_burst or max(1, int(spec.throttle_rps)))
                bucket = self._buckets.setdefault((account, service), [burst, now])
                bucket[0] = min(burst, bucket[0] + (now - bucket[1]) * spec.throttle_rps)
                bucket[1] = now
                if bucket[0] < 1.0:
                    return Decision(delay, "throttle")
                bucket[0] -= 1.0
            rate = (spec.service_rps or {}).get(service)
            if rate:
                now = time.monotonic()
                burst = float((spec.service_burst or {}).get(service) or max(1, int(rate)))
                # A bucket of its own, keyed apart from `throttle_rps`'s.
                bucket = self._buckets.setdefault((account, "service:" + service), [burst, now])
                bucket[0] = min(burst, bucket[0] + (now - bucket[1]) * rate)
                bucket[1] = now
                if bucket[0] < 1.0:
                    return Decision(delay, "throttle")
                bucket[0] -= 1.0
            if spec.drop_rate and self._rng.random() < spec.drop_rate:
                return Decision(delay, "drop")
            if spec.error_rate and self._rng.random() < spec.error_rate:
                return Decision(delay, "error")
        return Decision(delay)


# AWS's access-denied answer in each protocol: (HTTP status, code).
ACCESS_DENIED: dict[str, tuple[int, str]] = {
    QUERY: (403, "AccessDenied"),
    REST_XML: (403, "AccessDenied"),
    REST_JSON: (403, "AccessDeniedException"),
    JSON: (400, "AccessDeniedException"),
    # EC2 API Reference, "Error codes": UnauthorizedOperation, 403.
    EC2: (403, "UnauthorizedOperation"),
}


@dataclass
class Denial:
    """Denies `service:operation` (for callers of `account`, or anyone) once `after` calls of it
    have been answered: a caller without the permission (`after` 0), or one that loses it in the
    middle of a run (a permission boundary or SCP changed meanwhile)."""

    service: str
    operation: str
    after: int = 0
    account: str | None = None

    @staticmethod
    def from_json(data: dict[str, Any]) -> "Denial":
        denial = Denial(**only_known_fields(Denial, data, "denial"))
        if not denial.service or not denial.operation:
            raise ValueError("a denial needs `service` and `operation`")
        if int(denial.after) < 0:
            raise ValueError("`after` must be 0 or more")
        return denial


class Denials:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[tuple[Denial, list[int]]] = []

    def add(self, denial: Denial) -> None:
        with self._lock:
            self._rules.append((denial, [0]))

    def reset(self) -> None:
        with self._lock:
            self._rules = []

    def check(self, account: str, service: str, operation: str, protocol: str, principal: str) -> Response | None:
        """The access-denied answer when a rule denies this call, else None (and counts it)."""
        with self._lock:
            for rule, seen in self._rules:
                if (rule.service, rule.operation) != (service, operation):
                    continue
                if rule.account is not None and rule.account != account:
                    continue
                if seen[0] < rule.after:
                    seen[0] += 1
                    return None
                status, code = ACCESS_DENIED.get(protocol, (403, "AccessDenied"))
                action = f"{service}:{operation}"
                message = f"User: {principal} is not authorized to perform: {action} because no identity-based policy allows the {action} action"
                return error(protocol, status, code, message)
        return None
