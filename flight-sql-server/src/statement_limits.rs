//! How large and how deep a statement may be, checked before the expensive passes.
//!
//! Planning recurses over the statement: the SQL planner, DataFusion's analyzer and
//! optimizer, the codec, and `Drop`. Everything runs on the planning runtime's deep stack
//! (`trebuchet_cluster::on_planning_stack`); these limits keep every statement far from
//! that stack's end, and keep planning time reasonable (the optimizer's cost grows faster
//! than the number of joins). A statement over a limit is refused with a plan error
//! (`INVALID_ARGUMENT`) that names the limit:
//!
//! - at most [`MAX_STATEMENT_BYTES`] of SQL, which bounds how deep the parser's loops can
//!   nest an expression (`1+1+…`), and so what dropping the syntax tree costs;
//! - in the syntax tree, before it is planned: at most [`MAX_NESTING`] levels of nested
//!   expressions, set operations, CTEs and subqueries, and at most [`MAX_JOINS`] joins;
//! - in the logical plan: at most [`MAX_NESTING`] levels of operators and the expressions
//!   within them, and at most [`MAX_JOINS`] joins and subqueries (views can add both).
//!
//! Each walk stops as soon as a limit is passed, so none goes deeper than the limit.

use std::ops::ControlFlow;

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::sql::parser::{CopyToSource, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, Query, Select, SetExpr, TableFactor, Visit, Visitor,
};

/// Most bytes of SQL in one statement (1 MiB, as Snowflake allows).
pub(crate) const MAX_STATEMENT_BYTES: usize = 1024 * 1024;

/// Most levels a statement may nest: each operator of an expression chain (`a + b + …`,
/// `x = 1 OR x = 2 OR …`), each set operation, CTE, subquery and plan operator is one.
pub(crate) const MAX_NESTING: usize = 1_000;

/// Most joins (and subqueries, which become joins) in one statement.
pub(crate) const MAX_JOINS: usize = 100;

/// Parses `sql` in `state`'s dialect, refusing a statement over the limits. The session's
/// parser recursion limit applies, but never above [`MAX_NESTING`].
pub(crate) fn parse(state: &mut SessionState, sql: &str) -> Result<DFStatement> {
    if sql.len() > MAX_STATEMENT_BYTES {
        return Err(DataFusionError::Plan(format!(
            "the statement is {} bytes long; at most {MAX_STATEMENT_BYTES} bytes (1 MiB) are \
             accepted",
            sql.len()
        )));
    }
    let options = state.config_mut().options_mut();
    if options.sql_parser.recursion_limit.get() > MAX_NESTING {
        options.sql_parser.recursion_limit =
            datafusion::common::config::ConfigNonZeroUsize::try_new(MAX_NESTING)?;
    }
    let dialect = state.config().options().sql_parser.dialect;
    let statement = state.sql_to_statement(sql, &dialect)?;
    check_statement(&statement)?;
    Ok(statement)
}

/// Refuses a syntax tree nesting deeper than [`MAX_NESTING`] or joining more than
/// [`MAX_JOINS`] times.
fn check_statement(statement: &DFStatement) -> Result<()> {
    let mut limits = SyntaxLimits::default();
    let mut current = statement;
    let outcome = loop {
        match current {
            DFStatement::Statement(statement) => break statement.visit(&mut limits),
            DFStatement::CreateExternalTable(create) => {
                if let ControlFlow::Break(err) = create.columns.visit(&mut limits) {
                    break ControlFlow::Break(err);
                }
                break create.order_exprs.visit(&mut limits);
            }
            DFStatement::CopyTo(copy) => match &copy.source {
                CopyToSource::Query(query) => break query.visit(&mut limits),
                CopyToSource::Relation(_) => break ControlFlow::Continue(()),
            },
            DFStatement::Explain(explain) => {
                if let ControlFlow::Break(err) = limits.enter(1) {
                    break ControlFlow::Break(err);
                }
                current = &explain.statement;
            }
            DFStatement::Reset(_) => break ControlFlow::Continue(()),
        }
    };
    match outcome {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(err) => Err(err),
    }
}

/// Counts, while sqlparser walks a syntax tree, how deep it is and how many joins it has;
/// breaks the walk as soon as either is over its limit.
#[derive(Debug, Default)]
struct SyntaxLimits {
    /// Levels entered and not yet left.
    depth: usize,
    /// What each query entered added to `depth`, to remove when it is left.
    query_levels: Vec<usize>,
    joins: usize,
}

