//! Queries run as jobs on the cluster's executors: work is spread over both, a failure
//! reaches the client with the executor's message, and no shuffle file outlives its job.

use std::time::{Duration, Instant};

use crate::fixture::{TestServer, code_of, eventually, pretty, query, rows};

/// Waits up to a few seconds for the (asynchronous) release of job files.
async fn settled_shuffle_files(server: &TestServer) -> Vec<std::path::PathBuf> {
    eventually(|| server.shuffle_files().is_empty()).await;
    server.shuffle_files()
}

#[tokio::test]
async fn a_multi_stage_query_runs_on_both_executors_and_leaves_no_files() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let sql = "SELECT o_orderpriority, count(*) AS orders, sum(l_quantity) AS quantity \
               FROM orders JOIN lineitem ON l_orderkey = o_orderkey \
               GROUP BY o_orderpriority ORDER BY o_orderpriority";
    let batches = query(&mut client, sql).await;
    assert_eq!(rows(&batches), 5, "{}", pretty(&batches));
    for executor in server.cluster().executors() {
        assert!(
            executor.tasks_finished() > 0,
            "executor {} ran no task",
            executor.id()
        );
        // The fixture's executors have two slots; stages of 16 tasks would use more.
        assert!(
            (1..=2).contains(&executor.peak_concurrent_tasks()),
            "executor {} ran {} tasks at once",
            executor.id(),
            executor.peak_concurrent_tasks()
        );
    }
    assert_eq!(
        settled_shuffle_files(&server).await,
        Vec::<std::path::PathBuf>::new()
    );
}

#[tokio::test]
async fn each_final_partition_is_its_own_endpoint_and_together_they_hold_every_row() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let info = client
        .execute("SELECT l_orderkey, l_linenumber FROM lineitem".into(), None)
        .await
        .unwrap();
    assert!(
        info.endpoint.len() > 1,
        "a scan of four files has several partitions"
    );
    assert!(!info.ordered, "partitions carry no order between them");
    let mut fetched = 0;
    for endpoint in &info.endpoint {
        let stream = client
            .do_get(endpoint.ticket.clone().unwrap())
            .await
            .unwrap();
        let batches: Vec<_> = futures::TryStreamExt::try_collect(stream).await.unwrap();
        fetched += rows(&batches);
    }
    let counted = query(&mut client, "SELECT count(*) AS n FROM lineitem").await;
    let expected = counted[0]
        .column(0)
        .as_any()
        .downcast_ref::<arrow::array::Int64Array>()
        .unwrap()
        .value(0);
    assert_eq!(fetched as i64, expected);
    assert_eq!(
        settled_shuffle_files(&server).await,
        Vec::<std::path::PathBuf>::new()
    );
    let again = crate::fixture::try_fetch(&mut client, &info)
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already read"), "{again}");
}

/// A task's failed cast reaches the client as DataFusion words it, then where it happened,
/// with DataFusion's code for it.
fn assert_failed_cast(err: &arrow_flight::error::FlightError) {
    let message = crate::fixture::message_of(err);
    assert!(
        message.starts_with("Arrow error: Cast error: Cannot cast string"),
        "{message}"
    );
    assert!(
        message.contains(" of stage ") && message.contains(" on executor-"),
        "{message}"
    );
    assert_eq!(code_of(err), tonic::Code::InvalidArgument, "{message}");
}

#[tokio::test]
async fn a_task_failure_reaches_the_client_with_the_executors_message() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    // The failing cast runs in the final stage, so the failure arrives with the results.
    let info = client
        .execute("SELECT CAST(l_comment AS INT) FROM lineitem".into(), None)
        .await
        .unwrap();
    let err = crate::fixture::try_fetch(&mut client, &info)
        .await
        .unwrap_err();
    assert_failed_cast(&err);
    assert_eq!(
        settled_shuffle_files(&server).await,
        Vec::<std::path::PathBuf>::new()
    );
    // The cluster keeps serving.
    assert_eq!(
        rows(&query(&mut client, "SELECT count(*) FROM nation").await),
        1
    );
}

