//! Prepared statements, the way JDBC, ADBC and flightsql-dbapi use them.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray, UnionArray,
};
use arrow::buffer::ScalarBuffer;
use arrow::datatypes::{DataType, Field, Schema, UnionFields};
use arrow_flight::Action;
use arrow_flight::sql::{ActionClosePreparedStatementRequest, ProstMessageExt};
use prost::Message;

use crate::fixture::{TestServer, fetch, pretty, query, rows};

fn one_row(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

#[tokio::test]
async fn prepare_describes_results_and_numbered_nullable_parameters() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let prepared = client
        .prepare(
            "SELECT n_name FROM nation WHERE n_nationkey = ? AND n_regionkey = ?".into(),
            None,
        )
        .await
        .unwrap();
    let dataset = prepared.dataset_schema().unwrap();
    assert_eq!(dataset.fields().len(), 1);
    assert_eq!(dataset.field(0).data_type(), &DataType::Utf8);
    let parameters = prepared.parameter_schema().unwrap();
    let names: Vec<_> = parameters
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["$1", "$2"]);
    assert!(parameters.fields().iter().all(|f| f.is_nullable()));
    assert_eq!(
        parameters.field(0).data_type(),
        &DataType::Int64,
        "typed like n_nationkey"
    );
}

#[tokio::test]
async fn parameters_bind_by_position_whatever_the_client_names_and_types() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let mut prepared = client
        .prepare(
            "SELECT n_name FROM nation WHERE n_nationkey = $1 OR n_name = $2 ORDER BY 1".into(),
            None,
        )
        .await
        .unwrap();
    // ADBC names parameters "0", "1" and sends Python's types.
    prepared
        .set_parameters(one_row(vec![
            ("0", Arc::new(Int64Array::from(vec![3])) as ArrayRef),
            ("1", Arc::new(StringArray::from(vec!["PERU"])) as ArrayRef),
        ]))
        .unwrap();
    let info = prepared.execute().await.unwrap();
    let result = pretty(&fetch(&mut client, &info).await);
    assert!(
        result.contains("CANADA") && result.contains("PERU"),
        "{result}"
    );
    assert_eq!(result.lines().count(), 6, "{result}");

    // Re-executing with new values rebinds.
    prepared
        .set_parameters(one_row(vec![
            ("0", Arc::new(Int64Array::from(vec![0])) as ArrayRef),
            (
                "1",
                Arc::new(StringArray::from(vec![None::<&str>])) as ArrayRef,
            ),
        ]))
        .unwrap();
    let info = prepared.execute().await.unwrap();
    assert!(pretty(&fetch(&mut client, &info).await).contains("ALGERIA"));
}

#[tokio::test]
async fn dense_union_parameters_are_unwrapped() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let mut prepared = client
        .prepare(
            "SELECT count(*) AS n FROM lineitem WHERE l_quantity < ?".into(),
            None,
        )
        .await
        .unwrap();
    let fields = UnionFields::try_new(
        vec![0, 1, 2],
        vec![
            Field::new("int64", DataType::Int64, true),
            Field::new("float64", DataType::Float64, true),
            Field::new("string", DataType::Utf8, true),
        ],
    )
    .unwrap();
    let union = UnionArray::try_new(
        fields,
        ScalarBuffer::from(vec![1i8]),
        Some(ScalarBuffer::from(vec![0i32])),
        vec![
            Arc::new(Int64Array::from(Vec::<i64>::new())) as ArrayRef,
            Arc::new(Float64Array::from(vec![5.0])),
            Arc::new(StringArray::from(Vec::<&str>::new())),
        ],
    )
    .unwrap();
    prepared
        .set_parameters(one_row(vec![("param_0", Arc::new(union) as ArrayRef)]))
        .unwrap();
    let info = prepared.execute().await.unwrap();
    let expected = query(
        &mut client,
        "SELECT count(*) AS n FROM lineitem WHERE l_quantity < 5",
    )
    .await;
    assert_eq!(pretty(&fetch(&mut client, &info).await), pretty(&expected));
}

#[tokio::test]
async fn statements_without_results_have_an_empty_dataset_schema_and_run_only_when_executed() {
    let server = TestServer::start().await;
    let mut client = server.session_client().await;
    let mut set = client
        .prepare("SET datafusion.execution.batch_size = 77".into(), None)
        .await
        .unwrap();
    assert!(set.dataset_schema().unwrap().fields().is_empty());
    let before = pretty(&query(&mut client, "SHOW datafusion.execution.batch_size").await);
    assert!(
        before.contains("8192"),
        "preparing must not apply SET: {before}"
    );

    // JDBC's update path: DoPut(CommandPreparedStatementUpdate) with no parameter rows.
    assert_eq!(set.execute_update().await.unwrap(), 0);
    let after = pretty(&query(&mut client, "SHOW datafusion.execution.batch_size").await);
    assert!(after.contains("77"), "{after}");

    let mut create = client
        .prepare("CREATE TABLE p (a INT, b VARCHAR)".into(), None)
        .await
        .unwrap();
    assert!(
        client
            .execute("SELECT * FROM p".into(), None)
            .await
            .is_err(),
        "not created at prepare"
    );
    create.execute_update().await.unwrap();
    assert_eq!(rows(&query(&mut client, "SELECT * FROM p").await), 0);
}

#[tokio::test]
async fn a_multi_row_parameter_batch_runs_the_update_once_per_row() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    client
        .execute_update("CREATE TABLE events (id INT, name VARCHAR)".into(), None)
        .await
        .unwrap();
    let mut insert = client
        .prepare("INSERT INTO events VALUES (?, ?)".into(), None)
        .await
        .unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("$1", DataType::Int32, true),
        Field::new("$2", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int32Array::from(vec![1, 2, 3])),
            Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])),
        ],
    )
    .unwrap();
    insert.set_parameters(batch).unwrap();
    assert_eq!(insert.execute_update().await.unwrap(), 3);
    assert_eq!(rows(&query(&mut client, "SELECT * FROM events").await), 3);
}

#[tokio::test]
async fn closing_a_prepared_statement_succeeds_even_for_handles_that_are_not_ours() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let prepared = client.prepare("SELECT 1".into(), None).await.unwrap();
    prepared.close().await.unwrap();

    let garbage = ActionClosePreparedStatementRequest {
        prepared_statement_handle: "not a handle".into(),
    };
    let action = Action {
        r#type: "ClosePreparedStatement".into(),
        body: garbage.as_any().encode_to_vec().into(),
    };
    client.do_action(action).await.unwrap();
}
