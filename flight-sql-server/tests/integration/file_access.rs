//! Files are a privilege: SQL reads and writes only under `--allow-path`, admins go
//! further, and the work dir and users file are nobody's. Each attack is tried by a real
//! client against a real server, and the disk is checked afterwards.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow_flight::Action;
use arrow_flight::error::FlightError;
use arrow_flight::sql::client::FlightSqlServiceClient;
use futures::TryStreamExt;
use prost::Message;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};
use trebuchet_flight_sql_server::{FileAccess, ServerConfig, UserStore};

use crate::fixture::{TestServer, code_of, message_of, query, rows, try_fetch};
use crate::processes::Process;

/// A server's disk: a directory users may use, one outside every root with a file in
/// it, and the users file.
struct Disk {
    _dir: tempfile::TempDir,
    allowed: PathBuf,
    outside: PathBuf,
    secret: PathBuf,
    users_file: PathBuf,
}

impl Disk {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let allowed = root.join("allowed");
        let outside = root.join("outside");
        std::fs::create_dir_all(&allowed).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        let secret = outside.join("secret.csv");
        std::fs::write(&secret, "code\n1234\n").unwrap();
        let users_file = root.join("users");
        std::fs::write(&users_file, "alice:secret\nbob:hunter2\nroot:toor\n").unwrap();
        Self {
            _dir: dir,
            allowed,
            outside,
            secret,
            users_file,
        }
    }

    /// A server with alice, bob and root (an admin), `allowed` as its only root.
    async fn server(&self) -> TestServer {
        let mut config = ServerConfig::loopback();
        config.users = UserStore::from_file(&self.users_file).unwrap();
        config.file_access = FileAccess::default()
            .allow(&self.allowed)
            .unwrap()
            .admin("root")
            .deny(&self.users_file);
        TestServer::start_with(config).await
    }
}

fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Runs `sql` as a command, expecting PERMISSION_DENIED with every one of `named` in
/// the message.
async fn refused(client: &mut FlightSqlServiceClient<Channel>, sql: &str, named: &[&str]) {
    let err = client.execute_update(sql.into(), None).await.unwrap_err();
    assert_denied(&err, named);
}

fn assert_denied(err: &FlightError, named: &[&str]) {
    assert_eq!(code_of(err), Code::PermissionDenied, "{err}");
    let message = message_of(err);
    for name in named {
        assert!(message.contains(name), "{name} not in: {message}");
    }
}

async fn run(client: &mut FlightSqlServiceClient<Channel>, sql: &str) -> i64 {
    client.execute_update(sql.into(), None).await.unwrap()
}

#[tokio::test]
async fn copy_outside_the_allowed_dirs_creates_and_overwrites_nothing() {
    let disk = Disk::new();
    let server = disk.server().await;
    let mut bob = server.session_client_as("bob", "hunter2").await;

    let new_file = disk.outside.join("new.csv");
    let sql = format!("COPY (SELECT 1 AS a) TO '{}'", text(&new_file));
    refused(&mut bob, &sql, &[&text(&new_file), "write"]).await;
    assert!(!new_file.exists());

    let sql = format!(
        "COPY (SELECT 1 AS a) TO '{}' STORED AS CSV",
        text(&disk.secret)
    );
    refused(&mut bob, &sql, &[&text(&disk.secret)]).await;
    assert_eq!(
        std::fs::read_to_string(&disk.secret).unwrap(),
        "code\n1234\n"
    );

    let new_dir = disk.outside.join("made/by/bob/");
    let sql = format!("COPY (SELECT 1 AS a) TO '{}' STORED AS CSV", text(&new_dir));
    refused(&mut bob, &sql, &[]).await;
    assert!(!disk.outside.join("made").exists());

    // Another executor's shuffle directory is the server's own, off limits to all.
    let shuffle = server.cluster_dir().join("executor-1/forged.arrow");
    let sql = format!(
        "COPY (SELECT 1 AS a) TO '{}' STORED AS ARROW",
        text(&shuffle)
    );
    let mut root = server.session_client_as("root", "toor").await;
    refused(&mut root, &sql, &["private files"]).await;
    assert!(!shuffle.exists());
}

