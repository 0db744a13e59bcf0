//! Parameters bound to prepared statements, remembered for clients that ignore the
//! handle `DoPut` returns and execute with the one they got at prepare time
//! (flightsql-dbapi 0.2 does). Everyone else carries the parameters in the handle itself.
//!
//! Entries are keyed by the handle's statement id, which only the session the handle was
//! sealed for can present (`handle_seal.rs`). They expire, and they are bounded per owner
//! (in count and bytes, the owner's own oldest going first) and in all (new bindings
//! refused), so no client can grow the server or push out another user's bindings.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::{FlightSqlError, Result};
use crate::mutex::lock;

/// How long bound parameters are kept after their last use.
const KEEP_FOR: Duration = Duration::from_secs(600);
/// Largest encoded parameter batch one statement may bind.
pub(crate) const MAX_BINDING_BYTES: usize = 16 << 20;
/// Most statements and bytes one owner may have remembered.
const MAX_ENTRIES_PER_OWNER: usize = 1_000;
const MAX_BYTES_PER_OWNER: usize = 64 << 20;
/// Most statements and bytes remembered for everyone together.
const MAX_ENTRIES: usize = 10_000;
const MAX_BYTES: usize = 512 << 20;

/// The last parameters bound to each prepared statement.
#[derive(Debug, Default)]
pub(crate) struct ParameterBindings {
    entries: Mutex<HashMap<String, Binding>>,
}

#[derive(Debug)]
struct Binding {
    /// The user (empty: anonymous) whose budget the binding counts against.
    owner: String,
    parameters: Vec<u8>,
    used: Instant,
}

impl ParameterBindings {
    /// Remembers `parameters` (encoded) as the binding of `statement_id`, counted
    /// against `owner`'s budget.
    pub(crate) fn bind(&self, owner: &str, statement_id: &str, parameters: Vec<u8>) -> Result<()> {
        if parameters.len() > MAX_BINDING_BYTES {
            return Err(too_large(parameters.len()));
        }
        let now = Instant::now();
        let mut entries = self.lock();
        entries.remove(statement_id);
        entries.retain(|_, binding| now.duration_since(binding.used) < KEEP_FOR);
        make_room(&mut entries, owner, parameters.len());
        let total_bytes: usize = entries
            .values()
            .map(|binding| binding.parameters.len())
            .sum();
        if entries.len() >= MAX_ENTRIES || total_bytes + parameters.len() > MAX_BYTES {
            return Err(FlightSqlError::limit_reached(
                "the server remembers too many bound parameters; execute with the handle \
                 DoPut returned, or close unused prepared statements",
            ));
        }
        entries.insert(
            statement_id.to_string(),
            Binding {
                owner: owner.to_string(),
                parameters,
                used: now,
            },
        );
        Ok(())
    }

    /// The parameters last bound to `statement_id`, if any.
    pub(crate) fn get(&self, statement_id: &str) -> Option<Vec<u8>> {
        let now = Instant::now();
        let mut entries = self.lock();
        let binding = entries.get_mut(statement_id)?;
        if now.duration_since(binding.used) >= KEEP_FOR {
            entries.remove(statement_id);
            return None;
        }
        binding.used = now;
        Some(binding.parameters.clone())
    }

    /// Forgets a closed statement.
    pub(crate) fn forget(&self, statement_id: &str) {
        self.lock().remove(statement_id);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Binding>> {
        lock(&self.entries)
    }
}

/// Drops `owner`'s least recently used bindings until one of `bytes` more fits its budget.
fn make_room(entries: &mut HashMap<String, Binding>, owner: &str, bytes: usize) {
    let mut own: Vec<(Instant, usize, String)> = entries
        .iter()
        .filter(|(_, binding)| binding.owner == owner)
        .map(|(id, binding)| (binding.used, binding.parameters.len(), id.clone()))
        .collect();
    own.sort_unstable();
    let mut count = own.len();
    let mut owned_bytes: usize = own.iter().map(|(_, size, _)| size).sum();
    for (_, size, id) in own {
        if count < MAX_ENTRIES_PER_OWNER && owned_bytes + bytes <= MAX_BYTES_PER_OWNER {
            break;
        }
        entries.remove(&id);
        count -= 1;
        owned_bytes -= size;
    }
}

fn too_large(bytes: usize) -> FlightSqlError {
    FlightSqlError::limit_reached(format!(
        "the bound parameters take {bytes} bytes; a prepared statement accepts at most \
         {MAX_BINDING_BYTES}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_last_binding_until_forgotten() {
        let bindings = ParameterBindings::default();
        assert!(bindings.get("s").is_none());
        bindings.bind("alice", "s", vec![1]).unwrap();
        bindings.bind("alice", "s", vec![2]).unwrap();
        assert_eq!(bindings.get("s"), Some(vec![2]));
        bindings.forget("s");
        assert!(bindings.get("s").is_none());
    }

    #[test]
    fn oversized_bindings_are_refused_and_not_kept() {
        let bindings = ParameterBindings::default();
        let err = bindings
            .bind("alice", "s", vec![0; MAX_BINDING_BYTES + 1])
            .unwrap_err();
        assert!(matches!(err, FlightSqlError::LimitReached { .. }), "{err}");
        assert!(bindings.get("s").is_none());
    }

    #[test]
    fn one_owner_fills_only_its_own_budget() {
        let bindings = ParameterBindings::default();
        bindings.bind("alice", "hers", vec![7]).unwrap();
        for n in 0..MAX_ENTRIES_PER_OWNER + 50 {
            bindings.bind("bob", &format!("bob-{n}"), vec![1]).unwrap();
        }
        for n in 0..8 {
            let big = vec![0; MAX_BINDING_BYTES];
            bindings.bind("bob", &format!("big-{n}"), big).unwrap();
        }
        assert_eq!(bindings.get("hers"), Some(vec![7]));
        let bobs = bindings
            .lock()
            .values()
            .filter(|binding| binding.owner == "bob")
            .map(|binding| binding.parameters.len())
            .collect::<Vec<_>>();
        assert!(bobs.len() <= MAX_ENTRIES_PER_OWNER);
        assert!(bobs.iter().sum::<usize>() <= MAX_BYTES_PER_OWNER);
    }
}
