//! A job's stage graph in Graphviz dot ([`job_dot`], [`stage_dot`]): what
//! `GET /api/job/{id}/dot` serves for `dot -Tpng`, as the tuning guide shows.
//!
//! ```text
//!   ┌ cluster_stage_2: stage 2, succeeded, tasks 2/2, rows/bytes out ┐
//!   │  ShuffleWriter (output partitioning) ◀─ … ◀─ ShuffleReaderExec  │
//!   └──────────────────────────────────────────────────────────▲─────┘
//!                        input partitioning, rows, bytes     │
//!   ┌ cluster_stage_1 ─────────────────────────────── ShuffleWriter ┐ …
//! ```
//!
//! Each stage is a cluster of its operators, as the scheduler ran them (EXPLAIN's lines,
//! child → parent by indentation), topped by its shuffle writer. Each input stage's
//! writer feeds the `ShuffleReaderExec` of the stage reading it, the edge labelled with
//! the input's partitioning and, once it finished, its rows and bytes.
//!
//! Labels are HTML-like (`label=<…>`): escaping them is XML escaping, which covers every
//! character SQL text and plans carry (quotes, backslashes, `<`, `>`, braces, `&`), so
//! Graphviz renders any plan without warnings.

use std::fmt::Write;

use trebuchet_cluster::scheduler::{JobState, JobView, StageState, StageView};

/// Longest line of a label before it is wrapped.
const LABEL_WIDTH: usize = 80;
/// Most lines of an operator's label; the rest is in the job's JSON.
const LABEL_LINES: usize = 8;
/// How much of the SQL text the graph's title shows.
const TITLE_SQL_CHARS: usize = 160;

/// The whole job: every stage and the shuffles between them.
pub(crate) fn job_dot(job: &JobView) -> String {
    let mut dot = open_graph(job);
    for stage in &job.stages {
        write_stage(&mut dot, stage);
    }
    for stage in &job.stages {
        for input in &stage.inputs {
            if let Some(input) = job.stages.iter().find(|other| other.stage_id == *input) {
                write_shuffle_edge(&mut dot, input, stage);
            }
        }
    }
    dot.push_str("}\n");
    dot
}

/// One stage, with its input stages drawn as single nodes.
pub(crate) fn stage_dot(job: &JobView, stage: &StageView) -> String {
    let mut dot = open_graph(job);
    write_stage(&mut dot, stage);
    for input in &stage.inputs {
        let Some(input) = job.stages.iter().find(|other| other.stage_id == *input) else {
            continue;
        };
        let _ = writeln!(
            dot,
            "  {} [label=<stage {} output<BR/>{}>, style=\"rounded,dashed\", color=\"{}\"];",
            writer_node(input.stage_id),
            input.stage_id,
            html_escape(input.state.as_str()),
            stage_color(input.state)
        );
        write_shuffle_edge(&mut dot, input, stage);
    }
    dot.push_str("}\n");
    dot
}

/// The graph's header: its title and the defaults every node and edge share.
fn open_graph(job: &JobView) -> String {
    let mut title = format!(
        "<B>{}</B> {}, {} ms, {} rows out",
        html_escape(&job.job_id),
        html_escape(job.state.as_str()),
        job.duration_ms,
        job.rows_out
    );
    if let Some(user) = &job.user {
        let _ = write!(title, ", user {}", html_escape(user));
    }
    let sql: String = job.sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let _ = write!(
        title,
        "<BR/>{}",
        wrapped_html(&shortened(&sql, TITLE_SQL_CHARS), 3)
    );
    if let (JobState::Failed | JobState::Cancelled, Some(error)) = (job.state, &job.error) {
        let _ = write!(title, "<BR/>{}", wrapped_html(error, 3));
    }
    format!(
        "digraph job {{\n  graph [rankdir=BT, labelloc=t, fontsize=12, label=<{title}>];\n  \
         node [shape=box, style=rounded, fontsize=10];\n  edge [fontsize=9];\n"
    )
}