#[tokio::test]
async fn system_files_and_the_users_file_cannot_become_tables() {
    let disk = Disk::new();
    let server = disk.server().await;
    let mut bob = server.session_client_as("bob", "hunter2").await;
    refused(
        &mut bob,
        "CREATE EXTERNAL TABLE host STORED AS CSV LOCATION '/etc/hostname'",
        &["/etc/hostname", "read", "--allow-path"],
    )
    .await;
    let users = text(&disk.users_file);
    let sql = format!("CREATE EXTERNAL TABLE users STORED AS CSV LOCATION '{users}'");
    refused(&mut bob, &sql, &[&users]).await;
    // As a file URL, a glob or through a scheme, it is the same file or no file at all.
    for location in [
        format!("file://{users}"),
        format!("{}/use*", disk.users_file.parent().unwrap().display()),
        "s3://bucket/users.csv".to_string(),
    ] {
        let sql = format!("CREATE EXTERNAL TABLE users STORED AS CSV LOCATION '{location}'");
        refused(&mut bob, &sql, &[&location]).await;
    }
    let err = bob
        .execute("SELECT * FROM '/etc/hostname'".into(), None)
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), Code::NotFound, "{err}");
    assert!(!sees_table(&mut bob, "users").await);
}

#[tokio::test]
async fn symlinks_and_parent_segments_cannot_leave_an_allowed_dir() {
    let disk = Disk::new();
    let server = disk.server().await;
    let mut bob = server.session_client_as("bob", "hunter2").await;

    let link = disk.allowed.join("innocent.csv");
    std::os::unix::fs::symlink(&disk.secret, &link).unwrap();
    let sql = format!(
        "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '{}'",
        text(&link)
    );
    refused(&mut bob, &sql, &[&text(&link), &text(&disk.secret)]).await;

    let linked_dir = disk.allowed.join("exports");
    std::os::unix::fs::symlink(&disk.outside, &linked_dir).unwrap();
    let target = linked_dir.join("dump.csv");
    let sql = format!("COPY (SELECT 1 AS a) TO '{}'", text(&target));
    refused(&mut bob, &sql, &[&text(&target)]).await;
    assert!(!disk.outside.join("dump.csv").exists());

    let escape = format!("{}/../outside/secret.csv", disk.allowed.display());
    let sql = format!("CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '{escape}'");
    refused(&mut bob, &sql, &[&escape, ".."]).await;
    let sql = format!("COPY (SELECT 1 AS a) TO '{escape}'");
    refused(&mut bob, &sql, &[&escape]).await;
    assert_eq!(
        std::fs::read_to_string(&disk.secret).unwrap(),
        "code\n1234\n"
    );
}

#[tokio::test]
async fn an_allowed_dir_can_be_read_copied_into_and_inserted_into() {
    let disk = Disk::new();
    let server = disk.server().await;
    let mut bob = server.session_client_as("bob", "hunter2").await;

    let points = disk.allowed.join("points.csv");
    std::fs::write(&points, "x,y\n1,2\n3,4\n").unwrap();
    let sql = format!(
        "CREATE EXTERNAL TABLE points STORED AS CSV LOCATION '{}'",
        text(&points)
    );
    run(&mut bob, &sql).await;
    assert_eq!(rows(&query(&mut bob, "SELECT * FROM points").await), 2);

    let copy = disk.allowed.join("copy.csv");
    let sql = format!("COPY (SELECT x FROM points) TO '{}'", text(&copy));
    assert_eq!(run(&mut bob, &sql).await, 2);
    let mut lines: Vec<String> = std::fs::read_to_string(&copy)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    assert_eq!(lines, ["1", "3", "x"]);

    let sink = disk.allowed.join("sink");
    std::fs::create_dir(&sink).unwrap();
    let sql = format!(
        "CREATE EXTERNAL TABLE sink (a BIGINT) STORED AS CSV LOCATION '{}/'",
        text(&sink)
    );
    run(&mut bob, &sql).await;
    assert_eq!(
        run(&mut bob, "INSERT INTO sink VALUES (1), (2), (3)").await,
        3
    );
    assert!(std::fs::read_dir(&sink).unwrap().count() > 0);
    assert_eq!(rows(&query(&mut bob, "SELECT * FROM sink").await), 3);

    // In-memory tables stay anyone's.
    run(&mut bob, "CREATE TABLE memory (a INT)").await;
    assert_eq!(run(&mut bob, "INSERT INTO memory VALUES (1)").await, 1);

    // A root covers its own tree, not every path that starts with the same letters.
    let sibling = disk.allowed.with_file_name("allowed-too");
    std::fs::create_dir(&sibling).unwrap();
    let sql = format!("COPY (SELECT 1 AS a) TO '{}/x.csv'", text(&sibling));
    refused(&mut bob, &sql, &[&text(&sibling)]).await;
    assert_eq!(std::fs::read_dir(&sibling).unwrap().count(), 0);
}

