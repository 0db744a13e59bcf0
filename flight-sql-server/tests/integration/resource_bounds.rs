//! What one query may hold on the executors: a result nobody reads (or a reader that
//! stalls) takes a bounded amount of disk, and a query whose client gives up, or that runs
//! past its timeout, stops burning the executors' CPU within seconds.

use std::path::Path;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use tonic::Code;
use trebuchet_cluster::MAX_UNREAD_RESULT_BYTES;

use crate::fixture::{TestServer, code_of, eventually};

/// Never ends on its own: the final stage would write until the job is cancelled.
const ENDLESS: &str = "SELECT value FROM generate_series(1, 100000000000)";

/// Hours of CPU in a stage before the final one (the partial aggregation, before the
/// shuffle by `k`), so `GetFlightInfo` waits on it: each of the 10^5 rows of `a` meets
/// every row of `b`, a batch at a time.
const CPU_HEAVY: &str = "SELECT b.value % 7 AS k, sum(a.value + b.value) \
     FROM generate_series(1, 100000) a CROSS JOIN generate_series(1, 100000000000) b GROUP BY k";

/// Bytes of the files under `dir`.
fn bytes_under(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            total += bytes_under(&path);
        } else {
            total += entry.metadata().map_or(0, |metadata| metadata.len());
        }
    }
    total
}

/// Watches the executors' work dir until its size has stopped growing, failing as soon as
/// it holds more than `bound` bytes.
async fn wait_until_disk_settles_below(server: &TestServer, bound: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = u64::MAX;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let used = bytes_under(&server.cluster_dir());
        assert!(
            used <= bound,
            "{used} bytes on the executors' disks, over the bound of {bound}"
        );
        if used == last && used > 0 {
            return used;
        }
        assert!(
            Instant::now() < deadline,
            "the executors' disks still grow after 30 s: {used} bytes"
        );
        last = used;
    }
}

/// Twice the cap per partition: the cap, plus what the reader has read and the last
/// batch written past the cap.
fn disk_bound(partitions: usize) -> u64 {
    2 * MAX_UNREAD_RESULT_BYTES * partitions as u64
}

#[tokio::test]
async fn a_result_nobody_reads_takes_a_bounded_amount_of_disk_and_can_still_be_read() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let info = client.execute(ENDLESS.into(), None).await.unwrap();

    let used = wait_until_disk_settles_below(&server, disk_bound(info.endpoint.len())).await;
    assert!(
        used >= MAX_UNREAD_RESULT_BYTES,
        "the writers ran up to the cap before waiting: {used} bytes"
    );

    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let mut rows = client.do_get(ticket).await.unwrap();
    let first = rows.try_next().await.unwrap().expect("rows arrive");
    assert!(first.num_rows() > 0);
}

#[tokio::test]
async fn a_reader_that_stalls_takes_a_bounded_amount_of_disk() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let info = client.execute(ENDLESS.into(), None).await.unwrap();
    let mut streams = Vec::new();
    for endpoint in &info.endpoint {
        let mut rows = client
            .do_get(endpoint.ticket.clone().unwrap())
            .await
            .unwrap();
        rows.try_next().await.unwrap().expect("rows arrive");
        // Kept open, never read again.
        streams.push(rows);
    }

    wait_until_disk_settles_below(&server, disk_bound(info.endpoint.len())).await;
    drop(streams);
}

/// Whether every executor has stopped running tasks.
fn executors_idle(server: &TestServer) -> bool {
    server
        .cluster()
        .executors()
        .iter()
        .all(|executor| executor.running_tasks() == 0)
}

/// Waits for the executors to run a task of the query, and a little longer, so that the
/// task is deep in its work when the query is given up.
async fn wait_until_executors_busy(server: &TestServer) {
    assert!(
        eventually(|| !executors_idle(server)).await,
        "the query reached the executors"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!executors_idle(server), "the query still runs");
}

/// Asserts that the executors stop every task within a few seconds.
async fn assert_executors_stop(server: &TestServer) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !executors_idle(server) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let running: Vec<usize> = server
        .cluster()
        .executors()
        .iter()
        .map(|executor| executor.running_tasks())
        .collect();
    assert!(
        executors_idle(server),
        "the executors still run the query's tasks 5 s after it ended: {running:?}"
    );
}

#[tokio::test]
async fn a_client_giving_up_on_a_cpu_heavy_query_stops_the_executors_tasks() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let mut waiting = tokio::task::JoinSet::new();
    waiting.spawn(async move { client.execute(CPU_HEAVY.into(), None).await });
    wait_until_executors_busy(&server).await;

    waiting.abort_all();

    assert_executors_stop(&server).await;
}

#[tokio::test]
async fn a_cpu_heavy_query_past_its_timeout_stops_the_executors_tasks() {
    let server = TestServer::start().await;
    let mut client = server.session_client().await;
    client
        .execute_update("SET ballista.job.timeout = '5s'".into(), None)
        .await
        .unwrap();
    let mut waiting = tokio::task::JoinSet::new();
    waiting.spawn(async move { client.execute(CPU_HEAVY.into(), None).await });
    wait_until_executors_busy(&server).await;

    let ended = tokio::time::timeout(Duration::from_secs(20), waiting.join_next())
        .await
        .expect("the query ended at its timeout")
        .unwrap()
        .unwrap();
    let err = ended.expect_err("10^16 rows cannot have been summed");
    assert_eq!(code_of(&err), Code::DeadlineExceeded, "{err}");

    assert_executors_stop(&server).await;
}
