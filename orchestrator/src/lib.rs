//! The radiant-onboard library: configuration, discovery, hub set-up, rate-limited fan-out,
//! shared-policy patching, verify, offboard and reports. The binary (`src/main.rs`) is the only
//! place that knows the terminal.

pub mod aws;
pub mod config;
pub mod engine;
pub mod outcome;
pub mod permissions;
pub mod progress;
pub mod report;
