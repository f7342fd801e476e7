//! What radiant-onboard does inside one account after assuming a role: the member role, the
//! GuardDuty detector of each Region and its publishing destination.
//!
//! **Architecture Invariant:** this crate never prints and never decides policy contents by
//! hand: documents come from `policy-model`. Every function reads before it writes and, in plan
//! mode, makes no write call at all.

mod error;

pub use error::{ErrorKind, WorkerError, classify};
