//! `tpch run`: the queries against each engine in turn, query by query, so that a noisy
//! machine slows both alike and the ratio holds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::net::TcpListener;
use trebuchet_cluster::SchedulerPolicy;
use trebuchet_flight_sql_server::{
    LocalCluster, LocalExecutors, ServerConfig, SharedCatalog, register_table,
};

use crate::engine::{DataFusionEngine, Engine, EngineKind, FlightSqlEngine};
use crate::error::{BenchError, Result};
use crate::report::{QueryTiming, Report};
use crate::tpch::queries::{QuerySet, query_statements};
use crate::tpch::{TABLES, table_dir};

/// Where the Trebuchet engine runs.
#[derive(Debug, Clone)]
pub enum TrebuchetTarget {
    /// A running server, reached over Flight SQL; its tables must already be registered.
    Url {
        url: String,
        user: String,
        password: String,
    },
    /// A standalone cluster started inside the benchmark over the data directory's files.
    InProcess {
        executors: LocalExecutors,
        policy: SchedulerPolicy,
    },
}

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The directory `tpch datagen` wrote.
    pub data: PathBuf,
    /// The scale of that data, for the record.
    pub scale: String,
    pub queries: QuerySet,
    pub iterations: usize,
    pub engines: Vec<EngineKind>,
    pub trebuchet: TrebuchetTarget,
    /// `datafusion.execution.target_partitions`, the same for both engines.
    pub target_partitions: usize,
    /// Extra session settings for Trebuchet.
    pub settings: Vec<(String, String)>,
    /// More Trebuchet sessions on the same server, each timed as its own engine
    /// (`trebuchet:<name>`) with `settings` and then its own.
    pub setups: Vec<Setup>,
    /// Extra session settings for DataFusion.
    pub datafusion_settings: Vec<(String, String)>,
}

/// A named set of Trebuchet session settings, run beside the plain one.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    pub name: String,
    pub settings: Vec<(String, String)>,
}

impl std::str::FromStr for Setup {
    type Err = String;

    /// `NAME:KEY=VALUE[,KEY=VALUE…]`, e.g. `adaptive:ballista.planner.adaptive.enabled=true`.
    fn from_str(text: &str) -> Result<Self, String> {
        let usage = || format!("expected NAME:KEY=VALUE[,KEY=VALUE…], got `{text}`");
        let (name, pairs) = text.split_once(':').ok_or_else(usage)?;
        let settings = pairs
            .split(',')
            .map(|pair| {
                pair.split_once('=')
                    .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
                    .ok_or_else(usage)
            })
            .collect::<Result<Vec<_>, String>>()?;
        if name.trim().is_empty() {
            return Err(usage());
        }
        Ok(Self {
            name: name.trim().to_string(),
            settings,
        })
    }
}

/// Runs the queries and returns what was measured. Each query's row count must agree
/// between the engines.
pub async fn run(options: &RunOptions) -> Result<Report> {
    if options.iterations == 0 {
        return Err(BenchError::Usage("--iterations must be at least 1".into()));
    }
    let mut engines: Vec<(String, Engine)> = Vec::new();
    let mut cluster = None;
    let partitions = options.target_partitions.to_string();
    for kind in &options.engines {
        let mut sessions = Vec::new();
        match kind {
            EngineKind::Trebuchet => {
                let url = match &options.trebuchet {
                    TrebuchetTarget::Url { url, .. } => url.clone(),
                    TrebuchetTarget::InProcess { executors, policy } => {
                        let started = start_cluster(&options.data, *executors, *policy).await?;
                        let url = format!("grpc://{}", started.addr());
                        cluster = Some(started);
                        url
                    }
                };
                let (user, password) = match &options.trebuchet {
                    TrebuchetTarget::Url { user, password, .. } => {
                        (user.as_str(), password.as_str())
                    }
                    TrebuchetTarget::InProcess { .. } => ("benchmark", ""),
                };
                let plain = std::iter::once((kind.name().to_string(), Vec::new()));
                let setups = options.setups.iter().map(|setup| {
                    (
                        format!("{}:{}", kind.name(), setup.name),
                        setup.settings.clone(),
                    )
                });
                for (label, own) in plain.chain(setups) {
                    let engine = FlightSqlEngine::connect(&url, user, password).await?;
                    let settings: Vec<_> = options.settings.iter().cloned().chain(own).collect();
                    sessions.push((label, Engine::Trebuchet(engine), settings));
                }
            }
            EngineKind::Datafusion => {
                // Applied as the session opens, before the tables are registered.
                let engine = DataFusionEngine::open(
                    &options.data,
                    options.target_partitions,
                    &options.datafusion_settings,
                )
                .await?;
                sessions.push((
                    kind.name().to_string(),
                    Engine::DataFusion(engine),
                    Vec::new(),
                ));
            }
        }
        for (label, mut engine, settings) in sessions {
            engine
                .set("datafusion.execution.target_partitions", &partitions)
                .await?;
            for (key, value) in &settings {
                engine.set(key, value).await?;
            }
            engines.push((label, engine));
        }
    }
    let labels: Vec<String> = engines.iter().map(|(label, _)| label.clone()).collect();

    let mut timings = Vec::new();
    for &query in options.queries.numbers() {
        let mut timing = QueryTiming {
            query,
            ..QueryTiming::default()
        };
        for _ in 0..options.iterations {
            for (label, engine) in &mut engines {
                let (millis, rows) = time_query(label, engine, query).await?;
                timing.millis.entry(label.clone()).or_default().push(millis);
                timing.rows.insert(label.clone(), rows);
            }
        }
        check_rows(&timing)?;
        eprintln!("{}", progress_line(&timing));
        timings.push(timing);
    }
    drop(engines);
    if let Some(cluster) = cluster {
        cluster.stop().await;
    }
    Ok(Report {
        context: context(options),
        engines: labels,
        queries: timings,
    })
}