#[tokio::test]
async fn admins_read_and_write_outside_the_roots_but_never_the_servers_own_files() {
    let disk = Disk::new();
    let server = disk.server().await;
    let mut root = server.session_client_as("root", "toor").await;
    let mut bob = server.session_client_as("bob", "hunter2").await;

    let sql = format!(
        "CREATE EXTERNAL TABLE secret STORED AS CSV LOCATION '{}'",
        text(&disk.secret)
    );
    run(&mut root, &sql).await;
    assert_eq!(rows(&query(&mut root, "SELECT * FROM secret").await), 1);
    run(
        &mut root,
        "CREATE EXTERNAL TABLE host STORED AS CSV LOCATION '/etc/hostname'",
    )
    .await;

    // An external table outside the roots takes inserts from the admin only.
    let sink = disk.outside.join("sink");
    std::fs::create_dir(&sink).unwrap();
    let sql = format!(
        "CREATE EXTERNAL TABLE admin_sink (a BIGINT) STORED AS CSV LOCATION '{}/'",
        text(&sink)
    );
    run(&mut root, &sql).await;
    refused(
        &mut bob,
        "INSERT INTO admin_sink VALUES (1)",
        &[&text(&sink), "write"],
    )
    .await;
    assert_eq!(std::fs::read_dir(&sink).unwrap().count(), 0);
    assert_eq!(run(&mut root, "INSERT INTO admin_sink VALUES (1)").await, 1);
    assert!(std::fs::read_dir(&sink).unwrap().count() > 0);

    let users = text(&disk.users_file);
    let sql = format!("CREATE EXTERNAL TABLE users STORED AS CSV LOCATION '{users}'");
    refused(&mut root, &sql, &[&users, "private files"]).await;
    let work = text(&server.cluster_dir());
    let sql = format!("CREATE EXTERNAL TABLE work STORED AS ARROW LOCATION '{work}/'");
    refused(&mut root, &sql, &[&work]).await;
    let sql = format!("COPY (SELECT 1 AS a) TO '{users}' STORED AS CSV");
    refused(&mut root, &sql, &[&users]).await;
    assert!(
        std::fs::read_to_string(&disk.users_file)
            .unwrap()
            .contains("root:toor")
    );
}

#[tokio::test]
async fn explain_analyze_cannot_write_where_copy_cannot() {
    let disk = Disk::new();
    let server = disk.server().await;
    let mut bob = server.session_client_as("bob", "hunter2").await;
    let target = disk.outside.join("explained.csv");
    let sql = format!(
        "EXPLAIN ANALYZE COPY (SELECT 1 AS a) TO '{}'",
        text(&target)
    );
    let err = match bob.execute(sql, None).await {
        Ok(info) => try_fetch(&mut bob, &info).await.unwrap_err(),
        Err(err) => err,
    };
    assert_denied(&err, &[&text(&target)]);
    assert!(!target.exists());
}

#[tokio::test]
async fn prepared_statements_are_checked_when_they_run() {
    let disk = Disk::new();
    let server = disk.server().await;
    let mut bob = server.session_client_as("bob", "hunter2").await;
    let mut prepared = bob
        .prepare(
            "CREATE EXTERNAL TABLE host STORED AS CSV LOCATION '/etc/hostname'".into(),
            None,
        )
        .await
        .unwrap();
    let err = prepared.execute_update().await.unwrap_err();
    assert_denied(&err, &["/etc/hostname"]);
    assert!(!sees_table(&mut bob, "host").await);

    let target = disk.outside.join("prepared.csv");
    let sql = format!("COPY (SELECT 1 AS a) TO '{}'", text(&target));
    let mut prepared = bob.prepare(sql, None).await.unwrap();
    let err = prepared.execute_update().await.unwrap_err();
    assert_denied(&err, &[&text(&target)]);
    assert!(!target.exists());
}

#[tokio::test]
async fn runtime_keys_naming_paths_are_refused_through_set_and_session_options() {
    let disk = Disk::new();
    let server = disk.server().await;
    let mut bob = server.session_client_as("bob", "hunter2").await;
    let outside = text(&disk.outside);

    let sql = format!("SET datafusion.runtime.temp_directory = '{outside}'");
    refused(
        &mut bob,
        &sql,
        &["datafusion.runtime.temp_directory", &outside],
    )
    .await;
    let err = set_session_option(&mut bob, "datafusion.runtime.temp_directory", &outside)
        .await
        .unwrap_err();
    assert_denied(&err, &["datafusion.runtime.temp_directory", &outside]);

    // Sizes and limits stay settable, and so does a spill directory under a root.
    run(&mut bob, "SET datafusion.runtime.memory_limit = '1G'").await;
    set_session_option(&mut bob, "datafusion.runtime.max_temp_directory_size", "1G")
        .await
        .unwrap();
    let sql = format!(
        "SET datafusion.runtime.temp_directory = '{}'",
        text(&disk.allowed)
    );
    run(&mut bob, &sql).await;
}