#[tokio::test]
async fn a_failure_before_the_final_stage_fails_the_flight_info() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    // The cast runs in the partial aggregation, a stage before the final one, and the
    // FlightInfo waits for every stage before the final one.
    let err = client
        .execute(
            "SELECT CAST(l_comment AS INT) AS c, count(*) FROM lineitem GROUP BY 1".into(),
            None,
        )
        .await
        .unwrap_err();
    assert_failed_cast(&err);
    assert_eq!(
        settled_shuffle_files(&server).await,
        Vec::<std::path::PathBuf>::new()
    );
}

#[tokio::test]
async fn explain_shows_the_stages_the_cluster_runs() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let batches = query(
        &mut client,
        "EXPLAIN SELECT l_returnflag, count(*) FROM lineitem GROUP BY l_returnflag",
    )
    .await;
    let text = pretty(&batches);
    assert!(text.contains("distributed_plan"), "{text}");
    assert!(text.contains("Stage 1"), "{text}");
    assert!(
        text.contains("ShuffleWriterExec: stage=1, partitioning=Hash"),
        "{text}"
    );
}

#[tokio::test]
async fn empty_plans_keep_their_schema_across_stages() {
    // DataFusion plans these with EmptyExec or zero-row partitions; a stage with no tasks
    // or no rows must still produce a well-formed, empty result.
    let server = TestServer::start().await;
    let mut client = server.client().await;
    for sql in [
        "SELECT l_orderkey FROM lineitem WHERE 1 = 0",
        "SELECT l_orderkey FROM lineitem LIMIT 0",
        "SELECT o_orderpriority, count(*) FROM orders WHERE o_orderkey < 0 GROUP BY o_orderpriority",
        "SELECT n_name FROM nation JOIN region ON n_regionkey = r_regionkey WHERE r_name = 'nowhere'",
    ] {
        let info = client.execute(sql.into(), None).await.unwrap();
        let batches = crate::fixture::fetch(&mut client, &info).await;
        assert_eq!(rows(&batches), 0, "{sql}");
    }
    assert_eq!(
        settled_shuffle_files(&server).await,
        Vec::<std::path::PathBuf>::new()
    );
}

#[tokio::test]
async fn session_settings_travel_with_every_task() {
    let server = TestServer::start().await;
    let mut small = server.session_client().await;
    let mut default = server.session_client().await;
    query(&mut small, "SET datafusion.execution.batch_size = 100").await;
    let sql = "SELECT l_orderkey FROM lineitem";
    let largest = |batches: &[arrow::array::RecordBatch]| {
        batches
            .iter()
            .map(|batch| batch.num_rows())
            .max()
            .unwrap_or(0)
    };
    let small_batches = query(&mut small, sql).await;
    let default_batches = query(&mut default, sql).await;
    assert_eq!(rows(&small_batches), rows(&default_batches));
    assert!(
        largest(&small_batches) <= 100,
        "executors read with the session's batch size"
    );
    assert!(
        largest(&default_batches) > 100,
        "other sessions keep the default"
    );
}

#[tokio::test]
async fn results_nobody_read_are_deleted_when_the_cluster_stops() {
    let mut server = TestServer::start().await;
    let mut client = server.client().await;
    let info = client
        .execute("SELECT l_orderkey FROM lineitem".into(), None)
        .await
        .unwrap();
    assert!(info.endpoint.len() > 1);
    assert!(
        eventually(|| !server.shuffle_files().is_empty()).await,
        "the results wait on the executors"
    );
    server.stop_cluster().await;
    assert_eq!(server.shuffle_files(), Vec::<std::path::PathBuf>::new());
}

#[tokio::test]
async fn without_executors_a_query_fails_unavailable_after_the_wait() {
    let mut config = trebuchet_flight_sql_server::ServerConfig::loopback();
    config.executor_wait = Duration::from_secs(1);
    let server = TestServer::start_with_executors(config, 0).await;
    let mut client = server.client().await;
    let started = Instant::now();
    // (A plain count(*) would be answered from the Parquet statistics, with no job.)
    let err = client
        .execute(
            "SELECT count(*) FROM lineitem WHERE l_quantity > 1".into(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), tonic::Code::Unavailable, "{err}");
    assert!(
        err.to_string().contains("no executor was available"),
        "{err}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "it waited for an executor"
    );
    // Catalog queries need no executor.
    query(&mut client, "SHOW TABLES").await;
}

