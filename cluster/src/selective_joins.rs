//! Joins with a small, filtered input run as early as their keys allow, so that the rows
//! they remove never reach a larger join or its shuffle.
//!
//! DataFusion joins tables in the order the query lists them: in TPC-H q21 the filtered
//! `nation` (one row) joins last, after `supplier ⋈ lineitem` and `⋈ orders`, so every
//! supplier's rows are shuffled and sorted before all but a 25th of them are dropped. One
//! process pays that in memory; a distributed plan writes it to shuffle files (2.2 GB at
//! SF10). When a join's one input is filtered and small enough to broadcast, and its keys
//! all come from one input of the inner join beneath it, it moves below that join, unless
//! that join's other input is filtered and small too (which of them removes more rows is
//! not known, so the query's order stays):
//!
//! ```text
//!   ⋈ s_nationkey = n_nationkey                ⋈ l_orderkey = o_orderkey
//!     ⋈ l_orderkey = o_orderkey        ⟶         ⋈ s_suppkey = l_suppkey
//!       ⋈ s_suppkey = l_suppkey                     ⋈ s_nationkey = n_nationkey
//!         supplier                                    supplier
//!         lineitem                                    σ nation
//!       σ orders                                    lineitem
//!     σ nation                                    σ orders
//! ```
//!
//! A semi or anti join with a filtered subquery moves the same way, whatever its size, as it
//! only removes rows, but only below joins whose other input is not filtered. TPC-H q18
//! keeps the 624 orders of its `IN` subquery before joining orders to customers and to 60
//! million line items, not after. Joins with a condition beside their keys stay.
//!
//! Inner joins commute, and a semi or anti join reading one input's columns filters that
//! input's rows alike before or after the join, so the answer is the same; a projection on
//! top keeps the join's columns in their order. A `NOT IN` that DataFusion plans as a
//! null-aware anti join (nullable keys), whose answer depends on every row of its subquery,
//! stays.
//!
//! A side's size is DataFusion's estimate of its physical plan, the one broadcast joins are
//! chosen by. It needs the files' statistics, so the rewrite runs in the query planner,
//! after DataFusion's logical optimizer, where planning may await them.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use datafusion::catalog::Session;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, JoinType};
use datafusion::error::Result;
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::{Expr, Join, JoinConstraint, LogicalPlan, Projection};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};

use crate::ballista_options::BallistaOptions;
use crate::estimated_bytes::estimated_bytes;

/// How many times the plan is rewritten at most: each round may create a joined side that
/// itself moves in the next (q5's `nation ⋈ σ region` below `supplier`).
const MAX_ROUNDS: usize = 4;

/// The query planner of every Trebuchet session: DataFusion's, after the rewrite above.
#[derive(Debug, Default)]
pub struct SelectiveJoinsFirst;

#[tonic::async_trait]
impl QueryPlanner for SelectiveJoinsFirst {
    async fn create_physical_plan(
        &self,
        plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let planner = DefaultPhysicalPlanner::default();
        let options = BallistaOptions::of(session.config());
        let plan = if options.push_down_selective_joins && options.broadcast_join_threshold > 0 {
            selective_joins_first(plan, options.broadcast_join_threshold, |side| {
                let planner = &planner;
                async move {
                    let physical = planner.create_physical_plan(&side, session).await.ok()?;
                    estimated_bytes(&physical)
                }
            })
            .await?
        } else {
            plan.clone()
        };
        planner.create_physical_plan(&plan, session).await
    }
}

/// `plan` with its selective joins moved down (see `push_down`), a side being small when
/// `estimate` puts it at most `max_bytes`. The rewrite runs again while it asks for the size
/// of a side it has not seen, at most `MAX_ROUNDS` times; then `plan` stays as it was.
pub(crate) async fn selective_joins_first<F, Fut>(
    plan: &LogicalPlan,
    max_bytes: u64,
    estimate: F,
) -> Result<LogicalPlan>
where
    F: Fn(LogicalPlan) -> Fut,
    Fut: Future<Output = Option<u64>>,
{
    let mut sizes = SideSizes::default();
    for round in 1..=MAX_ROUNDS {
        let rewritten = plan
            .clone()
            .transform_up(|node| match &node {
                LogicalPlan::Join(join) => match push_down(join, max_bytes, &mut sizes)? {
                    Some(moved) => Ok(Transformed::yes(moved)),
                    None => Ok(Transformed::no(node)),
                },
                _ => Ok(Transformed::no(node)),
            })?
            .data;
        if sizes.wanted.is_empty() {
            return Ok(rewritten);
        }
        if round == MAX_ROUNDS {
            break;
        }
        for side in std::mem::take(&mut sizes.wanted) {
            let bytes = estimate(side.clone()).await;
            sizes.known.insert(side, bytes);
        }
    }
    Ok(plan.clone())
}

