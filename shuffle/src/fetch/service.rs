//! [`ShuffleFlightService`]: the Flight service an executor runs so that others can read
//! its shuffle partitions. Only `DoGet` is offered, and only to callers presenting a
//! [`FetchGrant`] for the job whose data they ask for: UNAUTHENTICATED without a valid
//! one, PERMISSION_DENIED with one for another job.

use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use arrow::array::RecordBatch;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo,
    HandshakeRequest, HandshakeResponse, PollInfo, PutResult, SchemaResult, Ticket,
};
use futures::{Stream, StreamExt, TryStreamExt};
use prost::Message;
use tonic::{Request, Response, Status, Streaming};

use super::grant::{ClusterSecret, granted_job};
use super::live_follows::{KnownJobs, LiveFollows, MAX_FOLLOWS, NoJobs};
use super::{FetchPartitionTicket, LivePartition};
use crate::error::ShuffleError;
use crate::flight_data::FlightDataStream;
use crate::ids::{JobId, PartitionId, StageId};
use crate::layout::ShuffleLayout;
use crate::partition_file::read_partition;
use crate::partition_tail::follow_partition;
use crate::resident_outputs;

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Serves the shuffle files under one executor's layout root to holders of grants signed
/// with the cluster's secret.
#[derive(Debug, Clone)]
pub struct ShuffleFlightService {
    layout: ShuffleLayout,
    secret: ClusterSecret,
    follows: LiveFollows,
}

impl ShuffleFlightService {
    /// Serves `layout`'s files to callers with grants signed by `secret`. It knows no job:
    /// a live follow waits only briefly for its writer (see [`Self::with_known_jobs`]).
    pub fn new(layout: ShuffleLayout, secret: ClusterSecret) -> Self {
        Self {
            layout,
            secret,
            follows: LiveFollows::new(Arc::new(NoJobs), MAX_FOLLOWS),
        }
    }

    /// Lets live follows of `jobs`' partitions wait for their writers as long as it takes;
    /// follows of other jobs fail with NOT_FOUND when their file does not show up soon.
    pub fn with_known_jobs(mut self, jobs: Arc<dyn KnownJobs>) -> Self {
        self.follows = LiveFollows::new(jobs, MAX_FOLLOWS);
        self
    }

    /// Where the file of a passed-through partition is (or will be) under our root.
    fn live_path(&self, job: &JobId, live: &LivePartition) -> PathBuf {
        let partition = PartitionId(live.partition);
        // Job ids keep only path-safe characters, and the rest are numbers: the path
        // stays under the root.
        self.layout
            .partition_file(job, StageId(live.stage), partition, live.attempt, partition)
    }

    /// The file a ticket names, if it is a shuffle file under our root, with the index
    /// entry it asks for and the job it belongs to.
    fn checked_path(
        &self,
        ticket: FetchPartitionTicket,
    ) -> Result<(PathBuf, Option<u32>, JobId), Status> {
        let requested = Path::new(&ticket.path);
        let root = self
            .layout
            .root()
            .canonicalize()
            .map_err(|err| Status::internal(format!("shuffle root unavailable: {err}")))?;
        // A map output kept in memory has no file, only its job's directory to resolve;
        // it is read by the path it was kept under.
        let (file, read_from) = match requested.canonicalize() {
            Ok(file) => (file.clone(), file),
            Err(_) => kept_in_memory(requested)
                .map(|file| (file, requested.to_path_buf()))
                .ok_or_else(|| {
                    Status::not_found(format!("shuffle partition {} does not exist", ticket.path))
                })?,
        };
        let is_shuffle_file = file
            .extension()
            .is_some_and(|extension| extension == "arrow");
        let job = file
            .strip_prefix(&root)
            .ok()
            .and_then(|inside| match inside.components().next() {
                Some(Component::Normal(name)) => name.to_str(),
                _ => None,
            })
            .map(JobId::new);
        match job {
            Some(job) if is_shuffle_file => Ok((read_from, ticket.index_entry, job)),
            _ => Err(Status::permission_denied(format!(
                "{} is not a shuffle partition of this executor",
                ticket.path
            ))),
        }
    }

