//! Processes that leave on SIGTERM without losing work, with real `trebuchet` processes
//! on loopback: an executor drains (no new tasks, its running ones finish, its shuffle
//! output is served until the jobs reading it are done, then it deregisters and exits 0),
//! and a scheduler refuses new queries with UNAVAILABLE while started ones finish.

use std::time::Duration;

use arrow::array::RecordBatch;

use crate::fixture::{code_of, fetch, message_of, pretty, query, try_fetch};
use crate::health::{executor_addr, http_get, wait_until_ready};
use crate::processes::{Process, connect, executor};

const TOKEN: &str = "graceful";

/// TPC-H q3: three tables joined, aggregated and sorted, over several stages.
fn q3() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../benchmarks/queries/q03.sql");
    std::fs::read_to_string(path).unwrap()
}

/// A scheduler with TPC-H at scale 0.01, and its URL.
async fn scheduler(work: &tempfile::TempDir, extra: &[&str]) -> (Process, String) {
    let dir = work.path().join("scheduler").to_string_lossy().into_owned();
    let mut scheduler = crate::processes::scheduler(&dir, "0.01", TOKEN, extra);
    let url = scheduler.grpc_url().await;
    (scheduler, url)
}

/// An executor of the scheduler at `url`, registered, and the `host:port` of its Flight port.
async fn registered_executor(url: &str, work: &tempfile::TempDir, name: &str) -> (Process, String) {
    let dir = work.path().join(name).to_string_lossy().into_owned();
    let mut executor = executor(url, &dir, TOKEN, &["--concurrent-tasks", "2"]);
    let addr = executor_addr(&mut executor).await;
    wait_until_ready(&addr).await;
    (executor, addr)
}

/// The rows of a result, in an order that does not depend on partitioning.
fn sorted_rows(batches: &[RecordBatch]) -> Vec<String> {
    let mut rows: Vec<String> = pretty(batches).lines().map(str::to_string).collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn an_executor_drains_on_sigterm_without_losing_work() {
    let work = tempfile::tempdir().unwrap();
    let (mut scheduler, url) = scheduler(&work, &["--executor-timeout", "60s"]).await;
    let (mut leaving, leaving_addr) = registered_executor(&url, &work, "leaving").await;
    let mut client = connect(&url).await;
    let expected = sorted_rows(&query(&mut client, &q3()).await);
    assert_eq!(expected.len(), 10 + 4, "ten rows in a table:\n{expected:?}");

    // A query whose every stage ran on the leaving executor, results not read yet.
    let started = client.execute(q3(), None).await.unwrap();
    let (mut staying, _) = registered_executor(&url, &work, "staying").await;
    leaving.terminate();
    leaving.wait_for("draining: no new tasks").await;
    scheduler.wait_for("executor draining").await;
    assert_eq!(
        http_get(&leaving_addr, "/healthz").await,
        (200, "ok\n".into())
    );
    let (status, body) = http_get(&leaving_addr, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("draining"), "{body}");

    // A query started now runs on the staying executor alone.
    let mut other = connect(&url).await;
    assert_eq!(sorted_rows(&query(&mut other, &q3()).await), expected);
    // The draining executor still serves the first query's results.
    assert_eq!(sorted_rows(&fetch(&mut client, &started).await), expected);

    // Nothing of it is needed any more: it deregisters and exits 0.
    leaving
        .wait_for("drained: nothing of this executor is needed")
        .await;
    let exit = leaving.wait_for_exit(Duration::from_secs(30)).await;
    assert!(exit.success(), "{exit}");
    scheduler.wait_for("executor left after draining").await;
    assert!(
        !scheduler.has_logged("executor lost") && !scheduler.has_logged("before it was drained"),
        "a drained executor is not lost, and none of its work is redone"
    );
    // The cluster goes on without it.
    assert_eq!(sorted_rows(&query(&mut other, &q3()).await), expected);
    assert!(!staying.has_logged("executor lost"));
}

#[tokio::test]
async fn a_drain_that_times_out_still_ends_in_a_clean_exit() {
    let work = tempfile::tempdir().unwrap();
    let (mut scheduler, url) = scheduler(&work, &[]).await;
    let dir = work.path().join("leaving").to_string_lossy().into_owned();
    let mut leaving = executor(
        &url,
        &dir,
        TOKEN,
        &["--concurrent-tasks", "2", "--drain-timeout", "1s"],
    );
    wait_until_ready(&executor_addr(&mut leaving).await).await;
    let mut client = connect(&url).await;
    let expected = sorted_rows(&query(&mut client, &q3()).await);
    // Its results stay unread past the drain timeout.
    let started = client.execute(q3(), None).await.unwrap();
    let (_staying, _) = registered_executor(&url, &work, "staying").await;
    leaving.terminate();
    leaving.wait_for("drain timed out").await;
    let exit = leaving.wait_for_exit(Duration::from_secs(30)).await;
    assert!(exit.success(), "{exit}");
    scheduler
        .wait_for("executor left before it was drained")
        .await;
    // Results that were only on the executor that left are gone, and the client is told
    // so; the cluster goes on.
    let lost = try_fetch(&mut client, &started).await.unwrap_err();
    assert!(message_of(&lost).contains("run the query again"), "{lost}");
    assert_eq!(code_of(&lost), tonic::Code::Unavailable, "{lost}");
    assert_eq!(sorted_rows(&query(&mut client, &q3()).await), expected);
}

#[tokio::test]
async fn a_stopping_scheduler_refuses_new_queries_and_lets_started_ones_finish() {
    let work = tempfile::tempdir().unwrap();
    let (mut scheduler, url) = scheduler(&work, &["--drain-timeout", "60s"]).await;
    let scheduler_addr = url.trim_start_matches("http://").to_string();
    let (_executor, _) = registered_executor(&url, &work, "executor").await;
    let mut client = connect(&url).await;
    let expected = sorted_rows(&query(&mut client, &q3()).await);
    let started = client.execute(q3(), None).await.unwrap();

    scheduler.terminate();
    scheduler
        .wait_for("draining: new queries are refused")
        .await;
    assert_eq!(
        http_get(&scheduler_addr, "/healthz").await,
        (200, "ok\n".into())
    );
    assert_eq!(
        http_get(&scheduler_addr, "/readyz").await,
        (503, "server is shutting down\n".into())
    );
    let mut newcomer = connect(&url).await;
    let refused = newcomer
        .execute("SELECT 1".to_string(), None)
        .await
        .unwrap_err();
    assert_eq!(code_of(&refused), tonic::Code::Unavailable, "{refused}");
    assert!(
        message_of(&refused).contains("server is shutting down"),
        "{refused}"
    );

    // The query started before the signal is answered in full, then the scheduler exits.
    assert_eq!(sorted_rows(&fetch(&mut client, &started).await), expected);
    scheduler.wait_for("drained: no query is running").await;
    let exit = scheduler.wait_for_exit(Duration::from_secs(30)).await;
    assert!(exit.success(), "{exit}");
}
