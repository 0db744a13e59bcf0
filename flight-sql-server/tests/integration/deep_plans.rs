//! Deep and large statements: each gets its answer or a clear refusal, through
//! `GetFlightInfo` and through `CreatePreparedStatement`, and the server keeps serving.
//! The server runs in this test process on a 2 MiB test thread: a stack overflow while
//! planning aborts the test binary.

use arrow::array::{Array, Int64Array};
use arrow::record_batch::RecordBatch;
use arrow_flight::error::FlightError;
use arrow_flight::sql::client::FlightSqlServiceClient;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use tonic::Code;
use tonic::transport::Channel;

use crate::fixture::{TestServer, code_of, fetch, message_of, query, rows};

/// `term(0)`, `term(1)`, … `term(count - 1)` joined by `separator`.
fn chain(count: usize, term: impl Fn(usize) -> String, separator: &str) -> String {
    (0..count).map(term).collect::<Vec<_>>().join(separator)
}

/// `tables` copies of `nation` joined in a chain on the key.
fn join_chain(tables: usize) -> String {
    let mut sql = String::from("SELECT count(*) AS c, sum(n0.n_regionkey) AS s FROM nation n0");
    for table in 1..tables {
        sql.push_str(&format!(
            " JOIN nation n{table} ON n{}.n_nationkey = n{table}.n_nationkey",
            table - 1
        ));
    }
    sql
}

fn ctes(count: usize) -> String {
    let mut sql = String::from("WITH c0 AS (SELECT 1 AS x)");
    for cte in 1..count {
        sql.push_str(&format!(
            ", c{cte} AS (SELECT x + 1 AS x FROM c{})",
            cte - 1
        ));
    }
    sql + &format!(" SELECT x FROM c{}", count - 1)
}

/// Runs `sql` through `GetFlightInfo` and reads every endpoint.
async fn execute(
    client: &mut FlightSqlServiceClient<Channel>,
    sql: &str,
) -> Result<Vec<RecordBatch>, FlightError> {
    let info = client.execute(sql.to_string(), None).await?;
    Ok(fetch(client, &info).await)
}

/// Prepares `sql` (`CreatePreparedStatement`), then runs it and reads every endpoint.
async fn prepare_and_execute(
    client: &mut FlightSqlServiceClient<Channel>,
    sql: &str,
) -> Result<Vec<RecordBatch>, FlightError> {
    let mut prepared = client.prepare(sql.to_string(), None).await?;
    let info = prepared.execute().await?;
    Ok(fetch(client, &info).await)
}

/// The server answers `SELECT 1` on a fresh connection: it did not abort.
async fn still_serving(server: &TestServer) {
    let mut client = server.client().await;
    assert_eq!(rows(&query(&mut client, "SELECT 1").await), 1);
}

/// Both ways of sending `sql` are refused with `INVALID_ARGUMENT` naming `limit`, and the
/// server keeps serving after each.
async fn refused(server: &TestServer, name: &str, sql: &str, limit: &str) {
    for via_prepare in [false, true] {
        let mut client = server.client().await;
        let outcome = if via_prepare {
            prepare_and_execute(&mut client, sql).await
        } else {
            execute(&mut client, sql).await
        };
        let err = outcome.map(|_| ()).expect_err(name);
        assert_eq!(code_of(&err), Code::InvalidArgument, "{name}: {err}");
        let message = message_of(&err);
        assert!(message.contains(limit), "{name}: {message}");
        still_serving(server).await;
    }
}

/// `sql` is answered through `GetFlightInfo`, and prepares (`CreatePreparedStatement`,
/// the path that plans without running) into a statement returning `columns`; the server
/// keeps serving after each. Returns the answer for checking.
async fn answered(server: &TestServer, name: &str, sql: &str, columns: usize) -> Vec<RecordBatch> {
    let mut client = server.client().await;
    let executed = execute(&mut client, sql)
        .await
        .unwrap_or_else(|err| panic!("{name}: {err}"));
    still_serving(server).await;
    let prepared = client
        .prepare(sql.to_string(), None)
        .await
        .unwrap_or_else(|err| panic!("{name} (prepared): {err}"));
    assert_eq!(
        prepared.dataset_schema().unwrap().fields().len(),
        columns,
        "{name}"
    );
    still_serving(server).await;
    executed
}

