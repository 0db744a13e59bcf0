//! `tpch`: generate TPC-H data, and time the 22 queries on Trebuchet next to
//! single-process DataFusion. See `benchmarks/README.md`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use trebuchet_benchmarks::{
    EngineKind, QuerySet, Result, RunOptions, Setup, TrebuchetTarget, datagen, run,
};
use trebuchet_cluster::{ByteSize, SchedulerPolicy};
use trebuchet_flight_sql_server::LocalExecutors;

#[derive(Debug, Parser)]
#[command(
    name = "tpch",
    about = "TPC-H for Trebuchet: data generation and timed runs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the eight tables as Parquet, DIR/<table>/part-<n>.parquet.
    Datagen {
        /// Scale factor (1 = about 1 GB of raw data).
        #[arg(long, default_value = "1")]
        scale: f64,
        /// Files per large table (nation and region are always one).
        #[arg(long, default_value_t = 8)]
        parts: usize,
        /// Where to write.
        #[arg(long)]
        output: PathBuf,
    },
    /// Time the queries on each engine in turn, query by query.
    Run(Box<RunArgs>),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The directory `tpch datagen` wrote.
    #[arg(long)]
    data: PathBuf,
    /// The scale of that data, recorded in the results.
    #[arg(long, default_value = "1")]
    scale: String,
    /// Which queries: `1-22`, `3`, `1,3,5-7`.
    #[arg(long, default_value = "1-22")]
    queries: QuerySet,
    /// Runs per query and engine; the report gives the median.
    #[arg(long, default_value_t = 3)]
    iterations: usize,
    /// Engines to run, alternating per query.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "trebuchet,datafusion"
    )]
    engine: Vec<EngineKind>,
    /// A running Trebuchet server (`grpc://host:port`) with the tables registered. Without
    /// it, a standalone cluster runs inside the benchmark over `--data`.
    #[arg(long)]
    url: Option<String>,
    /// User and password for `--url` (any name when the server has no users).
    #[arg(long, default_value = "benchmark")]
    user: String,
    #[arg(long, default_value = "")]
    password: String,
    /// Executors of the in-process cluster.
    #[arg(long, default_value_t = 2)]
    executors: usize,
    /// Task slots per in-process executor (default: all cores).
    #[arg(long)]
    concurrent_tasks: Option<usize>,
    /// Memory pool per in-process executor (e.g. 2GB, 512MiB).
    #[arg(long)]
    memory_pool_size: Option<ByteSize>,
    /// Shuffle output the in-process executors keep in memory (0: all on disk; default:
    /// standalone's, a quarter of the machine's memory).
    #[arg(long)]
    shuffle_memory_size: Option<ByteSize>,
    /// Scheduling policy of the in-process cluster.
    #[arg(long, default_value = "pull-staged")]
    scheduler_policy: SchedulerPolicy,
    /// `datafusion.execution.target_partitions` for both engines.
    #[arg(long, default_value_t = 16)]
    target_partitions: usize,
    /// A Trebuchet session setting, repeatable: `--set ballista.shuffle.sort_based.enabled=false`.
    #[arg(long = "set", value_parser = key_value)]
    settings: Vec<(String, String)>,
    /// Another Trebuchet session timed beside the plain one, repeatable:
    /// `--setup adaptive:ballista.planner.adaptive.enabled=true` is reported as
    /// `trebuchet:adaptive` (it also gets every `--set`).
    #[arg(long = "setup")]
    setups: Vec<Setup>,
    /// A DataFusion session setting, repeatable.
    #[arg(long = "datafusion-set", value_parser = key_value)]
    datafusion_settings: Vec<(String, String)>,
    /// Where to write the JSON results (default: tpch-sf<scale>-<unix time>.json).
    #[arg(long)]
    output: Option<PathBuf>,
}

fn key_value(text: &str) -> Result<(String, String), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected KEY=VALUE, got `{text}`"))?;
    Ok((key.trim().to_string(), value.trim().to_string()))
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Datagen {
            scale,
            parts,
            output,
        } => report(datagen(scale, parts, &output)),
        Command::Run(args) => report(run_and_report(*args).await),
    }
}

async fn run_and_report(args: RunArgs) -> Result<()> {
    let trebuchet = match args.url {
        Some(url) => TrebuchetTarget::Url {
            url,
            user: args.user,
            password: args.password,
        },
        None => {
            let defaults = LocalExecutors::default();
            TrebuchetTarget::InProcess {
                executors: LocalExecutors {
                    count: args.executors,
                    concurrent_tasks: args.concurrent_tasks.unwrap_or(defaults.concurrent_tasks),
                    memory_pool_size: args.memory_pool_size.map(ByteSize::bytes),
                    shuffle_memory_size: args
                        .shuffle_memory_size
                        .map_or(defaults.shuffle_memory_size, ByteSize::bytes),
                },
                policy: args.scheduler_policy,
            }
        }
    };
    let mut engines = args.engine;
    engines.dedup();
    let options = RunOptions {
        data: args.data,
        scale: args.scale,
        queries: args.queries,
        iterations: args.iterations,
        engines,
        trebuchet,
        target_partitions: args.target_partitions,
        settings: args.settings,
        setups: args.setups,
        datafusion_settings: args.datafusion_settings,
    };
    let report = run(&options).await?;
    println!("{}", report.table());
    let output = args.output.unwrap_or_else(|| {
        let time = report.context["unix_time"].as_u64().unwrap_or(0);
        PathBuf::from(format!("tpch-sf{}-{time}.json", options.scale))
    });
    report.write_json(&output)?;
    println!("results written to {}", output.display());
    Ok(())
}

fn report(outcome: Result<()>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
