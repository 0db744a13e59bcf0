//! Metadata commands: exact schemas, filters, and the answers DBeaver and the drivers need.

use arrow::array::{Array, BinaryArray, StringArray};
use arrow::datatypes::DataType;
use arrow::ipc::convert::try_schema_from_ipc_buffer;
use arrow_flight::sql::metadata::SqlInfoDataBuilder;
use arrow_flight::sql::{
    CommandGetCrossReference, CommandGetDbSchemas, CommandGetExportedKeys, CommandGetImportedKeys,
    CommandGetPrimaryKeys, CommandGetTables, SqlInfo,
};

use crate::fixture::{TestServer, fetch, rows};

fn strings(batch: &arrow::array::RecordBatch, column: &str) -> Vec<String> {
    let array = batch
        .column_by_name(column)
        .unwrap()
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    array
        .iter()
        .map(|value| value.unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn catalogs_and_schemas_list_the_shared_catalog() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let info = client.get_catalogs().await.unwrap();
    let catalogs = fetch(&mut client, &info).await;
    assert_eq!(strings(&catalogs[0], "catalog_name"), ["datafusion"]);

    let request = CommandGetDbSchemas {
        catalog: None,
        db_schema_filter_pattern: Some("pub%".into()),
    };
    let info = client.get_db_schemas(request).await.unwrap();
    let schemas = fetch(&mut client, &info).await;
    assert_eq!(strings(&schemas[0], "db_schema_name"), ["public"]);

    let all = CommandGetDbSchemas::default();
    let info = client.get_db_schemas(all).await.unwrap();
    let schemas = fetch(&mut client, &info).await;
    assert_eq!(
        strings(&schemas[0], "db_schema_name"),
        ["information_schema", "public", "system"]
    );
}

#[tokio::test]
async fn tables_filter_by_pattern_and_type_and_carry_their_arrow_schema() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let request = CommandGetTables {
        catalog: Some("datafusion".into()),
        db_schema_filter_pattern: Some("public".into()),
        table_name_filter_pattern: Some("line%".into()),
        table_types: vec!["TABLE".into()],
        include_schema: true,
    };
    let info = client.get_tables(request).await.unwrap();
    let batches = fetch(&mut client, &info).await;
    assert_eq!(strings(&batches[0], "table_name"), ["lineitem"]);
    assert_eq!(strings(&batches[0], "table_type"), ["TABLE"]);
    let schemas = batches[0]
        .column_by_name("table_schema")
        .unwrap()
        .as_any()
        .downcast_ref::<BinaryArray>()
        .unwrap();
    let schema = try_schema_from_ipc_buffer(schemas.value(0)).unwrap();
    assert_eq!(
        schema.field_with_name("l_comment").unwrap().data_type(),
        &DataType::Utf8
    );
    // Exactly what `SELECT *` sends: types, nullability and column metadata.
    let select_all = client
        .execute("SELECT * FROM lineitem".into(), None)
        .await
        .unwrap();
    assert_eq!(schema, select_all.try_decode_schema().unwrap());

    let views = CommandGetTables {
        table_types: vec!["VIEW".into()],
        ..Default::default()
    };
    let info = client.get_tables(views).await.unwrap();
    let batches = fetch(&mut client, &info).await;
    assert!(
        strings(&batches[0], "table_name").contains(&"tables".to_string()),
        "information_schema views"
    );
    assert!(batches[0].column_by_name("table_schema").is_none());
}

#[tokio::test]
async fn table_types_sql_info_and_type_info_answer() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let info = client.get_table_types().await.unwrap();
    let types = fetch(&mut client, &info).await;
    assert_eq!(
        strings(&types[0], "table_type"),
        ["LOCAL TEMPORARY", "TABLE", "VIEW"]
    );

    let info = client
        .get_sql_info(vec![
            SqlInfo::FlightSqlServerName,
            SqlInfo::FlightSqlServerTransaction,
        ])
        .await
        .unwrap();
    let info_batches = fetch(&mut client, &info).await;
    assert_eq!(rows(&info_batches), 2);
    assert_eq!(
        info_batches[0].schema(),
        SqlInfoDataBuilder::new().build().unwrap().schema()
    );
    let text = arrow::util::pretty::pretty_format_batches(&info_batches)
        .unwrap()
        .to_string();
    assert!(text.contains("Trebuchet"), "{text}");

    let info = client.get_sql_info(vec![]).await.unwrap();
    assert!(
        rows(&fetch(&mut client, &info).await) > 80,
        "every id when none is asked for"
    );

    let info = client.get_xdbc_type_info(Default::default()).await.unwrap();
    assert!(rows(&fetch(&mut client, &info).await) >= 10);
}

#[tokio::test]
async fn key_commands_answer_empty_results_with_the_spec_schemas() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let table = || "lineitem".to_string();
    let infos = [
        client
            .get_primary_keys(CommandGetPrimaryKeys {
                table: table(),
                ..Default::default()
            })
            .await
            .unwrap(),
        client
            .get_exported_keys(CommandGetExportedKeys {
                table: table(),
                ..Default::default()
            })
            .await
            .unwrap(),
        client
            .get_imported_keys(CommandGetImportedKeys {
                table: table(),
                ..Default::default()
            })
            .await
            .unwrap(),
        client
            .get_cross_reference(CommandGetCrossReference {
                pk_table: table(),
                fk_table: "orders".into(),
                ..Default::default()
            })
            .await
            .unwrap(),
    ];
    let expected_columns = [6, 13, 13, 13];
    for (info, columns) in infos.iter().zip(expected_columns) {
        let schema = info.clone().try_decode_schema().unwrap();
        assert_eq!(schema.fields().len(), columns);
        let batches = fetch(&mut client, info).await;
        assert_eq!(rows(&batches), 0);
        assert!(
            batches
                .iter()
                .all(|batch| batch.schema().as_ref() == &schema)
        );
    }
}
