//! A catalog that survives a scheduler restart: tables and views made with DDL are kept in
//! `<state-dir>/catalog.json` and made again when a `trebuchet scheduler` starts on the
//! same state dir; dropped ones stay dropped and in-memory tables are not kept. Real
//! scheduler and executor processes on loopback.

use std::time::Duration;

use arrow_flight::sql::client::FlightSqlServiceClient;
use tonic::transport::Channel;

use crate::fixture::{code_of, pretty, query};
use crate::health::{executor_addr, wait_until_ready};
use crate::processes::{Process, connect, executor, scheduler};

const TOKEN: &str = "catalog-restart";

/// A scheduler keeping its catalog in `state`, SQL allowed to use `data`, with one
/// executor; ready for queries.
async fn cluster(work: &tempfile::TempDir, run: &str) -> (Process, Process, String) {
    let path = |name: &str| work.path().join(name).to_string_lossy().into_owned();
    let (state, data, scheduler_dir) = (path("state"), path("data"), path(run));
    let mut scheduler = scheduler(
        &scheduler_dir,
        "0",
        TOKEN,
        &["--state-dir", &state, "--allow-path", &data],
    );
    // Its URL is in the line saying it is ready.
    let url = scheduler.grpc_url().await;
    let executor_dir = path(&format!("{run}-executor"));
    let mut executor = executor(&url, &executor_dir, TOKEN, &["--concurrent-tasks", "2"]);
    wait_until_ready(&executor_addr(&mut executor).await).await;
    (scheduler, executor, url)
}

async fn run(client: &mut FlightSqlServiceClient<Channel>, sql: &str) {
    query(client, sql).await;
}

#[tokio::test]
async fn tables_and_views_made_with_ddl_survive_a_scheduler_restart() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let numbers = data.join("numbers").to_string_lossy().into_owned();
    let (mut scheduler, first_executor, url) = cluster(&work, "first").await;
    let mut client = connect(&url).await;
    run(
        &mut client,
        &format!(
            "COPY (SELECT * FROM (VALUES (1, 'one'), (2, 'two'), (3, 'three')) AS t(k, name)) \
             TO '{numbers}/' STORED AS PARQUET"
        ),
    )
    .await;
    for sql in [
        format!("CREATE EXTERNAL TABLE numbers STORED AS PARQUET LOCATION '{numbers}/'"),
        "CREATE VIEW big_numbers AS SELECT k, name FROM numbers WHERE k > 1".into(),
        format!("CREATE EXTERNAL TABLE doomed STORED AS PARQUET LOCATION '{numbers}/'"),
        "DROP TABLE doomed".into(),
        "CREATE TABLE in_memory AS SELECT 1 AS x".into(),
    ] {
        run(&mut client, &sql).await;
    }
    let expected_numbers = pretty(&query(&mut client, "SELECT * FROM numbers ORDER BY k").await);
    let expected_view = pretty(&query(&mut client, "SELECT * FROM big_numbers ORDER BY k").await);
    assert!(expected_view.contains("three"), "{expected_view}");

    let catalog_file = work.path().join("state").join("catalog.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&catalog_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "it may hold object store credentials");
    }
    let kept = std::fs::read_to_string(&catalog_file).unwrap();
    assert!(
        kept.contains("datafusion.public.numbers") && kept.contains("big_numbers"),
        "{kept}"
    );
    assert!(
        !kept.contains("doomed") && !kept.contains("in_memory"),
        "{kept}"
    );

    scheduler.terminate();
    scheduler.wait_for("drained: no query is running").await;
    // Polled once the process is gone: a wait that starts before the exit may not see it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let exit = scheduler.wait_for_exit(Duration::from_secs(30)).await;
    assert!(exit.success(), "{exit}");
    // Its executor leaves too (dropping the handle kills it if it is still draining).
    first_executor.terminate();
    drop(first_executor);

    // Again on the same state dir: the table and the view are back before it is ready.
    let (mut scheduler, _executor, url) = cluster(&work, "second").await;
    assert!(
        scheduler.has_logged("restored=2"),
        "{:?}",
        scheduler.lines_so_far()
    );
    let mut client = connect(&url).await;
    assert_eq!(
        pretty(&query(&mut client, "SELECT * FROM numbers ORDER BY k").await),
        expected_numbers
    );
    assert_eq!(
        pretty(&query(&mut client, "SELECT * FROM big_numbers ORDER BY k").await),
        expected_view
    );
    // A dropped table stays dropped; an in-memory table is gone with the process.
    for gone in ["doomed", "in_memory"] {
        let err = client
            .execute(format!("SELECT * FROM {gone}"), None)
            .await
            .unwrap_err();
        assert_eq!(code_of(&err), tonic::Code::NotFound, "{gone}: {err}");
    }
    // Dropping a restored table is kept too.
    run(&mut client, "DROP VIEW big_numbers").await;
    let kept = std::fs::read_to_string(&catalog_file).unwrap();
    assert!(!kept.contains("big_numbers"), "{kept}");
}