/// The estimated bytes of the sides seen so far, and the sides to estimate before the next
/// round.
#[derive(Default)]
struct SideSizes {
    known: HashMap<LogicalPlan, Option<u64>>,
    wanted: Vec<LogicalPlan>,
}

impl SideSizes {
    /// Whether `side` is known to be estimated at most `max_bytes`; an unknown side is
    /// asked for, and is not small this round.
    fn is_small(&mut self, side: &LogicalPlan, max_bytes: u64) -> bool {
        match self.known.get(side) {
            Some(bytes) => bytes.is_some_and(|bytes| bytes <= max_bytes),
            None => {
                if !self.wanted.contains(side) {
                    self.wanted.push(side.clone());
                }
                false
            }
        }
    }
}

/// One input of a join.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Left,
    Right,
}

impl Side {
    /// `join`'s input on this side, then its other input.
    fn of(self, join: &Join) -> (&Arc<LogicalPlan>, &Arc<LogicalPlan>) {
        match self {
            Side::Left => (&join.left, &join.right),
            Side::Right => (&join.right, &join.left),
        }
    }
}

/// `join` with its selective side moved below the inner join beneath its other side, as a
/// plan with `join`'s schema; `None` when nothing moves.
/// - An inner join's side moves when it is filtered and estimated small: it is then built
///   once into a small hash table, and probing it costs little wherever it runs.
/// - A semi or anti join's subquery side moves when it is filtered: the join only removes
///   rows of its other side, as a filter would, so its build side is the same wherever it
///   runs while fewer rows reach the joins above it (TPC-H q18 keeps 624 of 15 million
///   orders before joining them to `lineitem`, not after). How far it moves is decided in
///   `move_below`.
fn push_down(join: &Join, max_bytes: u64, sizes: &mut SideSizes) -> Result<Option<LogicalPlan>> {
    // A join condition beside the keys stays where the query put it: moved, it would be
    // evaluated on rows the join beneath removes, and an expression that fails on those
    // (a division by zero, a cast) would fail a query that succeeds.
    if join.on.is_empty() || join.filter.is_some() {
        return Ok(None);
    }
    let candidates: &[Side] = match join.join_type {
        JoinType::Inner => &[Side::Right, Side::Left],
        JoinType::LeftSemi | JoinType::LeftAnti if !join.null_aware => &[Side::Right],
        _ => &[],
    };
    for &selective in candidates {
        let (small, other) = selective.of(join);
        // Below a join that can move nothing, the side is not even sized.
        if !is_filtered(small) || inner_join_beneath(other).is_none() {
            continue;
        }
        if join.join_type == JoinType::Inner && !sizes.is_small(small, max_bytes) {
            continue;
        }
        match move_below(join, selective, max_bytes, sizes) {
            Ok(Some(moved)) => return Ok(Some(moved)),
            Ok(None) => {}
            // A plan this rewrite cannot rebuild (a column name both sides use, say) is
            // planned as DataFusion optimized it.
            Err(err) => tracing::debug!(error = %err, "selective join stays in place"),
        }
    }
    Ok(None)
}

