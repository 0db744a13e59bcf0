//! SQL text to result: plan in the caller's session, bind parameters, then either run a
//! command (DDL, DML, SET) or hand a query's physical plan to the [`QueryEngine`].
//!
//! Planning never has side effects: `SET`, DDL and `INSERT` take effect only when
//! [`PlannedStatement::run_command`] runs, because JDBC and ADBC prepare every statement.
//!
//! Parsing, planning, the engine's own work and the polling of streamed results run on
//! the planning runtime (`trebuchet_cluster::on_planning_stack`), whose stacks are deep
//! enough for any plan within the [`statement_limits`](crate::statement_limits). A
//! statement over those limits never leaves it; physical plans reach a handler only inside
//! a [`DeepPlan`], which sends them back there to be dropped; the logical plan a
//! [`PlannedStatement`] keeps is within the limits, so dropping it is shallow anywhere.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray, UInt64Array};
use arrow::datatypes::{Schema, SchemaRef};
use datafusion::error::DataFusionError;
use datafusion::execution::session_state::SessionState;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{LogicalPlan, Statement};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use trebuchet_cluster::scheduler::JobLabel;
use trebuchet_cluster::{
    DeepPlan, QueryEngine, on_planning_stack, reset_session_option, stream_on_planning_stack,
};

use crate::catalog_journal::{CatalogChange, with_statement_text};
use crate::error::{FlightSqlError, Result};
use crate::file_access::FileAccess;
use crate::object_store_statements::{StoreSetup, prepare_object_stores};
use crate::parameters::Placeholders;
use crate::result_schema::{egress_schema, to_egress_batch};
use crate::session::Session;
use crate::statement_limits;
use crate::system_tables::refuse_system_changes;

/// A statement planned in a session, with its parameters bound.
#[derive(Debug)]
pub(crate) struct PlannedStatement {
    plan: LogicalPlan,
    /// Who runs it and its text, for the operator's views of the job it becomes.
    label: JobLabel,
    /// A query's physical plan, made once: its schema is the type of the rows the query
    /// returns, which the logical plan does not always know (DataFusion decides some
    /// output types, such as `round(decimal, 2)`'s, only when planning physically).
    physical: Option<PhysicalQuery>,
    /// The wire schema of its results, decided once.
    schema: SchemaRef,
}

/// What [`PlannedStatement::complete`] did with a query.
#[derive(Debug)]
pub(crate) enum Completion {
    /// The query runs; one token per result partition.
    Started(Vec<bytes::Bytes>),
    /// The query runs when its ticket is redeemed, from this plan (boxed: a plan is large).
    Deferred(Box<PlannedStatement>),
}

/// A query planned physically, with the context it runs in.
#[derive(Debug)]
struct PhysicalQuery {
    plan: DeepPlan<Arc<dyn ExecutionPlan>>,
    task_ctx: Arc<TaskContext>,
}

