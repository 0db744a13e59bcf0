//! [`Readiness`]: whether a process should be sent work now, which is what `/readyz`
//! answers and what the scheduler's front door checks before it starts a query.
//!
//! ```text
//!   NotReady(reason) ⇄ Ready ──▶ Leaving(reason)     (leaving is for good)
//! ```

use std::sync::{Arc, Mutex};

use crate::sync::lock;

/// A process's readiness, shared by whoever changes it and whoever reports it. Cheap to
/// clone; every clone sees the same state.
#[derive(Debug, Clone)]
pub struct Readiness {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Ready,
    NotReady(String),
    /// The process is going away (draining, shutting down); it never becomes ready again.
    Leaving(String),
}

impl Readiness {
    pub fn ready() -> Self {
        Self::with(State::Ready)
    }

    /// Not ready yet, because of `reason` (say, "loading the catalog").
    pub fn not_ready(reason: impl Into<String>) -> Self {
        Self::with(State::NotReady(reason.into()))
    }

    fn with(state: State) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// Ready, unless the process is leaving.
    pub fn set_ready(&self) {
        self.set_unless_leaving(State::Ready);
    }

    /// Not ready because of `reason`, unless the process is leaving.
    pub fn set_not_ready(&self, reason: impl Into<String>) {
        self.set_unless_leaving(State::NotReady(reason.into()));
    }

    /// Not ready for good: the process is going away because of `reason`.
    pub fn set_leaving(&self, reason: impl Into<String>) {
        *lock(&self.state) = State::Leaving(reason.into());
    }

    /// `Ok` when ready; otherwise why not, in one line.
    pub fn check(&self) -> Result<(), String> {
        match &*lock(&self.state) {
            State::Ready => Ok(()),
            State::NotReady(reason) | State::Leaving(reason) => Err(reason.clone()),
        }
    }

    pub fn is_leaving(&self) -> bool {
        matches!(*lock(&self.state), State::Leaving(_))
    }

    fn set_unless_leaving(&self, state: State) {
        let mut current = lock(&self.state);
        if !matches!(*current, State::Leaving(_)) {
            *current = state;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comes_and_goes_until_the_process_leaves() {
        let readiness = Readiness::not_ready("loading the catalog");
        assert_eq!(readiness.check(), Err("loading the catalog".to_string()));
        let shared = readiness.clone();
        shared.set_ready();
        assert_eq!(readiness.check(), Ok(()));
        shared.set_not_ready("the scheduler forgot this executor");
        assert!(readiness.check().is_err());

        readiness.set_leaving("server is shutting down");
        shared.set_ready();
        assert_eq!(
            readiness.check(),
            Err("server is shutting down".to_string())
        );
        assert!(shared.is_leaving());
    }
}