/// `join` with its `selective` side joined to the input of the inner join beneath the other
/// side that holds the columns its keys read, itself moved further down if it can be.
fn move_below(
    join: &Join,
    selective: Side,
    max_bytes: u64,
    sizes: &mut SideSizes,
) -> Result<Option<LogicalPlan>> {
    let (small, other) = selective.of(join);
    let Some((projections, beneath)) = inner_join_beneath(other) else {
        return Ok(None);
    };
    let (other_keys, small_keys): (Vec<Expr>, Vec<Expr>) = join
        .on
        .iter()
        .map(|(left, right)| match selective {
            Side::Right => (left.clone(), right.clone()),
            Side::Left => (right.clone(), left.clone()),
        })
        .unzip();
    let key_columns: Vec<Column> = other_keys
        .iter()
        .flat_map(|key| key.column_refs().into_iter().cloned())
        .collect();
    let Some(holder) = input_holding(&key_columns, &projections, beneath) else {
        return Ok(None);
    };
    let (held, passed) = holder.of(beneath);
    // Below a join that is selective too, which of the two removes more rows is unknown:
    // the query's order stays. For an inner join that is one whose other input is filtered
    // and small as well; a large filtered input (q21's `σ orders`) is joined through a
    // shuffle, which the small side's rows should not reach. A semi or anti join removes
    // an unknown share of rows, so it moves only below joins whose other input is not
    // filtered: typically a key join to a dimension or fact table, whose output has about
    // as many rows as the input it filters and more columns, so filtering that input first
    // costs no more even when its keys differ (q18: `o_orderkey IN …` below `customer ⋈
    // orders` on `o_custkey`; q16's `NOT IN` stays above `partsupp ⋈ σ part`).
    let selective_beneath = match join.join_type {
        JoinType::Inner => is_filtered(passed) && sizes.is_small(passed, max_bytes),
        _ => is_filtered(passed),
    };
    if selective_beneath {
        return Ok(None);
    }
    let joined = Join::try_new(
        Arc::clone(held),
        Arc::clone(small),
        other_keys.into_iter().zip(small_keys).collect(),
        None,
        join.join_type,
        JoinConstraint::On,
        join.null_equality,
        false,
    )?;
    let joined = match push_down(&joined, max_bytes, sizes)? {
        Some(moved) => moved,
        None => LogicalPlan::Join(joined),
    };
    let (left, right) = match holder {
        Side::Left => (Arc::new(joined), Arc::clone(&beneath.right)),
        Side::Right => (Arc::clone(&beneath.left), Arc::new(joined)),
    };
    let mut moved = LogicalPlan::Join(Join::try_new(
        left,
        right,
        beneath.on.clone(),
        beneath.filter.clone(),
        beneath.join_type,
        beneath.join_constraint,
        beneath.null_equality,
        beneath.null_aware,
    )?);
    // An inner join adds the selective side's columns, a semi or anti join none.
    let added = if join.join_type == JoinType::Inner {
        columns_of(small)
    } else {
        Vec::new()
    };
    // The other side's projections again, innermost first, each passing the added columns
    // on; then `join`'s columns in its order.
    for projection in projections.iter().skip(1).rev() {
        let columns = [projection.expr.clone(), added.clone()].concat();
        moved = LogicalPlan::Projection(Projection::try_new(columns, Arc::new(moved))?);
    }
    let other_columns = match projections.first() {
        Some(projection) => projection.expr.clone(),
        None => columns_of(other),
    };
    let columns = match selective {
        Side::Right => [other_columns, added].concat(),
        Side::Left => [added, other_columns].concat(),
    };
    let moved = Projection::try_new(columns, Arc::new(moved))?;
    if !same_columns(&moved.schema, &join.schema) {
        // A type or nullability the projection reports otherwise: keep the join.
        return Ok(None);
    }
    // `join`'s own schema, with its functional dependencies (listed in its inputs' order).
    let moved = Projection::try_new_with_schema(moved.expr, moved.input, Arc::clone(&join.schema))?;
    Ok(Some(LogicalPlan::Projection(moved)))
}

/// Whether `a` and `b` have the same columns: qualifiers, names, types and nullability.
fn same_columns(a: &DFSchema, b: &DFSchema) -> bool {
    a.fields().len() == b.fields().len()
        && a.iter().zip(b.iter()).all(|((qa, fa), (qb, fb))| {
            qa == qb
                && fa.name() == fb.name()
                && fa.data_type() == fb.data_type()
                && fa.is_nullable() == fb.is_nullable()
        })
}

/// The inner join `plan` is, or projects columns of; with the projections on top of it,
/// outermost first.
fn inner_join_beneath(plan: &LogicalPlan) -> Option<(Vec<&Projection>, &Join)> {
    let mut projections = Vec::new();
    let mut input = plan;
    while let LogicalPlan::Projection(projection) = input {
        projections.push(projection);
        input = projection.input.as_ref();
    }
    match input {
        LogicalPlan::Join(join) if join.join_type == JoinType::Inner => Some((projections, join)),
        _ => None,
    }
}