/// Starts a standalone cluster over the tables in `data`, with its work dir in the temp dir.
async fn start_cluster(
    data: &Path,
    executors: LocalExecutors,
    policy: SchedulerPolicy,
) -> Result<LocalCluster> {
    let catalog = SharedCatalog::new();
    for table in TABLES {
        let dir = table_dir(data, table)?;
        register_table(&catalog, &format!("{table}={}", dir.display())).await?;
    }
    let mut config = ServerConfig::loopback();
    config.scheduler_policy = policy;
    config.work_dir = std::env::temp_dir().join(format!("trebuchet-bench-{}", std::process::id()));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|err| BenchError::Usage(format!("cannot listen on loopback: {err}")))?;
    Ok(LocalCluster::start(listener, config, catalog, executors).await?)
}

/// Runs every statement of `query` once; returns the wall time in ms and the rows.
async fn time_query(label: &str, engine: &mut Engine, query: usize) -> Result<(f64, u64)> {
    let started = Instant::now();
    let mut rows = 0;
    for statement in query_statements(query) {
        rows += engine
            .run(statement)
            .await
            .map_err(|message| BenchError::Query {
                engine: label.to_string(),
                query,
                message,
            })?;
    }
    Ok((started.elapsed().as_secs_f64() * 1000.0, rows))
}

/// Every engine must return the same number of rows as the first one.
fn check_rows(timing: &QueryTiming) -> Result<()> {
    let mut counts = timing.rows.iter();
    let Some((first, &expected)) = counts.next() else {
        return Ok(());
    };
    match counts.find(|(_, rows)| **rows != expected) {
        Some((other, &rows)) => Err(BenchError::RowCountMismatch {
            query: timing.query,
            first: first.clone(),
            first_rows: expected,
            other: other.clone(),
            other_rows: rows,
        }),
        None => Ok(()),
    }
}

fn progress_line(timing: &QueryTiming) -> String {
    let medians: Vec<String> = timing
        .millis
        .keys()
        .filter_map(|engine| Some(format!("{engine} {:.1} ms", timing.median(engine)?)))
        .collect();
    format!("q{}: {}", timing.query, medians.join(", "))
}

/// The run's settings, the machine and the revision, for the JSON file.
fn context(options: &RunOptions) -> Value {
    let trebuchet = match &options.trebuchet {
        TrebuchetTarget::Url { url, .. } => json!({ "url": url }),
        TrebuchetTarget::InProcess { executors, policy } => json!({
            "in_process": true,
            "executors": executors.count,
            "concurrent_tasks": executors.concurrent_tasks,
            "memory_pool_size": executors.memory_pool_size,
            "scheduler_policy": policy.to_string(),
        }),
    };
    let settings = |pairs: &[(String, String)]| -> BTreeMap<String, String> {
        pairs.iter().cloned().collect()
    };
    json!({
        "git_revision": git_revision(),
        "unix_time": SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        "machine": {
            "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
            "os": std::env::consts::OS,
            "arch": std::env::consts::ARCH,
        },
        "scale": options.scale,
        "data": options.data.display().to_string(),
        "queries": options.queries.to_string(),
        "iterations": options.iterations,
        "engines": options.engines.iter().map(|e| e.name()).collect::<Vec<_>>(),
        "target_partitions": options.target_partitions,
        "trebuchet": trebuchet,
        "trebuchet_settings": settings(&options.settings),
        "trebuchet_setups": options
            .setups
            .iter()
            .map(|setup| (setup.name.clone(), json!(settings(&setup.settings))))
            .collect::<serde_json::Map<String, Value>>(),
        "datafusion_settings": settings(&options.datafusion_settings),
        "datafusion_version": datafusion::DATAFUSION_VERSION,
    })
}

/// `git rev-parse HEAD`, with `-dirty` when the tree has changes; `unknown` outside git.
fn git_revision() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    match git(&["rev-parse", "HEAD"]) {
        Some(revision) => match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(changes) if !changes.is_empty() => format!("{revision}-dirty"),
            _ => revision,
        },
        None => "unknown".into(),
    }
}
