//! The workspace integration tests, in one test binary so that the AWS SDK and the product are
//! linked once: each module was a test binary of its own (`tests/tests/NAME.rs`) before. The tests
//! run in parallel, each on an emulator process of its own (`integration_tests::emulator` keeps a
//! pool of them).
//!
//! Run one group with a filter on its module, e.g.
//! `cargo test -p integration-tests --test it engine_topology::`.

mod cli_support;
mod engine_support;

mod cli_commands;
mod cli_config;
mod cli_grouped_output;
mod cli_permissions;
mod cli_plan_output;
mod cli_report_stream;
mod cli_saved_plan;
mod cli_verify_golden;
mod cli_verify_offboard;
mod docs_event_patterns;
mod emulator_harness;
mod engine_adopt;
mod engine_concurrency;
mod engine_consistency;
mod engine_discovery;
mod engine_enrolment;
mod engine_hardening;
mod engine_hub_failure;
mod engine_landing_zone;
mod engine_large_orgs;
mod engine_notification_overlap;
mod engine_offboard;
mod engine_offboard_plan;
mod engine_onboard;
mod engine_partial_runs;
mod engine_partition;
mod engine_regions;
mod engine_resilience;
mod engine_scale;
mod engine_topology;
