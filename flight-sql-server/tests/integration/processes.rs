//! The real binary as separate processes: `trebuchet scheduler` and two
//! `trebuchet executor`s on loopback sharing a cluster token, queried over Flight SQL; an
//! executor with the wrong token is refused, and so is one whose memory pool cannot be
//! shared over its task slots. Every process is started here and killed through its own
//! handle when the test ends.

use std::process::Stdio;
use std::time::Duration;

use arrow::array::Int64Array;
use arrow_flight::sql::client::FlightSqlServiceClient;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tonic::transport::{Channel, Endpoint};

use crate::fixture::{column_sum, pretty, query};

/// A `trebuchet` process whose log lines arrive on a channel.
pub(crate) struct Process {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    /// Every line [`Process::wait_for`] went past, to look back on.
    seen: Vec<String>,
    _reader: JoinSet<()>,
}

impl Process {
    pub(crate) fn start(args: &[&str]) -> Self {
        // More detail when a test needs it: TREBUCHET_TEST_LOG=info,trebuchet_cluster=debug
        let filter = std::env::var("TREBUCHET_TEST_LOG").unwrap_or_else(|_| "info".into());
        Self::start_logging(args, &filter)
    }

    /// [`Process::start`] logging what `filter` (a `RUST_LOG` value) lets through.
    pub(crate) fn start_logging(args: &[&str], filter: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_trebuchet"))
            .args(args)
            .env("RUST_LOG", filter)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let (sender, lines) = mpsc::unbounded_channel();
        let mut reader = JoinSet::new();
        reader.spawn(async move {
            while let Ok(Some(line)) = stderr.next_line().await {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
            _reader: reader,
        }
    }

    /// Sends SIGTERM, as a process manager (or Kubernetes) does to stop a process.
    pub(crate) fn terminate(&self) {
        let pid = self.child.id().expect("the process is still running");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM {pid}: {sent}");
    }

    /// Waits up to `within` for the process to exit, and says how it did.
    pub(crate) async fn wait_for_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the process did not exit within {within:?}"))
            .unwrap()
    }

    /// Whether any log line so far contains `needle` (reading what arrived meanwhile).
    pub(crate) fn has_logged(&mut self, needle: &str) -> bool {
        self.lines_so_far();
        self.seen.iter().any(|line| line.contains(needle))
    }

    /// The log lines that arrived since the last look, without waiting for more.
    pub(crate) fn lines_so_far(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line.clone());
            lines.push(line);
        }
        lines
    }

    /// Waits for a log line containing `prefix` and returns the word right after it: the
    /// port in `grpc://127.0.0.1:<port>`, say.
    pub(crate) async fn wait_for_word_after(&mut self, prefix: &str) -> String {
        let line = self.wait_for(prefix).await;
        word_after(&line, prefix).to_string()
    }

    /// Waits for the scheduler's listen line and returns the URL executors and clients
    /// reach it at.
    pub(crate) async fn grpc_url(&mut self) -> String {
        let port = self.wait_for_word_after("grpc://127.0.0.1:").await;
        format!("http://127.0.0.1:{port}")
    }

    /// Waits for a log line containing `needle` and returns it.
    pub(crate) async fn wait_for(&mut self, needle: &str) -> String {
        let found = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = self.lines.recv().await {
                self.seen.push(line.clone());
                if line.contains(needle) {
                    return Some(line);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(line)) => line,
            _ => panic!("no log line containing {needle:?}"),
        }
    }
}

/// The word of `line` right after `prefix`.
pub(crate) fn word_after<'a>(line: &'a str, prefix: &str) -> &'a str {
    line.split(prefix)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {prefix:?} in {line}"))
}

/// The arguments of a `trebuchet scheduler` on a free loopback port, with the TPC-H tables
/// at `tpch_scale` (`"0"` for none), working in `work_dir` and sharing `token` with its
/// executors; `extra` flags follow.
pub(crate) fn scheduler_args<'a>(
    work_dir: &'a str,
    tpch_scale: &'a str,
    token: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "scheduler",
        "--port",
        "0",
        "--tpch-scale",
        tpch_scale,
        "--work-dir",
        work_dir,
        "--cluster-token",
        token,
        // These tests are about jobs: no query runs on the scheduler for being small.
        "--session-default",
        "ballista.planner.scheduler_execution_threshold_bytes=0",
    ];
    args.extend_from_slice(extra);
    args
}