impl PlannedStatement {
    /// Plans `sql`, binding row `row` of `parameters` if given.
    pub(crate) async fn plan(
        session: &Session,
        sql: &str,
        parameters: Option<(&RecordBatch, usize)>,
    ) -> Result<Self> {
        let label = JobLabel {
            user: session.user().map(str::to_string),
            sql: sql.to_string(),
        };
        let plan = Self::plan_unbound(session, sql).await?.into_inner();
        let plan = with_statement_text(plan, sql);
        let plan = match plan {
            // SQL `PREPARE` keeps its placeholders for `EXECUTE` to bind.
            LogicalPlan::Statement(Statement::Prepare(_)) => {
                let schema = Arc::new(Schema::empty());
                return Ok(Self {
                    plan,
                    label,
                    physical: None,
                    schema,
                });
            }
            // SQL `EXECUTE` runs what `PREPARE` stored in the session, bound as DataFusion
            // binds it (its errors are DataFusion's own).
            LogicalPlan::Statement(Statement::Execute(_)) => session
                .ctx()
                .execute_logical_plan(plan)
                .await?
                .into_unoptimized_plan(),
            plan => plan,
        };
        let placeholders = Placeholders::of(&plan)?;
        let plan = match parameters {
            Some((batch, row)) => placeholders.bind(plan, batch, row)?,
            None if placeholders.is_empty() => plan,
            None => {
                return Err(FlightSqlError::bind_parameters(format!(
                    "the statement has {} parameter(s) but no values were bound",
                    placeholders.schema().fields().len()
                )));
            }
        };
        // A query can write files too (`EXPLAIN ANALYZE COPY …` runs the COPY), and it runs
        // without `run_command`: its paths are checked here, once bound.
        let plan = if returns_rows(&plan) {
            FileAccess::of(session.ctx()).check_plan(&plan, session.user())?;
            prepare_object_stores(plan, session.ctx(), session.user(), StoreSetup::StripOnly)?
        } else {
            plan
        };
        if !returns_rows(&plan) || matches!(plan, LogicalPlan::Explain(_)) {
            let schema = result_schema(session, &plan).await;
            return Ok(Self {
                plan,
                label,
                physical: None,
                schema,
            });
        }
        let state = session.ctx().state();
        let logical = plan.clone();
        let job_label = label.clone();
        let physical = on_planning_stack(async move {
            let plan = DeepPlan::new(state.create_physical_plan(&logical).await?);
            let task_ctx = labelled_task_context(&state, job_label);
            Ok::<_, DataFusionError>(PhysicalQuery { plan, task_ctx })
        })
        .await??;
        let schema = egress_schema(&physical.plan.schema());
        Ok(Self {
            plan,
            label,
            physical: Some(physical),
            schema,
        })
    }

    /// Plans `sql` leaving its placeholders open, as a prepare does. A statement over the
    /// [`statement_limits`] is refused before the passes whose cost it would blow up.
    pub(crate) async fn plan_unbound(
        session: &Session,
        sql: &str,
    ) -> Result<DeepPlan<LogicalPlan>> {
        let mut state = session.ctx().state();
        let sql = sql.to_owned();
        let planned = on_planning_stack(async move {
            let statement = statement_limits::parse(&mut state, &sql)?;
            let plan = state.statement_to_plan(statement).await?;
            statement_limits::check_plan(&plan)?;
            Ok::<_, DataFusionError>(DeepPlan::new(plan))
        })
        .await??;
        Ok(planned)
    }

    /// Whether the statement produces rows (a query) rather than an effect (a command).
    pub(crate) fn returns_rows(&self) -> bool {
        returns_rows(&self.plan)
    }

    /// The schema the results are sent with; empty for commands.
    pub(crate) fn result_schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    /// Runs a command and returns the number of rows it affected (0 when not applicable).
    /// Paths and runtime keys it names are checked against the session's file policy first,
    /// and a change to the read-only `system` schema is refused.
    pub(crate) async fn run_command(self, session: &Session) -> Result<i64> {
        refuse_system_changes(&self.plan, &session.ctx().state())?;
        FileAccess::of(session.ctx()).check_plan(&self.plan, session.user())?;
        if let LogicalPlan::Statement(Statement::ResetVariable(reset)) = &self.plan {
            let state = session.ctx().state_ref();
            let mut state = state.write();
            reset_session_option(&mut state, &reset.variable)?;
            return Ok(0);
        }
        // On the planning runtime, as queries are planned: a command (CREATE TABLE AS, COPY)
        // plans and optimizes its query just as deeply.
        let ctx = session.ctx().clone();
        let change = CatalogChange::of(&self.plan, session.ctx(), session.user());
        let plan = prepare_object_stores(
            self.plan,
            session.ctx(),
            session.user(),
            StoreSetup::Configure,
        )?;
        let run =
            on_planning_stack(async move { ctx.execute_logical_plan(plan).await?.collect().await });
        // As for queries: closing the session stops a command still running in it.
        let batches = tokio::select! {
            batches = run => batches??,
            () = session.closing() => return Err(FlightSqlError::SessionClosed),
        };
        change.record()?;
        Ok(affected_rows(&batches))
    }

