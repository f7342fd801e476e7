"""`python -m radiant_emulator --port P [...]`: run the emulator in the foreground."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="radiant_emulator", description="moto's AWS server with Radiant's extensions")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--seed-org", metavar="JSON", help="seed request body (JSON), as for POST /_radiant/seed")
    p.add_argument("--accounts", type=int, help="seed an organization with N member accounts")
    p.add_argument("--ous", type=int, default=None)
    p.add_argument("--regions", default=None, help="comma-separated Regions, e.g. us-east-1,eu-west-1")
    p.add_argument("--suspended", type=int, default=None)
    p.add_argument("--existing-detectors", type=int, default=None)
    p.add_argument("--foreign-destinations", type=int, default=None)
    p.add_argument("--landing-zone", action="store_true",
                   help="seed a Control Tower landing zone: Log Archive and Audit (on top of the N accounts), its organization trail and guardrails")
    p.add_argument("--guardduty-admin", metavar="ACCOUNT", default=None,
                   help='designate the GuardDuty delegated administrator in every Region: "audit" (with --landing-zone) or an account id')
    p.add_argument("--seed", type=int, default=0, help="seed of the organization and of the faults")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--jitter-ms", type=float, default=0.0)
    p.add_argument("--throttle", type=float, default=None, metavar="RPS", help="token-bucket rate per (account, service)")
    p.add_argument("--throttle-burst", type=int, default=0)
    p.add_argument("--fault-rate", type=float, default=0.0, help="rate of 500 InternalError responses")
    p.add_argument("--drop-rate", type=float, default=0.0, help="rate of connections closed without a response")
    p.add_argument("--exit-on-stdin-eof", action="store_true")
    p.add_argument("--print-env", action="store_true", help="print the environment variables to use")
    return p.parse_args(argv)


def seed_body(args: argparse.Namespace) -> dict | None:
    if args.seed_org:
        return json.loads(args.seed_org)
    if args.accounts is None:
        return None
    body: dict = {"accounts": args.accounts, "seed": args.seed}
    if args.ous is not None:
        body["ous"] = args.ous
    if args.regions:
        body["regions"] = [r.strip() for r in args.regions.split(",") if r.strip()]
    for name in ("suspended", "existing_detectors", "foreign_destinations"):
        value = getattr(args, name)
        if value is not None:
            body[name] = value
    if args.landing_zone:
        body["landing_zone"] = True
    if args.guardduty_admin is not None:
        body["guardduty_admin"] = args.guardduty_admin
    if args.suspended is None:
        body["suspended"] = min(2, args.accounts // 10)
    if args.existing_detectors is None:
        body["existing_detectors"] = min(3, max(0, args.accounts - body["suspended"]))
    if args.foreign_destinations is None:
        body["foreign_destinations"] = 1 if args.accounts - body["suspended"] > 0 else 0
    return body


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # moto reads these at import time.
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")
    from . import app as app_module
    from .faults import FaultSpec

    app = app_module.EmulatorApp()
    spec = FaultSpec(
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        throttle_rps=args.throttle,
        throttle_burst=args.throttle_burst,
        error_rate=args.fault_rate,
        drop_rate=args.drop_rate,
        seed=args.seed,
    )
    body = seed_body(args)
    seeded = None
    if body is not None:
        from . import seeding

        seeded = seeding.seed_organization(body, app.state)
    if spec.active:
        app.faults.configure(spec)

    if args.exit_on_stdin_eof:
        def watch_stdin() -> None:
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            finally:
                os._exit(0)

        threading.Thread(target=watch_stdin, daemon=True).start()

    def ready(endpoint: str) -> None:
        print(f"radiant-emulator listening on {endpoint}", flush=True)
        if seeded is not None:
            lz = seeded.get("landing_zone")
            n = len(seeded["accounts"]) - (2 if lz else 0)
            print(
                f"seeded organization {seeded['organization_id']}: management account "
                f"{seeded['management_account_id']}, {n} member accounts in {len(seeded['ous'])} OUs, "
                f"Regions {','.join(seeded['regions'])}",
                flush=True,
            )
            if lz:
                print(
                    f"landing zone: Log Archive {lz['log_archive']}, Audit {lz['audit']} (OU {lz['security_ou']}), "
                    f"trail {lz['trail_arn']} -> s3://{lz['trail_bucket']}/{lz['trail_prefix']}",
                    flush=True,
                )
        if args.print_env:
            region = seeded["regions"][0] if seeded else "us-east-1"
            print("use these environment variables:", flush=True)
            for name, value in (
                ("AWS_ENDPOINT_URL", endpoint),
                ("AWS_ACCESS_KEY_ID", "AKIARADIANTEMULATOR1"),
                ("AWS_SECRET_ACCESS_KEY", "radiant-emulator-secret"),
                ("AWS_REGION", region),
                ("AWS_EC2_METADATA_DISABLED", "true"),
            ):
                print(f"  export {name}={value}", flush=True)
            print(f"control API: {endpoint}/_radiant/ (reset, seed, faults, counters, guardrails, regions, stacksets, guardduty/auto-enable, organizations/invite)", flush=True)

    try:
        app_module.serve(args.host, args.port, app, ready)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
