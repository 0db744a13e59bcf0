//! The physical optimizer rules of every Trebuchet session: DataFusion's, with ours placed
//! where they must run.

use std::sync::Arc;

use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;

use crate::broadcast_joins::BroadcastJoins;
use crate::scan_partitions::ScanPartitions;
use crate::shared_state_joins::SharedStateJoins;
use crate::unlimited_join_inputs::UnlimitedJoinInputs;

/// The rule list for a session:
/// - [`ScanPartitions`] first, so large Parquet files are split before DataFusion's rules
///   place merges and exchanges;
/// - [`BroadcastJoins`] right before `JoinSelection`, which then orders the broadcast
///   joins' sides like its own;
/// - [`SharedStateJoins`] right after `EnsureRequirements`, which placed the exchanges it
///   must see, then [`UnlimitedJoinInputs`], which undoes the limits `EnsureRequirements`
///   pushed into sort-merge joins, before later rules spread them further.
pub fn physical_optimizer_rules() -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    let mut rules: Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> =
        vec![Arc::new(ScanPartitions)];
    for rule in PhysicalOptimizer::new().rules {
        if rule.name() == "join_selection" {
            rules.push(Arc::new(BroadcastJoins));
        }
        let places_exchanges = rule.name() == "EnsureRequirements";
        rules.push(rule);
        if places_exchanges {
            rules.push(Arc::new(SharedStateJoins));
            rules.push(Arc::new(UnlimitedJoinInputs));
        }
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_rules_come_first_and_right_after_ensure_requirements() {
        let names: Vec<String> = physical_optimizer_rules()
            .iter()
            .map(|rule| rule.name().to_string())
            .collect();
        assert_eq!(names[0], "scan_partitions");
        let selection = names
            .iter()
            .position(|name| name == "join_selection")
            .unwrap();
        assert_eq!(names[selection - 1], "broadcast_joins");
        let ensure = names
            .iter()
            .position(|name| name == "EnsureRequirements")
            .unwrap();
        assert_eq!(names[ensure + 1], "shared_state_joins");
        assert_eq!(names[ensure + 2], "unlimited_join_inputs");
    }
}
