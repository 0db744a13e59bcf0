//! Starts Trebuchet in-process, connects with the Rust Flight SQL client, runs a TPC-H
//! query with a parameter, and prints the result.

use std::error::Error;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use arrow::util::pretty::pretty_format_batches;
use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::TryStreamExt;
use tonic::transport::Endpoint;
use trebuchet_examples::EmbeddedServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let server = EmbeddedServer::start(0.01).await?;
    let channel = Endpoint::from_shared(format!("http://{}", server.addr))?
        .connect()
        .await?;
    let mut client = FlightSqlServiceClient::new(channel);

    let mut statement = client
        .prepare(
            "SELECT n_name, count(*) AS customers FROM customer JOIN nation ON c_nationkey = n_nationkey \
             WHERE n_regionkey = ? GROUP BY n_name ORDER BY customers DESC"
                .to_string(),
            None,
        )
        .await?;
    let region: ArrayRef = Arc::new(Int64Array::from(vec![1]));
    statement.set_parameters(RecordBatch::try_from_iter([("region", region)])?)?;
    let info = statement.execute().await?;

    let mut batches = Vec::new();
    for endpoint in info.endpoint {
        let ticket = endpoint.ticket.ok_or("endpoint without a ticket")?;
        batches.extend(client.do_get(ticket).await?.try_collect::<Vec<_>>().await?);
    }
    println!("{}", pretty_format_batches(&batches)?);
    server.stop().await?;
    Ok(())
}