/// Which input of `join` holds every one of `columns`, seen through `projections` (which
/// must pass each of them through unchanged); `None` if neither does.
fn input_holding(columns: &[Column], projections: &[&Projection], join: &Join) -> Option<Side> {
    let mut held = Vec::with_capacity(columns.len());
    for column in columns {
        let column = projections
            .iter()
            .try_fold(column.clone(), |column, projection| {
                passed_through(projection, &column)
            })?;
        held.push(column);
    }
    if held.is_empty() {
        return None;
    }
    [Side::Left, Side::Right].into_iter().find(|side| {
        let (input, _) = side.of(join);
        held.iter().all(|column| input.schema().has_column(column))
    })
}

/// The input column `projection` outputs as `column` unchanged, if it does.
fn passed_through(projection: &Projection, column: &Column) -> Option<Column> {
    let index = projection.schema.index_of_column(column).ok()?;
    match &projection.expr[index] {
        Expr::Column(input) if input.name == column.name => Some(input.clone()),
        _ => None,
    }
}

/// Whether `plan` filters its rows somewhere: only then is joining it early likely to
/// remove rows rather than only add columns to them.
fn is_filtered(plan: &LogicalPlan) -> bool {
    plan.exists(|node| {
        Ok(match node {
            LogicalPlan::Filter(_) => true,
            LogicalPlan::TableScan(scan) => !scan.filters.is_empty(),
            _ => false,
        })
    })
    .unwrap_or(false)
}

