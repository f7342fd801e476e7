//! Per-member-account work.
