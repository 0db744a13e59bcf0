//! Statements: queries, commands, updates and per-session settings.

use arrow::array::{Array, Int64Array, StringArray};
use arrow::datatypes::DataType;
use futures::TryStreamExt;
use trebuchet_flight_sql_server::{SharedCatalog, register_tpch};

use crate::fixture::{TestServer, fetch, pretty, query, rows};

#[tokio::test]
async fn a_query_streams_the_schema_its_flight_info_announced() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let info = client
        .execute(
            "SELECT n_name, n_nationkey FROM nation ORDER BY n_nationkey".into(),
            None,
        )
        .await
        .unwrap();
    let announced = info.clone().try_decode_schema().unwrap();
    assert_eq!(announced.field(0).data_type(), &DataType::Utf8);
    assert_eq!(info.endpoint.len(), 1);
    assert!(
        info.endpoint[0].location.is_empty(),
        "tickets are redeemed on the same connection"
    );

    let batches = fetch(&mut client, &info).await;
    assert_eq!(rows(&batches), 25);
    assert!(
        batches
            .iter()
            .all(|batch| batch.schema().as_ref() == &announced)
    );
    let names = batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    assert_eq!(names.value(0), "ALGERIA");
}

#[tokio::test]
async fn commands_run_when_their_flight_info_is_requested() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let info = client
        .execute("CREATE TABLE small AS SELECT * FROM region".into(), None)
        .await
        .unwrap();
    assert!(
        info.clone()
            .try_decode_schema()
            .unwrap()
            .fields()
            .is_empty()
    );
    assert_eq!(rows(&fetch(&mut client, &info).await), 0);

    // Created by one session, visible to every other.
    let mut other = server.client().await;
    assert_eq!(rows(&query(&mut other, "SELECT * FROM small").await), 5);
}

