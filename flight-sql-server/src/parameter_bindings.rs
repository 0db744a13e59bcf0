//! Parameters bound to prepared statements, remembered for clients that ignore the
//! handle `DoPut` returns and execute with the one they got at prepare time
//! (flightsql-dbapi 0.2 does). Everyone else carries the parameters in the handle itself.
//!
//! Entries are keyed by the handle's unguessable statement id, expire, and are bounded in
//! number, so a client that never closes its statements cannot grow the server.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long bound parameters are kept after their last use.
const KEEP_FOR: Duration = Duration::from_secs(3600);
/// Most statements remembered at once; the least recently used go first.
const CAPACITY: usize = 10_000;

/// The last parameters bound to each prepared statement.
#[derive(Debug, Default)]
pub(crate) struct ParameterBindings {
    entries: Mutex<HashMap<String, (Vec<u8>, Instant)>>,
}

impl ParameterBindings {
    /// Remembers `parameters` (encoded) as the binding of `statement_id`.
    pub(crate) fn bind(&self, statement_id: &str, parameters: Vec<u8>) {
        let now = Instant::now();
        let mut entries = self.lock();
        entries.retain(|_, (_, used)| now.duration_since(*used) < KEEP_FOR);
        while entries.len() >= CAPACITY {
            let oldest = entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(id) => entries.remove(&id),
                None => break,
            };
        }
        entries.insert(statement_id.to_string(), (parameters, now));
    }

    /// The parameters last bound to `statement_id`, if any.
    pub(crate) fn get(&self, statement_id: &str) -> Option<Vec<u8>> {
        let now = Instant::now();
        let mut entries = self.lock();
        let (parameters, used) = entries.get_mut(statement_id)?;
        if now.duration_since(*used) >= KEEP_FOR {
            entries.remove(statement_id);
            return None;
        }
        *used = now;
        Some(parameters.clone())
    }

    /// Forgets a closed statement.
    pub(crate) fn forget(&self, statement_id: &str) {
        self.lock().remove(statement_id);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, (Vec<u8>, Instant)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_last_binding_until_forgotten() {
        let bindings = ParameterBindings::default();
        assert!(bindings.get("s").is_none());
        bindings.bind("s", vec![1]);
        bindings.bind("s", vec![2]);
        assert_eq!(bindings.get("s"), Some(vec![2]));
        bindings.forget("s");
        assert!(bindings.get("s").is_none());
    }
}