/// A `trebuchet scheduler` process started with [`scheduler_args`].
pub(crate) fn scheduler(work_dir: &str, tpch_scale: &str, token: &str, extra: &[&str]) -> Process {
    Process::start(&scheduler_args(work_dir, tpch_scale, token, extra))
}

/// The arguments of a `trebuchet executor` for the scheduler at `url`, presenting `token`;
/// `extra` flags follow.
pub(crate) fn executor_args<'a>(
    url: &'a str,
    work_dir: &'a str,
    token: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "executor",
        "--scheduler-url",
        url,
        "--port",
        "0",
        "--work-dir",
        work_dir,
        "--cluster-token",
        token,
    ];
    args.extend_from_slice(extra);
    args
}

/// A `trebuchet executor` process started with [`executor_args`].
pub(crate) fn executor(url: &str, work_dir: &str, token: &str, extra: &[&str]) -> Process {
    Process::start(&executor_args(url, work_dir, token, extra))
}

/// A Flight SQL client of the server at `url` (`grpc://host:port`).
pub(crate) async fn connect(url: &str) -> FlightSqlServiceClient<Channel> {
    let channel = Endpoint::from_shared(url.to_string())
        .unwrap()
        .connect()
        .await
        .unwrap();
    FlightSqlServiceClient::new(channel)
}

#[tokio::test]
async fn a_scheduler_and_two_executor_processes_answer_a_multi_stage_query() {
    let work = tempfile::tempdir().unwrap();
    let path = |name: &str| work.path().join(name).to_string_lossy().into_owned();
    let mut scheduler = scheduler(&path("scheduler"), "0.01", "s3cret", &[]);
    let url = scheduler.grpc_url().await;
    let mut executors: Vec<Process> = ["executor-a", "executor-b"]
        .iter()
        .map(|dir| executor(&url, &path(dir), "s3cret", &["--concurrent-tasks", "2"]))
        .collect();
    for executor in &mut executors {
        executor.wait_for("registered with the scheduler").await;
    }
    let mut intruder = executor(&url, &path("intruder"), "guess", &[]);
    let refused = intruder.wait_for("registration failed").await;
    assert!(refused.contains("cluster token"), "{refused}");
    // The scheduler delivers pull-staged (the default); a push-staged executor is refused
    // and the process ends with the reason.
    let mut mismatched = executor(
        &url,
        &path("mismatched"),
        "s3cret",
        &["--scheduler-policy", "push-staged"],
    );
    let refused = mismatched.wait_for("refused this executor").await;
    assert!(
        refused.contains("push-staged") && refused.contains("pull-staged"),
        "{refused}"
    );
    let exit = tokio::time::timeout(Duration::from_secs(30), mismatched.child.wait())
        .await
        .expect("a refused executor exits")
        .unwrap();
    assert!(!exit.success(), "{exit}");

    let mut client = connect(&url).await;
    let batches = query(
        &mut client,
        "SELECT o_orderpriority, count(*) AS n FROM orders JOIN lineitem ON l_orderkey = o_orderkey \
         GROUP BY o_orderpriority ORDER BY o_orderpriority",
    )
    .await;
    assert_eq!(
        batches.iter().map(|b| b.num_rows()).sum::<usize>(),
        5,
        "{}",
        pretty(&batches)
    );
    let total = column_sum(&batches, 1);
    let lineitems = query(&mut client, "SELECT count(*) FROM lineitem").await;
    let expected = lineitems[0]
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .value(0);
    assert_eq!(total, expected, "every line item joins one order");
}

#[tokio::test]
async fn an_executor_refuses_a_memory_pool_smaller_than_its_task_slots() {
    let work = tempfile::tempdir().unwrap();
    let work_dir = work.path().join("executor");
    let mut executor = Process::start(&[
        "executor",
        "--port",
        "0",
        "--concurrent-tasks",
        "4",
        "--memory-pool-size",
        "3",
        "--work-dir",
        &work_dir.to_string_lossy(),
        "--cluster-token",
        "s3cret",
    ]);
    let refused = executor.wait_for("did not start").await;
    assert!(refused.contains("3 bytes"), "{refused}");
    assert!(refused.contains("4 concurrent tasks"), "{refused}");
    assert!(!work_dir.exists(), "a refused executor leaves no work dir");
}