#[tokio::test]
async fn updates_report_the_rows_they_affected() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    assert_eq!(
        client
            .execute_update("CREATE TABLE m (a INT, b VARCHAR)".into(), None)
            .await
            .unwrap(),
        0
    );
    let inserted = client
        .execute_update(
            "INSERT INTO m VALUES (1, 'x'), (2, 'y'), (3, NULL)".into(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(inserted, 3);
    assert_eq!(rows(&query(&mut client, "SELECT * FROM m").await), 3);
    client
        .execute_update("CREATE VIEW v AS SELECT a FROM m WHERE a > 1".into(), None)
        .await
        .unwrap();
    assert_eq!(rows(&query(&mut client, "SELECT * FROM v").await), 2);
    client
        .execute_update("DROP VIEW v".into(), None)
        .await
        .unwrap();
    client
        .execute_update("DROP TABLE m".into(), None)
        .await
        .unwrap();
    assert!(
        client
            .execute("SELECT * FROM m".into(), None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn set_changes_only_the_session_that_ran_it() {
    let server = TestServer::start().await;
    let mut first = server.session_client().await;
    let mut second = server.session_client().await;
    first
        .execute_update("SET datafusion.execution.batch_size = 1234".into(), None)
        .await
        .unwrap();
    first
        .execute_update(
            "SET ballista.shuffle.sort_based.enabled = false".into(),
            None,
        )
        .await
        .unwrap();

    let show = |value: &str| format!("| datafusion.execution.batch_size | {value} ");
    let first_value = pretty(&query(&mut first, "SHOW datafusion.execution.batch_size").await);
    let second_value = pretty(&query(&mut second, "SHOW datafusion.execution.batch_size").await);
    assert!(first_value.contains(&show("1234")), "{first_value}");
    assert!(second_value.contains(&show("8192")), "{second_value}");

    let sort_based = pretty(&query(&mut first, "SHOW ballista.shuffle.sort_based.enabled").await);
    assert!(sort_based.contains("false"), "{sort_based}");

    first
        .execute_update("RESET datafusion.execution.batch_size".into(), None)
        .await
        .unwrap();
    let reset = pretty(&query(&mut first, "SHOW datafusion.execution.batch_size").await);
    assert!(reset.contains(&show("8192")), "{reset}");
}

#[tokio::test]
async fn sessions_start_from_trebuchet_defaults_and_show_all_lists_ballista_keys() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let all = pretty(&query(&mut client, "SHOW ALL").await);
    for expected in [
        "| datafusion.execution.target_partitions",
        "| datafusion.optimizer.prefer_hash_join ",
        "| ballista.shuffle.sort_based.memory_limit ",
        "| ballista.planner.adaptive.enabled ",
    ] {
        assert!(all.contains(expected), "{expected} missing");
    }
    let partitions =
        pretty(&query(&mut client, "SHOW datafusion.execution.target_partitions").await);
    assert!(partitions.contains("| 16 "), "{partitions}");
    let tables = pretty(&query(&mut client, "SHOW TABLES").await);
    assert!(tables.contains("lineitem"), "{tables}");
    let columns = pretty(&query(&mut client, "SHOW COLUMNS FROM nation").await);
    assert!(columns.contains("n_regionkey"), "{columns}");
}

#[tokio::test]
async fn streams_a_million_rows() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let info = client
        .execute("SELECT value FROM generate_series(1, 1000000)".into(), None)
        .await
        .unwrap();
    let ticket = info.endpoint[0].ticket.clone().unwrap();
    let mut stream = client.do_get(ticket).await.unwrap();
    let (mut count, mut sum, mut batches) = (0usize, 0i64, 0usize);
    while let Some(batch) = stream.try_next().await.unwrap() {
        let values = batch
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        count += values.len();
        sum += values.iter().flatten().sum::<i64>();
        batches += 1;
    }
    assert_eq!(count, 1_000_000);
    assert_eq!(sum, 1_000_000 * 1_000_001 / 2);
    assert!(batches > 1, "results arrive as a stream of batches");
}

#[tokio::test]
async fn tpch_q1_and_q6_match_in_process_datafusion() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let oracle = SharedCatalog::new();
    let oracle_dir = tempfile::tempdir().unwrap();
    register_tpch(&oracle, 0.01, oracle_dir.path())
        .await
        .unwrap();
    let ctx = oracle.new_session_context();
    for name in ["q01", "q06"] {
        let path = format!(
            "{}/../benchmarks/queries/{name}.sql",
            env!("CARGO_MANIFEST_DIR")
        );
        let sql = std::fs::read_to_string(&path).unwrap();
        let expected = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
        let actual = query(&mut client, &sql).await;
        assert_eq!(pretty(&actual), pretty(&expected), "{name}");
    }
}

/// With one endpoint a query starts when its ticket is redeemed, and it runs the plan its
/// `FlightInfo` was made from (planned once): a table replaced in between does not change
/// what the ticket returns. A ticket redeemed again is planned anew from its SQL.
#[tokio::test]
async fn a_deferred_ticket_runs_the_plan_its_flight_info_described() {
    let mut config = trebuchet_flight_sql_server::ServerConfig::loopback();
    config.result_endpoints = trebuchet_cluster::ResultEndpoints::Single;
    let server = TestServer::start_with(config).await;
    let mut client = server.session_client().await;
    client
        .execute_update(
            "CREATE TABLE swapped AS SELECT 1 AS old_column".into(),
            None,
        )
        .await
        .unwrap();
    let info = client
        .execute("SELECT * FROM swapped".into(), None)
        .await
        .unwrap();
    let announced = info.clone().try_decode_schema().unwrap();
    client
        .execute_update("DROP TABLE swapped".into(), None)
        .await
        .unwrap();
    client
        .execute_update(
            "CREATE TABLE swapped AS SELECT 'x' AS new_column".into(),
            None,
        )
        .await
        .unwrap();
    let first = fetch(&mut client, &info).await;
    assert_eq!(first[0].schema().as_ref(), &announced);
    assert_eq!(
        pretty(&first),
        pretty(&query(&mut client, "SELECT 1 AS old_column").await)
    );
    // Its plan was used up: the same ticket again plans the SQL against today's table.
    let again = fetch(&mut client, &info).await;
    assert_eq!(again[0].schema().field(0).name(), "new_column");
}
