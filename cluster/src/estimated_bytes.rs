//! DataFusion's estimate of what a plan produces, in bytes and rows: what the planner's
//! size-based choices (broadcast joins, single-task queries) are made on before anything
//! has run.

use std::sync::Arc;

use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};

/// DataFusion's estimate of the bytes `plan` produces: from its byte-size statistic, or
/// its row count times the width of its columns; `None` when neither is known.
pub(crate) fn estimated_bytes(plan: &Arc<dyn ExecutionPlan>) -> Option<u64> {
    let statistics = StatisticsContext::new()
        .compute(plan.as_ref(), &StatisticsArgs::new())
        .ok()?;
    if let Some(bytes) = statistics.total_byte_size.get_value() {
        return u64::try_from(*bytes).ok();
    }
    let rows = u64::try_from(*statistics.num_rows.get_value()?).ok()?;
    let width: u64 = plan
        .schema()
        .fields()
        .iter()
        .map(|field| {
            field
                .data_type()
                .primitive_width()
                .map_or(VARIABLE_WIDTH_GUESS, |width| width as u64)
        })
        .sum();
    rows.checked_mul(width.max(1))
}

/// The bytes every leaf of `plan` (its scans) is estimated to produce, in all; `None` if a
/// leaf's estimate is unknown.
pub(crate) fn estimated_input_bytes(plan: &Arc<dyn ExecutionPlan>) -> Option<u64> {
    let children = plan.children();
    if children.is_empty() {
        return estimated_bytes(plan);
    }
    children.into_iter().try_fold(0u64, |sum, child| {
        sum.checked_add(estimated_input_bytes(child)?)
    })
}

/// DataFusion's estimate of the rows `plan` produces, if it has one.
pub(crate) fn estimated_rows(plan: &Arc<dyn ExecutionPlan>) -> Option<u64> {
    let statistics = StatisticsContext::new()
        .compute(plan.as_ref(), &StatisticsArgs::new())
        .ok()?;
    u64::try_from(*statistics.num_rows.get_value()?).ok()
}

/// What a string, binary or nested value is taken to weigh when only the row count is
/// known: generous, so that an unknown width does not make a side look small.
const VARIABLE_WIDTH_GUESS: u64 = 64;
