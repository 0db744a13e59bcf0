//! Where a runnable task goes: the live executor with the most free slots (ties broken by
//! id, so the choice is deterministic). Data locality joins this policy with remote shuffle.

use std::collections::BTreeMap;

use trebuchet_shuffle::ids::ExecutorId;

/// Takes one free slot for a task, or `None` when every slot is busy.
pub(crate) fn take_slot(free_slots: &mut BTreeMap<ExecutorId, usize>) -> Option<ExecutorId> {
    let executor = free_slots
        .iter()
        .filter(|(_, free)| **free > 0)
        .max_by(|(a_id, a_free), (b_id, b_free)| a_free.cmp(b_free).then(b_id.cmp(a_id)))
        .map(|(id, _)| id.clone())?;
    if let Some(free) = free_slots.get_mut(&executor) {
        *free -= 1;
    }
    Some(executor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> ExecutorId {
        ExecutorId::new(name)
    }

    #[test]
    fn spreads_tasks_over_the_freest_executors_until_slots_run_out() {
        let mut free = BTreeMap::from([(id("a"), 1), (id("b"), 2)]);
        assert_eq!(take_slot(&mut free), Some(id("b")));
        assert_eq!(take_slot(&mut free), Some(id("a")));
        assert_eq!(take_slot(&mut free), Some(id("b")));
        assert_eq!(take_slot(&mut free), None);
    }
}
