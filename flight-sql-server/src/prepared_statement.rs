//! Prepared statements with stateless handles: the handle carries the SQL and the bound
//! parameters, so closing one only forgets remembered parameters and none can leak. Handles
//! are sealed for the session that prepared them: no other session can bind, run or close
//! them.
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
use crate::handle_seal::HandleSeal;
use crate::parameter_bindings::ParameterBindings;
use crate::parameters::{Placeholders, rewrite_question_marks};
use crate::query::{PlannedStatement, result_schema};
use crate::service::TrebuchetFlightService;
use crate::session::Session;
use crate::statement::{self, encode_bound_rows};

/// `CreatePreparedStatement`: plans (never runs) the statement and describes it.
pub(crate) async fn create(
    session: &Session,
    seal: &HandleSeal,
    request: ActionCreatePreparedStatementRequest,
) -> Result<ActionCreatePreparedStatementResult> {
    if request.transaction_id.is_some() {
        return Err(FlightSqlError::unsupported("transactions"));
    }
    let sql = rewrite_question_marks(&request.query);
    let plan = PlannedStatement::plan_unbound(session, &sql).await?;
    let parameter_schema = Placeholders::of(&plan)?.schema();
    let dataset_schema = result_schema(session, &plan).await;
    Ok(ActionCreatePreparedStatementResult {
        prepared_statement_handle: PreparedStatementHandle::prepare(sql).encode(seal, session),
        dataset_schema: schema_bytes(&dataset_schema)?,
        parameter_schema: schema_bytes(&parameter_schema)?,
    })
}

/// `DoPut(CommandPreparedStatementQuery)`: binds parameters by returning a new handle
/// that carries them (and remembers them for clients that keep the old handle).
pub(crate) fn bind(
    session: &Session,
    seal: &HandleSeal,
    bindings: &ParameterBindings,
    command: &CommandPreparedStatementQuery,
    batches: &[RecordBatch],
) -> Result<DoPutPreparedStatementResult> {
    let handle =
        PreparedStatementHandle::decode_handle(seal, session, &command.prepared_statement_handle)?;
    let parameters = encode_bound_rows(batches)?;
    let owner = session.user().unwrap_or_default();
    bindings.bind(owner, &handle.statement_id, parameters.clone())?;
    Ok(DoPutPreparedStatementResult {
        prepared_statement_handle: Some(handle.with_parameters(parameters).encode(seal, session)),
    })
}

/// `GetFlightInfo(CommandPreparedStatementQuery)`: executes with the bound parameters.
pub(crate) async fn flight_info(
    session: &Session,
    service: &TrebuchetFlightService,
    bindings: &ParameterBindings,
    handle: &[u8],
    descriptor: FlightDescriptor,
) -> Result<FlightInfo> {
    let handle = PreparedStatementHandle::decode_handle(service.seal(), session, handle)?;
    let parameters = bound_parameters(bindings, &handle);
    statement::flight_info(session, service, &handle.sql, &parameters, descriptor).await
}

/// `ClosePreparedStatement`: forgets remembered parameters. Another session's handle is
/// refused and nothing is forgotten. A handle that is not ours at all (one of a previous
/// server process, say) closes successfully: there is nothing to release, and a client
/// closing a statement should not fail over it.
pub(crate) fn close(
    session: &Session,
    seal: &HandleSeal,
    bindings: &ParameterBindings,
    handle: &[u8],
) -> Result<()> {
    match PreparedStatementHandle::decode_handle(seal, session, handle) {
        Ok(handle) => {
            bindings.forget(&handle.statement_id);
            Ok(())
        }
        Err(err @ FlightSqlError::NotOwner { .. }) => Err(err),
        Err(_) => Ok(()),
    }
}

/// `DoPut(CommandPreparedStatementUpdate)`: runs once per uploaded parameter row, or with
/// the parameters bound earlier when the upload has none (JDBC sends zero rows).
pub(crate) async fn update(
    session: &Session,
    seal: &HandleSeal,
    bindings: &ParameterBindings,
    handle: &[u8],
    batches: Vec<RecordBatch>,
) -> Result<i64> {
    let handle = PreparedStatementHandle::decode_handle(seal, session, handle)?;
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