    /// The job the call's grant is for; UNAUTHENTICATED without a valid grant.
    fn authenticate<T>(&self, request: &Request<T>) -> Result<JobId, Status> {
        granted_job(&self.secret, request.metadata(), SystemTime::now()).map_err(refusal)
    }

    /// Streams a partition to a reader in this process, which needs no grant.
    pub(crate) async fn open_in_process(
        &self,
        job: &JobId,
        ticket: FetchPartitionTicket,
    ) -> Result<futures::stream::BoxStream<'static, crate::Result<RecordBatch>>, Status> {
        self.open(job, ticket).await
    }

    async fn open(
        &self,
        granted: &JobId,
        mut ticket: FetchPartitionTicket,
    ) -> Result<futures::stream::BoxStream<'static, crate::Result<RecordBatch>>, Status> {
        match ticket.live.take() {
            Some(live) => {
                let job = JobId::new(live.job.clone());
                authorize(granted, &job)?;
                let path = self.live_path(&job, &live);
                let permit = self.follows.admit(&job, &path).await?;
                let batches = follow_partition(path).map(move |batch| {
                    // The follow's slot is freed when its stream goes.
                    let _slot = &permit;
                    batch
                });
                Ok(batches.boxed())
            }
            None => {
                let (path, index_entry, job) = self.checked_path(ticket)?;
                authorize(granted, &job)?;
                let batches = read_partition(&path, index_entry)
                    .map_err(|err| Status::not_found(err.to_string()))?;
                Ok(futures::stream::iter(batches).boxed())
            }
        }
    }
}

/// `requested` with its directory resolved, if it names a map output kept in memory.
fn kept_in_memory(requested: &Path) -> Option<PathBuf> {
    if !resident_outputs::holds(requested) {
        return None;
    }
    Some(
        requested
            .parent()?
            .canonicalize()
            .ok()?
            .join(requested.file_name()?),
    )
}

/// PERMISSION_DENIED unless the grant is for `requested`.
fn authorize(granted: &JobId, requested: &JobId) -> Result<(), Status> {
    if granted == requested {
        Ok(())
    } else {
        Err(refusal(ShuffleError::GrantForOtherJob {
            granted: granted.clone(),
            requested: requested.clone(),
        }))
    }
}

/// The status a refused grant answers with.
fn refusal(err: ShuffleError) -> Status {
    match err {
        ShuffleError::InvalidGrant { .. } => Status::unauthenticated(err.to_string()),
        ShuffleError::GrantForOtherJob { .. } => Status::permission_denied(err.to_string()),
        other => Status::internal(other.to_string()),
    }
}

