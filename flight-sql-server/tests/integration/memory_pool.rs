//! Executors started with a memory pool (`--memory-pool-size`): a sort and a hash aggregate
//! whose data is far larger than a task's share of the pool spill to disk, still give the
//! right answer, and leave no spill files once the executors stop; a hash join, which cannot
//! spill, fails with `RESOURCE_EXHAUSTED`.

use std::collections::HashMap;

use arrow::array::{Array, Int64Array, RecordBatch};

use crate::fixture::{TestServer, code_of, query, try_fetch};

/// Each executor's pool: two slots, so 4 MiB per task.
const EXECUTOR_POOL_BYTES: u64 = 8 << 20;
const TASK_POOL_BYTES: u64 = EXECUTOR_POOL_BYTES / 2;
/// Rows of the generated input: 16 MB of Int64 values, nearly four times a task's pool.
const ROWS: i64 = 2_000_000;

#[tokio::test]
async fn a_sort_larger_than_a_tasks_pool_spills_and_returns_every_row_in_order() {
    let mut server = TestServer::start_with_memory_pool(EXECUTOR_POOL_BYTES).await;
    let mut client = server.session_client().await;
    // DataFusion's sort sets aside this much up front for merging its spills (10 MiB by
    // default, more than the whole pool here).
    query(
        &mut client,
        "SET datafusion.execution.sort_spill_reservation_bytes = 1048576",
    )
    .await;
    assert!(input_bytes() > 3 * TASK_POOL_BYTES);
    // 2000003 is prime, so the values are a permutation of ROWS distinct numbers.
    let sql = format!(
        "SELECT (n * 7919) % 2000003 AS v FROM generate_series(1, {ROWS}) AS t(n) ORDER BY v"
    );

    let batches = query(&mut client, &sql).await;

    let mut expected: Vec<i64> = (1..=ROWS).map(|n| (n * 7919) % 2_000_003).collect();
    expected.sort_unstable();
    assert!(
        column(&batches, 0) == expected,
        "the sort lost or misplaced rows"
    );
    assert_spilled_and_cleaned_up(&mut server).await;
}

#[tokio::test]
async fn a_hash_aggregate_larger_than_a_tasks_pool_spills_and_counts_every_group() {
    let mut server = TestServer::start_with_memory_pool(EXECUTOR_POOL_BYTES).await;
    let mut client = server.session_client().await;
    // Two final tasks of half a million groups each, rather than sixteen small ones.
    query(
        &mut client,
        "SET datafusion.execution.target_partitions = 2",
    )
    .await;
    // The sort-based shuffle writer spills under pressure too; the hash writer never does,
    // so every spill counted below is the aggregate's.
    query(
        &mut client,
        "SET ballista.shuffle.sort_based.enabled = false",
    )
    .await;
    assert!(input_bytes() > 3 * TASK_POOL_BYTES);
    let groups = ROWS / 2;
    let sql = format!(
        "SELECT n % {groups} AS k, count(*) AS c, sum(n) AS s \
         FROM generate_series(1, {ROWS}) AS t(n) GROUP BY k"
    );

    let batches = query(&mut client, &sql).await;

    let mut expected: HashMap<i64, (i64, i64)> = HashMap::new();
    for n in 1..=ROWS {
        let group = expected.entry(n % groups).or_default();
        group.0 += 1;
        group.1 += n;
    }
    let (keys, counts, sums) = (
        column(&batches, 0),
        column(&batches, 1),
        column(&batches, 2),
    );
    let actual: HashMap<i64, (i64, i64)> =
        keys.into_iter().zip(counts.into_iter().zip(sums)).collect();
    assert_eq!(actual.len(), expected.len(), "one row per group");
    assert!(actual == expected, "some group's count or sum is wrong");
    assert_spilled_and_cleaned_up(&mut server).await;
}

/// Bytes of the Int64 column every query here reads.
fn input_bytes() -> u64 {
    ROWS as u64 * 8
}

