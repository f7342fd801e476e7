"""radiant-emulator: moto's server with Radiant's extensions (AWS checks moto lacks, fault
injection, call counters, organization seeding), all served on one port."""

__all__ = ["app", "extensions", "faults", "guardrails", "policy", "protocol", "seeding"]
