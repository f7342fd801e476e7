//! The terminal's progress display: an indicatif bar per phase with accounts done / total,
//! retries and throttles seen, and an ETA.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use orchestrator::progress::Progress;

/// A [`Progress`] drawn on stderr with indicatif.
pub struct BarProgress {
    bar: Mutex<Option<ProgressBar>>,
    retries: AtomicU64,
    throttles: AtomicU64,
}

impl BarProgress {
    /// A display that draws on stderr (the caller checks that stderr is a terminal).
    pub fn new() -> Self {
        Self {
            bar: Mutex::new(None),
            retries: AtomicU64::new(0),
            throttles: AtomicU64::new(0),
        }
    }

    fn message(&self) -> String {
        format!(
            "retries {} · throttled {}",
            self.retries.load(Ordering::Relaxed),
            self.throttles.load(Ordering::Relaxed)
        )
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(guard) = self.bar.lock()
            && let Some(bar) = guard.as_ref()
        {
            f(bar);
        }
    }
}

impl Progress for BarProgress {
    fn phase(&self, name: &str, total: u64) {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} {prefix:<24} [{bar:30}] {pos}/{len} · {per_sec} · {msg} · ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(name.to_owned());
        bar.set_message(self.message());
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        if let Ok(mut guard) = self.bar.lock() {
            if let Some(old) = guard.take() {
                old.finish_and_clear();
            }
            *guard = Some(bar);
        }
    }

    fn advance(&self, n: u64) {
        self.with_bar(|b| b.inc(n));
    }

    fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        let msg = self.message();
        self.with_bar(|b| b.set_message(msg));
    }

    fn throttled(&self) {
        self.throttles.fetch_add(1, Ordering::Relaxed);
        let msg = self.message();
        self.with_bar(|b| b.set_message(msg));
    }

    fn waiting(&self, what: &str, waited: std::time::Duration) {
        let msg = format!(
            "{} · waiting for {what} ({} s)",
            self.message(),
            waited.as_secs()
        );
        self.with_bar(|b| b.set_message(msg));
    }

    fn finish(&self) {
        if let Ok(mut guard) = self.bar.lock()
            && let Some(bar) = guard.take()
        {
            bar.finish_and_clear();
        }
    }
}
