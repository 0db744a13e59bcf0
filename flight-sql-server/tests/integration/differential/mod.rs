//! The differential SQL suite (issue 15): every statement of `tests/differential/*.sql`
//! runs on a real Trebuchet (a scheduler and two executor processes, over Flight SQL) and
//! on in-process DataFusion, in sessions with the same settings; the answers must match.
//! DataFusion is the oracle, so the files hold no expected results (see docs/testing.md).
//!
//! Each setup below is one test with its own cluster: hash or sort-merge joins, times the
//! sort- or hash-based shuffle writer. On these small tables every join would broadcast its
//! smaller side, so one sort-merge setup turns broadcasts off to keep sort-merge joins
//! covered. `DIFFERENTIAL_FILES=a,b` runs only the files whose
//! names contain `a` or `b`.

mod answer;
mod cluster;
mod oracle;
mod script;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

use answer::{Answer, mismatch};
use cluster::{Cluster, ClusterSession};
use oracle::Oracle;
use script::{Case, read_cases};

/// Session settings of one setup: `both` run in both sessions, `trebuchet` only in ours
/// (DataFusion does not know the `ballista.*` keys).
struct Setup {
    both: &'static [&'static str],
    trebuchet: &'static [&'static str],
}

const HASH_JOINS: &str = "SET datafusion.optimizer.prefer_hash_join = true";
const SORT_MERGE_JOINS: &str = "SET datafusion.optimizer.prefer_hash_join = false";
const HASH_SHUFFLE: &str = "SET ballista.shuffle.sort_based.enabled = false";
const NO_BROADCASTS: &str = "SET ballista.optimizer.broadcast_join_threshold_bytes = 0";
/// Four partitions, not our sixteen: every shuffle still spreads rows over several tasks,
/// and two thousand statements fit the time a CI run has (the TPC-H oracle covers 16).
const PARTITIONS: &str = "SET datafusion.execution.target_partitions = 4";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sort_merge_joins_over_the_sort_shuffle_answer_as_datafusion() {
    run_setup(Setup {
        both: &[SORT_MERGE_JOINS, PARTITIONS],
        trebuchet: &[],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sort_merge_joins_over_the_hash_shuffle_answer_as_datafusion() {
    run_setup(Setup {
        both: &[SORT_MERGE_JOINS, PARTITIONS],
        trebuchet: &[HASH_SHUFFLE, NO_BROADCASTS],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_joins_over_the_sort_shuffle_answer_as_datafusion() {
    run_setup(Setup {
        both: &[HASH_JOINS, PARTITIONS],
        trebuchet: &[],
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_joins_over_the_hash_shuffle_answer_as_datafusion() {
    run_setup(Setup {
        both: &[HASH_JOINS, PARTITIONS],
        trebuchet: &[HASH_SHUFFLE],
    })
    .await;
}

/// Runs every selected file under `setup` and fails with the list of mismatches.
async fn run_setup(setup: Setup) {
    let files = selected_files();
    if files.is_empty() {
        return;
    }
    let tpch = tpch_dir();
    let mut cluster = Cluster::start(tpch).await;
    let mut failures = Vec::new();
    let mut statements = 0;
    for file in &files {
        let cases = read_cases(file);
        statements += cases.len();
        failures.extend(run_file(&mut cluster, tpch, &setup, file, &cases).await);
    }
    assert!(
        failures.is_empty(),
        "{} of {statements} statements answered differently from DataFusion:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Runs one file in a fresh session on each side; returns a report per mismatch.
async fn run_file(
    cluster: &mut Cluster,
    tpch: &Path,
    setup: &Setup,
    file: &Path,
    cases: &[Case],
) -> Vec<String> {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let mut ours = cluster.session().await;
    let oracle = Oracle::new(tpch).await;
    let mut failures = Vec::new();
    for sql in setup.both.iter().chain(setup.trebuchet) {
        assert!(matches!(ours.run(sql).await, Answer::Rows { .. }), "{sql}");
    }
    for sql in setup.both {
        assert!(
            matches!(oracle.run(sql).await, Answer::Rows { .. }),
            "{sql}"
        );
    }
    let tables_before = user_tables(&mut ours).await;
    // Reports of this file show only its own log lines.
    cluster.recent_logs();
    let (our_dir, oracle_dir) = (cluster.file_dir(), tempfile::tempdir().unwrap());
    for case in cases {
        let with_dir =
            |dir: &tempfile::TempDir| case.sql.replace("${tmpdir}", &dir.path().to_string_lossy());
        let mut answer = ours.run(&with_dir(&our_dir)).await;
        let mut expected = oracle.run(&with_dir(&oracle_dir)).await.into_sent();
        if case.differs.is_some() {
            continue;
        }
        if !is_ordered(&case.sql) {
            answer.sort_rows();
            expected.sort_rows();
        }
        let logs = match &answer {
            Answer::Error {
                code: tonic::Code::DeadlineExceeded,
                ..
            } => cluster.recent_logs(),
            _ => String::new(),
        };
        if let Some(why) = mismatch(&answer, &expected) {
            failures.push(format!(
                "{name}:{} [{}]: {why}\n  {}\n  trebuchet:  {}\n  datafusion: {}{logs}",
                case.line,
                setup
                    .both
                    .iter()
                    .chain(setup.trebuchet)
                    .copied()
                    .collect::<Vec<_>>()
                    .join("; "),
                case.sql.replace('\n', "\n  "),
                answer.describe(),
                expected.describe(),
            ));
        }
    }
    drop_new_tables(&mut ours, &tables_before).await;
    failures
}

/// Whether the statement's outermost query orders its rows, so order must match too.
fn is_ordered(sql: &str) -> bool {
    match Parser::parse_sql(&GenericDialect {}, sql).as_deref() {
        Ok([Statement::Query(query)]) => query.order_by.is_some(),
        _ => false,
    }
}

/// Tables and views outside `information_schema`, as (quoted `schema.name`, is a view).
async fn user_tables(session: &mut ClusterSession) -> Vec<(String, bool)> {
    let sql = "SELECT '\"' || table_schema || '\".\"' || table_name || '\"' AS name, \
               table_type = 'VIEW' AS is_view \
               FROM information_schema.tables WHERE table_schema <> 'information_schema'";
    match session.run(sql).await {
        Answer::Rows { rows, .. } => rows
            .into_iter()
            .map(|row| (row[0].clone(), row[1] == "true"))
            .collect(),
        Answer::Error { message, .. } => panic!("cannot list tables: {message}"),
    }
}

/// Drops what a file created, so the next file starts from the same catalog.
async fn drop_new_tables(session: &mut ClusterSession, before: &[(String, bool)]) {
    for (name, is_view) in user_tables(session).await {
        if before.iter().any(|(existing, _)| *existing == name) {
            continue;
        }
        let kind = if is_view { "VIEW" } else { "TABLE" };
        session.run(&format!("DROP {kind} IF EXISTS {name}")).await;
    }
}

/// The test files, narrowed by `DIFFERENTIAL_FILES` when set.
fn selected_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential");
    let wanted: Vec<String> = std::env::var("DIFFERENTIAL_FILES")
        .map(|names| names.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            wanted.is_empty() || wanted.iter().any(|w| name.contains(w.as_str()))
        })
        .collect();
    files.sort();
    files
}

/// The TPC-H tables at scale 0.01, in several Parquet files each, written once per run.
fn tpch_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        trebuchet_flight_sql_server::write_tpch_parquet(0.01, dir.path(), 3).unwrap();
        dir
    })
    .path()
}
