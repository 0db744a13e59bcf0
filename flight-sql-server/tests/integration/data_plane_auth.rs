//! The data plane against callers outside the cluster: raw arrow-flight `DoGet` calls on
//! the Flight ports of a real `LocalCluster`'s executors, for real shuffle files of a
//! query whose result is not read yet (by path) and its final partitions (by live
//! ticket), with no credential, a forged grant and a grant for another job; a live ticket
//! for a job that never existed; and real `trebuchet` processes: a scheduler started
//! without `--cluster-token` writes its secret to a private file that executors join with.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use arrow_flight::Ticket;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::TryStreamExt;
use prost::Message;
use tokio::task::JoinSet;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};
use trebuchet_cluster::ClusterSecret;
use trebuchet_cluster::ids::JobId;
use trebuchet_flight_sql_server::ServerConfig;

use crate::fixture::{TestServer, eventually, query, rows};
use crate::processes::Process;

/// The cluster secret of the servers these tests start.
const SECRET: &str = "data-plane-test-secret";

/// A query with shuffle stages before its final one.
const SQL: &str = "SELECT o_orderpriority, count(*) AS n FROM orders JOIN lineitem \
                   ON l_orderkey = o_orderkey GROUP BY o_orderpriority";

/// The same shape, with enough groups that every final partition holds rows.
const MANY_GROUPS_SQL: &str = "SELECT o_orderkey, count(*) AS n FROM orders JOIN lineitem \
                               ON l_orderkey = o_orderkey GROUP BY o_orderkey";

/// The wire form of an executor's `DoGet` ticket (shuffle/src/fetch/mod.rs), written out
/// here as a client outside the cluster would.
#[derive(Clone, PartialEq, Message)]
struct FetchPartitionTicket {
    #[prost(string, tag = "1")]
    path: String,
    #[prost(uint32, optional, tag = "2")]
    index_entry: Option<u32>,
    #[prost(message, optional, tag = "3")]
    live: Option<LivePartition>,
}

#[derive(Clone, PartialEq, Message)]
struct LivePartition {
    #[prost(string, tag = "1")]
    job: String,
    #[prost(uint32, tag = "2")]
    stage: u32,
    #[prost(uint32, tag = "3")]
    partition: u32,
    #[prost(uint32, tag = "4")]
    attempt: u32,
}

/// One file `<cluster dir>/executor-<n>/<job>/s<stage>-m<map task>-a<attempt>[-p<output>].arrow`.
#[derive(Debug, Clone)]
struct ShuffleFile {
    executor: usize,
    job: String,
    stage: u32,
    map_task: u32,
    attempt: u32,
    /// The output partition of a file holding one; `None` for an indexed data file.
    output: Option<u32>,
    path: PathBuf,
}

impl ShuffleFile {
    fn parse(cluster_dir: &Path, path: &Path) -> Option<Self> {
        let inside = path.strip_prefix(cluster_dir).ok()?;
        let parts: Vec<&str> = inside.iter().filter_map(|part| part.to_str()).collect();
        let [executor, job, name] = parts.as_slice() else {
            return None;
        };
        let stem = name.strip_suffix(".arrow")?;
        if !job.starts_with("job-") {
            return None;
        }
        let fields: Vec<&str> = stem.split('-').collect();
        let (stage, map_task, attempt, output) = match fields.as_slice() {
            [stage, map_task, attempt] => (stage, map_task, attempt, None),
            [stage, map_task, attempt, output] => (stage, map_task, attempt, Some(output)),
            _ => return None,
        };
        let number = |field: &str, prefix: char| field.strip_prefix(prefix)?.parse().ok();
        Some(Self {
            executor: executor.strip_prefix("executor-")?.parse().ok()?,
            job: job.to_string(),
            stage: number(stage, 's')?,
            map_task: number(map_task, 'm')?,
            attempt: number(attempt, 'a')?,
            output: match output {
                Some(output) => Some(number(output, 'p')?),
                None => None,
            },
            path: path.to_path_buf(),
        })
    }

    /// Whether a task passed its partition through to this file, as final tasks do.
    fn is_passed_through(&self) -> bool {
        self.output == Some(self.map_task)
    }

    /// A ticket naming the file by its path (one entry of it, for an indexed data file).
    fn path_ticket(&self) -> FetchPartitionTicket {
        let indexed = self.output.is_none();
        FetchPartitionTicket {
            path: self.path.to_string_lossy().into_owned(),
            index_entry: indexed.then_some(0),
            live: None,
        }
    }

    /// A ticket following the file as the final partition its task passes through.
    fn live_ticket(&self) -> FetchPartitionTicket {
        live_ticket(&self.job, self.stage, self.map_task, self.attempt)
    }
}

