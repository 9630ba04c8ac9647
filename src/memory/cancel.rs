//! Stopping a memory's work from outside: a [`Cancel`] token set on a connection
//! ([`super::Memory::set_cancel`]) makes its reads and writes fail with
//! [`crate::ErrorKind::Cancelled`] once the token is cancelled or its deadline has
//! passed. SQLite's progress handler checks it every few hundred steps of a
//! statement, and each search checks it as it starts, so a request whose client has
//! gone (or has had its timeout answer) stops instead of running to its end.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::error::{Error, ErrorKind, Location, Result};

/// A cancellation flag and an optional deadline, shared by clones: cancel one and
/// every holder sees it.
#[derive(Debug, Clone)]
pub struct Cancel(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    cancelled: AtomicBool,
    /// The deadline in nanoseconds after `base`; 0: none.
    deadline: AtomicU64,
    base: Instant,
}

impl Default for Cancel {
    fn default() -> Cancel {
        Cancel::new()
    }
}

impl Cancel {
    /// A token neither cancelled nor with a deadline.
    pub fn new() -> Cancel {
        Cancel(Arc::new(Inner {
            cancelled: AtomicBool::new(false),
            deadline: AtomicU64::new(0),
            base: Instant::now(),
        }))
    }

    /// Stops the work of every connection holding this token.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::Relaxed);
    }

    /// Stops the work at `deadline` (`None`: no deadline); a token is re-armed
    /// this way for each piece of work.
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        let nanos = deadline.map_or(0, |d| {
            let after = d.saturating_duration_since(self.0.base).as_nanos();
            // 0 means "none": a deadline at the base is one nanosecond later.
            u64::try_from(after).unwrap_or(u64::MAX).max(1)
        });
        self.0.deadline.store(nanos, Ordering::Relaxed);
    }

    /// Clears the flag and the deadline.
    pub fn reset(&self) {
        self.0.cancelled.store(false, Ordering::Relaxed);
        self.0.deadline.store(0, Ordering::Relaxed);
    }

    /// Whether the work should stop: cancelled, or past the deadline.
    pub fn is_cancelled(&self) -> bool {
        if self.0.cancelled.load(Ordering::Relaxed) {
            return true;
        }
        let deadline = self.0.deadline.load(Ordering::Relaxed);
        deadline != 0 && self.0.base.elapsed().as_nanos() >= u128::from(deadline)
    }

    /// `Err(Cancelled)` if the work should stop.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            return Err(cancelled());
        }
        Ok(())
    }
}

/// The error of work stopped by its token.
pub(crate) fn cancelled() -> Error {
    Error::new(ErrorKind::Cancelled, Location::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn flag_deadline_and_reset() {
        let token = Cancel::new();
        assert!(!token.is_cancelled());
        token.set_deadline(Some(Instant::now() + Duration::from_secs(3600)));
        assert!(!token.is_cancelled());
        token.set_deadline(Some(Instant::now() - Duration::from_millis(1)));
        assert!(token.is_cancelled());
        assert!(matches!(
            token.check().unwrap_err().kind(),
            ErrorKind::Cancelled
        ));
        token.reset();
        assert!(token.check().is_ok());
        let clone = token.clone();
        clone.cancel();
        assert!(token.is_cancelled());
    }
}