/// A stage as a cluster: its writer on top, its operators below, child → parent.
fn write_stage(dot: &mut String, stage: &StageView) {
    let id = stage.stage_id;
    let mut label = format!(
        "<B>stage {id}</B> {}<BR/>tasks {}/{} succeeded, {} running",
        html_escape(stage.state.as_str()),
        stage.tasks.succeeded,
        stage.tasks.total,
        stage.tasks.running,
    );
    if stage.tasks.skipped > 0 {
        let _ = write!(label, ", {} skipped", stage.tasks.skipped);
    }
    let _ = write!(
        label,
        "<BR/>{} rows, {} out",
        stage.rows_out,
        human_bytes(stage.bytes_out)
    );
    if stage.spilled_bytes > 0 {
        let _ = write!(label, ", {} spilled", human_bytes(stage.spilled_bytes));
    }
    for change in &stage.adaptive_changes {
        let _ = write!(label, "<BR/>adaptive: {}", wrapped_html(change, 3));
    }
    // Under rankdir=BT, a cluster's `labelloc=b` puts its label on top.
    let _ = writeln!(
        dot,
        "  subgraph cluster_stage_{id} {{\n    label=<{label}>;\n    color=\"{}\";\n    \
         style=rounded;\n    labelloc=b;",
        stage_color(stage.state)
    );
    let _ = writeln!(
        dot,
        "    {} [label=<ShuffleWriter<BR/>{}>];",
        writer_node(id),
        wrapped_html(&stage.output_partitioning, LABEL_LINES)
    );
    for operator in operators(stage) {
        let _ = writeln!(
            dot,
            "    {} [label=<{}>];",
            operator.node,
            left_aligned_html(operator.text, LABEL_LINES)
        );
        let parent = operator.parent.unwrap_or_else(|| writer_node(id));
        let _ = writeln!(dot, "    {} -> {parent};", operator.node);
    }
    dot.push_str("  }\n");
}

/// The shuffle from `input` (its writer) to `reader` (its `ShuffleReaderExec` of it).
fn write_shuffle_edge(dot: &mut String, input: &StageView, reader: &StageView) {
    let target = operators(reader)
        .into_iter()
        .find(|operator| operator.reads_stage == Some(input.stage_id))
        .map_or_else(|| writer_node(reader.stage_id), |operator| operator.node);
    let mut label = wrapped_html(&input.output_partitioning, 3);
    if input.state == StageState::Succeeded {
        let _ = write!(
            label,
            "<BR/>{} rows, {}",
            input.rows_out,
            human_bytes(input.bytes_out)
        );
    }
    let _ = writeln!(
        dot,
        "  {} -> {target} [label=<{label}>];",
        writer_node(input.stage_id)
    );
}

/// One operator line of a stage's plan, placed in the tree.
#[derive(Debug)]
struct Operator<'a> {
    node: String,
    text: &'a str,
    /// The node it feeds; `None` for the stage's top operator, which feeds the writer.
    parent: Option<String>,
    /// The stage a `ShuffleReaderExec` reads.
    reads_stage: Option<u32>,
}

/// The operators of `stage.plan`, whose lines are indented two spaces per level below
/// their parent (DataFusion's `displayable(..).indent(..)`).
fn operators(stage: &StageView) -> Vec<Operator<'_>> {
    let mut operators = Vec::new();
    // The nodes of the current line's ancestors, with their depths.
    let mut ancestors: Vec<(usize, String)> = Vec::new();
    let lines = stage.plan.lines().filter(|line| !line.trim().is_empty());
    for (index, line) in lines.enumerate() {
        let text = line.trim();
        let depth = line.len() - line.trim_start().len();
        while ancestors.last().is_some_and(|(above, _)| *above >= depth) {
            ancestors.pop();
        }
        let node = format!("stage_{}_op_{index}", stage.stage_id);
        operators.push(Operator {
            node: node.clone(),
            text,
            parent: ancestors.last().map(|(_, parent)| parent.clone()),
            reads_stage: shuffle_reader_input(text),
        });
        ancestors.push((depth, node));
    }
    operators
}