    /// Starts a query on `engine`, its result partitions to be read one by one as they are
    /// produced; [`Completion::Deferred`] with the statement itself when the engine streams
    /// results instead (or for `EXPLAIN`), to be run when its ticket is redeemed.
    pub(crate) async fn complete(
        self,
        session: &Session,
        engine: &dyn QueryEngine,
    ) -> Result<Completion> {
        let Some(query) = &self.physical else {
            return Ok(Completion::Deferred(Box::new(self)));
        };
        let (plan, task_ctx) = (Arc::clone(&*query.plan), Arc::clone(&query.task_ctx));
        // The engine's future does all its work (stages, encoding) on the planning runtime
        // too. Closing the session stops its running query: the job is cancelled as the
        // engine's future is dropped.
        let started = on_planning_stack(engine.complete(plan, task_ctx));
        let completed = tokio::select! {
            completed = started => completed??,
            () = session.closing() => return Err(FlightSqlError::SessionClosed),
        };
        Ok(match completed {
            Some(tokens) => Completion::Started(tokens),
            None => Completion::Deferred(Box::new(self)),
        })
    }

    /// Starts a query on `engine`; batches arrive already in the wire schema.
    pub(crate) async fn stream(
        self,
        session: &Session,
        engine: &dyn QueryEngine,
    ) -> Result<SendableRecordBatchStream> {
        let schema = self.result_schema();
        let state = session.ctx().state();
        let config = state.config().clone();
        let (physical, explained, task_ctx) = match self.physical {
            Some(query) => (query.plan, None, query.task_ctx),
            None => {
                // EXPLAIN: its own plan, and the plan it explains for the stage layout.
                let plan = self.plan;
                let label = self.label;
                on_planning_stack(async move {
                    let explained = match &plan {
                        LogicalPlan::Explain(explain) => Some(DeepPlan::new(
                            state.create_physical_plan(&explain.plan).await?,
                        )),
                        _ => None,
                    };
                    let physical = DeepPlan::new(state.create_physical_plan(&plan).await?);
                    let task_ctx = labelled_task_context(&state, label);
                    Ok::<_, DataFusionError>((physical, explained, task_ctx))
                })
                .await??
            }
        };
        let distributed_plan = match explained {
            Some(inner) => on_planning_stack(engine.explain(inner.into_inner(), &config)).await??,
            None => None,
        };
        // The engine starts the query, and its stream is polled, on the planning runtime. As
        // in `complete`: closing the session stops a query still running in it.
        let started = stream_on_planning_stack(engine.execute(physical.into_inner(), task_ctx));
        let batches = tokio::select! {
            batches = started => batches?,
            () = session.closing() => return Err(FlightSqlError::SessionClosed),
        };
        let converted = to_wire(session.bind(batches), Arc::clone(&schema));
        let stages_row =
            distributed_plan.map(|text| explain_row(&schema, &text).map_err(DataFusionError::from));
        let with_stages = converted.chain(futures::stream::iter(stages_row));
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, with_stages)))
    }
}

/// `batches` cast to the wire schema, batch by batch.
pub(crate) fn to_wire(
    batches: SendableRecordBatchStream,
    wire_schema: SchemaRef,
) -> SendableRecordBatchStream {
    let schema = Arc::clone(&wire_schema);
    let converted = batches.map(move |batch| {
        batch.and_then(|batch| to_egress_batch(&batch, &wire_schema).map_err(DataFusionError::from))
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, converted))
}

/// Whether a plan produces rows; DDL, DML, `COPY` and `SET`-like statements do not
/// (SQL `EXECUTE` of a prepared query does).
pub(crate) fn returns_rows(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Statement(Statement::Execute(_)) => true,
        LogicalPlan::Ddl(_)
        | LogicalPlan::Dml(_)
        | LogicalPlan::Copy(_)
        | LogicalPlan::Statement(_) => false,
        _ => true,
    }
}

