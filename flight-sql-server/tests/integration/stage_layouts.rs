//! Golden stage layouts: how the distributed planner cuts a few TPC-H queries, checked in
//! under `tests/golden/stages/`: `qNN.txt` with our defaults (on these tiny tables every
//! join broadcasts a side), `qNN-sort-merge.txt` with broadcasts off. A change to the cuts shows up as a diff to review;
//! `TREBUCHET_UPDATE_GOLDEN=1` rewrites the files.
//!
//! The layout keeps operator names and the shuffle operators' full description (stage,
//! partitioning), not file paths or statistics, so it depends only on the planner.

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::physical_plan::{ExecutionPlan, displayable};
use trebuchet_cluster::ids::JobId;
use trebuchet_cluster::{ShuffleFormat, plan_stages, split_scalar_subqueries};
use trebuchet_flight_sql_server::{SharedCatalog, register_tpch_in_parts};

const QUERIES: [&str; 5] = ["q01", "q03", "q05", "q11", "q18"];

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The layout of each scalar subquery, which runs first as a query of its own, then the
/// query's.
fn layout(sql_plan: Arc<dyn ExecutionPlan>) -> String {
    let (query, subqueries) = split_scalar_subqueries(sql_plan).unwrap();
    let mut text = String::new();
    for (number, subquery) in subqueries.into_iter().enumerate() {
        text.push_str(&format!("Scalar subquery {} (runs first):\n", number + 1));
        for line in layout(subquery).lines() {
            text.push_str(&format!("  {line}\n"));
        }
    }
    text.push_str(&stage_layout(query));
    text
}

/// Each stage's header and its operators, one per line, details dropped except for ours.
fn stage_layout(sql_plan: Arc<dyn ExecutionPlan>) -> String {
    let stages = plan_stages(
        &JobId::new("golden"),
        &trebuchet_shuffle_layout(),
        ShuffleFormat::default(),
        sql_plan,
    )
    .unwrap();
    let mut text = String::new();
    for stage in stages.stages() {
        let inputs: Vec<String> = stage.inputs.iter().map(ToString::to_string).collect();
        text.push_str(&format!(
            "Stage {} (inputs: [{}])\n",
            stage.id,
            inputs.join(", ")
        ));
        let plan: &dyn ExecutionPlan = stage.plan.as_ref();
        for line in displayable(plan).indent(false).to_string().lines() {
            let trimmed = line.trim_start();
            let indent = &line[..line.len() - trimmed.len()];
            let shown = if trimmed.starts_with("Shuffle") {
                trimmed.to_string()
            } else {
                trimmed.split(':').next().unwrap_or(trimmed).to_string()
            };
            text.push_str(&format!("  {indent}{shown}\n"));
        }
    }
    text
}

fn trebuchet_shuffle_layout() -> trebuchet_cluster::ShuffleLayout {
    trebuchet_cluster::ShuffleLayout::new("/work")
}

#[tokio::test]
async fn tpch_stage_layouts_match_the_golden_files() {
    let data = tempfile::tempdir().unwrap();
    let catalog = SharedCatalog::new();
    register_tpch_in_parts(&catalog, 0.001, data.path(), 2)
        .await
        .unwrap();
    let update = std::env::var_os("TREBUCHET_UPDATE_GOLDEN").is_some();
    let broadcasting = catalog.new_session_context();
    let sort_merging = catalog.new_session_context();
    sort_merging
        .sql("SET ballista.optimizer.broadcast_join_threshold_bytes = 0")
        .await
        .unwrap();
    let variants = [("", &broadcasting), ("-sort-merge", &sort_merging)];
    for (name, (suffix, ctx)) in QUERIES
        .iter()
        .flat_map(|name| variants.iter().map(move |variant| (*name, *variant)))
    {
        let sql = std::fs::read_to_string(repo_file(&format!("../benchmarks/queries/{name}.sql")))
            .unwrap();
        let plan = ctx
            .sql(&sql)
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        let actual = layout(plan);
        let golden = repo_file(&format!("tests/golden/stages/{name}{suffix}.txt"));
        if update {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_else(|_| {
            panic!(
                "no golden file {}: run with TREBUCHET_UPDATE_GOLDEN=1",
                golden.display()
            )
        });
        assert_eq!(
            actual, expected,
            "the stage layout of {name}{suffix} changed; if intended, run with TREBUCHET_UPDATE_GOLDEN=1 and review the diff"
        );
    }
}