/// The executors spilled, spilled under their work dirs, and removed the spill
/// directories when they stopped.
async fn assert_spilled_and_cleaned_up(server: &mut TestServer) {
    let executors = server.cluster().executors();
    let spill_count: u64 = executors
        .iter()
        .map(|executor| executor.spill_count())
        .sum();
    let spilled_bytes: u64 = executors
        .iter()
        .map(|executor| executor.spilled_bytes())
        .sum();
    let spilled_rows: u64 = executors
        .iter()
        .map(|executor| executor.spilled_rows())
        .sum();
    assert!(spill_count > 0, "no task spilled");
    assert!(spilled_bytes > 0, "{spill_count} spills wrote no bytes");
    assert!(spilled_rows > 0, "{spill_count} spills wrote no rows");
    let spill_dirs: Vec<_> = (0..executors.len())
        .map(|index| {
            server
                .cluster_dir()
                .join(format!("executor-{index}"))
                .join("spill")
        })
        .collect();
    for dir in &spill_dirs {
        assert!(dir.is_dir(), "{} is where spills go", dir.display());
    }

    server.stop_cluster().await;

    for dir in &spill_dirs {
        assert!(!dir.exists(), "{} outlived its executor", dir.display());
    }
}

/// Every value of an Int64 column, across batches.
fn column(batches: &[RecordBatch], index: usize) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|batch| {
            let values = batch
                .column(index)
                .as_any()
                .downcast_ref::<Int64Array>()
                .expect("an Int64 column");
            assert_eq!(values.null_count(), 0);
            values.values().to_vec()
        })
        .collect()
}

#[tokio::test]
async fn a_hash_join_build_side_larger_than_a_tasks_pool_fails_resource_exhausted() {
    let server = TestServer::start_with_memory_pool(EXECUTOR_POOL_BYTES).await;
    let mut client = server.session_client().await;
    // Hash join does not spill: one partition builds all 16 MB of the left side.
    for setting in [
        "SET datafusion.optimizer.prefer_hash_join = true",
        "SET datafusion.execution.target_partitions = 1",
    ] {
        query(&mut client, setting).await;
    }
    let sql = format!(
        "SELECT count(*) FROM generate_series(1, {ROWS}) AS a(n) \
         JOIN generate_series(1, {ROWS}) AS b(n) ON a.n = b.n"
    );
    let err = match client.execute(sql, None).await {
        Ok(info) => try_fetch(&mut client, &info).await.unwrap_err(),
        Err(err) => err,
    };
    assert_eq!(code_of(&err), tonic::Code::ResourceExhausted, "{err}");
    assert!(err.to_string().contains("Resources exhausted"), "{err}");
    // The server goes on serving.
    query(&mut client, "SELECT count(*) FROM nation").await;
}

// Each side of these joins writes 8 MB to each of its two partitions: below the adaptive
// rule's default limit (32 MiB), but twice a task's pool. Executors report their share, so
// the planner joins them with a sort-merge join, which spills, and not with a hash join,
// which fails with RESOURCE_EXHAUSTED as in the test above.

#[tokio::test]
async fn the_adaptive_planner_keeps_a_sort_merge_join_whose_side_a_tasks_pool_cannot_hash() {
    assert_eq!(adaptive_join_of_large_sides(&[]).await, vec![ROWS]);
}

#[tokio::test]
async fn the_adaptive_planner_turns_a_hash_join_a_tasks_pool_cannot_build_into_a_sort_merge_join() {
    let hash_joins = "SET datafusion.optimizer.prefer_hash_join = true";
    assert_eq!(
        adaptive_join_of_large_sides(&[hash_joins]).await,
        vec![ROWS]
    );
}

/// The count of a self-join of `ROWS` distinct values (`ROWS` when right) on executors
/// with small pools, by a session with the adaptive planner on and `settings`.
async fn adaptive_join_of_large_sides(settings: &[&str]) -> Vec<i64> {
    let server = TestServer::start_with_memory_pool(EXECUTOR_POOL_BYTES).await;
    let mut client = server.session_client().await;
    let adaptive = [
        "SET ballista.planner.adaptive.enabled = true",
        // Stages whose joins are re-planned, not one task (which would keep the sort-merge
        // join for the same reason, unmeasured).
        "SET ballista.planner.adaptive.single_task.enabled = false",
        // Both sides shuffled and measured: no broadcast.
        "SET ballista.optimizer.broadcast_join_threshold_bytes = 0",
        "SET datafusion.execution.target_partitions = 2",
        "SET datafusion.execution.sort_spill_reservation_bytes = 1048576",
    ];
    for setting in settings.iter().chain(&adaptive) {
        query(&mut client, setting).await;
    }
    let side = format!("SELECT (n * 7919) % 2000003 AS v FROM generate_series(1, {ROWS}) AS t(n)");
    let sql = format!("SELECT count(*) FROM ({side}) AS a JOIN ({side}) AS b ON a.v = b.v");
    column(&query(&mut client, &sql).await, 0)
}
