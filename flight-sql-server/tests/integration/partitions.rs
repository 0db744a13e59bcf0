//! The tuning guide's partitions: one scan partition per file, never fewer whatever
//! `target_partitions` says, and large Parquet files split by row-group ranges.

use crate::fixture::{TestServer, pretty, query};

type Client = arrow_flight::sql::client::FlightSqlServiceClient<tonic::transport::Channel>;

/// How many partitions the lineitem scan of `EXPLAIN sql` has.
async fn scan_partitions(client: &mut Client, sql: &str) -> usize {
    let explained = pretty(&query(client, &format!("EXPLAIN {sql}")).await);
    let line = explained
        .lines()
        .find(|line| line.contains("DataSourceExec") && line.contains("lineitem"))
        .unwrap_or_else(|| panic!("no lineitem scan in {explained}"));
    let groups = line
        .split("file_groups={")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|count| count.parse().ok());
    groups.unwrap_or_else(|| panic!("no file group count in {line}"))
}

async fn set(client: &mut Client, setting: &str) {
    client
        .execute_update(format!("SET {setting}"), None)
        .await
        .unwrap();
}

const SQL: &str = "SELECT l_returnflag, count(*) AS n, sum(l_extendedprice) AS price \
                   FROM lineitem GROUP BY l_returnflag ORDER BY l_returnflag";

#[tokio::test]
async fn a_scan_keeps_one_partition_per_file_even_above_target_partitions() {
    let server = TestServer::start().await;
    let mut client = server.session_client().await;
    // The fixture stores lineitem as four files.
    assert_eq!(scan_partitions(&mut client, SQL).await, 4);
    set(&mut client, "datafusion.execution.target_partitions = 2").await;
    assert_eq!(
        scan_partitions(&mut client, SQL).await,
        4,
        "never fewer than the files"
    );
}

#[tokio::test]
async fn files_over_the_split_size_are_scanned_as_several_partitions_with_the_same_answer() {
    let server = TestServer::start().await;
    let mut client = server.session_client().await;
    let whole = pretty(&query(&mut client, SQL).await);

    set(&mut client, "ballista.scan.split_file_size = '64KiB'").await;
    let split_partitions = scan_partitions(&mut client, SQL).await;
    assert!(split_partitions > 4, "{split_partitions} partitions");
    assert_eq!(pretty(&query(&mut client, SQL).await), whole);

    set(&mut client, "ballista.scan.split_file_size = 0").await;
    assert_eq!(
        scan_partitions(&mut client, SQL).await,
        4,
        "0 turns splitting off"
    );
}
