//! [`ShuffleFlightService`]: the Flight service an executor runs so that others can read
//! its shuffle partitions. Only `DoGet` is offered.

use std::path::{Path, PathBuf};
use std::pin::Pin;

use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo,
    HandshakeRequest, HandshakeResponse, PollInfo, PutResult, SchemaResult, Ticket,
};
use futures::{Stream, StreamExt, TryStreamExt};
use prost::Message;
use tonic::{Request, Response, Status, Streaming};

use super::{FetchPartitionTicket, LivePartition};
use crate::ids::{JobId, PartitionId, StageId};
use crate::layout::ShuffleLayout;
use crate::partition_file::read_partition;
use crate::partition_tail::follow_partition;

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Serves the shuffle files under one executor's layout root.
#[derive(Debug, Clone)]
pub struct ShuffleFlightService {
    layout: ShuffleLayout,
}

impl ShuffleFlightService {
    pub fn new(layout: ShuffleLayout) -> Self {
        Self { layout }
    }

    /// Where the file of a passed-through partition is (or will be) under our root.
    fn live_path(&self, live: &LivePartition) -> PathBuf {
        let partition = PartitionId(live.partition);
        // Job ids keep only path-safe characters, and the rest are numbers: the path
        // stays under the root.
        self.layout.partition_file(
            &JobId::new(live.job.clone()),
            StageId(live.stage),
            partition,
            live.attempt,
            partition,
        )
    }

    /// The file a ticket names, if it is a shuffle file under our root, and the index
    /// entry it asks for.
    fn checked_path(&self, ticket: FetchPartitionTicket) -> Result<(PathBuf, Option<u32>), Status> {
        let requested = Path::new(&ticket.path);
        let root = self
            .layout
            .root()
            .canonicalize()
            .map_err(|err| Status::internal(format!("shuffle root unavailable: {err}")))?;
        let file = requested.canonicalize().map_err(|_| {
            Status::not_found(format!("shuffle partition {} does not exist", ticket.path))
        })?;
        let is_shuffle_file = file
            .extension()
            .is_some_and(|extension| extension == "arrow");
        if !file.starts_with(&root) || !is_shuffle_file {
            return Err(Status::permission_denied(format!(
                "{} is not a shuffle partition of this executor",
                ticket.path
            )));
        }
        Ok((file, ticket.index_entry))
    }
}

#[tonic::async_trait]
impl FlightService for ShuffleFlightService {
    type HandshakeStream = BoxStream<HandshakeResponse>;
    type ListFlightsStream = BoxStream<FlightInfo>;
    type DoGetStream = BoxStream<FlightData>;
    type DoPutStream = BoxStream<PutResult>;
    type DoExchangeStream = BoxStream<FlightData>;
    type DoActionStream = BoxStream<arrow_flight::Result>;
    type ListActionsStream = BoxStream<ActionType>;

    async fn do_get(
        &self,
        request: Request<Ticket>,
    ) -> Result<Response<Self::DoGetStream>, Status> {
        let mut ticket =
            FetchPartitionTicket::decode(request.into_inner().ticket).map_err(|err| {
                Status::invalid_argument(format!("not a shuffle fetch ticket: {err}"))
            })?;
        let batches = match ticket.live.take() {
            Some(live) => follow_partition(self.live_path(&live)),
            None => {
                let (path, index_entry) = self.checked_path(ticket)?;
                let batches = read_partition(&path, index_entry)
                    .map_err(|err| Status::not_found(err.to_string()))?;
                futures::stream::iter(batches).boxed()
            }
        };
        let batches = batches.map_err(|err| FlightError::ExternalError(Box::new(err)));
        let flight = FlightDataEncoderBuilder::new()
            .build(batches)
            .map_err(Status::from);
        Ok(Response::new(Box::pin(flight)))
    }

    async fn handshake(
        &self,
        _request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        Err(Status::unimplemented(
            "shuffle service: only DoGet is offered",
        ))
    }

    async fn list_flights(
        &self,
        _request: Request<Criteria>,
    ) -> Result<Response<Self::ListFlightsStream>, Status> {
        Err(Status::unimplemented(
            "shuffle service: only DoGet is offered",
        ))
    }

    async fn get_flight_info(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        Err(Status::unimplemented(
            "shuffle service: only DoGet is offered",
        ))
    }

    async fn poll_flight_info(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<PollInfo>, Status> {
        Err(Status::unimplemented(
            "shuffle service: only DoGet is offered",
        ))
    }

    async fn get_schema(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<SchemaResult>, Status> {
        Err(Status::unimplemented(
            "shuffle service: only DoGet is offered",
        ))
    }

    async fn do_put(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoPutStream>, Status> {
        Err(Status::unimplemented(
            "shuffle service: only DoGet is offered",
        ))
    }

    async fn do_exchange(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        Err(Status::unimplemented(
            "shuffle service: only DoGet is offered",
        ))
    }

    async fn do_action(
        &self,
        _request: Request<Action>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        Err(Status::unimplemented(
            "shuffle service: only DoGet is offered",
        ))
    }

    async fn list_actions(
        &self,
        _request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        Err(Status::unimplemented(
            "shuffle service: only DoGet is offered",
        ))
    }
}

/// Serves the shuffle files under `root` on a fresh 127.0.0.1 port, for tests; returns
/// its URL and the task running it (the server stops when it is dropped).
#[cfg(test)]
pub(crate) async fn serve_flight(root: &Path) -> (String, tokio::task::JoinSet<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let service = ShuffleFlightService::new(ShuffleLayout::new(root));
    let mut server = tokio::task::JoinSet::new();
    server.spawn(async move {
        tonic::transport::Server::builder()
            .add_service(arrow_flight::flight_service_server::FlightServiceServer::new(service))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await
            .unwrap();
    });
    (url, server)
}
