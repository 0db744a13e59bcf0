//! Flight SQL metadata commands, answered from the shared catalog with arrow-flight's
//! builders so every result has exactly the schema the spec (and the drivers) expect.
//!
//! Every metadata `FlightInfo` has one endpoint whose ticket is the command itself,
//! `Any`-encoded, so `DoGet` routes it back to the matching builder.

mod catalog_objects;
mod foreign_keys;
mod sql_info;
mod xdbc_type_info;

pub(crate) use catalog_objects::{catalogs, db_schemas, table_types, tables};
pub(crate) use foreign_keys::{foreign_keys_schema, primary_keys_schema};
pub(crate) use sql_info::sql_info_data;
pub(crate) use xdbc_type_info::xdbc_type_info_data;

use arrow::datatypes::Schema;
use arrow_flight::sql::ProstMessageExt;
use arrow_flight::{FlightDescriptor, FlightEndpoint, FlightInfo, Ticket};
use prost::Message;

use crate::error::Result;

/// The `FlightInfo` of a metadata command: its schema and one ticket naming the command.
pub(crate) fn flight_info<C: ProstMessageExt>(
    command: &C,
    schema: &Schema,
    descriptor: FlightDescriptor,
) -> Result<FlightInfo> {
    let ticket = Ticket::new(command.as_any().encode_to_vec());
    Ok(FlightInfo::new()
        .try_with_schema(schema)?
        .with_endpoint(FlightEndpoint::new().with_ticket(ticket))
        .with_descriptor(descriptor)
        .with_total_records(-1))
}