/// The wire schema of a plan's results; empty for commands, which JDBC reads as "update".
///
/// Taken from the plan as DataFusion's analyzer leaves it, because only the analyzer
/// coerces a UNION's inputs to a common type: before it, the plan claims its first input's
/// types (`SELECT 1 UNION ALL SELECT 2.5` an integer), and casting the results to that
/// would change them. A plan the analyzer refuses keeps its own schema; running it reports
/// the error.
pub(crate) async fn result_schema(session: &Session, plan: &LogicalPlan) -> SchemaRef {
    if !returns_rows(plan) {
        return Arc::new(Schema::empty());
    }
    let state = session.ctx().state();
    let unanalyzed = plan.clone();
    let analyzed = on_planning_stack(async move {
        let analyzed =
            state
                .analyzer()
                .execute_and_check(unanalyzed, state.config_options(), |_, _| {});
        analyzed.map(|plan| Arc::clone(plan.schema()))
    })
    .await;
    match analyzed {
        Ok(Ok(schema)) => egress_schema(schema.as_arrow()),
        _ => egress_schema(plan.schema().as_arrow()),
    }
}

/// The `distributed_plan` row `EXPLAIN` adds after DataFusion's own rows.
fn explain_row(schema: &SchemaRef, stages: &str) -> Result<RecordBatch, arrow::error::ArrowError> {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["distributed_plan"])),
        Arc::new(StringArray::from(vec![stages])),
    ];
    RecordBatch::try_new(Arc::clone(schema), columns)
}

/// The rows a command affected: DML reports them in a single `count` column.
pub(crate) fn affected_rows(batches: &[RecordBatch]) -> i64 {
    batches
        .iter()
        .filter(|batch| batch.num_columns() == 1 && batch.schema().field(0).name() == "count")
        .filter_map(|batch| batch.column(0).as_any().downcast_ref::<UInt64Array>())
        .flat_map(|counts| counts.iter().flatten())
        .map(|count| i64::try_from(count).unwrap_or(i64::MAX))
        .sum()
}

/// The context a query runs in, carrying its [`JobLabel`] to the engine.
fn labelled_task_context(state: &SessionState, label: JobLabel) -> Arc<TaskContext> {
    let config = state.config().clone().with_extension(Arc::new(label));
    Arc::new(TaskContext::from(state).with_session_config(config))
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;
    use trebuchet_cluster::LocalEngine;

    use super::*;
    use crate::session::test_session as session;

    async fn run(session: &Session, sql: &str) -> i64 {
        PlannedStatement::plan(session, sql, None)
            .await
            .unwrap()
            .run_command(session)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn planning_has_no_side_effects() {
        let session = session();
        let statement = PlannedStatement::plan(&session, "CREATE TABLE t (a INT)", None)
            .await
            .unwrap();
        assert!(!statement.returns_rows());
        assert!(statement.result_schema().fields().is_empty());
        assert!(!session.ctx().table_exist("t").unwrap());
        statement.run_command(&session).await.unwrap();
        assert!(session.ctx().table_exist("t").unwrap());
    }

    #[tokio::test]
    async fn inserts_report_affected_rows() {
        let session = session();
        run(&session, "CREATE TABLE t (a INT)").await;
        assert_eq!(run(&session, "INSERT INTO t VALUES (1), (2), (3)").await, 3);
    }

    #[tokio::test]
    async fn reset_restores_trebuchet_defaults() {
        let session = session();
        run(&session, "SET datafusion.execution.target_partitions = 3").await;
        assert_eq!(session.ctx().state().config().target_partitions(), 3);
        run(&session, "RESET datafusion.execution.target_partitions").await;
        assert_eq!(session.ctx().state().config().target_partitions(), 16);
    }

    #[tokio::test]
    async fn queries_stream_in_the_wire_schema() {
        let session = session();
        let statement =
            PlannedStatement::plan(&session, "SELECT arrow_cast('a', 'Utf8View') AS s", None)
                .await
                .unwrap();
        let schema = statement.result_schema();
        assert_eq!(
            schema.field(0).data_type(),
            &arrow::datatypes::DataType::Utf8
        );
        let batches: Vec<_> = statement
            .stream(&session, &LocalEngine)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(batches[0].schema(), schema);
    }
}
