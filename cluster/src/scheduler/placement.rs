//! Where a runnable task goes: the executor that already holds its input, if it has a free
//! slot; otherwise the live executor with the most free slots (ties broken by id, so the
//! choice is deterministic).

use std::collections::BTreeMap;

use trebuchet_shuffle::ids::ExecutorId;

/// Takes one free slot for a task, on `preferred` when it has one, or `None` when every
/// slot is busy.
pub(crate) fn take_slot(
    free_slots: &mut BTreeMap<ExecutorId, usize>,
    preferred: Option<&ExecutorId>,
) -> Option<ExecutorId> {
    if let Some(preferred) = preferred
        && let Some(free) = free_slots.get_mut(preferred).filter(|free| **free > 0)
    {
        *free -= 1;
        return Some(preferred.clone());
    }
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
        assert_eq!(take_slot(&mut free, None), Some(id("b")));
        assert_eq!(take_slot(&mut free, None), Some(id("a")));
        assert_eq!(take_slot(&mut free, None), Some(id("b")));
        assert_eq!(take_slot(&mut free, None), None);
    }

    #[test]
    fn a_task_goes_where_its_input_is_while_that_executor_has_room() {
        let mut free = BTreeMap::from([(id("a"), 1), (id("b"), 3)]);
        assert_eq!(take_slot(&mut free, Some(&id("a"))), Some(id("a")));
        assert_eq!(
            take_slot(&mut free, Some(&id("a"))),
            Some(id("b")),
            "a is full"
        );
        assert_eq!(take_slot(&mut free, Some(&id("gone"))), Some(id("b")));
    }
}
