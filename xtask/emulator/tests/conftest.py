"""One emulator server for the whole pytest session, reset before each test that uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest
from botocore.config import Config

HERE = Path(__file__).resolve().parent.parent
# `radiant_emulator` importable whether pytest runs from the repository root or from here.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from radiant_emulator.protocol import partition_of  # noqa: E402
MGMT = "123456789012"


class Emulator:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body or {}).encode() if method == "POST" else None
        req = urllib.request.Request(f"{self.endpoint}/_radiant/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())

    def seed(self, **spec: Any) -> dict[str, Any]:
        return self.control("POST", "seed", spec)

    def faults(self, **spec: Any) -> None:
        self.control("POST", "faults", spec)

    def counters(self) -> dict[str, Any]:
        return self.control("GET", "counters")

    def client(self, service: str, region: str = "us-east-1", creds: dict[str, str] | None = None, **kw: Any) -> Any:
        creds = creds or {"AccessKeyId": "AKIARADIANTEMULATOR1", "SecretAccessKey": "secret"}
        config = Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"},
                        connect_timeout=5, read_timeout=60)
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds.get("SessionToken"),
            config=config,
            **kw,
        )

    def member_creds(self, account: str, role: str = "OrganizationAccountAccessRole", region: str = "us-east-1") -> dict[str, str]:
        """Credentials of the member's role, assumed in `region` (its partition: `us-gov-west-1`
        assumes `arn:aws-us-gov:iam::ACCOUNT:role/ROLE`)."""
        sts = self.client("sts", region)
        arn = f"arn:{partition_of(region)}:iam::{account}:role/{role}"
        return sts.assume_role(RoleArn=arn, RoleSessionName="pytest")["Credentials"]

    def as_member(self, account: str, region: str = "us-east-1") -> Callable[[str], Any]:
        creds = self.member_creds(account, region=region)
        return lambda service, region=region: self.client(service, region, creds)


@pytest.fixture(scope="session")
def server() -> Any:
    env = dict(os.environ, PYTHONPATH=str(HERE))
    proc = subprocess.Popen(
        [sys.executable, "-m", "radiant_emulator", "--port", "0", "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("radiant-emulator listening on "), line
    yield Emulator(line.rsplit(" ", 1)[-1])
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=20)


@pytest.fixture()
def emu(server: Emulator) -> Emulator:
    server.control("POST", "reset")
    return server
