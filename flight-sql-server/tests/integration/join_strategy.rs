//! The tuning guide's join strategy: sort-merge join unless a session asks for hash join,
//! which then changes that session only, and builds its hash table from the smaller side.

use crate::fixture::{TestServer, pretty, query};

const JOIN: &str = "SELECT n_name, count(*) AS customers FROM customer \
                    JOIN nation ON c_nationkey = n_nationkey GROUP BY n_name ORDER BY n_name";

/// The physical plan lines of `EXPLAIN sql` that name a join operator.
async fn join_lines(client: &mut Client, sql: &str) -> Vec<String> {
    let explained = pretty(&query(client, &format!("EXPLAIN {sql}")).await);
    explained
        .lines()
        .filter(|line| line.contains("JoinExec"))
        .map(|line| {
            line.trim_matches(|c: char| c == '|' || c.is_whitespace())
                .to_string()
        })
        .collect()
}

type Client = arrow_flight::sql::client::FlightSqlServiceClient<tonic::transport::Channel>;

/// Two sessions on `server`: one with the default sort-merge join, one that prefers hash join;
/// neither broadcasts, so that each uses its join operator even on tiny tables.
async fn merge_and_hash_sessions(server: &TestServer) -> (Client, Client) {
    let mut merge = server.session_client().await;
    let mut hash = server.session_client().await;
    for session in [&mut merge, &mut hash] {
        session
            .execute_update(
                "SET ballista.optimizer.broadcast_join_threshold_bytes = 0".into(),
                None,
            )
            .await
            .unwrap();
    }
    hash.execute_update(
        "SET datafusion.optimizer.prefer_hash_join = true".into(),
        None,
    )
    .await
    .unwrap();
    (merge, hash)
}

#[tokio::test]
async fn prefer_hash_join_switches_one_session_and_both_strategies_agree() {
    let server = TestServer::start().await;
    let (mut merge, mut hash) = merge_and_hash_sessions(&server).await;

    // Both sessions at once, on the same scheduler and executors.
    let (merge_plan, hash_plan) = tokio::join!(join_lines(&mut merge, JOIN), async {
        join_lines(&mut hash, JOIN).await
    });
    assert!(
        merge_plan
            .iter()
            .any(|line| line.contains("SortMergeJoinExec")),
        "{merge_plan:?}"
    );
    assert!(
        !merge_plan.iter().any(|line| line.contains("HashJoinExec")),
        "{merge_plan:?}"
    );
    assert!(
        hash_plan.iter().any(|line| line.contains("HashJoinExec")),
        "{hash_plan:?}"
    );
    assert!(
        !hash_plan
            .iter()
            .any(|line| line.contains("SortMergeJoinExec")),
        "{hash_plan:?}"
    );

    let (merged, hashed) = tokio::join!(query(&mut merge, JOIN), async {
        query(&mut hash, JOIN).await
    });
    assert_eq!(pretty(&merged), pretty(&hashed));
    assert_eq!(
        merged.iter().map(|b| b.num_rows()).sum::<usize>(),
        25,
        "every nation has customers"
    );
}

#[tokio::test]
async fn a_small_side_is_broadcast_by_default_and_answers_as_the_sort_merge_join() {
    let server = TestServer::start().await;
    let mut broadcast = server.session_client().await;
    let (mut merge, _) = merge_and_hash_sessions(&server).await;
    let plan = join_lines(&mut broadcast, JOIN).await;
    assert!(
        plan.iter()
            .any(|line| line.starts_with("HashJoinExec: mode=CollectLeft")),
        "{plan:?}"
    );
    assert!(
        !plan.iter().any(|line| line.contains("SortMergeJoinExec")),
        "{plan:?}"
    );
    let explained = pretty(&query(&mut broadcast, &format!("EXPLAIN {JOIN}")).await);
    assert!(
        !explained.contains("partitioning=Hash([c_nationkey"),
        "customer is not shuffled for the join: {explained}"
    );
    assert_eq!(
        pretty(&query(&mut broadcast, JOIN).await),
        pretty(&query(&mut merge, JOIN).await)
    );
    broadcast
        .execute_update(
            "SET ballista.optimizer.broadcast_join_threshold_bytes = 16".into(),
            None,
        )
        .await
        .unwrap();
    let plan = join_lines(&mut broadcast, JOIN).await;
    assert!(
        plan.iter().any(|line| line.contains("SortMergeJoinExec")),
        "nothing is as small as 16 bytes: {plan:?}"
    );
}