#[tokio::test]
async fn the_real_binary_wires_the_flags_into_the_policy() {
    let disk = Disk::new();
    let work = disk.outside.join("work");
    // The users file sits in the allowed dir: denial wins, and the dir as a whole is
    // refused since a table over it would read the file.
    let users_file = disk.allowed.join("users.txt");
    std::fs::copy(&disk.users_file, &users_file).unwrap();
    let mut server = Process::start(&[
        "standalone",
        "--port",
        "0",
        "--executors",
        "1",
        "--tpch-scale",
        "0.01",
        "--work-dir",
        &text(&work),
        "--users-file",
        &text(&users_file),
        "--allow-path",
        &text(&disk.allowed),
        "--admin",
        "root",
    ]);
    let channel = Endpoint::from_shared(server.grpc_url().await)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut alice = FlightSqlServiceClient::new(channel.clone());
    alice.handshake("alice", "secret").await.unwrap();
    let mut root = FlightSqlServiceClient::new(channel);
    root.handshake("root", "toor").await.unwrap();

    let users = text(&users_file);
    for client in [&mut alice, &mut root] {
        let sql = format!("CREATE EXTERNAL TABLE users STORED AS CSV LOCATION '{users}'");
        refused(client, &sql, &[&users]).await;
    }
    let allowed = text(&disk.allowed);
    let sql = format!("CREATE EXTERNAL TABLE everything STORED AS CSV LOCATION '{allowed}/'");
    refused(&mut alice, &sql, &[&allowed]).await;
    let copy = disk.allowed.join("nations.csv");
    let sql = format!("COPY (SELECT n_name FROM nation) TO '{}'", text(&copy));
    assert_eq!(run(&mut alice, &sql).await, 25);

    // The generated TPC-H tables are readable (not writable) although in the work dir.
    let lineitem = work.join("tpch-sf0.01/lineitem");
    let sql = format!(
        "CREATE EXTERNAL TABLE li STORED AS PARQUET LOCATION '{}/'",
        text(&lineitem)
    );
    run(&mut alice, &sql).await;
    let counted = query(&mut alice, "SELECT count(*) FROM li").await;
    assert_eq!(rows(&counted), 1);
    refused(
        &mut alice,
        "INSERT INTO nation SELECT * FROM nation",
        &["write"],
    )
    .await;
    let sql = format!(
        "CREATE EXTERNAL TABLE work STORED AS CSV LOCATION '{}/'",
        text(&work)
    );
    refused(&mut root, &sql, &["private files"]).await;

    refused(
        &mut alice,
        "CREATE EXTERNAL TABLE host STORED AS CSV LOCATION '/etc/hostname'",
        &["/etc/hostname"],
    )
    .await;
    run(
        &mut root,
        "CREATE EXTERNAL TABLE host STORED AS CSV LOCATION '/etc/hostname'",
    )
    .await;
}

/// Whether `client` can query `table` at all.
async fn sees_table(client: &mut FlightSqlServiceClient<Channel>, table: &str) -> bool {
    client
        .execute(format!("SELECT * FROM {table}"), None)
        .await
        .is_ok()
}

#[derive(Clone, PartialEq, Message)]
struct SessionOptionValue {
    #[prost(string, optional, tag = "1")]
    string_value: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct SetSessionOptionsRequest {
    #[prost(map = "string, message", tag = "1")]
    session_options: HashMap<String, SessionOptionValue>,
}

/// The Flight `SetSessionOptions` action with one string option, as clients encode it.
async fn set_session_option(
    client: &mut FlightSqlServiceClient<Channel>,
    key: &str,
    value: &str,
) -> Result<(), FlightError> {
    let request = SetSessionOptionsRequest {
        session_options: HashMap::from([(
            key.to_string(),
            SessionOptionValue {
                string_value: Some(value.to_string()),
            },
        )]),
    };
    let action = Action {
        r#type: "SetSessionOptions".into(),
        body: request.encode_to_vec().into(),
    };
    let results: Vec<_> = client.do_action(action).await?.try_collect().await?;
    assert_eq!(results.len(), 1);
    Ok(())
}
