"""A concurrent writer of a bucket policy, for the tests of "re-read before write, re-merge".

S3 bucket policies have no conditional write: two writers that read, merge and write race, and
the last write wins. The tests arm one edit that lands at an exact point of the product's
read-merge-write (right after the n-th matching request was answered), so the race is
deterministic:

- `GetBucketPolicy`, `stale: false`: someone adds a statement right after our read (before our
  write); a writer that does not re-read before writing loses it.
- `PutBucketPolicy`, `stale: true`: someone who read the document before our write writes their
  version (the old document plus their statement) right after ours; our statements are gone and
  only a read-back after the write notices.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

OPERATIONS = ("GetBucketPolicy", "PutBucketPolicy")


@dataclass
class Edit:
    bucket: str
    operation: str
    nth: int
    stale: bool
    statement: dict[str, Any]
    seen: int = 0
    fired: bool = False

    @staticmethod
    def from_json(data: dict[str, Any]) -> "Edit":
        known = {"bucket", "operation", "nth", "stale", "statement"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown concurrent-edit fields: {sorted(unknown)}")
        bucket = data.get("bucket")
        if not isinstance(bucket, str) or not bucket:
            raise ValueError("`bucket` must name a bucket")
        operation = data.get("operation", "GetBucketPolicy")
        if operation not in OPERATIONS:
            raise ValueError(f"`operation` must be one of {list(OPERATIONS)}")
        nth = data.get("nth", 1)
        if not isinstance(nth, int) or nth < 1:
            raise ValueError("`nth` must be a positive integer")
        statement = data.get("statement")
        if not isinstance(statement, dict) or not statement.get("Sid"):
            raise ValueError("`statement` must be a policy statement with a Sid")
        return Edit(bucket, operation, nth, bool(data.get("stale", False)), statement)


class ConcurrentWriter:
    """At most one armed edit; it fires once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._edit: Edit | None = None

    def arm(self, edit: Edit) -> None:
        with self._lock:
            self._edit = edit

    def reset(self) -> None:
        with self._lock:
            self._edit = None

    def status(self) -> dict[str, Any]:
        with self._lock:
            edit = self._edit
            return {"armed": edit is not None and not edit.fired, "fired": bool(edit and edit.fired)}

    def take(self, service: str, operation: str, bucket: str) -> Edit | None:
        """The edit to apply after this request is answered, if the request triggers it."""
        if service != "s3" or operation not in OPERATIONS:
            return None
        with self._lock:
            edit = self._edit
            if edit is None or edit.fired or edit.operation != operation or edit.bucket != bucket:
                return None
            edit.seen += 1
            if edit.seen < edit.nth:
                return None
            edit.fired = True
            return edit


def policy_bytes(bucket: Any) -> bytes | None:
    policy = getattr(bucket, "policy", None)
    if policy is None:
        return None
    return policy if isinstance(policy, bytes) else str(policy).encode()


def apply(edit: Edit, bucket: Any, before: bytes | None) -> None:
    """Writes the foreign version: the current document (or, for a stale writer, the one before
    the triggering request) plus the edit's statement."""
    base = before if edit.stale else policy_bytes(bucket)
    doc: dict[str, Any] = json.loads(base) if base else {"Version": "2012-10-17", "Statement": []}
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    statements = [s for s in statements if s.get("Sid") != edit.statement["Sid"]]
    statements.append(edit.statement)
    doc["Statement"] = statements
    bucket.policy = json.dumps(doc).encode()