impl SyntaxLimits {
    fn enter(&mut self, levels: usize) -> ControlFlow<DataFusionError> {
        self.depth += levels;
        if self.depth > MAX_NESTING {
            return ControlFlow::Break(too_deep());
        }
        ControlFlow::Continue(())
    }

    fn join(&mut self, joins: usize) -> ControlFlow<DataFusionError> {
        self.joins += joins;
        if self.joins > MAX_JOINS {
            return ControlFlow::Break(too_many_joins());
        }
        ControlFlow::Continue(())
    }
}

impl Visitor for SyntaxLimits {
    type Break = DataFusionError;

    /// A query's set operations and CTEs nest its plan without nesting the syntax tree as
    /// deep (the parser builds `UNION` chains in a loop), so they count when it is entered,
    /// before the walk descends into a chain that may be thousands long.
    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Self::Break> {
        let ctes = query.with.as_ref().map_or(0, |with| with.cte_tables.len());
        let levels = 1 + ctes + set_operation_depth(&query.body);
        self.query_levels.push(levels);
        self.enter(levels)
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<Self::Break> {
        let levels = self.query_levels.pop().unwrap_or(0);
        self.depth = self.depth.saturating_sub(levels);
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<Self::Break> {
        // `FROM a, b` joins as much as `FROM a JOIN b`.
        let joins = select
            .from
            .iter()
            .map(|from| from.joins.len())
            .sum::<usize>()
            + select.from.len().saturating_sub(1);
        self.join(joins)
    }

    fn pre_visit_table_factor(&mut self, table_factor: &TableFactor) -> ControlFlow<Self::Break> {
        match table_factor {
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => self.join(table_with_joins.joins.len()),
            _ => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_expr(&mut self, _expr: &SqlExpr) -> ControlFlow<Self::Break> {
        self.enter(1)
    }

    fn post_visit_expr(&mut self, _expr: &SqlExpr) -> ControlFlow<Self::Break> {
        self.depth = self.depth.saturating_sub(1);
        ControlFlow::Continue(())
    }
}

/// The longest chain of set operations in `body`, walked without recursion (a chain is
/// as long as the statement allows). Parenthesized queries count when they are visited.
fn set_operation_depth(body: &SetExpr) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(body, 0)];
    while let Some((set_expr, depth)) = pending.pop() {
        match set_expr {
            SetExpr::SetOperation { left, right, .. } => {
                pending.push((left, depth + 1));
                pending.push((right, depth + 1));
            }
            _ => deepest = deepest.max(depth),
        }
    }
    deepest
}

/// Refuses a logical plan nesting deeper than [`MAX_NESTING`] (operators and the
/// expressions in them) or with more than [`MAX_JOINS`] joins and subqueries.
pub(crate) fn check_plan(plan: &LogicalPlan) -> Result<()> {
    PlanLimits::default().plan(plan, 1)
}

#[derive(Debug, Default)]
struct PlanLimits {
    joins: usize,
}

impl PlanLimits {
    fn plan(&mut self, plan: &LogicalPlan, depth: usize) -> Result<()> {
        if depth > MAX_NESTING {
            return Err(too_deep());
        }
        if matches!(plan, LogicalPlan::Join(_)) {
            self.join()?;
        }
        plan.apply_expressions(|expr| {
            self.expr(expr, depth + 1)?;
            Ok(TreeNodeRecursion::Continue)
        })?;
        for input in plan.inputs() {
            self.plan(input, depth + 1)?;
        }
        Ok(())
    }

    fn expr(&mut self, expr: &Expr, depth: usize) -> Result<()> {
        if depth > MAX_NESTING {
            return Err(too_deep());
        }
        let subquery = match expr {
            Expr::ScalarSubquery(subquery) => Some(&subquery.subquery),
            Expr::Exists(exists) => Some(&exists.subquery.subquery),
            Expr::InSubquery(in_subquery) => Some(&in_subquery.subquery.subquery),
            _ => None,
        };
        if let Some(subquery) = subquery {
            self.join()?;
            self.plan(subquery, depth + 1)?;
        }
        expr.apply_children(|child| {
            self.expr(child, depth + 1)?;
            Ok(TreeNodeRecursion::Continue)
        })?;
        Ok(())
    }

    fn join(&mut self) -> Result<()> {
        self.joins += 1;
        if self.joins > MAX_JOINS {
            return Err(too_many_joins());
        }
        Ok(())
    }
}

fn too_deep() -> DataFusionError {
    DataFusionError::Plan(format!(
        "the statement nests more than {MAX_NESTING} levels deep (each operator of an \
         expression chain such as a + b + … or x = 1 OR x = 2 OR …, each set operation, CTE, \
         subquery and plan operator is a level); write long OR chains as IN (…) and split \
         long chains of UNION or CTEs"
    ))
}

fn too_many_joins() -> DataFusionError {
    DataFusionError::Plan(format!(
        "the statement has more than {MAX_JOINS} joins (subqueries count as joins); split it \
         into smaller statements"
    ))
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    use super::*;

    /// Runs `check` where a statement at the limit fits, as the server does.
    fn on_planning_stack<T: Send + 'static>(check: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(trebuchet_cluster::PLANNING_STACK_BYTES)
            .spawn(check)
            .unwrap()
            .join()
            .unwrap()
    }

    fn state() -> SessionState {
        SessionContext::new_with_config(trebuchet_cluster::default_session_config()).state()
    }

    fn repeat(terms: usize, term: &str, separator: &str) -> String {
        vec![term; terms].join(separator)
    }

    fn parses(sql: String) -> Result<()> {
        on_planning_stack(move || parse(&mut state(), &sql).map(drop))
    }

    fn refusal(sql: String) -> String {
        parses(sql).unwrap_err().to_string()
    }

    #[test]
    fn statements_within_the_limits_parse() {
        for sql in [
            format!("SELECT {}", repeat(MAX_NESTING - 2, "1", " + ")),
            repeat(MAX_NESTING - 1, "SELECT 1", " UNION ALL "),
            format!("SELECT 1 WHERE 1 IN ({})", repeat(100_000, "1", ",")),
        ] {
            parses(sql).unwrap();
        }
    }

    #[test]
    fn long_chains_are_refused_before_planning() {
        for sql in [
            format!("SELECT {}", repeat(MAX_NESTING + 1, "1", " + ")),
            format!(
                "SELECT 1 WHERE {}",
                repeat(MAX_NESTING + 1, "1 = 1", " OR ")
            ),
            repeat(MAX_NESTING + 1, "SELECT 1", " UNION ALL "),
        ] {
            let start = sql[..40].to_string();
            assert!(refusal(sql).contains("more than 1000 levels"), "{start}");
        }
    }

    #[test]
    fn ctes_and_joins_count() {
        let mut ctes = String::from("WITH c0 AS (SELECT 1 AS x)");
        for n in 1..=MAX_NESTING {
            ctes.push_str(&format!(", c{n} AS (SELECT x FROM c{})", n - 1));
        }
        ctes.push_str(" SELECT * FROM c0");
        assert!(refusal(ctes).contains("more than 1000 levels"));

        let mut joins = String::from("SELECT * FROM t t0");
        for n in 1..=MAX_JOINS + 1 {
            joins.push_str(&format!(" JOIN t t{n} ON t{}.k = t{n}.k", n - 1));
        }
        assert!(refusal(joins).contains("more than 100 joins"));
        let commas = format!("SELECT * FROM {}", repeat(MAX_JOINS + 2, "t", ", "));
        assert!(refusal(commas).contains("more than 100 joins"));
    }

    #[test]
    fn oversized_statements_are_refused_unparsed() {
        let sql = format!("SELECT '{}'", "x".repeat(MAX_STATEMENT_BYTES));
        assert!(refusal(sql).contains("at most 1048576 bytes"));
    }

    #[test]
    fn a_session_cannot_raise_the_parser_limit_past_the_nesting_limit() {
        let err = on_planning_stack(|| {
            let mut state = state();
            state
                .config_mut()
                .options_mut()
                .set("datafusion.sql_parser.recursion_limit", "100000")
                .unwrap();
            let nested = format!("SELECT {}1{}", "(".repeat(5_000), ")".repeat(5_000));
            parse(&mut state, &nested).unwrap_err().to_string()
        });
        assert!(err.contains("RecursionLimitExceeded"), "{err}");
    }

    #[test]
    fn plans_deeper_than_the_limit_are_refused() {
        let deep = format!("SELECT {} AS x", repeat(MAX_NESTING - 4, "1", " + "));
        let checked = |sql: String| {
            on_planning_stack(move || {
                let plan = futures::executor::block_on(state().create_logical_plan(&sql))?;
                check_plan(&plan)
            })
        };
        checked(deep.clone()).unwrap();
        // Subqueries around it nest the plan without nesting the expression.
        let wrapped = format!("SELECT x FROM (SELECT x FROM ({deep}) WHERE x > 0) WHERE x > 1");
        let err = checked(wrapped).unwrap_err();
        assert!(err.to_string().contains("more than 1000 levels"), "{err}");
    }
}
