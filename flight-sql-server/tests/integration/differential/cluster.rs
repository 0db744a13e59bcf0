//! The Trebuchet side: a scheduler and two executor processes on loopback, queried over
//! Flight SQL the way drivers do.

use std::path::Path;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::datatypes::DataType;
use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::TryStreamExt;
use tonic::transport::{Channel, Endpoint};
use trebuchet_flight_sql_server::TPCH_TABLES;

use super::answer::Answer;
use crate::fixture::{code_of, message_of};
use crate::processes::{Process, executor};

/// Longest a statement may take before it counts as hung.
const STATEMENT_DEADLINE: Duration = Duration::from_secs(60);

/// A running cluster; its processes end with it.
pub(crate) struct Cluster {
    url: String,
    /// The scheduler, then the executors.
    processes: Vec<Process>,
    _work: tempfile::TempDir,
}

impl Cluster {
    /// Starts a scheduler serving the TPC-H tables under `tpch`, and two executors.
    pub(crate) async fn start(tpch: &Path) -> Self {
        let work = tempfile::tempdir().unwrap();
        let dir = |name: &str| work.path().join(name).to_string_lossy().into_owned();
        let tables: Vec<String> = TPCH_TABLES
            .iter()
            .map(|table| format!("{table}={}", tpch.join(table).display()))
            .collect();
        let (scheduler_dir, files, token) = (dir("scheduler"), dir("files"), "differential");
        std::fs::create_dir(&files).unwrap();
        let mut args = vec![
            "scheduler",
            "--port",
            "0",
            "--work-dir",
            &scheduler_dir,
            "--cluster-token",
            token,
            "--tpch-scale",
            "0",
            "--allow-path",
            &files,
        ];
        for table in &tables {
            args.extend(["--table", table.as_str()]);
        }
        let mut scheduler = Process::start(&args);
        let url = scheduler.grpc_url().await;
        let mut processes = vec![scheduler];
        for name in ["executor-a", "executor-b"] {
            let mut executor = executor(&url, &dir(name), token, &["--concurrent-tasks", "2"]);
            executor.wait_for("registered with the scheduler").await;
            processes.push(executor);
        }
        Self {
            url,
            processes,
            _work: work,
        }
    }

    /// The last log lines of each process since the previous call, for the report of a
    /// statement that got no answer.
    pub(crate) fn recent_logs(&mut self) -> String {
        const SHOWN: usize = 30;
        let mut text = String::new();
        for (index, process) in self.processes.iter_mut().enumerate() {
            let lines = process.lines_so_far();
            let name = if index == 0 { "scheduler" } else { "executor" };
            text.push_str(&format!(
                "\n    --- {name} ({} lines, last {SHOWN}):",
                lines.len()
            ));
            for line in lines.iter().skip(lines.len().saturating_sub(SHOWN)) {
                text.push_str(&format!("\n    {line}"));
            }
        }
        text
    }

    /// A new empty directory statements may write files in (COPY TO, external tables).
    pub(crate) fn file_dir(&self) -> tempfile::TempDir {
        tempfile::tempdir_in(self._work.path().join("files")).unwrap()
    }

    /// A new session of its own.
    pub(crate) async fn session(&self) -> ClusterSession {
        let channel = Endpoint::from_shared(self.url.clone())
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .unwrap();
        let mut client = FlightSqlServiceClient::new(channel);
        client.handshake("differential", "").await.unwrap();
        ClusterSession { client }
    }
}

/// One Flight SQL session of the cluster.
pub(crate) struct ClusterSession {
    client: FlightSqlServiceClient<Channel>,
}

impl ClusterSession {
    pub(crate) async fn run(&mut self, sql: &str) -> Answer {
        match tokio::time::timeout(STATEMENT_DEADLINE, self.try_run(sql)).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(err)) => Answer::Error {
                code: code_of(&err),
                message: message_of(&err),
            },
            Err(_) => Answer::Error {
                code: tonic::Code::DeadlineExceeded,
                message: format!("no answer within {STATEMENT_DEADLINE:?}"),
            },
        }
    }

    async fn try_run(&mut self, sql: &str) -> Result<Answer, arrow_flight::error::FlightError> {
        if is_dml(sql) {
            // As drivers run DML: an update, whose count (`total_records` of its
            // FlightInfo) stands in for DataFusion's `count` row.
            let count = self.client.execute_update(sql.to_string(), None).await?;
            return Ok(Answer::Rows {
                columns: vec![("count".into(), DataType::UInt64)],
                rows: vec![vec![count.to_string()]],
            });
        }
        let info = self.client.execute(sql.to_string(), None).await?;
        let schema = std::sync::Arc::new(info.clone().try_decode_schema()?);
        let mut batches: Vec<RecordBatch> = Vec::new();
        for endpoint in &info.endpoint {
            let ticket = endpoint
                .ticket
                .clone()
                .expect("every endpoint has a ticket");
            let stream = self.client.do_get(ticket).await?;
            batches.extend(stream.try_collect::<Vec<_>>().await?);
        }
        let announced: Vec<_> = schema.fields().iter().map(|f| f.data_type()).collect();
        if let Some(batch) = batches.iter().find(|batch| {
            let sent: Vec<_> = batch
                .schema_ref()
                .fields()
                .iter()
                .map(|f| f.data_type())
                .collect();
            sent != announced
        }) {
            return Ok(Answer::Error {
                code: tonic::Code::Internal,
                message: format!(
                    "a batch's types differ from the FlightInfo's: {:?}",
                    batch.schema_ref().fields()
                ),
            });
        }
        Ok(Answer::rows(&schema, &batches))
    }
}

/// Whether `sql` changes data and answers with a count of rows: INSERT, UPDATE, DELETE
/// or COPY (told by its first word: COPY's options are DataFusion's own syntax).
fn is_dml(sql: &str) -> bool {
    let first = sql.split_whitespace().next().unwrap_or_default();
    ["INSERT", "UPDATE", "DELETE", "COPY"]
        .iter()
        .any(|keyword| first.eq_ignore_ascii_case(keyword))
}