fn live_ticket(job: &str, stage: u32, partition: u32, attempt: u32) -> FetchPartitionTicket {
    FetchPartitionTicket {
        path: String::new(),
        index_entry: None,
        live: Some(LivePartition {
            job: job.to_string(),
            stage,
            partition,
            attempt,
        }),
    }
}

/// A cluster whose secret the test knows, so that it can mint grants as a member would.
async fn server() -> TestServer {
    let mut config = ServerConfig::loopback();
    config.cluster_token = Some(ClusterSecret::new(SECRET).unwrap());
    TestServer::start_with(config).await
}

/// The `authorization` value of a member of the cluster with `secret`, reading `job`.
fn bearer(secret: &str, job: &str) -> String {
    let grant = ClusterSecret::new(secret).unwrap().grant(&JobId::new(job));
    format!("Bearer {}", grant.as_str())
}

/// Starts `MANY_GROUPS_SQL` without reading its result and returns the job's shuffle files once its
/// final stage has written something: those of earlier stages, and the final ones. The
/// final stage passes its partitions through, to files named after their task; the
/// earlier ones shuffle (sort-based by default: one indexed `.arrow` data file per task).
async fn unread_query(
    server: &TestServer,
    client: &mut FlightSqlServiceClient<Channel>,
    known_jobs: &[String],
) -> (Vec<ShuffleFile>, Vec<ShuffleFile>) {
    client
        .execute(MANY_GROUPS_SQL.to_string(), None)
        .await
        .unwrap();
    let files = || {
        server
            .shuffle_files()
            .iter()
            .filter_map(|path| ShuffleFile::parse(&server.cluster_dir(), path))
            .filter(|file| !known_jobs.contains(&file.job))
            .collect::<Vec<_>>()
    };
    let split = |files: Vec<ShuffleFile>| {
        let last = files.iter().map(|file| file.stage).max().unwrap_or(0);
        let (last, earlier): (Vec<_>, Vec<_>) =
            files.into_iter().partition(|file| file.stage == last);
        let passed_through = last
            .into_iter()
            .filter(ShuffleFile::is_passed_through)
            .collect::<Vec<_>>();
        (earlier, passed_through)
    };
    let ready = || {
        let (earlier, last) = split(files());
        !earlier.is_empty() && !last.is_empty()
    };
    assert!(
        eventually(ready).await,
        "no final stage files appeared: {:?}",
        files()
    );
    split(files())
}

/// `DoGet` on the executor at `addr` with `ticket` and `authorization`; the rows, or the
/// status the call or its stream ended with.
async fn do_get(
    addr: SocketAddr,
    ticket: &FetchPartitionTicket,
    authorization: Option<&str>,
) -> Result<Vec<RecordBatch>, tonic::Status> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = FlightServiceClient::new(channel);
    let mut request = tonic::Request::new(Ticket::new(ticket.encode_to_vec()));
    if let Some(authorization) = authorization {
        request
            .metadata_mut()
            .insert("authorization", authorization.parse().unwrap());
    }
    let read = async {
        let response = client.do_get(request).await?;
        let stream = response.into_inner().map_err(FlightError::from);
        FlightRecordBatchStream::new_from_flight_data(stream)
            .try_collect::<Vec<_>>()
            .await
            .map_err(|err| match err {
                FlightError::Tonic(status) => *status,
                other => tonic::Status::unknown(other.to_string()),
            })
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("the executor answers within 30 s")
}