const ONLY_DO_GET: &str = "shuffle service: only DoGet is offered";

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
        let granted = self.authenticate(&request)?;
        let ticket = FetchPartitionTicket::decode(request.into_inner().ticket).map_err(|err| {
            Status::invalid_argument(format!("not a shuffle fetch ticket: {err}"))
        })?;
        let batches = self.open(&granted, ticket).await?;
        let batches = batches.map_err(|err| FlightError::ExternalError(Box::new(err)));
        // Sent with the types the writing stage produced (dictionaries and large lists
        // included): the reading stage's plan expects them.
        let flight = FlightDataStream::new(batches).map_err(Status::from);
        Ok(Response::new(Box::pin(flight)))
    }

    async fn handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        self.authenticate(&request)?;
        Err(Status::unimplemented(ONLY_DO_GET))
    }

    async fn list_flights(
        &self,
        request: Request<Criteria>,
    ) -> Result<Response<Self::ListFlightsStream>, Status> {
        self.authenticate(&request)?;
        Err(Status::unimplemented(ONLY_DO_GET))
    }

    async fn get_flight_info(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        self.authenticate(&request)?;
        Err(Status::unimplemented(ONLY_DO_GET))
    }

    async fn poll_flight_info(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<PollInfo>, Status> {
        self.authenticate(&request)?;
        Err(Status::unimplemented(ONLY_DO_GET))
    }

    async fn get_schema(
        &self,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<SchemaResult>, Status> {
        self.authenticate(&request)?;
        Err(Status::unimplemented(ONLY_DO_GET))
    }

    async fn do_put(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoPutStream>, Status> {
        self.authenticate(&request)?;
        Err(Status::unimplemented(ONLY_DO_GET))
    }

    async fn do_exchange(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        self.authenticate(&request)?;
        Err(Status::unimplemented(ONLY_DO_GET))
    }

    async fn do_action(
        &self,
        request: Request<Action>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        self.authenticate(&request)?;
        Err(Status::unimplemented(ONLY_DO_GET))
    }

    async fn list_actions(
        &self,
        request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        self.authenticate(&request)?;
        Err(Status::unimplemented(ONLY_DO_GET))
    }
}

/// The secret of the tests' clusters.
#[cfg(test)]
pub(crate) fn test_secret() -> ClusterSecret {
    ClusterSecret::new("test-secret").unwrap()
}

/// Serves the shuffle files under `root` on a fresh 127.0.0.1 port to holders of grants
/// signed with [`test_secret`], letting follows of any job wait for their writer; returns
/// its URL and the task running it (the server stops when it is dropped).
#[cfg(test)]
pub(crate) async fn serve_flight(root: &Path) -> (String, tokio::task::JoinSet<()>) {
    #[derive(Debug)]
    struct EveryJob;
    impl KnownJobs for EveryJob {
        fn has_job(&self, _job: &JobId) -> bool {
            true
        }
    }
    let service = ShuffleFlightService::new(ShuffleLayout::new(root), test_secret())
        .with_known_jobs(Arc::new(EveryJob));
    serve(service).await
}

#[cfg(test)]
async fn serve(service: ShuffleFlightService) -> (String, tokio::task::JoinSet<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::{Duration, Instant};

    use arrow_flight::flight_service_client::FlightServiceClient;
    use tonic::Code;
    use tonic::transport::Channel;

    use super::*;
    use crate::fetch::FetchGrant;

    const JOB: &str = "job-served";

    /// A service over a root holding one complete file of `JOB`, knowing no job; returns
    /// a client, the file's path and the server.
    async fn served() -> (
        FlightServiceClient<Channel>,
        PathBuf,
        tempfile::TempDir,
        tokio::task::JoinSet<()>,
    ) {
        let root = tempfile::tempdir().unwrap();
        let layout = ShuffleLayout::new(root.path());
        let path = layout.partition_file(
            &JobId::new(JOB),
            StageId(1),
            PartitionId(0),
            1,
            PartitionId(0),
        );
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"not read: every call here is refused first").unwrap();
        let (url, server) = serve(ShuffleFlightService::new(layout, test_secret())).await;
        let client = connect(url).await;
        (client, path, root, server)
    }

    async fn connect(url: String) -> FlightServiceClient<Channel> {
        let channel = tonic::transport::Endpoint::from_shared(url)
            .unwrap()
            .connect()
            .await
            .unwrap();
        FlightServiceClient::new(channel)
    }

    fn path_ticket(path: &Path) -> FetchPartitionTicket {
        FetchPartitionTicket {
            path: path.to_string_lossy().into_owned(),
            index_entry: None,
            live: None,
        }
    }

    fn live_ticket(job: &str) -> FetchPartitionTicket {
        FetchPartitionTicket {
            path: String::new(),
            index_entry: None,
            live: Some(LivePartition {
                job: job.to_string(),
                stage: 1,
                partition: 0,
                attempt: 1,
            }),
        }
    }

    /// The code `DoGet` answers `ticket` with, presenting `grant`.
    async fn do_get_code(
        client: &mut FlightServiceClient<Channel>,
        ticket: &FetchPartitionTicket,
        grant: Option<&FetchGrant>,
    ) -> Code {
        let mut request = Request::new(Ticket::new(ticket.encode_to_vec()));
        if let Some(grant) = grant {
            grant.attach(&mut request);
        }
        match client.do_get(request).await {
            Ok(_) => Code::Ok,
            Err(status) => status.code(),
        }
    }

    #[tokio::test]
    async fn refuses_calls_without_a_grant_of_the_cluster() {
        let (mut client, path, _root, _server) = served().await;
        let forged = ClusterSecret::new("guess").unwrap().grant(&JobId::new(JOB));
        for ticket in [path_ticket(&path), live_ticket(JOB)] {
            assert_eq!(
                do_get_code(&mut client, &ticket, None).await,
                Code::Unauthenticated
            );
            assert_eq!(
                do_get_code(&mut client, &ticket, Some(&forged)).await,
                Code::Unauthenticated
            );
        }
        let err = client.list_actions(Empty {}).await.unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated);
    }

    #[tokio::test]
    async fn refuses_a_grant_for_another_job() {
        let (mut client, path, _root, _server) = served().await;
        let other = test_secret().grant(&JobId::new("job-other"));
        for ticket in [path_ticket(&path), live_ticket(JOB)] {
            assert_eq!(
                do_get_code(&mut client, &ticket, Some(&other)).await,
                Code::PermissionDenied
            );
        }
    }

    #[tokio::test]
    async fn a_grant_for_the_job_passes_to_the_file() {
        let (mut client, path, _root, _server) = served().await;
        let grant = test_secret().grant(&JobId::new(JOB));
        // Authorized: the call gets as far as reading the file, which is not Arrow IPC.
        assert_eq!(
            do_get_code(&mut client, &path_ticket(&path), Some(&grant)).await,
            Code::NotFound
        );
    }

    #[tokio::test]
    async fn an_output_kept_in_memory_is_served_by_its_own_executor_only() {
        let (mut client, served_file, root, _server) = served().await;
        let grant = test_secret().grant(&JobId::new(JOB));
        let batch = RecordBatch::try_from_iter([(
            "k",
            Arc::new(arrow::array::Int64Array::from(vec![1, 2, 3])) as arrow::array::ArrayRef,
        )])
        .unwrap();
        let memory = crate::ShuffleMemory::new(1 << 20);
        // Kept by this executor (its job directory is the served file's), and by another
        // one of the same process, under its own root.
        let here = served_file.with_file_name("s2-m0-a1.arrow");
        let elsewhere_root = tempfile::tempdir().unwrap();
        let elsewhere = ShuffleLayout::new(elsewhere_root.path()).data_file(
            &JobId::new(JOB),
            StageId(2),
            PartitionId(0),
            1,
        );
        std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
        for path in [&here, &elsewhere] {
            let room = memory.try_take(24).unwrap();
            resident_outputs::keep(
                room,
                path.parent().unwrap(),
                path,
                vec![vec![batch.clone()]],
            );
        }
        let ticket = |path: &Path| FetchPartitionTicket {
            index_entry: Some(0),
            ..path_ticket(path)
        };
        assert_eq!(
            do_get_code(&mut client, &ticket(&here), Some(&grant)).await,
            Code::Ok
        );
        assert_eq!(
            do_get_code(&mut client, &ticket(&elsewhere), Some(&grant)).await,
            Code::PermissionDenied
        );
        ShuffleLayout::new(root.path())
            .remove_job(&JobId::new(JOB))
            .unwrap();
        ShuffleLayout::new(elsewhere_root.path())
            .remove_job(&JobId::new(JOB))
            .unwrap();
        assert_eq!(memory.used(), 0);
        assert_eq!(
            do_get_code(&mut client, &ticket(&here), Some(&grant)).await,
            Code::NotFound,
            "gone with its job"
        );
    }

    #[tokio::test]
    async fn a_live_ticket_for_a_job_never_seen_is_not_found_within_the_grace() {
        let (mut client, _path, _root, _server) = served().await;
        let grant = test_secret().grant(&JobId::new("job-never"));
        let started = Instant::now();
        let code = do_get_code(&mut client, &live_ticket("job-never"), Some(&grant)).await;
        assert_eq!(code, Code::NotFound);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_live_ticket_for_a_known_job_waits_for_its_writer() {
        let root = tempfile::tempdir().unwrap();
        let known: HashSet<JobId> = [JobId::new(JOB)].into();
        let service = ShuffleFlightService::new(ShuffleLayout::new(root.path()), test_secret())
            .with_known_jobs(Arc::new(known));
        let (url, _server) = serve(service).await;
        let mut client = connect(url).await;
        let grant = test_secret().grant(&JobId::new(JOB));
        // Answered with a stream that waits; a refused follow would fail the call.
        assert_eq!(
            do_get_code(&mut client, &live_ticket(JOB), Some(&grant)).await,
            Code::Ok
        );
    }
}
