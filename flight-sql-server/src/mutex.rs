//! Locking that survives a panicking holder: every value this crate guards with a mutex
//! (sessions, counts, memos) stays consistent between statements, so a panic in one
//! request must not turn every later request into a second panic.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, recovering the data if a panicking thread poisoned it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
