//! Progress reporting without a terminal: the engine calls a [`Progress`], the CLI implements it
//! (with indicatif), tests use [`NoProgress`].

/// Receives progress events from the engine. Implementations must be cheap and never block.
pub trait Progress: Send + Sync {
    /// A new phase starts (e.g. `fan-out: accounts`) with `total` units of work.
    fn phase(&self, name: &str, total: u64);
    /// `n` units of the current phase are done.
    fn advance(&self, n: u64);
    /// An API call was retried by the SDK.
    fn retried(&self);
    /// An API call was throttled by AWS.
    fn throttled(&self);
    /// The current phase is over.
    fn finish(&self);
    /// A step waits for a write to become visible (`what`), `waited` so far.
    fn waiting(&self, what: &str, waited: std::time::Duration) {
        let _ = (what, waited);
    }
}

/// A [`Progress`] that ignores every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn phase(&self, _name: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn retried(&self) {}
    fn throttled(&self) {}
    fn finish(&self) {}
}