/// Every Int64 value of every column, row by row.
fn values(batches: &[RecordBatch]) -> Vec<Vec<Option<i64>>> {
    let mut all = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            all.push(
                batch
                    .columns()
                    .iter()
                    .map(|column| {
                        let column = column.as_any().downcast_ref::<Int64Array>().unwrap();
                        (!column.is_null(row)).then(|| column.value(row))
                    })
                    .collect(),
            );
        }
    }
    all
}

/// Runs `sql` in plain in-process DataFusion over the server's own TPC-H files, on a deep
/// stack (DataFusion alone needs one for these plans too).
async fn in_process(server: &TestServer, sql: &str) -> Vec<RecordBatch> {
    let tpch = server.cluster_dir().parent().unwrap().join("tpch");
    let sql = sql.to_string();
    trebuchet_cluster::on_planning_stack(async move {
        let ctx = SessionContext::new();
        for table in ["nation", "orders"] {
            let dir = tpch.join(table);
            let options = ParquetReadOptions::default().file_extension(".parquet");
            ctx.register_parquet(table, dir.to_str().unwrap(), options)
                .await
                .unwrap();
        }
        ctx.sql(&sql).await.unwrap().collect().await.unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn statements_over_the_limits_are_refused_and_the_server_keeps_serving() {
    let server = TestServer::start().await;
    let cases = [
        (
            "10,000-term arithmetic chain",
            format!("SELECT {}", chain(10_000, |_| "1".into(), " + ")),
            "more than 1000 levels",
        ),
        (
            // The largest statement accepted: its syntax tree is half a million levels
            // deep, and merely dropping it needs the planning runtime's stack.
            "1 MiB arithmetic chain",
            format!("SELECT {}", chain(524_000, |_| "1".into(), "+")),
            "more than 1000 levels",
        ),
        (
            "10,000-term OR chain",
            format!(
                "SELECT count(*) FROM nation WHERE {}",
                chain(10_000, |key| format!("n_nationkey = {key}"), " OR ")
            ),
            "more than 1000 levels",
        ),
        (
            "5,000 nested parentheses",
            format!("SELECT {}1{}", "(".repeat(5_000), ")".repeat(5_000)),
            "RecursionLimitExceeded",
        ),
        ("1,000 chained CTEs", ctes(1_000), "more than 1000 levels"),
        ("1,000-way join", join_chain(1_000), "more than 100 joins"),
        ("300-way join", join_chain(300), "more than 100 joins"),
        (
            "10,000-way UNION ALL",
            chain(10_000, |n| format!("SELECT {n} AS x"), " UNION ALL "),
            "more than 1000 levels",
        ),
        (
            "2 MiB statement",
            format!("SELECT '{}'", "x".repeat(2 * 1024 * 1024)),
            "at most 1048576 bytes",
        ),
    ];
    for (name, sql, limit) in cases {
        refused(&server, name, &sql, limit).await;
    }
}

#[tokio::test]
async fn deep_statements_within_the_limits_get_their_answer() {
    let server = TestServer::start().await;

    // Far deeper than a 2 MiB stack plans: only the planning runtime has room for these.
    let union = answered(
        &server,
        "500-way UNION ALL",
        &format!(
            "SELECT sum(x) AS s FROM ({})",
            chain(500, |n| format!("SELECT {n} AS x"), " UNION ALL ")
        ),
        1,
    )
    .await;
    assert_eq!(values(&union), vec![vec![Some(499 * 500 / 2)]]);
    let chained = answered(&server, "300 chained CTEs", &ctes(300), 1).await;
    assert_eq!(values(&chained), vec![vec![Some(300)]]);

    // Its stage has more operators than protobuf lets an executor decode in one piece.
    let joined = answered(&server, "50-way join", &join_chain(50), 2).await;
    let expected = in_process(&server, &join_chain(50)).await;
    assert_eq!(values(&joined), values(&expected));
    assert_eq!(values(&joined)[0][0], Some(25));

    let in_list = format!(
        "SELECT count(*) AS c FROM orders WHERE o_orderkey IN ({})",
        chain(100_000, |key| (key + 1).to_string(), ",")
    );
    let counted = answered(&server, "100,000-element IN list", &in_list, 1).await;
    let expected = in_process(
        &server,
        "SELECT count(*) AS c FROM orders WHERE o_orderkey BETWEEN 1 AND 100000",
    )
    .await;
    assert_eq!(values(&counted), values(&expected));
}
