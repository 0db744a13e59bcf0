//! An executor that joins while a query runs gets tasks of that query's remaining stages:
//! a real `trebuchet scheduler` with one single-slot executor process starts a query whose
//! first stage is one long task; a second executor process starts meanwhile, and runs
//! tasks of the later stages. The answer is checked against its closed form.

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::Int64Type;
use tokio::task::JoinSet;

use crate::fixture::query;
use crate::processes::{Process, connect, executor_args, scheduler_args, word_after};

const TOKEN: &str = "executor-joins";
/// Logs that show jobs being submitted and tasks finishing.
const LOG: &str = "info,trebuchet_cluster=debug";
/// Rows of the query's first stage: one task, long enough (seconds) for an executor
/// process to start and register while it runs.
const ROWS: i64 = 300_000_000;
const GROUPS: i64 = 97;

fn sql() -> String {
    format!(
        "SELECT k, count(*) AS n, sum(v) AS s \
         FROM (SELECT value % {GROUPS} AS k, value AS v FROM generate_series(1, {ROWS})) \
         GROUP BY k ORDER BY k"
    )
}

/// `(k, count, sum)` of the values 1..=ROWS whose remainder by GROUPS is k.
fn expected() -> Vec<(i64, i64, i64)> {
    (0..GROUPS)
        .map(|k| {
            // The values are k + GROUPS * j, for j from `first` to `last`.
            let first = if k == 0 { 1 } else { 0 };
            let last = (ROWS - k) / GROUPS;
            let count = last - first + 1;
            let sum_of_j = (first + last) * count / 2;
            (k, count, k * count + GROUPS * sum_of_j)
        })
        .collect()
}

fn rows_of(batches: &[RecordBatch]) -> Vec<(i64, i64, i64)> {
    let mut rows = Vec::new();
    for batch in batches {
        let column = |idx: usize| batch.column(idx).as_primitive::<Int64Type>();
        let (k, n, s) = (column(0), column(1), column(2));
        rows.extend((0..batch.num_rows()).map(|row| (k.value(row), n.value(row), s.value(row))));
    }
    rows
}

fn executor(url: &str, work_dir: &str, slots: &str) -> Process {
    let args = executor_args(url, work_dir, TOKEN, &["--concurrent-tasks", slots]);
    Process::start_logging(&args, LOG)
}

#[tokio::test]
async fn an_executor_that_joins_mid_query_runs_tasks_of_its_remaining_stages() {
    let work = tempfile::tempdir().unwrap();
    let path = |name: &str| work.path().join(name).to_string_lossy().into_owned();
    let scheduler_dir = path("scheduler");
    let mut scheduler =
        Process::start_logging(&scheduler_args(&scheduler_dir, "0", TOKEN, &[]), LOG);
    let url = scheduler.grpc_url().await;
    let mut first = executor(&url, &path("first"), "1");
    first.wait_for("registered with the scheduler").await;

    let mut running = JoinSet::new();
    let query_url = url.clone();
    running.spawn(async move { query(&mut connect(&query_url).await, &sql()).await });
    let submitted = scheduler.wait_for("job submitted").await;
    let job = word_after(&submitted, "job=").to_string();

    let mut joining = executor(&url, &path("joining"), "2");
    joining.wait_for("registered with the scheduler").await;
    assert!(
        !scheduler.has_logged(&format!("job finished job={job}")),
        "the query ended before the second executor joined: make its first stage longer"
    );
    let ran = joining.wait_for(&job).await;
    assert!(
        ran.contains("task finished") && ran.contains("succeeded=true"),
        "{ran}"
    );
    let stage: u32 = word_after(&ran, "stage=").parse().unwrap();
    assert!(
        stage > 1,
        "a later stage than the one running when it joined: {ran}"
    );

    let batches = running.join_next().await.unwrap().unwrap();
    assert_eq!(rows_of(&batches), expected());
    assert!(
        !first.has_logged("executor lost") && !scheduler.has_logged("executor lost"),
        "nothing was lost or redone"
    );
}