/// The files of stage 1 of the only job on disk, by map task, each named without its
/// stage, map task and attempt: `.arrow` for a sort-based task (indexed by its footer),
/// `p<output>.arrow` for each output of a hash-based one.
fn first_stage_files(server: &TestServer) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut by_map_task = std::collections::BTreeMap::<String, Vec<String>>::new();
    for path in server.shuffle_files() {
        // <executor dir>/<job>/s<stage>-m<map task>-a<attempt>[-p<output>].arrow
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (stem, extension) = name.split_once('.').unwrap();
        let parts: Vec<&str> = stem.split('-').collect();
        let (["s1", map_task, _attempt] | ["s1", map_task, _attempt, _]) = parts.as_slice() else {
            continue;
        };
        let rest = parts
            .get(3)
            .map_or(String::new(), |output| (*output).to_owned());
        by_map_task
            .entry((*map_task).to_owned())
            .or_default()
            .push(format!("{rest}.{extension}"));
    }
    by_map_task
}

#[tokio::test]
async fn the_shuffle_writer_is_chosen_per_session_and_both_give_the_same_rows() {
    // The files are what this looks at: none is kept in memory instead.
    let server = TestServer::start_with_shuffle_on_disk().await;
    let mut sorted = server.session_client().await;
    let mut hashed = server.session_client().await;
    hashed
        .execute_update(
            "SET ballista.shuffle.sort_based.enabled = false".into(),
            None,
        )
        .await
        .unwrap();
    let sql = "SELECT l_returnflag, l_linestatus, count(*) AS n, sum(l_quantity) AS q \
               FROM lineitem GROUP BY l_returnflag, l_linestatus ORDER BY 1, 2";
    let outputs = 16; // datafusion.execution.target_partitions

    let mut results = Vec::new();
    for sort_based in [true, false, true] {
        let client = if sort_based { &mut sorted } else { &mut hashed };
        // GetFlightInfo runs the job; its files stay until the result has been read.
        let info = client.execute(sql.to_string(), None).await.unwrap();
        let files = first_stage_files(&server);
        assert!(!files.is_empty(), "stage 1 wrote files");
        for (map_task, names) in &files {
            let mut names = names.clone();
            names.sort();
            if sort_based {
                assert_eq!(names, [".arrow"], "map task {map_task}");
            } else {
                assert_eq!(names.len(), outputs, "map task {map_task}: {names:?}");
                assert!(
                    names.iter().all(|name| name.ends_with(".arrow")),
                    "{names:?}"
                );
            }
        }
        results.push(pretty(&crate::fixture::fetch(client, &info).await));
        assert_eq!(
            settled_shuffle_files(&server).await,
            Vec::<std::path::PathBuf>::new()
        );
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(
        results[0], results[2],
        "the other session's SET changed nothing here"
    );
}

/// `SELECT 1` and other plans that read no data are answered by the scheduler without a
/// job (EXPLAIN says so and no executor runs a task); a query that reads a table still runs
/// on the executors.
#[tokio::test]
async fn plans_that_read_no_data_run_on_the_scheduler_without_a_job() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let tasks = |server: &TestServer| -> u64 {
        server
            .cluster()
            .executors()
            .iter()
            .map(|executor| executor.tasks_finished())
            .sum()
    };
    let explained = pretty(&query(&mut client, "EXPLAIN SELECT 1 + 1 AS two").await);
    assert!(
        explained.contains("runs on the scheduler: it reads no data"),
        "{explained}"
    );
    for sql in [
        "SELECT 1 + 1 AS two",
        "SELECT 2 AS two WHERE false UNION ALL SELECT 2",
    ] {
        let answer = pretty(&query(&mut client, sql).await);
        assert!(answer.contains("| 2   |"), "{sql}: {answer}");
    }
    assert_eq!(tasks(&server), 0);
    // (A plain count(*) would be answered from the Parquet statistics, reading no data.)
    let counted = pretty(
        &query(
            &mut client,
            "SELECT count(*) AS n FROM region WHERE r_name <> 'ATLANTIS'",
        )
        .await,
    );
    assert!(counted.contains("| 5 |"), "{counted}");
    // The last rows can reach the client before the executor counts its task finished.
    assert!(eventually(|| tasks(&server) > 0).await);
}