#[tokio::test]
async fn a_hash_join_builds_from_the_smaller_input_whichever_side_it_was_written_on() {
    let server = TestServer::start().await;
    let mut client = server.session_client().await;
    client
        .execute_update(
            "SET datafusion.optimizer.prefer_hash_join = true".into(),
            None,
        )
        .await
        .unwrap();
    // nation (25 rows) is the small side, written first and written last.
    for sql in [
        "SELECT count(*) FROM customer JOIN nation ON c_nationkey = n_nationkey",
        "SELECT count(*) FROM nation JOIN customer ON n_nationkey = c_nationkey",
    ] {
        let joins = join_lines(&mut client, sql).await;
        let hash_join = joins
            .iter()
            .find(|line| line.contains("HashJoinExec"))
            .unwrap_or_else(|| panic!("{sql}: {joins:?}"));
        // The build side is the left input: its key comes first in `on`.
        let on = &hash_join[hash_join
            .find("on=[(")
            .unwrap_or_else(|| panic!("{hash_join}"))..];
        assert!(on.starts_with("on=[(n_nationkey@"), "{sql}: {hash_join}");
    }
}

/// Joins that emit build-side rows after their last probe partition (left, semi, anti,
/// full, null-aware `NOT IN`, and a nested loop left join) give a hash-join session the
/// same answer as a sort-merge session, and the answers are not empty. Before the
/// `SharedStateJoins` rule a broadcast hash join lost those rows: each task probes one
/// partition and waited for the others forever.
#[tokio::test]
async fn joins_that_finish_after_the_last_probe_partition_lose_no_rows_with_hash_join() {
    let server = TestServer::start().await;
    let (mut merge, mut hash) = merge_and_hash_sessions(&server).await;
    let queries = [
        // LeftSemi with nation (25 rows) as the broadcast build side.
        "SELECT n_name FROM nation WHERE n_nationkey IN (SELECT c_nationkey FROM customer) ORDER BY n_name",
        // LeftAnti (NOT EXISTS) and null-aware LeftAnti (NOT IN).
        "SELECT n_name FROM nation WHERE NOT EXISTS \
         (SELECT 1 FROM customer WHERE c_nationkey = n_nationkey AND c_acctbal > 9900) ORDER BY n_name",
        "SELECT n_name FROM nation WHERE n_nationkey NOT IN \
         (SELECT c_nationkey FROM customer WHERE c_acctbal > 9900) ORDER BY n_name",
        // Left and full outer joins, counting the unmatched side.
        "SELECT n_name, count(c_custkey) AS rich FROM nation LEFT JOIN customer \
         ON c_nationkey = n_nationkey AND c_acctbal > 9900 GROUP BY n_name ORDER BY n_name",
        "SELECT count(*) AS n, count(n_name) AS named, count(c_custkey) AS customers FROM nation \
         FULL JOIN customer ON c_nationkey = n_nationkey AND c_acctbal > 9900",
        // A nested loop left join (no equality to hash on).
        "SELECT r_name, count(n_nationkey) AS smaller FROM region LEFT JOIN nation \
         ON n_nationkey < r_regionkey GROUP BY r_name ORDER BY r_name",
    ];
    for sql in queries {
        let expected = pretty(&query(&mut merge, sql).await);
        let answer = pretty(&query(&mut hash, sql).await);
        assert_eq!(answer, expected, "{sql}");
        assert!(
            expected.lines().count() > 4,
            "{sql}: an empty answer proves nothing\n{expected}"
        );
    }
}
