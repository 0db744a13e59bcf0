//! Trebuchet over Flight SQL, the way users reach it: `GetFlightInfo` for the statement,
//! then every endpoint's ticket redeemed with `DoGet`, all endpoints at once as ADBC does.

use std::time::Duration;

use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::{StreamExt, TryStreamExt};
use tonic::transport::{Channel, Endpoint};

use crate::error::{BenchError, Result};

/// Results up to this size pass (a full `lineitem` batch is far smaller).
const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// A Flight SQL session on one server.
#[derive(Debug)]
pub struct FlightSqlEngine {
    client: FlightSqlServiceClient<Channel>,
}

impl FlightSqlEngine {
    /// Connects to `url` (`grpc://host:port` or `http://host:port`) and opens a session with
    /// a handshake, which the server answers with the session's bearer token.
    pub async fn connect(url: &str, user: &str, password: &str) -> Result<Self> {
        let connect_error = |message: String| BenchError::Connect {
            url: url.to_string(),
            message,
        };
        let http_url = match url.strip_prefix("grpc://") {
            Some(rest) => format!("http://{rest}"),
            None => url.to_string(),
        };
        let channel = Endpoint::from_shared(http_url)
            .map_err(|err| connect_error(err.to_string()))?
            .connect_timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            .connect()
            .await
            .map_err(|err| connect_error(err.to_string()))?;
        let flight = arrow_flight::flight_service_client::FlightServiceClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE);
        let mut client = FlightSqlServiceClient::new_from_inner(flight);
        client
            .handshake(user, password)
            .await
            .map_err(|err| connect_error(err.to_string()))?;
        Ok(Self { client })
    }

    /// Runs `sql` and reads every endpoint to the end, counting rows.
    pub(crate) async fn run(&mut self, sql: &str) -> Result<u64, String> {
        let info = self
            .client
            .execute(sql.to_string(), None)
            .await
            .map_err(|err| err.to_string())?;
        let reads = info.endpoint.into_iter().map(|endpoint| {
            let mut client = self.client.clone();
            async move {
                let ticket = endpoint
                    .ticket
                    .ok_or_else(|| "an endpoint without a ticket".to_string())?;
                let stream = client.do_get(ticket).await.map_err(|err| err.to_string())?;
                stream
                    .map_err(|err| err.to_string())
                    .try_fold(0_u64, |rows, batch| async move {
                        Ok(rows + batch.num_rows() as u64)
                    })
                    .await
            }
        });
        futures::stream::iter(reads)
            .buffer_unordered(usize::MAX)
            .try_fold(0_u64, |total, rows| async move { Ok(total + rows) })
            .await
    }
}