/// The stage `ShuffleReaderExec: stage=N, …` reads.
fn shuffle_reader_input(operator: &str) -> Option<u32> {
    let rest = operator.strip_prefix("ShuffleReaderExec: stage=")?;
    let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

fn writer_node(stage: u32) -> String {
    format!("stage_{stage}_writer")
}

fn stage_color(state: StageState) -> &'static str {
    match state {
        StageState::Waiting => "gray50",
        StageState::Running => "#1565c0",
        StageState::Succeeded => "#2e7d32",
        StageState::Skipped => "gray70",
        StageState::Stopped => "#c62828",
    }
}

/// `text` escaped for an HTML-like label, cut into centred lines of at most
/// [`LABEL_WIDTH`] characters (at most `max_lines` of them).
fn wrapped_html(text: &str, max_lines: usize) -> String {
    escaped_lines(text, max_lines).join("<BR/>")
}

/// As [`wrapped_html`], each line aligned left: an operator's lines read as text.
fn left_aligned_html(text: &str, max_lines: usize) -> String {
    escaped_lines(text, max_lines)
        .iter()
        .map(|line| format!("{line}<BR ALIGN=\"LEFT\"/>"))
        .collect()
}

fn escaped_lines(text: &str, max_lines: usize) -> Vec<String> {
    let lines = wrap(text, LABEL_WIDTH);
    let cut = lines.len() > max_lines;
    let mut html: Vec<String> = lines
        .iter()
        .take(max_lines)
        .map(|line| html_escape(line))
        .collect();
    if cut && let Some(last) = html.last_mut() {
        last.push_str(" …");
    }
    html
}

/// Escapes `text` as the character data of an HTML-like label. Control characters
/// (newlines included) become spaces: lines are broken with `<BR/>` only.
fn html_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c if c.is_control() => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Splits `text` into lines of at most `width` characters, after a `,` or a space
/// where there is one.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while rest.len() > width {
        let split = rest[..width]
            .iter()
            .rposition(|c| *c == ' ' || *c == ',')
            .map_or(width, |at| at + 1);
        let line: String = rest.drain(..split).collect();
        lines.push(line.trim_end().to_string());
        let blanks = rest.iter().take_while(|c| **c == ' ').count();
        rest.drain(..blanks);
    }
    lines.push(rest.into_iter().collect());
    lines
}

