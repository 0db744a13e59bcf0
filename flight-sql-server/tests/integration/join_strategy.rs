//! The tuning guide's join strategy: sort-merge join unless a session asks for hash join,
//! which then changes that session only, and builds its hash table from the smaller side.

use crate::fixture::{TestServer, pretty, query};

const JOIN: &str = "SELECT n_name, count(*) AS customers FROM customer \
                    JOIN nation ON c_nationkey = n_nationkey GROUP BY n_name ORDER BY n_name";

/// The physical plan lines of `EXPLAIN sql` that name a join operator.
async fn join_lines(
    client: &mut arrow_flight::sql::client::FlightSqlServiceClient<tonic::transport::Channel>,
    sql: &str,
) -> Vec<String> {
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

#[tokio::test]
async fn prefer_hash_join_switches_one_session_and_both_strategies_agree() {
    let server = TestServer::start().await;
    let mut merge = server.session_client().await;
    let mut hash = server.session_client().await;
    hash.execute_update(
        "SET datafusion.optimizer.prefer_hash_join = true".into(),
        None,
    )
    .await
    .unwrap();

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
