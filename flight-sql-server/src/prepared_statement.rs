//! Prepared statements with stateless handles: the handle carries the SQL and the bound
//! parameters, so closing one is a no-op and none can leak.
//!
//! The dataset schema is empty for statements that return no rows: that is how JDBC tells
//! an update from a query.

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use arrow::ipc::writer::IpcWriteOptions;
use arrow_flight::sql::{
    ActionCreatePreparedStatementRequest, ActionCreatePreparedStatementResult,
    CommandPreparedStatementQuery, DoPutPreparedStatementResult,
};
use arrow_flight::{FlightDescriptor, FlightInfo, IpcMessage, SchemaAsIpc};

use crate::error::{FlightSqlError, Result};
use crate::handle::{PreparedStatementHandle, decode_parameters};
use crate::parameter_bindings::ParameterBindings;
use crate::parameters::{Placeholders, rewrite_question_marks};
use crate::query::{PlannedStatement, result_schema};
use crate::session::Session;
use crate::statement::{self, encode_bound_rows};

/// `CreatePreparedStatement`: plans (never runs) the statement and describes it.
pub(crate) async fn create(
    session: &Session,
    request: ActionCreatePreparedStatementRequest,
) -> Result<ActionCreatePreparedStatementResult> {
    if request.transaction_id.is_some() {
        return Err(FlightSqlError::unsupported("transactions"));
    }
    let sql = rewrite_question_marks(&request.query);
    let plan = PlannedStatement::plan_unbound(session, &sql).await?;
    let parameter_schema = Placeholders::of(&plan)?.schema();
    let dataset_schema = result_schema(&plan);
    Ok(ActionCreatePreparedStatementResult {
        prepared_statement_handle: PreparedStatementHandle::prepare(sql).encode(),
        dataset_schema: schema_bytes(&dataset_schema)?,
        parameter_schema: schema_bytes(&parameter_schema)?,
    })
}

/// `DoPut(CommandPreparedStatementQuery)`: binds parameters by returning a new handle
/// that carries them (and remembers them for clients that keep the old handle).
pub(crate) fn bind(
    bindings: &ParameterBindings,
    command: &CommandPreparedStatementQuery,
    batches: &[RecordBatch],
) -> Result<DoPutPreparedStatementResult> {
    let handle = PreparedStatementHandle::decode_handle(&command.prepared_statement_handle)?;
    let parameters = encode_bound_rows(batches)?;
    bindings.bind(&handle.statement_id, parameters.clone());
    Ok(DoPutPreparedStatementResult {
        prepared_statement_handle: Some(handle.with_parameters(parameters).encode()),
    })
}

/// `GetFlightInfo(CommandPreparedStatementQuery)`: executes with the bound parameters.
pub(crate) async fn flight_info(
    session: &Session,
    engine: &dyn trebuchet_cluster::QueryEngine,
    bindings: &ParameterBindings,
    handle: &[u8],
    descriptor: FlightDescriptor,
) -> Result<FlightInfo> {
    let handle = PreparedStatementHandle::decode_handle(handle)?;
    let parameters = bound_parameters(bindings, &handle);
    statement::flight_info(session, engine, &handle.sql, &parameters, descriptor).await
}

/// `ClosePreparedStatement`: forgets remembered parameters. Always succeeds, even for
/// handles that are not ours: there is nothing else to release.
pub(crate) fn close(bindings: &ParameterBindings, handle: &[u8]) {
    if let Ok(handle) = PreparedStatementHandle::decode_handle(handle) {
        bindings.forget(&handle.statement_id);
    }
}

/// `DoPut(CommandPreparedStatementUpdate)`: runs once per uploaded parameter row, or with
/// the parameters bound earlier when the upload has none (JDBC sends zero rows).
pub(crate) async fn update(
    session: &Session,
    bindings: &ParameterBindings,
    handle: &[u8],
    batches: Vec<RecordBatch>,
) -> Result<i64> {
    let handle = PreparedStatementHandle::decode_handle(handle)?;
    let uploaded_rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let parameters = if uploaded_rows > 0 {
        batches
    } else {
        decode_parameters(&bound_parameters(bindings, &handle))?
            .into_iter()
            .collect()
    };
    statement::update(session, &handle.sql, &parameters).await
}

/// The parameters to run with: those the handle carries, else the last ones bound to
/// its statement (for clients that keep the prepare-time handle).
fn bound_parameters(bindings: &ParameterBindings, handle: &PreparedStatementHandle) -> Vec<u8> {
    if handle.parameters.is_empty() {
        bindings.get(&handle.statement_id).unwrap_or_default()
    } else {
        handle.parameters.clone()
    }
}

fn schema_bytes(schema: &Schema) -> Result<bytes::Bytes> {
    let message: IpcMessage = SchemaAsIpc::new(schema, &IpcWriteOptions::default()).try_into()?;
    Ok(message.0)
}
