//! Locking that survives a panic elsewhere: every critical section in this crate leaves its
//! data consistent, so a poisoned lock is safe to keep using.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, ignoring poisoning.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