/// `plan`'s output columns, as expressions reading them.
fn columns_of(plan: &LogicalPlan) -> Vec<Expr> {
    plan.schema()
        .iter()
        .map(|(qualifier, field)| Expr::Column(Column::from((qualifier, field))))
        .collect()
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::common::tree_node::TreeNodeRecursion;
    use datafusion::physical_plan::collect;
    use datafusion::prelude::{SessionConfig, SessionContext};

    use super::*;
    use crate::session_defaults::default_session_config;
    use crate::test_support::{context_with_our_rules, physical_plan, run_statement};

    /// A TPC-H q21 in miniature: 2 000 line items over 40 suppliers in 5 nations and 200 of
    /// the 20 000 orders, half of them 'F'.
    async fn context(config: SessionConfig) -> SessionContext {
        let ctx = context_with_our_rules(config.with_target_partitions(2));
        for sql in [
            "CREATE TABLE nation AS SELECT value AS n_key, 'nation ' || value AS n_name \
             FROM generate_series(0, 4)",
            "CREATE TABLE supplier AS SELECT value AS s_key, value % 5 AS s_nation, \
             'supplier ' || value AS s_name FROM generate_series(0, 39)",
            "CREATE TABLE orders AS SELECT value AS o_key, \
             CASE WHEN value % 2 = 0 THEN 'F' ELSE 'O' END AS o_status \
             FROM generate_series(0, 19999)",
            "CREATE TABLE lineitem AS SELECT value % 200 AS l_order, value % 40 AS l_supp, \
             value AS l_number FROM generate_series(0, 1999)",
        ] {
            run_statement(&ctx, sql).await;
        }
        ctx
    }

    const Q21: &str = "SELECT s_name, count(*) AS numwait \
        FROM supplier, lineitem, orders, nation \
        WHERE s_key = l_supp AND o_key = l_order AND o_status = 'F' \
        AND s_nation = n_key AND n_name = 'nation 3' GROUP BY s_name";

    /// The optimized logical plan of `sql` after the rewrite, where a side is small when it
    /// reads only the tables `small`.
    async fn rewritten(sql: &str, small: &[&str]) -> String {
        let ctx = context(default_session_config()).await;
        let plan = ctx.sql(sql).await.unwrap().into_optimized_plan().unwrap();
        let estimate = |side: LogicalPlan| {
            let mut tables = Vec::new();
            side.apply(|node| {
                if let LogicalPlan::TableScan(scan) = node {
                    tables.push(scan.table_name.table().to_string());
                }
                Ok(TreeNodeRecursion::Continue)
            })
            .unwrap();
            let bytes = if tables.iter().all(|table| small.contains(&table.as_str())) {
                10
            } else {
                1_000_000
            };
            async move { Some(bytes) }
        };
        let plan = selective_joins_first(&plan, 1_000, estimate).await.unwrap();
        plan.display_indent().to_string()
    }

    /// Whether the join with `nation` runs below the one with `supplier`.
    fn moved(plan: &str) -> bool {
        depth_of(plan, "Inner Join: supplier.s_nation = nation.n_key")
            > depth_of(plan, "Inner Join: supplier.s_key = lineitem.l_supp")
    }

    /// The depth of the first line of `plan` containing `text`.
    fn depth_of(plan: &str, text: &str) -> usize {
        let line = plan
            .lines()
            .find(|line| line.contains(text))
            .unwrap_or_else(|| panic!("no {text} in {plan}"));
        line.len() - line.trim_start().len()
    }

    /// The depth of the join on the columns `a` and `b` in the plan column of an `EXPLAIN`.
    fn join_depth(explained: &str, a: &str, b: &str) -> usize {
        let line = explained
            .lines()
            .find(|line| {
                line.split_once("on=[").is_some_and(|(_, on)| {
                    let on = &on[..on.find(']').unwrap_or(on.len())];
                    on.contains(a) && on.contains(b)
                })
            })
            .unwrap_or_else(|| panic!("no join on {a} and {b} in {explained}"));
        let plan_column = line.splitn(3, '|').nth(2).unwrap_or(line);
        plan_column.len() - plan_column.trim_start().len()
    }

    async fn answer(config: SessionConfig, sql: &str) -> Vec<String> {
        let ctx = context(config).await;
        let batches = collect(physical_plan(&ctx, sql).await, ctx.task_ctx())
            .await
            .unwrap();
        let text = pretty_format_batches(&batches).unwrap().to_string();
        let mut rows: Vec<String> = text.lines().map(str::to_string).collect();
        rows.sort();
        rows
    }

    #[tokio::test]
    async fn a_filtered_small_side_joins_the_input_that_holds_its_keys() {
        let plan = rewritten(Q21, &["nation"]).await;
        assert!(moved(&plan), "{plan}");
    }

    #[tokio::test]
    async fn the_answer_and_columns_stay_the_same() {
        let sql = "SELECT * FROM supplier, lineitem, orders, nation \
            WHERE s_key = l_supp AND o_key = l_order AND o_status = 'F' \
            AND s_nation = n_key AND n_name = 'nation 3'";
        for sql in [Q21, sql] {
            let moved = answer(default_session_config(), sql).await;
            let mut off = default_session_config();
            off.options_mut()
                .set("ballista.optimizer.push_down_selective_joins", "false")
                .unwrap();
            assert_eq!(moved, answer(off, sql).await);
            assert!(moved.len() > 5, "{moved:?}");
        }
    }

    #[tokio::test]
    async fn the_session_plans_with_the_rewrite_unless_turned_off() {
        let explain = format!("EXPLAIN {Q21}");
        for (setting, moved) in [("true", true), ("false", false)] {
            let mut config = default_session_config();
            config
                .options_mut()
                .set("ballista.optimizer.push_down_selective_joins", setting)
                .unwrap();
            // Above the filtered `nation` (13 KiB in memory), below the filtered `orders`.
            config
                .options_mut()
                .set("ballista.optimizer.broadcast_join_threshold_bytes", "50000")
                .unwrap();
            let ctx = context(config).await;
            let plan = ctx.sql(&explain).await.unwrap().collect().await.unwrap();
            let text = pretty_format_batches(&plan).unwrap().to_string();
            let physical = &text[text.find("physical_plan").unwrap()..];
            let nation = join_depth(physical, "n_key@", "s_nation@");
            let supplier = join_depth(physical, "l_supp@", "s_key@");
            assert_eq!(supplier < nation, moved, "{physical}");
        }
    }

    #[tokio::test]
    async fn nothing_moves_when_the_side_is_large_unfiltered_or_bound_to_both_inputs() {
        let plan = rewritten(Q21, &[]).await;
        assert!(!moved(&plan), "too large: {plan}");
        let unfiltered = Q21.replace("AND n_name = 'nation 3'", "");
        let plan = rewritten(&unfiltered, &["nation"]).await;
        assert!(!moved(&plan), "unfiltered: {plan}");
        let small_orders = rewritten(Q21, &["nation", "lineitem", "orders"]).await;
        assert!(
            !moved(&small_orders),
            "below lineitem ⋈ σ orders, as small and filtered: {small_orders}"
        );
        let both = Q21.replace("s_nation = n_key", "s_nation = n_key AND l_number = n_key");
        let plan = rewritten(&both, &["nation"]).await;
        assert!(plan.contains("lineitem.l_number = nation.n_key"), "{plan}");
        assert!(
            depth_of(&plan, "nation.n_key") < depth_of(&plan, "supplier.s_key = lineitem.l_supp"),
            "keys from both inputs: {plan}"
        );
    }

    #[tokio::test]
    async fn outer_joins_and_joins_with_a_condition_keep_their_place() {
        let left = "SELECT s_name, n_name FROM (SELECT * FROM supplier LEFT JOIN lineitem \
            ON s_key = l_supp) AS sl JOIN nation ON s_nation = n_key AND n_name = 'nation 3'";
        let plan = rewritten(left, &["nation"]).await;
        assert!(
            depth_of(&plan, "nation.n_key") < depth_of(&plan, "Left Join"),
            "below a left join: {plan}"
        );
        // Moved, a condition would see rows the join beneath removes, and one failing on
        // them (a division by zero, say) would fail the query: it stays, whichever input
        // it reads.
        for condition in ["l_number < n_key * 1000", "s_key < n_key * 10"] {
            let sql = Q21.replace(
                "s_nation = n_key",
                &format!("s_nation = n_key AND {condition}"),
            );
            let plan = rewritten(&sql, &["nation"]).await;
            assert!(!moved(&plan), "{condition}: {plan}");
        }
    }

    /// TPC-H q18 in miniature: the orders whose line numbers add up to more than 10 000.
    const Q18: &str = "SELECT o_key, s_name, count(*) AS n FROM orders, lineitem, supplier \
        WHERE o_key = l_order AND s_key = l_supp \
        AND o_key IN (SELECT l_order FROM lineitem GROUP BY l_order HAVING sum(l_number) > 10000) \
        GROUP BY o_key, s_name";

    #[tokio::test]
    async fn a_filtered_semi_or_anti_join_filters_the_input_that_holds_its_keys_first() {
        for (sql, join) in [
            (Q18.to_string(), "LeftSemi Join"),
            (Q18.replace("o_key IN", "o_key NOT IN"), "LeftAnti Join"),
            (
                Q18.replace(
                    "o_key IN (SELECT l_order FROM lineitem",
                    "NOT EXISTS (SELECT 1 FROM lineitem AS l2 WHERE l2.l_order = o_key",
                )
                .replace(
                    "GROUP BY l_order HAVING sum(l_number) > 10000",
                    "AND l2.l_number < 10",
                ),
                "LeftAnti Join",
            ),
        ] {
            let plan = rewritten(&sql, &[]).await;
            let semi = depth_of(&plan, join);
            let lineitem = depth_of(&plan, "Inner Join: orders.o_key = lineitem.l_order");
            assert!(lineitem < semi, "{sql}: {plan}");
            let mut off = default_session_config();
            off.options_mut()
                .set("ballista.optimizer.push_down_selective_joins", "false")
                .unwrap();
            let answer_with = answer(default_session_config(), &sql).await;
            assert_eq!(answer_with, answer(off, &sql).await, "{sql}");
            assert!(answer_with.len() > 5, "{sql}: {answer_with:?}");
        }
    }

    #[tokio::test]
    async fn a_subquery_stays_above_a_join_that_filters_too() {
        let filtered = Q18.replace("s_key = l_supp", "s_key = l_supp AND s_name LIKE '%1%'");
        let plan = rewritten(&filtered, &[]).await;
        assert!(
            depth_of(&plan, "LeftSemi Join") < depth_of(&plan, "lineitem.l_supp = supplier.s_key"),
            "{plan}"
        );
    }

    #[tokio::test]
    async fn an_unfiltered_subquery_and_a_null_aware_not_in_keep_their_place() {
        let unfiltered = "SELECT o_key, s_name FROM orders, lineitem, supplier \
            WHERE o_key = l_order AND s_key = l_supp \
            AND EXISTS (SELECT 1 FROM lineitem AS l2 WHERE l2.l_order = o_key)";
        // One null in a NOT IN subquery empties the answer: DataFusion's null-aware join
        // stays as planned.
        let null_aware = "SELECT o_key, s_name FROM orders, lineitem, supplier \
            WHERE o_key = l_order AND s_key = l_supp \
            AND o_key NOT IN (SELECT nullif(l_order, 0) FROM lineitem WHERE l_number < 10)";
        for (sql, join) in [(unfiltered, "LeftSemi Join"), (null_aware, "null_aware")] {
            let plan = rewritten(sql, &[]).await;
            assert!(
                depth_of(&plan, join)
                    < depth_of(&plan, "Inner Join: orders.o_key = lineitem.l_order"),
                "{plan}"
            );
        }
    }
}
