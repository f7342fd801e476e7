"""The WSGI application: moto's dispatcher wrapped by our layer (control API, counters, faults,
then the AWS behaviour moto lacks), served by werkzeug's threaded server."""

from __future__ import annotations

import json
import socket
import threading
import time
import traceback
from collections import Counter
from typing import Any, Callable, Iterable

from werkzeug.serving import make_server

from . import concurrent, extensions, seeding
from .faults import Denial, Denials, FaultSpec, Faults, internal_error, throttling_error
from .propagation import BUCKET, PropagationSpec
from .protocol import IdentityCache, Response, error, identify, json_response, status_line

CONTROL_PREFIX = "/_radiant/"


class Counters:
    """Calls per (account, service, operation, write); apart, how many of them got an injected
    fault (throttling, 500, dropped connection) instead of an answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, str, bool]] = Counter()
        self._faulted: Counter[tuple[str, str, str, bool]] = Counter()

    def add(self, account: str, service: str, operation: str, write: bool) -> None:
        with self._lock:
            self._counts[(account, service, operation, write)] += 1

    def add_fault(self, account: str, service: str, operation: str, write: bool) -> None:
        with self._lock:
            self._faulted[(account, service, operation, write)] += 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._faulted.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            items = sorted(self._counts.items())
            faulted = dict(self._faulted)
        calls = [
            {"account": a, "service": s, "operation": o, "write": w, "count": c,
             "faulted": faulted.get((a, s, o, w), 0)}
            for (a, s, o, w), c in items
        ]
        return {
            "calls": calls,
            "total": sum(c["count"] for c in calls),
            "writes": sum(c["count"] for c in calls if c["write"]),
            "reads": sum(c["count"] for c in calls if not c["write"]),
            "faulted": sum(c["faulted"] for c in calls),
        }


class EmulatorApp:
    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.moto = DomainDispatcherApplication(create_backend_app)
        self.counters = Counters()
        self.faults = Faults()
        self.concurrent = concurrent.ConcurrentWriter()
        self.denials = Denials()
        self.identities = IdentityCache()
        self.state = extensions.State(self.identities)
        self.seed_lock = threading.Lock()
        _speed_up_moto(self.identities)
        extensions.patch_moto()

    # -- control API -------------------------------------------------------------------------

    def reset(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        with self.seed_lock:
            moto_api_backend.reset()
            # moto's reset keeps Organizations' member -> management account map (a dict of its
            # backend dict, not of a backend): an account that joined before the reset would
            # still count as a member of an organization that no longer exists.
            from moto.organizations.models import organizations_backends

            organizations_backends.master_accounts.clear()
            self.state.reset()
            self.identities.clear()
            self.faults.reset()
            self.concurrent.reset()
            self.denials.reset()
            self.counters.reset()

    def control(self, environ: dict[str, Any]) -> Response:
        path = environ.get("PATH_INFO", "")[len(CONTROL_PREFIX):].strip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        body: dict[str, Any] = {}
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            if raw.strip():
                try:
                    parsed = json.loads(raw)
                except ValueError as exc:
                    return json_response({"error": f"request body is not JSON: {exc}"}, 400)
                if not isinstance(parsed, dict):
                    return json_response({"error": "request body must be a JSON object"}, 400)
                body = parsed
        try:
            if (method, path) == ("POST", "reset"):
                self.reset()
                return json_response({"reset": True})
            if (method, path) == ("POST", "seed"):
                with self.seed_lock:
                    return json_response(seeding.seed_organization(body, self.state))
            if (method, path) == ("POST", "faults"):
                self.faults.configure(FaultSpec.from_json(body))
                return json_response({"faults": body})
            if (method, path) == ("POST", "concurrent-edit"):
                self.concurrent.arm(concurrent.Edit.from_json(body))
                return json_response(self.concurrent.status())
            if (method, path) == ("GET", "concurrent-edit"):
                return json_response(self.concurrent.status())
            if (method, path) == ("POST", "propagation"):
                self.state.propagation.configure(PropagationSpec.from_json(body))
                return json_response(self.state.propagation.settings())
            if (method, path) == ("GET", "propagation"):
                return json_response(self.state.propagation.settings())
            if (method, path) == ("POST", "deny"):
                denial = Denial.from_json(body)
                self.denials.add(denial)
                return json_response({"deny": body})
            if (method, path) == ("POST", "deny/reset"):
                self.denials.reset()
                return json_response({"reset": True})
            if (method, path) == ("GET", "counters"):
                return json_response(self.counters.snapshot())
            if (method, path) == ("POST", "counters/reset"):
                self.counters.reset()
                return json_response({"reset": True})
            if (method, path) == ("GET", "guardrails"):
                return json_response(self.state.guardrails.snapshot())
            if (method, path) == ("POST", "regions"):
                return json_response(self.state.regions.control(body))
            if (method, path) == ("GET", "regions"):
                return json_response(self.state.regions.snapshot())
            if path == "stacksets" or path.startswith("stacksets/"):
                self.state.stacksets.advance()
                return json_response(self.state.stacksets.control(method, path[len("stacksets/"):] if "/" in path else "", body))
            if path == "guardduty/auto-enable" and method in ("GET", "POST"):
                self.state.joins.advance()
                return json_response(self.state.joins.control_guardduty(method, body))
            if (method, path) == ("POST", "organizations/invite"):
                with self.seed_lock:
                    return json_response(self.state.joins.control_invite(body))
            if (method, path) == ("POST", "credentials"):
                return json_response(self.state.issue_credentials(body))
            if (method, path) == ("GET", "health"):
                return json_response({"ok": True})
        except (ValueError, KeyError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
        except Exception as exc:  # noqa: BLE001 - the caller must see what broke
            traceback.print_exc()
            return json_response({"error": f"control call failed: {exc!r}"}, 500)
        return json_response({"error": f"unknown control call `{method} /_radiant/{path}`"}, 404)

    # -- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._send(self.control(environ), start_response)
        req = identify(environ)
        if req is None:
            return self.moto(environ, start_response)
        ident = self.identities.lookup(req.access_key, req.partition)
        req.account = ident.account
        self.counters.add(req.account, req.service, req.operation, req.write)

        decision = self.faults.decide(req.account, req.service)
        if decision.outcome != "pass":
            self.counters.add_fault(req.account, req.service, req.operation, req.write)
        if decision.delay_s > 0:
            time.sleep(decision.delay_s)
        if decision.outcome == "throttle":
            return self._send(throttling_error(req.service, req.protocol), start_response)
        if decision.outcome == "error":
            return self._send(internal_error(req.service, req.protocol), start_response)
        if decision.outcome == "drop":
            return self._drop(environ, start_response)

        denied = self.denials.check(req.account, req.service, req.operation, req.protocol, ident.arn)
        if denied is not None:
            return self._send(denied, start_response)
        try:
            handled = self.state.handle(req, ident)
        except Exception as exc:  # noqa: BLE001 - a bug in a check must show, not hang the caller
            traceback.print_exc()
            return self._send(
                error(req.protocol, 500, "InternalFailure", f"radiant emulator extension failed: {exc!r}", sender=False),
                start_response,
            )
        if handled is not None:
            return self._send(handled, start_response)
        edit = self.concurrent.take(req.service, req.operation, req.s3_bucket)
        if edit is not None or extensions.wants_post_hook(req):
            return self._with_post_hook(req, ident, edit, environ, start_response)
        return self.moto(environ, start_response)

    def _with_post_hook(self, req: Any, ident: Any, edit: concurrent.Edit | None, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Answers the request through moto, then runs the post hook of a successful answer (it
        may correct the body), then lets the armed foreign writer write (see `concurrent`)."""
        self.state.before(req, ident)
        bucket = extensions.find_bucket(edit.bucket) if edit is not None else None
        before = concurrent.policy_bytes(bucket) if bucket is not None else None
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"] = status
            captured["headers"] = headers
            return lambda _data: None

        chunks = b"".join(self.moto(environ, capture))
        status = int(str(captured.get("status", "500")).split(" ", 1)[0])
        headers = captured.get("headers", [])
        if 200 <= status < 300:
            corrected = self.state.after(req, ident, chunks)
            if corrected is not None:
                chunks = corrected
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
                headers.append(("Content-Length", str(len(chunks))))
        if edit is not None and bucket is not None:
            ours = extensions.bucket_policy_text(bucket)
            concurrent.apply(edit, bucket, before)
            # The foreign write is a write like ours: it too takes time to propagate.
            self.state.propagation.record_policy(BUCKET, edit.bucket, ours, extensions.bucket_policy_text(bucket))
        start_response(captured.get("status", "500 Internal Server Error"), headers)
        return [chunks]

    @staticmethod
    def _send(resp: Response, start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = resp.headers + [("Content-Length", str(len(resp.body)))]
        start_response(status_line(resp.status), headers)
        return [resp.body]

    @staticmethod
    def _drop(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        start_response("500 Internal Server Error", [("Content-Length", "0")])
        return []


def _speed_up_moto(identities: IdentityCache) -> None:
    """Two per-request costs of moto that grow with the organization: its access-key lookup walks
    every account's IAM backend (1,000 accounts = 6,000 lookups per request), and its dispatcher
    lists moto's package directory on disk. Both answers are cached here."""
    import moto.backends
    import moto.iam.models

    modules = frozenset(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]
    moto.iam.models.get_account_id_from = lambda access_key: identities.lookup(access_key).account  # type: ignore[assignment]


def serve(host: str, port: int, app: EmulatorApp, on_ready: Callable[[str], None]) -> None:
    """Serve until the process is stopped; `on_ready` gets the endpoint once it answers."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietHandler(MotoRequestHandler):
        def log_request(self, code: Any = "-", size: Any = "-") -> None:  # noqa: ARG002
            return

        def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
    server.daemon_threads = True
    endpoint = f"http://{host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _wait_until_answering(host, server.server_port)
    on_ready(endpoint)
    thread.join()


def _wait_until_answering(host: str, port: int) -> None:
    import http.client

    for _ in range(200):
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", CONTROL_PREFIX + "health")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.05)