fn shortened(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max_chars).collect();
    short.push_str(" …");
    short
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Precision beyond one decimal is not the point of a picture.
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use trebuchet_cluster::scheduler::TaskCounts;

    use super::*;

    #[test]
    fn escapes_every_character_that_means_something_to_dot_or_html() {
        let escaped = html_escape("a\"b\\c<d>e{f}g&h'i\nj|k");
        assert_eq!(escaped, "a&quot;b\\c&lt;d&gt;e{f}g&amp;h&#39;i j|k");
    }

    #[test]
    fn long_lines_wrap_at_separators_and_are_cut_after_the_last_line() {
        let text = "ProjectionExec: expr=[".to_string() + &"column_name@0, ".repeat(40) + "]";
        let lines = wrap(&text, LABEL_WIDTH);
        assert!(lines.len() > 3);
        assert!(lines.iter().all(|line| line.chars().count() <= LABEL_WIDTH));
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
        let html = wrapped_html(&text, 3);
        assert_eq!(html.matches("<BR/>").count(), 2);
        assert!(html.ends_with(" …"));
        let left = left_aligned_html(&text, 3);
        assert_eq!(left.matches("<BR ALIGN=\"LEFT\"/>").count(), 3);
        assert!(left.ends_with(" …<BR ALIGN=\"LEFT\"/>"));
        assert_eq!(wrap("", LABEL_WIDTH), vec![String::new()]);
        assert_eq!(wrap(&"x".repeat(100), 80)[1], "x".repeat(20));
    }

    #[test]
    fn operators_follow_the_indentation_of_the_plan() {
        let stage = stage(
            2,
            &[1],
            "HashJoinExec: mode=Partitioned\n  ShuffleReaderExec: stage=1, partitioning=Hash([a@0], 2), files=2\n  \
             FilterExec: a@0 > 1\n    DataSourceExec: file_groups={1 group: [[x.parquet]]}\n",
        );
        let operators = operators(&stage);
        let parents: Vec<Option<&str>> = operators.iter().map(|op| op.parent.as_deref()).collect();
        assert_eq!(
            parents,
            [
                None,
                Some("stage_2_op_0"),
                Some("stage_2_op_0"),
                Some("stage_2_op_2")
            ]
        );
        assert_eq!(operators[1].reads_stage, Some(1));
        assert_eq!(
            shuffle_reader_input("ShuffleReaderExec: stage=12, x"),
            Some(12)
        );
        assert_eq!(shuffle_reader_input("FilterExec: stage=1"), None);
    }

    #[test]
    fn a_job_is_a_cluster_per_stage_with_shuffle_edges_into_the_readers() {
        let job = job(vec![
            stage(
                1,
                &[],
                "FilterExec: s@0 = '{x}' AND t@1 LIKE '%\\\\%'\n  DataSourceExec: <a>\n",
            ),
            stage(
                2,
                &[1],
                "SortExec: x\n  ShuffleReaderExec: stage=1, partitioning=Hash([a@0], 2)\n",
            ),
        ]);
        let dot = job_dot(&job);
        assert!(dot.starts_with("digraph job {"), "{dot}");
        assert!(dot.trim_end().ends_with('}'));
        assert_eq!(dot.matches("subgraph cluster_stage_").count(), 2);
        assert!(dot.contains("subgraph cluster_stage_1 {"));
        assert!(
            dot.contains(
                "stage_1_writer -> stage_2_op_1 [label=<Hash([a@0], 2)<BR/>10 rows, 2.0 KiB>];"
            ),
            "{dot}"
        );
        assert!(dot.contains("stage_1_op_1 -> stage_1_op_0;"));
        assert!(dot.contains("stage_1_op_0 -> stage_1_writer;"));
        assert!(dot.contains("FilterExec: s@0 = &#39;{x}&#39; AND t@1 LIKE &#39;%\\\\%&#39;"));
        assert!(dot.contains("DataSourceExec: &lt;a&gt;"));
        assert!(
            dot.contains("SELECT &quot;a&quot; FROM t WHERE b &lt; 1"),
            "{dot}"
        );
        assert_eq!(dot.matches('{').count(), dot.matches('}').count());
    }

    #[test]
    fn a_stage_graph_shows_that_stage_and_its_inputs_as_nodes() {
        let job = job(vec![
            stage(1, &[], "DataSourceExec: x\n"),
            stage(
                2,
                &[1],
                "ShuffleReaderExec: stage=1, partitioning=Hash([a@0], 2)\n",
            ),
        ]);
        let dot = stage_dot(&job, &job.stages[1]);
        assert_eq!(dot.matches("subgraph cluster_stage_").count(), 1);
        assert!(dot.contains("stage_1_writer [label=<stage 1 output"));
        assert!(dot.contains("stage_1_writer -> stage_2_op_0"));
        assert!(!dot.contains("DataSourceExec"));
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(2048), "2.0 KiB");
        assert_eq!(human_bytes(5 << 30), "5.0 GiB");
    }

    fn job(stages: Vec<StageView>) -> JobView {
        JobView {
            job_id: "job-0123".into(),
            session_id: "session".into(),
            user: Some("al\"ice".into()),
            sql: "SELECT \"a\"\nFROM t WHERE b < 1".into(),
            state: JobState::Succeeded,
            error: None,
            submitted_at_ms: 0,
            ended_at_ms: Some(5),
            duration_ms: 5,
            rows_out: 10,
            stages,
        }
    }

    fn stage(id: u32, inputs: &[u32], plan: &str) -> StageView {
        StageView {
            stage_id: id,
            inputs: inputs.to_vec(),
            state: StageState::Succeeded,
            output_partitioning: "Hash([a@0], 2)".into(),
            plan: plan.into(),
            tasks: TaskCounts {
                total: 2,
                waiting: 0,
                running: 0,
                succeeded: 2,
                skipped: 0,
            },
            rows_out: 10,
            bytes_out: 2048,
            spilled_bytes: 0,
            task_time_ms: 3,
            duration_ms: Some(3),
            task_list: Vec::new(),
            operators: Vec::new(),
            adaptive_changes: Vec::new(),
        }
    }
}