fn code(result: &Result<Vec<RecordBatch>, tonic::Status>) -> Code {
    match result {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

fn flight_addr(server: &TestServer, file: &ShuffleFile) -> SocketAddr {
    server.cluster().executors()[file.executor].flight_addr()
}

#[tokio::test]
async fn executors_serve_shuffle_files_only_to_holders_of_a_grant_of_the_cluster() {
    let server = server().await;
    let mut client = server.client().await;
    let (earlier, last) = unread_query(&server, &mut client, &[]).await;
    let shuffled = &earlier[0];
    let final_partition = &last[0];
    let forged = bearer("a-guessed-secret", &shuffled.job);
    // What executors present to the scheduler is no grant either.
    let control_token = format!("Bearer {SECRET}");
    let cases = [
        (shuffled, shuffled.path_ticket()),
        (final_partition, final_partition.live_ticket()),
    ];
    for (file, ticket) in &cases {
        let addr = flight_addr(&server, file);
        for refused in [
            None,
            Some(forged.as_str()),
            Some("Bearer v1.not-a-grant"),
            Some(control_token.as_str()),
        ] {
            let answer = do_get(addr, ticket, refused).await;
            assert_eq!(
                code(&answer),
                Code::Unauthenticated,
                "{file:?} with {refused:?}"
            );
        }
        // A member of the cluster reads the same file.
        assert!(read_as_member(addr, file, ticket).await > 0, "{file:?}");
    }
}

/// Rows a member of the cluster reads with `ticket`; for an indexed data file, with the
/// first of its entries that holds any.
async fn read_as_member(
    addr: SocketAddr,
    file: &ShuffleFile,
    ticket: &FetchPartitionTicket,
) -> usize {
    let granted = bearer(SECRET, &file.job);
    let mut ticket = ticket.clone();
    loop {
        let read = rows(&do_get(addr, &ticket, Some(&granted)).await.unwrap());
        match ticket.index_entry.as_mut() {
            Some(entry) if read == 0 && *entry < 64 => *entry += 1,
            _ => return read,
        }
    }
}

#[tokio::test]
async fn a_grant_for_one_job_reads_nothing_of_another() {
    let server = server().await;
    let mut client = server.client().await;
    let (earlier, last) = unread_query(&server, &mut client, &[]).await;
    let victim = earlier[0].job.clone();
    let (other, _) = unread_query(&server, &mut client, std::slice::from_ref(&victim)).await;
    let other_job = &other[0].job;
    assert_ne!(other_job, &victim);
    let wrong_job = bearer(SECRET, other_job);
    for (file, ticket) in [
        (&earlier[0], earlier[0].path_ticket()),
        (&last[0], last[0].live_ticket()),
    ] {
        let answer = do_get(flight_addr(&server, file), &ticket, Some(&wrong_job)).await;
        assert_eq!(code(&answer), Code::PermissionDenied, "{file:?}");
    }
}

#[tokio::test]
async fn a_live_ticket_for_a_job_that_never_existed_is_not_found_at_once() {
    let server = server().await;
    let addr = server.cluster().executors()[0].flight_addr();
    let started = Instant::now();
    let mut calls = JoinSet::new();
    for n in 0..20 {
        let job = format!("job-never-{n}");
        let authorization = bearer(SECRET, &job);
        calls.spawn(async move {
            let ticket = live_ticket(&job, 2, 0, 1);
            code(&do_get(addr, &ticket, Some(&authorization)).await)
        });
    }
    while let Some(answer) = calls.join_next().await {
        assert_eq!(answer.unwrap(), Code::NotFound);
    }
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(3), "{waited:?}");
}

#[tokio::test]
async fn a_scheduler_without_a_token_writes_a_private_secret_that_executors_join_with() {
    let work = tempfile::tempdir().unwrap();
    let path = |name: &str| work.path().join(name).to_string_lossy().into_owned();
    let scheduler_dir = work.path().join("scheduler");
    let mut scheduler = Process::start(&[
        "scheduler",
        "--port",
        "0",
        "--tpch-scale",
        "0.01",
        "--work-dir",
        &path("scheduler"),
    ]);
    let announced = scheduler.wait_for("cluster secret").await;
    let token_file = scheduler_dir.join("cluster-token");
    assert!(
        announced.contains(&token_file.to_string_lossy().into_owned()),
        "{announced}"
    );
    let secret = std::fs::read_to_string(&token_file).unwrap();
    let secret = secret.trim();
    assert!(secret.len() >= 32, "a long random secret");
    assert!(
        !announced.contains(secret),
        "the log never shows the secret"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let url = scheduler.grpc_url().await;

    let mut tokenless = Process::start(&[
        "executor",
        "--scheduler-url",
        &url,
        "--port",
        "0",
        "--work-dir",
        &path("tokenless"),
    ]);
    let refused = tokenless.wait_for("cluster secret").await;
    assert!(refused.contains("--cluster-token-file"), "{refused}");

    let token_file = token_file.to_string_lossy().into_owned();
    let mut executors: Vec<Process> = ["executor-a", "executor-b"]
        .iter()
        .map(|dir| {
            Process::start(&[
                "executor",
                "--scheduler-url",
                &url,
                "--port",
                "0",
                "--work-dir",
                &path(dir),
                "--concurrent-tasks",
                "2",
                "--cluster-token-file",
                &token_file,
            ])
        })
        .collect();
    for executor in &mut executors {
        executor.wait_for("registered with the scheduler").await;
    }
    let channel = Endpoint::from_shared(url).unwrap().connect().await.unwrap();
    let mut client = FlightSqlServiceClient::new(channel);
    let batches = query(&mut client, SQL).await;
    assert_eq!(rows(&batches), 5, "one row per order priority");
}
